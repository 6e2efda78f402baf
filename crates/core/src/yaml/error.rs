//! What the reader refuses, with its file. How its messages show text is decided in
//! `gate::shown`.
//!
//! The reader (`goyaml`) reports a [`SyntaxError`]: a position and a message, no file (it
//! reads text). A caller that knows the file turns it into an [`Error`], which the top-level error wraps;
//! every such message reads `FILE:LINE:COL: invalid YAML: …`.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::path::Path;

use goyaml::Kind;

/// Plain text for messages, escaped; kept under its old name for the readers' callers.
pub(crate) use crate::gate::shown::printable;
use crate::place::Loc;

/// A YAML syntax error, with the position the parser reported ([`goyaml::SyntaxError`]),
/// and the one way to name its file ([`SyntaxError::in_file`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError(pub goyaml::SyntaxError);

impl From<goyaml::SyntaxError> for SyntaxError {
    fn from(e: goyaml::SyntaxError) -> Self {
        SyntaxError(e)
    }
}

impl Deref for SyntaxError {
    type Target = goyaml::SyntaxError;
    fn deref(&self) -> &goyaml::SyntaxError {
        &self.0
    }
}

impl DerefMut for SyntaxError {
    fn deref_mut(&mut self) -> &mut goyaml::SyntaxError {
        &mut self.0
    }
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl SyntaxError {
    /// The error, in `file`.
    pub(crate) fn in_file(self, file: &Path) -> Error {
        let loc = Loc::at(file, self.0.mark);
        let message = self.0.message;
        match self.0.kind {
            Kind::Syntax => Error::Syntax { loc, message },
            Kind::ExcessiveAliasing => Error::ExcessiveAliasing { loc, message },
        }
    }
}

/// A YAML input the reader refuses, with its file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Malformed YAML, or YAML that kustomize's reader refuses.
    #[error("{loc}: invalid YAML: {message}")]
    Syntax { loc: Loc, message: String },
    /// Aliases expanding beyond goyaml.v2's budget.
    #[error("{loc}: invalid YAML: {message}")]
    ExcessiveAliasing { loc: Loc, message: String },
}

impl Error {
    /// The same error with its place and message passed through `loc` and `text` (a path in
    /// a temporary checkout shown as the path in the repository, say).
    pub(crate) fn relabel(self, loc: impl Fn(Loc) -> Loc, text: impl Fn(String) -> String) -> Self {
        match self {
            Error::Syntax { loc: l, message } => Error::Syntax {
                loc: loc(l),
                message: text(message),
            },
            Error::ExcessiveAliasing { loc: l, message } => Error::ExcessiveAliasing {
                loc: loc(l),
                message: text(message),
            },
        }
    }

    pub(crate) fn loc(&self) -> &Loc {
        match self {
            Error::Syntax { loc, .. } | Error::ExcessiveAliasing { loc, .. } => loc,
        }
    }
}
