//! The secret layer's error: a Secret that breaks a Kubernetes rule, or `create` arguments
//! that make none.

use std::fmt;

use crate::place::Loc;
use crate::secret::validate::{HiddenKey, Violation};

/// What is wrong with a Secret. Messages name keys, labels and types, never a value.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The Secret that would be produced breaks a Kubernetes rule.
    #[error("{loc}: Secret `{secret}`: {reason}")]
    Invalid {
        loc: Loc,
        secret: String,
        /// Boxed: a violation names keys and reasons, and errors travel by value.
        reason: Box<Reason>,
    },
}

/// The Kubernetes rule a Secret breaks, as data: the violation, and how its key may be shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// A rule broken by what the input shows.
    Rule(Violation),
    /// A key from inside a file, described without its text.
    HiddenKey(HiddenKey),
    /// A rule broken by a Secret that is passed on as it is (kustomize would not check it;
    /// the API server refuses it). `decrypted`: the key was read out of a decrypted file, so
    /// it is described, never quoted.
    ApiServer {
        violation: Violation,
        decrypted: bool,
    },
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Rule(v) => write!(f, "{v}"),
            Reason::HiddenKey(h) => write!(f, "{h}"),
            Reason::ApiServer {
                violation,
                decrypted,
            } => write!(
                f,
                "{} (the API server would refuse this Secret)",
                violation.shown(|_| *decrypted)
            ),
        }
    }
}

impl Error {
    /// The same error with its place shown through `view`; the words do not change.
    pub(crate) fn relabel(self, view: &dyn crate::place::PathView) -> Self {
        match self {
            Error::Invalid {
                loc,
                secret,
                reason,
            } => Error::Invalid {
                loc: loc.relabel(view),
                secret,
                reason,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decrypted_key_is_described_not_quoted() {
        let violation = Violation::Key {
            key: "bad key".into(),
            reason: "must consist of alphanumeric characters, '-', '_' or '.'",
        };
        let at = |decrypted| Error::Invalid {
            loc: Loc::file("s.enc.yaml"),
            secret: "db".into(),
            reason: Box::new(Reason::ApiServer {
                violation: violation.clone(),
                decrypted,
            }),
        };
        let plain = at(false).to_string();
        assert!(
            plain.starts_with("s.enc.yaml: Secret `db`: key "),
            "{plain}"
        );
        assert!(plain.contains("bad key"), "{plain}");
        assert!(
            plain.ends_with(" (the API server would refuse this Secret)"),
            "{plain}"
        );
        let hidden = at(true).to_string();
        assert!(!hidden.contains("bad key"), "{hidden}");
        assert!(
            hidden.ends_with(" (the API server would refuse this Secret)"),
            "{hidden}"
        );
    }
}
