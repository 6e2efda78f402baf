//! X25519 identities (`AGE-SECRET-KEY-1…`) that compute their public key once.
//!
//! The age crate's X25519 identity derives its public key again for every stanza it tries
//! (a base-point multiplication, most of the cost of a small file). This one derives it
//! when the identity is parsed and unwraps `X25519` stanzas as the age v1 specification
//! (C2SP age, "The X25519 recipient type") says: the one argument is the canonical,
//! unpadded base64 of a 32-byte ephemeral share, the body the 32-byte wrapped file key;
//! the shared secret is X25519(identity, share) and must not be all zeros; the wrap key is
//! HKDF-SHA-256 with salt = share || recipient and info `age-encryption.org/v1/X25519`; the
//! body is the 16-byte file key under ChaCha20-Poly1305 with a zero nonce. A stanza of
//! another type is not ours; a malformed `X25519` stanza is a header failure; a body that
//! does not open is "not this identity", so the next stanza or identity is tried.

use ::age::secrecy::ExposeSecret;
use age_core::format::{FileKey, Stanza};
use age_core::primitives::{aead_decrypt, bech32_decode, bech32_encode, hkdf};
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use curve25519_dalek::montgomery::MontgomeryPoint;
use zeroize::Zeroizing;

/// The stanza type.
const STANZA: &str = "X25519";
/// HKDF `info` of the wrap key.
const LABEL: &[u8] = b"age-encryption.org/v1/X25519";
const SECRET_HRP: &str = "age-secret-key-";
const PUBLIC_HRP: &str = "age";
const KEY_LEN: usize = 32;
const FILE_KEY_LEN: usize = 16;
/// The wrapped file key: the file key and the 16-byte Poly1305 tag.
const BODY_LEN: usize = FILE_KEY_LEN + 16;

/// An `AGE-SECRET-KEY-1…` identity with its public key.
pub(super) struct Identity {
    secret: Zeroizing<[u8; KEY_LEN]>,
    public: [u8; KEY_LEN],
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("x25519::Identity(<redacted>)")
    }
}

impl Identity {
    /// Parses `AGE-SECRET-KEY-1…`, accepting exactly what the age crate accepts (it parses
    /// the text first); `None` if it is not such a key.
    pub(super) fn parse(s: &str) -> Option<Self> {
        let checked: ::age::x25519::Identity = s.parse().ok()?;
        let text = checked.to_string();
        let secret = bech32_decode(
            text.expose_secret(),
            |_| (),
            |hrp| {
                if hrp.as_str().eq_ignore_ascii_case(SECRET_HRP) {
                    Ok(())
                } else {
                    Err(())
                }
            },
            |_, bytes| {
                let mut key = Zeroizing::new([0u8; KEY_LEN]);
                let mut n = 0;
                for b in bytes {
                    if n == KEY_LEN {
                        return Err(());
                    }
                    key[n] = b;
                    n += 1;
                }
                if n == KEY_LEN { Ok(key) } else { Err(()) }
            },
        )
        .ok()?;
        let public = MontgomeryPoint::mul_base_clamped(*secret).to_bytes();
        Some(Identity { secret, public })
    }

    /// The recipient, `age1…`.
    pub(super) fn recipient(&self) -> String {
        let hrp = bech32::Hrp::parse(PUBLIC_HRP).expect("a valid Bech32 prefix");
        bech32_encode(hrp, &self.public)
    }

    fn unwrap(&self, stanza: &Stanza) -> Option<Result<FileKey, ::age::DecryptError>> {
        if stanza.tag != STANZA {
            return None;
        }
        let header = || Some(Err(::age::DecryptError::InvalidHeader));
        if stanza.args.len() != 1 || stanza.body.len() != BODY_LEN {
            return header();
        }
        // Canonical base64 without padding, 32 bytes (43 characters) exactly.
        let share: [u8; KEY_LEN] = match STANDARD_NO_PAD.decode(&stanza.args[0]) {
            Ok(bytes) => match bytes.try_into() {
                Ok(share) => share,
                Err(_) => return header(),
            },
            Err(_) => return header(),
        };
        let shared = Zeroizing::new(MontgomeryPoint(share).mul_clamped(*self.secret).to_bytes());
        // A low-order share gives the all-zero secret, which any key would: refused.
        if shared.iter().fold(0u8, |acc, b| acc | b) == 0 {
            return header();
        }
        let mut salt = [0u8; 2 * KEY_LEN];
        salt[..KEY_LEN].copy_from_slice(&share);
        salt[KEY_LEN..].copy_from_slice(&self.public);
        let wrap_key = Zeroizing::new(hkdf(&salt, LABEL, shared.as_slice()));
        // Not this identity's stanza: try the next one.
        let plain = Zeroizing::new(aead_decrypt(&wrap_key, FILE_KEY_LEN, &stanza.body).ok()?);
        let key: [u8; FILE_KEY_LEN] = plain.as_slice().try_into().ok()?;
        let key = Zeroizing::new(key);
        Some(Ok(FileKey::init_with_mut(|k| k.copy_from_slice(&*key))))
    }
}

impl ::age::Identity for Identity {
    fn unwrap_stanza(&self, stanza: &Stanza) -> Option<Result<FileKey, ::age::DecryptError>> {
        self.unwrap(stanza)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stanza(tag: &str, args: &[&str], body: Vec<u8>) -> Stanza {
        Stanza {
            tag: tag.to_string(),
            args: args.iter().map(|a| a.to_string()).collect(),
            body,
        }
    }

    /// The same public key as the age crate's, and the stanzas its recipient makes open to
    /// the same file key; another identity's do not.
    #[test]
    fn agrees_with_the_age_crate() {
        let theirs = ::age::x25519::Identity::generate();
        let text = theirs.to_string();
        let ours = Identity::parse(text.expose_secret()).unwrap();
        assert_eq!(ours.recipient(), theirs.to_public().to_string());
        assert!(format!("{ours:?}").contains("redacted"));
        let file_key = FileKey::new(Box::new([9u8; FILE_KEY_LEN]));
        let (stanzas, _) = ::age::Recipient::wrap_file_key(&theirs.to_public(), &file_key).unwrap();
        let got = ::age::Identity::unwrap_stanzas(&ours, &stanzas)
            .unwrap()
            .unwrap();
        assert_eq!(got.expose_secret(), &[9u8; FILE_KEY_LEN]);
        let other = ::age::x25519::Identity::generate().to_string();
        let other = Identity::parse(other.expose_secret()).unwrap();
        assert!(::age::Identity::unwrap_stanzas(&other, &stanzas).is_none());
    }

    #[test]
    fn malformed_stanzas_are_header_failures() {
        let id = ::age::x25519::Identity::generate().to_string();
        let id = Identity::parse(id.expose_secret()).unwrap();
        let share = STANDARD_NO_PAD.encode([7u8; KEY_LEN]);
        let header =
            |s: Stanza| matches!(id.unwrap(&s), Some(Err(::age::DecryptError::InvalidHeader)));
        assert!(header(stanza(STANZA, &[], vec![0; BODY_LEN])));
        assert!(header(stanza(STANZA, &[&share, "x"], vec![0; BODY_LEN])));
        assert!(header(stanza(STANZA, &[&share], vec![0; BODY_LEN + 1])));
        assert!(header(stanza(STANZA, &[&share[1..]], vec![0; BODY_LEN])));
        assert!(header(stanza(
            STANZA,
            &[&format!("{share}=")],
            vec![0; BODY_LEN]
        )));
        let zero = STANDARD_NO_PAD.encode([0u8; KEY_LEN]);
        assert!(header(stanza(STANZA, &[&zero], vec![0; BODY_LEN])));
        // Another type is not ours; a well-formed stanza that does not open is no match.
        assert!(
            id.unwrap(&stanza("x25519", &[&share], vec![0; BODY_LEN]))
                .is_none()
        );
        assert!(
            id.unwrap(&stanza(STANZA, &[&share], vec![0; BODY_LEN]))
                .is_none()
        );
        assert!(Identity::parse("AGE-SECRET-KEY-1CANARYNOTAKEY").is_none());
    }
}
