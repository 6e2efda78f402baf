//! `secretgen plugin exec|install`, `secretgen fn`, kustomize's `SecretGenerator CONFIG`,
//! and a bare `secretgen` with a ResourceList on stdin.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use secretgen::app::{self, Session};
use secretgen::error::Error;
use secretgen::gate::read::{self, ReadFailure};
use secretgen::plugin;
use secretgen::render::Given;

use super::Globals;
use super::args::{Cli, FnArgs, PluginArgs, PluginCommand};
use super::print::write_stdout;

/// `secretgen plugin …`.
pub(super) fn run(g: &Globals, args: PluginArgs) -> Result<ExitCode, Error> {
    match args.command {
        PluginCommand::Exec { config, flags } => exec(&config, &g.session(flags.given(None))?),
        PluginCommand::Install {
            plugin_home,
            ksops,
            bin_dir,
        } => install(plugin_home, ksops, bin_dir),
    }
}

/// kustomize's call of the installed plugin, `SecretGenerator CONFIG`, once per generator:
/// answered without building the whole command-line parser, a third of the plugin's
/// start-up work. Its settings come from the environment, through the session.
pub(super) fn kustomize_call(g: &Globals, config: &Path) -> Result<ExitCode, Error> {
    exec(config, &g.session(Given::default())?)
}

/// `secretgen fn`: the ResourceList read from stdin.
pub(super) fn run_fn(g: &Globals, args: FnArgs) -> Result<ExitCode, Error> {
    let session = g.session(args.flags.given(None))?;
    read_stdin().and_then(|input| function(&input, &session))
}

/// The exec plugin: the Secrets of the generator config at `config` (or, for a KSOPS
/// config, KSOPS' output) on stdout.
fn exec(config: &Path, session: &Session) -> Result<ExitCode, Error> {
    let yaml = app::plugin::exec(session, config)?;
    write_stdout(&yaml)?;
    Ok(ExitCode::SUCCESS)
}

/// Stdin, for a ResourceList, through the gate's reader: bounded as YAML files are
/// (`cat /dev/zero | secretgen fn` ends with an error), and a silent pipe times out.
fn read_stdin() -> Result<zeroize::Zeroizing<String>, Error> {
    let limit = secretgen::kustomize::manifest::MAX_YAML_BYTES;
    read::stdin_text(limit, "a ResourceList").map_err(|e| match e.failure {
        ReadFailure::TooLarge {
            settable: false, ..
        } => plugin::Error::ResourceListTooLarge {
            loc: secretgen::error::Loc::file("<stdin>"),
            limit,
        }
        .into(),
        _ => e.into(),
    })
}

/// `secretgen` with no argument and stdin not a terminal: the KRM function when stdin is a
/// ResourceList, else the usage on stderr and exit 2 with stdout empty.
pub(super) fn bare_stdin(g: &Globals) -> Result<ExitCode, Error> {
    use clap::CommandFactory;
    let input = read_stdin()?;
    if plugin::is_resource_list(&input) {
        // The documented `exec: {path: secretgen}`: no flag, so the environment decides.
        return function(&input, &g.session(Given::default())?);
    }
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{}", Cli::command().render_usage());
    Err(Error::Usage(
        "no command given, and stdin is not a KRM ResourceList (kind: ResourceList); run `secretgen --help`".into(),
    ))
}

/// The KRM function over the ResourceList `input` (a KSOPS one runs as KSOPS).
fn function(input: &str, session: &Session) -> Result<ExitCode, Error> {
    let answer = app::plugin::function(session, input);
    // The protocol wants the errors in the list's `results`; kustomize drops those and
    // shows only stderr ("couldn't execute function: exit status 2"), so they are printed
    // there too.
    if let Some(e) = &answer.error {
        super::print_error(e);
    }
    write_stdout(&answer.stdout)?;
    Ok(if answer.error.is_some() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// `secretgen plugin install`: the links and copies, each named on stderr, then the
/// command line to build with on stdout.
fn install(
    plugin_home: Option<PathBuf>,
    with_ksops: bool,
    bin_dir: Option<PathBuf>,
) -> Result<ExitCode, Error> {
    // A home of kustomize's own finding needs no KUSTOMIZE_PLUGIN_HOME in the hint below.
    let from_default = plugin_home.is_none();
    let home = match plugin_home {
        Some(h) => h,
        None => plugin::default_plugin_home()?,
    };
    let exe = std::env::current_exe().map_err(|e| {
        Error::io(
            Path::new("secretgen"),
            "cannot locate the running binary",
            e,
        )
    })?;
    let bin_dir = bin_dir
        .map(|dir| std::path::absolute(&dir).map_err(|e| Error::io(&dir, "cannot resolve", e)))
        .transpose()?;
    let exe = match &bin_dir {
        Some(dir) => {
            // The plugin links to the copy by this path, so it must not be relative.
            let copy = plugin::install_binary(dir, &exe)?;
            eprintln!("installed {}", copy.display());
            copy
        }
        None => exe,
    };
    let installed = plugin::install(&home, &exe)?;
    eprintln!("installed {}", installed.display());
    if with_ksops {
        let link = home.join(secretgen::ksops::PLUGIN_PATH);
        secretgen::ksops::install_link(&link, &exe)?;
        eprintln!("installed {}", link.display());
        if let Some(dir) = &bin_dir {
            // A copy, not a link: KSOPS' setup mounts `ksops` from the volume by `subPath`.
            let copy = plugin::install_binary_as(dir, &exe, "ksops")?;
            eprintln!("installed {}", copy.display());
        }
    }
    let env = if from_default {
        String::new()
    } else {
        format!("KUSTOMIZE_PLUGIN_HOME={} ", home.display())
    };
    if with_ksops {
        // KSOPS configs run as KRM functions need --enable-exec, which only the standalone
        // kustomize has (kubectl kustomize refuses the flag).
        eprintln!(
            "kubectl kustomize has no --enable-exec: `{env}kubectl kustomize --enable-alpha-plugins DIR` runs the legacy `kind: ksops` configs and secretgen's own, not KSOPS configs run as KRM functions (config.kubernetes.io/function)"
        );
        println!("{env}kustomize build --enable-alpha-plugins --enable-exec DIR");
    } else {
        println!("{env}kubectl kustomize --enable-alpha-plugins DIR");
    }
    Ok(ExitCode::SUCCESS)
}
