//! A SOPS file's master keys: read without any key ([`file_keys`]), replaced around the
//! same data key as `sops updatekeys` does ([`rekey`]: every value, the MAC and
//! `lastmodified` untouched), or replaced with a new data key that every value is
//! encrypted again under, as `sops rotate` does ([`rotate`]).
//!
//! The wrapped copies of the data key (or of its Shamir shares) come from the caller, as
//! for [`crate::encrypt`]: this crate wraps nothing.

use std::path::Path;

use zeroize::Zeroizing;

use super::encrypt::{Sealing, emit, key_items};
use super::error::EncryptReason;
use super::keys::{DataKeys, KeyEntry};
use super::{Branch, Format, Item, SopsError, SyntaxReason, Val, crypto, dotenv, ini, json, meta};
use super::{format_for, yaml};

/// The metadata fields that hold master keys, which [`rekey`] and [`rotate`] replace.
const KEY_FIELDS: [&str; 9] = [
    "age",
    "pgp",
    "kms",
    "gcp_kms",
    "azure_kv",
    "hc_vault",
    "hckms",
    "key_groups",
    "shamir_threshold",
];

/// A SOPS file's master keys as sops loads them: its key groups (one when the file lists
/// its keys flat), each in sops' order, and `shamir_threshold` (0 when unset).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileKeys {
    pub format: Format,
    pub groups: Vec<Vec<KeyEntry>>,
    pub shamir_threshold: usize,
}

/// The file parsed in its format (the metadata still in it).
fn load(file: &Path, bytes: &[u8]) -> Result<(Format, Vec<Branch>), SopsError> {
    let format = format_for(file, bytes).ok_or_else(|| SopsError::Syntax {
        file: file.to_path_buf(),
        format: Format::for_path(file).name(),
        reason: SyntaxReason::NoMetadata,
    })?;
    let syntax = |reason| SopsError::Syntax {
        file: file.to_path_buf(),
        format: format.name(),
        reason,
    };
    let text = std::str::from_utf8(bytes).map_err(|_| syntax(SyntaxReason::NotUtf8))?;
    let tree = match format {
        Format::Yaml => yaml::load(text).map_err(syntax)?,
        Format::Json | Format::Binary => vec![json::load(text).map_err(syntax)?],
        Format::Dotenv => vec![dotenv::load(text).map_err(syntax)?],
        Format::Ini => vec![ini::load(text).map_err(syntax)?],
    };
    Ok((format, tree))
}

/// The tree without its metadata, the metadata as a tree, and the metadata read.
fn split_metadata(
    file: &Path,
    bytes: &[u8],
) -> Result<(Format, Vec<Branch>, Vec<Item>, meta::Metadata), SopsError> {
    let (format, mut tree) = load(file, bytes)?;
    let bad = |reason| SopsError::Metadata {
        file: file.to_path_buf(),
        reason,
    };
    let raw = meta::extract_tree(&mut tree, format).map_err(bad)?;
    let read = meta::read_tree(&raw).map_err(bad)?;
    let Val::Map(items) = raw else {
        return Err(bad(super::MetadataReason::NotMapping));
    };
    Ok((format, tree, items, read))
}

/// The master keys of a SOPS file, read without any key.
pub fn file_keys(file: &Path, bytes: &[u8]) -> Result<FileKeys, SopsError> {
    let (format, _, _, m) = split_metadata(file, bytes)?;
    Ok(FileKeys {
        format,
        groups: m.groups.into_iter().map(|g| g.entries).collect(),
        shamir_threshold: m.shamir_threshold,
    })
}

/// The data key of a SOPS file, opened through `keys` as decryption opens it.
pub fn data_key(
    file: &Path,
    bytes: &[u8],
    keys: &dyn DataKeys,
) -> Result<Zeroizing<Vec<u8>>, SopsError> {
    let (_, _, _, m) = split_metadata(file, bytes)?;
    meta::data_key(file, &m, keys)
}

/// The metadata with its key fields replaced by `groups` and `shamir_threshold`, and
/// `fresh` fields (`mac`, `lastmodified`) set, sorted as sops 3.13.3 writes it.
fn metadata_with(
    mut items: Vec<Item>,
    groups: &[Vec<KeyEntry>],
    shamir_threshold: usize,
    fresh: &[(&str, &str)],
) -> Vec<Item> {
    items.retain(|i| i.key_str().is_none_or(|k| !KEY_FIELDS.contains(&k)));
    for it in items.iter_mut() {
        if let Some((_, v)) = fresh.iter().find(|(k, _)| it.key_str() == Some(k)) {
            it.val = Val::str(v);
        }
    }
    items.extend(key_items(groups, shamir_threshold));
    items.sort_by(|a, b| a.key_str().cmp(&b.key_str()));
    items
}

/// The file with its master keys replaced by `groups` (holding the same data key, or
/// shares of it, wrapped by the caller) and `shamir_threshold`, as `sops updatekeys`
/// writes it: every value, the MAC and `lastmodified` as they were.
pub fn rekey(
    file: &Path,
    bytes: &[u8],
    groups: &[Vec<KeyEntry>],
    shamir_threshold: usize,
) -> Result<Zeroizing<Vec<u8>>, SopsError> {
    if groups.iter().all(Vec::is_empty) {
        return Err(SopsError::Encrypt {
            file: file.to_path_buf(),
            reason: EncryptReason::NoKeys,
        });
    }
    let (format, tree, items, _) = split_metadata(file, bytes)?;
    let metadata = metadata_with(items, groups, shamir_threshold, &[]);
    emit(file, tree, metadata, format)
}

/// The file encrypted again under a new data key, as `sops rotate` writes it: every value
/// opened with the old key (the MAC checked) and sealed with `sealing.data_key` and a new
/// IV, the MAC computed again, the master keys replaced by `sealing`'s, `lastmodified`
/// now; the file's rules (`encrypted_regex`, …) kept.
pub fn rotate(
    file: &Path,
    bytes: &[u8],
    keys: &dyn DataKeys,
    sealing: &Sealing<'_>,
) -> Result<Zeroizing<Vec<u8>>, SopsError> {
    let refuse = |reason| SopsError::Encrypt {
        file: file.to_path_buf(),
        reason,
    };
    if sealing.groups.iter().all(Vec::is_empty) {
        return Err(refuse(EncryptReason::NoKeys));
    }
    let (format, mut tree, items, m) = split_metadata(file, bytes)?;
    let old = meta::data_key(file, &m, keys)?;
    crypto::decrypt_tree(file, &mut tree, &m, &old)?;
    let gcm = crypto::cipher(sealing.data_key).ok_or_else(|| refuse(EncryptReason::DataKey))?;
    let mac = crypto::encrypt_tree(file, &mut tree, &m, &gcm, None)?;
    let mac = crypto::seal_value(mac.as_bytes(), "str", &gcm, sealing.lastmodified)
        .ok_or_else(|| refuse(EncryptReason::Seal))?;
    let metadata = metadata_with(
        items,
        sealing.groups,
        sealing.shamir_threshold,
        &[("mac", &mac), ("lastmodified", sealing.lastmodified)],
    );
    emit(file, tree, metadata, format)
}
