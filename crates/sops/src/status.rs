//! `sops filestatus`: whether a file is encrypted with SOPS, decided as sops 3.13.3 decides
//! it. The file is loaded by the store of the format asked for (the extension, or
//! `--input-type`); no `sops` metadata means not encrypted; metadata that does not read
//! (no valid `lastmodified`, no key entry, …) is an error; metadata without a `version` or
//! a `mac` means not encrypted. Nothing is decrypted.

use std::path::Path;

use super::{
    Branch, Format, MetadataReason, SopsError, SyntaxReason, Val, dotenv, ini, json, meta,
};

/// Whether `bytes`, read as `format`, is a SOPS-encrypted file, as `sops filestatus` says.
pub fn file_status(path: &Path, bytes: &[u8], format: Format) -> Result<bool, SopsError> {
    let mut branches = load(path, bytes, format)?;
    let version_set = raw_metadata(&branches, format)
        .and_then(|m| field(&m, format, "version"))
        .is_some_and(|v| set(&v));
    let metadata = match meta::extract(&mut branches, format) {
        Ok(m) => m,
        Err(MetadataReason::NotFound) => return Ok(false),
        Err(reason) => {
            return Err(SopsError::Metadata {
                file: path.to_path_buf(),
                reason,
            });
        }
    };
    if metadata.groups.iter().all(|g| g.entries.is_empty()) {
        return Err(SopsError::NoKey {
            file: path.to_path_buf(),
            reason: "the metadata holds no key entry".into(),
        });
    }
    Ok(version_set && !metadata.mac.is_empty())
}

/// The file's tree as the store of `format` loads it (the binary store reads JSON).
pub(crate) fn load(path: &Path, bytes: &[u8], format: Format) -> Result<Vec<Branch>, SopsError> {
    let syntax = |reason| SopsError::Syntax {
        file: path.to_path_buf(),
        format: format.name(),
        reason,
    };
    let text = std::str::from_utf8(bytes).map_err(|_| syntax(SyntaxReason::NotUtf8))?;
    match format {
        Format::Yaml => super::yaml::load(text),
        Format::Json | Format::Binary => json::load(text).map(|b| vec![b]),
        Format::Dotenv => dotenv::load(text).map(|b| vec![b]),
        Format::Ini => ini::load(text).map(|b| vec![b]),
    }
    .map_err(syntax)
}

/// The `sops` metadata as the file holds it: the `sops` entry of the first document (for
/// INI the `[sops]` section, flattened), or for dotenv the `sops_…` items (their names
/// without the prefix). `None` when there is none.
pub(crate) fn raw_metadata(branches: &[Branch], format: Format) -> Option<Val> {
    let first = branches.first()?;
    if format == Format::Dotenv {
        let items: Vec<super::Item> = first
            .iter()
            .filter_map(|i| {
                let k = i.key_str()?.strip_prefix("sops_")?;
                Some(super::Item::new(k, i.val.clone()))
            })
            .collect();
        return (!items.is_empty()).then_some(Val::Map(items));
    }
    first
        .iter()
        .find(|i| i.key_str() == Some("sops"))
        .map(|i| i.val.clone())
}

/// A top-level field of the raw metadata (every format keeps `version` and `mac` at the
/// top, flattened or not).
fn field(metadata: &Val, _format: Format, key: &str) -> Option<Val> {
    let Val::Map(items) = metadata else {
        return None;
    };
    items
        .iter()
        .find(|i| i.key_str() == Some(key))
        .map(|i| i.val.clone())
}

/// Whether a field is set as Go's mapstructure reads it into a string: anything but null
/// and the empty string.
fn set(v: &Val) -> bool {
    match v {
        Val::Null => false,
        Val::Str(s) => !s.is_empty(),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_files_are_not_encrypted_and_broken_metadata_is_an_error() {
        let p = Path::new("f");
        assert_eq!(file_status(p, b"a: 1\n", Format::Yaml), Ok(false));
        assert_eq!(file_status(p, b"A=1\n", Format::Dotenv), Ok(false));
        assert!(file_status(p, b"a: 1\nsops: {}\n", Format::Yaml).is_err());
        let no_keys =
            b"a: 1\nsops:\n  lastmodified: \"2024-01-01T00:00:00Z\"\n  mac: x\n  version: 1\n";
        assert!(file_status(p, no_keys, Format::Yaml).is_err());
        let no_version = b"a: 1\nsops:\n  age:\n    - recipient: r\n      enc: e\n  lastmodified: \"2024-01-01T00:00:00Z\"\n  mac: x\n";
        assert_eq!(file_status(p, no_version, Format::Yaml), Ok(false));
        let full = b"a: 1\nsops:\n  age:\n    - recipient: r\n      enc: e\n  lastmodified: \"2024-01-01T00:00:00Z\"\n  mac: x\n  version: 3.13.3\n";
        assert_eq!(file_status(p, full, Format::Yaml), Ok(true));
    }
}
