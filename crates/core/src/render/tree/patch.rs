//! Patches on a Secret's tree, as kustomize applies them.
//!
//! In: a resource as an [`emit::Node`] tree and a patch (a strategic-merge document or JSON
//! 6902 operations), or a `target` selector. Out: the patched tree, or whether a Secret is
//! selected. Refuses operations whose path does not exist (as kustomize does).

use std::borrow::Cow;

use crate::gate::shown::Provenance;
use crate::yaml::emit::Node;

pub(crate) type Map = Vec<(Cow<'static, str>, Node<'static>)>;

/// A patch or selector that cannot be applied. The caller says which patch it is.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    #[error("path `{0}` does not start with `/`")]
    NotAbsolute(String),
    #[error("cannot remove the whole document")]
    WholeDocument,
    #[error("path `{0}` does not exist")]
    Missing(String),
    #[error("`{op}` at `{path}` has no value")]
    NoValue { op: String, path: String },
    #[error("`{op}` at `{path}` has no `from`")]
    NoFrom { op: String, path: String },
    #[error("test at `{0}` failed")]
    TestFailed(String),
    #[error("unknown JSON patch operation `{0}`")]
    UnknownOp(String),
    /// A selector's `name` or `namespace` that is not a regular expression.
    #[error("`{pattern}` is not a valid regular expression: {source}")]
    Regex {
        pattern: String,
        #[source]
        source: regex::Error,
    },
    /// A label selector's `in`/`notin` set that is not `(a,b)`.
    #[error("`{0}` is not a set `(a,b)`")]
    NotASet(String),
    /// An operation that would nest the document past the parsers' depth budget.
    #[error(
        "`{op}` at `{path}` would make the document {}",
        crate::gate::budget::TooDeep
    )]
    TooDeep { op: String, path: String },
    /// `copy` operations that together copy more than the parsers' expansion budget.
    #[error(
        "`copy` operations copy more than {} MiB",
        crate::gate::budget::MAX_EXPANDED_BYTES >> 20
    )]
    TooLarge,
}

/// How deep a tree nests (0 for a scalar) and about the memory it takes: the bytes of its
/// text, keys included, and a node's own size for each node.
fn extent(n: &Node<'static>) -> (usize, usize) {
    const NODE: usize = std::mem::size_of::<Node<'static>>();
    match n {
        Node::Str(s) | Node::Number(s) => (0, NODE + s.len()),
        Node::Bool(_) | Node::Null => (0, NODE),
        Node::Seq(items) => items.iter().fold((1, NODE), |(d, b), i| {
            let (d2, b2) = extent(i);
            (d.max(d2 + 1), b + b2)
        }),
        Node::Map(m) => m.iter().fold((1, NODE), |(d, b), (k, v)| {
            let (d2, b2) = extent(v);
            (d.max(d2 + 1), b + NODE + k.len() + b2)
        }),
    }
}

pub(crate) fn get<'a>(n: &'a Node<'static>, key: &str) -> Option<&'a Node<'static>> {
    match n {
        Node::Map(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
        _ => None,
    }
}

pub(crate) fn get_mut<'a>(n: &'a mut Node<'static>, key: &str) -> Option<&'a mut Node<'static>> {
    match n {
        Node::Map(m) => m.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v),
        _ => None,
    }
}

pub(crate) fn as_str<'a>(n: Option<&'a Node<'static>>) -> Option<&'a str> {
    match n {
        Some(Node::Str(s)) | Some(Node::Number(s)) => Some(s),
        _ => None,
    }
}

/// Sets `key` in a map node (turning a non-map into an empty map first).
pub(crate) fn set(n: &mut Node<'static>, key: &str, value: Node<'static>) {
    if !matches!(n, Node::Map(_)) {
        *n = Node::Map(Vec::new());
    }
    if let Node::Map(m) = n {
        match m.iter_mut().find(|(k, _)| k == key) {
            Some(e) => e.1 = value,
            None => m.push((Cow::Owned(key.to_string()), value)),
        }
    }
}

pub(crate) fn remove(n: &mut Node<'static>, key: &str) -> Option<Node<'static>> {
    match n {
        Node::Map(m) => {
            let i = m.iter().position(|(k, _)| k == key)?;
            Some(m.remove(i).1)
        }
        _ => None,
    }
}

/// The map at `metadata.<field>`, created when missing.
pub(crate) fn meta_map<'a>(res: &'a mut Node<'static>, field: &str) -> &'a mut Map {
    if get(res, "metadata").is_none_or(|m| !matches!(m, Node::Map(_))) {
        set(res, "metadata", Node::Map(Vec::new()));
    }
    let meta = get_mut(res, "metadata").expect("metadata was just set");
    if get(meta, field).is_none_or(|m| !matches!(m, Node::Map(_))) {
        set(meta, field, Node::Map(Vec::new()));
    }
    match get_mut(meta, field) {
        Some(Node::Map(m)) => m,
        _ => unreachable!("a map was just set"),
    }
}

/// Strategic merge of `patch` into `target` (maps merged key by key, `null` deletes a key,
/// `$patch: delete` deletes, `$patch: replace` replaces; anything else replaces). Returns
/// `None` when the whole target is deleted.
pub(crate) fn strategic_merge(
    target: Node<'static>,
    patch: &Node<'static>,
) -> Option<Node<'static>> {
    merge_with(target, patch, false)
}

/// [`strategic_merge`] of a pod template's kind: the lists a pod spec merges by key (the
/// containers and the env, volumes, mounts and pull secrets of the core API's schema) are
/// merged element by element, as kustomize merges them for workloads.
pub(crate) fn strategic_merge_workload(
    target: Node<'static>,
    patch: &Node<'static>,
) -> Option<Node<'static>> {
    merge_with(target, patch, true)
}

/// The key the core API's schema merges a list field by.
fn merge_key(field: &str) -> Option<&'static str> {
    match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "env"
        | "volumes"
        | "imagePullSecrets"
        | "secrets" => Some("name"),
        "volumeMounts" => Some("mountPath"),
        _ => None,
    }
}

fn merge_with(target: Node<'static>, patch: &Node<'static>, keyed: bool) -> Option<Node<'static>> {
    let Node::Map(pm) = patch else {
        return Some(patch.clone());
    };
    match as_str(get(patch, "$patch")) {
        Some("delete") => return None,
        Some("replace") => {
            let mut out = patch.clone();
            remove(&mut out, "$patch");
            return Some(out);
        }
        _ => {}
    }
    let mut out = match target {
        Node::Map(m) => Node::Map(m),
        _ => Node::Map(Vec::new()),
    };
    for (k, v) in pm {
        if k.starts_with("$") {
            continue;
        }
        if matches!(v, Node::Null) {
            remove(&mut out, k);
            continue;
        }
        let merged = match (remove(&mut out, k), v) {
            (Some(old @ Node::Map(_)), Node::Map(_)) => merge_with(old, v, keyed),
            (_, Node::Map(_)) => merge_with(Node::Map(Vec::new()), v, keyed),
            (Some(Node::Seq(old)), Node::Seq(new)) if keyed && merge_key(k).is_some() => {
                Some(merge_list(old, new, merge_key(k).unwrap_or("name")))
            }
            _ => Some(v.clone()),
        };
        if let Some(m) = merged {
            set(&mut out, k, m);
        }
    }
    Some(out)
}

/// A list merged by `key`, as kustomize's strategic merge orders it: the patch's elements
/// first, in its order (each merged into the element of the same key, or deleting it with
/// `$patch: delete`), then the elements the patch does not name, in their order.
fn merge_list(old: Vec<Node<'static>>, new: &[Node<'static>], key: &str) -> Node<'static> {
    let mut old: Vec<Option<Node<'static>>> = old.into_iter().map(Some).collect();
    let mut out = Vec::new();
    for item in new {
        let Some(id) = as_str(get(item, key)) else {
            out.push(item.clone());
            continue;
        };
        let found = old
            .iter()
            .position(|o| o.as_ref().is_some_and(|o| as_str(get(o, key)) == Some(id)));
        match found {
            Some(i) => {
                let base = old[i].take().expect("found");
                if let Some(m) = merge_with(base, item, true) {
                    out.push(m);
                }
            }
            None if as_str(get(item, "$patch")) == Some("delete") => {}
            None => out.push(item.clone()),
        }
    }
    out.extend(old.into_iter().flatten());
    Node::Seq(out)
}

/// One JSON 6902 operation.
#[derive(Clone, Debug)]
pub(crate) struct Op {
    pub(crate) op: String,
    pub(crate) path: String,
    pub(crate) from: Option<String>,
    pub(crate) value: Option<Node<'static>>,
}

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

fn tokens(path: &str) -> Result<Vec<String>, Error> {
    if path.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = path.strip_prefix('/') else {
        return Err(Error::NotAbsolute(path.to_string()));
    };
    Ok(rest.split('/').map(unescape).collect())
}

fn child<'a>(n: &'a mut Node<'static>, t: &str) -> Option<&'a mut Node<'static>> {
    match n {
        Node::Map(_) => get_mut(n, t),
        Node::Seq(s) => t.parse::<usize>().ok().and_then(|i| s.get_mut(i)),
        _ => None,
    }
}

fn lookup<'a>(root: &'a mut Node<'static>, toks: &[String]) -> Option<&'a mut Node<'static>> {
    let mut n = root;
    for t in toks {
        n = child(n, t)?;
    }
    Some(n)
}

fn take(root: &mut Node<'static>, path: &str) -> Result<Node<'static>, Error> {
    let toks = tokens(path)?;
    let Some((last, parent)) = toks.split_last() else {
        return Err(Error::WholeDocument);
    };
    let missing = || Error::Missing(path.to_string());
    let p = lookup(root, parent).ok_or_else(missing)?;
    match p {
        Node::Map(_) => remove(p, last).ok_or_else(missing),
        Node::Seq(s) => match last.parse::<usize>() {
            Ok(i) if i < s.len() => Ok(s.remove(i)),
            _ => Err(Error::Missing(path.to_string())),
        },
        _ => Err(Error::Missing(path.to_string())),
    }
}

fn put(root: &mut Node<'static>, path: &str, value: Node<'static>, add: bool) -> Result<(), Error> {
    let toks = tokens(path)?;
    let Some((last, parent)) = toks.split_last() else {
        *root = value;
        return Ok(());
    };
    let p = lookup(root, parent).ok_or_else(|| Error::Missing(path.to_string()))?;
    match p {
        // kustomize's JSON patch library: `replace` of a missing key of an existing map adds it.
        Node::Map(_) => {
            set(p, last, value);
            Ok(())
        }
        Node::Seq(s) => {
            if add && last == "-" {
                s.push(value);
                return Ok(());
            }
            match last.parse::<usize>() {
                Ok(i) if add && i <= s.len() => {
                    s.insert(i, value);
                    Ok(())
                }
                Ok(i) if !add && i < s.len() => {
                    s[i] = value;
                    Ok(())
                }
                _ => Err(Error::Missing(path.to_string())),
            }
        }
        _ => Err(Error::Missing(path.to_string())),
    }
}

/// Applies JSON 6902 operations in order. Returns the provenance of the target's metadata
/// afterwards: a `copy` or `move` that wrote a value taken from the document (a `data`
/// value, perhaps decrypted) into `metadata` (a name, a namespace, a label) or over the
/// whole document makes it [`Provenance::Decrypted`], so that no message quotes it.
pub(crate) fn json6902(target: &mut Node<'static>, ops: &[Op]) -> Result<Provenance, Error> {
    use crate::gate::budget::{self, Depth};
    let mut metadata = Provenance::Plain;
    // What `copy` has added: the only operation that grows a document beyond the patch.
    let mut copied = 0usize;
    // A value put at `path` stays within the depth budget.
    let fits = |op: &Op, v: &Node<'static>| -> Result<usize, Error> {
        let (height, bytes) = extent(v);
        let levels = tokens(&op.path).map_or(0, |t| t.len());
        Depth::check(levels + height).map_err(|_| Error::TooDeep {
            op: op.op.clone(),
            path: op.path.clone(),
        })?;
        Ok(bytes)
    };
    for op in ops {
        let value = || {
            op.value.clone().ok_or_else(|| Error::NoValue {
                op: op.op.clone(),
                path: op.path.clone(),
            })
        };
        match op.op.as_str() {
            "add" => {
                let v = value()?;
                fits(op, &v)?;
                put(target, &op.path, v, true)?
            }
            "replace" => {
                let v = value()?;
                fits(op, &v)?;
                put(target, &op.path, v, false)?
            }
            "remove" => {
                take(target, &op.path)?;
            }
            "move" | "copy" => {
                let from = op.from.as_deref().ok_or_else(|| Error::NoFrom {
                    op: op.op.clone(),
                    path: op.path.clone(),
                })?;
                let v = if op.op == "move" {
                    take(target, from)?
                } else {
                    lookup(target, &tokens(from)?)
                        .ok_or_else(|| Error::Missing(from.to_string()))?
                        .clone()
                };
                let bytes = fits(op, &v)?;
                if op.op == "copy" {
                    copied = copied.saturating_add(bytes);
                    if copied > budget::MAX_EXPANDED_BYTES {
                        return Err(Error::TooLarge);
                    }
                }
                put(target, &op.path, v, true)?;
                let into = tokens(&op.path)?;
                if into.first().is_none_or(|t| t == "metadata") {
                    metadata = Provenance::Decrypted;
                }
            }
            "test" => {
                let want = value()?;
                let got = lookup(target, &tokens(&op.path)?)
                    .ok_or_else(|| Error::Missing(op.path.clone()))?;
                if !same(got, &want) {
                    return Err(Error::TestFailed(op.path.clone()));
                }
            }
            other => return Err(Error::UnknownOp(other.to_string())),
        }
    }
    Ok(metadata)
}

fn same(a: &Node<'static>, b: &Node<'static>) -> bool {
    match (a, b) {
        (Node::Str(x), Node::Str(y)) | (Node::Number(x), Node::Number(y)) => x == y,
        (Node::Bool(x), Node::Bool(y)) => x == y,
        (Node::Null, Node::Null) => true,
        (Node::Seq(x), Node::Seq(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Node::Map(x), Node::Map(y)) => {
            x.len() == y.len()
                && x.iter().all(|(k, v)| {
                    y.iter()
                        .find(|(k2, _)| k2 == k)
                        .is_some_and(|(_, v2)| same(v, v2))
                })
        }
        _ => false,
    }
}

/// kustomize's anchored regular expression of a selector field (`^(?:…)$`); empty matches all.
pub(crate) fn pattern(p: &str) -> Result<Option<Pattern>, Error> {
    if p.is_empty() {
        return Ok(None);
    }
    if let Some(plain) = Pattern::plain(p) {
        return Ok(Some(plain));
    }
    regex::Regex::new(&format!("^(?:{})$", go_braces(p)))
        .map(|re| Some(Pattern::Regex(re)))
        .map_err(|source| Error::Regex {
            pattern: p.to_string(),
            source,
        })
}

/// A selector field's pattern. Most are names (`katib-controller`, `katib.kubeflow.org`):
/// those are matched character by character, a `.` being any character but a newline as in
/// the regular expression, without building one (a patch target has five fields, and a
/// build may have dozens of targets).
#[derive(Debug)]
pub(crate) enum Pattern {
    /// No character that a regular expression reads as an operator but `.`.
    Plain(String),
    Regex(regex::Regex),
}

impl Pattern {
    fn plain(p: &str) -> Option<Pattern> {
        const OPERATORS: &[char] = &[
            '\\', '+', '*', '?', '(', ')', '|', '[', ']', '{', '}', '^', '$',
        ];
        (!p.contains(OPERATORS)).then(|| Pattern::Plain(p.to_string()))
    }

    /// Whether the whole of `text` matches.
    pub(crate) fn is_match(&self, text: &str) -> bool {
        match self {
            Pattern::Plain(p) => {
                p.chars().count() == text.chars().count()
                    && p.chars()
                        .zip(text.chars())
                        .all(|(p, t)| if p == '.' { t != '\n' } else { p == t })
            }
            Pattern::Regex(re) => re.is_match(text),
        }
    }
}

/// Go's RE2 reads a `{` that does not start a repetition (`{2}`, `{2,}`, `{2,5}`) as a literal
/// brace (`${CLUSTER_NAME}` is a name, not an error); Rust's regex refuses it: escaped here.
fn go_braces(p: &str) -> Cow<'_, str> {
    let b = p.as_bytes();
    let repetition = |i: usize| {
        let rest = &p[i + 1..];
        let Some(end) = rest.find('}') else {
            return false;
        };
        let body = &rest[..end];
        let (lo, hi) = body.split_once(',').unwrap_or((body, "0"));
        !lo.is_empty()
            && lo.bytes().all(|c| c.is_ascii_digit())
            && hi.bytes().all(|c| c.is_ascii_digit())
    };
    let mut out = String::new();
    let mut escaped = false;
    let mut depth_class = false;
    let mut changed = false;
    for (i, c) in p.char_indices() {
        let literal_brace = !escaped && !depth_class && c == '{' && !repetition(i);
        // A `}` whose `{` was made literal is literal too.
        let literal_close = !escaped && !depth_class && c == '}' && {
            let before = &b[..i];
            match before.iter().rposition(|&x| x == b'{') {
                Some(open) => !repetition(open),
                None => true,
            }
        };
        if literal_brace || literal_close {
            out.push('\\');
            changed = true;
        }
        out.push(c);
        match c {
            '\\' if !escaped => escaped = true,
            '[' if !escaped => {
                depth_class = true;
                escaped = false;
            }
            ']' if !escaped => {
                depth_class = false;
                escaped = false;
            }
            _ => escaped = false,
        }
    }
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(p)
    }
}

/// A Kubernetes label selector (`k=v`, `k==v`, `k!=v`, `k`, `!k`, `k in (a,b)`,
/// `k notin (a,b)`, comma separated) against a label map.
pub(crate) fn label_selector_matches(
    sel: &str,
    labels: &[(String, String)],
) -> Result<bool, Error> {
    let value = |k: &str| labels.iter().find(|(l, _)| l == k).map(|(_, v)| v.as_str());
    let mut parts = Vec::new();
    let mut depth = 0;
    let mut cur = String::new();
    for c in sel.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    parts.push(cur);
    for part in parts.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
        let ok = if let Some((k, v)) = part.split_once("!=") {
            value(k.trim()) != Some(v.trim())
        } else if let Some((k, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
            value(k.trim()) == Some(v.trim())
        } else if let Some(k) = part.strip_prefix('!') {
            value(k.trim()).is_none()
        } else if let Some((k, set)) = part.split_once(" notin ") {
            let set = set_items(set)?;
            value(k.trim()).is_none_or(|v| !set.iter().any(|s| s == v))
        } else if let Some((k, set)) = part.split_once(" in ") {
            let set = set_items(set)?;
            value(k.trim()).is_some_and(|v| set.iter().any(|s| s == v))
        } else {
            value(part).is_some()
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

fn set_items(s: &str) -> Result<Vec<String>, Error> {
    let s = s.trim();
    let inner = s
        .strip_prefix('(')
        .and_then(|s| s.strip_suffix(')'))
        .ok_or_else(|| Error::NotASet(s.to_string()))?;
    Ok(inner.split(',').map(|x| x.trim().to_string()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Node<'static> {
        Node::Str(Cow::Owned(v.to_string()))
    }

    #[test]
    fn merge_deletes_null_and_keeps_the_rest() {
        let target = Node::Map(vec![
            ("a".into(), s("1")),
            ("b".into(), Node::Map(vec![("c".into(), s("2"))])),
        ]);
        let patch = Node::Map(vec![
            ("a".into(), Node::Null),
            ("b".into(), Node::Map(vec![("d".into(), s("3"))])),
        ]);
        let out = strategic_merge(target, &patch).unwrap();
        assert!(get(&out, "a").is_none());
        let b = get(&out, "b").unwrap();
        assert_eq!(as_str(get(b, "c")), Some("2"));
        assert_eq!(as_str(get(b, "d")), Some("3"));
    }

    #[test]
    fn json_patch_refuses_a_missing_path() {
        let mut t = Node::Map(vec![("data".into(), Node::Map(vec![]))]);
        let op = |op: &str, path: &str| Op {
            op: op.into(),
            path: path.into(),
            from: None,
            value: Some(s("x")),
        };
        assert!(json6902(&mut t, &[op("add", "/data/k")]).is_ok());
        assert!(json6902(&mut t, &[op("replace", "/data/k")]).is_ok());
        assert!(json6902(&mut t, &[op("replace", "/data/missing")]).is_ok());
        assert!(json6902(&mut t, &[op("replace", "/nope/x")]).is_err());
        assert!(json6902(&mut t, &[op("remove", "/nope/x")]).is_err());
    }

    #[test]
    fn a_value_copied_into_metadata_makes_it_decrypted() {
        let doc = || {
            Node::Map(vec![
                ("metadata".into(), Node::Map(vec![("name".into(), s("a"))])),
                ("data".into(), Node::Map(vec![("k".into(), s("v"))])),
            ])
        };
        let op = |op: &str, from: Option<&str>, path: &str| Op {
            op: op.into(),
            path: path.into(),
            from: from.map(str::to_string),
            value: Some(s("b")),
        };
        let mut t = doc();
        let copied = json6902(&mut t, &[op("copy", Some("/data/k"), "/metadata/name")]);
        assert_eq!(copied.unwrap(), Provenance::Decrypted);
        let mut t = doc();
        let moved = json6902(&mut t, &[op("move", Some("/data/k"), "/metadata/labels")]);
        assert_eq!(moved.unwrap(), Provenance::Decrypted);
        let mut t = doc();
        let written = json6902(
            &mut t,
            &[
                op("replace", None, "/metadata/name"),
                op("copy", Some("/data/k"), "/data/k2"),
            ],
        );
        assert_eq!(written.unwrap(), Provenance::Plain);
    }

    #[test]
    fn label_selectors() {
        let l = vec![("app".to_string(), "web".to_string())];
        assert!(label_selector_matches("app=web", &l).unwrap());
        assert!(!label_selector_matches("app!=web", &l).unwrap());
        assert!(label_selector_matches("app in (a,web)", &l).unwrap());
        assert!(label_selector_matches("!tier", &l).unwrap());
    }
}

#[cfg(test)]
mod go_regex_tests {
    use super::*;

    #[test]
    fn braces_that_start_no_repetition_are_literal_as_in_go() {
        for (p, name, matches) in [
            // `$` is the end of the text, in Go as here: such a target selects nothing, and
            // is no error.
            ("${CLUSTER_NAME}", "${CLUSTER_NAME}", false),
            ("x-{CLUSTER_NAME}", "x-{CLUSTER_NAME}", true),
            ("a{2}", "aa", true),
            ("a{2,}", "aaa", true),
            ("a{1,2}b", "ab", true),
            ("a{2}", "a{2}", false),
            ("x{", "x{", true),
            ("[{]", "{", true),
            ("\\{a}", "{a}", true),
        ] {
            let re = pattern(p).unwrap().unwrap();
            assert_eq!(re.is_match(name), matches, "{p} against {name}");
        }
    }

    #[test]
    fn a_plain_pattern_matches_what_its_regular_expression_matches() {
        let names = [
            "katib-controller",
            "katib.kubeflow.org",
            "katibxkubeflowxorg",
            "katib.kubeflow.or",
            "katib.kubeflow.orgs",
            "a\nb",
            "a.b",
            "",
            "é.ü",
            "éxü",
            "ns/name",
            "x#y&z~w-v",
        ];
        let patterns = [
            "katib-controller",
            "katib.kubeflow.org",
            "a.b",
            "é.ü",
            "...",
            "x#y&z~w-v",
        ];
        for p in patterns {
            let plain = pattern(p).unwrap().unwrap();
            assert!(matches!(plain, Pattern::Plain(_)), "{p}");
            let re = regex::Regex::new(&format!("^(?:{p})$")).unwrap();
            for n in names {
                assert_eq!(plain.is_match(n), re.is_match(n), "{p} against {n:?}");
            }
        }
        // Anything else is a regular expression.
        for p in ["a+", "a|b", "a$", "(a)", "a\\.b", "[ab]", "a*", "a?", "^a"] {
            assert!(
                matches!(pattern(p).unwrap().unwrap(), Pattern::Regex(_)),
                "{p}"
            );
        }
    }
}

#[cfg(test)]
mod workload_merge_tests {
    use super::*;

    fn node(text: &str) -> Node<'static> {
        crate::render::to_emit(&crate::yaml::parse_stream(text).unwrap()[0])
    }

    fn names(n: &Node<'static>, field: &str) -> Vec<String> {
        let spec = get(n, "spec")
            .and_then(|s| get(s, "template"))
            .and_then(|t| get(t, "spec"));
        match spec.and_then(|s| get(s, field)) {
            Some(Node::Seq(items)) => items
                .iter()
                .map(|i| as_str(get(i, "name")).unwrap_or("").to_string())
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The order `kustomize build` v5.8.2 gives (recorded by hand from its output): the
    /// patch's elements in its order, then the ones it does not name.
    #[test]
    fn lists_merge_by_name_in_kustomizes_order() {
        let base = node(
            "spec:\n  template:\n    spec:\n      containers:\n      - {name: a, image: a, env: [{name: E1, value: '1'}]}\n      - {name: b, image: b}\n      volumes:\n      - {name: v1}\n      - {name: v2}\n",
        );
        let p = node(
            "spec:\n  template:\n    spec:\n      containers:\n      - {name: c, image: c}\n      - {name: a, env: [{name: E0, value: '0'}]}\n      volumes:\n      - {name: new}\n      - {name: v2, secret: {secretName: t}}\n      - {name: v1, $patch: delete}\n",
        );
        let out = strategic_merge_workload(base, &p).unwrap();
        assert_eq!(names(&out, "containers"), ["c", "a", "b"]);
        assert_eq!(names(&out, "volumes"), ["new", "v2"]);
        let containers = get(&out, "spec")
            .and_then(|s| get(s, "template"))
            .and_then(|t| get(t, "spec"))
            .and_then(|s| get(s, "containers"));
        let Some(Node::Seq(c)) = containers else {
            panic!()
        };
        let env: Vec<&str> = match get(&c[1], "env") {
            Some(Node::Seq(e)) => e.iter().map(|i| as_str(get(i, "name")).unwrap()).collect(),
            _ => Vec::new(),
        };
        assert_eq!(env, ["E0", "E1"]);
        assert_eq!(as_str(get(&c[1], "image")), Some("a"));
    }
}
