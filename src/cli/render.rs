//! `secretgen render`: to stdout, or with -o into a directory (with --check, compared).

use std::path::Path;
use std::process::ExitCode;

use secretgen::app;
use secretgen::app::SealScope as Scope;
use secretgen::error::Error;
use secretgen::review::{diff, output};

use super::Globals;
use super::args::RenderArgs;
use super::print::{diff_style, write_stdout};
use super::progress::Bar;

/// `secretgen render`.
pub(super) fn run(g: &Globals, args: RenderArgs) -> Result<ExitCode, Error> {
    let given = secretgen::app::Given {
        redact: args.redact,
        ..args.flags.given(Some(&args.placeholder))
    };
    let session = g.session(given)?;
    if session.settings.redact
        && (args.output_dir.is_some() || args.seal.is_some() || args.encrypt.is_some())
    {
        return Err(Error::Usage(
            "SECRETGEN_REDACT is set: redacted Secrets are printed, never written with -o, --seal or --encrypt".into(),
        ));
    }
    let cert = match &args.seal {
        Some(path) => Some(app::seal_cert(path)?),
        None => None,
    };
    let scope = args.seal_scope.as_deref().and_then(Scope::parse);
    // The keys SOPS files are encrypted to, or (sealed) a keyed content line's key is.
    let targets = match (&args.encrypt, &args.seal) {
        (None, None) => None,
        _ => {
            let mut given = app::sops_keys::keys_named("kms", &args.kms, &[], "");
            given.extend(app::sops_keys::keys_named("pgp", &args.pgp, &[], ""));
            given.extend(app::sops_keys::keys_named("age", &args.age, &[], ""));
            Some(app::encrypt::SopsTargets {
                given,
                dir: args
                    .output_dir
                    .clone()
                    .unwrap_or_else(|| std::path::PathBuf::from(".")),
                keys: &session.keys,
                services: session.settings.key_services.clone(),
            })
        }
    };
    let form = match (&cert, &targets) {
        (Some(cert), t) => output::Form::Sealed {
            cert,
            scope,
            digest: t.as_ref().map(|t| t as &dyn output::SopsKeys),
        },
        (None, Some(t)) => output::Form::Sops(t),
        (None, None) => output::Form::Plain,
    };
    let Some(dir) = &args.output_dir else {
        if args.encrypt.is_some()
            && let Some(targets) = &targets
        {
            let text =
                app::encrypt::render_encrypted(&session, &args.paths, &Bar::default(), targets)?;
            write_stdout(&text)?;
            return Ok(ExitCode::SUCCESS);
        }
        if let Some(cert) = &cert {
            let text = app::render_sealed(&session, &args.paths, &Bar::default(), cert, scope)?;
            write_stdout(&text)?;
            return Ok(ExitCode::SUCCESS);
        }
        let stream = app::render_stream(&session, &args.paths, &Bar::default())?;
        // One document at a time, through one buffer zeroed after each.
        let mut stdout = std::io::stdout().lock();
        stream
            .write_to(&mut stdout)
            .map_err(|e| Error::io(Path::new("<stdout>"), "cannot write", e))?;
        return Ok(ExitCode::SUCCESS);
    };
    let r = app::render(&session, &args.paths, &Bar::default())?;
    app::refuse_empty(&r.empty)?;
    let secretgen::render::tree::Rendered { out, subdirs, .. } = r;
    if args.check {
        let drift = output::check_dir_in(dir, &out.secrets, &subdirs, form)?;
        note_unkeyed(dir, &drift.unkeyed);
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
        text.push_str(&diff::to_text(&drift.report, diff_style(false)));
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
    let done = output::write_dir_in(dir, &out.secrets, &subdirs, args.prune, form)?;
    note_unkeyed(dir, &done.unkeyed);
    eprintln!(
        "{}: {} written, {} unchanged, {} pruned",
        dir.display(),
        done.written.len(),
        done.unchanged.len(),
        done.pruned.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// Says which sealed files carry an unkeyed content line for a Secret whose name has no hash
/// suffix, and what that publishes.
fn note_unkeyed(dir: &Path, unkeyed: &[std::path::PathBuf]) {
    for rel in unkeyed {
        eprintln!(
            "note: {}: this Secret has no hash suffix and no key was named to key its `# sealed-content:` line, so those 10 characters are a digest of its values that kustomize does not publish; pass --age RECIPIENT (or a .sops.yaml rule for the output path) to key it",
            dir.join(rel).display()
        );
    }
}
