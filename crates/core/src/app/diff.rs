//! `secretgen diff`: two sides (rendered YAML, a `render -o` directory, or a tree to render,
//! either of them possibly at a git revision), compared without a value in the report.
//!
//! In: the session and the sides. Out: the [`Report`], for the caller to print as text or
//! JSON. What a side at a revision reports names the path in the repository (`REV:path`).

use std::path::{Path, PathBuf};

use crate::error::{Error, Result, Warning};
use crate::review::diff::{self, Report};
use crate::review::git::BaseTree;
use crate::review::output;
use crate::secret::Secret;

use super::{Quiet, Session};

/// The Secrets of one side: rendered YAML, a `render -o` directory, or a tree to render.
/// With `base`, the path is in the revision's tree, and what is reported names the path in
/// the repository.
pub fn side(session: &Session, path: &Path, base: Option<&BaseTree>) -> Result<Vec<Secret>> {
    let shown = |e: Error| match base {
        Some(b) => b.relabel_error(e),
        None => e,
    };
    if path.is_dir() {
        let owned = output::owned_files(path).map_err(shown)?;
        if !owned.is_empty() {
            let mut docs = Vec::new();
            for (rel, bytes) in &owned {
                docs.extend(
                    diff::read_secrets(&path.join(rel), &String::from_utf8_lossy(bytes))
                        .map_err(shown)?,
                );
            }
            return Ok(docs);
        }
    } else {
        let text = crate::kustomize::manifest::read_text(path).map_err(|e| shown(e.into()))?;
        let is_source = crate::kustomize::manifest::is_kustomization_file(path)
            || crate::render::discover::is_generator_manifest(&text);
        if !is_source {
            return diff::read_secrets(path, &text).map_err(shown);
        }
    }
    let paths = [path.to_path_buf()];
    let Some(base) = base else {
        return Ok(super::render(session, &paths, &Quiet)?.out.secrets);
    };
    // As `render`, with the warnings relabelled before they are said.
    let r = super::build(
        session,
        &super::plan(session, &paths).map_err(shown)?,
        &Quiet,
    )
    .map_err(shown)?;
    let warnings: Vec<Warning> = r
        .out
        .warnings
        .iter()
        .map(|w| base.relabel_warning(w))
        .collect();
    super::say_rendered(session, &r, &warnings);
    Ok(r.out.secrets)
}

/// `secretgen diff OLD NEW`.
pub fn two(session: &Session, old: &Path, new: &Path) -> Result<Report> {
    let old = side(session, old, None)?;
    let new = side(session, new, None)?;
    Ok(diff::compare(&old, &new))
}

/// `secretgen diff --base REV [PATH…]`: each path (`.` when none) at the revision against
/// the working tree; a path that exists on one side only is all added or all removed.
pub fn against_base(session: &Session, rev: &str, paths: &[PathBuf]) -> Result<Report> {
    let base = BaseTree::checkout(rev)?;
    let mut old = Vec::new();
    let mut new = Vec::new();
    for p in &super::or_here(paths) {
        if let Some(in_base) = base.locate(p)? {
            old.extend(side(session, &in_base, Some(&base))?);
        }
        if p.exists() {
            new.extend(side(session, p, None)?);
        }
    }
    Ok(diff::compare(&old, &new))
}
