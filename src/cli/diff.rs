//! `secretgen diff`: two sides (rendered YAML, a `render -o` directory, or a tree to render,
//! either of them possibly at a git revision), compared without showing a value.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use secretgen::error::{Error, Warning};
use secretgen::render::Session;
use secretgen::review::{diff, output};

use super::args::{DiffArgs, DiffFormat, RenderFlags};
use super::print::write_stdout;
use super::render::{build_paths, render_paths, report};

pub(super) fn diff_style(show_values: bool) -> diff::Style {
    let tty = std::io::stdout().is_terminal();
    diff::Style {
        color: tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        show_values: show_values && tty && std::env::var_os("CI").is_none(),
    }
}

/// One side of a diff: rendered YAML, a `render -o` directory, or a tree to render. With
/// `base`, the path is in the revision's tree, and what is reported names the path in the
/// repository.
fn diff_side(
    path: &std::path::Path,
    flags: &RenderFlags,
    session: &Session,
    base: Option<&secretgen::review::git::BaseTree>,
) -> Result<Vec<secretgen::secret::Secret>, Error> {
    let shown = |e: Error| match base {
        Some(b) => b.relabel_error(e),
        None => e,
    };
    if path.is_dir() {
        let owned = output::owned_files(path).map_err(shown)?;
        if !owned.is_empty() {
            let mut docs = Vec::new();
            for (rel, bytes) in &owned {
                docs.extend(
                    diff::read_secrets(&path.join(rel), &String::from_utf8_lossy(bytes))
                        .map_err(shown)?,
                );
            }
            return Ok(docs);
        }
    } else {
        let text = secretgen::kustomize::manifest::read_text(path).map_err(shown)?;
        let is_source = secretgen::kustomize::manifest::is_kustomization_file(path)
            || secretgen::render::discover::is_generator_manifest(&text);
        if !is_source {
            return diff::read_secrets(path, &text).map_err(shown);
        }
    }
    let Some(base) = base else {
        let out = render_paths(&[path.to_path_buf()], flags, session)?;
        return Ok(out.secrets);
    };
    // As `render_paths`, with the warnings relabelled before they are printed.
    let r = build_paths(&[path.to_path_buf()], flags, session, false).map_err(shown)?;
    let warnings: Vec<Warning> = r
        .out
        .warnings
        .iter()
        .map(|w| base.relabel_warning(w))
        .collect();
    report(&r, &warnings);
    Ok(r.out.secrets)
}

pub(super) fn run(args: DiffArgs) -> Result<ExitCode, Error> {
    let session = super::render::session(args.flags.given(Some(&args.placeholder)))?;
    let (old, new) = match &args.base {
        Some(rev) => {
            let base = secretgen::review::git::BaseTree::checkout(rev)?;
            let mut paths = args.sides.clone();
            paths.extend(args.paths.iter().cloned());
            if paths.is_empty() {
                paths.push(PathBuf::from("."));
            }
            let mut old = Vec::new();
            let mut new = Vec::new();
            for p in &paths {
                if let Some(in_base) = base.locate(p)? {
                    old.extend(diff_side(&in_base, &args.flags, &session, Some(&base))?);
                }
                if p.exists() {
                    new.extend(diff_side(p, &args.flags, &session, None)?);
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
                diff_side(o, &args.flags, &session, None)?,
                diff_side(n, &args.flags, &session, None)?,
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
