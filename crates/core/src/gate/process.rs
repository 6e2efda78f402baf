//! The one runner of external processes: key commands (`SOPS_AGE_KEY_CMD`,
//! `SOPS_AGE_SSH_PRIVATE_KEY_CMD`), age plugins, git and the editor of `age edit`. Nothing
//! else in secretgen spawns a process.
//!
//! In: a [`Spec`] (what to run, and the name messages give it: the program, or the variable
//! that named it). Out: what the process printed on stdout (at most [`MAX_STDOUT`] bytes, in a
//! zeroizing buffer), or a [`Conversation`] over its stdin and stdout, or, for the editor, its
//! exit status. Refused: a process that outlives the run's timeout or prints more than
//! [`MAX_STDOUT`]; it is killed with its whole process group and reaped, and the error names
//! the command, never anything it printed (its output may hold key material).
//!
//! The timeout (default 30 s; `--process-timeout SECONDS`, `SECRETGEN_PROCESS_TIMEOUT`;
//! 0 = none) applies when nobody can answer the process: when secretgen has no controlling
//! terminal (`/dev/tty` does not open), as under kustomize in CI, kpt or ArgoCD. With a
//! terminal, a process may be waiting for a PIN, a passphrase or a touch of a hardware key, and
//! the user is there to answer or press Ctrl-C: no timeout applies, and the process runs in
//! secretgen's own process group so that it can read the terminal and gets Ctrl-C. Without a
//! terminal it runs in a process group of its own, which is what is killed on timeout (a
//! shell's children included). The editor of `age edit` never has a timeout.

// This module is the one runner: the only place a process is spawned.
#![allow(clippy::disallowed_methods)]

use std::ffi::OsStr;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use zeroize::{Zeroize, Zeroizing};

/// The most a process may print on stdout (key text, a git listing): 1 MiB.
pub const MAX_STDOUT: usize = 1024 * 1024;
/// The most of a process's stderr that is kept, where it is kept at all (git's messages).
pub const MAX_STDERR: usize = 64 * 1024;
/// The variable that sets the timeout, as `--process-timeout` does.
pub const TIMEOUT_VAR: &str = "SECRETGEN_PROCESS_TIMEOUT";

/// How long a process may run when nobody can answer it: a number of seconds, or none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeout(Option<Duration>);

impl Timeout {
    /// 30 seconds: longer than any key command or plugin takes without a user.
    pub const DEFAULT: Timeout = Timeout(Some(Duration::from_secs(30)));
    /// No timeout.
    pub const NONE: Timeout = Timeout(None);

    /// `n` seconds; 0 is no timeout.
    pub fn seconds(n: u64) -> Timeout {
        if n == 0 {
            Timeout::NONE
        } else {
            Timeout(Some(Duration::from_secs(n)))
        }
    }

    /// A value of `--process-timeout` or of `SECRETGEN_PROCESS_TIMEOUT`: whole seconds.
    pub fn parse(s: &str) -> Result<Timeout, String> {
        s.trim()
            .parse::<u64>()
            .map(Timeout::seconds)
            .map_err(|_| "expected a number of seconds (0 = no timeout)".to_string())
    }

    /// `SECRETGEN_PROCESS_TIMEOUT`, when set and not empty.
    pub fn from_env() -> Result<Option<Timeout>, String> {
        match std::env::var(TIMEOUT_VAR) {
            Ok(v) if !v.trim().is_empty() => Timeout::parse(&v)
                .map(Some)
                .map_err(|e| format!("{TIMEOUT_VAR}=`{v}`: {e}")),
            _ => Ok(None),
        }
    }

    /// The limit, if there is one.
    pub fn limit(self) -> Option<Duration> {
        self.0
    }
}

/// The run's timeout, as [`set_run_timeout`] set it.
impl Default for Timeout {
    fn default() -> Timeout {
        run_timeout()
    }
}

/// Seconds of the run's timeout; [`UNSET`] until set, 0 for none.
static RUN_TIMEOUT: AtomicU64 = AtomicU64::new(UNSET);
const UNSET: u64 = u64::MAX;

/// Sets the timeout of this run (once, from the run's settings, before anything is spawned).
pub fn set_run_timeout(t: Timeout) {
    let secs = t.limit().map_or(0, |d| d.as_secs().min(UNSET - 1));
    RUN_TIMEOUT.store(secs, Ordering::SeqCst);
}

/// The timeout every process of this run is held to ([`Timeout::DEFAULT`] unless set).
pub fn run_timeout() -> Timeout {
    match RUN_TIMEOUT.load(Ordering::SeqCst) {
        UNSET => Timeout::DEFAULT,
        secs => Timeout::seconds(secs),
    }
}

/// Why a process gave nothing usable. Names the command, never what it printed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProcessError {
    #[error("cannot run {what}: {reason}")]
    NotRun { what: String, reason: String },
    #[error(
        "{what} did not finish within {secs} s and was stopped; without a terminal every command is held to --process-timeout SECONDS or {TIMEOUT_VAR} (0 = no limit)"
    )]
    TimedOut { what: String, secs: u64 },
    #[error("{what} printed more than 1 MiB and was stopped")]
    TooMuchOutput { what: String },
    #[error("{what} failed ({status})")]
    Failed { what: String, status: String },
    #[error("{what}: {reason}")]
    Io { what: String, reason: String },
}

/// What to run, and how messages name it.
pub struct Spec {
    what: String,
    cmd: Command,
    stderr: Stderr,
}

/// Where a process's stderr goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stderr {
    /// Ours: the process speaks to the user directly (key commands' own diagnostics).
    Inherit,
    /// Nowhere.
    Null,
    /// Kept, at most [`MAX_STDERR`] bytes, for the caller (git's messages, which name
    /// revisions and paths of the repository).
    Capture,
}

impl Spec {
    /// `program`, named `what` in messages (`` `pass` ``, `` `SOPS_AGE_KEY_CMD` (`pass`) ``).
    pub fn new(what: impl Into<String>, program: impl AsRef<OsStr>) -> Spec {
        let mut cmd = Command::new(program);
        cmd.stdin(Stdio::null());
        Spec {
            what: what.into(),
            cmd,
            stderr: Stderr::Inherit,
        }
    }

    pub fn arg(mut self, a: impl AsRef<OsStr>) -> Spec {
        self.cmd.arg(a);
        self
    }

    pub fn args<S: AsRef<OsStr>>(mut self, args: impl IntoIterator<Item = S>) -> Spec {
        self.cmd.args(args);
        self
    }

    pub fn env(mut self, k: impl AsRef<OsStr>, v: impl AsRef<OsStr>) -> Spec {
        self.cmd.env(k, v);
        self
    }

    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Spec {
        self.cmd.current_dir(dir);
        self
    }

    pub fn stderr(mut self, s: Stderr) -> Spec {
        self.stderr = s;
        self
    }

    /// How messages name the command.
    pub fn what(&self) -> &str {
        &self.what
    }

    /// Starts the process with stdout (and stdin, when `stdin`) piped, under the run's
    /// timeout unless a user is there; its deadline, and whether it leads a group of its own.
    fn start(mut self, stdin: bool) -> Result<Started, ProcessError> {
        let limit = if terminal_attached() {
            None
        } else {
            run_timeout().limit()
        };
        if limit.is_some() {
            self.cmd.process_group(0);
        }
        if stdin {
            self.cmd.stdin(Stdio::piped());
        }
        self.cmd.stdout(Stdio::piped()).stderr(match self.stderr {
            Stderr::Inherit => Stdio::inherit(),
            Stderr::Null => Stdio::null(),
            Stderr::Capture => Stdio::piped(),
        });
        let child = self.cmd.spawn().map_err(|e| ProcessError::NotRun {
            what: self.what.clone(),
            reason: crate::place::io_reason(&e),
        })?;
        Ok(Started {
            what: self.what,
            child,
            group: limit.is_some(),
            limit,
            deadline: limit.map(|l| Instant::now() + l),
            reaped: false,
        })
    }
}

/// Whether a user can answer a process: this process has a controlling terminal.
pub fn terminal_attached() -> bool {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .is_ok()
}

/// A running process, killed (with its group) and reaped when dropped unreaped.
struct Started {
    what: String,
    child: Child,
    /// Whether it leads a process group of its own (then the group is what is killed).
    group: bool,
    limit: Option<Duration>,
    deadline: Option<Instant>,
    reaped: bool,
}

impl Started {
    fn kill(&mut self) {
        if self.reaped {
            return;
        }
        // The child is not reaped yet, so its id (and its group's) is still its own.
        if self.group
            && let Ok(pid) = libc::pid_t::try_from(self.child.id())
        {
            // SAFETY: kill(2) takes no pointers; a negative pid names the process group.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
        }
        let _ = self.child.kill();
    }

    fn wait(&mut self) -> io::Result<ExitStatus> {
        let status = self.child.wait();
        self.reaped = true;
        status
    }

    fn timed_out(&self) -> ProcessError {
        ProcessError::TimedOut {
            what: self.what.clone(),
            secs: self.limit.map_or(0, |d| d.as_secs()),
        }
    }

    fn io(&self, e: &io::Error) -> ProcessError {
        ProcessError::Io {
            what: self.what.clone(),
            reason: crate::place::io_reason(e),
        }
    }

    /// Waits for the process to end, at most until `by`; past it, kills it.
    fn wait_until(&mut self, by: Option<Instant>) -> Result<ExitStatus, ProcessError> {
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => {
                    self.reaped = true;
                    return Ok(status);
                }
                Ok(None) => {}
                Err(e) => return Err(self.io(&e)),
            }
            if by.is_some_and(|d| Instant::now() >= d) {
                self.kill();
                let _ = self.wait();
                return Err(self.timed_out());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Started {
    fn drop(&mut self) {
        if !self.reaped {
            self.kill();
            let _ = self.wait();
        }
    }
}

/// What a process printed, and how it ended.
pub struct Output {
    pub status: ExitStatus,
    /// Its stdout, zeroed when dropped (key commands print identities).
    pub stdout: Zeroizing<Vec<u8>>,
    /// Its stderr where [`Stderr::Capture`] asked for it (at most [`MAX_STDERR`]).
    pub stderr: Vec<u8>,
}

impl Output {
    /// The output of a process that succeeded, else [`ProcessError::Failed`].
    pub fn success(self, what: &str) -> Result<Output, ProcessError> {
        if self.status.success() {
            Ok(self)
        } else {
            Err(ProcessError::Failed {
                what: what.to_string(),
                status: self.status.to_string(),
            })
        }
    }
}

/// Runs a process to its end with stdin empty, collecting its stdout (bounded) and, where
/// asked, its stderr (bounded; the rest is read and dropped).
pub fn output(spec: Spec) -> Result<Output, ProcessError> {
    let mut p = spec.start(false)?;
    let mut stdout = p.child.stdout.take();
    let mut stderr = p.child.stderr.take();
    let mut out = Zeroizing::new(Vec::new());
    let mut err = Vec::new();
    let mut chunk = Zeroizing::new([0u8; 8192]);
    while stdout.is_some() || stderr.is_some() {
        let fds: Vec<RawFd> = stdout
            .iter()
            .map(|s| s.as_raw_fd())
            .chain(stderr.iter().map(|s| s.as_raw_fd()))
            .collect();
        let ready = match poll_readable(&fds, p.deadline) {
            Ok(Some(r)) => r,
            Ok(None) => {
                p.kill();
                let _ = p.wait();
                return Err(p.timed_out());
            }
            Err(e) => return Err(p.io(&e)),
        };
        if let Some(s) = stdout.as_mut()
            && ready.contains(&s.as_raw_fd())
        {
            let n = s.read(&mut chunk[..]).map_err(|e| p.io(&e))?;
            if n == 0 {
                stdout = None;
            } else if out.len() + n > MAX_STDOUT {
                chunk.zeroize();
                p.kill();
                let _ = p.wait();
                return Err(ProcessError::TooMuchOutput {
                    what: p.what.clone(),
                });
            } else {
                out.extend_from_slice(&chunk[..n]);
            }
        }
        if let Some(s) = stderr.as_mut()
            && ready.contains(&s.as_raw_fd())
        {
            let n = s.read(&mut chunk[..]).map_err(|e| p.io(&e))?;
            if n == 0 {
                stderr = None;
            } else {
                let keep = n.min(MAX_STDERR.saturating_sub(err.len()));
                err.extend_from_slice(&chunk[..keep]);
            }
        }
    }
    chunk.zeroize();
    let status = p.wait_until(p.deadline)?;
    Ok(Output {
        status,
        stdout: out,
        stderr: err,
    })
}

/// Runs an interactive program (the editor of `age edit`): stdin, stdout and stderr are
/// ours, it stays in our process group (Ctrl-C reaches it) and no timeout applies.
pub fn interactive(spec: Spec) -> Result<ExitStatus, ProcessError> {
    let Spec { what, mut cmd, .. } = spec;
    cmd.stdin(Stdio::inherit())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .status()
        .map_err(|e| ProcessError::NotRun {
            what,
            reason: crate::place::io_reason(&e),
        })
}

/// A process spoken to over its stdin and stdout (an age plugin), under the run's timeout:
/// every read and write waits at most until the deadline, past which the process is killed
/// and the read or write fails with [`ProcessError::TimedOut`]'s message.
pub struct Conversation {
    p: Started,
    stdin: Option<ChildStdin>,
    stdout: ChildStdout,
    /// The first failure of the process itself (timed out), for the caller's message.
    failure: Option<ProcessError>,
    /// Bytes read so far: a process may not print more than [`MAX_STDOUT`] in all.
    read: usize,
}

/// Starts a process to converse with: its stdin and stdout are ours to use.
pub fn converse(spec: Spec) -> Result<Conversation, ProcessError> {
    let mut p = spec.start(true)?;
    let stdin = p.child.stdin.take();
    let Some(stdout) = p.child.stdout.take() else {
        return Err(ProcessError::NotRun {
            what: p.what.clone(),
            reason: "no pipe to its stdout".into(),
        });
    };
    Ok(Conversation {
        p,
        stdin,
        stdout,
        failure: None,
        read: 0,
    })
}

impl Conversation {
    /// What ended the conversation on the process's side (a timeout, too much output), if
    /// anything did.
    pub fn failure(&self) -> Option<&ProcessError> {
        self.failure.as_ref()
    }

    /// How messages name the process.
    pub fn what(&self) -> &str {
        &self.p.what
    }

    /// Closes the process's stdin: it has all its input (gpg reads to the end first).
    pub fn close_input(&mut self) {
        self.stdin = None;
    }

    fn fail(&mut self, e: ProcessError) -> io::Error {
        self.p.kill();
        let msg = e.to_string();
        self.failure.get_or_insert(e);
        io::Error::other(msg)
    }

    /// Ends the conversation: closes its stdin and gives the process until the deadline (at
    /// most two seconds) to exit, then kills it.
    pub fn finish(mut self) {
        self.stdin = None;
        let grace = Instant::now() + Duration::from_secs(2);
        let by = Some(self.p.deadline.map_or(grace, |d| d.min(grace)));
        let _ = self.p.wait_until(by);
    }
}

impl Read for Conversation {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(f) = &self.failure {
            return Err(io::Error::other(f.to_string()));
        }
        let fd = self.stdout.as_raw_fd();
        match poll_readable(&[fd], self.p.deadline) {
            Ok(Some(_)) => {}
            Ok(None) => {
                let e = self.p.timed_out();
                return Err(self.fail(e));
            }
            Err(e) => return Err(e),
        }
        let room = buf.len().min(MAX_STDOUT + 1 - self.read.min(MAX_STDOUT));
        let n = self.stdout.read(&mut buf[..room])?;
        self.read += n;
        if self.read > MAX_STDOUT {
            let e = ProcessError::TooMuchOutput {
                what: self.p.what.clone(),
            };
            return Err(self.fail(e));
        }
        Ok(n)
    }
}

impl Write for Conversation {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(f) = &self.failure {
            return Err(io::Error::other(f.to_string()));
        }
        let Some(fd) = self.stdin.as_ref().map(|s| s.as_raw_fd()) else {
            return Err(io::Error::from(io::ErrorKind::BrokenPipe));
        };
        match poll_fd(fd, libc::POLLOUT, self.p.deadline) {
            Ok(true) => {}
            Ok(false) => {
                let e = self.p.timed_out();
                return Err(self.fail(e));
            }
            Err(e) => return Err(e),
        }
        // Ready for writing means room for PIPE_BUF bytes: a write of no more never blocks.
        let n = buf.len().min(libc::PIPE_BUF);
        match self.stdin.as_mut() {
            Some(s) => s.write(&buf[..n]),
            None => Err(io::Error::from(io::ErrorKind::BrokenPipe)),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.stdin.as_mut() {
            Some(s) => s.flush(),
            None => Ok(()),
        }
    }
}

/// The time left until `deadline` in poll(2)'s milliseconds (-1: no deadline).
fn poll_ms(deadline: Option<Instant>) -> libc::c_int {
    match deadline {
        None => -1,
        Some(d) => {
            let left = d.saturating_duration_since(Instant::now());
            // Rounded up, so that a wait never ends just before the deadline.
            let ms = left.as_millis() + u128::from(left.subsec_nanos() % 1_000_000 != 0);
            libc::c_int::try_from(ms).unwrap_or(libc::c_int::MAX)
        }
    }
}

/// Waits until one of `fds` can be read (or is closed); `None` once `deadline` passed.
fn poll_readable(fds: &[RawFd], deadline: Option<Instant>) -> io::Result<Option<Vec<RawFd>>> {
    let mut polls: Vec<libc::pollfd> = fds
        .iter()
        .map(|&fd| libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    loop {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(None);
        }
        // SAFETY: `polls` is a live, correctly sized array of pollfd for the whole call.
        let n = unsafe {
            libc::poll(
                polls.as_mut_ptr(),
                polls.len() as libc::nfds_t,
                poll_ms(deadline),
            )
        };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        if n > 0 {
            return Ok(Some(
                polls
                    .iter()
                    .filter(|p| p.revents != 0)
                    .map(|p| p.fd)
                    .collect(),
            ));
        }
    }
}

/// Waits until `fd` is ready for `events`; `false` once `deadline` passed.
fn poll_fd(fd: RawFd, events: libc::c_short, deadline: Option<Instant>) -> io::Result<bool> {
    let mut p = libc::pollfd {
        fd,
        events,
        revents: 0,
    };
    loop {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(false);
        }
        // SAFETY: `p` is a live pollfd for the whole call.
        let n = unsafe { libc::poll(&mut p, 1, poll_ms(deadline)) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        if n > 0 {
            return Ok(true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Spec {
        Spec::new("`sh`", "sh").args(["-c", script])
    }

    #[test]
    fn timeouts_parse_as_whole_seconds_and_zero_is_none() {
        assert_eq!(Timeout::parse("0"), Ok(Timeout::NONE));
        assert_eq!(Timeout::parse(" 5 "), Ok(Timeout::seconds(5)));
        assert_eq!(Timeout::seconds(5).limit(), Some(Duration::from_secs(5)));
        assert!(Timeout::parse("1.5").is_err());
        assert!(Timeout::parse("-1").is_err());
        assert!(Timeout::parse("soon").is_err());
    }

    #[test]
    fn output_is_collected_and_failures_name_the_command_only() {
        let out = output(sh("printf key; printf note >&2").stderr(Stderr::Capture)).unwrap();
        assert!(out.status.success());
        assert_eq!(out.stdout.as_slice(), b"key");
        assert_eq!(out.stderr, b"note");
        let e = output(sh("echo CANARY-proc; exit 3"))
            .unwrap()
            .success("`sh`")
            .err()
            .unwrap();
        assert_eq!(e.to_string(), "`sh` failed (exit status: 3)");
        let e = output(Spec::new("`nope`", "/nonexistent/secretgen-test"))
            .err()
            .unwrap();
        assert!(e.to_string().starts_with("cannot run `nope`: "), "{e}");
    }

    /// Exactly the limit passes; one byte more stops the process.
    #[test]
    fn stdout_is_bounded() {
        let exact = format!("head -c {MAX_STDOUT} /dev/zero");
        assert_eq!(output(sh(&exact)).unwrap().stdout.len(), MAX_STDOUT);
        let over = format!("head -c {} /dev/zero", MAX_STDOUT + 1);
        let e = output(sh(&over)).err().unwrap();
        assert_eq!(
            e,
            ProcessError::TooMuchOutput {
                what: "`sh`".into()
            }
        );
    }
}
