//! Finding the generators under the paths a user names.
//!
//! In: paths (files or directories). Out: [`Unit`]s: every kustomization, and every YAML
//! file holding `secretgen.dev/v1` or `builtin` SecretGenerator documents that no
//! kustomization already lists under `generators`. Skips hidden directories and `target/`.
//! A file named explicitly must be a kustomization or a generator manifest.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use super::error::{RenderError, Rule};
use crate::error::{Error, Result};
use crate::kustomize::manifest::{self, Kustomizations, Noted, Unit};
use crate::yaml;

/// Reads the units under `paths` (`.` when empty), in a stable order, with kustomize's
/// default load restrictor (a run reads through its session's store: [`load_in`]).
pub fn load(paths: &[PathBuf]) -> Result<Vec<Unit>> {
    load_in(paths, &Kustomizations::default())
}

/// [`load`], reading kustomizations through the run's `store` (each one once).
pub fn load_in(paths: &[PathBuf], store: &Kustomizations) -> Result<Vec<Unit>> {
    let default = [PathBuf::from(".")];
    let paths = if paths.is_empty() {
        &default[..]
    } else {
        paths
    };
    let mut units = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| Error::io(p, "cannot read", e))?;
        if meta.is_dir() {
            match walk_units(p, store) {
                Ok(mut u) => units.append(&mut u),
                Err(e) => errors.push(e),
            }
        } else {
            match load_file(p, true, store) {
                Ok(Some(u)) => units.push(u),
                Ok(None) => {}
                Err(e) => errors.push(e),
            }
        }
    }
    if errors.is_empty() && only_near_misses(&units) {
        for u in &units {
            errors.extend(u.warnings.iter().map(|n: &Noted| {
                RenderError::new(
                    n.warning.loc.clone(),
                    Rule::NothingRendered {
                        why: n.why_skipped().to_string(),
                    },
                )
                .into()
            }));
        }
    }
    if !errors.is_empty() {
        return Err(Error::many(errors));
    }
    Ok(units)
}

/// Reads one file as a kustomization (by its name) or as a generator manifest.
pub(crate) fn load_file(path: &Path, strict: bool, store: &Kustomizations) -> Result<Option<Unit>> {
    if manifest::is_kustomization_file(path) {
        return Ok(Some(store.get(path)?.unit.clone()));
    }
    let text = manifest::read_text(path)?;
    let root = path.parent().unwrap_or(Path::new("")).to_path_buf();
    let root = if root.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        root
    };
    if !strict && only_separators(&text) {
        // Nothing but `---` (and comments): a file that lost its content is reported, not
        // walked past.
        return Ok(Some(Unit {
            file: path.to_path_buf(),
            generators: Vec::new(),
            transform: Default::default(),
            warnings: vec![Noted::skipped(
                crate::error::Loc::file(path),
                "holds nothing but `---` document separators (an emptied generator manifest?)"
                    .into(),
            )],
            consumed: Vec::new(),
            plain_secrets: Vec::new(),
        }));
    }
    if !strict && !names_the_kind(&text) {
        // Not ours, unless a near miss of ours (`kind: SecretGenerater`), which is reported
        // rather than silently skipped; a file that is not even YAML is someone else's.
        if !might_be_near_miss(&text) {
            return Ok(None);
        }
        return Ok(manifest::read_generator_file(path, &text, &root, false)
            .ok()
            .filter(|u| !u.warnings.is_empty()));
    }
    let unit = manifest::read_generator_file(path, &text, &root, strict)?;
    Ok((!unit.generators.is_empty() || !unit.warnings.is_empty()).then_some(unit))
}

/// Whether the text of a YAML file that is not a kustomization is meant for secretgen, as the
/// walk reads it: a document of it is a SecretGenerator secretgen renders, or a near miss of
/// one (which a render reports). Rendered Secrets are not, nor is a file that only mentions
/// the kind (in a value, a comment), nor one that is not YAML.
pub fn is_generator_manifest(text: &str) -> bool {
    (names_the_kind(text) || might_be_near_miss(text))
        && yaml::parse_stream(text).is_ok_and(|docs| {
            docs.iter().any(|d| {
                manifest::generator_format(d).is_some() || manifest::near_miss(d).is_some()
            })
        })
}

/// The cheap test before parsing: a file holding a SecretGenerator names the kind.
fn names_the_kind(text: &str) -> bool {
    text.contains("SecretGenerator")
}

/// Whether `text` holds `---` separators and nothing else but comments, blank lines and
/// `...` document ends.
fn only_separators(text: &str) -> bool {
    let mut any = false;
    for line in text.lines() {
        let l = line.trim();
        if l == "---" || l.starts_with("--- #") {
            any = true;
        } else if !(l.is_empty() || l.starts_with('#') || l == "..." || l.starts_with("... #")) {
            return false;
        }
    }
    any
}

/// A cheap test before parsing a file that does not name `SecretGenerator`: could it hold a
/// near miss of it (a typo in the kind, or our apiVersion with another kind)?
fn might_be_near_miss(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower.contains("secretgen")
        || (lower.contains("kind") && lower.contains("ecret") && lower.contains("gen"))
}

/// Units that hold nothing but skipped near misses: when a walk found nothing else, the
/// user meant these to render, and exit 2 says so.
fn only_near_misses(units: &[Unit]) -> bool {
    !units.is_empty()
        && units.iter().all(|u| {
            u.generators.is_empty()
                && u.plain_secrets.is_empty()
                && !manifest::is_kustomization_file(&u.file)
        })
}

/// Which directories below the top a walk leaves out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Skip {
    /// Nothing: every entry (the `-o` directory, which is secretgen's own).
    Nothing,
    /// Hidden directories (`.git`, `.cache`).
    Hidden,
    /// Hidden directories and `target/` (a build's output, not inputs).
    HiddenAndTarget,
}

/// The one tree walk of secretgen: every entry under `dir` (itself first), sorted by name at
/// each level, symbolic links not followed, the directories `skip` names left out below
/// `dir`. The walk goes on after an entry that cannot be read; each caller says how.
pub fn walk(
    dir: &Path,
    skip: Skip,
) -> impl Iterator<Item = std::result::Result<walkdir::DirEntry, walkdir::Error>> {
    WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(move |e| {
            let name = e.file_name().as_encoded_bytes();
            let left_out = match skip {
                Skip::Nothing => false,
                Skip::Hidden => hidden(name),
                Skip::HiddenAndTarget => hidden(name) || name == b"target",
            };
            e.depth() == 0 || !(e.file_type().is_dir() && left_out)
        })
}

/// A hidden name, by its bytes (a hidden name need not be UTF-8).
fn hidden(name: &[u8]) -> bool {
    name.starts_with(b".") && name != b"." && name != b".."
}

/// The regular files under `dir`, as the search for inputs sees them: [`walk`] without
/// hidden directories and `target/`. An entry that cannot be read is an error naming it
/// (the walk goes on after it).
pub(crate) fn files(dir: &Path) -> impl Iterator<Item = Result<PathBuf>> + '_ {
    walk(dir, Skip::HiddenAndTarget).filter_map(move |entry| match entry {
        Err(e) => {
            let path = e
                .path()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| dir.to_path_buf());
            Some(Err(Error::io(&path, "cannot walk", e.into())))
        }
        Ok(e) => e.file_type().is_file().then(|| Ok(e.into_path())),
    })
}

/// Whether `path` names a YAML file (`.yaml` or `.yml`).
pub(crate) fn is_yaml(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e == "yaml" || e == "yml")
}

fn walk_units(dir: &Path, store: &Kustomizations) -> Result<Vec<Unit>> {
    let mut kustomizations = Vec::new();
    let mut manifests = Vec::new();
    for path in files(dir) {
        let path = path?;
        if manifest::is_kustomization_file(&path) {
            kustomizations.push(path);
        } else if is_yaml(&path) {
            manifests.push(path);
        }
    }
    let mut units = Vec::new();
    let mut errors = Vec::new();
    let mut consumed = BTreeSet::new();
    for k in &kustomizations {
        match load_file(k, true, store) {
            Ok(Some(u)) => {
                consumed.extend(u.consumed.iter().map(|p| normalize(p)));
                units.push(u);
            }
            Ok(None) => {}
            Err(e) => errors.push(e),
        }
    }
    for m in &manifests {
        if consumed.contains(&normalize(m)) {
            continue;
        }
        match load_file(m, false, store) {
            Ok(Some(u)) => units.push(u),
            Ok(None) => {}
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(Error::many(errors));
    }
    Ok(units)
}

fn normalize(p: &Path) -> PathBuf {
    crate::gate::resolve::real_or_given(p)
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests make fixtures directly
mod tests {
    use std::os::unix::ffi::OsStrExt;

    use super::*;

    #[test]
    fn hidden_and_target_directories_are_skipped_whatever_their_bytes() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        for dir in [&b".git"[..], b".\xffhidden", b"target", b"app", b".\xff/.."] {
            let dir = d.join(std::ffi::OsStr::from_bytes(dir));
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("g.yaml"), "x").unwrap();
        }
        let found: Vec<PathBuf> = files(d).map(|f| f.unwrap()).collect();
        assert_eq!(found, [d.join("app/g.yaml"), d.join("g.yaml")]);
        let walked = |skip| -> Vec<PathBuf> {
            walk(d, skip)
                .map(|e| e.unwrap())
                .filter(|e| e.file_type().is_file())
                .map(|e| e.path().strip_prefix(d).unwrap().to_path_buf())
                .collect()
        };
        assert_eq!(
            walked(Skip::Hidden),
            [
                Path::new("app/g.yaml"),
                Path::new("g.yaml"),
                Path::new("target/g.yaml")
            ]
        );
        assert_eq!(walked(Skip::Nothing).len(), 5);
    }
}
