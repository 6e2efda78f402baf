//! The `secretgen` binary: parses arguments, calls one library function per subcommand,
//! prints, and maps errors to exit codes (0 ok, 1 differences or findings, 2 error).

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::main()
}
