//! `secretgen render`, and the rendering of paths every command that reads sources shares.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use secretgen::error::{Error, Warning};
use secretgen::render::{self, Settings};
use secretgen::review::{diff, output};

use super::args::{RenderArgs, RenderFlags};
use super::ksops;
use super::print::{print_warnings, write_stdout};
use super::progress::Progress;

/// `secretgen render`: to stdout, or with -o into a directory (with --check, compared).
pub(super) fn run(args: RenderArgs) -> Result<ExitCode, Error> {
    let Some(dir) = &args.output_dir else {
        return render_to_stdout(&args);
    };
    let secretgen::render::tree::Rendered { out, subdirs, .. } = render_paths_placed(
        &args.paths,
        &args.flags,
        &args.flags.with_placeholder(&args.placeholder),
        true,
    )?;
    if args.check {
        let drift = output::check_dir_in(dir, &out.secrets, &subdirs)?;
        if drift.is_clean() {
            eprintln!(
                "{}: up to date ({} Secrets)",
                dir.display(),
                out.secrets.len()
            );
            return Ok(ExitCode::SUCCESS);
        }
        let mut text = String::new();
        for (what, list) in [
            ("missing", &drift.missing),
            ("stale", &drift.stale),
            ("out of date", &drift.changed),
        ] {
            for p in list {
                text.push_str(&format!("{what}: {}\n", dir.join(p).display()));
            }
        }
        text.push_str(&diff::to_text(
            &drift.report,
            super::diff::diff_style(false),
        ));
        write_stdout(text.as_bytes())?;
        return Ok(ExitCode::from(1));
    }
    if !args.placeholder.placeholder
        && let Some(s) = out.secrets.iter().find(|s| s.placeholder)
    {
        return Err(Error::Usage(format!(
            "Secret `{}` holds placeholders; placeholder Secrets are written only with --placeholder",
            s.name
        )));
    }
    let done = output::write_dir_in(dir, &out.secrets, &subdirs, args.prune)?;
    eprintln!(
        "{}: {} written, {} unchanged, {} pruned",
        dir.display(),
        done.written.len(),
        done.unchanged.len(),
        done.pruned.len()
    );
    Ok(ExitCode::SUCCESS)
}

fn render_to_stdout(args: &RenderArgs) -> Result<ExitCode, Error> {
    let ksops_named = !ksops::split_paths(&args.paths).0.is_empty();
    let plan = if ksops_named {
        secretgen::render::tree::Plan::default()
    } else {
        secretgen::render::tree::plan(&args.paths)?
    };
    if ksops_named || !plan.trees.is_empty() || (plan.units.is_empty() && plan.kustomizations > 0) {
        // Trees are whole builds: rendered, then printed together in kustomize's order.
        let settings = args.flags.with_placeholder(&args.placeholder);
        let out = render_paths_with(&args.paths, &args.flags, &settings, true)?;
        // One document at a time through one buffer, zeroed after each.
        let stdout_error = |e| Error::io(std::path::Path::new("<stdout>"), "cannot write", e);
        let mut stdout = std::io::stdout().lock();
        let mut doc = zeroize::Zeroizing::new(Vec::new());
        for (i, s) in out.secrets.iter().enumerate() {
            if i > 0 {
                doc.extend_from_slice(b"---\n");
            }
            secretgen::yaml::emit::write_document(&s.to_node(), &mut doc);
            stdout.write_all(&doc).map_err(stdout_error)?;
            zeroize::Zeroize::zeroize(&mut *doc);
        }
        stdout.flush().map_err(stdout_error)?;
        return Ok(ExitCode::SUCCESS);
    }
    let units = plan.units;
    let keys = keyring(&args.flags.identity);
    let settings = args.flags.with_placeholder(&args.placeholder);
    let bar = Progress::new(true, generator_count(&units));
    let rendered = render::render_units_to_documents(&units, &settings, &keys, &|| bar.tick());
    bar.finish();
    let (docs, warnings) = rendered?;
    print_warnings(&warnings);
    let stdout_error = |e| Error::io(std::path::Path::new("<stdout>"), "cannot write", e);
    let mut out = std::io::stdout().lock();
    for (i, doc) in docs.iter().enumerate() {
        if i > 0 {
            out.write_all(b"---\n").map_err(stdout_error)?;
        }
        out.write_all(doc).map_err(stdout_error)?;
    }
    out.flush().map_err(stdout_error)?;
    Ok(ExitCode::SUCCESS)
}

/// Renders `paths` with no progress bar, the warnings printed.
pub(super) fn render_paths(
    paths: &[PathBuf],
    flags: &RenderFlags,
    settings: &Settings,
) -> Result<render::Output, Error> {
    render_paths_with(paths, flags, settings, false)
}

/// Renders `paths`; with `progress`, a bar on stderr for a long run (see [`Progress`]).
fn render_paths_with(
    paths: &[PathBuf],
    flags: &RenderFlags,
    settings: &Settings,
    progress: bool,
) -> Result<render::Output, Error> {
    render_paths_placed(paths, flags, settings, progress).map(|r| r.out)
}

/// [`render_paths_with`], keeping where `render -o` puts each Secret (a tree's under its path).
fn render_paths_placed(
    paths: &[PathBuf],
    flags: &RenderFlags,
    settings: &Settings,
    progress: bool,
) -> Result<secretgen::render::tree::Rendered, Error> {
    let r = build_paths(paths, flags, settings, progress)?;
    report(&r, &r.out.warnings);
    Ok(r)
}

/// Renders `paths` and says nothing: the warnings are the caller's to print ([`report`]).
pub(super) fn build_paths(
    paths: &[PathBuf],
    flags: &RenderFlags,
    settings: &Settings,
    progress: bool,
) -> Result<secretgen::render::tree::Rendered, Error> {
    let (ksops_configs, paths) = ksops::split_paths(paths);
    let plan = if paths.is_empty() {
        secretgen::render::tree::Plan::default()
    } else {
        secretgen::render::tree::plan(&paths)?
    };
    let keys = keyring(&flags.identity);
    let bar = Progress::new(progress, generator_count(&plan.units));
    let out =
        secretgen::render::tree::render(&plan, settings, &keys, flags.accept_unapplied, &|| {
            bar.tick()
        });
    bar.finish();
    let mut r = out?;
    if !ksops_configs.is_empty() {
        // KSOPS' Secrets go to the top of `-o DIR`, in kustomize's order with the others.
        let mut extra = Vec::new();
        ksops::add_secrets(&ksops_configs, &flags.identity, &mut extra)?;
        let subdirs = std::mem::take(&mut r.subdirs)
            .into_iter()
            .chain(std::iter::repeat(PathBuf::new()));
        let mut placed: Vec<(_, PathBuf)> = std::mem::take(&mut r.out.secrets)
            .into_iter()
            .zip(subdirs)
            .collect();
        placed.extend(extra.into_iter().map(|s| (s, PathBuf::new())));
        placed.sort_by_cached_key(|(s, _)| {
            format!("{}|{}", s.namespace.as_deref().unwrap_or("~X"), s.name)
        });
        (r.out.secrets, r.subdirs) = placed.into_iter().unzip();
    }
    Ok(r)
}

/// The warnings of a run, and a note when trees were read but hold no Secret.
pub(super) fn report(r: &secretgen::render::tree::Rendered, warnings: &[Warning]) {
    print_warnings(warnings);
    if r.out.secrets.is_empty() && r.read > 0 {
        eprintln!("no Secrets: {} kustomizations read", r.read);
    }
}

fn generator_count(units: &[secretgen::kustomize::manifest::Unit]) -> u64 {
    units.iter().map(|u| u.generators.len() as u64).sum()
}

/// The keyring for a run: identities are read on the first encrypted input, if any.
pub(super) fn keyring(identity: &[PathBuf]) -> secretgen::age::Keyring {
    secretgen::age::Keyring::new(secretgen::age::IdentitySources::from_env(identity.to_vec()))
        .with_warnings(|w| eprintln!("warning: {w}"))
}
