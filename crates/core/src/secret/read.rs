//! The one reader of a `v1` Secret from YAML.
//!
//! In: one parsed document (a plain Secret resource, a decrypted KSOPS Secret, a Secret read
//! back from rendered YAML, a Secret beside the workloads `check` looks at). Out: a
//! [`Secret`] with its metadata, type, and `data` (base64-decoded) and `stringData` merged by
//! key, every error with file, line and column. Callers that have always read differently say
//! how in a [`Reading`]; there is no second reader.

use std::collections::BTreeMap;
use std::path::Path;

use crate::gate::outpath::has_placeholder;
use crate::gate::shown::{Provenance, Text};
use crate::place::Loc;
use crate::secret::{Entry, Key, Secret, SecretBytes, SecretString};
use crate::secret::{Error, NotBase64};
use crate::yaml::{Node, Value};

/// What the reader returns: its refusals are the secret layer's.
type Result<T, E = Error> = std::result::Result<T, E>;

/// Whether a reader decodes the values or only notes the keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Values {
    /// `data` base64-decoded (whitespace ignored), `stringData` as written.
    Decode,
    /// Key names only, values left empty, a key that is not text skipped, nothing refused:
    /// for looking at references, where a Secret with a broken value is still a Secret.
    KeysOnly,
}

/// How a caller reads a Secret document: the points where the callers differ.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Reading {
    /// Reads a key and a `stringData` value.
    pub(crate) text: fn(&Node) -> Option<&str>,
    /// Reads a `data` value (the base64 text).
    pub(crate) base64_text: fn(&Node) -> Option<&str>,
    pub(crate) values: Values,
    /// The values come out of a decryption.
    pub(crate) encrypted: bool,
    /// Qualifies the Secret in the base64 error (`" of a decrypted Secret"`).
    pub(crate) what: &'static str,
    /// The base64 error begins with the Secret's name (`Secret `NAME`: `).
    pub(crate) named: bool,
    /// What a `data` value may hold between its base64 characters (line breaks of a
    /// wrapped value), dropped before decoding.
    pub(crate) blank: fn(char) -> bool,
    /// A `stringData` value is also kept as wrapped base64 (printed and hashed from it).
    pub(crate) string_base64: bool,
    /// What the error for a Secret without `metadata.name` calls it (`a Secret resource`).
    pub(crate) unnamed: &'static str,
}

impl Reading {
    /// A plain Secret resource a kustomization lists.
    pub(crate) const RESOURCE: Reading = Reading {
        text: Node::as_str,
        base64_text: Node::as_str,
        values: Values::Decode,
        encrypted: false,
        what: "",
        named: false,
        blank: char::is_whitespace,
        string_base64: false,
        unnamed: "a Secret resource",
    };

    /// A Secret in YAML secretgen (or kustomize, or kubectl) printed, read back for a diff:
    /// a `data` value is read as whatever scalar it is.
    pub(crate) const PRINTED: Reading = Reading {
        text: Node::as_str,
        base64_text: scalar_text,
        values: Values::Decode,
        encrypted: false,
        what: "",
        named: false,
        blank: char::is_whitespace,
        string_base64: false,
        unnamed: "a Secret",
    };

    /// A Secret beside the workloads `check` reads: names, type and key names only (so the
    /// one error left is a missing name, which `check` skips).
    pub(crate) const KEYS: Reading = Reading {
        text: Node::as_str,
        base64_text: Node::as_str,
        values: Values::KeysOnly,
        encrypted: false,
        what: "",
        named: false,
        blank: char::is_whitespace,
        string_base64: false,
        unnamed: "a Secret",
    };

    /// A Secret at the end of a tree build, its values given as [`Written`] by the build:
    /// kustomize's wrapping (ASCII white space) dropped, the error naming the Secret at the
    /// key's origin, `stringData` kept as base64 too.
    pub(crate) const BUILT: Reading = Reading {
        text: Node::as_str,
        base64_text: Node::as_str,
        values: Values::Decode,
        encrypted: false,
        what: "",
        named: true,
        blank: |c| c.is_ascii_whitespace(),
        string_base64: true,
        unnamed: "a Secret",
    };
}

/// One `data` or `stringData` value as written, from whichever tree it was read.
pub(crate) struct Written<'a> {
    pub(crate) key: &'a str,
    pub(crate) value: &'a str,
    /// From `data` (base64), not `stringData`.
    pub(crate) base64: bool,
    pub(crate) origin: Loc,
    pub(crate) encrypted: bool,
    /// Where a value that is not base64 is reported; the key's origin when `None`.
    pub(crate) at: Option<Loc>,
}

/// A scalar's text whatever it resolves to (`true`, `12`, `~` included).
pub(crate) fn scalar_text(n: &Node) -> Option<&str> {
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
                k.as_str_v3()?.to_string(),
                v.as_str_v3().unwrap_or("").to_string(),
            ))
        })
        .collect()
}

/// Reads one Secret document as written: its name is also its base name, its type `Opaque`
/// when none is given.
pub(crate) fn secret(file: &Path, doc: &Node, how: &Reading) -> Result<Secret> {
    let loc = Loc::at(file, doc.mark);
    let meta = doc.get("metadata");
    let get = |n: Option<&Node>, k: &str| {
        n.and_then(|m| m.get(k))
            .and_then(Node::as_str_v3)
            .map(str::to_string)
    };
    let Some(name) = get(meta, "name") else {
        return Err(Error::Unnamed {
            loc,
            what: how.unnamed,
        });
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
pub(crate) fn data(doc: &Node, file: &Path, how: &Reading) -> Result<BTreeMap<Key, Entry>> {
    let mut written = Vec::new();
    for (field, base64) in [("data", true), ("stringData", false)] {
        for (k, v) in doc.get(field).and_then(Node::as_map).unwrap_or(&[]) {
            let key = match ((how.text)(k), how.values) {
                (Some(key), _) => key,
                (None, Values::KeysOnly) => continue,
                (None, Values::Decode) => "",
            };
            let value = match how.values {
                Values::KeysOnly => "",
                Values::Decode if base64 => (how.base64_text)(v).unwrap_or(""),
                Values::Decode => (how.text)(v).unwrap_or(""),
            };
            written.push(Written {
                key,
                value,
                base64,
                origin: Loc::at(file, k.mark),
                encrypted: how.encrypted,
                at: Some(Loc::at(file, v.mark)),
            });
        }
    }
    entries(written, "", how)
}

/// Values as written, decoded into entries keyed by name (a later one wins a key). `secret`
/// names the Secret in an error when `how.named`.
pub(crate) fn entries<'a>(
    written: impl IntoIterator<Item = Written<'a>>,
    secret: &str,
    how: &Reading,
) -> Result<BTreeMap<Key, Entry>> {
    use base64::Engine;
    let mut data = BTreeMap::new();
    for w in written {
        let mut base64 = SecretString::default();
        let mut to_substitute = false;
        let bytes = match how.values {
            Values::KeysOnly => Vec::new(),
            Values::Decode if w.base64 => {
                let clean: String = w.value.chars().filter(|&c| !(how.blank)(c)).collect();
                match base64::engine::general_purpose::STANDARD.decode(clean) {
                    Ok(bytes) => bytes,
                    // `${VAR}` for envsubst or Flux's postBuild.substitute to fill: kustomize
                    // prints it as written, and so does secretgen, saying so.
                    Err(_) if has_placeholder(w.value) => {
                        to_substitute = true;
                        w.value.as_bytes().to_vec()
                    }
                    Err(_) => return Err(not_base64(&w, secret, how)),
                }
            }
            Values::Decode => {
                if how.string_base64 {
                    let mut b64 = String::new();
                    crate::yaml::emit::wrapped_base64(w.value.as_bytes(), &mut b64);
                    base64 = SecretString::new(b64);
                }
                w.value.as_bytes().to_vec()
            }
        };
        data.insert(
            Key::from(w.key),
            Entry {
                value: SecretBytes::new(bytes),
                base64,
                origin: w.origin,
                encrypted: w.encrypted,
                to_substitute,
            },
        );
    }
    Ok(data)
}

/// The error for a `data` value that is not base64. A key (and the name of a Secret) that
/// came out of a decryption is described, never quoted.
fn not_base64(w: &Written<'_>, secret: &str, how: &Reading) -> Error {
    let provenance = Provenance::decrypted_if(w.encrypted || how.encrypted);
    Error::NotBase64(Box::new(NotBase64 {
        loc: w.at.clone().unwrap_or_else(|| w.origin.clone()),
        secret: how.named.then(|| Text::new(secret, provenance)),
        key: Text::new(w.key, provenance),
        what: how.what,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one<'a>(value: &'a str) -> Written<'a> {
        Written {
            key: "k",
            value,
            base64: true,
            origin: Loc::file("s.yaml"),
            encrypted: false,
            at: None,
        }
    }

    #[test]
    fn a_built_secret_drops_only_ascii_white_space_and_names_itself() {
        let ok = entries([one("aG\n k=")], "s", &Reading::BUILT).unwrap();
        assert_eq!(ok[&Key::from("k")].value.expose(), b"hi");
        let nbsp = entries([one("aGk=\u{a0}")], "s", &Reading::BUILT).unwrap_err();
        assert_eq!(
            nbsp.to_string(),
            "s.yaml: Secret `s`: data key `k` is not valid base64"
        );
        assert!(entries([one("aGk=\u{a0}")], "s", &Reading::RESOURCE).is_ok());
    }

    #[test]
    fn a_decrypted_key_is_described_in_the_base64_error() {
        let w = Written {
            key: "CANARY-key",
            encrypted: true,
            ..one("not base64!")
        };
        let e = entries([w], "CANARY-name", &Reading::BUILT)
            .unwrap_err()
            .to_string();
        assert!(!e.contains("CANARY"), "{e}");
        assert_eq!(
            e,
            "s.yaml: Secret of 11 characters (letters, `-`; decrypted, not shown): data key of 10 characters (letters, `-`; decrypted, not shown) is not valid base64"
        );
    }
}
