//! Post-quantum hybrid age keys, as the C2SP age specification and Go age v1.3 define them.
//!
//! In: `AGE-SECRET-KEY-PQ-1…` identities (a 32-byte X-Wing seed) and `age1pq1…` recipients
//! (the 1216-byte X-Wing public key), in age's long Bech32. Out: `mlkem768x25519` stanzas:
//! HPKE base mode with the MLKEM768-X25519 KEM (X-Wing, draft 06, code point 0x647a),
//! HKDF-SHA256 and ChaCha20-Poly1305, info `age-encryption.org/mlkem768x25519`, empty AAD,
//! the 16-byte file key sealed. Refuses a stanza with other than one argument, a
//! non-canonical or wrong-size `enc`, a body other than 32 bytes, or an X25519 share that
//! gives the all-zero secret (a header failure); a body that does not open is "not this
//! identity", so the next stanza or identity is tried. The primitives and the HPKE key
//! schedule are hpke-rs' and libcrux's; nothing here computes a primitive.

use std::collections::HashSet;

use ::age::secrecy::{ExposeSecret, SecretString};
use age_core::format::{FileKey, Stanza};
use age_core::primitives::{bech32_decode, bech32_encode};
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use hpke_rs::hpke_types::{AeadAlgorithm, KdfAlgorithm, KemAlgorithm};
use hpke_rs::libcrux::HpkeLibcrux;
use hpke_rs::{Hpke, HpkePrivateKey, HpkePublicKey, Mode};
use zeroize::Zeroizing;

/// The stanza type.
pub const STANZA: &str = "mlkem768x25519";
/// HPKE `info`, the domain separation of age's hybrid recipient.
const LABEL: &[u8] = b"age-encryption.org/mlkem768x25519";
/// The label that keeps post-quantum recipients from being mixed with classic ones.
pub(crate) const POSTQUANTUM: &str = "postquantum";
const SECRET_HRP: &str = "age-secret-key-pq-";
const PUBLIC_HRP: &str = "age1pq";
const SEED_LEN: usize = 32;
const PUBLIC_LEN: usize = 1216;
const ENC_LEN: usize = 1120;
const FILE_KEY_LEN: usize = 16;
const SEALED_LEN: usize = FILE_KEY_LEN + 16;

/// Why a post-quantum key cannot be made or read (never its bytes).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The random generator or the key generation failed (the library's reason).
    #[error("cannot generate a post-quantum key: {0}")]
    Generate(String),
    #[error("cannot derive the post-quantum public key")]
    DerivePublic,
    #[error("invalid Bech32 encoding")]
    Bech32,
    #[error("not an AGE-SECRET-KEY-PQ-1 key")]
    NotSecretKey,
    #[error("a post-quantum secret key holds 32 bytes")]
    SeedLength,
    #[error("invalid post-quantum secret key")]
    InvalidSecretKey,
    #[error("not an age1pq1 recipient")]
    NotRecipient,
    #[error("invalid MLKEM768-X25519 public key")]
    InvalidPublicKey,
}

fn hpke() -> Hpke<HpkeLibcrux> {
    Hpke::new(
        Mode::Base,
        KemAlgorithm::XWingDraft06,
        KdfAlgorithm::HkdfSha256,
        AeadAlgorithm::ChaCha20Poly1305,
    )
}

/// The public key of a seed, or `None` if the seed is not 32 bytes.
fn public_of(seed: &[u8]) -> Option<Vec<u8>> {
    let (_, public) =
        libcrux_kem::key_gen_derand(libcrux_kem::Algorithm::XWingKemDraft06, seed).ok()?;
    Some(public.encode())
}

/// An `AGE-SECRET-KEY-PQ-1…` identity.
pub(crate) struct HybridIdentity {
    seed: Zeroizing<Vec<u8>>,
    public: Vec<u8>,
}

impl std::fmt::Debug for HybridIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HybridIdentity(<redacted>)")
    }
}

impl HybridIdentity {
    /// A new random identity.
    pub(crate) fn generate() -> Result<Self, KeyError> {
        let failed = |e: &dyn std::fmt::Debug| KeyError::Generate(format!("{e:?}"));
        let mut rng = hpke_rs::libcrux::HpkeLibcruxPrng::try_new().map_err(|e| failed(&e))?;
        let (private, _) = libcrux_kem::key_gen(libcrux_kem::Algorithm::XWingKemDraft06, &mut rng)
            .map_err(|e| failed(&e))?;
        let seed = Zeroizing::new(private.encode());
        let public = public_of(&seed).ok_or(KeyError::DerivePublic)?;
        Ok(HybridIdentity { seed, public })
    }

    /// Parses `AGE-SECRET-KEY-PQ-1…` (upper case, as Go age writes it; lower case too).
    pub(crate) fn parse(s: &str) -> Result<Self, KeyError> {
        let seed = bech32_decode(
            s,
            |_| KeyError::Bech32,
            |hrp| {
                if hrp.as_str().eq_ignore_ascii_case(SECRET_HRP) {
                    Ok(())
                } else {
                    Err(KeyError::NotSecretKey)
                }
            },
            |_, bytes| Ok(Zeroizing::new(bytes.collect::<Vec<u8>>())),
        )?;
        if seed.len() != SEED_LEN {
            return Err(KeyError::SeedLength);
        }
        let public = public_of(&seed).ok_or(KeyError::InvalidSecretKey)?;
        Ok(HybridIdentity { seed, public })
    }

    /// The `AGE-SECRET-KEY-PQ-1…` encoding.
    pub(crate) fn to_secret_string(&self) -> SecretString {
        let hrp = bech32::Hrp::parse(SECRET_HRP).expect("a valid Bech32 prefix");
        let lower = Zeroizing::new(bech32_encode(hrp, &self.seed));
        SecretString::from(lower.to_uppercase())
    }

    /// The matching `age1pq1…` recipient.
    pub(crate) fn to_public(&self) -> HybridRecipient {
        HybridRecipient {
            public: self.public.clone(),
        }
    }

    fn unwrap(&self, stanza: &Stanza) -> Option<Result<FileKey, ::age::DecryptError>> {
        if stanza.tag != STANZA {
            return None;
        }
        let header = || Some(Err(::age::DecryptError::InvalidHeader));
        if stanza.args.len() != 1 || stanza.body.len() != SEALED_LEN {
            return header();
        }
        let enc = match STANDARD_NO_PAD.decode(&stanza.args[0]) {
            Ok(enc) if enc.len() == ENC_LEN => enc,
            _ => return header(),
        };
        let private = HpkePrivateKey::new(self.seed.to_vec());
        // Decapsulation fails only on an X25519 share that gives the all-zero secret (ML-KEM
        // rejects implicitly): a malformed header, as in Go age.
        let mut context = match hpke().setup_receiver(&enc, &private, LABEL, None, None, None) {
            Ok(c) => c,
            Err(_) => return header(),
        };
        // Not this identity's stanza: try the next one.
        let plain = Zeroizing::new(context.open(&[], &stanza.body).ok()?);
        let key: [u8; FILE_KEY_LEN] = plain.as_slice().try_into().ok()?;
        Some(Ok(FileKey::new(Box::new(key))))
    }
}

impl ::age::Identity for HybridIdentity {
    fn unwrap_stanza(&self, stanza: &Stanza) -> Option<Result<FileKey, ::age::DecryptError>> {
        self.unwrap(stanza)
    }
}

/// An `age1pq1…` recipient.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct HybridRecipient {
    public: Vec<u8>,
}

impl std::str::FromStr for HybridRecipient {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let public = bech32_decode(
            s,
            |_| KeyError::Bech32,
            |hrp| {
                if hrp.as_str() == PUBLIC_HRP {
                    Ok(())
                } else {
                    Err(KeyError::NotRecipient)
                }
            },
            |_, bytes| Ok(bytes.collect::<Vec<u8>>()),
        )?;
        if public.len() != PUBLIC_LEN
            || libcrux_kem::PublicKey::decode(libcrux_kem::Algorithm::XWingKemDraft06, &public)
                .is_err()
        {
            return Err(KeyError::InvalidPublicKey);
        }
        Ok(HybridRecipient { public })
    }
}

impl std::fmt::Display for HybridRecipient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hrp = bech32::Hrp::parse(PUBLIC_HRP).expect("a valid Bech32 prefix");
        f.write_str(&bech32_encode(hrp, &self.public))
    }
}

impl std::fmt::Debug for HybridRecipient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HybridRecipient({self})")
    }
}

impl ::age::Recipient for HybridRecipient {
    fn wrap_file_key(
        &self,
        file_key: &FileKey,
    ) -> Result<(Vec<Stanza>, HashSet<String>), ::age::EncryptError> {
        let public = HpkePublicKey::new(self.public.clone());
        let (enc, sealed) = hpke()
            .seal(
                &public,
                LABEL,
                &[],
                file_key.expose_secret(),
                None,
                None,
                None,
            )
            .map_err(|e| {
                ::age::EncryptError::Io(std::io::Error::other(format!(
                    "post-quantum key wrapping failed: {e:?}"
                )))
            })?;
        let stanza = Stanza {
            tag: STANZA.to_string(),
            args: vec![STANDARD_NO_PAD.encode(enc)],
            body: sealed,
        };
        Ok((vec![stanza], HashSet::from([POSTQUANTUM.to_string()])))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_in_go_lengths() {
        let id = HybridIdentity::generate().unwrap();
        let text = id.to_secret_string();
        let text = text.expose_secret();
        assert!(text.starts_with("AGE-SECRET-KEY-PQ-1"), "{text}");
        let again = HybridIdentity::parse(text).unwrap();
        assert_eq!(again.to_public(), id.to_public());
        let public = id.to_public().to_string();
        // Go age's help shows `age1pq1cd[... 1950 more characters ...]`: 1216 bytes in
        // Bech32 without its 90-character limit.
        assert!(public.starts_with("age1pq1"));
        assert_eq!(public.len(), 9 + 1950, "{}", public.len());
        assert_eq!(public.parse::<HybridRecipient>().unwrap(), id.to_public());
        assert!(format!("{id:?}").contains("redacted"));
    }

    #[test]
    fn wraps_and_unwraps_only_its_own() {
        let id = HybridIdentity::generate().unwrap();
        let other = HybridIdentity::generate().unwrap();
        let key = FileKey::new(Box::new([7u8; 16]));
        let (stanzas, labels) = ::age::Recipient::wrap_file_key(&id.to_public(), &key).unwrap();
        assert_eq!(labels, HashSet::from([POSTQUANTUM.to_string()]));
        let got = ::age::Identity::unwrap_stanzas(&id, &stanzas)
            .unwrap()
            .unwrap();
        assert_eq!(got.expose_secret(), &[7u8; 16]);
        assert!(::age::Identity::unwrap_stanzas(&other, &stanzas).is_none());
        let mut bad = vec![Stanza {
            tag: stanzas[0].tag.clone(),
            args: stanzas[0].args.clone(),
            body: stanzas[0].body.clone(),
        }];
        bad[0].body.push(0);
        assert!(matches!(
            ::age::Identity::unwrap_stanzas(&id, &bad),
            Some(Err(::age::DecryptError::InvalidHeader))
        ));
    }
}
