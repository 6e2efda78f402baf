//! `secretgen completions`, `man` and `schema`: what is generated from the definitions.

use std::path::PathBuf;
use std::process::ExitCode;

use secretgen::error::Error;

use super::args::Cli;
use super::print::write_stdout;

/// The completion script for `shell`.
pub(super) fn completions(shell: clap_complete::Shell) -> Result<ExitCode, Error> {
    use clap::CommandFactory;
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "secretgen", &mut out);
    write_stdout(&out)?;
    Ok(ExitCode::SUCCESS)
}

/// The manual page, or with `dir` every page written there.
pub(super) fn man(dir: Option<PathBuf>) -> Result<ExitCode, Error> {
    use clap::CommandFactory;
    // The build date, not today's: pages built from one commit are the same bytes.
    let page = |cmd: clap::Command| {
        clap_mangen::Man::new(cmd)
            .date(env!("SECRETGEN_BUILD_DATE"))
            .source(format!("secretgen {}", env!("CARGO_PKG_VERSION")))
    };
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let Some(dir) = dir else {
        let mut out = Vec::new();
        page(cmd)
            .render(&mut out)
            .map_err(|e| Error::io(std::path::Path::new("<stdout>"), "cannot write", e))?;
        write_stdout(&out)?;
        return Ok(ExitCode::SUCCESS);
    };
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, "cannot create", e))?;
    // secretgen.1, then secretgen-SUB.1 and secretgen-SUB-SUBSUB.1 for every subcommand.
    let mut stack = vec![cmd];
    while let Some(cmd) = stack.pop() {
        stack.extend(cmd.get_subcommands().filter(|s| !s.is_hide_set()).cloned());
        let man = page(cmd);
        let path = dir.join(man.get_filename());
        man.generate_to(&dir)
            .map_err(|e| Error::io(&path, "cannot write", e))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// The JSON Schema of generator manifests.
pub(super) fn schema() -> Result<ExitCode, Error> {
    write_stdout(secretgen::kustomize::schema::SCHEMA.as_bytes()).map(|()| ExitCode::SUCCESS)
}
