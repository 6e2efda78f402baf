//! [`SecretBytes`]: the bytes of a secret value, decrypted or read.

use std::fmt;

use zeroize::Zeroizing;

/// Bytes of a secret value. Zeroized when dropped; `Debug` shows `<redacted N bytes>`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretBytes(Zeroizing<Vec<u8>>);

impl SecretBytes {
    pub fn new(bytes: Vec<u8>) -> Self {
        SecretBytes(Zeroizing::new(bytes))
    }

    pub fn from_slice(bytes: &[u8]) -> Self {
        SecretBytes(Zeroizing::new(bytes.to_vec()))
    }

    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Vec<u8>> for SecretBytes {
    fn from(v: Vec<u8>) -> Self {
        SecretBytes::new(v)
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<redacted {} bytes>", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_only_the_length() {
        let b = SecretBytes::from_slice(b"CANARY-7f3a-never-print");
        assert_eq!(format!("{b:?}"), "<redacted 23 bytes>");
        assert_eq!(format!("{:?}", vec![b.clone()]), "[<redacted 23 bytes>]");
        assert_eq!(b.expose(), b"CANARY-7f3a-never-print");
        assert_eq!(b.len(), 23);
        assert!(!b.is_empty());
    }
}
