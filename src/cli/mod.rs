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
mod render;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;

use secretgen::error::Error;

use crate::exit_code;
use args::{Cli, Command, MigrateCommand, VERSION};
pub(crate) use print::print_error;
use print::write_stdout;
use render::keyring;

/// Runs the command line of this process.
pub(crate) fn main() -> Result<ExitCode, Error> {
    // The reader's limits, for every mode: a value that is not valid is an error.
    secretgen::gate::read::install_from_env().map_err(Error::Usage)?;
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
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
    if argv0.is_some_and(|n| n == "SecretGenerator") {
        // kustomize's call, `SecretGenerator CONFIG`, once per generator: no parser built.
        if let [_, config] = args.as_slice()
            && !config.as_encoded_bytes().starts_with(b"-")
        {
            return plugin::kustomize_call(std::path::Path::new(config));
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
        return plugin::bare_stdin();
    }
    let cli = Cli::parse_from(args);
    if let Some(t) = cli.process_timeout {
        secretgen::gate::process::set_run_timeout(t);
    }
    render::set_key_service_flags(cli.keyservice.clone(), cli.enable_local_keyservice);
    match cli.command {
        Command::Render(args) => render::run(args),
        Command::Hash(args) => hash::run(args),
        Command::Age(args) => Ok(age::run(args)),
        Command::Plugin(args) => plugin::run(args),
        Command::Fn(args) => plugin::run_fn(args),
        Command::Create(c) => create::run(c),
        Command::Diff(args) => diff::run(args),
        Command::Check(args) => check::run(args),
        Command::Completions { shell } => docs::completions(shell),
        Command::Man { dir } => docs::man(dir),
        Command::Schema => docs::schema(),
        Command::Migrate(MigrateCommand::Ksops {
            paths,
            write,
            identity,
            ..
        }) => ksops::migrate(&paths, write, &identity),
    }
}
