//! Where identities come from and the [`Keyring`] that holds them.
//!
//! In: the places identities may come from ([`IdentitySources`]: flags, `SECRETGEN_AGE_*`,
//! the `SOPS_AGE_*` variables, the default keys files). Out: the identities in use (X25519,
//! post-quantum, SSH, plugin), read once per process and only when an encrypted input is
//! met, with where they came from and why a place gave nothing, for messages. Identity text
//! is parsed line by line; an unusable line is reported by number, never by content.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use zeroize::Zeroizing;

use super::error::{CryptError, ReadError};
use super::keys::short_recipient;
use super::{plugin, pq, x25519};
use crate::gate::{process, read};

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
    identities: Vec<Box<dyn ::age::Identity + Send + Sync>>,
    publics: Vec<String>,
    /// Plugin identities with where they were read (for warnings).
    plugins: Vec<(::age::plugin::Identity, String)>,
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
pub(super) struct PluginSet {
    pub(super) name: String,
    pub(super) identity: plugin::PluginIdentity,
    pub(super) terminal: plugin::Terminal,
}

/// The identities in use and where they came from.
pub(super) struct Loaded {
    pub(super) identities: Vec<Box<dyn ::age::Identity + Send + Sync>>,
    pub(super) plugins: Vec<PluginSet>,
    /// The public keys (recipients), for messages.
    publics: Vec<String>,
    /// The places that gave identities.
    pub(super) source: String,
    /// Every place looked at, with why it gave nothing where it was set (for messages).
    pub(super) searched: Vec<String>,
}

impl Loaded {
    pub(super) fn tried(&self) -> Vec<String> {
        let mut tried = self.publics.clone();
        for p in &self.plugins {
            tried.push(format!("age-plugin-{}", p.name));
        }
        tried
    }
}

/// What `SOPS_AGE_KEY_CMD` gave for one recipient, or why it gave nothing.
pub(super) type CmdIdentities = Arc<Result<Loaded, CryptError>>;

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
    /// `SOPS_AGE_KEY_CMD`'s result once the runner stopped it (no answer in time, too much
    /// output): not run again for the next recipient, where it would only be stopped again.
    cmd_stopped: OnceLock<CmdIdentities>,
    /// SOPS data keys already unwrapped this run, by key entry (type and `enc`; for an age
    /// entry nothing opened, also the file its reason names): a file read by several
    /// generators or overlays, or concurrently, is unwrapped once, locally or by a key
    /// service.
    unwrapped: Mutex<HashMap<EntryKey, Unwrapped>>,
    warn: Option<WarnSink>,
    /// sops' key services of the run, asked after (or, when local keys are off, instead of)
    /// the keys of this machine.
    key_services: crate::sops::keys::keyservice::KeyServices,
}

/// A SOPS key entry as the run's cache knows it: its field, its `enc`, and for an age entry
/// nothing opened, the file its reason names.
type EntryKey = (&'static str, String, Option<PathBuf>);

/// One SOPS key entry's outcome, shared by every reader of the entry in the run.
type Unwrapped = Arc<OnceLock<Result<Zeroizing<Vec<u8>>, crate::sops::KeyFailure>>>;

impl Keyring {
    pub fn new(sources: IdentitySources) -> Self {
        Keyring {
            sources,
            loaded: OnceLock::new(),
            from_cmd: Mutex::new(Vec::new()),
            cmd_stopped: OnceLock::new(),
            unwrapped: Mutex::new(HashMap::new()),
            warn: None,
            key_services: Default::default(),
        }
    }

    /// Sends warnings (unusable lines of a key file, plugins not on PATH) to `sink`.
    /// The run's sops key services (see [`crate::sops::keys::keyservice`]).
    pub fn with_key_services(
        mut self,
        services: crate::sops::keys::keyservice::KeyServices,
    ) -> Self {
        self.key_services = services;
        self
    }

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
        // `--identity` may name a pipe (`-i <(pass show key)`); a variable, a regular file.
        let mut origin = read::Origin::Input;
        if !s.cli_files.is_empty() {
            files = s.cli_files.clone();
            origin = read::Origin::Argument;
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
            let text = read_key_file_from(&f, origin)?;
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
                let r = run_key_cmd("SOPS_AGE_SSH_PRIVATE_KEY_CMD", cmd, "", &mut false)
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
            let ids: Vec<::age::plugin::Identity> = parsed
                .plugins
                .iter()
                .filter(|(i, _)| i.plugin() == name)
                .map(|(i, _)| i.clone())
                .collect();
            let terminal = plugin::Terminal::new(&name);
            match plugin::PluginIdentity::new(&name, &ids, terminal.clone()) {
                Some(identity) => plugins.push(PluginSet {
                    name,
                    identity,
                    terminal,
                }),
                None => {
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

    pub(super) fn load(&self) -> Result<&Loaded, CryptError> {
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
    pub(super) fn cmd_identities(&self, recipient: &str) -> Option<CmdIdentities> {
        let cmd = self.sources.sops_key_cmd.as_ref()?;
        if self.explicit() {
            return None;
        }
        let mut cache = self.from_cmd.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, l)) = cache.iter().find(|(r, _)| r == recipient) {
            return Some(l.clone());
        }
        if let Some(l) = self.cmd_stopped.get() {
            return Some(l.clone());
        }
        let mut stopped = false;
        let result = run_key_cmd("SOPS_AGE_KEY_CMD", cmd, recipient, &mut stopped)
            .and_then(|t| parse_identities("SOPS_AGE_KEY_CMD", &t, false))
            .map(|p| self.assemble(p, "SOPS_AGE_KEY_CMD".into(), Vec::new()));
        let l = Arc::new(result);
        if stopped {
            let _ = self.cmd_stopped.set(l.clone());
        }
        cache.push((recipient.to_string(), l.clone()));
        Some(l)
    }
}

/// The age side of SOPS: an `age` entry is opened with these identities (`SOPS_AGE_KEY_CMD`
/// runs with `SOPS_AGE_RECIPIENT` set to the entry's recipient, as sops runs it). Other key
/// types are opened as the SOPS layer opens them locally (a `pgp` entry through gpg).
impl crate::sops::DataKeys for Keyring {
    fn unwrap(
        &self,
        file: &Path,
        entry: &crate::sops::KeyEntry,
    ) -> Result<Zeroizing<Vec<u8>>, crate::sops::KeyFailure> {
        // sops' order: this machine's keys first (unless turned off), then the key services.
        // Once per entry per run, whoever answers: a file read by several generators or
        // overlays, or concurrently, asks gpg, KMS and each key service once. An age entry
        // that nothing opened is asked again for another file name (its reason names the
        // file); what opened it is kept for every reader.
        let ask = || {
            crate::sops::keys::keyservice::unwrap(&self.key_services, entry, || {
                self.unwrap_local(file, entry)
            })
        };
        let shared = (entry.field(), entry.enc().to_string(), None);
        let slot = |key: EntryKey| {
            let mut map = self.unwrapped.lock().unwrap_or_else(|p| p.into_inner());
            map.entry(key).or_default().clone()
        };
        if !matches!(entry, crate::sops::KeyEntry::Age { .. }) {
            return slot(shared).get_or_init(ask).clone();
        }
        let opened = slot(shared.clone());
        if let Some(Ok(k)) = opened.get() {
            return Ok(k.clone());
        }
        let outcome = slot((shared.0, shared.1, Some(file.to_path_buf())))
            .get_or_init(ask)
            .clone();
        if let Ok(k) = &outcome {
            let _ = opened.set(Ok(k.clone()));
        }
        outcome
    }
}

impl Keyring {
    /// A SOPS key entry opened with this machine's keys: age entries with the identities,
    /// other types as the SOPS layer opens them locally (gpg, AWS KMS).
    fn unwrap_local(
        &self,
        file: &Path,
        entry: &crate::sops::KeyEntry,
    ) -> Result<Zeroizing<Vec<u8>>, crate::sops::KeyFailure> {
        use crate::sops::{KeyEntry, KeyFailure};
        let KeyEntry::Age { recipient, enc } = entry else {
            return crate::sops::keys::local(entry);
        };
        match self.decrypt_for_recipient(file, enc.as_bytes(), recipient) {
            Ok(k) => Ok(Zeroizing::new(k.expose().to_vec())),
            Err(e @ (CryptError::NoIdentity { .. } | CryptError::NoMatch { .. })) => {
                Err(KeyFailure::Missing(e.to_string()))
            }
            Err(e) => Err(KeyFailure::Failed(e.to_string())),
        }
    }
}

/// A key file named by a variable or found in a default place: a regular file only.
fn read_key_file(f: &Path) -> Result<Zeroizing<Vec<u8>>, CryptError> {
    read_key_file_from(f, read::Origin::Input)
}

/// A key file's bytes (zeroized when dropped), read through the gate's reader: what
/// `origin` allows (a FIFO would hang the build, and through the exec plugin kustomize
/// itself; a device may never end), at most [`MAX_IDENTITY_FILE`] bytes.
fn read_key_file_from(f: &Path, origin: read::Origin) -> Result<Zeroizing<Vec<u8>>, CryptError> {
    read::file(f, origin, MAX_IDENTITY_FILE).map_err(|e| {
        let reason = match e.failure {
            read::ReadFailure::NotRegular(_) if origin == read::Origin::Input => {
                ReadError::NotRegular.to_string()
            }
            read::ReadFailure::TooLarge {
                size,
                settable: false,
                ..
            } => ReadError::TooLarge(size).to_string(),
            read::ReadFailure::Io(e) => ReadError::Io(e).to_string(),
            other => other.to_string(),
        };
        CryptError::IdentityFile {
            file: f.display().to_string(),
            line: None,
            reason,
        }
    })
}

/// Runs `SOPS_AGE_KEY_CMD` (or the SSH one) as sops does: split like a shell would, no
/// shell, `SOPS_AGE_RECIPIENT` set; its stdout is the identity text. `stopped` is set when
/// the runner stopped it (it did not finish in time, or printed too much).
fn run_key_cmd(
    var: &str,
    cmd: &str,
    recipient: &str,
    stopped: &mut bool,
) -> Result<Zeroizing<Vec<u8>>, CryptError> {
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
    // Named by the variable and the program, never by its arguments or anything it printed.
    let spec = process::Spec::new(format!("`{program}`"), program)
        .args(args)
        .env("SOPS_AGE_RECIPIENT", recipient);
    let out = process::output(spec)
        .and_then(|o| o.success(&format!("`{program}`")))
        .map_err(|e| {
            *stopped = matches!(
                e,
                process::ProcessError::TimedOut { .. }
                    | process::ProcessError::TooMuchOutput { .. }
            );
            err(e.to_string())
        })?;
    Ok(out.stdout)
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
        let identity = ::age::ssh::Identity::from_buffer(
            std::io::Cursor::new(text.as_bytes()),
            Some(name.to_string()),
        )
        .map_err(|e| err(None, &format!("not a usable SSH private key ({e})")))?;
        match &identity {
            ::age::ssh::Identity::Unencrypted(_) => {}
            ::age::ssh::Identity::Encrypted(_) => {
                return Err(err(
                    None,
                    "the SSH key is passphrase-protected; builds need an unencrypted key (or an age identity)",
                ));
            }
            ::age::ssh::Identity::Unsupported(_) => {
                return Err(err(
                    None,
                    "this SSH key type is not supported by age (use ed25519 or rsa)",
                ));
            }
        }
        let public = ::age::ssh::Recipient::try_from(identity.clone())
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
        let id: ::age::plugin::Identity = key
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
        // Our own X25519 identity: its public key is computed here once, not per stanza.
        let id = x25519::Identity::parse(key).ok_or(NOT_AN_IDENTITY)?;
        out.publics.push(id.recipient());
        out.identities.push(Box::new(id));
    }
    Ok(())
}

/// The largest identity file read: far more than any real keys file holds (an RSA key is
/// about 3 KB), and a bound on what `--identity /dev/zero` can make us read.
pub const MAX_IDENTITY_FILE: u64 = 4 << 20;

#[cfg(test)]
#[allow(clippy::disallowed_methods)]
pub(super) mod tests {
    use super::*;
    use crate::age::{encrypt, keygen, parse_recipient};

    pub(crate) fn keyring_with(identity_text: &str) -> Keyring {
        Keyring::new(IdentitySources {
            identity: Some(identity_text.to_string()),
            ..Default::default()
        })
    }

    #[test]
    fn no_identity_lists_places() {
        let (_, recipient) = keygen();
        let ct = encrypt(b"x", &[parse_recipient(&recipient).unwrap()], true).unwrap();
        let k = Keyring::new(IdentitySources {
            home: Some(PathBuf::from("/nonexistent-home")),
            ..Default::default()
        });
        let msg = k
            .decrypt_age(Path::new("p.age"), &ct)
            .unwrap_err()
            .to_string();
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
            .decrypt_age(Path::new("p.age"), &ct)
            .unwrap();
        assert_eq!(plain.expose(), b"x");
        std::fs::remove_file(&keys).unwrap();
        let msg = Keyring::new(sources)
            .decrypt_age(Path::new("p.age"), &ct)
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
        assert_eq!(
            k.decrypt_age(Path::new("p.age"), &ct).unwrap().expose(),
            b"x"
        );
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
        assert_eq!(
            k.decrypt_age(Path::new("p.age"), &ct).unwrap().expose(),
            b"x"
        );
    }

    #[test]
    fn malformed_identity_names_the_line_not_the_key() {
        let k = keyring_with("# comment\n\nAGE-SECRET-KEY-1CANARYNOTAKEY\n");
        let (_, recipient) = keygen();
        let ct = encrypt(b"x", &[parse_recipient(&recipient).unwrap()], false).unwrap();
        let msg = k
            .decrypt_age(Path::new("p.age"), &ct)
            .unwrap_err()
            .to_string();
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
            k.decrypt_age(Path::new("a.age"), &a).unwrap().expose(),
            b"first"
        );
        std::fs::remove_file(&key).unwrap();
        assert_eq!(
            k.decrypt_age(Path::new("b.age"), &b).unwrap().expose(),
            b"second"
        );
        // A fresh keyring does read the (now missing) file, and says so.
        let fresh = Keyring::new(IdentitySources {
            cli_files: vec![key.clone()],
            ..Default::default()
        });
        assert!(matches!(
            fresh.decrypt_age(Path::new("b.age"), &b),
            Err(CryptError::IdentityFile { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
