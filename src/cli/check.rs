//! `secretgen check`: broken references to Secrets, or with --require-encrypted the
//! plaintext gate.

use std::process::ExitCode;

use secretgen::app;
use secretgen::error::Error;

use super::Globals;
use super::args::CheckArgs;
use super::print::write_stdout;

/// `secretgen check`: findings on stdout, exit 1 when there are any.
pub(super) fn run(g: &Globals, args: CheckArgs) -> Result<ExitCode, Error> {
    if args.recipients {
        return recipients(&args.paths);
    }
    let session = g.session(args.flags.given(Some(&args.placeholder)))?;
    if args.require_encrypted {
        let allow = secretgen::review::policy::AllowList::new(&args.allow_plaintext)?;
        let gate = app::check::require_encrypted(&session, &args.paths, &allow)?;
        let mut text = String::new();
        for f in &gate.found {
            text.push_str(&format!("{f}\n"));
        }
        write_stdout(text.as_bytes())?;
        if gate.found.is_empty() {
            eprintln!("no plaintext secrets ({} generators read)", gate.generators);
            return Ok(ExitCode::SUCCESS);
        }
        eprintln!("{} plaintext secret inputs", gate.found.len());
        return Ok(ExitCode::from(1));
    }
    let checked = app::check::check(&session, &args.paths, args.strict)?;
    for n in &checked.notes {
        eprintln!("note: {n}");
    }
    let mut text = String::new();
    for f in &checked.findings {
        text.push_str(&format!("{f}\n"));
    }
    if checked.findings.is_empty() {
        let unchecked = if checked.notes.is_empty() {
            String::new()
        } else {
            format!(
                "; {} references not checked, see the notes",
                checked.notes.len()
            )
        };
        eprintln!(
            "no broken references ({} Secrets, {} files{unchecked})",
            checked.secrets, checked.files
        );
    }
    write_stdout(text.as_bytes())?;
    Ok(if checked.findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `check --recipients`: one line per file whose keys differ from its rule, exit 1.
fn recipients(paths: &[std::path::PathBuf]) -> Result<ExitCode, Error> {
    let paths = if paths.is_empty() {
        vec![std::path::PathBuf::from(".")]
    } else {
        paths.to_vec()
    };
    let (found, compared) = app::sops_keys::check_recipients(&paths)?;
    let mut text = String::new();
    for f in &found {
        text.push_str(&format!(
            "{}: master keys differ from the rule of {}: {}\n",
            f.file.display(),
            f.config.display(),
            f.drift.summary()
        ));
    }
    write_stdout(text.as_bytes())?;
    if found.is_empty() {
        eprintln!("recipients follow the rules ({compared} SOPS files compared)");
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!(
        "{} of {compared} SOPS files differ from their rules; `secretgen sops updatekeys -y FILE` applies a rule",
        found.len()
    );
    Ok(ExitCode::from(1))
}
