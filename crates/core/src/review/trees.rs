//! `check` on kustomize trees: every workload and Ingress of every tree against that tree's
//! Secrets, each tree built once (by the render layer) for its Secrets and its checks.

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::error::Result;
use crate::render::tree::{Plan, build_all, clean_path, dir_of};
use crate::render::{Decrypt, Settings};
use crate::review::check::{Known, check_doc};

/// What `check` learns from the trees of a plan.
#[derive(Debug, Default)]
pub struct Checked {
    /// References that do not resolve.
    pub findings: Vec<crate::review::check::Finding>,
    /// The Secrets the trees made, as a render makes them.
    pub secrets: Vec<crate::secret::Secret>,
    /// Every file the trees read (so a flat check does not read them again on their own).
    pub files: BTreeSet<PathBuf>,
    /// The warnings of the builds.
    pub warnings: Vec<crate::error::Warning>,
    /// Kustomizations read.
    pub read: usize,
}

/// `check` on the trees of a plan: every workload and Ingress of every tree, in the
/// namespace and under the name the build gives it, against that tree's Secrets, a
/// reference resolving as kustomize's name-reference rewriting resolves it (by any name the
/// Secret had on the way). Each tree is built once, for its Secrets and its checks.
pub fn check(
    plan: &Plan,
    settings: &Settings,
    keys: &dyn Decrypt,
    accept_unapplied: bool,
    plugin: Option<&dyn crate::render::tree::GeneratorPlugin>,
) -> Result<Checked> {
    let builds = build_all(plan, settings, keys, accept_unapplied, plugin)?;
    let mut checked = Checked {
        warnings: builds.warnings,
        read: builds.read,
        ..Checked::default()
    };
    for (t, built) in builds.trees {
        checked.files.extend(built.files);
        let mut infos = Vec::new();
        for (s, names) in built.secrets.iter().zip(&built.names) {
            for n in names {
                infos.push(Known {
                    secret: s,
                    alias: n,
                });
            }
        }
        for w in &built.works {
            checked.findings.extend(check_doc(
                &clean_path(&w.file),
                &w.doc,
                format!("{}/{} (in {})", w.kind, w.name, dir_of(&t).display()),
                w.namespace.clone(),
                &infos,
            ));
        }
        checked.secrets.extend(built.secrets);
    }
    Ok(checked)
}
