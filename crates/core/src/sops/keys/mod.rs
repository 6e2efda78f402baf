//! The key entries of a SOPS file and the data-key trait (the `sops` crate's [`keys`](::sops::keys)),
//! and the key types that need the core's gates: PGP through gpg (`pgp`), AWS KMS (`kms`)
//! and sops' key service (`keyservice`), each spawning a process or calling a service only
//! through `gate::process`.

pub mod keyservice;
pub(crate) mod kms;
pub mod pgp;

pub use ::sops::keys::*;

use zeroize::Zeroizing;

/// The key types opened on this machine without any identity of the age side: a `pgp`
/// entry through gpg. Every other type has no key material here.
pub fn local(entry: &KeyEntry) -> Result<Zeroizing<Vec<u8>>, KeyFailure> {
    match entry {
        KeyEntry::Pgp { enc, .. } => pgp::unwrap(enc),
        KeyEntry::Kms {
            arn,
            role,
            context,
            aws_profile,
            enc,
            ..
        } => kms::unwrap_entry(arn, role, context, aws_profile, enc),
        _ => Err(KeyFailure::Missing(format!(
            "no key for {} entries",
            entry.kind()
        ))),
    }
}
