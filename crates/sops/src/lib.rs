//! SOPS files, decrypted in memory as `sops --decrypt` does.
//!
//! In: a file's path and bytes, and the [`DataKeys`] that unwraps the data key from the
//! file's key entries ([`keys`]: age, PGP, KMS, … as sops writes them; the age keyring and
//! the other key types implement the trait outside this crate, which imports none of them). Out: exactly the
//! bytes `sops --decrypt` prints for that file, as [`SecretBytes`] (zeroized on drop), or a
//! [`SopsError`] naming the file (and, for YAML/JSON, the path of the value at fault), never
//! a value. Refused: a file whose MAC does not match its values (checked before any value
//! is returned), a file none of whose key entries opens, and anything that is not SOPS.
//!
//! The API:
//! - [`is_sops`]`(bytes) -> Option<Format>`: whether the bytes are a SOPS file, by content
//!   alone (a YAML/JSON/INI file with a top-level `sops` holding a `mac`, a dotenv file
//!   with `sops_mac=`, the JSON envelope with a `data` key for binary files).
//! - [`format_for`]`(path, bytes) -> Option<Format>`: the format sops would use for this file
//!   (by its extension: `.yaml`/`.yml`, `.json`, `.env`, `.ini`, anything else binary), when
//!   the content is SOPS in that format; otherwise the format the content is SOPS in.
//! - [`decrypt`]`(path, bytes, keys) -> Result<SecretBytes, SopsError>`.
//! - [`data_key`]`(path, bytes, keys)`: the file's data key alone, no value decrypted.
//! - [`check_structure`]`(path, bytes) -> Option<Vec<StructureFault>>`: without a key,
//!   whether the file is encrypted as its own rules say (the plaintext gate's check).
//!
//! Every store reads within the parsers' budget (`goyaml::budget`): nesting depth, flattened
//! metadata entries, linear time.
//!
//! Semantics follow sops v3.13: the data key comes from the first key entry that opens, in
//! sops' order (for an `age` entry the `enc` value is an armored age file holding the 32-byte
//! key) or, with several `key_groups`, from Shamir
//! shares of at least `shamir_threshold` groups; values are `ENC[AES256_GCM,data:…,iv:…,
//! tag:…,type:…]` under AES-256-GCM with 32-byte IVs and the key path joined with `:` (plus a
//! trailing `:`) as additional data; the `*_suffix`, `*_regex`, comment regexes and
//! `mac_only_encrypted` choose what is encrypted; the MAC is SHA-512 over the leaves in
//! order, itself encrypted with `lastmodified` as additional data.

// No file is read here, no process spawned (clippy.toml lists what that forbids).
#![warn(clippy::disallowed_methods)]

mod bytes;
#[doc(hidden)]
pub mod crypto;
mod dotenv;
mod edit;
mod encrypt;
mod error;
mod extract;
mod git;
mod ini;
mod json;
pub mod keys;
mod meta;
mod rekey;
pub mod shamir;
mod status;
mod yaml;

use std::path::Path;

use zeroize::Zeroizing;

pub use edit::{Change, edit, reencrypt};
// SOPS files in git and `filestatus`.
pub use edit::edit_idempotent;
pub use encrypt::{Rules, SOPS_VERSION, Sealing, encrypt, now_rfc3339};
pub use error::{
    EmitReason, EncryptReason, JsonFault, MetadataReason, PathReason, SopsError, SyntaxReason,
};
pub use extract::{Step, decrypt_extract, parse_tree_path};
pub use git::{METADATA_CONFLICT, Merged, WHOLE_FILE_CONFLICT, diff_text, merge};
pub use keys::{DataKeys, KeyEntry, KeyFailure};
pub use rekey::{FileKeys, data_key, file_keys, rekey, rotate};
pub use status::file_status;

pub use bytes::{SecretBytes, wipe};
use goyaml::gofmt;

/// A SOPS file format, as sops names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Json,
    Dotenv,
    Ini,
    /// A whole file as one value: the JSON envelope `{"data": "ENC[…]", "sops": {…}}`.
    Binary,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Yaml => "YAML",
            Format::Json => "JSON",
            Format::Dotenv => "dotenv",
            Format::Ini => "INI",
            Format::Binary => "binary",
        }
    }

    /// The format sops picks from a file name (`formats.FormatForPath`).
    pub fn for_path(path: &Path) -> Format {
        let name = path.as_os_str().as_encoded_bytes();
        if name.ends_with(b".yaml") || name.ends_with(b".yml") {
            Format::Yaml
        } else if name.ends_with(b".json") {
            Format::Json
        } else if name.ends_with(b".env") {
            Format::Dotenv
        } else if name.ends_with(b".ini") {
            Format::Ini
        } else {
            Format::Binary
        }
    }

    /// What `sops edit` puts in the editor for a file that does not exist yet: the
    /// format's store `EmitExample` (sops' example trees, as sops 3.13.3 emits them).
    pub fn example(self) -> &'static str {
        match self {
            Format::Yaml => {
                "hello: Welcome to SOPS! Edit this file as you please!\nexample_key: example_value\n# Example comment\nexample_array:\n    - example_value1\n    - example_value2\nexample_number: 1234.56789\nexample_booleans:\n    - true\n    - false\n"
            }
            Format::Json => {
                "{\n\t\"hello\": \"Welcome to SOPS! Edit this file as you please!\",\n\t\"example_key\": \"example_value\",\n\t\"example_array\": [\n\t\t\"example_value1\",\n\t\t\"example_value2\"\n\t],\n\t\"example_number\": 1234.56789,\n\t\"example_booleans\": [\n\t\ttrue,\n\t\tfalse\n\t]\n}\n"
            }
            Format::Dotenv => {
                "# This is an example file.\nhello=Welcome to SOPS! Edit this file as you please!\nexample_key=example_value\nexample_multiline=foo\\nbar\\nbaz\n"
            }
            Format::Ini => {
                "; This is an example file.\n[Welcome!]\nhello       = Welcome to SOPS! Edit this file as you please!\nexample_key = example_value\n"
            }
            Format::Binary => "Welcome to SOPS! Edit this file as you please!",
        }
    }
}

/// Whether these bytes are a SOPS file, and in which format (by content alone).
pub fn is_sops(bytes: &[u8]) -> Option<Format> {
    let text = std::str::from_utf8(bytes).ok()?;
    // Every SOPS file has its MAC encrypted, whatever else is.
    if !text.contains("ENC[AES256_GCM,") {
        return None;
    }
    let first = text.trim_start();
    if first.starts_with('{') {
        if !(text.contains("\"sops\"") && text.contains("\"mac\"")) {
            return None;
        }
        return Some(if json::is_binary_envelope(text) {
            Format::Binary
        } else {
            Format::Json
        });
    }
    if has_line(text, |l| l.starts_with("sops_mac=")) {
        return Some(Format::Dotenv);
    }
    if has_line(text, |l| l.trim_end() == "[sops]") && has_line(text, |l| l.starts_with("mac")) {
        return Some(Format::Ini);
    }
    let yaml_top = has_line(text, |l| {
        l.strip_prefix("sops:")
            .is_some_and(|r| r.is_empty() || r.starts_with([' ', '\t', '\r']))
    }) || text.contains("\"sops\":");
    if yaml_top && text.contains("mac:") {
        return Some(Format::Yaml);
    }
    None
}

fn has_line(text: &str, f: impl Fn(&str) -> bool) -> bool {
    text.split('\n').any(f)
}

/// The format sops uses for this file: by name, when the content is SOPS in that format
/// (a SOPS JSON file named `*.txt` is sops' binary envelope only if it has a `data` key);
/// otherwise the format the content is SOPS in. `None` when the content is not SOPS.
pub fn format_for(path: &Path, bytes: &[u8]) -> Option<Format> {
    let by_content = is_sops(bytes)?;
    let by_name = Format::for_path(path);
    let fits = match (by_name, by_content) {
        (a, b) if a == b => true,
        // sops reads a `.json` file holding the envelope as JSON, and prints it as JSON.
        (Format::Json, Format::Binary) => true,
        // Any other name means binary: the envelope, or JSON sops can still open as one.
        (Format::Binary, Format::Json) => false,
        _ => false,
    };
    Some(if fits { by_name } else { by_content })
}

/// Decrypts a SOPS file to exactly what `sops --decrypt` prints for it. `path` chooses the
/// format (as sops does) and names the file in errors.
pub fn decrypt(path: &Path, bytes: &[u8], keys: &dyn DataKeys) -> Result<SecretBytes, SopsError> {
    let format = format_for(path, bytes).ok_or_else(|| SopsError::Syntax {
        file: path.to_path_buf(),
        format: Format::for_path(path).name(),
        reason: SyntaxReason::NoMetadata,
    })?;
    decrypt_as(path, bytes, format, keys)
}

/// [`decrypt`] in a given format.
pub fn decrypt_as(
    path: &Path,
    bytes: &[u8],
    format: Format,
    keys: &dyn DataKeys,
) -> Result<SecretBytes, SopsError> {
    let branches = open_tree(path, bytes, format, keys)?;
    emit_plain(path, &branches, format)
}

/// The decrypted tree of a SOPS file in `format`, its MAC checked.
pub(crate) fn open_tree(
    path: &Path,
    bytes: &[u8],
    format: Format,
    keys: &dyn DataKeys,
) -> Result<Vec<Branch>, SopsError> {
    let syntax = |reason: SyntaxReason| SopsError::Syntax {
        file: path.to_path_buf(),
        format: format.name(),
        reason,
    };
    let text = std::str::from_utf8(bytes).map_err(|_| syntax(SyntaxReason::NotUtf8))?;
    let mut branches = match format {
        Format::Yaml => yaml::load(text).map_err(syntax)?,
        Format::Json | Format::Binary => vec![json::load(text).map_err(syntax)?],
        Format::Dotenv => vec![dotenv::load(text).map_err(syntax)?],
        Format::Ini => vec![ini::load(text).map_err(syntax)?],
    };
    let metadata = meta::extract(&mut branches, format).map_err(|reason| SopsError::Metadata {
        file: path.to_path_buf(),
        reason,
    })?;
    let key = meta::data_key(path, &metadata, keys)?;
    crypto::decrypt_tree(path, &mut branches, &metadata, &key)?;
    Ok(branches)
}

/// A decrypted tree written as `sops decrypt` prints it in `format`.
pub(crate) fn emit_plain(
    path: &Path,
    branches: &[Branch],
    format: Format,
) -> Result<SecretBytes, SopsError> {
    let out = match format {
        Format::Yaml => Ok(yaml::emit(branches)),
        Format::Json => json::emit(&branches[0]),
        Format::Binary => json::emit_binary(&branches[0]),
        Format::Dotenv => dotenv::emit(&branches[0]),
        Format::Ini => ini::emit(&branches[0]),
    }
    .map_err(|reason| SopsError::Emit {
        file: path.to_path_buf(),
        format: format.name(),
        reason,
    })?;
    Ok(SecretBytes::new(std::mem::take(&mut *out.into_inner())))
}

/// Why a file that carries SOPS metadata is not encrypted as its own rules say: the key
/// path of a value (`stringData:password`, `a:b:0`), `sops` for the metadata, or empty for
/// the whole file, and the rule broken, a phrase that follows it (`is missing`). Never a
/// value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StructureFault {
    pub path: String,
    pub reason: String,
}

/// Checks, without any key, that a SOPS file is encrypted in structure: it parses in its
/// format, its metadata reads, the MAC is a well-formed encrypted value, at least one key
/// entry of any type is there (age, pgp, kms, gcp_kms, azure_kv, hc_vault, hckms, in
/// `key_groups` or not), and every value the file's own rules (`encrypted_regex`,
/// `unencrypted_regex`, the suffixes, the comment regexes) say is encrypted is a
/// well-formed `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]`. `None` when the bytes are not
/// SOPS at all. Uses the stores and the walk that decryption uses; decrypts nothing.
pub fn check_structure(path: &Path, bytes: &[u8]) -> Option<Vec<StructureFault>> {
    let format = format_for(path, bytes)?;
    let whole = |reason: String| {
        Some(vec![StructureFault {
            path: String::new(),
            reason,
        }])
    };
    let Ok(text) = std::str::from_utf8(bytes) else {
        return whole(format!("is {}", SyntaxReason::NotUtf8));
    };
    let loaded = match format {
        Format::Yaml => yaml::load(text),
        Format::Json | Format::Binary => json::load(text).map(|b| vec![b]),
        Format::Dotenv => dotenv::load(text).map(|b| vec![b]),
        Format::Ini => ini::load(text).map(|b| vec![b]),
    };
    let mut branches = match loaded {
        Ok(b) => b,
        Err(reason) => {
            return whole(format!(
                "is not a valid SOPS {} file: {reason}",
                format.name()
            ));
        }
    };
    let metadata = match meta::extract(&mut branches, format) {
        Ok(m) => m,
        Err(reason) => return whole(format!("has SOPS metadata that does not read: {reason}")),
    };
    let mut faults = Vec::new();
    if metadata.mac.is_empty() {
        faults.push(StructureFault {
            path: "sops:mac".into(),
            reason: "is missing".into(),
        });
    } else if let Err(f) = crypto::well_formed(&metadata.mac) {
        faults.push(StructureFault {
            path: "sops:mac".into(),
            reason: f.describe(),
        });
    }
    if metadata.groups.iter().all(|g| g.entries.is_empty()) {
        faults.push(StructureFault {
            path: "sops".into(),
            reason: "has no key entry (age, pgp, kms, gcp_kms, azure_kv, hc_vault or key_groups): nothing could decrypt its data key".into(),
        });
    }
    for (at, f) in crypto::check_tree(path, &mut branches, &metadata) {
        faults.push(StructureFault {
            path: at,
            reason: f.describe(),
        });
    }
    Some(faults)
}

/// A buffer of plaintext being written, zeroized on drop.
pub(crate) struct Out(Zeroizing<Vec<u8>>);

impl Out {
    pub(crate) fn new() -> Self {
        Out(Zeroizing::new(Vec::new()))
    }
    pub(crate) fn push_str(&mut self, s: &str) {
        self.0.extend_from_slice(s.as_bytes());
    }
    pub(crate) fn extend(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b);
    }
    pub(crate) fn push(&mut self, b: u8) {
        self.0.push(b);
    }
    pub(crate) fn into_inner(self) -> Zeroizing<Vec<u8>> {
        self.0
    }
}

/// A comment line of a SOPS tree (without its `#`). sops encrypts comments too.
#[derive(Clone)]
pub(crate) struct Comment {
    pub(crate) text: Zeroizing<String>,
    pub(crate) inline: bool,
}

/// A value of a SOPS tree, as sops' stores load them (Go's types in sops' `TreeBranch`).
#[derive(Clone)]
pub(crate) enum Val {
    Str(Zeroizing<String>),
    /// A decrypted string that is not UTF-8 (Go strings hold any bytes; binary files do).
    Bytes(Zeroizing<Vec<u8>>),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// A timestamp, kept as its RFC 3339 text (what Go's `time.Time.MarshalText` gives).
    Time(Zeroizing<String>),
    Null,
    Map(Vec<Item>),
    /// Items of a list; comments sit among them as [`Val::Comment`].
    Seq(Vec<Val>),
    Comment(Comment),
}

/// A key of a mapping: a string, or a comment line standing among the entries.
#[derive(Clone)]
pub(crate) enum Key {
    Str(String),
    Comment(Comment),
}

#[derive(Clone)]
pub(crate) struct Item {
    pub(crate) key: Key,
    pub(crate) val: Val,
}

impl Item {
    pub(crate) fn new(key: impl Into<String>, val: Val) -> Item {
        Item {
            key: Key::Str(key.into()),
            val,
        }
    }
    pub(crate) fn comment(text: &str, inline: bool) -> Item {
        Item {
            key: Key::Comment(Comment {
                text: Zeroizing::new(text.to_string()),
                inline,
            }),
            val: Val::Null,
        }
    }
    pub(crate) fn key_str(&self) -> Option<&str> {
        match &self.key {
            Key::Str(s) => Some(s),
            Key::Comment(_) => None,
        }
    }
}

impl Val {
    pub(crate) fn str(s: &str) -> Val {
        Val::Str(Zeroizing::new(s.to_string()))
    }
}

/// One document of a SOPS file: the entries of its top-level mapping.
pub(crate) type Branch = Vec<Item>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_formats_by_content_and_name() {
        let yaml =
            b"a: ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\nsops:\n    mac: ENC[AES256_GCM,x]\n";
        assert_eq!(is_sops(yaml), Some(Format::Yaml));
        let json =
            b"{\n\t\"a\": \"x\",\n\t\"sops\": {\n\t\t\"mac\": \"ENC[AES256_GCM,x]\"\n\t}\n}\n";
        assert_eq!(is_sops(json), Some(Format::Json));
        let bin = b"{\n\t\"data\": \"ENC[x]\",\n\t\"sops\": {\n\t\t\"mac\": \"ENC[AES256_GCM,x]\"\n\t}\n}\n";
        assert_eq!(is_sops(bin), Some(Format::Binary));
        assert_eq!(
            is_sops(b"A=1\nsops_mac=ENC[AES256_GCM,x]\n"),
            Some(Format::Dotenv)
        );
        assert_eq!(
            is_sops(b"[s]\na = 1\n[sops]\nmac = ENC[AES256_GCM,x]\n"),
            Some(Format::Ini)
        );
        assert_eq!(is_sops(b"sops: 1\n"), None);
        assert_eq!(is_sops(b"a: 1\nsops:\n    mac: x\n"), None);
        assert_eq!(is_sops(b"password"), None);
        assert_eq!(is_sops(b"{\"sops\": 1}"), None);
        assert_eq!(format_for(Path::new("x.json"), bin), Some(Format::Json));
        assert_eq!(format_for(Path::new("x.txt"), bin), Some(Format::Binary));
        assert_eq!(format_for(Path::new("x.txt"), json), Some(Format::Json));
        assert_eq!(format_for(Path::new("x.yml"), yaml), Some(Format::Yaml));
        assert_eq!(format_for(Path::new("x"), yaml), Some(Format::Yaml));
    }

    /// Without a key: each value the rules say is encrypted and is not, by key path; the
    /// metadata's MAC and key entries; never a value.
    #[test]
    fn structure_is_checked_by_key_path() {
        const V: &str = "ENC[AES256_GCM,data:AAAA,iv:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]";
        let file = |body: &str, meta: &str| {
            format!("{body}sops:\n    mac: {V}\n    lastmodified: \"2024-01-01T00:00:00Z\"\n{meta}")
        };
        let age = "    age:\n        - recipient: age1x\n          enc: x\n";
        let ok = file(&format!("a: {V}\nb_unencrypted: clear\n"), age);
        assert_eq!(
            check_structure(Path::new("s.yaml"), ok.as_bytes()),
            Some(vec![])
        );
        let added = file(&format!("a: {V}\nn:\n    - {V}\n    - secret-value\n"), age);
        let faults = check_structure(Path::new("s.yaml"), added.as_bytes()).unwrap();
        assert_eq!(faults.len(), 1, "{faults:?}");
        // sops names a list item by the keys above it.
        assert_eq!(faults[0].path, "n");
        assert!(!format!("{faults:?}").contains("secret-value"));
        let regex = file(
            "stringData:\n    a: secret-value\nkind: Secret\n",
            &format!("{age}    encrypted_regex: ^(data|stringData)$\n"),
        );
        let faults = check_structure(Path::new("s.yaml"), regex.as_bytes()).unwrap();
        assert_eq!(
            faults.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(),
            ["stringData:a"]
        );
        let keyless = file(&format!("a: {V}\n"), "");
        let faults = check_structure(Path::new("s.yaml"), keyless.as_bytes()).unwrap();
        assert_eq!(faults.len(), 1);
        assert_eq!(faults[0].path, "sops");
        assert_eq!(check_structure(Path::new("s.yaml"), b"a: 1\n"), None);
    }
}
