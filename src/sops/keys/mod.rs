//! The keys that unwrap a SOPS file's data key, one module per key type.

// Called by the data-key trait of the sops layer; until it lands, only its tests call it.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) mod kms;
