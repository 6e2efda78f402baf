//! The secret layer's error: a Secret that breaks a Kubernetes rule.

use crate::error::Loc;

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
}
