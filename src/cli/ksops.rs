//! secretgen in KSOPS' place: run under the name `ksops` (kustomize's legacy plugin path
//! `viaduct.ai/v1/ksops/ksops`, or `ksops` on PATH for the KRM function), it takes KSOPS'
//! command line: `ksops CONFIG` (exec plugin), `ksops` with a ResourceList on stdin (KRM),
//! `ksops install [--with-kustomize] DIR` (copy itself, for an init container).

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use secretgen::app::{self, Session};
use secretgen::error::Error;
use secretgen::render::Given;

use super::Globals;

const HELP: &str = "secretgen, running as KSOPS (viaduct-ai/kustomize-sops v4.5.1 compatible).

kustomize usage:
- kustomize build --enable-alpha-plugins --enable-exec

Standalone usage:
- ksops --help | ksops --version
- Legacy: ksops secret-generator.yaml
- KRM: cat resource-list.yaml | ksops

Install usage (copy this binary to a target directory):
- ksops install /custom-tools
- ksops install --with-kustomize /custom-tools
";

/// `ksops …`: exit 0 on success, 2 on an error (printed), 1 for a usage error as KSOPS.
pub(super) fn main(args: &[OsString]) -> ExitCode {
    match args {
        [_, cmd, rest @ ..] if cmd == "install" => install(rest),
        // Help and version are answered, not read as the name of a config file.
        [_, cmd] if ["help", "--help", "-h"].iter().any(|h| cmd == h) => {
            print!("{HELP}");
            ExitCode::SUCCESS
        }
        [_, cmd] if ["version", "--version", "-v"].iter().any(|v| cmd == v) => {
            println!(
                "ksops: secretgen {} (KSOPS v4.5.1 compatible)",
                env!("CARGO_PKG_VERSION")
            );
            ExitCode::SUCCESS
        }
        [_] if !std::io::stdin().is_terminal() => {
            // Through the gate's reader: capped as YAML is, a silent pipe timed out.
            let limit = secretgen::kustomize::manifest::MAX_YAML_BYTES;
            match secretgen::gate::read::stdin_text(limit, "a ResourceList") {
                Ok(input) => with_session(|session| function(&input, session)),
                Err(e) => {
                    crate::cli::print_error(&e.into());
                    ExitCode::from(2)
                }
            }
        }
        [_, config] => with_session(|session| exec(Path::new(config), session)),
        _ => {
            eprint!("{HELP}");
            ExitCode::from(1)
        }
    }
}

/// Runs `run` with this run's session (KSOPS' command line has no flag; the keyring's
/// warnings are not printed, as KSOPS prints none).
fn with_session(run: impl FnOnce(&Session) -> ExitCode) -> ExitCode {
    match Session::new(Given::default(), |_| {}) {
        Ok(session) => run(&session),
        Err(e) => {
            crate::cli::print_error(&e);
            ExitCode::from(2)
        }
    }
}

/// The exec plugin: `ksops CONFIG`, with the kustomization root as working directory.
fn exec(config: &Path, session: &Session) -> ExitCode {
    match app::plugin::ksops_exec(session, config) {
        Ok(out) => write_out(&out, ExitCode::SUCCESS),
        Err(e) => {
            crate::cli::print_error(&e);
            ExitCode::from(2)
        }
    }
}

/// The KRM function: the ResourceList read from stdin.
fn function(input: &str, session: &Session) -> ExitCode {
    let answer = app::plugin::ksops_function(session, input);
    // The list's results hold the error; hosts show stderr, so it is printed there too.
    let code = match &answer.error {
        Some(e) => {
            crate::cli::print_error(e);
            ExitCode::from(2)
        }
        None => ExitCode::SUCCESS,
    };
    write_out(&answer.stdout, code)
}

fn write_out(bytes: &[u8], code: ExitCode) -> ExitCode {
    let mut out = std::io::stdout().lock();
    if out.write_all(bytes).and_then(|()| out.flush()).is_err() {
        return ExitCode::from(2);
    }
    code
}

/// `ksops install [--with-kustomize] DIR`: copies this binary to DIR/ksops (and kustomize from
/// /usr/local/bin with --with-kustomize), as KSOPS' own installer does.
fn install(args: &[OsString]) -> ExitCode {
    let with_kustomize = args.iter().any(|a| a == "--with-kustomize");
    let Some(dest) = args.iter().find(|a| *a != "--with-kustomize") else {
        eprintln!(
            "install requires a destination directory\nusage: ksops install [--with-kustomize] <dest-dir>"
        );
        return ExitCode::from(1);
    };
    let dest = PathBuf::from(dest);
    let copy = |from: &Path, to: &Path| -> Result<(), Error> {
        let mut batch = secretgen::gate::write::Batch::new();
        batch.add_copy(to.to_path_buf(), from, 0o755);
        batch.commit()?;
        eprintln!("installed {}", to.display());
        Ok(())
    };
    let result = std::env::current_exe()
        .map_err(|e| Error::io(Path::new("ksops"), "cannot locate the running binary", e))
        .and_then(|exe| copy(&exe, &dest.join("ksops")))
        .and_then(|()| {
            if with_kustomize {
                copy(
                    Path::new("/usr/local/bin/kustomize"),
                    &dest.join("kustomize"),
                )
            } else {
                Ok(())
            }
        });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            crate::cli::print_error(&e);
            ExitCode::from(2)
        }
    }
}

/// `secretgen migrate ksops`: the new files on stdout (or written with `write`), the
/// per-Secret report on stderr (with `write`, on stdout: it is then the command's output).
pub(super) fn migrate(
    g: &Globals,
    paths: &[PathBuf],
    write: bool,
    identity: Vec<PathBuf>,
) -> Result<ExitCode, Error> {
    let session = g.session(Given {
        identity,
        ..Given::default()
    })?;
    let m = app::plugin::migrate_ksops(&session, paths, write)?;
    let mut stdout = std::io::stdout().lock();
    let failed = |e| Error::io(Path::new("<stdout>"), "cannot write", e);
    stdout.write_all(m.files.as_bytes()).map_err(failed)?;
    if write {
        stdout.write_all(m.report.as_bytes()).map_err(failed)?;
    } else {
        eprint!("{}", m.report);
    }
    Ok(ExitCode::SUCCESS)
}
