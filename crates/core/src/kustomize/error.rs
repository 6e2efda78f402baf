//! The rules of the kustomize layer, broken: a manifest or kustomization that is
//! well-formed YAML but says something kustomize (or secretgen) refuses, and a source that
//! cannot be read or parsed. Each names its place; none holds a value.
//!
//! A path a message names is held as a path, never as text, so that the printer decides how
//! it is shown (the working tree's path, or `REV:path` for a revision's file).

use std::path::{Path, PathBuf};

use crate::gate::read::ReadFailure;
use crate::place::{IoError, Loc, PathView};

/// A rule of a manifest or a source, broken.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A manifest or kustomization that is well-formed YAML but breaks a rule.
    #[error("{loc}: {rule}")]
    Rule {
        loc: Loc,
        rule: Box<crate::kustomize::rule::Rule>,
    },
    /// A source entry (a generator's `files` or `envs` entry, as written) that cannot be read.
    #[error("{loc}: {}", reason.text(entry))]
    Entry {
        loc: Loc,
        entry: String,
        reason: EntryReason,
    },
    /// A file named by an input that the reader refused or could not read.
    #[error("{loc}: {}", failure.describe(&file.display().to_string()))]
    Unreadable {
        loc: Loc,
        file: PathBuf,
        failure: ReadFailure,
    },
    /// A generator's file that resolves outside its root (kustomize's load restrictor).
    #[error(transparent)]
    OutsideRoot(Box<OutsideRoot>),
    /// A kustomization's file (a patch, a generator's config) outside its directory.
    #[error(transparent)]
    OutsideDirectory(Box<OutsideDirectory>),
    /// A file a kustomization names that resolves (links followed) outside its directory.
    #[error(transparent)]
    ResolvesOutside(Box<ResolvesOutside>),
    /// A directory named as a base or component that holds no kustomization.
    #[error(
        "{loc}: `{}` holds no kustomization.yaml, kustomization.yml or Kustomization",
        dir.display()
    )]
    NoKustomization { loc: Loc, dir: PathBuf },
    /// A base at or above a root it comes from.
    #[error(
        "{loc}: cycle: `{}` contains `{}`, a kustomization that includes it (kustomize refuses a base at or above a root it comes from)",
        dir.display(),
        visited.display()
    )]
    Cycle {
        loc: Loc,
        dir: PathBuf,
        visited: PathBuf,
    },
    /// Kustomizations that include each other, in order, the first again at the end.
    #[error(
        "{loc}: cycle: these kustomizations include each other, so none of them is the top of a build: {} (kustomize refuses it: cycle detected)",
        files.iter().map(|f| format!("`{}`", f.display())).collect::<Vec<_>>().join(" -> ")
    )]
    IncludeCycle { loc: Loc, files: Vec<PathBuf> },
    /// A manifest or kustomization that is not YAML.
    #[error(transparent)]
    Yaml(#[from] crate::yaml::Error),
    /// A manifest or kustomization the system could not read.
    #[error(transparent)]
    Io(#[from] IoError),
    /// A manifest or kustomization the reader refused (not a regular file, too large).
    #[error(transparent)]
    Read(#[from] crate::gate::read::ReadError),
}

/// What this layer's readers return.
pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

/// A generator's file that resolves outside its root (kustomize's load restrictor).
#[derive(Debug, thiserror::Error)]
#[error(
    "{loc}: `{entry}` resolves{} to `{}`, outside the root `{}`; files must stay under the generator's directory (kustomize's load restrictor; {advice})",
    if *via_symlink { " through a symlink" } else { "" },
    real.display(),
    root.display()
)]
pub struct OutsideRoot {
    pub(crate) loc: Loc,
    /// The entry as written.
    pub(crate) entry: String,
    pub(crate) via_symlink: bool,
    /// Where the entry resolves to, and the root it must stay under.
    pub(crate) real: PathBuf,
    pub(crate) root: PathBuf,
    /// How to lift the restrictor where the run was started.
    pub(crate) advice: &'static str,
}

/// A kustomization's file (a patch, a generator's config) outside its directory.
#[derive(Debug, thiserror::Error)]
#[error(
    "{loc}: `{field}` file `{}` is outside the kustomization's directory `{}` (kustomize's load restrictor; --load-restrictor LoadRestrictionsNone lifts it)",
    path.display(),
    dir.display()
)]
pub struct OutsideDirectory {
    pub(crate) loc: Loc,
    /// The field that names the file (`resources`, `patch`).
    pub(crate) field: &'static str,
    pub(crate) path: PathBuf,
    pub(crate) dir: PathBuf,
}

/// A file a kustomization names (`field`: `generators`, `resources`) that resolves to `real`,
/// outside the kustomization's directory `root`: refused before anything of it is read.
#[derive(Debug, thiserror::Error)]
#[error(
    "{loc}: `{field}` file `{}` resolves to `{}`, outside the kustomization's directory `{}`; kustomize's load restrictor refuses it (`--load-restrictor LoadRestrictionsNone`, or `SECRETGEN_LOAD_RESTRICTOR=LoadRestrictionsNone` inside kustomize, lifts it)",
    path.display(),
    real.display(),
    root.display()
)]
pub struct ResolvesOutside {
    pub(crate) loc: Loc,
    pub(crate) field: String,
    pub(crate) path: PathBuf,
    pub(crate) real: PathBuf,
    pub(crate) root: PathBuf,
}

/// Why a source entry cannot be read. The entry is shown as written; a file's name inside a
/// listed directory is only ever described.
#[derive(Debug)]
pub enum EntryReason {
    /// A URL: secretgen reads only local files.
    Url,
    /// A directory where only a file may be named.
    Directory,
    /// The system could not read, list or resolve it.
    Io {
        action: EntryAction,
        source: std::io::Error,
    },
    /// A listed directory holds a file whose name is not UTF-8 (shown lossily).
    NameNotUtf8(String),
    /// The reader refused it (not a regular file, too large).
    Read(ReadFailure),
}

/// What was being done to an entry when the system failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryAction {
    Read,
    List,
    Resolve,
}

impl EntryReason {
    fn text(&self, entry: &str) -> String {
        use crate::place::io_reason;
        match self {
            EntryReason::Url => format!(
                "`{entry}` is a URL; secretgen reads only local files (kustomize would fetch it over the network at build time)"
            ),
            EntryReason::Directory => format!(
                "`{entry}` is a directory, not a file (only `files` of secretgen.dev/v1 manifests expand a directory into one key per file)"
            ),
            EntryReason::Io { action, source } => match action {
                EntryAction::Read => format!("cannot read `{entry}`: {}", io_reason(source)),
                EntryAction::List => format!("cannot list `{entry}`: {}", io_reason(source)),
                EntryAction::Resolve => format!(
                    "cannot resolve `{entry}`: {} (a dangling or looping symlink?)",
                    io_reason(source)
                ),
            },
            EntryReason::NameNotUtf8(name) => {
                format!("`{entry}` holds a file whose name is not UTF-8: {name}")
            }
            EntryReason::Read(failure) => failure.describe(entry),
        }
    }
}

impl Error {
    /// A manifest or kustomization at `loc` that breaks `rule`.
    pub(crate) fn rule(loc: Loc, rule: crate::kustomize::rule::Rule) -> Self {
        Error::Rule {
            loc,
            rule: Box::new(rule),
        }
    }

    /// The system failed at `action` on `path`.
    pub(crate) fn io(path: &Path, action: &'static str, source: std::io::Error) -> Self {
        Error::Io(IoError::new(path, action, source))
    }

    /// A file `field` names at `loc` that is outside the kustomization's directory `dir`.
    pub(crate) fn outside_directory(
        loc: Loc,
        field: &'static str,
        path: &Path,
        dir: &Path,
    ) -> Self {
        Error::OutsideDirectory(Box::new(OutsideDirectory {
            loc,
            field,
            path: path.to_path_buf(),
            dir: dir.to_path_buf(),
        }))
    }

    /// A source entry, as written at `loc`, that cannot be read for `reason`.
    pub(crate) fn entry(loc: &Loc, entry: &str, reason: EntryReason) -> Self {
        Error::Entry {
            loc: loc.clone(),
            entry: entry.to_string(),
            reason,
        }
    }

    /// The same error with every path it holds shown through `view`; the words do not change.
    pub(crate) fn relabel(self, view: &dyn PathView) -> Self {
        let at = |l: Loc| l.relabel(view);
        let p = |p: PathBuf| view.show(&p);
        match self {
            Error::Rule { loc, rule } => Error::Rule {
                loc: at(loc),
                rule: Box::new(rule.relabel(view)),
            },
            Error::Entry { loc, entry, reason } => Error::Entry {
                loc: at(loc),
                entry,
                reason,
            },
            Error::Unreadable { loc, file, failure } => Error::Unreadable {
                loc: at(loc),
                file: p(file),
                failure,
            },
            Error::OutsideRoot(o) => Error::OutsideRoot(Box::new(OutsideRoot {
                loc: at(o.loc),
                real: p(o.real),
                root: p(o.root),
                ..*o
            })),
            Error::OutsideDirectory(o) => Error::OutsideDirectory(Box::new(OutsideDirectory {
                loc: at(o.loc),
                path: p(o.path),
                dir: p(o.dir),
                ..*o
            })),
            Error::ResolvesOutside(o) => Error::ResolvesOutside(Box::new(ResolvesOutside {
                loc: at(o.loc),
                path: p(o.path),
                real: p(o.real),
                root: p(o.root),
                field: o.field,
            })),
            Error::NoKustomization { loc, dir } => Error::NoKustomization {
                loc: at(loc),
                dir: p(dir),
            },
            Error::Cycle { loc, dir, visited } => Error::Cycle {
                loc: at(loc),
                dir: p(dir),
                visited: p(visited),
            },
            Error::IncludeCycle { loc, files } => Error::IncludeCycle {
                loc: at(loc),
                files: files.into_iter().map(p).collect(),
            },
            Error::Yaml(y) => Error::Yaml(y.relabel(at, |m: String| m)),
            Error::Io(io) => Error::Io(io.relabel(view)),
            Error::Read(r) => Error::Read(r.relabel(view)),
        }
    }

    /// The place the error is about, where it has one (a file the system could not read
    /// has only its path).
    pub(crate) fn loc(&self) -> Option<&Loc> {
        Some(match self {
            Error::Rule { loc, .. }
            | Error::Entry { loc, .. }
            | Error::Unreadable { loc, .. }
            | Error::NoKustomization { loc, .. }
            | Error::Cycle { loc, .. }
            | Error::IncludeCycle { loc, .. } => loc,
            Error::OutsideRoot(o) => &o.loc,
            Error::OutsideDirectory(o) => &o.loc,
            Error::ResolvesOutside(o) => &o.loc,
            Error::Yaml(y) => y.loc(),
            Error::Io(_) | Error::Read(_) => return None,
        })
    }

    /// A file named by an input that could not be read, as `file` is shown.
    pub(crate) fn unreadable(loc: Loc, file: &Path, failure: ReadFailure) -> Self {
        Error::Unreadable {
            loc,
            file: file.to_path_buf(),
            failure,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Rev;
    impl PathView for Rev {
        fn show(&self, p: &Path) -> PathBuf {
            match p.strip_prefix("/tmp/x/tree") {
                Ok(rel) => PathBuf::from(format!("HEAD:{}", rel.display())),
                Err(_) => p.to_path_buf(),
            }
        }
    }

    #[test]
    fn relabel_rewrites_the_paths_held_not_the_words() {
        let e = Error::outside_directory(
            Loc::file("/tmp/x/tree/k.yaml"),
            "patches",
            Path::new("/tmp/x/tree/../p.yaml"),
            Path::new("/tmp/x/tree"),
        );
        assert_eq!(
            e.relabel(&Rev).to_string(),
            "HEAD:k.yaml: `patches` file `HEAD:../p.yaml` is outside the kustomization's directory `HEAD:` (kustomize's load restrictor; --load-restrictor LoadRestrictionsNone lifts it)"
        );
        let e = Error::ResolvesOutside(Box::new(ResolvesOutside {
            loc: Loc::file("/tmp/x/tree/k.yaml"),
            field: "generators".into(),
            path: "/tmp/x/tree/g.yaml".into(),
            real: "/tmp/x/secret.yaml".into(),
            root: "/tmp/x/tree".into(),
        }));
        assert!(
            e.relabel(&Rev).to_string().starts_with(
                "HEAD:k.yaml: `generators` file `HEAD:g.yaml` resolves to `/tmp/x/secret.yaml`, outside the kustomization's directory `HEAD:`;"
            )
        );
        // An entry as written that merely mentions the directory keeps it.
        let e = Error::rule(
            Loc::file("/tmp/x/tree/k.yaml"),
            crate::kustomize::rule::Rule::GeneratorsEntryIsItself("/tmp/x/tree/a".into()),
        );
        assert!(
            e.relabel(&Rev)
                .to_string()
                .starts_with("HEAD:k.yaml: `generators` entry `/tmp/x/tree/a` is this")
        );
    }

    #[test]
    fn entry_reasons_name_the_entry_as_written() {
        let loc = Loc::file("gen.yaml");
        let e = Error::entry(&loc, "https://x/y", EntryReason::Url);
        assert_eq!(
            e.to_string(),
            "gen.yaml: `https://x/y` is a URL; secretgen reads only local files (kustomize would fetch it over the network at build time)"
        );
        let e = Error::entry(
            &loc,
            "gone.txt",
            EntryReason::Io {
                action: EntryAction::Read,
                source: std::io::Error::from_raw_os_error(2),
            },
        );
        assert_eq!(
            e.to_string(),
            "gen.yaml: cannot read `gone.txt`: No such file or directory"
        );
    }

    #[test]
    fn unreadable_names_the_file_and_the_reason() {
        let e = Error::unreadable(
            Loc::file("k.yaml"),
            Path::new("big.bin"),
            ReadFailure::NotRegular(crate::gate::read::Kind::Fifo),
        );
        assert_eq!(
            e.to_string(),
            "k.yaml: `big.bin` is not a regular file (a FIFO, socket or device cannot be a source)"
        );
    }
}
