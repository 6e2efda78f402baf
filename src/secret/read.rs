//! The one reader of a `v1` Secret from YAML.
//!
//! In: one parsed document (a plain Secret resource, a decrypted KSOPS Secret, a Secret read
//! back from rendered YAML, a Secret beside the workloads `check` looks at). Out: a
//! [`Secret`] with its metadata, type, and `data` (base64-decoded) and `stringData` merged by
//! key, every error with file, line and column. Callers that have always read differently say
//! how in a [`Reading`]; there is no second reader.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{Error, Loc, Result};
use crate::secret::{Entry, Key, Secret, SecretBytes, SecretString};
use crate::yaml::{Node, Value};

/// Whether a reader decodes the values or only notes the keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Values {
    /// `data` base64-decoded (whitespace ignored), `stringData` as written.
    Decode,
    /// Key names only, values left empty, a key that is not text skipped, nothing refused:
    /// for looking at references, where a Secret with a broken value is still a Secret.
    KeysOnly,
}

/// How a caller reads a Secret document: the points where the callers differ.
#[derive(Clone, Copy, Debug)]
pub struct Reading {
    /// Reads a key and a `stringData` value.
    pub text: fn(&Node) -> Option<&str>,
    /// Reads a `data` value (the base64 text).
    pub base64_text: fn(&Node) -> Option<&str>,
    pub values: Values,
    /// The values come out of a decryption.
    pub encrypted: bool,
    /// Qualifies the Secret in the base64 error (`" of a decrypted Secret"`).
    pub what: &'static str,
    /// The error for a Secret without `metadata.name`.
    pub unnamed: &'static str,
}

impl Reading {
    /// A plain Secret resource a kustomization lists.
    pub const RESOURCE: Reading = Reading {
        text: Node::as_str,
        base64_text: Node::as_str,
        values: Values::Decode,
        encrypted: false,
        what: "",
        unnamed: "a Secret resource without metadata.name",
    };

    /// A Secret in YAML secretgen (or kustomize, or kubectl) printed, read back for a diff:
    /// a `data` value is read as whatever scalar it is.
    pub const PRINTED: Reading = Reading {
        text: Node::as_str,
        base64_text: scalar_text,
        values: Values::Decode,
        encrypted: false,
        what: "",
        unnamed: "a Secret without metadata.name",
    };

    /// A Secret beside the workloads `check` reads: names, type and key names only (so the
    /// one error left is a missing name, which `check` skips).
    pub const KEYS: Reading = Reading {
        text: Node::as_str,
        base64_text: Node::as_str,
        values: Values::KeysOnly,
        encrypted: false,
        what: "",
        unnamed: "a Secret without metadata.name",
    };
}

/// A scalar's text whatever it resolves to (`true`, `12`, `~` included).
pub fn scalar_text(n: &Node) -> Option<&str> {
    match &n.value {
        Value::Scalar { text, .. } => Some(text),
        _ => None,
    }
}

fn strings(n: Option<&Node>) -> BTreeMap<String, String> {
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
}

/// Reads one Secret document as written: its name is also its base name, its type `Opaque`
/// when none is given.
pub fn secret(file: &Path, doc: &Node, how: &Reading) -> Result<Secret> {
    let loc = Loc::at(file, doc.mark);
    let meta = doc.get("metadata");
    let get = |n: Option<&Node>, k: &str| {
        n.and_then(|m| m.get(k))
            .and_then(Node::as_str)
            .map(str::to_string)
    };
    let Some(name) = get(meta, "name") else {
        return Err(Error::manifest(loc, how.unnamed));
    };
    let namespace = get(meta, "namespace");
    let labels = strings(meta.and_then(|m| m.get("labels")));
    let annotations = strings(meta.and_then(|m| m.get("annotations")));
    let type_ = get(Some(doc), "type").unwrap_or_else(|| "Opaque".into());
    let immutable = doc.get("immutable").and_then(scalar_text) == Some("true");
    let data = data(doc, file, how)?;
    let mut s = Secret::new(name, namespace, loc);
    s.type_ = type_;
    s.explicit_type = true;
    s.labels = labels;
    s.annotations = annotations;
    s.data = data;
    s.immutable = immutable;
    Ok(s)
}

/// A Secret document's `data` (base64, whitespace ignored) and `stringData`, decoded into
/// entries keyed by name (`stringData` wins a key both hold, as the API server merges them).
pub fn data(doc: &Node, file: &Path, how: &Reading) -> Result<BTreeMap<Key, Entry>> {
    use base64::Engine;
    let mut data = BTreeMap::new();
    for (field, decode) in [("data", true), ("stringData", false)] {
        for (k, v) in doc.get(field).and_then(Node::as_map).unwrap_or(&[]) {
            let key = match ((how.text)(k), how.values) {
                (Some(key), _) => key.to_string(),
                (None, Values::KeysOnly) => continue,
                (None, Values::Decode) => String::new(),
            };
            let bytes = match how.values {
                Values::KeysOnly => Vec::new(),
                Values::Decode if decode => {
                    let value = (how.base64_text)(v).unwrap_or("");
                    let clean: String = value.chars().filter(|c| !c.is_whitespace()).collect();
                    base64::engine::general_purpose::STANDARD
                        .decode(clean)
                        .map_err(|_| {
                            Error::manifest(
                                Loc::at(file, v.mark),
                                format!("data key `{key}`{} is not valid base64", how.what),
                            )
                        })?
                }
                Values::Decode => (how.text)(v).unwrap_or("").as_bytes().to_vec(),
            };
            data.insert(
                Key::from(key),
                Entry {
                    value: SecretBytes::new(bytes),
                    base64: SecretString::default(),
                    origin: Loc::at(file, k.mark),
                    encrypted: how.encrypted,
                },
            );
        }
    }
    Ok(data)
}
