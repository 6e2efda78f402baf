//! Running inside kustomize and kpt: the exec plugin and the KRM function (each runs a KSOPS
//! config as KSOPS does), the same two under KSOPS' own name, and `migrate ksops`.
//!
//! In: the session, and a config path or a ResourceList. Out: what the plugin prints on
//! stdout, and for a KRM function the error its `results` hold (for the caller to print on
//! stderr too: kustomize shows stderr and drops `results`).

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::error::{Error, Result};

use super::{Said, Session};

/// What a KRM function prints, and the error the list reports, if any.
pub struct Answer {
    pub stdout: Zeroizing<Vec<u8>>,
    pub error: Option<Error>,
}

/// The exec plugin, `SecretGenerator CONFIG` or `plugin exec CONFIG`: the Secrets of the
/// generator config at `config`, file paths from the session's plugin root; a KSOPS config
/// runs as KSOPS runs it (paths from the working directory).
pub fn exec(session: &Session, config: &Path) -> Result<Zeroizing<Vec<u8>>> {
    // Read once: the text says whether this is a KSOPS config, then is rendered as one or
    // the other (kustomize starts the plugin once per generator).
    let text = crate::kustomize::manifest::read_text(config)?;
    if crate::ksops::text_is_ksops(&text) {
        return crate::ksops::exec_text(config, &text, Path::new("."), &session.keys);
    }
    let (yaml, warnings) = crate::plugin::exec(
        config,
        &text,
        &session.plugin_root,
        &session.settings,
        &session.keys,
    )?;
    session.say(Said::Warnings(&warnings));
    Ok(yaml)
}

/// The KRM function over the ResourceList `input` (a KSOPS one runs as KSOPS).
pub fn function(session: &Session, input: &str) -> Answer {
    if crate::ksops::list_is_ksops(input) {
        return ksops_function(session, input);
    }
    let (out, error, warnings) =
        crate::plugin::function(input, Path::new("."), &session.settings, &session.keys);
    session.say(Said::Warnings(&warnings));
    Answer {
        stdout: Zeroizing::new(out),
        error,
    }
}

/// Under KSOPS' name, its exec plugin (`ksops CONFIG`): KSOPS' stdout, paths from the
/// working directory (kustomize runs plugins in the kustomization's directory).
pub fn ksops_exec(session: &Session, config: &Path) -> Result<Zeroizing<Vec<u8>>> {
    crate::ksops::exec(config, Path::new("."), &session.keys)
}

/// Under KSOPS' name, its KRM function: the ResourceList read from stdin.
pub fn ksops_function(session: &Session, input: &str) -> Answer {
    let (stdout, error) = crate::ksops::function(input, Path::new("."), &session.keys);
    Answer { stdout, error }
}

/// What `migrate ksops` did or would do.
#[derive(Debug, Default)]
pub struct Migrated {
    /// Without `write`: each new file, after a `# PATH` line (the dry run's output).
    pub files: String,
    /// Per Secret, what becomes of it; with `write`, the files written and how to build.
    pub report: String,
}

/// `secretgen migrate ksops PATH…`: the KSOPS configs of the kustomizations' generators as
/// secretgen generators where they can be; with `write`, every rewritten file replaced in
/// place, all or none.
pub fn migrate_ksops(session: &Session, paths: &[PathBuf], write: bool) -> Result<Migrated> {
    use crate::ksops::migrate;
    let mut changes = Vec::new();
    // With `write`, a failure before the files are replaced says that none was.
    let untouched = |e: Error| {
        if write {
            Error::many(vec![
                e,
                Error::Usage("nothing was written: every generator file is as it was".into()),
            ])
        } else {
            e
        }
    };
    for (file, root) in migrate::generator_files(paths).map_err(untouched)? {
        if let Some(change) =
            migrate::migrate_file(&file, &root, &session.keys).map_err(untouched)?
        {
            changes.push(change);
        }
    }
    let mut m = Migrated::default();
    for c in &changes {
        for s in &c.secrets {
            m.report.push_str(&format!("{s}\n"));
        }
        if c.kept_files > 0 {
            m.report.push_str(&format!(
                "{}: {} `files:` manifest(s) stay SOPS files in a KSOPS config, which secretgen runs as KSOPS\n",
                c.path.display(),
                c.kept_files
            ));
        }
        if !write {
            m.files
                .push_str(&format!("# {}\n{}", c.path.display(), c.new_text));
        }
    }
    if changes.is_empty() {
        m.report
            .push_str("no KSOPS config found in the kustomizations' generators\n");
    }
    if write {
        // Every rewritten file, each confined to its kustomization's root, goes in place
        // together or not at all, keeping its mode.
        let mut batch = crate::gate::write::Batch::new();
        for c in &changes {
            let path = crate::gate::write::Confined::new(&c.root).resolve_existing(&c.path)?;
            let mode = crate::gate::write::mode_of(&path)
                .map_err(|e| Error::io(&c.path, "cannot read the mode of", e))?;
            batch.add(
                path,
                c.new_text.as_bytes(),
                mode,
                crate::gate::write::Replace::Yes,
            );
        }
        batch.commit()?;
        for c in &changes {
            m.report.push_str(&format!("wrote {}\n", c.path.display()));
        }
        m.report.push_str("build with: kustomize build --enable-alpha-plugins --enable-exec (secretgen installed by `secretgen plugin install --ksops`)\n");
    }
    Ok(m)
}
