//! A `pgp` entry, unwrapped as sops does by default: the armored `enc` on the stdin of the
//! user's `gpg -d` (or the binary `SOPS_GPG_EXEC` names), so the agent, smartcards and
//! `GNUPGHOME` work; its stdout is the data key. Wrapped as sops' `encryptWithGnuPG` does:
//! the data key on the stdin of `gpg --no-default-recipient --yes --encrypt -a -r FP
//! --trusted-key SHORT --no-encrypt-to`, its stdout the armored `enc`. Run through the
//! process runner, under its timeout; gpg's own messages are not shown (they name keys,
//! never the data key).

use std::io::Write;

use zeroize::Zeroizing;

use super::KeyFailure;
use crate::gate::process::{self, Spec, Stderr};

/// The variable sops reads for another gpg binary.
pub const GPG_EXEC_VAR: &str = "SOPS_GPG_EXEC";

/// The gpg sops runs (`SOPS_GPG_EXEC`, else `gpg` on PATH; it reads `GNUPGHOME` itself),
/// and how messages name it.
fn program() -> (std::ffi::OsString, String) {
    let program = std::env::var_os(GPG_EXEC_VAR)
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "gpg".into());
    let what = format!("`{}`", program.to_string_lossy());
    (program, what)
}

/// gpg run with `args` (named `doing` in messages), `input` on its stdin: its stdout, of at
/// most 64 KiB (a data key is 32 bytes, an armored message for one well under that). No
/// gpg here is a missing key, not a failure.
fn gpg(args: &[&str], doing: &str, input: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyFailure> {
    let (program, what) = program();
    let spec = Spec::new(what.clone(), &program)
        .args(args.iter().copied())
        .stderr(Stderr::Null);
    let mut gpg = match process::converse(spec) {
        Ok(c) => c,
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
    if let Err(e) = gpg.write_all(input).and_then(|()| gpg.flush()) {
        let f = io_failure(&gpg, e);
        gpg.finish();
        return Err(f);
    }
    gpg.close_input();
    let read = crate::gate::read::all(&mut gpg, 64 << 10);
    let out = match read {
        Ok(out) => out,
        Err(e) => {
            let f = match e {
                crate::gate::read::ReadFailure::Io(e) => io_failure(&gpg, e),
                other => KeyFailure::Failed(format!("{what} {doing}: {other}")),
            };
            gpg.finish();
            return Err(f);
        }
    };
    gpg.finish();
    Ok(out)
}

/// The data key in an armored PGP message, through gpg.
pub(crate) fn unwrap(enc: &str) -> Result<Zeroizing<Vec<u8>>, KeyFailure> {
    let key = gpg(&["-d"], "-d", enc.as_bytes())?;
    if key.is_empty() {
        // gpg prints nothing when it has no secret key for the message (or cannot use it).
        let (_, what) = program();
        return Err(KeyFailure::Missing(format!(
            "{what} -d gave no data key (no secret key for it in the keyring, or gpg failed)"
        )));
    }
    Ok(key)
}

/// The last 16 hex digits of a fingerprint (with a trailing `!` kept), as sops' `shortenFingerprint`
/// passes it to `--trusted-key`.
fn short_fingerprint(fp: &str) -> &str {
    let mut offset = fp.len().saturating_sub(16);
    if fp.ends_with('!') {
        offset = offset.saturating_sub(1);
    }
    fp.get(offset..).unwrap_or(fp)
}

/// `data_key` encrypted to the key `fp` through gpg, armored (the `enc` of a `pgp` entry),
/// with sops' arguments. A key gpg does not have (or will not use) fails naming the
/// fingerprint; gpg's messages are not shown.
pub(crate) fn wrap(fp: &str, data_key: &[u8]) -> Result<String, KeyFailure> {
    let args = [
        "--no-default-recipient",
        "--yes",
        "--encrypt",
        "-a",
        "-r",
        fp,
        "--trusted-key",
        short_fingerprint(fp),
        "--no-encrypt-to",
    ];
    let out = gpg(&args, "--encrypt", data_key)?;
    let (_, what) = program();
    let text = String::from_utf8(out.to_vec()).unwrap_or_default();
    let text = text.trim();
    if !(text.starts_with("-----BEGIN PGP MESSAGE-----")
        && text.ends_with("-----END PGP MESSAGE-----"))
    {
        // gpg prints nothing when it has no usable public key for the fingerprint.
        return Err(KeyFailure::Failed(format!(
            "{what} --encrypt -r {fp} gave no PGP message (no public key for it in the keyring, GNUPGHOME, or gpg failed)"
        )));
    }
    Ok(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::short_fingerprint;

    #[test]
    fn trusted_key_is_the_short_fingerprint_as_sops_cuts_it() {
        let fp = "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4";
        assert_eq!(short_fingerprint(fp), "3D16CEE4A27381B4");
        assert_eq!(
            short_fingerprint("FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4!"),
            "3D16CEE4A27381B4!"
        );
        assert_eq!(short_fingerprint("ABCD"), "ABCD");
    }
}
