//! The name-suffix hash, in the three variants users meet.
//!
//! In: a Secret's name, type and data (as the variant's tool encodes it). Out: the JSON
//! document exactly as Go's `encoding/json.Marshal` writes it, and the 10-character suffix
//! kustomize and kubectl derive from its SHA-256. Refuses nothing: every input has a hash.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

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
    pub fn wraps_base64(self) -> bool {
        !matches!(self, HashVariant::Kubectl)
    }
}

impl fmt::Display for HashVariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for HashVariant {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        HashVariant::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown hash variant `{s}` (expected kustomize, kustomize-legacy or kubectl)"
                )
            })
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
    pub data: &'a [(&'a str, &'a str)],
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
            .iter()
            .map(|(k, v)| k.len() + v.len() + v.len() / 32 + 8)
            .sum::<usize>(),
    ));
    let (name, type_) = match input.variant {
        HashVariant::Kustomize => ("", input.type_),
        HashVariant::KustomizeLegacy => (input.name, input.type_),
        HashVariant::Kubectl => (input.name, input.kubectl_type.unwrap_or("")),
    };
    out.extend_from_slice(b"{\"data\":");
    write_object(&mut out, input.data, values);
    if input.variant == HashVariant::Kubectl && input.immutable {
        out.extend_from_slice(b",\"immutable\":true");
    }
    out.extend_from_slice(b",\"kind\":\"Secret\",\"name\":");
    write_go_string(&mut out, name.as_bytes());
    if let Some(sd) = input.string_data {
        out.extend_from_slice(b",\"stringData\":");
        write_object(&mut out, sd, values);
    }
    out.extend_from_slice(b",\"type\":");
    write_go_string(&mut out, type_.as_bytes());
    out.push(b'}');
    out
}

/// A JSON object with keys in Go's map order (bytewise).
fn write_object(out: &mut Vec<u8>, pairs: &[(&str, &str)], values: Values<'_>) {
    let mut sorted: Vec<&(&str, &str)> = pairs.iter().collect();
    sorted.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    out.push(b'{');
    for (i, (k, v)) in sorted.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_go_string(out, k.as_bytes());
        out.push(b':');
        match values {
            Values::Real => write_go_string(out, v.as_bytes()),
            // Shown raw (Go would escape `<`, `>`): this is for people, not for hashing.
            Values::Sizes(size) => {
                out.extend_from_slice(format!("\"<{} bytes>\"", size(k)).as_bytes())
            }
        }
    }
    out.push(b'}');
}

/// A string as Go's `encoding/json` (Go ≥ 1.22) writes it with HTML escaping on: `<`, `>`,
/// `&`, U+2028, U+2029 as `\u` escapes, `\b \f \n \r \t` short, other controls `\u00xx`,
/// each byte of invalid UTF-8 as `\ufffd`, every other character raw.
pub fn write_go_string(out: &mut Vec<u8>, s: &[u8]) {
    /// Bytes that may start an escape: controls, `"`, `\\`, `<`, `>`, `&`, and 0xE2 (the lead
    /// byte of U+2028 and U+2029).
    const SPECIAL: [bool; 256] = {
        let mut t = [false; 256];
        let mut b = 0;
        while b < 0x20 {
            t[b] = true;
            b += 1;
        }
        t[b'"' as usize] = true;
        t[b'\\' as usize] = true;
        t[b'<' as usize] = true;
        t[b'>' as usize] = true;
        t[b'&' as usize] = true;
        t[0xe2] = true;
        t
    };
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let mut rest = s;
    while !rest.is_empty() {
        let (valid, invalid_len) = match std::str::from_utf8(rest) {
            Ok(v) => (v, 0),
            Err(e) => {
                let v = std::str::from_utf8(&rest[..e.valid_up_to()]).unwrap_or_default();
                (v, e.error_len().unwrap_or(rest.len() - e.valid_up_to()))
            }
        };
        // Byte by byte: in valid UTF-8 only ASCII bytes and the three-byte sequences of
        // U+2028/U+2029 (E2 80 A8/A9) need escapes; every other byte is copied as is.
        let bytes = valid.as_bytes();
        let mut start = 0;
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if !SPECIAL[b as usize] {
                i += 1;
                continue;
            }
            let esc: &[u8] = match b {
                b'"' => b"\\\"",
                b'\\' => b"\\\\",
                b'\n' => b"\\n",
                b'\r' => b"\\r",
                b'\t' => b"\\t",
                0x08 => b"\\b",
                0x0c => b"\\f",
                b'<' => b"\\u003c",
                b'>' => b"\\u003e",
                b'&' => b"\\u0026",
                0xe2 if bytes.get(i + 1) == Some(&0x80)
                    && matches!(bytes.get(i + 2), Some(0xa8 | 0xa9)) =>
                {
                    out.extend_from_slice(&bytes[start..i]);
                    out.extend_from_slice(if bytes[i + 2] == 0xa8 {
                        b"\\u2028"
                    } else {
                        b"\\u2029"
                    });
                    i += 3;
                    start = i;
                    continue;
                }
                b if b < 0x20 => {
                    out.extend_from_slice(&bytes[start..i]);
                    out.extend_from_slice(b"\\u00");
                    out.push(HEX[(b >> 4) as usize]);
                    out.push(HEX[(b & 0xf) as usize]);
                    i += 1;
                    start = i;
                    continue;
                }
                _ => {
                    i += 1;
                    continue;
                }
            };
            out.extend_from_slice(&bytes[start..i]);
            out.extend_from_slice(esc);
            i += 1;
            start = i;
        }
        out.extend_from_slice(&valid.as_bytes()[start..]);
        let consumed = valid.len() + invalid_len;
        // Go decodes rune by rune and replaces each byte that starts no valid rune, so a
        // truncated or invalid sequence of N bytes becomes N replacement characters.
        for _ in 0..invalid_len {
            out.extend_from_slice(b"\\ufffd");
        }
        rest = &rest[consumed..];
    }
    out.push(b'"');
}

/// The suffix: first 10 hex digits of SHA-256 with `0→g 1→h 3→k a→m e→t`.
pub fn suffix_of(json: &[u8]) -> String {
    let digest = Sha256::digest(json);
    let mut hex = String::with_capacity(10);
    for b in &digest[..5] {
        for nibble in [b >> 4, b & 0xf] {
            hex.push(match nibble {
                0x0 => 'g',
                0x1 => 'h',
                0x3 => 'k',
                0xa => 'm',
                0xe => 't',
                n => char::from_digit(n as u32, 16).unwrap_or('?'),
            });
        }
    }
    hex
}

/// The suffix for `input`.
pub fn suffix(input: &HashInput<'_>) -> String {
    suffix_of(&hash_json(input, Values::Real))
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
            data: &data,
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
                data: &data,
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
            data: &[],
            string_data: None,
            immutable: false,
        });
        assert_eq!(s, "46f8b28mk5");
    }

    fn go(s: &[u8]) -> String {
        let mut out = Vec::new();
        write_go_string(&mut out, s);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn go_string_escaping() {
        assert_eq!(go(b"a<b>&c"), r#""a\u003cb\u003e\u0026c""#);
        assert_eq!(go("x\u{2028}y\u{2029}".as_bytes()), r#""x\u2028y\u2029""#);
        assert_eq!(go(b"q\"b\\"), r#""q\"b\\""#);
        assert_eq!(go(b"\n\r\t\x08\x0c\x01\x1f"), r#""\n\r\t\b\f\u0001\u001f""#);
        assert_eq!(go("é ключ 🔑".as_bytes()), "\"é ключ 🔑\"");
        // Go replaces each byte that starts no valid rune: a truncated sequence gives two.
        assert_eq!(go(b"a\xffb\xe2\x82"), r#""a\ufffdb\ufffd\ufffd""#);
        assert_eq!(go(b"\x7f"), "\"\x7f\"");
    }

    #[test]
    fn go_string_agrees_with_serde_json_where_defined() {
        // serde_json escapes the same set minus Go's HTML and line-separator escapes.
        for s in [
            "plain",
            "tab\there",
            "quote\"",
            "back\\slash",
            "ctl\u{1}",
            "ünï",
        ] {
            assert_eq!(go(s.as_bytes()), serde_json::to_string(s).unwrap(), "{s:?}");
        }
    }

    #[test]
    fn suffix_alphabet() {
        let s = suffix_of(b"anything");
        assert_eq!(s.len(), 10);
        assert!(s.chars().all(|c| "ghk2456789mbcdtf".contains(c)), "{s}");
    }
}
