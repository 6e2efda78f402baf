//! Looking at rendered Secrets without showing a value: redacted diffs, reference checks,
//! the plaintext gate, and the output directory (written all at once, checked for drift).

pub mod check;
pub mod diff;
pub mod git;
pub mod output;
pub mod policy;
pub mod trees;

use std::path::PathBuf;

use crate::gate::outpath::Unsafe;
use crate::place::{Loc, PathView, io_reason};

/// What goes wrong in this layer beyond reading and writing files: git and the base tree of
/// `diff --base`, the output directory, the plaintext allow-list. Never holds a value.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `git` could not be started.
    #[error("git: cannot run: {}", io_reason(.0))]
    GitNotRun(#[source] std::io::Error),
    /// A git command failed; `stderr` is what it said.
    #[error("git {args} failed: {stderr}")]
    Git { args: String, stderr: String },
    /// A `--base` that would read as an option.
    #[error("`{0}` is not a git revision")]
    NotARevision(String),
    /// A `--base` that names no tree of the repository.
    #[error("`{0}` is not a revision of this git repository")]
    UnknownRevision(String),
    /// The revision's files could not be written out; `reason` names paths in the repository.
    #[error("cannot unpack {rev}: {reason}")]
    Unpack { rev: String, reason: String },
    /// No temporary directory for the base tree.
    #[error(".: cannot create a temporary directory: {}", io_reason(.0))]
    TempDir(#[source] std::io::Error),
    /// An absolute path outside the repository `--base` reads.
    #[error("{}: not inside the git repository at {top}", .path.display())]
    OutsideRepository { path: PathBuf, top: String },
    /// A path that neither side of `diff --base` has.
    #[error("{}: neither in {rev} nor in the working tree", .path.display())]
    InNeither { path: PathBuf, rev: String },
    /// A file in the output directory that secretgen did not write, where it would write one.
    #[error(
        "{}: exists and was not written by secretgen (its first line is not the marker); move it away or delete it",
        .0.display()
    )]
    NotOurs(PathBuf),
    /// `render --encrypt sops -o` meets a SOPS file it wrote for a Secret without a hash suffix:
    /// its digest is keyed by the file's data key, which nothing here opens.
    #[error(
        "{}: cannot tell whether this Secret changed: it has no hash suffix, so its `# sops-content:` digest is keyed by the file's own data key, and no key here opens it ({source}); pass --identity FILE (or set SOPS_AGE_KEY_FILE) with a key of its recipients",
        .file.display()
    )]
    SopsDigestNeedsKey {
        file: PathBuf,
        #[source]
        source: Box<crate::sops::SopsError>,
    },
    /// `render --seal -o` meets a sealed file it wrote for a Secret without a hash suffix whose
    /// content line is keyed: the key its `# sealed-content-key:` block holds opens with
    /// nothing here.
    #[error(
        "{}: cannot tell whether this Secret changed: it has no hash suffix, so its `# sealed-content:` digest is keyed, and no key here opens the `# sealed-content-key:` block ({source}); pass --identity FILE (or set SOPS_AGE_KEY_FILE) with a key of its recipients",
        .file.display()
    )]
    SealedDigestNeedsKey {
        file: PathBuf,
        #[source]
        source: Box<crate::sops::SopsError>,
    },
    /// A Secret whose name or namespace cannot become a file under the output directory.
    #[error(transparent)]
    Unwritable(Box<Unwritable>),
    /// A `--allow-plaintext` pattern that is not a glob.
    #[error("--allow-plaintext `{}`: {reason}", .pattern.escape_debug())]
    AllowPattern { pattern: String, reason: String },
    /// The `--allow-plaintext` patterns together could not be compiled.
    #[error("--allow-plaintext: {0}")]
    AllowList(String),
}

/// A Secret (made at `loc`) that cannot be written under the output directory: why its
/// name or namespace cannot be a path, described, never shown.
#[derive(Debug, thiserror::Error)]
#[error("{loc}: a Secret cannot be written: {reason}")]
pub struct Unwritable {
    pub(crate) loc: Loc,
    pub(crate) reason: Unsafe,
}

/// The paths it names are the user's own (the working tree, the output directory); the
/// place a Secret was made is an input's, shown through the view.
impl crate::error::LayerError for Error {
    fn relabel(self: Box<Self>, view: &dyn PathView) -> Box<dyn crate::error::LayerError> {
        match *self {
            Error::Unwritable(u) => Box::new(Error::Unwritable(Box::new(Unwritable {
                loc: u.loc.relabel(view),
                reason: u.reason,
            }))),
            other => Box::new(other),
        }
    }

    fn loc(&self) -> Option<&Loc> {
        match self {
            Error::Unwritable(u) => Some(&u.loc),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::outpath::Part;

    use crate::error::TestRev as Rev;

    #[test]
    fn a_secret_that_cannot_be_written_is_placed_through_the_view() {
        let e: crate::error::Error = Error::Unwritable(Box::new(Unwritable {
            loc: Loc::file("tmp/gen.yaml"),
            reason: Unsafe::Placeholder { part: Part::Name },
        }))
        .into();
        assert_eq!(
            e.relabel(&Rev).to_string(),
            "REV:gen.yaml: a Secret cannot be written: its name holds an envsubst placeholder, which a file name cannot hold: substitute it before `render -o` (printed on stdout it is kept as written)"
        );
    }
}
