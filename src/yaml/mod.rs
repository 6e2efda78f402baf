//! YAML as kustomize reads and writes it: the `goyaml` crate (reader with positions,
//! goyaml.v2's resolver, libyaml's scalar analysis, the emitters), plus what the core adds
//! to it, the file of a refusal (`error`).
//!
//! - `node`: the tree (`Node`, `Value`, `Mark`, `Style`).
//! - `read`: text to trees (positions, goyaml.v2's refusals, the alias budget).
//! - `resolve`: goyaml.v2's resolver of plain scalars, shared by reader and emitter, and
//!   the one list of YAML 1.1 booleans.
//! - `scalar`: libyaml's scalar analysis and style choice, shared by both emitters.
//! - [`emit`]: goyaml.v2's emitter, for everything printed as kustomize prints it.
//! - `error`: the reader's errors (`SyntaxError` without a file, `Error` with one).

pub use goyaml::emit;
#[allow(unused_imports)]
pub(crate) use goyaml::{node, read, resolve, scalar};

mod error;

use crate::gate::shown::Provenance;

pub(crate) use error::{Error, SyntaxError, printable};
pub(crate) use goyaml::{Mark, Node, Style, Value};
pub(crate) use goyaml::{Resolved, is_true};

/// Text to one tree per document ([`goyaml::parse_stream`]); a refusal names no file yet.
pub(crate) fn parse_stream(text: &str) -> Result<Vec<Node>, SyntaxError> {
    goyaml::parse_stream(text).map_err(SyntaxError)
}

/// [`parse_stream`] of text of a given provenance ([`goyaml::parse_stream_as`]).
pub(crate) fn parse_stream_as(
    text: &str,
    provenance: Provenance,
) -> Result<Vec<Node>, SyntaxError> {
    goyaml::parse_stream_as(text, provenance).map_err(SyntaxError)
}
