//! The key entries of a SOPS file's metadata and the trait that unwraps them.
//!
//! A SOPS file's data key is encrypted once per master key; the metadata holds each
//! encrypted copy as a [`KeyEntry`] (age, PGP, AWS KMS, GCP KMS, Azure Key Vault, HashiCorp
//! Vault transit, HuaweiCloud KMS), flat or inside `key_groups`. The SOPS layer does not
//! know how any of them is opened: it asks a [`DataKeys`] implementation for each entry, in
//! sops' order, and learns either the data key (zeroized on drop) or a [`KeyFailure`] that
//! says whether key material was missing or an attempt failed, with a reason that holds no
//! value. The age implementation lives on the age side, the PGP, AWS KMS and key-service ones in the
//! core library (they spawn processes and call cloud services); other key types plug in here.

use std::path::Path;

use zeroize::Zeroizing;

/// One encrypted copy of a file's data key, with the fields sops writes for its key type
/// (sops v3.13's `stores` metadata names; `created_at` is kept only where sops needs it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyEntry {
    /// `age`: an armored age file holding the data key, and its recipient.
    Age { recipient: String, enc: String },
    /// `pgp`: an armored OpenPGP message holding the data key.
    Pgp {
        fp: String,
        created_at: String,
        enc: String,
    },
    /// `kms`: AWS KMS, with its role, encryption context and profile.
    Kms {
        arn: String,
        role: String,
        /// The encryption context, in the file's order (sops reads it as a Go map).
        context: Vec<(String, String)>,
        aws_profile: String,
        created_at: String,
        enc: String,
    },
    /// `gcp_kms`: a GCP KMS crypto key.
    GcpKms {
        resource_id: String,
        created_at: String,
        enc: String,
    },
    /// `azure_kv`: an Azure Key Vault key.
    AzureKv {
        vault_url: String,
        name: String,
        version: String,
        created_at: String,
        enc: String,
    },
    /// `hc_vault`: a HashiCorp Vault transit key.
    HcVault {
        vault_address: String,
        engine_path: String,
        key_name: String,
        created_at: String,
        enc: String,
    },
    /// `hckms`: a HuaweiCloud KMS key.
    Hckms {
        key_id: String,
        created_at: String,
        enc: String,
    },
}

impl KeyEntry {
    /// The metadata field this entry is listed under (`age`, `pgp`, `kms`, …).
    pub fn field(&self) -> &'static str {
        match self {
            KeyEntry::Age { .. } => "age",
            KeyEntry::Pgp { .. } => "pgp",
            KeyEntry::Kms { .. } => "kms",
            KeyEntry::GcpKms { .. } => "gcp_kms",
            KeyEntry::AzureKv { .. } => "azure_kv",
            KeyEntry::HcVault { .. } => "hc_vault",
            KeyEntry::Hckms { .. } => "hckms",
        }
    }

    /// The key type as people name it (`age`, `PGP`, `AWS KMS`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            KeyEntry::Age { .. } => "age",
            KeyEntry::Pgp { .. } => "PGP",
            KeyEntry::Kms { .. } => "AWS KMS",
            KeyEntry::GcpKms { .. } => "GCP KMS",
            KeyEntry::AzureKv { .. } => "Azure Key Vault",
            KeyEntry::HcVault { .. } => "HashiCorp Vault",
            KeyEntry::Hckms { .. } => "HuaweiCloud KMS",
        }
    }

    /// Which key this entry is for: the recipient, fingerprint, ARN, resource, … (public
    /// names, never key material).
    pub fn id(&self) -> String {
        match self {
            KeyEntry::Age { recipient, .. } => recipient.clone(),
            KeyEntry::Pgp { fp, .. } => fp.clone(),
            KeyEntry::Kms { arn, .. } => arn.clone(),
            KeyEntry::GcpKms { resource_id, .. } => resource_id.clone(),
            KeyEntry::AzureKv {
                vault_url,
                name,
                version,
                ..
            } => format!("{vault_url}/keys/{name}/{version}"),
            KeyEntry::HcVault {
                vault_address,
                engine_path,
                key_name,
                ..
            } => format!("{vault_address}/v1/{engine_path}/keys/{key_name}"),
            KeyEntry::Hckms { key_id, .. } => key_id.clone(),
        }
    }

    /// The encrypted data key as written in the file.
    pub fn enc(&self) -> &str {
        match self {
            KeyEntry::Age { enc, .. }
            | KeyEntry::Pgp { enc, .. }
            | KeyEntry::Kms { enc, .. }
            | KeyEntry::GcpKms { enc, .. }
            | KeyEntry::AzureKv { enc, .. }
            | KeyEntry::HcVault { enc, .. }
            | KeyEntry::Hckms { enc, .. } => enc,
        }
    }
}

/// Why an entry did not give the data key. Reasons hold no value and no decrypted text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyFailure {
    /// No key material for this entry here (no identity, no matching key, no service for
    /// this key type): a `--placeholder` may stand in.
    Missing(String),
    /// Key material was there and the attempt failed (a tool or service error, a damaged
    /// entry).
    Failed(String),
}

impl KeyFailure {
    pub fn is_missing(&self) -> bool {
        matches!(self, KeyFailure::Missing(_))
    }

    pub fn reason(&self) -> &str {
        match self {
            KeyFailure::Missing(r) | KeyFailure::Failed(r) => r,
        }
    }
}

/// What opens key entries: the age keyring, gpg, a KMS client, a key service.
pub trait DataKeys: Sync {
    /// The data key held by `entry` of `file` (the file only names it in reasons), or why
    /// not.
    fn unwrap(&self, file: &Path, entry: &KeyEntry) -> Result<Zeroizing<Vec<u8>>, KeyFailure>;
}

/// No key material for any entry (a file checked without keys).
pub struct NoKeys;

impl DataKeys for NoKeys {
    fn unwrap(&self, _: &Path, entry: &KeyEntry) -> Result<Zeroizing<Vec<u8>>, KeyFailure> {
        Err(KeyFailure::Missing(format!(
            "no key for {} entries",
            entry.kind()
        )))
    }
}
