//! secretgen: kustomize-style Secret generation with age-encrypted inputs.

pub mod check;
pub mod create;
pub mod crypt;
pub mod diff;
pub mod discover;
pub mod emit;
pub mod error;
pub mod hash;
pub mod ksops;
pub mod manifest;
pub mod output;
pub mod plugin;
pub mod policy;
pub mod render;
pub mod schema;
pub mod secret;
pub mod sops;
pub mod source;
pub mod tls;
pub mod tree;
pub mod validate;
pub mod yaml;
