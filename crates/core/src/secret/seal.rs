//! Sealing a rendered Secret for Bitnami's Sealed Secrets controller, as `kubeseal --cert`
//! does: every value encrypted to the controller's public certificate (RSA-OAEP with
//! SHA-256 over a fresh 32-byte session key, labelled by the scope; then AES-256-GCM with a
//! zero nonce, the session key being used once), the Secret's metadata, type and
//! `immutable` kept in the template in clear, the document shaped as kubeseal v0.27 prints it.
//!
//! In: a [`Secret`], the certificate's public key ([`SealCert`]), a scope (or the one the
//! Secret's annotations give). Out: the `SealedSecret` document. Refused: a Secret without a
//! namespace under a scope that binds to one, a placeholder Secret (no value to seal).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use der::{Decode, Encode};
use rand_core::{OsRng, RngCore};
use zeroize::Zeroizing;

use crate::gate::shown::Text;
use crate::secret::Secret;
use crate::yaml::emit::Node;

/// The annotations kubeseal reads a scope from (and writes it to).
pub const NAMESPACE_WIDE: &str = "sealedsecrets.bitnami.com/namespace-wide";
pub const CLUSTER_WIDE: &str = "sealedsecrets.bitnami.com/cluster-wide";

/// Annotations kubectl and kubecfg keep a whole object in: kubeseal drops them.
const LAST_APPLIED: [&str; 2] = [
    "kubectl.kubernetes.io/last-applied-configuration",
    "kubecfg.ksonnet.io/last-applied-configuration",
];

/// Where a sealed value may be unsealed: the label RSA-OAEP binds it to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Only as this name in this namespace (`namespace/name`).
    Strict,
    /// Under any name in this namespace (`namespace`).
    NamespaceWide,
    /// Anywhere (the empty label).
    ClusterWide,
}

impl Scope {
    /// kubeseal's `--scope` names.
    pub fn parse(s: &str) -> Option<Scope> {
        match s {
            "strict" => Some(Scope::Strict),
            "namespace-wide" => Some(Scope::NamespaceWide),
            "cluster-wide" => Some(Scope::ClusterWide),
            _ => None,
        }
    }

    /// The scope a Secret's annotations give (kubeseal's `SecretScope`).
    fn of(annotations: &BTreeMap<String, String>) -> Scope {
        let on = |k: &str| annotations.get(k).map(String::as_str) == Some("true");
        if on(CLUSTER_WIDE) {
            Scope::ClusterWide
        } else if on(NAMESPACE_WIDE) {
            Scope::NamespaceWide
        } else {
            Scope::Strict
        }
    }

    fn label(self, namespace: &str, name: &str) -> String {
        match self {
            Scope::ClusterWide => String::new(),
            Scope::NamespaceWide => namespace.to_string(),
            Scope::Strict => format!("{namespace}/{name}"),
        }
    }

    /// kubeseal's `UpdateScopeAnnotations`: the scope's annotation set, the other removed.
    fn annotate(self, annotations: &mut BTreeMap<String, String>) {
        annotations.remove(NAMESPACE_WIDE);
        annotations.remove(CLUSTER_WIDE);
        match self {
            Scope::NamespaceWide => {
                annotations.insert(NAMESPACE_WIDE.into(), "true".into());
            }
            Scope::ClusterWide => {
                annotations.insert(CLUSTER_WIDE.into(), "true".into());
            }
            Scope::Strict => {}
        }
    }
}

/// Why a Secret cannot be sealed, or a certificate read.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// The certificate file is not a PEM certificate with an RSA public key.
    #[error("{file}: not a Sealed Secrets certificate: {reason}")]
    Cert {
        file: std::path::PathBuf,
        reason: CertReason,
    },
    /// A strict or namespace-wide Secret without a namespace.
    #[error(
        "Secret {name} has no namespace, and the {scope} scope binds its sealed values to one: set `namespace:` in the kustomization, or seal with --seal-scope cluster-wide"
    )]
    NoNamespace { name: Text, scope: &'static str },
    /// A placeholder Secret (rendered without its key): nothing to seal.
    #[error("Secret {name} holds placeholders (rendered without a key): there is no value to seal")]
    Placeholder { name: Text },
}

/// What is wrong with a certificate file.
#[derive(Debug)]
pub enum CertReason {
    NoCertificate,
    NotRsa,
    Unreadable,
}

impl fmt::Display for CertReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CertReason::NoCertificate => "no `-----BEGIN CERTIFICATE-----` block",
            CertReason::NotRsa => "its public key is not RSA (the controller's keys are)",
            CertReason::Unreadable => "the certificate or its public key does not parse",
        })
    }
}

/// The controller's public key, read from its certificate (`kubeseal --fetch-cert`).
pub struct SealCert {
    key: rsa::RsaPublicKey,
    /// The key's SubjectPublicKeyInfo, DER: what a sealed file's digest names it by.
    spki: Vec<u8>,
}

impl SealCert {
    /// From the PEM text of the certificate file `file`.
    pub fn from_pem(file: &std::path::Path, pem: &[u8]) -> Result<SealCert, SealError> {
        let bad = |reason| SealError::Cert {
            file: file.to_path_buf(),
            reason,
        };
        let der = super::tls::pem_blocks(pem)
            .into_iter()
            .find(|(label, _)| label == "CERTIFICATE")
            .map(|(_, der)| der)
            .ok_or_else(|| bad(CertReason::NoCertificate))?;
        let cert =
            x509_cert::Certificate::from_der(&der).map_err(|_| bad(CertReason::Unreadable))?;
        let spki = &cert.tbs_certificate.subject_public_key_info;
        if spki.algorithm.oid.to_string() != "1.2.840.113549.1.1.1" {
            return Err(bad(CertReason::NotRsa));
        }
        let spki_der = spki.to_der().map_err(|_| bad(CertReason::Unreadable))?;
        use rsa::pkcs8::DecodePublicKey;
        let key = rsa::RsaPublicKey::from_public_key_der(&spki_der)
            .map_err(|_| bad(CertReason::Unreadable))?;
        Ok(SealCert {
            key,
            spki: spki_der,
        })
    }

    #[cfg(test)]
    pub(crate) fn from_key(key: rsa::RsaPublicKey) -> SealCert {
        use rsa::pkcs8::EncodePublicKey;
        let spki = key.to_public_key_der().unwrap().as_bytes().to_vec();
        SealCert { key, spki }
    }

    /// kubeseal's `HybridEncrypt`: the RSA ciphertext's length (2 bytes, big-endian), the
    /// RSA-OAEP(SHA-256, `label`) of a fresh session key, then the AES-256-GCM sealing of
    /// `plain` under it with a zero nonce.
    fn hybrid_encrypt(&self, plain: &[u8], label: &str) -> Vec<u8> {
        let mut session = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(&mut *session);
        let padding = rsa::Oaep::new_with_label::<sha2_10::Sha256, _>(label);
        let wrapped = self
            .key
            .encrypt(&mut OsRng, padding, &*session)
            .expect("a 32-byte key fits any RSA key the controller makes");
        let gcm = aes_gcm::Aes256Gcm::new_from_slice(&*session).expect("a 32-byte key");
        let sealed = gcm
            .encrypt(
                &aes_gcm::Nonce::default(),
                Payload {
                    msg: plain,
                    aad: &[],
                },
            )
            .expect("AES-GCM seals any length a Secret holds");
        let mut out = Vec::with_capacity(2 + wrapped.len() + sealed.len());
        out.extend_from_slice(&(wrapped.len() as u16).to_be_bytes());
        out.extend_from_slice(&wrapped);
        out.extend_from_slice(&sealed);
        out
    }
}

fn s(v: impl Into<String>) -> Node<'static> {
    Node::Str(Cow::Owned(v.into()))
}

fn map(entries: Vec<(&'static str, Node<'static>)>) -> Node<'static> {
    Node::Map(
        entries
            .into_iter()
            .map(|(k, v)| (Cow::Borrowed(k), v))
            .collect(),
    )
}

fn string_map(m: &BTreeMap<String, String>) -> Node<'static> {
    Node::Map(
        m.iter()
            .map(|(k, v)| (Cow::Owned(k.clone()), s(v.clone())))
            .collect(),
    )
}

/// The `SealedSecret` for `secret`, under `scope` (else the one its annotations give), as
/// `kubeseal --cert CERT -o yaml` prints it (keys in its order: sorted).
pub fn seal(
    secret: &Secret,
    cert: &SealCert,
    scope: Option<Scope>,
) -> Result<Node<'static>, SealError> {
    let name_shown = Text::new(&secret.name, secret.meta);
    if secret.placeholder || secret.data.values().any(|e| e.to_substitute) {
        return Err(SealError::Placeholder { name: name_shown });
    }
    let mut annotations = secret.annotations.clone();
    if let Some(scope) = scope {
        scope.annotate(&mut annotations);
    }
    let scope = Scope::of(&annotations);
    let namespace = secret.namespace.clone().unwrap_or_default();
    if scope != Scope::ClusterWide && namespace.is_empty() {
        return Err(SealError::NoNamespace {
            name: name_shown,
            scope: match scope {
                Scope::Strict => "strict",
                _ => "namespace-wide",
            },
        });
    }
    for k in LAST_APPLIED {
        annotations.remove(k);
    }
    let label = scope.label(&namespace, &secret.name);
    let encrypted = Node::Map(
        secret
            .data
            .iter()
            .map(|(k, e)| {
                let sealed = cert.hybrid_encrypt(e.value.expose(), &label);
                (
                    Cow::Owned(k.as_str().to_string()),
                    s(STANDARD.encode(sealed)),
                )
            })
            .collect(),
    );
    // The object's own metadata: its name, namespace and the scope's annotation only.
    let mut own_annotations = BTreeMap::new();
    scope.annotate(&mut own_annotations);
    let meta = |annotations: &BTreeMap<String, String>, labels: &BTreeMap<String, String>| {
        let mut m = Vec::new();
        if !annotations.is_empty() {
            m.push(("annotations", string_map(annotations)));
        }
        m.push(("creationTimestamp", Node::Null));
        if !labels.is_empty() {
            m.push(("labels", string_map(labels)));
        }
        m.push(("name", s(secret.name.clone())));
        if !namespace.is_empty() {
            m.push(("namespace", s(namespace.clone())));
        }
        map(m)
    };
    let mut template = Vec::new();
    if secret.immutable {
        template.push(("immutable", Node::Bool(true)));
    }
    template.push(("metadata", meta(&annotations, &secret.labels)));
    template.push(("type", s(secret.type_.clone())));
    Ok(map(vec![
        ("apiVersion", s("bitnami.com/v1alpha1")),
        ("kind", s("SealedSecret")),
        ("metadata", meta(&own_annotations, &BTreeMap::new())),
        (
            "spec",
            map(vec![
                ("encryptedData", encrypted),
                ("template", map(template)),
            ]),
        ),
    ]))
}

/// What a sealed file's digest binds the Secret to besides itself: the annotations the scope
/// gives it, the scope's label and the certificate's key.
pub fn content_bound(
    secret: &Secret,
    cert: &SealCert,
    scope: Option<Scope>,
) -> Vec<(&'static str, serde_json::Value)> {
    let mut annotations = secret.annotations.clone();
    if let Some(scope) = scope {
        scope.annotate(&mut annotations);
    }
    let namespace = secret.namespace.clone().unwrap_or_default();
    let label = Scope::of(&annotations).label(&namespace, &secret.name);
    let spki: String = cert.spki.iter().map(|b| format!("{b:02x}")).collect();
    vec![
        ("annotations", serde_json::json!(annotations)),
        ("cert", serde_json::json!(spki)),
        ("scope", serde_json::json!(label)),
    ]
}

/// What a sealed file seals, as 10 characters of kustomize's name hash
/// ([`super::digest::unkeyed`]): the values, name, namespace, type, labels, annotations, scope
/// and the certificate's key ([`content_bound`]). It publishes of the values what a hashed
/// Secret's name suffix publishes, and changes when anything the file holds would.
pub fn content_digest(secret: &Secret, cert: &SealCert, scope: Option<Scope>) -> String {
    super::digest::unkeyed(secret, content_bound(secret, cert, scope))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unseal(key: &rsa::RsaPrivateKey, sealed_b64: &str, label: &str) -> Option<Vec<u8>> {
        let raw = STANDARD.decode(sealed_b64).ok()?;
        let n = u16::from_be_bytes([raw[0], raw[1]]) as usize;
        let padding = rsa::Oaep::new_with_label::<sha2_10::Sha256, _>(label);
        let session = key.decrypt(padding, &raw[2..2 + n]).ok()?;
        let gcm = aes_gcm::Aes256Gcm::new_from_slice(&session).ok()?;
        gcm.decrypt(&aes_gcm::Nonce::default(), &raw[2 + n..]).ok()
    }

    #[test]
    fn a_sealed_value_opens_only_under_its_scope_label() {
        let key = rsa::RsaPrivateKey::new(&mut OsRng, 2048).unwrap();
        let cert = SealCert::from_key(key.to_public_key());
        let sealed = STANDARD.encode(cert.hybrid_encrypt(b"s3cret", "prod/db"));
        assert_eq!(
            unseal(&key, &sealed, "prod/db").as_deref(),
            Some(&b"s3cret"[..])
        );
        assert_eq!(unseal(&key, &sealed, "prod/other"), None);
        assert_eq!(unseal(&key, &sealed, ""), None);
        // Randomised: the same value seals differently each time.
        let again = STANDARD.encode(cert.hybrid_encrypt(b"s3cret", "prod/db"));
        assert_ne!(sealed, again);
    }

    #[test]
    fn scopes_and_their_labels() {
        assert_eq!(Scope::Strict.label("ns", "n"), "ns/n");
        assert_eq!(Scope::NamespaceWide.label("ns", "n"), "ns");
        assert_eq!(Scope::ClusterWide.label("ns", "n"), "");
        let mut a = BTreeMap::new();
        a.insert(CLUSTER_WIDE.to_string(), "true".to_string());
        assert_eq!(Scope::of(&a), Scope::ClusterWide);
        Scope::NamespaceWide.annotate(&mut a);
        assert_eq!(Scope::of(&a), Scope::NamespaceWide);
        assert!(!a.contains_key(CLUSTER_WIDE));
    }
}
