//! AWS KMS: a `kms` entry's data key unwrapped by KMS `Decrypt` (and wrapped by `Encrypt`, as
//! sops writes the entry) through the official AWS SDK,
//! with its default credential chain (environment, `aws_profile` or `AWS_PROFILE`, web identity
//! as IRSA and EKS Pod Identity use, instance metadata) and `AWS_ENDPOINT_URL_KMS`. A `role`
//! is assumed through STS first, as sops does. Nothing of the SDK is built until a run meets a
//! `kms` entry; then one small current-thread runtime serves every call of the run, one client
//! per (region, profile, role), each call held to the run's timeout. A failure names the AWS
//! error code, never the ciphertext or the key.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::sts::AssumeRoleProvider;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sdk_kms::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_kms::primitives::Blob;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use base64::Engine as _;
use zeroize::Zeroizing;

use crate::gate::process::run_timeout;

/// A `kms` entry of a key group, as sops writes it.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct KmsKey {
    /// The key's ARN (`arn:aws:kms:REGION:ACCOUNT:key/ID` or `…:alias/NAME`).
    pub(crate) arn: String,
    /// An IAM role to assume before calling KMS; empty for none.
    pub(crate) role: String,
    /// The encryption context the data key was encrypted with.
    pub(crate) context: BTreeMap<String, String>,
    /// The AWS profile to take credentials from; empty for the default chain's choice.
    pub(crate) aws_profile: String,
    /// The data key encrypted by KMS, base64.
    pub(crate) enc: String,
}

/// The entry's ARN only: `enc` is the wrapped data key and stays out of logs and reports.
impl std::fmt::Debug for KmsKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KmsKey")
            .field("arn", &self.arn)
            .field("role", &self.role)
            .field("aws_profile", &self.aws_profile)
            .finish_non_exhaustive()
    }
}

/// Why a `kms` entry gave no data key. The text names the key's ARN and the AWS error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum KmsFailure {
    /// No AWS credentials anywhere in the chain (or in the named profile): like a missing age
    /// identity, a `--placeholder` may stand in.
    #[error("AWS KMS key {arn}: no key material (no AWS credentials found: {reason})")]
    NoKeyMaterial { arn: String, reason: String },
    /// KMS (or STS, or the network) refused or failed.
    #[error("AWS KMS key {arn}: {reason}")]
    Failed { arn: String, reason: String },
}

impl KmsFailure {
    fn failed(key: &KmsKey, reason: impl Into<String>) -> KmsFailure {
        KmsFailure::Failed {
            arn: key.arn.clone(),
            reason: reason.into(),
        }
    }
}

/// The data key of a `kms` entry, or why not, as the data-key trait reports it: no AWS
/// credentials is missing key material; a refusal or a transport failure is a failure.
pub(crate) fn unwrap_entry(
    arn: &str,
    role: &str,
    context: &[(String, String)],
    aws_profile: &str,
    enc: &str,
) -> Result<Zeroizing<Vec<u8>>, super::KeyFailure> {
    let key = KmsKey {
        arn: arn.to_owned(),
        role: role.to_owned(),
        context: context.iter().cloned().collect(),
        aws_profile: aws_profile.to_owned(),
        enc: enc.to_owned(),
    };
    // The trait's caller names the entry (kind and ARN): the reason alone here.
    data_key(&key).map_err(|f| match f {
        KmsFailure::NoKeyMaterial { reason, .. } => {
            super::KeyFailure::Missing(format!("no key material (no AWS credentials: {reason})"))
        }
        KmsFailure::Failed { reason, .. } => super::KeyFailure::Failed(reason),
    })
}

/// The data key held by `key`, unwrapped by AWS KMS.
pub(crate) fn data_key(key: &KmsKey) -> Result<Zeroizing<Vec<u8>>, KmsFailure> {
    let blob = Zeroizing::new(
        base64::engine::general_purpose::STANDARD
            .decode(key.enc.trim())
            .map_err(|_| KmsFailure::failed(key, "its `enc` is not valid base64"))?,
    );
    let rt = runtime().map_err(|e| KmsFailure::failed(key, e))?;
    let limit = run_timeout().limit();
    rt.block_on(async {
        let call = decrypt(key, &blob);
        match limit {
            Some(d) => tokio::time::timeout(d, call)
                .await
                .unwrap_or_else(|_| Err(KmsFailure::failed(key, timed_out(d)))),
            None => call.await,
        }
    })
}

/// `data_key` encrypted by AWS KMS under `arn` with `context` (the `enc` of a `kms` entry,
/// base64, as sops' `EncryptContext` writes it), through the client the reader uses (its
/// region, `aws_profile`, `role`, `AWS_ENDPOINT_URL_KMS`), held to the run's timeout. A
/// failure is reported as the data-key trait reports an unwrap's.
pub(crate) fn wrap_entry(
    arn: &str,
    role: &str,
    context: &[(String, String)],
    aws_profile: &str,
    data_key: &[u8],
) -> Result<String, super::KeyFailure> {
    let key = KmsKey {
        arn: arn.to_owned(),
        role: role.to_owned(),
        context: context.iter().cloned().collect(),
        aws_profile: aws_profile.to_owned(),
        enc: String::new(),
    };
    let run = || -> Result<String, KmsFailure> {
        let rt = runtime().map_err(|e| KmsFailure::failed(&key, e))?;
        let limit = run_timeout().limit();
        rt.block_on(async {
            let call = encrypt(&key, data_key);
            match limit {
                Some(d) => tokio::time::timeout(d, call)
                    .await
                    .unwrap_or_else(|_| Err(KmsFailure::failed(&key, timed_out(d)))),
                None => call.await,
            }
        })
    };
    run().map_err(|f| match f {
        KmsFailure::NoKeyMaterial { reason, .. } => {
            super::KeyFailure::Missing(format!("no AWS credentials: {reason}"))
        }
        KmsFailure::Failed { reason, .. } => super::KeyFailure::Failed(reason),
    })
}

async fn encrypt(key: &KmsKey, data_key: &[u8]) -> Result<String, KmsFailure> {
    let client = client(key).await?;
    let mut req = client
        .encrypt()
        .key_id(&key.arn)
        .plaintext(Blob::new(data_key.to_vec()));
    if !key.context.is_empty() {
        let ctx: HashMap<String, String> = key.context.clone().into_iter().collect();
        req = req.set_encryption_context(Some(ctx));
    }
    let out = req.send().await.map_err(|e| refused(key, e))?;
    let blob = out
        .ciphertext_blob
        .ok_or_else(|| KmsFailure::failed(key, "AWS KMS answered without a ciphertext"))?;
    Ok(base64::engine::general_purpose::STANDARD.encode(blob.into_inner()))
}

fn timed_out(d: Duration) -> String {
    format!(
        "no answer from AWS within {}s (the run's timeout, `--process-timeout`)",
        d.as_secs()
    )
}

/// The one runtime of the run, made when the first `kms` entry is met. Current-thread: the
/// calls are a few HTTPS requests; files decrypted in parallel each block on it in turn.
fn runtime() -> Result<&'static tokio::runtime::Runtime, String> {
    static RT: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the AWS client: {e}"))
    })
    .as_ref()
    .map_err(Clone::clone)
}

/// What a KMS client is built for: the region of the key's ARN, the profile and the role.
#[derive(Clone, PartialEq, Eq, Hash)]
struct ClientFor {
    region: Option<String>,
    profile: String,
    role: String,
}

type Slot = Arc<tokio::sync::OnceCell<Result<aws_sdk_kms::Client, KmsFailure>>>;

async fn decrypt(key: &KmsKey, blob: &[u8]) -> Result<Zeroizing<Vec<u8>>, KmsFailure> {
    let client = client(key).await?;
    let mut req = client
        .decrypt()
        .key_id(&key.arn)
        .ciphertext_blob(Blob::new(blob.to_vec()));
    if !key.context.is_empty() {
        let ctx: HashMap<String, String> = key.context.clone().into_iter().collect();
        req = req.set_encryption_context(Some(ctx));
    }
    let out = req.send().await.map_err(|e| refused(key, e))?;
    let plain = out
        .plaintext
        .ok_or_else(|| KmsFailure::failed(key, "AWS KMS answered without a plaintext"))?;
    Ok(Zeroizing::new(plain.into_inner()))
}

/// The client for `key`, built once per run for its region, profile and role.
async fn client(key: &KmsKey) -> Result<aws_sdk_kms::Client, KmsFailure> {
    static CLIENTS: OnceLock<Mutex<HashMap<ClientFor, Slot>>> = OnceLock::new();
    let want = ClientFor {
        region: arn_region(&key.arn).map(str::to_owned),
        profile: key.aws_profile.clone(),
        role: key.role.clone(),
    };
    let slot = {
        let mut map = CLIENTS
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        map.entry(want.clone()).or_default().clone()
    };
    slot.get_or_init(|| build_client(key, want))
        .await
        .clone()
        .map_err(|f| match f {
            // The slot is shared by every key of the client: name this one.
            KmsFailure::NoKeyMaterial { reason, .. } => KmsFailure::NoKeyMaterial {
                arn: key.arn.clone(),
                reason,
            },
            KmsFailure::Failed { reason, .. } => KmsFailure::failed(key, reason),
        })
}

async fn build_client(key: &KmsKey, want: ClientFor) -> Result<aws_sdk_kms::Client, KmsFailure> {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(http.clone());
    if let Some(region) = &want.region {
        loader = loader.region(aws_config::Region::new(region.clone()));
    }
    if !want.profile.is_empty() {
        // The entry's profile, as sops takes it: its credentials, not the environment's.
        let provider =
            aws_config::provider_config::ProviderConfig::default().with_http_client(http);
        loader = loader.profile_name(&want.profile).credentials_provider(
            aws_config::profile::ProfileFileCredentialsProvider::builder()
                .configure(&provider)
                .profile_name(&want.profile)
                .build(),
        );
    }
    let sdk = loader.load().await;
    // Resolved once: a missing credential is "no key material", not a refusal by AWS.
    let chain = sdk
        .credentials_provider()
        .ok_or_else(|| KmsFailure::NoKeyMaterial {
            arn: key.arn.clone(),
            reason: "no credential provider".into(),
        })?;
    let creds = chain
        .provide_credentials()
        .await
        .map_err(|e| credentials_failure(key, &want, e))?;
    let mut conf = aws_sdk_kms::config::Builder::from(&sdk)
        .credentials_provider(SharedCredentialsProvider::new(creds));
    if !want.role.is_empty() {
        let assumed = AssumeRoleProvider::builder(&want.role)
            .session_name(session_name())
            .configure(&sdk)
            .build()
            .await;
        let creds = assumed.provide_credentials().await.map_err(|e| {
            KmsFailure::failed(
                key,
                format!(
                    "cannot assume role {}: {}",
                    want.role,
                    credentials_reason(&e)
                ),
            )
        })?;
        conf = conf.credentials_provider(SharedCredentialsProvider::new(creds));
    }
    Ok(aws_sdk_kms::Client::from_conf(conf.build()))
}

/// Credentials that cannot be had (none in the chain, an instance metadata service that
/// refuses, a profile that is not there) are no key material here: nothing was asked of KMS.
fn credentials_failure(key: &KmsKey, want: &ClientFor, e: CredentialsError) -> KmsFailure {
    let reason = credentials_reason(&e);
    let reason = if want.profile.is_empty() {
        reason
    } else {
        format!("profile `{}`: {reason}", want.profile)
    };
    KmsFailure::NoKeyMaterial {
        arn: key.arn.clone(),
        reason,
    }
}

/// The SDK's account of a credential failure: provider names, files and variables, no secret
/// (the SDK's errors never carry a key).
fn credentials_reason(e: &CredentialsError) -> String {
    chain(e)
}

/// An error and its sources, each as it displays itself (never the Debug form, which holds
/// whole HTTP responses), on one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut next = e.source();
    while let Some(s) = next {
        let t = s.to_string();
        if !parts.iter().any(|p| p.contains(&t)) {
            parts.push(t);
        }
        next = s.source();
    }
    one_line(&parts.join(": "))
}

/// A refusal by KMS named by its AWS error code; a transport failure by the SDK's account.
fn refused<E>(key: &KmsKey, e: SdkError<E>) -> KmsFailure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match &e {
        SdkError::ServiceError(se) => {
            let code = se.err().code().unwrap_or("an unnamed error");
            KmsFailure::failed(key, format!("AWS KMS refused the data key: {code}"))
        }
        SdkError::TimeoutError(_) => KmsFailure::failed(key, "AWS KMS did not answer in time"),
        _ => KmsFailure::failed(key, format!("cannot reach AWS KMS: {}", chain(&e))),
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The region of a KMS ARN (`arn:PARTITION:kms:REGION:ACCOUNT:key/…`), as sops takes it.
fn arn_region(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(_), Some("kms"), Some(region), Some(account), Some(rest)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let valid = !region.is_empty()
        && account.bytes().all(|b| b.is_ascii_digit())
        && (rest.starts_with("key/") || rest.starts_with("alias/"));
    valid.then_some(region)
}

/// The STS session name sops uses, `sops@HOST`, with what STS refuses left out.
fn session_name() -> String {
    let host = crate::gate::read::file(
        std::path::Path::new("/proc/sys/kernel/hostname"),
        crate::gate::read::Origin::Input,
        256,
    )
    .ok()
    .and_then(|b| String::from_utf8(b.to_vec()).ok())
    .or_else(|| std::env::var("HOSTNAME").ok())
    .unwrap_or_default();
    let name: String = format!("sops@{}", host.trim())
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(*c))
        .take(64)
        .collect();
    name
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests run the emulator and make fixtures directly
mod tests {
    use super::*;

    #[test]
    fn region_is_read_from_key_and_alias_arns() {
        assert_eq!(
            arn_region("arn:aws:kms:eu-west-2:111122223333:key/bc436485-5092"),
            Some("eu-west-2")
        );
        assert_eq!(
            arn_region("arn:aws-us-gov:kms:us-gov-west-1:111122223333:alias/sops"),
            Some("us-gov-west-1")
        );
        assert_eq!(arn_region("bc436485-5092"), None);
        assert_eq!(arn_region("arn:aws:s3:eu-west-2:111122223333:key/x"), None);
        assert_eq!(arn_region("arn:aws:kms::111122223333:key/x"), None);
    }

    #[test]
    fn session_name_is_one_sts_accepts() {
        let n = session_name();
        assert!(n.starts_with("sops@") && n.len() <= 64, "{n}");
        assert!(
            n.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
        );
    }

    #[test]
    fn debug_never_shows_the_wrapped_key() {
        let k = KmsKey {
            arn: "arn:aws:kms:eu-west-2:111122223333:key/k".into(),
            role: String::new(),
            context: BTreeMap::new(),
            aws_profile: String::new(),
            enc: "c2VjcmV0LXdyYXBwZWQta2V5".into(),
        };
        let shown = format!("{k:?}");
        assert!(!shown.contains("c2VjcmV0"), "{shown}");
    }

    #[test]
    fn a_bad_enc_fails_before_any_aws_call() {
        let k = KmsKey {
            arn: "arn:aws:kms:eu-west-2:111122223333:key/k".into(),
            role: String::new(),
            context: BTreeMap::new(),
            aws_profile: String::new(),
            enc: "not base64 !".into(),
        };
        let e = data_key(&k).unwrap_err();
        assert!(matches!(e, KmsFailure::Failed { .. }), "{e}");
        assert!(!e.to_string().contains("not base64 !"), "{e}");
    }

    /// The KMS emulator (`local-kms`, installed by tests/setup.sh) on a loopback port, seeded
    /// with one fixed key; files encrypted to it by sops 3.13.3.
    #[test]
    fn unwraps_what_sops_wrapped_with_the_emulator() {
        use std::process::{Command, Stdio};
        // The workspace root, two folders above this crate.
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let tools = root.join(".tools/bin");
        let emulator = tools.join("local-kms");
        assert!(
            emulator.exists(),
            "{} is missing: run tests/setup.sh",
            emulator.display()
        );
        let dir = tempfile::tempdir().unwrap();
        let seed = dir.path().join("seed.yaml");
        let id = "bc436485-5092-42b8-92a3-0aa8b93536dc";
        std::fs::write(
            &seed,
            format!(
                "Keys:\n  Symmetric:\n    Aes:\n      - Metadata:\n          KeyId: {id}\n        BackingKeys:\n          - 5cdaead27fe7da2de47945d73cd6d79e36494e73802f3cd3869f1d2cb0b5d7a9\n"
            ),
        )
        .unwrap();
        // The emulator logs one line per Decrypt it answers: the count of KMS calls.
        let log = dir.path().join("local-kms.log");
        let calls = || {
            std::fs::read_to_string(&log)
                .unwrap()
                .matches("Decryption called")
                .count()
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        struct Kill(std::process::Child);
        impl Drop for Kill {
            fn drop(&mut self) {
                let _ = self.0.kill();
                let _ = self.0.wait();
            }
        }
        let _server = Kill(
            Command::new(&emulator)
                .env("PORT", port.to_string())
                .env("KMS_REGION", "eu-west-2")
                .env("KMS_ACCOUNT_ID", "111122223333")
                .env("KMS_SEED_PATH", &seed)
                .env("KMS_DATA_PATH", dir.path().join("data"))
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).unwrap())
                .spawn()
                .unwrap(),
        );
        let endpoint = format!("http://127.0.0.1:{port}");
        let start = std::time::Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "local-kms did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let arn = format!("arn:aws:kms:eu-west-2:111122223333:key/{id}");
        let plain = dir.path().join("s.json");
        std::fs::write(&plain, "{\"a\": \"kms value\"}\n").unwrap();
        let env = [
            ("AWS_ENDPOINT_URL_KMS", endpoint.as_str()),
            ("AWS_ACCESS_KEY_ID", "AKIDLOCALKMS"),
            ("AWS_SECRET_ACCESS_KEY", "local-kms-secret"),
            ("AWS_REGION", "eu-west-2"),
        ];
        // The SDK reads these from the process; no other test of this crate reads them.
        for (k, v) in env {
            unsafe { std::env::set_var(k, v) };
        }
        let out = Command::new(tools.join("sops"))
            .args([
                "--encrypt",
                "--kms",
                &arn,
                "--encryption-context",
                "app:web,env:prod",
            ])
            .arg(&plain)
            .env("SOPS_DISABLE_VERSION_CHECK", "1")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let file: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let entry = &file["sops"]["kms"][0];
        let mut key = KmsKey {
            arn: entry["arn"].as_str().unwrap().into(),
            role: String::new(),
            context: serde_json::from_value(entry["context"].clone()).unwrap(),
            aws_profile: String::new(),
            enc: entry["enc"].as_str().unwrap().into(),
        };
        assert_eq!(key.context.len(), 2);
        let data = data_key(&key).unwrap();
        assert_eq!(data.len(), 32);
        assert_eq!(calls(), 1);
        let cipher = crate::sops::crypto::cipher(&data).unwrap();
        let value =
            crate::sops::crypto::open_value(file["a"].as_str().unwrap(), &cipher, "a:").unwrap();
        assert_eq!(&value.bytes[..], b"kms value");

        // Another context: KMS refuses, and says so by its code, without the ciphertext.
        key.context.insert("env".into(), "dev".into());
        let e = data_key(&key).unwrap_err().to_string();
        assert!(e.contains("InvalidCiphertextException"), "{e}");
        assert!(!e.contains(&key.enc[..16]), "{e}");

        // A tree of 200 files under one key, unwrapped in parallel: one Decrypt per file.
        let enc = |i: usize| {
            let f = dir.path().join(format!("f{i}.json"));
            std::fs::write(&f, format!("{{\"v\": \"value {i}\"}}\n")).unwrap();
            let out = Command::new(tools.join("sops"))
                .args(["--encrypt", "--kms", &arn])
                .arg(&f)
                .env("SOPS_DISABLE_VERSION_CHECK", "1")
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
        };
        let files: Vec<serde_json::Value> = {
            use rayon::prelude::*;
            (0..200).into_par_iter().map(enc).collect()
        };
        let before = calls();
        {
            use rayon::prelude::*;
            files.par_iter().enumerate().for_each(|(i, file)| {
                let key = KmsKey {
                    arn: arn.clone(),
                    role: String::new(),
                    context: BTreeMap::new(),
                    aws_profile: String::new(),
                    enc: file["sops"]["kms"][0]["enc"].as_str().unwrap().into(),
                };
                let data = data_key(&key).unwrap();
                let cipher = crate::sops::crypto::cipher(&data).unwrap();
                let v = crate::sops::crypto::open_value(file["v"].as_str().unwrap(), &cipher, "v:")
                    .unwrap();
                assert_eq!(&v.bytes[..], format!("value {i}").as_bytes());
            });
        }
        assert_eq!(calls() - before, 200);

        // aws_profile: the profile's credentials from the files the variables name.
        for k in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] {
            unsafe { std::env::remove_var(k) };
        }
        let config = dir.path().join("config");
        let creds = dir.path().join("credentials");
        std::fs::write(&config, "[profile kmstest]\nregion = eu-west-2\n").unwrap();
        std::fs::write(
            &creds,
            "[kmstest]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = profile-secret\n",
        )
        .unwrap();
        unsafe {
            std::env::set_var("AWS_CONFIG_FILE", &config);
            std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", &creds);
        }
        let out = Command::new(tools.join("sops"))
            .args(["--encrypt", "--kms", &arn, "--aws-profile", "kmstest"])
            .arg(&plain)
            .env("SOPS_DISABLE_VERSION_CHECK", "1")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let file: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let entry = &file["sops"]["kms"][0];
        assert_eq!(entry["aws_profile"], "kmstest");
        let key = KmsKey {
            arn: arn.clone(),
            role: String::new(),
            context: BTreeMap::new(),
            aws_profile: "kmstest".into(),
            enc: entry["enc"].as_str().unwrap().into(),
        };
        let data = data_key(&key).unwrap();
        let cipher = crate::sops::crypto::cipher(&data).unwrap();
        let value =
            crate::sops::crypto::open_value(file["a"].as_str().unwrap(), &cipher, "a:").unwrap();
        assert_eq!(&value.bytes[..], b"kms value");

        // No credentials at all: no key material, as a missing age identity.
        std::fs::write(&creds, "").unwrap();
        std::fs::write(&config, "").unwrap();
        // (Another region: a client, with its credentials, is built once per run.)
        unsafe { std::env::set_var("AWS_EC2_METADATA_DISABLED", "true") };
        let key = KmsKey {
            arn: format!("arn:aws:kms:eu-west-1:111122223333:key/{id}"),
            aws_profile: String::new(),
            ..key
        };
        let e = data_key(&key).unwrap_err();
        assert!(matches!(e, KmsFailure::NoKeyMaterial { .. }), "{e}");
    }
}
