//! secretgen: kustomize-style Secret generation with age-encrypted inputs.

pub mod secret;
