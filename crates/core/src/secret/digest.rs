//! What a delivered file holds, as a short digest: the line an encrypted or sealed output
//! file carries so that an unchanged Secret leaves its file unchanged (encryption is
//! randomised; this digest is not).
//!
//! In: a [`Secret`] and what the delivery binds it to (a certificate and scope, recipients),
//! and, for a Secret whose name carries no hash suffix, a key. Out: the digest text. Unkeyed,
//! it is 10 characters of kustomize's name hash over the JSON of the values, metadata and
//! bindings: no more of a value than a name suffix publishes. Keyed (HMAC-SHA-256 under a key
//! the file itself holds encrypted), it tells nothing to whoever lacks that key.

use std::collections::BTreeMap;

use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

use crate::secret::Secret;

/// What the digest of a keyed line starts with.
pub const KEYED: &str = "hmac-sha256:";

/// The JSON the digest covers: the Secret's values (kustomize's base64), name, namespace,
/// type, labels, annotations and `immutable`, then `bound` (which may replace any of them,
/// as a scope replaces the annotations), keys sorted.
fn json(secret: &Secret, bound: Vec<(&str, serde_json::Value)>) -> Zeroizing<String> {
    // kustomize's base64 where the Secret was generated; a resource Secret's values (printed
    // as written) are encoded here, so that a changed value changes the digest.
    let encoded: Vec<(&str, Zeroizing<String>)> = secret
        .data
        .iter()
        .map(|(k, e)| {
            let text = match e.base64.expose() {
                "" => {
                    let mut b64 = String::new();
                    crate::yaml::emit::wrapped_base64(e.value.expose(), &mut b64);
                    b64
                }
                given => given.to_string(),
            };
            (k.as_str(), Zeroizing::new(text))
        })
        .collect();
    let data: BTreeMap<&str, &str> = encoded.iter().map(|(k, v)| (*k, v.as_str())).collect();
    // Sorted here, whatever serde_json's map keeps.
    let mut object: BTreeMap<String, serde_json::Value> = BTreeMap::new();
    let mut put = |k: &str, v: serde_json::Value| {
        object.insert(k.to_string(), v);
    };
    put("annotations", serde_json::json!(secret.annotations));
    put("data", serde_json::json!(data));
    put("immutable", serde_json::json!(secret.immutable));
    put("labels", serde_json::json!(secret.labels));
    put("name", serde_json::json!(secret.name));
    put(
        "namespace",
        serde_json::json!(secret.namespace.clone().unwrap_or_default()),
    );
    put("type", serde_json::json!(secret.type_));
    for (k, v) in bound {
        put(k, v);
    }
    Zeroizing::new(serde_json::Value::Object(object.into_iter().collect()).to_string())
}

/// The unkeyed digest: [`crate::kustomize::hash::suffix_of`] over [`json`].
pub fn unkeyed(secret: &Secret, bound: Vec<(&str, serde_json::Value)>) -> String {
    crate::kustomize::hash::suffix_of(json(secret, bound).as_bytes())
}

/// The keyed digest, [`KEYED`] then 32 hex digits of HMAC-SHA-256 over [`json`], under a
/// key derived from `key` for this use alone.
pub fn keyed(secret: &Secret, bound: Vec<(&str, serde_json::Value)>, key: &[u8]) -> String {
    let derived = hmac_sha256(key, b"secretgen content digest v1");
    let mac = hmac_sha256(&*derived, json(secret, bound).as_bytes());
    let hex: String = mac[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("{KEYED}{hex}")
}

/// RFC 2104's HMAC over SHA-256.
fn hmac_sha256(key: &[u8], message: &[u8]) -> Zeroizing<[u8; 32]> {
    const BLOCK: usize = 64;
    let mut k = Zeroizing::new([0u8; BLOCK]);
    if key.len() > BLOCK {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| -> Zeroizing<[u8; BLOCK]> {
        let mut p = Zeroizing::new([0u8; BLOCK]);
        for (o, i) in p.iter_mut().zip(k.iter()) {
            *o = i ^ byte;
        }
        p
    };
    let inner = Sha256::new()
        .chain_update(pad(0x36).as_slice())
        .chain_update(message)
        .finalize();
    let outer = Sha256::new()
        .chain_update(pad(0x5c).as_slice())
        .chain_update(inner)
        .finalize();
    let mut out = Zeroizing::new([0u8; 32]);
    out.copy_from_slice(&outer);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn hmac_matches_rfc_4231_case_6_long_key() {
        let mac = hmac_sha256(
            &[0xaa; 131],
            b"Test Using Larger Than Block-Size Key - Hash Key First",
        );
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }
}
