//! SOPS files in git: a three-way merge by value (the merge driver) and a text view that
//! shows keys and sizes, never values (the diff textconv).
//!
//! The merge decrypts the three versions in memory, merges their trees value by value (a
//! value changed on one side only takes that side; changed on both sides to different
//! values is a conflict at its key path), and writes the result under the data key and
//! metadata of the side that kept them (ours, unless only theirs changed the metadata),
//! every value that did not change keeping its ciphertext, the MAC and `lastmodified`
//! computed again. No error or conflict holds a value: conflicts name key paths in sops'
//! own syntax (`["data"]["password"]`, what `sops set` takes).
//!
//! The text view lists every value by its key path: one left in the clear (the file
//! shows it already) as it is; an encrypted one as its type, its size and a digest. With
//! the data key, the digest is an HMAC-SHA256 under a key derived from the data key, over
//! the key path and the value: equal values at one path show equal digests in every
//! revision under that data key, and nothing else about them shows (not even whether two
//! paths hold one value). Without it, the digest is SHA-256 of the `ENC[…]` text (sops
//! keeps an unchanged value's ciphertext, so it still tells changed from unchanged).

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::edit::equals;
use super::status::{load, raw_metadata};
use super::{Branch, DataKeys, Format, Item, Key, SopsError, SyntaxReason, Val, crypto, meta};

/// What a merge gives: the bytes to write in ours' place (`None`: ours stays as it is),
/// and the key paths in conflict (empty when the merge is clean). With conflicts, the
/// bytes hold the merged file with ours' value at each of them.
pub struct Merged {
    pub out: Option<Zeroizing<Vec<u8>>>,
    pub conflicts: Vec<String>,
}

/// What a conflict on the metadata is called (key entries or rules changed differently on
/// both sides).
pub const METADATA_CONFLICT: &str = "sops metadata (keys or rules changed on both sides)";

/// What a conflict on the whole file is called (added on both sides with different
/// content).
pub const WHOLE_FILE_CONFLICT: &str = "the whole file (added on both sides)";

/// Merges `ours` and `theirs`, two versions of a SOPS file descended from `base`, as the
/// merge driver does. `file` chooses the format (as sops does) and names the file in
/// errors; `lastmodified` is written with the new MAC.
pub fn merge(
    file: &Path,
    base: &[u8],
    ours: &[u8],
    theirs: &[u8],
    keys: &dyn DataKeys,
    lastmodified: &str,
) -> Result<Merged, SopsError> {
    let keep = |conflicts: Vec<String>| Merged {
        out: None,
        conflicts,
    };
    // What git itself would settle, settled without a key.
    if ours == theirs || base == theirs {
        return Ok(keep(Vec::new()));
    }
    if base == ours {
        return Ok(Merged {
            out: Some(Zeroizing::new(theirs.to_vec())),
            conflicts: Vec::new(),
        });
    }
    let format = super::format_for(file, ours).ok_or_else(|| SopsError::Syntax {
        file: file.to_path_buf(),
        format: Format::for_path(file).name(),
        reason: SyntaxReason::NoMetadata,
    })?;
    let side = |bytes: &[u8]| -> Result<(Vec<Branch>, Val), SopsError> {
        if super::format_for(file, bytes) != Some(format) {
            return Err(SopsError::Syntax {
                file: file.to_path_buf(),
                format: format.name(),
                reason: SyntaxReason::NoMetadata,
            });
        }
        let raw = load(file, bytes, format)?;
        let mut metadata = raw_metadata(&raw, format).unwrap_or(Val::Null);
        if let Val::Map(items) = &mut metadata {
            items.retain(|i| !matches!(i.key_str(), Some("mac" | "lastmodified")));
        }
        Ok((super::open_tree(file, bytes, format, keys)?, metadata))
    };
    if base.is_empty() {
        // Added on both sides, differently: there is nothing to merge from.
        side(ours)?;
        side(theirs)?;
        return Ok(keep(vec![WHOLE_FILE_CONFLICT.into()]));
    }
    let (b, mb) = side(base)?;
    let (o, mo) = side(ours)?;
    let (t, mt) = side(theirs)?;
    let mut conflicts = Vec::new();
    let sealed_as = if equals(&mo, &mt) || equals(&mt, &mb) {
        ours
    } else if equals(&mo, &mb) {
        theirs
    } else {
        conflicts.push(METADATA_CONFLICT.to_string());
        ours
    };
    let several = o.len() > 1 || t.len() > 1 || b.len() > 1;
    let merged = if b.len() == o.len() && o.len() == t.len() {
        let mut docs = Vec::with_capacity(o.len());
        for (i, ((bd, od), td)) in b.iter().zip(&o).zip(&t).enumerate() {
            let prefix = if several {
                format!("document {} ", i + 1)
            } else {
                String::new()
            };
            docs.push(merge_map(bd, od, td, &prefix, &mut conflicts));
        }
        docs
    } else {
        let as_val = |d: &[Branch]| Val::Seq(d.iter().map(|b| Val::Map(b.clone())).collect());
        let (bv, ov, tv) = (as_val(&b), as_val(&o), as_val(&t));
        if equals(&ov, &bv) {
            t
        } else if equals(&tv, &bv) || equals(&ov, &tv) {
            o
        } else {
            conflicts.push("the list of documents".into());
            o
        }
    };
    if conflicts.iter().any(|c| c == METADATA_CONFLICT) {
        return Ok(keep(conflicts));
    }
    let out = super::edit::rewrite(file, sealed_as, keys, lastmodified, |_, tree| {
        *tree = merged;
        Ok(true)
    })?;
    Ok(Merged { out, conflicts })
}

/// A key path step as sops writes tree paths: `["key"]` (JSON-escaped).
fn key_step(k: &str) -> String {
    let mut s = String::from("[\"");
    for c in k.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            c if c.is_control() => s.push_str(&format!("\\u{:04x}", c as u32)),
            c => s.push(c),
        }
    }
    s.push_str("\"]");
    s
}

/// One entry of a mapping with the comment lines standing before it; the comments after
/// the last entry make a unit of their own (no item).
struct Unit<'a> {
    comments: Vec<&'a Item>,
    item: Option<&'a Item>,
}

/// A unit's identity in its mapping: its key and which occurrence of it (sops keeps
/// duplicate keys), or the trailing comments.
type UnitId = Option<(String, usize)>;

fn units(items: &[Item]) -> Vec<(UnitId, Unit<'_>)> {
    let mut out = Vec::new();
    let mut comments = Vec::new();
    let mut seen: std::collections::HashMap<&str, usize> = Default::default();
    for it in items {
        match it.key_str() {
            None => comments.push(it),
            Some(k) => {
                let n = seen.entry(k).or_default();
                out.push((
                    Some((k.to_string(), *n)),
                    Unit {
                        comments: std::mem::take(&mut comments),
                        item: Some(it),
                    },
                ));
                *n += 1;
            }
        }
    }
    if !comments.is_empty() {
        out.push((
            None,
            Unit {
                comments,
                item: None,
            },
        ));
    }
    out
}

fn comments_of<'a>(u: Option<&Unit<'a>>) -> Vec<&'a Item> {
    u.map(|u| u.comments.clone()).unwrap_or_default()
}

fn val_of<'a>(u: Option<&Unit<'a>>) -> Option<&'a Val> {
    u.and_then(|u| u.item).map(|i| &i.val)
}

fn comments_eq(a: &[&Item], b: &[&Item]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| match (&x.key, &y.key) {
            (Key::Comment(p), Key::Comment(q)) => *p.text == *q.text,
            _ => false,
        })
}

fn unit_eq(a: Option<&Unit<'_>>, b: Option<&Unit<'_>>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => {
            comments_eq(&x.comments, &y.comments)
                && match (x.item, y.item) {
                    (None, None) => true,
                    (Some(i), Some(j)) => equals(&i.val, &j.val),
                    _ => false,
                }
        }
        _ => false,
    }
}

fn opt_eq(a: Option<&Val>, b: Option<&Val>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => equals(x, y),
        _ => false,
    }
}

/// Three-way merge of one mapping: ours' order, with the entries only theirs added placed
/// after the entry that precedes them in theirs.
fn merge_map(
    base: &[Item],
    ours: &[Item],
    theirs: &[Item],
    at: &str,
    c: &mut Vec<String>,
) -> Branch {
    let (b, o, t) = (units(base), units(ours), units(theirs));
    let find = |v: &[(UnitId, Unit<'_>)], id: &UnitId| v.iter().position(|(i, _)| i == id);
    // The order: ours', then each of theirs' that ours lacks after its predecessor in theirs.
    let mut order: Vec<UnitId> = o.iter().map(|(i, _)| i.clone()).collect();
    let mut prev: Option<usize> = None;
    for (id, _) in &t {
        match order.iter().position(|x| x == id) {
            Some(p) => prev = Some(p),
            None => {
                let at = match prev {
                    Some(p) => p + 1,
                    // Trailing comments stay last; a new first entry goes first.
                    None => 0,
                };
                let at = if id.is_none() { order.len() } else { at };
                order.insert(at, id.clone());
                prev = Some(at);
            }
        }
    }
    let mut out = Vec::new();
    for id in order {
        let bu = find(&b, &id).map(|i| &b[i].1);
        let ou = find(&o, &id).map(|i| &o[i].1);
        let tu = find(&t, &id).map(|i| &t[i].1);
        let path = match &id {
            Some((k, _)) => format!("{at}{}", key_step(k)),
            None => format!("{at}(the comments at the end)"),
        };
        let chosen = if unit_eq(ou, tu) || unit_eq(tu, bu) {
            ou
        } else if unit_eq(ou, bu) {
            tu
        } else {
            // Both changed it: merge the comments and the value apart.
            let (bc, oc, tc) = (comments_of(bu), comments_of(ou), comments_of(tu));
            let comments = if comments_eq(&oc, &tc) || comments_eq(&tc, &bc) {
                oc
            } else if comments_eq(&oc, &bc) {
                tc
            } else {
                c.push(format!("{path} (its comments)"));
                oc
            };
            out.extend(comments.into_iter().cloned());
            if let Some((k, _)) = &id {
                // Present on one side at least (it is in the order).
                if let Some(v) = merge_val(val_of(bu), val_of(ou), val_of(tu), &path, c) {
                    out.push(Item::new(k.clone(), v));
                }
            }
            continue;
        };
        if let Some(u) = chosen {
            out.extend(u.comments.iter().map(|i| (*i).clone()));
            if let Some(i) = u.item {
                out.push(i.clone());
            }
        }
    }
    out
}

/// Three-way merge of one value (`None`: absent on that side).
fn merge_val(
    b: Option<&Val>,
    o: Option<&Val>,
    t: Option<&Val>,
    path: &str,
    c: &mut Vec<String>,
) -> Option<Val> {
    if opt_eq(o, t) || opt_eq(t, b) {
        return o.cloned();
    }
    if opt_eq(o, b) {
        return t.cloned();
    }
    match (b, o, t) {
        (Some(Val::Map(bm)), Some(Val::Map(om)), Some(Val::Map(tm))) => {
            Some(Val::Map(merge_map(bm, om, tm, path, c)))
        }
        (None, Some(Val::Map(om)), Some(Val::Map(tm))) => {
            Some(Val::Map(merge_map(&[], om, tm, path, c)))
        }
        (Some(Val::Seq(bs)), Some(Val::Seq(os)), Some(Val::Seq(ts)))
            if bs.len() == os.len() && os.len() == ts.len() =>
        {
            let mut items = Vec::with_capacity(os.len());
            for (i, ((bi, oi), ti)) in bs.iter().zip(os).zip(ts).enumerate() {
                let at = format!("{path}[{i}]");
                if let Some(v) = merge_val(Some(bi), Some(oi), Some(ti), &at, c) {
                    items.push(v);
                }
            }
            Some(Val::Seq(items))
        }
        _ => {
            c.push(path.to_string());
            o.cloned()
        }
    }
}

/// The text view of a SOPS file for `git diff` (a textconv): see the module's comment.
/// An empty file gives nothing; a file that is not SOPS is described by its size alone.
pub fn diff_text(file: &Path, bytes: &[u8], keys: &dyn DataKeys) -> Result<String, SopsError> {
    if bytes.is_empty() {
        return Ok(String::new());
    }
    let Some(format) = super::format_for(file, bytes) else {
        return Ok(format!(
            "# not a SOPS file ({} bytes): its content is not shown\n",
            bytes.len()
        ));
    };
    let mut raw = load(file, bytes, format)?;
    let metadata_raw = raw_metadata(&raw, format);
    let metadata = meta::extract(&mut raw, format).map_err(|reason| SopsError::Metadata {
        file: file.to_path_buf(),
        reason,
    })?;
    let opened = meta::data_key(file, &metadata, keys).and_then(|key| {
        let mut plain = raw.clone();
        crypto::decrypt_tree(file, &mut plain, &metadata, &key)?;
        Ok((digest_key(&key), plain))
    });
    let mut out = String::new();
    let (key, plain) = match opened {
        Ok((k, p)) => {
            out.push_str(&format!(
                "# SOPS {} file: encrypted values as type, size and HMAC-SHA256 keyed by the file's data key\n",
                format.name()
            ));
            (Some(k), Some(p))
        }
        Err(e) => {
            out.push_str(&format!(
                "# SOPS {} file: encrypted values as type, size and SHA-256 of their ciphertext (not decrypted: {})\n",
                format.name(),
                if e.is_missing_key() {
                    "no identity opens its data key".to_string()
                } else {
                    reason_of(&e)
                }
            ));
            (None, None)
        }
    };
    let view = View {
        key: key.as_ref().map(|k| k.as_slice()),
    };
    for (i, doc) in raw.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        let p = plain.as_ref().and_then(|p| p.get(i));
        view.map(doc, p.map(Vec::as_slice), "", &mut out);
    }
    if let Some(m) = metadata_raw {
        view_metadata(&m, "sops", &mut out);
    }
    Ok(out)
}

/// An error's reason without the file (the view names no temporary file of git's).
fn reason_of(e: &SopsError) -> String {
    let s = e.to_string();
    match s.split_once("`: ") {
        Some((_, r)) => r.to_string(),
        None => s,
    }
}

/// The key of the digests: HMAC-SHA256 of a label under the data key.
fn digest_key(data_key: &[u8]) -> Zeroizing<[u8; 32]> {
    Zeroizing::new(hmac_sha256(data_key, &[b"secretgen sops diff-text v1"]))
}

/// HMAC-SHA256 (RFC 2104) over the concatenation of `parts`.
fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut k = Zeroizing::new([0u8; 64]);
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let pad = |x: u8| Zeroizing::new(k.map(|b| b ^ x));
    let mut inner = Sha256::new();
    inner.update(pad(0x36).as_slice());
    for p in parts {
        inner.update(p);
    }
    let ih = inner.finalize();
    let mut outer = Sha256::new();
    outer.update(pad(0x5c).as_slice());
    outer.update(ih.as_slice());
    let mut out = [0u8; 32];
    out.copy_from_slice(&outer.finalize());
    out
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// An `ENC[AES256_GCM,data:…,type:…]` value's type and plaintext size (the ciphertext
/// without its tag is as long as the plaintext). `None` when the text is not one.
fn sealed_shape(enc: &str) -> Option<(&str, usize)> {
    let body = enc.strip_prefix("ENC[AES256_GCM,data:")?;
    let (data, rest) = body.split_once(",iv:")?;
    let kind = rest.rsplit_once(",type:")?.1.strip_suffix(']')?;
    let size = STANDARD.decode(data).ok()?.len();
    Some((kind, size))
}

struct View<'a> {
    key: Option<&'a [u8]>,
}

impl View<'_> {
    /// One encrypted value or comment: type, size, digest.
    fn sealed(&self, path: &str, enc: &str, plain: Option<&[u8]>) -> String {
        let Some((kind, size)) = sealed_shape(enc) else {
            return "encrypted (not a well-formed value)".into();
        };
        let digest = match (self.key, plain) {
            (Some(k), Some(p)) => format!(
                "hmac {}",
                &hex(&hmac_sha256(
                    k,
                    &[path.as_bytes(), &[0], kind.as_bytes(), &[0], p]
                ))[..16]
            ),
            _ => format!(
                "ciphertext sha256 {}",
                &hex(&Sha256::digest(enc.as_bytes()))[..16]
            ),
        };
        format!("encrypted {kind}, {size} bytes, {digest}")
    }

    fn map(&self, raw: &[Item], plain: Option<&[Item]>, at: &str, out: &mut String) {
        for (i, it) in raw.iter().enumerate() {
            let p = plain.and_then(|p| p.get(i));
            match &it.key {
                Key::Comment(c) => {
                    let pc = p.and_then(|p| match &p.key {
                        Key::Comment(pc) => Some(pc.text.as_bytes()),
                        Key::Str(_) => None,
                    });
                    self.comment(at, &c.text, pc, out);
                }
                Key::Str(k) => {
                    let path = format!("{at}{}", key_step(k));
                    self.value(&it.val, p.map(|p| &p.val), &path, out);
                }
            }
        }
    }

    fn comment(&self, at: &str, text: &str, plain: Option<&[u8]>, out: &mut String) {
        let shown = if text.starts_with("ENC[AES256_GCM,") {
            self.sealed(&format!("{at}#"), text, plain)
        } else {
            format!("{text:?}")
        };
        let at = if at.is_empty() { "(top)" } else { at };
        out.push_str(&format!("{at} comment: {shown}\n"));
    }

    fn value(&self, raw: &Val, plain: Option<&Val>, path: &str, out: &mut String) {
        match raw {
            Val::Map(items) => {
                let p = match plain {
                    Some(Val::Map(p)) => Some(p.as_slice()),
                    _ => None,
                };
                if items.is_empty() {
                    out.push_str(&format!("{path}: {{}}\n"));
                }
                self.map(items, p, path, out);
            }
            Val::Seq(items) => {
                if items.is_empty() {
                    out.push_str(&format!("{path}: []\n"));
                }
                let mut n = 0;
                for (i, v) in items.iter().enumerate() {
                    let p = match plain {
                        Some(Val::Seq(p)) => p.get(i),
                        _ => None,
                    };
                    if let Val::Comment(c) = v {
                        let pc = match p {
                            Some(Val::Comment(pc)) => Some(pc.text.as_bytes()),
                            _ => None,
                        };
                        self.comment(path, &c.text, pc, out);
                        continue;
                    }
                    self.value(v, p, &format!("{path}[{n}]"), out);
                    n += 1;
                }
            }
            Val::Str(s) if s.starts_with("ENC[AES256_GCM,") => {
                let bytes = plain.and_then(plain_bytes);
                let shown = self.sealed(path, s, bytes.as_deref().map(Vec::as_slice));
                out.push_str(&format!("{path}: {shown}\n"));
            }
            other => out.push_str(&format!("{path}: {}\n", clear(other))),
        }
    }
}

/// A decrypted leaf's bytes, as sops encrypted them (the type is in the digest too).
fn plain_bytes(v: &Val) -> Option<Zeroizing<Vec<u8>>> {
    let z = |b: &[u8]| Some(Zeroizing::new(b.to_vec()));
    match v {
        Val::Str(s) | Val::Time(s) => z(s.as_bytes()),
        Val::Bytes(b) => z(b),
        Val::Int(i) => z(i.to_string().as_bytes()),
        Val::Float(f) => z(super::gofmt::format_f(*f).as_bytes()),
        Val::Bool(b) => z(if *b { b"True" } else { b"False" }),
        _ => None,
    }
}

/// A value the file holds in the clear, as it reads.
fn clear(v: &Val) -> String {
    match v {
        Val::Str(s) => format!("{:?}", s.as_str()),
        Val::Bytes(b) => format!("{} bytes (not UTF-8)", b.len()),
        Val::Time(t) => t.to_string(),
        Val::Int(i) => i.to_string(),
        Val::Float(f) => super::gofmt::format_g(*f),
        Val::Bool(b) => b.to_string(),
        Val::Null => "null".into(),
        Val::Map(_) | Val::Seq(_) | Val::Comment(_) => String::new(),
    }
}

/// The metadata's fields, but the wrapped data keys and the MAC (which change with every
/// write and say nothing to a reader).
fn view_metadata(v: &Val, at: &str, out: &mut String) {
    match v {
        Val::Map(items) => {
            for it in items {
                if let Some(k) = it.key_str() {
                    let flat_enc = k == "enc" || k.ends_with("__map_enc");
                    if flat_enc || k == "mac" {
                        continue;
                    }
                    view_metadata(&it.val, &format!("{at}{}", key_step(k)), out);
                }
            }
        }
        Val::Seq(items) => {
            for (i, it) in items.iter().enumerate() {
                view_metadata(it, &format!("{at}[{i}]"), out);
            }
        }
        Val::Comment(_) => {}
        other => out.push_str(&format!("{at}: {}\n", clear(other))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_sha256_is_rfc_4231() {
        // RFC 4231, test case 2.
        let mac = hmac_sha256(b"Jefe", &[b"what do ya want ", b"for nothing?"]);
        assert_eq!(
            hex(&mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a key longer than the block.
        let mac = hmac_sha256(
            &[0xaa; 131],
            &[b"Test Using Larger Than Block-Size Key - Hash Key First"],
        );
        assert_eq!(
            hex(&mac),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn key_paths_are_sops_tree_paths() {
        assert_eq!(key_step("data"), "[\"data\"]");
        assert_eq!(key_step("a\"b\\\n"), "[\"a\\\"b\\\\\\u000a\"]");
    }

    fn map(items: &[(&str, Val)]) -> Vec<Item> {
        items
            .iter()
            .map(|(k, v)| Item::new(*k, v.clone()))
            .collect()
    }

    #[test]
    fn values_merge_by_key_and_conflicts_name_the_path() {
        let s = Val::str;
        let base = map(&[("a", s("1")), ("b", s("1")), ("c", s("1"))]);
        let ours = map(&[("a", s("2")), ("b", s("1")), ("c", s("1"))]);
        let theirs = map(&[("a", s("1")), ("b", s("3")), ("d", s("4"))]);
        let mut c = Vec::new();
        let m = merge_map(&base, &ours, &theirs, "", &mut c);
        assert!(c.is_empty(), "{c:?}");
        let got: Vec<(String, String)> = m
            .iter()
            .map(|i| {
                let Val::Str(v) = &i.val else { panic!() };
                (i.key_str().unwrap().to_string(), v.to_string())
            })
            .collect();
        assert_eq!(
            got,
            [("a", "2"), ("b", "3"), ("d", "4")].map(|(k, v)| (k.to_string(), v.to_string()))
        );
        let nested = |v: &str| map(&[("data", Val::Map(map(&[("pw", s(v))])))]);
        let mut c = Vec::new();
        merge_map(&nested("x"), &nested("y"), &nested("z"), "", &mut c);
        assert_eq!(c, ["[\"data\"][\"pw\"]"]);
    }
}
