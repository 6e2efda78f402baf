//! The one writer of files: every file secretgen writes goes through a [`Batch`].
//!
//! In: files (path, bytes, mode), optionally confined to a directory ([`Confined`]). Out:
//! all of them in place or none: each is staged in full in a temporary file beside its place
//! (created 0600, synced, then given its mode), and only when every one is staged are they
//! renamed into place; a failure removes the temporary files and the directories the batch
//! made, puts back what it had replaced, and says that nothing was changed. A confined path
//! never passes through a symbolic link inside its directory: one is refused, named.

// This module is the one writer: its renames, copies and directory syncs are the rule itself.
#![allow(clippy::disallowed_methods)]

use std::io::Write;
#[cfg(unix)]
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

use zeroize::Zeroizing;

/// Why a write was refused or failed. Every message of a failed batch says that nothing was
/// changed.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// A symbolic link inside the directory writes are confined to.
    #[error(
        "{}: is a symbolic link inside `{}`; secretgen does not follow links inside a directory it writes to (remove the link, or name its target directly)",
        shown(link),
        shown(dir)
    )]
    Symlink { link: PathBuf, dir: PathBuf },
    /// A path that would leave the directory writes are confined to.
    #[error(
        "{}: is outside `{}`; files are written only under it",
        shown(path),
        shown(dir)
    )]
    Outside { path: PathBuf, dir: PathBuf },
    /// Something other than a regular file (or a directory where one is needed) in the way.
    #[error("{}: {what}; nothing was changed", shown(path))]
    InTheWay { path: PathBuf, what: &'static str },
    /// A file that must be new exists already.
    #[error("{}: {what}; nothing was changed", shown(path))]
    Exists { path: PathBuf, what: &'static str },
    /// An I/O failure while staging or committing.
    #[error(
        "{}: {action}: {}; nothing was changed",
        shown(path),
        crate::place::io_reason(source)
    )]
    Io {
        path: PathBuf,
        action: &'static str,
        #[source]
        source: std::io::Error,
    },
}

fn shown(p: &Path) -> String {
    crate::place::shown_path(p)
}

fn io(path: &Path, action: &'static str, source: std::io::Error) -> WriteError {
    WriteError::Io {
        path: path.to_path_buf(),
        action,
        source,
    }
}

/// A directory that files are written under. The directory itself may be a symbolic link
/// the user named (resolved once, here); nothing inside it is followed.
#[derive(Debug, Clone)]
pub struct Confined {
    /// As the user named it, for messages and the paths handed back.
    named: PathBuf,
}

impl Confined {
    /// `dir`, which need not exist yet (a batch creates it, 0700).
    pub fn new(dir: &Path) -> Confined {
        Confined {
            named: dir.to_path_buf(),
        }
    }

    /// The directory as named.
    pub fn dir(&self) -> &Path {
        &self.named
    }

    /// `rel` under the directory, proven not to leave it: only plain components, and no
    /// existing component a symbolic link (the last one included) or, but for the last,
    /// anything but a directory. Components that do not exist yet are fine: a batch makes
    /// them as directories of its own.
    pub fn path(&self, rel: &Path) -> Result<PathBuf, WriteError> {
        let outside = || WriteError::Outside {
            path: self.named.join(rel),
            dir: self.named.clone(),
        };
        let parts: Vec<&std::ffi::OsStr> = rel
            .components()
            .map(|c| match c {
                Component::Normal(p) => Ok(p),
                _ => Err(outside()),
            })
            .collect::<Result<_, _>>()?;
        if parts.is_empty() {
            return Err(outside());
        }
        let mut path = self.named.clone();
        for (i, part) in parts.iter().enumerate() {
            path.push(part);
            let meta = match path.symlink_metadata() {
                Ok(m) => m,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    // Nothing below a missing directory exists either.
                    for rest in &parts[i + 1..] {
                        path.push(rest);
                    }
                    return Ok(path);
                }
                Err(e) => return Err(io(&path, "cannot inspect", e)),
            };
            if meta.file_type().is_symlink() {
                return Err(WriteError::Symlink {
                    link: path,
                    dir: self.named.clone(),
                });
            }
            if i + 1 < parts.len() && !meta.is_dir() {
                return Err(WriteError::InTheWay {
                    path,
                    what: "is not a directory, and a file is to be written under it",
                });
            }
        }
        Ok(path)
    }

    /// The file `path` (as a kustomization names it, possibly through links) proven to be
    /// inside the directory once every link is resolved, as the load restrictor reads it:
    /// the resolved path, under the directory's own resolved path. For a file that exists.
    pub fn resolve_existing(&self, path: &Path) -> Result<PathBuf, WriteError> {
        let named = if self.named.as_os_str().is_empty() {
            Path::new(".")
        } else {
            &self.named
        };
        // Resolved now, not through `gate::resolve`'s remembered answers: a write is judged on
        // the directory as it is when written.
        let root = named
            .canonicalize()
            .map_err(|e| io(&self.named, "cannot resolve", e))?;
        let real = path
            .canonicalize()
            .map_err(|e| io(path, "cannot resolve", e))?;
        let Ok(rel) = real.strip_prefix(&root) else {
            return Err(WriteError::Outside {
                path: path.to_path_buf(),
                dir: self.named.clone(),
            });
        };
        Confined::new(&root).path(rel)
    }
}

/// Whether a file may replace one that is there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replace {
    /// An existing regular file is replaced.
    Yes,
    /// The file must not exist (an identity is never overwritten): checked before staging,
    /// and again, atomically, as it is put in place.
    Never,
}

/// What a file is made of.
enum Content {
    Bytes(Zeroizing<Vec<u8>>),
    /// A copy of another file (a binary being installed), streamed.
    CopyOf(PathBuf),
    /// A symbolic link to this target (an installed plugin); it replaces a link or file.
    Link(PathBuf),
}

struct Planned {
    path: PathBuf,
    content: Content,
    mode: u32,
    replace: Replace,
}

/// Files written all together or not at all.
#[derive(Default)]
pub struct Batch {
    files: Vec<Planned>,
}

/// A file staged beside its place, not yet renamed.
struct Staged {
    tmp: tempfile::TempPath,
    path: PathBuf,
    replace: Replace,
}

/// What a commit did so far, undone on failure.
#[derive(Default)]
struct Undo {
    /// Directories the batch made, outermost first.
    dirs: Vec<PathBuf>,
    /// Files put in place: the path and, when it replaced one, a link to the old file.
    placed: Vec<(PathBuf, Option<tempfile::TempPath>)>,
}

impl Undo {
    fn run(self) {
        for (path, old) in self.placed.into_iter().rev() {
            match old {
                Some(old) => {
                    let _ = old.persist(&path);
                }
                None => {
                    let _ = std::fs::remove_file(&path);
                }
            }
        }
        for d in self.dirs.iter().rev() {
            let _ = std::fs::remove_dir(d);
        }
    }
}

impl Batch {
    pub fn new() -> Batch {
        Batch::default()
    }

    /// Adds a file to write at `path` with `mode` (0600 for anything secret). A path added
    /// twice keeps its last contents.
    pub fn add(&mut self, path: PathBuf, bytes: &[u8], mode: u32, replace: Replace) {
        self.push(Planned {
            path,
            content: Content::Bytes(Zeroizing::new(bytes.to_vec())),
            mode,
            replace,
        });
    }

    /// Adds a copy of the file `from` at `path` with `mode`, replacing what is there.
    pub fn add_copy(&mut self, path: PathBuf, from: &Path, mode: u32) {
        self.push(Planned {
            path,
            content: Content::CopyOf(from.to_path_buf()),
            mode,
            replace: Replace::Yes,
        });
    }

    /// Adds a symbolic link at `path` to `target`, replacing a link or file that is there.
    pub fn add_link(&mut self, path: PathBuf, target: &Path) {
        self.push(Planned {
            path,
            content: Content::Link(target.to_path_buf()),
            mode: 0o777,
            replace: Replace::Yes,
        });
    }

    fn push(&mut self, f: Planned) {
        self.files.retain(|g| g.path != f.path);
        self.files.push(f);
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Writes every file, or none: the paths written, in the order added.
    pub fn commit(self) -> Result<Vec<PathBuf>, WriteError> {
        let mut undo = Undo::default();
        let mut staged = Vec::with_capacity(self.files.len());
        for f in &self.files {
            match stage(f, &mut undo) {
                Ok(s) => staged.push(s),
                Err(e) => {
                    drop(staged); // removes every temporary file
                    undo.run();
                    return Err(e);
                }
            }
        }
        let mut written = Vec::with_capacity(staged.len());
        for s in staged.into_iter() {
            if let Err(e) = place(s, &mut undo, &mut written) {
                undo.run();
                return Err(e);
            }
        }
        for (path, _) in &undo.placed {
            sync_parent(path);
        }
        // Success: the links to the replaced files go (dropping them removes them).
        drop(undo);
        Ok(written)
    }
}

/// One file written as a batch of one: in full or not at all.
pub fn one(path: &Path, bytes: &[u8], mode: u32, replace: Replace) -> Result<(), WriteError> {
    let mut batch = Batch::new();
    batch.add(path.to_path_buf(), bytes, mode, replace);
    batch.commit().map(drop)
}

/// The permission bits of an existing file (to write its replacement with the same).
pub fn mode_of(path: &Path) -> std::io::Result<u32> {
    std::fs::metadata(path).map(|m| m.permissions().mode() & 0o7777)
}

/// Why a [`PrivateDir`] step failed: the path, what was being done, and the I/O error.
#[derive(Debug)]
pub struct PrivateError {
    pub path: PathBuf,
    pub action: &'static str,
    pub source: std::io::Error,
}

/// A directory only the user can enter (0700) under the temporary directory, for plaintext
/// that must touch the disk (a copy for an editor). Its files are created 0600, never over
/// one that exists; when it goes ([`PrivateDir::remove`], or dropped on any other way out),
/// every file left in it (the copy, an editor's backups and swap files) is overwritten with
/// zeros, then the directory is removed.
pub struct PrivateDir {
    dir: Option<tempfile::TempDir>,
}

impl PrivateDir {
    /// A new private directory, its name starting with `prefix`.
    pub fn new(prefix: &str) -> Result<PrivateDir, PrivateError> {
        let dir = tempfile::Builder::new()
            .prefix(prefix)
            .tempdir()
            .map_err(|source| PrivateError {
                path: std::env::temp_dir(),
                action: "cannot create a temporary directory",
                source,
            })?;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).map_err(
            |source| PrivateError {
                path: dir.path().to_path_buf(),
                action: "cannot restrict",
                source,
            },
        )?;
        Ok(PrivateDir { dir: Some(dir) })
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        self.dir.as_ref().map_or(Path::new(""), |d| d.path())
    }

    /// Writes `bytes` to a new file `name` in it, mode 0600.
    pub fn write_new(&self, name: &str, bytes: &[u8]) -> Result<PathBuf, PrivateError> {
        use std::os::unix::fs::OpenOptionsExt;
        let path = self.path().join(name);
        let failed = |action| {
            let path = path.clone();
            move |source| PrivateError {
                path,
                action,
                source,
            }
        };
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(failed("cannot create"))?;
        f.write_all(bytes)
            .and_then(|_| f.flush())
            .map_err(failed("cannot write"))?;
        Ok(path)
    }

    /// Overwrites every file in it with zeros, then removes it.
    pub fn remove(mut self) {
        self.scrub();
    }

    fn scrub(&mut self) {
        let Some(dir) = self.dir.take() else { return };
        for entry in walkdir::WalkDir::new(dir.path()).into_iter().flatten() {
            if entry.file_type().is_file()
                && let Ok(len) = entry.metadata().map(|m| m.len())
                && let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(entry.path())
            {
                let _ = f.write_all(&vec![0u8; len as usize]);
                let _ = f.sync_all();
            }
        }
        let path = dir.path().to_path_buf();
        if dir.close().is_err() {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        self.scrub();
    }
}

/// Stages one file: its missing directories made (0700), its contents in a temporary file
/// beside it.
fn stage(f: &Planned, undo: &mut Undo) -> Result<Staged, WriteError> {
    let link = matches!(f.content, Content::Link(_));
    match f.path.symlink_metadata() {
        Ok(m) if link && (m.file_type().is_symlink() || m.is_file()) => {}
        Ok(m) if m.file_type().is_symlink() => {
            return Err(WriteError::InTheWay {
                path: f.path.clone(),
                what: "is a symbolic link, which is never written through",
            });
        }
        Ok(m) if !m.is_file() => {
            return Err(WriteError::InTheWay {
                path: f.path.clone(),
                what: "is not a regular file",
            });
        }
        Ok(_) if f.replace == Replace::Never => {
            return Err(WriteError::Exists {
                path: f.path.clone(),
                what: "exists already and is never overwritten",
            });
        }
        _ => {}
    }
    let dir = match f.path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let missing: Vec<&Path> = dir
        .ancestors()
        .filter(|d| !d.as_os_str().is_empty())
        .take_while(|d| d.symlink_metadata().is_err())
        .collect();
    for d in missing.into_iter().rev() {
        let mut b = std::fs::DirBuilder::new();
        #[cfg(unix)]
        b.mode(0o700);
        b.create(d)
            .map_err(|e| io(d, "cannot create directory", e))?;
        // The mode asked for, whatever the umask.
        #[cfg(unix)]
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| io(d, "cannot set mode of", e))?;
        undo.dirs.push(d.to_path_buf());
    }
    let mut builder = tempfile::Builder::new();
    builder.prefix(".secretgen-").suffix(".tmp");
    #[cfg(unix)]
    builder.permissions(std::fs::Permissions::from_mode(0o600));
    let mut tmp = builder
        .tempfile_in(dir)
        .map_err(|e| io(dir, "cannot create a temporary file in", e))?;
    let written = match &f.content {
        Content::Bytes(bytes) => tmp.write_all(bytes),
        Content::CopyOf(from) => std::fs::File::open(from)
            .and_then(|mut src| std::io::copy(&mut src, tmp.as_file_mut()))
            .map(drop),
        Content::Link(target) => {
            // The fresh name the temporary file reserved, now the link's.
            let tmp = tmp.into_temp_path();
            std::fs::remove_file(&tmp).map_err(|e| io(&tmp, "cannot remove", e))?;
            #[cfg(unix)]
            std::os::unix::fs::symlink(target, &tmp)
                .map_err(|e| io(&f.path, "cannot create symlink", e))?;
            #[cfg(not(unix))]
            std::fs::copy(target, &tmp).map_err(|e| io(&f.path, "cannot copy the binary to", e))?;
            return Ok(Staged {
                tmp,
                path: f.path.clone(),
                replace: f.replace,
            });
        }
    };
    written
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(|e| io(&f.path, "cannot write", e))?;
    // The permissions set at creation are subject to nothing but this explicit mode.
    #[cfg(unix)]
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(f.mode))
        .map_err(|e| io(&f.path, "cannot set mode of", e))?;
    Ok(Staged {
        tmp: tmp.into_temp_path(),
        path: f.path.clone(),
        replace: f.replace,
    })
}

/// Puts one staged file in place, keeping a link to the file it replaces for the undo.
fn place(s: Staged, undo: &mut Undo, written: &mut Vec<PathBuf>) -> Result<(), WriteError> {
    match s.replace {
        Replace::Never => {
            // Put in place only if nothing is there (an atomic no-replace rename, or a link
            // where the system has none): no window in which a file is overwritten.
            s.tmp.persist_noclobber(&s.path).map_err(|e| {
                if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                    WriteError::Exists {
                        path: s.path.clone(),
                        what: "exists already and is never overwritten",
                    }
                } else {
                    io(&s.path, "cannot put in place", e.error)
                }
            })?;
            undo.placed.push((s.path.clone(), None));
            written.push(s.path);
        }
        Replace::Yes => {
            let old = keep_old(&s.path)?;
            s.tmp
                .persist(&s.path)
                .map_err(|e| io(&s.path, "cannot rename into place", e.error))?;
            undo.placed.push((s.path.clone(), old));
            written.push(s.path);
        }
    }
    Ok(())
}

/// A second name for the file at `path`, if there is one, beside it: the undo renames it
/// back; success drops (removes) it.
fn keep_old(path: &Path) -> Result<Option<tempfile::TempPath>, WriteError> {
    if path.symlink_metadata().is_err() {
        return Ok(None);
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    // A fresh name, then the old file linked to it.
    let name = tempfile::Builder::new()
        .prefix(".secretgen-old-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| io(dir, "cannot create a temporary file in", e))?
        .into_temp_path();
    let link = name.to_path_buf();
    std::fs::remove_file(&link).map_err(|e| io(&link, "cannot remove", e))?;
    // A second link costs nothing; where the file system has none, a copy.
    std::fs::hard_link(path, &link)
        .or_else(|_| std::fs::copy(path, &link).map(drop))
        .map_err(|e| io(path, "cannot keep a copy of", e))?;
    Ok(Some(name))
}

/// The directory entry of a renamed file made durable (best effort: not every file system
/// syncs directories).
fn sync_parent(path: &Path) {
    if let Some(d) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && let Ok(f) = std::fs::File::open(d)
    {
        let _ = f.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confined_paths_refuse_links_and_parents() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("out");
        std::fs::create_dir_all(d.join("ns")).unwrap();
        std::os::unix::fs::symlink(t.path(), d.join("prod")).unwrap();
        let c = Confined::new(&d);
        assert_eq!(c.path(Path::new("ns/a.yaml")).unwrap(), d.join("ns/a.yaml"));
        assert_eq!(
            c.path(Path::new("new/a.yaml")).unwrap(),
            d.join("new/a.yaml")
        );
        assert!(matches!(
            c.path(Path::new("prod/a.yaml")),
            Err(WriteError::Symlink { .. })
        ));
        for bad in ["../a.yaml", "/etc/a.yaml", "ns/../../a.yaml", ""] {
            assert!(
                matches!(c.path(Path::new(bad)), Err(WriteError::Outside { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_failing_file_leaves_everything_as_it_was() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        std::fs::write(d.join("a"), "old a").unwrap();
        std::fs::create_dir(d.join("b")).unwrap();
        let mut batch = Batch::new();
        batch.add(d.join("a"), b"new a", 0o600, Replace::Yes);
        batch.add(d.join("sub/c"), b"new c", 0o600, Replace::Yes);
        batch.add(d.join("b"), b"new b", 0o600, Replace::Yes);
        let err = batch.commit().unwrap_err().to_string();
        assert!(err.contains("nothing was changed"), "{err}");
        assert_eq!(std::fs::read(d.join("a")).unwrap(), b"old a");
        let mut names: Vec<_> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        assert_eq!(names, ["a", "b"]);
    }

    #[test]
    fn a_failed_rename_puts_back_what_was_replaced() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        std::fs::write(d.join("a"), "old a").unwrap();
        let mut undo = Undo::default();
        let mut written = Vec::new();
        let f = Planned {
            path: d.join("a"),
            content: Content::Bytes(Zeroizing::new(b"new a".to_vec())),
            mode: 0o600,
            replace: Replace::Yes,
        };
        let s = stage(&f, &mut undo).unwrap();
        place(s, &mut undo, &mut written).unwrap();
        assert_eq!(std::fs::read(d.join("a")).unwrap(), b"new a");
        undo.run();
        assert_eq!(std::fs::read(d.join("a")).unwrap(), b"old a");
        assert_eq!(std::fs::read_dir(d).unwrap().count(), 1);
    }

    #[test]
    fn never_replace_refuses_an_existing_file_and_modes_are_exact() {
        use std::os::unix::fs::MetadataExt;
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        std::fs::write(d.join("key"), "mine").unwrap();
        let mut batch = Batch::new();
        batch.add(d.join("key"), b"new", 0o600, Replace::Never);
        assert!(matches!(batch.commit(), Err(WriteError::Exists { .. })));
        assert_eq!(std::fs::read(d.join("key")).unwrap(), b"mine");
        let mut batch = Batch::new();
        batch.add(d.join("dir/key2"), b"new", 0o640, Replace::Never);
        batch.commit().unwrap();
        assert_eq!(
            std::fs::metadata(d.join("dir/key2")).unwrap().mode() & 0o777,
            0o640
        );
        assert_eq!(
            std::fs::metadata(d.join("dir")).unwrap().mode() & 0o777,
            0o700
        );
        assert_eq!(std::fs::read_dir(d.join("dir")).unwrap().count(), 1);
    }
}
