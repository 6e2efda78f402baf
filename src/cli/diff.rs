//! `secretgen diff`: two sides (rendered YAML, a `render -o` directory, or a tree to render,
//! either of them possibly at a git revision), compared without showing a value.

use std::io::IsTerminal;
use std::process::ExitCode;

use secretgen::app;
use secretgen::error::Error;
use secretgen::review::diff;

use super::Globals;
use super::args::{DiffArgs, DiffFormat};
use super::print::{diff_style, write_stdout};

pub(super) fn run(g: &Globals, args: DiffArgs) -> Result<ExitCode, Error> {
    let session = g.session(args.flags.given(Some(&args.placeholder)))?;
    let report = match &args.base {
        Some(rev) => {
            let mut paths = args.sides.clone();
            paths.extend(args.paths.iter().cloned());
            app::diff::against_base(&session, rev, &paths)?
        }
        None => {
            let [o, n] = args.sides.as_slice() else {
                return Err(Error::Usage(format!(
                    "diff needs two paths, OLD and NEW (got {}), or --base GIT_REF [PATH…]",
                    args.sides.len()
                )));
            };
            app::diff::two(&session, o, n)?
        }
    };
    if args.show_values {
        let why = if matches!(args.format, DiffFormat::Json) {
            Some("--format json never holds values")
        } else if !std::io::stdout().is_terminal() {
            Some("stdout is not a terminal")
        } else if std::env::var_os("CI").is_some() {
            Some("CI is set")
        } else {
            None
        };
        if let Some(why) = why {
            eprintln!("warning: --show-values ignored: {why}");
        }
    }
    let text = match args.format {
        DiffFormat::Text => diff::to_text(&report, diff_style(args.show_values)),
        DiffFormat::Json => diff::to_json(&report),
    };
    write_stdout(text.as_bytes())?;
    let uncompared = args.strict && !report.uncompared.is_empty();
    Ok(if report.is_empty() && !uncompared {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
