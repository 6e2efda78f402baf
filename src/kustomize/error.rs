//! The rules of the kustomize layer, broken: a manifest or kustomization that is
//! well-formed YAML but says something kustomize (or secretgen) refuses, and a source that
//! cannot be read or parsed. Each names its place; none holds a value.

use crate::place::Loc;

/// A rule of a manifest or a source, broken.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A manifest or kustomization that is well-formed YAML but breaks a rule.
    #[error("{loc}: {message}")]
    Manifest { loc: Loc, message: String },
    /// A source (file, literal, env file) that cannot be read or parsed.
    #[error("{loc}: {message}")]
    Source { loc: Loc, message: String },
}

impl Error {
    /// The same error with its place and message passed through `loc` and `text`.
    pub(crate) fn relabel(self, loc: impl Fn(Loc) -> Loc, text: impl Fn(String) -> String) -> Self {
        match self {
            Error::Manifest { loc: l, message } => Error::Manifest {
                loc: loc(l),
                message: text(message),
            },
            Error::Source { loc: l, message } => Error::Source {
                loc: loc(l),
                message: text(message),
            },
        }
    }

    /// The place the error is about.
    pub(crate) fn loc(&self) -> &Loc {
        match self {
            Error::Manifest { loc, .. } | Error::Source { loc, .. } => loc,
        }
    }
}
