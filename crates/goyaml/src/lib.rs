//! Go's text formats, as kustomize and sops read and write them: YAML as goyaml.v2 and go-yaml
//! v3 do, Go's JSON encoding and Go's number formats. Text in, text out: nothing here knows a
//! file (errors carry a line and column; the caller adds the path), reads a file or spawns a
//! process.
//!
//! In: UTF-8 text of a YAML stream. Out: one `Node` tree per document, every node carrying
//! its line and column, scalars carrying their style, so that errors can point at `literals[3]`
//! and so that a plain `42` can be told from a quoted `"42"`. It refuses duplicate mapping
//! keys (YAML forbids them; Go's decoders either fail or silently keep one) and anchors it
//! cannot resolve. Scalars are resolved as goyaml.v2 resolves them (YAML 1.1), because that is
//! how kustomize reads a kustomization: a plain `yes` is a boolean there.
//!
//! - [`node`]: the tree (`Node`, `Value`, `Mark`, `Style`).
//! - [`read`]: text to trees (positions, goyaml.v2's refusals, the alias budget); the
//!   plainest block YAML read directly (`block`), the rest through saphyr.
//! - [`scan`]: a stream's documents and their kinds found without parsing, and the reading
//!   of only the documents of some kinds.
//! - [`resolve`]: goyaml.v2's resolver of plain scalars, shared by reader and emitter, and
//!   the one list of YAML 1.1 booleans.
//! - [`scalar`]: libyaml's scalar analysis and style choice, shared by both emitters.
//! - [`emit`]: goyaml.v2's emitter, for everything printed as kustomize prints it.
//! - [`emit3`]: go-yaml v3's emitter, for SOPS files as sops writes them.
//! - [`error`]: the reader's refusals (`SyntaxError`, a position and a message).
//! - [`gojson`]: Go's `encoding/json` string and object encoding (the name hash, dockercfg).
//! - [`gofmt`]: Go's `strconv` number formats and `time.Time` text (sops' values).
//! - [`budget`]: the depth and size limits of every parser.
//! - [`search`]: byte search without memchr's CPU probe (short runs pay for every `CPUID`).
//! - [`shown`]: how text from an input appears in a message (decrypted text described,
//!   never quoted).

// No file is read here, no process spawned (clippy.toml lists what that forbids).
#![warn(clippy::disallowed_methods)]

mod block;
pub mod budget;
pub mod emit;
pub mod emit3;
pub mod error;
pub mod gofmt;
pub mod gojson;
pub mod node;
pub mod read;
pub mod resolve;
pub mod scalar;
pub mod scan;
pub mod search;
pub mod shown;

pub use error::{Kind, SyntaxError};
pub use node::{Mark, Node, Style, Value, is_v3_bool};
pub use read::{parse_stream, parse_stream_as};
pub use resolve::{Resolved, is_true};
pub use scan::{Selected, parse_stream_where};
pub use shown::printable;
