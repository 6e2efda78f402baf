//! The `sops` metadata: taken out of the tree (nested in YAML/JSON/INI, flattened as
//! `sops_…` keys in dotenv), read weakly typed as sops' mapstructure does, and the data key
//! recovered from its key entries through a [`DataKeys`] (one group, or Shamir over several
//! `key_groups`).

use std::path::Path;

use zeroize::Zeroizing;

use super::keys::{DataKeys, KeyEntry};
use super::{Branch, Format, Item, Key, MetadataReason, SopsError, Val, gofmt, shamir};
use goyaml::budget::{self, Depth};

/// The metadata fields decryption needs.
pub struct Metadata {
    pub mac: String,
    /// `lastmodified` as Go's `time.Format(time.RFC3339)` writes it: the MAC's AAD.
    pub lastmodified: String,
    pub unencrypted_suffix: String,
    pub encrypted_suffix: String,
    pub unencrypted_regex: Option<Rule>,
    pub encrypted_regex: Option<Rule>,
    pub unencrypted_comment_regex: Option<Rule>,
    pub encrypted_comment_regex: Option<Rule>,
    pub mac_only_encrypted: bool,
    pub shamir_threshold: usize,
    pub groups: Vec<Group>,
}

/// One key group: its key entries, in the order sops tries them.
#[derive(Default)]
pub struct Group {
    pub entries: Vec<KeyEntry>,
}

/// Removes the metadata from `branches` and reads it.
pub fn extract(branches: &mut [Branch], format: Format) -> Result<Metadata, MetadataReason> {
    read(&extract_tree(branches, format)?)
}

/// Removes the metadata from `branches` and returns it as a tree (unflattened for dotenv
/// and INI, INI's `\n` unescaped), as [`crate::encrypt`]'s emitter takes it back.
pub(crate) fn extract_tree(branches: &mut [Branch], format: Format) -> Result<Val, MetadataReason> {
    let tree = match format {
        Format::Dotenv => {
            let first = branches.first_mut().ok_or(MetadataReason::Empty)?;
            let mut flat = Vec::new();
            first.retain(
                |item| match item.key_str().and_then(|k| k.strip_prefix("sops_")) {
                    Some(rest) => {
                        flat.push(Item::new(rest, item.val.clone()));
                        false
                    }
                    None => true,
                },
            );
            if flat.is_empty() {
                return Err(MetadataReason::NotFound);
            }
            unflatten(flat)?
        }
        _ => {
            let mut found = None;
            for (i, branch) in branches.iter_mut().enumerate() {
                let mut j = 0;
                while j < branch.len() {
                    if branch[j].key_str() == Some("sops") {
                        let item = branch.remove(j);
                        if i == 0 {
                            if found.is_some() {
                                return Err(MetadataReason::Duplicate);
                            }
                            found = Some(item.val);
                        }
                    } else {
                        j += 1;
                    }
                }
            }
            let tree = found.ok_or(MetadataReason::NotFound)?;
            if format == Format::Ini {
                let Val::Map(items) = tree else {
                    return Err(MetadataReason::NotMapping);
                };
                let items = items
                    .into_iter()
                    .map(|mut it| {
                        if let Val::Str(s) = &it.val {
                            it.val = Val::str(&s.replace("\\n", "\n"));
                        }
                        it
                    })
                    .collect();
                unflatten(items)?
            } else {
                tree
            }
        }
    };
    Ok(tree)
}

fn get<'a>(map: &'a [Item], key: &str) -> Option<&'a Val> {
    map.iter()
        .find(|i| i.key_str() == Some(key))
        .map(|i| &i.val)
}

fn string(map: &[Item], key: &'static str) -> Result<String, MetadataReason> {
    text(get(map, key), key)
}

/// A scalar read as a string, as sops' mapstructure decodes weakly typed input.
fn text(val: Option<&Val>, key: &'static str) -> Result<String, MetadataReason> {
    match val {
        None | Some(Val::Null) => Ok(String::new()),
        Some(Val::Str(s)) | Some(Val::Time(s)) => Ok(s.to_string()),
        Some(Val::Int(i)) => Ok(i.to_string()),
        Some(Val::Float(f)) => Ok(gofmt::format_g(*f)),
        Some(Val::Bool(b)) => Ok(if *b { "1".into() } else { "0".into() }),
        Some(_) => Err(MetadataReason::NotString(key)),
    }
}

fn regex(map: &[Item], key: &'static str) -> Result<Option<Rule>, MetadataReason> {
    let s = string(map, key)?;
    if s.is_empty() {
        return Ok(None);
    }
    if let Some(words) = Rule::literal_alternation(&s) {
        return Ok(Some(Rule::Words(words)));
    }
    // Every file of a repository tends to carry the same rule: compile each pattern once.
    static CACHE: std::sync::OnceLock<
        std::sync::Mutex<std::collections::HashMap<String, regex::Regex>>,
    > = std::sync::OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(re) = cache.lock().ok().and_then(|c| c.get(&s).cloned()) {
        return Ok(Some(Rule::Regex(re)));
    }
    let re = regex::Regex::new(&s).map_err(|_| MetadataReason::Regex(key))?;
    if let Ok(mut c) = cache.lock()
        && c.len() < 256
    {
        c.insert(s, re.clone());
    }
    Ok(Some(Rule::Regex(re)))
}

/// A `*_regex` rule (RE2 syntax, searched for anywhere in a key or comment, as Go's
/// `regexp.MatchString`). The rules repositories write are mostly alternations of words,
/// `^(data|stringData)$`: those are matched as the words they are, without compiling a
/// regex, which would cost a plugin call (one per generator) more than a decryption does.
#[derive(Clone, Debug)]
pub enum Rule {
    Words(Vec<Word>),
    Regex(regex::Regex),
}

/// One alternative of a word rule, with its anchors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    text: String,
    at_start: bool,
    at_end: bool,
}

impl Rule {
    pub fn is_match(&self, s: &str) -> bool {
        match self {
            Rule::Regex(re) => re.is_match(s),
            Rule::Words(words) => words.iter().any(|w| match (w.at_start, w.at_end) {
                (true, true) => s == w.text,
                (true, false) => s.starts_with(&w.text),
                (false, true) => s.ends_with(&w.text),
                (false, false) => s.contains(&w.text),
            }),
        }
    }

    /// The words of a pattern that is only words (ASCII letters, digits, `_`, `-`: no
    /// metacharacter), alternated with `|`, each alternative optionally anchored with `^`
    /// and `$`, or one group of them between the anchors (`^(a|b)$`, `^(?:a|b)$`). `None`
    /// for any other pattern, which is then compiled as the regex it is.
    fn literal_alternation(pattern: &str) -> Option<Vec<Word>> {
        fn is_word(w: &str) -> bool {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        }
        fn anchors(alt: &str) -> (bool, bool, &str) {
            let (at_start, rest) = match alt.strip_prefix('^') {
                Some(r) => (true, r),
                None => (false, alt),
            };
            match rest.strip_suffix('$') {
                Some(body) => (at_start, true, body),
                None => (at_start, false, rest),
            }
        }
        let word = |text: &str, at_start, at_end| {
            is_word(text).then(|| Word {
                text: text.to_string(),
                at_start,
                at_end,
            })
        };
        if pattern.contains('(') {
            let (at_start, at_end, body) = anchors(pattern);
            let inner = body.strip_prefix('(')?.strip_suffix(')')?;
            let inner = inner.strip_prefix("?:").unwrap_or(inner);
            inner
                .split('|')
                .map(|w| word(w, at_start, at_end))
                .collect()
        } else {
            pattern
                .split('|')
                .map(|alt| {
                    let (at_start, at_end, text) = anchors(alt);
                    word(text, at_start, at_end)
                })
                .collect()
        }
    }
}

/// Reads the metadata from its tree (as [`extract_tree`] returns it).
pub(crate) fn read_tree(tree: &Val) -> Result<Metadata, MetadataReason> {
    read(tree)
}

fn read(tree: &Val) -> Result<Metadata, MetadataReason> {
    let Val::Map(m) = tree else {
        return Err(MetadataReason::NotMapping);
    };
    let mac = string(m, "mac")?;
    let lastmodified_text = string(m, "lastmodified")?;
    let lastmodified = gofmt::rfc3339_nano(&lastmodified_text)
        .filter(|_| lastmodified_text.contains(['T', 't']))
        .map(|t| match t.find('.') {
            Some(dot) => {
                let zone = t[dot..].find(['Z', '+', '-']).map_or(t.len(), |z| dot + z);
                format!("{}{}", &t[..dot], &t[zone..])
            }
            None => t,
        })
        .ok_or(MetadataReason::LastModified)?;
    let mac_only_encrypted = match get(m, "mac_only_encrypted") {
        None | Some(Val::Null) => false,
        Some(Val::Bool(b)) => *b,
        Some(Val::Int(i)) => *i != 0,
        Some(Val::Str(s)) => gofmt::parse_bool(s)
            .or_else(|| s.is_empty().then_some(false))
            .ok_or(MetadataReason::MacOnlyEncrypted)?,
        Some(_) => return Err(MetadataReason::MacOnlyEncrypted),
    };
    let shamir_threshold = match get(m, "shamir_threshold") {
        None | Some(Val::Null) => 0,
        Some(Val::Int(i)) => usize::try_from(*i).map_err(|_| MetadataReason::ThresholdNegative)?,
        Some(Val::Str(s)) if s.is_empty() => 0,
        Some(Val::Str(s)) => s.parse().map_err(|_| MetadataReason::ThresholdNotNumber)?,
        Some(_) => return Err(MetadataReason::ThresholdNotNumber),
    };
    let mut meta = Metadata {
        mac,
        lastmodified,
        unencrypted_suffix: string(m, "unencrypted_suffix")?,
        encrypted_suffix: string(m, "encrypted_suffix")?,
        unencrypted_regex: regex(m, "unencrypted_regex")?,
        encrypted_regex: regex(m, "encrypted_regex")?,
        unencrypted_comment_regex: regex(m, "unencrypted_comment_regex")?,
        encrypted_comment_regex: regex(m, "encrypted_comment_regex")?,
        mac_only_encrypted,
        shamir_threshold,
        groups: Vec::new(),
    };
    let rules = [
        !meta.unencrypted_suffix.is_empty(),
        !meta.encrypted_suffix.is_empty(),
        meta.unencrypted_regex.is_some(),
        meta.encrypted_regex.is_some(),
        meta.unencrypted_comment_regex.is_some(),
        meta.encrypted_comment_regex.is_some(),
    ]
    .iter()
    .filter(|&&b| b)
    .count();
    if rules > 1 {
        return Err(MetadataReason::SeveralRules);
    }
    if rules == 0 {
        meta.unencrypted_suffix = "_unencrypted".into();
    }
    match get(m, "key_groups") {
        Some(Val::Seq(groups)) if !groups.is_empty() => {
            for g in groups {
                let Val::Map(g) = g else {
                    return Err(MetadataReason::GroupNotMapping);
                };
                meta.groups.push(group(g)?);
            }
        }
        _ => meta.groups.push(group(m)?),
    }
    Ok(meta)
}

fn group(m: &[Item]) -> Result<Group, MetadataReason> {
    // sops' `internalGroupFrom` order: KMS, GCP KMS, HuaweiCloud KMS, Azure Key Vault,
    // Vault, PGP, age.
    let mut g = Group::default();
    for field in [
        "kms", "gcp_kms", "hckms", "azure_kv", "hc_vault", "pgp", "age",
    ] {
        let Some(Val::Seq(list)) = get(m, field) else {
            continue;
        };
        for e in list {
            let Val::Map(e) = e else {
                return Err(if field == "age" {
                    MetadataReason::AgeNotMapping
                } else {
                    MetadataReason::EntryNotMapping(field)
                });
            };
            g.entries.push(entry(field, e)?);
        }
    }
    Ok(g)
}

/// One key entry of the metadata field `field`, weakly typed as sops reads it.
fn entry(field: &str, e: &[Item]) -> Result<KeyEntry, MetadataReason> {
    let enc = string(e, "enc")?;
    let created_at = || string(e, "created_at");
    Ok(match field {
        "age" => KeyEntry::Age {
            recipient: string(e, "recipient")?,
            enc,
        },
        "pgp" => KeyEntry::Pgp {
            fp: string(e, "fp")?,
            created_at: created_at()?,
            enc,
        },
        "kms" => {
            let mut context = Vec::new();
            if let Some(Val::Map(items)) = get(e, "context") {
                for it in items {
                    if let Some(k) = it.key_str() {
                        context.push((k.to_string(), text(Some(&it.val), "context")?));
                    }
                }
            }
            KeyEntry::Kms {
                arn: string(e, "arn")?,
                role: string(e, "role")?,
                context,
                aws_profile: string(e, "aws_profile")?,
                created_at: created_at()?,
                enc,
            }
        }
        "gcp_kms" => KeyEntry::GcpKms {
            resource_id: string(e, "resource_id")?,
            created_at: created_at()?,
            enc,
        },
        "azure_kv" => KeyEntry::AzureKv {
            vault_url: string(e, "vault_url")?,
            name: string(e, "name")?,
            version: string(e, "version")?,
            created_at: created_at()?,
            enc,
        },
        "hc_vault" => KeyEntry::HcVault {
            vault_address: string(e, "vault_address")?,
            engine_path: string(e, "engine_path")?,
            key_name: string(e, "key_name")?,
            created_at: created_at()?,
            enc,
        },
        _ => KeyEntry::Hckms {
            key_id: string(e, "key_id")?,
            created_at: created_at()?,
            enc,
        },
    })
}

impl Metadata {
    /// sops' `shouldBeEncrypted`: which leaves (and comments) are encrypted.
    pub fn should_encrypt(&self, path: &[String], stack: &[Vec<String>], is_comment: bool) -> bool {
        let mut enc = true;
        if !self.unencrypted_suffix.is_empty()
            && path.iter().any(|p| p.ends_with(&self.unencrypted_suffix))
        {
            enc = false;
        }
        if !self.encrypted_suffix.is_empty() {
            enc = path.iter().any(|p| p.ends_with(&self.encrypted_suffix));
        }
        if let Some(re) = &self.unencrypted_regex
            && path.iter().any(|p| re.is_match(p))
        {
            enc = false;
        }
        if let Some(re) = &self.encrypted_regex {
            enc = path.iter().any(|p| re.is_match(p));
        }
        if let Some(re) = &self.unencrypted_comment_regex
            && stack.iter().flatten().any(|c| re.is_match(c))
        {
            enc = false;
        }
        if let Some(re) = &self.encrypted_comment_regex {
            let last = stack.len().saturating_sub(1);
            let last_len = stack.last().map_or(0, Vec::len);
            enc = stack.iter().enumerate().any(|(i, cs)| {
                cs.iter()
                    .enumerate()
                    .any(|(j, c)| !(is_comment && i == last && j + 1 == last_len) && re.is_match(c))
            });
        }
        enc
    }
}

/// The data key, as sops recovers it: each group's entries in order until one opens (one
/// group: that key; several: Shamir over at least `shamir_threshold` groups' shares). When
/// nothing opens the file, the error lists each entry tried and why, never a value; it is
/// [`SopsError::NoKey`] when every failure was missing key material.
pub fn data_key(
    file: &Path,
    meta: &Metadata,
    keys: &dyn DataKeys,
) -> Result<Zeroizing<Vec<u8>>, SopsError> {
    let several = meta.groups.len() > 1;
    let threshold = if several {
        meta.shamir_threshold.max(2)
    } else {
        1
    };
    let mut parts = Vec::new();
    let mut reasons: Vec<String> = Vec::new();
    let mut missing = true;
    for g in &meta.groups {
        if parts.len() >= threshold {
            break;
        }
        for entry in &g.entries {
            match keys.unwrap(file, entry) {
                Ok(k) => {
                    parts.push(k);
                    break;
                }
                Err(failure) => {
                    missing &= failure.is_missing();
                    // An age entry's reason names the file and the identities tried; the
                    // other key types are named with their key.
                    let reason = match entry {
                        KeyEntry::Age { .. } => failure.reason().to_string(),
                        _ => format!("{} {}: {}", entry.kind(), entry.id(), failure.reason()),
                    };
                    if !reasons.contains(&reason) {
                        reasons.push(reason);
                    }
                }
            }
        }
    }
    if meta.groups.iter().all(|g| g.entries.is_empty()) {
        return Err(SopsError::UnsupportedKeys {
            file: file.to_path_buf(),
            found: "no key at all".into(),
        });
    }
    let fail = |reasons: &[String]| {
        let reason = if reasons.is_empty() {
            "no key entry could be opened".to_string()
        } else {
            reasons.join("; ")
        };
        if missing {
            SopsError::NoKey {
                file: file.to_path_buf(),
                reason,
            }
        } else {
            SopsError::DataKey {
                file: file.to_path_buf(),
                reason,
            }
        }
    };
    let key = if several {
        if parts.len() < threshold {
            let mut r = reasons.clone();
            r.push(format!(
                "{} of {} key groups opened, {} needed (shamir_threshold)",
                parts.len(),
                meta.groups.len(),
                threshold
            ));
            return Err(fail(&r));
        }
        shamir::combine(&parts).map_err(|reason| SopsError::DataKey {
            file: file.to_path_buf(),
            reason: format!("Shamir shares do not combine: {reason}"),
        })?
    } else {
        parts.pop().ok_or_else(|| fail(&reasons))?
    };
    if key.len() != 32 {
        return Err(SopsError::DataKey {
            file: file.to_path_buf(),
            reason: format!("the data key is {} bytes, not 32", key.len()),
        });
    }
    Ok(key)
}

/// One step of a flattened key: whether it is a map key (else a list index), and its text.
type FlatStep<'a> = (bool, &'a str);

/// A flattened key cut at its `__map_`/`__list_` markers, in one pass: the first name, then
/// each step (whether a map key, and its text). At most the depth budget of steps.
fn flat_path(k: &str) -> Result<(&str, Vec<FlatStep<'_>>), MetadataReason> {
    let b = k.as_bytes();
    let mut cuts = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"__map_") {
            cuts.push((i, true, 6));
            i += 6;
        } else if b[i..].starts_with(b"__list_") {
            cuts.push((i, false, 7));
            i += 7;
        } else {
            i += 1;
        }
        if Depth::check(cuts.len()).is_err() {
            return Err(MetadataReason::TooDeep);
        }
    }
    let first = &k[..cuts.first().map_or(k.len(), |c| c.0)];
    let steps = cuts
        .iter()
        .enumerate()
        .map(|(n, &(at, is_map, len))| {
            let end = cuts.get(n + 1).map_or(k.len(), |c| c.0);
            (is_map, &k[at + len..end])
        })
        .collect();
    Ok((first, steps))
}

/// Rebuilds nested metadata from sops' flattened keys (`age__list_0__map_enc`).
fn unflatten(items: Vec<Item>) -> Result<Val, MetadataReason> {
    #[derive(Default)]
    struct Node {
        value: Option<Val>,
        keys: std::collections::BTreeMap<String, Node>,
        idx: std::collections::BTreeMap<usize, Node>,
    }
    if items.len() > budget::MAX_FLAT_ENTRIES {
        return Err(MetadataReason::TooManyEntries);
    }
    let mut root = Node::default();
    for item in items {
        let Key::Str(k) = item.key else { continue };
        let (first, steps) = flat_path(&k)?;
        let mut node = root.keys.entry(first.to_string()).or_default();
        for (is_map, tok) in steps {
            node = if is_map {
                node.keys.entry(tok.to_string()).or_default()
            } else {
                let i: usize = tok
                    .parse()
                    .map_err(|_| MetadataReason::FlatIndex(k.clone()))?;
                node.idx.entry(i).or_default()
            };
        }
        if node.value.is_some() {
            return Err(MetadataReason::FlatDuplicate(k));
        }
        node.value = Some(item.val);
    }
    fn convert(n: Node) -> Result<Val, MetadataReason> {
        let kinds = n.value.is_some() as u8 + !n.keys.is_empty() as u8 + !n.idx.is_empty() as u8;
        if kinds > 1 {
            return Err(MetadataReason::FlatMismatch);
        }
        if let Some(v) = n.value {
            return Ok(v);
        }
        if !n.idx.is_empty() {
            if n.idx.keys().copied().ne(0..n.idx.len()) {
                return Err(MetadataReason::FlatIncompleteList);
            }
            return Ok(Val::Seq(
                n.idx.into_values().map(convert).collect::<Result<_, _>>()?,
            ));
        }
        Ok(Val::Map(
            n.keys
                .into_iter()
                .map(|(k, v)| Ok(Item::new(k, convert(v)?)))
                .collect::<Result<_, MetadataReason>>()?,
        ))
    }
    convert(root)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::KeyFailure;

    /// Records which entries were asked for; opens none, each failing as `missing` says.
    struct Asked {
        log: std::sync::Mutex<Vec<String>>,
        missing: bool,
    }

    impl DataKeys for Asked {
        fn unwrap(&self, _: &Path, e: &KeyEntry) -> Result<Zeroizing<Vec<u8>>, KeyFailure> {
            self.log
                .lock()
                .unwrap()
                .push(format!("{} {}", e.field(), e.id()));
            let why = format!("nothing for {}", e.id());
            Err(if self.missing {
                KeyFailure::Missing(why)
            } else {
                KeyFailure::Failed(why)
            })
        }
    }

    /// Every key type sops writes is read, flat and in key groups, and tried in sops' order
    /// (KMS, GCP KMS, HuaweiCloud KMS, Azure Key Vault, Vault, PGP, age); the error lists
    /// each entry tried and why, and is a missing key only when every failure was one.
    #[test]
    fn entries_of_every_type_are_tried_in_sops_order() {
        let text = "a: 1\nsops:\n    age:\n        - recipient: age1r\n          enc: E1\n    pgp:\n        - created_at: \"2024-01-01T00:00:00Z\"\n          enc: E2\n          fp: FP1\n    hc_vault:\n        - vault_address: http://v\n          engine_path: transit\n          key_name: k\n          created_at: x\n          enc: E3\n    azure_kv:\n        - vault_url: https://az\n          name: n\n          version: \"1\"\n          created_at: x\n          enc: E4\n    hckms:\n        - key_id: r:h\n          created_at: x\n          enc: E5\n    gcp_kms:\n        - resource_id: projects/p\n          created_at: x\n          enc: E6\n    kms:\n        - arn: arn:aws:kms:k\n          role: arn:aws:iam:r\n          context:\n            app: web\n            n: 1\n          aws_profile: prof\n          created_at: x\n          enc: E7\n    lastmodified: \"2024-01-01T00:00:00Z\"\n    mac: M\n";
        let mut branches = super::super::yaml::load(text).map_err(|_| ()).unwrap();
        let meta = extract(&mut branches, Format::Yaml).unwrap();
        assert_eq!(meta.groups.len(), 1);
        assert_eq!(
            meta.groups[0].entries[0],
            KeyEntry::Kms {
                arn: "arn:aws:kms:k".into(),
                role: "arn:aws:iam:r".into(),
                context: vec![("app".into(), "web".into()), ("n".into(), "1".into())],
                aws_profile: "prof".into(),
                created_at: "x".into(),
                enc: "E7".into(),
            }
        );
        for missing in [true, false] {
            let asked = Asked {
                log: Default::default(),
                missing,
            };
            let err = data_key(Path::new("s.yaml"), &meta, &asked).unwrap_err();
            assert_eq!(
                *asked.log.lock().unwrap(),
                [
                    "kms arn:aws:kms:k",
                    "gcp_kms projects/p",
                    "hckms r:h",
                    "azure_kv https://az/keys/n/1",
                    "hc_vault http://v/v1/transit/keys/k",
                    "pgp FP1",
                    "age age1r",
                ]
            );
            assert_eq!(err.is_missing_key(), missing);
            let msg = err.to_string();
            assert!(msg.contains("PGP FP1: nothing for FP1"), "{msg}");
            assert!(msg.contains("AWS KMS arn:aws:kms:k"), "{msg}");
            assert!(!msg.contains("E2") && !msg.contains("E7"), "{msg}");
        }
        // In key groups: one share per group, the first entry that opens in each.
        let grouped = "a: 1\nsops:\n    key_groups:\n        - pgp:\n            - fp: G1\n              enc: E\n        - age:\n            - recipient: age1g\n              enc: E\n          kms:\n            - arn: arn:g\n              enc: E\n    shamir_threshold: 2\n    lastmodified: \"2024-01-01T00:00:00Z\"\n    mac: M\n";
        let mut branches = super::super::yaml::load(grouped).map_err(|_| ()).unwrap();
        let meta = extract(&mut branches, Format::Yaml).unwrap();
        let asked = Asked {
            log: Default::default(),
            missing: true,
        };
        let err = data_key(Path::new("s.yaml"), &meta, &asked).unwrap_err();
        assert_eq!(
            *asked.log.lock().unwrap(),
            ["pgp G1", "kms arn:g", "age age1g"]
        );
        assert!(
            err.to_string()
                .contains("0 of 2 key groups opened, 2 needed"),
            "{err}"
        );
    }

    /// Word rules decide as the regex they are would, on keys around every word and anchor.
    #[test]
    fn word_rules_match_as_their_regex_does() {
        let patterns = [
            "^(data|stringData)$",
            "^(?:data|stringData)$",
            "^data$|^stringData$",
            "data|string",
            "^pass",
            "word$",
            "^(a-b|c_d)",
            "(x|y)$",
            "_unencrypted",
        ];
        let keys = [
            "",
            "data",
            "stringData",
            "xdata",
            "datax",
            "string",
            "astring",
            "password",
            "pass",
            "apass",
            "word",
            "words",
            "sword",
            "a-b",
            "a-bc",
            "c_d",
            "zc_d",
            "x",
            "y",
            "zx",
            "xz",
            "key_unencrypted",
            "unencrypted",
            "DATA",
            "data\n",
        ];
        for p in patterns {
            let words = Rule::literal_alternation(p).unwrap_or_else(|| panic!("{p}"));
            let rule = Rule::Words(words);
            let re = regex::Regex::new(p).unwrap();
            for k in keys {
                assert_eq!(rule.is_match(k), re.is_match(k), "{p} on {k:?}");
            }
        }
        // Everything else is compiled as a regex.
        for p in [
            "^(data|string.*)$",
            "(?i)data",
            "^$",
            "a||b",
            "()",
            "^(a|b)(c)$",
            "a(b|c)d",
            "^(a|b$",
            "a.b",
            "[ab]",
            "\\bdata",
            "data+",
            "(a)|(b)",
            "^é$",
        ] {
            assert!(Rule::literal_alternation(p).is_none(), "{p}");
        }
    }
}
