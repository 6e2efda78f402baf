//! The documents of a YAML stream found without parsing them, so that a reader that needs
//! only some kinds of document (the Secrets of a build among megabytes of
//! CustomResourceDefinitions) parses those and leaves the others unread.
//!
//! In: the text of a stream. Out: each document's place in it and, when its text shows it
//! beyond doubt, its top-level `kind`: the document is a block mapping whose lines at column
//! 0 are all plain keys (`name:` or `name: value`), comments or compact sequence entries, and
//! exactly one of those keys is `kind`, written as a plain word. Anything else (flow or
//! quoted keys, merge keys, tags, anchors, tabs at the start of a line, a `sops` key, several
//! `kind` keys) leaves the kind unknown, and the document is parsed like any other.
//!
//! [`parse_stream_where`] reads a stream so: the documents whose kind is unknown or kept,
//! parsed (by [`crate::read`], within its budgets), with the positions they have in the
//! whole text; the others skipped. goyaml.v2's rules on raw text (printable characters
//! only) still hold for the whole text, skipped documents included. A stream with a
//! directive (`%`) or a document end marker (`...`) is parsed whole.

use crate::error::SyntaxError;
use crate::node::{Node, Value};
use crate::read;
use crate::shown::Provenance;

/// One document of a stream, as [`documents`] finds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Doc<'t> {
    /// Its text: from its `---` line (if any) to the next one, in bytes.
    pub start: usize,
    pub end: usize,
    /// Lines and characters of the stream before it.
    pub lines_before: usize,
    pub chars_before: usize,
    /// Its top-level `kind`, when its text shows it beyond doubt (see the module's text).
    pub kind: Option<&'t str>,
}

/// A stream read by [`parse_stream_where`].
#[derive(Debug, Default)]
pub struct Selected {
    /// The documents parsed, in their order, with their positions in the whole text.
    pub docs: Vec<Node>,
    /// How many documents were left unread (0: `docs` is the whole stream).
    pub skipped: usize,
}

/// The documents of `text`, or `None` when the stream must be parsed whole (a directive or
/// a document end marker). A stretch of comments and blank lines before the first `---`
/// holds no document and is not listed.
pub fn documents(text: &str) -> Option<Vec<Doc<'_>>> {
    let ascii = text.is_ascii();
    let mut docs = Vec::new();
    let mut cur = Open::new(0, 0, 0, false);
    let (mut at, mut lines, mut chars) = (0usize, 0usize, 0usize);
    while at < text.len() {
        let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
        let raw = &text[at..end];
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(rest) = line.strip_prefix("---")
            && (rest.is_empty() || rest.starts_with([' ', '\t']))
        {
            cur.close(at, &mut docs);
            let rest = rest.trim_start_matches([' ', '\t']);
            cur = Open::new(at, lines, chars, true);
            // `--- |`, `--- !tag`, `--- {…}`: the document starts on this line.
            cur.plain = rest.is_empty() || rest.starts_with('#');
        } else if line.starts_with("...") || line.starts_with('%') {
            return None;
        } else {
            cur.line(line);
        }
        let next = (end + 1).min(text.len());
        lines += 1;
        chars += if ascii {
            next - at
        } else {
            text[at..next].chars().count()
        };
        at = next;
    }
    cur.close(text.len(), &mut docs);
    Some(docs)
}

/// A document being scanned.
struct Open<'t> {
    start: usize,
    lines_before: usize,
    chars_before: usize,
    /// Started by a `---` line (it is a document even when empty).
    marked: bool,
    /// Any line at column 0 that is not a comment.
    content: bool,
    /// Every such line is a plain key or a compact sequence entry after the first key.
    plain: bool,
    kinds: usize,
    kind: Option<&'t str>,
}

impl<'t> Open<'t> {
    fn new(start: usize, lines_before: usize, chars_before: usize, marked: bool) -> Self {
        Open {
            start,
            lines_before,
            chars_before,
            marked,
            content: false,
            plain: true,
            kinds: 0,
            kind: None,
        }
    }

    fn line(&mut self, line: &'t str) {
        let Some(first) = line.bytes().next() else {
            return;
        };
        match first {
            b' ' => {
                // Indented: inside a value. Blank or comment lines count for nothing.
                let t = line.trim_start_matches(' ');
                if !self.content && !t.is_empty() && !t.starts_with('#') {
                    // Indented content before any key: not a plain block mapping at column 0.
                    self.content = true;
                    self.plain = false;
                }
            }
            b'#' => {}
            b'\t' => {
                if !line.trim_matches([' ', '\t']).is_empty() {
                    self.content = true;
                    self.plain = false;
                }
            }
            b'-' if line == "-" || line.starts_with("- ") => {
                // A compact sequence under the key before it; first, a sequence document.
                self.plain &= self.content;
                self.content = true;
            }
            _ => {
                self.content = true;
                match plain_key(line) {
                    Some(("kind", value)) => {
                        self.kinds += 1;
                        self.kind = plain_word(value);
                    }
                    Some(("sops", _)) | None => self.plain = false,
                    Some(_) => {}
                }
            }
        }
    }

    fn close(&self, end: usize, docs: &mut Vec<Doc<'t>>) {
        if !self.content && !self.marked {
            return;
        }
        let known = self.content && self.plain && self.kinds == 1;
        docs.push(Doc {
            start: self.start,
            end,
            lines_before: self.lines_before,
            chars_before: self.chars_before,
            kind: self.kind.filter(|_| known),
        });
    }
}

/// A line `key:` or `key: value` at column 0 whose key is a plain word (letters, digits,
/// `_`, `-`, `.`, `/`, not starting with `-` or `.`): the key and the rest after `: `.
fn plain_key(line: &str) -> Option<(&str, &str)> {
    let colon = line.find(':')?;
    let (key, rest) = (&line[..colon], &line[colon + 1..]);
    let word = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b'/');
    let ok = key
        .bytes()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
        && key.bytes().all(word)
        && (rest.is_empty() || rest.starts_with(' '));
    ok.then_some((key, rest))
}

/// A value that is one plain word (letters and digits), a comment after it allowed.
fn plain_word(value: &str) -> Option<&str> {
    let v = value.trim_start_matches(' ');
    let v = match v.find(" #") {
        Some(i) => &v[..i],
        None => v,
    };
    let v = v.trim_end_matches(' ');
    (!v.is_empty() && v.bytes().all(|c| c.is_ascii_alphanumeric())).then_some(v)
}

/// The documents of `text` whose top-level `kind` `keep` accepts or [`documents`] cannot
/// tell, parsed with their positions in the whole text; the others left unread. Runs of
/// such documents are parsed together.
pub fn parse_stream_where(
    text: &str,
    provenance: Provenance,
    keep: impl Fn(&str) -> bool,
) -> Result<Selected, SyntaxError> {
    let Some(docs) = documents(text) else {
        return whole(text, provenance);
    };
    let skip = |d: &Doc<'_>| d.kind.is_some_and(|k| !keep(k));
    let skipped = docs.iter().filter(|d| skip(d)).count();
    if skipped == 0 {
        return whole(text, provenance);
    }
    // goyaml.v2's refusals of raw text hold for the skipped documents too.
    read::text_rules(text)?;
    let mut out = Vec::new();
    let mut i = 0;
    while i < docs.len() {
        if skip(&docs[i]) {
            i += 1;
            continue;
        }
        let first = &docs[i];
        let mut end = first.end;
        while i < docs.len() && !skip(&docs[i]) {
            end = docs[i].end;
            i += 1;
        }
        let shift = |mut n: Node| {
            shift_marks(&mut n, first.lines_before, first.chars_before);
            n
        };
        match read::parse_stream_as(&text[first.start..end], provenance) {
            Ok(parsed) => out.extend(parsed.into_iter().map(shift)),
            Err(mut e) => {
                if e.mark.line > 0 {
                    e.mark.line += first.lines_before;
                    e.mark.start += first.chars_before;
                    e.mark.end += first.chars_before;
                }
                return Err(e);
            }
        }
    }
    Ok(Selected { docs: out, skipped })
}

fn whole(text: &str, provenance: Provenance) -> Result<Selected, SyntaxError> {
    Ok(Selected {
        docs: read::parse_stream_as(text, provenance)?,
        skipped: 0,
    })
}

/// Positions read from a part of a text, made positions in the whole text.
fn shift_marks(n: &mut Node, lines: usize, chars: usize) {
    n.mark.line += lines;
    n.mark.start += chars;
    n.mark.end += chars;
    match &mut n.value {
        Value::Scalar { .. } => {}
        Value::Seq(items) => items.iter_mut().for_each(|i| shift_marks(i, lines, chars)),
        Value::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
            shift_marks(k, lines, chars);
            shift_marks(v, lines, chars);
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::parse_stream;

    fn kinds(text: &str) -> Vec<Option<&str>> {
        documents(text).unwrap().iter().map(|d| d.kind).collect()
    }

    #[test]
    fn finds_documents_and_their_plain_kinds() {
        let text = "# c\napiVersion: v1\nkind: Secret\nmetadata:\n  name: a\n---\nkind: CustomResourceDefinition # crd\nspec:\n  x: |\n    kind: Secret\n---\n--- |\n  text\n";
        assert_eq!(
            kinds(text),
            [Some("Secret"), Some("CustomResourceDefinition"), None, None]
        );
        let docs = documents(text).unwrap();
        assert_eq!(docs[1].lines_before, 5);
        assert_eq!(&text[docs[1].start..docs[1].start + 4], "---\n");
    }

    #[test]
    fn leaves_the_kind_unknown_when_the_text_could_mean_another() {
        for text in [
            "kind: A\nkind: B\n",
            "kind: \"A\"\n",
            "kind: !!str A\n",
            "kind: &a A\n",
            "{kind: A}\n",
            "\"kind\": A\nkind: B\n",
            "<<: {kind: Secret}\nkind: A\n",
            "? kind\n: A\n",
            "- kind: A\n",
            "kind: A\nsops:\n  mac: x\n",
            "kind: A\n\tfoo: 1\n",
            "  kind: A\n",
            "x: [a,\nb]\nkind: A\n",
            "metadata:\n  name: a\n",
        ] {
            assert_eq!(kinds(text), [None], "{text:?}");
        }
        // A compact sequence under a key is still a block mapping.
        assert_eq!(kinds("a:\n- 1\n- 2\nkind: A\n"), [Some("A")]);
        assert!(documents("%YAML 1.1\n---\nkind: A\n").is_none());
        assert!(documents("kind: A\n...\n").is_none());
        assert_eq!(kinds("# only a comment\n"), Vec::<Option<&str>>::new());
    }

    #[test]
    fn parses_what_is_kept_with_the_positions_of_the_whole_text() {
        let text = "kind: Big\nspec: {a: 1}\n---\nkind: Secret\nmetadata:\n  name: é\n---\nkind: Big\n---\nkind: Pod\nx: 1\n";
        let sel = parse_stream_where(text, Provenance::Plain, |k| k != "Big").unwrap();
        assert_eq!(sel.skipped, 2);
        let all = parse_stream(text).unwrap();
        let kept: Vec<&Node> = all
            .iter()
            .filter(|d| d.get("kind").and_then(Node::as_str) != Some("Big"))
            .collect();
        assert_eq!(sel.docs.len(), kept.len());
        for (a, b) in sel.docs.iter().zip(kept) {
            assert_eq!(a.mark, b.mark);
            let name = |d: &Node| {
                d.get("metadata")
                    .and_then(|m| m.get("name"))
                    .map(|n| n.mark)
            };
            assert_eq!(name(a), name(b));
            assert_eq!(a.get("x").map(|n| n.mark), b.get("x").map(|n| n.mark));
        }
        // Nothing skipped: the whole stream, as parse_stream reads it.
        let sel = parse_stream_where(text, Provenance::Plain, |_| true).unwrap();
        assert_eq!((sel.skipped, sel.docs.len()), (0, all.len()));
    }

    /// The same tree at the same positions (an empty document's end aside: it runs to the
    /// next token, which a part of the text does not hold).
    fn same(a: &Node, b: &Node) -> bool {
        crate::node::same_tree(a, b, &|a, b| {
            let empty = a.is_null() && a.as_str().is_none();
            a.mark == b.mark
                || (empty
                    && (a.mark.line, a.mark.col, a.mark.start)
                        == (b.mark.line, b.mark.col, b.mark.start))
        })
    }

    /// Streams made of documents of many shapes: what is kept is exactly what the whole
    /// parse reads for those documents, positions and all.
    #[test]
    fn keeps_what_a_whole_parse_reads() {
        const DOCS: &[&str] = &[
            "kind: Big\nspec:\n  a: 1\n",
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: é\ndata: {k: dg==}\n",
            "kind: Big\nx: |\n  ---x\n  kind: Secret\n",
            "# only a comment\n",
            "kind: Pod\nspec:\n- a\n- b\n",
            "{kind: Big}\n",
            "kind: Big\nlist:\n- a: ü\n",
            "- 1\n- 2\n",
            "kind: Big  # a comment\r\nb: 1\r\n",
            "a: &x 1\nb: *x\nkind: Big\n",
            "kind: Secret\nx: \"a\n  b\"\n",
        ];
        const SEPARATORS: &[&str] = &["---\n", "--- # c\n", "---\r\n"];
        let mut seed = 7u64;
        let mut next = |n: usize| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize % n
        };
        for _ in 0..400 {
            let mut text = String::new();
            if next(3) == 0 {
                text.push_str(SEPARATORS[next(SEPARATORS.len())]);
            }
            for i in 0..1 + next(6) {
                if i > 0 {
                    text.push_str(SEPARATORS[next(SEPARATORS.len())]);
                }
                text.push_str(DOCS[next(DOCS.len())]);
            }
            let whole = parse_stream(&text).unwrap();
            let sel = parse_stream_where(&text, Provenance::Plain, |k| k != "Big").unwrap();
            // The documents the scan leaves out: a plain `kind: Big`.
            let scanned = documents(&text).unwrap();
            let kept: Vec<&Node> = whole
                .iter()
                .filter(|d| {
                    let at = scanned.iter().find(|s| {
                        s.lines_before < d.mark.line
                            && d.mark.line
                                <= s.lines_before + 1 + text[s.start..s.end].matches('\n').count()
                    });
                    at.is_none_or(|s| s.kind != Some("Big"))
                })
                .collect();
            assert_eq!(sel.docs.len(), kept.len(), "{text:?}");
            for (a, b) in sel.docs.iter().zip(kept) {
                assert!(same(a, b), "{text:?}: {a:?} read as {b:?}");
            }
        }
    }

    #[test]
    fn errors_in_kept_documents_point_into_the_whole_text() {
        let text = "kind: Big\n---\nkind: Secret\na: 1\na: 2\n";
        let whole = parse_stream(text).unwrap_err();
        let e = parse_stream_where(text, Provenance::Plain, |k| k != "Big").unwrap_err();
        assert_eq!(e, whole);
    }

    #[test]
    fn raw_text_rules_hold_in_skipped_documents() {
        let text = "kind: Big\nx: \"\u{1}\"\n---\nkind: Secret\n";
        let e = parse_stream_where(text, Provenance::Plain, |k| k != "Big").unwrap_err();
        assert_eq!(e, parse_stream(text).unwrap_err());
    }
}
