//! secretgen: kustomize-style Secret generation with age-encrypted inputs.

pub mod secret;
pub mod hash;
pub mod yaml;
pub mod source;
pub mod error;
pub mod manifest;
pub mod discover;
pub mod render;
pub mod check;
pub mod plugin;
pub mod create;
pub mod diff;
pub mod output;
