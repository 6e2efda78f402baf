//! What a KSOPS config breaks, as data: the rule (KSOPS' own, or Go's JSON decoding of its
//! fields), what it is about, and where. The words are written once, here, when shown.

use std::fmt;
use std::path::PathBuf;

use super::dotenv::DotenvError;
use crate::error::PathView;

/// A KSOPS config refused at `loc`.
pub(crate) type KsopsError = crate::error::Refusal<Rule>;

/// The rule broken. `what` names a field as a message shows it (`secretFrom.files`);
/// `found` says what was there instead (`a mapping`, `an integer`).
#[derive(Debug)]
pub(crate) enum Rule {
    /// The file is not UTF-8.
    NotUtf8,
    /// The file holds no document.
    Empty,
    /// The config is not a mapping.
    ConfigNotAMapping { found: &'static str },
    /// Neither `files` nor `secretFrom`.
    NeedsFilesOrSecretFrom,
    /// `secretFrom` that is not a list.
    SecretFromNotAList { found: &'static str },
    /// A `secretFrom` entry that is not a mapping.
    SecretFromEntryNotAMapping { found: &'static str },
    /// A field Go decodes into a `string`.
    NotAString { what: String, found: &'static str },
    /// A field Go decodes into a `[]string`.
    NotAListOfPaths { what: String, found: &'static str },
    /// A field Go decodes into a `map[string]string` (or a struct).
    NotAMapping { what: String, found: &'static str },
    /// A key of such a map that is not a string.
    KeyNotAString { what: String },
    /// A `files` entry with more than one `=`.
    InvalidFileEntry,
    /// An env file (`entry` as written) that godotenv cannot read.
    EnvFile { entry: String, error: DotenvError },
    /// A Secret among the decrypted manifests without `metadata.name`.
    DecryptedSecretWithoutName,
    /// A `kustomize.config.k8s.io/needs-hash` annotation that is not a boolean.
    NeedsHashNotABool,
    /// `migrate ksops` on a path that is neither a kustomization file nor a directory.
    NotAKustomization,
    /// `migrate ksops` on a generator file (`entry` as written) outside the
    /// kustomization's directory `dir`.
    GeneratorOutside { entry: String, dir: PathBuf },
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::NotUtf8 => f.write_str("a KSOPS config must be UTF-8 text"),
            Rule::Empty => f.write_str("empty KSOPS config"),
            Rule::ConfigNotAMapping { found } => {
                write!(f, "a KSOPS config must be a mapping, found {found}")
            }
            Rule::NeedsFilesOrSecretFrom => {
                f.write_str("a KSOPS config needs `files` or `secretFrom` (KSOPS' rule)")
            }
            Rule::SecretFromNotAList { found } => {
                write!(f, "`secretFrom` must be a list, found {found}")
            }
            Rule::SecretFromEntryNotAMapping { found } => {
                write!(f, "a `secretFrom` entry must be a mapping, found {found}")
            }
            Rule::NotAString { what, found } => {
                write!(f, "`{what}` must be a string, found {found}")
            }
            Rule::NotAListOfPaths { what, found } => {
                write!(f, "`{what}` must be a list of paths, found {found}")
            }
            Rule::NotAMapping { what, found } => {
                write!(f, "`{what}` must be a mapping, found {found}")
            }
            Rule::KeyNotAString { what } => write!(f, "a key of `{what}` must be a string"),
            Rule::InvalidFileEntry => f.write_str(
                "invalid file entry: use `path` or `key=path` (one `=` at most, KSOPS' rule)",
            ),
            Rule::EnvFile { entry, error } => write!(f, "env file `{entry}`: {error}"),
            Rule::DecryptedSecretWithoutName => {
                f.write_str("a decrypted Secret without metadata.name")
            }
            Rule::NeedsHashNotABool => f.write_str(
                "a generated Secret's annotation `kustomize.config.k8s.io/needs-hash` must be a boolean (`true` or `false`), as kustomize reads it",
            ),
            Rule::NotAKustomization => f.write_str("is not a kustomization file or a directory"),
            Rule::GeneratorOutside { entry, dir } => write!(
                f,
                "generator `{}` resolves to a file outside the kustomization's directory `{}`: kustomize's load restrictor refuses it, and `migrate ksops` neither reads nor rewrites it",
                crate::yaml::printable(entry),
                crate::place::shown_path(dir)
            ),
        }
    }
}

impl crate::error::LayerRule for Rule {
    fn relabel(self, view: &dyn PathView) -> Rule {
        match self {
            Rule::GeneratorOutside { entry, dir } => Rule::GeneratorOutside {
                entry,
                dir: view.show(&dir),
            },
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::error::{Loc, TestRev as Rev};

    #[test]
    fn a_nameless_decrypted_secret_is_placed_through_the_view() {
        let e: crate::error::Error = KsopsError::new(
            Loc::file("tmp/ksops.yaml"),
            Rule::DecryptedSecretWithoutName,
        )
        .into();
        assert_eq!(
            e.to_string(),
            "tmp/ksops.yaml: a decrypted Secret without metadata.name"
        );
        assert_eq!(
            e.relabel(&Rev).to_string(),
            "REV:ksops.yaml: a decrypted Secret without metadata.name"
        );
    }
}
