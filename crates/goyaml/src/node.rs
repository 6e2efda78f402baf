//! The reader's tree: a [`Node`] is a scalar, a sequence or a mapping, with the [`Mark`]
//! where it starts in the source and, for a scalar, its [`Style`] and explicit tag.

use std::fmt;

use super::resolve::{Resolved, resolve_plain};

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

/// A boolean to go-yaml v3: `true` and `false` in their three case forms.
pub fn is_v3_bool(text: &str) -> bool {
    matches!(text, "true" | "True" | "TRUE" | "false" | "False" | "FALSE")
}

impl Node {
    /// A scalar made by a program rather than read: plain, or double-quoted to stay a string
    /// whatever its text resolves to; placed at `mark`.
    pub fn scalar(text: &str, quoted: bool, mark: Mark) -> Node {
        Node {
            value: Value::Scalar {
                text: text.to_string(),
                style: if quoted { Style::Quoted } else { Style::Plain },
                tag: None,
            },
            mark,
        }
    }

    /// A string scalar's text; `None` for collections and for plain scalars that resolve to
    /// null, booleans or numbers (kustomize refuses those where it expects a string).
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar { text, .. } if self.resolved() == Resolved::Str => Some(text),
            _ => None,
        }
    }

    /// A string scalar's text as go-yaml v3 reads it (kustomize's reader of resources and
    /// patches): as [`Node::as_str`], and YAML 1.1's other booleans (`yes`, `on`, `y`, `No`),
    /// which are strings there.
    pub fn as_str_v3(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar { text, .. }
                if self.resolved() == Resolved::Bool && !is_v3_bool(text) =>
            {
                Some(text)
            }
            _ => self.as_str(),
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

/// The same tree, for the readers' tests: values, styles and tags equal, and each pair of
/// marks as `marks` judges them.
#[cfg(test)]
pub(crate) fn same_tree(a: &Node, b: &Node, marks: &dyn Fn(&Node, &Node) -> bool) -> bool {
    marks(a, b)
        && match (&a.value, &b.value) {
            (
                Value::Scalar { text, style, tag },
                Value::Scalar {
                    text: t2,
                    style: s2,
                    tag: g2,
                },
            ) => text == t2 && style == s2 && tag == g2,
            (Value::Seq(x), Value::Seq(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_tree(a, b, marks))
            }
            (Value::Map(x), Value::Map(y)) => {
                x.len() == y.len()
                    && x.iter().zip(y).all(|((k, v), (k2, v2))| {
                        same_tree(k, k2, marks) && same_tree(v, v2, marks)
                    })
            }
            _ => false,
        }
}
