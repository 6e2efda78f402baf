//! A YAML reader that keeps positions.
//!
//! In: UTF-8 text of a YAML stream. Out: one [`Node`] tree per document, every node carrying
//! its line and column, scalars carrying their style, so that errors can point at `literals[3]`
//! and so that a plain `42` can be told from a quoted `"42"`. It refuses duplicate mapping
//! keys (YAML forbids them; Go's decoders either fail or silently keep one) and anchors it
//! cannot resolve. Scalars are resolved as goyaml.v2 resolves them (YAML 1.1), because that is
//! how kustomize reads a kustomization: a plain `yes` is a boolean there.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use saphyr_parser::{Event, Parser, ScalarStyle, Span, SpannedEventReceiver};

/// A position in the source: 1-based line and column (in characters), plus the character
/// offset of the node's start and end, for callers that need to slice the source.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Mark {
    pub line: usize,
    pub col: usize,
    pub start: usize,
    pub end: usize,
}

impl fmt::Display for Mark {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// How a scalar was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Plain,
    Quoted,
    Block,
}

/// A parsed value. `Debug` shows the tree's shape but never a scalar's text: a document may
/// be a Secret, a generator's literals or a KRM item, and a debug print must not leak it.
#[derive(Clone)]
pub enum Value {
    Scalar {
        text: String,
        style: Style,
        tag: Option<String>,
    },
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Scalar { text, style, tag } => f
                .debug_struct("Scalar")
                .field("text", &format_args!("<redacted {} bytes>", text.len()))
                .field("style", style)
                .field("tag", tag)
                .finish(),
            Value::Seq(items) => f.debug_tuple("Seq").field(items).finish(),
            Value::Map(pairs) => f.debug_tuple("Map").field(pairs).finish(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Node {
    pub value: Value,
    pub mark: Mark,
}

/// What a scalar resolves to under goyaml.v2's (YAML 1.1) rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolved {
    Null,
    Bool,
    Int,
    Float,
    Str,
}

impl Resolved {
    pub fn describe(self) -> &'static str {
        match self {
            Resolved::Null => "null",
            Resolved::Bool => "a boolean",
            Resolved::Int => "a number",
            Resolved::Float => "a number",
            Resolved::Str => "a string",
        }
    }
}

impl Node {
    /// A string scalar's text; `None` for collections and for plain scalars that resolve to
    /// null, booleans or numbers (kustomize refuses those where it expects a string).
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar { text, .. } if self.resolved() == Resolved::Str => Some(text),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar { .. }) && self.resolved() == Resolved::Null
    }

    /// The type of a scalar as goyaml.v2 resolves it; collections report `Str` (unused).
    pub fn resolved(&self) -> Resolved {
        match &self.value {
            Value::Scalar { text, style, tag } => {
                if let Some(tag) = tag {
                    return match tag.as_str() {
                        "tag:yaml.org,2002:str" | "!!str" => Resolved::Str,
                        "tag:yaml.org,2002:null" | "!!null" => Resolved::Null,
                        "tag:yaml.org,2002:bool" | "!!bool" => Resolved::Bool,
                        "tag:yaml.org,2002:int" | "!!int" => Resolved::Int,
                        "tag:yaml.org,2002:float" | "!!float" => Resolved::Float,
                        _ => Resolved::Str,
                    };
                }
                if *style == Style::Plain {
                    resolve_plain(text)
                } else {
                    Resolved::Str
                }
            }
            _ => Resolved::Str,
        }
    }

    /// A short description of what this node is, for "expected X, found Y" messages.
    pub fn kind_name(&self) -> &'static str {
        match &self.value {
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
            Value::Scalar { .. } => self.resolved().describe(),
        }
    }

    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// Looks up a mapping entry by its (string) key.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }
}

/// goyaml.v2's resolution of a plain scalar, reduced to the type it yields.
pub fn resolve_plain(s: &str) -> Resolved {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "n" | "N" | "no" | "No" | "NO" | "true" | "True"
        | "TRUE" | "false" | "False" | "FALSE" | "on" | "On" | "ON" | "off" | "Off" | "OFF" => {
            return Resolved::Bool;
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF"
        | ".nan" | ".NaN" | ".NAN" => return Resolved::Float,
        _ => {}
    }
    let first = s.as_bytes()[0];
    if !(first.is_ascii_digit() || first == b'+' || first == b'-' || first == b'.') {
        return Resolved::Str;
    }
    if is_yaml11_int(s) {
        Resolved::Int
    } else if is_yaml_float(s) {
        Resolved::Float
    } else {
        Resolved::Str
    }
}

fn is_yaml11_int(s: &str) -> bool {
    let plain: String = s.chars().filter(|&c| c != '_').collect();
    let body = plain
        .strip_prefix('-')
        .or_else(|| plain.strip_prefix('+'))
        .unwrap_or(&plain);
    if body.is_empty() {
        return false;
    }
    if let Some(bin) = body.strip_prefix("0b") {
        return !bin.is_empty() && bin.bytes().all(|b| b == b'0' || b == b'1');
    }
    if let Some(hex) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        return !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit());
    }
    if let Some(oct) = body.strip_prefix("0o") {
        return !oct.is_empty() && oct.bytes().all(|b| (b'0'..=b'7').contains(&b));
    }
    body.bytes().all(|b| b.is_ascii_digit())
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn is_yaml_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            digits(&mut i);
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// A YAML syntax error, with the position the parser reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub mark: Mark,
    pub message: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.mark, self.message)
    }
}

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
    Map(Vec<(Node, Node)>, Option<Node>, Mark, usize),
}

#[derive(Default)]
struct Builder {
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

/// Scalar bytes that aliases may copy in one document. goyaml.v2 shares a string between
/// its aliases; this reader copies it, so the copies get a budget of their own.
const MAX_ALIAS_BYTES: usize = 64 << 20;

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

impl Builder {
    fn push_value(&mut self, node: Node, anchor: usize) {
        if anchor != 0 {
            let (n, b) = tree_size(&node);
            self.anchors.insert(anchor, (node.clone(), n, b));
        }
        match self.stack.last_mut() {
            None => self.docs.push(node),
            Some(Frame::Seq(items, _, _)) => items.push(node),
            Some(Frame::Map(entries, pending, _, _)) => match pending.take() {
                None => *pending = Some(node),
                Some(key) => {
                    if self.error.is_none()
                        && let Value::Scalar { text, .. } = &key.value
                    {
                        let dup = entries.iter().any(|(k, _)| match &k.value {
                            Value::Scalar { text: t, .. } => t == text,
                            _ => false,
                        });
                        if dup {
                            self.error = Some(SyntaxError {
                                mark: key.mark,
                                message: format!(
                                    "mapping key `{}` appears twice (YAML keys must be unique)",
                                    printable(text)
                                ),
                            });
                        }
                    }
                    entries.push((key, node));
                }
            },
        }
    }
}

/// Key text for messages: control, format and separator characters (a BOM, U+2028, a tab)
/// shown as escapes, so that a message stays one line and an invisible character is seen.
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

impl<'input> SpannedEventReceiver<'input> for Builder {
    fn on_event(&mut self, ev: Event<'input>, span: Span) {
        let mark = mark_of(span);
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let style = match style {
                    ScalarStyle::Plain => Style::Plain,
                    ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => Style::Quoted,
                    ScalarStyle::Literal | ScalarStyle::Folded => Style::Block,
                };
                let tag = tag.map(|t| format!("{}{}", t.handle, t.suffix));
                let tag = tag.map(|t| match t.strip_prefix("!!") {
                    Some(rest) => format!("tag:yaml.org,2002:{rest}"),
                    None => t,
                });
                let node = Node {
                    value: Value::Scalar {
                        text: text.into_owned(),
                        style,
                        tag,
                    },
                    mark,
                };
                self.decode_count += 1;
                self.push_value(node, anchor);
            }
            Event::SequenceStart(anchor, _) => {
                self.stack.push(Frame::Seq(Vec::new(), mark, anchor))
            }
            Event::MappingStart(anchor, _) => {
                self.stack.push(Frame::Map(Vec::new(), None, mark, anchor))
            }
            Event::SequenceEnd => {
                if let Some(Frame::Seq(items, m, anchor)) = self.stack.pop() {
                    let node = Node {
                        value: Value::Seq(items),
                        mark: Mark { end: mark.end, ..m },
                    };
                    self.decode_count += 1;
                    self.push_value(node, anchor);
                }
            }
            Event::MappingEnd => {
                if let Some(Frame::Map(entries, _, m, anchor)) = self.stack.pop() {
                    let node = Node {
                        value: Value::Map(entries),
                        mark: Mark { end: mark.end, ..m },
                    };
                    self.decode_count += 1;
                    self.push_value(node, anchor);
                }
            }
            Event::Alias(id) => match self.anchors.get(&id) {
                Some((node, nodes, bytes)) => {
                    self.decode_count += nodes;
                    self.alias_count += nodes;
                    self.alias_bytes += bytes;
                    let excessive = (self.alias_count > 100
                        && self.decode_count > 1000
                        && self.alias_count as f64 / self.decode_count as f64
                            > allowed_alias_ratio(self.decode_count))
                        || self.alias_bytes > MAX_ALIAS_BYTES;
                    if excessive || self.error.is_some() {
                        // Not expanded: the document is refused, and its shape no longer
                        // matters.
                        if self.error.is_none() {
                            self.error = Some(SyntaxError {
                                mark,
                                message: "document contains excessive aliasing (an alias \
                                          expands to more than goyaml.v2, and so kustomize, \
                                          allows: a \"billion laughs\"?)"
                                    .into(),
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
                        });
                    }
                }
            },
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

/// Parses a YAML stream into one tree per document. Empty documents are dropped.
pub fn parse_stream(text: &str) -> Result<Vec<Node>, SyntaxError> {
    let mut parser = Parser::new_from_str(text);
    let mut builder = Builder::default();
    if let Err(e) = parser.load(&mut builder, true) {
        let m = e.marker();
        return Err(SyntaxError {
            mark: Mark {
                line: m.line(),
                col: m.col() + 1,
                start: m.index(),
                end: m.index(),
            },
            message: e.info().to_string(),
        });
    }
    if let Some(err) = builder.error {
        return Err(err);
    }
    Ok(builder.docs)
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn resolves_like_goyaml_v2() {
        for s in ["yes", "on", "Off", "n", "~", "null", ""] {
            assert_ne!(resolve_plain(s), Resolved::Str, "{s}");
        }
        for s in ["1", "-1", "+12", "0x1F", "0b101", "0o17", "1_000", "017"] {
            assert_eq!(resolve_plain(s), Resolved::Int, "{s}");
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
    fn syntax_errors_have_positions() {
        let err = parse_stream("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(err.mark.line >= 1);
        let err = parse_stream("a:\n\t- x\n").unwrap_err();
        assert_eq!(err.mark.line, 2, "{err}");
    }
}
