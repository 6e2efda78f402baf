//! The secret layer's error: a Secret that breaks a Kubernetes rule, or `create` arguments
//! that make none.

use crate::place::Loc;

/// What is wrong with a Secret. Messages name keys, labels and types, never a value.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The Secret that would be produced breaks a Kubernetes rule.
    #[error("{loc}: Secret `{secret}`: {message}")]
    Invalid {
        loc: Loc,
        secret: String,
        message: String,
    },
    /// A `create` form's arguments that cannot make a Secret.
    #[error(transparent)]
    Create(#[from] crate::secret::create::CreateError),
}

impl Error {
    /// The same error with its place shown through `view`; the words do not change.
    pub(crate) fn relabel(self, view: &dyn crate::place::PathView) -> Self {
        match self {
            Error::Invalid {
                loc,
                secret,
                message,
            } => Error::Invalid {
                loc: loc.relabel(view),
                secret,
                message,
            },
            // Made from command-line arguments, never from a tree `--base` reads.
            e @ Error::Create(_) => e,
        }
    }
}
