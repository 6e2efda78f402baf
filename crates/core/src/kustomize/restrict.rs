//! kustomize's load restrictor: the one rule for every file a kustomization or a generator
//! names (generator sources, `resources`, `generators` configs, patches, components).
//!
//! In: a root directory and a path under it. Out: whether the path, links resolved, stays
//! under the root, or where it resolves to instead. Each reader words its own refusal (the
//! messages are part of the recorded cases); the judgement is made here only.

use std::path::{Path, PathBuf};

use crate::gate::resolve::{real_dir, real_path, real_path_of};

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
        self.check_resolved(root, || real_path(path))
    }

    /// [`LoadRestrictor::check`] for a caller that has `lstat`ed `path`: `link` is whether
    /// it is a symlink itself (see [`real_path_of`]).
    pub fn check_lstated(self, root: &Path, path: &Path, link: bool) -> Result<(), Refused> {
        self.check_resolved(root, || real_path_of(path, link))
    }

    fn check_resolved(
        self,
        root: &Path,
        real: impl FnOnce() -> std::io::Result<PathBuf>,
    ) -> Result<(), Refused> {
        let Some(real_root) = self.real_root(root).map_err(Refused::Unresolved)? else {
            return Ok(());
        };
        let real = real().map_err(Refused::Unresolved)?;
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
        assert_eq!(
            crate::gate::resolve::dir_or_dot(Path::new("")),
            Path::new(".")
        );
    }
}
