//! What kustomize defines: the manifests (`kustomization.yaml`, SecretGenerator documents),
//! the three kinds of source, the content hash that suffixes a generated name (with the Go
//! JSON encoding it hashes), and the JSON Schema of generator manifests.

pub(crate) mod error;
pub use goyaml::gojson;
pub mod hash;
pub mod manifest;
pub mod restrict;
pub mod rule;
pub mod schema;
pub mod source;

pub(crate) use error::{EntryAction, EntryReason, Error};
