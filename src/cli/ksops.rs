//! secretgen in KSOPS' place: run under the name `ksops` (kustomize's legacy plugin path
//! `viaduct.ai/v1/ksops/ksops`, or `ksops` on PATH for the KRM function), it takes KSOPS'
//! command line: `ksops CONFIG` (exec plugin), `ksops` with a ResourceList on stdin (KRM),
//! `ksops install [--with-kustomize] DIR` (copy itself, for an init container).

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use secretgen::age::{IdentitySources, Keyring};
use secretgen::error::{Error, Loc};
use secretgen::ksops;
use secretgen::secret::SecretBytes;

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

/// The SOPS decrypter over the identities sops would read.
fn decrypter(keys: &Keyring) -> impl Fn(&Path, &[u8]) -> Result<SecretBytes, Error> + Sync + '_ {
    move |path: &Path, bytes: &[u8]| {
        secretgen::sops::decrypt(path, bytes, keys).map_err(|e| Error::Sops {
            loc: Loc::file(path),
            source: Box::new(e),
        })
    }
}

fn keyring(identity: &[PathBuf]) -> Keyring {
    Keyring::new(IdentitySources::from_env(identity.to_vec()))
}

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
                Ok(input) => with_session(|keys| function(&input, keys)),
                Err(e) => {
                    crate::cli::print_error(&e.into());
                    ExitCode::from(2)
                }
            }
        }
        [_, config] => with_session(|keys| exec(Path::new(config), keys)),
        _ => {
            eprint!("{HELP}");
            ExitCode::from(1)
        }
    }
}

/// Runs `run` with the keyring of this run's session (KSOPS' command line has no flag).
fn with_session(run: impl FnOnce(&Keyring) -> ExitCode) -> ExitCode {
    match secretgen::render::Session::new(secretgen::render::Given::default(), |_| {}) {
        Ok(session) => run(&session.keys),
        Err(e) => {
            crate::cli::print_error(&e);
            ExitCode::from(2)
        }
    }
}

/// The exec plugin: `ksops CONFIG`, with the kustomization root as working directory.
pub(super) fn exec(config: &Path, keys: &Keyring) -> ExitCode {
    let decrypt = decrypter(keys);
    match ksops::exec(config, Path::new("."), &decrypt) {
        Ok(out) => write_out(&out, ExitCode::SUCCESS),
        Err(e) => {
            crate::cli::print_error(&e);
            ExitCode::from(2)
        }
    }
}

/// The KRM function: the ResourceList read from stdin.
pub(super) fn function(input: &str, keys: &Keyring) -> ExitCode {
    let decrypt = decrypter(keys);
    let (out, error) = ksops::function(input, Path::new("."), &decrypt);
    // The list's results hold the error; hosts show stderr, so it is printed there too.
    let code = match &error {
        Some(e) => {
            crate::cli::print_error(e);
            ExitCode::from(2)
        }
        None => ExitCode::SUCCESS,
    };
    write_out(&out, code)
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

/// Whether a generator config file or a ResourceList is KSOPS'.
pub(super) fn config_is_ksops(config: &Path) -> bool {
    ksops::file_is_ksops(config)
}

/// `secretgen migrate ksops`: the new files on stdout (or written with `write`), the
/// per-Secret report on stderr.
pub(super) fn migrate(
    paths: &[PathBuf],
    write: bool,
    identity: &[PathBuf],
) -> Result<ExitCode, Error> {
    let keys = keyring(identity);
    let decrypt = decrypter(&keys);
    let mut changes = Vec::new();
    // With --write, a failure before the files are replaced says that none was.
    let untouched = |e: Error| {
        if write {
            Error::many(vec![
                e,
                Error::Usage("nothing was written: every generator file is as it was".into()),
            ])
        } else {
            e
        }
    };
    for (file, root) in ksops::migrate::generator_files(paths).map_err(untouched)? {
        if let Some(change) =
            ksops::migrate::migrate_file(&file, &root, &decrypt).map_err(untouched)?
        {
            changes.push(change);
        }
    }
    let mut report = String::new();
    let mut out = String::new();
    for c in &changes {
        for s in &c.secrets {
            report.push_str(&format!("{s}\n"));
        }
        if c.kept_files > 0 {
            report.push_str(&format!(
                "{}: {} `files:` manifest(s) stay SOPS files in a KSOPS config, which secretgen runs as KSOPS\n",
                c.path.display(),
                c.kept_files
            ));
        }
        if !write {
            out.push_str(&format!("# {}\n{}", c.path.display(), c.new_text));
        }
    }
    if changes.is_empty() {
        report.push_str("no KSOPS config found in the kustomizations' generators\n");
    }
    if write {
        // Every rewritten file, each confined to its kustomization's root, goes in place
        // together or not at all.
        let mut batch = secretgen::gate::write::Batch::new();
        for c in &changes {
            let path = secretgen::gate::write::Confined::new(&c.root).resolve_existing(&c.path)?;
            let mode = std::fs::metadata(&path)
                .map(|m| {
                    use std::os::unix::fs::PermissionsExt;
                    m.permissions().mode() & 0o7777
                })
                .map_err(|e| Error::io(&c.path, "cannot read the mode of", e))?;
            batch.add(
                path,
                c.new_text.as_bytes(),
                mode,
                secretgen::gate::write::Replace::Yes,
            );
        }
        batch.commit()?;
        for c in &changes {
            report.push_str(&format!("wrote {}\n", c.path.display()));
        }
        report.push_str("build with: kustomize build --enable-alpha-plugins --enable-exec (secretgen installed by `secretgen plugin install --ksops`)\n");
    }
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(out.as_bytes())
        .map_err(|e| Error::io(Path::new("<stdout>"), "cannot write", e))?;
    // With --write the report is the command's output; in a dry run the files are.
    if write {
        stdout
            .write_all(report.as_bytes())
            .map_err(|e| Error::io(Path::new("<stdout>"), "cannot write", e))?;
    } else {
        eprint!("{report}");
    }
    Ok(ExitCode::SUCCESS)
}

/// The paths for secretgen's own discovery, and the KSOPS configs among and under `paths`
/// (`.` when none is named).
pub(super) fn split_paths(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let default = [PathBuf::from(".")];
    let named = if paths.is_empty() {
        &default[..]
    } else {
        paths
    };
    let (configs, rest) = ksops::render::find(named);
    (configs, rest)
}

/// Adds the Secrets of the KSOPS configs to a render, in kustomize's order.
pub(super) fn add_secrets(
    configs: &[PathBuf],
    keys: &Keyring,
    secrets: &mut Vec<secretgen::secret::Secret>,
) -> Result<(), Error> {
    if configs.is_empty() {
        return Ok(());
    }
    let decrypt = decrypter(keys);
    let mut errors = Vec::new();
    for c in configs {
        match ksops::render::secrets(c, &decrypt) {
            Ok(list) => secrets.extend(list),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(Error::many(errors));
    }
    secretgen::secret::sort_secrets(secrets);
    Ok(())
}
