//! Command-line definitions. The doc comments here are the `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use secretgen::kustomize::hash::HashVariant;
use secretgen::render::{Given, LoadRestrictor};

use super::age;

/// `secretgen --version`: the version, the commit and the build date (see build.rs).
pub(crate) const VERSION: &str = concat!(
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
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
    #[command(flatten)]
    pub(crate) globals: GlobalArgs,
}

/// The options every subcommand takes.
#[derive(Args, Default)]
pub(crate) struct GlobalArgs {
    /// Stop a key command (SOPS_AGE_KEY_CMD, SOPS_AGE_SSH_PRIVATE_KEY_CMD), an age plugin or
    /// git after SECONDS when there is no terminal to answer it (as under kustomize, kpt or
    /// CI); 0 = never. With a terminal, nothing is stopped: it may be waiting for a PIN or a
    /// touch. Default 30, or SECRETGEN_PROCESS_TIMEOUT (which this flag overrides).
    #[arg(long, global = true, value_name = "SECONDS", value_parser = parse_timeout)]
    pub(crate) process_timeout: Option<secretgen::gate::process::Timeout>,
    /// A sops key service to unwrap data keys with, as sops takes it: unix:///path/to/socket
    /// or tcp://host:port; repeatable. Default: SOPS_KEYSERVICE (comma-separated).
    #[arg(long, global = true, value_name = "URI")]
    pub(crate) keyservice: Vec<String>,
    /// Whether keys this process holds are tried before the key services (as sops:
    /// --enable-local-keyservice=false to use only the key services). Default: true, or
    /// SOPS_ENABLE_LOCAL_KEYSERVICE.
    #[arg(long, global = true, value_name = "BOOL", num_args = 0..=1, require_equals = true,
          default_missing_value = "true", action = clap::ArgAction::Set)]
    pub(crate) enable_local_keyservice: Option<bool>,
}

/// `secretgen render …` parsed by a parser of the top-level options and that one subcommand
/// only: building every subcommand's definitions is most of a small render's start-up. What
/// this parser does not accept (help, a mistake, another subcommand) is `None`, for the
/// whole parser to answer as it always does. The most common call of all, `render PATH…`
/// with no option (every real-world build, a CI step), is read without a parser: no option
/// given is every field's default, which is what clap makes of it.
pub(crate) fn parse_render(args: &[std::ffi::OsString]) -> Option<Cli> {
    use clap::FromArgMatches;
    if args.get(1).is_none_or(|a| a != "render") {
        return None;
    }
    // clap refuses an empty PATH; anything starting with `-` is an option or `--`.
    let plain = |a: &std::ffi::OsString| a.as_encoded_bytes().first().is_some_and(|&b| b != b'-');
    if args[2..].iter().all(plain) {
        return Some(Cli {
            command: Command::Render(RenderArgs {
                paths: args[2..].iter().map(PathBuf::from).collect(),
                ..RenderArgs::default()
            }),
            globals: GlobalArgs::default(),
        });
    }
    let render = RenderArgs::augment_args(clap::Command::new("render"));
    let root = GlobalArgs::augment_args(clap::Command::new("secretgen"))
        .subcommand(render)
        .subcommand_required(true);
    let m = root.try_get_matches_from(args).ok()?;
    let globals = GlobalArgs::from_arg_matches(&m).ok()?;
    let (_, sub) = m.subcommand()?;
    let render = RenderArgs::from_arg_matches(sub).ok()?;
    Some(Cli {
        command: Command::Render(render),
        globals,
    })
}

/// `--process-timeout`: whole seconds, 0 for none.
fn parse_timeout(s: &str) -> Result<secretgen::gate::process::Timeout, String> {
    secretgen::gate::process::Timeout::parse(s)
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Render every generator under the paths as a YAML stream of Secrets.
    ///
    /// A PATH is a generator manifest, a kustomization.yaml, a directory that holds a
    /// kustomization (one build, exactly `kustomize build PATH`; --all searches it), or a
    /// directory searched for the tops of trees and generator manifests (hidden directories
    /// and target/ are skipped). Without PATH: the current directory.
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
    /// Encrypt and decrypt SOPS files as sops 3.13.3 does (its subcommands, flags and
    /// `.sops.yaml` creation rules), without the sops binary.
    ///
    /// Example: secretgen sops encrypt --age age1… -i secret.yaml
    Sops(Box<super::sops::SopsArgs>),
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
pub(crate) enum MigrateCommand {
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
pub(crate) struct CreateCommon {
    /// The Secret's name.
    pub(crate) name: String,
    /// The Secret's namespace (none printed when not given).
    #[arg(short = 'n', long)]
    pub(crate) namespace: Option<String>,
    /// Append kubectl's hash of the Secret to its name.
    #[arg(long)]
    pub(crate) append_hash: bool,
    /// Print a secretgen.dev/v1 generator manifest instead of the Secret.
    #[arg(long)]
    pub(crate) generator: bool,
    /// Accepted for kubectl compatibility; secretgen never talks to a cluster.
    #[arg(long, value_name = "client", num_args = 0..=1, default_missing_value = "client", hide = true)]
    pub(crate) dry_run: Option<String>,
    /// Accepted for kubectl compatibility: only yaml.
    #[arg(short = 'o', long = "output", value_parser = ["yaml"], hide = true)]
    pub(crate) output: Option<String>,
}

#[derive(Subcommand)]
pub(crate) enum CreateCommand {
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
pub(crate) struct PluginArgs {
    #[command(subcommand)]
    pub(crate) command: PluginCommand,
}

#[derive(Subcommand)]
pub(crate) enum PluginCommand {
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
        /// volume. With --ksops, DIR/ksops is a copy too (the name a KRM
        /// `exec: {path: ksops}` finds on PATH; a file KSOPS' setup mounts by `subPath`).
        #[arg(long, value_name = "DIR")]
        bin_dir: Option<PathBuf>,
    },
}

#[derive(Args)]
pub(crate) struct FnArgs {
    #[command(flatten)]
    pub(crate) flags: RenderFlags,
}

/// Options shared by every command that renders.
#[derive(Args, Clone, Default)]
pub(crate) struct RenderFlags {
    /// Name-suffix hash for generators that do not set `hash:` themselves: kustomize
    /// (kustomize v4/v5, the default), kustomize-legacy (kustomize ≤ 3.7, the Kubernetes
    /// docs) or kubectl (`kubectl create secret --append-hash`).
    #[arg(long, value_name = "VARIANT", value_parser = parse_variant())]
    pub(crate) hash: Option<HashVariant>,
    /// kustomize's load restrictor: files must stay under the generator's directory unless
    /// LoadRestrictionsNone (default: LoadRestrictionsRootOnly). Without the flag, read from
    /// SECRETGEN_LOAD_RESTRICTOR, the way to set it for the exec plugin and the KRM function,
    /// to which kustomize passes no flag.
    #[arg(long, value_enum)]
    pub(crate) load_restrictor: Option<Restrictor>,
    /// age identity file (X25519, post-quantum, plugin or SSH private key); repeatable.
    /// Otherwise SECRETGEN_AGE_IDENTITY_FILE, else SECRETGEN_AGE_IDENTITY; without those,
    /// every place sops reads: SOPS_AGE_SSH_PRIVATE_KEY_FILE, ~/.ssh/id_ed25519, ~/.ssh/id_rsa,
    /// SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD, $XDG_CONFIG_HOME/sops/age/keys.txt,
    /// ~/.config/sops/age/keys.txt.
    #[arg(short = 'i', long = "identity", value_name = "FILE")]
    pub(crate) identity: Vec<PathBuf>,
    /// Render kustomize trees even where they hold what secretgen does not apply to Secrets
    /// (a remote base, a Helm chart, a transformer or generator plugin): a warning instead
    /// of an error, and the output may differ from `kubectl kustomize`.
    #[arg(long)]
    pub(crate) accept_unapplied: bool,
    /// Search a PATH that holds a kustomization for every kustomization and generator
    /// manifest below it, as a directory without one is searched. Without it such a PATH is
    /// one build, exactly `kustomize build PATH`.
    #[arg(long)]
    pub(crate) all: bool,
}

/// `--placeholder`, for commands that may run without keys.
#[derive(Args, Clone, Default)]
pub(crate) struct PlaceholderFlag {
    /// When an encrypted input cannot be decrypted (no identity, as in a CI job without
    /// keys), render it as a marked placeholder with a warning instead of failing, so that
    /// names, key names, types and references can still be checked. Such Secrets carry the
    /// annotation secretgen.dev/placeholder and are never written by -o without this flag.
    #[arg(long)]
    pub(crate) placeholder: bool,
}

/// The command-line face of [`LoadRestrictor`], named as kustomize names its values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Restrictor {
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

/// The `--hash` values, listed in `--help` and in the error for another value.
fn parse_variant() -> impl clap::builder::TypedValueParser<Value = HashVariant> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(HashVariant::ALL.map(HashVariant::as_str))
        .map(|s| s.parse().expect("every listed value is a variant"))
}

impl RenderFlags {
    /// What these flags (and `--placeholder`, where the command has it) give the session.
    pub(crate) fn given(&self, p: Option<&PlaceholderFlag>) -> Given {
        Given {
            load_restrictor: self.load_restrictor.map(Into::into),
            hash: self.hash,
            placeholder: p.is_some_and(|p| p.placeholder),
            identity: self.identity.clone(),
            accept_unapplied: self.accept_unapplied,
            all: self.all,
            ..Given::default()
        }
    }
}

#[derive(Args, Default)]
#[command(group(clap::ArgGroup::new("deliver").args(["seal", "encrypt"])))]
pub(crate) struct RenderArgs {
    /// Manifests, kustomizations or directories.
    pub(crate) paths: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) flags: RenderFlags,
    /// Write one file per Secret to DIR/<namespace or _cluster>/<name>.yaml (mode 0600,
    /// written to a temporary file and renamed) instead of printing.
    #[arg(short = 'o', long = "output-dir", value_name = "DIR")]
    pub(crate) output_dir: Option<PathBuf>,
    /// With -o: change nothing; exit 1 with a redacted diff when DIR is not what a render
    /// would write.
    #[arg(long, requires = "output_dir")]
    pub(crate) check: bool,
    /// With -o: remove files secretgen wrote earlier that no generator produces any more.
    #[arg(long, requires = "output_dir")]
    pub(crate) prune: bool,
    /// Write each Secret as a Bitnami SealedSecret sealed to the controller's public
    /// certificate CERT (a PEM file, as `kubeseal --cert` takes; `kubeseal --fetch-cert`
    /// prints it): plaintext never leaves this run. With -o, a file whose Secret did not
    /// change is left as it is (sealing is randomised; its second line names what it seals).
    #[arg(long, value_name = "CERT")]
    pub(crate) seal: Option<PathBuf>,
    /// With --seal: where the sealed values may be unsealed, as kubeseal's --scope:
    /// `strict` (this name in this namespace; the default, unless the Secret's
    /// sealedsecrets.bitnami.com annotations say otherwise), `namespace-wide`, `cluster-wide`.
    #[arg(long, value_name = "SCOPE", requires = "seal", value_parser = ["strict", "namespace-wide", "cluster-wide"])]
    pub(crate) seal_scope: Option<String>,
    /// Write each Secret as a SOPS-encrypted Secret manifest (`encrypted_regex:
    /// ^(data|stringData)$`, as Flux's kustomize-controller decrypts it): to the --age,
    /// --pgp and --kms keys (one key group), else to the keys of the `.sops.yaml` creation
    /// rule that matches the file's path (found by walking up from it; on stdout, its path
    /// under -o taken from the working directory; a rule of one key group). With -o, a file
    /// whose Secret did not change is left as it is (its second line names what it holds;
    /// for a Secret without a hash suffix that line is keyed by the file's data key, so -o
    /// and --check then need a key that opens it).
    #[arg(long, value_name = "FORMAT", value_parser = ["sops"], conflicts_with = "seal")]
    pub(crate) encrypt: Option<String>,
    /// With --encrypt sops: an age recipient (repeatable, or comma-separated). With --seal
    /// and -o: the key that keys the content line of a Secret without a hash suffix is
    /// encrypted to these (--age, --pgp, --kms), else to the output path's .sops.yaml rule.
    #[arg(long, value_name = "RECIPIENT", requires = "deliver")]
    pub(crate) age: Vec<String>,
    /// With --encrypt sops: a PGP fingerprint (repeatable, or comma-separated), wrapped
    /// through gpg (SOPS_GPG_EXEC, GNUPGHOME) as sops does.
    #[arg(long, value_name = "FINGERPRINT", requires = "deliver")]
    pub(crate) pgp: Vec<String>,
    /// With --encrypt sops: an AWS KMS key ARN, `ARN` or `ARN+ROLE_ARN` (repeatable, or
    /// comma-separated), wrapped through the AWS SDK (its credential chain,
    /// AWS_ENDPOINT_URL_KMS) as sops does.
    #[arg(long, value_name = "ARN", requires = "deliver")]
    pub(crate) kms: Vec<String>,
    /// Print every value replaced by `<redacted N bytes>` (N its size); names keep the hash
    /// suffix computed from the real values, so a changed value still changes the output: for
    /// committed snapshots. To stdout only. The exec plugin and the KRM function do the same
    /// when SECRETGEN_REDACT=true.
    #[arg(long, conflicts_with_all = ["output_dir", "seal", "encrypt"])]
    pub(crate) redact: bool,
    #[command(flatten)]
    pub(crate) placeholder: PlaceholderFlag,
}

#[derive(Args)]
pub(crate) struct DiffArgs {
    /// OLD NEW: each a rendered YAML file, a directory written by `render -o`, or a source
    /// tree (rendered on the fly). With --base: the paths to render on both sides
    /// (default: .).
    #[arg(value_name = "PATH", required_unless_present = "base")]
    pub(crate) sides: Vec<PathBuf>,
    /// Compare the tree at this git revision (read from git, the working tree untouched)
    /// with the working tree.
    #[arg(long, value_name = "GIT_REF")]
    pub(crate) base: Option<String>,
    /// Paths to render with --base, as the positional PATHs (kept for older scripts).
    #[arg(long = "path", value_name = "PATH", requires = "base", hide = true)]
    pub(crate) paths: Vec<PathBuf>,
    /// Show the changed values. Only honoured when stdout is a terminal and CI is unset.
    #[arg(long)]
    pub(crate) show_values: bool,
    /// text for people, json for bots.
    #[arg(long, value_enum, default_value = "text")]
    pub(crate) format: DiffFormat,
    /// Count what could not be compared (encrypted, no identity, with --placeholder) as a
    /// difference: exit 1.
    #[arg(long)]
    pub(crate) strict: bool,
    #[command(flatten)]
    pub(crate) flags: RenderFlags,
    #[command(flatten)]
    pub(crate) placeholder: PlaceholderFlag,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub(crate) enum DiffFormat {
    Text,
    Json,
}

#[derive(Args)]
pub(crate) struct CheckArgs {
    /// Directories (or files) holding generators and the workloads that use their Secrets.
    pub(crate) paths: Vec<PathBuf>,
    /// Count what could not be checked (key names inside encrypted inputs, without an
    /// identity) as findings: exit 1 instead of a note on stderr.
    #[arg(long)]
    pub(crate) strict: bool,
    /// The plaintext gate, for CI and pre-commit hooks: instead of checking references,
    /// report (exit 1) every generator input that is not age- or SOPS-encrypted, every
    /// literal that holds a value and every Secret manifest with values in clear. Reads no
    /// key and decrypts nothing.
    #[arg(long)]
    pub(crate) require_encrypted: bool,
    /// With --require-encrypted: a file meant to be plain (a CA certificate, say), as a
    /// gitignore-style glob from the current directory (`**/ca.crt`); repeatable.
    #[arg(long, value_name = "GLOB", requires = "require_encrypted")]
    pub(crate) allow_plaintext: Vec<String>,
    /// The recipients gate, for CI: instead of checking references, report (exit 1) every
    /// SOPS file under the paths whose master keys (key groups, shamir_threshold) differ
    /// from the `.sops.yaml` rule that matches it now (the config found upward from the
    /// file), and every age file whose recipients differ from the nearest `.age-recipients`
    /// (as recorded in `.age-recipients.lock` when secretgen wrote it; a file with no
    /// record of its current header is reported as unknown). Reads no key.
    #[arg(long, conflicts_with = "require_encrypted")]
    pub(crate) recipients: bool,
    #[command(flatten)]
    pub(crate) flags: RenderFlags,
    #[command(flatten)]
    pub(crate) placeholder: PlaceholderFlag,
}

#[derive(Args)]
pub(crate) struct HashArgs {
    /// Print the hashed JSON (values as sizes) for every Secret.
    #[arg(long)]
    pub(crate) explain: bool,
    /// Manifests, kustomizations or directories.
    pub(crate) paths: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) flags: RenderFlags,
}

#[cfg(test)]
mod tests {
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

    /// `render`'s own parser reads what the whole parser reads, and leaves to it what it
    /// refuses (help, errors, other subcommands).
    #[test]
    fn the_render_parser_agrees_with_the_whole_parser() {
        use clap::Parser;
        let cases: &[&[&str]] = &[
            &["render"],
            &["render", "a", "b/kustomization.yaml"],
            &["render", "a", "", "b"],
            &["render", ""],
            &["render", "a", "-"],
            &["render", "a", "--"],
            &["render", "a", "--all"],
            &["render", "-o", "out", "--check", "--all", "deploy"],
            &[
                "render",
                "--seal",
                "c.pem",
                "--seal-scope",
                "cluster-wide",
                "--age",
                "x,y",
                "-o",
                "o",
            ],
            &[
                "render",
                "--encrypt",
                "sops",
                "--kms",
                "arn",
                "-i",
                "k1",
                "-i",
                "k2",
                ".",
            ],
            &[
                "--process-timeout",
                "5",
                "render",
                "--keyservice",
                "tcp://h:1",
                "--redact",
            ],
            &[
                "render",
                "--enable-local-keyservice=false",
                "--placeholder",
                "--",
                "-dash",
            ],
            &[
                "render",
                "--hash",
                "kubectl",
                "--load-restrictor",
                "LoadRestrictionsNone",
            ],
            &["render", "--help"],
            &["render", "--bogus"],
            &["render", "--check"],
            &["render", "--age", "x"],
            &["render", "--seal", "c", "--encrypt", "sops"],
            &["diff", "a", "b"],
            &["--version"],
        ];
        for case in cases {
            let args: Vec<std::ffi::OsString> = std::iter::once("secretgen")
                .chain(case.iter().copied())
                .map(Into::into)
                .collect();
            let whole = super::Cli::try_parse_from(&args).ok();
            let fast = super::parse_render(&args);
            match (whole, fast) {
                (Some(w), Some(f)) => {
                    let (super::Command::Render(w_args), super::Command::Render(f_args)) =
                        (&w.command, &f.command)
                    else {
                        panic!("{case:?}: not a render");
                    };
                    let seen = |c: &super::Cli, r: &super::RenderArgs| {
                        format!(
                            "{:?} {:?} {} {} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {} {} {:?} {:?} {:?} {:?} {} {}",
                            r.paths,
                            r.output_dir,
                            r.check,
                            r.prune,
                            r.seal,
                            r.seal_scope,
                            r.encrypt,
                            r.age,
                            r.pgp,
                            r.kms,
                            r.flags.identity,
                            r.flags.all,
                            r.redact,
                            r.flags.hash.map(|h| h.to_string()),
                            r.flags.load_restrictor.is_some(),
                            c.globals.process_timeout.is_some(),
                            (&c.globals.keyservice, c.globals.enable_local_keyservice),
                            r.placeholder.placeholder,
                            r.flags.accept_unapplied,
                        )
                    };
                    assert_eq!(seen(&w, w_args), seen(&f, f_args), "{case:?}");
                }
                // Options before `render` are left to the whole parser.
                (Some(w), None) => assert!(
                    !matches!(w.command, super::Command::Render(_)) || case[0] != "render",
                    "{case:?}: the whole parser reads a render the render parser refuses"
                ),
                (None, Some(_)) => {
                    panic!("{case:?}: the render parser accepts what the whole parser refuses")
                }
                (None, None) => {}
            }
        }
    }
}
