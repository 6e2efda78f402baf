//! "Open an encrypted input": the trait every path that meets one goes through (age or
//! SOPS, opened with the run's identities), and why it can fail.

use std::path::Path;

use crate::secret::SecretBytes;

/// Why an input could not be decrypted: the error of the layer that read it, which names
/// the file and the failure, never a value.
#[derive(Debug, Clone)]
pub enum DecryptFailure {
    Age(Box<crate::age::CryptError>),
    Sops(Box<crate::sops::SopsError>),
}

impl DecryptFailure {
    /// No identity was found, or none matched (a placeholder may stand in); otherwise the
    /// file itself is at fault.
    pub fn missing_key(&self) -> bool {
        match self {
            DecryptFailure::Age(e) => matches!(
                **e,
                crate::age::CryptError::NoIdentity { .. } | crate::age::CryptError::NoMatch { .. }
            ),
            DecryptFailure::Sops(e) => e.is_missing_key(),
        }
    }
}

/// "Open an encrypted input": the one way every path that meets one (a generator's
/// `files`/`envs`, a Secret under `resources`, a KSOPS config, the exec plugin and the KRM
/// function) turns it into plaintext, with the identities of the run.
pub trait Decrypt: Sync {
    /// Whether these bytes are an age file or a SOPS file.
    fn is_encrypted(&self, bytes: &[u8]) -> bool;
    /// An input that may be age or SOPS, opened as what it is: the plaintext, or why not.
    fn open(&self, path: &Path, bytes: &[u8]) -> std::result::Result<SecretBytes, DecryptFailure>;
    /// An input that must be a SOPS file (its format from its path), opened as
    /// `sops --decrypt` opens it: KSOPS' inputs, which are never age files.
    fn open_sops(
        &self,
        path: &Path,
        bytes: &[u8],
    ) -> std::result::Result<SecretBytes, DecryptFailure>;
}
