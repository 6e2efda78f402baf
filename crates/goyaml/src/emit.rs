//! A YAML writer that reproduces gopkg.in/yaml.v2's bytes.
//!
//! In: a [`Node`] tree of strings, booleans, nulls, mappings and sequences. Out: the text
//! goyaml.v2's `Marshal` (libyaml's emitter: indent 2, width 80, unicode) prints for the same
//! Go values, which is what kustomize and kubectl print: keys in goyaml's natural order, its
//! choice of plain, single-quoted, double-quoted or literal style, its folding, block hints,
//! complex keys and escapes. Also kustomize's 70-column base64 wrapping of Secret data.
//!
//! One property is not the emitter's but kustomize's: it prints resources by marshalling
//! them to JSON and reading that JSON back as YAML before emitting. Go's JSON leaves U+0085
//! (NEL) raw, and a YAML 1.1 reader folds a raw NEL inside a double-quoted scalar into a
//! space; [`write_document`] applies that fold (`json_roundtrip`) to every string, so that
//! `a\u{85}b` prints as kustomize prints it, `a b`.

use std::borrow::Cow;
use std::cmp::Ordering;

use super::resolve::resolves_to_non_string;
use super::scalar::{self, Analysis, Flavour, Style, is_break};

fn analyze(s: &str) -> Analysis {
    scalar::analyze(s, Flavour::V2)
}

/// A YAML value to print. Map keys are sorted by the emitter (natural order); the order in
/// the Vec does not matter.
#[derive(Clone, Debug)]
pub enum Node<'a> {
    Str(Cow<'a, str>),
    Bool(bool),
    Null,
    /// A number read from YAML, printed as written.
    Number(Cow<'a, str>),
    Map(Vec<(Cow<'a, str>, Node<'a>)>),
    Seq(Vec<Node<'a>>),
}

impl Node<'_> {
    /// The same value borrowing every string from this one: a view to print, no text
    /// copied (a Secret's values are not duplicated to be printed).
    pub fn view(&self) -> Node<'_> {
        fn text(s: &str) -> Cow<'_, str> {
            Cow::Borrowed(s)
        }
        match self {
            Node::Str(s) => Node::Str(text(s)),
            Node::Bool(b) => Node::Bool(*b),
            Node::Null => Node::Null,
            Node::Number(s) => Node::Number(text(s)),
            Node::Map(m) => Node::Map(m.iter().map(|(k, v)| (text(k), v.view())).collect()),
            Node::Seq(s) => Node::Seq(s.iter().map(Node::view).collect()),
        }
    }
}

const BEST_WIDTH: usize = 80;
const BEST_INDENT: usize = 2;

/// Appends one document (no leading `---`, ends with `\n`) to `out`.
pub fn write_document(node: &Node<'_>, out: &mut Vec<u8>) {
    let mut w = Writer {
        out,
        column: 0,
        whitespace: true,
        indention: true,
    };
    match node {
        Node::Map(m) if !m.is_empty() => w.block_map(m, 0),
        Node::Seq(s) if !s.is_empty() => w.block_seq(s, 0),
        Node::Map(_) => w.indicator("{}", true, false, false),
        Node::Seq(_) => w.indicator("[]", true, false, false),
        scalar => w.value_scalar(scalar, 0),
    }
    if w.column > 0 {
        w.put_break();
    }
}

/// goyaml.v2's `keyList.Less` for strings as an [`Ordering`]: rune by rune; at the first
/// difference letters sort by code point, a non-letter sorts before a letter, and runs of
/// digits compare as numbers.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    if less(a, b) {
        Ordering::Less
    } else {
        Ordering::Greater
    }
}

fn less(a: &str, b: &str) -> bool {
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    let digit = |c: char| c.is_ascii_digit();
    for i in 0..ar.len().min(br.len()) {
        if ar[i] == br[i] {
            continue;
        }
        let al = ar[i].is_alphabetic();
        let bl = br[i].is_alphabetic();
        if al && bl {
            return ar[i] < br[i];
        }
        if al || bl {
            return bl;
        }
        let (mut an, mut bn): (i64, i64) = (0, 0);
        if ar[i] == '0' || br[i] == '0' {
            let mut j = i;
            while j > 0 && digit(ar[j - 1]) {
                j -= 1;
                if ar[j] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < ar.len() && digit(ar[ai]) {
            an = an
                .wrapping_mul(10)
                .wrapping_add(i64::from(ar[ai] as u8 - b'0'));
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && digit(br[bi]) {
            bn = bn
                .wrapping_mul(10)
                .wrapping_add(i64::from(br[bi] as u8 - b'0'));
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return ar[i] < br[i];
    }
    ar.len() < br.len()
}

/// kustomize's base64 of secret data: standard alphabet with padding, cut into 70-character
/// lines each followed by `\n` when the encoded text is 70 characters or longer.
pub fn wrapped_base64(bytes: &[u8], out: &mut String) {
    use base64::Engine;
    const LINE: usize = 70;
    let engine = &base64::engine::general_purpose::STANDARD;
    let len = base64::encoded_len(bytes.len(), true).unwrap_or(0);
    if len < LINE {
        out.reserve_exact(len);
        engine.encode_string(bytes, out);
        return;
    }
    // Sized exactly: every Secret value is held in this form until it is printed.
    let mut encoded = zeroize::Zeroizing::new(String::with_capacity(len));
    engine.encode_string(bytes, &mut encoded);
    out.reserve_exact(len + len.div_ceil(LINE));
    // base64 is ASCII: every line boundary is a char boundary.
    let mut rest: &str = &encoded;
    while !rest.is_empty() {
        let (line, next) = rest.split_at(LINE.min(rest.len()));
        out.push_str(line);
        out.push('\n');
        rest = next;
    }
}

/// What kustomize's JSON → YAML round trip does to a string before it is emitted: a raw
/// U+0085 inside a double-quoted scalar is a line break to a YAML 1.1 reader and is folded
/// (white space around it dropped; one break becomes a space, n breaks n-1 newlines).
pub fn json_roundtrip(s: &str) -> Cow<'_, str> {
    if !s.contains('\u{85}') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        // Go's JSON escapes tabs, so only spaces are raw blanks around a raw NEL.
        if chars[i] == ' ' || chars[i] == '\u{85}' {
            // Collect a run of spaces and NELs.
            let start = i;
            let mut breaks = 0;
            while i < chars.len() && (chars[i] == ' ' || chars[i] == '\u{85}') {
                if chars[i] == '\u{85}' {
                    breaks += 1;
                }
                i += 1;
            }
            if breaks == 0 {
                out.extend(&chars[start..i]);
            } else if breaks == 1 {
                out.push(' ');
            } else {
                out.extend(std::iter::repeat_n('\n', breaks - 1));
            }
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    Cow::Owned(out)
}

/// The style goyaml.v2 asks for a Go string (literal when multi-line, plain when it reads
/// back as the same string, double-quoted otherwise), then libyaml's choice.
fn choose_style(s: &str, a: &Analysis, simple_key: bool) -> Style {
    let wanted = if s.contains('\n') {
        Style::Literal
    } else if !resolves_to_non_string(s) {
        Style::Plain
    } else {
        Style::Double
    };
    scalar::select(s, wanted, a, simple_key)
}

struct Writer<'o> {
    out: &'o mut Vec<u8>,
    /// Characters on the current line.
    column: usize,
    whitespace: bool,
    indention: bool,
}

impl Writer<'_> {
    fn put(&mut self, c: u8) {
        self.out.push(c);
        self.column += 1;
    }

    fn put_char(&mut self, c: char) {
        let mut buf = [0u8; 4];
        self.out
            .extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.out.push(b'\n');
        self.column = 0;
    }

    fn write_indent(&mut self, indent: usize) {
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(b' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn indicator(
        &mut self,
        ind: &str,
        need_whitespace: bool,
        is_whitespace: bool,
        is_indention: bool,
    ) {
        if need_whitespace && !self.whitespace {
            self.put(b' ');
        }
        for c in ind.chars() {
            self.put_char(c);
        }
        self.whitespace = is_whitespace;
        self.indention = self.indention && is_indention;
    }

    fn block_map(&mut self, entries: &[(Cow<'_, str>, Node<'_>)], indent: usize) {
        let mut sorted: Vec<(Cow<'_, str>, &Node<'_>)> = entries
            .iter()
            .map(|(k, v)| (json_roundtrip(k), v))
            .collect();
        sorted.sort_by(|a, b| natural_cmp(&a.0, &b.0));
        for (key, value) in sorted {
            self.write_indent(indent);
            let a = analyze(&key);
            let simple = key.len() <= 128 && !a.multiline;
            if simple {
                self.scalar(&key, &a, indent + BEST_INDENT, true);
                self.indicator(":", false, false, false);
            } else {
                self.indicator("?", true, false, true);
                self.scalar(&key, &a, indent + BEST_INDENT, false);
                self.write_indent(indent);
                self.indicator(":", true, false, true);
            }
            self.map_value(value, indent);
        }
    }

    /// A value in a block mapping whose keys sit at `indent`.
    fn map_value(&mut self, value: &Node<'_>, indent: usize) {
        match value {
            Node::Map(m) if !m.is_empty() => self.block_map(m, indent + BEST_INDENT),
            // Sequences in a mapping are not indented (`key:\n- a`).
            Node::Seq(s) if !s.is_empty() => self.block_seq(s, indent),
            other => self.value_scalar(other, indent + BEST_INDENT),
        }
    }

    fn block_seq(&mut self, items: &[Node<'_>], indent: usize) {
        for item in items {
            self.write_indent(indent);
            self.indicator("-", true, false, true);
            match item {
                Node::Map(m) if !m.is_empty() => self.block_map(m, indent + BEST_INDENT),
                Node::Seq(s) if !s.is_empty() => self.block_seq(s, indent + BEST_INDENT),
                other => self.value_scalar(other, indent + BEST_INDENT),
            }
        }
    }

    /// A scalar (or an empty collection) as a value, its continuation lines at `indent`.
    fn value_scalar(&mut self, node: &Node<'_>, indent: usize) {
        match node {
            Node::Str(s) => {
                let s = json_roundtrip(s);
                let a = analyze(&s);
                self.scalar(&s, &a, indent, false);
            }
            Node::Bool(b) => self.plain(if *b { "true" } else { "false" }, indent, true),
            Node::Null => self.plain("null", indent, true),
            Node::Number(n) => self.plain(n, indent, true),
            Node::Map(_) => self.indicator("{}", true, false, false),
            Node::Seq(_) => self.indicator("[]", true, false, false),
        }
    }

    fn scalar(&mut self, s: &str, a: &Analysis, indent: usize, simple_key: bool) {
        match choose_style(s, a, simple_key) {
            Style::Plain => self.plain(s, indent, !simple_key),
            Style::Single => self.single_quoted(s, indent, !simple_key),
            Style::Double => self.double_quoted(s, indent, !simple_key),
            Style::Literal => self.literal(s, indent),
        }
    }

    fn plain(&mut self, s: &str, indent: usize, allow_breaks: bool) {
        if !self.whitespace {
            self.put(b' ');
        }
        let chars: Vec<char> = s.chars().collect();
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && chars.get(i + 1) != Some(&' ')
                {
                    self.write_indent(indent);
                } else {
                    self.put(b' ');
                }
                spaces = true;
            } else {
                self.put_char(c);
                self.indention = false;
                spaces = false;
            }
        }
        self.whitespace = false;
        self.indention = false;
    }

    fn single_quoted(&mut self, s: &str, indent: usize, allow_breaks: bool) {
        self.indicator("'", true, false, false);
        let chars: Vec<char> = s.chars().collect();
        let (mut spaces, mut breaks) = (false, false);
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && i > 0
                    && i + 1 < chars.len()
                    && chars[i + 1] != ' '
                {
                    self.write_indent(indent);
                } else {
                    self.put(b' ');
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                if c == '\n' {
                    self.put_break();
                } else {
                    self.put_char(c);
                    self.column = 0;
                }
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent(indent);
                }
                if c == '\'' {
                    self.put(b'\'');
                }
                self.put_char(c);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.indicator("'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn double_quoted(&mut self, s: &str, indent: usize, allow_breaks: bool) {
        self.indicator("\"", true, false, false);
        let starts_with_bom = s.starts_with('\u{feff}');
        let chars: Vec<char> = s.chars().collect();
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            // libyaml escapes every character of a text that starts with a BOM.
            if starts_with_bom || scalar::needs_escape(c) {
                let mut buf = [0; 10];
                for &b in scalar::escape(c, &mut buf).as_bytes() {
                    self.put(b);
                }
                spaces = false;
            } else if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && i != 0
                    && i + 1 != chars.len()
                {
                    self.write_indent(indent);
                    if chars.get(i + 1) == Some(&' ') {
                        self.put(b'\\');
                    }
                } else {
                    self.put(b' ');
                }
                spaces = true;
            } else {
                self.put_char(c);
                spaces = false;
            }
        }
        self.indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn literal(&mut self, s: &str, indent: usize) {
        self.indicator("|", true, false, false);
        // Block scalar hints: an explicit indent when the text starts with a space or a
        // break, `-` without a final break, `+` with more than one.
        let (indent_hint, chomp) = scalar::block_hints(s);
        if indent_hint {
            self.indicator("2", false, false, false);
        }
        if let Some(h) = chomp {
            self.indicator(h.encode_utf8(&mut [0; 4]), false, false, false);
        }
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        // Runs of characters between breaks are copied whole; a break is one of `\r`, `\n`
        // (ASCII) or U+0085, U+2028, U+2029 (multi-byte).
        let mut rest = s;
        while !rest.is_empty() {
            let bytes = rest.as_bytes();
            // An ASCII run ends at the first `\r` or `\n` (base64 lines: the common case).
            let ascii_end = first_break(bytes).unwrap_or(bytes.len());
            let (mut end, mut chars) = if bytes[..ascii_end].is_ascii() {
                (ascii_end, ascii_end)
            } else {
                (0, 0)
            };
            while end < bytes.len() && end != ascii_end {
                let b = bytes[end];
                if b == b'\n' || b == b'\r' {
                    break;
                }
                if b >= 0x80 {
                    let c = rest[end..].chars().next().unwrap_or_default();
                    if is_break(c) {
                        break;
                    }
                    end += c.len_utf8();
                } else {
                    end += 1;
                }
                chars += 1;
            }
            if end > 0 {
                // A run starts the text or follows a break: it is indented.
                self.write_indent(indent);
                self.out.extend_from_slice(&bytes[..end]);
                self.column += chars;
                self.indention = false;
            }
            let Some(c) = rest[end..].chars().next() else {
                break;
            };
            if c == '\n' {
                self.put_break();
            } else {
                self.put_char(c);
                self.column = 0;
            }
            self.indention = true;
            rest = &rest[end + c.len_utf8()..];
        }
    }
}

/// The first `\n` or `\r` in `bytes`.
fn first_break(bytes: &[u8]) -> Option<usize> {
    crate::search::find2(b'\n', b'\r', bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(entries: Vec<(&str, Node<'static>)>) -> String {
        let node = Node::Map(
            entries
                .into_iter()
                .map(|(k, v)| (Cow::Owned(k.to_string()), v))
                .collect(),
        );
        let mut out = Vec::new();
        write_document(&node, &mut out);
        String::from_utf8(out).unwrap()
    }

    fn value(s: &str) -> String {
        let d = doc(vec![("k", Node::Str(Cow::Owned(s.to_string())))]);
        d.strip_prefix("k:").unwrap().to_string()
    }

    #[test]
    fn first_break_finds_the_first_line_break_at_every_offset() {
        // Offsets on both sides of the SSE2 search's 16- and 64-byte blocks, either break
        // alone or both, and none at all.
        for len in [0, 1, 15, 16, 17, 31, 32, 63, 64, 65, 130] {
            assert_eq!(first_break(&vec![b'a'; len]), None, "len {len}");
            for at in 0..len {
                for (first, second) in [(b'\n', b'\n'), (b'\r', b'\r'), (b'\r', b'\n')] {
                    let mut bytes = vec![b'a'; len];
                    bytes[at] = first;
                    if at + 3 < len {
                        bytes[at + 3] = second;
                    }
                    assert_eq!(first_break(&bytes), Some(at), "len {len}, at {at}");
                }
            }
        }
    }

    #[test]
    fn natural_order() {
        let mut keys = vec![
            "zeta", "b10", "é", "a.b", "_under", "alpha", "Mid", "b9", "a-b", "~tilde", "A",
        ];
        keys.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            keys,
            [
                "_under", "~tilde", "A", "Mid", "a-b", "a.b", "alpha", "b9", "b10", "zeta", "é"
            ]
        );
        assert_eq!(natural_cmp("a", "ab"), Ordering::Less);
        assert_eq!(natural_cmp("key.2", "key.10"), Ordering::Less);
    }

    #[test]
    fn quoting_decisions() {
        for (s, want) in [
            ("plain", " plain\n"),
            ("true", " \"true\"\n"),
            ("y", " \"y\"\n"),
            ("yes", " \"yes\"\n"),
            ("NULL", " \"NULL\"\n"),
            ("", " \"\"\n"),
            ("1234", " \"1234\"\n"),
            ("1e10", " \"1e10\"\n"),
            ("+123", " \"+123\"\n"),
            ("0x123456", " \"0x123456\"\n"),
            ("0o17", " \"0o17\"\n"),
            ("017", " \"017\"\n"),
            ("019", " \"019\"\n"),
            ("1_000", " \"1_000\"\n"),
            (".inf", " \".inf\"\n"),
            ("-.5", " \"-.5\"\n"),
            ("2024-01-01", " \"2024-01-01\"\n"),
            ("2024-02-30", " 2024-02-30\n"),
            (
                "2001-12-14t21:59:43.10-05:00",
                " \"2001-12-14t21:59:43.10-05:00\"\n",
            ),
            ("1:30", " \"1:30\"\n"),
            ("0b101", " \"0b101\"\n"),
            ("0b-101", " \"0b-101\"\n"),
            ("-0b-1", " -0b-1\n"),
            ("1e400", " 1e400\n"),
            (".5e400", " .5e400\n"),
            ("99999999999999999999", " \"99999999999999999999\"\n"),
            ("0x10000000000000000", " 0x10000000000000000\n"),
            ("<<", " <<\n"),
            (" lead", " ' lead'\n"),
            ("trail ", " 'trail '\n"),
            ("a: b", " 'a: b'\n"),
            ("x:", " 'x:'\n"),
            ("#c", " '#c'\n"),
            ("a #b", " 'a #b'\n"),
            ("a#b", " a#b\n"),
            ("-", " '-'\n"),
            ("-x", " -x\n"),
            ("?q", " ?q\n"),
            ("'q", " '''q'\n"),
            ("it's", " it's\n"),
            ("say \"hi\"", " say \"hi\"\n"),
            ("C:\\path", " C:\\path\n"),
            ("=", " =\n"),
            ("a, b", " a, b\n"),
            ("é", " é\n"),
            ("a\u{a0}b", " a\u{a0}b\n"),
            ("key 🔑", " \"key \\U0001F511\"\n"),
            ("a\tb", " \"a\\tb\"\n"),
            ("a\u{1}b", " \"a\\x01b\"\n"),
            ("\u{feff}bom", " \"\\uFEFF\\x62\\x6F\\x6D\"\n"),
            ("a\u{85}b", " a b\n"),
            ("---x", " '---x'\n"),
        ] {
            assert_eq!(value(s), want, "{s:?}");
        }
    }

    #[test]
    fn literal_blocks() {
        assert_eq!(value("line1\nline2"), " |-\n  line1\n  line2\n");
        assert_eq!(value("line1\n"), " |\n  line1\n");
        assert_eq!(value("line1\n\n"), " |+\n  line1\n\n");
        assert_eq!(value("\n"), " |2+\n\n");
        assert_eq!(value("  indented\nnext"), " |2-\n    indented\n  next\n");
        assert_eq!(value("a\tb\nc"), " \"a\\tb\\nc\"\n");
        assert_eq!(value("trailing \nx"), " \"trailing \\nx\"\n");
    }

    #[test]
    fn folding_at_80_columns() {
        // As in corpus k/yaml-annotation-quoting: the key sits at column 4.
        let s = "this is a fairly long annotation value with many spaces that goes well beyond eighty columns of text";
        let inner = Node::Map(vec![("a19-long-sentence".into(), Node::Str(s.into()))]);
        let d = doc(vec![(
            "metadata",
            Node::Map(vec![("annotations".into(), inner)]),
        )]);
        assert_eq!(
            d,
            "metadata:\n  annotations:\n    a19-long-sentence: this is a fairly long annotation value with many spaces that\n      goes well beyond eighty columns of text\n"
        );
        let long = "x".repeat(120);
        assert_eq!(value(&long), format!(" {long}\n"));
    }

    #[test]
    fn complex_keys() {
        let k129 = "q".repeat(129);
        let d = doc(vec![(k129.as_str(), Node::Str("dg==".into()))]);
        assert_eq!(d, format!("? {k129}\n: dg==\n"));
        let k128 = "k".repeat(128);
        let d = doc(vec![(k128.as_str(), Node::Str("v".into()))]);
        assert_eq!(d, format!("{k128}: v\n"));
        let d = doc(vec![("a\u{2028}b", Node::Str("MQ==".into()))]);
        assert_eq!(d, "? 'a\u{2028}  b'\n: MQ==\n");
    }

    #[test]
    fn collections() {
        let d = doc(vec![
            ("data", Node::Map(vec![])),
            (
                "items",
                Node::Seq(vec![Node::Map(vec![
                    ("a".into(), Node::Str("1x".into())),
                    ("b".into(), Node::Null),
                ])]),
            ),
            ("empty", Node::Seq(vec![])),
            ("t", Node::Bool(true)),
        ]);
        assert_eq!(
            d,
            "data: {}\nempty: []\nitems:\n- a: 1x\n  b: null\nt: true\n"
        );
    }

    #[test]
    fn base64_wrapping() {
        let enc = |n: usize| {
            let mut s = String::new();
            wrapped_base64(&vec![b'a'; n], &mut s);
            s
        };
        assert_eq!(enc(51).len(), 68);
        assert!(!enc(51).contains('\n'));
        let e52 = enc(52);
        assert_eq!(e52.lines().map(str::len).collect::<Vec<_>>(), [70, 2]);
        assert!(e52.ends_with("==\n"));
        assert_eq!(enc(105).lines().map(str::len).collect::<Vec<_>>(), [70, 70]);
        assert!(enc(105).ends_with('\n') && !enc(105).ends_with("\n\n"));
        assert_eq!(
            enc(106).lines().map(str::len).collect::<Vec<_>>(),
            [70, 70, 4]
        );
        assert_eq!(enc(0), "");
        let d = doc(vec![(
            "data",
            Node::Map(vec![("k".into(), Node::Str(enc(52).into()))]),
        )]);
        assert!(d.starts_with("data:\n  k: |\n    "), "{d}");
    }
}
