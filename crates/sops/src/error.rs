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
        reason: SyntaxReason,
    },
    /// The `sops` metadata is missing a field or holds one of the wrong kind.
    #[error("`{file}`: invalid SOPS metadata: {reason}", file = .file.display())]
    Metadata {
        file: PathBuf,
        reason: MetadataReason,
    },
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
        reason: EmitReason,
    },
    /// A file that cannot be encrypted as asked (already SOPS, conflicting rules, …).
    #[error("`{file}`: cannot encrypt: {reason}", file = .file.display())]
    Encrypt {
        file: PathBuf,
        reason: EncryptReason,
    },
    /// A tree path (`--extract`, `set`, `unset`) that does not parse or leads nowhere.
    #[error("`{file}`: {reason}", file = .file.display())]
    TreePath { file: PathBuf, reason: PathReason },
}

/// Why a tree path such as `["data"]["password"]` cannot be used. Names keys, never values.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum PathReason {
    #[error("the path `{0}` is not of the form [\"key\"][0]…")]
    Syntax(String),
    #[error("the path `{0}` was not found in the file")]
    NotFound(String),
    #[error("the value at `{0}` cannot be printed in the output format")]
    NotPrintable(String),
    #[error("the value is not valid JSON (strings are quoted: '\"text\"')")]
    BadValue,
}

/// Why a file cannot be encrypted. Names a rule or a key, never a value.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum EncryptReason {
    #[error("the file is already encrypted with SOPS")]
    AlreadyEncrypted,
    #[error("the file cannot be completely empty, it must contain at least one document")]
    Empty,
    #[error(
        "cannot use more than one of encrypted_suffix, unencrypted_suffix, encrypted_regex, unencrypted_regex, encrypted_comment_regex, or unencrypted_comment_regex in the same file"
    )]
    RuleConflict,
    #[error("`{0}` is not a valid regular expression (RE2 syntax)")]
    Regex(&'static str),
    #[error("no master key was given: name an age recipient (--age) or a creation rule")]
    NoKeys,
    #[error("the data key is not 32 bytes")]
    DataKey,
    #[error("AES-GCM refused to seal the MAC")]
    Seal,
    #[error("the plaintext cannot be written as {0}: {1}")]
    Emit(&'static str, EmitReason),
}

impl SopsError {
    /// No identity was found or none matched: a `--placeholder` may stand in.
    pub fn is_missing_key(&self) -> bool {
        matches!(self, SopsError::NoKey { .. })
    }

    /// The same error with the file passed through `file` and every free text (which may
    /// name files: an age entry's reason names the file) through `text`. Typed reasons name
    /// lines and keys only and stay as they are.
    pub fn relabel(
        self,
        file: impl Fn(PathBuf) -> PathBuf,
        text: impl Fn(String) -> String,
    ) -> Self {
        use SopsError as E;
        match self {
            E::Syntax {
                file: f,
                format,
                reason,
            } => E::Syntax {
                file: file(f),
                format,
                reason,
            },
            E::Metadata { file: f, reason } => E::Metadata {
                file: file(f),
                reason,
            },
            E::NoKey { file: f, reason } => E::NoKey {
                file: file(f),
                reason: text(reason),
            },
            E::UnsupportedKeys { file: f, found } => E::UnsupportedKeys {
                file: file(f),
                found: text(found),
            },
            E::DataKey { file: f, reason } => E::DataKey {
                file: file(f),
                reason: text(reason),
            },
            E::Value {
                file: f,
                path,
                reason,
            } => E::Value {
                file: file(f),
                path: text(path),
                reason: text(reason),
            },
            E::Mac { file: f, reason } => E::Mac {
                file: file(f),
                reason: text(reason),
            },
            E::Emit {
                file: f,
                format,
                reason,
            } => E::Emit {
                file: file(f),
                format,
                reason,
            },
            E::Encrypt { file: f, reason } => E::Encrypt {
                file: file(f),
                reason,
            },
            E::TreePath { file: f, reason } => E::TreePath {
                file: file(f),
                reason,
            },
        }
    }
}

/// Why a file is not SOPS text in its format. Names a line, a tag or a rule, never a value.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum SyntaxReason {
    #[error("no `sops` metadata with a `mac` was found")]
    NoMetadata,
    #[error("not UTF-8 text")]
    NotUtf8,
    /// The YAML reader's refusal, with its position.
    #[error("{0}")]
    Yaml(goyaml::SyntaxError),
    #[error("YAML documents that are values are not supported")]
    ValueDocument,
    #[error("YAML documents that are sequences are not supported")]
    SequenceDocument,
    /// A scalar mapping key that decodes to something other than a string.
    #[error("line {line}: a mapping key that is not a string; sops supports string keys only")]
    ScalarKey { line: usize },
    /// A mapping or sequence as a mapping key.
    #[error("line {line}: a mapping key that is not a string")]
    CollectionKey { line: usize },
    /// A scalar whose explicit tag (`!!int`, …) does not fit its text.
    #[error("cannot decode a scalar as {tag}")]
    Tag { tag: String },
    #[error("an integer out of range")]
    IntOutOfRange,
    #[error("an unsigned 64-bit integer, which sops cannot handle")]
    Unsigned64,
    #[error("SOPS JSON files have a top-level object")]
    JsonNotObject,
    #[error("line {line}: {fault}")]
    Json { line: usize, fault: JsonFault },
    #[error("line {line}: not a `KEY=value` line")]
    DotenvLine { line: usize },
    #[error("line {line}: unclosed section header")]
    IniSection { line: usize },
    #[error("line {line}: not a `key = value` line")]
    IniLine { line: usize },
    #[error("line {line}: unclosed `\"\"\"` value")]
    IniTripleQuote { line: usize },
    #[error("line {line}: unclosed backquoted value")]
    IniBackquote { line: usize },
}

/// What the JSON reader met where it did not expect it.
#[derive(Debug, Clone, Copy, Error, PartialEq, Eq)]
pub enum JsonFault {
    #[error("text after the top-level object")]
    TrailingText,
    #[error("invalid literal")]
    Literal,
    #[error("expected an object key")]
    ObjectKey,
    #[error("expected `:`")]
    Colon,
    #[error("expected `,` or `}}`")]
    ObjectEnd,
    #[error("expected `,` or `]`")]
    ArrayEnd,
    #[error("expected a value")]
    Value,
    #[error("bad number")]
    BadNumber,
    #[error("invalid number")]
    Number,
    #[error("invalid \\u escape")]
    UnicodeEscape,
    #[error("unterminated string")]
    Unterminated,
    #[error("bad escape")]
    Escape,
    #[error("control character in string")]
    Control,
    #[error("invalid UTF-8 in string")]
    Utf8,
    #[error("{}", goyaml::budget::TooDeep)]
    TooDeep,
}

/// Why the `sops` metadata cannot be read. Names a field, never a value.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum MetadataReason {
    #[error("the file is empty")]
    Empty,
    #[error("sops metadata not found")]
    NotFound,
    #[error("found a duplicate `sops` entry")]
    Duplicate,
    #[error("the `sops` entry is not a mapping")]
    NotMapping,
    #[error("`{0}` is not a string")]
    NotString(&'static str),
    #[error("`{0}` is not a valid regular expression")]
    Regex(&'static str),
    #[error("`lastmodified` is not an RFC 3339 time")]
    LastModified,
    #[error("`mac_only_encrypted` is not a boolean")]
    MacOnlyEncrypted,
    #[error("`shamir_threshold` is negative")]
    ThresholdNegative,
    #[error("`shamir_threshold` is not a number")]
    ThresholdNotNumber,
    #[error(
        "more than one of encrypted_suffix, unencrypted_suffix, encrypted_regex, unencrypted_regex, encrypted_comment_regex, unencrypted_comment_regex"
    )]
    SeveralRules,
    #[error("a key group is not a mapping")]
    GroupNotMapping,
    #[error("an `age` entry is not a mapping")]
    AgeNotMapping,
    #[error("a `{0}` entry is not a mapping")]
    EntryNotMapping(&'static str),
    /// A flattened key (dotenv, INI) that is not `name__map_…`/`__list_N…`.
    #[error("bad flattened metadata key `{0}`")]
    FlatKey(String),
    #[error("bad list index in metadata key `{0}`")]
    FlatIndex(String),
    #[error("duplicate metadata key `{0}`")]
    FlatDuplicate(String),
    #[error("type mismatch in flattened metadata")]
    FlatMismatch,
    #[error("incomplete list in flattened metadata")]
    FlatIncompleteList,
    #[error("a flattened metadata key is {}", goyaml::budget::TooDeep)]
    TooDeep,
    #[error(
        "more than {} flattened metadata entries",
        goyaml::budget::MAX_FLAT_ENTRIES
    )]
    TooManyEntries,
}

/// Why the decrypted tree cannot be written in its format. Names keys, never a value.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum EmitReason {
    #[error("`{0}` holds a nested value, which dotenv cannot")]
    DotenvNested(String),
    #[error("section `{0}` is not a mapping")]
    IniSection(String),
    #[error("`{section}.{key}`: a nested value, which INI cannot hold")]
    IniNested { section: String, key: String },
    #[error("a comment with an empty line, which sops cannot write back as INI")]
    IniEmptyCommentLine,
    #[error("a float that JSON cannot hold (NaN or infinity)")]
    JsonFloat,
    #[error("the `data` key does not hold a string")]
    DataNotString,
    #[error("no `data` key: not sops' binary envelope")]
    NoData,
}
