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
//! schedule are those the `age` crate already links (ml-kem, x25519-dalek, sha3, hpke); only
//! the X-Wing combiner, a few lines over them, is written here.

use std::collections::HashSet;

use ::age::secrecy::{ExposeSecret, SecretString};
use age_core::format::{FileKey, Stanza};
use age_core::primitives::{bech32_decode, bech32_encode};
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use hpke::aead::ChaCha20Poly1305;
use hpke::kdf::HkdfSha256;
use hpke::{Deserializable, OpModeR, OpModeS};
use rand_core::RngCore;
use zeroize::Zeroizing;

use self::xwing::{ENC_LEN, PUBLIC_LEN, SEED_LEN, XWing};

/// The stanza type.
pub const STANZA: &str = "mlkem768x25519";
/// HPKE `info`, the domain separation of age's hybrid recipient.
const LABEL: &[u8] = b"age-encryption.org/mlkem768x25519";
/// The label that keeps post-quantum recipients from being mixed with classic ones.
pub(crate) const POSTQUANTUM: &str = "postquantum";
const SECRET_HRP: &str = "age-secret-key-pq-";
const PUBLIC_HRP: &str = "age1pq";
const FILE_KEY_LEN: usize = 16;
const SEALED_LEN: usize = FILE_KEY_LEN + 16;

/// Why a post-quantum key cannot be made or read (never its bytes).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The random generator or the key generation failed (the library's reason).
    #[error("cannot generate a post-quantum key: {0}")]
    Generate(String),
    #[error("invalid Bech32 encoding")]
    Bech32,
    #[error("not an AGE-SECRET-KEY-PQ-1 key")]
    NotSecretKey,
    #[error("a post-quantum secret key holds 32 bytes")]
    SeedLength,
    #[error("not an age1pq1 recipient")]
    NotRecipient,
    #[error("invalid MLKEM768-X25519 public key")]
    InvalidPublicKey,
}

/// X-Wing (draft-connolly-cfrg-xwing-kem-06) as an HPKE KEM over the `hpke` crate's traits:
/// ML-KEM-768 from `ml-kem`, X25519 from `x25519-dalek`, SHAKE256 and SHA3-256 from `sha3`.
mod xwing {
    use hpke::generic_array::GenericArray;
    use hpke::generic_array::typenum::{Sum, U32, U96, U192, U1024};
    use hpke::kem::SharedSecret;
    use hpke::rand_core::{CryptoRng, RngCore};
    use hpke::{Deserializable, HpkeError, Serializable};
    use ml_kem::kem::{Decapsulate, Encapsulate};
    use ml_kem::{B32, EncodedSizeUser, KemCore, MlKem768};
    use sha3::digest::{ExtendableOutput, Update, XofReader};
    use sha3::{Digest, Sha3_256, Shake256};
    use zeroize::Zeroizing;

    type U1216 = Sum<U1024, U192>;
    type U1120 = Sum<U1024, U96>;

    pub(super) const SEED_LEN: usize = 32;
    const MLKEM_PUBLIC_LEN: usize = 1184;
    const MLKEM_CT_LEN: usize = 1088;
    pub(super) const PUBLIC_LEN: usize = MLKEM_PUBLIC_LEN + 32;
    pub(super) const ENC_LEN: usize = MLKEM_CT_LEN + 32;
    /// The combiner's domain separator, `\.//^\`.
    const XWING_LABEL: &[u8] = b"\\.//^\\";

    type DecapsulationKey = <MlKem768 as KemCore>::DecapsulationKey;
    type EncapsulationKey = <MlKem768 as KemCore>::EncapsulationKey;

    /// The expanded secret key: ML-KEM-768 decapsulation key, X25519 scalar, public key.
    struct Expanded {
        mlkem: DecapsulationKey,
        x25519: Zeroizing<[u8; 32]>,
        public: [u8; PUBLIC_LEN],
    }

    fn expand(seed: &[u8; SEED_LEN]) -> Expanded {
        let mut wide = Zeroizing::new([0u8; 96]);
        let mut shake = Shake256::default();
        shake.update(seed);
        shake.finalize_xof().read(wide.as_mut());
        let d = B32::try_from(&wide[..32]).expect("32 bytes");
        let z = B32::try_from(&wide[32..64]).expect("32 bytes");
        let (mlkem, ek) = MlKem768::generate_deterministic(&d, &z);
        let mut x25519 = Zeroizing::new([0u8; 32]);
        x25519.copy_from_slice(&wide[64..]);
        let pk_x = x25519_dalek::x25519(*x25519, x25519_dalek::X25519_BASEPOINT_BYTES);
        let mut public = [0u8; PUBLIC_LEN];
        public[..MLKEM_PUBLIC_LEN].copy_from_slice(&ek.as_bytes());
        public[MLKEM_PUBLIC_LEN..].copy_from_slice(&pk_x);
        Expanded {
            mlkem,
            x25519,
            public,
        }
    }

    /// The X25519 shared secret, or `None` for the all-zero result of a low-order point.
    fn x25519(scalar: &[u8; 32], point: &[u8; 32]) -> Option<Zeroizing<[u8; 32]>> {
        let shared = Zeroizing::new(x25519_dalek::x25519(*scalar, *point));
        let zero = shared.iter().fold(0u8, |acc, b| acc | b) == 0;
        (!zero).then_some(shared)
    }

    /// A 32-byte shared secret, held where it is wiped on drop.
    fn secret32(bytes: &[u8]) -> Zeroizing<[u8; 32]> {
        let mut out = Zeroizing::new([0u8; 32]);
        out.copy_from_slice(bytes);
        out
    }

    fn combine(ss_m: &[u8; 32], ss_x: &[u8; 32], ct_x: &[u8], pk_x: &[u8]) -> SharedSecret<XWing> {
        let digest = Sha3_256::new()
            .chain_update(ss_m)
            .chain_update(ss_x)
            .chain_update(ct_x)
            .chain_update(pk_x)
            .chain_update(XWING_LABEL)
            .finalize();
        SharedSecret(GenericArray::clone_from_slice(&digest))
    }

    /// The ML-KEM-768 encapsulation key of a public key, if it is canonical (FIPS 203's
    /// modulus check: decoding reduces mod q, so a non-canonical key does not re-encode).
    fn mlkem_public(public: &[u8; PUBLIC_LEN]) -> Option<EncapsulationKey> {
        let bytes =
            ml_kem::Encoded::<EncapsulationKey>::try_from(&public[..MLKEM_PUBLIC_LEN]).ok()?;
        let ek = EncapsulationKey::from_bytes(&bytes);
        (ek.as_bytes() == bytes).then_some(ek)
    }

    /// The MLKEM768-X25519 KEM, HPKE code point 0x647a.
    pub(super) struct XWing;

    /// A 32-byte X-Wing seed.
    #[derive(Clone, PartialEq, Eq)]
    pub(super) struct PrivateKey(pub(super) Zeroizing<[u8; SEED_LEN]>);

    /// A 1216-byte X-Wing public key whose ML-KEM part passed the modulus check.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub(super) struct PublicKey(pub(super) [u8; PUBLIC_LEN]);

    /// A 1120-byte X-Wing ciphertext.
    #[derive(Clone)]
    pub(super) struct EncappedKey([u8; ENC_LEN]);

    impl Serializable for PrivateKey {
        type OutputSize = U32;
        fn write_exact(&self, buf: &mut [u8]) {
            buf.copy_from_slice(self.0.as_ref());
        }
    }

    impl Deserializable for PrivateKey {
        fn from_bytes(encoded: &[u8]) -> Result<Self, HpkeError> {
            let seed = <[u8; SEED_LEN]>::try_from(encoded)
                .map_err(|_| HpkeError::IncorrectInputLength(SEED_LEN, encoded.len()))?;
            Ok(PrivateKey(Zeroizing::new(seed)))
        }
    }

    impl Serializable for PublicKey {
        type OutputSize = U1216;
        fn write_exact(&self, buf: &mut [u8]) {
            buf.copy_from_slice(&self.0);
        }
    }

    impl Deserializable for PublicKey {
        fn from_bytes(encoded: &[u8]) -> Result<Self, HpkeError> {
            let public = <[u8; PUBLIC_LEN]>::try_from(encoded)
                .map_err(|_| HpkeError::IncorrectInputLength(PUBLIC_LEN, encoded.len()))?;
            mlkem_public(&public).ok_or(HpkeError::ValidationError)?;
            Ok(PublicKey(public))
        }
    }

    impl Serializable for EncappedKey {
        type OutputSize = U1120;
        fn write_exact(&self, buf: &mut [u8]) {
            buf.copy_from_slice(&self.0);
        }
    }

    impl Deserializable for EncappedKey {
        fn from_bytes(encoded: &[u8]) -> Result<Self, HpkeError> {
            let enc = <[u8; ENC_LEN]>::try_from(encoded)
                .map_err(|_| HpkeError::IncorrectInputLength(ENC_LEN, encoded.len()))?;
            Ok(EncappedKey(enc))
        }
    }

    impl PrivateKey {
        pub(super) fn public(&self) -> PublicKey {
            PublicKey(expand(&self.0).public)
        }
    }

    impl hpke::Kem for XWing {
        type PublicKey = PublicKey;
        type PrivateKey = PrivateKey;
        type EncappedKey = EncappedKey;
        type NSecret = U32;
        const KEM_ID: u16 = 0x647a;

        fn sk_to_pk(sk: &PrivateKey) -> PublicKey {
            sk.public()
        }

        /// X-Wing's DeriveKeyPair: the seed is SHAKE256(ikm, 32).
        fn derive_keypair(ikm: &[u8]) -> (PrivateKey, PublicKey) {
            let mut seed = Zeroizing::new([0u8; SEED_LEN]);
            let mut shake = Shake256::default();
            shake.update(ikm);
            shake.finalize_xof().read(seed.as_mut());
            let sk = PrivateKey(seed);
            let pk = sk.public();
            (sk, pk)
        }

        fn decap(
            sk_recip: &PrivateKey,
            pk_sender_id: Option<&PublicKey>,
            encapped_key: &EncappedKey,
        ) -> Result<SharedSecret<Self>, HpkeError> {
            // X-Wing has no authenticated mode.
            if pk_sender_id.is_some() {
                return Err(HpkeError::DecapError);
            }
            let key = expand(&sk_recip.0);
            let (ct_m, ct_x) = encapped_key.0.split_at(MLKEM_CT_LEN);
            let ct_m = ml_kem::Ciphertext::<MlKem768>::try_from(ct_m)
                .map_err(|_| HpkeError::DecapError)?;
            // ML-KEM rejects implicitly: decapsulation itself does not fail.
            let ss_m = secret32(
                &key.mlkem
                    .decapsulate(&ct_m)
                    .map_err(|_| HpkeError::DecapError)?,
            );
            let ct_x: &[u8; 32] = ct_x.try_into().expect("32 bytes");
            let ss_x = x25519(&key.x25519, ct_x).ok_or(HpkeError::DecapError)?;
            Ok(combine(&ss_m, &ss_x, ct_x, &key.public[MLKEM_PUBLIC_LEN..]))
        }

        fn encap<R: CryptoRng + RngCore>(
            pk_recip: &PublicKey,
            sender_id_keypair: Option<(&PrivateKey, &PublicKey)>,
            csprng: &mut R,
        ) -> Result<(SharedSecret<Self>, EncappedKey), HpkeError> {
            if sender_id_keypair.is_some() {
                return Err(HpkeError::EncapError);
            }
            let ek = mlkem_public(&pk_recip.0).ok_or(HpkeError::EncapError)?;
            let (ct_m, ss_m) = ek.encapsulate(csprng).map_err(|_| HpkeError::EncapError)?;
            let ss_m = secret32(&ss_m);
            let mut ephemeral = Zeroizing::new([0u8; 32]);
            csprng.fill_bytes(ephemeral.as_mut());
            let ct_x = x25519_dalek::x25519(*ephemeral, x25519_dalek::X25519_BASEPOINT_BYTES);
            let pk_x: &[u8; 32] = pk_recip.0[MLKEM_PUBLIC_LEN..].try_into().expect("32 bytes");
            let ss_x = x25519(&ephemeral, pk_x).ok_or(HpkeError::EncapError)?;
            let mut enc = [0u8; ENC_LEN];
            enc[..MLKEM_CT_LEN].copy_from_slice(&ct_m);
            enc[MLKEM_CT_LEN..].copy_from_slice(&ct_x);
            Ok((combine(&ss_m, &ss_x, &ct_x, pk_x), EncappedKey(enc)))
        }
    }
}

/// An `AGE-SECRET-KEY-PQ-1…` identity.
pub(crate) struct HybridIdentity {
    seed: xwing::PrivateKey,
    public: xwing::PublicKey,
}

impl std::fmt::Debug for HybridIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HybridIdentity(<redacted>)")
    }
}

impl HybridIdentity {
    /// A new random identity.
    pub(crate) fn generate() -> Result<Self, KeyError> {
        let mut seed = Zeroizing::new([0u8; SEED_LEN]);
        rand_core::OsRng
            .try_fill_bytes(seed.as_mut())
            .map_err(|e| KeyError::Generate(e.to_string()))?;
        let seed = xwing::PrivateKey(seed);
        let public = seed.public();
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
        let seed = xwing::PrivateKey::from_bytes(&seed).map_err(|_| KeyError::SeedLength)?;
        let public = seed.public();
        Ok(HybridIdentity { seed, public })
    }

    /// The `AGE-SECRET-KEY-PQ-1…` encoding.
    pub(crate) fn to_secret_string(&self) -> SecretString {
        let hrp = bech32::Hrp::parse(SECRET_HRP).expect("a valid Bech32 prefix");
        let lower = Zeroizing::new(bech32_encode(hrp, self.seed.0.as_ref()));
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
        let enc = match xwing::EncappedKey::from_bytes(&enc) {
            Ok(enc) => enc,
            Err(_) => return header(),
        };
        // Decapsulation fails only on an X25519 share that gives the all-zero secret (ML-KEM
        // rejects implicitly): a malformed header, as in Go age.
        let mut context = match hpke::setup_receiver::<ChaCha20Poly1305, HkdfSha256, XWing>(
            &OpModeR::Base,
            &self.seed,
            &enc,
            LABEL,
        ) {
            Ok(c) => c,
            Err(_) => return header(),
        };
        // Not this identity's stanza: try the next one.
        let plain = Zeroizing::new(context.open(&stanza.body, &[]).ok()?);
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
    public: xwing::PublicKey,
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
        if public.len() != PUBLIC_LEN {
            return Err(KeyError::InvalidPublicKey);
        }
        let public =
            xwing::PublicKey::from_bytes(&public).map_err(|_| KeyError::InvalidPublicKey)?;
        Ok(HybridRecipient { public })
    }
}

impl std::fmt::Display for HybridRecipient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hrp = bech32::Hrp::parse(PUBLIC_HRP).expect("a valid Bech32 prefix");
        f.write_str(&bech32_encode(hrp, &self.public.0))
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
        let failed = |e: hpke::HpkeError| {
            ::age::EncryptError::Io(std::io::Error::other(format!(
                "post-quantum key wrapping failed: {e:?}"
            )))
        };
        let (enc, mut context) = hpke::setup_sender::<ChaCha20Poly1305, HkdfSha256, XWing, _>(
            &OpModeS::Base,
            &self.public,
            LABEL,
            &mut rand_core::OsRng,
        )
        .map_err(failed)?;
        let sealed = context
            .seal(file_key.expose_secret(), &[])
            .map_err(failed)?;
        let stanza = Stanza {
            tag: STANZA.to_string(),
            args: vec![STANDARD_NO_PAD.encode(hpke::Serializable::to_bytes(&enc))],
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

    #[test]
    fn a_non_canonical_mlkem_public_key_is_refused() {
        let id = HybridIdentity::generate().unwrap();
        let mut public = id.to_public().public.0;
        // The first 12-bit coefficient set to 0xfff, above q = 3329: FIPS 203's modulus check.
        public[0] = 0xff;
        public[1] |= 0x0f;
        let hrp = bech32::Hrp::parse(PUBLIC_HRP).unwrap();
        let text = bech32_encode(hrp, &public);
        assert_eq!(
            text.parse::<HybridRecipient>(),
            Err(KeyError::InvalidPublicKey)
        );
        let short = bech32_encode(hrp, &public[..PUBLIC_LEN - 1]);
        assert_eq!(
            short.parse::<HybridRecipient>(),
            Err(KeyError::InvalidPublicKey)
        );
    }

    #[test]
    fn a_seed_of_another_length_is_refused() {
        let hrp = bech32::Hrp::parse(SECRET_HRP).unwrap();
        let text = bech32_encode(hrp, &[1u8; 31]).to_uppercase();
        assert!(matches!(
            HybridIdentity::parse(&text),
            Err(KeyError::SeedLength)
        ));
    }
}
