//! The name-suffix hash, in the three variants users meet.
//!
//! In: a Secret's name, type and data (as the variant's tool encodes it). Out: the JSON
//! document exactly as Go's `encoding/json.Marshal` writes it (see `gojson`), and the 10-character suffix
//! kustomize and kubectl derive from its SHA-256. Refuses nothing: every input has a hash.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::gojson;

/// Which tool's suffix to reproduce (DESIGN.md, "The name-suffix hash").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum HashVariant {
    /// kustomize v4/v5 and `kubectl kustomize`: empty name, the type, wrapped base64.
    #[default]
    Kustomize,
    /// kustomize ≤ 3.7 and the Kubernetes docs: the real name, the type.
    KustomizeLegacy,
    /// `kubectl create secret --append-hash`: the real name, the `--type` given (none: `""`),
    /// base64 on one line.
    Kubectl,
}

impl HashVariant {
    pub const ALL: [HashVariant; 3] = [
        HashVariant::Kustomize,
        HashVariant::KustomizeLegacy,
        HashVariant::Kubectl,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HashVariant::Kustomize => "kustomize",
            HashVariant::KustomizeLegacy => "kustomize-legacy",
            HashVariant::Kubectl => "kubectl",
        }
    }

    /// Whether data values enter the JSON wrapped at 70 columns (kustomize's encoding).
    pub(crate) fn wraps_base64(self) -> bool {
        !matches!(self, HashVariant::Kubectl)
    }
}

impl fmt::Display for HashVariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `hash:` value that names no variant.
#[derive(Debug, thiserror::Error)]
#[error("unknown hash variant `{0}` (expected kustomize, kustomize-legacy or kubectl)")]
pub struct UnknownVariant(pub(crate) String);

impl FromStr for HashVariant {
    type Err = UnknownVariant;
    fn from_str(s: &str) -> Result<Self, UnknownVariant> {
        HashVariant::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| UnknownVariant(s.to_string()))
    }
}

/// What the hashed JSON is made of. `data` pairs are (key, base64 text as the variant
/// encodes it); their order does not matter.
pub struct HashInput<'a> {
    pub variant: HashVariant,
    /// The Secret's name at hashing time (prefix and suffix applied, no hash yet).
    pub name: &'a str,
    /// The final type, `Opaque` when defaulted. Ignored by the kubectl variant unless
    /// `kubectl_type` is set.
    pub type_: &'a str,
    /// The type given to `kubectl create secret --type` (kubectl never defaults it).
    pub kubectl_type: Option<&'a str>,
    /// `data`; `None` where the Secret has none (kustomize's hasher writes it as `""`, not
    /// as an empty object: a patch that removes `data` changes the hash).
    pub data: Option<&'a [(&'a str, &'a str)]>,
    pub string_data: Option<&'a [(&'a str, &'a str)]>,
    pub immutable: bool,
}

/// How data values appear in the JSON: as they are, or as `<N bytes>` for `--explain`.
#[derive(Clone, Copy)]
pub enum Values<'a> {
    Real,
    /// Replace each value by `<N bytes>`, N looked up by key.
    Sizes(&'a dyn Fn(&str) -> usize),
}

/// Go's `json.Marshal` of the object the variant hashes.
pub fn hash_json(input: &HashInput<'_>, values: Values<'_>) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(
        64 + input
            .data
            .unwrap_or_default()
            .iter()
            .map(|(k, v)| k.len() + v.len() + v.len() / 32 + 8)
            .sum::<usize>(),
    ));
    write_hash_json(&mut *out, input, values);
    out
}

/// [`hash_json`] into `out`.
fn write_hash_json<O: gojson::Out + ?Sized>(
    out: &mut O,
    input: &HashInput<'_>,
    values: Values<'_>,
) {
    let (name, type_) = match input.variant {
        HashVariant::Kustomize => ("", input.type_),
        HashVariant::KustomizeLegacy => (input.name, input.type_),
        HashVariant::Kubectl => (input.name, input.kubectl_type.unwrap_or("")),
    };
    out.put(b"{\"data\":");
    match input.data {
        Some(data) => write_object(out, data, values),
        None => out.put(b"\"\""),
    }
    if input.variant == HashVariant::Kubectl && input.immutable {
        out.put(b",\"immutable\":true");
    }
    out.put(b",\"kind\":\"Secret\",\"name\":");
    gojson::write_go_string(out, name.as_bytes());
    if let Some(sd) = input.string_data {
        out.put(b",\"stringData\":");
        write_object(out, sd, values);
    }
    out.put(b",\"type\":");
    gojson::write_go_string(out, type_.as_bytes());
    out.put(b"}");
}

/// A JSON object with keys in Go's map order (bytewise).
fn write_object<O: gojson::Out + ?Sized>(out: &mut O, pairs: &[(&str, &str)], values: Values<'_>) {
    gojson::write_object(out, pairs, &mut |out, k, v| match values {
        Values::Real => gojson::write_go_string(out, v.as_bytes()),
        // Shown raw (Go would escape `<`, `>`): this is for people, not for hashing.
        Values::Sizes(size) => out.put(format!("\"<{} bytes>\"", size(k)).as_bytes()),
    });
}

/// JSON text hashed as it is written, never held: SHA-256 over what [`write_hash_json`]
/// writes (its buffer zeroed when dropped).
struct Digesting(Sha256);

impl gojson::Out for Digesting {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        sha2::Digest::update(&mut self.0, bytes);
    }
}

/// The suffix of `digest`: its first 10 hex digits in [`SUFFIX_ALPHABET`].
fn suffix_of_digest(digest: &[u8]) -> String {
    let mut hex = String::with_capacity(SUFFIX_LEN);
    for b in &digest[..SUFFIX_LEN / 2] {
        for nibble in [b >> 4, b & 0xf] {
            hex.push(char::from(SUFFIX_ALPHABET[usize::from(nibble)]));
        }
    }
    hex
}

/// kustomize's hash alphabet: the digit for each nibble, hex with `0→g 1→h 3→k a→m e→t`
/// (no vowel, no `0`/`1`/`3`, so a suffix never spells a word).
pub const SUFFIX_ALPHABET: &[u8; 16] = b"gh2k456789mbcdtf";

/// The length of a name suffix: the first 10 digits.
pub const SUFFIX_LEN: usize = 10;

/// The suffix: first 10 hex digits of SHA-256 in [`SUFFIX_ALPHABET`].
pub fn suffix_of(json: &[u8]) -> String {
    suffix_of_digest(&Sha256::digest(json))
}

/// Whether `tail` could be a name suffix: [`SUFFIX_LEN`] digits of [`SUFFIX_ALPHABET`].
pub fn is_suffix(tail: &str) -> bool {
    tail.len() == SUFFIX_LEN && tail.bytes().all(|c| SUFFIX_ALPHABET.contains(&c))
}

/// The suffix for `input`: [`suffix_of`] its [`hash_json`], the text hashed as it is
/// written rather than held (a Secret's JSON is as large as its values).
pub fn suffix(input: &HashInput<'_>) -> String {
    let mut sink = Digesting(Sha256::new());
    write_hash_json(&mut sink, input, Values::Real);
    suffix_of_digest(&sink.0.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docs_example(variant: HashVariant) -> String {
        // kubernetes.io docs: username.txt = "admin", password.txt = "1f2d1e2e67df".
        let data = [
            ("username.txt", "YWRtaW4="),
            ("password.txt", "MWYyZDFlMmU2N2Rm"),
        ];
        suffix(&HashInput {
            variant,
            name: "db-user-pass",
            type_: "Opaque",
            kubectl_type: None,
            data: Some(&data),
            string_data: None,
            immutable: false,
        })
    }

    #[test]
    fn docs_example_in_all_three_variants() {
        // Values recorded from kubectl kustomize v5.5.0 (corpus k/files-basename), the
        // Kubernetes docs, and `kubectl create secret generic --append-hash` (c/generic-append-hash).
        assert_eq!(docs_example(HashVariant::Kustomize), "gd995d5t92");
        assert_eq!(docs_example(HashVariant::KustomizeLegacy), "96mffmfh4k");
        assert_eq!(docs_example(HashVariant::Kubectl), "677k89m24g");
    }

    #[test]
    fn worked_example_json_is_go_json() {
        let data = [
            ("username.txt", "YWRtaW4="),
            ("password.txt", "MWYyZDFlMmU2N2Rm"),
        ];
        let json = hash_json(
            &HashInput {
                variant: HashVariant::Kustomize,
                name: "db-user-pass",
                type_: "Opaque",
                kubectl_type: None,
                data: Some(&data),
                string_data: None,
                immutable: false,
            },
            Values::Real,
        );
        assert_eq!(
            std::str::from_utf8(&json).unwrap(),
            r#"{"data":{"password.txt":"MWYyZDFlMmU2N2Rm","username.txt":"YWRtaW4="},"kind":"Secret","name":"","type":"Opaque"}"#
        );
    }

    #[test]
    fn empty_data_is_an_empty_object() {
        // corpus k/meta-no-sources: `data: {}` with type Opaque gives 46f8b28mk5.
        let s = suffix(&HashInput {
            variant: HashVariant::Kustomize,
            name: "x",
            type_: "Opaque",
            kubectl_type: None,
            data: Some(&[]),
            string_data: None,
            immutable: false,
        });
        assert_eq!(s, "46f8b28mk5");
    }

    #[test]
    fn suffix_alphabet() {
        let s = suffix_of(b"anything");
        assert_eq!(s.len(), 10);
        assert!(s.chars().all(|c| "ghk2456789mbcdtf".contains(c)), "{s}");
        assert!(is_suffix(&s));
        // The worked example of kustomize's docs, and what is not a suffix.
        assert!(is_suffix("gd995d5t92"));
        assert!(!is_suffix("gd995d5t9a"), "a vowel");
        assert!(!is_suffix("gd995d5t9"), "too short");
        assert!(!is_suffix("0d995d5t92"), "a raw hex 0");
    }
}
