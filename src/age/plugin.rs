//! age plugins (`AGE-PLUGIN-NAME-1…` identities, `age1name1…` recipients), run as
//! `age-plugin-NAME` from PATH through the age crate's plugin client.
//!
//! In: plugin identities or recipients. Out: age `Identity`/`Recipient` values whose prompts
//! (PIN, touch, confirmation) go to the controlling terminal, `/dev/tty`, never to stdout
//! (which carries YAML or a ResourceList). Without a terminal a request for input is refused
//! and remembered, so the caller can say which plugin needed one.

use std::io::{BufRead, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use ::age::secrecy::SecretString;

use super::error::RecipientError;

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

/// Recipients of one plugin (`age1NAME1…`), wrapped by `age-plugin-NAME`.
pub(crate) fn recipient(
    r: ::age::plugin::Recipient,
) -> Result<Box<dyn ::age::Recipient + Send>, RecipientError> {
    let name = r.plugin().to_string();
    ::age::plugin::RecipientPluginV1::new(&name, &[r], &[], Terminal::new(&name))
        .map(|p| Box::new(p) as Box<dyn ::age::Recipient + Send>)
        .map_err(|_| RecipientError::PluginMissing { plugin: name })
}
