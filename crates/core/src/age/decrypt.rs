//! Decryption, in memory: the armor removed and checked, the header's stanzas checked
//! strictly, the identities tried (native ones before plugins), the payload read into a
//! zeroizing buffer, and every failure classified into a [`CryptError`] that names the file
//! and the kind of failure, never a secret.

use std::io::Read;
use std::path::Path;

use ::age::secrecy::SecretString;

use super::detect::{ARMOR_BEGIN, BINARY_MAGIC, is_armored, looks_encrypted};
use super::error::CryptError;
use super::keyring::{Keyring, Loaded, PluginSet};
use super::keys::{describe_stanzas, stanza_types};
use crate::secret::SecretBytes;

impl Keyring {
    /// Decrypts one age file (only age: [`crate::age::open::Decrypt::open`] opens an input that
    /// may be age or SOPS). `path` is only used in messages.
    pub fn decrypt_age(&self, path: &Path, ciphertext: &[u8]) -> Result<SecretBytes, CryptError> {
        self.decrypt_inner(path, ciphertext, "")
    }

    /// Decrypts one input meant for `recipient` (a SOPS `age` entry's recipient):
    /// `SOPS_AGE_KEY_CMD` runs with `SOPS_AGE_RECIPIENT` set to it, as sops runs it.
    pub fn decrypt_for_recipient(
        &self,
        path: &Path,
        ciphertext: &[u8],
        recipient: &str,
    ) -> Result<SecretBytes, CryptError> {
        self.decrypt_inner(path, ciphertext, recipient)
    }

    fn decrypt_inner(
        &self,
        path: &Path,
        ciphertext: &[u8],
        recipient: &str,
    ) -> Result<SecretBytes, CryptError> {
        let bytes = binary(path, ciphertext)?;
        let decryptor = open(path, &bytes)?;
        let loaded = self.load()?;
        let from_cmd = self.cmd_identities(recipient);
        let cmd = from_cmd.as_deref().and_then(|r| r.as_ref().ok());
        let mut searched = loaded.searched.clone();
        if let Some(Err(e)) = from_cmd.as_deref()
            && let Some(s) = searched.iter_mut().find(|s| *s == "SOPS_AGE_KEY_CMD")
        {
            *s = format!("SOPS_AGE_KEY_CMD ({})", e.reason());
        }
        let all: Vec<&Loaded> = std::iter::once(loaded).chain(cmd).collect();
        let natives = all.iter().flat_map(|l| l.identities.iter());
        let plugins: Vec<&PluginSet> = all.iter().flat_map(|l| l.plugins.iter()).collect();
        if all
            .iter()
            .all(|l| l.identities.is_empty() && l.plugins.is_empty())
        {
            return Err(CryptError::NoIdentity {
                file: path.to_path_buf(),
                searched,
            });
        }
        // A passphrase file opens only through a plugin (age-plugin-batchpass) here.
        if decryptor.is_scrypt() && plugins.is_empty() {
            return Err(CryptError::Passphrase {
                file: path.to_path_buf(),
            });
        }
        let identities = natives
            .map(|i| i.as_ref() as &dyn ::age::Identity)
            .chain(plugins.iter().map(|p| &p.identity as &dyn ::age::Identity));
        let reader = decryptor.decrypt(identities).map_err(|e| {
            if let Some(p) = plugins.iter().find(|p| p.terminal.lacked_terminal()) {
                return CryptError::PluginNeedsTerminal {
                    file: path.to_path_buf(),
                    plugin: format!("age-plugin-{}", p.name),
                };
            }
            // A plugin that failed: stopped by the runner (no answer in time, too much
            // output), not runnable, or reporting an error of its own.
            if let Some(reason) = plugins.iter().find_map(|p| p.identity.failure()) {
                return CryptError::Plugin {
                    file: path.to_path_buf(),
                    reason,
                };
            }
            let tried: Vec<String> = all.iter().flat_map(|l| l.tried()).collect();
            let places = all
                .iter()
                .map(|l| l.source.as_str())
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(", ");
            match e {
                ::age::DecryptError::NoMatchingKeys => CryptError::NoMatch {
                    file: path.to_path_buf(),
                    stanzas: describe_stanzas(&stanza_types(ciphertext)),
                    tried,
                    places,
                },
                ::age::DecryptError::Plugin(errors) => CryptError::Plugin {
                    file: path.to_path_buf(),
                    reason: errors
                        .iter()
                        .map(|e| e.to_string().trim().to_string())
                        .collect::<Vec<_>>()
                        .join("; "),
                },
                other => classify(path, ciphertext, other),
            }
        })?;
        read_payload(path, reader)
    }
}

impl crate::age::open::Decrypt for Keyring {
    /// An age file, or a SOPS file (whose data key is opened with these identities).
    fn is_encrypted(&self, bytes: &[u8]) -> bool {
        looks_encrypted(bytes) || crate::sops::is_sops(bytes).is_some()
    }

    fn open(
        &self,
        path: &Path,
        bytes: &[u8],
    ) -> Result<SecretBytes, crate::age::open::DecryptFailure> {
        if crate::sops::is_sops(bytes).is_some() {
            return self.open_sops(path, bytes);
        }
        self.decrypt_age(path, bytes)
            .map_err(|e| crate::age::open::DecryptFailure::Age(Box::new(e)))
    }

    fn open_sops(
        &self,
        path: &Path,
        bytes: &[u8],
    ) -> Result<SecretBytes, crate::age::open::DecryptFailure> {
        crate::sops::decrypt(path, bytes, self)
            .map_err(|e| crate::age::open::DecryptFailure::Sops(Box::new(e)))
    }
}

/// The library path for passphrase files (the CLI refuses them without a terminal).
pub fn decrypt_with_passphrase(
    path: &Path,
    ciphertext: &[u8],
    passphrase: &str,
) -> Result<SecretBytes, CryptError> {
    let bytes = binary(path, ciphertext)?;
    let decryptor = open(path, &bytes)?;
    let identity = ::age::scrypt::Identity::new(SecretString::from(passphrase.to_string()));
    let reader = decryptor
        .decrypt(std::iter::once(&identity as &dyn ::age::Identity))
        .map_err(|e| match e {
            // A wrong passphrase fails to unwrap the scrypt stanza.
            ::age::DecryptError::NoMatchingKeys | ::age::DecryptError::DecryptionFailed => {
                CryptError::NoMatch {
                    file: path.to_path_buf(),
                    stanzas: describe_stanzas(&stanza_types(ciphertext)),
                    tried: vec!["a passphrase".into()],
                    places: "the passphrase given".into(),
                }
            }
            other => classify(path, ciphertext, other),
        })?;
    read_payload(path, reader)
}

/// The binary age file: armor removed (and checked) first, so that armor damage is reported
/// as such, then the header's stanza structure checked strictly (the age crate still accepts
/// legacy stanzas without a final short body line; a build tool has no legacy to honour).
fn binary<'a>(path: &Path, ciphertext: &'a [u8]) -> Result<std::borrow::Cow<'a, [u8]>, CryptError> {
    let start = ciphertext
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(ciphertext.len());
    let bytes = if ciphertext.starts_with(BINARY_MAGIC) {
        std::borrow::Cow::Borrowed(ciphertext)
    } else if ciphertext[start..].starts_with(ARMOR_BEGIN) {
        let armored = ::age::armor::ArmoredReader::new(&ciphertext[start..]);
        let mut out =
            crate::gate::read::all(armored, crate::gate::read::ANY_SIZE).map_err(|f| {
                CryptError::Armor {
                    file: path.to_path_buf(),
                    reason: match f {
                        crate::gate::read::ReadFailure::Io(e) => e.to_string(),
                        other => other.to_string(),
                    },
                }
            })?;
        std::borrow::Cow::Owned(std::mem::take(&mut *out))
    } else if looks_encrypted(ciphertext) {
        return Err(CryptError::Armor {
            file: path.to_path_buf(),
            reason: "the armor does not start with `-----BEGIN AGE ENCRYPTED FILE-----`".into(),
        });
    } else {
        return Err(CryptError::Header {
            file: path.to_path_buf(),
            reason: "not an age file".into(),
        });
    };
    check_stanza_bodies(&bytes).map_err(|reason| CryptError::Header {
        file: path.to_path_buf(),
        reason: reason.into(),
    })?;
    Ok(bytes)
}

/// Whether an age file is one in structure, without any key: the armor (if any) and the
/// header parse up to its MAC line, and a payload follows (a nonce and one sealed chunk at
/// least). An age header line followed by plain text fails here. Decrypts nothing.
pub(crate) fn check_structure(path: &Path, ciphertext: &[u8]) -> Result<(), CryptError> {
    let bytes = binary(path, ciphertext)?;
    open(path, &bytes)?;
    let header_end = bytes.windows(4).position(|w| w == b"\n---").and_then(|at| {
        let rest = &bytes[at + 1..];
        rest.iter()
            .position(|&b| b == b'\n')
            .map(|nl| at + 1 + nl + 1)
    });
    // A 16-byte nonce, then at least one chunk with its 16-byte tag.
    const MIN_PAYLOAD: usize = 16 + 16;
    match header_end {
        Some(end) if bytes.len() - end >= MIN_PAYLOAD => Ok(()),
        _ => Err(CryptError::Payload {
            file: path.to_path_buf(),
        }),
    }
}

/// Every stanza's body ends with a line shorter than 64 columns (possibly empty).
fn check_stanza_bodies(bytes: &[u8]) -> Result<(), &'static str> {
    let mut lines = bytes.split(|&b| b == b'\n');
    lines.next();
    let mut in_body = false;
    for line in lines {
        if in_body {
            if line.starts_with(b"-> ") || line.starts_with(b"---") {
                return Err("a stanza lacks its final short body line");
            }
            if line.len() < 64 {
                in_body = false;
            }
            continue;
        }
        if line.starts_with(b"---") {
            return Ok(());
        }
        if line.starts_with(b"-> ") {
            in_body = true;
        }
    }
    Ok(())
}

fn open<'a>(path: &Path, binary: &'a [u8]) -> Result<::age::Decryptor<&'a [u8]>, CryptError> {
    ::age::Decryptor::new_buffered(binary).map_err(|e| classify(path, binary, e))
}

fn read_payload(path: &Path, reader: impl Read) -> Result<SecretBytes, CryptError> {
    // Through the gate's reader, which grows the buffer without leaving copies of the
    // plaintext behind; never more than the run's limit on one input.
    let mut plain = crate::gate::read::all(reader, crate::gate::read::ANY_SIZE).map_err(|f| {
        let crate::gate::read::ReadFailure::Io(e) = f else {
            return CryptError::Payload {
                file: path.to_path_buf(),
            };
        };
        if is_armored_error(&e) {
            CryptError::Armor {
                file: path.to_path_buf(),
                reason: e.to_string(),
            }
        } else {
            CryptError::Payload {
                file: path.to_path_buf(),
            }
        }
    })?;
    Ok(SecretBytes::new(std::mem::take(&mut *plain)))
}

fn is_armored_error(e: &std::io::Error) -> bool {
    e.get_ref()
        .is_some_and(|inner| inner.is::<::age::armor::ArmoredReadError>())
}

fn classify(path: &Path, ciphertext: &[u8], e: ::age::DecryptError) -> CryptError {
    let file = path.to_path_buf();
    match e {
        ::age::DecryptError::InvalidMac => CryptError::HeaderMac { file },
        ::age::DecryptError::DecryptionFailed => CryptError::Payload { file },
        ::age::DecryptError::Io(io) if is_armored_error(&io) || is_armored(ciphertext) => {
            CryptError::Armor {
                file,
                reason: io.to_string(),
            }
        }
        ::age::DecryptError::Io(io) => CryptError::Header {
            file,
            reason: io.to_string(),
        },
        ::age::DecryptError::UnknownFormat => CryptError::Header {
            file,
            reason: "unknown age format version".into(),
        },
        ::age::DecryptError::InvalidHeader => CryptError::Header {
            file,
            reason: "malformed header".into(),
        },
        other => CryptError::Header {
            file,
            reason: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::age::keyring::tests::keyring_with;
    use crate::age::{encrypt, keygen, parse_recipient};

    #[test]
    fn round_trip_and_errors_hold_no_secret() {
        let (id_text, recipient) = keygen();
        for armor in [true, false] {
            let r = parse_recipient(&recipient).unwrap();
            let ct = encrypt(b"CANARY-plain", &[r], armor).unwrap();
            let plain = keyring_with(&id_text)
                .decrypt_age(Path::new("x.age"), &ct)
                .unwrap();
            assert_eq!(plain.expose(), b"CANARY-plain");
            let other = keygen().0;
            let e = keyring_with(&other)
                .decrypt_age(Path::new("x.age"), &ct)
                .unwrap_err();
            let msg = e.to_string();
            assert!(
                msg.contains("no identity matches: the file is encrypted to X25519 ×1"),
                "{msg}"
            );
            assert!(
                !msg.contains("CANARY") && !msg.contains("AGE-SECRET-KEY"),
                "{msg}"
            );
        }
    }

    #[test]
    fn tampering_is_detected() {
        let (id, recipient) = keygen();
        let mut ct = encrypt(
            b"0123456789",
            &[parse_recipient(&recipient).unwrap()],
            false,
        )
        .unwrap();
        let last = ct.len() - 1;
        ct[last] ^= 1;
        let e = keyring_with(&id)
            .decrypt_age(Path::new("t.age"), &ct)
            .unwrap_err();
        assert_eq!(
            e,
            CryptError::Payload {
                file: PathBuf::from("t.age")
            }
        );
        ct.truncate(ct.len() - 5);
        assert!(
            keyring_with(&id)
                .decrypt_age(Path::new("t.age"), &ct)
                .is_err()
        );
    }
}
