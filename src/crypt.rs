//! age decryption of inputs, in memory.
//!
//! In: the bytes of an input file and the places identities may come from. Out: the
//! plaintext as [`SecretBytes`] (zeroized on drop; no temporary file ever holds it), or a
//! [`CryptError`] that names the file and the kind of failure (no identity, no match, a
//! header or payload that fails authentication, bad armor, a passphrase file) and never any
//! secret. Identities are read once per process, and only when an encrypted input is met.

use std::fmt;
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use age::secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use crate::secret::SecretBytes;

const BINARY_MAGIC: &[u8] = b"age-encryption.org/v1\n";
const ARMOR_BEGIN: &[u8] = b"-----BEGIN AGE ENCRYPTED FILE-----";

/// Whether these bytes are an age file, armored or binary (by content, never by name).
pub fn is_encrypted(bytes: &[u8]) -> bool {
    if bytes.starts_with(BINARY_MAGIC) {
        return true;
    }
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    bytes[start..].starts_with(ARMOR_BEGIN)
}

/// A damaged armor header (`-----BEGIN age ENCRYPTED FILE-----`, `----- BEGIN …`, text
/// before it): not an age file to the letter, but surely meant as one. Treated as encrypted,
/// so it fails loudly instead of landing in a Secret as if it were the value.
pub fn looks_encrypted(bytes: &[u8]) -> bool {
    if is_encrypted(bytes) {
        return true;
    }
    // Asked of every plain input: compare bytes in place (ASCII case folded), no copy.
    let head = &bytes[..bytes.len().min(1024)];
    let has = |word: &[u8]| {
        head.windows(word.len())
            .any(|w| w.eq_ignore_ascii_case(word))
    };
    has(b"BEGIN") && has(b"AGE ENCRYPTED")
}

fn is_armored(bytes: &[u8]) -> bool {
    !bytes.starts_with(BINARY_MAGIC) && is_encrypted(bytes)
}

/// Why an input could not be decrypted. Names files and key types, never a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CryptError {
    /// Encrypted input, but no identity in any of the places searched.
    NoIdentity {
        file: PathBuf,
        searched: Vec<String>,
    },
    /// None of the identities tried opens the file.
    NoMatch {
        file: PathBuf,
        stanzas: String,
        tried: Vec<String>,
        source: String,
    },
    /// The header is malformed or of an unknown version.
    Header { file: PathBuf, reason: String },
    /// The header's MAC does not verify: the file was altered.
    HeaderMac { file: PathBuf },
    /// The payload does not authenticate: truncated or altered.
    Payload { file: PathBuf },
    /// The ASCII armor is malformed.
    Armor { file: PathBuf, reason: String },
    /// Encrypted to a passphrase, which needs a terminal.
    Passphrase { file: PathBuf },
    /// An identity file that cannot be read or parsed.
    IdentityFile {
        file: String,
        line: Option<usize>,
        reason: String,
    },
}

impl fmt::Display for CryptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CryptError::NoIdentity { file, searched } => write!(
                f,
                "`{}` is age-encrypted but no identity was found (searched: {}); pass --identity FILE or set SECRETGEN_AGE_IDENTITY_FILE",
                file.display(),
                searched.join(", ")
            ),
            CryptError::NoMatch {
                file,
                stanzas,
                tried,
                source,
            } => write!(
                f,
                "`{}`: no identity matches: the file is encrypted to {stanzas}; tried {} from {source}",
                file.display(),
                if tried.is_empty() {
                    "no identity".to_string()
                } else {
                    tried.join(", ")
                }
            ),
            CryptError::Header { file, reason } => {
                write!(
                    f,
                    "`{}`: not a valid age file (header failure: {reason})",
                    file.display()
                )
            }
            CryptError::HeaderMac { file } => write!(
                f,
                "`{}`: the age header failed authentication (HMAC failure): the file was altered",
                file.display()
            ),
            CryptError::Payload { file } => write!(
                f,
                "`{}`: the age payload failed authentication (payload failure): the file is truncated or was altered",
                file.display()
            ),
            CryptError::Armor { file, reason } => {
                write!(
                    f,
                    "`{}`: invalid age armor (armor failure: {reason})",
                    file.display()
                )
            }
            CryptError::Passphrase { file } => write!(
                f,
                "`{}` is encrypted with a passphrase, which needs a terminal; re-encrypt it to a recipient key (`secretgen age encrypt -r age1…`) for builds",
                file.display()
            ),
            CryptError::IdentityFile { file, line, reason } => match line {
                Some(l) => write!(f, "identity file `{file}` line {l}: {reason}"),
                None => write!(f, "identity file `{file}`: {reason}"),
            },
        }
    }
}

impl std::error::Error for CryptError {}

/// Where identities may come from, captured once from flags and the environment.
#[derive(Clone, Debug, Default)]
pub struct IdentitySources {
    pub cli_files: Vec<PathBuf>,
    pub identity_files: Option<String>,
    pub identity: Option<String>,
    pub sops_key_file: Option<String>,
    pub sops_key: Option<String>,
    pub xdg_config_home: Option<PathBuf>,
    pub home: Option<PathBuf>,
}

impl IdentitySources {
    /// `--identity` files plus `SECRETGEN_AGE_IDENTITY_FILE`, `SECRETGEN_AGE_IDENTITY`,
    /// `SOPS_AGE_KEY_FILE`, `SOPS_AGE_KEY`, `XDG_CONFIG_HOME` and `HOME`.
    pub fn from_env(cli_files: Vec<PathBuf>) -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        IdentitySources {
            cli_files,
            identity_files: var("SECRETGEN_AGE_IDENTITY_FILE"),
            identity: var("SECRETGEN_AGE_IDENTITY"),
            sops_key_file: var("SOPS_AGE_KEY_FILE"),
            sops_key: var("SOPS_AGE_KEY"),
            xdg_config_home: var("XDG_CONFIG_HOME").map(PathBuf::from),
            home: var("HOME").map(PathBuf::from),
        }
    }
}

/// One place identities were read from: its description and its contents.
enum Place {
    Files(String, Vec<PathBuf>),
    Text(String, Zeroizing<String>),
}

/// The identities in use and where they came from.
struct Loaded {
    identities: Vec<Box<dyn age::Identity + Send + Sync>>,
    /// The public keys (recipients), for messages.
    publics: Vec<String>,
    source: String,
}

/// Decrypts inputs with identities loaded on first use.
pub struct Keyring {
    sources: IdentitySources,
    loaded: OnceLock<Result<Loaded, CryptError>>,
}

impl Keyring {
    pub fn new(sources: IdentitySources) -> Self {
        Keyring {
            sources,
            loaded: OnceLock::new(),
        }
    }

    /// The first place that is set or exists, in DESIGN.md's order; `Err` lists all searched.
    fn place(&self) -> Result<Place, Vec<String>> {
        let s = &self.sources;
        if !s.cli_files.is_empty() {
            let desc = s
                .cli_files
                .iter()
                .map(|p| format!("--identity {}", p.display()))
                .collect::<Vec<_>>()
                .join(", ");
            return Ok(Place::Files(desc, s.cli_files.clone()));
        }
        if let Some(list) = &s.identity_files {
            let files: Vec<PathBuf> = list
                .split(':')
                .filter(|p| !p.is_empty())
                .map(PathBuf::from)
                .collect();
            return Ok(Place::Files("SECRETGEN_AGE_IDENTITY_FILE".into(), files));
        }
        if let Some(text) = &s.identity {
            return Ok(Place::Text(
                "SECRETGEN_AGE_IDENTITY".into(),
                Zeroizing::new(text.clone()),
            ));
        }
        if let Some(file) = &s.sops_key_file {
            return Ok(Place::Files(
                "SOPS_AGE_KEY_FILE".into(),
                vec![PathBuf::from(file)],
            ));
        }
        if let Some(text) = &s.sops_key {
            return Ok(Place::Text(
                "SOPS_AGE_KEY".into(),
                Zeroizing::new(text.clone()),
            ));
        }
        let mut searched = vec![
            "--identity".to_string(),
            "SECRETGEN_AGE_IDENTITY_FILE".into(),
            "SECRETGEN_AGE_IDENTITY".into(),
            "SOPS_AGE_KEY_FILE".into(),
            "SOPS_AGE_KEY".into(),
        ];
        let mut candidates = Vec::new();
        if let Some(x) = &s.xdg_config_home {
            candidates.push(x.join("sops/age/keys.txt"));
        }
        if let Some(h) = &s.home {
            candidates.push(h.join(".config/sops/age/keys.txt"));
        }
        for c in candidates {
            if c.is_file() {
                return Ok(Place::Files(c.display().to_string(), vec![c]));
            }
            searched.push(c.display().to_string());
        }
        Err(searched)
    }

    fn load(&self, file: &Path) -> Result<&Loaded, CryptError> {
        let loaded = self.loaded.get_or_init(|| {
            let place = self.place().map_err(|searched| CryptError::NoIdentity {
                file: PathBuf::new(),
                searched,
            })?;
            let mut out = Loaded {
                identities: Vec::new(),
                publics: Vec::new(),
                source: String::new(),
            };
            match place {
                Place::Files(desc, files) => {
                    out.source = desc;
                    for f in files {
                        let text = std::fs::read(&f).map_err(|e| CryptError::IdentityFile {
                            file: f.display().to_string(),
                            line: None,
                            reason: crate::error::io_reason(&e),
                        })?;
                        let text = Zeroizing::new(text);
                        parse_identities(&f.display().to_string(), &text, &mut out)?;
                    }
                }
                Place::Text(desc, text) => {
                    parse_identities(&desc, text.as_bytes(), &mut out)?;
                    out.source = desc;
                }
            }
            Ok(out)
        });
        match loaded {
            Ok(l) => Ok(l),
            Err(CryptError::NoIdentity { searched, .. }) => Err(CryptError::NoIdentity {
                file: file.to_path_buf(),
                searched: searched.clone(),
            }),
            Err(e) => Err(e.clone()),
        }
    }

    /// Decrypts one input. `path` is only used in messages.
    pub fn decrypt(&self, path: &Path, ciphertext: &[u8]) -> Result<SecretBytes, CryptError> {
        let bytes = binary(path, ciphertext)?;
        let decryptor = open(path, &bytes)?;
        if decryptor.is_scrypt() {
            return Err(CryptError::Passphrase {
                file: path.to_path_buf(),
            });
        }
        let loaded = self.load(path)?;
        let reader = decryptor
            .decrypt(
                loaded
                    .identities
                    .iter()
                    .map(|i| i.as_ref() as &dyn age::Identity),
            )
            .map_err(|e| match e {
                age::DecryptError::NoMatchingKeys => CryptError::NoMatch {
                    file: path.to_path_buf(),
                    stanzas: describe_stanzas(&stanza_types(ciphertext)),
                    tried: loaded.publics.clone(),
                    source: loaded.source.clone(),
                },
                other => classify(path, ciphertext, other),
            })?;
        read_payload(path, reader)
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
    let identity = age::scrypt::Identity::new(SecretString::from(passphrase.to_string()));
    let reader = decryptor
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .map_err(|e| match e {
            // A wrong passphrase fails to unwrap the scrypt stanza.
            age::DecryptError::NoMatchingKeys | age::DecryptError::DecryptionFailed => {
                CryptError::NoMatch {
                    file: path.to_path_buf(),
                    stanzas: describe_stanzas(&stanza_types(ciphertext)),
                    tried: vec!["a passphrase".into()],
                    source: "the passphrase given".into(),
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
        let mut out = Vec::with_capacity(ciphertext.len());
        age::armor::ArmoredReader::new(&ciphertext[start..])
            .read_to_end(&mut out)
            .map_err(|e| CryptError::Armor {
                file: path.to_path_buf(),
                reason: e.to_string(),
            })?;
        std::borrow::Cow::Owned(out)
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

fn open<'a>(path: &Path, binary: &'a [u8]) -> Result<age::Decryptor<&'a [u8]>, CryptError> {
    age::Decryptor::new_buffered(binary).map_err(|e| classify(path, binary, e))
}

fn read_payload(path: &Path, mut reader: impl Read) -> Result<SecretBytes, CryptError> {
    let mut plain = Zeroizing::new(Vec::new());
    reader.read_to_end(&mut plain).map_err(|e| {
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
        .is_some_and(|inner| inner.is::<age::armor::ArmoredReadError>())
}

fn classify(path: &Path, ciphertext: &[u8], e: age::DecryptError) -> CryptError {
    let file = path.to_path_buf();
    match e {
        age::DecryptError::InvalidMac => CryptError::HeaderMac { file },
        age::DecryptError::DecryptionFailed => CryptError::Payload { file },
        age::DecryptError::Io(io) if is_armored_error(&io) || is_armored(ciphertext) => {
            CryptError::Armor {
                file,
                reason: io.to_string(),
            }
        }
        age::DecryptError::Io(io) => CryptError::Header {
            file,
            reason: io.to_string(),
        },
        age::DecryptError::UnknownFormat => CryptError::Header {
            file,
            reason: "unknown age format version".into(),
        },
        age::DecryptError::InvalidHeader => CryptError::Header {
            file,
            reason: "malformed header".into(),
        },
        other => CryptError::Header {
            file,
            reason: other.to_string(),
        },
    }
}

/// Parses an identity file: native `AGE-SECRET-KEY-1…` lines (with `#` comments and blank
/// lines), or one unencrypted SSH private key (ed25519 or rsa).
fn parse_identities(name: &str, bytes: &[u8], out: &mut Loaded) -> Result<(), CryptError> {
    let err = |line: Option<usize>, reason: &str| CryptError::IdentityFile {
        file: name.to_string(),
        line,
        reason: reason.to_string(),
    };
    let text = std::str::from_utf8(bytes).map_err(|_| err(None, "not UTF-8 text"))?;
    if text.contains("-----BEGIN OPENSSH PRIVATE KEY-----")
        || text.contains("-----BEGIN RSA PRIVATE KEY-----")
    {
        let identity = age::ssh::Identity::from_buffer(
            std::io::Cursor::new(text.as_bytes()),
            Some(name.to_string()),
        )
        .map_err(|e| err(None, &format!("not a usable SSH private key ({e})")))?;
        match &identity {
            age::ssh::Identity::Unencrypted(_) => {}
            age::ssh::Identity::Encrypted(_) => {
                return Err(err(
                    None,
                    "the SSH key is passphrase-protected; builds need an unencrypted key (or an age identity)",
                ));
            }
            age::ssh::Identity::Unsupported(_) => {
                return Err(err(
                    None,
                    "this SSH key type is not supported by age (use ed25519 or rsa)",
                ));
            }
        }
        let public = age::ssh::Recipient::try_from(identity.clone())
            .map(|r| r.to_string())
            .unwrap_or_else(|_| "an SSH key".into());
        out.publics.push(public);
        out.identities.push(Box::new(identity));
        return Ok(());
    }
    let mut found = 0;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with("AGE-PLUGIN-") {
            return Err(err(Some(i + 1), "age plugin identities are not supported"));
        }
        let identity: age::x25519::Identity = line.parse().map_err(|_| {
            err(
                Some(i + 1),
                "not an age identity (expected AGE-SECRET-KEY-1…, a # comment or a blank line)",
            )
        })?;
        out.publics.push(identity.to_public().to_string());
        out.identities.push(Box::new(identity));
        found += 1;
    }
    if found == 0 {
        return Err(err(None, "holds no identity"));
    }
    Ok(())
}

/// The recipient stanzas of an age file's header: (type, first argument).
pub fn stanzas(ciphertext: &[u8]) -> Result<Vec<(String, Option<String>)>, String> {
    let mut reader = std::io::BufReader::new(age::armor::ArmoredReader::new(ciphertext));
    let mut first = String::new();
    reader.read_line(&mut first).map_err(|e| e.to_string())?;
    if first != "age-encryption.org/v1\n" {
        return Err("not an age v1 file".into());
    }
    let mut out = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).map_err(|e| e.to_string())? == 0 {
            return Err("header ends early".into());
        }
        if line.starts_with("---") {
            break;
        }
        if let Some(rest) = line.strip_prefix("-> ") {
            let mut words = rest.split_whitespace();
            let kind = words.next().unwrap_or("").to_string();
            out.push((kind, words.next().map(str::to_string)));
        }
        if line.len() > 4096 {
            return Err("header line too long".into());
        }
    }
    Ok(out)
}

fn stanza_types(ciphertext: &[u8]) -> Vec<(String, Option<String>)> {
    stanzas(ciphertext).unwrap_or_default()
}

/// `X25519 ×2, ssh-ed25519 ×1` (ssh stanzas with their key tags).
pub fn describe_stanzas(stanzas: &[(String, Option<String>)]) -> String {
    let mut counts: Vec<(String, usize, Vec<String>)> = Vec::new();
    // age adds random "grease" stanzas that no identity opens; they say nothing.
    for (kind, arg) in stanzas.iter().filter(|(k, _)| !k.ends_with("-grease")) {
        let entry = match counts.iter_mut().find(|(k, _, _)| k == kind) {
            Some(e) => e,
            None => {
                counts.push((kind.clone(), 0, Vec::new()));
                counts.last_mut().expect("just pushed")
            }
        };
        entry.1 += 1;
        if let (true, Some(tag)) = (kind.starts_with("ssh-"), arg) {
            entry.2.push(tag.clone());
        }
    }
    if counts.is_empty() {
        return "no recipient".into();
    }
    counts
        .into_iter()
        .map(|(k, n, tags)| {
            if tags.is_empty() {
                format!("{k} ×{n}")
            } else {
                format!("{k} ×{n} (key tags {})", tags.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Public keys usable as recipients, from `-r` arguments or lines of `-R` files.
pub fn parse_recipient(s: &str) -> Result<Box<dyn age::Recipient + Send>, String> {
    if let Ok(r) = s.parse::<age::x25519::Recipient>() {
        return Ok(Box::new(r));
    }
    if let Ok(r) = s.parse::<age::ssh::Recipient>() {
        return Ok(Box::new(r));
    }
    Err(format!(
        "`{s}` is not an age recipient (age1…) or an SSH public key (ssh-ed25519 …, ssh-rsa …)"
    ))
}

/// Encrypts to the recipients, armored or binary.
pub fn encrypt(
    plaintext: &[u8],
    recipients: &[Box<dyn age::Recipient + Send>],
    armor: bool,
) -> Result<Vec<u8>, String> {
    use std::io::Write;
    let encryptor = age::Encryptor::with_recipients(
        recipients.iter().map(|r| r.as_ref() as &dyn age::Recipient),
    )
    .map_err(|e| e.to_string())?;
    let format = if armor {
        age::armor::Format::AsciiArmor
    } else {
        age::armor::Format::Binary
    };
    let mut out = Vec::with_capacity(plaintext.len() + 512);
    let armored =
        age::armor::ArmoredWriter::wrap_output(&mut out, format).map_err(|e| e.to_string())?;
    let mut writer = encryptor.wrap_output(armored).map_err(|e| e.to_string())?;
    writer.write_all(plaintext).map_err(|e| e.to_string())?;
    writer
        .finish()
        .and_then(|a| a.finish())
        .map_err(|e| e.to_string())?;
    Ok(out)
}

/// Whether an encrypted file is armored (to keep its form when re-encrypting).
pub fn armored(ciphertext: &[u8]) -> bool {
    is_armored(ciphertext)
}

/// A new X25519 identity: (identity file text, recipient).
pub fn keygen() -> (Zeroizing<String>, String) {
    let identity = age::x25519::Identity::generate();
    let recipient = identity.to_public().to_string();
    let text = format!(
        "# created by secretgen age keygen\n# public key: {recipient}\n{}\n",
        identity.to_string().expose_secret()
    );
    (Zeroizing::new(text), recipient)
}

impl crate::render::Decrypt for Keyring {
    /// An age file, or a SOPS file (whose data key is opened with these identities).
    fn is_encrypted(&self, bytes: &[u8]) -> bool {
        looks_encrypted(bytes) || crate::sops::is_sops(bytes).is_some()
    }

    fn decrypt(
        &self,
        path: &Path,
        bytes: &[u8],
    ) -> Result<SecretBytes, crate::render::DecryptFailure> {
        if crate::sops::is_sops(bytes).is_some() {
            return crate::sops::decrypt(path, bytes, self).map_err(|e| {
                crate::render::DecryptFailure {
                    missing_key: e.is_missing_key(),
                    message: e.to_string(),
                }
            });
        }
        Keyring::decrypt(self, path, bytes).map_err(|e| crate::render::DecryptFailure {
            missing_key: matches!(
                e,
                CryptError::NoIdentity { .. } | CryptError::NoMatch { .. }
            ),
            message: e.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_by_content() {
        assert!(is_encrypted(b"age-encryption.org/v1\n-> X25519 x\n"));
        assert!(is_encrypted(
            b"\n-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n"
        ));
        assert!(!is_encrypted(b"password"));
        assert!(!is_encrypted(b""));
    }

    fn keyring_with(identity_text: &str) -> Keyring {
        Keyring::new(IdentitySources {
            identity: Some(identity_text.to_string()),
            ..Default::default()
        })
    }

    #[test]
    fn round_trip_and_errors_hold_no_secret() {
        let (id_text, recipient) = keygen();
        for armor in [true, false] {
            let r = parse_recipient(&recipient).unwrap();
            let ct = encrypt(b"CANARY-plain", &[r], armor).unwrap();
            let plain = keyring_with(&id_text)
                .decrypt(Path::new("x.age"), &ct)
                .unwrap();
            assert_eq!(plain.expose(), b"CANARY-plain");
            let other = keygen().0;
            let e = keyring_with(&other)
                .decrypt(Path::new("x.age"), &ct)
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
    fn no_identity_lists_places() {
        let (_, recipient) = keygen();
        let ct = encrypt(b"x", &[parse_recipient(&recipient).unwrap()], true).unwrap();
        let k = Keyring::new(IdentitySources {
            home: Some(PathBuf::from("/nonexistent-home")),
            ..Default::default()
        });
        let msg = k.decrypt(Path::new("p.age"), &ct).unwrap_err().to_string();
        assert!(msg.starts_with("`p.age` is age-encrypted but no identity was found (searched: --identity, SECRETGEN_AGE_IDENTITY_FILE, SECRETGEN_AGE_IDENTITY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY, /nonexistent-home/.config/sops/age/keys.txt)"), "{msg}");
    }

    #[test]
    fn malformed_identity_names_the_line_not_the_key() {
        let k = keyring_with("# comment\n\nAGE-SECRET-KEY-1CANARYNOTAKEY\n");
        let (_, recipient) = keygen();
        let ct = encrypt(b"x", &[parse_recipient(&recipient).unwrap()], false).unwrap();
        let msg = k.decrypt(Path::new("p.age"), &ct).unwrap_err().to_string();
        assert_eq!(
            msg,
            "identity file `SECRETGEN_AGE_IDENTITY` line 3: not an age identity (expected AGE-SECRET-KEY-1…, a # comment or a blank line)"
        );
    }

    /// Identities are read on the first encrypted input and kept: the key file may vanish
    /// afterwards, and nothing is read before.
    #[test]
    fn identities_are_read_once_and_only_when_needed() {
        let dir = std::env::temp_dir().join(format!("secretgen-once-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let key = dir.join("key.txt");
        let k = Keyring::new(IdentitySources {
            cli_files: vec![key.clone()],
            ..Default::default()
        });
        // Created after the keyring: nothing was read when it was made.
        let (id, recipient) = keygen();
        std::fs::write(&key, id.as_bytes()).unwrap();
        let r = || vec![parse_recipient(&recipient).unwrap()];
        let a = encrypt(b"first", &r(), true).unwrap();
        let b = encrypt(b"second", &r(), false).unwrap();
        assert_eq!(
            k.decrypt(Path::new("a.age"), &a).unwrap().expose(),
            b"first"
        );
        std::fs::remove_file(&key).unwrap();
        assert_eq!(
            k.decrypt(Path::new("b.age"), &b).unwrap().expose(),
            b"second"
        );
        // A fresh keyring does read the (now missing) file, and says so.
        let fresh = Keyring::new(IdentitySources {
            cli_files: vec![key.clone()],
            ..Default::default()
        });
        assert!(matches!(
            fresh.decrypt(Path::new("b.age"), &b),
            Err(CryptError::IdentityFile { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
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
            .decrypt(Path::new("t.age"), &ct)
            .unwrap_err();
        assert_eq!(
            e,
            CryptError::Payload {
                file: PathBuf::from("t.age")
            }
        );
        ct.truncate(ct.len() - 5);
        assert!(keyring_with(&id).decrypt(Path::new("t.age"), &ct).is_err());
    }
}
