//! The plaintext gate (`secretgen check --require-encrypted`): no secret in the repository
//! in clear.
//!
//! In: the units found under the paths. Out: one [`Plaintext`] finding per generator input
//! that is neither age- nor SOPS-encrypted, per literal that holds a value, and per plain
//! Secret manifest with values, except the files an allow-list names. What looks encrypted
//! is checked in structure (`sops::check_structure`, `age::check_structure`): a `sops`
//! block or an age header over values in clear is plaintext, named by its key path. Reads
//! no identity and decrypts nothing; a finding names the file and line, never a value.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::age;
use crate::error::{Error, Loc, Result};
use crate::kustomize::manifest::{Located, Unit};
use crate::kustomize::source;

/// An input that holds a secret in clear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plaintext {
    /// Where it is named (the generator entry, the literal, the Secret manifest).
    pub(crate) loc: Loc,
    pub(crate) message: String,
}

impl fmt::Display for Plaintext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.loc, self.message)
    }
}

/// Files meant to be plain (a CA certificate, say): gitignore-style globs (`**/ca.crt`,
/// `certs/*.pem`) matched against the path as the generator names it, from the directory
/// secretgen runs in.
pub struct AllowList {
    set: globset::GlobSet,
}

impl AllowList {
    pub fn new(patterns: &[String]) -> Result<AllowList> {
        let mut b = globset::GlobSetBuilder::new();
        for p in patterns {
            let glob = globset::GlobBuilder::new(p.trim_start_matches("./"))
                .literal_separator(true)
                .build()
                .map_err(|e| crate::review::Error::AllowPattern {
                    pattern: p.clone(),
                    reason: e.kind().to_string(),
                })?;
            b.add(glob);
        }
        let set = b
            .build()
            .map_err(|e| crate::review::Error::AllowList(e.to_string()))?;
        Ok(AllowList { set })
    }

    fn allows(&self, path: &Path) -> bool {
        let shown = path.strip_prefix(".").unwrap_or(path);
        self.set.is_match(shown)
    }
}

/// The largest input read to tell whether it is encrypted; a SOPS file's metadata may sit at
/// its end, so the whole file is read.
const MAX_INPUT: u64 = 64 * 1024 * 1024;

/// Whether `bytes` are an age file or a SOPS file (YAML, JSON, dotenv, INI or binary).
pub(crate) fn is_encrypted(bytes: &[u8]) -> bool {
    age::is_encrypted(bytes) || crate::sops::is_sops(bytes).is_some()
}

/// What an input that looks encrypted holds in clear, checked in structure without any key:
/// `None` when it is neither age nor SOPS; otherwise one line per fault (the key path and
/// the rule broken, never a value), empty when it is encrypted as it says.
fn encryption_faults(file: &Path, bytes: &[u8]) -> Option<Vec<String>> {
    if !is_encrypted(bytes) {
        return None;
    }
    if age::is_encrypted(bytes) {
        return Some(match age::check_structure(file, bytes) {
            Ok(()) => Vec::new(),
            Err(age::CryptError::Payload { .. }) => {
                vec!["no encrypted payload follows its age header".into()]
            }
            Err(age::CryptError::Header { reason, .. } | age::CryptError::Armor { reason, .. }) => {
                vec![format!("its age header does not parse ({reason})")]
            }
            Err(_) => vec!["its age header does not parse".into()],
        });
    }
    let faults = crate::sops::check_structure(file, bytes)?;
    let more = faults.len().saturating_sub(MAX_FAULTS_PER_FILE);
    let mut lines: Vec<String> = faults
        .into_iter()
        .take(MAX_FAULTS_PER_FILE)
        .map(|f| match f.path.as_str() {
            "" => format!("it carries SOPS metadata, but the file {}", f.reason),
            at => format!(
                "it carries SOPS metadata, but `{}` {}",
                crate::yaml::printable(at),
                f.reason
            ),
        })
        .collect();
    if more > 0 {
        lines.push(format!(
            "it carries SOPS metadata, but {more} more values are not encrypted as its rules say"
        ));
    }
    Some(lines)
}

/// The faults of one file reported one by one; the rest are counted.
const MAX_FAULTS_PER_FILE: usize = 20;

/// Every plaintext input of `units`.
pub fn plaintext_inputs(units: &[Unit], allow: &AllowList) -> Result<Vec<Plaintext>> {
    let mut found = Vec::new();
    for unit in units {
        for g in &unit.generators {
            let at = |l: &Located| Loc::at(&g.file, l.mark);
            for lit in &g.literals {
                let value_len = source::parse_literal(&lit.value).map_or(0, |(_, v)| v.len());
                if value_len > 0 && !allow.allows(&g.file) {
                    let key = source::parse_literal(&lit.value).map_or("", |(k, _)| k);
                    found.push(Plaintext {
                        loc: at(lit),
                        message: format!(
                            "generator `{}`: literal `{}` holds its value in clear; move it to a file and encrypt it (`secretgen age encrypt`)",
                            g.name.value,
                            crate::yaml::printable(key)
                        ),
                    });
                }
            }
            let files = g.files.iter().filter_map(|f| {
                let path = source::parse_file_source(&f.value).ok()?.1;
                Some((f, path, "files"))
            });
            let envs = g.envs.iter().map(|e| (e, e.value.as_str(), "envs"));
            for (entry, path, field) in files.chain(envs) {
                let path = g.root.join(path);
                for file in regular_files(&path, &at(entry))? {
                    if allow.allows(&file) {
                        continue;
                    }
                    if let Some(faults) = encryption_faults(&file, &read(&file, &at(entry))?) {
                        found.extend(faults.into_iter().map(|fault| Plaintext {
                            loc: at(entry),
                            message: format!(
                                "generator `{}`: {field} input `{}` looks encrypted but is not: {fault}; encrypt it again (`sops edit` keeps what is encrypted, `secretgen age encrypt`)",
                                g.name.value,
                                file.display()
                            ),
                        }));
                        continue;
                    }
                    found.push(Plaintext {
                        loc: at(entry),
                        message: format!(
                            "generator `{}`: {field} input `{}` is not encrypted (age or SOPS); encrypt it, or list it with --allow-plaintext if it is meant to be plain",
                            g.name.value,
                            file.display()
                        ),
                    });
                }
            }
        }
        for (file, doc) in &unit.plain_secrets {
            let has_values = ["data", "stringData"].iter().any(|f| {
                doc.get(f)
                    .and_then(|d| d.as_map())
                    .is_some_and(|m| !m.is_empty())
            });
            if !has_values || allow.allows(file) {
                continue;
            }
            // A SOPS-encrypted manifest (as Flux and KSOPS keep them) carries `sops`: checked
            // in structure, since a `sops` block alone encrypts nothing.
            let loc = Loc::at(file, doc.mark);
            let faults = match doc.get("sops") {
                Some(_) => encryption_faults(file, &read(file, &loc)?),
                None => None,
            };
            if let Some(faults) = faults {
                found.extend(faults.into_iter().map(|fault| Plaintext {
                    loc: loc.clone(),
                    message: format!(
                        "a Secret manifest that looks encrypted but is not: {fault}; encrypt it again (`sops edit` keeps what is encrypted)"
                    ),
                }));
            } else {
                found.push(Plaintext {
                    loc: Loc::at(file, doc.mark),
                    message: "a Secret manifest holds its values in clear; encrypt it with SOPS, or generate it from encrypted files".into(),
                });
            }
        }
    }
    found.sort_by(|a, b| {
        (&a.loc.file, a.loc.mark.map(|m| (m.line, m.col)), &a.message).cmp(&(
            &b.loc.file,
            b.loc.mark.map(|m| (m.line, m.col)),
            &b.message,
        ))
    });
    found.dedup();
    Ok(found)
}

/// `path` itself, or the regular files directly in it when it is a directory (a
/// secretgen.dev/v1 `files` entry may name one).
fn regular_files(path: &Path, loc: &Loc) -> Result<Vec<PathBuf>> {
    let meta = std::fs::metadata(path)
        .map_err(|e| unreadable(path, loc, crate::gate::read::ReadFailure::Io(e)))?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let names =
        crate::gate::read::dir_files(path).map_err(|e| Error::io(path, "cannot list", e))?;
    Ok(names.into_iter().map(|name| path.join(name)).collect())
}

/// `path`, named by the entry at `loc`, cannot be read: the path held as a path.
fn unreadable(path: &Path, loc: &Loc, failure: crate::gate::read::ReadFailure) -> Error {
    crate::kustomize::error::Error::Unreadable {
        loc: loc.clone(),
        file: path.to_path_buf(),
        failure,
    }
    .into()
}

/// The whole of a regular file, bounded.
fn read(path: &Path, loc: &Loc) -> Result<zeroize::Zeroizing<Vec<u8>>> {
    use crate::gate::read::{self, Origin, ReadFailure};
    read::file(path, Origin::Input, MAX_INPUT).map_err(|e| match e.failure {
        failure @ ReadFailure::NotRegular(_) => unreadable(path, loc, failure),
        ReadFailure::Io(source) => Error::io(path, "cannot read", source),
        _ => e.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_encrypted_from_plain() {
        assert!(is_encrypted(b"-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n"));
        assert!(is_encrypted(b"age-encryption.org/v1\n-> X25519 x\n"));
        assert!(is_encrypted(
            b"a: ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\nsops:\n    mac: ENC[x]\n"
        ));
        assert!(is_encrypted(
            b"{\"a\": \"ENC[AES256_GCM,x]\", \"sops\": {\"mac\": \"ENC[AES256_GCM,x]\"}}"
        ));
        assert!(is_encrypted(
            b"A=ENC[AES256_GCM,x]\nsops_mac=ENC[AES256_GCM,x]\n"
        ));
        assert!(is_encrypted(
            b"[a]\nk = ENC[AES256_GCM,x]\n[sops]\nmac = ENC[AES256_GCM,x]\n"
        ));
        assert!(!is_encrypted(b"PASSWORD=hunter2\n"));
        assert!(!is_encrypted(b"sops: is a word\n"));
        assert!(!is_encrypted(&[0xff, 0xfe, 0x00]));
    }

    #[test]
    fn allow_list_globs() {
        let a = AllowList::new(&["**/ca.crt".into(), "certs/*.pem".into()]).unwrap();
        assert!(a.allows(Path::new("./app/tls/ca.crt")));
        assert!(a.allows(Path::new("ca.crt")));
        assert!(a.allows(Path::new("certs/root.pem")));
        assert!(!a.allows(Path::new("certs/sub/root.pem")));
        assert!(!a.allows(Path::new("app/ca.key")));
    }
}
