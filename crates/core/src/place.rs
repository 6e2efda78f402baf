//! Places in inputs and how they are shown: the bottom every layer's errors are built on.
//!
//! A [`Loc`] (a file, with line and column where the input is YAML), an [`IoError`] (a
//! path, what was being done, the system's reason), and the helpers that turn paths and I/O
//! reasons into words. Nothing here knows a layer above it; `error` re-exports it all.

use std::fmt;
use std::path::{Path, PathBuf};

use goyaml::Mark;

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

impl Loc {
    /// The same place with its file shown through `view`.
    pub(crate) fn relabel(self, view: &dyn PathView) -> Loc {
        Loc {
            file: view.show(&self.file),
            mark: self.mark,
        }
    }
}

/// How the paths an error holds are shown when it is printed: a working tree's path as it
/// is, a file of a revision's extracted tree as the repository names it (`REV:path`).
/// Errors hold paths, never paths inside their words, so relabelling rewrites paths only.
pub trait PathView {
    /// The path to print for `path`.
    fn show(&self, path: &Path) -> PathBuf;
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

/// Reading, writing or listing a path failed: the path, what was being done, and the
/// system's reason (shown without Rust's "(os error N)" suffix).
#[derive(Debug, thiserror::Error)]
#[error("{}: {action}: {}", shown_path(path), io_reason(source))]
pub struct IoError {
    pub(crate) path: PathBuf,
    pub(crate) action: &'static str,
    #[source]
    pub(crate) source: std::io::Error,
}

impl IoError {
    pub fn new(path: &Path, action: &'static str, source: std::io::Error) -> Self {
        IoError {
            path: path.to_path_buf(),
            action,
            source,
        }
    }

    /// The same error with its path shown through `view`.
    pub(crate) fn relabel(self, view: &dyn PathView) -> IoError {
        IoError {
            path: view.show(&self.path),
            ..self
        }
    }

    /// The kind of the system's error (a closed pipe, a missing file).
    pub fn kind(&self) -> std::io::ErrorKind {
        self.source.kind()
    }
}

/// A path for a message: control and invisible characters (a NUL, a newline, a BOM in a
/// file name) escaped, so that a message stays one line and shows what is there.
pub(crate) fn shown_path(p: &Path) -> String {
    goyaml::printable(&p.to_string_lossy()).into_owned()
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

/// For tests: shows the files under `tmp/` as `REV:`, as `diff --base` shows a revision's.
#[cfg(test)]
pub(crate) struct TestRev;

#[cfg(test)]
impl PathView for TestRev {
    fn show(&self, path: &Path) -> PathBuf {
        match path.strip_prefix("tmp") {
            Ok(rel) => PathBuf::from(format!("REV:{}", rel.display())),
            Err(_) => path.to_path_buf(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_error_names_path_and_action_without_os_code() {
        let e = IoError::new(
            Path::new("dir/k.yaml"),
            "cannot read",
            std::io::Error::from_raw_os_error(2),
        );
        assert_eq!(
            e.to_string(),
            "dir/k.yaml: cannot read: No such file or directory"
        );
    }

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
        assert_eq!(loc.to_string(), "gen.yaml:7:5");
        assert_eq!(Loc::file("a\nb.yaml").to_string(), "a\\nb.yaml");
    }
}
