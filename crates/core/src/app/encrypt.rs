//! `render --encrypt sops`: every rendered Secret as a SOPS-encrypted Secret manifest, for a
//! cluster that decrypts it (Flux's kustomize-controller), to the master keys given (age
//! recipients, PGP fingerprints, AWS KMS ARNs) or those of the `.sops.yaml` creation rule
//! that matches the file's path.
//!
//! In: the run's Secrets, the keys given (`--age`, `--pgp`, `--kms`) or none, the directory
//! the files' paths are relative to. Out: the encrypted documents (stdout), or the keys the
//! output directory writes with ([`SopsTargets`] as [`SopsKeys`]). Refused: a file with no
//! master key, a rule with several key groups (a rendered file has one).

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::{Progress, Session, refuse_empty, render};
use crate::error::{Error, Result};
use crate::review::output::{SopsKeys, relative_path};
use crate::sops::KeyEntry;
use crate::sops::keys::keyservice::KeyServices;

/// Where each file is encrypted to (`--encrypt sops`), or where the key of a sealed file's
/// keyed digest is (`--seal`, a Secret without a hash suffix).
pub struct SopsTargets<'a> {
    /// `--age`, `--pgp`, `--kms` (each key named, as
    /// [`keys_named`](super::sops_keys::keys_named) names them): every file to these keys,
    /// whatever `.sops.yaml` says.
    pub given: Vec<KeyEntry>,
    /// The directory the files' paths are relative to: the output directory, or the working
    /// directory for stdout. `.sops.yaml` is found by walking up from the file's path.
    pub dir: PathBuf,
    /// What opens a file written before (an unhashed Secret's digest is keyed by its data key).
    pub keys: &'a dyn crate::sops::DataKeys,
    /// The key services that wrap key types secretgen has no client for (`--keyservice`).
    pub services: KeyServices,
}

impl SopsTargets<'_> {
    /// The keys of the file at `rel`: those given, else its `.sops.yaml` rule's (one key
    /// group). `Ok(Err(reason))` when nothing names any (no key given, no `.sops.yaml`, no
    /// rule for it); `Err` for a rule that names keys render cannot use.
    fn lookup(&self, rel: &Path) -> Result<std::result::Result<Vec<KeyEntry>, String>> {
        if !self.given.is_empty() {
            return Ok(Ok(self.given.clone()));
        }
        let target = self.dir.join(rel);
        let Some(config) = super::sops::find_config(&target) else {
            return Ok(Err(format!(
                "{}: no recipient: pass --age RECIPIENT (or --pgp FP, --kms ARN), or put a .sops.yaml with a creation rule for it in its directory or above",
                target.display()
            )));
        };
        match super::sops::rule_for(&config, &target)? {
            Some(rule) => match rule.key_groups.as_slice() {
                [one] if !one.is_empty() => Ok(Ok(one.clone())),
                [] | [_] => Err(Error::Usage(format!(
                    "{}: the creation rule for {} has no master key (age, pgp, kms, …)",
                    config.display(),
                    target.display()
                ))),
                groups => Err(Error::Usage(format!(
                    "{}: the creation rule for {} has {} key groups; render writes one key group (pass the keys with --age, --pgp, --kms)",
                    config.display(),
                    target.display(),
                    groups.len()
                ))),
            },
            None => Ok(Err(format!(
                "{}: no creation rule matches {}, and no --age, --pgp or --kms was given",
                config.display(),
                target.display()
            ))),
        }
    }
}

impl SopsKeys for SopsTargets<'_> {
    fn master_keys(&self, rel: &Path) -> Result<Vec<KeyEntry>> {
        self.lookup(rel)?.map_err(Error::Usage)
    }

    fn optional_keys(&self, rel: &Path) -> Result<Option<Vec<KeyEntry>>> {
        Ok(self.lookup(rel)?.ok())
    }

    fn wrap(&self, data_key: &[u8], keys: &[KeyEntry]) -> Result<Vec<KeyEntry>> {
        let groups = [keys.to_vec()];
        let mut wrapped =
            super::sops_keys::wrap_groups(data_key, &groups, 0, None, &self.services)?;
        Ok(wrapped.remove(0))
    }

    fn keys(&self) -> &dyn crate::sops::DataKeys {
        self.keys
    }
}

/// `render --encrypt sops` to stdout: every rendered Secret as a SOPS file of its own (one
/// data key each, as Flux decrypts one object at a time), `---` between them; each file's
/// recipients are those of its path under `-o` taken from the working directory.
pub fn render_encrypted(
    session: &Session,
    paths: &[PathBuf],
    progress: &dyn Progress,
    targets: &SopsTargets<'_>,
) -> Result<Vec<u8>> {
    let r = render(session, paths, progress)?;
    refuse_empty(&r.empty)?;
    let lastmodified = crate::sops::now_rfc3339();
    let mut text = Vec::new();
    for (i, s) in r.out.secrets.iter().enumerate() {
        if i > 0 {
            text.extend_from_slice(b"---\n");
        }
        let rel = relative_path(s)?;
        let master = targets.master_keys(&rel)?;
        let data_key = super::sops::new_data_key();
        let entries = targets.wrap(&data_key, &master)?;
        let doc: Zeroizing<Vec<u8>> =
            crate::secret::sops_file::encrypt(&rel, s, "", &data_key, &entries, &lastmodified)?;
        text.extend_from_slice(&doc);
    }
    Ok(text)
}
