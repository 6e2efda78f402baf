//! The secret layer's error: a Secret that breaks a Kubernetes rule, or a Secret document
//! its reader cannot read.

use std::fmt;

use crate::gate::shown::Text;
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
    /// A Secret document without `metadata.name`; `what` says which kind of Secret the reader
    /// was reading (`a Secret resource`).
    #[error("{loc}: {what} without metadata.name")]
    Unnamed { loc: Loc, what: &'static str },
    /// A `data` value that is not base64. Boxed: it names a key and a Secret, and errors
    /// travel by value.
    #[error(transparent)]
    NotBase64(Box<NotBase64>),
}

/// A `data` value at `loc` that is not base64: its key, and the Secret when the reader names
/// it, as shown `Text` (described when they came out of a decryption); `what` qualifies the
/// Secret (`" of a decrypted Secret"`).
#[derive(Debug, thiserror::Error)]
#[error(
    "{loc}: {}data key {key}{what} is not valid base64",
    secret.as_ref().map(|s| format!("Secret {s}: ")).unwrap_or_default()
)]
pub struct NotBase64 {
    pub(crate) loc: Loc,
    pub(crate) secret: Option<Text>,
    pub(crate) key: Text,
    pub(crate) what: &'static str,
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
            Error::Unnamed { loc, what } => Error::Unnamed {
                loc: loc.relabel(view),
                what,
            },
            Error::NotBase64(n) => Error::NotBase64(Box::new(NotBase64 {
                loc: n.loc.relabel(view),
                ..*n
            })),
        }
    }

    /// Where the error is, for a report that places errors (the KRM function's results).
    pub(crate) fn loc(&self) -> &Loc {
        match self {
            Error::Invalid { loc, .. } | Error::Unnamed { loc, .. } => loc,
            Error::NotBase64(n) => &n.loc,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::place::TestRev as Rev;

    #[test]
    fn a_secret_the_reader_refuses_is_placed_through_the_view() {
        let e = Error::Unnamed {
            loc: Loc::file("tmp/s.yaml"),
            what: "a Secret resource",
        };
        assert_eq!(
            e.relabel(&Rev).to_string(),
            "REV:s.yaml: a Secret resource without metadata.name"
        );
        let e = Error::NotBase64(Box::new(NotBase64 {
            loc: Loc::file("tmp/s.yaml"),
            secret: Some(Text::plain("db")),
            key: Text::plain("k"),
            what: "",
        }));
        assert_eq!(
            e.relabel(&Rev).to_string(),
            "REV:s.yaml: Secret `db`: data key `k` is not valid base64"
        );
    }

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
