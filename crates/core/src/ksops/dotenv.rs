//! Env files read as KSOPS reads them: godotenv v1.5.1's `Unmarshal`, not kustomize's rules.
//!
//! In: the decrypted bytes of an env file. Out: its variables in file order, a later line
//! replacing an earlier one. godotenv accepts `export`, `KEY: value`, quoted values over
//! several lines, `\n` escapes in double quotes and `$VAR` / `${VAR}` references to the
//! variables above; it refuses a key with a character outside letters, digits, `_` and `.`
//! and an unterminated quote. Errors say what and on which line, never a value.

use std::collections::HashMap;

use zeroize::Zeroizing;

/// Why an env file does not parse (godotenv's two errors), with the 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum DotenvError {
    #[error(
        "line {line}: unexpected character in a variable name (godotenv allows letters, digits, `_` and `.`)"
    )]
    BadKey { line: usize },
    #[error("line {line}: quoted value is not terminated")]
    Unterminated { line: usize },
    /// `$VAR` references that copy more than the parsers' expansion budget.
    #[error(
        "line {line}: variable references expand the file to more than {} MiB",
        crate::gate::budget::MAX_EXPANDED_BYTES >> 20
    )]
    TooLarge { line: usize },
}

/// Why a value could not be read.
enum Fault {
    Unterminated,
    TooLarge,
}

/// The variables read so far, with an index by name (a file of many variables, each
/// referring to others, is read in linear time), and the bytes references may still copy.
struct Vars {
    list: Vec<Var>,
    index: HashMap<String, usize>,
    budget: usize,
}

impl Vars {
    fn get(&self, key: &str) -> Option<&Var> {
        self.index.get(key).map(|&i| &self.list[i])
    }
}

/// One variable: key and value (the value zeroized on drop).
pub(crate) struct Var {
    pub(crate) key: String,
    pub(crate) value: Zeroizing<String>,
}

/// godotenv's `isSpace`: space characters but no line break.
fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{85}' | '\u{a0}'
    )
}

/// Go's `string(bytes)` seen as runes: every invalid byte is one U+FFFD.
pub(crate) fn go_lossy(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut rest = bytes;
    loop {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                out.push_str(s);
                return out;
            }
            Err(e) => {
                let (ok, bad) = rest.split_at(e.valid_up_to());
                // The prefix is valid UTF-8 by construction.
                out.push_str(std::str::from_utf8(ok).unwrap_or_default());
                out.push('\u{fffd}');
                rest = &bad[1..];
            }
        }
    }
}

/// Decodes one rune as Go's `utf8.DecodeRune` does: an invalid byte is U+FFFD of width 1.
fn decode(b: &[u8]) -> (char, usize) {
    let n = match b.first() {
        None => return ('\u{fffd}', 0),
        Some(&c) if c < 0x80 => return (c as char, 1),
        Some(&c) if c >> 5 == 0b110 => 2,
        Some(&c) if c >> 4 == 0b1110 => 3,
        Some(&c) if c >> 3 == 0b11110 => 4,
        _ => return ('\u{fffd}', 1),
    };
    match b.get(..n).and_then(|s| std::str::from_utf8(s).ok()) {
        Some(s) => (s.chars().next().unwrap_or('\u{fffd}'), n),
        None => ('\u{fffd}', 1),
    }
}

/// `bytes.IndexFunc`.
fn index_func(b: &[u8], f: impl Fn(char) -> bool) -> Option<usize> {
    let mut i = 0;
    while i < b.len() {
        let (c, w) = decode(&b[i..]);
        if f(c) {
            return Some(i);
        }
        i += w;
    }
    None
}

/// `bytes.TrimLeftFunc`.
fn trim_left(b: &[u8], f: impl Fn(char) -> bool) -> &[u8] {
    match index_func(b, |c| !f(c)) {
        Some(i) => &b[i..],
        None => &[],
    }
}

/// Parses an env file as `godotenv.Unmarshal` does.
pub(crate) fn parse(src: &[u8]) -> Result<Vec<Var>, DotenvError> {
    let normalized = Zeroizing::new(replace_crlf(src));
    let src: &[u8] = &normalized;
    let line_of = |rest: &[u8]| {
        1 + src[..src.len() - rest.len()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
    };
    let mut out = Vars {
        list: Vec::new(),
        index: HashMap::new(),
        budget: crate::gate::budget::MAX_EXPANDED_BYTES,
    };
    let mut cutset = src;
    while let Some(start) = statement_start(cutset) {
        let (key, left) = key_name(start).map_err(|()| DotenvError::BadKey {
            line: line_of(start),
        })?;
        let (value, left) = var_value(left, &mut out).map_err(|f| match f {
            Fault::Unterminated => DotenvError::Unterminated {
                line: line_of(left),
            },
            Fault::TooLarge => DotenvError::TooLarge {
                line: line_of(left),
            },
        })?;
        match out.index.get(&key) {
            Some(&i) => out.list[i].value = value,
            None => {
                out.index.insert(key.clone(), out.list.len());
                out.list.push(Var { key, value });
            }
        }
        match left {
            Some(l) => cutset = l,
            None => break,
        }
    }
    Ok(out.list)
}

fn replace_crlf(src: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(src.len());
    let mut i = 0;
    while i < src.len() {
        if src[i] == b'\r' && src.get(i + 1) == Some(&b'\n') {
            out.push(b'\n');
            i += 2;
        } else {
            out.push(src[i]);
            i += 1;
        }
    }
    out
}

/// `getStatementStart`: skips blank space and comment lines.
fn statement_start(mut src: &[u8]) -> Option<&[u8]> {
    loop {
        let pos = index_func(src, |c| !c.is_whitespace())?;
        src = &src[pos..];
        if src[0] != b'#' {
            return Some(src);
        }
        let nl = src.iter().position(|&b| b == b'\n')?;
        src = &src[nl..];
    }
}

/// `locateKeyName`: the key and what follows its `=` or `:`. The key's characters are
/// checked byte by byte, each byte read as a Latin-1 character, as godotenv does.
fn key_name(src: &[u8]) -> Result<(String, &[u8]), ()> {
    let mut src = trim_left(src, is_space);
    if let Some(trimmed) = src.strip_prefix(b"export")
        && index_func(trimmed, is_space) == Some(0)
    {
        src = trim_left(trimmed, is_space);
    }
    let mut key: &[u8] = b"";
    let mut offset = 0;
    for (i, &b) in src.iter().enumerate() {
        let c = char::from(b);
        if is_space(c) {
            continue;
        }
        match b {
            b'=' | b':' => {
                key = &src[..i];
                offset = i + 1;
                break;
            }
            b'_' => {}
            _ if c.is_alphabetic() || c.is_numeric() || c == '.' => {}
            _ => return Err(()),
        }
    }
    let key = String::from_utf8_lossy(key);
    let key = key.trim_end_matches(char::is_whitespace).to_string();
    Ok((key, trim_left(&src[offset..], is_space)))
}

/// `extractVarValue`: the value and the rest (`None` at the end of the input).
fn var_value<'a>(
    src: &'a [u8],
    vars: &mut Vars,
) -> Result<(Zeroizing<String>, Option<&'a [u8]>), Fault> {
    let quote = match src.first() {
        Some(&q @ (b'"' | b'\'')) => q,
        _ => {
            let end = src.iter().position(|&b| b == b'\n' || b == b'\r');
            let end = match end {
                Some(e) => e,
                None if src.is_empty() => return Ok((Zeroizing::new(String::new()), None)),
                None => src.len(),
            };
            let line: Zeroizing<Vec<char>> =
                Zeroizing::new(go_lossy(&src[..end]).chars().collect());
            if line.is_empty() {
                return Ok((Zeroizing::new(String::new()), Some(&src[end..])));
            }
            let mut end_of_var = line.len();
            for i in (1..line.len()).rev() {
                if line[i] == '#' && is_space(line[i - 1]) {
                    end_of_var = i;
                    break;
                }
            }
            let text: Zeroizing<String> = Zeroizing::new(line[..end_of_var].iter().collect());
            let trimmed = text.trim_matches(is_space);
            return Ok((expand_variables(trimmed, vars)?, Some(&src[end..])));
        }
    };
    for i in 1..src.len() {
        if src[i] != quote || src[i - 1] == b'\\' {
            continue;
        }
        let inner = &src[..i];
        let start = inner
            .iter()
            .position(|&b| b != quote)
            .unwrap_or(inner.len());
        let end = inner
            .iter()
            .rposition(|&b| b != quote)
            .map_or(start, |e| e + 1);
        let raw = &inner[start.min(end)..end];
        let value = if quote == b'"' {
            let escaped = expand_escapes(raw);
            expand_variables(&go_lossy(&escaped), vars)?
        } else {
            Zeroizing::new(go_lossy(raw))
        };
        return Ok((value, Some(&src[i + 1..])));
    }
    Err(Fault::Unterminated)
}

/// `expandEscapes`: `\n` and `\r` become line breaks, then a backslash before anything but
/// `$` is dropped.
fn expand_escapes(s: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut first = Zeroizing::new(Vec::with_capacity(s.len()));
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'\\' && i + 1 < s.len() && s[i + 1] != b'\n' {
            match s[i + 1] {
                b'n' => first.push(b'\n'),
                b'r' => first.push(b'\r'),
                other => {
                    first.push(b'\\');
                    first.push(other);
                }
            }
            i += 2;
        } else {
            first.push(s[i]);
            i += 1;
        }
    }
    let mut out = Zeroizing::new(Vec::with_capacity(first.len()));
    let mut i = 0;
    while i < first.len() {
        if first[i] == b'\\' && i + 1 < first.len() && first[i + 1] != b'$' {
            out.push(first[i + 1]);
            i += 2;
        } else {
            out.push(first[i]);
            i += 1;
        }
    }
    out
}

/// `expandVariables`: each match of `(\\)?(\$)(\()?\{?([A-Z0-9_]+)?\}?` is replaced by the
/// value of the variable named (an earlier one of the same file, else empty); an escaped
/// `\$` loses its backslash; a `$` with no name stays. What references copy is counted
/// against the file's expansion budget.
fn expand_variables(v: &str, vars: &mut Vars) -> Result<Zeroizing<String>, Fault> {
    let b = v.as_bytes();
    let mut out = Zeroizing::new(String::with_capacity(v.len()));
    let mut copied = 0;
    let mut i = 0;
    while i < b.len() {
        let escaped = b[i] == b'\\' && b.get(i + 1) == Some(&b'$');
        if !(escaped || b[i] == b'$') {
            i += 1;
            continue;
        }
        let start = i;
        let mut j = if escaped { i + 2 } else { i + 1 };
        if b.get(j) == Some(&b'(') {
            j += 1;
        }
        if b.get(j) == Some(&b'{') {
            j += 1;
        }
        let name_start = j;
        while j < b.len() && matches!(b[j], b'A'..=b'Z' | b'0'..=b'9' | b'_') {
            j += 1;
        }
        let name = &v[name_start..j];
        if b.get(j) == Some(&b'}') {
            j += 1;
        }
        out.push_str(&v[copied..start]);
        if escaped {
            out.push_str(&v[start + 1..j]);
        } else if !name.is_empty() {
            if let Some(var) = vars.get(name) {
                let len = var.value.len();
                if len > vars.budget {
                    return Err(Fault::TooLarge);
                }
                out.push_str(&var.value);
                vars.budget -= len;
            }
        } else {
            out.push_str(&v[start..j]);
        }
        copied = j;
        i = j;
    }
    out.push_str(&v[copied..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(src: &str) -> Vec<(String, String)> {
        parse(src.as_bytes())
            .unwrap()
            .into_iter()
            .map(|v| (v.key, v.value.to_string()))
            .collect()
    }

    fn one(src: &str) -> String {
        let p = pairs(src);
        assert_eq!(p.len(), 1, "{p:?}");
        p[0].1.clone()
    }

    #[test]
    fn plain_export_colon_and_comments() {
        assert_eq!(
            pairs("# c\nA=1\nexport B = two words  # note\nC: x#y\n\n  D=\n"),
            vec![
                ("A".into(), "1".into()),
                ("B".into(), "two words".into()),
                ("C".into(), "x#y".into()),
                ("D".into(), "".into()),
            ]
        );
        // The last ` #` on the line starts the comment.
        assert_eq!(one("A=a #b #c"), "a #b");
        assert_eq!(one("exportA=1"), "1");
        assert_eq!(pairs("exportA=1")[0].0, "exportA");
    }

    #[test]
    fn quotes_escapes_and_multiple_lines() {
        assert_eq!(one(r#"A="a\nb""#), "a\nb");
        assert_eq!(one(r"A='a\nb'"), r"a\nb");
        assert_eq!(one("A=\"line1\nline2\""), "line1\nline2");
        // The closing quote is the first unescaped one; trailing quotes are trimmed, so an
        // escaped quote just before the end loses its quote (checked against godotenv).
        assert_eq!(one(r#"A="say \"hi\"""#), r#"say "hi\"#);
        assert_eq!(one(r#"A="a\\nb""#), r"a\nb");
        assert_eq!(one("A=\"\""), "");
        assert_eq!(one("A=\"x\" # comment"), "x");
        assert_eq!(pairs("A='1' B=2").len(), 2);
    }

    #[test]
    fn variables() {
        assert_eq!(pairs("A=x\nB=${A}-$A-$B-\\$A-$a")[1].1, "x-x--$A-$a");
        assert_eq!(pairs("A=x\nB='$A'")[1].1, "$A");
        assert_eq!(pairs("A=x\nB=\"$(A)\"")[1].1, "x)");
        assert_eq!(pairs("A=1\nA=2"), vec![("A".into(), "2".into())]);
    }

    #[test]
    fn crlf_and_odd_endings() {
        assert_eq!(pairs("A=1\r\nB=2\r\n").len(), 2);
        assert_eq!(pairs("A=1\rB=2").len(), 2);
        // A bare word at the end of the input becomes the value of the empty key.
        assert_eq!(
            pairs("A=1\nB"),
            vec![("A".into(), "1".into()), ("".into(), "B".into())]
        );
    }

    #[test]
    fn errors_name_the_line_not_the_value() {
        let e = parse(b"A=1\nB-C=secretvalue\n").err().unwrap();
        assert_eq!(e, DotenvError::BadKey { line: 2 });
        assert!(!e.to_string().contains("secretvalue"));
        let e = parse(b"A=1\nB=\"secretvalue\n").err().unwrap();
        assert_eq!(e, DotenvError::Unterminated { line: 2 });
        assert!(parse(b"A=1\nB\nC=2").is_err());
    }

    /// Each variable copying the one above eight times: 8^30 bytes if expanded, refused
    /// once the copies pass the expansion budget; many variables are read in linear time.
    #[test]
    fn references_are_held_to_the_expansion_budget() {
        let mut src = String::from("V0=xxxxxxxx\n");
        for i in 1..30 {
            src.push_str(&format!("V{i}={}\n", format!("${{V{}}}", i - 1).repeat(8)));
        }
        let e = parse(src.as_bytes()).err().unwrap();
        assert!(
            matches!(e, DotenvError::TooLarge { line } if line > 2),
            "{e}"
        );
        let many: String = (0..50_000).map(|i| format!("K{i}=$K0\n")).collect();
        let start = std::time::Instant::now();
        assert_eq!(parse(many.as_bytes()).unwrap().len(), 50_000);
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn invalid_utf8_is_replaced_per_byte_as_go_does() {
        assert_eq!(go_lossy(b"a\xe2\x82b"), "a\u{fffd}\u{fffd}b");
        assert_eq!(one("A=a\u{e9}b"), "a\u{e9}b");
    }
}
