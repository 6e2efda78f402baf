//! SOPS files, decrypted in memory as `sops --decrypt` does: the `sops` crate (stores,
//! crypto, metadata, MAC, Shamir, over the data-key trait), and the key types implemented in
//! the core ([`keys`]: PGP, AWS KMS, key services).

pub mod keys;

#[cfg(test)]
pub(crate) use ::sops::crypto;
pub use ::sops::{
    Change, DataKeys, Format, KeyEntry, KeyFailure, Rules, Sealing, SopsError, data_key, decrypt,
    decrypt_as, decrypt_extract, edit, encrypt, format_for, now_rfc3339, reencrypt,
};
/// Master keys read, replaced (`updatekeys`) and rotated; the data key split between groups.
pub use ::sops::{FileKeys, file_keys, rekey, rotate, shamir};
/// SOPS files in git (the merge driver's merge, the diff view), `filestatus`, idempotent edits.
pub use ::sops::{
    METADATA_CONFLICT, Merged, WHOLE_FILE_CONFLICT, diff_text, edit_idempotent, file_status, merge,
};
pub(crate) use ::sops::{check_structure, is_sops};

/// A new random 32-byte data key (zeroed when dropped).
pub fn new_data_key() -> zeroize::Zeroizing<Vec<u8>> {
    use rand_core::RngCore;
    let mut key = zeroize::Zeroizing::new(vec![0u8; 32]);
    rand_core::OsRng.fill_bytes(&mut key);
    key
}
