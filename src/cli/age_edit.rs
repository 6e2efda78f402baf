//! `secretgen age edit FILE`: decrypt into a private temporary directory, run the user's
//! editor, re-encrypt to the recipients, replace the file atomically.
//!
//! The plaintext lives in a directory only the user can enter (0700), in a file only the user
//! can read (0600), and is removed whatever happens: the editor failing, Ctrl-C, SIGTERM or
//! SIGHUP (caught while the editor runs, so that secretgen outlives it and cleans up). The
//! recipients are read before the editor starts; unchanged content leaves the file untouched.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use secretgen::age;
use secretgen::app::age_record;
use secretgen::error::Error;
use secretgen::gate::read::{self, Origin, ReadFailure};
use secretgen::gate::{process, write};
use zeroize::Zeroizing;

fn usage(msg: impl std::fmt::Display) -> Error {
    Error::Usage(msg.to_string())
}

fn io_error(e: write::PrivateError) -> Error {
    Error::io(&e.path, e.action, e.source)
}

/// `$VISUAL`, else `$EDITOR`, else `vi`, split into words as a shell would not need to.
fn editor() -> Vec<String> {
    editor_from(&["VISUAL", "EDITOR"])
}

/// The first of these variables that is set, else `vi`, split into words.
pub(crate) fn editor_from(vars: &[&str]) -> Vec<String> {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    let cmd = vars
        .iter()
        .find_map(|v| var(v))
        .unwrap_or_else(|| "vi".into());
    cmd.split_whitespace().map(str::to_string).collect()
}

/// `age edit`: decrypts `file`, runs the editor on a private copy, and re-encrypts what it
/// left to the recipients (those of -R, else the nearest `.age-recipients`) if it changed.
pub(crate) fn edit(
    recipients_files: &[PathBuf],
    identity: Vec<PathBuf>,
    file: &Path,
) -> Result<ExitCode, Error> {
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        return Err(usage(format!(
            "`age edit` needs a terminal for the editor; to change `{}` in a script, decrypt and encrypt it (`secretgen age decrypt`, `secretgen age encrypt -R …`)",
            file.display()
        )));
    }
    // The file is replaced in place: a regular file only.
    let ct = read::file(file, Origin::Input, read::ANY_SIZE)?;
    if !age::looks_encrypted(&ct) {
        return Err(usage(format!("`{}` is not an age file", file.display())));
    }
    let files = recipient_files(recipients_files, file)?;
    let recipients = super::recipients::read_recipients(&[], &files)?;
    let keys = super::keyring(&identity);
    let plain = keys.decrypt_age(file, &ct).map_err(|e| Error::Age {
        loc: secretgen::error::Loc::file(file),
        source: Box::new(e),
    })?;
    let armor = age::armored(&ct);

    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().trim_end_matches(".age").to_string())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "plaintext".into());
    let edited = edit_private_copy("secretgen-edit-", &name, plain.expose(), file, editor())?;
    if edited.as_slice() == plain.expose() {
        eprintln!("`{}` unchanged", file.display());
        return Ok(ExitCode::SUCCESS);
    }
    let new = age::encrypt(&edited, &recipients.keys, armor).map_err(usage)?;
    let mut batch = write::Batch::new();
    batch.add(file.to_path_buf(), &new, 0o600, write::Replace::Yes);
    age_record::record(&mut batch, &[(file, &new)], &recipients.names)?;
    batch.commit()?;
    eprintln!(
        "`{}` re-encrypted to {} recipient{} ({})",
        file.display(),
        recipients.keys.len(),
        if recipients.keys.len() == 1 { "" } else { "s" },
        if armor { "armored" } else { "binary" }
    );
    Ok(ExitCode::SUCCESS)
}

/// The recipients files for `file`: those given with -R, else the nearest
/// `.age-recipients`; neither is a usage error.
fn recipient_files(recipients_files: &[PathBuf], file: &Path) -> Result<Vec<PathBuf>, Error> {
    if !recipients_files.is_empty() {
        return Ok(recipients_files.to_vec());
    }
    match age_record::nearest_recipients(file) {
        Some(f) => Ok(vec![f]),
        None => Err(usage(format!(
            "no recipients for `{}`: give -R FILE or put a `.age-recipients` file (one recipient per line) in its directory or above",
            file.display()
        ))),
    }
}

/// `plain` written as `name` in a private temporary directory (prefixed `prefix`), the
/// editor `words` run on it for `file`, and what it left there; the directory is removed
/// before this returns, whatever happened.
pub(crate) fn edit_private_copy(
    prefix: &str,
    name: &str,
    plain: &[u8],
    file: &Path,
    words: Vec<String>,
) -> Result<Zeroizing<Vec<u8>>, Error> {
    let dir = write::PrivateDir::new(prefix).map_err(io_error)?;
    let work = dir.write_new(name, plain).map_err(io_error)?;
    let edited = run_editor(&work, file, words);
    // The plaintext goes now, before anything else can fail.
    dir.remove();
    edited
}

/// Runs the user's editor on the plaintext copy `work` of `file` and gives what it left
/// there; an interruption or a failed editor is a usage error that says `file` is
/// unchanged.
pub(crate) fn run_editor(
    work: &Path,
    file: &Path,
    words: Vec<String>,
) -> Result<Zeroizing<Vec<u8>>, Error> {
    // Caught while the editor runs: the editor (same process group) gets Ctrl-C itself;
    // secretgen waits for it, then removes the plaintext.
    let stop = Arc::new(AtomicBool::new(false));
    let mut hooks = Vec::new();
    for sig in [
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
    ] {
        if let Ok(id) = signal_hook::flag::register(sig, stop.clone()) {
            hooks.push(id);
        }
    }
    // Interactive: the terminal is the editor's, Ctrl-C reaches it, and no timeout applies.
    let status = process::interactive(
        process::Spec::new(format!("the editor `{}`", words[0]), &words[0])
            .args(&words[1..])
            .arg(work),
    );
    for id in hooks {
        signal_hook::low_level::unregister(id);
    }
    match status {
        Ok(s) if s.success() && !stop.load(Ordering::SeqCst) => read_edited(work, file),
        Ok(s) if stop.load(Ordering::SeqCst) || s.code().is_none() => Err(usage(format!(
            "interrupted: `{}` is unchanged and the plaintext copy was removed",
            file.display()
        ))),
        Ok(s) => Err(usage(format!(
            "the editor `{}` failed ({s}): `{}` is unchanged and the plaintext copy was removed",
            words[0],
            file.display()
        ))),
        Err(e) => Err(usage(format!(
            "{e}; set $VISUAL or $EDITOR: `{}` is unchanged",
            file.display()
        ))),
    }
}

/// What the editor left where the plaintext was, through the gate's reader: a regular file
/// only. A symlink (which could point anywhere), a FIFO (reading it would block for ever), a
/// device or a directory is refused without being read, and `file` is left as it was.
fn read_edited(work: &Path, file: &Path) -> Result<Zeroizing<Vec<u8>>, Error> {
    let refused = |what: String| {
        usage(format!(
            "the editor left {what} where the plaintext copy was, not a regular file: nothing was changed, `{}` is unchanged and the plaintext copy was removed",
            file.display()
        ))
    };
    match std::fs::symlink_metadata(work) {
        Ok(m) if m.file_type().is_symlink() => return Err(refused("a symlink".into())),
        Err(e) => {
            return Err(usage(format!(
                "cannot read the edited copy ({}): nothing was changed, `{}` is unchanged",
                secretgen::error::io_reason(&e),
                file.display()
            )));
        }
        Ok(_) => {}
    }
    read::file(work, Origin::Input, read::ANY_SIZE).map_err(|e| match e.failure {
        ReadFailure::NotRegular(kind) => refused(kind.name().into()),
        failure => usage(format!(
            "the edited copy {failure}: nothing was changed, `{}` is unchanged and the plaintext copy was removed",
            file.display()
        )),
    })
}
