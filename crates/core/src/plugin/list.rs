//! The KRM `ResourceList`, read and written in one place for both functions (secretgen's and
//! KSOPS'): in, the list's text from stdin; out, a list with items appended or passed
//! through, or with the errors as `results`. A result's message is escaped as every error
//! secretgen prints is ([`crate::place::escape_controls`]), whichever function reports it.

use std::borrow::Cow;
use std::path::Path;

use crate::error::{Error, Loc, Result};
use crate::yaml::{self, emit, emit::Node};

/// The head of a list secretgen writes from nothing.
const HEAD: &str = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n";

/// The documents of `input` whose first is a `ResourceList`, or the error that names
/// `<stdin>`.
pub(crate) fn read(input: &str) -> Result<Vec<yaml::Node>> {
    let stdin = Path::new("<stdin>");
    let docs = yaml::parse_stream(input).map_err(|e| e.in_file(stdin))?;
    if !docs.first().is_some_and(is_list) {
        let loc = Loc::file(stdin);
        return Err(super::Error::NotAResourceList { loc }.into());
    }
    Ok(docs)
}

/// Whether this document is a `ResourceList`.
pub(crate) fn is_list(doc: &yaml::Node) -> bool {
    doc.get("kind").and_then(|k| k.as_str()) == Some("ResourceList")
}

/// A list being written: its text so far.
pub(crate) struct Writer {
    out: String,
}

impl Writer {
    /// A new list: the head and `items:` (`items: []` when `empty`).
    pub(crate) fn new(empty: bool) -> Writer {
        let items = if empty { "items: []\n" } else { "items:\n" };
        Writer {
            out: format!("{HEAD}{items}"),
        }
    }

    /// A list that starts with `prefix`, the input's text up to its first item.
    pub(crate) fn after(prefix: &str) -> Writer {
        Writer {
            out: prefix.to_string(),
        }
    }

    /// An input item passed through as it came, ended with a line break.
    pub(crate) fn text(&mut self, text: &str) {
        self.out.push_str(text);
        if !text.ends_with('\n') {
            self.out.push('\n');
        }
    }

    /// The input after its items, as it came.
    pub(crate) fn rest(&mut self, text: &str) {
        self.out.push_str(text);
    }

    /// One YAML document as an item of the block sequence, its `-` at `indent`: each line
    /// indented under it (an empty line stays empty).
    pub(crate) fn item(&mut self, doc: &str, indent: &str) {
        for (i, line) in doc.split_inclusive('\n').enumerate() {
            if line.trim_end_matches('\n').is_empty() {
                self.out.push_str(line);
                continue;
            }
            self.out.push_str(indent);
            self.out.push_str(if i == 0 { "- " } else { "  " });
            self.out.push_str(line);
        }
        if !doc.is_empty() && !doc.ends_with('\n') {
            self.out.push('\n');
        }
    }

    /// The `results` of a failed run: one per error (each of [`Error::Many`]), its message
    /// escaped, with the file `file` names for it, if any.
    pub(crate) fn results(&mut self, e: &Error, file: &dyn Fn(&Error) -> Option<String>) {
        let errors: Vec<&Error> = match e {
            Error::Many(list) => list.iter().collect(),
            other => vec![other],
        };
        let results = errors
            .into_iter()
            .map(|err| {
                let mut fields: Vec<(Cow<'_, str>, Node<'_>)> = vec![
                    (
                        "message".into(),
                        Node::Str(
                            crate::place::escape_controls(&err.to_string())
                                .into_owned()
                                .into(),
                        ),
                    ),
                    ("severity".into(), Node::Str("error".into())),
                ];
                if let Some(path) = file(err) {
                    fields.push((
                        "file".into(),
                        Node::Map(vec![("path".into(), Node::Str(path.into()))]),
                    ));
                }
                Node::Map(fields)
            })
            .collect();
        let mut doc = Vec::new();
        emit::write_document(
            &Node::Map(vec![("results".into(), Node::Seq(results))]),
            &mut doc,
        );
        self.out.push_str(&String::from_utf8_lossy(&doc));
    }

    /// The list's text.
    pub(crate) fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_are_indented_under_their_dash_and_empty_lines_stay_empty() {
        let mut w = Writer::new(false);
        w.item("kind: A\nx:\n    - 1\n", "");
        w.item("s: |\n  a\n\n  b", "  ");
        assert_eq!(
            w.finish(),
            "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- kind: A\n  x:\n      - 1\n  - s: |\n      a\n\n      b\n"
        );
        assert!(Writer::new(true).finish().ends_with("items: []\n"));
    }

    #[test]
    fn a_list_is_read_or_refused_naming_stdin() {
        assert!(read("kind: ResourceList\nitems: []\n").is_ok());
        let e = read("kind: ConfigMap\n").unwrap_err().to_string();
        assert!(
            e.contains("<stdin>") && e.contains("expected a ResourceList"),
            "{e}"
        );
    }
}
