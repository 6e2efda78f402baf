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

/// `check --recipients`: one line per file whose keys differ from its rule or its
/// `.age-recipients` (or cannot be compared), exit 1.
fn recipients(paths: &[std::path::PathBuf]) -> Result<ExitCode, Error> {
    use secretgen::app::age_record::AgeCheck;
    let paths = if paths.is_empty() {
        vec![std::path::PathBuf::from(".")]
    } else {
        paths.to_vec()
    };
    let report = app::sops_keys::check_recipients(&paths)?;
    let mut text = String::new();
    for f in &report.sops {
        text.push_str(&format!(
            "{}: master keys differ from the rule of {}: {}\n",
            f.file.display(),
            f.config.display(),
            f.drift.summary()
        ));
    }
    for f in &report.age {
        match &f.check {
            AgeCheck::Differs {
                recipients,
                missing,
                extra,
            } => text.push_str(&format!(
                "{}: recipients differ from {}: {missing} listed there missing, {extra} not listed there; run `secretgen age rekey -R {} {}`\n",
                f.file.display(),
                recipients.display(),
                recipients.display(),
                f.file.display()
            )),
            AgeCheck::Unknown { recipients, stale } => text.push_str(&format!(
                "{}: cannot tell whether its recipients are those of {}: {}; re-encrypt it with secretgen (`secretgen age rekey -R {} {}`)\n",
                f.file.display(),
                recipients.display(),
                if *stale {
                    "written since secretgen recorded it"
                } else {
                    "secretgen has no record of it"
                },
                recipients.display(),
                f.file.display()
            )),
            AgeCheck::Follows | AgeCheck::NotCompared => {}
        }
    }
    write_stdout(text.as_bytes())?;
    let (sops, age) = (report.compared_sops, report.compared_age);
    let found = report.sops.len() + report.age.len();
    if found == 0 {
        eprintln!("recipients follow the rules ({sops} SOPS files, {age} age files compared)");
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!(
        "{found} of {} files differ from their rules or cannot be compared; `secretgen sops updatekeys -y FILE` applies a SOPS rule, `secretgen age rekey` an `.age-recipients`",
        sops + age
    );
    Ok(ExitCode::from(1))
}
