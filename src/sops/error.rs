//! Why a SOPS file could not be decrypted. Every variant names the file; a value's fault
//! names the value's path (`a:b:0:c` as sops writes it), never the value.

use std::path::PathBuf;

use thiserror::Error;

/// A SOPS file that could not be decrypted.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum SopsError {
    /// The file is not valid YAML/JSON/dotenv/INI for its format, or not a SOPS file.
    #[error("`{file}`: not a valid SOPS {format} file: {reason}", file = .file.display())]
    Syntax {
        file: PathBuf,
        format: &'static str,
        reason: String,
    },
    /// The `sops` metadata is missing a field or holds one of the wrong kind.
    #[error("`{file}`: invalid SOPS metadata: {reason}", file = .file.display())]
    Metadata { file: PathBuf, reason: String },
    /// No age entry can be opened (no identity, or none matches).
    #[error("`{file}`: cannot decrypt the SOPS data key: {reason}", file = .file.display())]
    NoKey { file: PathBuf, reason: String },
    /// Only key types secretgen cannot use (PGP, cloud KMS, Vault).
    #[error(
        "`{file}`: the SOPS data key is encrypted only to {found}; secretgen decrypts age entries only (add an age recipient with `sops updatekeys` or `sops -r -i --add-age age1…`)",
        file = .file.display()
    )]
    UnsupportedKeys { file: PathBuf, found: String },
    /// An age entry opened but does not hold a usable data key, or Shamir failed.
    #[error("`{file}`: the SOPS data key is invalid: {reason}", file = .file.display())]
    DataKey { file: PathBuf, reason: String },
    /// A value does not decrypt (altered value, IV, tag, or a wrong key).
    #[error("`{file}`: the value at `{path}` {reason}", file = .file.display())]
    Value {
        file: PathBuf,
        path: String,
        reason: String,
    },
    /// The MAC does not match the values: the file was altered.
    #[error(
        "`{file}`: the SOPS MAC does not match the file's values ({reason}): the file was altered or damaged",
        file = .file.display()
    )]
    Mac { file: PathBuf, reason: String },
    /// The decrypted tree cannot be written in the file's format (e.g. a nested value in dotenv).
    #[error("`{file}`: cannot write the decrypted {format}: {reason}", file = .file.display())]
    Emit {
        file: PathBuf,
        format: &'static str,
        reason: String,
    },
}

impl SopsError {
    /// No identity was found or none matched: a `--placeholder` may stand in.
    pub fn is_missing_key(&self) -> bool {
        matches!(self, SopsError::NoKey { .. })
    }
}
