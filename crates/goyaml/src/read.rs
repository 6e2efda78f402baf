//! The reader: saphyr's events to [`Node`] trees, with goyaml.v2's rules on top.
//!
//! Positions ([`Mark`]) for every node; duplicate keys, unknown anchors and what goyaml.v2
//! refuses but saphyr (YAML 1.2) accepts are errors; aliases are expanded within goyaml.v2's
//! budget (a "billion laughs" is refused before it grows); merge keys (`<<`) are merged.

use std::borrow::Cow;
use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span, SpannedEventReceiver};

use super::error::{Kind, SyntaxError};
use super::node::{Mark, Node, Style, Value};
use super::resolve::{self, Resolved, Tag};
use crate::budget::{self, Depth};
use crate::shown::{Provenance, Text};

fn mark_of(span: Span) -> Mark {
    Mark {
        line: span.start.line(),
        col: span.start.col() + 1,
        start: span.start.index(),
        end: span.end.index(),
    }
}

enum Frame {
    Seq(Vec<Node>, Mark, usize),
    /// Entries, a key waiting for its value, the start, the anchor, and the scalar keys
    /// seen (so a duplicate is found in constant time, whatever the mapping's size).
    Map(
        Vec<(Node, Node)>,
        Option<Node>,
        Mark,
        usize,
        std::collections::HashSet<String>,
    ),
}

#[derive(Default)]
struct Builder<'t> {
    /// The source, for the rules goyaml.v2 applies to raw text (escapes, flow scalars).
    text: &'t str,
    /// Where the text came from: a decrypted one's errors describe its keys, never quote them.
    provenance: Provenance,
    /// The last character index turned into a byte offset, and that offset: events come
    /// in source order, so walking on from there costs the text's length in all.
    cursor: (usize, usize),
    /// Facts about the whole text, computed once.
    ascii: bool,
    has_tab: bool,
    has_slash_escape: bool,
    /// Whether each open collection is a flow (`[…]`, `{…}`) one.
    flow: Vec<bool>,
    docs: Vec<Node>,
    stack: Vec<Frame>,
    /// Anchored nodes with their size (nodes, scalar bytes), for the alias budget.
    anchors: HashMap<usize, (Node, usize, usize)>,
    error: Option<SyntaxError>,
    /// goyaml.v2's count of decoded nodes in this document, and of those that came from
    /// expanding an alias.
    decode_count: usize,
    alias_count: usize,
    alias_bytes: usize,
    /// Collections opened past the depth budget: read through, not built.
    too_deep: usize,
}

/// goyaml.v2's `allowedAliasRatio`: 99% of a small document may come from aliases, falling
/// linearly to 10% between 400,000 and 4,000,000 decoded nodes.
fn allowed_alias_ratio(decode_count: usize) -> f64 {
    const LOW: usize = 400_000;
    const HIGH: usize = 4_000_000;
    if decode_count <= LOW {
        0.99
    } else if decode_count >= HIGH {
        0.10
    } else {
        0.99 - 0.89 * ((decode_count - LOW) as f64 / (HIGH - LOW) as f64)
    }
}

/// Scalar bytes that aliases may copy in one document (the parsers' budget).
const MAX_ALIAS_BYTES: usize = budget::MAX_EXPANDED_BYTES;

/// How many collections deep a tree nests (0 for a scalar).
fn tree_height(node: &Node) -> usize {
    match &node.value {
        Value::Scalar { .. } => 0,
        Value::Seq(items) => 1 + items.iter().map(tree_height).max().unwrap_or(0),
        Value::Map(entries) => {
            1 + entries
                .iter()
                .map(|(k, v)| tree_height(k).max(tree_height(v)))
                .max()
                .unwrap_or(0)
        }
    }
}

/// A tree's size: nodes, and bytes of scalar text.
fn tree_size(node: &Node) -> (usize, usize) {
    match &node.value {
        Value::Scalar { text, .. } => (1, text.len()),
        Value::Seq(items) => items.iter().fold((1, 0), |(n, b), i| {
            let (n2, b2) = tree_size(i);
            (n + n2, b + b2)
        }),
        Value::Map(entries) => entries.iter().fold((1, 0), |(n, b), (k, v)| {
            let (nk, bk) = tree_size(k);
            let (nv, bv) = tree_size(v);
            (n + nk + nv, b + bk + bv)
        }),
    }
}

impl Builder<'_> {
    /// The source text between two character indices.
    fn raw(&mut self, start: usize, end: usize) -> &'_ str {
        let a = self.byte_at(start);
        let b = self.byte_at(end).max(a);
        &self.text[a..b]
    }

    fn byte_at(&mut self, char_index: usize) -> usize {
        let text = self.text;
        if self.ascii {
            return char_index.min(text.len());
        }
        let (mut ci, mut bi) = self.cursor;
        if char_index < ci / 2 {
            (ci, bi) = (0, 0);
        }
        if char_index < ci {
            // A collection starts before the token read last: back from there, not from
            // the start of the text (which made a long non-ASCII text quadratic).
            for c in text[..bi].chars().rev() {
                if ci == char_index {
                    break;
                }
                ci -= 1;
                bi -= c.len_utf8();
            }
        }
        for c in text[bi..].chars() {
            if ci == char_index {
                break;
            }
            ci += 1;
            bi += c.len_utf8();
        }
        self.cursor = (ci, bi);
        bi
    }

    /// Whether one more collection fits the depth budget; past it, the document is refused
    /// and the collection read through without being built.
    fn within_depth(&mut self, mark: Mark) -> bool {
        if self.too_deep == 0 && Depth::check(self.stack.len() + 1).is_ok() {
            return true;
        }
        self.fail(mark, format!("the document is {}", budget::TooDeep));
        false
    }

    fn fail(&mut self, mark: Mark, message: impl Into<String>) {
        if self.error.is_none() {
            self.error = Some(SyntaxError {
                mark,
                message: message.into(),
                kind: Kind::Syntax,
            });
        }
    }

    /// goyaml.v2 skips a tab between tokens only where no simple key may start: after a
    /// block sequence's `-` it does not, and the tab "cannot start any token".
    fn check_tab_after_dash(&mut self, mark: Mark) {
        if !self.has_tab || self.flow.last() == Some(&true) {
            return;
        }
        let b = self.byte_at(mark.start);
        let before = &self.text[..b];
        let line = &before[before.rfind('\n').map_or(0, |i| i + 1)..];
        let only_indicators = line.chars().all(|c| matches!(c, ' ' | '\t' | '-'));
        let tab_after_dash = line.find('-').is_some_and(|i| line[i..].contains('\t'));
        if only_indicators && tab_after_dash {
            self.fail(
                mark,
                "found character that cannot start any token: a tab after `-` (kustomize's YAML reader separates a sequence entry only with spaces)",
            );
        }
    }

    /// What goyaml.v2 refuses in a scalar's source that saphyr (YAML 1.2) accepts.
    fn check_scalar_source(&mut self, style: ScalarStyle, text: &str, mark: Mark) {
        match style {
            ScalarStyle::DoubleQuoted if self.has_slash_escape => {
                let raw = self.raw(mark.start, mark.end).to_string();
                let mut chars = raw.chars();
                while let Some(c) = chars.next() {
                    if c == '\\' && chars.next() == Some('/') {
                        self.fail(
                            mark,
                            "found unknown escape character `\\/` (YAML 1.1, as kustomize reads it, has no such escape: write `/`)",
                        );
                        return;
                    }
                }
            }
            ScalarStyle::Plain => {
                if self.flow.iter().any(|f| *f) && text.contains('?') {
                    self.fail(
                        mark,
                        "a `?` inside a plain scalar in a flow collection ends the scalar for kustomize's YAML reader (did not find expected ',' or ']'): quote the value",
                    );
                    return;
                }
                if self.has_tab {
                    let raw = self.raw(mark.start, mark.end).to_string();
                    if raw.contains('\n')
                        && raw.split('\n').skip(1).any(|line| {
                            let line = line.strip_suffix('\r').unwrap_or(line);
                            line.contains('\t') && line.trim_matches([' ', '\t']).is_empty()
                        })
                    {
                        self.fail(
                            mark,
                            "found a tab character that violates indentation (a line of only tabs inside a multi-line plain scalar)",
                        );
                    }
                }
            }
            _ => {}
        }
    }

    /// goyaml.v2's merge keys: a plain `<<` entry merges a mapping (or a list of mappings,
    /// earlier ones winning) into this one, keys assigned in order, a later one replacing
    /// the value of an earlier one.
    fn merge_keys(&mut self, entries: Vec<(Node, Node)>) -> Vec<(Node, Node)> {
        let is_merge = |k: &Node| matches!(&k.value, Value::Scalar { text, style: Style::Plain, tag: None } if text == "<<");
        if !entries.iter().any(|(k, _)| is_merge(k)) {
            return entries;
        }
        fn assign(
            out: &mut Vec<(Node, Node)>,
            index: &mut HashMap<String, usize>,
            k: Node,
            v: Node,
        ) {
            let Value::Scalar { text, .. } = &k.value else {
                out.push((k, v));
                return;
            };
            match index.get(text) {
                Some(&i) => out[i].1 = v,
                None => {
                    index.insert(text.clone(), out.len());
                    out.push((k, v));
                }
            }
        }
        let mut out: Vec<(Node, Node)> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for (k, v) in entries {
            if !is_merge(&k) {
                assign(&mut out, &mut index, k, v);
                continue;
            }
            let maps: Vec<Node> = match v.value {
                Value::Map(_) => vec![v],
                Value::Seq(items) => items.into_iter().rev().collect(),
                _ => vec![v],
            };
            for m in maps {
                match m.value {
                    Value::Map(pairs) => {
                        for (mk, mv) in pairs {
                            assign(&mut out, &mut index, mk, mv);
                        }
                    }
                    _ => {
                        self.fail(
                            m.mark,
                            "map merge requires map or sequence of maps as the value",
                        );
                    }
                }
            }
        }
        out
    }

    /// An implicit one-pair mapping inside a flow sequence whose key is a plain scalar
    /// glued to its `:` and followed by `,`, `]` or `}` with an empty value: the string
    /// goyaml.v2 reads there (the key and the `:`).
    fn colon_glued_key(&mut self, entries: &[(Node, Node)]) -> Option<String> {
        let [(k, v)] = entries else { return None };
        let Value::Scalar {
            text,
            style: Style::Plain,
            tag: None,
        } = &k.value
        else {
            return None;
        };
        let empty = matches!(&v.value, Value::Scalar { text, style: Style::Plain, tag: None } if text.is_empty());
        if !empty {
            return None;
        }
        let text = text.clone();
        let after = self.raw(k.mark.end, k.mark.end + 2).to_string();
        let mut chars = after.chars();
        (chars.next() == Some(':') && matches!(chars.next(), Some(',' | ']' | '}')))
            .then(|| format!("{text}:"))
    }

    fn push_value(&mut self, node: Node, anchor: usize) {
        if anchor != 0 {
            let (n, b) = tree_size(&node);
            self.anchors.insert(anchor, (node.clone(), n, b));
        }
        match self.stack.last_mut() {
            None => self.docs.push(node),
            Some(Frame::Seq(items, _, _)) => items.push(node),
            Some(Frame::Map(entries, pending, _, _, seen)) => match pending.take() {
                None => *pending = Some(node),
                Some(key) => {
                    if self.error.is_none()
                        && let Value::Scalar { text, .. } = &key.value
                    {
                        let dup = !seen.insert(text.clone());
                        if dup {
                            self.error = Some(SyntaxError {
                                mark: key.mark,
                                message: format!(
                                    "mapping key {} appears twice (YAML keys must be unique)",
                                    Text::new(text, self.provenance)
                                ),
                                kind: Kind::Syntax,
                            });
                        }
                    }
                    entries.push((key, node));
                }
            },
        }
    }

    /// A scalar: its source checked against goyaml.v2's rules, its tag written out in full
    /// (`!!binary` decoded, a core tag checked against the text), then added where it
    /// belongs.
    fn on_scalar(
        &mut self,
        text: Cow<'_, str>,
        raw_style: ScalarStyle,
        anchor: usize,
        tag: Option<Cow<'_, saphyr_parser::Tag>>,
        mark: Mark,
    ) {
        self.check_tab_after_dash(mark);
        self.check_scalar_source(raw_style, &text, mark);
        let style = match raw_style {
            ScalarStyle::Plain => Style::Plain,
            ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => Style::Quoted,
            ScalarStyle::Literal | ScalarStyle::Folded => Style::Block,
        };
        let tag = tag.map(|t| format!("{}{}", t.handle, t.suffix));
        let tag = tag.map(|t| match t.strip_prefix("!!") {
            Some(rest) => format!("tag:yaml.org,2002:{rest}"),
            None => t,
        });
        let text = self.block_at_end_of_input(text, raw_style, mark);
        let (text, style, tag) = if tag.as_deref() == Some("tag:yaml.org,2002:binary") {
            self.decode_binary(&text, mark)
        } else {
            (text.into_owned(), style, tag)
        };
        if let Some(t) = tag.as_deref() {
            self.check_core_tag(t, &text, mark);
        }
        let node = Node {
            value: Value::Scalar { text, style, tag },
            mark,
        };
        self.decode_count += 1;
        self.push_value(node, anchor);
    }

    /// A block scalar that runs to the end of an input without a final line break. libyaml
    /// (goyaml.v2 and v3) keeps no line break that is not there: `k: |\n  abc` and
    /// `k: |+\n  abc` are `abc`, `k: |\n  abc\n  ` is `abc\n`. The parser ends the last
    /// line of the scalar with one anyway, where that line is the input's last: content, or
    /// indentation as deep as the content's (a shallower one is not the scalar's).
    fn block_at_end_of_input<'t>(
        &self,
        text: Cow<'t, str>,
        style: ScalarStyle,
        mark: Mark,
    ) -> Cow<'t, str> {
        let block = matches!(style, ScalarStyle::Literal | ScalarStyle::Folded);
        if !block || mark.end < self.text.len() || self.text.ends_with(['\n', '\r']) {
            return text;
        }
        let last_line = self.text.rsplit(['\n', '\r']).next().unwrap_or("");
        let indent = mark.col.saturating_sub(1);
        if last_line.trim().is_empty() && last_line.chars().count() < indent.max(1) {
            return text;
        }
        match text.strip_suffix('\n') {
            Some(kept) => Cow::Owned(kept.to_string()),
            None => text,
        }
    }

    /// `!!binary`: goyaml.v2 decodes the base64 into the string's bytes. Gives the decoded
    /// text, quoted and untagged (empty, with the error noted, when it is not base64).
    fn decode_binary(&mut self, text: &str, mark: Mark) -> (String, Style, Option<String>) {
        use base64::Engine as _;
        let clean: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        match base64::engine::general_purpose::STANDARD.decode(clean) {
            Ok(bytes) => (
                String::from_utf8_lossy(&bytes).into_owned(),
                Style::Quoted,
                None,
            ),
            Err(_) => {
                self.fail(mark, "!!binary value contains invalid base64 data");
                (String::new(), Style::Quoted, None)
            }
        }
    }

    /// An explicit core tag must fit the scalar, as goyaml.v2's `resolve` demands
    /// (`!!null s` is refused, not read as null; `!!int 1.5` too); a float tag takes an int.
    fn check_core_tag(&mut self, t: &str, text: &str, mark: Mark) {
        let want = match t {
            "tag:yaml.org,2002:null" => Some(Tag::Null),
            "tag:yaml.org,2002:bool" => Some(Tag::Bool),
            "tag:yaml.org,2002:int" => Some(Tag::Int),
            "tag:yaml.org,2002:float" => Some(Tag::Float),
            _ => None,
        };
        let got = resolve::resolve_tagged(text);
        if let Some(w) = want
            && !resolve::tag_fits(w, got)
        {
            let what = if (w, got) == (Tag::Int, Tag::Float) {
                "a float"
            } else {
                Resolved::from(got).describe()
            };
            self.fail(
                mark,
                format!(
                    "cannot decode {what} as `!!{}` (kustomize's YAML reader refuses a tag that does not fit its scalar)",
                    t.trim_start_matches("tag:yaml.org,2002:")
                ),
            );
        }
    }

    /// The start of a sequence or mapping, whose flow form opens with `opener` (`[` or
    /// `{`): whether to build it (false past the depth budget, where it is read through).
    fn open_collection(&mut self, mark: Mark, opener: &str) -> bool {
        self.check_tab_after_dash(mark);
        let flow = self.raw(mark.start, mark.start + 1) == opener;
        self.flow.push(flow);
        if !self.within_depth(mark) {
            self.too_deep += 1;
            return false;
        }
        true
    }

    /// The end of a sequence: the open one, ending at `mark`, added where it belongs.
    fn on_sequence_end(&mut self, mark: Mark) {
        self.flow.pop();
        if self.too_deep > 0 {
            self.too_deep -= 1;
            return;
        }
        if let Some(Frame::Seq(items, m, anchor)) = self.stack.pop() {
            let node = Node {
                value: Value::Seq(items),
                mark: Mark { end: mark.end, ..m },
            };
            self.decode_count += 1;
            self.push_value(node, anchor);
        }
    }

    /// The end of a mapping: the open one, ending at `mark`, its merge keys merged (or read
    /// as the string goyaml.v2 sees in `[k=x:]`), added where it belongs.
    fn on_mapping_end(&mut self, mark: Mark) {
        let was_flow = self.flow.pop().unwrap_or(false);
        if self.too_deep > 0 {
            self.too_deep -= 1;
            return;
        }
        if let Some(Frame::Map(entries, _, m, anchor, _)) = self.stack.pop() {
            // `[k=x:]`: goyaml.v2 ends a flow plain scalar only at a `:` followed by
            // a blank, so `k=x:` is one string; saphyr reads a one-pair mapping.
            if !was_flow
                && self.flow.last() == Some(&true)
                && let Some(text) = self.colon_glued_key(&entries)
            {
                let node = Node {
                    value: Value::Scalar {
                        text,
                        style: Style::Plain,
                        tag: None,
                    },
                    mark: Mark { end: mark.end, ..m },
                };
                self.decode_count += 1;
                self.push_value(node, anchor);
                return;
            }
            let entries = self.merge_keys(entries);
            let node = Node {
                value: Value::Map(entries),
                mark: Mark { end: mark.end, ..m },
            };
            self.decode_count += 1;
            self.push_value(node, anchor);
        }
    }

    /// An alias to anchor `id`: the anchored tree copied in, within goyaml.v2's alias budget
    /// and the depth budget; past either (or after an error, or for an unknown anchor) the
    /// document is refused and an empty scalar stands in.
    fn on_alias(&mut self, id: usize, mark: Mark) {
        match self.anchors.get(&id) {
            Some((node, nodes, bytes)) => {
                self.decode_count += nodes;
                self.alias_count += nodes;
                self.alias_bytes += bytes;
                let excessive = (self.alias_count > 100
                    && self.decode_count > 1000
                    && self.alias_count as f64 / self.decode_count as f64
                        > allowed_alias_ratio(self.decode_count))
                    || self.alias_bytes > MAX_ALIAS_BYTES;
                let too_deep = !excessive
                    && (self.too_deep > 0
                        || Depth::check(self.stack.len() + tree_height(node)).is_err());
                if too_deep && self.error.is_none() {
                    self.error = Some(SyntaxError {
                        mark,
                        message: format!("the document is {}", budget::TooDeep),
                        kind: Kind::Syntax,
                    });
                }
                if excessive || too_deep || self.error.is_some() {
                    // Not expanded: the document is refused, and its shape no longer
                    // matters.
                    if self.error.is_none() {
                        self.error = Some(SyntaxError {
                            mark,
                            message: "document contains excessive aliasing (an alias \
                                      expands to more than goyaml.v2, and so kustomize, \
                                      allows: a \"billion laughs\"?)"
                                .into(),
                            kind: Kind::ExcessiveAliasing,
                        });
                    }
                    let stub = Node {
                        value: Value::Scalar {
                            text: String::new(),
                            style: Style::Plain,
                            tag: None,
                        },
                        mark,
                    };
                    self.push_value(stub, 0);
                } else {
                    let node = node.clone();
                    self.push_value(node, 0);
                }
            }
            None => {
                if self.error.is_none() {
                    self.error = Some(SyntaxError {
                        mark,
                        message: "alias to an unknown anchor".into(),
                        kind: Kind::Syntax,
                    });
                }
            }
        }
    }
}

impl<'input> SpannedEventReceiver<'input> for Builder<'_> {
    fn on_event(&mut self, ev: Event<'input>, span: Span) {
        let mark = mark_of(span);
        match ev {
            Event::Scalar(text, raw_style, anchor, tag) => {
                self.on_scalar(text, raw_style, anchor, tag, mark)
            }
            Event::SequenceStart(anchor, _) => {
                if self.open_collection(mark, "[") {
                    self.stack.push(Frame::Seq(Vec::new(), mark, anchor))
                }
            }
            Event::MappingStart(anchor, _) => {
                if self.open_collection(mark, "{") {
                    self.stack.push(Frame::Map(
                        Vec::new(),
                        None,
                        mark,
                        anchor,
                        Default::default(),
                    ))
                }
            }
            Event::SequenceEnd => self.on_sequence_end(mark),
            Event::MappingEnd => self.on_mapping_end(mark),
            Event::Alias(id) => self.on_alias(id, mark),
            Event::DocumentStart(_) => {
                self.anchors.clear();
                self.decode_count = 0;
                self.alias_count = 0;
                self.alias_bytes = 0;
            }
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {}
        }
    }
}

/// Parses a YAML stream from a plain file into one tree per document. Empty documents are
/// dropped.
pub fn parse_stream(text: &str) -> Result<Vec<Node>, SyntaxError> {
    parse_stream_as(text, Provenance::Plain)
}

/// Parses a YAML stream whose text came from `provenance`: every caller that parses the
/// output of a decryption passes [`Provenance::Decrypted`], and the errors then describe the
/// text they are about instead of quoting it.
pub fn parse_stream_as(text: &str, provenance: Provenance) -> Result<Vec<Node>, SyntaxError> {
    text_rules(text)?;
    // The plainest block YAML (most kustomizations and manifests) is read directly; the
    // general reader below takes everything else, and gives every error.
    if let Some(docs) = crate::block::read(text) {
        return Ok(docs);
    }
    // goyaml.v2 takes a tab after `key:` as the separating blank; saphyr does not. Every
    // such tab outside a scalar is turned into a space at once (same length, so every
    // position holds): all of them first, then again without those that were inside a
    // scalar's text. Failing that, one at a time, the text parsed again each time, within
    // the parsers' budget of text read again.
    let mut text = Cow::Borrowed(text);
    let mut all_at_once = true;
    let mut reread = 0usize;
    loop {
        let (at, err) = match read_once(&text, provenance) {
            Attempt::Done(result) => return result,
            Attempt::TabAfterColon(at, err) => (at, err),
        };
        if std::mem::take(&mut all_at_once) {
            let mut tabs = tabs_after_colons(&text);
            for _ in 0..4 {
                let Attempt::Done(Ok(docs)) = read_once(&spaces_at(&text, &tabs), provenance)
                else {
                    break;
                };
                let inside = inside_scalars(&docs, &tabs);
                if inside.is_empty() {
                    return Ok(docs);
                }
                tabs.retain(|t| inside.binary_search(t).is_err());
            }
        }
        reread += text.len();
        if reread > budget::MAX_EXPANDED_BYTES {
            return Err(SyntaxError {
                message: "too many tabs after `:` to read (write a space after a key's `:`)".into(),
                ..err
            });
        }
        match tab_after_colon(&text, at) {
            Some(fixed) => text = Cow::Owned(fixed),
            None => return Err(err),
        }
    }
}

/// The general reader alone, without the direct one: the block reader's tests compare
/// the two.
#[cfg(test)]
pub(crate) fn read_general(text: &str) -> Result<Vec<Node>, SyntaxError> {
    match read_once(text, Provenance::Plain) {
        Attempt::Done(result) => result,
        Attempt::TabAfterColon(_, err) => Err(err),
    }
}

/// One reading of a text: its documents or error, or saphyr's refusal of a tab after a `:`
/// (at that character index), which goyaml.v2 accepts.
enum Attempt {
    Done(Result<Vec<Node>, SyntaxError>),
    TabAfterColon(usize, SyntaxError),
}

fn read_once(text: &str, provenance: Provenance) -> Attempt {
    let mut parser = Parser::new_from_str(text);
    let mut builder = Builder {
        text,
        provenance,
        ascii: text.is_ascii(),
        has_tab: text.contains('\t'),
        has_slash_escape: text.contains("\\/"),
        ..Default::default()
    };
    // Events one by one: saphyr's own `load` recurses once per nesting level, so a deep
    // document would overflow the stack before the depth budget could refuse it.
    let loaded = loop {
        match parser.next_event() {
            None => break Ok(()),
            Some(Err(e)) => break Err(e),
            Some(Ok((ev, span))) => {
                builder.on_event(ev, span);
                if builder.too_deep > 0 {
                    break Ok(());
                }
            }
        }
    };
    if let Err(e) = loaded {
        let m = e.marker();
        let err = SyntaxError {
            mark: Mark {
                line: m.line(),
                col: m.col() + 1,
                start: m.index(),
                end: m.index(),
            },
            message: e.info().to_string(),
            kind: Kind::Syntax,
        };
        if e.info()
            .contains("must be followed by a valid YAML whitespace")
        {
            return Attempt::TabAfterColon(m.index(), err);
        }
        return Attempt::Done(Err(err));
    }
    Attempt::Done(match builder.error {
        Some(err) => Err(err),
        None => Ok(builder.docs),
    })
}

/// The character indices of the tabs that follow a `:`.
fn tabs_after_colons(text: &str) -> Vec<usize> {
    let mut prev = '\0';
    let mut tabs = Vec::new();
    for (i, c) in text.chars().enumerate() {
        if c == '\t' && prev == ':' {
            tabs.push(i);
        }
        prev = c;
    }
    tabs
}

/// The text with a space at each of the character indices `at` (sorted).
fn spaces_at(text: &str, at: &[usize]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut next = at.iter().peekable();
    for (i, c) in text.chars().enumerate() {
        if next.peek() == Some(&&i) {
            next.next();
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

/// Those of the character indices `at` (sorted) that fall inside a scalar's text, sorted.
fn inside_scalars(docs: &[Node], at: &[usize]) -> Vec<usize> {
    fn spans(node: &Node, out: &mut Vec<(usize, usize)>) {
        match &node.value {
            Value::Scalar { .. } => out.push((node.mark.start, node.mark.end)),
            Value::Seq(items) => items.iter().for_each(|n| spans(n, out)),
            Value::Map(entries) => entries.iter().for_each(|(k, v)| {
                spans(k, out);
                spans(v, out);
            }),
        }
    }
    let mut all = Vec::new();
    docs.iter().for_each(|d| spans(d, &mut all));
    let mut inside: Vec<usize> = all
        .iter()
        .flat_map(|&(start, end)| {
            let first = at.partition_point(|&c| c < start);
            at[first..].iter().take_while(move |&&c| c < end).copied()
        })
        .collect();
    inside.sort_unstable();
    inside.dedup();
    inside
}

/// The text with the tab after the `:` at or near character `at` made a space, if there is
/// one.
fn tab_after_colon(text: &str, at: usize) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let i = (at.saturating_sub(3)..=at + 1)
        .find(|&i| chars.get(i) == Some(&':') && chars.get(i + 1) == Some(&'\t'))?;
    let mut out: String = chars[..=i].iter().collect();
    out.push(' ');
    out.extend(&chars[i + 2..]);
    Some(out)
}

/// goyaml.v2's rules on the raw text: only printable characters (its reader refuses the
/// rest, C0 and C1 controls, DEL, U+FFFE and U+FFFF), and no `%YAML` directive but 1.1.
pub(crate) fn text_rules(text: &str) -> Result<(), SyntaxError> {
    let allowed = |c: char| {
        matches!(c, '\t' | '\n' | '\r' | ' '..='~' | '\u{85}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}')
            || c >= '\u{10000}'
    };
    // Runs of printable ASCII skipped 32 bytes at a time, then byte by byte (this reads
    // every byte of every file, megabytes of CustomResourceDefinitions among them); other
    // characters decoded.
    let ascii = |b: u8| matches!(b, b'\t' | b'\n' | b'\r' | b' '..=b'~');
    let bytes = text.as_bytes();
    let mut i = 0;
    let bad = loop {
        // Every byte of a block looked at, without an early exit: the compiler makes it a
        // few vector instructions.
        while let Some(block) = bytes.get(i..i + 32)
            && block.iter().fold(true, |all, &b| all & ascii(b))
        {
            i += 32;
        }
        while i < bytes.len() && ascii(bytes[i]) {
            i += 1;
        }
        let Some(c) = text[i..].chars().next() else {
            break None;
        };
        if !allowed(c) {
            break Some(c);
        }
        i += c.len_utf8();
    };
    if let Some(c) = bad {
        let before = &text[..i];
        let line_start = before.rfind('\n').map_or(0, |n| n + 1);
        let at = before.chars().count();
        return Err(SyntaxError {
            mark: Mark {
                line: before.matches('\n').count() + 1,
                col: before[line_start..].chars().count() + 1,
                start: at,
                end: at,
            },
            message: format!(
                "control characters are not allowed (U+{:04X}); YAML as kustomize reads it allows only printable characters (write it as an escape in a double-quoted string)",
                c as u32
            ),
            kind: Kind::Syntax,
        });
    }
    if !text.contains("%YAML") {
        return Ok(());
    }
    for (n, l) in text.lines().enumerate() {
        if let Some(rest) = l.strip_prefix("%YAML")
            && rest.split_whitespace().next() != Some("1.1")
        {
            return Err(SyntaxError {
                mark: Mark {
                    line: n + 1,
                    col: 1,
                    ..Default::default()
                },
                message: "found incompatible YAML document: kustomize reads YAML 1.1 and refuses any other `%YAML` version (remove the directive)".into(),
                kind: Kind::Syntax,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolve::resolve_plain;

    #[test]
    fn yaml_1_1_booleans_are_strings_to_go_yaml_v3() {
        let docs = parse_stream("a: yes\nb: On\nc: n\nd: true\ne: FALSE\nf: 1\n").unwrap();
        let get = |k: &str| docs[0].get(k).unwrap();
        assert_eq!(get("a").as_str(), None);
        assert_eq!(get("a").as_str_v3(), Some("yes"));
        assert_eq!(get("b").as_str_v3(), Some("On"));
        assert_eq!(get("c").as_str_v3(), Some("n"));
        assert_eq!(get("d").as_str_v3(), None);
        assert_eq!(get("e").as_str_v3(), None);
        assert_eq!(get("f").as_str_v3(), None);
    }

    /// As libyaml reads them (each recorded from kustomize in testdata/overlays/block-scalar-*).
    #[test]
    fn a_block_scalar_at_the_end_of_the_input_keeps_no_line_break_that_is_not_there() {
        for (text, value) in [
            ("k: |\n  abc", "abc"),
            ("k: |+\n  abc", "abc"),
            ("k: |-\n  abc", "abc"),
            ("k: >\n  abc\n  def", "abc def"),
            ("k: |\n  abc\n  ", "abc\n"),
            ("k: |\n    abc\n\n  ", "abc\n"),
            ("k: |+\n    abc\n\n  ", "abc\n\n"),
            ("k: |+\n    abc\n  ", "abc\n"),
            ("k: |\n  abc\n", "abc\n"),
            ("k: |\n  abc\nj: 1", "abc\n"),
        ] {
            let docs = parse_stream(text).unwrap();
            assert_eq!(docs[0].get("k").unwrap().as_str(), Some(value), "{text:?}");
        }
        let docs = parse_stream("- |\n  x").unwrap();
        assert_eq!(docs[0].as_seq().unwrap()[0].as_str(), Some("x"));
    }

    /// A long text that is not ASCII, with a collection at every few characters (a
    /// CustomResourceDefinition's descriptions): read in time linear in its size, each
    /// position right.
    #[test]
    fn a_long_text_that_is_not_ascii_reads_in_linear_time() {
        let mut text = String::from("d: é\n");
        for i in 0..20_000 {
            text.push_str(&format!("k{i}:\n- n: é\n  m: {{a: [ü]}}\n"));
        }
        let start = std::time::Instant::now();
        let docs = parse_stream(&text).unwrap();
        assert!(start.elapsed() < std::time::Duration::from_secs(20));
        let last = docs[0].get("k19999").unwrap().as_seq().unwrap();
        let m = last[0].get("m").unwrap();
        assert_eq!(m.mark.line, 1 + 3 * 19_999 + 3);
        assert_eq!(m.mark.col, 6);
        let a = m.get("a").unwrap().as_seq().unwrap();
        assert_eq!(a[0].as_str(), Some("ü"));
    }

    #[test]
    fn keeps_positions_and_styles() {
        let docs = parse_stream("a: 1\nb:\n  - x\n  - \"42\"\n---\nc: d\n").unwrap();
        assert_eq!(docs.len(), 2);
        let b = docs[0].get("b").unwrap().as_seq().unwrap();
        assert_eq!(b[1].mark.line, 4);
        assert_eq!(b[1].mark.col, 5);
        assert_eq!(b[1].as_str(), Some("42"));
        assert_eq!(docs[0].get("a").unwrap().as_str(), None);
        assert_eq!(docs[0].get("a").unwrap().resolved(), Resolved::Int);
    }

    #[test]
    fn refuses_duplicate_keys() {
        let err = parse_stream("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(err.mark.line, 3);
        assert!(err.message.contains("`a` appears twice"), "{}", err.message);
    }

    #[test]
    fn a_decrypted_duplicate_key_is_described() {
        let text = "CANARY-key: 1\nCANARY-key: 2\n";
        let err = parse_stream_as(text, Provenance::Decrypted).unwrap_err();
        assert_eq!(err.mark.line, 2);
        assert!(!err.message.contains("CANARY"), "{}", err.message);
        assert!(
            err.message.contains(
                "mapping key of 10 characters (letters, `-`; decrypted, not shown) appears twice"
            ),
            "{}",
            err.message
        );
    }

    #[test]
    fn resolves_like_goyaml_v2() {
        for s in ["yes", "on", "Off", "n", "~", "null", ""] {
            assert_ne!(resolve_plain(s), Resolved::Str, "{s}");
        }
        for s in [
            "1", "-1", "+12", "0x1F", "0b101", "0o17", "1_000", "017", "0O17", "0B11", "-0b101",
        ] {
            assert_eq!(resolve_plain(s), Resolved::Int, "{s}");
        }
        // Underscores go before the float pattern; 64-bit overflow falls back to it.
        for s in [
            "1.5_0",
            "99999999999999999999",
            "08",
            "1_000_000_000_000_000_000_000",
        ] {
            assert_ne!(resolve_plain(s), Resolved::Str, "{s}");
        }
        // Overflowing every reading (no float pattern for hex), and timestamps: strings.
        for s in ["0x1FFFFFFFFFFFFFFFFF", "1e400", "2001-12-14"] {
            assert_eq!(resolve_plain(s), Resolved::Str, "{s}");
        }
        for s in ["1.5", "1e3", "-.5", ".inf", "6.02e23"] {
            assert_eq!(resolve_plain(s), Resolved::Float, "{s}");
        }
        for s in ["k=v", "db-user-pass", "1e", "0x", "-", ".", "a1", "1.2.3"] {
            assert_eq!(resolve_plain(s), Resolved::Str, "{s}");
        }
    }

    #[test]
    fn aliases_and_tags() {
        let docs = parse_stream("a: &x hello\nb: *x\nc: !!str 12\n").unwrap();
        assert_eq!(docs[0].get("b").unwrap().as_str(), Some("hello"));
        assert_eq!(docs[0].get("c").unwrap().as_str(), Some("12"));
    }

    #[test]
    fn alias_budget_is_goyaml_v2s() {
        assert_eq!(allowed_alias_ratio(1000), 0.99);
        assert_eq!(allowed_alias_ratio(4_000_000), 0.10);
        let mid = allowed_alias_ratio(2_200_000);
        assert!((mid - 0.545).abs() < 1e-9, "{mid}");
        // Nine levels of nine: refused before it is expanded.
        let mut bomb = String::from("a0: &a0 [x,x,x,x,x,x,x,x,x]\n");
        for i in 1..10 {
            bomb.push_str(&format!(
                "a{i}: &a{i} [{}]\n",
                vec![format!("*a{}", i - 1); 9].join(",")
            ));
        }
        let err = parse_stream(&bomb).unwrap_err();
        assert!(err.message.contains("excessive aliasing"), "{err}");
        // Three levels (729 scalars) is fine: goyaml.v2 reads it too.
        let small: String = bomb.lines().take(3).map(|l| format!("{l}\n")).collect();
        assert!(parse_stream(&small).is_ok());
    }

    #[test]
    fn goyaml_v2_acceptances() {
        let d = &parse_stream("a: !!binary aGk=\nb:\tx\nc: [k=x:, y]\n").unwrap()[0];
        assert_eq!(d.get("a").unwrap().as_str(), Some("hi"));
        assert_eq!(d.get("b").unwrap().as_str(), Some("x"));
        let c = d.get("c").unwrap().as_seq().unwrap();
        assert_eq!(c[0].as_str(), Some("k=x:"));
        // Merge keys: in order, later assignments winning; a list's earlier maps win.
        let d = &parse_stream(
            "x: &x {a: 1, b: 2}\ny: &y {b: 3, c: 4}\nm:\n  a: 0\n  <<: [*x, *y]\n  c: 5\n",
        )
        .unwrap()[0];
        let m = d.get("m").unwrap();
        let v = |k: &str| match &m.get(k).unwrap().value {
            Value::Scalar { text, .. } => text.clone(),
            _ => unreachable!(),
        };
        assert_eq!(
            (v("a"), v("b"), v("c")),
            ("1".into(), "2".into(), "5".into())
        );
        assert!(m.get("<<").is_none());
    }

    #[test]
    fn goyaml_v2_refusals() {
        for (text, why) in [
            ("a: \"x\\/y\"\n", "unknown escape"),
            ("a: [b?c]\n", "`?`"),
            ("a: b\n  c\n\t\n  d\n", "tab character"),
            ("%YAML 1.2\n---\na: b\n", "incompatible"),
            ("a: b\u{1}\n", "control characters"),
            ("a: b\u{7f}\n", "control characters"),
            ("a: !!null s\n", "`!!null`"),
            ("a: !!int x\n", "`!!int`"),
            ("a: !!binary '%%%'\n", "base64"),
            ("a:\n-\tb\n", "a tab after `-`"),
            ("a:\n- - \tb\n", "a tab after `-`"),
        ] {
            let err = parse_stream(text).unwrap_err();
            assert!(err.message.contains(why), "{text:?}: {err}");
        }
        assert!(parse_stream("%YAML 1.1\n---\na: b\n").is_ok());
        // Where the control character is, in characters, after text that is not ASCII.
        let err = parse_stream("é: x\r\nb: ü\u{1}\n").unwrap_err();
        assert_eq!((err.mark.line, err.mark.col, err.mark.start), (2, 5, 10));
        assert!(parse_stream("é: \u{a0}x\u{10000}\n").is_ok());
        assert!(
            parse_stream("a: \"x\\\\/y\"\n").is_ok(),
            "an escaped backslash, then /"
        );
    }

    /// A control character is found wherever it is, in a block of 32 bytes or after the
    /// last whole one, after ASCII or after text that is not.
    #[test]
    fn a_control_character_is_found_at_any_offset() {
        for lead in ["", "é"] {
            for at in 0..100 {
                let text = format!("k: {lead}{}\u{7}{}\n", "x".repeat(at), "y".repeat(at % 7));
                let err = text_rules(&text).unwrap_err();
                let col = 4 + lead.chars().count() + at;
                assert_eq!((err.mark.line, err.mark.col), (1, col), "{text:?}");
            }
        }
        assert!(text_rules(&"k: v\n".repeat(100)).is_ok());
    }

    /// kubectl kustomize: "cannot decode !!float `1.5` as a !!int"; `!!float 0x10` is read.
    #[test]
    fn a_float_does_not_fit_an_int_tag() {
        let err = parse_stream("a: !!int 1.5\n").unwrap_err();
        assert!(err.message.contains("a float as `!!int`"), "{err}");
        assert!(parse_stream("a: !!float 0x10\n").is_ok());
    }

    #[test]
    fn syntax_errors_have_positions() {
        let err = parse_stream("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(err.mark.line >= 1);
        let err = parse_stream("a:\n\t- x\n").unwrap_err();
        assert_eq!(err.mark.line, 2, "{err}");
    }
}
