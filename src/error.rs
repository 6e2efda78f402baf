//! Errors and warnings as users see them.
//!
//! Every error names the file it is about, with line and column where the input is YAML,
//! and the rule broken; none holds a secret value. The CLI prints them as
//! `error: FILE:LINE:COL: message` and exits 2.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::yaml::Mark;

/// A place in an input: a file, and a line and column where there is one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loc {
    pub(crate) file: PathBuf,
    pub(crate) mark: Option<Mark>,
}

impl Loc {
    pub fn file(file: impl Into<PathBuf>) -> Self {
        Loc {
            file: file.into(),
            mark: None,
        }
    }

    pub(crate) fn at(file: impl Into<PathBuf>, mark: Mark) -> Self {
        Loc {
            file: file.into(),
            mark: Some(mark),
        }
    }
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&shown_path(&self.file))?;
        if let Some(m) = self.mark {
            write!(f, ":{}:{}", m.line, m.col)?;
        }
        Ok(())
    }
}

/// What went wrong, by layer. Messages state the rule and what to do; never a value.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Malformed YAML.
    #[error(transparent)]
    Yaml(#[from] crate::yaml::Error),
    /// A manifest, kustomization or source that breaks a rule of the kustomize layer.
    #[error(transparent)]
    Kustomize(#[from] crate::kustomize::Error),
    /// The Secret that would be produced breaks a Kubernetes rule.
    #[error(transparent)]
    Secret(#[from] crate::secret::Error),
    /// An encrypted input that cannot be read, as text: an age file met while rendering
    /// (its message, which names the file), a decrypted SOPS resource that is not UTF-8 or
    /// not YAML, or a SOPS resource a placeholder cannot stand in for.
    #[error("{loc}: {message}")]
    Crypt { loc: Loc, message: String },
    /// A SOPS file that cannot be decrypted, with the SOPS layer's reason.
    #[error("{loc}: {source}")]
    Sops {
        loc: Loc,
        #[source]
        source: Box<crate::sops::SopsError>,
    },
    /// An age file that cannot be decrypted, with the age layer's reason.
    #[error("{loc}: {source}")]
    Age {
        loc: Loc,
        #[source]
        source: Box<crate::age::CryptError>,
    },
    /// Reading or writing a file failed.
    #[error("{}: {action}: {}", shown_path(path), io_reason(source))]
    Io {
        path: PathBuf,
        action: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// A file or stdin the reader refused or could not read.
    #[error(transparent)]
    Read(#[from] crate::gate::read::ReadError),
    /// A usage error of the command line.
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Plugin(#[from] crate::plugin::Error),
    /// A failure of the review layer (git, the base tree, the output directory).
    #[error(transparent)]
    Review(#[from] crate::review::Error),
    /// A write refused or failed (nothing changed): the writer gate's reason.
    #[error(transparent)]
    Write(#[from] crate::gate::write::WriteError),
    /// Several errors at once (all of one generator's violations, say).
    #[error("{}", join_lines(.0))]
    Many(Vec<Error>),
}

fn join_lines(errors: &[Error]) -> String {
    errors
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("\nerror: ")
}

impl Error {
    pub fn manifest(loc: Loc, message: impl Into<String>) -> Self {
        crate::kustomize::Error::Manifest {
            loc,
            message: message.into(),
        }
        .into()
    }

    pub(crate) fn source(loc: Loc, message: impl Into<String>) -> Self {
        crate::kustomize::Error::Source {
            loc,
            message: message.into(),
        }
        .into()
    }

    pub fn io(path: &Path, action: &'static str, source: std::io::Error) -> Self {
        Error::Io {
            path: path.to_path_buf(),
            action,
            source,
        }
    }

    /// Flattens nested lists, so that a caller can collect and report all at once.
    pub fn many(mut errors: Vec<Error>) -> Self {
        if errors.len() == 1 {
            return errors.remove(0);
        }
        let mut flat = Vec::new();
        for e in errors {
            match e {
                Error::Many(inner) => flat.extend(inner),
                other => flat.push(other),
            }
        }
        Error::Many(flat)
    }
}

/// A warning: printed on stderr, never fails a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    pub(crate) loc: Loc,
    pub(crate) message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.loc, self.message)
    }
}

pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

/// A path for a message: control and invisible characters (a NUL, a newline, a BOM in a
/// file name) escaped, so that a message stays one line and shows what is there.
pub(crate) fn shown_path(p: &Path) -> String {
    crate::yaml::printable(&p.to_string_lossy()).into_owned()
}

/// A whole message for a terminal or a log: every control character escaped but the line
/// breaks between messages, the last guard against a raw byte from an input.
pub fn escape_controls(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(|c| c.is_control() && c != '\n') {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push('\n'),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:04x}}}", c as u32)),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// An I/O error's reason without Rust's "(os error N)" suffix.
pub fn io_reason(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// The closest candidate to `word` by edit distance, if close enough to be a likely typo.
pub(crate) fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (edit_distance(word, c), *c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        let fields = ["literals", "files", "envs", "options", "type"];
        assert_eq!(did_you_mean("literal", &fields), Some("literals"));
        assert_eq!(did_you_mean("file", &fields), Some("files"));
        assert_eq!(did_you_mean("zzzzzzzz", &fields), None);
    }

    #[test]
    fn location_format() {
        let loc = Loc::at(
            "gen.yaml",
            Mark {
                line: 7,
                col: 5,
                ..Default::default()
            },
        );
        let e = Error::manifest(loc, "bad");
        assert_eq!(e.to_string(), "gen.yaml:7:5: bad");
    }
}
