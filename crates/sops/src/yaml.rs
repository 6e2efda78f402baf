//! sops' YAML store: a file read into sops' tree (comments kept as items, scalars typed as
//! go-yaml v3 types them into `interface{}`), and the tree written back as sops writes it:
//! go-yaml v3's encoder with an indent of 4, comments as head, line and foot comments.
//!
//! The reader keeps comments the way go-yaml v3 attaches them in the files sops writes: lines
//! before an entry are its head, a comment after a scalar on its line is inline, comment
//! lines after the last entry of a block (at its indentation or deeper) are its foot.
//! The writer follows go-yaml v3's emitter (emitterc.go): its indentation rule (nested
//! blocks at the next multiple of 4, a sequence item's content 2 columns after its dash), its
//! choice among plain, single-quoted, double-quoted and literal scalars, its escapes, and
//! where it writes each comment.

use zeroize::Zeroizing;

use super::{Branch, Comment, Item, Key, Out, SyntaxReason, Val, gofmt};
use goyaml::resolve::{is_base60_float, is_bool, yaml_style_float};
use goyaml::scalar::{self, Flavour, Style as SStyle, is_break};
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

struct Reader {
    comments: Vec<Cmt>,
    next: usize,
    /// Character offset where each line starts (line 1 at index 0).
    line_starts: Vec<usize>,
}

impl Reader {
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
    for (i, c) in chars.iter().enumerate() {
        if *c == '\n' {
            line_starts.push(i + 1);
        }
    }
    let mut r = Reader {
        comments: scan_comments(&chars, &docs),
        next: 0,
        line_starts,
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

fn end_line(r: &Reader, n: &Node) -> usize {
    r.line_of(n.mark.end.saturating_sub(1).max(n.mark.start))
}

fn map_items(
    r: &mut Reader,
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
fn block_col(r: &Reader, n: &Node) -> usize {
    let line_start = r.line_starts[n.mark.line - 1];
    let mut col = n.mark.start - line_start;
    if matches!(n.value, Value::Seq(_)) && col >= 2 {
        col -= 2;
    }
    col
}

fn collection(r: &mut Reader, n: &Node, limit: usize) -> Result<Val, SyntaxReason> {
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

enum YKind {
    Scalar(Zeroizing<String>, SStyle),
    /// A scalar written with its tag: `!!binary` (base64 text), or `!!merge` on a `<<` key
    /// (go-yaml v3 prints the merge key's tag).
    Tagged(&'static str, Zeroizing<String>, SStyle),
    Map(Vec<(YNode, YNode)>),
    Seq(Vec<YNode>),
}

struct YNode {
    kind: YKind,
    head: String,
    line: String,
    foot: String,
}

impl YNode {
    fn new(kind: YKind) -> YNode {
        YNode {
            kind,
            head: String::new(),
            line: String::new(),
            foot: String::new(),
        }
    }
}

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
                heads.extend(after);
            }
        }
    }
    heads.append(&mut inlines);
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

/// `yaml_emitter_select_scalar_style`.
fn select(s: &str, style: SStyle, simple_key: bool) -> SStyle {
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
    out: Out,
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
        self.out.push_str(c.encode_utf8(&mut b));
        self.column += 1;
    }
    fn put_break(&mut self) {
        self.out.push(b'\n');
        self.column = 0;
        self.indention = true;
    }
    fn write_str(&mut self, s: &str) {
        self.out.push_str(s);
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
    fn node(&mut self, n: &YNode, _ctx: State, simple_key: bool) {
        match &n.kind {
            YKind::Scalar(text, style) => {
                let style = select(text, *style, simple_key);
                self.increase_indent(true);
                self.scalar(text, style);
                self.pop_indent();
            }
            YKind::Tagged(tag, text, style) => {
                self.indicator(tag, true, false, false);
                self.increase_indent(true);
                self.scalar(text, *style);
                self.pop_indent();
            }
            YKind::Map(pairs) if pairs.is_empty() => {
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
            YKind::Seq(items) if items.is_empty() => {
                self.indicator("[", true, true, false);
                self.increase_indent(true);
                self.analyze_event("", &n.line, &n.foot, "");
                self.process_head_comment();
                self.pop_indent();
                self.indicator("]", false, false, false);
                self.process_line_comment();
                self.process_foot_comment();
            }
            YKind::Map(_) | YKind::Seq(_) => {}
        }
    }

    /// The body of a block collection, after its start event was handled.
    fn body(&mut self, n: &YNode) {
        match &n.kind {
            YKind::Map(pairs) if !pairs.is_empty() => {
                self.increase_indent(false);
                let mut tail = String::new();
                for (k, v) in pairs {
                    self.analyze_event(&k.head, &k.line, "", &tail);
                    self.process_head_comment();
                    self.write_indent();
                    let key_line = std::mem::take(&mut self.line);
                    // A key of more than 128 bytes or over several lines is written `? key`.
                    let simple = match &k.kind {
                        YKind::Scalar(t, _) | YKind::Tagged(_, t, _) => {
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
                    let is_scalar = matches!(v.kind, YKind::Scalar(..) | YKind::Tagged(..));
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
            YKind::Seq(items) if !items.is_empty() => {
                self.increase_indent(false);
                for item in items {
                    if matches!(item.kind, YKind::Scalar(..) | YKind::Tagged(..)) {
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

    fn scalar(&mut self, s: &str, style: SStyle) {
        match style {
            SStyle::Plain => {
                if !s.is_empty() && !self.whitespace {
                    self.put(' ');
                }
                self.write_str(s);
                if !s.is_empty() {
                    self.whitespace = false;
                }
                self.indention = false;
            }
            SStyle::Single => {
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
            SStyle::Double => {
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
            SStyle::Literal => {
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

/// Writes the documents as sops does (go-yaml v3 encoder, indent 4).
pub fn emit(branches: &[Branch]) -> Out {
    let mut e = Emitter {
        out: Out::new(),
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
    for (i, b) in branches.iter().enumerate() {
        let root = map_node(b);
        e.indent = -1;
        e.document_with_body(&root, i == 0);
    }
    if e.open_ended {
        e.indicator("...", true, false, false);
        e.write_indent();
    }
    e.out
}

impl Emitter {
    fn document_with_body(&mut self, root: &YNode, first: bool) {
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

#[cfg(test)]
mod tests {
    use super::*;

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
