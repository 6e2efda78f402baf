//! The recipients of the `age` commands that encrypt (`encrypt`, `rekey`, `edit`): given on
//! the command line (`-r`) or read from files (`-R`, one per line, `#` comments).

use std::path::PathBuf;

use secretgen::age;
use secretgen::error::Error;
use secretgen::gate::read::{self, Origin};

fn usage(msg: impl std::fmt::Display) -> Error {
    Error::Usage(msg.to_string())
}

/// Every recipient of `recipients` and of the files `files`; none is an error.
pub(super) fn read_recipients(
    recipients: &[String],
    files: &[PathBuf],
) -> Result<Vec<Box<dyn ::age::Recipient + Send>>, Error> {
    let mut out = Vec::new();
    for r in recipients {
        out.push(age::parse_recipient(r).map_err(usage)?);
    }
    for f in files {
        let text = read::file(f, Origin::Argument, read::ANY_SIZE)?;
        let text = String::from_utf8_lossy(&text);
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            out.push(age::parse_recipient(line).map_err(|e| {
                // Go age reads recipient files the same way: a comment is a line of its own.
                let hint = if line.contains(" #") && !line.starts_with("ssh-") {
                    " (a comment goes on a line of its own, starting with #)"
                } else {
                    ""
                };
                usage(format!("{}:{}: {e}{hint}", f.display(), i + 1))
            })?);
        }
    }
    if out.is_empty() {
        return Err(usage("no recipient: give -r RECIPIENT or -R FILE"));
    }
    Ok(out)
}
