//! The `sops` metadata: taken out of the tree (nested in YAML/JSON/INI, flattened as
//! `sops_…` keys in dotenv), read weakly typed as sops' mapstructure does, and the data key
//! recovered from its age entries (one group, or Shamir over several `key_groups`).

use std::path::Path;

use zeroize::Zeroizing;

use super::{Branch, Format, Item, Key, MetadataReason, OpenAge, SopsError, Val, gofmt, shamir};
use crate::gate::budget::{self, Depth};

/// The metadata fields decryption needs.
pub(crate) struct Metadata {
    pub(crate) mac: String,
    /// `lastmodified` as Go's `time.Format(time.RFC3339)` writes it: the MAC's AAD.
    pub(crate) lastmodified: String,
    pub(crate) unencrypted_suffix: String,
    pub(crate) encrypted_suffix: String,
    pub(crate) unencrypted_regex: Option<Rule>,
    pub(crate) encrypted_regex: Option<Rule>,
    pub(crate) unencrypted_comment_regex: Option<Rule>,
    pub(crate) encrypted_comment_regex: Option<Rule>,
    pub(crate) mac_only_encrypted: bool,
    pub(crate) shamir_threshold: usize,
    pub(crate) groups: Vec<Group>,
}

/// One key group: its age entries (`enc` value, recipient) and the other key types it names.
#[derive(Default)]
pub(crate) struct Group {
    pub(crate) age: Vec<(String, String)>,
    pub(crate) others: Vec<&'static str>,
}

const OTHER_KEYS: [(&str, &str); 6] = [
    ("pgp", "PGP"),
    ("kms", "AWS KMS"),
    ("gcp_kms", "GCP KMS"),
    ("azure_kv", "Azure Key Vault"),
    ("hc_vault", "HashiCorp Vault"),
    ("hckms", "HuaweiCloud KMS"),
];

/// Removes the metadata from `branches` and reads it.
pub(crate) fn extract(branches: &mut [Branch], format: Format) -> Result<Metadata, MetadataReason> {
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
    read(&tree)
}

fn get<'a>(map: &'a [Item], key: &str) -> Option<&'a Val> {
    map.iter()
        .find(|i| i.key_str() == Some(key))
        .map(|i| &i.val)
}

fn string(map: &[Item], key: &'static str) -> Result<String, MetadataReason> {
    match get(map, key) {
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
pub(crate) enum Rule {
    Words(Vec<Word>),
    Regex(regex::Regex),
}

/// One alternative of a word rule, with its anchors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Word {
    text: String,
    at_start: bool,
    at_end: bool,
}

impl Rule {
    pub(crate) fn is_match(&self, s: &str) -> bool {
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
    let mut g = Group::default();
    if let Some(Val::Seq(entries)) = get(m, "age") {
        for e in entries {
            let Val::Map(e) = e else {
                return Err(MetadataReason::AgeNotMapping);
            };
            g.age.push((string(e, "enc")?, string(e, "recipient")?));
        }
    }
    for (key, name) in OTHER_KEYS {
        if matches!(get(m, key), Some(Val::Seq(l)) if !l.is_empty()) {
            g.others.push(name);
        }
    }
    Ok(g)
}

impl Metadata {
    /// sops' `shouldBeEncrypted`: which leaves (and comments) are encrypted.
    pub(crate) fn should_encrypt(
        &self,
        path: &[String],
        stack: &[Vec<String>],
        is_comment: bool,
    ) -> bool {
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

/// The data key: from one group's first age entry that opens, or Shamir over groups.
pub(crate) fn data_key(
    file: &Path,
    meta: &Metadata,
    open: &OpenAge<'_>,
) -> Result<Zeroizing<Vec<u8>>, SopsError> {
    let mut parts = Vec::new();
    let mut reasons = Vec::new();
    let mut missing = true;
    for g in &meta.groups {
        let mut got = None;
        for (enc, recipient) in &g.age {
            match open(enc.as_bytes(), recipient) {
                Ok(k) => {
                    got = Some(Zeroizing::new(k.expose().to_vec()));
                    break;
                }
                Err((reason, is_missing)) => {
                    missing &= is_missing;
                    if !reasons.contains(&reason) {
                        reasons.push(reason);
                    }
                }
            }
        }
        if let Some(k) = got {
            parts.push(k);
        }
    }
    let others: Vec<&str> = {
        let mut o: Vec<&str> = meta.groups.iter().flat_map(|g| g.others.clone()).collect();
        o.sort_unstable();
        o.dedup();
        o
    };
    let has_age = meta.groups.iter().any(|g| !g.age.is_empty());
    let fail = |reasons: &[String]| {
        if !has_age {
            let found = if others.is_empty() {
                "no key at all".to_string()
            } else {
                others.join(", ")
            };
            return SopsError::UnsupportedKeys {
                file: file.to_path_buf(),
                found,
            };
        }
        let reason = if reasons.is_empty() {
            "no age entry could be opened".to_string()
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
    let key = if meta.groups.len() > 1 {
        let threshold = meta.shamir_threshold.max(1);
        if parts.len() < threshold || parts.len() < 2 {
            let mut r = reasons.clone();
            r.push(format!(
                "{} of {} key groups opened, {} needed (shamir_threshold)",
                parts.len(),
                meta.groups.len(),
                threshold.max(2)
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
