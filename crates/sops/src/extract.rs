//! `sops decrypt --extract '["a"]["b"]'`: sops' tree paths, and one value or subtree of a
//! decrypted file printed as sops prints it (a string raw, a mapping as a file of the
//! output format, another value as that format's emitter writes a value).

use std::path::Path;

use super::{Branch, DataKeys, Format, Item, PathReason, SecretBytes, SopsError, Val};

/// One step of a tree path: a mapping key or a list index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// sops' `parseTreePath`: `["key"]`, `['key']` or `[0]`, one after another.
pub fn parse_tree_path(arg: &str) -> Result<Vec<Step>, PathReason> {
    let bad = || PathReason::Syntax(arg.to_string());
    let mut out = Vec::new();
    for part in arg.split('[') {
        if part.is_empty() {
            continue;
        }
        let inner = part.strip_suffix(']').ok_or_else(bad)?;
        if let Some(q) = inner.chars().next().filter(|c| *c == '"' || *c == '\'') {
            let key = inner
                .strip_prefix(q)
                .and_then(|k| k.strip_suffix(q))
                .ok_or_else(bad)?;
            out.push(Step::Key(key.to_string()));
        } else {
            out.push(Step::Index(inner.parse().map_err(|_| bad())?));
        }
    }
    Ok(out)
}

/// Decrypts a SOPS file read as `input` and prints it as `output`; with `extract`, only
/// the value at that path of the first document.
pub fn decrypt_extract(
    path: &Path,
    bytes: &[u8],
    input: Format,
    output: Format,
    extract: Option<&str>,
    keys: &dyn DataKeys,
) -> Result<SecretBytes, SopsError> {
    let fault = |reason| SopsError::TreePath {
        file: path.to_path_buf(),
        reason,
    };
    // The path is checked before any key is asked for.
    let steps = extract
        .map(|e| parse_tree_path(e).map_err(fault))
        .transpose()?;
    let branches = super::open_tree(path, bytes, input, keys)?;
    let Some(steps) = steps else {
        return super::emit_plain(path, &branches, output);
    };
    let shown = extract.unwrap_or_default();
    let first = branches.first().cloned().unwrap_or_default();
    let mut at = Val::Map(first);
    for step in &steps {
        let next = match (&at, step) {
            (Val::Map(items), Step::Key(k)) => items
                .iter()
                .rev()
                .find(|i| i.key_str() == Some(k))
                .map(|i| i.val.clone()),
            (Val::Seq(items), Step::Index(i)) => items
                .iter()
                .filter(|v| !matches!(v, Val::Comment(_)))
                .nth(*i)
                .cloned(),
            _ => None,
        };
        at = next.ok_or_else(|| fault(PathReason::NotFound(shown.to_string())))?;
    }
    let raw = |b: &[u8]| Ok(SecretBytes::new(b.to_vec()));
    match at {
        Val::Map(items) => {
            let b: Branch = items;
            super::emit_plain(path, &[b], output)
        }
        Val::Str(s) => raw(s.as_bytes()),
        Val::Bytes(b) => raw(&b),
        other => value(path, other, output)
            .ok_or_else(|| fault(PathReason::NotPrintable(shown.to_string()))),
    }
}

/// sops' `EmitValue`: YAML writes the value as a document, JSON as `json.Marshal`; the
/// other stores cannot.
fn value(path: &Path, v: Val, output: Format) -> Option<SecretBytes> {
    match output {
        Format::Yaml => {
            // A one-entry document, its key line dropped: the value as go-yaml writes it.
            let text = super::emit_plain(path, &[vec![Item::new("v", v.clone())]], output).ok()?;
            let s = std::str::from_utf8(text.expose()).ok()?;
            let rest = s.strip_prefix("v:")?;
            let rest = rest.strip_prefix(' ').or_else(|| rest.strip_prefix('\n'))?;
            if matches!(v, Val::Seq(_)) {
                // Sequence items were indented under the key.
                let lines: String = rest
                    .lines()
                    .map(|l| format!("{}\n", l.strip_prefix("    ").unwrap_or(l)))
                    .collect();
                return Some(SecretBytes::new(lines.into_bytes()));
            }
            Some(SecretBytes::new(rest.as_bytes().to_vec()))
        }
        Format::Json | Format::Binary => {
            let text = super::emit_plain(path, &[vec![Item::new("v", v)]], Format::Json).ok()?;
            let s = std::str::from_utf8(text.expose()).ok()?;
            let body = s.strip_prefix("{\n\t\"v\": ")?.strip_suffix("\n}\n")?;
            if body.contains('\n') {
                return None;
            }
            Some(SecretBytes::new(body.as_bytes().to_vec()))
        }
        Format::Dotenv | Format::Ini => None,
    }
}
