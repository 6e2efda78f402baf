//! YAML as kustomize reads and writes it.
//!
//! In: UTF-8 text of a YAML stream. Out: one `Node` tree per document, every node carrying
//! its line and column, scalars carrying their style, so that errors can point at `literals[3]`
//! and so that a plain `42` can be told from a quoted `"42"`. It refuses duplicate mapping
//! keys (YAML forbids them; Go's decoders either fail or silently keep one) and anchors it
//! cannot resolve. Scalars are resolved as goyaml.v2 resolves them (YAML 1.1), because that is
//! how kustomize reads a kustomization: a plain `yes` is a boolean there.
//!
//! - `node`: the tree (`Node`, `Value`, `Mark`, `Style`).
//! - `read`: text to trees (positions, goyaml.v2's refusals, the alias budget).
//! - `resolve`: goyaml.v2's resolver of plain scalars, shared by reader and emitter, and
//!   the one list of YAML 1.1 booleans.
//! - `scalar`: libyaml's scalar analysis and style choice, shared by both emitters.
//! - [`emit`]: goyaml.v2's emitter, for everything printed as kustomize prints it.
//! - `error`: the reader's errors (`SyntaxError` without a file, `Error` with one).

pub mod emit;
pub(crate) mod error;
pub(crate) mod node;
pub(crate) mod read;
pub(crate) mod resolve;
pub(crate) mod scalar;

pub(crate) use error::{Error, SyntaxError, printable};
pub(crate) use node::{Mark, Node, Style, Value};
pub(crate) use read::{parse_stream, parse_stream_as};
pub(crate) use resolve::{Resolved, is_true};
