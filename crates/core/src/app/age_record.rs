//! What each age file is encrypted to, recorded when secretgen writes it, so that `check
//! --recipients` can compare it with the nearest `.age-recipients` without any key.
//!
//! An X25519 or post-quantum stanza carries only an ephemeral share: the recipient cannot be
//! read back from the file. So every age-writing command adds, in the same all-or-nothing
//! write, a line to `.age-recipients.lock` beside the `.age-recipients` that governs the
//! file: the file's path relative to that directory, the SHA-256 of its age header (up to
//! and including the header MAC: the record holds for that very ciphertext and no other),
//! and the fingerprints of its recipients. SSH stanzas name their key's tag and are compared
//! without a record.

use std::collections::{BTreeMap, BTreeSet};
use std::io::BufRead;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::gate::read::{self, Origin};
use crate::gate::write::{Batch, Replace};

/// The recipients file the age commands read when no -R is given.
pub const RECIPIENTS_NAME: &str = ".age-recipients";
/// The record beside it.
pub const RECORD_NAME: &str = ".age-recipients.lock";

const RECORD_HEAD: &str = "# What each age file under this directory is encrypted to: the SHA-256 of its age header,\n# its recipients' fingerprints, its path. Written by secretgen; read by `secretgen check --recipients`.\n";

fn usage(msg: String) -> Error {
    Error::Usage(msg)
}

/// `file` with its directory resolved (symlinks, `..`) when that directory exists, else
/// made absolute: the form both the record and the check name a file by.
fn located(file: &Path) -> Option<PathBuf> {
    let abs = std::path::absolute(file).ok()?;
    let name = abs.file_name()?.to_owned();
    let dir = abs.parent()?;
    Some(match crate::gate::resolve::real_dir(dir) {
        Ok(d) => d.join(name),
        Err(_) => abs,
    })
}

/// The nearest `.age-recipients` in the directory of `file` or above it.
pub fn nearest_recipients(file: &Path) -> Option<PathBuf> {
    let at = located(file)?;
    at.parent()?
        .ancestors()
        .map(|d| d.join(RECIPIENTS_NAME))
        .find(|f| f.is_file())
}

/// The recipients of a recipients file's text: one per line, blank lines and `#` comments
/// skipped (as Go age reads `-R` files), each with its 1-based line number.
pub fn recipient_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
}

/// A recipient's fingerprint in the record: SHA-256 of its text, 16 hex digits (a
/// post-quantum recipient is some 2,000 characters).
fn fingerprint(recipient: &str) -> String {
    hex(&Sha256::digest(recipient.trim().as_bytes())[..8])
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of an age file's header (armor removed), from its version line to its MAC line
/// included; `None` when the bytes are not an age file.
fn header_digest(ciphertext: &[u8]) -> Option<String> {
    let mut reader = std::io::BufReader::new(::age::armor::ArmoredReader::new(ciphertext));
    let mut hash = Sha256::new();
    let mut line = Vec::new();
    let mut first = true;
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line).ok()?;
        if n == 0 || line.len() > 8192 {
            return None;
        }
        if first && line != b"age-encryption.org/v1\n" {
            return None;
        }
        first = false;
        hash.update(&line);
        if line.starts_with(b"---") {
            return Some(format!("sha256:{}", hex(&hash.finalize())));
        }
    }
}

/// One line of a record.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    header: String,
    recipients: BTreeSet<String>,
}

/// A record file read: path (relative to its directory) → entry. A missing file is empty.
fn read_record(record: &Path) -> Result<BTreeMap<String, Entry>, Error> {
    let mut out = BTreeMap::new();
    if !record.exists() {
        return Ok(out);
    }
    let bytes = read::file(record, Origin::Input, read::DEFAULT_MAX_INPUT_BYTES)?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| usage(format!("`{}`: not UTF-8 text", record.display())))?;
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.splitn(3, ' ');
        let (Some(header), Some(fps), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(usage(format!(
                "{}:{}: not a record line (`sha256:HEADER FINGERPRINT,… PATH`); re-encrypt the files with secretgen to write it again",
                record.display(),
                n + 1
            )));
        };
        out.insert(
            path.to_string(),
            Entry {
                header: header.to_string(),
                recipients: fps.split(',').map(str::to_string).collect(),
            },
        );
    }
    Ok(out)
}

fn emit_record(entries: &BTreeMap<String, Entry>) -> String {
    let mut out = String::from(RECORD_HEAD);
    for (path, e) in entries {
        let fps: Vec<&str> = e.recipients.iter().map(String::as_str).collect();
        out.push_str(&format!("{} {} {path}\n", e.header, fps.join(",")));
    }
    out
}

/// Where `file`'s record goes: the record beside its nearest `.age-recipients`, and the
/// file's path relative to that directory (`/`-separated).
fn record_slot(file: &Path) -> Option<(PathBuf, String)> {
    let recipients = nearest_recipients(file)?;
    let dir = recipients.parent()?;
    let rel = located(file)?.strip_prefix(dir).ok()?.to_path_buf();
    let rel: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    Some((dir.join(RECORD_NAME), rel.join("/")))
}

/// Adds to `batch`, to be written with the files themselves, the records saying that each
/// of `written` (a path and the ciphertext about to be written there) is encrypted to
/// `recipients` (their text forms). A file with no `.age-recipients` above it has nothing to
/// be compared with and is not recorded. The one place every age-writing command records.
pub fn record(
    batch: &mut Batch,
    written: &[(&Path, &[u8])],
    recipients: &[String],
) -> Result<(), Error> {
    let fps: BTreeSet<String> = recipients.iter().map(|r| fingerprint(r)).collect();
    let mut records: BTreeMap<PathBuf, BTreeMap<String, Entry>> = BTreeMap::new();
    for (file, ct) in written {
        let Some((record, rel)) = record_slot(file) else {
            continue;
        };
        let Some(header) = header_digest(ct) else {
            continue;
        };
        if !records.contains_key(&record) {
            let old = read_record(&record)?;
            records.insert(record.clone(), old);
        }
        if let Some(entries) = records.get_mut(&record) {
            entries.insert(
                rel,
                Entry {
                    header,
                    recipients: fps.clone(),
                },
            );
        }
    }
    for (record, entries) in records {
        batch.add(
            record,
            emit_record(&entries).as_bytes(),
            0o644,
            Replace::Yes,
        );
    }
    Ok(())
}

/// How an age file's recipients compare with its `.age-recipients`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AgeCheck {
    /// No `.age-recipients` above it: nothing to compare with.
    NotCompared,
    /// Encrypted to exactly the recipients of `.age-recipients`.
    Follows,
    /// Encrypted to other recipients: how many of `.age-recipients` it lacks, how many it
    /// has that the file no longer lists.
    Differs {
        recipients: PathBuf,
        missing: usize,
        extra: usize,
    },
    /// Cannot tell without a key: no record of this ciphertext (written by another tool,
    /// or before records), and stanzas that do not name their recipient.
    Unknown { recipients: PathBuf, stale: bool },
}

/// `file`'s recipients (its bytes `ciphertext`) against the nearest `.age-recipients`:
/// from the record of this very header, else from SSH stanzas' key tags when every stanza
/// and every listed recipient is SSH. Reads no key.
pub fn check_age_file(file: &Path, ciphertext: &[u8]) -> Result<AgeCheck, Error> {
    let Some(recipients_file) = nearest_recipients(file) else {
        return Ok(AgeCheck::NotCompared);
    };
    let text = read::file(
        &recipients_file,
        Origin::Input,
        read::DEFAULT_MAX_INPUT_BYTES,
    )?;
    let text = String::from_utf8_lossy(&text);
    let listed: Vec<&str> = recipient_lines(&text).map(|(_, l)| l).collect();
    let expected: BTreeSet<String> = listed.iter().map(|r| fingerprint(r)).collect();
    let differs = |have: &BTreeSet<String>, want: &BTreeSet<String>| {
        if have == want {
            AgeCheck::Follows
        } else {
            AgeCheck::Differs {
                recipients: recipients_file.clone(),
                missing: want.difference(have).count(),
                extra: have.difference(want).count(),
            }
        }
    };
    let header = header_digest(ciphertext);
    let mut stale = false;
    if let (Some((record, rel)), Some(header)) = (record_slot(file), &header)
        && let Some(entry) = read_record(&record)?.remove(&rel)
    {
        if entry.header == *header {
            return Ok(differs(&entry.recipients, &expected));
        }
        stale = true;
    }
    // SSH stanzas carry the key's tag: comparable without a record.
    let stanzas = crate::age::stanzas(ciphertext).unwrap_or_default();
    let stanzas: Vec<_> = stanzas
        .iter()
        .filter(|(k, _)| !k.ends_with("-grease"))
        .collect();
    let want_tags: Option<BTreeSet<String>> = listed.iter().map(|r| ssh_tag(r)).collect();
    let have_tags: Option<BTreeSet<String>> = stanzas
        .iter()
        .map(|(k, tag)| tag.clone().filter(|_| k.starts_with("ssh-")))
        .collect();
    if let (Some(want), Some(have)) = (want_tags, have_tags)
        && !stanzas.is_empty()
    {
        return Ok(differs(&have, &want));
    }
    Ok(AgeCheck::Unknown {
        recipients: recipients_file,
        stale,
    })
}

/// An SSH recipient's key tag as age writes it in the stanza: the first 4 bytes of the
/// SHA-256 of the key's wire bytes, base64 without padding; `None` for any other recipient.
fn ssh_tag(recipient: &str) -> Option<String> {
    let mut words = recipient.split_whitespace();
    let kind = words.next()?;
    if kind != "ssh-ed25519" && kind != "ssh-rsa" {
        return None;
    }
    let wire = base64::engine::general_purpose::STANDARD
        .decode(words.next()?)
        .ok()?;
    Some(base64::engine::general_purpose::STANDARD_NO_PAD.encode(&Sha256::digest(&wire)[..4]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_reads_back_as_written() {
        let mut entries = BTreeMap::new();
        entries.insert(
            "dir/a file.age".to_string(),
            Entry {
                header: "sha256:00ff".into(),
                recipients: ["b".to_string(), "a".to_string()].into(),
            },
        );
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(RECORD_NAME);
        crate::gate::write::one(&p, emit_record(&entries).as_bytes(), 0o644, Replace::Yes).unwrap();
        assert_eq!(read_record(&p).unwrap(), entries);
        crate::gate::write::one(&p, b"garbage\n", 0o644, Replace::Yes).unwrap();
        let e = read_record(&p).unwrap_err().to_string();
        assert!(e.contains(":1: not a record line"), "{e}");
    }

    #[test]
    fn the_header_digest_covers_the_header_only() {
        let r = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";
        let ct =
            crate::age::encrypt(b"x", &[crate::age::parse_recipient(r).unwrap()], false).unwrap();
        let armored =
            crate::age::encrypt(b"x", &[crate::age::parse_recipient(r).unwrap()], true).unwrap();
        assert!(header_digest(&ct).is_some());
        assert!(header_digest(&armored).is_some());
        assert_ne!(header_digest(&ct), header_digest(&armored), "fresh keys");
        assert_eq!(header_digest(b"not age"), None);
    }
}
