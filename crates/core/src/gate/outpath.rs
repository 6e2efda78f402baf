//! A Secret's namespace and name turned into a file path, only once proven safe.
//!
//! In: the namespace and name of any Secret, whatever produced it. Out: an [`OutPath`],
//! `<namespace or _cluster>/<name>.yaml`, whose two parts are a DNS-1123 label and a DNS-1123
//! subdomain (the API server's rules), so neither can hold `/`, `..` or start a path at the
//! root. Refused: anything else, with a message that describes the text and never shows it
//! (the name of a SOPS Secret may come out of a decryption).

use std::path::{Path, PathBuf};

/// `IsDNS1123Label`: at most 63 lower-case letters, digits and `-`, starting and ending with
/// a letter or digit.
pub(crate) fn is_dns_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

/// `IsDNS1123Subdomain`: lower-case alphanumerics, `-` and `.`, each dot-separated part
/// starting and ending alphanumeric, at most 253 characters.
pub(crate) fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|part| {
            let b = part.as_bytes();
            !b.is_empty()
                && b.iter()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
                && b[0] != b'-'
                && b[b.len() - 1] != b'-'
        })
}

/// Whether `s` holds an envsubst placeholder (`${NAME}` or `$NAME`), which a pipeline
/// substitutes after the build.
pub(crate) fn has_placeholder(s: &str) -> bool {
    let b = s.as_bytes();
    b.iter().enumerate().any(|(i, c)| {
        *c == b'$'
            && b.get(i + 1)
                .is_some_and(|n| *n == b'{' || n.is_ascii_alphabetic() || *n == b'_')
    })
}

/// `s` with every placeholder replaced by a letter: what the rules judge in a Secret printed
/// for a pipeline to substitute.
pub(crate) fn substituted(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        match chars.peek() {
            Some('{') => {
                let rest: String = chars.clone().collect();
                match rest.find('}') {
                    Some(end) => {
                        for _ in 0..=end {
                            chars.next();
                        }
                        out.push('x');
                    }
                    None => out.push(c),
                }
            }
            Some(n) if n.is_ascii_alphabetic() || *n == '_' => {
                while chars
                    .peek()
                    .is_some_and(|n| n.is_ascii_alphanumeric() || *n == '_')
                {
                    chars.next();
                }
                out.push('x');
            }
            _ => out.push(c),
        }
    }
    out
}

/// The warning for a Secret printed with an envsubst placeholder in its name or namespace,
/// which describes the part and never quotes it (the name of a SOPS Secret may come out of
/// a decryption). `None` when neither holds one.
pub(crate) fn placeholder_warning(namespace: Option<&str>, name: &str) -> Option<String> {
    let part = if has_placeholder(name) {
        "name"
    } else if namespace.is_some_and(has_placeholder) {
        "namespace"
    } else {
        return None;
    };
    Some(format!(
        "the Secret's {part} holds an envsubst placeholder: it must be substituted before the Secret reaches the API server (`render -o` refuses it)"
    ))
}

/// Which part of a Secret cannot become a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    Name,
    Namespace,
}

/// Why a Secret cannot become a path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Unsafe {
    #[error(
        "its {} holds an envsubst placeholder, which a file name cannot hold: substitute it before `render -o` (printed on stdout it is kept as written)",
        part.word()
    )]
    Placeholder { part: Part },
    #[error("its {} ({described}) is not a {}, so it cannot name a file under the output directory", part.word(), part.rule())]
    Invalid { part: Part, described: String },
}

impl Part {
    fn word(self) -> &'static str {
        match self {
            Part::Name => "name",
            Part::Namespace => "namespace",
        }
    }

    fn rule(self) -> &'static str {
        match self {
            Part::Name => {
                "DNS-1123 subdomain (lower-case letters, digits, `-` and `.`, each part starting and ending with a letter or digit, at most 253 characters)"
            }
            Part::Namespace => {
                "DNS-1123 label (at most 63 lower-case letters, digits and `-`, starting and ending with a letter or digit)"
            }
        }
    }
}

/// The file, relative to an output directory, that holds one Secret: built only from a
/// name and namespace proven safe.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct OutPath(PathBuf);

impl OutPath {
    /// `<namespace or _cluster>/<name>.yaml` (`_cluster` is no DNS label, so it is no
    /// namespace's directory).
    pub(crate) fn new(namespace: Option<&str>, name: &str) -> Result<OutPath, Unsafe> {
        let check = |s: &str, part: Part, ok: fn(&str) -> bool| {
            if ok(s) {
                Ok(())
            } else if has_placeholder(s) {
                Err(Unsafe::Placeholder { part })
            } else {
                Err(Unsafe::Invalid {
                    part,
                    described: describe(s, part),
                })
            }
        };
        check(name, Part::Name, is_dns_subdomain)?;
        if let Some(ns) = namespace {
            check(ns, Part::Namespace, is_dns_label)?;
        }
        Ok(OutPath(
            Path::new(namespace.unwrap_or("_cluster")).join(format!("{name}.yaml")),
        ))
    }

    pub(crate) fn as_path(&self) -> &Path {
        &self.0
    }
}

/// A name described without showing it: its length and its first character outside the
/// rule's alphabet.
fn describe(s: &str, part: Part) -> String {
    let n = s.chars().count();
    let allowed = |c: char| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || (part == Part::Name && c == '.')
    };
    let mut out = format!("{n} character{}", if n == 1 { "" } else { "s" });
    if let Some((i, c)) = s.chars().enumerate().find(|(_, c)| !allowed(*c)) {
        let what = match c {
            '/' => "`/`",
            '.' => "`.`",
            c if c.is_ascii_uppercase() => "an upper-case letter",
            c if c.is_control() => "a control character",
            c if c.is_whitespace() => "a whitespace character",
            c if c.is_ascii_punctuation() => "ASCII punctuation",
            _ => "a non-ASCII character",
        };
        out.push_str(&format!(", {what} at character {}", i + 1));
    } else if part == Part::Name && s.split('.').any(str::is_empty) {
        out.push_str(", an empty part between dots");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_dns_names_become_paths() {
        assert_eq!(
            OutPath::new(Some("prod"), "db.v1").unwrap().as_path(),
            Path::new("prod/db.v1.yaml")
        );
        assert_eq!(
            OutPath::new(None, "db").unwrap().as_path(),
            Path::new("_cluster/db.yaml")
        );
        for (ns, name) in [
            (Some(".."), "x"),
            (Some("a/b"), "x"),
            (Some("_cluster"), "x"),
            (None, "../../x"),
            (None, "/etc/passwd"),
            (None, ".."),
            (None, ""),
            (Some(""), "x"),
        ] {
            assert!(
                matches!(OutPath::new(ns, name), Err(Unsafe::Invalid { .. })),
                "{ns:?} {name}"
            );
        }
        let e = OutPath::new(Some("${NAMESPACE}"), "x").unwrap_err();
        assert_eq!(
            e,
            Unsafe::Placeholder {
                part: Part::Namespace
            }
        );
        // The text is described, never shown.
        let e = OutPath::new(None, "../CANARY").unwrap_err().to_string();
        assert!(
            !e.contains("CANARY") && e.contains("`/` at character 3"),
            "{e}"
        );
    }

    #[test]
    fn placeholders() {
        assert!(has_placeholder("${NAMESPACE}") && has_placeholder("a-$NS"));
        assert!(!has_placeholder("a$") && !has_placeholder("$1"));
        assert_eq!(substituted("${NAME}-k695gkmbtk"), "x-k695gkmbtk");
        assert_eq!(substituted("$NS_1.b"), "x.b");
        assert_eq!(substituted("${open"), "${open");
    }
}
