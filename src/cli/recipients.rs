//! The recipients of the `age` commands that encrypt (`encrypt`, `rekey`, `edit`): given on
//! the command line (`-r`) or read from files (`-R`, one per line, `#` comments).

use std::path::PathBuf;

use secretgen::age;
use secretgen::app::age_record;
use secretgen::error::Error;
use secretgen::gate::read::{self, Origin};

fn usage(msg: impl std::fmt::Display) -> Error {
    Error::Usage(msg.to_string())
}

/// The recipients parsed, and their text forms (what the record of the files written to
/// them names).
pub(super) struct Recipients {
    pub(super) keys: Vec<Box<dyn ::age::Recipient + Send>>,
    pub(super) names: Vec<String>,
}

/// Every recipient of `recipients` and of the files `files`; none is an error.
pub(super) fn read_recipients(
    recipients: &[String],
    files: &[PathBuf],
) -> Result<Recipients, Error> {
    let mut out = Recipients {
        keys: Vec::new(),
        names: Vec::new(),
    };
    for r in recipients {
        out.keys.push(age::parse_recipient(r).map_err(usage)?);
        out.names.push(r.trim().to_string());
    }
    for f in files {
        let text = read::file(f, Origin::Argument, read::ANY_SIZE)?;
        let text = String::from_utf8_lossy(&text);
        for (n, line) in age_record::recipient_lines(&text) {
            out.keys.push(age::parse_recipient(line).map_err(|e| {
                // Go age reads recipient files the same way: a comment is a line of its own.
                let hint = if line.contains(" #") && !line.starts_with("ssh-") {
                    " (a comment goes on a line of its own, starting with #)"
                } else {
                    ""
                };
                usage(format!("{}:{n}: {e}{hint}", f.display()))
            })?);
            out.names.push(line.to_string());
        }
    }
    if out.keys.is_empty() {
        return Err(usage("no recipient: give -r RECIPIENT or -R FILE"));
    }
    Ok(out)
}
