//! How text from an input appears in a message: the one place that decides.
//!
//! In: text read from an input, with where it came from ([`Provenance`]). Out: a [`Text`]
//! whose `Display` is what a message may hold. Text from a plain file (a kustomization, a
//! generator config, a file name) is quoted with control and invisible characters escaped;
//! text parsed out of a decryption (age, SOPS, KSOPS, SOPS resources, and anything a patch
//! copied into a name or label) is only described: its length and its character classes.
//! A [`Text::Decrypted`] holds no text at all, so no later formatting can quote it.
//! [`describe_hidden`] describes text that breaks a rule (an env line's key) by its first
//! character at fault; [`printable`] is the one escaper of plain text.

use std::borrow::Cow;
use std::fmt;

/// Where text read from an input came from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Provenance {
    /// A file read as it is on disk: its text may be quoted.
    #[default]
    Plain,
    /// The output of a decryption, or derived from one: it may only be described.
    Decrypted,
}

impl Provenance {
    /// `Decrypted` when `decrypted`, `Plain` otherwise.
    pub fn decrypted_if(decrypted: bool) -> Self {
        if decrypted {
            Provenance::Decrypted
        } else {
            Provenance::Plain
        }
    }
}

/// Text from an input, as a message may show it.
#[derive(Clone, PartialEq, Eq)]
pub enum Text {
    /// Shown quoted (`` `name` ``), control and invisible characters escaped.
    Plain(String),
    /// Shown only as a description: `of 12 characters (letters, digits, `!`; decrypted, not
    /// shown)`.
    Decrypted(Shape),
}

impl Text {
    /// `text`, shown as its provenance allows.
    pub fn new(text: &str, provenance: Provenance) -> Self {
        match provenance {
            Provenance::Plain => Text::Plain(text.to_string()),
            Provenance::Decrypted => Text::Decrypted(Shape::of(text)),
        }
    }

    /// Text from a plain input.
    pub fn plain(text: &str) -> Self {
        Text::Plain(text.to_string())
    }

    /// Text that came out of a decryption.
    pub fn decrypted(text: &str) -> Self {
        Text::Decrypted(Shape::of(text))
    }

    /// Whether it may only be described.
    pub fn is_decrypted(&self) -> bool {
        matches!(self, Text::Decrypted(_))
    }

    /// Without the quotes, for a report that lays text out itself (`label k: v`): plain
    /// text escaped, decrypted text described.
    pub fn unquoted(&self) -> Cow<'_, str> {
        match self {
            Text::Plain(s) => printable(s),
            Text::Decrypted(shape) => Cow::Owned(shape.to_string()),
        }
    }
}

/// `Plain`: `` `text` ``, escaped. `Decrypted`: `of N characters (classes; …, not shown)`,
/// which reads after a noun: "key of 12 characters (…) is not a valid Secret key".
impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Text::Plain(s) => write!(f, "`{}`", printable(s)),
            Text::Decrypted(shape) => write!(f, "{shape}"),
        }
    }
}

/// Never the text, whichever variant.
impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Text::Plain(s) => write!(f, "Plain({} bytes)", s.len()),
            Text::Decrypted(shape) => write!(f, "Decrypted({shape})"),
        }
    }
}

/// What may be said of decrypted text: its length in characters and which classes of
/// character it holds. ASCII punctuation is named character by character (`-`, `!`); no
/// letter or digit is ever named.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct Shape {
    chars: usize,
    letters: bool,
    digits: bool,
    spaces: bool,
    controls: bool,
    non_ascii: bool,
    /// Bit `c - 0x21` for each ASCII punctuation character `c` present.
    punctuation: u128,
}

impl Shape {
    /// The shape of `text`.
    pub fn of(text: &str) -> Self {
        let mut s = Shape::default();
        for c in text.chars() {
            s.chars += 1;
            match c {
                c if c.is_ascii_alphabetic() => s.letters = true,
                c if c.is_ascii_digit() => s.digits = true,
                c if c.is_ascii_punctuation() => s.punctuation |= 1u128 << (c as u32 - 0x21),
                ' ' => s.spaces = true,
                c if c.is_control() => s.controls = true,
                c if c.is_whitespace() => s.spaces = true,
                _ => s.non_ascii = true,
            }
        }
        s
    }

    fn classes(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.letters {
            out.push("letters".to_string());
        }
        if self.digits {
            out.push("digits".to_string());
        }
        for i in 0..94u32 {
            if self.punctuation & (1u128 << i) != 0 {
                let c = char::from_u32(0x21 + i).unwrap_or('?');
                out.push(if c == '`' {
                    "a backquote".to_string()
                } else {
                    format!("`{c}`")
                });
            }
        }
        if self.spaces {
            out.push("white space".to_string());
        }
        if self.controls {
            out.push("control characters".to_string());
        }
        if self.non_ascii {
            out.push("non-ASCII characters".to_string());
        }
        out
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.chars;
        let plural = if n == 1 { "" } else { "s" };
        let classes = self.classes();
        if classes.is_empty() {
            write!(f, "of {n} character{plural} (decrypted, not shown)")
        } else {
            write!(
                f,
                "of {n} character{plural} ({}; decrypted, not shown)",
                classes.join(", ")
            )
        }
    }
}

impl fmt::Debug for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Describes text that must not be shown: its length in characters and, when one is not
/// `allowed`, the first such character by position, code point and class.
pub fn describe_hidden(text: &str, allowed: impl Fn(char) -> bool) -> String {
    let n = text.chars().count();
    let mut s = format!("{n} character{}", if n == 1 { "" } else { "s" });
    let bad: Vec<(usize, char)> = text
        .chars()
        .enumerate()
        .filter(|(_, c)| !allowed(*c))
        .collect();
    if let Some((i, c)) = bad.first() {
        s.push_str(&format!(
            " long, {} of them not allowed, the first at character {}: U+{:04X} ({})",
            bad.len(),
            i + 1,
            *c as u32,
            char_class(*c)
        ));
    } else {
        s.push_str(" long");
    }
    s
}

/// A character's class, for messages that must not show the character itself.
fn char_class(c: char) -> &'static str {
    match c {
        ' ' => "a space",
        '\t' => "a tab",
        c if c.is_control() => "a control character",
        c if c.is_whitespace() => "a whitespace character",
        c if c.is_ascii_punctuation() => "ASCII punctuation",
        c if c.is_ascii_alphanumeric() => "an ASCII letter or digit",
        c if c.is_alphanumeric() => "a non-ASCII letter or digit",
        _ => "a non-ASCII symbol or format character",
    }
}

/// Plain text for a message: control, format and separator characters (a BOM, U+2028, a
/// tab) shown as escapes, so that a message stays one line and an invisible character is
/// seen. Only for text that is not decrypted (see [`Text`]).
pub fn printable(s: &str) -> Cow<'_, str> {
    let hidden = |c: char| {
        c.is_control()
            || matches!(c, '\u{a0}' | '\u{ad}' | '\u{feff}' | '\u{2028}' | '\u{2029}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}')
    };
    if !s.chars().any(hidden) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if hidden(c) => out.push_str(&format!("\\u{{{:04x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_quoted_and_escaped() {
        assert_eq!(Text::plain("db-pass").to_string(), "`db-pass`");
        assert_eq!(Text::plain("a\tb\u{feff}").to_string(), "`a\\tb\\u{feff}`");
    }

    #[test]
    fn decrypted_text_is_only_described() {
        let t = Text::decrypted("CANARY-7f3e key!");
        let shown = t.to_string();
        assert_eq!(
            shown,
            "of 16 characters (letters, digits, `!`, `-`, white space; decrypted, not shown)"
        );
        assert!(!shown.contains("CANARY") && !shown.contains("7f3e"));
        assert!(!format!("{t:?}").contains("CANARY"));
        assert_eq!(
            Text::decrypted("").to_string(),
            "of 0 characters (decrypted, not shown)"
        );
        assert_eq!(
            Text::new("é\u{1}`", Provenance::Decrypted).to_string(),
            "of 3 characters (a backquote, control characters, non-ASCII characters; decrypted, not shown)"
        );
    }

    #[test]
    fn unquoted_for_reports() {
        assert_eq!(Text::plain("a\tb").unquoted(), "a\\tb");
        assert_eq!(
            Text::decrypted("ab").unquoted(),
            "of 2 characters (letters; decrypted, not shown)"
        );
    }

    #[test]
    fn provenance_decides() {
        assert!(Text::new("k", Provenance::decrypted_if(true)).is_decrypted());
        assert!(!Text::new("k", Provenance::decrypted_if(false)).is_decrypted());
    }
}
