//! `secretgen sops …`: SOPS files written and read as sops 3.13.3 writes and reads them,
//! with its subcommands' names and flags.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};

use secretgen::app::sops::{self as sops_write, CreationRule, Format, Rules, Sealing};
use secretgen::app::sops_keys;
use secretgen::error::{Error, Loc};
use secretgen::gate::read::{self, Origin};
use secretgen::gate::write::{self, Replace};

#[derive(Args)]
pub(crate) struct SopsArgs {
    #[command(subcommand)]
    pub(crate) command: SopsCommand,
}

/// How sops names its formats on the command line.
#[derive(Clone, Copy, clap::ValueEnum)]
pub(crate) enum FormatArg {
    Json,
    Yaml,
    Dotenv,
    Ini,
    Binary,
}

impl FormatArg {
    fn format(self) -> Format {
        match self {
            FormatArg::Json => Format::Json,
            FormatArg::Yaml => Format::Yaml,
            FormatArg::Dotenv => Format::Dotenv,
            FormatArg::Ini => Format::Ini,
            FormatArg::Binary => Format::Binary,
        }
    }
}

/// Where the file comes from and how it is read, as sops takes it.
#[derive(Args)]
pub(crate) struct FileFlags {
    /// currently json, yaml, dotenv, ini and binary are supported. If not set, the file's
    /// extension chooses, as sops does.
    #[arg(long, value_enum)]
    input_type: Option<FormatArg>,
    /// The same formats; if not set, the file's extension chooses.
    #[arg(long, value_enum)]
    output_type: Option<FormatArg>,
    /// Use this filename instead of the provided argument for loading configuration, and
    /// for determining input type and output type. Required when reading from stdin.
    #[arg(long, value_name = "NAME")]
    filename_override: Option<PathBuf>,
    /// Write output back to the same file instead of stdout.
    #[arg(short = 'i', long = "in-place", conflicts_with = "output")]
    in_place: bool,
    /// Save the output to the file specified (atomically) instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
    /// The file (`-` or none: stdin, with --filename-override).
    file: Option<PathBuf>,
}

#[derive(Subcommand)]
pub(crate) enum SopsCommand {
    /// Encrypt a file as `sops encrypt` does, for sops 3.13.3 and any later sops to read:
    /// the master keys and rules from the flags, else from the first creation rule of the
    /// nearest `.sops.yaml` (searched upward from the file) whose path_regex matches it.
    ///
    /// Example: secretgen sops encrypt --age age1… -i secret.yaml
    ///
    /// PGP keys are wrapped through gpg (SOPS_GPG_EXEC, GNUPGHOME) as sops does, AWS KMS keys
    /// through the AWS SDK (its credential chain, AWS_ENDPOINT_URL_KMS), any other key type of
    /// a rule through the sops key service --keyservice names.
    Encrypt {
        #[command(flatten)]
        file: FileFlags,
        /// Comma-separated age recipients (repeatable).
        #[arg(
            short = 'a',
            long = "age",
            value_name = "RECIPIENTS",
            env = "SOPS_AGE_RECIPIENTS"
        )]
        age: Vec<String>,
        /// Comma-separated PGP fingerprints (repeatable).
        #[arg(
            short = 'p',
            long = "pgp",
            value_name = "FINGERPRINTS",
            env = "SOPS_PGP_FP"
        )]
        pgp: Vec<String>,
        /// Comma-separated AWS KMS ARNs, each `ARN` or `ARN+ROLE_ARN` (repeatable).
        #[arg(short = 'k', long = "kms", value_name = "ARNS", env = "SOPS_KMS_ARN")]
        kms: Vec<String>,
        /// The AWS profile the --kms keys take their credentials from.
        #[arg(long, value_name = "PROFILE")]
        aws_profile: Option<String>,
        /// Comma-separated KMS encryption context key:value pairs, for the --kms keys.
        #[arg(long, value_name = "PAIRS")]
        encryption_context: Option<String>,
        #[command(flatten)]
        service: ServiceKeys,
        /// Only keys ending in this suffix are encrypted.
        #[arg(long, value_name = "SUFFIX")]
        encrypted_suffix: Option<String>,
        /// Keys ending in this suffix are left unencrypted (default: _unencrypted).
        #[arg(long, value_name = "SUFFIX")]
        unencrypted_suffix: Option<String>,
        /// Only keys matching the regex are encrypted.
        #[arg(long, value_name = "REGEX")]
        encrypted_regex: Option<String>,
        /// Keys matching the regex are left unencrypted.
        #[arg(long, value_name = "REGEX")]
        unencrypted_regex: Option<String>,
        /// Only keys whose comment matches the regex are encrypted.
        #[arg(long, value_name = "REGEX")]
        encrypted_comment_regex: Option<String>,
        /// Keys whose comment matches the regex are left unencrypted.
        #[arg(long, value_name = "REGEX")]
        unencrypted_comment_regex: Option<String>,
        /// Compute the MAC only over the values that are encrypted.
        #[arg(long)]
        mac_only_encrypted: bool,
        /// The `.sops.yaml` to read (default: the nearest one upward from the file).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// The number of key groups needed to recover the data key (Shamir's secret
        /// sharing); 0: the rule's `shamir_threshold`, else every group.
        #[arg(long, value_name = "N", default_value_t = 0)]
        shamir_secret_sharing_threshold: usize,
    },
    /// Decrypt a SOPS file as `sops decrypt` does (the identities as `render` finds them).
    ///
    /// Example: secretgen sops decrypt --extract '["data"]["password"]' secret.yaml
    Decrypt {
        #[command(flatten)]
        file: FileFlags,
        /// Only the value at this tree path, as sops writes it: '["data"]["password"]'.
        #[arg(long, value_name = "PATH")]
        extract: Option<String>,
        /// age identity file (repeatable); otherwise the usual places (see `render --help`).
        #[arg(long = "identity", value_name = "FILE")]
        identity: Vec<PathBuf>,
    },
    /// Edit a SOPS file in $SOPS_EDITOR or $EDITOR, as `sops edit` does: decrypted into a
    /// private temporary directory (removed whatever happens, Ctrl-C and SIGTERM included),
    /// encrypted back under the same data key and rules; values that did not change keep
    /// their ciphertext. Unchanged content leaves the file untouched. Needs a terminal.
    ///
    /// A FILE that does not exist is created, as sops does: the editor starts on sops'
    /// example for the format, and what it leaves is encrypted to --age, else to the
    /// creation rule of the nearest `.sops.yaml` that matches FILE. The example left
    /// unchanged creates nothing.
    ///
    /// Example: secretgen sops edit secret.yaml
    Edit {
        /// The SOPS file to edit (or to create).
        file: PathBuf,
        /// age identity file (repeatable); otherwise the usual places.
        #[arg(long = "identity", value_name = "FILE")]
        identity: Vec<PathBuf>,
        /// For a new FILE: comma-separated age recipients (repeatable), instead of the
        /// creation rule's keys.
        #[arg(
            short = 'a',
            long = "age",
            value_name = "RECIPIENTS",
            env = "SOPS_AGE_RECIPIENTS"
        )]
        age: Vec<String>,
        /// For a new FILE: the `.sops.yaml` to read (default: the nearest one upward from
        /// FILE).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Set one value of a SOPS file in place, as `sops set` does: the same data key, every
    /// other value keeping its ciphertext; only that value's line, the MAC and
    /// `lastmodified` change. VALUE is JSON (a string is quoted: '"hunter2"').
    ///
    /// Example: secretgen sops set secret.yaml '["stringData"]["password"]' '"hunter2"'
    Set {
        /// The SOPS file to change.
        file: PathBuf,
        /// The tree path: '["key"]["nested"][0]'.
        path: String,
        /// The new value, as JSON.
        value: String,
        /// Do nothing (no write, the MAC and `lastmodified` as they are) if the path
        /// already holds this value, as `sops set --idempotent`.
        #[arg(long)]
        idempotent: bool,
        /// age identity file (repeatable); otherwise the usual places.
        #[arg(long = "identity", value_name = "FILE")]
        identity: Vec<PathBuf>,
    },
    /// Remove one value of a SOPS file in place, as `sops unset` does (the other values keep
    /// their ciphertext).
    ///
    /// Example: secretgen sops unset secret.yaml '["stringData"]["old"]'
    Unset {
        /// The SOPS file to change.
        file: PathBuf,
        /// The tree path: '["key"]["nested"][0]'.
        path: String,
        /// Do nothing if the path is not there, as `sops unset --idempotent`.
        #[arg(long)]
        idempotent: bool,
        /// age identity file (repeatable); otherwise the usual places.
        #[arg(long = "identity", value_name = "FILE")]
        identity: Vec<PathBuf>,
    },
    #[command(flatten)]
    Git(GitCommand),
    // Key management: updatekeys and rotate.
    /// Bring each file's master keys to the `.sops.yaml` rule that matches it now (the
    /// config found upward from the file, or --config), as `sops updatekeys` does: the change
    /// printed as sops prints it, then applied (with -y, or after a yes on a terminal)
    /// around the same data key: values, MAC and `lastmodified` unchanged. A changed
    /// `shamir_threshold` or key groups split the same data key again. Without -y and no
    /// terminal, nothing is written (exit 2).
    ///
    /// Example: secretgen sops updatekeys -y secrets/*.yaml
    Updatekeys {
        /// Apply without asking.
        #[arg(short = 'y', long = "yes")]
        yes: bool,
        /// The `.sops.yaml` to read (default: the nearest one upward from each file).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// The number of key groups needed (Shamir); 0: the rule's, else the file's.
        #[arg(long, value_name = "N", default_value_t = 0)]
        shamir_secret_sharing_threshold: usize,
        /// age identity file (repeatable); otherwise the usual places.
        #[arg(long = "identity", value_name = "FILE")]
        identity: Vec<PathBuf>,
        /// The SOPS files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// A new data key for a SOPS file, every value encrypted again under it, as `sops
    /// rotate` does; --add-age/--add-pgp/--add-kms join keys to the first key group,
    /// --rm-age/--rm-pgp/--rm-kms remove them from every group. Printed to stdout unless -i.
    ///
    /// Example: secretgen sops rotate -i --rm-age age1old… secret.yaml
    Rotate {
        /// Write the result back to the file instead of stdout.
        #[arg(short = 'i', long = "in-place")]
        in_place: bool,
        /// Comma-separated age recipients to add (repeatable).
        #[arg(long = "add-age", value_name = "RECIPIENTS")]
        add_age: Vec<String>,
        /// Comma-separated age recipients to remove (repeatable).
        #[arg(long = "rm-age", value_name = "RECIPIENTS")]
        rm_age: Vec<String>,
        /// Comma-separated PGP fingerprints to add (repeatable).
        #[arg(long = "add-pgp", value_name = "FINGERPRINTS")]
        add_pgp: Vec<String>,
        /// Comma-separated PGP fingerprints to remove (repeatable).
        #[arg(long = "rm-pgp", value_name = "FINGERPRINTS")]
        rm_pgp: Vec<String>,
        /// Comma-separated AWS KMS ARNs to add (repeatable).
        #[arg(long = "add-kms", value_name = "ARNS")]
        add_kms: Vec<String>,
        /// Comma-separated AWS KMS ARNs to remove (repeatable).
        #[arg(long = "rm-kms", value_name = "ARNS")]
        rm_kms: Vec<String>,
        /// Comma-separated KMS encryption context key:value pairs, for the --add-kms keys.
        #[arg(long, value_name = "PAIRS")]
        encryption_context: Option<String>,
        #[command(flatten)]
        service: RotateServiceKeys,
        /// age identity file (repeatable); otherwise the usual places.
        #[arg(long = "identity", value_name = "FILE")]
        identity: Vec<PathBuf>,
        /// The SOPS file.
        file: PathBuf,
    },
}

fn usage(msg: impl std::fmt::Display) -> Error {
    Error::Usage(msg.to_string())
}

fn sops_error(file: &Path, e: secretgen::app::sops::SopsError) -> Error {
    Error::Sops {
        loc: Loc::file(file),
        source: Box::new(e),
    }
}

/// The master keys named on a command line, as sops' `keyGroups` orders them (KMS, PGP,
/// then age).
struct GivenKeys<'a> {
    age: &'a [String],
    pgp: &'a [String],
    kms: &'a [String],
    aws_profile: Option<&'a str>,
    encryption_context: Option<&'a str>,
    /// The types only a key service wraps: GCP KMS, Azure Key Vault, Vault transit,
    /// HuaweiCloud KMS.
    gcp_kms: &'a [String],
    azure_kv: &'a [String],
    hc_vault: &'a [String],
    hckms: &'a [String],
}

impl GivenKeys<'_> {
    /// No key given.
    const NONE: GivenKeys<'static> = GivenKeys {
        age: &[],
        pgp: &[],
        kms: &[],
        aws_profile: None,
        encryption_context: None,
        gcp_kms: &[],
        azure_kv: &[],
        hc_vault: &[],
        hckms: &[],
    };

    fn entries(&self) -> Result<Vec<sops_keys::KeyEntry>, Error> {
        let context = sops_keys::kms_context(self.encryption_context.unwrap_or_default())?;
        let profile = self.aws_profile.unwrap_or_default();
        let mut out = sops_keys::keys_named("kms", self.kms, &context, profile);
        out.extend(sops_keys::keys_named("gcp_kms", self.gcp_kms, &[], ""));
        out.extend(sops_keys::keys_named(
            "azure_keyvault",
            self.azure_kv,
            &[],
            "",
        ));
        out.extend(sops_keys::keys_named("hckms", self.hckms, &[], ""));
        out.extend(sops_keys::keys_named("pgp", self.pgp, &[], ""));
        out.extend(sops_keys::keys_named("hc_vault", self.hc_vault, &[], ""));
        out.extend(sops_keys::keys_named("age", self.age, &[], ""));
        Ok(out)
    }
}

/// `sops encrypt`'s flags for the key types secretgen wraps only through a key service
/// (`--keyservice`), named as sops names them.
#[derive(Args)]
pub(super) struct ServiceKeys {
    /// Comma-separated GCP KMS key resource IDs (repeatable); wrapped through --keyservice.
    #[arg(long = "gcp-kms", value_name = "IDS", env = "SOPS_GCP_KMS_IDS")]
    gcp_kms: Vec<String>,
    /// Comma-separated Azure Key Vault key URLs (repeatable); wrapped through --keyservice.
    #[arg(
        long = "azure-kv",
        value_name = "URLS",
        env = "SOPS_AZURE_KEYVAULT_URLS"
    )]
    azure_kv: Vec<String>,
    /// Comma-separated Vault transit key URIs (repeatable); wrapped through --keyservice.
    #[arg(
        long = "hc-vault-transit",
        value_name = "URIS",
        env = "SOPS_VAULT_URIS"
    )]
    hc_vault: Vec<String>,
    /// Comma-separated HuaweiCloud KMS key IDs (repeatable); wrapped through --keyservice.
    #[arg(long = "hckms", value_name = "IDS")]
    hckms: Vec<String>,
}

/// `sops rotate`'s flags for the same key types.
#[derive(Args)]
pub(super) struct RotateServiceKeys {
    /// Comma-separated GCP KMS key resource IDs to add (repeatable).
    #[arg(long = "add-gcp-kms", value_name = "IDS")]
    add_gcp_kms: Vec<String>,
    /// Comma-separated GCP KMS key resource IDs to remove (repeatable).
    #[arg(long = "rm-gcp-kms", value_name = "IDS")]
    rm_gcp_kms: Vec<String>,
    /// Comma-separated Azure Key Vault key URLs to add (repeatable).
    #[arg(long = "add-azure-kv", value_name = "URLS")]
    add_azure_kv: Vec<String>,
    /// Comma-separated Azure Key Vault key URLs to remove (repeatable).
    #[arg(long = "rm-azure-kv", value_name = "URLS")]
    rm_azure_kv: Vec<String>,
    /// Comma-separated Vault transit key URIs to add (repeatable).
    #[arg(long = "add-hc-vault-transit", value_name = "URIS")]
    add_hc_vault: Vec<String>,
    /// Comma-separated Vault transit key URIs to remove (repeatable).
    #[arg(long = "rm-hc-vault-transit", value_name = "URIS")]
    rm_hc_vault: Vec<String>,
    /// Comma-separated HuaweiCloud KMS key IDs to add (repeatable).
    #[arg(long = "add-hckms", value_name = "IDS")]
    add_hckms: Vec<String>,
    /// Comma-separated HuaweiCloud KMS key IDs to remove (repeatable).
    #[arg(long = "rm-hckms", value_name = "IDS")]
    rm_hckms: Vec<String>,
}

pub(crate) fn run(g: &super::Globals, args: SopsArgs) -> ExitCode {
    let services = match g.key_services() {
        Ok(s) => s,
        Err(e) => return super::exit_code(Err(e)),
    };
    let result = match args.command {
        SopsCommand::Encrypt {
            file,
            age,
            pgp,
            kms,
            aws_profile,
            encryption_context,
            service,
            encrypted_suffix,
            unencrypted_suffix,
            encrypted_regex,
            unencrypted_regex,
            encrypted_comment_regex,
            unencrypted_comment_regex,
            mac_only_encrypted,
            config,
            shamir_secret_sharing_threshold,
        } => {
            let flags = Rules {
                unencrypted_suffix: unencrypted_suffix.unwrap_or_default(),
                encrypted_suffix: encrypted_suffix.unwrap_or_default(),
                unencrypted_regex: unencrypted_regex.unwrap_or_default(),
                encrypted_regex: encrypted_regex.unwrap_or_default(),
                unencrypted_comment_regex: unencrypted_comment_regex.unwrap_or_default(),
                encrypted_comment_regex: encrypted_comment_regex.unwrap_or_default(),
                mac_only_encrypted,
            };
            let given = GivenKeys {
                age: &age,
                pgp: &pgp,
                kms: &kms,
                aws_profile: aws_profile.as_deref(),
                encryption_context: encryption_context.as_deref(),
                gcp_kms: &service.gcp_kms,
                azure_kv: &service.azure_kv,
                hc_vault: &service.hc_vault,
                hckms: &service.hckms,
            };
            encrypt(
                &file,
                &given,
                flags,
                config.as_deref(),
                shamir_secret_sharing_threshold,
                &services,
            )
        }
        SopsCommand::Decrypt {
            file,
            extract,
            identity,
        } => decrypt(&file, extract.as_deref(), &identity, &services),
        SopsCommand::Edit {
            file,
            identity,
            age,
            config,
        } => edit_in_editor(&file, &identity, &age, config.as_deref(), &services),
        SopsCommand::Set {
            file,
            path,
            value,
            idempotent,
            identity,
        } => edit(
            &file,
            &secretgen::app::sops::Change::Set {
                path: &path,
                json: &value,
            },
            idempotent,
            &identity,
            &services,
        ),
        SopsCommand::Unset {
            file,
            path,
            idempotent,
            identity,
        } => edit(
            &file,
            &secretgen::app::sops::Change::Unset { path: &path },
            idempotent,
            &identity,
            &services,
        ),
        SopsCommand::Git(command) => run_git(command, &services),
        SopsCommand::Updatekeys {
            yes,
            config,
            shamir_secret_sharing_threshold,
            identity,
            files,
        } => updatekeys(
            &files,
            yes,
            config.as_deref(),
            shamir_secret_sharing_threshold,
            &identity,
            &services,
        ),
        SopsCommand::Rotate {
            in_place,
            add_age,
            rm_age,
            add_pgp,
            rm_pgp,
            add_kms,
            rm_kms,
            encryption_context,
            service,
            identity,
            file,
        } => {
            let add = GivenKeys {
                age: &add_age,
                pgp: &add_pgp,
                kms: &add_kms,
                encryption_context: encryption_context.as_deref(),
                gcp_kms: &service.add_gcp_kms,
                azure_kv: &service.add_azure_kv,
                hc_vault: &service.add_hc_vault,
                hckms: &service.add_hckms,
                ..GivenKeys::NONE
            };
            let remove = GivenKeys {
                age: &rm_age,
                pgp: &rm_pgp,
                kms: &rm_kms,
                gcp_kms: &service.rm_gcp_kms,
                azure_kv: &service.rm_azure_kv,
                hc_vault: &service.rm_hc_vault,
                hckms: &service.rm_hckms,
                ..GivenKeys::NONE
            };
            rotate(&file, in_place, &add, &remove, &identity, &services)
        }
    };
    super::exit_code(result)
}

/// An input: its bytes, the name that stands for it (the override, else the file) and the
/// file itself (none for stdin).
type Input = (zeroize::Zeroizing<Vec<u8>>, PathBuf, Option<PathBuf>);

/// The file read (stdin for none or `-`), and the name that stands for it.
fn input(f: &FileFlags) -> Result<Input, Error> {
    let real = f.file.as_deref().filter(|p| *p != Path::new("-"));
    let name = match (&f.filename_override, real) {
        (Some(o), _) => o.clone(),
        (None, Some(p)) => p.to_path_buf(),
        (None, None) => {
            return Err(usage(
                "reading from stdin needs --filename-override (as sops): it chooses the format and the creation rule",
            ));
        }
    };
    if f.in_place && real.is_none() {
        return Err(usage("--in-place needs a FILE, not stdin"));
    }
    let bytes = match real {
        Some(p) => read::file(p, Origin::Argument, read::ANY_SIZE)?,
        None => read::stdin(read::ANY_SIZE)?,
    };
    Ok((bytes, name, real.map(Path::to_path_buf)))
}

/// Writes the result where the flags say: in place (keeping the file's mode), to
/// --output, or to stdout.
fn output(f: &FileFlags, real: Option<&Path>, bytes: &[u8]) -> Result<(), Error> {
    let target = match (&f.output, f.in_place) {
        (Some(o), _) => o.clone(),
        (None, true) => real.expect("checked in input").to_path_buf(),
        (None, false) => return super::write_stdout(bytes),
    };
    let mode = std::fs::metadata(&target)
        .map(|m| m.permissions().mode() & 0o7777)
        .unwrap_or(0o600);
    write::one(&target, bytes, mode, Replace::Yes)?;
    Ok(())
}

fn encrypt(
    f: &FileFlags,
    given: &GivenKeys<'_>,
    flags: Rules,
    config: Option<&Path>,
    threshold_flag: usize,
    services: &sops_keys::KeyServices,
) -> Result<ExitCode, Error> {
    let (plain, name, real) = input(f)?;
    let input_format = f
        .input_type
        .map_or_else(|| Format::for_path(&name), FormatArg::format);
    let output_format = f
        .output_type
        .map_or_else(|| Format::for_path(&name), FormatArg::format);
    let keys = new_file_keys(&name, given, flags, config, threshold_flag)?;
    let out = seal_new(&name, &plain, input_format, output_format, &keys, services)?;
    output(f, real.as_deref(), &out)?;
    Ok(ExitCode::SUCCESS)
}

/// The master keys and rules a new SOPS file is encrypted with.
struct NewFileKeys {
    groups: Vec<Vec<sops_keys::KeyEntry>>,
    threshold: usize,
    rules: Rules,
}

/// How `sops encrypt` (and `sops edit` on a file that does not exist yet) encrypt `name`:
/// the keys of --age, --pgp and --kms (one group), else the groups of the first creation rule of `config`
/// (default: the nearest `.sops.yaml` upward from `name`) that matches `name`; the rule's
/// selectors unless the flags give one.
fn new_file_keys(
    name: &Path,
    given: &GivenKeys<'_>,
    flags: Rules,
    config: Option<&Path>,
    threshold_flag: usize,
) -> Result<NewFileKeys, Error> {
    let config = match config {
        Some(c) => Some(c.to_path_buf()),
        None => sops_write::find_config(name),
    };
    let rule: Option<CreationRule> = match &config {
        Some(c) => sops_write::rule_for(c, name)?,
        None => None,
    };
    let given = given.entries()?;
    // The flags' keys are one group (as sops); else the rule's groups.
    let groups: Vec<Vec<sops_keys::KeyEntry>> = if !given.is_empty() {
        vec![given]
    } else {
        match (&rule, &config) {
            (Some(r), _) => r.key_groups.clone(),
            (None, Some(c)) => {
                return Err(usage(format!(
                    "`{}`: no creation rule matches `{}`, and no --age, --pgp or --kms was given",
                    c.display(),
                    name.display()
                )));
            }
            (None, None) => Vec::new(),
        }
    };
    if groups.iter().all(Vec::is_empty) {
        return Err(usage(
            "no master key: pass --age RECIPIENT, --pgp FINGERPRINT or --kms ARN, or add a creation rule with keys (`age:`, `pgp:`, `kms:`, `key_groups:`) to a .sops.yaml",
        ));
    }
    let threshold = match threshold_flag {
        0 => rule.as_ref().map_or(0, |r| r.shamir_threshold),
        n => n,
    };
    let selectors_given = [
        &flags.unencrypted_suffix,
        &flags.encrypted_suffix,
        &flags.unencrypted_regex,
        &flags.encrypted_regex,
        &flags.unencrypted_comment_regex,
        &flags.encrypted_comment_regex,
    ]
    .iter()
    .any(|s| !s.is_empty());
    let rules = match &rule {
        Some(r) if !selectors_given => Rules {
            mac_only_encrypted: flags.mac_only_encrypted || r.rules.mac_only_encrypted,
            ..r.rules.clone()
        },
        Some(r) => Rules {
            mac_only_encrypted: flags.mac_only_encrypted || r.rules.mac_only_encrypted,
            ..flags
        },
        None => flags,
    };
    Ok(NewFileKeys {
        groups,
        threshold,
        rules,
    })
}

/// `plain` encrypted as a new SOPS file under a new data key wrapped to `keys`.
fn seal_new(
    name: &Path,
    plain: &[u8],
    input_format: Format,
    output_format: Format,
    keys: &NewFileKeys,
    services: &sops_keys::KeyServices,
) -> Result<zeroize::Zeroizing<Vec<u8>>, Error> {
    let data_key = sops_write::new_data_key();
    let wrapped = sops_keys::wrap_groups(&data_key, &keys.groups, keys.threshold, None, services)?;
    let lastmodified = secretgen::app::sops::now_rfc3339();
    let sealing = Sealing {
        data_key: &data_key,
        groups: &wrapped,
        shamir_threshold: sops_keys::written_threshold(wrapped.len(), keys.threshold),
        lastmodified: &lastmodified,
    };
    secretgen::app::sops::encrypt(
        name,
        plain,
        input_format,
        output_format,
        &keys.rules,
        &sealing,
    )
    .map_err(|e| sops_error(name, e))
}

fn decrypt(
    f: &FileFlags,
    extract: Option<&str>,
    identity: &[PathBuf],
    services: &sops_keys::KeyServices,
) -> Result<ExitCode, Error> {
    let (bytes, name, real) = input(f)?;
    let input_format = match f.input_type {
        Some(t) => t.format(),
        None => secretgen::app::sops::format_for(&name, &bytes)
            .unwrap_or_else(|| Format::for_path(&name)),
    };
    let output_format = match f.output_type {
        Some(t) => t.format(),
        None if f.input_type.is_some() => input_format,
        None => input_format,
    };
    let keys = super::keyring_with(identity, services);
    let plain = secretgen::app::sops::decrypt_extract(
        &name,
        &bytes,
        input_format,
        output_format,
        extract,
        &keys,
    )
    .map_err(|e| sops_error(&name, e))?;
    output(f, real.as_deref(), plain.expose())?;
    Ok(ExitCode::SUCCESS)
}

/// `set` and `unset`: the file replaced in place, keeping its mode (with `idempotent`, not
/// written when nothing changes).
fn edit(
    file: &Path,
    change: &secretgen::app::sops::Change<'_>,
    idempotent: bool,
    identity: &[PathBuf],
    services: &sops_keys::KeyServices,
) -> Result<ExitCode, Error> {
    let bytes = read::file(file, Origin::Input, read::ANY_SIZE)?;
    warn_recipients(file, &bytes);
    let keys = super::keyring_with(identity, services);
    let lastmodified = secretgen::app::sops::now_rfc3339();
    let out = secretgen::app::sops::edit_idempotent(
        file,
        &bytes,
        change,
        &keys,
        &lastmodified,
        idempotent,
    )
    .map_err(|e| sops_error(file, e))?;
    let Some(out) = out else {
        eprintln!("`{}` not written: no change", file.display());
        return Ok(ExitCode::SUCCESS);
    };
    let mode = std::fs::metadata(file)
        .map(|m| m.permissions().mode() & 0o7777)
        .unwrap_or(0o600);
    write::one(file, &out, mode, Replace::Yes)?;
    Ok(ExitCode::SUCCESS)
}

/// `edit`: the plaintext in a private directory for the editor, then encrypted back; a
/// file that does not exist is created from sops' example.
fn edit_in_editor(
    file: &Path,
    identity: &[PathBuf],
    age: &[String],
    config: Option<&Path>,
    services: &sops_keys::KeyServices,
) -> Result<ExitCode, Error> {
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        return Err(usage(format!(
            "`sops edit` needs a terminal for the editor; to change `{}` in a script, use `secretgen sops set`",
            file.display()
        )));
    }
    if let Err(e) = std::fs::symlink_metadata(file)
        && e.kind() == std::io::ErrorKind::NotFound
    {
        return create_in_editor(file, age, config, services);
    }
    let bytes = read::file(file, Origin::Input, read::ANY_SIZE)?;
    warn_recipients(file, &bytes);
    let keys = super::keyring_with(identity, services);
    let plain =
        secretgen::app::sops::decrypt(file, &bytes, &keys).map_err(|e| sops_error(file, e))?;
    let edited = edit_copy(file, plain.expose())?;
    if edited.as_slice() == plain.expose() {
        eprintln!("`{}` unchanged", file.display());
        return Ok(ExitCode::SUCCESS);
    }
    let lastmodified = secretgen::app::sops::now_rfc3339();
    let out = secretgen::app::sops::reencrypt(file, &bytes, &edited, &keys, &lastmodified)
        .map_err(|e| sops_error(file, e))?;
    write::one(file, &out, mode_of(file), Replace::Yes)?;
    Ok(ExitCode::SUCCESS)
}

/// `plain` edited in $SOPS_EDITOR or $EDITOR, in a private copy named as `file` (the
/// editor sees its extension).
fn edit_copy(file: &Path, plain: &[u8]) -> Result<zeroize::Zeroizing<Vec<u8>>, Error> {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "plaintext".into());
    super::age_edit::edit_private_copy(
        "secretgen-sops-edit-",
        &name,
        plain,
        file,
        super::age_edit::editor_from(&["SOPS_EDITOR", "EDITOR"]),
    )
}

/// `edit` of a file that does not exist, as sops 3.13.3 does it: the keys found first (as
/// `sops encrypt` finds them), the editor started on the format's example, what it left
/// encrypted under a new data key and written only if the file is still absent (0600). The
/// example left as it was creates nothing.
fn create_in_editor(
    file: &Path,
    age: &[String],
    config: Option<&Path>,
    services: &sops_keys::KeyServices,
) -> Result<ExitCode, Error> {
    let dir = file.parent().filter(|d| !d.as_os_str().is_empty());
    if let Some(d) = dir
        && !d.is_dir()
    {
        return Err(usage(format!(
            "cannot create `{}`: its directory `{}` does not exist",
            file.display(),
            d.display()
        )));
    }
    let format = Format::for_path(file);
    let given = GivenKeys {
        age,
        ..GivenKeys::NONE
    };
    let keys = new_file_keys(file, &given, Rules::default(), config, 0)?;
    let example = format.example();
    let edited = edit_copy(file, example.as_bytes())?;
    if edited.as_slice() == example.as_bytes() {
        eprintln!(
            "`{}` not created: the example was left unchanged",
            file.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let out = seal_new(file, &edited, format, format, &keys, services)?;
    write::one(file, &out, 0o600, Replace::Never)?;
    eprintln!("`{}` created", file.display());
    Ok(ExitCode::SUCCESS)
}

// `filestatus`, and SOPS files in git: the merge driver and the diff textconv.

#[derive(Subcommand)]
pub(crate) enum GitCommand {
    /// Print whether a file is SOPS-encrypted, as `sops filestatus` prints it:
    /// `{"encrypted":true}` or `{"encrypted":false}`. The file is read in the format of its
    /// extension (or --input-type), as sops reads it; metadata that does not read is an
    /// error (exit 2), and so, as in sops, is a file in the binary format that is not JSON.
    ///
    /// Example: secretgen sops filestatus secret.enc.yaml
    Filestatus {
        /// currently json, yaml, dotenv, ini and binary are supported. If not set, the
        /// file's extension chooses, as sops does.
        #[arg(long, value_enum)]
        input_type: Option<FormatArg>,
        /// The file to check.
        file: PathBuf,
    },
    /// A git merge driver for SOPS files: merges the three versions by value, in memory.
    /// Branches that changed different values merge cleanly: the result goes to OURS
    /// under its data key, every unchanged value keeping its ciphertext, the MAC and
    /// `lastmodified` computed again. A value changed on both sides to different values is
    /// a conflict, named by its key path (never its value): exit 1, with ours' value kept
    /// there. Exit 2 when a version cannot be read or decrypted (OURS is left as it is).
    /// Install (see README, "SOPS files in git"):
    ///
    ///   git config merge.sops.driver 'secretgen sops merge-driver %O %A %B %P'
    ///   echo '*.enc.yaml merge=sops' >> .gitattributes
    MergeDriver {
        /// The common ancestor's version (git's %O).
        base: PathBuf,
        /// Our version, replaced by the result (git's %A).
        ours: PathBuf,
        /// Their version (git's %B).
        theirs: PathBuf,
        /// The file's path in the repository (git's %P): chooses the format, names the file.
        path: Option<PathBuf>,
        /// age identity file (repeatable); otherwise the usual places.
        #[arg(long = "identity", value_name = "FILE")]
        identity: Vec<PathBuf>,
    },
    /// A git textconv for SOPS files: every key path with, for an encrypted value, its type,
    /// its size and a digest (HMAC-SHA256 keyed by the file's data key when an identity
    /// opens it: equal values at one path compare equal across revisions, nothing else
    /// about them shows; without one, SHA-256 of the ciphertext); values in the clear as
    /// they are; the metadata without the wrapped keys and the MAC. Install:
    ///
    ///   git config diff.sops.textconv 'secretgen sops diff-text'
    ///   echo '*.enc.yaml diff=sops' >> .gitattributes
    DiffText {
        /// The file (git passes a temporary copy of each revision).
        file: PathBuf,
        /// age identity file (repeatable); otherwise the usual places.
        #[arg(long = "identity", value_name = "FILE")]
        identity: Vec<PathBuf>,
    },
}

fn run_git(command: GitCommand, services: &sops_keys::KeyServices) -> Result<ExitCode, Error> {
    match command {
        GitCommand::Filestatus { input_type, file } => filestatus(&file, input_type),
        GitCommand::MergeDriver {
            base,
            ours,
            theirs,
            path,
            identity,
        } => merge_driver(&base, &ours, &theirs, path.as_deref(), &identity, services),
        GitCommand::DiffText { file, identity } => diff_text(&file, &identity, services),
    }
}

fn filestatus(file: &Path, input_type: Option<FormatArg>) -> Result<ExitCode, Error> {
    let bytes = read::file(file, Origin::Argument, read::ANY_SIZE)?;
    let format = input_type.map_or_else(|| Format::for_path(file), FormatArg::format);
    let encrypted =
        sops_write::file_status(file, &bytes, format).map_err(|e| sops_error(file, e))?;
    super::write_stdout(format!("{{\"encrypted\":{encrypted}}}\n").as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

fn merge_driver(
    base: &Path,
    ours: &Path,
    theirs: &Path,
    path: Option<&Path>,
    identity: &[PathBuf],
    services: &sops_keys::KeyServices,
) -> Result<ExitCode, Error> {
    let read = |p: &Path| read::file(p, Origin::Argument, read::ANY_SIZE);
    let (b, o, t) = (read(base)?, read(ours)?, read(theirs)?);
    let name = path.unwrap_or(ours);
    let keys = super::keyring_with(identity, services);
    let lastmodified = secretgen::app::sops::now_rfc3339();
    let merged = sops_write::merge(name, &b, &o, &t, &keys, &lastmodified)
        .map_err(|e| sops_error(name, e))?;
    if let Some(out) = &merged.out {
        let mode = write::mode_of(ours).unwrap_or(0o600);
        write::one(ours, out, mode, Replace::Yes)?;
    }
    if merged.conflicts.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    for at in &merged.conflicts {
        eprintln!(
            "`{}`: merge conflict at {at}: changed differently on both branches (ours kept there)",
            name.display()
        );
    }
    eprintln!(
        "`{}`: set each value with `secretgen sops set` (or take one side whole with `git checkout --ours`/`--theirs`), then `git add` it",
        name.display()
    );
    Ok(ExitCode::from(1))
}

fn diff_text(
    file: &Path,
    identity: &[PathBuf],
    services: &sops_keys::KeyServices,
) -> Result<ExitCode, Error> {
    let bytes = read::file(file, Origin::Argument, read::ANY_SIZE)?;
    let keys = super::keyring_with(identity, services);
    let text = sops_write::diff_text(file, &bytes, &keys).map_err(|e| sops_error(file, e))?;
    super::write_stdout(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

// ---- Key management: updatekeys, rotate, and the recipients warning of edit/set/unset.

/// Says on stderr when `file`'s master keys differ from the rule that matches it now
/// (sops#1788): which keys the rule adds and removes, never a value. A config that cannot
/// be read is said too; neither stops the edit.
fn warn_recipients(file: &Path, bytes: &[u8]) {
    match sops_keys::recipients_drift(file, bytes) {
        Ok(Some((config, drift))) => eprintln!(
            "warning: `{}`: its master keys differ from the rule of `{}` that matches it now: {}; run `secretgen sops updatekeys {}` to apply the rule",
            file.display(),
            config.display(),
            drift.summary(),
            file.display()
        ),
        Ok(None) => {}
        Err(e) => eprintln!("warning: recipients not compared with the rules: {e}"),
    }
}

fn updatekeys(
    files: &[PathBuf],
    yes: bool,
    config: Option<&Path>,
    threshold_flag: usize,
    identity: &[PathBuf],
    services: &sops_keys::KeyServices,
) -> Result<ExitCode, Error> {
    use std::io::IsTerminal;
    let keys = super::keyring_with(identity, services);
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    for file in files {
        let bytes = read::file(file, Origin::Input, read::ANY_SIZE)?;
        let Some((config_path, rule)) = sops_keys::rule_of(file, config)? else {
            return Err(usage(match config {
                Some(c) => format!(
                    "`{}`: no creation rule matches `{}`",
                    c.display(),
                    file.display()
                ),
                None => format!(
                    "no .sops.yaml with a rule for `{}` in its directory or above (--config names one)",
                    file.display()
                ),
            }));
        };
        let current = sops_keys::file_keys(file, &bytes)?;
        let drift = sops_keys::drift(&current, &rule, threshold_flag);
        if !drift.changes() {
            eprintln!("File {} already up to date", file.display());
            continue;
        }
        super::write_stdout(drift.render(color).as_bytes())?;
        if !yes {
            if !std::io::stdin().is_terminal() {
                return Err(usage(format!(
                    "`{}` left unchanged: confirming the change needs a terminal; pass -y to apply it",
                    file.display()
                )));
            }
            if !confirm()? {
                eprintln!("File {} left unchanged", file.display());
                continue;
            }
        }
        let out = sops_keys::updatekeys(file, &bytes, &rule, drift.threshold.1, &keys, services)?;
        write::one(file, &out, mode_of(file), Replace::Yes)?;
        eprintln!(
            "File {} synced with new keys (rule of `{}`)",
            file.display(),
            config_path.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// sops' question, asked until the answer is y or n.
fn confirm() -> Result<bool, Error> {
    use std::io::{BufRead, Write};
    let stdin = std::io::stdin();
    loop {
        print!("Is this okay? (y/n):");
        let _ = std::io::stdout().flush();
        let mut line = String::new();
        let n = stdin
            .lock()
            .read_line(&mut line)
            .map_err(|e| Error::io(Path::new("<stdin>"), "cannot read", e))?;
        if n == 0 {
            return Err(usage("no answer on stdin: nothing written"));
        }
        match line.trim() {
            "y" => return Ok(true),
            "n" => return Ok(false),
            _ => {}
        }
    }
}

fn mode_of(file: &Path) -> u32 {
    std::fs::metadata(file)
        .map(|m| m.permissions().mode() & 0o7777)
        .unwrap_or(0o600)
}

fn rotate(
    file: &Path,
    in_place: bool,
    add: &GivenKeys<'_>,
    remove: &GivenKeys<'_>,
    identity: &[PathBuf],
    services: &sops_keys::KeyServices,
) -> Result<ExitCode, Error> {
    let bytes = read::file(file, Origin::Input, read::ANY_SIZE)?;
    let keys = super::keyring_with(identity, services);
    let lastmodified = secretgen::app::sops::now_rfc3339();
    let out = sops_keys::rotate(
        file,
        &bytes,
        &add.entries()?,
        &remove.entries()?,
        &keys,
        services,
        &lastmodified,
    )?;
    if in_place {
        write::one(file, &out, mode_of(file), Replace::Yes)?;
    } else {
        super::write_stdout(&out)?;
    }
    Ok(ExitCode::SUCCESS)
}
