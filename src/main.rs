//! The `secretgen` binary: parses arguments, calls one library function per subcommand,
//! prints, and maps errors to exit codes (0 ok, 1 differences or findings, 2 error).

// Files and stdin are read only through `gate::read` (clippy.toml lists what it replaces).
#![warn(clippy::disallowed_methods)]
// The C library calls `main` below directly (see there); the test harness keeps its own.
#![cfg_attr(not(test), no_main)]

mod cli;
// The C library's `memcpy` replaced in the static build (musl); tested everywhere.
#[cfg(all(target_arch = "x86_64", any(test, target_env = "musl")))]
mod copy;
mod heap;

/// The allocator: a start-up region (see `heap`) in front of mimalloc in the static build
/// (musl's own allocator serves threads poorly) and of the C library's elsewhere.
#[cfg(not(test))]
#[global_allocator]
static HEAP: heap::Heap<General, { 256 << 10 }> = heap::Heap::new(General);

#[cfg(all(not(test), target_env = "musl"))]
use mimalloc::MiMalloc as General;
#[cfg(all(not(test), not(target_env = "musl")))]
use std::alloc::System as General;

use std::process::ExitCode;

use secretgen::error::Error;

/// The process entry, called by the C library's start-up in place of std's.
///
/// std's start-up asks the C library where the main thread's stack ends, which reads
/// `/proc/self/maps`, and installs a handler that names a stack overflow: a dozen system
/// calls and some page faults that every run pays, and kustomize runs the plugin once per
/// generator. secretgen does not recurse without a depth budget, so an overflow needs no
/// message beyond the signal's. What the program does need of that start-up is done here:
/// the standard descriptors made safe to write, SIGPIPE left to `write` as an error, and
/// standard output flushed at the end. The arguments are taken from `argv` here: glibc
/// also hands them to std before `main`, musl does not (the environment is the C
/// library's in both).
#[cfg(not(test))]
#[unsafe(no_mangle)]
extern "C" fn main(argc: std::ffi::c_int, argv: *const *const std::ffi::c_char) -> std::ffi::c_int {
    start_up();
    let args = (0..usize::try_from(argc).unwrap_or(0))
        .map(|i| {
            use std::os::unix::ffi::OsStrExt;
            // SAFETY: the C library passes `argc` pointers to NUL-terminated strings that
            // live as long as the process.
            let arg = unsafe { std::ffi::CStr::from_ptr(*argv.add(i)) };
            std::ffi::OsStr::from_bytes(arg.to_bytes()).to_os_string()
        })
        .collect();
    status(run(args))
}

/// The program: its exit code, its error printed.
#[cfg_attr(test, allow(dead_code))]
fn run(args: Vec<std::ffi::OsString>) -> ExitCode {
    install_panic_hook();
    // Standard output flushed, as std does after its `main` returns; a failure is an error.
    let flushed = |code| {
        std::io::Write::flush(&mut std::io::stdout())
            .map(|()| code)
            .map_err(|e| Error::io(std::path::Path::new("<stdout>"), "cannot write", e))
    };
    exit_code(cli::main(args).and_then(flushed))
}

/// What std's start-up does that the program relies on.
#[cfg(not(test))]
fn start_up() {
    // A standard descriptor closed by the caller (`secretgen render >&-`) would be given to
    // the next file opened, and Secrets printed into it: open /dev/null in its place.
    let mut fds = [0, 1, 2].map(|fd| libc::pollfd {
        fd,
        events: 0,
        revents: 0,
    });
    // SAFETY: `fds` is a valid array of three `pollfd`s for the call's duration.
    let n = unsafe { libc::poll(fds.as_mut_ptr(), 3, 0) };
    if n > 0 {
        for p in fds.iter().filter(|p| p.revents & libc::POLLNVAL != 0) {
            // SAFETY: a NUL-terminated path; the descriptor returned is the lowest free
            // one, the closed standard descriptor, and is kept open for the whole run.
            let fd = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) };
            if fd != p.fd {
                std::process::abort();
            }
        }
    }
    // A reader that goes away (`secretgen render | head -1`) is a write error the program
    // handles (a quiet exit), not a signal that kills it.
    // SAFETY: setting a signal's disposition to ignore it.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    // glibc hands the free end of a heap back to the system once it passes 128 KiB. A SOPS
    // file's data key is opened through age's stream reader, whose 64 KiB buffer then grew
    // and shrank the heap for every file: two `brk`s (or an `mprotect` and a `madvise` on a
    // worker's heap) and 16 pages faulted in and zeroed again, 1,000 times for 1,000 files.
    // Up to 1 MiB is kept now. Nothing more is reserved (a `ulimit -d` run fails where it
    // failed before); a heap keeps at most that much it no longer uses. Setting it stops
    // glibc from moving its threshold for giving a block its own mapping (it raises it to
    // the size of each such block freed, so that a Secret of 137 KiB, 10 files of 10 KiB,
    // came from the heap after the first): that threshold is set with it, to half the trim
    // threshold, the ratio glibc keeps.
    #[cfg(target_env = "gnu")]
    // SAFETY: documented malloc parameters, set before any thread is started.
    unsafe {
        libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD);
        libc::mallopt(libc::M_MMAP_THRESHOLD, TRIM_THRESHOLD / 2);
    };
}

/// glibc's `M_TRIM_THRESHOLD`: how much free memory a heap keeps at its end.
#[cfg(all(not(test), target_env = "gnu"))]
const TRIM_THRESHOLD: std::ffi::c_int = 1 << 20;

/// The status for the C library's `exit`: `ExitCode` keeps its number to itself.
#[cfg(not(test))]
fn status(code: ExitCode) -> std::ffi::c_int {
    (0..=u8::MAX)
        .find(|&n| ExitCode::from(n) == code)
        .map_or(2, std::ffi::c_int::from)
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
