//! sops' YAML store: a file read into sops' tree (comments kept as items, scalars typed as
//! go-yaml v3 types them into `interface{}`), and the tree written back as sops writes it:
//! go-yaml v3's encoder with an indent of 4, comments as head, line and foot comments.
//!
//! The reader keeps comments the way go-yaml v3 attaches them in the files sops writes: lines
//! before an entry are its head, a comment after a scalar on its line is inline, comment
//! lines after the last entry of a block (at its indentation or deeper) are its foot.
//! The writer turns sops' tree into go-yaml v3's nodes as sops' `appendTreeBranch` does
//! (comments as head, line and foot comments of the nodes) and prints them with go-yaml v3's
//! emitter (`goyaml::emit3`).

use zeroize::Zeroizing;

use super::{Branch, Comment, Item, Key, Out, SyntaxReason, Val, gofmt};
use goyaml::emit3::{self, Kind as YKind, Node as YNode};
use goyaml::resolve::{is_base60_float, is_bool, yaml_style_float};
use goyaml::scalar::Style as SStyle;
use goyaml::{Node, Style, Value};

// ---------------------------------------------------------------------------------------
// Reading

struct Cmt {
    /// Character offset of the `#`.
    pos: usize,
    line: usize,
    col: usize,
    /// Whether only blanks precede it on its line.
    full_line: bool,
    text: String,
}

struct Reader<'a> {
    chars: &'a [char],
    comments: Vec<Cmt>,
    next: usize,
    /// Character offset where each line starts (line 1 at index 0).
    line_starts: Vec<usize>,
    /// Whether each line (line 1 at index 0) holds only blanks.
    blank: Vec<bool>,
}

impl Reader<'_> {
    fn line_of(&self, pos: usize) -> usize {
        match self.line_starts.binary_search(&pos) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }

    fn peek(&self) -> Option<&Cmt> {
        self.comments.get(self.next)
    }

    /// Comments (full-line) that start before `pos`: head comments of what starts there.
    fn heads_before(&mut self, pos: usize) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(c) = self.peek() {
            if c.pos >= pos {
                break;
            }
            out.push(c.text.clone());
            self.next += 1;
        }
        out
    }

    /// Drops the comments inside an empty flow collection (`{`, comments, `}`): go-yaml keeps
    /// them on no node sops reads, so `sops --decrypt` prints the collection without them.
    fn drop_inside(&mut self, n: &Node) {
        let empty = match &n.value {
            Value::Map(p) => p.is_empty(),
            Value::Seq(s) => s.is_empty(),
            Value::Scalar { .. } => false,
        };
        if !empty {
            return;
        }
        while let Some(c) = self.peek() {
            if c.pos <= n.mark.start || c.pos >= n.mark.end {
                break;
            }
            self.next += 1;
        }
    }

    /// A comment on `line` after a scalar that ends there.
    fn inline_on(&mut self, line: usize) -> Option<String> {
        let c = self.peek()?;
        if !c.full_line && c.line == line {
            let t = c.text.clone();
            self.next += 1;
            return Some(t);
        }
        None
    }

    /// Comment lines before `limit` at column `col` or deeper: the foot of a block.
    fn feet(&mut self, limit: usize, col: usize) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(c) = self.peek() {
            if c.pos >= limit || c.col < col {
                break;
            }
            out.push(c.text.clone());
            self.next += 1;
        }
        out
    }
}

/// Where a quoted scalar starting at `span.0` really ends: the parser's end mark of a quoted
/// scalar can run past its closing quote, over a comment on the same line (which go-yaml
/// keeps as the value's line comment). Other scalars keep their span.
fn quoted_end(chars: &[char], (start, end): (usize, usize)) -> usize {
    let end = end.min(chars.len());
    let Some(q) = chars
        .get(start)
        .copied()
        .filter(|c| matches!(c, '\'' | '"'))
    else {
        return end;
    };
    let mut i = start + 1;
    while i < end {
        match chars[i] {
            '\\' if q == '"' => i += 2,
            '\'' if q == '\'' && chars.get(i + 1) == Some(&'\'') => i += 2,
            c if c == q => return i + 1,
            _ => i += 1,
        }
    }
    end
}

/// Character spans of every scalar in `node`, to tell a comment's `#` from a scalar's.
fn spans(node: &Node, out: &mut Vec<(usize, usize)>) {
    match &node.value {
        Value::Scalar { .. } => out.push((node.mark.start, node.mark.end)),
        Value::Seq(items) => items.iter().for_each(|n| spans(n, out)),
        Value::Map(pairs) => pairs.iter().for_each(|(k, v)| {
            spans(k, out);
            spans(v, out);
        }),
    }
}

fn scan_comments(chars: &[char], docs: &[Node]) -> Vec<Cmt> {
    let mut sp = Vec::new();
    for d in docs {
        spans(d, &mut sp);
    }
    for span in &mut sp {
        span.1 = quoted_end(chars, *span);
    }
    sp.sort_unstable();
    let mut out = Vec::new();
    let (mut line, mut col) = (1usize, 0usize);
    let mut blank_before = true;
    let mut s = 0usize;
    let mut i = 0usize;
    while i < chars.len() {
        let c = chars[i];
        while s < sp.len() && sp[s].1 <= i {
            s += 1;
        }
        let in_scalar = s < sp.len() && sp[s].0 <= i && i < sp[s].1;
        if c == '\n' {
            line += 1;
            col = 0;
            blank_before = true;
            i += 1;
            continue;
        }
        let prev_blank = i == 0 || matches!(chars[i - 1], ' ' | '\t' | '\n' | '\r');
        if c == '#' && !in_scalar && prev_blank {
            let start = i;
            while i < chars.len() && chars[i] != '\n' && chars[i] != '\r' {
                i += 1;
            }
            let text: String = chars[start + 1..i].iter().collect();
            out.push(Cmt {
                pos: start,
                line,
                col,
                full_line: blank_before,
                text,
            });
            continue;
        }
        if !matches!(c, ' ' | '\t' | '\r') {
            blank_before = false;
        }
        col += 1;
        i += 1;
    }
    out
}

/// go-yaml v3 writes an empty flow collection holding only a comment as `{`, the comment,
/// then `}` at the start of a line, and reads that back (sops does, for the files it wrote);
/// a YAML 1.2 scanner refuses the `}` as less indented than its block. Such a closing line
/// (only `}` or `]` after a comment line) is indented as the comment before it, which
/// changes nothing else: `None` when there is none.
fn indent_flow_ends(text: &str) -> Option<Zeroizing<String>> {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut changed = false;
    let mut out = Zeroizing::new(String::with_capacity(text.len()));
    let mut prev_comment_indent: Option<&str> = None;
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let bare = line.trim_end_matches([' ', '\r']);
        let body = bare.trim_start_matches(' ');
        let indent = &bare[..bare.len() - body.len()];
        if matches!(body, "}" | "]")
            && let Some(want) = prev_comment_indent.filter(|w| w.len() > indent.len())
        {
            out.push_str(want);
            out.push_str(line.trim_start_matches(' '));
            changed = true;
            prev_comment_indent = None;
            continue;
        }
        if body.starts_with('#') {
            prev_comment_indent = Some(indent);
        } else if !body.is_empty() {
            prev_comment_indent = None;
        }
        out.push_str(line);
    }
    changed.then_some(out)
}

/// Reads every document of a SOPS YAML file into sops' tree.
pub fn load(text: &str) -> Result<Vec<Branch>, SyntaxReason> {
    let fixed = indent_flow_ends(text);
    let text = fixed.as_deref().map_or(text, String::as_str);
    let docs = goyaml::parse_stream(text).map_err(SyntaxReason::Yaml)?;
    let chars: Vec<char> = text.chars().collect();
    let mut line_starts = vec![0];
    let mut blank = vec![true];
    for (i, c) in chars.iter().enumerate() {
        if *c == '\n' {
            line_starts.push(i + 1);
            blank.push(true);
        } else if !matches!(c, ' ' | '\t' | '\r') {
            blank[line_starts.len() - 1] = false;
        }
    }
    let mut r = Reader {
        chars: &chars,
        comments: scan_comments(&chars, &docs),
        next: 0,
        line_starts,
        blank,
    };
    let mut out = Vec::new();
    for (n, doc) in docs.iter().enumerate() {
        let limit = docs
            .get(n + 1)
            .map_or(chars.len(), |d| doc_start(&chars, d.mark.start));
        let mut branch = Vec::new();
        match &doc.value {
            Value::Map(pairs) => {
                map_items(&mut r, pairs, limit, &mut branch)?;
            }
            Value::Scalar { text, style, tag } if tag.is_none() && *style == Style::Plain => {
                if !matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL") {
                    return Err(SyntaxReason::ValueDocument);
                }
            }
            Value::Seq(_) => {
                return Err(SyntaxReason::SequenceDocument);
            }
            Value::Scalar { .. } => {
                return Err(SyntaxReason::ValueDocument);
            }
        }
        for c in r.heads_before(limit) {
            branch.push(Item::comment(&c, false));
        }
        out.push(branch);
    }
    Ok(out)
}

/// Where the `---` of a document starting at `start` begins, so its comments stay its own.
fn doc_start(chars: &[char], start: usize) -> usize {
    let mut i = start.min(chars.len());
    // Back to the start of the line holding `---`, if the document has one.
    let mut line_start = i;
    while line_start > 0 && chars[line_start - 1] != '\n' {
        line_start -= 1;
    }
    let mut j = line_start;
    while j > 0 {
        let mut k = j - 1;
        while k > 0 && chars[k - 1] != '\n' {
            k -= 1;
        }
        let line: String = chars[k..j - 1].iter().collect();
        if line.starts_with("---") {
            return k;
        }
        if !line.trim().is_empty() && !line.trim_start().starts_with('#') {
            break;
        }
        j = k;
    }
    i = line_start;
    i
}

fn key_string(k: &Node) -> Result<String, SyntaxReason> {
    match &k.value {
        Value::Scalar { text, style, tag } => {
            let v = scalar(text, *style, tag.as_deref())?;
            match v {
                Val::Str(s) => Ok(s.to_string()),
                _ => Err(SyntaxReason::ScalarKey { line: k.mark.line }),
            }
        }
        _ => Err(SyntaxReason::CollectionKey { line: k.mark.line }),
    }
}

/// The line a comment after a scalar sits on: a block scalar's header line (its `|` or `>`,
/// the last line holding anything before its content, which its mark starts at), else the
/// line the scalar ends on. go-yaml v3 gives a comment after the header to the scalar; a
/// comment after a block scalar's last line belongs to what follows it.
fn end_line(r: &Reader<'_>, n: &Node) -> usize {
    if matches!(
        n.value,
        Value::Scalar {
            style: Style::Block,
            ..
        }
    ) {
        let mut line = r.line_of(n.mark.start);
        // At the end of input the mark starts at the header itself, after the key or the
        // dash on its line; content is preceded by its indentation only.
        let line_start = r.line_starts[line - 1];
        let start = n.mark.start.min(r.chars.len());
        if r.chars[line_start..start]
            .iter()
            .any(|c| !matches!(c, ' ' | '\t'))
        {
            return line;
        }
        while line > 1 {
            line -= 1;
            if !r.blank[line - 1] {
                break;
            }
        }
        return line;
    }
    r.line_of(n.mark.end.saturating_sub(1).max(n.mark.start))
}

fn map_items(
    r: &mut Reader<'_>,
    pairs: &[(Node, Node)],
    limit: usize,
    out: &mut Vec<Item>,
) -> Result<(), SyntaxReason> {
    for (i, (k, v)) in pairs.iter().enumerate() {
        for c in r.heads_before(k.mark.start) {
            out.push(Item::comment(&c, false));
        }
        let next = pairs.get(i + 1).map_or(limit, |(nk, _)| nk.mark.start);
        let key = key_string(k)?;
        match &v.value {
            Value::Scalar { text, style, tag } => {
                if let Some(c) = r.inline_on(end_line(r, v)) {
                    out.push(Item::comment(&c, true));
                }
                out.push(Item::new(key, scalar(text, *style, tag.as_deref())?));
            }
            _ => {
                if let Some(c) = r.inline_on(k.mark.line) {
                    out.push(Item::comment(&c, false));
                }
                r.drop_inside(v);
                let val = collection(r, v, next)?;
                out.push(Item::new(key, val));
            }
        }
    }
    Ok(())
}

/// The column of the block a collection's entries sit at (a sequence's dashes).
fn block_col(r: &Reader<'_>, n: &Node) -> usize {
    let line_start = r.line_starts[n.mark.line - 1];
    let mut col = n.mark.start - line_start;
    if matches!(n.value, Value::Seq(_)) && col >= 2 {
        col -= 2;
    }
    col
}

fn collection(r: &mut Reader<'_>, n: &Node, limit: usize) -> Result<Val, SyntaxReason> {
    match &n.value {
        Value::Map(pairs) => {
            let mut items = Vec::new();
            map_items(r, pairs, limit, &mut items)?;
            if !pairs.is_empty() {
                let col = block_col(r, &pairs[0].0);
                for c in r.feet(limit, col) {
                    items.push(Item::comment(&c, false));
                }
            }
            Ok(Val::Map(items))
        }
        Value::Seq(list) => {
            let mut items = Vec::new();
            let col = list.first().map(|f| {
                let line_start = r.line_starts[f.mark.line - 1];
                (f.mark.start - line_start).saturating_sub(2)
            });
            for (i, v) in list.iter().enumerate() {
                for c in r.heads_before(v.mark.start) {
                    items.push(Val::Comment(Comment {
                        text: Zeroizing::new(c),
                        inline: false,
                    }));
                }
                let next = list.get(i + 1).map_or(limit, |nv| nv.mark.start);
                match &v.value {
                    Value::Scalar { text, style, tag } => {
                        if let Some(c) = r.inline_on(end_line(r, v)) {
                            items.push(Val::Comment(Comment {
                                text: Zeroizing::new(c),
                                inline: true,
                            }));
                        }
                        items.push(scalar(text, *style, tag.as_deref())?);
                    }
                    _ => {
                        r.drop_inside(v);
                        items.push(collection(r, v, next)?);
                    }
                }
            }
            if let Some(col) = col {
                for c in r.feet(limit, col) {
                    items.push(Val::Comment(Comment {
                        text: Zeroizing::new(c),
                        inline: false,
                    }));
                }
            }
            Ok(Val::Seq(items))
        }
        Value::Scalar { text, style, tag } => scalar(text, *style, tag.as_deref()),
    }
}

/// A scalar as go-yaml v3 decodes it into `interface{}`.
fn scalar(text: &str, style: Style, tag: Option<&str>) -> Result<Val, SyntaxReason> {
    let short = tag.map(|t| {
        t.strip_prefix("tag:yaml.org,2002:")
            .map_or(t.to_string(), |s| format!("!!{s}"))
    });
    match short.as_deref() {
        None if style == Style::Plain => resolve(text),
        None | Some("!!str") | Some("!") => Ok(Val::str(text)),
        Some("!!int") | Some("!!float") | Some("!!bool") | Some("!!null") | Some("!!timestamp") => {
            let v = resolve(text)?;
            match (short.as_deref(), &v) {
                (Some("!!float"), Val::Int(i)) => Ok(Val::Float(*i as f64)),
                (Some("!!int"), Val::Int(_))
                | (Some("!!float"), Val::Float(_))
                | (Some("!!bool"), Val::Bool(_))
                | (Some("!!null"), Val::Null)
                | (Some("!!timestamp"), Val::Time(_)) => Ok(v),
                _ => Err(SyntaxReason::Tag {
                    tag: short.unwrap_or_default(),
                }),
            }
        }
        Some(_) => Ok(Val::str(text)),
    }
}

/// go-yaml v3's `resolve("", s)` for a plain scalar.
fn resolve(s: &str) -> Result<Val, SyntaxReason> {
    match s {
        "true" | "True" | "TRUE" => return Ok(Val::Bool(true)),
        "false" | "False" | "FALSE" => return Ok(Val::Bool(false)),
        "" | "~" | "null" | "Null" | "NULL" => return Ok(Val::Null),
        ".nan" | ".NaN" | ".NAN" => return Ok(Val::Float(f64::NAN)),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Ok(Val::Float(f64::INFINITY));
        }
        "-.inf" | "-.Inf" | "-.INF" => return Ok(Val::Float(f64::NEG_INFINITY)),
        _ => {}
    }
    let first = s.as_bytes()[0];
    if first == b'.' {
        if let Ok(f) = s.parse::<f64>() {
            return Ok(Val::Float(f));
        }
        return Ok(Val::str(s));
    }
    if !(first.is_ascii_digit() || first == b'+' || first == b'-') {
        return Ok(Val::str(s));
    }
    if let Some(t) = gofmt::rfc3339_nano(s) {
        return Ok(Val::Time(Zeroizing::new(t)));
    }
    let plain = s.replace('_', "");
    if let Some(i) = parse_int_base0(&plain) {
        return i;
    }
    if yaml_style_float(&plain)
        && let Ok(f) = plain.parse::<f64>()
    {
        return Ok(Val::Float(f));
    }
    for (prefix, radix, neg) in [
        ("0b", 2, false),
        ("-0b", 2, true),
        ("0o", 8, false),
        ("-0o", 8, true),
    ] {
        if let Some(d) = plain.strip_prefix(prefix)
            && !d.is_empty()
            && !d.starts_with(['+', '-'])
            && let Ok(v) = u64::from_str_radix(d, radix)
        {
            return int_val(v, neg);
        }
    }
    Ok(Val::str(s))
}

fn int_val(mag: u64, neg: bool) -> Result<Val, SyntaxReason> {
    if neg {
        if mag <= i64::MAX as u64 + 1 {
            return Ok(Val::Int((mag as i128).wrapping_neg() as i64));
        }
        return Err(SyntaxReason::IntOutOfRange);
    }
    i64::try_from(mag)
        .map(Val::Int)
        .map_err(|_| SyntaxReason::Unsigned64)
}

/// Go's `strconv.ParseInt(s, 0, 64)` (then `ParseUint`): `Some` when it parses.
fn parse_int_base0(s: &str) -> Option<Result<Val, SyntaxReason>> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let mag = u64::from_str_radix(digits, radix).ok()?;
    if neg && mag > i64::MAX as u64 + 1 {
        return None;
    }
    Some(int_val(mag, neg))
}

// ---------------------------------------------------------------------------------------
// Writing

fn join_comments(cs: &[String]) -> String {
    let mut s = String::new();
    for (i, c) in cs.iter().enumerate() {
        if i > 0 {
            s.push('\n');
        }
        s.push('#');
        s.push_str(c);
    }
    s
}

fn add_head(target: &mut String, cs: &mut Vec<String>) {
    if cs.is_empty() {
        return;
    }
    let c = join_comments(cs);
    *target = if target.is_empty() {
        c
    } else {
        format!("{c}\n{target}")
    };
    cs.clear();
}

fn add_tail(target: &mut String, cs: &mut Vec<String>) {
    if cs.is_empty() {
        return;
    }
    let c = join_comments(cs);
    if target.is_empty() {
        *target = c;
    } else {
        target.push('\n');
        target.push_str(&c);
    }
    cs.clear();
}

/// sops' `appendTreeBranch`.
fn map_node(items: &[Item]) -> YNode {
    let mut node = YNode::new(YKind::Map(Vec::new()));
    let mut content = Vec::new();
    let mut heads = Vec::new();
    let mut inlines = Vec::new();
    // The comments of an empty sequence written as `[]`: go-yaml keeps them pending and
    // writes them before the next key, unless that key brings a head comment of its own,
    // which replaces them; after the last key they follow what trails the mapping.
    let mut pending: Vec<String> = Vec::new();
    let mut beginning = true;
    for item in items {
        match &item.key {
            Key::Comment(c) => {
                if c.inline {
                    inlines.push(c.text.to_string());
                } else {
                    heads.push(c.text.to_string());
                }
            }
            Key::Str(k) => {
                if beginning {
                    add_head(&mut node.head, &mut heads);
                    beginning = false;
                }
                let mut key = if k == "<<" {
                    YNode::new(YKind::Tagged(
                        "!!merge",
                        Zeroizing::new(k.clone()),
                        SStyle::Plain,
                    ))
                } else {
                    YNode::new(YKind::Scalar(Zeroizing::new(k.clone()), string_style(k)))
                };
                if heads.is_empty() {
                    heads = std::mem::take(&mut pending);
                } else {
                    pending.clear();
                }
                add_head(&mut key.head, &mut heads);
                // A sequence of only comments (sops' tree for `key: [] # comment`): go-yaml
                // writes `[]` and the comments after the entry, on lines of their own.
                let after: Vec<String> = match &item.val {
                    Val::Seq(v) if !v.is_empty() => v
                        .iter()
                        .map(|x| match x {
                            Val::Comment(c) => Some(c.text.to_string()),
                            _ => None,
                        })
                        .collect::<Option<Vec<_>>>()
                        .unwrap_or_default(),
                    _ => Vec::new(),
                };
                let mut val = if after.is_empty() {
                    value_node(&item.val)
                } else {
                    YNode::new(YKind::Seq(Vec::new()))
                };
                add_tail(&mut val.line, &mut inlines);
                content.push((key, val));
                pending = after;
            }
        }
    }
    heads.append(&mut inlines);
    heads.append(&mut pending);
    if !heads.is_empty() {
        if beginning {
            add_head(&mut node.head, &mut heads);
        } else if let Some((k, _)) = content.last_mut() {
            add_tail(&mut k.foot, &mut heads);
        }
    }
    node.kind = YKind::Map(content);
    node
}

/// sops' `appendSequence`.
fn seq_node(items: &[Val]) -> YNode {
    let mut node = YNode::new(YKind::Seq(Vec::new()));
    let mut content: Vec<YNode> = Vec::new();
    let mut heads = Vec::new();
    let mut inlines = Vec::new();
    let mut beginning = true;
    for v in items {
        if let Val::Comment(c) = v {
            if c.inline {
                inlines.push(c.text.to_string());
            } else {
                heads.push(c.text.to_string());
            }
            continue;
        }
        if beginning {
            add_head(&mut node.head, &mut heads);
            beginning = false;
        }
        let mut n = value_node(v);
        add_head(&mut n.head, &mut heads);
        add_tail(&mut n.line, &mut inlines);
        content.push(n);
    }
    heads.append(&mut inlines);
    if !heads.is_empty() {
        if beginning {
            add_head(&mut node.head, &mut heads);
        } else if let Some(last) = content.last_mut() {
            add_tail(&mut last.foot, &mut heads);
        }
    }
    node.kind = YKind::Seq(content);
    node
}

fn value_node(v: &Val) -> YNode {
    let plain = |s: String| YNode::new(YKind::Scalar(Zeroizing::new(s), SStyle::Plain));
    match v {
        Val::Map(items) => map_node(items),
        Val::Seq(items) => seq_node(items),
        Val::Str(s) => YNode::new(YKind::Scalar(s.clone(), string_style(s))),
        Val::Bytes(b) => binary_node(b),
        Val::Int(i) => plain(i.to_string()),
        Val::Float(f) => plain(match gofmt::format_g(*f).as_str() {
            "+Inf" => ".inf".into(),
            "-Inf" => "-.inf".into(),
            "NaN" => ".nan".into(),
            g => g.to_string(),
        }),
        Val::Bool(b) => plain(if *b { "true" } else { "false" }.into()),
        Val::Time(t) => YNode::new(YKind::Scalar(t.clone(), SStyle::Plain)),
        Val::Null | Val::Comment(_) => plain("null".into()),
    }
}

/// go-yaml v3's `stringv` for bytes that are not UTF-8: `!!binary` base64, in lines of 70
/// characters (then a literal block) when longer.
fn binary_node(b: &[u8]) -> YNode {
    use base64::Engine;
    let enc = base64::engine::general_purpose::STANDARD.encode(b);
    let (text, style) = if enc.len() <= 70 {
        (enc, SStyle::Plain)
    } else {
        let lines: Vec<&str> = enc
            .as_bytes()
            .chunks(70)
            .map(|c| std::str::from_utf8(c).unwrap_or_default())
            .collect();
        (lines.join("\n") + "\n", SStyle::Literal)
    };
    YNode::new(YKind::Tagged("!!binary", Zeroizing::new(text), style))
}

/// go-yaml v3's `stringv`: literal when multi-line, plain when it reads back as the same
/// string, double-quoted otherwise.
fn string_style(s: &str) -> SStyle {
    if s.contains('\n') {
        return SStyle::Literal;
    }
    let plain_ok = matches!(resolve_if_possible(s), Some(Val::Str(_)))
        && !is_base60_float(s)
        // The YAML 1.1 booleans v3 reads as strings are quoted all the same.
        && !is_bool(s);
    if plain_ok {
        SStyle::Plain
    } else {
        SStyle::Double
    }
}

fn resolve_if_possible(s: &str) -> Option<Val> {
    resolve(s).ok().or(Some(Val::Int(0)))
}

/// Writes the documents as sops does (go-yaml v3 encoder, indent 4).
pub fn emit(branches: &[Branch]) -> Out {
    Out(emit3::write(branches.iter().map(|b| map_node(b))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use goyaml::emit3::select;

    #[test]
    fn resolves_as_go_yaml_v3() {
        assert!(matches!(resolve("0x1F"), Ok(Val::Int(31))));
        assert!(matches!(resolve("017"), Ok(Val::Int(15))));
        assert!(matches!(resolve("0o17"), Ok(Val::Int(15))));
        assert!(matches!(resolve("1_000"), Ok(Val::Int(1000))));
        assert!(matches!(resolve("08"), Ok(Val::Float(f)) if f == 8.0));
        assert!(matches!(resolve("1e3"), Ok(Val::Float(f)) if f == 1000.0));
        assert!(matches!(resolve("yes"), Ok(Val::Str(_))));
        assert!(matches!(resolve("True"), Ok(Val::Bool(true))));
        assert!(matches!(resolve("2024-01-02"), Ok(Val::Time(_))));
        assert!(matches!(resolve("1:20"), Ok(Val::Str(_))));
    }

    #[test]
    fn chooses_styles_as_go_yaml_v3() {
        assert_eq!(select("hello", string_style("hello"), false), SStyle::Plain);
        assert_eq!(select("yes", string_style("yes"), false), SStyle::Double);
        assert_eq!(select("123", string_style("123"), false), SStyle::Double);
        assert_eq!(select("a: b", string_style("a: b"), false), SStyle::Single);
        assert_eq!(select("a\tb", string_style("a\tb"), false), SStyle::Double);
        assert_eq!(select("a\nb", string_style("a\nb"), false), SStyle::Literal);
        assert_eq!(select("a\nb", string_style("a\nb"), true), SStyle::Double);
        assert_eq!(select("", string_style(""), false), SStyle::Double);
        assert!(is_base60_float("1:20"));
        assert!(!is_base60_float("1:2a"));
    }
}
