//! The command line: the definitions in [`args`], one runner per subcommand, and the
//! dispatch between them. A runner returns its exit code or an error; `main` prints the error
//! and exits 2.

mod age;
mod age_edit;
mod args;
mod check;
mod create;
mod docs;
mod hash;
mod ksops;
mod plugin;
mod print;
mod progress;
mod render;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use secretgen::error::Error;
use secretgen::render::Settings;
use secretgen::{review::diff, review::output};

use crate::exit_code;
use args::{Cli, Command, DiffArgs, DiffFormat, MigrateCommand, RenderFlags, VERSION};
pub(crate) use print::print_error;
use print::write_stdout;
use render::{keyring, render_paths};

/// Runs the command line of this process.
pub(crate) fn main() -> Result<ExitCode, Error> {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
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
    match Cli::parse_from(args).command {
        Command::Render(args) => render::run(args),
        Command::Hash(args) => hash::run(args),
        Command::Age(args) => Ok(age::run(args)),
        Command::Plugin(args) => plugin::run(args),
        Command::Fn(args) => plugin::run_fn(args),
        Command::Create(c) => create::run(c),
        Command::Diff(args) => run_diff(args),
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

fn diff_style(show_values: bool) -> diff::Style {
    let tty = std::io::stdout().is_terminal();
    diff::Style {
        color: tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        show_values: show_values && tty && std::env::var_os("CI").is_none(),
    }
}

/// One side of a diff: rendered YAML, a `render -o` directory, or a tree to render.
fn diff_side(
    path: &std::path::Path,
    flags: &RenderFlags,
    settings: &Settings,
) -> Result<Vec<diff::SecretDoc>, Error> {
    if path.is_dir() {
        let owned = output::owned_files(path)?;
        if !owned.is_empty() {
            let mut docs = Vec::new();
            for (rel, bytes) in &owned {
                docs.extend(diff::read_secrets(
                    &path.join(rel),
                    &String::from_utf8_lossy(bytes),
                )?);
            }
            return Ok(docs);
        }
    } else {
        let text = secretgen::kustomize::manifest::read_text(path)?;
        let is_source = secretgen::kustomize::manifest::is_kustomization_file(path)
            || text.contains("SecretGenerator");
        if !is_source {
            return diff::read_secrets(path, &text);
        }
    }
    let out = render_paths(&[path.to_path_buf()], flags, settings)?;
    Ok(out.secrets.iter().map(diff::SecretDoc::from).collect())
}

fn git(dir: &std::path::Path, args: &[&str]) -> Result<Vec<u8>, Error> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| Error::io(std::path::Path::new("git"), "cannot run", e))?;
    if !out.status.success() {
        return Err(Error::Usage(format!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(out.stdout)
}

fn run_diff(args: DiffArgs) -> Result<ExitCode, Error> {
    let settings = args.flags.with_placeholder(&args.placeholder);
    let (old, new) = match &args.base {
        Some(rev) => {
            let here = std::path::Path::new(".");
            let top = String::from_utf8_lossy(&git(here, &["rev-parse", "--show-toplevel"])?)
                .trim()
                .to_string();
            let prefix = String::from_utf8_lossy(&git(here, &["rev-parse", "--show-prefix"])?)
                .trim()
                .to_string();
            let tree = tempfile::tempdir().map_err(|e| {
                Error::io(
                    std::path::Path::new("."),
                    "cannot create a temporary directory",
                    e,
                )
            })?;
            // A ref is never taken for an option, and is read as the tree it names.
            if rev.starts_with('-') {
                return Err(Error::Usage(format!("`{rev}` is not a git revision")));
            }
            let tree_id = git(
                here,
                &[
                    "rev-parse",
                    "--verify",
                    "--quiet",
                    &format!("{rev}^{{tree}}"),
                ],
            )
            .map_err(|_| {
                Error::Usage(format!("`{rev}` is not a revision of this git repository"))
            })?;
            let tree_id = String::from_utf8_lossy(&tree_id).trim().to_string();
            let tar = git(
                std::path::Path::new(&top),
                &["archive", "--format=tar", &tree_id],
            )?;
            let mut child = std::process::Command::new("tar")
                .arg("-x")
                .arg("-C")
                .arg(tree.path())
                .stdin(std::process::Stdio::piped())
                .spawn()
                .map_err(|e| Error::io(std::path::Path::new("tar"), "cannot run", e))?;
            if let Some(mut stdin) = child.stdin.take() {
                stdin
                    .write_all(&tar)
                    .map_err(|e| Error::io(std::path::Path::new("tar"), "cannot write to", e))?;
            }
            let status = child
                .wait()
                .map_err(|e| Error::io(std::path::Path::new("tar"), "cannot run", e))?;
            if !status.success() {
                return Err(Error::Usage(format!("cannot unpack {rev}")));
            }
            let mut paths = args.sides.clone();
            paths.extend(args.paths.iter().cloned());
            if paths.is_empty() {
                paths.push(PathBuf::from("."));
            }
            let mut old = Vec::new();
            let mut new = Vec::new();
            for p in &paths {
                let in_base = if p.is_absolute() {
                    let rel = p
                        .canonicalize()
                        .ok()
                        .and_then(|a| {
                            let top = std::path::Path::new(&top).canonicalize().ok()?;
                            a.strip_prefix(top).ok().map(std::path::Path::to_path_buf)
                        })
                        .ok_or_else(|| {
                            Error::Usage(format!(
                                "{}: not inside the git repository at {top}",
                                p.display()
                            ))
                        })?;
                    tree.path().join(rel)
                } else {
                    tree.path().join(&prefix).join(p)
                };
                if !in_base.exists() && !p.exists() {
                    return Err(Error::Usage(format!(
                        "{}: neither in {rev} nor in the working tree",
                        p.display()
                    )));
                }
                if in_base.exists() {
                    old.extend(diff_side(&in_base, &args.flags, &settings)?);
                }
                if p.exists() {
                    new.extend(diff_side(p, &args.flags, &settings)?);
                }
            }
            (old, new)
        }
        None => {
            let [o, n] = args.sides.as_slice() else {
                return Err(Error::Usage(format!(
                    "diff needs two paths, OLD and NEW (got {}), or --base GIT_REF [PATH…]",
                    args.sides.len()
                )));
            };
            (
                diff_side(o, &args.flags, &settings)?,
                diff_side(n, &args.flags, &settings)?,
            )
        }
    };
    let report = diff::compare(&old, &new);
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
