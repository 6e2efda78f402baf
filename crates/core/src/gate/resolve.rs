//! The one resolver of a path's symbolic links: every name an input gives becomes a real
//! path here, as `std::fs::canonicalize` makes it, and each answer is remembered for the run
//! (a build meets the files of a shared base once for each overlay, and the generators of a
//! directory share it). The load restrictor judges what this returns
//! (`kustomize::restrict`); nothing else resolves an input's path.
//!
//! glibc's `realpath` reads every component of a path as a link (`readlink` each, and
//! `getcwd` for a relative one); here a path whose last component is not a link costs one
//! `lstat` below a directory already resolved.

// The one place `canonicalize` is called (clippy.toml).
#![allow(clippy::disallowed_methods)]

use std::path::{Component, Path, PathBuf};

/// A directory as a path is read from: `.` for the empty path (a file named in the working
/// directory).
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
            resolve_lstated(path, link)
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
/// symlink itself. Remembered as [`real_path`]'s answers are.
pub fn real_path_of(path: &Path, link: bool) -> std::io::Result<PathBuf> {
    let path = dir_or_dot(path);
    remembered(path, || resolve_lstated(path, link))
}

fn resolve_lstated(path: &Path, link: bool) -> std::io::Result<PathBuf> {
    match parent_and_name(path) {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every form of path an input may give resolves as `std::fs::canonicalize` resolves it,
    /// asked once or again: links to files and directories, a link's `..`, `x/` and `x/.`.
    #[test]
    fn resolves_as_canonicalize_does() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        std::fs::create_dir_all(d.join("a/b")).unwrap();
        std::fs::create_dir_all(d.join("elsewhere/deep")).unwrap();
        std::fs::write(d.join("a/b/f"), "x").unwrap();
        std::fs::write(d.join("elsewhere/g"), "x").unwrap();
        std::os::unix::fs::symlink(d.join("elsewhere/deep"), d.join("a/dirlink")).unwrap();
        std::os::unix::fs::symlink(d.join("elsewhere/g"), d.join("a/filelink")).unwrap();
        std::os::unix::fs::symlink("b", d.join("a/rel")).unwrap();
        let paths = [
            "a/b/f",
            "a/b",
            "a/b/",
            "a/b/.",
            "a/b/../b/f",
            "a/dirlink",
            "a/dirlink/",
            "a/dirlink/.",
            "a/dirlink/..",
            "a/dirlink/../g",
            "a/filelink",
            "a/rel/f",
            "a/rel",
            "a/./b//f",
        ];
        for p in paths {
            let path = d.join(p);
            let want = std::fs::canonicalize(&path).unwrap();
            for round in ["first", "again"] {
                assert_eq!(real_path(&path).unwrap(), want, "{p} ({round})");
            }
            assert_eq!(real_or_given(&path), want, "{p}");
        }
        for missing in ["a/none", "a/dirlink/none", "none/f"] {
            assert!(real_path(&d.join(missing)).is_err(), "{missing}");
            assert_eq!(real_or_given(&d.join(missing)), d.join(missing));
        }
        // A file's own metadata given: a link is resolved whole, anything else beside its
        // resolved directory.
        let link = d.join("a/filelink");
        assert_eq!(
            real_path_of(&link, true).unwrap(),
            std::fs::canonicalize(&link).unwrap()
        );
        assert_eq!(
            real_path_of(&d.join("a/rel/f"), false).unwrap(),
            std::fs::canonicalize(d.join("a/b/f")).unwrap()
        );
        assert_eq!(dir_or_dot(Path::new("")), Path::new("."));
    }
}
