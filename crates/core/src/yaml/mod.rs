//! YAML as kustomize reads and writes it: the `goyaml` crate (reader with positions,
//! goyaml.v2's resolver, libyaml's scalar analysis, the emitters), plus what the core adds
//! to it, the file of a refusal (`error`).
//!
//! - the tree (`Node`, `Value`, `Mark`) and [`parse_stream`] / [`parse_stream_as`], text to
//!   trees, from `goyaml`.
//! - [`emit`]: goyaml.v2's emitter, for everything printed as kustomize prints it.
//! - `error`: the reader's errors (`SyntaxError` without a file, `Error` with one).

pub use goyaml::emit;

mod error;

use crate::gate::shown::Provenance;

pub(crate) use error::{Error, SyntaxError, printable};
pub(crate) use goyaml::{Mark, Node, Value};
pub(crate) use goyaml::{Resolved, is_true, is_v3_bool};

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

/// The documents of a stream whose top-level `kind` `keep` accepts, or whose kind cannot be
/// told without parsing, parsed with their positions in the whole text; the others left
/// unread ([`goyaml::parse_stream_where`]).
pub(crate) fn parse_stream_where(
    text: &str,
    keep: impl Fn(&str) -> bool,
) -> Result<goyaml::Selected, SyntaxError> {
    goyaml::parse_stream_where(text, Provenance::Plain, keep).map_err(SyntaxError)
}

/// Whether a plain scalar's text reads as a number (goyaml.v2's resolver: an int or a float).
pub(crate) fn is_number(text: &str) -> bool {
    use goyaml::resolve::{Tag, resolve};
    matches!(resolve(text), Tag::Int | Tag::Float)
}
