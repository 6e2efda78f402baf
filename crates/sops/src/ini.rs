//! sops' INI store (gopkg.in/ini.v1 with non-unique sections): each section is a mapping
//! of string values; a comment before a key (or after its value) is stored after the key,
//! a comment before a section header first in the section. The metadata is the `[sops]`
//! section with flattened keys (`age__list_0__map_enc`, newlines written `\n`). Written
//! back as go-ini does: `key = value` with `=` aligned per section, a blank line between
//! sections, comments as `; text`.

use std::collections::HashMap;

use zeroize::Zeroizing;

use super::{Branch, EmitReason, Item, Key, Out, SyntaxReason, Val};

/// sops' `stripCommentChar`.
fn strip_comment_char(c: &str) -> String {
    if c.starts_with(';') {
        c.trim_start_matches([';', ' ']).to_string()
    } else if c.starts_with('#') {
        c.trim_start_matches(['#', ' ']).to_string()
    } else {
        c.to_string()
    }
}

struct Section {
    name: String,
    comment: String,
    keys: Vec<(String, String, String)>,
    /// Where each key is in `keys`: a repeated key is found in constant time.
    index: HashMap<String, usize>,
}

impl Section {
    /// An empty section, `comment` the comment before its header.
    fn new(name: String, comment: String) -> Section {
        Section {
            name,
            comment,
            keys: Vec::new(),
            index: HashMap::new(),
        }
    }

    /// Sets `key` to `value` with the comment `c`: a repeated key keeps its place and takes
    /// the last value and comment.
    fn set(&mut self, key: String, value: String, c: String) {
        match self.index.get(&key) {
            Some(&at) => {
                let k = &mut self.keys[at];
                k.1 = value;
                k.2 = c;
            }
            None => {
                self.index.insert(key.clone(), self.keys.len());
                self.keys.push((key, value, c));
            }
        }
    }
}

/// Adds a comment line to the comment gathered so far.
fn push_comment(comment: &mut String, c: &str) {
    if !comment.is_empty() {
        comment.push('\n');
    }
    comment.push_str(c);
}

/// Reads an INI text into sops' tree: a mapping of string values per section, the keys
/// before any header in `DEFAULT`.
pub fn load(text: &str) -> Result<Branch, SyntaxReason> {
    let mut sections = vec![Section::new("DEFAULT".into(), String::new())];
    let mut comment = String::new();
    let lines: Vec<&str> = text.split('\n').collect();
    let mut n = 0;
    while n < lines.len() {
        let raw = lines[n];
        n += 1;
        let line = raw.trim_start_matches([' ', '\t']).trim_end_matches('\r');
        if line.is_empty() {
            continue;
        }
        if line.starts_with('#') || line.starts_with(';') {
            push_comment(&mut comment, line);
            continue;
        }
        if line.starts_with('[') {
            let close = line
                .rfind(']')
                .ok_or(SyntaxReason::IniSection { line: n })?;
            let name = line[1..close].trim().to_string();
            sections.push(Section::new(name, std::mem::take(&mut comment)));
            continue;
        }
        let Some(d) = line.find(['=', ':']) else {
            return Err(SyntaxReason::IniLine { line: n });
        };
        let key = line[..d].trim().to_string();
        let rest = line[d + 1..].trim_start_matches([' ', '\t']);
        let value = if let Some(body) = rest.strip_prefix("\"\"\"") {
            triple_quoted(body, &lines, &mut n)?
        } else if let Some(body) = rest.strip_prefix('`') {
            let end = body
                .find('`')
                .ok_or(SyntaxReason::IniBackquote { line: n })?;
            body[..end].to_string()
        } else {
            plain_value(rest, &mut comment)
        };
        let section = sections.last_mut().expect("one section at least");
        section.set(key, value, std::mem::take(&mut comment));
    }
    Ok(to_branch(sections))
}

/// A value over several lines, from `body` (the text after the opening `"""`) up to the
/// closing `"""`, reading on from line `n` (left after the last line read).
fn triple_quoted(body: &str, lines: &[&str], n: &mut usize) -> Result<String, SyntaxReason> {
    let mut v = String::new();
    let mut cur = body.to_string();
    loop {
        if let Some(end) = cur.find("\"\"\"") {
            v.push_str(&cur[..end]);
            break;
        }
        v.push_str(&cur);
        v.push('\n');
        if *n >= lines.len() {
            return Err(SyntaxReason::IniTripleQuote { line: *n });
        }
        cur = lines[*n].trim_end_matches('\r').to_string();
        *n += 1;
    }
    Ok(v)
}

/// A value neither in `"""` nor in backquotes: a comment after it goes to `comment`, and
/// one pair of matching quotes around it is dropped.
fn plain_value(rest: &str, comment: &mut String) -> String {
    let mut v = rest.trim_end().to_string();
    if let Some(i) = v.find(['#', ';']) {
        push_comment(comment, &v[i..]);
        v = v[..i].trim().to_string();
    }
    let q = |c: char| v.len() >= 2 && v.starts_with(c) && v.ends_with(c);
    if q('"') || q('\'') {
        v = v[1..v.len() - 1].to_string();
    }
    v
}

/// The sections read, as sops' tree: a mapping per section, the section's comment first,
/// each key's comment after the key.
fn to_branch(sections: Vec<Section>) -> Branch {
    let mut branch = Vec::new();
    for s in sections {
        let mut items = Vec::new();
        if !s.comment.is_empty() {
            items.push(Item::comment(&strip_comment_char(&s.comment), false));
        }
        for (k, v, c) in s.keys {
            items.push(Item::new(k, Val::str(&v)));
            if !c.is_empty() {
                items.push(Item::comment(&strip_comment_char(&c), false));
            }
        }
        branch.push(Item::new(s.name, Val::Map(items)));
    }
    branch
}

/// Writes a comment as go-ini does. A comment with an empty line is refused: go-ini (and so
/// `sops --decrypt`) fails on one.
fn comment_lines(c: &str, out: &mut Out) -> Result<(), EmitReason> {
    if c.split('\n').any(str::is_empty) {
        return Err(EmitReason::IniEmptyCommentLine);
    }
    for line in c.split('\n') {
        if line.starts_with('#') || line.starts_with(';') {
            out.push_str(&line[..1]);
            out.push(b' ');
            out.push_str(line[1..].trim());
        } else {
            out.push_str("; ");
            out.push_str(line.trim());
        }
        out.push(b'\n');
    }
    Ok(())
}

/// The text of a value INI can hold, or `None` for a nested one.
fn value_string(v: &Val) -> Option<Zeroizing<String>> {
    Some(Zeroizing::new(match v {
        Val::Str(s) => s.to_string(),
        Val::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        Val::Int(i) => i.to_string(),
        Val::Float(f) => super::dotenv::val_float(*f),
        Val::Bool(b) => b.to_string(),
        Val::Time(t) => super::dotenv::strip_fraction(t),
        Val::Null => "<nil>".into(),
        _ => return None,
    }))
}

/// A section to write: its name, the comment before its header, and its keys with their
/// values and comments.
struct Sec<'a> {
    name: &'a str,
    comment: String,
    keys: Vec<(&'a str, Zeroizing<String>, Zeroizing<String>)>,
}

/// Writes sops' tree as go-ini does; a top-level value that is not a mapping, or a nested
/// value in one, is refused.
pub fn emit(branch: &Branch) -> Result<Out, EmitReason> {
    let mut secs: Vec<Sec> = Vec::new();
    for item in branch {
        if let Some(sec) = section(item)? {
            secs.push(sec);
        }
    }
    let mut out = Out::new();
    let last = secs.len().saturating_sub(1);
    for (i, s) in secs.iter().enumerate() {
        if !s.comment.is_empty() {
            comment_lines(&s.comment, &mut out)?;
        }
        if i > 0 || !s.name.eq_ignore_ascii_case("DEFAULT") {
            out.push(b'[');
            out.push_str(s.name);
            out.push_str("]\n");
        } else if s.keys.is_empty() {
            continue;
        }
        write_keys(s, &mut out)?;
        if i != last {
            out.push(b'\n');
        }
    }
    Ok(out)
}

/// The section an item of the tree is, or `None` for a comment at the top. A repeated key
/// keeps its place and takes the last value; a comment goes to the key before it (the
/// first item's, to the section). A value that is not a mapping, or a nested one in it, is
/// refused.
fn section(item: &Item) -> Result<Option<Sec<'_>>, EmitReason> {
    let Key::Str(name) = &item.key else {
        return Ok(None);
    };
    let Val::Map(items) = &item.val else {
        return Err(EmitReason::IniSection(name.clone()));
    };
    let mut sec = Sec {
        name,
        comment: String::new(),
        keys: Vec::new(),
    };
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut rest = &items[..];
    if let Some(Item {
        key: Key::Comment(c),
        ..
    }) = items.first()
    {
        sec.comment = c.text.to_string();
        rest = &items[1..];
    }
    for it in rest {
        match &it.key {
            Key::Comment(c) => {
                if let Some(last) = sec.keys.last_mut() {
                    last.2 = c.text.clone();
                }
            }
            Key::Str(k) => {
                let v = value_string(&it.val).ok_or_else(|| EmitReason::IniNested {
                    section: name.clone(),
                    key: k.clone(),
                })?;
                match index.get(k.as_str()) {
                    Some(&at) => sec.keys[at].1 = v,
                    None => {
                        index.insert(k, sec.keys.len());
                        sec.keys.push((k, v, Zeroizing::new(String::new())));
                    }
                }
            }
        }
    }
    Ok(Some(sec))
}

/// Writes a section's keys as go-ini does: each key's comment first, then `key = value`
/// with the `=` aligned, the key and the value quoted where they need it.
fn write_keys(s: &Sec, out: &mut Out) -> Result<(), EmitReason> {
    let width = |k: &str| {
        if k.contains('"') || k.contains(['=', ':']) {
            k.len() + 2
        } else if k.contains('`') {
            k.len() + 6
        } else {
            k.len()
        }
    };
    let align = s.keys.iter().map(|k| width(k.0)).max().unwrap_or(0);
    for (k, v, c) in &s.keys {
        if !c.is_empty() {
            comment_lines(c, out)?;
        }
        let name = if k.contains('"') || k.contains(['=', ':']) {
            format!("`{k}`")
        } else if k.contains('`') {
            format!("\"\"\"{k}\"\"\"")
        } else {
            k.to_string()
        };
        out.push_str(&name);
        for _ in name.len()..align {
            out.push(b' ');
        }
        out.push_str(" = ");
        write_value(v, out);
        out.push(b'\n');
    }
    Ok(())
}

/// Writes a value as go-ini does: in `"""` if it holds a newline or a backquote, in
/// backquotes if it holds a comment character, in `"` if it has blanks at either end.
fn write_value(v: &str, out: &mut Out) {
    if v.contains(['\n', '`']) {
        out.push_str("\"\"\"");
        out.push_str(v);
        out.push_str("\"\"\"");
    } else if v.contains(['#', ';']) {
        out.push(b'`');
        out.push_str(v);
        out.push(b'`');
    } else if v.trim().len() != v.len() {
        out.push(b'"');
        out.push_str(v);
        out.push(b'"');
    } else {
        out.push_str(v);
    }
}
