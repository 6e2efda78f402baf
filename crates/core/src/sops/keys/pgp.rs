//! A `pgp` entry, unwrapped as sops does by default: the armored `enc` on the stdin of the
//! user's `gpg -d` (or the binary `SOPS_GPG_EXEC` names), so the agent, smartcards and
//! `GNUPGHOME` work; its stdout is the data key. Run through the process runner, under its
//! timeout; gpg's own messages are not shown (they name keys, never the data key).

use std::io::Write;

use zeroize::Zeroizing;

use super::KeyFailure;
use crate::gate::process::{self, Spec, Stderr};

/// The variable sops reads for another gpg binary.
pub const GPG_EXEC_VAR: &str = "SOPS_GPG_EXEC";

/// The data key in an armored PGP message, through gpg.
pub(crate) fn unwrap(enc: &str) -> Result<Zeroizing<Vec<u8>>, KeyFailure> {
    let program = std::env::var_os(GPG_EXEC_VAR)
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "gpg".into());
    let what = format!("`{}`", program.to_string_lossy());
    let spec = Spec::new(what.clone(), &program)
        .arg("-d")
        .stderr(Stderr::Null);
    let mut gpg = match process::converse(spec) {
        Ok(c) => c,
        // No gpg here: no key material for PGP entries.
        Err(e @ process::ProcessError::NotRun { .. }) => {
            return Err(KeyFailure::Missing(e.to_string()));
        }
        Err(e) => return Err(KeyFailure::Failed(e.to_string())),
    };
    let io_failure = |gpg: &process::Conversation, e: std::io::Error| {
        KeyFailure::Failed(
            gpg.failure()
                .map_or_else(|| format!("{what}: {e}"), ToString::to_string),
        )
    };
    if let Err(e) = gpg.write_all(enc.as_bytes()).and_then(|()| gpg.flush()) {
        let f = io_failure(&gpg, e);
        gpg.finish();
        return Err(f);
    }
    gpg.close_input();
    // A data key is 32 bytes: anything past 64 KiB is not one.
    let read = crate::gate::read::all(&mut gpg, 64 << 10);
    let key = match read {
        Ok(key) => key,
        Err(e) => {
            let f = match e {
                crate::gate::read::ReadFailure::Io(e) => io_failure(&gpg, e),
                other => KeyFailure::Failed(format!("{what} -d: {other}")),
            };
            gpg.finish();
            return Err(f);
        }
    };
    gpg.finish();
    if key.is_empty() {
        // gpg prints nothing when it has no secret key for the message (or cannot use it).
        return Err(KeyFailure::Missing(format!(
            "{what} -d gave no data key (no secret key for it in the keyring, or gpg failed)"
        )));
    }
    Ok(key)
}
