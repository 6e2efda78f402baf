//! The one Secret model: what secretgen builds, reads back and prints.
//!
//! In: the fields a generator, a plain Secret resource, a KSOPS Secret, the `create` forms or
//! rendered YAML give. Out: the Secret's emitter tree (kustomize's or kubectl's printing), its
//! hash input, and kustomize's order. Values are [`SecretBytes`]; none reaches a `Debug` print.

use std::borrow::{Borrow, Cow};
use std::collections::BTreeMap;
use std::fmt;

use zeroize::Zeroizing;

use crate::kustomize::hash::{self, HashInput, HashVariant};
use crate::place::Loc;
use crate::secret::{SecretBytes, SecretString, validate};
use crate::yaml::emit::{self, Node};

/// A data key of a Secret.
///
/// Made unchecked: the Kubernetes rules for keys ([`validate::check_key`]) are applied to the
/// finished Secret with every other rule, so that all of a Secret's violations are reported
/// at once and in the order of the input. Sorted bytewise, as the API server and kustomize
/// print keys.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key(String);

impl Key {
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    /// The key under the API server's rules.
    pub(crate) fn check(&self) -> Result<(), validate::Violation> {
        validate::check_key(&self.0)
    }
}

impl From<String> for Key {
    fn from(s: String) -> Self {
        Key(s)
    }
}

impl From<&str> for Key {
    fn from(s: &str) -> Self {
        Key(s.to_string())
    }
}

impl From<Key> for String {
    fn from(k: Key) -> Self {
        k.0
    }
}

impl Borrow<str> for Key {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Key {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One data entry of a Secret.
#[derive(Debug)]
pub struct Entry {
    pub(crate) value: SecretBytes,
    /// kustomize's base64 (wrapped at 70 columns), as printed and hashed.
    pub(crate) base64: SecretString,
    /// Where the key came from.
    pub(crate) origin: Loc,
    /// Whether the value was decrypted from an age file.
    pub(crate) encrypted: bool,
    /// A `data` value that is not base64 but holds an envsubst placeholder (`${VAR}`) for a
    /// later step to fill: printed as written, with a warning.
    pub(crate) to_substitute: bool,
}

/// Where a source's bytes came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Enc {
    Plain,
    Decrypted,
    /// Encrypted, no usable identity: a placeholder stands in (`--placeholder`).
    Placeholder,
}

/// A generated Secret, ready to print.
#[derive(Debug)]
pub struct Secret {
    /// The final name (with the suffix when hashed).
    pub name: String,
    /// The name before the suffix (prefix and suffix of the kustomization applied).
    pub(crate) base_name: String,
    pub namespace: Option<String>,
    pub(crate) type_: String,
    /// Whether the type was written out (kubectl hashes only a `--type` it was given).
    pub(crate) explicit_type: bool,
    pub(crate) labels: BTreeMap<String, String>,
    pub(crate) annotations: BTreeMap<String, String>,
    /// Sorted bytewise by key.
    pub(crate) data: BTreeMap<Key, Entry>,
    pub(crate) immutable: bool,
    /// The variant and suffix, when the name carries one.
    pub hash: Option<(HashVariant, String)>,
    /// The generator it came from.
    pub origin: Loc,
    /// A plain Secret resource printed as written (with the kustomization's changes),
    /// instead of from the fields above.
    pub(crate) passthrough: Option<Node<'static>>,
    /// Some value is a placeholder (`--placeholder`).
    pub placeholder: bool,
    /// Some key names are unknown: an encrypted env file rendered without an identity.
    pub(crate) keys_unknown: bool,
    /// Printed as `kubectl create secret … --dry-run=client -o yaml` prints it (`output:
    /// kubectl`): `creationTimestamp: null`, base64 on one line, `type` only when given.
    pub(crate) kubectl_output: bool,
    /// Where its name, namespace, labels and annotations came from: `Decrypted` for a
    /// decrypted manifest (a SOPS resource, a KSOPS `files` entry) or a name a patch copied
    /// a value into; reports then describe them, never quote them.
    pub(crate) meta: crate::gate::shown::Provenance,
}

impl Secret {
    /// A Secret named `name` (also its base name), of type `Opaque` not written out, with
    /// no data: what every reader and builder starts from.
    pub(crate) fn new(name: String, namespace: Option<String>, origin: Loc) -> Self {
        Secret {
            base_name: name.clone(),
            name,
            namespace,
            type_: "Opaque".into(),
            explicit_type: false,
            labels: BTreeMap::new(),
            annotations: BTreeMap::new(),
            data: BTreeMap::new(),
            immutable: false,
            hash: None,
            origin,
            passthrough: None,
            placeholder: false,
            keys_unknown: false,
            kubectl_output: false,
            meta: crate::gate::shown::Provenance::Plain,
        }
    }

    /// The id kustomize sorts by within the Secret kind (RULES.md rule 80).
    pub(crate) fn sort_key(&self) -> String {
        format!(
            "{}|{}",
            self.namespace.as_deref().unwrap_or("~X"),
            self.name
        )
    }

    /// The JSON document its hash is computed over, with values shown as sizes when
    /// `redact` is set (`secretgen hash --explain`).
    pub fn hash_json(&self, variant: HashVariant, redact: bool) -> Zeroizing<Vec<u8>> {
        self.with_hash_input(variant, |input| {
            let sizes = |k: &str| self.data.get(k).map_or(0, |e| e.value.len());
            let values = if redact {
                hash::Values::Sizes(&sizes)
            } else {
                hash::Values::Real
            };
            hash::hash_json(input, values)
        })
    }

    /// The name suffix `variant` gives it: [`hash::suffix`] of [`Self::hash_json`]'s document.
    pub fn hash_suffix(&self, variant: HashVariant) -> String {
        self.with_hash_input(variant, hash::suffix)
    }

    /// `f` of what its hash is computed over.
    fn with_hash_input<T>(&self, variant: HashVariant, f: impl FnOnce(&HashInput<'_>) -> T) -> T {
        let unwrapped: Vec<SecretString>;
        let values: Vec<&str> = if variant.wraps_base64() {
            self.data.values().map(|e| e.base64.expose()).collect()
        } else {
            unwrapped = self
                .data
                .values()
                .map(|e| SecretString::new(base64_plain(e.value.expose())))
                .collect();
            unwrapped.iter().map(|s| s.expose()).collect()
        };
        let pairs: Vec<(&str, &str)> = self.data.keys().map(Key::as_str).zip(values).collect();
        f(&HashInput {
            variant,
            name: &self.base_name,
            type_: &self.type_,
            kubectl_type: self.explicit_type.then_some(self.type_.as_str()),
            data: Some(&pairs),
            string_data: None,
            immutable: self.immutable,
        })
    }

    /// The emitter's view of the Secret.
    pub fn to_node(&self) -> Node<'_> {
        if let Some(node) = &self.passthrough {
            return node.view();
        }
        if self.kubectl_output {
            return self.to_kubectl_node();
        }
        let mut meta: Vec<(Cow<'_, str>, Node<'_>)> =
            vec![("name".into(), Node::Str(self.name.as_str().into()))];
        if let Some(ns) = &self.namespace {
            meta.push(("namespace".into(), Node::Str(ns.as_str().into())));
        }
        if !self.labels.is_empty() {
            meta.push(("labels".into(), string_map(&self.labels)));
        }
        if !self.annotations.is_empty() {
            meta.push(("annotations".into(), string_map(&self.annotations)));
        }
        let data = self
            .data
            .iter()
            .map(|(k, e)| {
                (
                    Cow::Borrowed(k.as_str()),
                    Node::Str(e.base64.expose().into()),
                )
            })
            .collect();
        let mut top: Vec<(Cow<'_, str>, Node<'_>)> = vec![
            ("apiVersion".into(), Node::Str("v1".into())),
            ("kind".into(), Node::Str("Secret".into())),
            ("metadata".into(), Node::Map(meta)),
            ("type".into(), Node::Str(self.type_.as_str().into())),
            ("data".into(), Node::Map(data)),
        ];
        if self.immutable {
            top.push(("immutable".into(), Node::Bool(true)));
        }
        Node::Map(top)
    }
}

impl Secret {
    /// The Secret printed as one YAML document (led by `---` when `lead`), in a buffer sized
    /// for it up front: a buffer that grows is copied, and the copy it leaves in freed memory
    /// is never zeroed.
    pub fn document(&self, lead: bool) -> Zeroizing<Vec<u8>> {
        let mut doc = Zeroizing::new(Vec::with_capacity(self.document_capacity()));
        if lead {
            doc.extend_from_slice(b"---\n");
        }
        emit::write_document(&self.to_node(), &mut doc);
        doc
    }

    /// Room enough for [`Secret::document`] of a Secret as generated: its values' text with
    /// their lines indented, its keys, metadata and the fixed fields.
    pub(crate) fn document_capacity(&self) -> usize {
        let text = |s: &str| s.len() + 16;
        let values: usize = self
            .data
            .iter()
            .map(|(k, e)| {
                // The key's line (`  key: |-`), and the text's lines, each indented by four.
                let b64 = e.base64.expose();
                let lines = b64.len() / 70 + 1;
                k.as_str().len() + 10 + b64.len() + 4 * lines
            })
            .sum();
        let meta: usize = self
            .labels
            .iter()
            .chain(&self.annotations)
            .map(|(k, v)| text(k) + text(v))
            .sum();
        let names =
            text(&self.name) + self.namespace.as_deref().map_or(0, text) + text(&self.type_);
        values + meta + names + 64
    }

    /// kubectl's printing: its field order, `creationTimestamp: null`, one-line base64, no
    /// `data` when empty, and `type` only when the generator set one.
    fn to_kubectl_node(&self) -> Node<'_> {
        let mut meta: Vec<(Cow<'_, str>, Node<'_>)> =
            vec![("creationTimestamp".into(), Node::Null)];
        if !self.labels.is_empty() {
            meta.push(("labels".into(), string_map(&self.labels)));
        }
        if !self.annotations.is_empty() {
            meta.push(("annotations".into(), string_map(&self.annotations)));
        }
        meta.push(("name".into(), Node::Str(self.name.as_str().into())));
        if let Some(ns) = &self.namespace {
            meta.push(("namespace".into(), Node::Str(ns.as_str().into())));
        }
        let mut top: Vec<(Cow<'_, str>, Node<'_>)> =
            vec![("apiVersion".into(), Node::Str("v1".into()))];
        if !self.data.is_empty() {
            let data = self
                .data
                .iter()
                .map(|(k, e)| {
                    (
                        Cow::Borrowed(k.as_str()),
                        Node::Str(base64_plain(e.value.expose()).into()),
                    )
                })
                .collect();
            top.push(("data".into(), Node::Map(data)));
        }
        if self.immutable {
            top.push(("immutable".into(), Node::Bool(true)));
        }
        top.push(("kind".into(), Node::Str("Secret".into())));
        top.push(("metadata".into(), Node::Map(meta)));
        if self.explicit_type {
            top.push(("type".into(), Node::Str(self.type_.as_str().into())));
        }
        Node::Map(top)
    }
}

fn string_map(m: &BTreeMap<String, String>) -> Node<'_> {
    Node::Map(
        m.iter()
            .map(|(k, v)| (Cow::Borrowed(k.as_str()), Node::Str(v.as_str().into())))
            .collect(),
    )
}

/// Standard base64 on one line (kubectl's encoding).
pub fn base64_plain(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Prints Secrets as one YAML stream (`---` between documents).
pub fn to_yaml(secrets: &[Secret]) -> Zeroizing<Vec<u8>> {
    // One Secret (a plugin call): its document is the stream, not copied into another.
    if let [only] = secrets {
        return only.document(false);
    }
    let mut out = Zeroizing::new(Vec::new());
    write_yaml(secrets, &mut |doc| {
        out.extend_from_slice(doc);
        Ok(())
    })
    .expect("writing to memory cannot fail");
    out
}

/// How many Secrets are printed at once on every core before they are written in order: enough
/// to keep both cores busy, few enough that the texts held at once stay small.
const EMIT_BATCH: usize = 64;

/// Prints Secrets as one YAML stream, handing `write` each document in order (from the second
/// on, led by its `---` line). Many Secrets are printed in batches on every core; each text is
/// zeroed once written.
pub fn write_yaml(
    secrets: &[Secret],
    write: &mut dyn FnMut(&[u8]) -> std::io::Result<()>,
) -> std::io::Result<()> {
    use rayon::prelude::*;
    let print = |(i, s): (usize, &Secret)| s.document(i > 0);
    if secrets.len() < EMIT_BATCH {
        for doc in secrets.iter().enumerate().map(print) {
            write(&doc)?;
        }
        return Ok(());
    }
    for (b, batch) in secrets.chunks(EMIT_BATCH).enumerate() {
        let docs: Vec<Zeroizing<Vec<u8>>> = batch
            .par_iter()
            .enumerate()
            .map(|(i, s)| print((b * EMIT_BATCH + i, s)))
            .collect();
        for doc in &docs {
            write(doc)?;
        }
    }
    Ok(())
}

/// What stands for a value in a redacted Secret, before its size.
pub const REDACTED: &str = "<redacted ";

/// Prints Secrets as [`to_yaml`] does, every `data` and `stringData` value replaced by
/// `<redacted N bytes>` (N the value's decoded size); names keep the suffix hashed from the
/// real values, so a changed value still changes the text (`render --redact`).
pub fn to_yaml_redacted(secrets: &[Secret]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, s) in secrets.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(b"---\n");
        }
        emit::write_document(&s.to_redacted_node(false), &mut out);
    }
    out
}

impl Secret {
    /// [`Secret::to_node`] with every value of `data` and `stringData` replaced by the
    /// marker and its size. With `content_hash` (a Secret kustomize names after this, from
    /// what it is given: the exec plugin, the KRM function under kustomize), each marker also
    /// holds the suffix kustomize would compute from the real values, so that the name
    /// kustomize gives still changes exactly when a value does; it publishes what that
    /// suffix publishes.
    pub fn to_redacted_node(&self, content_hash: bool) -> Node<'static> {
        let tail = if content_hash {
            format!(
                ", content hash {}>",
                self.hash_suffix(HashVariant::Kustomize)
            )
        } else {
            ">".to_string()
        };
        let size = |field: &str, key: &str, v: &Node<'_>| -> usize {
            if let Some((_, e)) = self.data.iter().find(|(k, _)| k.as_str() == key) {
                return e.value.len();
            }
            match v {
                Node::Str(t) if field == "data" => {
                    use base64::Engine;
                    let joined: String = t.split_whitespace().collect();
                    base64::engine::general_purpose::STANDARD
                        .decode(joined.as_bytes())
                        .map_or(t.len(), |b| zeroize::Zeroizing::new(b).len())
                }
                Node::Str(t) | Node::Number(t) => t.len(),
                _ => 0,
            }
        };
        let Node::Map(top) = self.to_node() else {
            unreachable!("a Secret prints as a mapping")
        };
        Node::Map(
            top.into_iter()
                .map(|(k, v)| {
                    let v = match (k.as_ref(), v) {
                        (field @ ("data" | "stringData"), Node::Map(entries)) => Node::Map(
                            entries
                                .into_iter()
                                .map(|(key, v)| {
                                    let n = size(field, &key, &v);
                                    (
                                        Cow::Owned(key.into_owned()),
                                        Node::Str(Cow::Owned(format!("{REDACTED}{n} bytes{tail}"))),
                                    )
                                })
                                .collect(),
                        ),
                        (_, v) => owned(v),
                    };
                    (Cow::Owned(k.into_owned()), v)
                })
                .collect(),
        )
    }
}

/// A node that borrows nothing (holding no value: the values are replaced before).
fn owned(n: Node<'_>) -> Node<'static> {
    match n {
        Node::Str(s) => Node::Str(Cow::Owned(s.into_owned())),
        Node::Number(s) => Node::Number(Cow::Owned(s.into_owned())),
        Node::Bool(b) => Node::Bool(b),
        Node::Null => Node::Null,
        Node::Map(m) => Node::Map(
            m.into_iter()
                .map(|(k, v)| (Cow::Owned(k.into_owned()), owned(v)))
                .collect(),
        ),
        Node::Seq(items) => Node::Seq(items.into_iter().map(owned).collect()),
    }
}

/// Sorts as kustomize's legacy order does for Secrets: by namespace (none last), then
/// name, bytewise, on the final names.
pub fn sort_secrets(secrets: &mut [Secret]) {
    secrets.sort_by_cached_key(|s| s.sort_key());
}
