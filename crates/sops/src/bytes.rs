//! [`SecretBytes`]: the bytes of a secret value, decrypted or read, and [`wipe`], how the
//! values a render holds by the thousand are zeroed when dropped.

use std::fmt;

/// Bytes of a secret value. Zeroized when dropped ([`wipe`]); `Debug` shows
/// `<redacted N bytes>`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretBytes(Vec<u8>);

impl Drop for SecretBytes {
    fn drop(&mut self) {
        wipe(&mut self.0);
    }
}

/// Zeroes every byte `buf` owns, its spare capacity included, and leaves it empty.
///
/// `zeroize` writes a byte at a time (volatile stores), which for the megabytes of values
/// and base64 a large render drops costs a few percent of the run. This zeroes with
/// `memset` instead, and then hands the pointer to an empty `asm!` block that may read the
/// memory behind it: the compiler must treat the zeros as read, so it cannot drop the
/// stores as dead before the buffer is freed (the barrier OpenSSL's cleanse uses).
pub fn wipe(buf: &mut Vec<u8>) {
    let cap = buf.capacity();
    let ptr = buf.as_mut_ptr();
    // SAFETY: `ptr` is valid for writes of `cap` bytes (the allocation, or a dangling
    // pointer with `cap == 0`, for which a zero-length write is allowed); u8 has no invalid
    // bit patterns, and `clear` below keeps the zeroed bytes out of `buf`'s contents.
    unsafe { std::ptr::write_bytes(ptr, 0, cap) };
    buf.clear();
    // SAFETY: the block runs no instruction; `readonly` says it may read memory (through
    // the pointer it is given) and writes none.
    unsafe {
        std::arch::asm!("/* {0} */", in(reg) ptr, options(nostack, preserves_flags, readonly));
    }
}

impl SecretBytes {
    pub fn new(bytes: Vec<u8>) -> Self {
        SecretBytes(bytes)
    }

    pub fn from_slice(bytes: &[u8]) -> Self {
        SecretBytes(bytes.to_vec())
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

    #[test]
    fn wipe_zeroes_the_contents_and_the_spare_capacity() {
        let mut v = Vec::with_capacity(64);
        v.extend_from_slice(b"CANARY-7f3a-never-print");
        let (ptr, cap) = (v.as_ptr(), v.capacity());
        // Bytes past the length, as a value that shrank leaves them.
        v.extend_from_slice(&[0xAA; 20]);
        v.truncate(23);
        wipe(&mut v);
        assert!(v.is_empty());
        assert_eq!(v.capacity(), cap, "the allocation is kept, only zeroed");
        // SAFETY: `v` still owns the `cap` bytes at `ptr`, all written by `wipe`.
        let all = unsafe { std::slice::from_raw_parts(ptr, cap) };
        assert!(all.iter().all(|&b| b == 0), "{all:?}");
        let mut empty = Vec::new();
        wipe(&mut empty);
        assert!(empty.is_empty());
    }
}
