//! Reading sources: a generator's root and the load restrictor that guards it, and the files
//! a kustomization names itself. Every source is read through the gate's reader
//! ([`crate::gate::read`]: no FIFO, socket or device; nothing larger than a Secret can hold).

use std::fs::Metadata;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::settings::{LoadRestrictor, MAX_ENCRYPTED_FILE, MAX_SECRET_BYTES, Mode, PLACEHOLDER};
use super::{Decrypt, Enc};
use crate::error::{Error, Loc, Result};
use crate::gate::read::{self, ReadFailure};
use crate::kustomize::{EntryAction, EntryReason, Error as KError, source};
use crate::secret::SecretBytes;

/// A source as read: one file, or a directory expanded.
pub(super) enum Input {
    File {
        bytes: SecretBytes,
        enc: Enc,
        path: PathBuf,
    },
    /// A directory expanded: (file name, bytes, where from) in name order.
    Dir(Vec<(String, SecretBytes, Enc)>),
}

/// A generator's root directory and the load restrictor that guards it.
pub(super) struct Root {
    dir: PathBuf,
    /// The root with symlinks resolved, when the restrictor applies.
    real: Option<PathBuf>,
    /// A directory, as named, that resolved inside `real`: its files are inside too (a file
    /// name adds a component), so the next file there is not resolved and judged again.
    inside: std::sync::OnceLock<PathBuf>,
    /// `--placeholder` is in force.
    placeholder: bool,
    /// How to lift the restrictor where this run was started (see [`restrictor_advice`]).
    advice: &'static str,
}

impl Root {
    pub(super) fn new(
        dir: &Path,
        restrictor: LoadRestrictor,
        placeholder: bool,
        mode: Mode,
    ) -> Result<Root> {
        let real = restrictor
            .real_root(dir)
            .map_err(|e| Error::io(dir, "cannot resolve the generator's directory", e))?;
        Ok(Root {
            dir: dir.to_path_buf(),
            real,
            inside: std::sync::OnceLock::new(),
            placeholder,
            advice: restrictor_advice(mode),
        })
    }

    /// Reads a `files` or `envs` entry: a local file, under the root where the restrictor
    /// applies; a directory only with `expand_dirs`.
    pub(super) fn read_file(
        &self,
        entry: &str,
        loc: &Loc,
        keys: &dyn Decrypt,
        expand_dirs: bool,
    ) -> Result<Input> {
        if entry.starts_with("http://") || entry.starts_with("https://") {
            return Err(KError::entry(loc, entry, EntryReason::Url).into());
        }
        // kustomize joins the entry to the root with `filepath.Join`, which cleans it
        // lexically: `missing/../f.txt` and `f.txt/` name `f.txt`, and `link/../f` names
        // `./f` even where `link` points elsewhere. The load restrictor then judges the
        // cleaned path.
        let cleaned = source::clean_slash_path(entry);
        let path = if self.dir == Path::new(".") || cleaned.starts_with('/') {
            PathBuf::from(&cleaned)
        } else {
            self.dir.join(&cleaned)
        };
        if let Some(input) = self.read_plain_file(&path, entry, loc, keys)? {
            return Ok(input);
        }
        let cannot_read = |source: std::io::Error| {
            KError::entry(
                loc,
                entry,
                EntryReason::Io {
                    action: EntryAction::Read,
                    source,
                },
            )
        };
        let meta = std::fs::symlink_metadata(&path).map_err(cannot_read)?;
        self.check_inside(entry, &path, &meta, loc)?;
        // The link's own metadata is the file's unless it is a symlink.
        let meta = if meta.file_type().is_symlink() {
            std::fs::metadata(&path).map_err(cannot_read)?
        } else {
            meta
        };
        if meta.is_dir() {
            if !expand_dirs {
                return Err(KError::entry(loc, entry, EntryReason::Directory).into());
            }
            return self.read_dir(&path, entry, loc, keys);
        }
        let (bytes, enc) = read_source(&path, entry, &meta, loc, keys, self.placeholder)?;
        Ok(Input::File { bytes, enc, path })
    }

    /// The common case in one look: a regular file, not a link, in a directory the restrictor
    /// allows, judged before it is opened (its directory) and once opened (its own metadata).
    /// `None` for everything else, which [`Root::read_file`] looks at in full and names.
    fn read_plain_file(
        &self,
        path: &Path,
        entry: &str,
        loc: &Loc,
        keys: &dyn Decrypt,
    ) -> Result<Option<Input>> {
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            return Ok(None);
        };
        // Only a path that ends in the file's own name (`f/.` does not).
        if !path
            .as_os_str()
            .as_encoded_bytes()
            .ends_with(name.as_encoded_bytes())
        {
            return Ok(None);
        }
        if let Some(real_root) = &self.real
            && self.inside.get().map(PathBuf::as_path) != Some(parent)
        {
            let Ok(dir) = crate::gate::resolve::real_dir(parent) else {
                return Ok(None);
            };
            if LoadRestrictor::judge(real_root, &dir).is_ok() {
                let _ = self.inside.set(parent.to_path_buf());
            } else if LoadRestrictor::judge(real_root, &dir.join(name)).is_err() {
                return Ok(None);
            }
        }
        let Some((file, meta)) = read::open_unless_link(path) else {
            return Ok(None);
        };
        if !meta.is_file() {
            return Ok(None);
        }
        let buf = read::opened_file(file, &meta, MAX_ENCRYPTED_FILE)
            .map_err(|f| KError::entry(loc, entry, EntryReason::Read(f)))?;
        let (bytes, enc) = open_source(path, entry, buf, loc, keys, self.placeholder)?;
        Ok(Some(Input::File {
            bytes,
            enc,
            path: path.to_path_buf(),
        }))
    }

    /// The load restrictor: `path` (whose own metadata, symlink or not, is `meta`) must
    /// resolve to a place under the root.
    fn check_inside(&self, entry: &str, path: &Path, meta: &Metadata, loc: &Loc) -> Result<()> {
        let Some(real_root) = &self.real else {
            return Ok(());
        };
        let real = self.resolve(path, meta).map_err(|source| {
            KError::entry(
                loc,
                entry,
                EntryReason::Io {
                    action: EntryAction::Resolve,
                    source,
                },
            )
        })?;
        if LoadRestrictor::judge(real_root, &real).is_ok() {
            return Ok(());
        }
        Err(
            crate::kustomize::Error::OutsideRoot(Box::new(crate::kustomize::error::OutsideRoot {
                loc: loc.clone(),
                entry: entry.to_string(),
                via_symlink: meta.file_type().is_symlink(),
                real,
                root: real_root.clone(),
                advice: self.advice,
            }))
            .into(),
        )
    }

    /// `path` with symlinks resolved. A file that is not itself a symlink resolves to its
    /// resolved directory plus its name, and files share directories: each directory is
    /// resolved once a run ([`real_dir`](crate::gate::resolve::real_dir)).
    fn resolve(&self, path: &Path, meta: &std::fs::Metadata) -> std::io::Result<PathBuf> {
        crate::gate::resolve::real_path_of(path, meta.file_type().is_symlink())
    }

    /// A directory named in `files`: each of its [`read::dir_files`], read and decrypted.
    fn read_dir(&self, dir: &Path, entry: &str, loc: &Loc, keys: &dyn Decrypt) -> Result<Input> {
        let names = read::dir_files(dir).map_err(|source| {
            KError::entry(
                loc,
                entry,
                EntryReason::Io {
                    action: EntryAction::List,
                    source,
                },
            )
        })?;
        // Every name is checked before any file is read.
        let names = names
            .into_iter()
            .map(|n| {
                n.into_string().map_err(|n| {
                    Error::from(KError::entry(
                        loc,
                        entry,
                        EntryReason::NameNotUtf8(n.to_string_lossy().into_owned()),
                    ))
                })
            })
            .collect::<Result<Vec<String>>>()?;
        let mut files = Vec::with_capacity(names.len());
        for name in names {
            let shown = format!("{}/{}", entry.trim_end_matches('/'), name);
            let buf = read::dir_file(dir, name.as_ref(), MAX_ENCRYPTED_FILE)
                .map_err(|f| KError::entry(loc, &shown, EntryReason::Read(f)))?;
            let (bytes, enc) =
                open_source(&dir.join(&name), &shown, buf, loc, keys, self.placeholder)?;
            files.push((name, bytes, enc));
        }
        Ok(Input::Dir(files))
    }
}

/// How to lift the load restrictor, said where the user can do it: on secretgen's command
/// line, or, inside kustomize (which passes no flag of its own to an exec plugin), through
/// the environment kustomize runs the plugin in.
fn restrictor_advice(mode: Mode) -> &'static str {
    match mode {
        Mode::Render | Mode::Build => "--load-restrictor LoadRestrictionsNone lifts it",
        Mode::Plugin => {
            "inside kustomize, which does not pass its --load-restrictor to exec plugins, move the file under the kustomization's directory or set SECRETGEN_LOAD_RESTRICTOR=LoadRestrictionsNone in kustomize's environment"
        }
    }
}

/// Reads one source file, refusing anything but a regular file and anything larger than a
/// Secret can hold before reading it, and decrypting age content.
fn read_source(
    path: &Path,
    shown: &str,
    meta: &Metadata,
    loc: &Loc,
    keys: &dyn Decrypt,
    placeholder: bool,
) -> Result<(SecretBytes, Enc)> {
    let buf = read::file_with(path, meta, MAX_ENCRYPTED_FILE)
        .map_err(|f| KError::entry(loc, shown, EntryReason::Read(f)))?;
    open_source(path, shown, buf, loc, keys, placeholder)
}

/// A source's bytes as the Secret holds them: decrypted when encrypted (a placeholder
/// standing in under `--placeholder`), within the Secret size limit.
fn open_source(
    path: &Path,
    shown: &str,
    mut buf: Zeroizing<Vec<u8>>,
    loc: &Loc,
    keys: &dyn Decrypt,
    placeholder: bool,
) -> Result<(SecretBytes, Enc)> {
    if keys.is_encrypted(&buf) {
        let plain = match keys.open(path, &buf) {
            Ok(plain) => plain,
            Err(f) if f.missing_key() && placeholder => {
                return Ok((SecretBytes::from_slice(PLACEHOLDER), Enc::Placeholder));
            }
            Err(f) => return Err(f.at(loc.clone())),
        };
        if plain.len() as u64 > MAX_SECRET_BYTES {
            return Err(too_large(loc, shown, plain.len() as u64));
        }
        return Ok((plain, Enc::Decrypted));
    }
    if buf.len() as u64 > MAX_SECRET_BYTES {
        return Err(too_large(loc, shown, buf.len() as u64));
    }
    Ok((SecretBytes::new(std::mem::take(&mut *buf)), Enc::Plain))
}

fn too_large(loc: &Loc, shown: &str, size: u64) -> Error {
    let failure = ReadFailure::TooLarge {
        size,
        limit: MAX_SECRET_BYTES,
        exact: true,
        settable: false,
    };
    KError::entry(loc, shown, EntryReason::Read(failure)).into()
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests make fixtures directly
mod tests {
    use super::*;
    use crate::render::NoKeys;

    /// A tree with `root/in/a` and `outside/secret`; the root restricted, and where its
    /// generator manifest would be.
    fn root_and_outside() -> (tempfile::TempDir, PathBuf, PathBuf, Root, Loc) {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("root");
        let outside = t.path().join("outside");
        std::fs::create_dir_all(root.join("in")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("secret"), "x").unwrap();
        std::fs::write(root.join("in/a"), "a").unwrap();
        let r = Root::new(&root, LoadRestrictor::RootOnly, false, Mode::Render).unwrap();
        let loc = Loc::file(root.join("secretgen.yaml"));
        (t, root, outside, r, loc)
    }

    fn assert_refused_outside(r: &Root, entry: &str, loc: &Loc) {
        let err = match r.read_file(entry, loc, &NoKeys, true) {
            Ok(_) => panic!("`{entry}` was read from outside the root"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains("outside the root"), "{entry}: {err}");
    }

    /// The per-directory resolution cache must not let a symlinked directory out of the root
    /// when it is named with a trailing `/` or `/.` (lstat follows the link then).
    #[cfg(unix)]
    #[test]
    fn restrictor_resolves_links_named_with_a_trailing_slash() {
        let (_t, root, outside, r, loc) = root_and_outside();
        std::os::unix::fs::symlink(&outside, root.join("link")).unwrap();
        for entry in ["link", "link/", "link/.", "in/../link/", "link/secret"] {
            assert_refused_outside(&r, entry, &loc);
        }
        // Files inside still read, before and after a cached directory.
        for entry in ["in/a", "in/", "in/.", "in/a"] {
            assert!(r.read_file(entry, &loc, &NoKeys, true).is_ok(), "{entry}");
        }
    }

    /// A directory found inside the root is remembered for its next files, but what each
    /// file is still decides: after `in/a` was read, a link `in/out` to a file outside, a
    /// link `in/up` to a directory outside and `in/../../outside/secret` are refused as
    /// before, a link `in/b` to a file inside is read; the same in the root itself.
    #[cfg(unix)]
    #[test]
    fn a_directory_judged_inside_does_not_let_its_links_out() {
        let (_t, root, outside, _, loc) = root_and_outside();
        std::fs::write(root.join("top"), "t").unwrap();
        for dir in [root.join("in"), root.clone()] {
            std::os::unix::fs::symlink(outside.join("secret"), dir.join("out")).unwrap();
            std::os::unix::fs::symlink(&outside, dir.join("up")).unwrap();
            std::os::unix::fs::symlink(root.join("in/a"), dir.join("b")).unwrap();
        }
        for (first, dir) in [("in/a", "in/"), ("top", "")] {
            let r = Root::new(&root, LoadRestrictor::RootOnly, false, Mode::Render).unwrap();
            assert!(r.read_file(first, &loc, &NoKeys, false).is_ok(), "{first}");
            assert!(
                r.inside.get().is_some(),
                "{first}: its directory is remembered"
            );
            for name in ["out", "up/secret", "up", "../outside/secret"] {
                let entry = if name.starts_with("..") && !dir.is_empty() {
                    format!("{dir}../{name}")
                } else {
                    format!("{dir}{name}")
                };
                assert_refused_outside(&r, &entry, &loc);
            }
            let entry = format!("{dir}b");
            match r.read_file(&entry, &loc, &NoKeys, false) {
                Ok(Input::File { bytes, .. }) => assert_eq!(bytes.expose(), b"a", "{entry}"),
                _ => panic!("`{entry}` (a link inside) was not read"),
            }
        }
    }
}
