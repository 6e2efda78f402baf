//! `secretgen age …`: enough key handling that nobody needs another tool to encrypt a file
//! for the repository. Plaintext never touches the disk except where `decrypt -o` is asked.

use std::io::IsTerminal;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};

use secretgen::age;
use secretgen::app::age_record;
use secretgen::error::Error;
use secretgen::gate::read::{self, Origin};
use secretgen::gate::write::{self, Batch, Replace};

use super::recipients::read_recipients;

#[derive(Args)]
pub(crate) struct AgeArgs {
    #[command(subcommand)]
    pub(crate) command: AgeCommand,
}

#[derive(Subcommand)]
pub(crate) enum AgeCommand {
    /// Generate an X25519 identity (or with --pq a post-quantum one); its recipient (public
    /// key) goes to stderr.
    ///
    /// Example: secretgen age keygen -o ~/.config/sops/age/keys.txt
    Keygen {
        /// A post-quantum hybrid identity (ML-KEM-768 + X25519, AGE-SECRET-KEY-PQ-1…, recipient
        /// age1pq1…), as `age-keygen -pq` makes.
        #[arg(long)]
        pq: bool,
        /// Write the identity here (mode 0600; an existing file is never overwritten)
        /// instead of stdout.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Encrypt a file to recipients, ASCII-armored unless --binary. With -o, the
    /// recipients are recorded in the `.age-recipients.lock` beside the nearest
    /// `.age-recipients`, for `check --recipients`.
    ///
    /// Example: secretgen age encrypt -r age1… -o password.txt.age password.txt
    Encrypt {
        /// A recipient: age1…, age1pq1…, a plugin's age1NAME1… or an SSH public key
        /// (repeatable). Post-quantum recipients cannot be mixed with classic ones.
        #[arg(short = 'r', long = "recipient", value_name = "RECIPIENT")]
        recipients: Vec<String>,
        /// A file of recipients, one per line, `#` comments (repeatable).
        #[arg(short = 'R', long = "recipients-file", value_name = "FILE")]
        recipients_files: Vec<PathBuf>,
        /// Write here (atomically) instead of stdout.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
        /// ASCII armor (the default: it diffs well in git).
        #[arg(short = 'a', long, conflicts_with = "binary")]
        armor: bool,
        /// Binary age format instead of armor.
        #[arg(long)]
        binary: bool,
        /// The file to encrypt (`-` or none: stdin).
        input: Option<PathBuf>,
    },
    /// Decrypt a file to stdout (refused on a terminal without --force) or to -o.
    ///
    /// Example: secretgen age decrypt -i key.txt password.txt.age | wc -c
    Decrypt {
        /// Identity file (repeatable); otherwise the usual places (see `render --help`).
        #[arg(short = 'i', long = "identity", value_name = "FILE")]
        identity: Vec<PathBuf>,
        /// Write the plaintext here (mode 0600, atomically) instead of stdout.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
        /// Print plaintext on a terminal anyway.
        #[arg(long)]
        force: bool,
        /// The age file to decrypt (armored or binary).
        input: PathBuf,
    },
    /// Show what each age file is encrypted to (stanza types; SSH key tags).
    ///
    /// Example: secretgen age recipients secrets/*.age
    Recipients {
        /// The age files to inspect.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Re-encrypt every age file under the paths to a new recipient set (key rotation),
    /// atomically per file, keeping armored or binary form.
    ///
    /// Example: secretgen age rekey -R .age-recipients secrets/
    Rekey {
        /// The new recipients, one per line.
        #[arg(
            short = 'R',
            long = "recipients-file",
            value_name = "FILE",
            required = true
        )]
        recipients_files: Vec<PathBuf>,
        /// Identity to decrypt with (repeatable); otherwise the usual places.
        #[arg(short = 'i', long = "identity", value_name = "FILE")]
        identity: Vec<PathBuf>,
        /// age files, or directories searched for them (each file keeps its mode).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Edit an age file in $VISUAL or $EDITOR: decrypted into a private temporary directory,
    /// re-encrypted to the recipients of -R FILE or of the nearest `.age-recipients` upward,
    /// in the same armored or binary form, replaced atomically. The plaintext is removed
    /// whatever happens; unchanged content leaves the file untouched. Needs a terminal.
    ///
    /// Example: secretgen age edit secrets/password.txt.age
    Edit {
        /// The recipients, one per line (default: the nearest `.age-recipients` upward).
        #[arg(short = 'R', long = "recipients-file", value_name = "FILE")]
        recipients_files: Vec<PathBuf>,
        /// Identity to decrypt with (repeatable); otherwise the usual places.
        #[arg(short = 'i', long = "identity", value_name = "FILE")]
        identity: Vec<PathBuf>,
        /// The age file to edit (armored or binary; its form is kept).
        file: PathBuf,
    },
}

pub(crate) fn run(args: AgeArgs) -> ExitCode {
    let result = match args.command {
        AgeCommand::Keygen { pq, output } => keygen(pq, output),
        AgeCommand::Encrypt {
            recipients,
            recipients_files,
            output,
            armor: _,
            binary,
            input,
        } => encrypt(&recipients, &recipients_files, output, !binary, input),
        AgeCommand::Decrypt {
            identity,
            output,
            force,
            input,
        } => decrypt(identity, output, force, &input),
        AgeCommand::Recipients { files } => recipients(&files),
        AgeCommand::Rekey {
            recipients_files,
            identity,
            paths,
        } => rekey(&recipients_files, identity, &paths),
        AgeCommand::Edit {
            recipients_files,
            identity,
            file,
        } => super::age_edit::edit(&recipients_files, identity, &file),
    };
    // The same exit as every other command (a closed pipe is quiet).
    super::exit_code(result)
}

fn usage(msg: impl std::fmt::Display) -> Error {
    Error::Usage(msg.to_string())
}

fn keygen(pq: bool, output: Option<PathBuf>) -> Result<ExitCode, Error> {
    let (text, recipient) = if pq {
        age::keygen_pq().map_err(usage)?
    } else {
        age::keygen()
    };
    match output {
        // `-o ~/.config/sops/age/keys.txt` on a fresh machine: the directory is made,
        // private to its owner. The key goes in whole or not at all, and never over a file
        // that is there.
        Some(path) => {
            write::one(&path, text.as_bytes(), 0o600, Replace::Never).map_err(|e| match e {
                write::WriteError::Exists { path, .. } => Error::io(
                    &path,
                    "refusing to overwrite an existing identity",
                    std::io::ErrorKind::AlreadyExists.into(),
                ),
                e => e.into(),
            })?
        }
        None => super::write_stdout(text.as_bytes())?,
    }
    eprintln!("Public key: {recipient}");
    Ok(ExitCode::SUCCESS)
}

/// The FILE argument (stdin when absent or `-`), through the gate's reader: capped, a
/// silent pipe timed out, never a device.
fn read_input(input: Option<&Path>) -> Result<zeroize::Zeroizing<Vec<u8>>, Error> {
    Ok(match input {
        None => read::stdin(read::ANY_SIZE)?,
        Some(p) if p == Path::new("-") => read::stdin(read::ANY_SIZE)?,
        Some(p) => read::file(p, Origin::Argument, read::ANY_SIZE)?,
    })
}

fn encrypt(
    recipients: &[String],
    files: &[PathBuf],
    output: Option<PathBuf>,
    armor: bool,
    input: Option<PathBuf>,
) -> Result<ExitCode, Error> {
    let recipients = read_recipients(recipients, files)?;
    let plain = read_input(input.as_deref())?;
    let ct = age::encrypt(&plain, &recipients.keys, armor).map_err(usage)?;
    match output {
        Some(path) => {
            let mut batch = Batch::new();
            batch.add(path.clone(), &ct, 0o600, Replace::Yes);
            age_record::record(&mut batch, &[(&path, &ct)], &recipients.names)?;
            batch.commit()?;
        }
        None => {
            if !armor && std::io::stdout().is_terminal() {
                return Err(usage(
                    "refusing to print binary age output on a terminal: use -o FILE or --armor",
                ));
            }
            super::write_stdout(&ct)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn decrypt(
    identity: Vec<PathBuf>,
    output: Option<PathBuf>,
    force: bool,
    input: &Path,
) -> Result<ExitCode, Error> {
    let ct = read_input(Some(input))?;
    if !age::looks_encrypted(&ct) {
        return Err(usage(format!("`{}` is not an age file", input.display())));
    }
    if output.is_none() && !force && std::io::stdout().is_terminal() {
        return Err(usage(
            "refusing to print plaintext on a terminal (it would stay on screen and in scrollback): pipe it, use -o FILE, or pass --force",
        ));
    }
    let keys = super::keyring(&identity);
    let plain = keys.decrypt_age(input, &ct).map_err(|e| Error::Age {
        loc: secretgen::error::Loc::file(input),
        source: Box::new(e),
    })?;
    match output {
        Some(path) => write::one(&path, plain.expose(), 0o600, Replace::Yes)?,
        None => super::write_stdout(plain.expose())?,
    }
    Ok(ExitCode::SUCCESS)
}

fn recipients(files: &[PathBuf]) -> Result<ExitCode, Error> {
    let mut text = String::new();
    for f in files {
        let bytes = read::file(f, Origin::Argument, read::ANY_SIZE)?;
        if !age::is_encrypted(&bytes) {
            return Err(usage(format!("`{}` is not an age file", f.display())));
        }
        let stanzas = age::stanzas(&bytes).map_err(|e| usage(format!("`{}`: {e}", f.display())))?;
        let form = if age::armored(&bytes) {
            "armored"
        } else {
            "binary"
        };
        text.push_str(&format!(
            "{}: {form}, encrypted to {}\n",
            f.display(),
            age::describe_stanzas(&stanzas)
        ));
        if stanzas
            .iter()
            .any(|(k, _)| k == "X25519" || k == age::pq::STANZA)
        {
            text.push_str("  (X25519 and mlkem768x25519 stanzas carry only an ephemeral key: the recipient cannot be read from the file)\n");
        }
    }
    super::write_stdout(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// A failure before the files are replaced, saying that none was.
fn untouched(e: Error) -> Error {
    Error::many(vec![
        e,
        usage("nothing was rekeyed: every file keeps its old recipients"),
    ])
}

fn rekey(
    recipient_files: &[PathBuf],
    identity: Vec<PathBuf>,
    paths: &[PathBuf],
) -> Result<ExitCode, Error> {
    let recipients = read_recipients(&[], recipient_files)?;
    let keys = super::keyring(&identity);
    let (mut armored, mut binary) = (0, 0);
    // Every file decrypted and re-encrypted first, then all replaced together: a key that
    // opens one file but not the next leaves every file on its old recipients.
    let mut batch = Batch::new();
    let mut rekeyed = Vec::new();
    for root in paths {
        for entry in
            secretgen::render::discover::walk(root, secretgen::render::discover::Skip::Nothing)
        {
            let entry = entry.map_err(|e| Error::io(root, "cannot walk", e.into()))?;
            if !entry.file_type().is_file() {
                continue;
            }
            let path = entry.path();
            let ct = read::file(path, Origin::Input, read::ANY_SIZE)?;
            if !age::is_encrypted(&ct) {
                continue;
            }
            let plain = keys
                .decrypt_age(path, &ct)
                .map_err(|e| Error::Age {
                    loc: secretgen::error::Loc::file(path),
                    source: Box::new(e),
                })
                .map_err(untouched)?;
            let armor = age::armored(&ct);
            let new = age::encrypt(plain.expose(), &recipients.keys, armor)
                .map_err(usage)
                .map_err(untouched)?;
            // The file keeps the mode its user gave it; only new files are 0600.
            let mode = entry
                .metadata()
                .map_err(|e| Error::io(path, "cannot read the mode of", e.into()))?
                .permissions()
                .mode()
                & 0o7777;
            batch.add(path.to_path_buf(), &new, mode, Replace::Yes);
            rekeyed.push((path.to_path_buf(), new));
            if armor {
                armored += 1;
            } else {
                binary += 1;
            }
        }
    }
    let written: Vec<(&Path, &[u8])> = rekeyed
        .iter()
        .map(|(p, ct)| (p.as_path(), ct.as_slice()))
        .collect();
    age_record::record(&mut batch, &written, &recipients.names).map_err(untouched)?;
    batch.commit()?;
    eprintln!(
        "rekeyed {} files ({armored} armored, {binary} binary) to {} recipients",
        armored + binary,
        recipients.keys.len()
    );
    Ok(ExitCode::SUCCESS)
}
