//! The `secretgen` binary: parses arguments, calls one library function per subcommand,
//! prints, and maps errors to exit codes (0 ok, 1 differences or findings, 2 error).

// Files and stdin are read only through `gate::read` (clippy.toml lists what it replaces).
#![warn(clippy::disallowed_methods)]

mod cli;

use std::process::ExitCode;

use secretgen::error::Error;

fn main() -> ExitCode {
    install_panic_hook();
    exit_code(cli::main())
}

/// The exit code of a command's result, its error printed: 2 for every error.
fn exit_code(result: Result<ExitCode, Error>) -> ExitCode {
    match result {
        Ok(code) => code,
        // The reader went away (`secretgen render | head -1`): nothing is wrong, and
        // nothing more can be said to it. Quiet, as ripgrep and git are.
        Err(Error::Io(io)) if io.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            cli::print_error(&e);
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

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // the test runs itself as a child process
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
                "tests::panic_hook_withholds_the_payload",
                "--nocapture",
            ])
            .env(CHILD, "1")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains("error: internal error in secretgen at src/main.rs:"),
            "{stderr}"
        );
        assert!(
            !stderr.contains(CANARY) && !stdout.contains(CANARY),
            "{stderr}{stdout}"
        );
    }
}
