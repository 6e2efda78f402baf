//! The master keys of SOPS files against their `.sops.yaml` rules: a rule's key groups and
//! `shamir_threshold` (flat keys or `key_groups`, as sops reads them), the data key split
//! between groups (sops' Shamir scheme) and wrapped by each group's keys (age, PGP through
//! gpg, AWS KMS, other types through a key service), how a
//! file's keys differ from its rule now (sops' `DiffKeyGroups`), and the `updatekeys`,
//! `rotate` and `check --recipients` use cases over them. Nothing here holds a value: keys
//! are named by their public identifiers (recipients, fingerprints, ARNs).

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::sops::{CreationRule, age_entries, find_config, new_data_key, rule_for, split_list};
use crate::error::{Error, Loc};
pub use crate::sops::keys::keyservice::KeyServices;
use crate::sops::{DataKeys, Sealing};
pub use crate::sops::{FileKeys, KeyEntry};
use crate::yaml::{Node, Value};

fn usage(msg: String) -> Error {
    Error::Usage(msg)
}

fn sops_error(file: &Path, e: crate::sops::SopsError) -> Error {
    Error::Sops {
        loc: Loc::file(file),
        source: Box::new(e),
    }
}

/// A key of a rule, named as sops names it; `enc` stays empty.
fn named(field: &str, id: &str) -> KeyEntry {
    let id = id.to_string();
    match field {
        "age" => KeyEntry::Age {
            recipient: id,
            enc: String::new(),
        },
        "pgp" => KeyEntry::Pgp {
            // sops' NewMasterKeyFromFingerprint drops the spaces.
            fp: id.replace(' ', ""),
            created_at: String::new(),
            enc: String::new(),
        },
        "gcp_kms" => KeyEntry::GcpKms {
            resource_id: id,
            created_at: String::new(),
            enc: String::new(),
        },
        "azure_keyvault" => {
            // https://vault.vault.azure.net/keys/name/version, as sops' NewMasterKeyFromURL
            // cuts it.
            let (vault, rest) = id.split_once("/keys/").unwrap_or((&id, ""));
            let (name, version) = rest.split_once('/').unwrap_or((rest, ""));
            KeyEntry::AzureKv {
                vault_url: vault.to_string(),
                name: name.to_string(),
                version: version.to_string(),
                created_at: String::new(),
                enc: String::new(),
            }
        }
        "hckms" => KeyEntry::Hckms {
            key_id: id,
            created_at: String::new(),
            enc: String::new(),
        },
        "hc_vault" => {
            // https://vault:8200/v1/transit/keys/name, as sops' NewMasterKeyFromURI cuts it.
            let (address, rest) = id.split_once("/v1/").unwrap_or((&id, ""));
            let (engine, key) = rest.rsplit_once("/keys/").unwrap_or((rest, ""));
            KeyEntry::HcVault {
                vault_address: address.to_string(),
                engine_path: engine.to_string(),
                key_name: key.to_string(),
                created_at: String::new(),
                enc: String::new(),
            }
        }
        _ => {
            // `arn+role`, as sops' NewMasterKeyFromArn reads it: spaces dropped, the role
            // after `+arn:` (an ARN holds no `:` in its path, so that `+` separates two).
            let id = id.replace(' ', "");
            let (arn, role) = match id.find("+arn:") {
                Some(i) if i > 0 => (id[..i].to_string(), id[i + 1..].to_string()),
                _ => (id, String::new()),
            };
            KeyEntry::Kms {
                arn,
                role,
                context: Vec::new(),
                aws_profile: String::new(),
                created_at: String::new(),
                enc: String::new(),
            }
        }
    }
}

/// The keys of a comma-separated list given on the command line (`--age`, `--pgp`,
/// `--kms`, `--add-pgp`, …), named as sops names them; `field` is the file's field (`age`,
/// `pgp`, `kms`). A `kms` key takes `context` (sops' `--encryption-context`) and
/// `aws_profile` (`--aws-profile`).
pub fn keys_named(
    field: &str,
    lists: &[String],
    context: &[(String, String)],
    aws_profile: &str,
) -> Vec<KeyEntry> {
    lists
        .iter()
        .flat_map(|l| split_list(l))
        .map(|id| {
            let mut e = named(field, &id);
            if let KeyEntry::Kms {
                context: c,
                aws_profile: p,
                ..
            } = &mut e
            {
                *c = context.to_vec();
                *p = aws_profile.to_string();
            }
            e
        })
        .collect()
}

/// A KMS encryption context as sops' `--encryption-context` reads it (`key:value` pairs,
/// comma-separated), in the order sops writes it (by key); an empty text is none.
pub fn kms_context(text: &str) -> Result<Vec<(String, String)>, Error> {
    let mut out = std::collections::BTreeMap::new();
    if text.is_empty() {
        return Ok(Vec::new());
    }
    for kv in text.split(',') {
        let parts: Vec<&str> = kv.split(':').collect();
        let [k, v] = parts.as_slice() else {
            return Err(usage(format!(
                "--encryption-context: `{}` is not key:value (sops' format: key:value,key2:value2)",
                kv.escape_debug()
            )));
        };
        out.insert((*k).to_string(), (*v).to_string());
    }
    Ok(out.into_iter().collect())
}

fn scalar(n: &Node) -> Option<&str> {
    match &n.value {
        Value::Scalar { text, .. } => Some(text),
        _ => None,
    }
}

/// The comma-separated strings of a flat rule field (a string or a list of strings).
fn strings(rule: &Node, key: &str, bad: &dyn Fn(&str) -> Error) -> Result<Vec<String>, Error> {
    match rule.get(key) {
        None => Ok(Vec::new()),
        Some(n) if n.is_null() => Ok(Vec::new()),
        Some(n) => match &n.value {
            Value::Scalar { text, .. } => Ok(split_list(text)),
            Value::Seq(items) => {
                let mut out = Vec::new();
                for i in items {
                    let t = scalar(i)
                        .ok_or_else(|| bad(&format!("a `{key}` entry is not a string")))?;
                    out.extend(split_list(t));
                }
                Ok(out)
            }
            Value::Map(_) => Err(bad(&format!("`{key}` is not a string or a list"))),
        },
    }
}

/// One `key_groups` entry, as sops' `extractMasterKeys` reads it (`merge` first, then age,
/// pgp, kms, gcp_kms, hckms, azure_keyvault, hc_vault), duplicates dropped.
fn group(g: &Node, bad: &dyn Fn(&str) -> Error, depth: usize) -> Result<Vec<KeyEntry>, Error> {
    if g.as_map().is_none() || depth > 16 {
        return Err(bad("a key group is not a mapping"));
    }
    let mut out: Vec<KeyEntry> = Vec::new();
    if let Some(merge) = g.get("merge").and_then(Node::as_seq) {
        for m in merge {
            out.extend(group(m, bad, depth + 1)?);
        }
    }
    for r in strings(g, "age", bad)? {
        out.push(named("age", &r));
    }
    for fp in strings(g, "pgp", bad)? {
        out.push(named("pgp", &fp));
    }
    let maps = |key: &str| -> Vec<&Node> {
        g.get(key)
            .and_then(Node::as_seq)
            .map(|s| s.iter().collect())
            .unwrap_or_default()
    };
    let field = |n: &Node, k: &str| n.get(k).and_then(scalar).unwrap_or_default().to_string();
    for k in maps("kms") {
        let mut e = named("kms", &field(k, "arn"));
        if let KeyEntry::Kms {
            role,
            aws_profile,
            context,
            ..
        } = &mut e
        {
            *role = field(k, "role");
            *aws_profile = field(k, "aws_profile");
            // sops reads the context as a map of strings, and writes it by key.
            if let Some(map) = k.get("context").and_then(Node::as_map) {
                let mut c = std::collections::BTreeMap::new();
                for (name, value) in map {
                    let (Some(name), Some(value)) = (scalar(name), scalar(value)) else {
                        return Err(bad("a `kms` entry's `context` is not a map of strings"));
                    };
                    c.insert(name.to_string(), value.to_string());
                }
                *context = c.into_iter().collect();
            }
        }
        out.push(e);
    }
    for k in maps("gcp_kms") {
        out.push(named("gcp_kms", &field(k, "resource_id")));
    }
    for k in maps("hckms") {
        out.push(named("hckms", &field(k, "key_id")));
    }
    for k in maps("azure_keyvault") {
        out.push(KeyEntry::AzureKv {
            vault_url: field(k, "vaultUrl"),
            name: field(k, "key"),
            version: field(k, "version"),
            created_at: String::new(),
            enc: String::new(),
        });
    }
    for uri in strings(g, "hc_vault", bad)? {
        out.push(named("hc_vault", &uri));
    }
    let mut seen: Vec<(&'static str, String)> = Vec::new();
    out.retain(|e| {
        let k = (e.field(), e.id());
        let new = !seen.contains(&k);
        seen.push(k);
        new
    });
    Ok(out)
}

/// A creation rule's key groups and `shamir_threshold`, as sops' config reads them: its
/// `key_groups` when it has any, else one group of its flat keys (age, pgp, kms, gcp_kms,
/// hckms, azure_keyvault, hc_vault_transit_uri, in sops' order).
pub(crate) fn rule_groups(
    rule: &Node,
    bad: &dyn Fn(&str) -> Error,
) -> Result<(Vec<Vec<KeyEntry>>, usize), Error> {
    let threshold = match rule.get("shamir_threshold") {
        None => 0,
        Some(n) if n.is_null() => 0,
        Some(n) => scalar(n)
            .and_then(|t| t.parse::<usize>().ok())
            .ok_or_else(|| bad("`shamir_threshold` is not a number"))?,
    };
    if let Some(groups) = rule.get("key_groups").filter(|n| !n.is_null()) {
        let groups = groups
            .as_seq()
            .ok_or_else(|| bad("`key_groups` is not a list"))?;
        if !groups.is_empty() {
            let groups = groups
                .iter()
                .map(|g| group(g, bad, 0))
                .collect::<Result<Vec<_>, _>>()?;
            return Ok((groups, threshold));
        }
    }
    let mut one: Vec<KeyEntry> = Vec::new();
    for r in strings(rule, "age", bad)? {
        one.push(named("age", &r));
    }
    for fp in strings(rule, "pgp", bad)? {
        one.push(named("pgp", &fp));
    }
    let profile = rule.get("aws_profile").and_then(scalar).unwrap_or_default();
    for arn in strings(rule, "kms", bad)? {
        let mut e = named("kms", &arn);
        if let KeyEntry::Kms { aws_profile, .. } = &mut e {
            // The rule's `aws_profile`, as sops gives it to each of the rule's KMS keys.
            *aws_profile = profile.to_string();
        }
        one.push(e);
    }
    for id in strings(rule, "gcp_kms", bad)? {
        one.push(named("gcp_kms", &id));
    }
    for id in strings(rule, "hckms", bad)? {
        one.push(named("hckms", &id));
    }
    for url in strings(rule, "azure_keyvault", bad)? {
        one.push(named("azure_keyvault", &url));
    }
    for uri in strings(rule, "hc_vault_transit_uri", bad)? {
        one.push(named("hc_vault", &uri));
    }
    Ok((vec![one], threshold))
}

/// The threshold sops writes for `groups` key groups: several groups and none set means
/// all of them (sops' `UpdateMasterKeys`).
pub fn written_threshold(groups: usize, threshold: usize) -> usize {
    if groups > 1 && threshold == 0 {
        groups
    } else {
        threshold
    }
}

/// The data key wrapped for `groups` as sops' `UpdateMasterKeys` does: one group, every key
/// wraps the data key; several, the key is split with Shamir (`threshold` of them needed,
/// all when 0) and each group's keys wrap its share. Each key type is wrapped as sops wraps
/// it: age natively, PGP through gpg, AWS KMS through its SDK, every other type through the
/// key services of `services` (sops' `--keyservice`; refused when none is given). As sops,
/// a key this machine cannot wrap is sent to the key services next, and with local keys off
/// (`--enable-local-keyservice=false`) every key goes to the key services. An entry of `keep` (the file's own entries, when
/// they hold this same data key) that names a key of `groups` is kept as it is.
pub fn wrap_groups(
    data_key: &[u8],
    groups: &[Vec<KeyEntry>],
    threshold: usize,
    keep: Option<&[KeyEntry]>,
    services: &KeyServices,
) -> Result<Vec<Vec<KeyEntry>>, Error> {
    let shares: Vec<Zeroizing<Vec<u8>>> = if groups.len() == 1 {
        vec![Zeroizing::new(data_key.to_vec())]
    } else {
        let threshold = written_threshold(groups.len(), threshold);
        crate::sops::shamir::split(data_key, groups.len(), threshold).map_err(|e| {
            usage(format!(
                "could not split the data key into {} parts for Shamir (shamir_threshold {threshold}): {e}",
                groups.len()
            ))
        })?
    };
    let created_at = crate::sops::now_rfc3339();
    let mut out = Vec::with_capacity(groups.len());
    for (g, share) in groups.iter().zip(&shares) {
        let mut wrapped = Vec::with_capacity(g.len());
        for e in g {
            let kept = keep.filter(|_| groups.len() == 1).and_then(|k| {
                k.iter()
                    .find(|f| f.field() != "age" && f.field() == e.field() && f.id() == e.id())
            });
            match kept {
                Some(k) => wrapped.push(k.clone()),
                None => wrapped.push(wrap_one(share, e, services, &created_at)?),
            }
        }
        out.push(wrapped);
    }
    Ok(out)
}

/// One key of a group wrapping `share`, as sops wraps its type; `created_at` as sops writes
/// it (RFC 3339, seconds, UTC). The error names the key (its public name), never the share.
fn wrap_one(
    share: &[u8],
    e: &KeyEntry,
    services: &KeyServices,
    created_at: &str,
) -> Result<KeyEntry, Error> {
    use crate::sops::keys::{KeyFailure, keyservice::ServiceKey, kms, pgp};
    let failed = |why: &str| {
        usage(format!(
            "cannot wrap the data key for the {} key {}: {why}",
            e.kind(),
            e.id()
        ))
    };
    // sops asks its key services in turn (this machine's first unless local keys are off)
    // and keeps the first that wraps the key.
    let remote = || -> Result<String, String> {
        let ct = services
            .encrypt(&ServiceKey::from_entry(e), share)
            .map_err(|fs| {
                fs.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            })?;
        // sops keeps the service's ciphertext as the entry's `enc` text.
        String::from_utf8(ct).map_err(|_| "the key service's ciphertext is not text".to_string())
    };
    let local: Option<Result<String, KeyFailure>> = if services.local() {
        match e {
            KeyEntry::Age { recipient, .. } => {
                return Ok(age_entries(share, std::slice::from_ref(recipient))?.remove(0));
            }
            KeyEntry::Pgp { fp, .. } => Some(pgp::wrap(fp, share)),
            KeyEntry::Kms {
                arn,
                role,
                context,
                aws_profile,
                ..
            } => Some(kms::wrap_entry(arn, role, context, aws_profile, share)),
            _ => None,
        }
    } else {
        None
    };
    let no_remote = services.remote().is_empty();
    let enc = match local {
        Some(Ok(enc)) => enc,
        Some(Err(f)) if no_remote => return Err(failed(f.reason())),
        Some(Err(f)) => remote().map_err(|r| failed(&format!("{}; {r}", f.reason())))?,
        None if no_remote && !services.local() => {
            return Err(failed(
                "local keys are off (--enable-local-keyservice=false) and no key service is given",
            ));
        }
        None if no_remote => {
            return Err(failed(&format!(
                "secretgen wraps {} keys only through a sops key service: pass --keyservice URI (a running `sops keyservice`), or write the file with sops",
                e.kind()
            )));
        }
        None => remote().map_err(|r| failed(&r))?,
    };
    Ok(with_enc(e, enc, created_at))
}

/// `e` holding `enc`, created now (age entries carry no date).
fn with_enc(e: &KeyEntry, new: String, now: &str) -> KeyEntry {
    let mut e = e.clone();
    match &mut e {
        KeyEntry::Age { enc, .. } => *enc = new,
        KeyEntry::Pgp {
            created_at, enc, ..
        }
        | KeyEntry::Kms {
            created_at, enc, ..
        }
        | KeyEntry::GcpKms {
            created_at, enc, ..
        }
        | KeyEntry::AzureKv {
            created_at, enc, ..
        }
        | KeyEntry::HcVault {
            created_at, enc, ..
        }
        | KeyEntry::Hckms {
            created_at, enc, ..
        } => {
            *created_at = now.to_string();
            *enc = new;
        }
    }
    e
}

/// One key group compared, as sops' `DiffKeyGroups` does by each key's name: the keys in
/// both and the added ones in the rule's order, the removed ones in the file's.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupDiff {
    pub common: Vec<String>,
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

/// How a file's master keys differ from its rule now.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyDrift {
    pub groups: Vec<GroupDiff>,
    /// The file's `shamir_threshold`, and the one the rule gives it.
    pub threshold: (usize, usize),
}

impl KeyDrift {
    /// Whether any key is added or removed.
    pub fn keys_change(&self) -> bool {
        self.groups
            .iter()
            .any(|g| !g.added.is_empty() || !g.removed.is_empty())
    }

    /// Whether anything changes.
    pub fn changes(&self) -> bool {
        self.keys_change() || self.threshold.0 != self.threshold.1
    }

    /// The change as `sops updatekeys` prints it (sops' `PrettyPrintShamirDiff` and
    /// `PrettyPrintDiffs`), with its colours when `color`.
    pub fn render(&self, color: bool) -> String {
        let paint = |code: &str, text: String| {
            if color {
                format!("\x1b[{code}m{text}\x1b[0m")
            } else {
                text
            }
        };
        let mut out = String::from("The following changes will be made to the file's groups:\n");
        let (old, new) = self.threshold;
        if old > 0 && old == new {
            out.push_str(&format!("shamir_threshold: {new}\n"));
        } else {
            if new > 0 {
                out.push_str(&paint("32", format!("+++ shamir_threshold: {new}\n")));
            }
            if old > 0 {
                out.push_str(&paint("31", format!("--- shamir_threshold: {old}\n")));
            }
        }
        for (i, g) in self.groups.iter().enumerate() {
            out.push_str(&paint("4", format!("Group {}\n", i + 1)));
            for c in &g.common {
                out.push_str(&format!("    {c}\n"));
            }
            for a in &g.added {
                out.push_str(&paint("32", format!("+++ {a}\n")));
            }
            for r in &g.removed {
                out.push_str(&paint("31", format!("--- {r}\n")));
            }
        }
        out
    }

    /// The change in one line for a warning: `+KEY (group N)`, `-KEY`, the threshold.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        let several = self.groups.len() > 1;
        for (i, g) in self.groups.iter().enumerate() {
            let at = if several {
                format!(" (group {})", i + 1)
            } else {
                String::new()
            };
            for a in &g.added {
                parts.push(format!("added {a}{at}"));
            }
            for r in &g.removed {
                parts.push(format!("removed {r}{at}"));
            }
        }
        let (old, new) = self.threshold;
        if old != new {
            parts.push(format!("shamir_threshold {old} -> {new}"));
        }
        parts.join(", ")
    }
}

/// The file's keys against the rule's, as `updatekeys` will apply them: the groups by
/// name, and the threshold the rule gives (`flag` first, then the rule's, then the file's
/// own, at most the number of groups: sops keeps the file's unless told, sops#810).
pub fn drift(file: &FileKeys, rule: &CreationRule, flag: usize) -> KeyDrift {
    let n = file.groups.len().max(rule.key_groups.len());
    let groups = (0..n)
        .map(|i| {
            let ours: &[KeyEntry] = file.groups.get(i).map_or(&[], Vec::as_slice);
            let theirs: &[KeyEntry] = rule.key_groups.get(i).map_or(&[], Vec::as_slice);
            let our: Vec<String> = ours.iter().map(KeyEntry::id).collect();
            let their: Vec<String> = theirs.iter().map(KeyEntry::id).collect();
            let mut d = GroupDiff::default();
            for t in &their {
                if our.contains(t) {
                    d.common.push(t.clone());
                } else {
                    d.added.push(t.clone());
                }
            }
            d.removed = our.into_iter().filter(|o| !their.contains(o)).collect();
            d
        })
        .collect();
    let wanted = if flag != 0 {
        flag
    } else if rule.shamir_threshold != 0 {
        rule.shamir_threshold
    } else {
        file.shamir_threshold
    };
    KeyDrift {
        groups,
        threshold: (file.shamir_threshold, wanted.min(rule.key_groups.len())),
    }
}

/// A SOPS file and the rule that applies to it now: the config (named, else the nearest
/// one up from the file) and its matching rule, `None` when there is none.
pub fn rule_of(
    file: &Path,
    config: Option<&Path>,
) -> Result<Option<(PathBuf, CreationRule)>, Error> {
    let config = match config {
        Some(c) => c.to_path_buf(),
        None => match find_config(file) {
            Some(c) => c,
            None => return Ok(None),
        },
    };
    Ok(rule_for(&config, file)?.map(|r| (config, r)))
}

/// The master keys of a SOPS file, read without any key.
pub fn file_keys(file: &Path, bytes: &[u8]) -> Result<FileKeys, Error> {
    crate::sops::file_keys(file, bytes).map_err(|e| sops_error(file, e))
}

/// How `file`'s keys differ from the rule that matches it now, for a warning; `None` when
/// no rule applies or nothing differs. Reads no key.
pub fn recipients_drift(file: &Path, bytes: &[u8]) -> Result<Option<(PathBuf, KeyDrift)>, Error> {
    let Some((config, rule)) = rule_of(file, None)? else {
        return Ok(None);
    };
    let keys = file_keys(file, bytes)?;
    let d = drift(&keys, &rule, 0);
    Ok(d.changes().then_some((config, d)))
}

/// `updatekeys` applied: the file with the rule's key groups and threshold around the same
/// data key (re-split when there are several groups), every value, the MAC and
/// `lastmodified` as they were.
pub fn updatekeys(
    file: &Path,
    bytes: &[u8],
    rule: &CreationRule,
    threshold: usize,
    keys: &dyn DataKeys,
    services: &KeyServices,
) -> Result<Zeroizing<Vec<u8>>, Error> {
    let current = file_keys(file, bytes)?;
    let data_key = crate::sops::data_key(file, bytes, keys).map_err(|e| sops_error(file, e))?;
    let keep = (current.groups.len() == 1).then(|| current.groups[0].as_slice());
    let groups = wrap_groups(&data_key, &rule.key_groups, threshold, keep, services)?;
    let written = written_threshold(groups.len(), threshold);
    crate::sops::rekey(file, bytes, &groups, written).map_err(|e| sops_error(file, e))
}

/// `rotate`: a new data key for `file`, every value encrypted again under it; the file's
/// key groups with `add` joined to the first group and `remove` (matched by type and name)
/// taken from every group, as `sops rotate --add-age/--rm-age/--add-pgp/…` does. Every key
/// is wrapped again (see [`wrap_groups`]).
pub fn rotate(
    file: &Path,
    bytes: &[u8],
    add: &[KeyEntry],
    remove: &[KeyEntry],
    keys: &dyn DataKeys,
    services: &KeyServices,
    lastmodified: &str,
) -> Result<Zeroizing<Vec<u8>>, Error> {
    let current = file_keys(file, bytes)?;
    let mut groups = current.groups.clone();
    if groups.is_empty() {
        groups.push(Vec::new());
    }
    groups[0].extend(add.iter().cloned());
    for g in groups.iter_mut() {
        g.retain(|e| {
            !remove
                .iter()
                .any(|r| r.field() == e.field() && r.id() == e.id())
        });
    }
    if groups.iter().all(Vec::is_empty) {
        return Err(usage(format!(
            "`{}`: removing these keys would leave the file with no master key",
            file.display()
        )));
    }
    let data_key = new_data_key();
    let wrapped = wrap_groups(&data_key, &groups, current.shamir_threshold, None, services)?;
    let sealing = Sealing {
        data_key: &data_key,
        groups: &wrapped,
        shamir_threshold: written_threshold(wrapped.len(), current.shamir_threshold),
        lastmodified,
    };
    crate::sops::rotate(file, bytes, keys, &sealing).map_err(|e| sops_error(file, e))
}

/// A SOPS file whose master keys differ from its rule, for `check --recipients`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecipientFinding {
    pub file: PathBuf,
    pub config: PathBuf,
    pub drift: KeyDrift,
}

/// An age file whose recipients differ from its `.age-recipients`, or cannot be told.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgeFinding {
    pub file: PathBuf,
    pub check: super::age_record::AgeCheck,
}

/// What `check --recipients` found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecipientsReport {
    /// SOPS files whose master keys differ from their rule.
    pub sops: Vec<RecipientFinding>,
    /// age files whose recipients differ from (or cannot be compared with) their
    /// `.age-recipients`.
    pub age: Vec<AgeFinding>,
    /// How many SOPS files had a rule, and how many age files a `.age-recipients`.
    pub compared_sops: usize,
    pub compared_age: usize,
}

/// `check --recipients`: every SOPS file under `paths` (files, or directories walked, `.git`
/// skipped) whose master keys differ from the `.sops.yaml` rule that matches it now, and
/// every age file whose recipients differ from the nearest `.age-recipients` (see
/// [`super::age_record`]). Files that are neither, SOPS files no rule applies to and age
/// files with no `.age-recipients` above them are passed over. Reads no key.
pub fn check_recipients(paths: &[PathBuf]) -> Result<RecipientsReport, Error> {
    use super::age_record::{self, AgeCheck};
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            for e in walkdir::WalkDir::new(p)
                .sort_by_file_name()
                .into_iter()
                .filter_entry(|e| e.file_name() != ".git")
            {
                let e = e.map_err(|e| usage(format!("cannot walk `{}`: {e}", p.display())))?;
                let name = e.file_name();
                if e.file_type().is_file()
                    && name != ".sops.yaml"
                    && name != age_record::RECIPIENTS_NAME
                    && name != age_record::RECORD_NAME
                {
                    files.push(e.into_path());
                }
            }
        } else {
            files.push(p.clone());
        }
    }
    let mut report = RecipientsReport::default();
    for f in files {
        let bytes = crate::gate::read::file(
            &f,
            crate::gate::read::Origin::Argument,
            crate::gate::read::ANY_SIZE,
        )?;
        if crate::age::is_encrypted(&bytes) {
            match age_record::check_age_file(&f, &bytes)? {
                AgeCheck::NotCompared => {}
                AgeCheck::Follows => report.compared_age += 1,
                check => {
                    report.compared_age += 1;
                    report.age.push(AgeFinding { file: f, check });
                }
            }
            continue;
        }
        if crate::sops::is_sops(&bytes).is_none() {
            continue;
        }
        let Some((config, rule)) = rule_of(&f, None)? else {
            continue;
        };
        report.compared_sops += 1;
        let keys = file_keys(&f, &bytes)?;
        let d = drift(&keys, &rule, 0);
        if d.changes() {
            report.sops.push(RecipientFinding {
                file: f,
                config,
                drift: d,
            });
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_keys_are_named_as_sops_names_them() {
        let ctx = kms_context("env:prod,app:web").unwrap();
        assert_eq!(
            ctx,
            [("app".into(), "web".into()), ("env".into(), "prod".into())]
        );
        assert!(kms_context("app=web").is_err());
        assert!(kms_context("").unwrap().is_empty());
        let kms = keys_named(
            "kms",
            &["arn:aws:kms:eu-west-2:1:key/k+arn:aws:iam::1:role/r, arn:aws:kms:eu-west-2:1:alias/a".into()],
            &ctx,
            "prof",
        );
        let KeyEntry::Kms {
            arn,
            role,
            context,
            aws_profile,
            ..
        } = &kms[0]
        else {
            panic!("{kms:?}")
        };
        assert_eq!(arn, "arn:aws:kms:eu-west-2:1:key/k");
        assert_eq!(role, "arn:aws:iam::1:role/r");
        assert_eq!(context, &ctx);
        assert_eq!(aws_profile, "prof");
        assert_eq!(kms[1].id(), "arn:aws:kms:eu-west-2:1:alias/a");
        let pgp = keys_named("pgp", &["AB CD, EF".into()], &[], "");
        assert_eq!(
            pgp.iter().map(KeyEntry::id).collect::<Vec<_>>(),
            ["ABCD", "EF"]
        );
    }

    #[test]
    fn a_rules_kms_context_and_profile_are_read() {
        let bad = |m: &str| usage(m.to_string());
        let doc = crate::yaml::parse_stream(
            "key_groups:\n  - kms:\n      - arn: arn:aws:kms:eu-west-2:1:key/k\n        context: {z: '1', a: b}\n",
        )
        .unwrap();
        let (groups, _) = rule_groups(&doc[0], &bad).unwrap();
        let KeyEntry::Kms { context, .. } = &groups[0][0] else {
            panic!()
        };
        assert_eq!(
            context,
            &[("a".into(), "b".into()), ("z".into(), "1".into())]
        );
        let doc =
            crate::yaml::parse_stream("kms: arn:aws:kms:eu-west-2:1:key/k\naws_profile: prof\n")
                .unwrap();
        let (groups, _) = rule_groups(&doc[0], &bad).unwrap();
        let KeyEntry::Kms { aws_profile, .. } = &groups[0][0] else {
            panic!()
        };
        assert_eq!(aws_profile, "prof");
    }

    #[test]
    fn a_type_only_a_key_service_wraps_is_refused_without_one() {
        let groups = vec![vec![named("gcp_kms", "projects/p/cryptoKeys/k")]];
        let e = wrap_groups(&[7u8; 32], &groups, 0, None, &KeyServices::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("GCP KMS")
                && e.contains("projects/p/cryptoKeys/k")
                && e.contains("--keyservice"),
            "{e}"
        );
    }
}
