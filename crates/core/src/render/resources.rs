//! Secrets that a kustomization lists under `resources` in a SOPS-encrypted file:
//! decrypted as `sops --decrypt` does, or, without a usable identity under `--placeholder`,
//! rendered from their clear names with a placeholder for every value.

use std::borrow::Cow;
use std::path::Path;

use super::settings::{PLACEHOLDER, PLACEHOLDER_ANNOTATION};
use super::{Decrypt, Entry, Secret, plain_secret};
use crate::error::{CryptReason, Error, Loc, Result};
use crate::kustomize::manifest::Transform;
use crate::secret::{SecretBytes, SecretString};
use crate::yaml::emit::{self, Node};

/// A YAML tree as the emitter's (strings stay strings; plain non-strings keep their type).
pub(crate) fn to_emit(node: &crate::yaml::Node) -> Node<'static> {
    use crate::yaml::{Resolved, Value};
    match &node.value {
        Value::Scalar { text, .. } => match node.resolved() {
            Resolved::Null => Node::Null,
            // kustomize reads resources with go-yaml v3: only `true` and `false` (any case
            // form of the three) are booleans; YAML 1.1's `yes`, `on`, `y` are strings.
            Resolved::Bool if crate::yaml::is_v3_bool(text) => {
                Node::Bool(crate::yaml::is_true(text))
            }
            Resolved::Bool => Node::Str(Cow::Owned(text.clone())),
            Resolved::Int | Resolved::Float => Node::Number(Cow::Owned(text.clone())),
            Resolved::Str => Node::Str(Cow::Owned(text.clone())),
        },
        Value::Seq(items) => Node::Seq(items.iter().map(to_emit).collect()),
        Value::Map(entries) => Node::Map(
            entries
                .iter()
                .map(|(k, v)| {
                    (
                        // A key is its text, whatever it would resolve to as a value
                        // (`n`, `yes`, `1` are keys as written, as kustomize reads them).
                        Cow::Owned(match &k.value {
                            Value::Scalar { text, .. } => text.clone(),
                            _ => String::new(),
                        }),
                        to_emit(v),
                    )
                })
                .collect(),
        ),
    }
}

pub(crate) fn set(
    map: &mut Vec<(Cow<'static, str>, Node<'static>)>,
    key: &str,
    value: Node<'static>,
) {
    match map.iter_mut().find(|(k, _)| k == key) {
        Some(entry) => entry.1 = value,
        None => map.push((Cow::Owned(key.to_string()), value)),
    }
}

/// Whether a resource document carries SOPS metadata (`sops.mac`).
pub(crate) fn is_sops_doc(doc: &crate::yaml::Node) -> bool {
    doc.get("sops").and_then(|s| s.get("mac")).is_some()
}

/// How a decrypted resource's Secret is read: its keys described in errors, never quoted.
const DECRYPTED: crate::secret::read::Reading = crate::secret::read::Reading {
    encrypted: true,
    what: " of a decrypted Secret",
    ..crate::secret::read::Reading::RESOURCE
};

/// A SOPS-encrypted resource file, opened.
pub(crate) enum SopsResource {
    /// The documents `sops --decrypt` prints for it: every value in them is decrypted text.
    Decrypted(Vec<crate::yaml::Node>),
    /// No usable identity, under `--placeholder`: stand in with [`sops_placeholder`].
    Placeholder,
}

/// The one way a resource file that is SOPS-encrypted (its first document, `first`, carries
/// `sops.mac`) is read, wherever resources are read: decrypted in memory, or under
/// `--placeholder` without a usable identity, a placeholder; otherwise an error naming the
/// file. Its ciphertext never passes through as data.
pub(crate) fn open_sops(
    file: &Path,
    first: &crate::yaml::Node,
    keys: &dyn Decrypt,
    placeholder: bool,
) -> Result<SopsResource> {
    let loc = Loc::at(file, first.mark);
    let bytes = crate::gate::read::file(
        file,
        crate::gate::read::Origin::Input,
        crate::kustomize::manifest::MAX_YAML_BYTES,
    )
    .map_err(|e| crate::kustomize::Error::unreadable(loc.clone(), file, e.failure))?;
    let plain = match keys.open(file, &bytes) {
        Ok(p) => p,
        Err(f) if f.missing_key() && placeholder => return Ok(SopsResource::Placeholder),
        Err(f) => return Err(f.at(loc)),
    };
    let text = std::str::from_utf8(plain.expose()).map_err(|_| Error::Crypt {
        loc: loc.clone(),
        reason: CryptReason::NotUtf8,
    })?;
    let docs = crate::yaml::parse_stream_as(text, crate::gate::shown::Provenance::Decrypted)
        .map_err(|e| Error::Crypt {
            loc: loc.clone(),
            reason: CryptReason::NotYaml(e.mark),
        })?;
    Ok(SopsResource::Decrypted(docs))
}

/// The `v1` Secrets of a SOPS-encrypted resource file, decrypted as `sops --decrypt` does.
/// Without a usable identity under `--placeholder`, the Secret is rendered from the
/// encrypted document (its names must be in clear) with placeholders for every value.
pub(super) fn sops_secrets(
    file: &Path,
    first: &crate::yaml::Node,
    t: &Transform,
    keys: &dyn Decrypt,
    placeholder: bool,
) -> Result<Vec<Secret>> {
    let docs = match open_sops(file, first, keys, placeholder)? {
        SopsResource::Decrypted(docs) => docs,
        SopsResource::Placeholder => return sops_placeholder(file, first, t).map(|s| vec![s]),
    };
    let mut out = Vec::new();
    for d in &docs {
        let is_secret = d.get("kind").and_then(|k| k.as_str()) == Some("Secret")
            && d.get("apiVersion").and_then(|k| k.as_str()) == Some("v1");
        if is_secret {
            let mut s = super::secret_resource(file, d, t, &DECRYPTED)?;
            s.meta = crate::gate::shown::Provenance::Decrypted;
            for e in s.data.values_mut() {
                e.encrypted = true;
            }
            out.push(s);
        }
    }
    Ok(out)
}

/// A SOPS Secret resource that cannot be opened, under `--placeholder`: its keys from the
/// encrypted document, each value a placeholder.
pub(crate) fn sops_placeholder(
    file: &Path,
    doc: &crate::yaml::Node,
    t: &Transform,
) -> Result<Secret> {
    let loc = Loc::at(file, doc.mark);
    let clear = |n: Option<&crate::yaml::Node>| {
        n.and_then(|v| v.as_str())
            .is_some_and(|s| !s.starts_with("ENC[AES256_GCM,"))
    };
    let is_secret = doc.get("kind").and_then(|k| k.as_str()) == Some("Secret");
    let meta = doc.get("metadata");
    if !is_secret || !clear(meta.and_then(|m| m.get("name"))) {
        return Err(Error::Crypt {
            loc,
            reason: CryptReason::NamesEncrypted,
        });
    }
    let mut s = plain_secret(file, doc, t).or_else(|_| {
        // `data` values are ciphertext, not base64: read the keys only.
        let mut bare = doc.clone();
        if let crate::yaml::Value::Map(m) = &mut bare.value {
            m.retain(|(k, _)| !matches!(k.as_str(), Some("data") | Some("stringData")));
        }
        plain_secret(file, &bare, t)
    })?;
    s.data.clear();
    for field in ["data", "stringData"] {
        for (k, _) in doc.get(field).and_then(|d| d.as_map()).unwrap_or(&[]) {
            let Some(key) = k.as_str() else { continue };
            let mut b64 = String::new();
            emit::wrapped_base64(PLACEHOLDER, &mut b64);
            s.data.insert(
                key.into(),
                Entry {
                    value: SecretBytes::from_slice(PLACEHOLDER),
                    base64: SecretString::new(b64),
                    origin: Loc::at(file, k.mark),
                    encrypted: true,
                    to_substitute: false,
                },
            );
        }
    }
    // Printed from its fields: the placeholders, never the ciphertext.
    s.passthrough = None;
    s.placeholder = true;
    s.annotations
        .insert(PLACEHOLDER_ANNOTATION.into(), "true".into());
    Ok(s)
}
