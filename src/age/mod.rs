//! age decryption of inputs, in memory.
//!
//! In: the bytes of an input file and the places identities may come from. Out: the
//! plaintext as [`SecretBytes`] (zeroized on drop; no temporary file ever holds it), or a
//! [`CryptError`] that names the file and the kind of failure (no identity, no match, a
//! header or payload that fails authentication, bad armor, a passphrase file, a plugin that
//! needs a terminal) and never any secret. Identities (X25519, post-quantum in [`pq`], plugin,
//! SSH) are read once per process, and only when an encrypted input is met, from the places
//! [`Keyring`] lists in sops' order.

use std::fmt;
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use age::secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use crate::secret::SecretBytes;

mod plugin;
pub mod pq;

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
    /// An age plugin asked for input (a PIN, a touch confirmation) and there is no terminal.
    PluginNeedsTerminal { file: PathBuf, plugin: String },
    /// An age plugin failed.
    Plugin { file: PathBuf, reason: String },
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
            CryptError::PluginNeedsTerminal { file, plugin } => write!(
                f,
                "`{}`: the age plugin `{plugin}` needs a terminal (for a PIN or a touch) and there is none; decrypt where a terminal is available, or add an identity that needs no interaction",
                file.display()
            ),
            CryptError::Plugin { file, reason } => {
                write!(f, "`{}`: an age plugin failed: {reason}", file.display())
            }
            CryptError::IdentityFile { file, line, reason } => match line {
                Some(l) => write!(f, "identity file `{file}` line {l}: {reason}"),
                None => write!(f, "identity file `{file}`: {reason}"),
            },
        }
    }
}

impl std::error::Error for CryptError {}

impl CryptError {
    /// Why an identity place gave nothing, for the list of places searched.
    fn reason(&self) -> String {
        match self {
            CryptError::IdentityFile {
                line: Some(l),
                reason,
                ..
            } => format!("line {l}: {reason}"),
            CryptError::IdentityFile { reason, .. } => reason.clone(),
            other => other.to_string(),
        }
    }
}

/// Where identities may come from, captured once from flags and the environment.
#[derive(Clone, Debug, Default)]
pub struct IdentitySources {
    pub cli_files: Vec<PathBuf>,
    pub identity_files: Option<String>,
    pub identity: Option<String>,
    pub sops_key_file: Option<String>,
    pub sops_key: Option<String>,
    /// `SOPS_AGE_KEY_CMD`: a command whose output holds identities (run with
    /// `SOPS_AGE_RECIPIENT` set to the recipient being decrypted).
    pub sops_key_cmd: Option<String>,
    /// `SOPS_AGE_SSH_PRIVATE_KEY_FILE`.
    pub sops_ssh_key_file: Option<String>,
    /// `SOPS_AGE_SSH_PRIVATE_KEY_CMD`.
    pub sops_ssh_key_cmd: Option<String>,
    pub xdg_config_home: Option<PathBuf>,
    pub home: Option<PathBuf>,
}

impl IdentitySources {
    /// `--identity` files plus `SECRETGEN_AGE_IDENTITY_FILE`, `SECRETGEN_AGE_IDENTITY`, the
    /// `SOPS_AGE_*` variables sops reads, `XDG_CONFIG_HOME` and `HOME`.
    pub fn from_env(cli_files: Vec<PathBuf>) -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        IdentitySources {
            cli_files,
            identity_files: var("SECRETGEN_AGE_IDENTITY_FILE"),
            identity: var("SECRETGEN_AGE_IDENTITY"),
            sops_key_file: var("SOPS_AGE_KEY_FILE"),
            sops_key: var("SOPS_AGE_KEY"),
            sops_key_cmd: var("SOPS_AGE_KEY_CMD"),
            sops_ssh_key_file: var("SOPS_AGE_SSH_PRIVATE_KEY_FILE"),
            sops_ssh_key_cmd: var("SOPS_AGE_SSH_PRIVATE_KEY_CMD"),
            xdg_config_home: var("XDG_CONFIG_HOME").map(PathBuf::from),
            home: var("HOME").map(PathBuf::from),
        }
    }

    /// The default keys files sops reads, in its order: `$XDG_CONFIG_HOME/sops/age/keys.txt`,
    /// `~/.config/sops/age/keys.txt`, and on macOS `~/Library/Application
    /// Support/sops/age/keys.txt` (sops reads the first of these that applies; trying all
    /// of them can only find more keys).
    fn default_key_files(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        if let Some(x) = &self.xdg_config_home {
            out.push(x.join("sops/age/keys.txt"));
        }
        if let Some(h) = &self.home {
            out.push(h.join(".config/sops/age/keys.txt"));
            if cfg!(target_os = "macos") {
                out.push(h.join("Library/Application Support/sops/age/keys.txt"));
            }
        }
        out
    }
}

/// Identities read from one or more places, before plugins are resolved.
#[derive(Default)]
struct Parsed {
    identities: Vec<Box<dyn age::Identity + Send + Sync>>,
    publics: Vec<String>,
    /// Plugin identities with where they were read (for warnings).
    plugins: Vec<(age::plugin::Identity, String)>,
    /// Unusable lines: `identity file `F` line N: reason` (never the line itself).
    skipped: Vec<String>,
}

impl Parsed {
    fn count(&self) -> usize {
        self.identities.len() + self.plugins.len()
    }

    fn append(&mut self, other: Parsed) {
        self.identities.extend(other.identities);
        self.publics.extend(other.publics);
        self.plugins.extend(other.plugins);
        self.skipped.extend(other.skipped);
    }
}

/// One plugin's identities, ready to use, and its terminal callbacks.
struct PluginSet {
    name: String,
    identity: age::plugin::IdentityPluginV1<plugin::Terminal>,
    terminal: plugin::Terminal,
}

/// The identities in use and where they came from.
struct Loaded {
    identities: Vec<Box<dyn age::Identity + Send + Sync>>,
    plugins: Vec<PluginSet>,
    /// The public keys (recipients), for messages.
    publics: Vec<String>,
    /// The places that gave identities.
    source: String,
    /// Every place looked at, with why it gave nothing where it was set (for messages).
    searched: Vec<String>,
}

impl Loaded {
    fn tried(&self) -> Vec<String> {
        let mut tried = self.publics.clone();
        for p in &self.plugins {
            tried.push(format!("age-plugin-{}", p.name));
        }
        tried
    }
}

/// What `SOPS_AGE_KEY_CMD` gave for one recipient, or why it gave nothing.
type CmdIdentities = Arc<Result<Loaded, String>>;

/// Warnings go to whoever made the keyring (the CLI prints them on stderr).
type WarnSink = Box<dyn Fn(&str) + Send + Sync>;

/// Decrypts inputs with identities loaded on first use.
///
/// The search order (DESIGN.md, README "Identities"): explicit identities win alone
/// (`--identity`, else `SECRETGEN_AGE_IDENTITY_FILE`, else `SECRETGEN_AGE_IDENTITY`);
/// without them every identity from every place sops reads is tried, in sops' order:
/// `SOPS_AGE_SSH_PRIVATE_KEY_FILE`, `SOPS_AGE_SSH_PRIVATE_KEY_CMD`, `~/.ssh/id_ed25519`,
/// `~/.ssh/id_rsa`, `SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`, `SOPS_AGE_KEY_CMD`, the default
/// keys files. A place that fails (unreadable, a locked SSH key) is noted and the others are
/// still used; native keys are tried before plugin keys, so a plugin prompts only when needed.
pub struct Keyring {
    sources: IdentitySources,
    loaded: OnceLock<Result<Loaded, CryptError>>,
    /// `SOPS_AGE_KEY_CMD`'s identities per `SOPS_AGE_RECIPIENT` value.
    from_cmd: Mutex<Vec<(String, CmdIdentities)>>,
    warn: Option<WarnSink>,
}

impl Keyring {
    pub fn new(sources: IdentitySources) -> Self {
        Keyring {
            sources,
            loaded: OnceLock::new(),
            from_cmd: Mutex::new(Vec::new()),
            warn: None,
        }
    }

    /// Sends warnings (unusable lines of a key file, plugins not on PATH) to `sink`.
    pub fn with_warnings(mut self, sink: impl Fn(&str) + Send + Sync + 'static) -> Self {
        self.warn = Some(Box::new(sink));
        self
    }

    fn warn_all(&self, lines: &[String]) {
        if let Some(w) = &self.warn {
            for l in lines {
                w(l);
            }
        }
    }

    /// Whether identities come from explicit flags or variables (which win alone).
    fn explicit(&self) -> bool {
        let s = &self.sources;
        !s.cli_files.is_empty() || s.identity_files.is_some() || s.identity.is_some()
    }

    /// Explicit identities: every failure is an error.
    fn load_explicit(&self) -> Result<(Parsed, String), CryptError> {
        let s = &self.sources;
        let mut parsed = Parsed::default();
        let files: Vec<PathBuf>;
        let desc;
        if !s.cli_files.is_empty() {
            files = s.cli_files.clone();
            desc = files
                .iter()
                .map(|p| format!("--identity {}", p.display()))
                .collect::<Vec<_>>()
                .join(", ");
        } else if let Some(list) = &s.identity_files {
            // A path list as PATH is: `:` between files on Unix, `;` on Windows.
            files = std::env::split_paths(list)
                .filter(|p| !p.as_os_str().is_empty())
                .collect();
            desc = "SECRETGEN_AGE_IDENTITY_FILE".into();
        } else {
            let text = Zeroizing::new(s.identity.clone().unwrap_or_default());
            let desc = "SECRETGEN_AGE_IDENTITY".to_string();
            parsed.append(parse_identities(&desc, text.as_bytes(), false)?);
            return Ok((parsed, desc));
        }
        for f in files {
            let text = read_key_file(&f)?;
            parsed.append(parse_identities(&f.display().to_string(), &text, false)?);
        }
        Ok((parsed, desc))
    }

    /// sops' places, in sops' order; failures are noted in `searched`, never fatal.
    fn load_sops_places(&self, parsed: &mut Parsed, used: &mut Vec<String>) -> Vec<String> {
        let s = &self.sources;
        let mut searched = Vec::new();
        let mut take =
            |place: String, result: Result<Parsed, CryptError>, searched: &mut Vec<String>| {
                match result {
                    Ok(p) => {
                        parsed.append(p);
                        used.push(place.clone());
                        searched.push(place);
                    }
                    Err(e) => searched.push(format!("{place} ({})", e.reason())),
                }
            };
        match &s.sops_ssh_key_file {
            Some(f) => {
                let f = PathBuf::from(f);
                let r = read_key_file(&f)
                    .and_then(|t| parse_identities(&f.display().to_string(), &t, false));
                take("SOPS_AGE_SSH_PRIVATE_KEY_FILE".into(), r, &mut searched);
            }
            None => searched.push("SOPS_AGE_SSH_PRIVATE_KEY_FILE".into()),
        }
        match &s.sops_ssh_key_cmd {
            Some(cmd) => {
                let r = run_key_cmd("SOPS_AGE_SSH_PRIVATE_KEY_CMD", cmd, "")
                    .and_then(|t| parse_identities("SOPS_AGE_SSH_PRIVATE_KEY_CMD", &t, false));
                take("SOPS_AGE_SSH_PRIVATE_KEY_CMD".into(), r, &mut searched);
            }
            None => searched.push("SOPS_AGE_SSH_PRIVATE_KEY_CMD".into()),
        }
        if let Some(h) = &s.home {
            for name in ["id_ed25519", "id_rsa"] {
                let f = h.join(".ssh").join(name);
                if f.is_file() {
                    let r = read_key_file(&f)
                        .and_then(|t| parse_identities(&f.display().to_string(), &t, false));
                    take(f.display().to_string(), r, &mut searched);
                } else {
                    searched.push(f.display().to_string());
                }
            }
        }
        match &s.sops_key {
            Some(text) => {
                let text = Zeroizing::new(text.clone());
                let r = parse_identities("SOPS_AGE_KEY", text.as_bytes(), true);
                take("SOPS_AGE_KEY".into(), r, &mut searched);
            }
            None => searched.push("SOPS_AGE_KEY".into()),
        }
        match &s.sops_key_file {
            Some(f) => {
                let f = PathBuf::from(f);
                let r = read_key_file(&f)
                    .and_then(|t| parse_identities(&f.display().to_string(), &t, false));
                take("SOPS_AGE_KEY_FILE".into(), r, &mut searched);
            }
            None => searched.push("SOPS_AGE_KEY_FILE".into()),
        }
        // SOPS_AGE_KEY_CMD runs per recipient: see `cmd_identities`.
        searched.push("SOPS_AGE_KEY_CMD".into());
        for f in s.default_key_files() {
            if f.is_file() {
                let r = read_key_file(&f)
                    .and_then(|t| parse_identities(&f.display().to_string(), &t, false));
                take(f.display().to_string(), r, &mut searched);
            } else {
                searched.push(f.display().to_string());
            }
        }
        searched
    }

    /// Plugin identities grouped per plugin; a plugin not on PATH is skipped with a warning.
    fn assemble(&self, parsed: Parsed, source: String, searched: Vec<String>) -> Loaded {
        let mut warnings = parsed.skipped;
        let mut plugins: Vec<PluginSet> = Vec::new();
        let mut names: Vec<String> = Vec::new();
        for (id, _) in &parsed.plugins {
            if !names.iter().any(|n| n == id.plugin()) {
                names.push(id.plugin().to_string());
            }
        }
        for name in names {
            let ids: Vec<age::plugin::Identity> = parsed
                .plugins
                .iter()
                .filter(|(i, _)| i.plugin() == name)
                .map(|(i, _)| i.clone())
                .collect();
            let terminal = plugin::Terminal::new(&name);
            match age::plugin::IdentityPluginV1::new(&name, &ids, terminal.clone()) {
                Ok(identity) => plugins.push(PluginSet {
                    name,
                    identity,
                    terminal,
                }),
                Err(_) => {
                    for (i, at) in &parsed.plugins {
                        if i.plugin() == name {
                            warnings.push(format!(
                                "{at}: skipped: the plugin `age-plugin-{name}` is not on PATH"
                            ));
                        }
                    }
                }
            }
        }
        self.warn_all(&warnings);
        Loaded {
            identities: parsed.identities,
            plugins,
            publics: parsed.publics,
            source,
            searched,
        }
    }

    fn load(&self) -> Result<&Loaded, CryptError> {
        let loaded = self.loaded.get_or_init(|| {
            if self.explicit() {
                let (parsed, source) = self.load_explicit()?;
                let loaded = self.assemble(parsed, source.clone(), vec![source]);
                if loaded.identities.is_empty() && loaded.plugins.is_empty() {
                    return Err(CryptError::IdentityFile {
                        file: loaded.source,
                        line: None,
                        reason: "holds no usable identity".into(),
                    });
                }
                return Ok(loaded);
            }
            let mut parsed = Parsed::default();
            let mut used = Vec::new();
            let mut searched = vec![
                "--identity".to_string(),
                "SECRETGEN_AGE_IDENTITY_FILE".into(),
                "SECRETGEN_AGE_IDENTITY".into(),
            ];
            searched.extend(self.load_sops_places(&mut parsed, &mut used));
            Ok(self.assemble(parsed, used.join(", "), searched))
        });
        match loaded {
            Ok(l) => Ok(l),
            Err(e) => Err(e.clone()),
        }
    }

    /// `SOPS_AGE_KEY_CMD`'s identities for one recipient (run once per recipient).
    fn cmd_identities(&self, recipient: &str) -> Option<CmdIdentities> {
        let cmd = self.sources.sops_key_cmd.as_ref()?;
        if self.explicit() {
            return None;
        }
        let mut cache = self.from_cmd.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, l)) = cache.iter().find(|(r, _)| r == recipient) {
            return Some(l.clone());
        }
        let result = run_key_cmd("SOPS_AGE_KEY_CMD", cmd, recipient)
            .and_then(|t| parse_identities("SOPS_AGE_KEY_CMD", &t, false))
            .map(|p| self.assemble(p, "SOPS_AGE_KEY_CMD".into(), Vec::new()))
            .map_err(|e| e.reason());
        let l = Arc::new(result);
        cache.push((recipient.to_string(), l.clone()));
        Some(l)
    }

    /// Decrypts one input. `path` is only used in messages.
    pub fn decrypt(&self, path: &Path, ciphertext: &[u8]) -> Result<SecretBytes, CryptError> {
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
        if let Some(Err(reason)) = from_cmd.as_deref()
            && let Some(s) = searched.iter_mut().find(|s| *s == "SOPS_AGE_KEY_CMD")
        {
            *s = format!("SOPS_AGE_KEY_CMD ({reason})");
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
            .map(|i| i.as_ref() as &dyn age::Identity)
            .chain(plugins.iter().map(|p| &p.identity as &dyn age::Identity));
        let reader = decryptor.decrypt(identities).map_err(|e| {
            if let Some(p) = plugins.iter().find(|p| p.terminal.lacked_terminal()) {
                return CryptError::PluginNeedsTerminal {
                    file: path.to_path_buf(),
                    plugin: format!("age-plugin-{}", p.name),
                };
            }
            let tried: Vec<String> = all.iter().flat_map(|l| l.tried()).collect();
            let source = all
                .iter()
                .map(|l| l.source.as_str())
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(", ");
            match e {
                age::DecryptError::NoMatchingKeys => CryptError::NoMatch {
                    file: path.to_path_buf(),
                    stanzas: describe_stanzas(&stanza_types(ciphertext)),
                    tried,
                    source,
                },
                age::DecryptError::Plugin(errors) => CryptError::Plugin {
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

/// A key file's bytes (zeroized when dropped), as [`read_identity_file`] reads them.
fn read_key_file(f: &Path) -> Result<Zeroizing<Vec<u8>>, CryptError> {
    read_identity_file(f).map_err(|reason| CryptError::IdentityFile {
        file: f.display().to_string(),
        line: None,
        reason,
    })
}

/// Runs `SOPS_AGE_KEY_CMD` (or the SSH one) as sops does: split like a shell would, no
/// shell, `SOPS_AGE_RECIPIENT` set; its stdout is the identity text.
fn run_key_cmd(var: &str, cmd: &str, recipient: &str) -> Result<Zeroizing<Vec<u8>>, CryptError> {
    let err = |reason: String| CryptError::IdentityFile {
        file: var.to_string(),
        line: None,
        reason,
    };
    let words = split_command(cmd)
        .ok_or_else(|| err("cannot split the command (unbalanced quotes)".into()))?;
    let (program, args) = words
        .split_first()
        .ok_or_else(|| err("the command is empty".into()))?;
    let out = std::process::Command::new(program)
        .args(args)
        .env("SOPS_AGE_RECIPIENT", recipient)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| {
            err(format!(
                "cannot run `{program}`: {}",
                crate::error::io_reason(&e)
            ))
        })?;
    let stdout = Zeroizing::new(out.stdout);
    if !out.status.success() {
        return Err(err(format!("`{program}` failed ({})", out.status)));
    }
    Ok(stdout)
}

/// Shell-like word splitting (quotes and backslashes), as sops' shlex does.
fn split_command(s: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '\'' => break,
                        c => word.push(c),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => word.push(chars.next()?),
                        c => word.push(c),
                    }
                }
            }
            '\\' => {
                in_word = true;
                word.push(chars.next()?);
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Some(words)
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

/// Parses identity text: `AGE-SECRET-KEY-1…` (X25519), `AGE-SECRET-KEY-PQ-1…` (post-quantum)
/// and `AGE-PLUGIN-…` lines with `#` comments and blank lines, or one unencrypted SSH private
/// key (ed25519 or rsa). `words`: several keys per line, separated by spaces (sops reads
/// `SOPS_AGE_KEY` so). Unusable lines are skipped and reported by number, never by content;
/// text with no usable identity is an error naming the first unusable line.
fn parse_identities(name: &str, bytes: &[u8], words: bool) -> Result<Parsed, CryptError> {
    let err = |line: Option<usize>, reason: &str| CryptError::IdentityFile {
        file: name.to_string(),
        line,
        reason: reason.to_string(),
    };
    let text = std::str::from_utf8(bytes).map_err(|_| err(None, "not UTF-8 text"))?;
    let mut out = Parsed::default();
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
        return Ok(out);
    }
    let mut first_bad: Option<(usize, &'static str)> = None;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let keys: Vec<&str> = if words {
            line.split_whitespace().collect()
        } else {
            vec![line]
        };
        for key in keys {
            if let Err(reason) = parse_identity(key, &mut out, || {
                format!("identity file `{name}` line {}", i + 1)
            }) {
                out.skipped.push(format!(
                    "identity file `{name}` line {}: skipped: {reason}",
                    i + 1
                ));
                first_bad.get_or_insert((i + 1, reason));
            }
        }
    }
    if out.count() == 0 {
        return Err(match first_bad {
            Some((line, reason)) => err(Some(line), reason),
            None => err(None, "holds no identity"),
        });
    }
    Ok(out)
}

const NOT_AN_IDENTITY: &str = "not an age identity (expected AGE-SECRET-KEY-1…, AGE-SECRET-KEY-PQ-1…, AGE-PLUGIN-…, a # comment or a blank line)";

/// One identity string into `out`; `Err` says why it is unusable (never what it holds).
fn parse_identity(
    key: &str,
    out: &mut Parsed,
    at: impl FnOnce() -> String,
) -> Result<(), &'static str> {
    if key.starts_with("AGE-PLUGIN-") {
        let id: age::plugin::Identity = key
            .parse()
            .map_err(|_| "not a valid age plugin identity (AGE-PLUGIN-NAME-1…)")?;
        out.plugins.push((id, at()));
    } else if key.starts_with("AGE-SECRET-KEY-PQ-") {
        let id = pq::HybridIdentity::parse(key)
            .map_err(|_| "not a valid post-quantum identity (AGE-SECRET-KEY-PQ-1…)")?;
        out.publics
            .push(short_recipient(&id.to_public().to_string()));
        out.identities.push(Box::new(id));
    } else {
        let id: age::x25519::Identity = key.parse().map_err(|_| NOT_AN_IDENTITY)?;
        out.publics.push(id.to_public().to_string());
        out.identities.push(Box::new(id));
    }
    Ok(())
}

/// A post-quantum recipient is ~2000 characters: messages show its ends.
fn short_recipient(r: &str) -> String {
    if r.len() <= 80 {
        return r.to_string();
    }
    format!("{}…{}", &r[..16], &r[r.len() - 8..])
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

/// Public keys usable as recipients, from `-r` arguments or lines of `-R` files: X25519
/// (`age1…`), post-quantum (`age1pq1…`), tagged (`age1tag1…`, `age1tagpq1…`), plugin
/// (`age1NAME1…`, wrapped by `age-plugin-NAME`) and SSH public keys.
pub fn parse_recipient(s: &str) -> Result<Box<dyn age::Recipient + Send>, String> {
    if s.starts_with("age1pq1") {
        return s
            .parse::<pq::HybridRecipient>()
            .map(|r| Box::new(r) as Box<dyn age::Recipient + Send>)
            .map_err(|e| {
                format!(
                    "`{}` is not a valid post-quantum recipient: {e}",
                    short_recipient(s)
                )
            });
    }
    if let Ok(r) = s.parse::<age::x25519::Recipient>() {
        return Ok(Box::new(r));
    }
    if let Ok(r) = s.parse::<age::ssh::Recipient>() {
        return Ok(Box::new(r));
    }
    if s.starts_with("age1tagpq1") {
        if let Ok(r) = s.parse::<age::tagpq::Recipient>() {
            return Ok(Box::new(r));
        }
    } else if s.starts_with("age1tag1") {
        if let Ok(r) = s.parse::<age::tag::Recipient>() {
            return Ok(Box::new(r));
        }
    } else if s.starts_with("age1")
        && let Ok(r) = s.parse::<age::plugin::Recipient>()
    {
        return plugin::recipient(r);
    }
    Err(format!(
        "`{}` is not an age recipient (age1…, age1pq1…, a plugin's age1NAME1…) or an SSH public key (ssh-ed25519 …, ssh-rsa …)",
        short_recipient(s)
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
    .map_err(|e| match e {
        age::EncryptError::IncompatibleRecipients { l_labels, r_labels }
            if l_labels.contains(pq::POSTQUANTUM) || r_labels.contains(pq::POSTQUANTUM) =>
        {
            "post-quantum recipients (age1pq1…, age1tagpq1…) cannot be mixed with classic ones (age1…, SSH keys): the classic key would break the file's post-quantum protection; encrypt to post-quantum recipients only (as Go age requires)".to_string()
        }
        age::EncryptError::Plugin(errors) => errors
            .iter()
            .map(|e| e.to_string().trim().to_string())
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    })?;
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

/// A new post-quantum identity (ML-KEM-768 + X25519): (identity file text, recipient).
pub fn keygen_pq() -> Result<(Zeroizing<String>, String), String> {
    let identity = pq::HybridIdentity::generate()?;
    let recipient = identity.to_public().to_string();
    let text = format!(
        "# created by secretgen age keygen --pq\n# public key: {recipient}\n{}\n",
        identity.to_secret_string().expose_secret()
    );
    Ok((Zeroizing::new(text), recipient))
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

/// The largest identity file read: far more than any real keys file holds (an RSA key is
/// about 3 KB), and a bound on what `--identity /dev/zero` can make us read.
pub const MAX_IDENTITY_FILE: u64 = 4 << 20;

/// Reads an identity file: a regular file only (a FIFO would hang the build, and through
/// the exec plugin kustomize itself; a device may never end), at most
/// [`MAX_IDENTITY_FILE`] bytes, into a zeroizing buffer.
fn read_identity_file(path: &Path) -> Result<Zeroizing<Vec<u8>>, String> {
    use std::io::Read;
    let meta = std::fs::metadata(path).map_err(|e| crate::error::io_reason(&e))?;
    if !meta.is_file() {
        return Err(
            "not a regular file (a FIFO, socket or device cannot be an identity file)".into(),
        );
    }
    let too_large = |n: u64| {
        format!("is {n} bytes or more; identity files are limited to {MAX_IDENTITY_FILE} bytes")
    };
    if meta.len() > MAX_IDENTITY_FILE {
        return Err(too_large(meta.len()));
    }
    let file = std::fs::File::open(path).map_err(|e| crate::error::io_reason(&e))?;
    let mut buf = Zeroizing::new(Vec::with_capacity(meta.len() as usize));
    file.take(MAX_IDENTITY_FILE + 1)
        .read_to_end(&mut buf)
        .map_err(|e| crate::error::io_reason(&e))?;
    if buf.len() as u64 > MAX_IDENTITY_FILE {
        return Err(too_large(buf.len() as u64));
    }
    Ok(buf)
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
        assert!(msg.starts_with("`p.age` is age-encrypted but no identity was found (searched: --identity, SECRETGEN_AGE_IDENTITY_FILE, SECRETGEN_AGE_IDENTITY, SOPS_AGE_SSH_PRIVATE_KEY_FILE, SOPS_AGE_SSH_PRIVATE_KEY_CMD, /nonexistent-home/.ssh/id_ed25519, /nonexistent-home/.ssh/id_rsa, SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD, /nonexistent-home/.config/sops/age/keys.txt)"), "{msg}");
    }

    /// Without explicit identities every sops place is tried: a wrong or broken place never
    /// hides the right key in another, and a place that fails is named in the message.
    #[test]
    fn every_sops_place_is_tried() {
        let dir = tempfile::tempdir().unwrap();
        let (good, recipient) = keygen();
        let (wrong, _) = keygen();
        let ct = encrypt(b"x", &[parse_recipient(&recipient).unwrap()], true).unwrap();
        let keys = dir.path().join("cfg/sops/age/keys.txt");
        std::fs::create_dir_all(keys.parent().unwrap()).unwrap();
        std::fs::write(&keys, good.as_bytes()).unwrap();
        let sources = IdentitySources {
            sops_key: Some(wrong.to_string()),
            sops_key_file: Some(dir.path().join("missing.txt").display().to_string()),
            xdg_config_home: Some(dir.path().join("cfg")),
            ..Default::default()
        };
        let plain = Keyring::new(sources.clone())
            .decrypt(Path::new("p.age"), &ct)
            .unwrap();
        assert_eq!(plain.expose(), b"x");
        std::fs::remove_file(&keys).unwrap();
        let msg = Keyring::new(sources)
            .decrypt(Path::new("p.age"), &ct)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("no identity matches"), "{msg}");
        assert!(msg.ends_with("from SOPS_AGE_KEY"), "{msg}");

        // SOPS_AGE_KEY_CMD runs with SOPS_AGE_RECIPIENT, once per recipient.
        let script = dir.path().join("cmd.sh");
        let key_file = dir.path().join("cmd-key.txt");
        std::fs::write(&key_file, good.as_bytes()).unwrap();
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\necho \"$SOPS_AGE_RECIPIENT\" >> {log}\ncat {key}\n",
                log = dir.path().join("log").display(),
                key = key_file.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let k = Keyring::new(IdentitySources {
            sops_key_cmd: Some(format!("'{}'", script.display())),
            home: Some(dir.path().join("home")),
            ..Default::default()
        });
        for _ in 0..2 {
            let plain = k
                .decrypt_for_recipient(Path::new("p.age"), &ct, &recipient)
                .unwrap();
            assert_eq!(plain.expose(), b"x");
        }
        let log = std::fs::read_to_string(dir.path().join("log")).unwrap();
        assert_eq!(log, format!("{recipient}\n"));
    }

    #[test]
    fn split_command_like_a_shell() {
        assert_eq!(
            split_command(r#"a 'b c' "d \"e\"" f\ g"#).unwrap(),
            ["a", "b c", "d \"e\"", "f g"]
        );
        assert!(split_command("a 'b").is_none());
    }

    /// A key file with unusable lines warns about those lines (by number) and uses the rest.
    #[test]
    fn unusable_lines_are_skipped_with_a_warning() {
        let (good, recipient) = keygen();
        let ct = encrypt(b"x", &[parse_recipient(&recipient).unwrap()], false).unwrap();
        let warnings = Arc::new(Mutex::new(Vec::new()));
        let sink = warnings.clone();
        let text = format!(
            "AGE-SECRET-KEY-1CANARYNOTAKEY\nAGE-PLUGIN-NOSUCHPLUGIN-1QQQQ\n{}",
            *good
        );
        let k =
            keyring_with(&text).with_warnings(move |w| sink.lock().unwrap().push(w.to_string()));
        assert_eq!(k.decrypt(Path::new("p.age"), &ct).unwrap().expose(), b"x");
        let warnings = warnings.lock().unwrap().join("\n");
        assert!(
            warnings.contains("line 1: skipped: not an age identity"),
            "{warnings}"
        );
        assert!(warnings.contains("line 2: skipped"), "{warnings}");
        assert!(!warnings.contains("CANARY"), "{warnings}");
    }

    /// SECRETGEN_AGE_IDENTITY_FILE is a path list with the platform's separator, empty
    /// entries skipped; the second file holds the key.
    #[test]
    fn identity_file_list_uses_the_platform_separator() {
        let dir = tempfile::tempdir().unwrap();
        let (id_text, recipient) = keygen();
        let (a, b) = (dir.path().join("a.txt"), dir.path().join("b.txt"));
        std::fs::write(&a, keygen().0.as_bytes()).unwrap();
        std::fs::write(&b, id_text.as_bytes()).unwrap();
        let list = std::env::join_paths([a.as_path(), Path::new(""), b.as_path()]).unwrap();
        let k = Keyring::new(IdentitySources {
            identity_files: Some(list.into_string().unwrap()),
            ..Default::default()
        });
        let ct = encrypt(b"x", &[parse_recipient(&recipient).unwrap()], true).unwrap();
        assert_eq!(k.decrypt(Path::new("p.age"), &ct).unwrap().expose(), b"x");
    }

    #[test]
    fn malformed_identity_names_the_line_not_the_key() {
        let k = keyring_with("# comment\n\nAGE-SECRET-KEY-1CANARYNOTAKEY\n");
        let (_, recipient) = keygen();
        let ct = encrypt(b"x", &[parse_recipient(&recipient).unwrap()], false).unwrap();
        let msg = k.decrypt(Path::new("p.age"), &ct).unwrap_err().to_string();
        assert_eq!(
            msg,
            "identity file `SECRETGEN_AGE_IDENTITY` line 3: not an age identity (expected AGE-SECRET-KEY-1…, AGE-SECRET-KEY-PQ-1…, AGE-PLUGIN-…, a # comment or a blank line)"
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
