//! Command-line definitions. The doc comments here are the `--help` text.

pub mod age;

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use secretgen::error::{Error, Warning};
use secretgen::hash::HashVariant;
use secretgen::render::{self, LoadRestrictor, Settings};
use secretgen::{check, diff, output, plugin};

/// Generate Kubernetes Secrets from kustomize-style secretGenerator manifests, with
/// age-encrypted inputs decrypted in memory. Output is byte-identical to `kubectl kustomize`.
///
/// Exit codes: 0 success, 1 differences or findings (diff, check, render --check), 2 error.
#[derive(Parser)]
#[command(name = "secretgen", version, about, long_about)]
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
}

/// Flags every `create` form shares (kubectl's names).
#[derive(Args)]
pub struct CreateCommon {
    /// The Secret's name.
    pub name: String,
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
        #[arg(long, value_name = "FILE")]
        cert: Option<PathBuf>,
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
    },
    /// A kubernetes.io/dockerconfigjson Secret for image pulls.
    ///
    /// Example: secretgen create docker-registry regcred --docker-server=r.example.com --docker-username=u --docker-password=p
    DockerRegistry {
        #[command(flatten)]
        common: CreateCommon,
        #[arg(long, default_value = "https://index.docker.io/v1/")]
        docker_server: String,
        #[arg(long)]
        docker_username: Option<String>,
        #[arg(long)]
        docker_password: Option<String>,
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
        #[arg(long)]
        username: Option<String>,
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
    },
    /// A kubernetes.io/ssh-auth Secret.
    ///
    /// Example: secretgen create ssh-auth deploy-key --ssh-privatekey=id_ed25519
    SshAuth {
        #[command(flatten)]
        common: CreateCommon,
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
        #[arg(long, value_name = "DIR")]
        plugin_home: Option<PathBuf>,
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
    /// Name-suffix hash for generators that do not set `hash:` themselves.
    #[arg(long, value_name = "VARIANT", value_parser = parse_variant)]
    pub hash: Option<HashVariant>,
    /// kustomize's load restrictor: files must stay under the generator's directory unless
    /// LoadRestrictionsNone.
    #[arg(long, value_enum, default_value = "LoadRestrictionsRootOnly")]
    pub load_restrictor: LoadRestrictor,
    /// age identity file (X25519 or SSH private key); repeatable. Otherwise:
    /// SECRETGEN_AGE_IDENTITY_FILE, SECRETGEN_AGE_IDENTITY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY,
    /// $XDG_CONFIG_HOME/sops/age/keys.txt, ~/.config/sops/age/keys.txt.
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

fn parse_variant(s: &str) -> Result<HashVariant, String> {
    s.parse()
}

impl RenderFlags {
    fn settings(&self) -> Settings {
        Settings {
            load_restrictor: self.load_restrictor,
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
    if argv0.is_some_and(|n| n == "SecretGenerator") {
        // kustomize's call, `SecretGenerator CONFIG`, once per generator: answered without
        // building the whole command-line parser, a third of the plugin's start-up work.
        if let [_, config] = args.as_slice()
            && !config.as_encoded_bytes().starts_with(b"-")
        {
            let flags = RenderFlags {
                hash: None,
                load_restrictor: LoadRestrictor::default(),
                identity: Vec::new(),
                accept_unapplied: false,
            };
            return exit_code(run_plugin_exec(std::path::Path::new(config), &flags));
        }
        args.splice(1..1, ["plugin".into(), "exec".into()]);
    } else if args.len() == 1 && !std::io::stdin().is_terminal() {
        args.push("fn".into());
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
            command: PluginCommand::Install { plugin_home },
        }) => run_plugin_install(plugin_home),
        Command::Fn(args) => run_fn(&args.flags),
        Command::Create(c) => run_create(c),
        Command::Diff(args) => run_diff(args),
        Command::Check(args) => run_check(args),
    };
    exit_code(result)
}

/// The exit code of a command's result, its error printed: 2 for every error.
fn exit_code(result: Result<ExitCode, Error>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(e) => {
            print_error(&e);
            ExitCode::from(2)
        }
    }
}

/// A panic message could hold data; print none of it.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
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
    let _ = writeln!(err, "error: {e}");
}

pub fn print_warnings(warnings: &[Warning]) {
    let mut err = std::io::stderr().lock();
    for w in warnings {
        let _ = writeln!(err, "warning: {w}");
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
) -> Result<secretgen::tree::Rendered, Error> {
    let plan = secretgen::tree::plan(paths)?;
    let keys = keyring(&flags.identity);
    let bar = Progress::new(progress, generator_count(&plan.units));
    let out = secretgen::tree::render(&plan, settings, &keys, flags.accept_unapplied, &|| {
        bar.tick()
    });
    bar.finish();
    let r = out?;
    print_warnings(&r.out.warnings);
    if r.out.secrets.is_empty() && r.read > 0 {
        eprintln!("no Secrets: {} kustomizations read", r.read);
    }
    Ok(r)
}

fn generator_count(units: &[secretgen::manifest::Unit]) -> u64 {
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
    let plan = secretgen::tree::plan(&args.paths)?;
    if !plan.trees.is_empty() || (plan.units.is_empty() && plan.kustomizations > 0) {
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
            secretgen::emit::write_document(&s.to_node(), &mut doc);
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
    let secretgen::tree::Rendered { out, subdirs, .. } = render_paths_placed(
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
        let text = secretgen::manifest::read_text(path)?;
        let is_source =
            secretgen::manifest::is_kustomization_file(path) || text.contains("SecretGenerator");
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
    Ok(if report.is_empty() {
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
    let settings = args.flags.with_placeholder(&args.placeholder);
    let out = render_paths(&paths, &args.flags, &settings)?;
    // Each tree checks its own workloads (from its bases too, as the build leaves them);
    // the files a tree read are not checked again on their own.
    let plan = secretgen::tree::plan(&paths)?;
    let keys = keyring(&args.flags.identity);
    let (tree_findings, _, tree_files) =
        secretgen::tree::check(&plan, &settings, &keys, args.flags.accept_unapplied)?;
    let files: Vec<PathBuf> = check::manifest_files(&paths)
        .into_iter()
        .filter(|f| !tree_files.contains(&std::fs::canonicalize(f).unwrap_or_else(|_| f.clone())))
        .collect();
    let mut texts = Vec::new();
    for f in &files {
        texts.push((f.clone(), secretgen::manifest::read_text(f)?));
    }
    let mut known: Vec<check::SecretInfo> = out
        .secrets
        .iter()
        .map(|s| check::SecretInfo {
            namespace: s.namespace.clone(),
            base_name: s.base_name.clone(),
            name: s.name.clone(),
            type_: s.type_.clone(),
            keys: s.data.keys().cloned().collect(),
            keys_unknown: s.keys_unknown,
        })
        .collect();
    for (f, t) in &texts {
        known.extend(check::plain_secrets(f, t));
    }
    let mut findings = tree_findings;
    for (f, t) in &texts {
        findings.extend(check::check_file(f, t, &known));
    }
    let mut text = String::new();
    for f in &findings {
        text.push_str(&format!("{f}\n"));
    }
    if findings.is_empty() {
        eprintln!(
            "no broken references ({} Secrets, {} files)",
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
fn keyring(identity: &[PathBuf]) -> secretgen::crypt::Keyring {
    secretgen::crypt::Keyring::new(secretgen::crypt::IdentitySources::from_env(
        identity.to_vec(),
    ))
}

fn run_plugin_exec(config: &std::path::Path, flags: &RenderFlags) -> Result<ExitCode, Error> {
    let keys = keyring(&flags.identity);
    let (yaml, warnings) = plugin::exec(config, &plugin::plugin_root(), &flags.settings(), &keys)?;
    print_warnings(&warnings);
    write_stdout(&yaml)?;
    Ok(ExitCode::SUCCESS)
}

fn run_fn(flags: &RenderFlags) -> Result<ExitCode, Error> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .map_err(|e| Error::io(std::path::Path::new("<stdin>"), "cannot read", e))?;
    let keys = keyring(&flags.identity);
    let (out, failed, warnings) =
        plugin::function(&input, std::path::Path::new("."), &flags.settings(), &keys);
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

fn run_plugin_install(plugin_home: Option<PathBuf>) -> Result<ExitCode, Error> {
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
    let installed = plugin::install(&home, &exe)?;
    eprintln!("installed {}", installed.display());
    let env = if from_default {
        String::new()
    } else {
        format!("KUSTOMIZE_PLUGIN_HOME={} ", home.display())
    };
    println!("{env}kubectl kustomize --enable-alpha-plugins DIR");
    Ok(ExitCode::SUCCESS)
}

fn run_create(c: CreateCommand) -> Result<ExitCode, Error> {
    use secretgen::create::{self, Request};
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
            r.type_ = type_.clone();
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
        req.to_yaml()
    };
    write_stdout(&out)?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use std::process::Command;

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
            stderr.contains("error: internal error in secretgen at src/cli.rs:"),
            "{stderr}"
        );
        assert!(
            !stderr.contains(CANARY) && !stdout.contains(CANARY),
            "{stderr}{stdout}"
        );
    }
}
