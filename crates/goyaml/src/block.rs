//! The plainest block YAML read directly, without the general parser: most kustomizations
//! and manifests are written in it, and a large one (a thousand generators) parses several
//! times faster so.
//!
//! In: the text of a stream. Out: its documents, the same trees at the same positions as
//! [`crate::read`] gives (saphyr's marks, quirks included: an indentless sequence starts at
//! its first entry's content, a quoted scalar ends at its line's end, a collection at the
//! next token), or `None` when any part of the text is not in this shape. The general
//! reader then reads the whole text, and every error (and every rule goyaml.v2 adds) is
//! its: this reader refuses nothing, it only declines.
//!
//! The shape: ASCII text without tabs or carriage returns; block mappings whose keys are
//! plain words (letters, digits, `_`, `.`, `-`, `/`), each unique; block sequences, with
//! every entry on its dash's line; scalars on one line: plain (no indicator first, no `: `,
//! no trailing `:`), single-quoted, or double-quoted without escapes; comments; `---`
//! between documents. No flow collections, block scalars, anchors, aliases, tags,
//! directives or `...`, and every document starts at column 0.

use std::collections::HashSet;

use crate::node::{Mark, Node, Style, Value};
use crate::search;

/// Deeper than this, the general reader (and its depth budget) takes the text.
const MAX_NESTING: usize = 64;

/// Mappings with more keys than this find a duplicate through a set, not a scan.
const SCAN_KEYS: usize = 8;

/// The documents of `text`, when all of it is in the shape this reader takes.
pub(crate) fn read(text: &str) -> Option<Vec<Node>> {
    let s = text.as_bytes();
    if !text.is_ascii() || search::find2(b'\t', b'\r', s).is_some() {
        return None;
    }
    let mut r = Reader {
        text,
        s,
        pos: 0,
        line: 1,
    };
    let mut docs = Vec::new();
    // A `---` seen and no document after it yet: an empty document if another `---` or
    // the end comes first.
    let mut opened = false;
    let mut look = r.look()?;
    loop {
        match look {
            Look::End => {
                if opened {
                    let end = r.stream_end();
                    docs.push(empty(end));
                }
                return Some(docs);
            }
            Look::Marker => {
                if opened {
                    let at = r.pos;
                    docs.push(empty(r.mark(at, at + 3)));
                }
                opened = true;
                r.next_line();
                look = r.look()?;
            }
            Look::Content(0) => {
                let (node, next) = r.node_at(0, 1)?;
                if matches!(next, Look::Content(_)) {
                    return None;
                }
                docs.push(node);
                opened = false;
                look = next;
            }
            Look::Content(_) => return None,
        }
    }
}

fn empty(mark: Mark) -> Node {
    scalar(String::new(), Style::Plain, mark)
}

fn scalar(text: String, style: Style, mark: Mark) -> Node {
    Node {
        value: Value::Scalar {
            text,
            style,
            tag: None,
        },
        mark,
    }
}

/// What the next line that is not blank or a comment holds.
#[derive(Clone, Copy)]
enum Look {
    End,
    /// `---` alone at column 0.
    Marker,
    /// Content, indented so many spaces.
    Content(usize),
}

struct Reader<'t> {
    text: &'t str,
    s: &'t [u8],
    /// The start of the current line, and its number (from 1).
    pos: usize,
    line: usize,
}

impl Reader<'_> {
    fn line_end(&self) -> usize {
        search::find(b'\n', &self.s[self.pos..]).map_or(self.s.len(), |i| self.pos + i)
    }

    fn next_line(&mut self) {
        let end = self.line_end();
        if end < self.s.len() {
            self.pos = end + 1;
            self.line += 1;
        } else {
            self.pos = self.s.len();
        }
    }

    /// Moves past blank and comment lines to the next that holds something; `None` for a
    /// line this reader does not take (a directive, `...`, `---` with text after it).
    fn look(&mut self) -> Option<Look> {
        loop {
            if self.pos >= self.s.len() {
                return Some(Look::End);
            }
            let line = &self.s[self.pos..self.line_end()];
            let indent = line.iter().take_while(|&&b| b == b' ').count();
            if indent == line.len() || line[indent] == b'#' {
                self.next_line();
                continue;
            }
            if indent == 0 {
                if line == b"---" {
                    return Some(Look::Marker);
                }
                if line.starts_with(b"---") || line.starts_with(b"...") || line[0] == b'%' {
                    return None;
                }
            }
            return Some(Look::Content(indent));
        }
    }

    /// Where the next token is (a collection's end, as saphyr marks it).
    fn token_at(&self, look: Look) -> usize {
        match look {
            Look::End => self.s.len(),
            Look::Marker => self.pos,
            Look::Content(indent) => self.pos + indent,
        }
    }

    /// The end of the stream as saphyr marks it: a line past the last, two when the text
    /// does not end with a line break.
    fn stream_end(&self) -> Mark {
        let breaks = search::positions(b'\n', self.s).count();
        let open = !self.s.is_empty() && !self.s.ends_with(b"\n");
        Mark {
            line: breaks + 1 + usize::from(open),
            col: 1,
            start: self.s.len(),
            end: self.s.len(),
        }
    }

    /// A mark on the current line.
    fn mark(&self, start: usize, end: usize) -> Mark {
        Mark {
            line: self.line,
            col: start - self.pos + 1,
            start,
            end,
        }
    }

    /// The first place from `at` (up to `end`) that is not a space.
    fn past_spaces(&self, at: usize, end: usize) -> usize {
        at + self.s[at..end].iter().take_while(|&&b| b == b' ').count()
    }

    /// A sequence entry's dash at `at`: `-` then a space or the line's end.
    fn is_dash(&self, at: usize) -> bool {
        self.s.get(at) == Some(&b'-') && matches!(self.s.get(at + 1), None | Some(b' ' | b'\n'))
    }

    /// The end of the plain key at `at` (its `:`), when a mapping entry starts there.
    fn key_end(&self, at: usize) -> Option<usize> {
        let s = self.s;
        if !matches!(
            s.get(at),
            Some(b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'.')
        ) {
            return None;
        }
        let mut i = at;
        while i < s.len()
            && matches!(s[i], b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'/')
        {
            i += 1;
        }
        (s.get(i) == Some(&b':') && matches!(s.get(i + 1), None | Some(b' ' | b'\n'))).then_some(i)
    }

    /// A collection that started at `start`, ended where the next token (`look`) is.
    fn close(&self, value: Value, start: Mark, look: Look) -> (Node, Look) {
        let end = self.token_at(look);
        let node = Node {
            value,
            mark: Mark { end, ..start },
        };
        (node, look)
    }

    /// The collection whose first line is the current one, indented `indent`.
    fn node_at(&mut self, indent: usize, depth: usize) -> Option<(Node, Look)> {
        let at = self.pos + indent;
        if self.is_dash(at) {
            self.sequence(indent, depth, false)
        } else {
            self.mapping(indent, at, depth)
        }
    }

    /// A block mapping at column `indent`, its first key at `at` on the current line.
    fn mapping(&mut self, indent: usize, at: usize, depth: usize) -> Option<(Node, Look)> {
        if depth > MAX_NESTING {
            return None;
        }
        let start = self.mark(at, at);
        let mut entries: Vec<(Node, Node)> = Vec::new();
        let mut keys: HashSet<&str> = HashSet::new();
        let mut at = at;
        loop {
            let colon = self.key_end(at)?;
            // A key is a plain word: its text is its source.
            let text = self.text;
            let name_of = |k: &Node| &text[k.mark.start..k.mark.end];
            let name = &text[at..colon];
            let unique = if entries.len() < SCAN_KEYS {
                !entries.iter().any(|(k, _)| name_of(k) == name)
            } else {
                if keys.is_empty() {
                    keys.extend(entries.iter().map(|(k, _)| name_of(k)));
                }
                keys.insert(name)
            };
            if !unique {
                return None;
            }
            let key = scalar(name.to_string(), Style::Plain, self.mark(at, colon));
            let (value, look) = self.value(colon, indent, depth)?;
            entries.push((key, value));
            match look {
                Look::Content(i) if i == indent && !self.is_dash(self.pos + i) => {
                    at = self.pos + i;
                }
                Look::Content(i) if i >= indent => return None,
                _ => return Some(self.close(Value::Map(entries), start, look)),
            }
        }
    }

    /// The value of the key whose `:` is at `colon`, in a mapping at column `indent`: on
    /// the key's line, or the collection on the lines below, or empty.
    fn value(&mut self, colon: usize, indent: usize, depth: usize) -> Option<(Node, Look)> {
        let end = self.line_end();
        let at = self.past_spaces(colon + 1, end);
        if at < end && self.s[at] != b'#' {
            let node = self.scalar_at(at, end)?;
            self.next_line();
            return Some((node, self.look()?));
        }
        let none = self.mark(colon, colon);
        self.next_line();
        let look = self.look()?;
        match look {
            Look::Content(i) if i > indent => self.node_at(i, depth + 1),
            Look::Content(i) if i == indent && self.is_dash(self.pos + i) => {
                self.sequence(i, depth + 1, true)
            }
            _ => Some((empty(none), look)),
        }
    }

    /// A block sequence whose dashes are at column `indent`, the first on the current line.
    /// An indentless one (at its mapping's column) starts where its first entry does.
    fn sequence(&mut self, indent: usize, depth: usize, indentless: bool) -> Option<(Node, Look)> {
        if depth > MAX_NESTING {
            return None;
        }
        let mut items = Vec::new();
        let mut first = None;
        loop {
            let dash = self.pos + indent;
            let end = self.line_end();
            let at = self.past_spaces(dash + 1, end);
            if at >= end || self.s[at] == b'#' || self.is_dash(at) {
                return None;
            }
            let start = *first.get_or_insert(self.mark(if indentless { at } else { dash }, 0));
            let (node, look) = if self.key_end(at).is_some() {
                self.mapping(at - self.pos, at, depth + 1)?
            } else {
                let node = self.scalar_at(at, end)?;
                self.next_line();
                (node, self.look()?)
            };
            items.push(node);
            match look {
                Look::Content(i) if i == indent && self.is_dash(self.pos + i) => {}
                Look::Content(i) if i > indent => return None,
                _ => return Some(self.close(Value::Seq(items), start, look)),
            }
        }
    }

    /// The scalar at `at`, alone on its line up to `end` but for a comment.
    fn scalar_at(&self, at: usize, end: usize) -> Option<Node> {
        let s = self.s;
        match s[at] {
            b'\'' | b'"' => {
                let quote = s[at];
                let mut text = String::new();
                let mut i = at + 1;
                let close = loop {
                    let j = i + search::find(quote, &s[i..end])?;
                    text.push_str(&self.text[i..j]);
                    if quote == b'\'' && s.get(j + 1) == Some(&b'\'') {
                        text.push('\'');
                        i = j + 2;
                    } else {
                        break j + 1;
                    }
                };
                if quote == b'"' && text.contains('\\') {
                    return None;
                }
                let rest = self.past_spaces(close, end);
                if rest < end && !(s[rest] == b'#' && rest > close) {
                    return None;
                }
                Some(scalar(text, Style::Quoted, self.mark(at, end)))
            }
            b'-' if !self.is_dash(at) => self.plain(at, end),
            b'-' | b'?' | b':' | b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!'
            | b'|' | b'>' | b'%' | b'@' | b'`' => None,
            _ => self.plain(at, end),
        }
    }

    /// A plain scalar on one line: up to a comment, trailing spaces off. A `:` before a
    /// space or the line's end would make it a key: left to the general reader.
    fn plain(&self, at: usize, end: usize) -> Option<Node> {
        let line = &self.s[at..end];
        let mut cut = line.len();
        for (i, &b) in line.iter().enumerate() {
            match (b, line.get(i + 1)) {
                (b' ', Some(b'#')) => {
                    cut = i;
                    break;
                }
                (b':', None | Some(b' ')) => return None,
                _ => {}
            }
        }
        let len = line[..cut]
            .iter()
            .rposition(|&b| b != b' ')
            .map_or(0, |i| i + 1);
        let text = self.text[at..at + len].to_string();
        Some(scalar(text, Style::Plain, self.mark(at, at + len)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::read_general;

    /// The same tree: values, styles, tags and every mark.
    fn same(a: &Node, b: &Node) -> bool {
        crate::node::same_tree(a, b, &|a, b| a.mark == b.mark)
    }

    /// Whether the block reader took `text`; when it did, the general reader gives the same
    /// documents (it must not refuse what this reader took).
    fn check(text: &str) -> bool {
        let Some(docs) = read(text) else {
            return false;
        };
        let general = read_general(text)
            .unwrap_or_else(|e| panic!("taken, but the general reader refuses ({e}): {text:?}"));
        assert_eq!(docs.len(), general.len(), "documents of {text:?}");
        for (a, b) in docs.iter().zip(&general) {
            assert!(same(a, b), "{text:?}\nblock:   {a:?}\ngeneral: {b:?}");
        }
        true
    }

    #[test]
    fn the_shapes_of_kustomizations_are_read_as_the_general_reader_reads_them() {
        for text in [
            "secretGenerator:\n- name: g\n  files:\n  - k=data/k\n  - data/j\n- name: h\n  literals:\n  - a=b\n",
            "a: 1\nb:\n- x\n- \"y\"  # c\nc:\n  d: e\n\n# end\n",
            "k:\n  - a\n  - b: c\n    d: e\n  -   f\nz: 1",
            "- a\n-  b\n- c: 1\n  d: 2\n",
            "a: 'x'\nb: \"y\"\nc: 'p''q'   \nd: \"z\" # k\ne: w   # k\n",
            "a:\nb:\n  c:\n  d: \ne: \"q\"",
            "a: 1\n# c\n\n---\nb: 2\n---\n# only\n---\n- x\n",
            "---\na:   b#c  \n  # x\nd: http://e:f\n# y\ng:\n    - 1\n    # z\n    - 2\n",
            "a: 1\n---\n",
            "---\n---\na: 1\n",
            "---",
            "a: 1\n---",
            "a:   # c\nb: 1",
            "a: 'x'   ",
            "a: ---\nb: -x\nc: a - b\n",
            "- a:\n  - x\n- b:\n    c: d\n",
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  annotations:\n    example.com/a-b_c.d: x\ntype: Opaque\ndata:\n  .dockerconfigjson: e30=\n",
            "k1: 1\nk2: 2\nk3: 3\nk4: 4\nk5: 5\nk6: 6\nk7: 7\nk8: 8\nk9: 9\nk10: 10\n",
            "",
            "# only a comment\n",
        ] {
            assert!(check(text), "declined: {text:?}");
        }
    }

    /// What the block reader leaves to the general one: every construct outside its shape,
    /// and every text the general reader refuses.
    #[test]
    fn it_declines_what_it_does_not_take() {
        for text in [
            "a: |\n  x\n",
            "a: >-\n  x\n",
            "a: [1, 2]\n",
            "a: {b: c}\n",
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "<<: {a: 1}\n",
            "\"a\": 1\n",
            "a: \"x\\ny\"\n",
            "a: 'x\n  y'\n",
            "a: b\n  c\n",
            "a: b: c\n",
            "a: b:\n",
            "a: 1\na: 2\n",
            "k1: 1\nk2: 2\nk3: 3\nk4: 4\nk5: 5\nk6: 6\nk7: 7\nk8: 8\nk9: 9\nk1: 10\n",
            "a:\n\tb: 1\n",
            "a: 1\r\nb: 2\r\n",
            "a: é\n",
            "%YAML 1.1\n---\na: 1\n",
            "a: 1\n...\n",
            "--- a: 1\n",
            "  a: 1\n",
            "scalar\n",
            "-\n  - x\n",
            "- - x\n",
            "a:\n  - x\n  b: 1\n",
            "a:\n    b: 1\n  c: 2\n",
            "a: 1\n- x\n",
            "- x\na: 1\n",
            "a: \"x\" y\n",
            "a: 'x'#c\n",
            "a: -\n",
            "a: ?x\n",
            "a:\n  x\n",
            "? a\n: b\n",
            "a b: c\n",
            "a : c\n",
        ] {
            assert!(read(text).is_none(), "taken: {text:?}");
        }
    }

    /// A seeded generator of texts near the shape (and past it): whatever the block reader
    /// takes, the general reader reads to the same trees.
    #[test]
    fn random_texts_read_alike() {
        let mut rng = Rng(fastrand::Rng::with_seed(0x005e_ed0f_b10c));
        let (mut taken, mut total) = (0, 0);
        for _ in 0..20_000 {
            let text = random_stream(&mut rng);
            total += 1;
            if check(&text) {
                taken += 1;
            }
        }
        // Both sides exercised: the generator is not all in the shape, nor all outside.
        assert!(
            taken * 5 > total && taken * 5 < total * 4,
            "{taken} of {total}"
        );
    }

    /// Every YAML file of the conformance corpus (and of the real-world trees, when
    /// tests/setup.sh fetched them): whatever the block reader takes reads alike.
    #[test]
    // The test reads the repository's own corpus, not a file a user named.
    #[allow(clippy::disallowed_methods)]
    fn the_corpus_reads_alike() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut files = Vec::new();
        for dir in ["testdata", ".tools/realworld/trees"] {
            yaml_files(&root.join(dir), &mut files);
        }
        let mut taken = 0;
        for f in &files {
            let Ok(text) = std::fs::read_to_string(f) else {
                continue;
            };
            if crate::read::text_rules(&text).is_ok() && check(&text) {
                taken += 1;
            }
        }
        assert!(files.len() > 500, "{} files", files.len());
        assert!(taken * 4 > files.len(), "{taken} of {} taken", files.len());
    }

    fn yaml_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let Ok(kind) = e.file_type() else { continue };
            let path = e.path();
            if kind.is_dir() {
                yaml_files(&path, out);
            } else if kind.is_file() && path.extension().is_some_and(|x| x == "yaml" || x == "yml")
            {
                out.push(path);
            }
        }
    }

    /// fastrand's generator, seeded, with the three draws the texts are made of.
    struct Rng(fastrand::Rng);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0.usize(..n)
        }
        fn pick(&mut self, from: &[&'static str]) -> &'static str {
            from[self.below(from.len())]
        }
        fn one_in(&mut self, n: usize) -> bool {
            self.below(n) == 0
        }
    }

    /// Keys and scalars in the shape, and (one time in forty) outside it.
    const KEYS: &[&str] = &[
        "a", "b", "c", "name", "files", "k.x", "app/x", "x-y", "_u", "1", "on", ".d",
    ];
    const ODD_KEYS: &[&str] = &["-x", "a b", "\"q\"", "'q'", "<<", "?", "k:", "a#", "é"];
    const SCALARS: &[&str] = &[
        "x",
        "1",
        "true",
        "a b",
        "b#c",
        "b #c",
        "http://e:f",
        "-x",
        "---",
        "...",
        "~",
        "'s'",
        "'p''q'",
        "\"d\"",
        "\"x\" #c",
        "'x'  # c",
        "x  ",
        "x # c",
        "a - b",
        "''",
        "\"\"",
        "' '",
        "x:y",
        "x :y",
        "#",
        "data/g/k",
        "k=v",
        "0x1F",
        "null",
        "'a\"b'",
        "\"a'b\"",
    ];
    const ODD_SCALARS: &[&str] = &[
        "a: b", "b:", "- x", "-", "'open", "\"e\\n\"", "\"x\" y", "'x'#c", "[a]", "{a: 1}", "&a x",
        "*a", "!!str x", "|", ">", "%x", "@x", "`x", "?x", ":x", ",x", "é",
    ];

    fn key(rng: &mut Rng) -> &'static str {
        if rng.one_in(40) {
            rng.pick(ODD_KEYS)
        } else {
            rng.pick(KEYS)
        }
    }

    fn value(rng: &mut Rng) -> &'static str {
        if rng.one_in(40) {
            rng.pick(ODD_SCALARS)
        } else {
            rng.pick(SCALARS)
        }
    }

    fn random_stream(rng: &mut Rng) -> String {
        let mut out = String::new();
        let docs = 1 + rng.below(3);
        for d in 0..docs {
            if d > 0 || rng.one_in(3) {
                let marker = if rng.one_in(40) {
                    rng.pick(&["--- \n", "...\n---\n", "--- # c\n"])
                } else {
                    rng.pick(&["---\n", "---\n---\n"])
                };
                out.push_str(marker);
            }
            noise(rng, &mut out, 0);
            if rng.one_in(10) {
                continue;
            }
            if rng.one_in(3) {
                sequence(rng, &mut out, 0, 0);
            } else {
                mapping(rng, &mut out, 0, 0, None);
            }
        }
        if rng.one_in(4) && out.ends_with('\n') {
            out.pop();
        }
        if rng.one_in(60) {
            out = out.replace('\n', "\r\n");
        }
        if rng.one_in(20) {
            let at = rng.below(out.len() + 1);
            if out.is_char_boundary(at) {
                out.insert(
                    at,
                    rng.pick(&[" ", "\t", "#", ":", "-", "\n", "'"])
                        .chars()
                        .next()
                        .unwrap(),
                );
            }
        }
        out
    }

    /// Blank lines, comments and trailing spaces here and there.
    fn noise(rng: &mut Rng, out: &mut String, indent: usize) {
        while rng.one_in(4) {
            match rng.below(4) {
                0 => out.push('\n'),
                1 => out.push_str(&format!("{}# c\n", " ".repeat(rng.below(indent + 3)))),
                2 => out.push_str(&format!("{}\n", " ".repeat(rng.below(4)))),
                _ => out.push_str(&format!("{}#\n", " ".repeat(indent))),
            }
        }
    }

    fn shift(rng: &mut Rng, indent: usize) -> usize {
        if rng.one_in(60) {
            (indent + 1).saturating_sub(rng.below(3))
        } else {
            indent
        }
    }

    /// A mapping at `indent`; `first`: its first key goes on the current line (after a
    /// sequence's dash), not indented.
    fn mapping(rng: &mut Rng, out: &mut String, indent: usize, depth: usize, first: Option<()>) {
        let most = if rng.one_in(8) { 12 } else { 4 };
        let n = 1 + rng.below(most);
        for i in 0..n {
            if i > 0 || first.is_none() {
                out.push_str(&" ".repeat(shift(rng, indent)));
            }
            out.push_str(key(rng));
            out.push_str(rng.pick(&[": ", ": ", ":  ", ":", ":"]));
            if out.ends_with(' ') || rng.one_in(6) {
                if !out.ends_with(' ') {
                    out.push(' ');
                }
                out.push_str(value(rng));
                if rng.one_in(8) {
                    out.push_str(rng.pick(&["  ", " # c", "  #c", "#c"]));
                }
                out.push('\n');
            } else {
                if rng.one_in(5) {
                    out.push_str(rng.pick(&["  ", " # c", "#c"]));
                }
                out.push('\n');
                noise(rng, out, indent);
                let deeper = indent + 1 + rng.below(4);
                match (depth < 5).then(|| rng.below(20)) {
                    Some(0..6) => mapping(rng, out, deeper, depth + 1, None),
                    Some(6..12) => sequence(rng, out, deeper, depth + 1),
                    Some(12..17) => sequence(rng, out, indent, depth + 1),
                    Some(17) => {
                        out.push_str(&format!("{}{}\n", " ".repeat(indent + 2), value(rng)))
                    }
                    _ => {}
                }
            }
            noise(rng, out, indent);
        }
    }

    fn sequence(rng: &mut Rng, out: &mut String, indent: usize, depth: usize) {
        let n = 1 + rng.below(4);
        for _ in 0..n {
            out.push_str(&" ".repeat(shift(rng, indent)));
            let gap = if rng.one_in(40) {
                rng.pick(&["-", "- - "])
            } else {
                rng.pick(&["- ", "- ", "-   "])
            };
            out.push_str(gap);
            if gap == "-" {
                out.push('\n');
                if rng.one_in(2) && depth < 5 {
                    mapping(rng, out, indent + 2, depth + 1, None);
                }
            } else if rng.one_in(3) && depth < 5 {
                mapping(rng, out, indent + gap.len(), depth + 1, Some(()));
            } else {
                out.push_str(value(rng));
                out.push('\n');
            }
            noise(rng, out, indent);
        }
    }
}
