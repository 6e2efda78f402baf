//! secretgen: kustomize-style Secret generation with age-encrypted inputs.

// Files and stdin are read only through `gate::read` (clippy.toml lists what it replaces).
#![warn(clippy::disallowed_methods)]

pub mod age;
pub mod app;
pub mod error;
pub mod gate;
pub mod ksops;
pub mod kustomize;
pub mod place;
pub mod plugin;
pub mod render;
pub mod review;
pub mod secret;
pub mod sops;
pub mod yaml;
