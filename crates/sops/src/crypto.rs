//! Values and MAC: AES-256-GCM with 32-byte IVs over `ENC[AES256_GCM,…]` strings, the walk
//! over the tree that chooses what is encrypted (suffixes, regexes, comment regexes), and the
//! SHA-512 MAC over the leaves, checked before the tree is returned.

use std::path::Path;

use aes_gcm::aead::consts::U32;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::aes::Aes256;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha512};
use zeroize::Zeroizing;

use super::gofmt;
use super::meta::Metadata;
use super::{Branch, Comment, Key, SopsError, Val};

type Gcm = aes_gcm::AesGcm<Aes256, U32>;

/// What sops hashes first when only encrypted values are in the MAC.
const MAC_ONLY_ENCRYPTED_INIT: [u8; 32] = [
    0x8a, 0x3f, 0xd2, 0xad, 0x54, 0xce, 0x66, 0x52, 0x7b, 0x10, 0x34, 0xf3, 0xd1, 0x47, 0xbe, 0x0b,
    0x0b, 0x97, 0x5b, 0x3b, 0xf4, 0x4f, 0x72, 0xc6, 0xfd, 0xad, 0xec, 0x81, 0x76, 0xf2, 0x7d, 0x69,
];

/// Why one value did not decrypt (never holds the value).
#[derive(Debug)]
pub enum ValueFault {
    NotEncrypted,
    Malformed(&'static str),
    Auth,
    Type(String),
}

impl ValueFault {
    pub fn describe(&self) -> String {
        match self {
            ValueFault::NotEncrypted => {
                "should be encrypted but is not an `ENC[AES256_GCM,…]` value".into()
            }
            ValueFault::Malformed(what) => format!("is not a valid SOPS value ({what})"),
            ValueFault::Auth => "failed authentication (AES-GCM): its data, IV or tag was altered, or it was moved to another key".into(),
            ValueFault::Type(t) => format!("has an unknown or invalid type `{t}`"),
        }
    }
}

/// The decrypted value with its sops type name.
pub struct Plain {
    pub bytes: Zeroizing<Vec<u8>>,
    pub kind: String,
}

/// Decrypts one `ENC[…]` string with additional data `aad`. The empty string stays empty.
/// The AES-256-GCM cipher (32-byte nonces) for a data key, built once per file.
pub fn cipher(key: &[u8]) -> Option<Gcm> {
    Gcm::new_from_slice(key).ok()
}

/// An `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]` value taken apart: ciphertext with its
/// tag, the 32-byte IV, the type name. Checks the form only; opens nothing.
struct Sealed {
    msg: Vec<u8>,
    iv: Vec<u8>,
    kind: String,
}

/// sops' value types.
const TYPES: [&str; 7] = ["str", "bytes", "int", "float", "bool", "time", "comment"];

fn parse_value(enc: &str) -> Result<Sealed, ValueFault> {
    let body = enc
        .strip_prefix("ENC[AES256_GCM,data:")
        .ok_or(ValueFault::NotEncrypted)?;
    let (data, rest) = body
        .split_once(",iv:")
        .ok_or(ValueFault::Malformed("no iv"))?;
    let (iv, rest) = rest
        .split_once(",tag:")
        .ok_or(ValueFault::Malformed("no tag"))?;
    let (tag, rest) = rest
        .split_once(",type:")
        .ok_or(ValueFault::Malformed("no type"))?;
    let end = rest.rfind(']').ok_or(ValueFault::Malformed("no `]`"))?;
    let kind = &rest[..end];
    if data.is_empty() || iv.is_empty() || tag.is_empty() || kind.is_empty() {
        return Err(ValueFault::Malformed("an empty field"));
    }
    let b64 =
        |s: &str, what: &'static str| STANDARD.decode(s).map_err(|_| ValueFault::Malformed(what));
    let mut msg = b64(data, "data is not base64")?;
    let tag_len = b64(tag, "tag is not base64")?.len();
    if tag_len != 16 {
        return Err(ValueFault::Malformed("the tag is not 16 bytes"));
    }
    let iv = b64(iv, "iv is not base64")?;
    msg.extend_from_slice(&b64(tag, "tag is not base64")?);
    if iv.len() != 32 {
        return Err(ValueFault::Malformed("the IV is not 32 bytes"));
    }
    if msg.len() < 16 {
        return Err(ValueFault::Malformed("the tag is not 16 bytes"));
    }
    Ok(Sealed {
        msg,
        iv,
        kind: kind.to_string(),
    })
}

/// Whether `enc` is a well-formed sops value (the empty string stays empty in sops).
pub fn well_formed(enc: &str) -> Result<(), ValueFault> {
    if enc.is_empty() {
        return Ok(());
    }
    let sealed = parse_value(enc)?;
    if !TYPES.contains(&sealed.kind.as_str()) {
        return Err(ValueFault::Type(sealed.kind));
    }
    Ok(())
}

pub fn open_value(enc: &str, cipher: &Gcm, aad: &str) -> Result<Plain, ValueFault> {
    if enc.is_empty() {
        return Ok(Plain {
            bytes: Zeroizing::new(Vec::new()),
            kind: "str".into(),
        });
    }
    let Sealed { msg, iv, kind } = parse_value(enc)?;
    let nonce = aes_gcm::Nonce::<U32>::from_slice(&iv);
    let plain = cipher
        .decrypt(
            nonce,
            Payload {
                msg: &msg,
                aad: aad.as_bytes(),
            },
        )
        .map_err(|_| ValueFault::Auth)?;
    Ok(Plain {
        bytes: Zeroizing::new(plain),
        kind,
    })
}

/// A decrypted value as sops' `Cipher.Decrypt` types it.
fn typed(plain: Plain) -> Result<Val, ValueFault> {
    let text = || {
        std::str::from_utf8(&plain.bytes)
            .map(|s| Zeroizing::new(s.to_string()))
            .map_err(|_| ValueFault::Type(plain.kind.clone()))
    };
    let bad = || ValueFault::Type(plain.kind.clone());
    Ok(match plain.kind.as_str() {
        // Go keeps invalid UTF-8 in a string; so do we, lossily only if it must be text.
        "str" | "bytes" => match std::str::from_utf8(&plain.bytes) {
            Ok(s) => Val::Str(Zeroizing::new(s.to_string())),
            Err(_) => Val::Bytes(plain.bytes),
        },
        "int" => Val::Int(gofmt::atoi(&text()?).ok_or_else(bad)?),
        "float" => Val::Float(gofmt::parse_float(&text()?).ok_or_else(bad)?),
        "bool" => Val::Bool(gofmt::parse_bool(&text()?).ok_or_else(bad)?),
        "time" => Val::Time(Zeroizing::new(
            gofmt::rfc3339_nano(&text()?).ok_or_else(bad)?,
        )),
        "comment" => Val::Comment(Comment {
            text: text()?,
            inline: false,
        }),
        _ => return Err(bad()),
    })
}

/// The bytes sops feeds the MAC for a leaf (`sops.ToBytes`).
fn mac_bytes(v: &Val, hash: &mut Sha512) {
    match v {
        Val::Str(s) | Val::Time(s) => hash.update(s.as_bytes()),
        Val::Bytes(b) => hash.update(b),
        Val::Int(i) => hash.update(i.to_string().as_bytes()),
        Val::Float(f) => hash.update(gofmt::format_f(*f).as_bytes()),
        Val::Bool(b) => hash.update(if *b { b"True" as &[u8] } else { b"False" }),
        _ => {}
    }
}

struct Walker<'a> {
    meta: &'a Metadata,
    /// The data key; without it the walk only checks that what the rules say is encrypted
    /// is a well-formed value, and collects each fault in `faults`.
    key: Option<&'a Gcm>,
    hash: Sha512,
    file: &'a Path,
    faults: Vec<(String, ValueFault)>,
    /// Encrypting: the key seals each plaintext value the rules choose (after hashing it)
    /// instead of opening it.
    seal: bool,
    /// Decrypting: each opened value recorded; encrypting: a value whose path, type and
    /// plaintext are recorded keeps its ciphertext (sops 3.13's minimal diffs).
    stash: Option<Stash>,
}

/// The values of a file as they were opened, by additional data (the key path), in file
/// order.
pub(crate) type Stash = std::collections::HashMap<String, Vec<Stashed>>;

/// A value as it was opened: its type, plaintext and the ciphertext it came from.
pub(crate) struct Stashed {
    kind: String,
    plain: Zeroizing<Vec<u8>>,
    enc: String,
}

/// Without a key: every leaf the file's rules say is encrypted that is not a well-formed
/// `ENC[…]` value, by its key path (`a:b:0`), in file order. Decrypts nothing.
pub(crate) fn check_tree(
    file: &Path,
    branches: &mut [Branch],
    meta: &Metadata,
) -> Vec<(String, ValueFault)> {
    let mut w = Walker {
        meta,
        key: None,
        hash: Sha512::new(),
        file,
        faults: Vec::new(),
        seal: false,
        stash: None,
    };
    for branch in branches.iter_mut() {
        let mut path = Vec::new();
        let mut stack = Vec::new();
        // Only `leaf` could fail, and without a key it collects instead.
        let _ = w.branch(branch, &mut path, &mut stack);
    }
    w.faults
}

/// Decrypts every encrypted value and comment of `branches` in place, then checks the MAC.
pub(crate) fn decrypt_tree(
    file: &Path,
    branches: &mut [Branch],
    meta: &Metadata,
    key: &[u8],
) -> Result<(), SopsError> {
    decrypt_tree_stashed(file, branches, meta, key, false).map(drop)
}

/// [`decrypt_tree`], recording each value opened (with `record`) for [`encrypt_tree`] to
/// keep the ciphertext of what did not change.
pub(crate) fn decrypt_tree_stashed(
    file: &Path,
    branches: &mut [Branch],
    meta: &Metadata,
    key: &[u8],
    record: bool,
) -> Result<Stash, SopsError> {
    let gcm = cipher(key).ok_or_else(|| SopsError::DataKey {
        file: file.to_path_buf(),
        reason: "the data key is not 32 bytes".into(),
    })?;
    let mut w = Walker {
        meta,
        key: Some(&gcm),
        hash: Sha512::new(),
        file,
        faults: Vec::new(),
        seal: false,
        stash: record.then(Stash::new),
    };
    if meta.mac_only_encrypted {
        w.hash.update(MAC_ONLY_ENCRYPTED_INIT);
    }
    for branch in branches.iter_mut() {
        let mut path = Vec::new();
        let mut stack = Vec::new();
        w.branch(branch, &mut path, &mut stack)?;
    }
    let computed = hex_upper(&w.hash.finalize());
    let mac_fault = |reason: &str| SopsError::Mac {
        file: file.to_path_buf(),
        reason: reason.into(),
    };
    let stored = open_value(&meta.mac, &gcm, &meta.lastmodified).map_err(|f| match f {
        ValueFault::Auth => mac_fault("the stored MAC failed authentication"),
        _ => mac_fault("the stored MAC is not a valid SOPS value"),
    })?;
    if stored.bytes.is_empty() {
        return Err(mac_fault("the file has no MAC"));
    }
    if stored.bytes.as_slice() != computed.as_bytes() {
        return Err(mac_fault("MAC mismatch"));
    }
    Ok(w.stash.unwrap_or_default())
}

/// Encrypts every value and comment of a plaintext tree in place, as sops' `Tree.Encrypt`
/// does, and returns the MAC (uppercase hex SHA-512 over the plaintext leaves, as
/// [`decrypt_tree`] computes it), still to be sealed with `lastmodified`.
pub(crate) fn encrypt_tree(
    file: &Path,
    branches: &mut [Branch],
    meta: &Metadata,
    key: &Gcm,
    stash: Option<Stash>,
) -> Result<String, SopsError> {
    let mut w = Walker {
        meta,
        key: Some(key),
        hash: Sha512::new(),
        file,
        faults: Vec::new(),
        seal: true,
        stash,
    };
    if meta.mac_only_encrypted {
        w.hash.update(MAC_ONLY_ENCRYPTED_INIT);
    }
    for branch in branches.iter_mut() {
        let mut path = Vec::new();
        let mut stack = Vec::new();
        w.branch(branch, &mut path, &mut stack)?;
    }
    Ok(hex_upper(&w.hash.finalize()))
}

/// Seals one plaintext as sops' `Cipher.Encrypt` does: a random 32-byte IV, `aad` as
/// additional data, `kind` as the type; the empty plaintext stays the empty string.
/// `None` only when AES-GCM refuses the length.
pub fn seal_value(plain: &[u8], kind: &str, cipher: &Gcm, aad: &str) -> Option<String> {
    use rand_core::RngCore;
    let mut iv = [0u8; 32];
    rand_core::OsRng.fill_bytes(&mut iv);
    seal_with_iv(plain, kind, cipher, aad, &iv)
}

/// Seals again with the IV of `old` (sops keeps a value's IV when its plaintext is
/// unchanged: the MAC under a new `lastmodified`); a fresh IV when `old` has none.
pub(crate) fn reseal(
    old: &str,
    plain: &[u8],
    kind: &str,
    cipher: &Gcm,
    aad: &str,
) -> Option<String> {
    match parse_value(old) {
        Ok(sealed) => seal_with_iv(plain, kind, cipher, aad, &sealed.iv),
        Err(_) => seal_value(plain, kind, cipher, aad),
    }
}

fn seal_with_iv(plain: &[u8], kind: &str, cipher: &Gcm, aad: &str, iv: &[u8]) -> Option<String> {
    if plain.is_empty() {
        return Some(String::new());
    }
    if iv.len() != 32 {
        return None;
    }
    let nonce = aes_gcm::Nonce::<U32>::from_slice(iv);
    let sealed = cipher
        .encrypt(
            nonce,
            Payload {
                msg: plain,
                aad: aad.as_bytes(),
            },
        )
        .ok()?;
    let (data, tag) = sealed.split_at(sealed.len() - 16);
    Some(format!(
        "ENC[AES256_GCM,data:{},iv:{},tag:{},type:{kind}]",
        STANDARD.encode(data),
        STANDARD.encode(iv),
        STANDARD.encode(tag)
    ))
}

/// A plaintext leaf's bytes and sops type, as `Cipher.Encrypt` converts it.
fn plain_of(v: &Val) -> Option<(Zeroizing<Vec<u8>>, &'static str)> {
    let z = |b: &[u8]| Zeroizing::new(b.to_vec());
    Some(match v {
        Val::Str(s) => (z(s.as_bytes()), "str"),
        // Only the binary store loads bytes that are not UTF-8: a Go string to sops.
        Val::Bytes(b) => (z(b), "str"),
        Val::Int(i) => (z(i.to_string().as_bytes()), "int"),
        Val::Float(f) => (z(gofmt::format_f(*f).as_bytes()), "float"),
        // As sops writes them (Python's spelling, which its MAC uses too).
        Val::Bool(b) => (z(if *b { b"True" } else { b"False" }), "bool"),
        Val::Time(t) => (z(t.as_bytes()), "time"),
        _ => return None,
    })
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

impl Walker<'_> {
    /// The ciphertext a value had when it was opened, if its path, type and plaintext are
    /// the same (each recorded ciphertext used once).
    fn reuse(&mut self, aad: &str, kind: &str, plain: &[u8]) -> Option<String> {
        let same = self.stash.as_mut()?.get_mut(aad)?;
        let at = same
            .iter()
            .position(|s| s.kind == kind && s.plain.as_slice() == plain)?;
        Some(same.remove(at).enc)
    }

    fn branch(
        &mut self,
        items: &mut [super::Item],
        path: &mut Vec<String>,
        stack: &mut Vec<Vec<String>>,
    ) -> Result<(), SopsError> {
        stack.push(Vec::new());
        for item in items.iter_mut() {
            if let Key::Comment(c) = &mut item.key {
                stack.last_mut().expect("pushed").push(c.text.to_string());
                let done = self.comment(c, path, stack);
                item.key = Key::Comment(done);
                continue;
            }
            let value_is_comment = matches!(item.val, Val::Comment(_));
            if let Val::Comment(c) = &item.val {
                stack.last_mut().expect("pushed").push(c.text.to_string());
            }
            let Key::Str(k) = &item.key else {
                unreachable!()
            };
            path.push(k.clone());
            let r = self.value(&mut item.val, path, stack);
            path.pop();
            r?;
            if !value_is_comment {
                stack.last_mut().expect("pushed").clear();
            }
        }
        stack.pop();
        Ok(())
    }

    fn seq(
        &mut self,
        items: &mut [Val],
        path: &mut Vec<String>,
        stack: &mut Vec<Vec<String>>,
    ) -> Result<(), SopsError> {
        stack.push(Vec::new());
        for v in items.iter_mut() {
            let is_comment = matches!(v, Val::Comment(_));
            if let Val::Comment(c) = v {
                stack.last_mut().expect("pushed").push(c.text.to_string());
            }
            self.value(v, path, stack)?;
            if !is_comment {
                stack.last_mut().expect("pushed").clear();
            }
        }
        stack.pop();
        Ok(())
    }

    fn value(
        &mut self,
        v: &mut Val,
        path: &mut Vec<String>,
        stack: &mut Vec<Vec<String>>,
    ) -> Result<(), SopsError> {
        match v {
            Val::Map(items) => self.branch(items, path, stack),
            Val::Seq(items) => self.seq(items, path, stack),
            Val::Null => Ok(()),
            Val::Comment(c) => {
                let done = self.comment(c, path, stack);
                *v = Val::Comment(done);
                Ok(())
            }
            _ => self.leaf(v, path, stack),
        }
    }

    /// A comment: decrypted when it should be; one that does not decrypt stays as it is
    /// (files from sops before comments were encrypted).
    fn comment(&mut self, c: &Comment, path: &[String], stack: &[Vec<String>]) -> Comment {
        let Some(key) = self
            .key
            .filter(|_| self.meta.should_encrypt(path, stack, true))
        else {
            return c.clone();
        };
        let aad = aad(path);
        if self.seal {
            if let Some(enc) = self.reuse(&aad, "comment", c.text.as_bytes()) {
                return Comment {
                    text: Zeroizing::new(enc),
                    inline: c.inline,
                };
            }
            return match seal_value(c.text.as_bytes(), "comment", key, &aad) {
                Some(text) => Comment {
                    text: Zeroizing::new(text),
                    inline: c.inline,
                },
                None => c.clone(),
            };
        }
        let opened = open_value(&c.text, key, &aad);
        if let (Some(stash), Ok(p)) = (self.stash.as_mut(), &opened) {
            stash.entry(aad.clone()).or_default().push(Stashed {
                kind: p.kind.clone(),
                plain: p.bytes.clone(),
                enc: c.text.to_string(),
            });
        }
        match opened.map(typed) {
            Ok(Ok(Val::Comment(d))) => d,
            Ok(Ok(Val::Str(s))) => Comment {
                text: s,
                inline: c.inline,
            },
            _ => c.clone(),
        }
    }

    fn leaf(
        &mut self,
        v: &mut Val,
        path: &[String],
        stack: &[Vec<String>],
    ) -> Result<(), SopsError> {
        let encrypted = self.meta.should_encrypt(path, stack, false);
        if self.seal {
            if !self.meta.mac_only_encrypted || encrypted {
                mac_bytes(v, &mut self.hash);
            }
            if let (true, Some(key)) = (encrypted, self.key) {
                let at = aad(path);
                let sealed = plain_of(v)
                    .and_then(|(bytes, kind)| {
                        self.reuse(&at, kind, &bytes)
                            .or_else(|| seal_value(&bytes, kind, key, &at))
                    })
                    .ok_or_else(|| SopsError::Value {
                        file: self.file.to_path_buf(),
                        path: path.join(":"),
                        reason: "cannot be encrypted (AES-GCM refused its length)".into(),
                    })?;
                *v = Val::Str(Zeroizing::new(sealed));
            }
            return Ok(());
        }
        if encrypted {
            let fault = |f: ValueFault| SopsError::Value {
                file: self.file.to_path_buf(),
                path: path.join(":"),
                reason: f.describe(),
            };
            let Some(key) = self.key else {
                let checked = match &*v {
                    Val::Str(enc) => well_formed(enc),
                    _ => Err(ValueFault::NotEncrypted),
                };
                if let Err(f) = checked {
                    self.faults.push((path.join(":"), f));
                }
                return Ok(());
            };
            let Val::Str(enc) = &*v else {
                return Err(fault(ValueFault::NotEncrypted));
            };
            let plain = open_value(enc, key, &aad(path)).map_err(fault)?;
            if let Some(stash) = self.stash.as_mut() {
                stash.entry(aad(path)).or_default().push(Stashed {
                    kind: plain.kind.clone(),
                    plain: plain.bytes.clone(),
                    enc: enc.to_string(),
                });
            }
            *v = typed(plain).map_err(fault)?;
        }
        if !self.meta.mac_only_encrypted || encrypted {
            mac_bytes(v, &mut self.hash);
        }
        Ok(())
    }
}

fn aad(path: &[String]) -> String {
    let mut s = path.join(":");
    s.push(':');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_malformed_values_without_echoing_them() {
        let key = cipher(&[7u8; 32]).unwrap();
        for bad in [
            "plain",
            "ENC[AES256_GCM,data:AAAA,iv:AAAA,tag:AAAA]",
            "ENC[AES256_GCM,data:!!,iv:AAAA,tag:AAAA,type:str]",
            "ENC[AES256_GCM,data:AAAA,iv:AAAA,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]",
        ] {
            assert!(open_value(bad, &key, "a:").is_err(), "{bad}");
        }
        assert!(open_value("", &key, "a:").unwrap().bytes.is_empty());
    }
}
