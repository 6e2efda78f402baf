//! `render --encrypt sops`: every rendered Secret as a SOPS-encrypted Secret manifest, for a
//! cluster that decrypts it (Flux's kustomize-controller), to the age recipients given or
//! those of the `.sops.yaml` creation rule that matches the file's path.
//!
//! In: the run's Secrets, the recipients (`--age`) or none, the directory the files' paths
//! are relative to. Out: the encrypted documents (stdout), or the keys the output directory
//! writes with ([`SopsTargets`] as [`SopsKeys`]). Refused: a file with no recipient, a rule
//! with no age recipient (the key types written here are age's).

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::{Progress, Session, refuse_empty, render};
use crate::error::{Error, Result};
use crate::review::output::{SopsKeys, relative_path};

/// Where each file is encrypted to.
pub struct SopsTargets<'a> {
    /// `--age`: every file to these recipients, whatever `.sops.yaml` says.
    pub age: Vec<String>,
    /// The directory the files' paths are relative to: the output directory, or the working
    /// directory for stdout. `.sops.yaml` is found by walking up from the file's path.
    pub dir: PathBuf,
    /// What opens a file written before (an unhashed Secret's digest is keyed by its data key).
    pub keys: &'a dyn crate::sops::DataKeys,
}

impl SopsKeys for SopsTargets<'_> {
    fn recipients(&self, rel: &Path) -> Result<Vec<String>> {
        if !self.age.is_empty() {
            return Ok(self.age.clone());
        }
        let target = self.dir.join(rel);
        let Some(config) = super::sops::find_config(&target) else {
            return Err(Error::Usage(format!(
                "{}: no recipient: pass --age RECIPIENT, or put a .sops.yaml with a creation rule for it in its directory or above",
                target.display()
            )));
        };
        match super::sops::rule_for(&config, &target)? {
            Some(rule) if !rule.age.is_empty() => Ok(rule.age),
            Some(_) => Err(Error::Usage(format!(
                "{}: the creation rule for {} has no `age` recipient; render --encrypt sops writes age recipients only (pass --age RECIPIENT)",
                config.display(),
                target.display()
            ))),
            None => Err(Error::Usage(format!(
                "{}: no creation rule matches {}, and no --age was given",
                config.display(),
                target.display()
            ))),
        }
    }

    fn wrap(&self, data_key: &[u8], recipients: &[String]) -> Result<Vec<crate::sops::KeyEntry>> {
        super::sops::age_entries(data_key, recipients)
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
        let recipients = targets.recipients(&rel)?;
        let data_key = super::sops::new_data_key();
        let entries = targets.wrap(&data_key, &recipients)?;
        let doc: Zeroizing<Vec<u8>> =
            crate::secret::sops_file::encrypt(&rel, s, "", &data_key, &entries, &lastmodified)?;
        text.extend_from_slice(&doc);
    }
    Ok(text)
}
