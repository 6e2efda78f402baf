//! Command-line definitions. The doc comments here are the `--help` text.

pub mod age;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Generate Kubernetes Secrets from kustomize-style secretGenerator manifests,
/// with age-encrypted inputs decrypted in memory.
///
/// Exit codes: 0 success, 1 differences or findings (diff, check, render --check), 2 error.
#[derive(Parser, Debug)]
#[command(name = "secretgen", version, about, long_about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create, encrypt, decrypt and inspect age files and keys.
    Age(age::AgeArgs),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Age(args) => age::run(args),
    }
}
