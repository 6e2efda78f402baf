//! The three kinds of source, parsed exactly as kustomize parses them.
//!
//! In: one `literals` entry, one `files` entry, or the bytes of one env file. Out: key/value
//! pairs, values as [`SecretBytes`]. Refuses what kustomize refuses (`=` misplaced, invalid
//! UTF-8 in an env file) and what kustomize silently loses (an env line of 64 KiB or more,
//! after which kustomize drops the rest of the file). Messages never hold a value.

use std::fmt;

use sops::SecretBytes;

/// Why a source entry is malformed. Carries keys and paths, never values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceError {
    LiteralNoEquals,
    LiteralNoKey,
    FileNoKey { path: String },
    FileNoPath { key: String },
    FileManyEquals,
    EnvInvalidUtf8 { line: usize },
    EnvLineTooLong { line: usize, len: usize },
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceError::LiteralNoEquals => {
                f.write_str("literal has no `=`: expected `key=value`")
            }
            SourceError::LiteralNoKey => {
                f.write_str("literal starts with `=`: expected `key=value` with a key")
            }
            SourceError::FileNoKey { path } => {
                write!(f, "file source starts with `=`: missing key name for file path `{path}`")
            }
            SourceError::FileNoPath { key } => {
                write!(f, "file source ends with `=`: missing file path for key `{key}`")
            }
            SourceError::FileManyEquals => f.write_str(
                "file source has more than one `=`: expected `path` or `key=path` (neither may contain `=`)",
            ),
            SourceError::EnvInvalidUtf8 { line } => {
                write!(f, "line {line} is not valid UTF-8 (env files are text)")
            }
            SourceError::EnvLineTooLong { line, len } => write!(
                f,
                "line {line} is {len} bytes long; env lines must be shorter than 65536 bytes \
                 (kustomize would silently drop this line and every line after it)"
            ),
        }
    }
}

impl std::error::Error for SourceError {}

/// A `key=value` literal: split at the first `=`, then one pair of matching `"` or `'`
/// around the value removed (kustomize's rule; the key is never unquoted).
pub fn parse_literal(entry: &str) -> Result<(&str, &str), SourceError> {
    let Some((key, value)) = entry.split_once('=') else {
        return Err(SourceError::LiteralNoEquals);
    };
    if key.is_empty() {
        return Err(SourceError::LiteralNoKey);
    }
    Ok((key, strip_one_quote_pair(value)))
}

fn strip_one_quote_pair(v: &str) -> &str {
    let b = v.as_bytes();
    if b.len() >= 2 && b[0] == b[b.len() - 1] && (b[0] == b'"' || b[0] == b'\'') {
        &v[1..v.len() - 1]
    } else {
        v
    }
}

/// A `files` entry: `path` (key = the path's last `/`-separated element) or `key=path`.
/// Returns (explicit key, path).
pub fn parse_file_source(entry: &str) -> Result<(Option<&str>, &str), SourceError> {
    match entry.matches('=').count() {
        0 => Ok((None, entry)),
        1 => {
            let (key, path) = entry.split_once('=').unwrap_or_default();
            if key.is_empty() {
                Err(SourceError::FileNoKey {
                    path: path.to_string(),
                })
            } else if path.is_empty() {
                Err(SourceError::FileNoPath {
                    key: key.to_string(),
                })
            } else {
                Ok((Some(key), path))
            }
        }
        _ => Err(SourceError::FileManyEquals),
    }
}

/// Go's `path.Base` on a slash-separated path: the last element after cleaning.
pub fn path_base(p: &str) -> String {
    let cleaned = clean_slash_path(p);
    match cleaned.rsplit_once('/') {
        Some((_, last)) if !last.is_empty() => last.to_string(),
        _ => cleaned,
    }
}

/// Go's `path.Clean`.
pub(crate) fn clean_slash_path(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

/// One pair read from an env file; `line` is 1-based.
#[derive(Debug)]
pub struct EnvPair {
    pub key: String,
    pub value: SecretBytes,
    pub line: usize,
    /// Whether the line had a `=` (kubectl fills a bare name from the environment).
    pub(crate) has_equals: bool,
}

/// The longest env line kustomize reads (bufio.Scanner's 64 KiB token limit, minus one).
pub(crate) const MAX_ENV_LINE: usize = 65535;

/// Parses a dotenv file as kustomize does: lines split at `\n` with one trailing `\r`
/// dropped, a BOM stripped from the first line only, leading Unicode whitespace trimmed,
/// blank lines and `#` lines skipped, key before the first `=`, value after it verbatim,
/// a line without `=` giving an empty value, an empty key skipped. Nothing is unquoted.
pub fn parse_env(bytes: &[u8]) -> Result<Vec<EnvPair>, SourceError> {
    let mut pairs = Vec::new();
    let mut rest = bytes;
    let mut line_no = 0;
    while !rest.is_empty() {
        line_no += 1;
        let (raw, next) = match memchr_newline(rest) {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        rest = next;
        if raw.len() > MAX_ENV_LINE {
            return Err(SourceError::EnvLineTooLong {
                line: line_no,
                len: raw.len(),
            });
        }
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let Ok(mut line) = std::str::from_utf8(raw) else {
            return Err(SourceError::EnvInvalidUtf8 { line: line_no });
        };
        if line_no == 1 {
            line = line.strip_prefix('\u{feff}').unwrap_or(line);
        }
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value, has_equals) = match line.split_once('=') {
            Some((k, v)) => (k, v, true),
            None => (line, "", false),
        };
        if key.is_empty() {
            continue;
        }
        pairs.push(EnvPair {
            key: key.to_string(),
            value: SecretBytes::from_slice(value.as_bytes()),
            line: line_no,
            has_equals,
        });
    }
    Ok(pairs)
}

fn memchr_newline(b: &[u8]) -> Option<usize> {
    b.iter().position(|&c| c == b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_rules() {
        assert_eq!(parse_literal("k=v"), Ok(("k", "v")));
        assert_eq!(
            parse_literal("conn=host=db;user=a==b"),
            Ok(("conn", "host=db;user=a==b"))
        );
        assert_eq!(parse_literal("trailing=="), Ok(("trailing", "=")));
        assert_eq!(parse_literal("k="), Ok(("k", "")));
        assert_eq!(parse_literal("novalue"), Err(SourceError::LiteralNoEquals));
        assert_eq!(parse_literal("=v"), Err(SourceError::LiteralNoKey));
        // Quote stripping (RULES.md rule 16).
        for (input, want) in [
            ("a=\"double quoted\"", "double quoted"),
            ("a='single quoted'", "single quoted"),
            ("a=\"mismatch'", "\"mismatch'"),
            ("a=\"", "\""),
            ("a=\"\"", ""),
            ("a=''", ""),
            ("a=a\"b\"c", "a\"b\"c"),
            ("a=\"'x'\"", "'x'"),
            ("a=\" padded \"", " padded "),
            ("a=\"abc", "\"abc"),
        ] {
            assert_eq!(parse_literal(input).unwrap().1, want, "{input}");
        }
        assert_eq!(parse_literal("\"k\"=v").unwrap().0, "\"k\"");
        assert_eq!(parse_literal("  lead=x ").unwrap(), ("  lead", "x "));
    }

    #[test]
    fn file_source_rules() {
        assert_eq!(parse_file_source("a/b.txt"), Ok((None, "a/b.txt")));
        assert_eq!(parse_file_source("k=a/b.txt"), Ok((Some("k"), "a/b.txt")));
        assert!(matches!(
            parse_file_source("=p"),
            Err(SourceError::FileNoKey { .. })
        ));
        assert!(matches!(
            parse_file_source("k="),
            Err(SourceError::FileNoPath { .. })
        ));
        assert_eq!(parse_file_source("a=b=c"), Err(SourceError::FileManyEquals));
        assert_eq!(path_base("sub/dir/cred.txt"), "cred.txt");
        assert_eq!(path_base("./top.txt"), "top.txt");
        assert_eq!(path_base("sub/../other.txt"), "other.txt");
        assert_eq!(path_base("dir/"), "dir");
        assert_eq!(clean_slash_path("../a/./b/../c"), "../a/c");
        assert_eq!(clean_slash_path("/../a"), "/a");
    }

    fn env(s: &[u8]) -> Vec<(String, String)> {
        parse_env(s)
            .unwrap()
            .into_iter()
            .map(|p| (p.key, String::from_utf8(p.value.expose().to_vec()).unwrap()))
            .collect()
    }

    fn kv(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn env_rules() {
        assert_eq!(
            env(b"# c\n\n  A=1\nDSN=x=y&z\nT=sp   \nI=v # not\nE=\nDQ=\"q\"\n"),
            kv(&[
                ("A", "1"),
                ("DSN", "x=y&z"),
                ("T", "sp   "),
                ("I", "v # not"),
                ("E", ""),
                ("DQ", "\"q\"")
            ])
        );
        assert_eq!(env(b"A=1\r\nB=2\r\n"), kv(&[("A", "1"), ("B", "2")]));
        assert_eq!(env(b"A=1\rB=2\rC=3"), kv(&[("A", "1\rB=2\rC=3")]));
        assert_eq!(env(b"A=1\nB=2"), kv(&[("A", "1"), ("B", "2")]));
        assert_eq!(
            env("\u{feff}A=1\n\u{feff}B=2\n".as_bytes()),
            kv(&[("A", "1"), ("\u{feff}B", "2")])
        );
        assert_eq!(env("\u{a0}\u{3000}\t\x0bA=1".as_bytes()), kv(&[("A", "1")]));
        assert_eq!(env(b"export FOO=bar\n"), kv(&[("export FOO", "bar")]));
        assert_eq!(env(b"NOVALUE\n=orphan\n"), kv(&[("NOVALUE", "")]));
        assert_eq!(env(b""), kv(&[]));
        assert_eq!(env(b"K =v"), kv(&[("K ", "v")]));
    }

    #[test]
    fn env_refusals() {
        assert_eq!(
            parse_env(b"A=1\nBAD=\xff\xfe\n").unwrap_err(),
            SourceError::EnvInvalidUtf8 { line: 2 }
        );
        let mut long = b"OK=1\nL=".to_vec();
        long.extend(std::iter::repeat_n(b'x', 65533));
        assert!(
            parse_env(&long).is_ok(),
            "65536-byte line is one too many, 65535 is fine"
        );
        long.push(b'x');
        assert_eq!(
            parse_env(&long).unwrap_err(),
            SourceError::EnvLineTooLong {
                line: 2,
                len: 65536
            }
        );
    }

    #[test]
    fn messages_hold_no_values() {
        let err = parse_env(b"SECRET=CANARY\xff").unwrap_err();
        assert!(!err.to_string().contains("CANARY"));
        assert!(!format!("{err:?}").contains("CANARY"));
    }
}
