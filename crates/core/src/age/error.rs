//! The age layer's errors. Each names files, lines and key types, never a value: no variant
//! holds key material or plaintext, so their `Debug` and `Display` print no secret.

use std::path::PathBuf;

use super::pq;

/// Why an input could not be decrypted. Names files and key types, never a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptError {
    /// Encrypted input, but no identity in any of the places searched.
    #[error(
        "`{}` is age-encrypted but no identity was found (searched: {}); pass --identity FILE or set SECRETGEN_AGE_IDENTITY_FILE",
        file.display(),
        searched.join(", ")
    )]
    NoIdentity {
        file: PathBuf,
        searched: Vec<String>,
    },
    /// None of the identities tried opens the file.
    #[error(
        "`{}`: no identity matches: the file is encrypted to {stanzas}; tried {} from {places}",
        file.display(),
        tried_list(tried)
    )]
    NoMatch {
        file: PathBuf,
        stanzas: String,
        tried: Vec<String>,
        /// The places the identities came from.
        places: String,
    },
    /// The header is malformed or of an unknown version.
    #[error("`{}`: not a valid age file (header failure: {reason})", file.display())]
    Header { file: PathBuf, reason: String },
    /// The header's MAC does not verify: the file was altered.
    #[error(
        "`{}`: the age header failed authentication (HMAC failure): the file was altered",
        file.display()
    )]
    HeaderMac { file: PathBuf },
    /// The payload does not authenticate: truncated or altered.
    #[error(
        "`{}`: the age payload failed authentication (payload failure): the file is truncated or was altered",
        file.display()
    )]
    Payload { file: PathBuf },
    /// The ASCII armor is malformed.
    #[error("`{}`: invalid age armor (armor failure: {reason})", file.display())]
    Armor { file: PathBuf, reason: String },
    /// Encrypted to a passphrase, which needs a terminal.
    #[error(
        "`{}` is encrypted with a passphrase, which needs a terminal; re-encrypt it to a recipient key (`secretgen age encrypt -r age1…`) for builds",
        file.display()
    )]
    Passphrase { file: PathBuf },
    /// An age plugin asked for input (a PIN, a touch confirmation) and there is no terminal.
    #[error(
        "`{}`: the age plugin `{plugin}` needs a terminal (for a PIN or a touch) and there is none; decrypt where a terminal is available, or add an identity that needs no interaction",
        file.display()
    )]
    PluginNeedsTerminal { file: PathBuf, plugin: String },
    /// An age plugin failed.
    #[error("`{}`: an age plugin failed: {reason}", file.display())]
    Plugin { file: PathBuf, reason: String },
    /// An identity file that cannot be read or parsed.
    #[error("identity file `{file}`{}: {reason}", line_suffix(line))]
    IdentityFile {
        file: String,
        line: Option<usize>,
        reason: String,
    },
}

fn tried_list(tried: &[String]) -> String {
    if tried.is_empty() {
        "no identity".to_string()
    } else {
        tried.join(", ")
    }
}

fn line_suffix(line: &Option<usize>) -> String {
    match line {
        Some(l) => format!(" line {l}"),
        None => String::new(),
    }
}

impl CryptError {
    /// The same error with the encrypted file it names shown through `view` (an identity
    /// file is the run's own, never a revision's, and stays as it is).
    pub(crate) fn relabel(mut self, view: &dyn crate::place::PathView) -> Self {
        use CryptError as E;
        match &mut self {
            E::NoIdentity { file, .. }
            | E::NoMatch { file, .. }
            | E::Header { file, .. }
            | E::HeaderMac { file }
            | E::Payload { file }
            | E::Armor { file, .. }
            | E::Passphrase { file }
            | E::PluginNeedsTerminal { file, .. }
            | E::Plugin { file, .. } => *file = view.show(file),
            E::IdentityFile { .. } => {}
        }
        self
    }

    /// Why an identity place gave nothing, for the list of places searched.
    pub(super) fn reason(&self) -> String {
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

/// Why an identity file could not be read (its content is never part of it).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{}", crate::place::io_reason(.0))]
    Io(#[from] std::io::Error),
    #[error("not a regular file (a FIFO, socket or device cannot be an identity file)")]
    NotRegular,
    #[error(
        "is {0} bytes or more; identity files are limited to {max} bytes",
        max = super::MAX_IDENTITY_FILE
    )]
    TooLarge(u64),
}

/// Why an age header's stanzas could not be listed.
#[derive(Debug, thiserror::Error)]
pub enum StanzaError {
    #[error("{0}")]
    Read(#[from] std::io::Error),
    #[error("not an age v1 file")]
    NotAge,
    #[error("header ends early")]
    EndsEarly,
    #[error("header line too long")]
    LineTooLong,
}

/// Why a string is not a usable recipient. `shown` is the recipient as messages show it
/// (a post-quantum one shortened to its ends); a public key is no secret.
#[derive(Debug, thiserror::Error)]
pub enum RecipientError {
    #[error("`{shown}` is not a valid post-quantum recipient: {source}")]
    PostQuantum {
        shown: String,
        #[source]
        source: pq::KeyError,
    },
    #[error(
        "`{shown}` is not an age recipient (age1…, age1pq1…, a plugin's age1NAME1…) or an SSH public key (ssh-ed25519 …, ssh-rsa …)"
    )]
    Unknown { shown: String },
    #[error("the recipient needs the age plugin `age-plugin-{plugin}`, which is not on PATH")]
    PluginMissing { plugin: String },
}

/// Why encryption failed (never the plaintext).
#[derive(Debug, thiserror::Error)]
pub enum EncryptError {
    #[error(
        "post-quantum recipients (age1pq1…, age1tagpq1…) cannot be mixed with classic ones (age1…, SSH keys): the classic key would break the file's post-quantum protection; encrypt to post-quantum recipients only (as Go age requires)"
    )]
    MixedPostQuantum,
    #[error("{}", age_reason(.0))]
    Age(#[source] ::age::EncryptError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// The age crate's reason; plugin errors one after the other, trimmed.
fn age_reason(e: &::age::EncryptError) -> String {
    match e {
        ::age::EncryptError::Plugin(errors) => errors
            .iter()
            .map(|e| e.to_string().trim().to_string())
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}
