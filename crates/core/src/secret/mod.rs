//! Secret bytes and the Secret object secretgen builds.
//!
//! In: raw bytes from files, literals, env files or age decryption. Out: a [`SecretBytes`]
//! whose memory is wiped on drop and whose `Debug` prints only its length, so no secret value
//! can reach a log line, an error or a panic message through formatting. The one [`Secret`]
//! model ([`model`]), its one reader from YAML ([`read`]), the Kubernetes rules ([`validate`],
//! [`tls`]), its sealing for the Sealed Secrets controller ([`seal`]) and as a SOPS file ([`sops_file`]), the
//! digest that tells a delivered file is still right ([`digest`]), and this layer's [`Error`].

pub mod digest;
mod error;
pub(crate) mod model;
pub(crate) mod read;
pub mod seal;
pub mod sops_file;
pub(crate) mod tls;
pub(crate) mod validate;

pub(crate) use error::{Error, NotBase64, Reason};
pub use model::{
    Enc, Entry, Key, REDACTED, Secret, base64_plain, sort_secrets, to_yaml, to_yaml_redacted,
    write_yaml,
};

use std::fmt;

/// Bytes of a secret value, zeroized when dropped, `Debug` showing only a length: the type
/// lives with its lowest user, the SOPS crate; this is the same one.
pub use ::sops::SecretBytes;

/// How `SecretBytes`, `SecretString` and a render's printed documents are zeroed when
/// dropped: memset behind a compiler barrier (the `sops` crate's, where `SecretBytes` lives).
pub use ::sops::wipe;

/// A string derived from secret bytes (base64 text, a decrypted env value).
/// Zeroized on drop (as [`SecretBytes`] is); `Debug` redacts it.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct SecretString(String);

impl Drop for SecretString {
    fn drop(&mut self) {
        // SAFETY: `wipe` leaves the vector empty, which is valid UTF-8.
        wipe(unsafe { self.0.as_mut_vec() });
    }
}

impl SecretString {
    pub(crate) fn new(s: String) -> Self {
        SecretString(s)
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<redacted {} bytes>", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let canary = "CANARY-7f3a-never-print";
        let b = SecretBytes::from_slice(canary.as_bytes());
        let s = SecretString::new(canary.to_string());
        for printed in [
            format!("{b:?}"),
            format!("{s:?}"),
            format!("{:?}", vec![b.clone()]),
        ] {
            assert!(!printed.contains("CANARY"), "{printed}");
        }
        assert_eq!(format!("{b:?}"), "<redacted 23 bytes>");
    }
}
