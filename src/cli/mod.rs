//! The command line: the definitions in [`args`], one runner per subcommand, and the
//! dispatch between them. A runner returns its exit code or an error; `main` prints the error
//! and exits 2.

mod age;
mod age_edit;
mod args;
mod check;
mod create;
mod diff;
mod docs;
mod hash;
mod ksops;
mod plugin;
mod print;
mod progress;
mod recipients;
mod render;
mod sops;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;

use secretgen::app::{Said, Session};
use secretgen::error::Error;
use secretgen::render::Given;

use crate::exit_code;
use args::{Cli, Command, MigrateCommand, VERSION};
pub(crate) use print::print_error;
use print::{print_warnings, write_stdout};

/// What the command line says for every command: sops' key services.
#[derive(Default)]
pub(crate) struct Globals {
    keyservice: Vec<String>,
    enable_local_keyservice: Option<bool>,
}

impl Globals {
    /// The session of a run: settings from `given`, these flags and the environment, and
    /// the one keyring of the run; its warnings and notes printed on stderr.
    fn session(&self, mut given: Given) -> Result<Session, Error> {
        if !self.keyservice.is_empty() || self.enable_local_keyservice.is_some() {
            given.keyservice = self.keyservice.clone();
            given.enable_local_keyservice = self.enable_local_keyservice;
        }
        Ok(Session::new(given, |w| eprintln!("warning: {w}"))?.with_said(say))
    }
}

/// What a run says on the way, on stderr.
fn say(said: Said<'_>) {
    match said {
        Said::Warnings(w) => print_warnings(w),
        Said::NoSecrets { read } => eprintln!("no Secrets: {read} kustomizations read"),
    }
}

/// The keyring of an `age` command: identities are read on the first encrypted input.
fn keyring(identity: &[std::path::PathBuf]) -> secretgen::age::Keyring {
    secretgen::render::keyring(identity.to_vec(), Default::default(), |w| {
        eprintln!("warning: {w}")
    })
}

/// The keyring of a `sops` command: its identities, and the run's key services.
fn keyring_with(
    identity: &[std::path::PathBuf],
    services: &secretgen::app::sops_keys::KeyServices,
) -> secretgen::age::Keyring {
    secretgen::render::keyring(identity.to_vec(), services.clone(), |w| {
        eprintln!("warning: {w}")
    })
}

impl Globals {
    /// The key services of a command without a session (the `sops` commands): the flags,
    /// else `SOPS_KEYSERVICE` and `SOPS_ENABLE_LOCAL_KEYSERVICE`.
    fn key_services(&self) -> Result<secretgen::app::sops_keys::KeyServices, Error> {
        secretgen::render::key_services(&Given {
            keyservice: self.keyservice.clone(),
            enable_local_keyservice: self.enable_local_keyservice,
            ..Given::default()
        })
    }
}

/// Runs the command line of this process.
pub(crate) fn main(mut args: Vec<std::ffi::OsString>) -> Result<ExitCode, Error> {
    // The reader's limits, for every mode: a value that is not valid is an error.
    secretgen::gate::read::install_from_env().map_err(Error::Usage)?;
    // Every mode, those without a parser too (kustomize's call, the KRM stdin, `ksops`):
    // the environment's process timeout, which `--process-timeout` overrides below.
    let timeout = secretgen::gate::process::Timeout::from_env().map_err(Error::Usage)?;
    secretgen::gate::process::set_run_timeout(timeout.unwrap_or_default());
    // Installed as kustomize's plugin executable itself: `SecretGenerator CONFIG`.
    let argv0 = args
        .first()
        .map(std::path::Path::new)
        .and_then(|p| p.file_name());
    // Installed in KSOPS' place (its legacy plugin path or `ksops` on PATH): KSOPS' command line.
    if argv0.is_some_and(|n| n == "ksops") {
        return Ok(ksops::main(&args));
    }
    let none = Globals::default();
    if argv0.is_some_and(|n| n == "SecretGenerator") {
        // kustomize's call, `SecretGenerator CONFIG`, once per generator: no parser built.
        if let [_, config] = args.as_slice()
            && !config.as_encoded_bytes().starts_with(b"-")
        {
            return plugin::kustomize_call(&none, std::path::Path::new(config));
        }
        args.splice(1..1, ["plugin".into(), "exec".into()]);
    } else if let [_, flag] = args.as_slice()
        && (flag == "--version" || flag == "-V")
    {
        // What clap prints, without building the parser: images and CI probe with it.
        let _ = writeln!(std::io::stdout(), "secretgen {VERSION}");
        return Ok(ExitCode::SUCCESS);
    } else if args.len() == 1 && !std::io::stdin().is_terminal() {
        // A bare `secretgen` is a KRM function only when stdin holds a ResourceList; an empty
        // or other stdin (`secretgen </dev/null` in a CI step) is a usage error.
        return plugin::bare_stdin(&none);
    }
    let cli = args::parse_render(&args).unwrap_or_else(|| Cli::parse_from(args));
    if let Some(t) = cli.globals.process_timeout {
        secretgen::gate::process::set_run_timeout(t);
    }
    let g = Globals {
        keyservice: cli.globals.keyservice.clone(),
        enable_local_keyservice: cli.globals.enable_local_keyservice,
    };
    match cli.command {
        Command::Render(args) => render::run(&g, args),
        Command::Hash(args) => hash::run(&g, args),
        Command::Age(args) => Ok(age::run(args)),
        Command::Sops(args) => Ok(sops::run(&g, *args)),
        Command::Plugin(args) => plugin::run(&g, args),
        Command::Fn(args) => plugin::run_fn(&g, args),
        Command::Create(c) => create::run(c),
        Command::Diff(args) => diff::run(&g, args),
        Command::Check(args) => check::run(&g, args),
        Command::Completions { shell } => docs::completions(shell),
        Command::Man { dir } => docs::man(dir),
        Command::Schema => docs::schema(),
        Command::Migrate(MigrateCommand::Ksops {
            paths,
            write,
            identity,
            ..
        }) => ksops::migrate(&g, &paths, write, identity),
    }
}
