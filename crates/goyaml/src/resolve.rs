//! goyaml.v2's resolver (YAML 1.1): what a plain scalar reads as.
//!
//! In: a scalar's text. Out: the tag goyaml.v2's `resolve` gives it — null, a boolean, an
//! int, a float, a timestamp, or a string. One port serves both directions: the reader asks
//! what a kustomization's plain `yes` is (a boolean, as kustomize reads it), the emitter asks
//! whether a string printed plain would read back as something else (then it quotes it).
//!
//! Numbers follow Go's `strconv`: `ParseInt`/`ParseUint` with base 0 (prefixes `0x`, `0o`,
//! `0b` in either case, a leading `0` for octal) on the text with underscores removed, then
//! the YAML float pattern, then goyaml.v2's own `0b`/`-0b` branch; a text starting with `.`
//! goes to `ParseFloat` as written (which takes underscores between digits). A float that
//! overflows (`1e400`) is a `ParseFloat` error, so a string.

/// The YAML 1.1 booleans goyaml.v2 reads as `true`.
pub const TRUE: [&str; 11] = [
    "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON",
];

/// The YAML 1.1 booleans goyaml.v2 reads as `false`.
pub const FALSE: [&str; 11] = [
    "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF",
];

const NULL: [&str; 5] = ["", "~", "null", "Null", "NULL"];

const SPECIAL_FLOATS: [&str; 12] = [
    ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf",
    "-.INF",
];

/// Whether `s` is one of the YAML 1.1 booleans, either value.
pub fn is_bool(s: &str) -> bool {
    TRUE.contains(&s) || FALSE.contains(&s)
}

/// Whether `s` is one of the YAML 1.1 spellings of `true`.
pub fn is_true(s: &str) -> bool {
    TRUE.contains(&s)
}

/// The tag goyaml.v2's `resolve` gives a scalar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tag {
    Null,
    Bool,
    Int,
    Float,
    Timestamp,
    Str,
}

/// `resolve("", s)`: an untagged plain scalar.
pub fn resolve(s: &str) -> Tag {
    resolve_with(s, true)
}

/// `resolve(tag, s)` for an explicit `!!null`, `!!bool`, `!!int` or `!!float` tag: the same,
/// except that timestamps are not tried (goyaml.v2 tries them only untagged).
pub fn resolve_tagged(s: &str) -> Tag {
    resolve_with(s, false)
}

/// Whether goyaml.v2 accepts a scalar that resolves to `got` under the explicit tag `want`:
/// the same tag, or an int under `!!float`.
pub fn tag_fits(want: Tag, got: Tag) -> bool {
    got == want || (want == Tag::Float && got == Tag::Int)
}

fn resolve_with(s: &str, timestamps: bool) -> Tag {
    let Some(&first) = s.as_bytes().first() else {
        return Tag::Null;
    };
    // goyaml.v2's `resolveTable` hint: only these first bytes can make a non-string.
    match first {
        b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~' => {
            if is_bool(s) {
                Tag::Bool
            } else if NULL.contains(&s) {
                Tag::Null
            } else {
                Tag::Str
            }
        }
        b'.' => {
            if SPECIAL_FLOATS.contains(&s) || go_parse_dot_float(s) {
                Tag::Float
            } else {
                Tag::Str
            }
        }
        b'+' | b'-' | b'0'..=b'9' => {
            if SPECIAL_FLOATS.contains(&s) {
                Tag::Float
            } else if timestamps && is_timestamp(s) {
                Tag::Timestamp
            } else {
                int_or_float(s)
            }
        }
        _ => Tag::Str,
    }
}

/// The 'D'/'S' branch of goyaml.v2's `resolve`, on the text with underscores removed:
/// `ParseInt(_, 0, 64)`, `ParseUint(_, 0, 64)`, the YAML float pattern, then `0b`/`-0b`.
fn int_or_float(s: &str) -> Tag {
    let plain: String = s.chars().filter(|&c| c != '_').collect();
    if go_parse_int(&plain, 0) {
        return Tag::Int;
    }
    if yaml_style_float(&plain) && finite(&plain) {
        return Tag::Float;
    }
    if let Some(rest) = plain.strip_prefix("0b") {
        if go_parse_int(rest, 2) {
            return Tag::Int;
        }
    } else if let Some(rest) = plain.strip_prefix("-0b")
        && go_parse_int(&format!("-{rest}"), 2)
    {
        return Tag::Int;
    }
    Tag::Str
}

/// Go's `strconv.ParseInt(s, base, 64)` or, failing that, `ParseUint(s, base, 64)` succeeds
/// (no underscores: the caller removed them). `base` is 0 (prefix decides) or 2.
fn go_parse_int(s: &str, base: u32) -> bool {
    let (sign, body) = match s.as_bytes().first() {
        Some(b'-') => (Some(true), &s[1..]),
        Some(b'+') => (Some(false), &s[1..]),
        _ => (None, s),
    };
    let (digits, radix) = if base != 0 {
        (body, base)
    } else if let Some(h) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
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
    let Ok(v) = u64::from_str_radix(digits, radix) else {
        return false;
    };
    match sign {
        // ParseInt's range; ParseUint takes no sign.
        Some(true) => v <= 1u64 << 63,
        Some(false) => v <= i64::MAX as u64,
        None => true,
    }
}

/// Go's `strconv.ParseFloat(s, 64)` on a text starting with `.`: `.` and digits, an optional
/// exponent, underscores only between two digits; an overflow is an error.
fn go_parse_dot_float(s: &str) -> bool {
    let b = s.as_bytes();
    // Digits with single underscores between them, from `i`: the count of digits.
    let digits = |i: &mut usize| {
        let mut n = 0;
        while *i < b.len() {
            match b[*i] {
                b'0'..=b'9' => n += 1,
                b'_' if n > 0 && b.get(*i + 1).is_some_and(u8::is_ascii_digit) => {}
                _ => break,
            }
            *i += 1;
        }
        n
    };
    let mut i = 1;
    if digits(&mut i) == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len() && finite(&s.replace('_', ""))
}

/// strconv.ParseFloat fails with ErrRange on overflow (`1e400`): then it is no float.
fn finite(s: &str) -> bool {
    s.parse::<f64>().is_ok_and(f64::is_finite)
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`, the float pattern of goyaml.v2
/// and go-yaml v3.
pub fn yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |i: &mut usize| {
        let st = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - st
    };
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            digits(&mut i);
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`: the encoders of goyaml.v2 and go-yaml
/// v3 quote such a string (`isBase60Float`), though neither reads it as a number.
pub fn is_base60_float(s: &str) -> bool {
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
        // [0-5]?[0-9]: one digit, or two with the first at most 5. Two with a larger first
        // digit match one, and the second can only fail what follows.
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() && i - start < 2 {
            i += 1;
        }
        match i - start {
            1 => {}
            2 if b[start] <= b'5' => {}
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

/// A timestamp as goyaml.v2 and go-yaml v3 read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timestamp<'a> {
    pub year: u32,
    pub month: u32,
    pub day: u32,
    pub time: Option<TimeOfDay<'a>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeOfDay<'a> {
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    /// The digits after `.`, as written (empty without a fraction).
    pub fraction: &'a str,
    pub zone: Zone,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Zone {
    /// The `2006-1-2 15:4:5` form, which has none (UTC).
    None,
    /// `Z`.
    Utc,
    /// `+hh:mm` or `-hh:mm`.
    Offset {
        negative: bool,
        hours: u32,
        minutes: u32,
    },
}

/// The timestamp layouts of goyaml.v2's `parseTimestamp`, as Go's `time.Parse` accepts them:
/// `2006-1-2T15:4:5.999999999Z07:00` (`t` too), `2006-1-2 15:4:5.999999999` and `2006-1-2`.
pub fn parse_timestamp(s: &str) -> Option<Timestamp<'_>> {
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
    let expect = |i: &mut usize, c: u8| -> Option<()> { (b.get(*i) == Some(&c)).then(|| *i += 1) };
    let mut i = 0;
    let year = num(&mut i, 4, 4)?;
    expect(&mut i, b'-')?;
    let month = num(&mut i, 1, 2)?;
    expect(&mut i, b'-')?;
    let day = num(&mut i, 1, 2)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let date = |time| Timestamp {
        year,
        month,
        day,
        time,
    };
    if i == b.len() {
        return Some(date(None));
    }
    let zoned = match b[i] {
        b'T' | b't' => true,
        b' ' => false,
        _ => return None,
    };
    i += 1;
    let hour = num(&mut i, 1, 2)?;
    expect(&mut i, b':')?;
    let minute = num(&mut i, 1, 2)?;
    expect(&mut i, b':')?;
    let second = num(&mut i, 1, 2)?;
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut fraction = "";
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return None;
        }
        fraction = &s[start..i];
    }
    let zone = if !zoned {
        Zone::None
    } else {
        match b.get(i) {
            Some(b'Z') => {
                i += 1;
                Zone::Utc
            }
            Some(&c @ (b'+' | b'-')) => {
                i += 1;
                let hours = num(&mut i, 2, 2)?;
                expect(&mut i, b':')?;
                let minutes = num(&mut i, 2, 2)?;
                if hours > 23 || minutes > 59 {
                    return None;
                }
                Zone::Offset {
                    negative: c == b'-',
                    hours,
                    minutes,
                }
            }
            _ => return None,
        }
    };
    (i == b.len()).then(|| {
        date(Some(TimeOfDay {
            hour,
            minute,
            second,
            fraction,
            zone,
        }))
    })
}

pub fn is_timestamp(s: &str) -> bool {
    parse_timestamp(s).is_some()
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

/// What a scalar of the reader's tree resolves to, reduced to what callers tell apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolved {
    Null,
    Bool,
    Int,
    Float,
    Str,
}

impl Resolved {
    pub fn describe(self) -> &'static str {
        match self {
            Resolved::Null => "null",
            Resolved::Bool => "a boolean",
            Resolved::Int => "a number",
            Resolved::Float => "a number",
            Resolved::Str => "a string",
        }
    }
}

impl From<Tag> for Resolved {
    /// A timestamp is a string: goyaml.v2 decodes one into `interface{}` (and so into
    /// kustomize's JSON) as the text it is.
    fn from(tag: Tag) -> Self {
        match tag {
            Tag::Null => Resolved::Null,
            Tag::Bool => Resolved::Bool,
            Tag::Int => Resolved::Int,
            Tag::Float => Resolved::Float,
            Tag::Timestamp | Tag::Str => Resolved::Str,
        }
    }
}

/// goyaml.v2's resolution of an untagged plain scalar, as the reader's tree uses it.
pub fn resolve_plain(s: &str) -> Resolved {
    resolve(s).into()
}

/// Would goyaml.v2 read this string, printed plain, back as something other than a string?
/// Then its encoder quotes it (`encode.go` `stringv`: `resolve` plus `isBase60Float`).
pub fn resolves_to_non_string(s: &str) -> bool {
    resolve(s) != Tag::Str || is_base60_float(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each value was checked against kubectl v1.34's `kubectl kustomize` (goyaml.v2 via
    /// sigs.k8s.io/yaml): as a plain `commonAnnotations` value, a number is refused with
    /// "json: cannot unmarshal number into Go struct field", a string is accepted; quoted,
    /// a number-like string is printed double-quoted, a string plain.
    #[test]
    fn numbers_as_kubectl_reads_them() {
        for s in [
            "0B101", "0O17", "0b101", "0o1_7", "0x_1F", "1_000", "1__0", "1_", "+0b1", "0b-101",
        ] {
            assert_eq!(resolve(s), Tag::Int, "{s}");
        }
        // Not ints to ParseInt/ParseUint, but floats by the pattern (or, from `.`,
        // ParseFloat, which takes underscores between digits).
        for s in [
            "1_000.5",
            "08",
            "99999999999999999999",
            "-9223372036854775809",
            "1e1_0",
            "+.5",
            "0.",
            ".5_0",
            ".5e1_0",
        ] {
            assert_eq!(resolve(s), Tag::Float, "{s}");
        }
        // Overflowing every reading, a hexadecimal float, and misplaced underscores:
        // strings.
        for s in [
            "0x10000000000000000",
            "1e400",
            "0x1.8p1",
            "0x1p-2",
            "1.5e",
            "._5",
            "_1",
            "-0b-1",
            // ParseInt's range is exceeded and ParseUint takes no sign.
            "+0x8000000000000000",
            "0b+1111111111111111111111111111111111111111111111111111111111111111",
        ] {
            assert_eq!(resolve(s), Tag::Str, "{s}");
        }
        // Base 60 is no number on reading (kubectl accepts `1:30` as a string), but the
        // encoder quotes it.
        assert_eq!(resolve("1:30"), Tag::Str);
        assert!(resolves_to_non_string("1:30"));
        // Quoted strings printed: `".5_0"` and `"+9223372036854775808"` quoted,
        // `+0x8000000000000000` plain (kubectl and kustomize v5.8.2 alike).
        assert!(resolves_to_non_string(".5_0"));
        assert!(resolves_to_non_string("+9223372036854775808"));
        assert!(!resolves_to_non_string("+0x8000000000000000"));
    }

    #[test]
    fn timestamps_only_untagged() {
        assert_eq!(resolve("2001-12-14"), Tag::Timestamp);
        assert_eq!(resolve_plain("2001-12-14"), Resolved::Str);
        assert_eq!(resolve_tagged("2001-12-14"), Tag::Str);
        assert_eq!(resolve("2024-02-30"), Tag::Str);
        assert!(is_timestamp("2001-12-14t21:59:43.10-05:00"));
        assert!(!is_timestamp("2001-12-14T21:59:43"));
    }

    /// `!!int 1.5` and `!!int 1e3` are refused by kubectl ("cannot decode !!float `1.5` as
    /// a !!int"); `!!float 0x10` and `!!float 1_000` are numbers.
    #[test]
    fn explicit_tags() {
        assert!(!tag_fits(Tag::Int, resolve_tagged("1.5")));
        assert!(!tag_fits(Tag::Int, resolve_tagged("1e3")));
        assert!(tag_fits(Tag::Float, resolve_tagged("0x10")));
        assert!(tag_fits(Tag::Float, resolve_tagged("1_000")));
        assert!(!tag_fits(Tag::Float, resolve_tagged("1e400")));
    }

    #[test]
    fn one_boolean_list() {
        for s in TRUE {
            assert!(is_true(s) && is_bool(s) && resolve(s) == Tag::Bool, "{s}");
        }
        for s in FALSE {
            assert!(!is_true(s) && is_bool(s) && resolve(s) == Tag::Bool, "{s}");
        }
        for s in ["yES", "tRUE", "Y ", "0", "1"] {
            assert!(!is_bool(s), "{s}");
        }
    }

    #[test]
    fn base60() {
        assert!(is_base60_float("1:20"));
        assert!(is_base60_float("-1_0:59.5"));
        assert!(!is_base60_float("1:60"));
        assert!(!is_base60_float("1:2a"));
        assert!(!is_base60_float("1:123"));
    }
}
