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
//! space; [`write_document`] applies that fold ([`json_roundtrip`]) to every string, so that
//! `a\u{85}b` prints as kustomize prints it, `a b`.

use std::borrow::Cow;
use std::cmp::Ordering;

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
    for chunk in encoded.as_bytes().chunks(LINE) {
        // base64 is ASCII, so every chunk boundary is a char boundary.
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
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

/// Scalar styles libyaml writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

/// libyaml's `yaml_emitter_analyze_scalar`, reduced to what style selection needs.
#[derive(Debug, PartialEq, Eq)]
struct Analysis {
    multiline: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// libyaml's `is_printable` on the character's UTF-8 encoding.
fn is_printable(c: char) -> bool {
    let v = c as u32;
    v == 0x0A
        || (0x20..=0x7E).contains(&v)
        || (0xA0..=0xD7FF).contains(&v)
        || ((0xE000..=0xFFFD).contains(&v) && v != 0xFEFF)
}

fn analyze(s: &str) -> Analysis {
    if s.is_empty() {
        return Analysis {
            multiline: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    // Fast path for the common case, base64 data (letters, digits, `+/=`, line breaks):
    // no indicator, space or unprintable character can occur, so only the breaks matter.
    // `analyze_chars` gives the same result, one character at a time.
    const BASE64: [bool; 256] = {
        let mut t = [false; 256];
        let mut b = 0;
        while b < 256 {
            let c = b as u8;
            t[b] = c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=' | b'\n');
            b += 1;
        }
        t
    };
    if s.bytes().all(|b| BASE64[b as usize]) {
        let line_breaks = s.contains('\n');
        return Analysis {
            multiline: line_breaks,
            block_plain_allowed: !line_breaks,
            single_quoted_allowed: true,
            block_allowed: true,
        };
    }
    analyze_chars(s)
}

fn analyze_chars(s: &str) -> Analysis {
    let mut block_indicators = s.starts_with("---") || s.starts_with("...");
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break, mut previous_space, mut previous_break) =
        (false, false, false, false);
    let (mut line_breaks, mut special) = (false, false);
    let mut preceded_by_whitespace = true;
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    for (i, &c) in chars.iter().enumerate() {
        let next = chars.get(i + 1).copied();
        let followed_by_whitespace = next.is_none_or(|d| d == ' ' || d == '\t' || is_break(d));
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => {
                    block_indicators = true;
                }
                '?' | ':' | '-' if followed_by_whitespace => block_indicators = true,
                _ => {}
            }
        } else {
            match c {
                ':' if followed_by_whitespace => block_indicators = true,
                '#' if preceded_by_whitespace => block_indicators = true,
                _ => {}
            }
        }
        if !is_printable(c) {
            special = true;
        }
        if c == ' ' {
            if i == 0 {
                leading_space = true;
            }
            if i + 1 == n {
                trailing_space = true;
            }
            if previous_break {
                break_space = true;
            }
            previous_space = true;
            previous_break = false;
        } else if is_break(c) {
            line_breaks = true;
            if i == 0 {
                leading_break = true;
            }
            if i + 1 == n {
                trailing_break = true;
            }
            if previous_space {
                space_break = true;
            }
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = c == ' ' || c == '\t' || is_break(c) || c == '\0';
    }
    let mut a = Analysis {
        multiline: line_breaks,
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
        a.block_allowed = false;
    }
    if line_breaks || block_indicators {
        a.block_plain_allowed = false;
    }
    a
}

/// Would goyaml.v2 read this plain text back as something other than a string? Then it
/// quotes it (`encode.go` `stringv`: `resolve` plus `isBase60Float`).
pub fn resolves_to_non_string(s: &str) -> bool {
    let Some(&first) = s.as_bytes().first() else {
        return true; // "" is null
    };
    match first {
        b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~' => matches!(
            s,
            "y" | "Y"
                | "yes"
                | "Yes"
                | "YES"
                | "true"
                | "True"
                | "TRUE"
                | "on"
                | "On"
                | "ON"
                | "n"
                | "N"
                | "no"
                | "No"
                | "NO"
                | "false"
                | "False"
                | "FALSE"
                | "off"
                | "Off"
                | "OFF"
                | "~"
                | "null"
                | "Null"
                | "NULL"
        ),
        b'.' => {
            matches!(s, ".nan" | ".NaN" | ".NAN" | ".inf" | ".Inf" | ".INF")
                || (is_dot_float(s) && finite(s))
        }
        b'+' | b'-' | b'0'..=b'9' => {
            matches!(s, "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF")
                || is_timestamp(s)
                || is_go_int_or_yaml_float(s)
                || is_base60_float(s)
        }
        _ => false,
    }
}

/// goyaml.v2's `resolve` on a plain scalar starting with a digit, a sign or `.`: does it
/// read as a number (an int by `strconv.ParseInt`/`ParseUint` with base prefixes in either
/// case and underscores dropped, or a finite float)? Timestamps, which it reads as strings
/// when decoding into an interface, are not numbers.
pub fn plain_is_number(s: &str) -> bool {
    match s.as_bytes().first() {
        Some(b'.') => is_dot_float(s) && finite(s),
        Some(b'+' | b'-' | b'0'..=b'9') => is_go_int_or_yaml_float(s),
        _ => false,
    }
}

/// strconv.ParseFloat on text starting with `.`: `\.[0-9]+([eE][-+]?[0-9]+)?`, underscores
/// not allowed.
fn is_dot_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 1;
    let start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i == start {
        return false;
    }
    exponent_to_end(b, i)
}

fn exponent_to_end(b: &[u8], mut i: usize) -> bool {
    if i == b.len() {
        return true;
    }
    if b[i] != b'e' && b[i] != b'E' {
        return false;
    }
    i += 1;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    i > start && i == b.len()
}

/// The 'D'/'S' branch of goyaml.v2's resolve: ParseInt(base 0) / ParseUint / the YAML float
/// pattern / `0b` binary, on the text with underscores removed.
fn is_go_int_or_yaml_float(s: &str) -> bool {
    let plain: String = s.chars().filter(|&c| c != '_').collect();
    let (neg, body) = match plain.as_bytes().first() {
        Some(b'-') => (true, &plain[1..]),
        Some(b'+') => (false, &plain[1..]),
        _ => (false, &plain[..]),
    };
    if parses_go_int(body, neg) || (yaml_style_float(&plain) && finite(&plain)) {
        return true;
    }
    // strconv.ParseInt(rest, 2, 64) (or ParseUint), which takes a sign of its own.
    let binary = |rest: &str, neg: bool| {
        let (neg, digits) = match rest.as_bytes().first() {
            Some(b'-') if !neg => (true, &rest[1..]),
            Some(b'+') if !neg => (false, &rest[1..]),
            _ => (neg, rest),
        };
        !digits.is_empty()
            && digits.bytes().all(|c| c == b'0' || c == b'1')
            && u64::from_str_radix(digits, 2).is_ok_and(|v| !neg || v <= 1u64 << 63)
    };
    if let Some(rest) = plain.strip_prefix("0b") {
        return binary(rest, false);
    }
    if let Some(rest) = plain.strip_prefix("-0b") {
        return !rest.starts_with(['-', '+']) && binary(rest, true);
    }
    false
}

/// strconv.ParseFloat fails with ErrRange on overflow (`1e400`): then it is no float.
fn finite(s: &str) -> bool {
    s.parse::<f64>().is_ok_and(f64::is_finite)
}

/// strconv.ParseInt(s, 0, 64) or ParseUint(s, 0, 64) succeeds (sign already split off).
fn parses_go_int(body: &str, neg: bool) -> bool {
    let (digits, radix) =
        if let Some(h) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
            (h, 16)
        } else if let Some(o) = body.strip_prefix("0o").or_else(|| body.strip_prefix("0O")) {
            (o, 8)
        } else if let Some(b) = body.strip_prefix("0b").or_else(|| body.strip_prefix("0B")) {
            (b, 2)
        } else if body.len() > 1 && body.starts_with('0') {
            (&body[1..], 8)
        } else {
            (body, 10)
        };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return false;
    }
    match u64::from_str_radix(digits, radix) {
        Ok(v) => !neg || v <= 1u64 << 63,
        Err(_) => false,
    }
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    } else {
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
        }
    }
    exponent_to_end(b, i)
}

/// `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`
fn is_base60_float(s: &str) -> bool {
    let b = s.as_bytes();
    if !s.contains(':') {
        return false;
    }
    let mut i = 0;
    if b[0] == b'+' || b[0] == b'-' {
        i += 1;
    }
    if i >= b.len() || !b[i].is_ascii_digit() {
        return false;
    }
    i += 1;
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while i < b.len() && b[i] == b':' {
        i += 1;
        // [0-5]?[0-9]
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() && i - start < 2 {
            i += 1;
        }
        match i - start {
            1 => {}
            2 if b[start] <= b'5' => {}
            2 => {
                // `[0-5]?` failed on the first digit: only one digit matched; the second is
                // left for what follows (and can only fail there).
                i = start + 1;
            }
            _ => return false,
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

/// goyaml.v2's `parseTimestamp`: `YYYY-M-D`, optionally followed by `T`/`t`/space and
/// `h:m:s` with an optional fraction, and (with `T`/`t`) `Z` or `±hh:mm`, as Go's
/// `time.Parse` accepts them for its four layouts.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let num = |i: &mut usize, min: usize, max: usize| -> Option<u32> {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() && *i - start < max {
            *i += 1;
        }
        if *i - start < min {
            return None;
        }
        s[start..*i].parse().ok()
    };
    let mut i = 0;
    let Some(year) = num(&mut i, 4, 4) else {
        return false;
    };
    if i >= b.len() || b[i] != b'-' {
        return false;
    }
    i += 1;
    let Some(month) = num(&mut i, 1, 2) else {
        return false;
    };
    if i >= b.len() || b[i] != b'-' {
        return false;
    }
    i += 1;
    let Some(day) = num(&mut i, 1, 2) else {
        return false;
    };
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return false;
    }
    if i == b.len() {
        return true;
    }
    let sep = b[i];
    if sep != b'T' && sep != b't' && sep != b' ' {
        return false;
    }
    i += 1;
    let Some(h) = num(&mut i, 1, 2) else {
        return false;
    };
    if i >= b.len() || b[i] != b':' {
        return false;
    }
    i += 1;
    let Some(m) = num(&mut i, 1, 2) else {
        return false;
    };
    if i >= b.len() || b[i] != b':' {
        return false;
    }
    i += 1;
    let Some(sec) = num(&mut i, 1, 2) else {
        return false;
    };
    if h > 23 || m > 59 || sec > 59 {
        return false;
    }
    if i < b.len() && b[i] == b'.' {
        let start = i + 1;
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    if sep == b' ' {
        return i == b.len();
    }
    if i == b.len() {
        return false;
    }
    if b[i] == b'Z' {
        return i + 1 == b.len();
    }
    if b[i] != b'+' && b[i] != b'-' {
        return false;
    }
    i += 1;
    let Some(zh) = num(&mut i, 2, 2) else {
        return false;
    };
    if i >= b.len() || b[i] != b':' {
        return false;
    }
    i += 1;
    let Some(zm) = num(&mut i, 2, 2) else {
        return false;
    };
    zh <= 23 && zm <= 59 && i == b.len()
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        _ => 31,
    }
}

/// The style goyaml.v2 and libyaml choose for a Go string.
fn choose_style(s: &str, a: &Analysis, simple_key: bool) -> Style {
    let mut style = if s.contains('\n') {
        Style::Literal
    } else if !resolves_to_non_string(s) {
        Style::Plain
    } else {
        Style::Double
    };
    if simple_key && a.multiline {
        style = Style::Double;
    }
    if style == Style::Plain && (!a.block_plain_allowed || (s.is_empty() && simple_key)) {
        style = Style::Single;
    }
    if style == Style::Single && !a.single_quoted_allowed {
        style = Style::Double;
    }
    if style == Style::Literal && (!a.block_allowed || simple_key) {
        style = Style::Double;
    }
    style
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
            if !is_printable(c) || starts_with_bom || is_break(c) || c == '"' || c == '\\' {
                self.put(b'\\');
                match c {
                    '\0' => self.put(b'0'),
                    '\u{7}' => self.put(b'a'),
                    '\u{8}' => self.put(b'b'),
                    '\t' => self.put(b't'),
                    '\n' => self.put(b'n'),
                    '\u{b}' => self.put(b'v'),
                    '\u{c}' => self.put(b'f'),
                    '\r' => self.put(b'r'),
                    '\u{1b}' => self.put(b'e'),
                    '"' => self.put(b'"'),
                    '\\' => self.put(b'\\'),
                    '\u{85}' => self.put(b'N'),
                    '\u{a0}' => self.put(b'_'),
                    '\u{2028}' => self.put(b'L'),
                    '\u{2029}' => self.put(b'P'),
                    _ => {
                        let v = c as u32;
                        let (letter, width) = if v <= 0xFF {
                            (b'x', 2)
                        } else if v <= 0xFFFF {
                            (b'u', 4)
                        } else {
                            (b'U', 8)
                        };
                        self.put(letter);
                        for k in (0..width).rev() {
                            let digit = ((v >> (k * 4)) & 0xF) as u8;
                            self.put(if digit < 10 {
                                b'0' + digit
                            } else {
                                b'A' + digit - 10
                            });
                        }
                    }
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
        let first = s.chars().next();
        if first.is_some_and(|c| c == ' ' || is_break(c)) {
            self.indicator("2", false, false, false);
        }
        let mut rev = s.chars().rev();
        let chomp = match (rev.next(), rev.next()) {
            (None, _) => Some("-"),
            (Some(last), _) if !is_break(last) => Some("-"),
            (Some(_), None) => Some("+"),
            (Some(_), Some(prev)) if is_break(prev) => Some("+"),
            _ => None,
        };
        if let Some(h) = chomp {
            self.indicator(h, false, false, false);
        }
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        // Runs of characters between breaks are copied whole; a break is one of `\r`, `\n`
        // (ASCII) or U+0085, U+2028, U+2029 (multi-byte).
        let mut rest = s;
        while !rest.is_empty() {
            let bytes = rest.as_bytes();
            let mut end = 0;
            let mut chars = 0;
            while end < bytes.len() {
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
    fn analysis_fast_path_agrees_with_the_character_loop() {
        let mut cases: Vec<String> = ["A", "=", "+/", "\n", "a\n", "\nb", "a\nb", "\n\n", "0"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        for n in [1, 51, 52, 53, 105, 300] {
            let mut b = String::new();
            wrapped_base64(&vec![0xfb; n], &mut b);
            cases.push(b);
        }
        for s in &cases {
            assert_eq!(analyze(s), analyze_chars(s), "{s:?}");
        }
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
