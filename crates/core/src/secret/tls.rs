//! Does a private key belong to a certificate?
//!
//! In: the PEM text of `tls.crt` and `tls.key`. Out: `Ok` when the first certificate and the
//! first private key parse and the key is the certificate's, as Go's `tls.X509KeyPair`
//! requires; else which file is at fault and why. RSA (PKCS#1, PKCS#8), ECDSA (SEC1, PKCS#8)
//! and Ed25519 (PKCS#8). Never puts key material in a message.

use der::{Decode, Encode};
use x509_cert::Certificate;

const RSA: &str = "1.2.840.113549.1.1.1";
const EC: &str = "1.2.840.10045.2.1";
const ED25519: &str = "1.3.101.112";

/// PEM blocks: (label, DER bytes). Text outside blocks is ignored, as Go's `pem.Decode` does.
pub(crate) fn pem_blocks(text: &[u8]) -> Vec<(String, Vec<u8>)> {
    let text = String::from_utf8_lossy(text);
    let mut out = Vec::new();
    let mut rest: &str = &text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = &rest[start + 11..];
        let Some(label_end) = after.find("-----") else {
            break;
        };
        let label = after[..label_end].to_string();
        let end_marker = format!("-----END {label}-----");
        let Some(end) = after.find(&end_marker) else {
            break;
        };
        let block_end = start + 11 + end + end_marker.len();
        let block = &rest[start..block_end];
        if let Ok((_, der)) = pem_rfc7468::decode_vec(block.as_bytes()) {
            out.push((label, der));
        }
        rest = &rest[block_end..];
    }
    out
}

type Problem = (&'static str, String);

fn crt(reason: impl Into<String>) -> Problem {
    ("tls.crt", reason.into())
}

fn key(reason: impl Into<String>) -> Problem {
    ("tls.key", reason.into())
}

/// The public key a private key implies, in the form the certificate stores it.
enum Public {
    Rsa(rsa::RsaPublicKey),
    /// SEC1 point bytes.
    Ec(Option<Vec<u8>>, Option<String>),
    Ed25519([u8; 32]),
}

pub(crate) fn matches(cert_pem: &[u8], key_pem: &[u8]) -> Result<(), Problem> {
    let cert_der = pem_blocks(cert_pem)
        .into_iter()
        .find(|(l, _)| l == "CERTIFICATE")
        .map(|(_, d)| d)
        .ok_or_else(|| crt("holds no PEM certificate (`-----BEGIN CERTIFICATE-----`)"))?;
    let cert = Certificate::from_der(&cert_der)
        .map_err(|e| crt(format!("the certificate does not parse: {e}")))?;
    let spki = &cert.tbs_certificate.subject_public_key_info;
    let cert_alg = spki.algorithm.oid.to_string();
    let cert_key = spki.subject_public_key.raw_bytes();

    let blocks = pem_blocks(key_pem);
    let (label, der) = match blocks
        .iter()
        .find(|(l, _)| l == "PRIVATE KEY" || l.ends_with(" PRIVATE KEY"))
    {
        Some(b) => b,
        None if blocks.iter().any(|(l, _)| l == "CERTIFICATE") => {
            return Err(key("holds a certificate rather than a private key"));
        }
        None => return Err(key("holds no PEM private key")),
    };
    let der = zeroize::Zeroizing::new(der.clone());
    let public = private_to_public(label, &der)?;
    let mismatch = || key("does not match the certificate in `tls.crt`");
    match public {
        Public::Rsa(pk) => {
            if cert_alg != RSA {
                return Err(mismatch());
            }
            use rsa::pkcs8::DecodePublicKey;
            let spki_der = spki
                .to_der()
                .map_err(|e| crt(format!("the certificate's public key does not encode: {e}")))?;
            let cert_pk = rsa::RsaPublicKey::from_public_key_der(&spki_der)
                .map_err(|e| crt(format!("the certificate's RSA key does not parse: {e}")))?;
            if cert_pk != pk {
                return Err(mismatch());
            }
        }
        Public::Ec(point, curve) => {
            if cert_alg != EC {
                return Err(mismatch());
            }
            let cert_curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.decode_as::<der::asn1::ObjectIdentifier>().ok())
                .map(|o| o.to_string());
            if curve.is_some() && cert_curve.is_some() && curve != cert_curve {
                return Err(mismatch());
            }
            match point {
                Some(p) if p == cert_key => {}
                Some(_) => return Err(mismatch()),
                None => {
                    return Err(key(
                        "the EC private key does not carry its public key, so it cannot be checked against the certificate (re-export it with openssl ec)",
                    ));
                }
            }
        }
        Public::Ed25519(pk) => {
            if cert_alg != ED25519 || cert_key != pk {
                return Err(mismatch());
            }
        }
    }
    Ok(())
}

fn private_to_public(label: &str, der: &[u8]) -> Result<Public, Problem> {
    match label {
        "RSA PRIVATE KEY" => {
            use rsa::pkcs1::DecodeRsaPrivateKey;
            let k = rsa::RsaPrivateKey::from_pkcs1_der(der)
                .map_err(|e| key(format!("the RSA private key does not parse: {e}")))?;
            Ok(Public::Rsa(k.to_public_key()))
        }
        "EC PRIVATE KEY" => ec_public(der, None),
        "PRIVATE KEY" => {
            let info = pkcs8::PrivateKeyInfo::from_der(der)
                .map_err(|e| key(format!("the PKCS#8 private key does not parse: {e}")))?;
            match info.algorithm.oid.to_string().as_str() {
                RSA => {
                    use rsa::pkcs8::DecodePrivateKey;
                    let k = rsa::RsaPrivateKey::from_pkcs8_der(der)
                        .map_err(|e| key(format!("the RSA private key does not parse: {e}")))?;
                    Ok(Public::Rsa(k.to_public_key()))
                }
                EC => {
                    let curve = info
                        .algorithm
                        .parameters
                        .and_then(|p| p.decode_as::<der::asn1::ObjectIdentifier>().ok())
                        .map(|o| o.to_string());
                    ec_public(info.private_key, curve)
                }
                ED25519 => {
                    let seed = der::asn1::OctetStringRef::from_der(info.private_key)
                        .map_err(|e| key(format!("the Ed25519 private key does not parse: {e}")))?;
                    let seed: [u8; 32] = seed
                        .as_bytes()
                        .try_into()
                        .map_err(|_| key("the Ed25519 private key is not 32 bytes"))?;
                    Ok(Public::Ed25519(ed25519_public(&seed)))
                }
                _ => Err(key(
                    "unsupported private key algorithm (RSA, ECDSA and Ed25519 are)".to_string(),
                )),
            }
        }
        "ENCRYPTED PRIVATE KEY" => Err(key(
            "is an encrypted private key; Kubernetes needs it unencrypted",
        )),
        // The label is text from inside the file: described, never shown.
        other => Err(key(format!(
            "holds a PEM block whose label ({} characters, not shown) is not one of a private key secretgen can read (RSA PRIVATE KEY, EC PRIVATE KEY, PRIVATE KEY)",
            other.chars().count()
        ))),
    }
}

fn ec_public(sec1_der: &[u8], curve: Option<String>) -> Result<Public, Problem> {
    let k = sec1::EcPrivateKey::from_der(sec1_der)
        .map_err(|e| key(format!("the EC private key does not parse: {e}")))?;
    let curve = curve.or_else(|| {
        k.parameters
            .and_then(|p| p.named_curve())
            .map(|o| o.to_string())
    });
    let point = match k.public_key {
        Some(p) => Some(p.to_vec()),
        None if curve.as_deref() == Some("1.2.840.10045.3.1.7") => {
            let sk = p256::SecretKey::from_slice(k.private_key)
                .map_err(|_| key("the P-256 private key is out of range"))?;
            Some(
                p256::elliptic_curve::sec1::ToEncodedPoint::to_encoded_point(
                    &sk.public_key(),
                    false,
                )
                .as_bytes()
                .to_vec(),
            )
        }
        None => None,
    };
    Ok(Public::Ec(point, curve))
}

/// RFC 8032: the public key of an Ed25519 seed.
fn ed25519_public(seed: &[u8; 32]) -> [u8; 32] {
    use sha2::Digest;
    let h = sha2::Sha512::digest(seed);
    let mut scalar = [0u8; 32];
    scalar.copy_from_slice(&h[..32]);
    let point = curve25519_dalek::EdwardsPoint::mul_base_clamped(scalar);
    zeroize::Zeroize::zeroize(&mut scalar);
    point.compress().to_bytes()
}
