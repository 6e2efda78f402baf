//! kustomize's load restrictor: the one rule for every file a kustomization or a generator
//! names (generator sources, `resources`, `generators` configs, patches, components).
//!
//! In: a root directory and a path under it. Out: whether the path, links resolved, stays
//! under the root, or where it resolves to instead. Each reader words its own refusal (the
//! messages are part of the recorded cases); the judgement is made here only.

use std::path::{Component, Path, PathBuf};

/// kustomize's `--load-restrictor` values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LoadRestrictor {
    /// Files must resolve (symlinks followed) to a place under the generator's root.
    #[default]
    RootOnly,
    /// Any readable file may be named.
    None,
}

/// A path the restrictor refuses: where it resolves to, and the root it leaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outside {
    /// The path with every link resolved.
    pub real: PathBuf,
    /// The root with every link resolved.
    pub root: PathBuf,
}

/// Why a path could not be judged or was refused.
#[derive(Debug)]
pub enum Refused {
    /// The path resolves outside the root.
    Outside(Outside),
    /// The root or the path cannot be resolved (missing, a dangling or looping link).
    Unresolved(std::io::Error),
}

/// A directory as the restrictor sees it: `.` for the empty path (a root named by a file
/// in the working directory).
pub fn dir_or_dot(dir: &Path) -> &Path {
    if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    }
}

/// A directory with its symlinks resolved, as `std::fs::canonicalize` resolves it, remembered
/// for the run: generators share roots and their files share directories, and a directory
/// below one already resolved costs one `lstat` instead of a resolution of every component.
pub fn real_dir(dir: &Path) -> std::io::Result<PathBuf> {
    let dir = dir_or_dot(dir);
    remembered(dir, || match parent_and_name(dir) {
        Some((parent, name)) if std::fs::symlink_metadata(dir)?.is_dir() => {
            Ok(real_dir(parent)?.join(name))
        }
        _ => std::fs::canonicalize(dir),
    })
}

/// `path` with its symlinks resolved, as `std::fs::canonicalize` resolves it, remembered for
/// the run (a build meets a file of a shared base once for each overlay that reaches it): a
/// path whose last component is a name that is not itself a link is its [`real_dir`] parent
/// plus that name (one `lstat`), anything else is resolved whole.
pub fn real_path(path: &Path) -> std::io::Result<PathBuf> {
    let path = dir_or_dot(path);
    remembered(path, || match parent_and_name(path) {
        Some(_) => {
            let link = std::fs::symlink_metadata(path)?.file_type().is_symlink();
            real_path_of(path, link)
        }
        None => real_dir(path),
    })
}

/// What `resolve` gives for `path`, once a run: the run's inputs do not move under it. A path
/// that cannot be resolved is tried again when asked again.
fn remembered(
    path: &Path,
    resolve: impl FnOnce() -> std::io::Result<PathBuf>,
) -> std::io::Result<PathBuf> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static RESOLVED: OnceLock<Mutex<HashMap<PathBuf, PathBuf>>> = OnceLock::new();
    let cache = RESOLVED.get_or_init(Default::default);
    let lock = || cache.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(real) = lock().get(path) {
        return Ok(real.clone());
    }
    let real = resolve()?;
    lock().insert(path.to_path_buf(), real.clone());
    Ok(real)
}

/// [`real_path`] for a caller that has `lstat`ed `path` already: `link` is whether it is a
/// symlink itself.
pub fn real_path_of(path: &Path, link: bool) -> std::io::Result<PathBuf> {
    match parent_and_name(dir_or_dot(path)) {
        Some((parent, name)) if !link => Ok(real_dir(parent)?.join(name)),
        Some(_) => std::fs::canonicalize(path),
        None => real_dir(path),
    }
}

/// The parent and the name of a path that ends in a name: not `.`, `..` or a root, and not
/// `x/` or `x/.` either, whose `lstat` follows a link `x` (they name its target).
fn parent_and_name(path: &Path) -> Option<(&Path, &std::ffi::OsStr)> {
    let last_is_name = matches!(path.components().next_back(), Some(Component::Normal(_)));
    let (parent, name) = (path.parent()?, path.file_name()?);
    let ends_in_it = path
        .as_os_str()
        .as_encoded_bytes()
        .ends_with(name.as_encoded_bytes());
    (last_is_name && ends_in_it).then_some((parent, name))
}

/// [`real_path`], or `path` as given when it cannot be resolved (missing, a dangling link):
/// the form files are compared and remembered in.
pub fn real_or_given(path: &Path) -> PathBuf {
    real_path(path).unwrap_or_else(|_| dir_or_dot(path).to_path_buf())
}

impl LoadRestrictor {
    /// Whether the restrictor confines reads to a root.
    pub fn confines(self) -> bool {
        self == LoadRestrictor::RootOnly
    }

    /// The root with links resolved, when the restrictor confines to it (`None` when it
    /// does not, so that nothing is resolved for nothing).
    pub fn real_root(self, root: &Path) -> std::io::Result<Option<PathBuf>> {
        if !self.confines() {
            return Ok(None);
        }
        real_dir(root).map(Some)
    }

    /// The one judgement, on paths already resolved: `real` may be read from `real_root`.
    pub fn judge(real_root: &Path, real: &Path) -> Result<(), Outside> {
        if real.starts_with(real_root) {
            Ok(())
        } else {
            Err(Outside {
                real: real.to_path_buf(),
                root: real_root.to_path_buf(),
            })
        }
    }

    /// Whether `path` may be read from a kustomization or generator rooted at `root`: both
    /// resolved (links followed), then [`LoadRestrictor::judge`]d.
    pub fn check(self, root: &Path, path: &Path) -> Result<(), Refused> {
        let Some(real_root) = self.real_root(root).map_err(Refused::Unresolved)? else {
            return Ok(());
        };
        let real = real_path(path).map_err(Refused::Unresolved)?;
        Self::judge(&real_root, &real).map_err(Refused::Outside)
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests make fixtures directly
mod tests {
    use super::*;

    #[test]
    fn inside_outside_and_through_links() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("root");
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(root.join("sub/in.yaml"), "x").unwrap();
        std::fs::write(t.path().join("out.yaml"), "x").unwrap();
        std::os::unix::fs::symlink(t.path().join("out.yaml"), root.join("link.yaml")).unwrap();
        let r = LoadRestrictor::RootOnly;
        assert!(r.check(&root, &root.join("sub/in.yaml")).is_ok());
        assert!(r.check(&root, &root.join("sub/../sub/in.yaml")).is_ok());
        for outside in [root.join("../out.yaml"), root.join("link.yaml")] {
            match r.check(&root, &outside) {
                Err(Refused::Outside(o)) => {
                    assert!(o.real.ends_with("out.yaml"), "{o:?}");
                    assert!(o.root.ends_with("root"), "{o:?}");
                }
                other => panic!("{outside:?}: {other:?}"),
            }
        }
        assert!(matches!(
            r.check(&root, &root.join("missing")),
            Err(Refused::Unresolved(_))
        ));
        // Lifted: nothing is judged, not even a missing file.
        let none = LoadRestrictor::None;
        assert!(none.check(&root, &root.join("link.yaml")).is_ok());
        assert!(none.check(&root, &root.join("missing")).is_ok());
        assert_eq!(none.real_root(&root).unwrap(), None);
    }

    #[test]
    fn judge_compares_whole_components() {
        let root = Path::new("/a/root");
        assert!(LoadRestrictor::judge(root, Path::new("/a/root/f")).is_ok());
        assert!(LoadRestrictor::judge(root, Path::new("/a/rootless/f")).is_err());
        assert_eq!(dir_or_dot(Path::new("")), Path::new("."));
    }
}
