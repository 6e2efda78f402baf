//! A rendered Secret as a SOPS-encrypted Secret manifest, as Flux's kustomize-controller
//! decrypts it in the cluster: the Secret as the plain render prints it, its `data` and
//! `stringData` values encrypted (`encrypted_regex: ^(data|stringData)$`, the rule Flux
//! documents), everything else (names, type, labels, annotations, key names, comments) in
//! clear, in sops 3.13.3's layout.
//!
//! In: a [`Secret`], header comment lines, the data key and its wrapped copies. Out: the
//! file's bytes. Refused: a placeholder Secret (no value to encrypt).

use std::path::Path;

use zeroize::Zeroizing;

use crate::gate::shown::Text;
use crate::secret::Secret;

/// The rule every Secret is encrypted under: the values only.
pub const ENCRYPTED_REGEX: &str = "^(data|stringData)$";

/// Why a Secret cannot be written SOPS-encrypted.
#[derive(Debug, thiserror::Error)]
pub enum SopsFileError {
    /// A placeholder Secret (rendered without its key): nothing to encrypt.
    #[error(
        "Secret {name} holds placeholders (rendered without a key): there is no value to encrypt"
    )]
    Placeholder { name: Text },
    /// The SOPS layer refused (its reason names `file`, never a value).
    #[error(transparent)]
    Sops(#[from] ::sops::SopsError),
}

/// The SOPS file of `secret`: `header` (whole comment lines, kept in clear at the top), then
/// the Secret as the plain render prints it, its values encrypted under `data_key`, whose
/// wrapped copies are `entries`; `file` names it in errors.
pub fn encrypt(
    file: &Path,
    secret: &Secret,
    header: &str,
    data_key: &[u8],
    entries: &[::sops::KeyEntry],
    lastmodified: &str,
) -> Result<Zeroizing<Vec<u8>>, SopsFileError> {
    if secret.placeholder || secret.data.values().any(|e| e.to_substitute) {
        return Err(SopsFileError::Placeholder {
            name: Text::new(&secret.name, secret.meta),
        });
    }
    let mut plain = Zeroizing::new(header.as_bytes().to_vec());
    plain.extend_from_slice(&super::to_yaml(std::slice::from_ref(secret)));
    let rules = ::sops::Rules {
        encrypted_regex: ENCRYPTED_REGEX.into(),
        ..::sops::Rules::default()
    };
    let groups = [entries.to_vec()];
    let sealing = ::sops::Sealing {
        data_key,
        groups: &groups,
        shamir_threshold: 0,
        lastmodified,
    };
    Ok(::sops::encrypt(
        file,
        &plain,
        ::sops::Format::Yaml,
        ::sops::Format::Yaml,
        &rules,
        &sealing,
    )?)
}
