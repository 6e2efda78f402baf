//! go-yaml v3's emitter (emitterc.go) with an indent of 4, as sops writes its YAML files: its
//! indentation rule (nested blocks at the next multiple of 4, a sequence item's content 2
//! columns after its dash), its choice among plain, single-quoted, double-quoted and literal
//! scalars, its escapes, and where it writes each head, line and foot comment. Its input is
//! go-yaml v3's node tree ([`Node`]); goyaml.v2's emitter, for kustomize's output, is
//! [`crate::emit`].

use zeroize::Zeroizing;

use crate::scalar::{self, Flavour, Style, is_break};

pub enum Kind {
    Scalar(Zeroizing<String>, Style),
    /// A scalar written with its tag: `!!binary` (base64 text), or `!!merge` on a `<<` key
    /// (go-yaml v3 prints the merge key's tag).
    Tagged(&'static str, Zeroizing<String>, Style),
    Map(Vec<(Node, Node)>),
    Seq(Vec<Node>),
}

pub struct Node {
    pub kind: Kind,
    pub head: String,
    pub line: String,
    pub foot: String,
}

impl Node {
    pub fn new(kind: Kind) -> Node {
        Node {
            kind,
            head: String::new(),
            line: String::new(),
            foot: String::new(),
        }
    }
}

/// `yaml_emitter_select_scalar_style`.
pub fn select(s: &str, style: Style, simple_key: bool) -> Style {
    scalar::select(s, style, &analyze(s), simple_key)
}

fn analyze(s: &str) -> scalar::Analysis {
    scalar::analyze(s, Flavour::V3)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    SeqItem,
    MapKey,
    MapSimpleValue,
    Other,
}

struct Emitter {
    out: Zeroizing<Vec<u8>>,
    column: usize,
    whitespace: bool,
    indention: bool,
    open_ended: bool,
    foot_indent: isize,
    indent: isize,
    indents: Vec<isize>,
    states: Vec<State>,
    head: String,
    line: String,
    foot: String,
    tail: String,
}

const BEST_INDENT: isize = 4;

impl Emitter {
    fn put(&mut self, c: char) {
        let mut b = [0u8; 4];
        self.out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
        self.column += 1;
    }
    fn put_break(&mut self) {
        self.out.push(b'\n');
        self.column = 0;
        self.indention = true;
    }
    fn write_str(&mut self, s: &str) {
        self.out.extend_from_slice(s.as_bytes());
        self.column += s.chars().count();
    }
    fn write_indent(&mut self) {
        let indent = self.indent.max(0) as usize;
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        if self.foot_indent == indent as isize {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        self.foot_indent = -1;
    }
    fn indicator(&mut self, ind: &str, need_ws: bool, is_ws: bool, is_indention: bool) {
        if need_ws && !self.whitespace {
            self.put(' ');
        }
        self.write_str(ind);
        self.whitespace = is_ws;
        self.indention = self.indention && is_indention;
        self.open_ended = false;
    }
    fn increase_indent(&mut self, flow: bool) {
        self.indents.push(self.indent);
        if self.indent < 0 {
            self.indent = if flow { BEST_INDENT } else { 0 };
        } else if self.states.last() == Some(&State::SeqItem) {
            self.indent += 2;
        } else {
            self.indent = BEST_INDENT * ((self.indent + BEST_INDENT) / BEST_INDENT);
        }
    }
    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().unwrap_or(-1);
    }
    fn write_comment(&mut self, comment: &str) {
        let mut breaks = false;
        let mut pound = false;
        for c in comment.chars() {
            if c == '\n' {
                self.put_break();
                breaks = true;
                pound = false;
            } else {
                if breaks {
                    self.write_indent();
                }
                if !pound {
                    if c != '#' {
                        self.write_str("# ");
                    }
                    pound = true;
                }
                self.put(c);
                self.indention = true;
                breaks = false;
            }
        }
        if !breaks {
            self.put_break();
        }
        self.whitespace = true;
    }
    fn process_head_comment(&mut self) {
        if !self.tail.is_empty() {
            self.write_indent();
            let t = std::mem::take(&mut self.tail);
            self.write_comment(&t);
            self.foot_indent = self.indent.max(0);
        }
        if self.head.is_empty() {
            return;
        }
        self.write_indent();
        let h = std::mem::take(&mut self.head);
        self.write_comment(&h);
    }
    fn process_line_comment(&mut self) {
        if self.line.is_empty() {
            return;
        }
        if !self.whitespace {
            self.put(' ');
        }
        let l = std::mem::take(&mut self.line);
        self.write_comment(&l);
    }
    fn process_foot_comment(&mut self) {
        if self.foot.is_empty() {
            return;
        }
        self.write_indent();
        let f = std::mem::take(&mut self.foot);
        self.write_comment(&f);
        self.foot_indent = self.indent.max(0);
    }
    /// `yaml_emitter_analyze_event`: an event's comments replace the pending ones.
    fn analyze_event(&mut self, head: &str, line: &str, foot: &str, tail: &str) {
        for (slot, c) in [
            (&mut self.head, head),
            (&mut self.line, line),
            (&mut self.foot, foot),
            (&mut self.tail, tail),
        ] {
            if !c.is_empty() {
                *slot = c.to_string();
            }
        }
    }

    /// Emits a node whose start event was analyzed; the caller's post-processing
    /// (line and foot comments) follows the start event as in the state machine.
    fn node(&mut self, n: &Node, _ctx: State, simple_key: bool) {
        match &n.kind {
            Kind::Scalar(text, style) => {
                let style = select(text, *style, simple_key);
                self.increase_indent(true);
                self.scalar(text, style);
                self.pop_indent();
            }
            Kind::Tagged(tag, text, style) => {
                self.indicator(tag, true, false, false);
                self.increase_indent(true);
                self.scalar(text, *style);
                self.pop_indent();
            }
            Kind::Map(pairs) if pairs.is_empty() => {
                self.indicator("{", true, true, false);
                self.increase_indent(true);
                // End event.
                self.analyze_event("", &n.line, &n.foot, "");
                self.process_head_comment();
                self.pop_indent();
                self.indicator("}", false, false, false);
                self.process_line_comment();
                self.process_foot_comment();
            }
            Kind::Seq(items) if items.is_empty() => {
                self.indicator("[", true, true, false);
                self.increase_indent(true);
                self.analyze_event("", &n.line, &n.foot, "");
                self.process_head_comment();
                self.pop_indent();
                self.indicator("]", false, false, false);
                self.process_line_comment();
                self.process_foot_comment();
            }
            Kind::Map(_) | Kind::Seq(_) => {}
        }
    }

    /// The body of a block collection, after its start event was handled.
    fn body(&mut self, n: &Node) {
        match &n.kind {
            Kind::Map(pairs) if !pairs.is_empty() => {
                self.increase_indent(false);
                let mut tail = String::new();
                for (k, v) in pairs {
                    self.analyze_event(&k.head, &k.line, "", &tail);
                    self.process_head_comment();
                    self.write_indent();
                    let key_line = std::mem::take(&mut self.line);
                    // A key of more than 128 bytes or over several lines is written `? key`.
                    let simple = match &k.kind {
                        Kind::Scalar(t, _) | Kind::Tagged(_, t, _) => {
                            t.len() <= 128 && !analyze(t).multiline
                        }
                        _ => false,
                    };
                    if simple {
                        self.states.push(State::MapSimpleValue);
                        self.node(k, State::MapSimpleValue, true);
                    } else {
                        self.indicator("?", true, false, true);
                        self.states.push(State::Other);
                        self.node(k, State::Other, false);
                    }
                    self.states.pop();
                    tail = k.foot.clone();
                    // Value.
                    if simple {
                        self.indicator(":", false, false, false);
                    } else {
                        self.write_indent();
                        self.indicator(":", true, false, true);
                    }
                    let is_scalar = matches!(v.kind, Kind::Scalar(..) | Kind::Tagged(..));
                    if is_scalar {
                        self.analyze_event(&v.head, &v.line, &v.foot, "");
                    } else {
                        self.analyze_event(&v.head, "", "", "");
                    }
                    if !key_line.is_empty() {
                        if is_scalar {
                            if self.line.is_empty() {
                                self.line = key_line;
                            }
                        } else {
                            let saved = std::mem::replace(&mut self.line, key_line);
                            self.process_line_comment();
                            self.line = saved;
                        }
                    }
                    self.states.push(State::MapKey);
                    self.node(v, State::MapKey, false);
                    self.process_line_comment();
                    self.process_foot_comment();
                    self.body(v);
                    self.states.pop();
                }
                // End event.
                self.analyze_event("", &n.line, &n.foot, &tail);
                self.process_head_comment();
                self.pop_indent();
            }
            Kind::Seq(items) if !items.is_empty() => {
                self.increase_indent(false);
                for item in items {
                    if matches!(item.kind, Kind::Scalar(..) | Kind::Tagged(..)) {
                        self.analyze_event(&item.head, &item.line, &item.foot, "");
                    } else {
                        self.analyze_event(&item.head, "", "", "");
                    }
                    self.process_head_comment();
                    self.write_indent();
                    self.indicator("-", true, false, true);
                    self.states.push(State::SeqItem);
                    self.node(item, State::SeqItem, false);
                    self.process_line_comment();
                    self.process_foot_comment();
                    self.body(item);
                    self.states.pop();
                }
                self.analyze_event("", &n.line, &n.foot, "");
                self.pop_indent();
            }
            _ => {}
        }
    }

    fn scalar(&mut self, s: &str, style: Style) {
        match style {
            Style::Plain => {
                if !s.is_empty() && !self.whitespace {
                    self.put(' ');
                }
                self.write_str(s);
                if !s.is_empty() {
                    self.whitespace = false;
                }
                self.indention = false;
            }
            Style::Single => {
                self.indicator("'", true, false, false);
                for c in s.chars() {
                    if c == '\'' {
                        self.write_str("''");
                    } else {
                        self.put(c);
                    }
                }
                self.indicator("'", false, false, false);
            }
            Style::Double => {
                self.indicator("\"", true, false, false);
                for c in s.chars() {
                    if scalar::needs_escape(c) {
                        let mut buf = [0; 10];
                        self.write_str(scalar::escape(c, &mut buf));
                    } else {
                        self.put(c);
                    }
                }
                self.indicator("\"", false, false, false);
            }
            Style::Literal => {
                self.indicator("|", true, false, false);
                let chars: Zeroizing<Vec<char>> = Zeroizing::new(s.chars().collect());
                let (indent_hint, chomp) = scalar::block_hints(s);
                if indent_hint {
                    self.write_str(&BEST_INDENT.to_string());
                }
                self.open_ended = false;
                if let Some(c) = chomp {
                    self.put(c);
                    // `+` keeps the final breaks: the document is open-ended.
                    self.open_ended = c == '+';
                }
                // Line comment after the header, or a line break.
                if self.line.is_empty() {
                    self.put_break();
                } else {
                    self.process_line_comment();
                }
                self.whitespace = true;
                let mut breaks = true;
                for &c in chars.iter() {
                    if is_break(c) {
                        if c == '\n' {
                            self.put_break();
                        } else {
                            self.put(c);
                            self.column = 0;
                            self.indention = true;
                        }
                        breaks = true;
                    } else {
                        if breaks {
                            self.write_indent();
                        }
                        self.put(c);
                        self.indention = false;
                        breaks = false;
                    }
                }
            }
        }
    }
}

impl Emitter {
    fn document_with_body(&mut self, root: &Node, first: bool) {
        if !first {
            self.write_indent();
            self.indicator("---", true, false, false);
            self.write_indent();
        }
        self.analyze_event(&root.head, "", "", "");
        self.process_head_comment();
        self.node(root, State::Other, false);
        self.body(root);
        self.process_line_comment();
        self.process_foot_comment();
        self.foot_indent = 0;
        self.process_foot_comment();
        self.foot_indent = -1;
        self.write_indent();
    }
}

/// Writes the documents as go-yaml v3's encoder does with an indent of 4 (sops' files).
pub fn write(docs: impl IntoIterator<Item = Node>) -> Zeroizing<Vec<u8>> {
    let mut e = Emitter {
        out: Zeroizing::new(Vec::new()),
        column: 0,
        whitespace: true,
        indention: true,
        open_ended: false,
        foot_indent: -1,
        indent: -1,
        indents: Vec::new(),
        states: Vec::new(),
        head: String::new(),
        line: String::new(),
        foot: String::new(),
        tail: String::new(),
    };
    for (i, root) in docs.into_iter().enumerate() {
        e.indent = -1;
        e.document_with_body(&root, i == 0);
    }
    if e.open_ended {
        e.indicator("...", true, false, false);
        e.write_indent();
    }
    e.out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar(s: &str, style: Style) -> Node {
        Node::new(Kind::Scalar(Zeroizing::new(s.to_string()), style))
    }

    /// Nested blocks at the next multiple of 4, a second document after `---`, a head comment
    /// above its entry, the style the scalar asked for unless it cannot be written so.
    #[test]
    fn writes_as_go_yaml_v3_with_indent_4() {
        let mut key = scalar("a", Style::Plain);
        key.head = "# first".to_string();
        let doc = Node::new(Kind::Map(vec![
            (key, scalar("1", Style::Double)),
            (
                scalar("list", Style::Plain),
                Node::new(Kind::Seq(vec![
                    scalar("x", Style::Plain),
                    scalar("a: b", Style::Plain),
                ])),
            ),
        ]));
        let second = Node::new(Kind::Map(vec![(
            scalar("b", Style::Plain),
            scalar("", Style::Double),
        )]));
        let out = write([doc, second]);
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            "# first\na: \"1\"\nlist:\n    - x\n    - 'a: b'\n---\nb: \"\"\n"
        );
    }
}
