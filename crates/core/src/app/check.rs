//! `secretgen check`: references to Secrets that do not resolve, and with
//! `--require-encrypted` the plaintext gate.
//!
//! In: the session and the paths. Out: the findings (and the notes: what could not be
//! checked), with the counts the summary line gives. Each tree is built once, for its
//! Secrets and its checks; the flat units are rendered once; every named kustomization is
//! read once for the plan.

use std::path::PathBuf;

use crate::error::Result;
use crate::review::check::{self, Finding, Known};
use crate::review::policy::{AllowList, Plaintext};

use super::{Quiet, Said, Session};

/// What `check` found.
#[derive(Debug, Default)]
pub struct Checked {
    /// Broken references (with `strict`, the unchecked ones too).
    pub findings: Vec<Finding>,
    /// References that could not be checked (without `strict`).
    pub notes: Vec<Finding>,
    /// Secrets the references were checked against.
    pub secrets: usize,
    /// Files whose references were checked.
    pub files: usize,
}

/// `secretgen check` of `paths` (`.` when empty): with `strict`, what could not be checked
/// is a finding, otherwise a note.
pub fn check(session: &Session, paths: &[PathBuf], strict: bool) -> Result<Checked> {
    // One plan: the flat units are rendered, each tree is built once for its Secrets and
    // its checks, and the identities are read once for all of them.
    let mut plan = super::plan(session, paths)?;
    // A PATH that holds a kustomization is one build: its workloads are those the build
    // reads, not every manifest under the directory.
    let tops: Vec<PathBuf> = plan
        .named
        .iter()
        .filter(|p| p.is_file() && crate::kustomize::manifest::is_kustomization_file(p))
        .cloned()
        .collect();
    plan.tree.builds_as_trees(&tops);
    let trees = plan.tree.take_trees();
    let flat = super::build(session, &plan, &Quiet)?;
    let checked = crate::review::trees::check(
        &trees,
        &session.settings,
        &session.keys,
        session.accept_unapplied,
        Some(&crate::ksops::TreeGenerators),
    )?;
    let mut secrets = flat.out.secrets;
    secrets.extend(checked.secrets);
    // In the order of a render of the same paths (`secret::sort_secrets`' order, stable).
    secrets.sort_by_cached_key(|s| s.sort_key());
    let mut warnings = flat.out.warnings;
    warnings.extend(checked.warnings);
    session.say(Said::Warnings(&warnings));
    let read = flat.read.max(checked.read);
    if secrets.is_empty() && read > 0 {
        session.say(Said::NoSecrets { read });
    }
    let (tree_findings, tree_files) = (checked.findings, checked.files);
    let searched: Vec<PathBuf> = plan
        .named
        .into_iter()
        .filter(|p| !tops.contains(p))
        .collect();
    let files: Vec<PathBuf> = check::manifest_files(&searched)
        .into_iter()
        .filter(|f| !tree_files.contains(&crate::gate::resolve::real_or_given(f)))
        .collect();
    let mut texts = Vec::new();
    for f in &files {
        texts.push((f.clone(), crate::kustomize::manifest::read_text(f)?));
    }
    let mut plain = Vec::new();
    for (f, t) in &texts {
        plain.extend(check::plain_secrets(f, t));
    }
    let known: Vec<Known<'_>> = secrets.iter().chain(&plain).map(Known::of).collect();
    let mut findings = tree_findings;
    for (f, t) in &texts {
        findings.extend(check::check_file(f, t, &known));
    }
    // What could not be checked is a note, and a finding only with `strict`.
    let (notes, findings): (Vec<_>, Vec<_>) = findings.into_iter().partition(|f| f.note && !strict);
    Ok(Checked {
        findings,
        notes,
        secrets: known.len(),
        files: files.len() + tree_files.len(),
    })
}

/// What the plaintext gate found.
#[derive(Debug, Default)]
pub struct Gate {
    /// Inputs that are not encrypted and not allowed in plaintext.
    pub found: Vec<Plaintext>,
    /// Generators read.
    pub generators: usize,
}

/// `secretgen check --require-encrypted`: every generator input under `paths` (`.` when
/// empty) that is not encrypted and not in `allow`. Renders nothing, so needs no key.
pub fn require_encrypted(session: &Session, paths: &[PathBuf], allow: &AllowList) -> Result<Gate> {
    let units = crate::render::discover::load_in(&super::or_here(paths), &session.kustomizations)?;
    for u in &units {
        // The gate renders nothing: what a render would not apply (a patch, a component,
        // `behavior: merge`; all of which `render` builds as kustomize does) is no concern
        // of it. Only what it skipped reading is said.
        let read: Vec<_> = u
            .warnings
            .iter()
            .filter(|n| !n.kind.about_flat_render())
            .map(|n| n.warning.clone())
            .collect();
        session.say(Said::Warnings(&read));
    }
    let found = crate::review::policy::plaintext_inputs(&units, allow)?;
    Ok(Gate {
        found,
        generators: units.iter().map(|u| u.generators.len()).sum(),
    })
}
