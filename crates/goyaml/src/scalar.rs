//! libyaml's scalar analysis and style choice, shared by both emitters: goyaml.v2's
//! ([`super::emit`], kustomize's output) and go-yaml v3's (`sops::yaml`, sops' files).
//!
//! In: a scalar's text. Out: which styles it allows (`yaml_emitter_analyze_scalar`), the
//! style the emitter settles on (`yaml_emitter_select_scalar_style`), its escapes in double
//! quotes and its block-scalar header. Where go-yaml v3 changed libyaml's rules, the
//! [`Flavour`] says which applies: v3 looks only at blanks (not breaks) after an indicator,
//! and lets a tab stay in a literal block where v2 counts it as a special character.

/// Scalar styles the emitters write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

/// Which emitter's analysis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavour {
    /// goyaml.v2 (libyaml as ported in 2014).
    V2,
    /// go-yaml v3.
    V3,
}

/// `yaml_emitter_analyze_scalar`, reduced to what style selection needs.
#[derive(Debug, PartialEq, Eq)]
pub struct Analysis {
    pub multiline: bool,
    pub block_plain_allowed: bool,
    pub single_quoted_allowed: bool,
    pub block_allowed: bool,
}

pub fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// libyaml's `is_printable` on the character's UTF-8 encoding (a tab is not).
pub fn is_printable(c: char) -> bool {
    let v = c as u32;
    v == 0x0A
        || (0x20..=0x7E).contains(&v)
        || (0xA0..=0xD7FF).contains(&v)
        || ((0xE000..=0xFFFD).contains(&v) && v != 0xFEFF)
}

pub fn analyze(s: &str, flavour: Flavour) -> Analysis {
    if s.is_empty() {
        return Analysis {
            multiline: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    // Fast path for the common case, base64 data (letters, digits, `+/=`, line breaks):
    // no indicator, blank or unprintable character can occur, so only the breaks matter.
    // `analyze_chars` gives the same result, one character at a time, in either flavour.
    if is_base64_text(s.as_bytes()) {
        let line_breaks = s.contains('\n');
        return Analysis {
            multiline: line_breaks,
            block_plain_allowed: !line_breaks,
            single_quoted_allowed: true,
            block_allowed: true,
        };
    }
    analyze_chars(s, flavour)
}

/// Whether every byte is a letter, a digit, `+`, `/`, `=` or a line feed. Each block of bytes
/// is judged without a branch per byte (the compiler compares a vector at a time).
fn is_base64_text(s: &[u8]) -> bool {
    fn one(b: u8) -> bool {
        (b.wrapping_sub(b'0') < 10)
            | ((b | 0x20).wrapping_sub(b'a') < 26)
            | (b == b'+')
            | (b == b'/')
            | (b == b'=')
            | (b == b'\n')
    }
    const BLOCK: usize = 64;
    let blocks = s.chunks_exact(BLOCK);
    let rest = blocks.remainder();
    blocks.into_iter().all(|b| {
        <&[u8; BLOCK]>::try_from(b).is_ok_and(|b| b.iter().fold(true, |all, &c| all & one(c)))
    }) && rest.iter().all(|&c| one(c))
}

/// The character loop of `yaml_emitter_analyze_scalar` (block context). Reads the text in
/// place: it may be a secret value.
fn analyze_chars(s: &str, flavour: Flavour) -> Analysis {
    let mut block_indicators = s.starts_with("---") || s.starts_with("...");
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break, mut previous_space, mut previous_break) =
        (false, false, false, false);
    let (mut line_breaks, mut special, mut tabs) = (false, false, false);
    let mut preceded_by_whitespace = true;
    let mut chars = s.chars().peekable();
    let mut first = true;
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        let last = next.is_none();
        let followed_by_whitespace =
            next.is_none_or(|d| d == ' ' || d == '\t' || (flavour == Flavour::V2 && is_break(d)));
        if first {
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
        if c == '\t' && flavour == Flavour::V3 {
            tabs = true;
        } else if !is_printable(c) {
            special = true;
        }
        if c == ' ' {
            leading_space |= first;
            trailing_space |= last;
            break_space |= previous_break;
            previous_space = true;
            previous_break = false;
        } else if is_break(c) {
            line_breaks = true;
            leading_break |= first;
            trailing_break |= last;
            space_break |= previous_space;
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace =
            c == ' ' || c == '\t' || is_break(c) || (flavour == Flavour::V2 && c == '\0');
        first = false;
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
    // In v2 a tab is special; in v3 it still allows a literal block.
    if space_break || tabs || special {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special {
        a.block_allowed = false;
    }
    if line_breaks || block_indicators {
        a.block_plain_allowed = false;
    }
    a
}

/// `yaml_emitter_select_scalar_style`: the style the emitter writes for `s`, given the one
/// its encoder asked for.
pub fn select(s: &str, wanted: Style, a: &Analysis, simple_key: bool) -> Style {
    let mut style = wanted;
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

/// Whether a character is escaped inside double quotes.
pub fn needs_escape(c: char) -> bool {
    !is_printable(c) || is_break(c) || c == '"' || c == '\\'
}

/// A character's escape inside double quotes (`\n`, `\x01`, `\u2028` is `\L`, …), written
/// into `buf`.
pub fn escape(c: char, buf: &mut [u8; 10]) -> &str {
    buf[0] = b'\\';
    let short = match c {
        '\0' => Some(b'0'),
        '\u{7}' => Some(b'a'),
        '\u{8}' => Some(b'b'),
        '\t' => Some(b't'),
        '\n' => Some(b'n'),
        '\u{b}' => Some(b'v'),
        '\u{c}' => Some(b'f'),
        '\r' => Some(b'r'),
        '\u{1b}' => Some(b'e'),
        '"' => Some(b'"'),
        '\\' => Some(b'\\'),
        '\u{85}' => Some(b'N'),
        '\u{a0}' => Some(b'_'),
        '\u{2028}' => Some(b'L'),
        '\u{2029}' => Some(b'P'),
        _ => None,
    };
    let len = if let Some(letter) = short {
        buf[1] = letter;
        2
    } else {
        let v = c as u32;
        let (letter, width) = if v <= 0xFF {
            (b'x', 2)
        } else if v <= 0xFFFF {
            (b'u', 4)
        } else {
            (b'U', 8)
        };
        buf[1] = letter;
        for k in 0..width {
            let digit = ((v >> ((width - 1 - k) * 4)) & 0xF) as u8;
            buf[2 + k] = if digit < 10 {
                b'0' + digit
            } else {
                b'A' + digit - 10
            };
        }
        2 + width
    };
    // Only ASCII was written.
    std::str::from_utf8(&buf[..len]).unwrap_or_default()
}

/// A literal block's header hints: whether it needs an explicit indentation (the text starts
/// with a space or a break), and its chomping: `-` without a final break, `+` with more than
/// one, none with exactly one.
pub fn block_hints(s: &str) -> (bool, Option<char>) {
    let indent = s.chars().next().is_some_and(|c| c == ' ' || is_break(c));
    let mut rev = s.chars().rev();
    let chomp = match (rev.next(), rev.next()) {
        (None, _) => Some('-'),
        (Some(last), _) if !is_break(last) => Some('-'),
        (Some(_), None) => Some('+'),
        (Some(_), Some(prev)) if is_break(prev) => Some('+'),
        _ => None,
    };
    (indent, chomp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_text_is_exactly_its_alphabet_and_line_feeds() {
        for b in 0..=255u8 {
            let want = b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'\n');
            for at in [0usize, 31, 64, 99] {
                let mut s = vec![b'Q'; 100];
                s[at] = b;
                assert_eq!(is_base64_text(&s), want, "byte {b:#x} at {at}");
            }
        }
        assert!(is_base64_text(b""));
    }

    #[test]
    fn fast_path_agrees_with_the_character_loop() {
        let mut cases: Vec<String> = ["A", "=", "+/", "\n", "a\n", "\nb", "a\nb", "\n\n", "0"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        for n in [1, 51, 52, 53, 105, 300] {
            let mut b = String::new();
            super::super::emit::wrapped_base64(&vec![0xfb; n], &mut b);
            cases.push(b);
        }
        for s in &cases {
            for f in [Flavour::V2, Flavour::V3] {
                assert_eq!(analyze(s, f), analyze_chars(s, f), "{s:?}");
            }
        }
    }

    #[test]
    fn flavours_differ_on_tabs_and_breaks_after_indicators() {
        let v2 = analyze("a\tb\nc", Flavour::V2);
        let v3 = analyze("a\tb\nc", Flavour::V3);
        assert!(!v2.block_allowed && v3.block_allowed);
        // `:` then a break: an indicator to v2 only; neither allows plain (a break).
        let (v2, v3) = (analyze("a:\nb", Flavour::V2), analyze("a:\nb", Flavour::V3));
        assert_eq!(v2, v3);
    }

    #[test]
    fn escapes() {
        let mut b = [0; 10];
        for (c, e) in [
            ('\n', "\\n"),
            ('\u{1}', "\\x01"),
            ('\u{feff}', "\\uFEFF"),
            ('\u{1F511}', "\\U0001F511"),
            ('\u{2028}', "\\L"),
        ] {
            assert_eq!(escape(c, &mut b), e);
        }
    }
}
