//! Encryption, as `sops encrypt` does it: the plaintext loaded by the input format's store,
//! each value the rules choose sealed by the decrypt walk's encrypt mode (the MAC computed
//! over the same leaves it checks), the `sops` metadata added in sops 3.13.3's layout
//! (fields in alphabetical order; flattened into `sops_…` keys for dotenv and a `[sops]`
//! section for INI), and the tree written by the output format's emitter.
//!
//! The data key and its wrapped copies ([`KeyEntry`]) come from the caller: this crate
//! opens and seals values only, and wraps nothing.

use std::path::Path;

use zeroize::Zeroizing;

use super::crypto;
use super::error::EncryptReason;
use super::keys::KeyEntry;
use super::meta::{Metadata, Rule};
use super::{Branch, Format, Item, SopsError, SyntaxReason, Val, dotenv, ini, json, yaml};

/// The version sops writes into the files it encrypts, and the one written here.
pub const SOPS_VERSION: &str = "3.13.3";

/// sops' default when no rule is set.
pub const DEFAULT_UNENCRYPTED_SUFFIX: &str = "_unencrypted";

/// What is encrypted: sops' `*_suffix`, `*_regex` and comment regexes (at most one of
/// them), and `mac_only_encrypted`. An empty string is unset, as in sops.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rules {
    pub unencrypted_suffix: String,
    pub encrypted_suffix: String,
    pub unencrypted_regex: String,
    pub encrypted_regex: String,
    pub unencrypted_comment_regex: String,
    pub encrypted_comment_regex: String,
    pub mac_only_encrypted: bool,
}

impl Rules {
    /// The rules sops applies: at most one selector, `_unencrypted` when none is set.
    pub fn effective(&self) -> Result<Rules, EncryptReason> {
        let set = [
            &self.unencrypted_suffix,
            &self.encrypted_suffix,
            &self.unencrypted_regex,
            &self.encrypted_regex,
            &self.unencrypted_comment_regex,
            &self.encrypted_comment_regex,
        ]
        .iter()
        .filter(|s| !s.is_empty())
        .count();
        if set > 1 {
            return Err(EncryptReason::RuleConflict);
        }
        let mut rules = self.clone();
        if set == 0 {
            rules.unencrypted_suffix = DEFAULT_UNENCRYPTED_SUFFIX.into();
        }
        Ok(rules)
    }

    fn metadata(&self) -> Result<Metadata, EncryptReason> {
        let re = |s: &str, field: &'static str| -> Result<Option<Rule>, EncryptReason> {
            if s.is_empty() {
                return Ok(None);
            }
            regex::Regex::new(s)
                .map(|r| Some(Rule::Regex(r)))
                .map_err(|_| EncryptReason::Regex(field))
        };
        Ok(Metadata {
            mac: String::new(),
            lastmodified: String::new(),
            unencrypted_suffix: self.unencrypted_suffix.clone(),
            encrypted_suffix: self.encrypted_suffix.clone(),
            unencrypted_regex: re(&self.unencrypted_regex, "unencrypted_regex")?,
            encrypted_regex: re(&self.encrypted_regex, "encrypted_regex")?,
            unencrypted_comment_regex: re(
                &self.unencrypted_comment_regex,
                "unencrypted_comment_regex",
            )?,
            encrypted_comment_regex: re(&self.encrypted_comment_regex, "encrypted_comment_regex")?,
            mac_only_encrypted: self.mac_only_encrypted,
            shamir_threshold: 0,
            groups: Vec::new(),
        })
    }
}

/// What to encrypt with: the 32-byte data key, its wrapped copies in key groups (each in
/// the order sops lists them; one group is written flat, several as `key_groups` whose
/// entries hold each group's Shamir share), `shamir_threshold` (0: unset; written when
/// set), and the time the file is written (`lastmodified`, RFC 3339 UTC seconds).
pub struct Sealing<'a> {
    pub data_key: &'a [u8],
    pub groups: &'a [Vec<KeyEntry>],
    pub shamir_threshold: usize,
    pub lastmodified: &'a str,
}

/// Encrypts `plaintext` (read as `input`, written as `output`) as `sops encrypt` does.
/// `file` names the file in errors; no error holds a value.
pub fn encrypt(
    file: &Path,
    plaintext: &[u8],
    input: Format,
    output: Format,
    rules: &Rules,
    sealing: &Sealing<'_>,
) -> Result<Zeroizing<Vec<u8>>, SopsError> {
    let refuse = |reason| SopsError::Encrypt {
        file: file.to_path_buf(),
        reason,
    };
    if super::is_sops(plaintext).is_some() {
        return Err(refuse(EncryptReason::AlreadyEncrypted));
    }
    if sealing.groups.iter().all(Vec::is_empty) {
        return Err(refuse(EncryptReason::NoKeys));
    }
    let key = crypto::cipher(sealing.data_key).ok_or_else(|| refuse(EncryptReason::DataKey))?;
    let mut branches = load_plain(file, plaintext, input)?;
    // sops' `validateFileForEncryption`: a YAML stream without a document has no tree.
    if branches.is_empty() {
        return Err(refuse(EncryptReason::Empty));
    }
    // The binary store has one key, always encrypted: sops ignores (and does not record)
    // the selectors and `mac_only_encrypted` for it.
    let rules = if input == Format::Binary {
        Rules::default()
    } else {
        rules.effective().map_err(refuse)?
    };
    let meta = rules.metadata().map_err(refuse)?;
    let mac = crypto::encrypt_tree(file, &mut branches, &meta, &key, None)?;
    let mac = crypto::seal_value(mac.as_bytes(), "str", &key, sealing.lastmodified)
        .ok_or_else(|| refuse(EncryptReason::Seal))?;
    let metadata = metadata_items(&rules, sealing, &mac);
    emit(file, branches, metadata, output)
}

/// Loads a plaintext file into sops' tree with the input format's store.
pub(crate) fn load_plain(
    file: &Path,
    bytes: &[u8],
    format: Format,
) -> Result<Vec<Branch>, SopsError> {
    let syntax = |reason: SyntaxReason| SopsError::Syntax {
        file: file.to_path_buf(),
        format: format.name(),
        reason,
    };
    if format == Format::Binary {
        let val = match std::str::from_utf8(bytes) {
            Ok(s) => Val::str(s),
            Err(_) => Val::Bytes(Zeroizing::new(bytes.to_vec())),
        };
        return Ok(vec![vec![Item::new("data", val)]]);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| syntax(SyntaxReason::NotUtf8))?;
    match format {
        Format::Yaml => yaml::load(text),
        Format::Json => json::load(text).map(|b| vec![b]),
        Format::Dotenv => dotenv::load(text).map(|b| vec![b]),
        Format::Ini => ini::load(text).map(|b| vec![b]),
        Format::Binary => unreachable!("handled above"),
    }
    .map_err(syntax)
}

/// The `sops` metadata as sops 3.13.3 writes it: fields in alphabetical order, the rules
/// only where set, `mac_only_encrypted` only when true.
fn metadata_items(rules: &Rules, sealing: &Sealing<'_>, mac: &str) -> Vec<Item> {
    let s = Val::str;
    let mut items = key_items(sealing.groups, sealing.shamir_threshold);
    let mut text = |k: &'static str, v: &str| {
        if !v.is_empty() {
            items.push(Item::new(k, s(v)));
        }
    };
    text("encrypted_comment_regex", &rules.encrypted_comment_regex);
    text("encrypted_regex", &rules.encrypted_regex);
    text("encrypted_suffix", &rules.encrypted_suffix);
    text("lastmodified", sealing.lastmodified);
    text("mac", mac);
    text(
        "unencrypted_comment_regex",
        &rules.unencrypted_comment_regex,
    );
    text("unencrypted_regex", &rules.unencrypted_regex);
    text("unencrypted_suffix", &rules.unencrypted_suffix);
    text("version", SOPS_VERSION);
    if rules.mac_only_encrypted {
        items.push(Item::new("mac_only_encrypted", Val::Bool(true)));
    }
    items.sort_by(|a, b| a.key_str().cmp(&b.key_str()));
    items
}

/// The metadata fields that hold the key entries, as sops 3.13.3 writes them: one group
/// flat (`age:`, `pgp:`, … lists), several as `key_groups` (each group a mapping of such
/// lists, with the `hc_vault: []` sops always writes there), and `shamir_threshold` when
/// set. Unsorted: the caller sorts the whole metadata.
pub(crate) fn key_items(groups: &[Vec<KeyEntry>], shamir_threshold: usize) -> Vec<Item> {
    let lists = |entries: &[KeyEntry]| -> Vec<Item> {
        let mut lists: Vec<(&'static str, Vec<Val>)> = Vec::new();
        for e in entries {
            let fields = entry_fields(e);
            let map = Val::Map(fields.into_iter().map(|(k, v)| Item::new(k, v)).collect());
            match lists.iter_mut().find(|(f, _)| *f == e.field()) {
                Some((_, l)) => l.push(map),
                None => lists.push((e.field(), vec![map])),
            }
        }
        lists
            .into_iter()
            .map(|(field, list)| Item::new(field, Val::Seq(list)))
            .collect()
    };
    let mut items = match groups {
        [one] => lists(one),
        _ => {
            let groups = groups
                .iter()
                .map(|g| {
                    let mut fields = lists(g);
                    if !fields.iter().any(|i| i.key_str() == Some("hc_vault")) {
                        fields.push(Item::new("hc_vault", Val::Seq(Vec::new())));
                    }
                    fields.sort_by(|a, b| a.key_str().cmp(&b.key_str()));
                    Val::Map(fields)
                })
                .collect();
            vec![Item::new("key_groups", Val::Seq(groups))]
        }
    };
    if shamir_threshold > 0 {
        items.push(Item::new(
            "shamir_threshold",
            Val::Int(shamir_threshold as i64),
        ));
    }
    items
}

/// A key entry's fields, in the order sops writes them (alphabetical; optional ones only
/// when set).
fn entry_fields(e: &KeyEntry) -> Vec<(&'static str, Val)> {
    let s = Val::str;
    let mut f: Vec<(&'static str, Val)> = match e {
        KeyEntry::Age { recipient, enc } => vec![("enc", s(enc)), ("recipient", s(recipient))],
        KeyEntry::Pgp {
            fp,
            created_at,
            enc,
        } => vec![
            ("created_at", s(created_at)),
            ("enc", s(enc)),
            ("fp", s(fp)),
        ],
        KeyEntry::Kms {
            arn,
            role,
            context,
            aws_profile,
            created_at,
            enc,
        } => {
            let mut f = vec![
                ("arn", s(arn)),
                ("created_at", s(created_at)),
                ("enc", s(enc)),
                ("aws_profile", s(aws_profile)),
            ];
            if !role.is_empty() {
                f.push(("role", s(role)));
            }
            if !context.is_empty() {
                f.push((
                    "context",
                    Val::Map(context.iter().map(|(k, v)| Item::new(k, s(v))).collect()),
                ));
            }
            f
        }
        KeyEntry::GcpKms {
            resource_id,
            created_at,
            enc,
        } => vec![
            ("created_at", s(created_at)),
            ("enc", s(enc)),
            ("resource_id", s(resource_id)),
        ],
        KeyEntry::AzureKv {
            vault_url,
            name,
            version,
            created_at,
            enc,
        } => vec![
            ("created_at", s(created_at)),
            ("enc", s(enc)),
            ("name", s(name)),
            ("vault_url", s(vault_url)),
            ("version", s(version)),
        ],
        KeyEntry::HcVault {
            vault_address,
            engine_path,
            key_name,
            created_at,
            enc,
        } => vec![
            ("created_at", s(created_at)),
            ("enc", s(enc)),
            ("engine_path", s(engine_path)),
            ("key_name", s(key_name)),
            ("vault_address", s(vault_address)),
        ],
        KeyEntry::Hckms {
            key_id,
            created_at,
            enc,
        } => vec![
            ("created_at", s(created_at)),
            ("enc", s(enc)),
            ("key_id", s(key_id)),
        ],
    };
    f.sort_by_key(|(k, _)| *k);
    f
}

/// sops' flattening of the metadata for dotenv and INI: `age__list_0__map_enc`.
fn flatten(prefix: &str, v: &Val, out: &mut Vec<(String, Val)>) {
    match v {
        Val::Map(items) => {
            for it in items {
                if let Some(k) = it.key_str() {
                    flatten(&format!("{prefix}__map_{k}"), &it.val, out);
                }
            }
        }
        Val::Seq(items) => {
            for (i, it) in items.iter().enumerate() {
                flatten(&format!("{prefix}__list_{i}"), it, out);
            }
        }
        other => out.push((prefix.to_string(), other.clone())),
    }
}

fn flat(metadata: &[Item]) -> Vec<(String, Val)> {
    let mut out = Vec::new();
    for it in metadata {
        if let Some(k) = it.key_str() {
            flatten(k, &it.val, &mut out);
        }
    }
    out
}

/// Writes the encrypted tree with its metadata in the output format.
pub(crate) fn emit(
    file: &Path,
    mut branches: Vec<Branch>,
    metadata: Vec<Item>,
    format: Format,
) -> Result<Zeroizing<Vec<u8>>, SopsError> {
    let fail = |reason| SopsError::Encrypt {
        file: file.to_path_buf(),
        reason: EncryptReason::Emit(format.name(), reason),
    };
    let out = match format {
        Format::Yaml => {
            for b in branches.iter_mut() {
                b.push(Item::new("sops", Val::Map(metadata.clone())));
            }
            yaml::emit(&branches)
        }
        Format::Json | Format::Binary => {
            let mut b = branches.into_iter().next().unwrap_or_default();
            b.push(Item::new("sops", Val::Map(metadata)));
            json::emit(&b).map_err(fail)?
        }
        Format::Dotenv => {
            let mut b = branches.into_iter().next().unwrap_or_default();
            for (k, v) in flat(&metadata) {
                b.push(Item::new(format!("sops_{k}"), v));
            }
            dotenv::emit(&b).map_err(fail)?
        }
        Format::Ini => {
            let mut b = branches.into_iter().next().unwrap_or_default();
            let section = flat(&metadata)
                .into_iter()
                .map(|(k, v)| match v {
                    Val::Str(s) => Item::new(k, Val::str(&s.replace('\n', "\\n"))),
                    v => Item::new(k, v),
                })
                .collect();
            b.push(Item::new("sops", Val::Map(section)));
            ini::emit(&b).map_err(fail)?
        }
    };
    Ok(out.into_inner())
}

/// Now as Go's `time.Now().UTC().Format(time.RFC3339)`: `2006-01-02T15:04:05Z`.
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    rfc3339_utc(secs)
}

/// Seconds since the epoch as RFC 3339 UTC (civil date from days, proleptic Gregorian).
pub fn rfc3339_utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_times_as_go_rfc3339() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_utc(1_796_532_528), "2026-12-06T04:48:48Z");
    }

    #[test]
    fn one_selector_at_most_and_the_default_suffix() {
        let r = Rules::default().effective().unwrap();
        assert_eq!(r.unencrypted_suffix, "_unencrypted");
        let two = Rules {
            encrypted_regex: "a".into(),
            unencrypted_suffix: "_x".into(),
            ..Rules::default()
        };
        assert_eq!(two.effective(), Err(EncryptReason::RuleConflict));
    }
}
