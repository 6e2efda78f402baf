//! The client of sops' key service: key types secretgen has no SDK for (GCP KMS, Azure Key
//! Vault, HashiCorp Vault transit, HuaweiCloud KMS, or a PGP or age key held elsewhere) are
//! unwrapped by a `sops keyservice` process over gRPC, as `sops --keyservice URI` does.
//!
//! In: the key services of the run ([`KeyServices`]: the URIs of `--keyservice` /
//! `SOPS_KEYSERVICE`, and whether local keys are tried first), one key entry as sops sends
//! it ([`ServiceKey`]) and its `enc` value. Out: the data key (zeroized on drop), or for each
//! service asked, why it did not open the key ([`ServiceFailure`], naming the URI; never a
//! value).
//!
//! The protocol is sops' `keyservice.proto` (no package: the methods are
//! `/KeyService/Encrypt` and `/KeyService/Decrypt`); its messages are written here with
//! prost's derive. Nothing runs until the first call: the runtime (current-thread) and each
//! service's channel are made then, and every call is bounded by the run's process timeout
//! (`gate::process::run_timeout`).

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use zeroize::Zeroizing;

use crate::gate::process::run_timeout;

/// sops' messages, field for field (`keyservice/keyservice.proto`).
mod proto {
    use std::collections::HashMap;

    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct Key {
        #[prost(oneof = "KeyType", tags = "1, 2, 3, 4, 5, 6, 7")]
        pub(super) key_type: Option<KeyType>,
    }

    /// Named as sops' `oneof key_type`.
    #[derive(Clone, PartialEq, prost::Oneof)]
    #[allow(clippy::enum_variant_names)]
    pub(super) enum KeyType {
        #[prost(message, tag = "1")]
        KmsKey(KmsKey),
        #[prost(message, tag = "2")]
        PgpKey(PgpKey),
        #[prost(message, tag = "3")]
        GcpKmsKey(GcpKmsKey),
        #[prost(message, tag = "4")]
        AzureKeyvaultKey(AzureKeyVaultKey),
        #[prost(message, tag = "5")]
        VaultKey(VaultKey),
        #[prost(message, tag = "6")]
        AgeKey(AgeKey),
        #[prost(message, tag = "7")]
        HckmsKey(HckmsKey),
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct PgpKey {
        #[prost(string, tag = "1")]
        pub(super) fingerprint: String,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct KmsKey {
        #[prost(string, tag = "1")]
        pub(super) arn: String,
        #[prost(string, tag = "2")]
        pub(super) role: String,
        #[prost(map = "string, string", tag = "3")]
        pub(super) context: HashMap<String, String>,
        #[prost(string, tag = "4")]
        pub(super) aws_profile: String,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct GcpKmsKey {
        #[prost(string, tag = "1")]
        pub(super) resource_id: String,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct VaultKey {
        #[prost(string, tag = "1")]
        pub(super) vault_address: String,
        #[prost(string, tag = "2")]
        pub(super) engine_path: String,
        #[prost(string, tag = "3")]
        pub(super) key_name: String,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct AzureKeyVaultKey {
        #[prost(string, tag = "1")]
        pub(super) vault_url: String,
        #[prost(string, tag = "2")]
        pub(super) name: String,
        #[prost(string, tag = "3")]
        pub(super) version: String,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct AgeKey {
        #[prost(string, tag = "1")]
        pub(super) recipient: String,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct HckmsKey {
        #[prost(string, tag = "1")]
        pub(super) key_id: String,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct EncryptRequest {
        #[prost(message, optional, tag = "1")]
        pub(super) key: Option<Key>,
        #[prost(bytes = "vec", tag = "2")]
        pub(super) plaintext: Vec<u8>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct EncryptResponse {
        #[prost(bytes = "vec", tag = "1")]
        pub(super) ciphertext: Vec<u8>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct DecryptRequest {
        #[prost(message, optional, tag = "1")]
        pub(super) key: Option<Key>,
        #[prost(bytes = "vec", tag = "2")]
        pub(super) ciphertext: Vec<u8>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct DecryptResponse {
        #[prost(bytes = "vec", tag = "1")]
        pub(super) plaintext: Vec<u8>,
    }
}

/// One key entry of a SOPS file, as sops sends it to a key service (`KeyFromMasterKey`):
/// the fields that name the key, never its `enc` value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServiceKey {
    /// `pgp`: the key's fingerprint.
    Pgp { fingerprint: String },
    /// `kms`: ARN, role, encryption context and profile.
    Kms {
        arn: String,
        role: String,
        context: Vec<(String, String)>,
        aws_profile: String,
    },
    /// `gcp_kms`: the key's resource ID.
    GcpKms { resource_id: String },
    /// `azure_kv`: vault URL, key name and version.
    AzureKeyVault {
        vault_url: String,
        name: String,
        version: String,
    },
    /// `hc_vault`: the Vault address, the transit engine's path and the key's name.
    Vault {
        vault_address: String,
        engine_path: String,
        key_name: String,
    },
    /// `age`: the recipient.
    Age { recipient: String },
    /// `hckms`: the key's ID.
    Hckms { key_id: String },
}

impl ServiceKey {
    /// The key type as sops names it in a file.
    pub fn type_name(&self) -> &'static str {
        match self {
            ServiceKey::Pgp { .. } => "pgp",
            ServiceKey::Kms { .. } => "kms",
            ServiceKey::GcpKms { .. } => "gcp_kms",
            ServiceKey::AzureKeyVault { .. } => "azure_kv",
            ServiceKey::Vault { .. } => "hc_vault",
            ServiceKey::Age { .. } => "age",
            ServiceKey::Hckms { .. } => "hckms",
        }
    }

    fn to_proto(&self) -> proto::Key {
        use proto::KeyType as T;
        let key_type = match self.clone() {
            ServiceKey::Pgp { fingerprint } => T::PgpKey(proto::PgpKey { fingerprint }),
            ServiceKey::Kms {
                arn,
                role,
                context,
                aws_profile,
            } => T::KmsKey(proto::KmsKey {
                arn,
                role,
                context: context.into_iter().collect::<HashMap<_, _>>(),
                aws_profile,
            }),
            ServiceKey::GcpKms { resource_id } => T::GcpKmsKey(proto::GcpKmsKey { resource_id }),
            ServiceKey::AzureKeyVault {
                vault_url,
                name,
                version,
            } => T::AzureKeyvaultKey(proto::AzureKeyVaultKey {
                vault_url,
                name,
                version,
            }),
            ServiceKey::Vault {
                vault_address,
                engine_path,
                key_name,
            } => T::VaultKey(proto::VaultKey {
                vault_address,
                engine_path,
                key_name,
            }),
            ServiceKey::Age { recipient } => T::AgeKey(proto::AgeKey { recipient }),
            ServiceKey::Hckms { key_id } => T::HckmsKey(proto::HckmsKey { key_id }),
        };
        proto::Key {
            key_type: Some(key_type),
        }
    }
}

impl ServiceKey {
    /// A file's key entry as sops sends it (`KeyFromMasterKey`).
    pub fn from_entry(entry: &super::KeyEntry) -> ServiceKey {
        use super::KeyEntry as E;
        match entry.clone() {
            E::Age { recipient, .. } => ServiceKey::Age { recipient },
            E::Pgp { fp, .. } => ServiceKey::Pgp { fingerprint: fp },
            E::Kms {
                arn,
                role,
                context,
                aws_profile,
                ..
            } => ServiceKey::Kms {
                arn,
                role,
                context,
                aws_profile,
            },
            E::GcpKms { resource_id, .. } => ServiceKey::GcpKms { resource_id },
            E::AzureKv {
                vault_url,
                name,
                version,
                ..
            } => ServiceKey::AzureKeyVault {
                vault_url,
                name,
                version,
            },
            E::HcVault {
                vault_address,
                engine_path,
                key_name,
                ..
            } => ServiceKey::Vault {
                vault_address,
                engine_path,
                key_name,
            },
            E::Hckms { key_id, .. } => ServiceKey::Hckms { key_id },
        }
    }
}

/// One entry's data key in sops' order: the keys of this machine (`local`) first unless
/// local keys are off, then each key service in turn. The failure keeps every reason; it
/// is `Failed` when an attempt failed, `Missing` when nothing held the key.
pub fn unwrap(
    services: &KeyServices,
    entry: &super::KeyEntry,
    local: impl FnOnce() -> Result<Zeroizing<Vec<u8>>, super::KeyFailure>,
) -> Result<Zeroizing<Vec<u8>>, super::KeyFailure> {
    use super::KeyFailure;
    let mut reasons = Vec::new();
    let mut failed = false;
    if services.local() {
        match local() {
            Ok(k) => return Ok(k),
            Err(f) if services.remote().is_empty() => return Err(f),
            Err(f) => {
                failed = !f.is_missing();
                reasons.push(f.reason().to_string());
            }
        }
    } else if services.remote().is_empty() {
        return Err(KeyFailure::Missing(
            "local keys are off (--enable-local-keyservice=false) and no key service is given"
                .to_string(),
        ));
    }
    match services.decrypt(&ServiceKey::from_entry(entry), entry.enc().as_bytes()) {
        Ok(k) => Ok(k),
        Err(fs) => {
            reasons.extend(fs.iter().map(ToString::to_string));
            let reason = reasons.join("; ");
            Err(if failed {
                KeyFailure::Failed(reason)
            } else {
                KeyFailure::Missing(reason)
            })
        }
    }
}

/// Where a key service listens, as sops reads `--keyservice`: `unix:///path/to/socket`
/// (or `unix:relative/path`) or `tcp://host:port`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceUri {
    /// The URI as given: what every message names.
    uri: String,
    /// What tonic connects to: `unix:PATH` or `http://host:port`.
    target: String,
}

impl ServiceUri {
    /// Reads one URI; an error says what is wrong with it (the URI is the user's own text).
    pub fn parse(uri: &str) -> Result<ServiceUri, String> {
        let shown = uri.escape_debug();
        let target = if let Some(path) = uri.strip_prefix("unix://") {
            if path.is_empty() {
                return Err(format!("key service `{shown}`: no socket path"));
            }
            format!("unix:{path}")
        } else if let Some(path) = uri.strip_prefix("unix:") {
            if path.is_empty() {
                return Err(format!("key service `{shown}`: no socket path"));
            }
            format!("unix:{path}")
        } else if let Some(rest) = ["tcp://", "tcp4://", "tcp6://"]
            .iter()
            .find_map(|s| uri.strip_prefix(s))
        {
            let host = rest.split(['/', '?', '#']).next().unwrap_or("");
            if host.is_empty() || !host.contains(':') {
                return Err(format!("key service `{shown}`: expected tcp://host:port"));
            }
            let target = format!("http://{host}");
            target
                .parse::<http::Uri>()
                .map_err(|_| format!("key service `{shown}`: not a valid host:port"))?;
            target
        } else {
            return Err(format!(
                "key service `{shown}`: expected unix:///path/to/socket or tcp://host:port"
            ));
        };
        Ok(ServiceUri {
            uri: uri.to_string(),
            target,
        })
    }

    /// The URI as given.
    pub fn as_str(&self) -> &str {
        &self.uri
    }
}

impl fmt::Display for ServiceUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.uri.escape_debug().to_string())
    }
}

/// Why one key service did not open a key: the URI and the reason (the gRPC status sops'
/// service returned, or why it could not be reached). Never holds a key or a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceFailure {
    pub uri: String,
    pub reason: String,
}

impl fmt::Display for ServiceFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "key service {}: {}",
            self.uri.escape_debug(),
            self.reason
        )
    }
}

/// The key services of one run: whether local keys are tried first (sops'
/// `--enable-local-keyservice`, on by default) and the remote services in the order given.
/// Cloning shares the connections.
#[derive(Clone)]
pub struct KeyServices {
    local: bool,
    remote: Vec<ServiceUri>,
    client: Arc<OnceLock<Result<Client, String>>>,
}

impl Default for KeyServices {
    fn default() -> Self {
        KeyServices::new(true, Vec::new())
    }
}

impl fmt::Debug for KeyServices {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyServices")
            .field("local", &self.local)
            .field("remote", &self.remote)
            .finish()
    }
}

/// The runtime and one lazily connected channel per remote service.
struct Client {
    runtime: tokio::runtime::Runtime,
    channels: Vec<tonic::transport::Channel>,
}

/// How long a connection may take, within the call's own bound.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest status message kept from a service's answer.
const MAX_REASON: usize = 512;

impl KeyServices {
    pub fn new(local: bool, remote: Vec<ServiceUri>) -> KeyServices {
        KeyServices {
            local,
            remote,
            client: Arc::new(OnceLock::new()),
        }
    }

    /// From sops' flags and variables: `uris` from `--keyservice` (else `SOPS_KEYSERVICE`,
    /// comma-separated), `local` from `--enable-local-keyservice` (else
    /// `SOPS_ENABLE_LOCAL_KEYSERVICE`, else on).
    pub fn from_uris<S: AsRef<str>>(local: bool, uris: &[S]) -> Result<KeyServices, String> {
        let remote = uris
            .iter()
            .map(|u| u.as_ref().trim())
            .filter(|u| !u.is_empty())
            .map(ServiceUri::parse)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(KeyServices::new(local, remote))
    }

    /// Whether keys this process holds are tried before the remote services.
    pub fn local(&self) -> bool {
        self.local
    }

    /// The remote services, in the order they are asked.
    pub fn remote(&self) -> &[ServiceUri] {
        &self.remote
    }

    /// Asks each remote service in turn to decrypt `ciphertext` (an entry's `enc` value,
    /// as sops sends it) with `key`: the first plaintext, or every service's failure.
    pub fn decrypt(
        &self,
        key: &ServiceKey,
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, Vec<ServiceFailure>> {
        let request = proto::DecryptRequest {
            key: Some(key.to_proto()),
            ciphertext: ciphertext.to_vec(),
        };
        let mut failures = Vec::new();
        for i in 0..self.remote.len() {
            match self.call::<_, proto::DecryptResponse>(i, "/KeyService/Decrypt", &request) {
                Ok(mut r) => return Ok(Zeroizing::new(std::mem::take(&mut r.plaintext))),
                Err(f) => failures.push(f),
            }
        }
        Err(failures)
    }

    /// Asks each remote service in turn to encrypt `plaintext` (a data key) for `key`: the
    /// first ciphertext (an `enc` value), or every service's failure.
    pub fn encrypt(
        &self,
        key: &ServiceKey,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, Vec<ServiceFailure>> {
        let mut request = proto::EncryptRequest {
            key: Some(key.to_proto()),
            plaintext: plaintext.to_vec(),
        };
        let mut failures = Vec::new();
        let mut found = None;
        for i in 0..self.remote.len() {
            match self.call::<_, proto::EncryptResponse>(i, "/KeyService/Encrypt", &request) {
                Ok(r) => {
                    found = Some(r.ciphertext);
                    break;
                }
                Err(f) => failures.push(f),
            }
        }
        zeroize::Zeroize::zeroize(&mut request.plaintext);
        found.ok_or(failures)
    }

    /// The runtime and channels, made on the first call.
    fn client(&self) -> Result<&Client, String> {
        self.client
            .get_or_init(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_io()
                    .enable_time()
                    .build()
                    .map_err(|e| format!("could not start the key service client: {e}"))?;
                let _inside = runtime.enter();
                let channels = self
                    .remote
                    .iter()
                    .map(|u| {
                        tonic::transport::Endpoint::from_shared(u.target.clone())
                            .map(|e| e.connect_timeout(CONNECT_TIMEOUT).connect_lazy())
                            .map_err(|e| format!("key service {u}: {e}"))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Client { runtime, channels })
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// One unary call to the `i`th remote service, bounded by the run's process timeout.
    fn call<Req, Resp>(
        &self,
        i: usize,
        method: &'static str,
        request: &Req,
    ) -> Result<Resp, ServiceFailure>
    where
        Req: prost::Message + Clone + Send + Sync + 'static,
        Resp: prost::Message + Default + Send + Sync + 'static,
    {
        let uri = self.remote[i].uri.clone();
        let fail = |reason: String| ServiceFailure {
            uri: uri.clone(),
            reason,
        };
        let client = self.client().map_err(&fail)?;
        let channel = client.channels[i].clone();
        let request = request.clone();
        let exchange = async move {
            let mut grpc = tonic::client::Grpc::new(channel);
            grpc.ready()
                .await
                .map_err(|e| format!("not reachable ({})", source_chain(&e)))?;
            let codec = tonic_prost::ProstCodec::<Req, Resp>::default();
            let path = http::uri::PathAndQuery::from_static(method);
            grpc.unary(tonic::Request::new(request), path, codec)
                .await
                .map(tonic::Response::into_inner)
                .map_err(|s| status_reason(&s))
        };
        let limit = run_timeout().limit();
        client
            .runtime
            .block_on(async move {
                match limit {
                    Some(d) => tokio::time::timeout(d, exchange)
                        .await
                        .unwrap_or_else(|_| Err(format!("no answer within {}s", d.as_secs()))),
                    None => exchange.await,
                }
            })
            .map_err(fail)
    }
}

/// A gRPC status as a reason: its code and the service's message, escaped and bounded.
fn status_reason(s: &tonic::Status) -> String {
    if s.code() == tonic::Code::Unavailable {
        return format!("not reachable ({})", bounded(s.message()));
    }
    format!("{:?}: {}", s.code(), bounded(s.message()))
}

/// An error and its sources, joined as Go joins wrapped errors.
fn source_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut next = e.source();
    while let Some(s) = next {
        text.push_str(": ");
        text.push_str(&s.to_string());
        next = s.source();
    }
    bounded(&text)
}

fn bounded(text: &str) -> String {
    let cut: String = text.chars().take(MAX_REASON).collect();
    let mut shown = cut.escape_debug().to_string();
    if text.chars().count() > MAX_REASON {
        shown.push('…');
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    #[test]
    fn keys_are_encoded_as_sops_sends_them() {
        let key = ServiceKey::Age {
            recipient: "age1x".into(),
        };
        let req = proto::DecryptRequest {
            key: Some(key.to_proto()),
            ciphertext: b"ENC".to_vec(),
        };
        // Key (1) { AgeKey (6) { recipient (1) "age1x" } }, ciphertext (2) "ENC".
        let want = [
            0x0a, 9, 0x32, 7, 0x0a, 5, b'a', b'g', b'e', b'1', b'x', 0x12, 3, b'E', b'N', b'C',
        ];
        assert_eq!(req.encode_to_vec(), want);
        let pgp = ServiceKey::Pgp {
            fingerprint: "AB".into(),
        }
        .to_proto()
        .encode_to_vec();
        assert_eq!(pgp, [0x12, 4, 0x0a, 2, b'A', b'B']);
        let vault = ServiceKey::Vault {
            vault_address: "a".into(),
            engine_path: "b".into(),
            key_name: "c".into(),
        }
        .to_proto()
        .encode_to_vec();
        assert_eq!(
            vault,
            [0x2a, 9, 0x0a, 1, b'a', 0x12, 1, b'b', 0x1a, 1, b'c']
        );
    }

    #[test]
    fn uris_are_read_as_sops_reads_them() {
        let u = ServiceUri::parse("unix:///run/sops.sock").unwrap();
        assert_eq!(u.target, "unix:/run/sops.sock");
        let u = ServiceUri::parse("tcp://127.0.0.1:5000").unwrap();
        assert_eq!(u.target, "http://127.0.0.1:5000");
        for bad in ["unix://", "tcp://host", "http://h:1", "tcp://", "/run/sock"] {
            let err = ServiceUri::parse(bad).unwrap_err();
            assert!(err.contains(bad), "{err}");
        }
        let s = KeyServices::from_uris(false, &["unix:///a", " tcp://h:1", ""]).unwrap();
        assert_eq!(s.remote().len(), 2);
        assert!(!s.local());
    }

    #[test]
    fn local_keys_come_first_unless_off() {
        use crate::sops::keys::{KeyEntry, KeyFailure};
        let entry = KeyEntry::Age {
            recipient: "age1x".into(),
            enc: "enc".into(),
        };
        let dir = tempfile::tempdir().unwrap();
        let uri = format!("unix://{}/absent.sock", dir.path().display());
        let on = KeyServices::from_uris(true, &[uri.as_str()]).unwrap();
        // Local opens it: the (unreachable) service is not asked.
        let k = unwrap(&on, &entry, || Ok(Zeroizing::new(vec![1]))).unwrap();
        assert_eq!(k.as_slice(), [1]);
        // Local lacks it: the service is asked, and both reasons are kept.
        let f = unwrap(&on, &entry, || {
            Err(KeyFailure::Missing("no identity".into()))
        })
        .unwrap_err();
        assert!(f.is_missing());
        assert!(
            f.reason().contains("no identity") && f.reason().contains(&uri),
            "{f:?}"
        );
        // Local off: never asked.
        let off = KeyServices::from_uris(false, &[uri.as_str()]).unwrap();
        let f = unwrap(&off, &entry, || panic!("local keys are off")).unwrap_err();
        assert!(f.reason().contains(&uri), "{f:?}");
        let none = KeyServices::from_uris::<&str>(false, &[]).unwrap();
        let f = unwrap(&none, &entry, || panic!("local keys are off")).unwrap_err();
        assert!(f.reason().contains("no key service"), "{f:?}");
    }

    #[test]
    fn an_unreachable_service_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let uri = format!("unix://{}/absent.sock", dir.path().display());
        let s = KeyServices::from_uris(false, &[uri.as_str()]).unwrap();
        let key = ServiceKey::Age {
            recipient: "age1x".into(),
        };
        let failures = s.decrypt(&key, b"enc").unwrap_err();
        assert_eq!(failures.len(), 1);
        let text = failures[0].to_string();
        assert!(
            text.contains(&uri) && text.contains("not reachable"),
            "{text}"
        );
    }
}
