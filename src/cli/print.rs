//! What every command prints the same way: errors, warnings, and its output on stdout.

use std::io::Write;

use secretgen::error::{Error, Warning};

/// `error: …` on stderr, control characters escaped.
pub(crate) fn print_error(e: &Error) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "error: {}",
        secretgen::error::escape_controls(&e.to_string())
    );
}

/// Prints each warning once per run, however many renders of the same input met it (both
/// sides of a diff, a file reached from two kustomizations).
pub(crate) fn print_warnings(warnings: &[Warning]) {
    static PRINTED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let mut printed = PRINTED.lock().unwrap_or_else(|p| p.into_inner());
    let mut err = std::io::stderr().lock();
    for w in warnings {
        let line = format!(
            "warning: {}",
            secretgen::error::escape_controls(&w.to_string())
        );
        if !printed.contains(&line) {
            let _ = writeln!(err, "{line}");
            printed.push(line);
        }
    }
}

/// All of `bytes` on stdout, flushed.
pub(crate) fn write_stdout(bytes: &[u8]) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|_| out.flush())
        .map_err(|e| Error::io(std::path::Path::new("<stdout>"), "cannot write", e))
}

/// How a diff is printed on this stdout: in colour on a terminal (never with `NO_COLOR`),
/// values shown only when asked, on a terminal, outside CI.
pub(crate) fn diff_style(show_values: bool) -> secretgen::review::diff::Style {
    use std::io::IsTerminal;
    let tty = std::io::stdout().is_terminal();
    secretgen::review::diff::Style {
        color: tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        show_values: show_values && tty && std::env::var_os("CI").is_none(),
    }
}
