//! Writing SOPS files: the `.sops.yaml` creation rule that applies to a file (found by
//! walking up from the file itself, or named), and the data key wrapped to its age
//! recipients, armored as sops writes them (the other key types: `sops_keys::wrap_groups`).

use std::path::{Path, PathBuf};

use crate::sops::KeyEntry;

/// The SOPS layer's file operations, as the command line drives them.
pub use crate::sops::{
    Change, Format, Rules, Sealing, SopsError, decrypt, decrypt_extract, edit, encrypt, format_for,
    now_rfc3339, reencrypt,
};
/// SOPS files in git (the merge driver, the diff view), `filestatus`, idempotent edits.
pub use crate::sops::{
    METADATA_CONFLICT, Merged, WHOLE_FILE_CONFLICT, diff_text, edit_idempotent, file_status, merge,
};

use crate::error::Error;
use crate::gate::read::{self, Origin};
use crate::yaml::{self, Node, Value};

/// The name sops looks for.
pub const CONFIG_NAME: &str = ".sops.yaml";

/// What a creation rule says about a file: its master keys and what is encrypted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CreationRule {
    /// age recipients, in the rule's order.
    pub age: Vec<String>,
    pub rules: Rules,
    /// The rule's master keys as sops reads them: its `key_groups`, else one group of its
    /// flat keys of every type (each named, `enc` empty).
    pub key_groups: Vec<Vec<KeyEntry>>,
    /// `shamir_threshold` (0: unset).
    pub shamir_threshold: usize,
}

fn usage(msg: String) -> Error {
    Error::Usage(msg)
}

/// The nearest `.sops.yaml` in the directory of `target` or above it (sops itself starts
/// from the working directory; starting from the file finds the repository's config
/// wherever the command runs).
pub fn find_config(target: &Path) -> Option<PathBuf> {
    let abs = std::path::absolute(target).ok()?;
    abs.parent()?
        .ancestors()
        .map(|d| d.join(CONFIG_NAME))
        .find(|f| f.is_file())
}

/// The first creation rule of `config` whose `path_regex` matches `target` (its path
/// relative to the config's directory, as sops matches it); `None` when no rule matches.
pub fn rule_for(config: &Path, target: &Path) -> Result<Option<CreationRule>, Error> {
    let bytes = read::file(config, Origin::Argument, read::DEFAULT_MAX_INPUT_BYTES)?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| usage(format!("`{}`: not UTF-8 text", config.display())))?;
    let docs = yaml::parse_stream(text).map_err(|e| e.in_file(config))?;
    let Some(doc) = docs.first() else {
        return Ok(None);
    };
    let bad = |what: &str| usage(format!("`{}`: {what}", config.display()));
    let Some(rules) = doc.get("creation_rules") else {
        return Ok(None);
    };
    let Some(rules) = rules.as_seq() else {
        return Err(bad("`creation_rules` is not a list"));
    };
    let dir = std::path::absolute(config)
        .ok()
        .and_then(|c| c.parent().map(Path::to_path_buf))
        .unwrap_or_default();
    let abs = std::path::absolute(target).unwrap_or_else(|_| target.to_path_buf());
    let rel = abs.strip_prefix(&dir).unwrap_or(&abs);
    let rel = rel.to_string_lossy();
    for rule in rules {
        if rule.as_map().is_none() {
            return Err(bad("a creation rule is not a mapping"));
        }
        let text = |key: &str| -> Result<String, Error> {
            match rule.get(key) {
                None => Ok(String::new()),
                Some(n) if n.is_null() => Ok(String::new()),
                Some(Node {
                    value: Value::Scalar { text, .. },
                    ..
                }) => Ok(text.clone()),
                Some(_) => Err(bad(&format!("`{key}` in a creation rule is not a string"))),
            }
        };
        let path_regex = text("path_regex")?;
        if !path_regex.is_empty() {
            let re = regex::Regex::new(&path_regex).map_err(|_| {
                bad(&format!(
                    "`path_regex: {path_regex}` is not a valid regular expression"
                ))
            })?;
            if !re.is_match(&rel) {
                continue;
            }
        }
        let age = match rule.get("age") {
            None => Vec::new(),
            Some(n) if n.is_null() => Vec::new(),
            Some(Node {
                value: Value::Scalar { text, .. },
                ..
            }) => split_list(text),
            Some(Node {
                value: Value::Seq(items),
                ..
            }) => {
                let mut out = Vec::new();
                for i in items {
                    match &i.value {
                        Value::Scalar { text, .. } => out.extend(split_list(text)),
                        _ => return Err(bad("an `age` entry is not a string")),
                    }
                }
                out
            }
            Some(_) => return Err(bad("`age` is not a string or a list")),
        };
        let mac_only = match rule.get("mac_only_encrypted") {
            None => false,
            Some(Node {
                value: Value::Scalar { text, .. },
                ..
            }) => yaml::is_true(text),
            Some(_) => return Err(bad("`mac_only_encrypted` is not a boolean")),
        };
        let (key_groups, shamir_threshold) = super::sops_keys::rule_groups(rule, &bad)?;
        return Ok(Some(CreationRule {
            age,
            key_groups,
            shamir_threshold,
            rules: Rules {
                unencrypted_suffix: text("unencrypted_suffix")?,
                encrypted_suffix: text("encrypted_suffix")?,
                unencrypted_regex: text("unencrypted_regex")?,
                encrypted_regex: text("encrypted_regex")?,
                unencrypted_comment_regex: text("unencrypted_comment_regex")?,
                encrypted_comment_regex: text("encrypted_comment_regex")?,
                mac_only_encrypted: mac_only,
            },
        }));
    }
    Ok(None)
}

/// sops' comma-separated key lists: trimmed, empty items dropped.
pub fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

pub use crate::sops::new_data_key;

/// The data key wrapped to each age recipient on its own, armored, as sops writes its
/// `age` entries.
pub fn age_entries(data_key: &[u8], recipients: &[String]) -> Result<Vec<KeyEntry>, Error> {
    let mut out = Vec::with_capacity(recipients.len());
    for r in recipients {
        let parsed = crate::age::parse_recipient(r).map_err(|e| usage(e.to_string()))?;
        let enc = crate::age::encrypt(data_key, &[parsed], true)
            .map_err(|e| usage(format!("cannot wrap the data key: {e}")))?;
        let enc = String::from_utf8(enc)
            .map_err(|_| usage("the armored data key is not text".to_string()))?;
        out.push(KeyEntry::Age {
            recipient: r.clone(),
            enc,
        });
    }
    Ok(out)
}
