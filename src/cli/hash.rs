//! `secretgen hash`: each Secret's hash variant and name suffix, with --explain the JSON
//! hashed (values as sizes).

use std::process::ExitCode;

use secretgen::error::Error;

use super::args::HashArgs;
use super::print::write_stdout;
use super::render::render_paths;

/// `secretgen hash`.
pub(super) fn run(args: HashArgs) -> Result<ExitCode, Error> {
    let session = super::render::session(args.flags.given(None))?;
    let out = render_paths(&args.paths, &args.flags, &session)?;
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
