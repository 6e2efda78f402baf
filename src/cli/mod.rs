//! Command-line definitions. The doc comments here are the `--help` text.

pub mod age;
mod age_edit;
pub mod ksops;

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use secretgen::error::{Error, Warning};
use secretgen::kustomize::hash::HashVariant;
use secretgen::render::{self, LoadRestrictor, Settings};
use secretgen::{plugin, review::check, review::diff, review::output};

/// `secretgen --version`: the version, the commit and the build date (see build.rs).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("SECRETGEN_COMMIT"),
    ", built ",
    env!("SECRETGEN_BUILD_DATE"),
    ")"
);

/// Generate Kubernetes Secrets from kustomize-style secretGenerator manifests, with
/// age-encrypted inputs decrypted in memory. Output is byte-identical to `kubectl kustomize`.
///
/// Exit codes: 0 success, 1 differences or findings (diff, check, render --check), 2 error.
#[derive(Parser)]
#[command(name = "secretgen", version = VERSION)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Render every generator under the paths as a YAML stream of Secrets.
    ///
    /// A PATH is a generator manifest, a kustomization.yaml, or a directory searched for both
    /// (hidden directories and target/ are skipped). Without PATH: the current directory.
    ///
    /// Example: secretgen render testdata/quickstart
    Render(RenderArgs),
    /// Compare two sets of Secrets without showing a value: per Secret added, removed,
    /// renamed or changed, per key added, removed, changed (with sizes) or unchanged.
    ///
    /// Exit 0 same, 1 different, 2 error. Example: secretgen diff --base origin/main
    Diff(DiffArgs),
    /// Report references to Secrets that would fail at run time: missing Secrets or keys,
    /// envFrom keys the kubelet skips, image pull and TLS secrets of the wrong type.
    ///
    /// Exit 0 clean, 1 findings, 2 error. Example: secretgen check deploy/
    ///
    /// With --require-encrypted, a gate against plaintext secrets in git instead. Example:
    /// secretgen check --require-encrypted --allow-plaintext '**/ca.crt' .
    Check(CheckArgs),
    /// Show, for each Secret, the hash variant and the exact JSON its name suffix is
    /// computed from, values replaced by their sizes.
    ///
    /// Example: secretgen hash --explain testdata/quickstart
    Hash(HashArgs),
    /// Create, encrypt, decrypt and inspect age files and keys.
    ///
    /// Example: secretgen age keygen -o key.txt
    Age(age::AgeArgs),
    /// Run as, or install, the kustomize exec plugin.
    ///
    /// Example: secretgen plugin install && kubectl kustomize --enable-alpha-plugins overlays/prod
    Plugin(PluginArgs),
    /// Run as a KRM function: a ResourceList on stdin, the generator as its functionConfig,
    /// the Secrets appended to its items on stdout. Also chosen when secretgen is run with no
    /// arguments and stdin is not a terminal.
    ///
    /// Example: kpt fn eval . --exec secretgen --fn-config secretgen.yaml
    Fn(FnArgs),
    /// Print a Secret as `kubectl create secret … --dry-run=client -o yaml` would, or with
    /// --generator the secretgen manifest that renders it.
    ///
    /// Example: secretgen create generic db --from-file=username.txt --from-file=password.txt --append-hash
    #[command(subcommand)]
    Create(CreateCommand),
    /// Print the shell completion script for SHELL, generated from these definitions.
    ///
    /// Example: secretgen completions bash > ~/.local/share/bash-completion/completions/secretgen
    Completions {
        /// The shell to print the completion script for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page secretgen(1), or with --dir write it and one page per subcommand
    /// (secretgen-render.1, …) into DIR.
    ///
    /// Example: secretgen man --dir /usr/local/share/man/man1
    Man {
        /// Write secretgen.1 and one page per subcommand into DIR instead of printing.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Print the JSON Schema of generator manifests (secretgen.dev/v1 SecretGenerator, and
    /// KSOPS' `kind: ksops` configs), for editors and CI validators.
    ///
    /// Example: secretgen schema > secretgenerator.schema.json
    Schema,
    /// Move a repository to secretgen.dev/v1 generators.
    ///
    /// Example: secretgen migrate ksops overlays/ --dry-run
    #[command(subcommand)]
    Migrate(MigrateCommand),
}

#[derive(Subcommand)]
pub enum MigrateCommand {
    /// KSOPS configs (`kind: ksops`) named in the kustomizations under PATH: each
    /// `secretFrom` entry becomes a SecretGenerator, `files:` stay SOPS manifests in a KSOPS
    /// config (which secretgen runs as KSOPS); reports, per Secret, whether its final name
    /// changes and why. Prints the new files unless --write; never writes a value.
    ///
    /// Example: secretgen migrate ksops deploy/ --write
    Ksops {
        /// Kustomization files or directories searched for them.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Print the new files and the report, change nothing (the default).
        #[arg(long, conflicts_with = "write")]
        dry_run: bool,
        /// Rewrite the generator files in place (atomically).
        #[arg(long)]
        write: bool,
        /// An age identity file for the SOPS files (repeatable); else where sops looks.
        #[arg(short = 'i', long, value_name = "FILE")]
        identity: Vec<PathBuf>,
    },
}

/// Flags every `create` form shares (kubectl's names).
#[derive(Args)]
pub struct CreateCommon {
    /// The Secret's name.
    pub name: String,
    /// The Secret's namespace (none printed when not given).
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,
    /// Append kubectl's hash of the Secret to its name.
    #[arg(long)]
    pub append_hash: bool,
    /// Print a secretgen.dev/v1 generator manifest instead of the Secret.
    #[arg(long)]
    pub generator: bool,
    /// Accepted for kubectl compatibility; secretgen never talks to a cluster.
    #[arg(long, value_name = "client", num_args = 0..=1, default_missing_value = "client", hide = true)]
    pub dry_run: Option<String>,
    /// Accepted for kubectl compatibility: only yaml.
    #[arg(short = 'o', long = "output", value_parser = ["yaml"], hide = true)]
    pub output: Option<String>,
}

#[derive(Subcommand)]
pub enum CreateCommand {
    /// A Secret from literals, files, directories or an env file.
    ///
    /// Example: secretgen create generic db --from-literal=user=admin --from-file=password.txt
    Generic {
        #[command(flatten)]
        common: CreateCommon,
        /// key=value (repeatable); nothing is unquoted.
        #[arg(long, value_name = "KEY=VALUE")]
        from_literal: Vec<String>,
        /// [key=]path (repeatable); a directory adds each regular file in it.
        #[arg(long, value_name = "[KEY=]PATH")]
        from_file: Vec<String>,
        /// A dotenv file (repeatable); not combined with --from-file or --from-literal.
        #[arg(long, value_name = "PATH")]
        from_env_file: Vec<String>,
        /// The Secret's type (none printed when not given, as kubectl does).
        #[arg(long = "type", value_name = "TYPE")]
        type_: Option<String>,
    },
    /// A kubernetes.io/tls Secret; the key must match the certificate.
    ///
    /// Example: secretgen create tls web-tls --cert=tls.crt --key=tls.key
    Tls {
        #[command(flatten)]
        common: CreateCommon,
        /// PEM certificate (chain) for `tls.crt`.
        #[arg(long, value_name = "FILE")]
        cert: Option<PathBuf>,
        /// PEM private key for `tls.key`; must match the certificate.
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
    },
    /// A kubernetes.io/dockerconfigjson Secret for image pulls.
    ///
    /// Example: secretgen create docker-registry regcred --docker-server=r.example.com --docker-username=u --docker-password=p
    DockerRegistry {
        #[command(flatten)]
        common: CreateCommon,
        /// The registry's server address.
        #[arg(long, default_value = "https://index.docker.io/v1/")]
        docker_server: String,
        /// The registry user name.
        #[arg(long)]
        docker_username: Option<String>,
        /// The registry password (prefer --from-file: a flag's value stays in shell history).
        #[arg(long)]
        docker_password: Option<String>,
        /// The registry e-mail (optional, as in kubectl).
        #[arg(long)]
        docker_email: Option<String>,
        /// A docker config.json to use as .dockerconfigjson, verbatim.
        #[arg(long, value_name = "[KEY=]PATH")]
        from_file: Vec<PathBuf>,
    },
    /// A kubernetes.io/basic-auth Secret.
    ///
    /// Example: secretgen create basic-auth git --username=bot --password-file=pass.txt
    BasicAuth {
        #[command(flatten)]
        common: CreateCommon,
        /// The `username` key's value.
        #[arg(long)]
        username: Option<String>,
        /// A file holding the `password` key's value.
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
    },
    /// A kubernetes.io/ssh-auth Secret.
    ///
    /// Example: secretgen create ssh-auth deploy-key --ssh-privatekey=id_ed25519
    SshAuth {
        #[command(flatten)]
        common: CreateCommon,
        /// The SSH private key file for `ssh-privatekey`.
        #[arg(long, value_name = "FILE")]
        ssh_privatekey: PathBuf,
    },
}

#[derive(Args)]
pub struct PluginArgs {
    #[command(subcommand)]
    pub command: PluginCommand,
}

#[derive(Subcommand)]
pub enum PluginCommand {
    /// What kustomize runs: render the generator config at CONFIG, files resolved from the
    /// working directory (the kustomization root), names left for kustomize to suffix.
    ///
    /// Example: secretgen plugin exec /tmp/kust-plugin-config-123
    Exec {
        /// kustomize's copy of the generator config.
        config: PathBuf,
        #[command(flatten)]
        flags: RenderFlags,
    },
    /// Install the plugin where kustomize looks for it: --plugin-home, else
    /// $KUSTOMIZE_PLUGIN_HOME, else $XDG_CONFIG_HOME/kustomize/plugin, else
    /// ~/.config/kustomize/plugin.
    ///
    /// Example: secretgen plugin install --plugin-home ./kustomize-plugins
    Install {
        /// kustomize's plugin home to install into (the directory that holds
        /// `secretgen.dev/v1/secretgenerator/`); overrides KUSTOMIZE_PLUGIN_HOME.
        #[arg(long, value_name = "DIR")]
        plugin_home: Option<PathBuf>,
        /// Also take KSOPS' place: link viaduct.ai/v1/ksops/ksops (kustomize's legacy exec
        /// plugin for `kind: ksops`) to secretgen, which runs KSOPS configs as KSOPS does.
        #[arg(long)]
        ksops: bool,
        /// First copy this binary to DIR/secretgen and link the plugin to that copy: what an
        /// init container with no `cp` (the image is FROM scratch) runs to fill a shared
        /// volume. With --ksops, DIR/ksops is linked to it too (the name a KRM
        /// `exec: {path: ksops}` finds on PATH).
        #[arg(long, value_name = "DIR")]
        bin_dir: Option<PathBuf>,
    },
}

#[derive(Args)]
pub struct FnArgs {
    #[command(flatten)]
    pub flags: RenderFlags,
}

/// Options shared by every command that renders.
#[derive(Args, Clone)]
pub struct RenderFlags {
    /// Name-suffix hash for generators that do not set `hash:` themselves: kustomize
    /// (kustomize v4/v5, the default), kustomize-legacy (kustomize ≤ 3.7, the Kubernetes
    /// docs) or kubectl (`kubectl create secret --append-hash`).
    #[arg(long, value_name = "VARIANT", value_parser = parse_variant())]
    pub hash: Option<HashVariant>,
    /// kustomize's load restrictor: files must stay under the generator's directory unless
    /// LoadRestrictionsNone. Also read from SECRETGEN_LOAD_RESTRICTOR, the way to set it for
    /// the exec plugin, to which kustomize passes no flag.
    #[arg(
        long,
        value_enum,
        env = "SECRETGEN_LOAD_RESTRICTOR",
        default_value = "LoadRestrictionsRootOnly"
    )]
    pub load_restrictor: Restrictor,
    /// age identity file (X25519, post-quantum, plugin or SSH private key); repeatable.
    /// Otherwise SECRETGEN_AGE_IDENTITY_FILE, else SECRETGEN_AGE_IDENTITY; without those,
    /// every place sops reads: SOPS_AGE_SSH_PRIVATE_KEY_FILE, ~/.ssh/id_ed25519, ~/.ssh/id_rsa,
    /// SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD, $XDG_CONFIG_HOME/sops/age/keys.txt,
    /// ~/.config/sops/age/keys.txt.
    #[arg(short = 'i', long = "identity", value_name = "FILE")]
    pub identity: Vec<PathBuf>,
    /// Render kustomize trees even where they hold what secretgen does not apply to Secrets
    /// (a remote base, a Helm chart, a transformer or generator plugin, replacements that
    /// may target a Secret): a warning instead of an error, and the output may differ from
    /// `kubectl kustomize`.
    #[arg(long)]
    pub accept_unapplied: bool,
}

/// `--placeholder`, for commands that may run without keys.
#[derive(Args, Clone)]
pub struct PlaceholderFlag {
    /// When an encrypted input cannot be decrypted (no identity, as in a CI job without
    /// keys), render it as a marked placeholder with a warning instead of failing, so that
    /// names, key names, types and references can still be checked. Such Secrets carry the
    /// annotation secretgen.dev/placeholder and are never written by -o without this flag.
    #[arg(long)]
    pub placeholder: bool,
}

/// The `--hash` values, listed in `--help` and in the error for another value.
/// The command-line face of [`LoadRestrictor`], named as kustomize names its values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Restrictor {
    /// Files must resolve (symlinks followed) to a place under the generator's root.
    #[value(name = "LoadRestrictionsRootOnly")]
    RootOnly,
    /// Any readable file may be named.
    #[value(name = "LoadRestrictionsNone")]
    None,
}

impl From<Restrictor> for LoadRestrictor {
    fn from(r: Restrictor) -> Self {
        match r {
            Restrictor::RootOnly => LoadRestrictor::RootOnly,
            Restrictor::None => LoadRestrictor::None,
        }
    }
}

fn parse_variant() -> impl clap::builder::TypedValueParser<Value = HashVariant> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(HashVariant::ALL.map(HashVariant::as_str))
        .map(|s| s.parse().expect("every listed value is a variant"))
}

impl RenderFlags {
    fn settings(&self) -> Settings {
        Settings {
            load_restrictor: self.load_restrictor.into(),
            hash: self.hash,
            ..Settings::default()
        }
    }

    fn with_placeholder(&self, p: &PlaceholderFlag) -> Settings {
        Settings {
            placeholder: p.placeholder,
            ..self.settings()
        }
    }
}

#[derive(Args)]
pub struct RenderArgs {
    /// Manifests, kustomizations or directories.
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub flags: RenderFlags,
    /// Write one file per Secret to DIR/<namespace or _cluster>/<name>.yaml (mode 0600,
    /// written to a temporary file and renamed) instead of printing.
    #[arg(short = 'o', long = "output-dir", value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// With -o: change nothing; exit 1 with a redacted diff when DIR is not what a render
    /// would write.
    #[arg(long, requires = "output_dir")]
    pub check: bool,
    /// With -o: remove files secretgen wrote earlier that no generator produces any more.
    #[arg(long, requires = "output_dir")]
    pub prune: bool,
    #[command(flatten)]
    pub placeholder: PlaceholderFlag,
}

#[derive(Args)]
pub struct DiffArgs {
    /// OLD NEW: each a rendered YAML file, a directory written by `render -o`, or a source
    /// tree (rendered on the fly). With --base: the paths to render on both sides
    /// (default: .).
    #[arg(value_name = "PATH", required_unless_present = "base")]
    pub sides: Vec<PathBuf>,
    /// Compare the tree at this git revision (read from git, the working tree untouched)
    /// with the working tree.
    #[arg(long, value_name = "GIT_REF")]
    pub base: Option<String>,
    /// Paths to render with --base, as the positional PATHs (kept for older scripts).
    #[arg(long = "path", value_name = "PATH", requires = "base", hide = true)]
    pub paths: Vec<PathBuf>,
    /// Show the changed values. Only honoured when stdout is a terminal and CI is unset.
    #[arg(long)]
    pub show_values: bool,
    /// text for people, json for bots.
    #[arg(long, value_enum, default_value = "text")]
    pub format: DiffFormat,
    /// Count what could not be compared (encrypted, no identity, with --placeholder) as a
    /// difference: exit 1.
    #[arg(long)]
    pub strict: bool,
    #[command(flatten)]
    pub flags: RenderFlags,
    #[command(flatten)]
    pub placeholder: PlaceholderFlag,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum DiffFormat {
    Text,
    Json,
}

#[derive(Args)]
pub struct CheckArgs {
    /// Directories (or files) holding generators and the workloads that use their Secrets.
    pub paths: Vec<PathBuf>,
    /// Count what could not be checked (key names inside encrypted inputs, without an
    /// identity) as findings: exit 1 instead of a note on stderr.
    #[arg(long)]
    pub strict: bool,
    /// The plaintext gate, for CI and pre-commit hooks: instead of checking references,
    /// report (exit 1) every generator input that is not age- or SOPS-encrypted, every
    /// literal that holds a value and every Secret manifest with values in clear. Reads no
    /// key and decrypts nothing.
    #[arg(long)]
    pub require_encrypted: bool,
    /// With --require-encrypted: a file meant to be plain (a CA certificate, say), as a
    /// gitignore-style glob from the current directory (`**/ca.crt`); repeatable.
    #[arg(long, value_name = "GLOB", requires = "require_encrypted")]
    pub allow_plaintext: Vec<String>,
    #[command(flatten)]
    pub flags: RenderFlags,
    #[command(flatten)]
    pub placeholder: PlaceholderFlag,
}

#[derive(Args)]
pub struct HashArgs {
    /// Print the hashed JSON (values as sizes) for every Secret.
    #[arg(long)]
    pub explain: bool,
    /// Manifests, kustomizations or directories.
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub flags: RenderFlags,
}

pub fn main() -> ExitCode {
    install_panic_hook();
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // Installed as kustomize's plugin executable itself: `SecretGenerator CONFIG`.
    let argv0 = args
        .first()
        .map(std::path::Path::new)
        .and_then(|p| p.file_name());
    // Installed in KSOPS' place (its legacy plugin path or `ksops` on PATH): KSOPS' command line.
    if argv0.is_some_and(|n| n == "ksops") {
        return ksops::main(&args);
    }
    if argv0.is_some_and(|n| n == "SecretGenerator") {
        // kustomize's call, `SecretGenerator CONFIG`, once per generator: answered without
        // building the whole command-line parser, a third of the plugin's start-up work.
        if let [_, config] = args.as_slice()
            && !config.as_encoded_bytes().starts_with(b"-")
        {
            let load_restrictor = match std::env::var_os("SECRETGEN_LOAD_RESTRICTOR") {
                Some(v) if v == "LoadRestrictionsNone" => Restrictor::None,
                Some(v) if v != "LoadRestrictionsRootOnly" => {
                    return exit_code(Err(Error::Usage(format!(
                        "SECRETGEN_LOAD_RESTRICTOR is `{}`: expected LoadRestrictionsRootOnly or LoadRestrictionsNone",
                        v.to_string_lossy().escape_debug()
                    ))));
                }
                _ => Restrictor::RootOnly,
            };
            let flags = RenderFlags {
                hash: None,
                load_restrictor,
                identity: Vec::new(),
                accept_unapplied: false,
            };
            return exit_code(run_plugin_exec(std::path::Path::new(config), &flags));
        }
        args.splice(1..1, ["plugin".into(), "exec".into()]);
    } else if let [_, flag] = args.as_slice()
        && (flag == "--version" || flag == "-V")
    {
        // What clap prints, without building the parser: images and CI probe with it.
        let _ = writeln!(std::io::stdout(), "secretgen {VERSION}");
        return ExitCode::SUCCESS;
    } else if args.len() == 1 && !std::io::stdin().is_terminal() {
        // A bare `secretgen` is a KRM function only when stdin holds a ResourceList; an empty
        // or other stdin (`secretgen </dev/null` in a CI step) is a usage error.
        return exit_code(run_bare_stdin());
    }
    let cli = Cli::parse_from(args);
    let result = match cli.command {
        Command::Render(args) => run_render(args),
        Command::Hash(args) => run_hash(args),
        Command::Age(args) => return age::run(args),
        Command::Plugin(PluginArgs {
            command: PluginCommand::Exec { config, flags },
        }) => run_plugin_exec(&config, &flags),
        Command::Plugin(PluginArgs {
            command:
                PluginCommand::Install {
                    plugin_home,
                    ksops,
                    bin_dir,
                },
        }) => run_plugin_install(plugin_home, ksops, bin_dir),
        Command::Fn(args) => read_stdin().and_then(|input| run_fn(&input, &args.flags)),
        Command::Create(c) => run_create(c),
        Command::Diff(args) => run_diff(args),
        Command::Check(args) => run_check(args),
        Command::Completions { shell } => run_completions(shell),
        Command::Man { dir } => run_man(dir),
        Command::Schema => write_stdout(secretgen::kustomize::schema::SCHEMA.as_bytes())
            .map(|()| ExitCode::SUCCESS),
        Command::Migrate(MigrateCommand::Ksops {
            paths,
            write,
            identity,
            ..
        }) => ksops::migrate(&paths, write, &identity),
    };
    exit_code(result)
}

/// The exit code of a command's result, its error printed: 2 for every error.
fn exit_code(result: Result<ExitCode, Error>) -> ExitCode {
    match result {
        Ok(code) => code,
        // The reader went away (`secretgen render | head -1`): nothing is wrong, and
        // nothing more can be said to it. Quiet, as ripgrep and git are.
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe => {
            ExitCode::SUCCESS
        }
        Err(e) => {
            print_error(&e);
            ExitCode::from(2)
        }
    }
}

/// A panic message could hold data; print none of it.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        // `println!` to a closed pipe panics with std's own message: a quiet exit, as for
        // a write error.
        let payload = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if payload.starts_with("failed printing to stdout") && payload.contains("Broken pipe") {
            std::process::exit(0);
        }
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "error: internal error in secretgen{at}; please report it (details are withheld because they could contain secret values)"
        );
        std::process::exit(2);
    }));
}

pub fn print_error(e: &Error) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "error: {}",
        secretgen::error::escape_controls(&e.to_string())
    );
}

/// Prints each warning once per run, however many renders of the same input met it (both
/// sides of a diff, a file reached from two kustomizations).
pub fn print_warnings(warnings: &[Warning]) {
    static PRINTED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let mut printed = PRINTED.lock().unwrap_or_else(|p| p.into_inner());
    let mut err = std::io::stderr().lock();
    for w in warnings {
        let line = format!(
            "warning: {}",
            secretgen::error::escape_controls(&w.to_string())
        );
        if !printed.contains(&line) {
            let _ = writeln!(err, "{line}");
            printed.push(line);
        }
    }
}

fn render_paths(
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
    print_warnings(&r.out.warnings);
    if r.out.secrets.is_empty() && r.read > 0 {
        eprintln!("no Secrets: {} kustomizations read", r.read);
    }
    Ok(r)
}

fn generator_count(units: &[secretgen::kustomize::manifest::Unit]) -> u64 {
    units.iter().map(|u| u.generators.len() as u64).sum()
}

/// A progress bar on stderr, drawn only when stderr is a terminal, CI is unset, and the run
/// is still going after a moment (`SECRETGEN_PROGRESS_DELAY_MS`, default 500): a short run,
/// a pipe or a CI log never sees it.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    start: std::time::Instant,
    delay: std::time::Duration,
    shown: std::sync::atomic::AtomicBool,
}

impl Progress {
    fn new(wanted: bool, total: u64) -> Self {
        let enabled = wanted
            && total > 0
            && std::io::stderr().is_terminal()
            && std::env::var_os("CI").is_none();
        let delay = std::env::var("SECRETGEN_PROGRESS_DELAY_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(500);
        let bar = enabled.then(|| {
            let bar = indicatif::ProgressBar::with_draw_target(
                Some(total),
                indicatif::ProgressDrawTarget::hidden(),
            );
            if let Ok(style) =
                indicatif::ProgressStyle::with_template("rendering {bar:30} {pos}/{len} generators")
            {
                bar.set_style(style);
            }
            bar
        });
        Progress {
            bar,
            start: std::time::Instant::now(),
            delay: std::time::Duration::from_millis(delay),
            shown: std::sync::atomic::AtomicBool::new(false),
        }
    }

    fn tick(&self) {
        use std::sync::atomic::Ordering;
        let Some(bar) = &self.bar else { return };
        bar.inc(1);
        if !self.shown.load(Ordering::Relaxed) && self.start.elapsed() >= self.delay {
            self.shown.store(true, Ordering::Relaxed);
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            bar.tick();
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

pub fn write_stdout(bytes: &[u8]) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|_| out.flush())
        .map_err(|e| Error::io(std::path::Path::new("<stdout>"), "cannot write", e))
}

/// `render` to stdout: each Secret becomes its document as soon as it is rendered.
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

fn run_render(args: RenderArgs) -> Result<ExitCode, Error> {
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
) -> Result<Vec<secretgen::secret::Secret>, Error> {
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
    Ok(out.secrets)
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

fn run_check(args: CheckArgs) -> Result<ExitCode, Error> {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    if args.require_encrypted {
        let allow = secretgen::review::policy::AllowList::new(&args.allow_plaintext)?;
        let units = secretgen::render::discover::load(&paths)?;
        for u in &units {
            print_warnings(&u.warnings);
        }
        let found = secretgen::review::policy::plaintext_inputs(&units, &allow)?;
        let mut text = String::new();
        for f in &found {
            text.push_str(&format!("{f}\n"));
        }
        write_stdout(text.as_bytes())?;
        if found.is_empty() {
            let inputs: usize = units.iter().map(|u| u.generators.len()).sum();
            eprintln!("no plaintext secrets ({inputs} generators read)");
            return Ok(ExitCode::SUCCESS);
        }
        eprintln!("{} plaintext secret inputs", found.len());
        return Ok(ExitCode::from(1));
    }
    let settings = args.flags.with_placeholder(&args.placeholder);
    let out = render_paths(&paths, &args.flags, &settings)?;
    // Each tree checks its own workloads (from its bases too, as the build leaves them);
    // the files a tree read are not checked again on their own.
    let plan = secretgen::render::tree::plan(&paths)?;
    let keys = keyring(&args.flags.identity);
    let (tree_findings, _, tree_files) =
        secretgen::render::tree::check(&plan, &settings, &keys, args.flags.accept_unapplied)?;
    let files: Vec<PathBuf> = check::manifest_files(&paths)
        .into_iter()
        .filter(|f| !tree_files.contains(&std::fs::canonicalize(f).unwrap_or_else(|_| f.clone())))
        .collect();
    let mut texts = Vec::new();
    for f in &files {
        texts.push((f.clone(), secretgen::kustomize::manifest::read_text(f)?));
    }
    let mut plain = Vec::new();
    for (f, t) in &texts {
        plain.extend(check::plain_secrets(f, t));
    }
    let known: Vec<check::Known<'_>> = out
        .secrets
        .iter()
        .chain(&plain)
        .map(check::Known::of)
        .collect();
    let mut findings = tree_findings;
    for (f, t) in &texts {
        findings.extend(check::check_file(f, t, &known));
    }
    // What could not be checked is a note on stderr, and a finding only with --strict.
    let (notes, findings): (Vec<_>, Vec<_>) =
        findings.into_iter().partition(|f| f.note && !args.strict);
    for n in &notes {
        eprintln!("note: {n}");
    }
    let mut text = String::new();
    for f in &findings {
        text.push_str(&format!("{f}\n"));
    }
    if findings.is_empty() {
        let unchecked = if notes.is_empty() {
            String::new()
        } else {
            format!("; {} references not checked, see the notes", notes.len())
        };
        eprintln!(
            "no broken references ({} Secrets, {} files{unchecked})",
            known.len(),
            files.len() + tree_files.len()
        );
    }
    write_stdout(text.as_bytes())?;
    Ok(if findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn run_hash(args: HashArgs) -> Result<ExitCode, Error> {
    let out = render_paths(&args.paths, &args.flags, &args.flags.settings())?;
    let mut text = String::new();
    for s in &out.secrets {
        let ns = s
            .namespace
            .as_deref()
            .map(|n| format!("{n}/"))
            .unwrap_or_default();
        match &s.hash {
            None => text.push_str(&format!(
                "{ns}{}: no suffix (disableNameSuffixHash), from {}\n",
                s.name, s.origin
            )),
            Some((variant, suffix)) => {
                text.push_str(&format!("{ns}{}: from {}\n", s.name, s.origin));
                text.push_str(&format!("  variant: {variant}\n"));
                if args.explain {
                    let json = s.hash_json(*variant, true);
                    text.push_str(&format!("  json:    {}\n", String::from_utf8_lossy(&json)));
                }
                text.push_str(&format!(
                    "  suffix:  {suffix} (first 10 hex digits of SHA-256 of the real JSON, 0→g 1→h 3→k a→m e→t)\n"
                ));
            }
        }
    }
    write_stdout(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// The keyring for a run: identities are read on the first encrypted input, if any.
fn keyring(identity: &[PathBuf]) -> secretgen::age::Keyring {
    secretgen::age::Keyring::new(secretgen::age::IdentitySources::from_env(identity.to_vec()))
        .with_warnings(|w| eprintln!("warning: {w}"))
}

fn run_plugin_exec(config: &std::path::Path, flags: &RenderFlags) -> Result<ExitCode, Error> {
    if ksops::config_is_ksops(config) {
        return Ok(ksops::exec(config, &flags.identity));
    }
    let keys = keyring(&flags.identity);
    let (yaml, warnings) = plugin::exec(config, &plugin::plugin_root(), &flags.settings(), &keys)?;
    print_warnings(&warnings);
    write_stdout(&yaml)?;
    Ok(ExitCode::SUCCESS)
}

fn read_stdin() -> Result<String, Error> {
    // Bounded as YAML files are: `cat /dev/zero | secretgen fn` ends with an error.
    let limit = secretgen::kustomize::manifest::MAX_YAML_BYTES;
    let mut input = String::new();
    std::io::stdin()
        .take(limit + 1)
        .read_to_string(&mut input)
        .map_err(|e| Error::io(std::path::Path::new("<stdin>"), "cannot read", e))?;
    if input.len() as u64 > limit {
        return Err(Error::manifest(
            secretgen::error::Loc::file("<stdin>"),
            format!("the ResourceList is more than {limit} bytes; YAML inputs are limited to that"),
        ));
    }
    Ok(input)
}

/// `secretgen` with no argument and stdin not a terminal: the KRM function when stdin is a
/// ResourceList, else the usage on stderr and exit 2 with stdout empty.
fn run_bare_stdin() -> Result<ExitCode, Error> {
    use clap::CommandFactory;
    let input = read_stdin()?;
    if plugin::is_resource_list(&input) {
        let flags = RenderFlags {
            hash: None,
            load_restrictor: Restrictor::RootOnly,
            identity: Vec::new(),
            accept_unapplied: false,
        };
        return run_fn(&input, &flags);
    }
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{}", Cli::command().render_usage());
    Err(Error::Usage(
        "no command given, and stdin is not a KRM ResourceList (kind: ResourceList); run `secretgen --help`".into(),
    ))
}

fn run_fn(input: &str, flags: &RenderFlags) -> Result<ExitCode, Error> {
    if secretgen::ksops::list_is_ksops(input) {
        return Ok(ksops::function(input, &flags.identity));
    }
    let keys = keyring(&flags.identity);
    let (out, failed, warnings) =
        plugin::function(input, std::path::Path::new("."), &flags.settings(), &keys);
    print_warnings(&warnings);
    write_stdout(&out)?;
    // The errors are in the list's `results` (the protocol wants stdout); the exit code is
    // the one of every other error.
    Ok(if failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

fn run_plugin_install(
    plugin_home: Option<PathBuf>,
    with_ksops: bool,
    bin_dir: Option<PathBuf>,
) -> Result<ExitCode, Error> {
    let (home, from_default) = match plugin_home {
        Some(h) => (h, false),
        None => plugin::default_plugin_home().ok_or_else(|| {
            Error::Usage("cannot tell where kustomize looks for plugins: set --plugin-home, KUSTOMIZE_PLUGIN_HOME, XDG_CONFIG_HOME or HOME".into())
        })?,
    };
    let exe = std::env::current_exe().map_err(|e| {
        Error::io(
            std::path::Path::new("secretgen"),
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
            let link = dir.join("ksops");
            secretgen::ksops::install_link(&link, &exe)?;
            eprintln!("installed {}", link.display());
        }
    }
    let env = if from_default {
        String::new()
    } else {
        format!("KUSTOMIZE_PLUGIN_HOME={} ", home.display())
    };
    let flags = if with_ksops {
        "--enable-alpha-plugins --enable-exec"
    } else {
        "--enable-alpha-plugins"
    };
    println!("{env}kubectl kustomize {flags} DIR");
    Ok(ExitCode::SUCCESS)
}

fn run_create(c: CreateCommand) -> Result<ExitCode, Error> {
    use secretgen::secret::create::{self, Request};
    let start = |common: &CreateCommon| {
        let mut r = Request::new(&common.name, common.namespace.clone());
        r.append_hash = common.append_hash;
        r
    };
    let (req, generator) = match &c {
        CreateCommand::Generic {
            common,
            from_literal,
            from_file,
            from_env_file,
            type_,
        } => {
            if !from_env_file.is_empty() && (!from_file.is_empty() || !from_literal.is_empty()) {
                return Err(Error::Usage(
                    "--from-env-file cannot be combined with --from-file or --from-literal".into(),
                ));
            }
            let mut r = start(common);
            r.set_type(type_.clone());
            for l in from_literal {
                r.literal(l)?;
            }
            for f in from_file {
                r.file(f)?;
            }
            for e in from_env_file {
                r.env_file(e)?;
            }
            (r, common.generator)
        }
        CreateCommand::Tls { common, cert, key } => {
            let mut r = start(common);
            create::tls(&mut r, cert.as_deref(), key.as_deref())?;
            (r, common.generator)
        }
        CreateCommand::DockerRegistry {
            common,
            docker_server,
            docker_username,
            docker_password,
            docker_email,
            from_file,
        } => {
            let mut r = start(common);
            create::docker_registry(
                &mut r,
                &create::Docker {
                    server: docker_server,
                    username: docker_username.as_deref(),
                    password: docker_password.as_deref(),
                    email: docker_email.as_deref(),
                    from_file: from_file.clone(),
                },
            )?;
            (r, common.generator)
        }
        CreateCommand::BasicAuth {
            common,
            username,
            password_file,
        } => {
            let mut r = start(common);
            create::basic_auth(&mut r, username.as_deref(), password_file.as_deref())?;
            (r, common.generator)
        }
        CreateCommand::SshAuth {
            common,
            ssh_privatekey,
        } => {
            let mut r = start(common);
            create::ssh_auth(&mut r, ssh_privatekey)?;
            (r, common.generator)
        }
    };
    let out = if generator {
        req.to_generator()?
    } else {
        req.into_yaml()
    };
    write_stdout(&out)?;
    Ok(ExitCode::SUCCESS)
}

fn run_completions(shell: clap_complete::Shell) -> Result<ExitCode, Error> {
    use clap::CommandFactory;
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "secretgen", &mut out);
    write_stdout(&out)?;
    Ok(ExitCode::SUCCESS)
}

fn run_man(dir: Option<PathBuf>) -> Result<ExitCode, Error> {
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

#[cfg(test)]
mod tests {
    use std::process::Command;

    /// Every flag and argument of every subcommand has a description in `--help`.
    #[test]
    fn every_argument_is_described() {
        use clap::CommandFactory;
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for arg in cmd.get_arguments() {
                let builtin = matches!(arg.get_id().as_str(), "help" | "version");
                if !builtin && !arg.is_hide_set() && arg.get_help().is_none() {
                    missing.push(format!("{path} {}", arg.get_id()));
                }
            }
            for sub in cmd.get_subcommands() {
                if sub.get_name() != "help" {
                    walk(sub, &format!("{path} {}", sub.get_name()), missing);
                }
            }
        }
        let mut missing = Vec::new();
        walk(&super::Cli::command(), "secretgen", &mut missing);
        assert!(missing.is_empty(), "undescribed: {missing:#?}");
    }

    const CANARY: &str = "CANARY-5e1d-panic-payload";
    const CHILD: &str = "SECRETGEN_TEST_PANIC_CHILD";

    /// The real hook, in a child process (it exits): a panic whose payload holds a value
    /// gives exit 2 and a message that names where, never what.
    #[test]
    fn panic_hook_withholds_the_payload() {
        if std::env::var_os(CHILD).is_some() {
            super::install_panic_hook();
            let value = String::from(CANARY);
            panic!("value was {value}");
        }
        let out = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "cli::tests::panic_hook_withholds_the_payload",
                "--nocapture",
            ])
            .env(CHILD, "1")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains("error: internal error in secretgen at src/cli/mod.rs:"),
            "{stderr}"
        );
        assert!(
            !stderr.contains(CANARY) && !stdout.contains(CANARY),
            "{stderr}{stdout}"
        );
    }
}
