//! `secretgen hash`: each Secret's hash variant and name suffix, with --explain the JSON
//! hashed (values as sizes).

use std::process::ExitCode;

use secretgen::error::Error;

use super::Globals;
use super::args::HashArgs;
use super::print::write_stdout;

/// `secretgen hash`.
pub(super) fn run(g: &Globals, args: HashArgs) -> Result<ExitCode, Error> {
    let session = g.session(args.flags.given(None))?;
    let text = secretgen::app::hash(&session, &args.paths, args.explain)?;
    write_stdout(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
