//! age plugins (`AGE-PLUGIN-NAME-1…` identities, `age1name1…` recipients), run as
//! `age-plugin-NAME` from PATH through our own client of the age plugin protocol (C2SP
//! age-plugin: stanzas over the plugin's stdin and stdout, phases `identity-v1` and
//! `recipient-v1`), spawned by the one runner of processes, so that a plugin that never
//! answers or floods its stdout is stopped under the run's timeout like any command.
//!
//! In: plugin identities or recipients. Out: age `Identity`/`Recipient` values whose prompts
//! (PIN, touch, confirmation) go to the controlling terminal, `/dev/tty`, never to stdout
//! (which carries YAML or a ResourceList). Without a terminal a request for input is refused
//! and remembered, so the caller can say which plugin needed one; a plugin stopped by the
//! runner is remembered too, for the caller's message.

use std::collections::HashSet;
use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use ::age::secrecy::{ExposeSecret, SecretString};
use ::age::{Callbacks, DecryptError, EncryptError};
use age_core::format::{FileKey, Stanza};
use base64::Engine;
use base64::prelude::BASE64_STANDARD_NO_PAD;
use zeroize::{Zeroize, Zeroizing};

use super::error::RecipientError;
use crate::gate::process::{self, Conversation, ProcessError, Spec};

/// The controlling terminal, if this process has one.
fn tty() -> Option<std::fs::File> {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .ok()
}

/// Callbacks for one plugin: prompts on the terminal; without one, refusals that are noted.
#[derive(Clone)]
pub(crate) struct Terminal {
    plugin: String,
    needed: Arc<AtomicBool>,
}

impl Terminal {
    pub(crate) fn new(plugin: &str) -> Self {
        Terminal {
            plugin: plugin.to_string(),
            needed: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Whether the plugin asked for input that only a terminal could give, and there was none.
    pub(crate) fn lacked_terminal(&self) -> bool {
        self.needed.load(Ordering::SeqCst)
    }

    fn ask(&self, prompt: &str) -> Option<String> {
        let Some(mut t) = tty() else {
            self.needed.store(true, Ordering::SeqCst);
            return None;
        };
        write!(t, "age-plugin-{}: {prompt} ", self.plugin).ok()?;
        t.flush().ok()?;
        let mut line = String::new();
        std::io::BufReader::new(t).read_line(&mut line).ok()?;
        Some(line.trim_end_matches(['\r', '\n']).to_string())
    }
}

impl ::age::Callbacks for Terminal {
    fn display_message(&self, message: &str) {
        // Messages ("touch your key") are diagnostics: the terminal, else stderr.
        match tty() {
            Some(mut t) => {
                let _ = writeln!(t, "age-plugin-{}: {message}", self.plugin);
            }
            None => eprintln!("age-plugin-{}: {message}", self.plugin),
        }
    }

    fn confirm(&self, message: &str, yes_string: &str, no_string: Option<&str>) -> Option<bool> {
        let choices = match no_string {
            Some(no) => format!("[{yes_string}/{no}]"),
            None => format!("[{yes_string}]"),
        };
        let answer = self.ask(&format!("{message} {choices}"))?;
        match no_string {
            Some(no) if answer.eq_ignore_ascii_case(no) => Some(false),
            _ => Some(answer.is_empty() || answer.eq_ignore_ascii_case(yes_string)),
        }
    }

    fn request_public_string(&self, description: &str) -> Option<String> {
        self.ask(description)
    }

    fn request_passphrase(&self, description: &str) -> Option<SecretString> {
        if tty().is_none() {
            self.needed.store(true, Ordering::SeqCst);
            return None;
        }
        rpassword::prompt_password(format!("age-plugin-{}: {description} ", self.plugin))
            .ok()
            .map(SecretString::from)
    }
}

/// `age-plugin-NAME` on PATH: the first executable file of that name.
fn find_binary(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .filter(|d| !d.as_os_str().is_empty())
        .map(|d| d.join(format!("age-plugin-{name}")))
        .find(|p| {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// One run of a plugin in one phase: stanzas written to its stdin, read from its stdout.
struct Channel {
    conv: Conversation,
    /// What was read and not yet parsed (file keys pass through it: zeroed when dropped).
    buf: Zeroizing<Vec<u8>>,
    scan: Scan,
    /// The plugin's working directory, removed after the run (as age runs plugins).
    _dir: tempfile::TempDir,
}

impl Channel {
    fn open(binary: &Path, name: &str, phase: &str) -> Result<Channel, ProcessError> {
        let what = format!("the age plugin `age-plugin-{name}`");
        let dir = tempfile::tempdir().map_err(|e| ProcessError::NotRun {
            what: what.clone(),
            reason: format!("no temporary directory: {}", crate::place::io_reason(&e)),
        })?;
        // Its stderr is shown only when asked for, as age does (`AGEDEBUG=plugin`).
        let debug = std::env::var("AGEDEBUG").is_ok_and(|v| v == "plugin");
        let spec = Spec::new(what, binary)
            .arg(format!("--age-plugin={phase}"))
            .current_dir(dir.path())
            .stderr(if debug {
                process::Stderr::Inherit
            } else {
                process::Stderr::Null
            });
        Ok(Channel {
            conv: process::converse(spec)?,
            buf: Zeroizing::new(Vec::new()),
            scan: Scan::default(),
            _dir: dir,
        })
    }

    /// Writes one stanza.
    fn send(&mut self, tag: &str, args: &[&str], body: &[u8]) -> std::io::Result<()> {
        let out = encode(tag, args, body);
        self.conv.write_all(out.as_bytes())?;
        self.conv.flush()
    }

    fn ok(&mut self, args: &[&str], body: &[u8]) -> std::io::Result<()> {
        self.send("ok", args, body)
    }

    fn fail(&mut self) -> std::io::Result<()> {
        self.send("fail", &[], &[])
    }

    /// Reads the next stanza the plugin sends.
    fn receive(&mut self) -> std::io::Result<Stanza> {
        loop {
            if let Some(end) = self.scan.end(&self.buf) {
                let stanza = age_core::format::read::age_stanza(&self.buf[..end])
                    .map(|(_, s)| Stanza::from(s))
                    .map_err(|_| {
                        std::io::Error::new(
                            std::io::ErrorKind::InvalidData,
                            format!("{} sent something that is not a stanza", self.conv.what()),
                        )
                    })?;
                self.buf.drain(..end);
                return Ok(stanza);
            }
            let mut chunk = Zeroizing::new([0u8; 16384]);
            let n = self.conv.read(&mut chunk[..])?;
            if n == 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    format!("{} stopped before it was done", self.conv.what()),
                ));
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// What stopped the plugin on the runner's side (a timeout, a flood), else `e`.
    fn failure(&self, e: &std::io::Error) -> ProcessError {
        self.conv
            .failure()
            .cloned()
            .unwrap_or_else(|| ProcessError::Io {
                what: self.conv.what().to_string(),
                reason: crate::place::io_reason(e),
            })
    }
}

/// One stanza as the protocol writes it: `-> TAG ARGS…`, then the body in unpadded base64
/// at 64 columns, its last line shorter (empty when needed).
fn encode(tag: &str, args: &[&str], body: &[u8]) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::from("-> "));
    out.push_str(tag);
    for a in args {
        out.push(' ');
        out.push_str(a);
    }
    out.push('\n');
    let b64 = Zeroizing::new(BASE64_STANDARD_NO_PAD.encode(body));
    let mut rest = b64.as_str();
    while rest.len() >= 64 {
        out.push_str(&rest[..64]);
        out.push('\n');
        rest = &rest[64..];
    }
    out.push_str(rest);
    out.push('\n');
    out
}

/// Where the search for the end of the first stanza in a buffer stands: the offset of the
/// first line not looked at yet, and whether the `-> ` line is behind it. Kept between reads,
/// so a long stanza is scanned once (linear time).
#[derive(Default)]
struct Scan {
    pos: usize,
    header: bool,
}

impl Scan {
    /// The length of the first complete stanza in `buf`: its `-> ` line, then body lines up
    /// to and including the first one shorter than 64 columns.
    fn end(&mut self, buf: &[u8]) -> Option<usize> {
        loop {
            let len = buf[self.pos..].iter().position(|&b| b == b'\n')?;
            self.pos += len + 1;
            if !self.header {
                self.header = true;
            } else if len < 64 {
                let end = self.pos;
                *self = Scan::default();
                return Some(end);
            }
        }
    }
}

/// The text of a stanza's body, for a prompt or a message.
fn body_text(s: &Stanza) -> String {
    String::from_utf8_lossy(&s.body).into_owned()
}

/// The requests both phases answer alike: `msg`, `confirm`, `request-public`,
/// `request-secret`. Returns whether `cmd` was one of them.
fn answer_request(
    ch: &mut Channel,
    terminal: &Terminal,
    cmd: &Stanza,
    errors: &mut Vec<String>,
) -> std::io::Result<bool> {
    match cmd.tag.as_str() {
        "msg" => {
            terminal.display_message(&body_text(cmd));
            ch.ok(&[], &[])?;
        }
        "confirm" => {
            let decoded: Vec<_> = cmd
                .args
                .iter()
                .take(2)
                .map(|a| BASE64_STANDARD_NO_PAD.decode(a))
                .collect();
            let strings: Option<Vec<String>> = decoded
                .into_iter()
                .map(|r| r.ok().map(|b| String::from_utf8_lossy(&b).into_owned()))
                .collect();
            match strings.as_deref() {
                Some([yes, rest @ ..]) => {
                    match terminal.confirm(&body_text(cmd), yes, rest.first().map(String::as_str)) {
                        Some(v) => ch.ok(&[if v { "yes" } else { "no" }], &[])?,
                        None => ch.fail()?,
                    }
                }
                _ => {
                    errors.push(format!(
                        "{}: a confirmation without base64 choices",
                        ch.conv.what()
                    ));
                    ch.fail()?;
                }
            }
        }
        "request-public" => match terminal.request_public_string(&body_text(cmd)) {
            Some(v) => ch.ok(&[], v.as_bytes())?,
            None => ch.fail()?,
        },
        "request-secret" => match terminal.request_passphrase(&body_text(cmd)) {
            Some(v) => ch.ok(&[], v.expose_secret().as_bytes())?,
            None => ch.fail()?,
        },
        _ => return Ok(false),
    }
    Ok(true)
}

/// An `error` stanza, as a message: about identity or recipient `N` of `names` (`kind`), or
/// of another kind. The text is the plugin's own message to its user.
fn plugin_error(name: &str, cmd: &Stanza, names: &[String], kind: &str) -> String {
    let message = body_text(cmd);
    let message = message.trim();
    let at = match cmd.args.as_slice() {
        [k, n] if k == kind => n.parse::<usize>().ok().and_then(|i| names.get(i)),
        _ => None,
    };
    match (at, kind) {
        (Some(_), "identity") => {
            format!("`age-plugin-{name}` could not use an identity: {message}")
        }
        (Some(r), _) => format!("`age-plugin-{name}` could not use recipient {r}: {message}"),
        (None, _) => format!(
            "`age-plugin-{name}`: {message} ({})",
            if cmd.args.is_empty() {
                "unknown".to_string()
            } else {
                cmd.args.join(" ")
            }
        ),
    }
}

/// An age `DecryptError` for a failure whose message the caller takes from
/// [`PluginIdentity::failure`] (the age crate's own error type cannot be built here).
fn decrypt_error(message: &str) -> DecryptError {
    DecryptError::Plugin(vec![
        Stanza {
            tag: "error".into(),
            args: vec!["internal".into()],
            body: message.as_bytes().to_vec(),
        }
        .into(),
    ])
}

/// The identities of one plugin: unwraps file keys through `age-plugin-NAME`'s
/// `identity-v1` phase.
pub(crate) struct PluginIdentity {
    name: String,
    binary: PathBuf,
    identities: Vec<String>,
    terminal: Terminal,
    /// Why the plugin failed (stopped by the runner, could not be run, or said so), for the
    /// caller's message.
    failure: Mutex<Option<String>>,
}

impl PluginIdentity {
    /// `None` when `age-plugin-NAME` is not on PATH.
    pub(crate) fn new(
        name: &str,
        identities: &[::age::plugin::Identity],
        terminal: Terminal,
    ) -> Option<PluginIdentity> {
        Some(PluginIdentity {
            name: name.to_string(),
            binary: find_binary(name)?,
            identities: identities
                .iter()
                .filter(|i| i.plugin() == name)
                .map(|i| i.to_string())
                .collect(),
            terminal,
            failure: Mutex::new(None),
        })
    }

    /// Why the plugin failed: stopped by the runner (it did not answer in time, printed too
    /// much), could not be run, or reported an error.
    pub(crate) fn failure(&self) -> Option<String> {
        self.failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn unwrap(&self, stanzas: &[Stanza]) -> Option<Result<FileKey, DecryptError>> {
        let mut ch = match Channel::open(&self.binary, &self.name, "identity-v1") {
            Ok(ch) => ch,
            Err(e) => return Some(Err(self.failed(e.to_string()))),
        };
        match self.converse(&mut ch, stanzas) {
            Ok(Ok(key)) => {
                ch.conv.finish();
                key.map(Ok)
            }
            Ok(Err(errors)) => {
                ch.conv.finish();
                Some(Err(self.failed(errors.join("; "))))
            }
            Err(e) => {
                let f = ch.failure(&e);
                Some(Err(self.failed(f.to_string())))
            }
        }
    }

    fn failed(&self, message: String) -> DecryptError {
        let e = decrypt_error(&message);
        self.failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_or_insert(message);
        e
    }

    fn converse(
        &self,
        ch: &mut Channel,
        stanzas: &[Stanza],
    ) -> std::io::Result<Result<Option<FileKey>, Vec<String>>> {
        // Phase 1: the identities and the file's stanzas (all of file 0).
        for id in &self.identities {
            ch.send("add-identity", &[id], &[])?;
        }
        for s in stanzas {
            let mut args = vec!["0", s.tag.as_str()];
            args.extend(s.args.iter().map(String::as_str));
            ch.send("recipient-stanza", &args, &s.body)?;
        }
        ch.send("done", &[], &[])?;
        // Phase 2: the plugin's requests, until it is done.
        let mut file_key = None;
        let mut errors = Vec::new();
        loop {
            let mut cmd = ch.receive()?;
            if answer_request(ch, &self.terminal, &cmd, &mut errors)? {
                continue;
            }
            match cmd.tag.as_str() {
                "done" => break,
                "file-key" if cmd.args == ["0"] && file_key.is_none() => {
                    if cmd.body.len() == 16 {
                        file_key = Some(FileKey::init_with_mut(|k| k.copy_from_slice(&cmd.body)));
                        cmd.body.zeroize();
                        ch.ok(&[], &[])?;
                    } else {
                        cmd.body.zeroize();
                        ch.fail()?;
                    }
                }
                "file-key" => {
                    cmd.body.zeroize();
                    ch.fail()?;
                }
                "error" => {
                    errors.push(plugin_error(&self.name, &cmd, &self.identities, "identity"));
                    ch.ok(&[], &[])?;
                }
                _ => ch.send("unsupported", &[], &[])?,
            }
        }
        Ok(match file_key {
            None if !errors.is_empty() => Err(errors),
            key => Ok(key),
        })
    }
}

impl ::age::Identity for PluginIdentity {
    fn unwrap_stanza(&self, stanza: &Stanza) -> Option<Result<FileKey, DecryptError>> {
        self.unwrap(std::slice::from_ref(stanza))
    }

    fn unwrap_stanzas(&self, stanzas: &[Stanza]) -> Option<Result<FileKey, DecryptError>> {
        self.unwrap(stanzas)
    }
}

/// A wrapped file key: the stanzas and the recipients' labels.
type Wrapped = (Vec<Stanza>, HashSet<String>);

/// The recipients of one plugin: wraps file keys through `age-plugin-NAME`'s
/// `recipient-v1` phase.
struct PluginRecipient {
    name: String,
    binary: PathBuf,
    recipients: Vec<String>,
    terminal: Terminal,
}

impl PluginRecipient {
    fn converse(
        &self,
        ch: &mut Channel,
        file_key: &FileKey,
    ) -> std::io::Result<Result<Wrapped, String>> {
        for r in &self.recipients {
            ch.send("add-recipient", &[r], &[])?;
        }
        ch.send("extension-labels", &[], &[])?;
        ch.send("wrap-file-key", &[], file_key.expose_secret())?;
        ch.send("done", &[], &[])?;
        let mut stanzas = Vec::new();
        let mut labels: Option<HashSet<String>> = None;
        let mut errors = Vec::new();
        let what = ch.conv.what().to_string();
        let internal = |message: &str| format!("{what}: {message}");
        loop {
            let mut cmd = ch.receive()?;
            if answer_request(ch, &self.terminal, &cmd, &mut errors)? {
                continue;
            }
            match cmd.tag.as_str() {
                "done" => break,
                "recipient-stanza" => {
                    if cmd.args.len() >= 2 && cmd.args[0] == "0" {
                        cmd.args.remove(0);
                        cmd.tag = cmd.args.remove(0);
                        stanzas.push(cmd);
                    } else {
                        errors.push(internal("a stanza for a file key that was not sent"));
                    }
                    ch.ok(&[], &[])?;
                }
                "labels" => {
                    let set: HashSet<String> = cmd.args.iter().cloned().collect();
                    if labels.is_some() || set.len() != cmd.args.len() {
                        errors.push(internal("labels sent twice or with duplicates"));
                    } else {
                        labels = Some(set);
                    }
                    ch.ok(&[], &[])?;
                }
                "error" => {
                    errors.push(plugin_error(
                        &self.name,
                        &cmd,
                        &self.recipients,
                        "recipient",
                    ));
                    ch.ok(&[], &[])?;
                }
                _ => ch.send("unsupported", &[], &[])?,
            }
        }
        Ok(match (stanzas.is_empty(), errors.is_empty()) {
            (false, true) => Ok((stanzas, labels.unwrap_or_default())),
            (true, true) => Err(internal("returned neither stanzas nor errors")),
            _ => Err(errors.join("; ")),
        })
    }
}

impl ::age::Recipient for PluginRecipient {
    fn wrap_file_key(
        &self,
        file_key: &FileKey,
    ) -> Result<(Vec<Stanza>, HashSet<String>), EncryptError> {
        let failed = |message: String| EncryptError::Io(std::io::Error::other(message));
        let mut ch = Channel::open(&self.binary, &self.name, "recipient-v1")
            .map_err(|e| failed(e.to_string()))?;
        match self.converse(&mut ch, file_key) {
            Ok(r) => {
                ch.conv.finish();
                r.map_err(failed)
            }
            Err(e) => Err(failed(ch.failure(&e).to_string())),
        }
    }
}

/// Recipients of one plugin (`age1NAME1…`), wrapped by `age-plugin-NAME`.
pub(crate) fn recipient(
    r: ::age::plugin::Recipient,
) -> Result<Box<dyn ::age::Recipient + Send>, RecipientError> {
    let name = r.plugin().to_string();
    let binary = find_binary(&name).ok_or_else(|| RecipientError::PluginMissing {
        plugin: name.clone(),
    })?;
    Ok(Box::new(PluginRecipient {
        terminal: Terminal::new(&name),
        recipients: vec![r.to_string()],
        name,
        binary,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What we write parses as a stanza, whole, at every body length around the 64-column
    /// wrap, and the scan finds its end exactly, also when it arrives in pieces.
    #[test]
    fn stanzas_round_trip_and_end_where_they_end() {
        for len in [0usize, 1, 47, 48, 49, 96, 200] {
            let body: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let text = encode("recipient-stanza", &["0", "X25519", "abc"], &body);
            let bytes = text.as_bytes();
            let (rest, s) = age_core::format::read::age_stanza(bytes).unwrap();
            assert!(rest.is_empty(), "{len}");
            let s = Stanza::from(s);
            assert_eq!(s.tag, "recipient-stanza");
            assert_eq!(s.args, ["0", "X25519", "abc"]);
            assert_eq!(s.body, body, "{len}");

            let mut scan = Scan::default();
            let mut buf = Vec::new();
            let mut found = None;
            for b in bytes.iter().chain(b"-> done\n\n") {
                buf.push(*b);
                if found.is_none() {
                    found = scan.end(&buf);
                }
            }
            assert_eq!(found, Some(bytes.len()), "{len}");
            assert_eq!(scan.end(&buf[bytes.len()..]), Some(9));
        }
    }
}
