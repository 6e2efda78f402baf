//! sops' dotenv store: `KEY=value` lines (`\n` in a value stands for a newline), `#` lines
//! are comments; the metadata is flattened into `sops_…` keys.

use super::{Branch, EmitReason, Item, Key, Out, SyntaxReason, Val, gofmt};

pub fn load(text: &str) -> Result<Branch, SyntaxReason> {
    let mut branch = Vec::new();
    for (n, line) in text.split('\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        if let Some(c) = line.strip_prefix('#') {
            branch.push(Item::comment(c, false));
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            return Err(SyntaxReason::DotenvLine { line: n + 1 });
        };
        branch.push(Item::new(k, Val::str(&v.replace("\\n", "\n"))));
    }
    Ok(branch)
}

pub fn emit(branch: &Branch) -> Result<Out, EmitReason> {
    let mut out = Out::new();
    for item in branch {
        match &item.key {
            Key::Comment(c) => {
                out.push(b'#');
                out.push_str(&c.text);
            }
            Key::Str(k) => {
                out.push_str(k);
                out.push(b'=');
                match &item.val {
                    Val::Str(s) => out.push_str(&s.replace('\n', "\\n")),
                    Val::Bytes(b) => {
                        let mut line = zeroize::Zeroizing::new(Vec::with_capacity(b.len()));
                        for &c in b.iter() {
                            if c == b'\n' {
                                line.extend_from_slice(b"\\n");
                            } else {
                                line.push(c);
                            }
                        }
                        out.extend(&line);
                    }
                    Val::Int(i) => out.push_str(&i.to_string()),
                    Val::Float(f) => out.push_str(&val_float(*f)),
                    Val::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
                    Val::Time(t) => out.push_str(&strip_fraction(t)),
                    Val::Null => out.push_str("<nil>"),
                    Val::Comment(c) => out.push_str(&format!("{{{} {}}}", &*c.text, c.inline)),
                    Val::Map(_) | Val::Seq(_) => {
                        return Err(EmitReason::DotenvNested(k.clone()));
                    }
                }
            }
        }
        out.push(b'\n');
    }
    Ok(out)
}

/// sops' `ValToString` for floats: 'G' shortest, with `.0` added when it looks like an int.
pub fn val_float(f: f64) -> String {
    let g = gofmt::format_g(f).replace('e', "E");
    if !g.contains('.') && !g.contains('E') && f.is_finite() {
        return format!("{g}.0");
    }
    g
}

/// `time.Format(time.RFC3339)`: the fraction dropped.
pub fn strip_fraction(t: &str) -> String {
    match t.find('.') {
        Some(dot) => {
            let zone = t[dot..].find(['Z', '+', '-']).map_or(t.len(), |z| dot + z);
            format!("{}{}", &t[..dot], &t[zone..])
        }
        None => t.to_string(),
    }
}
