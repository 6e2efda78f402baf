//! Redacted diffs between two sets of Secrets.
//!
//! In: two sets of [`SecretDoc`]s (rendered on the fly, or read back from YAML). Out: a
//! [`Report`] that pairs Secrets by namespace and base name (so a content change that moves
//! the hash suffix reads as one change), and says per key added, removed, changed (with byte
//! sizes) or unchanged, with metadata as a unified diff. Values never appear in it: not in
//! plain text, not in base64, not as a hash.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use crate::error::{Error, Loc, Result};
use crate::render;
use crate::secret::SecretBytes;
use crate::yaml::{self, Node};

/// What a diff compares of one Secret.
#[derive(Debug, Clone)]
pub struct SecretDoc {
    pub namespace: Option<String>,
    pub name: String,
    pub base_name: String,
    /// The hash suffix, when the name carries one.
    pub suffix: Option<String>,
    pub type_: String,
    pub immutable: bool,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub data: BTreeMap<String, SecretBytes>,
    /// Keys holding a placeholder (`--placeholder`: encrypted, no identity).
    pub placeholder_keys: BTreeSet<String>,
    /// Some key names are unknown (an encrypted env file without an identity).
    pub keys_unknown: bool,
}

impl SecretDoc {
    pub fn id(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{ns}/{}", self.base_name),
            None => self.base_name.clone(),
        }
    }

    /// Metadata as text lines for a unified diff (never data).
    fn metadata_text(&self) -> String {
        let mut s = format!("type: {}\n", self.type_);
        if self.immutable {
            s.push_str("immutable: true\n");
        }
        for (k, v) in &self.labels {
            let _ = writeln!(s, "label {k}: {v}");
        }
        for (k, v) in &self.annotations {
            let _ = writeln!(s, "annotation {k}: {v}");
        }
        s
    }
}

impl From<&render::Secret> for SecretDoc {
    fn from(s: &render::Secret) -> Self {
        SecretDoc {
            namespace: s.namespace.clone(),
            name: s.name.clone(),
            base_name: s.base_name.clone(),
            suffix: s.hash.as_ref().map(|(_, h)| h.clone()),
            type_: s.type_.clone(),
            immutable: s.immutable,
            labels: s.labels.clone(),
            annotations: s.annotations.clone(),
            data: s
                .data
                .iter()
                .map(|(k, e)| (k.clone(), e.value.clone()))
                .collect(),
            placeholder_keys: s
                .data
                .iter()
                .filter(|(_, e)| {
                    s.placeholder && e.encrypted && e.value.expose() == render::PLACEHOLDER
                })
                .map(|(k, _)| k.clone())
                .collect(),
            keys_unknown: s.keys_unknown,
        }
    }
}

/// Splits `name-xxxxxxxxxx` into base name and suffix when the tail looks like a hash.
pub fn split_suffix(name: &str) -> (String, Option<String>) {
    if let Some((base, tail)) = name.rsplit_once('-')
        && tail.len() == 10
        && !base.is_empty()
        && tail.chars().all(|c| "ghk2456789mbcdtf".contains(c))
    {
        return (base.to_string(), Some(tail.to_string()));
    }
    (name.to_string(), None)
}

/// Reads the `v1` Secrets of a YAML stream (other kinds are ignored).
pub fn read_secrets(path: &Path, text: &str) -> Result<Vec<SecretDoc>> {
    use base64::Engine;
    let docs = yaml::parse_stream(text).map_err(|e| e.in_file(path))?;
    let mut out = Vec::new();
    for d in &docs {
        if d.get("kind").and_then(Node::as_str) != Some("Secret") {
            continue;
        }
        let meta = d.get("metadata");
        let get = |n: Option<&Node>, k: &str| {
            n.and_then(|m| m.get(k))
                .and_then(Node::as_str)
                .map(str::to_string)
        };
        let name = get(meta, "name").ok_or_else(|| {
            Error::manifest(Loc::at(path, d.mark), "a Secret without metadata.name")
        })?;
        let map = |n: Option<&Node>| -> BTreeMap<String, String> {
            n.and_then(Node::as_map)
                .unwrap_or(&[])
                .iter()
                .filter_map(|(k, v)| {
                    Some((
                        k.as_str()?.to_string(),
                        v.as_str().unwrap_or("").to_string(),
                    ))
                })
                .collect()
        };
        let mut data = BTreeMap::new();
        for (k, v) in d.get("data").and_then(Node::as_map).unwrap_or(&[]) {
            let key = k.as_str().unwrap_or("").to_string();
            let text = match &v.value {
                yaml::Value::Scalar { text, .. } => text.as_str(),
                _ => "",
            };
            let clean: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(clean.as_bytes())
                .map_err(|_| {
                    Error::manifest(
                        Loc::at(path, v.mark),
                        format!("data key `{key}` is not valid base64"),
                    )
                })?;
            data.insert(key, SecretBytes::new(bytes));
        }
        for (k, v) in d.get("stringData").and_then(Node::as_map).unwrap_or(&[]) {
            let key = k.as_str().unwrap_or("").to_string();
            let value = v.as_str().unwrap_or("");
            data.insert(key, SecretBytes::from_slice(value.as_bytes()));
        }
        let (base_name, suffix) = split_suffix(&name);
        let annotations = map(meta.and_then(|m| m.get("annotations")));
        // Written with --placeholder: the keys that hold the placeholder were not decrypted.
        let placeholder_keys = if annotations
            .get(render::PLACEHOLDER_ANNOTATION)
            .is_some_and(|v| v == "true")
        {
            data.iter()
                .filter(|(_, v)| v.expose() == render::PLACEHOLDER)
                .map(|(k, _)| k.clone())
                .collect()
        } else {
            BTreeSet::new()
        };
        out.push(SecretDoc {
            namespace: get(meta, "namespace"),
            name,
            base_name,
            suffix,
            type_: get(Some(d), "type").unwrap_or_else(|| "Opaque".into()),
            immutable: d.get("immutable").and_then(|n| match &n.value {
                yaml::Value::Scalar { text, .. } => Some(text == "true"),
                _ => None,
            }) == Some(true),
            labels: map(meta.and_then(|m| m.get("labels"))),
            annotations,
            data,
            placeholder_keys,
            keys_unknown: false,
        });
    }
    Ok(out)
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase", tag = "change")]
pub enum KeyChange {
    Added {
        key: String,
        size: usize,
    },
    Removed {
        key: String,
        size: usize,
    },
    Changed {
        key: String,
        old_size: usize,
        new_size: usize,
    },
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct SecretChange {
    pub id: String,
    pub old_name: Option<String>,
    pub new_name: Option<String>,
    pub status: &'static str,
    pub keys: Vec<KeyChange>,
    pub unchanged_keys: usize,
    /// Unified diff of type, immutable, labels and annotations (empty when equal).
    pub metadata_diff: String,
    #[serde(skip)]
    values: Vec<(String, Option<SecretBytes>, Option<SecretBytes>)>,
}

/// Keys of a Secret present on both sides that could not be compared: one side holds a
/// placeholder (`--placeholder`, no identity).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Uncompared {
    pub id: String,
    pub keys: Vec<String>,
    /// Keys of an encrypted env file: their names are unknown too.
    pub env_file_keys: bool,
}

/// Every difference between two sets.
#[derive(Debug, Default, serde::Serialize)]
pub struct Report {
    pub secrets: Vec<SecretChange>,
    pub unchanged: usize,
    /// What could not be compared; not a difference by itself.
    pub uncompared: Vec<Uncompared>,
}

/// The ids of the Secrets per status, for bots.
#[derive(Debug, serde::Serialize)]
struct Summary<'a> {
    added: Vec<&'a str>,
    removed: Vec<&'a str>,
    changed: Vec<&'a str>,
    renamed: Vec<&'a str>,
    unchanged: usize,
}

impl Report {
    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    fn ids(&self, status: &str) -> Vec<&str> {
        self.secrets
            .iter()
            .filter(|s| s.status == status)
            .map(|s| s.id.as_str())
            .collect()
    }

    fn summary(&self) -> Summary<'_> {
        Summary {
            added: self.ids("added"),
            removed: self.ids("removed"),
            changed: self.ids("changed"),
            renamed: self.ids("renamed"),
            unchanged: self.unchanged,
        }
    }
}

/// Pairs the Secrets of both sides by namespace and base name and compares them.
pub fn compare(old: &[SecretDoc], new: &[SecretDoc]) -> Report {
    let index = |side: &[SecretDoc]| -> BTreeMap<String, SecretDoc> {
        side.iter().map(|s| (s.id(), s.clone())).collect()
    };
    let (old, new) = (index(old), index(new));
    let ids: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    let mut report = Report::default();
    for id in ids {
        match (old.get(id), new.get(id)) {
            (Some(o), None) => report.secrets.push(SecretChange {
                id: id.clone(),
                old_name: Some(o.name.clone()),
                new_name: None,
                status: "removed",
                keys: o
                    .data
                    .iter()
                    .map(|(k, v)| KeyChange::Removed {
                        key: k.clone(),
                        size: v.len(),
                    })
                    .collect(),
                unchanged_keys: 0,
                metadata_diff: String::new(),
                values: Vec::new(),
            }),
            (None, Some(n)) => report.secrets.push(SecretChange {
                id: id.clone(),
                old_name: None,
                new_name: Some(n.name.clone()),
                status: "added",
                keys: n
                    .data
                    .iter()
                    .map(|(k, v)| KeyChange::Added {
                        key: k.clone(),
                        size: v.len(),
                    })
                    .collect(),
                unchanged_keys: 0,
                metadata_diff: String::new(),
                values: Vec::new(),
            }),
            (Some(o), Some(n)) => {
                let mut keys = Vec::new();
                let mut values = Vec::new();
                let mut unchanged = 0;
                let all: BTreeSet<&String> = o.data.keys().chain(n.data.keys()).collect();
                let mut uncompared = Vec::new();
                for k in all {
                    let placeholder =
                        o.placeholder_keys.contains(k) || n.placeholder_keys.contains(k);
                    match (o.data.get(k), n.data.get(k)) {
                        (Some(_), Some(_)) if placeholder => uncompared.push(k.clone()),
                        (Some(a), Some(b)) if a == b => unchanged += 1,
                        (a, b) => {
                            keys.push(match (a, b) {
                                (Some(a), Some(b)) => KeyChange::Changed {
                                    key: k.clone(),
                                    old_size: a.len(),
                                    new_size: b.len(),
                                },
                                (Some(a), None) => KeyChange::Removed {
                                    key: k.clone(),
                                    size: a.len(),
                                },
                                (None, Some(b)) => KeyChange::Added {
                                    key: k.clone(),
                                    size: b.len(),
                                },
                                (None, None) => continue,
                            });
                            values.push((k.clone(), a.cloned(), b.cloned()));
                        }
                    }
                }
                if !uncompared.is_empty() || o.keys_unknown || n.keys_unknown {
                    report.uncompared.push(Uncompared {
                        id: id.clone(),
                        keys: uncompared,
                        env_file_keys: o.keys_unknown || n.keys_unknown,
                    });
                }
                let (mo, mn) = (o.metadata_text(), n.metadata_text());
                let metadata_diff = if mo == mn {
                    String::new()
                } else {
                    similar::TextDiff::from_lines(&mo, &mn)
                        .unified_diff()
                        .context_radius(2)
                        .header("old", "new")
                        .to_string()
                };
                if keys.is_empty() && metadata_diff.is_empty() && o.name == n.name {
                    report.unchanged += 1;
                    continue;
                }
                let status = if keys.is_empty() && metadata_diff.is_empty() {
                    "renamed"
                } else {
                    "changed"
                };
                report.secrets.push(SecretChange {
                    id: id.clone(),
                    old_name: Some(o.name.clone()),
                    new_name: Some(n.name.clone()),
                    status,
                    keys,
                    unchanged_keys: unchanged,
                    metadata_diff,
                    values,
                });
            }
            (None, None) => {}
        }
    }
    report
}

/// How to print a report.
#[derive(Clone, Copy, Debug, Default)]
pub struct Style {
    pub color: bool,
    /// Show changed values (only ever set on a terminal outside CI).
    pub show_values: bool,
}

fn paint(on: bool, code: &str, s: &str) -> String {
    if on {
        format!("\x1b[{code}m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

fn bytes(n: usize) -> String {
    if n == 1 {
        "1 byte".into()
    } else {
        format!("{n} bytes")
    }
}

/// The human-readable report.
pub fn to_text(r: &Report, style: Style) -> String {
    let mut out = String::new();
    for s in &r.secrets {
        let names = match (&s.old_name, &s.new_name) {
            (Some(o), Some(n)) if o != n => {
                let (_, os) = split_suffix(o);
                let (_, ns) = split_suffix(n);
                match (os, ns) {
                    (Some(a), Some(b)) => format!(": {a} → {b}"),
                    _ => format!(": {o} → {n}"),
                }
            }
            _ => String::new(),
        };
        let (mark, code) = match s.status {
            "added" => ("+", "32"),
            "removed" => ("-", "31"),
            _ => ("~", "33"),
        };
        let _ = writeln!(
            out,
            "{} {} {}{names}",
            paint(style.color, code, mark),
            s.id,
            s.status
        );
        for k in &s.keys {
            let line = match k {
                KeyChange::Added { key, size } => paint(
                    style.color,
                    "32",
                    &format!("    + {key}: added ({})", bytes(*size)),
                ),
                KeyChange::Removed { key, size } => paint(
                    style.color,
                    "31",
                    &format!("    - {key}: removed ({})", bytes(*size)),
                ),
                KeyChange::Changed {
                    key,
                    old_size,
                    new_size,
                } => paint(
                    style.color,
                    "33",
                    &format!("    ~ {key}: changed ({old_size} → {})", bytes(*new_size)),
                ),
            };
            let _ = writeln!(out, "{line}");
        }
        if style.show_values {
            for (k, a, b) in &s.values {
                let show = |v: &Option<SecretBytes>| {
                    v.as_ref()
                        .map(|v| {
                            String::from_utf8_lossy(v.expose())
                                .escape_debug()
                                .to_string()
                        })
                        .unwrap_or_else(|| "(none)".into())
                };
                let _ = writeln!(out, "      {k}: {} → {}", show(a), show(b));
            }
        }
        if s.unchanged_keys > 0 {
            let _ = writeln!(out, "    = {} unchanged", s.unchanged_keys);
        }
        for line in s.metadata_diff.lines() {
            let painted = match line.chars().next() {
                Some('+') if !line.starts_with("+++") => paint(style.color, "32", line),
                Some('-') if !line.starts_with("---") => paint(style.color, "31", line),
                _ => line.to_string(),
            };
            let _ = writeln!(out, "    {painted}");
        }
    }
    for u in &r.uncompared {
        let mut what: Vec<String> = u.keys.iter().map(|k| format!("`{k}`")).collect();
        if u.env_file_keys {
            what.push("the keys of an encrypted env file".into());
        }
        let _ = writeln!(
            out,
            "? {} not compared (encrypted, no identity; --placeholder): {}",
            u.id,
            what.join(", ")
        );
    }
    if r.secrets.is_empty() {
        let _ = writeln!(out, "no differences ({} Secrets)", r.unchanged);
    } else {
        let count = |st: &str| r.secrets.iter().filter(|s| s.status == st).count();
        let _ = writeln!(
            out,
            "{} added, {} removed, {} changed, {} renamed, {} unchanged",
            count("added"),
            count("removed"),
            count("changed"),
            count("renamed"),
            r.unchanged
        );
    }
    out
}

/// The report for bots: one JSON object.
///
/// `{"added": [ids], "removed": […], "changed": […], "renamed": […], "unchanged": n,
/// "secrets": [{"id", "old_name", "new_name", "status", "keys": [{"change", "key", sizes}],
/// "unchanged_keys", "metadata_diff"}]}`
pub fn to_json(r: &Report) -> String {
    #[derive(serde::Serialize)]
    struct Json<'a> {
        #[serde(flatten)]
        summary: Summary<'a>,
        secrets: &'a [SecretChange],
        uncompared: &'a [Uncompared],
    }
    let doc = Json {
        summary: r.summary(),
        secrets: &r.secrets,
        uncompared: &r.uncompared,
    };
    serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".into()) + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(name: &str, data: &[(&str, &str)]) -> SecretDoc {
        let (base_name, suffix) = split_suffix(name);
        SecretDoc {
            namespace: Some("prod".into()),
            name: name.into(),
            base_name,
            suffix,
            type_: "Opaque".into(),
            immutable: false,
            labels: BTreeMap::new(),
            annotations: BTreeMap::new(),
            data: data
                .iter()
                .map(|(k, v)| (k.to_string(), SecretBytes::from_slice(v.as_bytes())))
                .collect(),
            placeholder_keys: BTreeSet::new(),
            keys_unknown: false,
        }
    }

    #[test]
    fn pairs_across_a_hash_change_and_never_shows_values() {
        let old = [
            doc(
                "db-gd995d5t92",
                &[("user", "admin"), ("pass", "CANARY-old")],
            ),
            doc("gone", &[("k", "v")]),
        ];
        let mut n = doc(
            "db-8h2c4t9fgb",
            &[
                ("user", "admin"),
                ("pass", "CANARY-new-longer"),
                ("extra", "x"),
            ],
        );
        n.labels.insert("team".into(), "a".into());
        let new = [n];
        let r = compare(&old, &new);
        let text = to_text(&r, Style::default());
        assert_eq!(
            text,
            "~ prod/db changed: gd995d5t92 → 8h2c4t9fgb\n    + extra: added (1 byte)\n    ~ pass: changed (10 → 17 bytes)\n    = 1 unchanged\n    --- old\n    +++ new\n    @@ -1 +1,2 @@\n     type: Opaque\n    +label team: a\n- prod/gone removed\n    - k: removed (1 byte)\n0 added, 1 removed, 1 changed, 0 renamed, 0 unchanged\n"
        );
        let json = to_json(&r);
        for out in [&text, &json] {
            assert!(!out.contains("CANARY"));
            assert!(!out.contains("Q0FOQVJZ")); // base64 of the canary's start
        }
    }

    #[test]
    fn reads_rendered_yaml() {
        let y = "apiVersion: v1\ndata:\n  k: |\n    MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIz\n    NDU2Nzg5\nkind: Secret\nmetadata:\n  name: s-gd995d5t92\ntype: Opaque\n";
        let d = read_secrets(Path::new("x.yaml"), y).unwrap();
        assert_eq!(d[0].base_name, "s");
        assert_eq!(d[0].data["k"].len(), 60);
        assert_eq!(compare(&d, &d).secrets.len(), 0);
    }
}
