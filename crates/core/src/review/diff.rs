//! Redacted diffs between two sets of Secrets.
//!
//! In: two sets of [`Secret`]s (rendered on the fly, or read back from YAML). Out: a
//! [`Report`] that pairs Secrets by namespace and base name (so a content change that moves
//! the hash suffix reads as one change), and says per key added, removed, changed (with byte
//! sizes) or unchanged, with metadata as a unified diff. Values never appear in it: not in
//! plain text, not in base64, not as a hash.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use crate::error::Result;
use crate::gate::shown::{Provenance, Text};
use crate::render;
use crate::secret::{Key, Secret, SecretBytes, read};
use crate::yaml::{self, Node};

/// The id a Secret is paired by: namespace and base name.
pub(crate) fn id(s: &Secret) -> String {
    match &s.namespace {
        Some(ns) => format!("{ns}/{}", s.base_name),
        None => s.base_name.clone(),
    }
}

/// Metadata as text lines for a unified diff (never data). Labels and annotations of a
/// decrypted manifest are described as `shown` decides, unless `as_read` (to compare).
fn metadata_text(s: &Secret, as_read: bool) -> String {
    let mut t = format!("type: {}\n", s.type_);
    if s.immutable {
        t.push_str("immutable: true\n");
    }
    let meta = if as_read { Provenance::Plain } else { s.meta };
    for (field, map) in [("label", &s.labels), ("annotation", &s.annotations)] {
        for (k, v) in map {
            let (k, v) = (Text::new(k, meta), Text::new(v, meta));
            let _ = writeln!(t, "{field} {}: {}", k.unquoted(), v.unquoted());
        }
    }
    t
}

/// Keys holding a placeholder (`--placeholder`: encrypted, no identity).
fn placeholder_keys(s: &Secret) -> BTreeSet<&str> {
    s.data
        .iter()
        .filter(|(_, e)| s.placeholder && e.encrypted && e.value.expose() == render::PLACEHOLDER)
        .map(|(k, _)| k.as_str())
        .collect()
}

/// Splits `name-xxxxxxxxxx` into base name and suffix when the tail looks like a hash.
pub(crate) fn split_suffix(name: &str) -> (String, Option<String>) {
    if let Some((base, tail)) = name.rsplit_once('-')
        && !base.is_empty()
        && crate::kustomize::hash::is_suffix(tail)
    {
        return (base.to_string(), Some(tail.to_string()));
    }
    (name.to_string(), None)
}

/// Reads the `v1` Secrets of a YAML stream (other kinds are ignored). A name that ends in
/// something like a hash suffix gives the base name the Secret is paired by.
pub fn read_secrets(path: &Path, text: &str) -> Result<Vec<Secret>> {
    let docs = yaml::parse_stream(text).map_err(|e| e.in_file(path))?;
    let mut out = Vec::new();
    for d in &docs {
        if d.get("kind").and_then(Node::as_str) != Some("Secret") {
            continue;
        }
        let mut s = read::secret(path, d, &read::Reading::PRINTED)?;
        s.base_name = split_suffix(&s.name).0;
        // Written with --placeholder: the keys that hold the placeholder were not decrypted.
        s.placeholder = s
            .annotations
            .get(render::PLACEHOLDER_ANNOTATION)
            .is_some_and(|v| v == "true");
        for e in s.data.values_mut() {
            e.encrypted = s.placeholder && e.value.expose() == render::PLACEHOLDER;
        }
        out.push(s);
    }
    Ok(out)
}

/// What happened to a Secret present on at least one side. A Secret unchanged in every
/// respect is only counted ([`Report::unchanged`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Status {
    Added,
    Removed,
    /// Some key or metadata differs.
    Changed,
    /// Same keys, values and metadata under another name (the hash suffix moved).
    Renamed,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Added => "added",
            Status::Removed => "removed",
            Status::Changed => "changed",
            Status::Renamed => "renamed",
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happened to one key of a Secret present on both sides (or every key of an added or
/// removed one). An unchanged key is only counted ([`SecretChange::unchanged_keys`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase", tag = "change")]
pub(crate) enum KeyChange {
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
pub(crate) struct SecretChange {
    pub(crate) id: String,
    pub(crate) old_name: Option<String>,
    pub(crate) new_name: Option<String>,
    pub(crate) status: Status,
    pub(crate) keys: Vec<KeyChange>,
    pub(crate) unchanged_keys: usize,
    /// Unified diff of type, immutable, labels and annotations (empty when equal).
    pub(crate) metadata_diff: String,
    #[serde(skip)]
    values: Vec<(String, Option<SecretBytes>, Option<SecretBytes>)>,
}

/// Keys of a Secret present on both sides that could not be compared: one side holds a
/// placeholder (`--placeholder`, no identity).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Uncompared {
    pub(crate) id: String,
    pub(crate) keys: Vec<String>,
    /// Keys of an encrypted env file: their names are unknown too.
    pub(crate) env_file_keys: bool,
}

/// Every difference between two sets.
#[derive(Debug, Default, serde::Serialize)]
pub struct Report {
    pub(crate) secrets: Vec<SecretChange>,
    pub(crate) unchanged: usize,
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

    fn ids(&self, status: Status) -> Vec<&str> {
        self.secrets
            .iter()
            .filter(|s| s.status == status)
            .map(|s| s.id.as_str())
            .collect()
    }

    fn summary(&self) -> Summary<'_> {
        Summary {
            added: self.ids(Status::Added),
            removed: self.ids(Status::Removed),
            changed: self.ids(Status::Changed),
            renamed: self.ids(Status::Renamed),
            unchanged: self.unchanged,
        }
    }
}

/// Pairs the Secrets of both sides by namespace and base name and compares them.
pub fn compare(old: &[Secret], new: &[Secret]) -> Report {
    fn index(side: &[Secret]) -> BTreeMap<String, &Secret> {
        side.iter().map(|s| (id(s), s)).collect()
    }
    let (old, new) = (index(old), index(new));
    let ids: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    let mut report = Report::default();
    for id in ids {
        match (old.get(id), new.get(id)) {
            (Some(o), None) => report.secrets.push(removed(id, o)),
            (None, Some(n)) => report.secrets.push(added(id, n)),
            (Some(o), Some(n)) => compare_pair(&mut report, id, o, n),
            (None, None) => {}
        }
    }
    report
}

/// A Secret only on the old side: every key removed.
fn removed(id: &str, o: &Secret) -> SecretChange {
    SecretChange {
        id: id.to_string(),
        old_name: Some(o.name.clone()),
        new_name: None,
        status: Status::Removed,
        keys: o
            .data
            .iter()
            .map(|(k, e)| KeyChange::Removed {
                key: k.to_string(),
                size: e.value.len(),
            })
            .collect(),
        unchanged_keys: 0,
        metadata_diff: String::new(),
        values: Vec::new(),
    }
}

/// A Secret only on the new side: every key added.
fn added(id: &str, n: &Secret) -> SecretChange {
    SecretChange {
        id: id.to_string(),
        old_name: None,
        new_name: Some(n.name.clone()),
        status: Status::Added,
        keys: n
            .data
            .iter()
            .map(|(k, e)| KeyChange::Added {
                key: k.to_string(),
                size: e.value.len(),
            })
            .collect(),
        unchanged_keys: 0,
        metadata_diff: String::new(),
        values: Vec::new(),
    }
}

/// Compares the two sides of the Secret `id` into `report`: counted as unchanged, or a
/// change (renamed when only the name differs), and what could not be compared noted.
fn compare_pair(report: &mut Report, id: &str, o: &Secret, n: &Secret) {
    let keys = compare_keys(o, n);
    if !keys.uncompared.is_empty() || o.keys_unknown || n.keys_unknown {
        report.uncompared.push(Uncompared {
            id: id.to_string(),
            keys: keys.uncompared,
            env_file_keys: o.keys_unknown || n.keys_unknown,
        });
    }
    let metadata_diff = metadata_diff(o, n);
    if keys.changes.is_empty() && metadata_diff.is_empty() && o.name == n.name {
        report.unchanged += 1;
        return;
    }
    let status = if keys.changes.is_empty() && metadata_diff.is_empty() {
        Status::Renamed
    } else {
        Status::Changed
    };
    report.secrets.push(SecretChange {
        id: id.to_string(),
        old_name: Some(o.name.clone()),
        new_name: Some(n.name.clone()),
        status,
        keys: keys.changes,
        unchanged_keys: keys.unchanged,
        metadata_diff,
        values: keys.values,
    });
}

/// The keys of a Secret present on both sides, compared.
struct KeyComparison {
    /// Keys added, removed or changed, in key order.
    changes: Vec<KeyChange>,
    /// The old and new value of each of those keys.
    values: Vec<(String, Option<SecretBytes>, Option<SecretBytes>)>,
    unchanged: usize,
    /// Keys on both sides that hold a placeholder on either.
    uncompared: Vec<String>,
}

/// Compares the keys of the old and the new side of one Secret, one by one.
fn compare_keys(o: &Secret, n: &Secret) -> KeyComparison {
    let mut keys = Vec::new();
    let mut values = Vec::new();
    let mut unchanged = 0;
    let all: BTreeSet<&Key> = o.data.keys().chain(n.data.keys()).collect();
    let mut uncompared = Vec::new();
    let (op, np) = (placeholder_keys(o), placeholder_keys(n));
    for k in all {
        let placeholder = op.contains(k.as_str()) || np.contains(k.as_str());
        let (a, b) = (
            o.data.get(k).map(|e| &e.value),
            n.data.get(k).map(|e| &e.value),
        );
        match (a, b) {
            (Some(_), Some(_)) if placeholder => uncompared.push(k.to_string()),
            (Some(a), Some(b)) if a == b => unchanged += 1,
            (a, b) => {
                keys.push(match (a, b) {
                    (Some(a), Some(b)) => KeyChange::Changed {
                        key: k.to_string(),
                        old_size: a.len(),
                        new_size: b.len(),
                    },
                    (Some(a), None) => KeyChange::Removed {
                        key: k.to_string(),
                        size: a.len(),
                    },
                    (None, Some(b)) => KeyChange::Added {
                        key: k.to_string(),
                        size: b.len(),
                    },
                    (None, None) => continue,
                });
                values.push((k.to_string(), a.cloned(), b.cloned()));
            }
        }
    }
    KeyComparison {
        changes: keys,
        values,
        unchanged,
        uncompared,
    }
}

/// The unified diff of the two sides' metadata, empty when equal. Compared as read; shown
/// as `shown` decides (decrypted text described).
fn metadata_diff(o: &Secret, n: &Secret) -> String {
    if metadata_text(o, true) == metadata_text(n, true) {
        return String::new();
    }
    let (mo, mn) = (metadata_text(o, false), metadata_text(n, false));
    if mo == mn {
        // Decrypted labels that differ but are described alike.
        "labels or annotations changed (decrypted, not shown)\n".to_string()
    } else {
        similar::TextDiff::from_lines(&mo, &mn)
            .unified_diff()
            .context_radius(2)
            .header("old", "new")
            .to_string()
    }
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
        write_secret(&mut out, s, style);
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
        let count = |st: Status| r.secrets.iter().filter(|s| s.status == st).count();
        let _ = writeln!(
            out,
            "{} added, {} removed, {} changed, {} renamed, {} unchanged",
            count(Status::Added),
            count(Status::Removed),
            count(Status::Changed),
            count(Status::Renamed),
            r.unchanged
        );
    }
    out
}

/// Writes one Secret's change to `out`: its status line, a line per changed key (and the
/// values, when `style` shows them), the count of unchanged keys and the metadata diff.
fn write_secret(out: &mut String, s: &SecretChange, style: Style) {
    let (mark, code) = match s.status {
        Status::Added => ("+", "32"),
        Status::Removed => ("-", "31"),
        Status::Changed | Status::Renamed => ("~", "33"),
    };
    let _ = writeln!(
        out,
        "{} {} {}{}",
        paint(style.color, code, mark),
        s.id,
        s.status,
        renaming(s)
    );
    for k in &s.keys {
        let _ = writeln!(out, "{}", key_line(k, style.color));
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

/// `: old → new` for a Secret whose name changed (only the hash suffixes when both have
/// one), else nothing.
fn renaming(s: &SecretChange) -> String {
    match (&s.old_name, &s.new_name) {
        (Some(o), Some(n)) if o != n => {
            let (_, os) = split_suffix(o);
            let (_, ns) = split_suffix(n);
            match (os, ns) {
                (Some(a), Some(b)) => format!(": {a} → {b}"),
                _ => format!(": {o} → {n}"),
            }
        }
        _ => String::new(),
    }
}

/// The line for one changed key: its name, what happened and the sizes, painted if `color`.
fn key_line(k: &KeyChange, color: bool) -> String {
    match k {
        KeyChange::Added { key, size } => paint(
            color,
            "32",
            &format!("    + {key}: added ({})", bytes(*size)),
        ),
        KeyChange::Removed { key, size } => paint(
            color,
            "31",
            &format!("    - {key}: removed ({})", bytes(*size)),
        ),
        KeyChange::Changed {
            key,
            old_size,
            new_size,
        } => paint(
            color,
            "33",
            &format!("    ~ {key}: changed ({old_size} → {})", bytes(*new_size)),
        ),
    }
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
    use crate::place::Loc;

    fn doc(name: &str, data: &[(&str, &str)]) -> Secret {
        let mut s = Secret::new(name.into(), Some("prod".into()), Loc::file("x.yaml"));
        s.base_name = split_suffix(name).0;
        for (k, v) in data {
            let entry = crate::secret::Entry {
                value: SecretBytes::from_slice(v.as_bytes()),
                base64: crate::secret::SecretString::default(),
                origin: Loc::file("x.yaml"),
                encrypted: false,
                to_substitute: false,
            };
            s.data.insert(Key::from(*k), entry);
        }
        s
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
        assert_eq!(d[0].data["k"].value.len(), 60);
        assert_eq!(compare(&d, &d).secrets.len(), 0);
    }
}
