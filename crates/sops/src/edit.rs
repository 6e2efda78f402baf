//! `sops set` and `sops unset`: one value of a SOPS file changed under the same data key,
//! every other value keeping its ciphertext (as sops 3.13 keeps them), the MAC and
//! `lastmodified` written again, the rest of the metadata as it was.

use std::path::Path;

use zeroize::Zeroizing;

use super::error::EncryptReason;
use super::extract::{Step, parse_tree_path};
use super::{
    Branch, DataKeys, Format, Item, Key, PathReason, SopsError, SyntaxReason, Val, crypto, dotenv,
    ini, json, meta, yaml,
};

/// What to change: set the value at a path (given as JSON, as sops takes it), or remove it.
pub enum Change<'a> {
    Set { path: &'a str, json: &'a str },
    Unset { path: &'a str },
}

/// The file with `change` applied, as `sops set`/`sops unset` writes it.
pub fn edit(
    file: &Path,
    bytes: &[u8],
    change: &Change<'_>,
    keys: &dyn DataKeys,
    lastmodified: &str,
) -> Result<Zeroizing<Vec<u8>>, SopsError> {
    edit_idempotent(file, bytes, change, keys, lastmodified, false)
        .map(|out| out.unwrap_or_default())
}

/// [`edit`] as `sops set --idempotent` and `sops unset --idempotent` do it: `None` (the file
/// is not to be written) when `idempotent` and the path already holds that very value (for
/// `set`, sops' `equals`: same type, same value, maps in the same order) or is not there
/// (for `unset`). Without `idempotent`, always `Some`.
pub fn edit_idempotent(
    file: &Path,
    bytes: &[u8],
    change: &Change<'_>,
    keys: &dyn DataKeys,
    lastmodified: &str,
    idempotent: bool,
) -> Result<Option<Zeroizing<Vec<u8>>>, SopsError> {
    let fault = |reason| SopsError::TreePath {
        file: file.to_path_buf(),
        reason,
    };
    let (shown, steps, value) = match change {
        Change::Set { path, json } => {
            let steps = parse_tree_path(path).map_err(fault)?;
            let doc = json::load(&format!("{{\"v\": {json}}}"))
                .map_err(|_| fault(PathReason::BadValue))?;
            let v = doc.into_iter().next().map(|i| go_json(i.val));
            (*path, steps, v)
        }
        Change::Unset { path } => (*path, parse_tree_path(path).map_err(fault)?, None),
    };
    if steps.is_empty() {
        return Err(fault(PathReason::Syntax(shown.to_string())));
    }
    rewrite(file, bytes, keys, lastmodified, |_, tree| {
        let first = tree
            .first_mut()
            .ok_or_else(|| fault(PathReason::NotFound(shown.into())))?;
        let mut root = Val::Map(std::mem::take(first));
        let applied = apply(&mut root, &steps, value);
        if let Val::Map(items) = root {
            *first = items;
        }
        match applied {
            None if idempotent && matches!(change, Change::Unset { .. }) => Ok(false),
            None => Err(fault(PathReason::NotFound(shown.to_string()))),
            Some(changed) => Ok(changed || !idempotent),
        }
    })
}

/// The file encrypted again with `plaintext` (in the file's format) as its content, as
/// `sops edit` writes it back: the same data key and metadata, every value whose path, type
/// and plaintext did not change keeping its ciphertext.
pub fn reencrypt(
    file: &Path,
    bytes: &[u8],
    plaintext: &[u8],
    keys: &dyn DataKeys,
    lastmodified: &str,
) -> Result<Zeroizing<Vec<u8>>, SopsError> {
    rewrite(file, bytes, keys, lastmodified, |format, tree| {
        *tree = super::encrypt::load_plain(file, plaintext, format)?;
        // As sops' edit checks the edited tree: a YAML stream without a document is refused.
        if tree.is_empty() {
            return Err(SopsError::Encrypt {
                file: file.to_path_buf(),
                reason: EncryptReason::Empty,
            });
        }
        Ok(true)
    })
    .map(|out| out.unwrap_or_default())
}

/// Opens a SOPS file (its MAC checked, each value's ciphertext recorded), lets `change`
/// alter the plaintext tree, and writes the file again under the same key and metadata;
/// `None` when `change` says there is nothing to write (`Ok(false)`).
pub(crate) fn rewrite(
    file: &Path,
    bytes: &[u8],
    keys: &dyn DataKeys,
    lastmodified: &str,
    change: impl FnOnce(Format, &mut Vec<Branch>) -> Result<bool, SopsError>,
) -> Result<Option<Zeroizing<Vec<u8>>>, SopsError> {
    let format = super::format_for(file, bytes).ok_or_else(|| SopsError::Syntax {
        file: file.to_path_buf(),
        format: Format::for_path(file).name(),
        reason: SyntaxReason::NoMetadata,
    })?;
    let text = std::str::from_utf8(bytes).map_err(|_| SopsError::Syntax {
        file: file.to_path_buf(),
        format: format.name(),
        reason: SyntaxReason::NotUtf8,
    })?;
    let syntax = |reason| SopsError::Syntax {
        file: file.to_path_buf(),
        format: format.name(),
        reason,
    };
    let raw: Vec<Branch> = match format {
        Format::Yaml => yaml::load(text).map_err(syntax)?,
        Format::Json | Format::Binary => vec![json::load(text).map_err(syntax)?],
        Format::Dotenv => vec![dotenv::load(text).map_err(syntax)?],
        Format::Ini => vec![ini::load(text).map_err(syntax)?],
    };
    let mut tree = raw.clone();
    let metadata = meta::extract(&mut tree, format).map_err(|reason| SopsError::Metadata {
        file: file.to_path_buf(),
        reason,
    })?;
    let key = meta::data_key(file, &metadata, keys)?;
    let stash = crypto::decrypt_tree_stashed(file, &mut tree, &metadata, &key, true)?;
    if !change(format, &mut tree)? {
        return Ok(None);
    }
    let gcm = crypto::cipher(&key).ok_or_else(|| SopsError::Encrypt {
        file: file.to_path_buf(),
        reason: EncryptReason::DataKey,
    })?;
    let mac = crypto::encrypt_tree(file, &mut tree, &metadata, &gcm, Some(stash))?;
    // The values' MAC unchanged (an empty string removed): sops seals it again with the
    // IV it had, under the new `lastmodified` (the same ciphertext within the same second).
    let same = crypto::open_value(&metadata.mac, &gcm, &metadata.lastmodified)
        .is_ok_and(|p| p.bytes.as_slice() == mac.as_bytes());
    let sealed = if same {
        crypto::reseal(&metadata.mac, mac.as_bytes(), "str", &gcm, lastmodified)
    } else {
        crypto::seal_value(mac.as_bytes(), "str", &gcm, lastmodified)
    };
    let mac = sealed.ok_or_else(|| SopsError::Encrypt {
        file: file.to_path_buf(),
        reason: EncryptReason::Seal,
    })?;
    let fresh = |k: &str| match k {
        "mac" => Some(Val::str(&mac)),
        "lastmodified" => Some(Val::str(lastmodified)),
        _ => None,
    };
    let fail = |reason| SopsError::Encrypt {
        file: file.to_path_buf(),
        reason: EncryptReason::Emit(format.name(), reason),
    };
    let out = if format == Format::Dotenv {
        let mut b = tree.into_iter().next().unwrap_or_default();
        for it in raw.into_iter().next().unwrap_or_default() {
            let flat = it
                .key_str()
                .and_then(|k| k.strip_prefix("sops_"))
                .map(str::to_string);
            if let Some(k) = flat {
                let val = fresh(&k).unwrap_or(it.val);
                b.push(Item::new(format!("sops_{k}"), val));
            }
        }
        dotenv::emit(&b).map_err(fail)?
    } else {
        let mut sops = raw
            .first()
            .and_then(|b| b.iter().find(|i| i.key_str() == Some("sops")))
            .map(|i| i.val.clone())
            .unwrap_or(Val::Map(Vec::new()));
        if let Val::Map(items) = &mut sops {
            for it in items.iter_mut() {
                if let Some(v) = it.key_str().and_then(fresh) {
                    it.val = v;
                }
            }
        }
        match format {
            Format::Yaml => {
                for b in tree.iter_mut() {
                    b.push(Item::new("sops", sops.clone()));
                }
                yaml::emit(&tree)
            }
            Format::Ini => {
                let mut b = tree.into_iter().next().unwrap_or_default();
                b.push(Item::new("sops", sops));
                ini::emit(&b).map_err(fail)?
            }
            _ => {
                let mut b = tree.into_iter().next().unwrap_or_default();
                b.push(Item::new("sops", sops));
                json::emit(&b).map_err(fail)?
            }
        }
    };
    Ok(Some(out.into_inner()))
}

/// A value as sops' `set` takes it: a bare number is Go's `json.Unmarshal` float64; inside
/// an object or array, numbers are read as sops' JSON store reads them (integers stay ints).
fn go_json(v: Val) -> Val {
    match v {
        Val::Int(i) => Val::Float(i as f64),
        other => other,
    }
}

/// Sets (`Some`) or removes (`None`) the value at `steps`; a missing mapping key on the way
/// is created when setting. `None` when the path was not there to change; otherwise whether
/// the tree changed, as sops' `TreeBranch.Set` says (a value replaced by an equal one did
/// not change it).
fn apply(at: &mut Val, steps: &[Step], value: Option<Val>) -> Option<bool> {
    let (step, rest) = steps.split_first()?;
    match (at, step) {
        (Val::Map(items), Step::Key(k)) => {
            let found = items.iter().rposition(|i| i.key_str() == Some(k));
            match (found, rest.is_empty(), value) {
                (Some(i), true, Some(v)) => {
                    let changed = !equals(&items[i].val, &v);
                    items[i].val = v;
                    Some(changed)
                }
                (Some(i), true, None) => {
                    items.remove(i);
                    Some(true)
                }
                (Some(i), false, v) => apply(&mut items[i].val, rest, v),
                (None, true, Some(v)) => {
                    items.push(Item::new(k.clone(), v));
                    Some(true)
                }
                (None, false, Some(v)) => {
                    let mut new = Val::Map(Vec::new());
                    let ok = apply(&mut new, rest, Some(v));
                    items.push(Item::new(k.clone(), new));
                    ok.map(|_| true)
                }
                (None, _, None) => None,
            }
        }
        (Val::Seq(items), Step::Index(n)) => {
            let positions: Vec<usize> = items
                .iter()
                .enumerate()
                .filter(|(_, v)| !matches!(v, Val::Comment(_)))
                .map(|(i, _)| i)
                .collect();
            match (positions.get(*n).copied(), rest.is_empty(), value) {
                (Some(i), true, Some(v)) => {
                    let changed = !equals(&items[i], &v);
                    items[i] = v;
                    Some(changed)
                }
                (Some(i), true, None) => {
                    items.remove(i);
                    Some(true)
                }
                (Some(i), false, v) => apply(&mut items[i], rest, v),
                (None, true, Some(v)) if *n == positions.len() => {
                    items.push(v);
                    Some(true)
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// sops' `equals` on tree values: mappings with the same keys (comments included) in the
/// same order and equal values, lists of equal items, comments by their text, scalars of
/// the same type and value (Go's `==` on interfaces: the integer 1 is not the float 1).
pub(crate) fn equals(a: &Val, b: &Val) -> bool {
    fn key_eq(a: &Key, b: &Key) -> bool {
        match (a, b) {
            (Key::Str(x), Key::Str(y)) => x == y,
            (Key::Comment(x), Key::Comment(y)) => *x.text == *y.text,
            _ => false,
        }
    }
    match (a, b) {
        (Val::Map(x), Val::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|(i, j)| key_eq(&i.key, &j.key) && equals(&i.val, &j.val))
        }
        (Val::Seq(x), Val::Seq(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(i, j)| equals(i, j))
        }
        (Val::Comment(x), Val::Comment(y)) => *x.text == *y.text,
        // Both are Go strings.
        (Val::Str(x), Val::Str(y)) => x.as_bytes() == y.as_bytes(),
        (Val::Str(x), Val::Bytes(y)) | (Val::Bytes(y), Val::Str(x)) => x.as_bytes() == y.as_slice(),
        (Val::Bytes(x), Val::Bytes(y)) => x.as_slice() == y.as_slice(),
        (Val::Int(x), Val::Int(y)) => x == y,
        (Val::Float(x), Val::Float(y)) => x == y,
        (Val::Bool(x), Val::Bool(y)) => x == y,
        (Val::Time(x), Val::Time(y)) => *x == *y,
        (Val::Null, Val::Null) => true,
        _ => false,
    }
}
