//! `secretgen check`: broken references to Secrets, or with --require-encrypted the
//! plaintext gate.

use std::path::PathBuf;
use std::process::ExitCode;

use secretgen::error::Error;
use secretgen::review::check;

use super::args::CheckArgs;
use super::print::{print_warnings, write_stdout};
use super::render::{build_plan, named_builds, plan_paths, session};

/// `secretgen check`: findings on stdout, exit 1 when there are any.
pub(super) fn run(args: CheckArgs) -> Result<ExitCode, Error> {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    if args.require_encrypted {
        let allow = secretgen::review::policy::AllowList::new(&args.allow_plaintext)?;
        let units = secretgen::render::discover::load(&paths)?;
        for u in &units {
            // The gate renders nothing: what a render would not apply (a patch, a component,
            // `behavior: merge`; all of which `render` builds as kustomize does) is no
            // concern of it. Only what it skipped reading is said.
            let read: Vec<_> = u
                .warnings
                .iter()
                .filter(|n| !n.kind.about_flat_render())
                .map(|n| n.warning.clone())
                .collect();
            print_warnings(&read);
        }
        let found = secretgen::review::policy::plaintext_inputs(&units, &allow)?;
        let mut text = String::new();
        for f in &found {
            text.push_str(&format!("{f}\n"));
        }
        write_stdout(text.as_bytes())?;
        if found.is_empty() {
            let inputs: usize = units.iter().map(|u| u.generators.len()).sum();
            eprintln!("no plaintext secrets ({inputs} generators read)");
            return Ok(ExitCode::SUCCESS);
        }
        eprintln!("{} plaintext secret inputs", found.len());
        return Ok(ExitCode::from(1));
    }
    // One session and one plan: the flat units are rendered, each tree is built once for
    // its Secrets and its checks, and the identities are read once for all of them.
    let session = session(args.flags.given(Some(&args.placeholder)))?;
    let (ksops_configs, mut plan) = plan_paths(&paths, args.flags.all)?;
    // A PATH that holds a kustomization is one build: its workloads are those the build
    // reads, not every manifest under the directory.
    let (named, _) = named_builds(&paths, args.flags.all)?;
    let tops: Vec<PathBuf> = named
        .iter()
        .filter(|p| p.is_file() && secretgen::kustomize::manifest::is_kustomization_file(p))
        .cloned()
        .collect();
    plan.builds_as_trees(&tops);
    let trees = plan.take_trees();
    let flat = build_plan(&plan, &ksops_configs, &args.flags, &session, false)?;
    let checked = secretgen::render::tree::check(
        &trees,
        &session.settings,
        &session.keys,
        args.flags.accept_unapplied,
    )?;
    let mut secrets = flat.out.secrets;
    secrets.extend(checked.secrets);
    // In the order of a render of the same paths (`secret::sort_secrets`' order, stable).
    secrets
        .sort_by_cached_key(|s| format!("{}|{}", s.namespace.as_deref().unwrap_or("~X"), s.name));
    let mut warnings = flat.out.warnings;
    warnings.extend(checked.warnings);
    print_warnings(&warnings);
    let read = flat.read.max(checked.read);
    if secrets.is_empty() && read > 0 {
        eprintln!("no Secrets: {read} kustomizations read");
    }
    let (tree_findings, tree_files) = (checked.findings, checked.files);
    let searched: Vec<PathBuf> = named.into_iter().filter(|p| !tops.contains(p)).collect();
    let files: Vec<PathBuf> = check::manifest_files(&searched)
        .into_iter()
        .filter(|f| !tree_files.contains(&std::fs::canonicalize(f).unwrap_or_else(|_| f.clone())))
        .collect();
    let mut texts = Vec::new();
    for f in &files {
        texts.push((f.clone(), secretgen::kustomize::manifest::read_text(f)?));
    }
    let mut plain = Vec::new();
    for (f, t) in &texts {
        plain.extend(check::plain_secrets(f, t));
    }
    let known: Vec<check::Known<'_>> = secrets.iter().chain(&plain).map(check::Known::of).collect();
    let mut findings = tree_findings;
    for (f, t) in &texts {
        findings.extend(check::check_file(f, t, &known));
    }
    // What could not be checked is a note on stderr, and a finding only with --strict.
    let (notes, findings): (Vec<_>, Vec<_>) =
        findings.into_iter().partition(|f| f.note && !args.strict);
    for n in &notes {
        eprintln!("note: {n}");
    }
    let mut text = String::new();
    for f in &findings {
        text.push_str(&format!("{f}\n"));
    }
    if findings.is_empty() {
        let unchecked = if notes.is_empty() {
            String::new()
        } else {
            format!("; {} references not checked, see the notes", notes.len())
        };
        eprintln!(
            "no broken references ({} Secrets, {} files{unchecked})",
            known.len(),
            files.len() + tree_files.len()
        );
    }
    write_stdout(text.as_bytes())?;
    Ok(if findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
