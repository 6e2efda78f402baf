//! What the reader refuses. How its messages show text is decided in [`crate::shown`].
//!
//! The reader reports a [`SyntaxError`]: a position and a message, no file (it reads text).
//! A caller that knows the file adds it; every such message reads
//! `FILE:LINE:COL: invalid YAML: …`.

use std::fmt;

use super::node::Mark;

/// What kind of refusal a [`SyntaxError`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Not YAML, or YAML that goyaml.v2 (and so kustomize) refuses: a syntax error, a
    /// duplicate key, an unknown anchor, a tag that does not fit, a control character.
    Syntax,
    /// Aliases that expand to more than goyaml.v2 allows (a "billion laughs").
    ExcessiveAliasing,
}

/// A YAML syntax error, with the position the parser reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub mark: Mark,
    pub message: String,
    pub kind: Kind,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.mark, self.message)
    }
}
