//! `secretgen render`, and the rendering of paths every command that reads sources shares.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use secretgen::error::{Error, Warning};
use secretgen::render::{self, Given, Session};
use secretgen::review::{diff, output};

use super::args::{RenderArgs, RenderFlags};
use super::ksops;
use super::print::{print_warnings, write_stdout};
use super::progress::Progress;

/// `secretgen render`: to stdout, or with -o into a directory (with --check, compared).
pub(super) fn run(args: RenderArgs) -> Result<ExitCode, Error> {
    let session = session(args.flags.given(Some(&args.placeholder)))?;
    let Some(dir) = &args.output_dir else {
        return render_to_stdout(&args, &session);
    };
    let secretgen::render::tree::Rendered {
        out,
        subdirs,
        empty,
        ..
    } = render_paths_placed(&args.paths, &args.flags, &session, true)?;
    refuse_empty(&empty)?;
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

fn render_to_stdout(args: &RenderArgs, session: &Session) -> Result<ExitCode, Error> {
    // One plan for the run, whichever way it renders.
    let (ksops_configs, plan) = plan_paths(&args.paths, args.flags.all)?;
    let ksops_named = !ksops_configs.is_empty();
    if ksops_named || !plan.trees.is_empty() || (plan.units.is_empty() && plan.kustomizations > 0) {
        // Trees are whole builds: rendered, then printed together in kustomize's order.
        let r = build_plan(&plan, &ksops_configs, &args.flags, session, true)?;
        report(&r, &r.out.warnings);
        refuse_empty(&r.empty)?;
        let out = r.out;
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
    refuse_empty(&plan.empty)?;
    let units = plan.units;
    let bar = Progress::new(true, generator_count(&units));
    let rendered =
        render::render_units_to_documents(&units, &session.settings, &session.keys, &|| bar.tick());
    bar.finish();
    let (docs, warnings) = rendered?;
    print_warnings(&warnings);
    if docs.is_empty() && plan.kustomizations > 0 {
        // As with -o and for trees: kustomizations were read, and none made a Secret.
        eprintln!("no Secrets: {} kustomizations read", plan.kustomizations);
    }
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
    session: &Session,
) -> Result<render::Output, Error> {
    render_paths_with(paths, flags, session, false)
}

/// Renders `paths`; with `progress`, a bar on stderr for a long run (see [`Progress`]).
fn render_paths_with(
    paths: &[PathBuf],
    flags: &RenderFlags,
    session: &Session,
    progress: bool,
) -> Result<render::Output, Error> {
    render_paths_placed(paths, flags, session, progress).map(|r| r.out)
}

/// [`render_paths_with`], keeping where `render -o` puts each Secret (a tree's under its path).
fn render_paths_placed(
    paths: &[PathBuf],
    flags: &RenderFlags,
    session: &Session,
    progress: bool,
) -> Result<secretgen::render::tree::Rendered, Error> {
    let r = build_paths(paths, flags, session, progress)?;
    report(&r, &r.out.warnings);
    Ok(r)
}

/// Renders `paths` and says nothing: the warnings are the caller's to print ([`report`]).
pub(super) fn build_paths(
    paths: &[PathBuf],
    flags: &RenderFlags,
    session: &Session,
    progress: bool,
) -> Result<secretgen::render::tree::Rendered, Error> {
    let (ksops_configs, plan) = plan_paths(paths, flags.all)?;
    build_plan(&plan, &ksops_configs, flags, session, progress)
}

/// The paths as the builds they name: a directory that holds a kustomization is that one
/// build (its kustomization file), as `kustomize build DIR`, unless `all`; every other path
/// is as given (a directory is searched). With the kustomization files, for each such
/// build the KSOPS configs in the directories its build reaches.
pub(super) fn named_builds(
    paths: &[PathBuf],
    all: bool,
) -> Result<(Vec<PathBuf>, Vec<PathBuf>), Error> {
    let default = [PathBuf::from(".")];
    let named = if paths.is_empty() {
        &default[..]
    } else {
        paths
    };
    let mut out = Vec::new();
    let mut configs = Vec::new();
    for p in named {
        let one = if all {
            None
        } else {
            secretgen::render::tree::one_build(p)?
        };
        let Some(k) = one else {
            out.push(p.clone());
            continue;
        };
        let reached = secretgen::render::tree::reached_dirs(&k);
        let (found, _) = ksops::split_paths(std::slice::from_ref(p));
        configs.extend(found.into_iter().filter(|c| {
            let dir = c.parent().unwrap_or(std::path::Path::new("."));
            std::fs::canonicalize(dir).is_ok_and(|d| reached.contains(&d))
        }));
        out.push(k);
    }
    Ok((out, configs))
}

/// The KSOPS configs among and under `paths`, and the plan of the rest; a PATH that holds a
/// kustomization is one build unless `all` (see [`named_builds`]).
pub(super) fn plan_paths(
    paths: &[PathBuf],
    all: bool,
) -> Result<(Vec<PathBuf>, secretgen::render::tree::Plan), Error> {
    let (paths, reached_configs) = named_builds(paths, all)?;
    let (mut ksops_configs, paths) = ksops::split_paths(&paths);
    ksops_configs.extend(reached_configs);
    let plan = if paths.is_empty() {
        secretgen::render::tree::Plan::default()
    } else {
        secretgen::render::tree::plan(&paths)?
    };
    Ok((ksops_configs, plan))
}

/// Renders a plan and the KSOPS configs beside it, saying nothing (see [`build_paths`]).
pub(super) fn build_plan(
    plan: &secretgen::render::tree::Plan,
    ksops_configs: &[PathBuf],
    flags: &RenderFlags,
    session: &Session,
    progress: bool,
) -> Result<secretgen::render::tree::Rendered, Error> {
    let bar = Progress::new(progress, generator_count(&plan.units));
    let out = secretgen::render::tree::render(
        plan,
        &session.settings,
        &session.keys,
        flags.accept_unapplied,
        &|| bar.tick(),
    );
    bar.finish();
    let mut r = out?;
    if !ksops_configs.is_empty() {
        // KSOPS' Secrets go to the top of `-o DIR`, in kustomize's order with the others.
        let mut extra = Vec::new();
        ksops::add_secrets(ksops_configs, &session.keys, &mut extra)?;
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
        // A directory that holds KSOPS configs has something to render.
        r.empty
            .retain(|d| !ksops_configs.iter().any(|c| c.starts_with(d)));
    }
    Ok(r)
}

/// `render` of a directory that holds no kustomization and no generator manifest is an
/// error: exit 0 with nothing printed would pass for a render of no Secret.
fn refuse_empty(empty: &[PathBuf]) -> Result<(), Error> {
    match empty.first() {
        None => Ok(()),
        Some(dir) => Err(Error::Usage(format!(
            "nothing to render under {}: it holds no kustomization and no SecretGenerator manifest",
            dir.display()
        ))),
    }
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

/// The session of a run that renders: settings from `given` and the environment, and the
/// one keyring of the run, whose warnings go to stderr.
pub(super) fn session(mut given: Given) -> Result<Session, Error> {
    if let Some((uris, local)) = KEY_SERVICE_FLAGS.get() {
        given.keyservice = uris.clone();
        given.enable_local_keyservice = *local;
    }
    Session::new(given, |w| eprintln!("warning: {w}"))
}

/// The global `--keyservice` and `--enable-local-keyservice` flags, given to every session.
static KEY_SERVICE_FLAGS: std::sync::OnceLock<(Vec<String>, Option<bool>)> =
    std::sync::OnceLock::new();

/// Records the global key service flags (once, after parsing the command line).
pub(super) fn set_key_service_flags(uris: Vec<String>, local: Option<bool>) {
    let _ = KEY_SERVICE_FLAGS.set((uris, local));
}

/// The keyring of an `age` command: identities are read on the first encrypted input.
pub(super) fn keyring(identity: &[PathBuf]) -> secretgen::age::Keyring {
    secretgen::age::Keyring::new(secretgen::age::IdentitySources::from_env(identity.to_vec()))
        .with_warnings(|w| eprintln!("warning: {w}"))
}
