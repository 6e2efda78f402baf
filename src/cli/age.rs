//! `secretgen age …`: key and file tools.

use std::process::ExitCode;

use clap::Args;

#[derive(Args, Debug)]
pub struct AgeArgs {}

pub fn run(_args: AgeArgs) -> ExitCode {
    ExitCode::from(2)
}
