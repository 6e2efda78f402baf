//! Looking at rendered Secrets without showing a value: redacted diffs, reference checks,
//! the plaintext gate, and the output directory (written all at once, checked for drift).

pub mod check;
pub mod diff;
pub mod git;
pub mod output;
pub mod policy;
pub mod trees;

use std::path::PathBuf;

use crate::place::io_reason;

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
    /// A `--allow-plaintext` pattern that is not a glob.
    #[error("--allow-plaintext `{}`: {reason}", .pattern.escape_debug())]
    AllowPattern { pattern: String, reason: String },
    /// The `--allow-plaintext` patterns together could not be compiled.
    #[error("--allow-plaintext: {0}")]
    AllowList(String),
}

/// The paths it names are the user's own (the working tree, the output directory).
impl crate::error::LayerError for Error {
    fn relabel(
        self: Box<Self>,
        _: &dyn crate::place::PathView,
    ) -> Box<dyn crate::error::LayerError> {
        self
    }
}

impl From<Error> for crate::error::Error {
    fn from(e: Error) -> Self {
        crate::error::Error::Layer(Box::new(e))
    }
}
