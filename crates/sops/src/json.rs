//! sops' JSON store (key order kept; numbers that fit an int64 are ints, others floats) and
//! its emitter: Go's `json.Marshal` for scalars (HTML-safe escapes), then `json.Indent`
//! with a tab, and a final newline. The binary store is the same envelope with one `data`
//! string, printed raw.

use zeroize::Zeroizing;

use super::{Branch, EmitReason, Item, JsonFault, Key, Out, SyntaxReason, Val, gofmt};
use goyaml::budget::Depth;

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

pub fn load(text: &str) -> Result<Branch, SyntaxReason> {
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
    };
    p.ws();
    if p.peek() != Some(b'{') {
        return Err(SyntaxReason::JsonNotObject);
    }
    let Val::Map(items) = p.value(Depth::TOP)? else {
        unreachable!()
    };
    p.ws();
    if p.i != p.s.len() {
        return Err(p.err(JsonFault::TrailingText));
    }
    Ok(items)
}

/// Whether `text` is sops' binary envelope: an object of `data` and `sops` only.
pub fn is_binary_envelope(text: &str) -> bool {
    load(text).is_ok_and(|b| {
        b.iter().any(|i| i.key_str() == Some("data"))
            && b.iter()
                .all(|i| matches!(i.key_str(), Some("data" | "sops")))
    })
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }
    fn err(&self, fault: JsonFault) -> SyntaxReason {
        let line = 1 + self.s[..self.i.min(self.s.len())]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        SyntaxReason::Json { line, fault }
    }
    fn lit(&mut self, word: &[u8], v: Val) -> Result<Val, SyntaxReason> {
        if self.s[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(v)
        } else {
            Err(self.err(JsonFault::Literal))
        }
    }
    fn value(&mut self, depth: Depth) -> Result<Val, SyntaxReason> {
        self.ws();
        match self.peek() {
            Some(b'{') => {
                let depth = depth.deeper().map_err(|_| self.err(JsonFault::TooDeep))?;
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.peek() == Some(b'}') {
                    self.i += 1;
                    return Ok(Val::Map(items));
                }
                loop {
                    self.ws();
                    if self.peek() != Some(b'"') {
                        return Err(self.err(JsonFault::ObjectKey));
                    }
                    let k = self.string()?;
                    self.ws();
                    if self.peek() != Some(b':') {
                        return Err(self.err(JsonFault::Colon));
                    }
                    self.i += 1;
                    let v = self.value(depth)?;
                    items.push(Item::new(k.to_string(), v));
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(Val::Map(items));
                        }
                        _ => return Err(self.err(JsonFault::ObjectEnd)),
                    }
                }
            }
            Some(b'[') => {
                let depth = depth.deeper().map_err(|_| self.err(JsonFault::TooDeep))?;
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.peek() == Some(b']') {
                    self.i += 1;
                    return Ok(Val::Seq(items));
                }
                loop {
                    items.push(self.value(depth)?);
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(Val::Seq(items));
                        }
                        _ => return Err(self.err(JsonFault::ArrayEnd)),
                    }
                }
            }
            Some(b'"') => Ok(Val::Str(self.string()?)),
            Some(b't') => self.lit(b"true", Val::Bool(true)),
            Some(b'f') => self.lit(b"false", Val::Bool(false)),
            Some(b'n') => self.lit(b"null", Val::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.err(JsonFault::Value)),
        }
    }
    fn number(&mut self) -> Result<Val, SyntaxReason> {
        let start = self.i;
        while matches!(
            self.peek(),
            Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
        ) {
            self.i += 1;
        }
        let t = std::str::from_utf8(&self.s[start..self.i])
            .map_err(|_| self.err(JsonFault::BadNumber))?;
        if let Ok(i) = t.parse::<i64>() {
            return Ok(Val::Int(i));
        }
        match t.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(Val::Float(f)),
            _ => Err(self.err(JsonFault::Number)),
        }
    }
    fn hex4(&mut self) -> Result<u32, SyntaxReason> {
        let h = self
            .s
            .get(self.i..self.i + 4)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .ok_or_else(|| self.err(JsonFault::UnicodeEscape))?;
        self.i += 4;
        Ok(h)
    }
    fn string(&mut self) -> Result<Zeroizing<String>, SyntaxReason> {
        self.i += 1;
        let mut out = Zeroizing::new(Vec::new());
        loop {
            let Some(c) = self.peek() else {
                return Err(self.err(JsonFault::Unterminated));
            };
            self.i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let e = self.peek().ok_or_else(|| self.err(JsonFault::Escape))?;
                    self.i += 1;
                    let ch = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let a = self.hex4()?;
                            if (0xD800..0xDC00).contains(&a) && self.s[self.i..].starts_with(b"\\u")
                            {
                                let save = self.i;
                                self.i += 2;
                                let b = self.hex4()?;
                                if (0xDC00..0xE000).contains(&b) {
                                    char::from_u32(0x10000 + ((a - 0xD800) << 10) + (b - 0xDC00))
                                        .unwrap_or('\u{fffd}')
                                } else {
                                    self.i = save;
                                    '\u{fffd}'
                                }
                            } else {
                                char::from_u32(a).unwrap_or('\u{fffd}')
                            }
                        }
                        _ => return Err(self.err(JsonFault::Escape)),
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                c if c < 0x20 => return Err(self.err(JsonFault::Control)),
                c => out.push(c),
            }
        }
        String::from_utf8(std::mem::take(&mut *out))
            .map(Zeroizing::new)
            .map_err(|_| self.err(JsonFault::Utf8))
    }
}

/// Go's `json.Marshal` of a string (HTML-safe).
pub fn quote(s: &str, out: &mut Out) {
    out.push(b'"');
    quote_body(s, out);
    out.push(b'"');
}

fn quote_body(s: &str, out: &mut Out) {
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", ch as u32))
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => {
                let mut buf = [0u8; 4];
                out.push_str(c.encode_utf8(&mut buf));
            }
        }
    }
}

fn indent(out: &mut Out, depth: usize) {
    out.push(b'\n');
    for _ in 0..depth {
        out.push(b'\t');
    }
}

fn value(v: &Val, depth: usize, out: &mut Out) -> Result<(), EmitReason> {
    match v {
        Val::Str(s) => quote(s, out),
        // Go's encoder writes each invalid byte as U+FFFD.
        Val::Bytes(b) => {
            out.push(b'"');
            for chunk in b.utf8_chunks() {
                quote_body(chunk.valid(), out);
                for _ in chunk.invalid() {
                    out.push_str("\\ufffd");
                }
            }
            out.push(b'"');
        }
        Val::Time(t) => quote(t, out),
        Val::Int(i) => out.push_str(&i.to_string()),
        Val::Float(f) => out.push_str(&gofmt::json_float(*f).ok_or(EmitReason::JsonFloat)?),
        Val::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Val::Null | Val::Comment(_) => out.push_str("null"),
        Val::Map(items) => {
            let items: Vec<&Item> = items
                .iter()
                .filter(|i| matches!(i.key, Key::Str(_)))
                .collect();
            if items.is_empty() {
                out.push_str("{}");
                return Ok(());
            }
            out.push(b'{');
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                indent(out, depth + 1);
                quote(item.key_str().unwrap_or_default(), out);
                out.push_str(": ");
                value(&item.val, depth + 1, out)?;
            }
            indent(out, depth);
            out.push(b'}');
        }
        Val::Seq(items) => {
            let items: Vec<&Val> = items
                .iter()
                .filter(|v| !matches!(v, Val::Comment(_)))
                .collect();
            if items.is_empty() {
                out.push_str("[]");
                return Ok(());
            }
            out.push(b'[');
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                indent(out, depth + 1);
                value(item, depth + 1, out)?;
            }
            indent(out, depth);
            out.push(b']');
        }
    }
    Ok(())
}

pub fn emit(branch: &Branch) -> Result<Out, EmitReason> {
    let mut out = Out::new();
    value(&Val::Map(branch.clone()), 0, &mut out)?;
    out.push(b'\n');
    Ok(out)
}

pub fn emit_binary(branch: &Branch) -> Result<Out, EmitReason> {
    match branch.iter().find(|i| i.key_str() == Some("data")) {
        Some(Item {
            val: Val::Str(s), ..
        }) => {
            let mut out = Out::new();
            out.push_str(s);
            Ok(out)
        }
        Some(Item {
            val: Val::Bytes(b), ..
        }) => {
            let mut out = Out::new();
            out.extend(b);
            Ok(out)
        }
        Some(_) => Err(EmitReason::DataNotString),
        None => Err(EmitReason::NoData),
    }
}
