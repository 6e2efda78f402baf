//! The one reader of files and stdin. Every byte secretgen reads from a user-named file or
//! from stdin comes through here, under three rules:
//!
//! - **What may be read depends on where the path came from** ([`Origin`]). A path found
//!   inside an input (a manifest, a kustomization, a KSOPS config, a generator's source, a
//!   resource, a tree walk) or named by an environment variable must be a regular file: a
//!   FIFO would block, a device never end. A path typed on the command line may also be a
//!   pipe or `/dev/stdin`, as kubectl and age allow (`-i <(pass show key)`), but never a
//!   device. A FIFO is refused before it is opened (opening one blocks), and the opened
//!   file is checked again, in case it was swapped meanwhile.
//! - **Every read is capped**: by the purpose's own limit, and by the run's limit
//!   ([`Limits::max_bytes`], 64 MiB unless `SECRETGEN_MAX_INPUT_BYTES` says otherwise).
//! - **Every read of a pipe or stdin is bounded in time**: one that makes no progress for
//!   the run's process timeout (30 s unless `--process-timeout` or
//!   `SECRETGEN_PROCESS_TIMEOUT` says otherwise, 0 for none) ends with an error. A terminal on stdin has a user at it and is not timed.
//!
//! Bytes read are held in [`Zeroizing`] buffers, grown by copy so that no stale copy is
//! left in freed memory.

// The one module that reads files and stdin itself (clippy.toml disallows it elsewhere).
#![allow(clippy::disallowed_methods)]

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::fs::{File, FileType, Metadata};
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::sync::{RwLock, mpsc};
use std::time::Duration;

use zeroize::Zeroizing;

use crate::place::{io_reason, shown_path};

/// Where a path came from, which decides what it may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Found inside an input or named by an environment variable: a regular file only.
    Input,
    /// Typed on the command line: a regular file, a pipe or FIFO, `/dev/stdin`; never a
    /// device.
    Argument,
}

/// The limits of one run. (How long a pipe or stdin may stay silent is the process
/// runner's timeout, [`crate::gate::process::run_timeout`]: one setting, one parser.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The most bytes read from any one file or stream.
    pub max_bytes: u64,
}

/// The run's limit on one input unless `SECRETGEN_MAX_INPUT_BYTES` says otherwise.
pub const DEFAULT_MAX_INPUT_BYTES: u64 = 64 << 20;
/// The environment variable that sets [`Limits::max_bytes`].
pub const MAX_INPUT_ENV: &str = "SECRETGEN_MAX_INPUT_BYTES";
/// A cap for reads that have no lower limit of their own than the run's.
pub const ANY_SIZE: u64 = u64::MAX;

/// How long a pipe, a FIFO or stdin may send nothing: the run's process timeout
/// (`--process-timeout`, `SECRETGEN_PROCESS_TIMEOUT`; none when 0).
fn silence_limit() -> Option<Duration> {
    crate::gate::process::run_timeout().limit()
}

fn max_bytes_from_env() -> Result<u64, String> {
    // Empty counts as unset, as for every other variable secretgen reads.
    match std::env::var(MAX_INPUT_ENV).ok().filter(|v| !v.is_empty()) {
        None => Ok(DEFAULT_MAX_INPUT_BYTES),
        Some(v) => match v.trim().parse::<u64>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(format!(
                "{MAX_INPUT_ENV}=`{v}` is not a number of bytes (a whole number above 0; {DEFAULT_MAX_INPUT_BYTES} when unset)"
            )),
        },
    }
}

impl Limits {
    /// The limits the environment sets: defaults where it sets none; an error naming the
    /// variable where a value is not valid.
    pub fn from_env() -> Result<Limits, String> {
        Ok(Limits {
            max_bytes: max_bytes_from_env()?,
        })
    }
}

/// The run's limits once known: set by [`install_from_env`] at the start of a run, and
/// again by [`set_limits`] once the command line has been read (`--process-timeout`).
static LIMITS: RwLock<Option<Limits>> = RwLock::new(None);

/// The run's limits: those last given to [`set_limits`] (or [`install_from_env`]), else
/// read from the environment, defaults standing in for values that are not valid.
pub fn limits() -> Limits {
    if let Some(l) = *LIMITS.read().unwrap_or_else(|e| e.into_inner()) {
        return l;
    }
    let l = Limits {
        max_bytes: max_bytes_from_env().unwrap_or(DEFAULT_MAX_INPUT_BYTES),
    };
    set_limits(l);
    l
}

/// Reads the limits from the environment at the start of a run, refusing a value that is
/// not valid rather than ignoring it.
pub fn install_from_env() -> Result<Limits, String> {
    let l = Limits::from_env()?;
    set_limits(l);
    Ok(l)
}

/// Sets the run's limits (from the session's settings): every read from now on is held to
/// them.
pub fn set_limits(limits: Limits) {
    *LIMITS.write().unwrap_or_else(|e| e.into_inner()) = Some(limits);
}

/// What a path is, when it is not a regular file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Directory,
    Fifo,
    Socket,
    Device,
    Other,
}

impl Kind {
    fn of(t: FileType) -> Kind {
        use std::os::unix::fs::FileTypeExt;
        if t.is_dir() {
            Kind::Directory
        } else if t.is_fifo() {
            Kind::Fifo
        } else if t.is_socket() {
            Kind::Socket
        } else if t.is_char_device() || t.is_block_device() {
            Kind::Device
        } else {
            Kind::Other
        }
    }

    /// "a FIFO", "a device"...: what a message says the path is.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Directory => "a directory",
            Kind::Fifo => "a FIFO",
            Kind::Socket => "a socket",
            Kind::Device => "a device",
            Kind::Other => "something other than a file",
        }
    }
}

/// Why a read failed.
#[derive(Debug)]
pub enum ReadFailure {
    /// Not something this origin may read: a FIFO, socket, device or directory where a
    /// regular file is required, or a device (or directory) named on the command line.
    NotRegular(Kind),
    /// Larger than the limit: `size` is the size on disk when `exact`, else the bytes read
    /// before the read stopped. `settable` when the run's limit (not the purpose's) applied.
    TooLarge {
        size: u64,
        limit: u64,
        exact: bool,
        settable: bool,
    },
    /// A pipe, FIFO or stdin that sent nothing for this long.
    TimedOut(Duration),
    Io(std::io::Error),
}

impl ReadFailure {
    /// The message for a source (a generator's `files` or `envs` entry) shown as `shown`.
    pub fn describe(&self, shown: &str) -> String {
        match self {
            ReadFailure::NotRegular(_) => format!(
                "`{shown}` is not a regular file (a FIFO, socket or device cannot be a source)"
            ),
            ReadFailure::TooLarge {
                settable: false,
                exact: true,
                size,
                ..
            } => format!(
                "`{shown}` is {size} bytes; a Secret holds at most 1 MiB (1048576 bytes) of data"
            ),
            ReadFailure::TooLarge {
                settable: false,
                limit,
                ..
            } => format!(
                "`{shown}` is more than {limit} bytes; a Secret holds at most 1 MiB (1048576 bytes) of data"
            ),
            ReadFailure::Io(e) => format!("cannot read `{shown}`: {}", io_reason(e)),
            other => format!("`{shown}` {other}"),
        }
    }
}

impl fmt::Display for ReadFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadFailure::NotRegular(Kind::Directory) => f.write_str("is a directory, not a file"),
            ReadFailure::NotRegular(Kind::Device) => f.write_str(
                "is a device; secretgen never reads one (a device like /dev/zero never ends)",
            ),
            ReadFailure::NotRegular(kind) => write!(
                f,
                "is {}, not a regular file; a file named inside an input or by an environment variable must be a regular file (a FIFO would block)",
                kind.name()
            ),
            ReadFailure::TooLarge {
                size,
                limit,
                exact,
                settable,
            } => {
                if *exact {
                    write!(f, "is {size} bytes, over the limit of {limit} bytes")?;
                } else {
                    write!(f, "is more than {limit} bytes, the limit")?;
                }
                if *settable {
                    write!(f, " on one input ({MAX_INPUT_ENV} sets it)")
                } else {
                    f.write_str(" for this input")
                }
            }
            ReadFailure::TimedOut(d) => write!(
                f,
                "sent nothing for {} s; the read was abandoned (--process-timeout SECONDS or {} sets the time, 0 for none)",
                d.as_secs(),
                crate::gate::process::TIMEOUT_VAR
            ),
            ReadFailure::Io(e) => write!(f, "cannot be read: {}", io_reason(e)),
        }
    }
}

/// A read that failed, with the file (or `stdin`) it was of.
#[derive(Debug)]
pub struct ReadError {
    pub path: PathBuf,
    pub failure: ReadFailure,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", shown_path(&self.path), self.failure)
    }
}

impl std::error::Error for ReadError {}

impl ReadError {
    /// The same error with its path shown through `view`.
    pub(crate) fn relabel(self, view: &dyn crate::place::PathView) -> Self {
        ReadError {
            path: view.show(&self.path),
            failure: self.failure,
        }
    }
}

impl ReadFailure {
    fn of(self, path: &Path) -> ReadError {
        ReadError {
            path: path.to_path_buf(),
            failure: self,
        }
    }
}

/// The cap in force for a purpose's own limit `cap`: the lower of it and the run's.
fn effective(cap: u64) -> (u64, bool) {
    let run = limits().max_bytes;
    if run < cap { (run, true) } else { (cap, false) }
}

/// Reads the file at `path`, as its origin allows, of at most `cap` bytes (and at most the
/// run's limit).
pub fn file(path: &Path, origin: Origin, cap: u64) -> Result<Zeroizing<Vec<u8>>, ReadError> {
    let meta = std::fs::metadata(path).map_err(|e| ReadFailure::Io(e).of(path))?;
    match origin {
        Origin::Argument if !meta.is_file() => {
            let kind = Kind::of(meta.file_type());
            if kind != Kind::Fifo {
                return Err(ReadFailure::NotRegular(kind).of(path));
            }
            let (limit, settable) = effective(cap);
            let owned = path.to_path_buf();
            let open = move || -> Result<File, ReadFailure> {
                let f = File::open(&owned).map_err(ReadFailure::Io)?;
                let meta = f.metadata().map_err(ReadFailure::Io)?;
                let kind = Kind::of(meta.file_type());
                if meta.is_file() || kind == Kind::Fifo {
                    Ok(f)
                } else {
                    Err(ReadFailure::NotRegular(kind))
                }
            };
            stream(open, limit, settable, silence_limit()).map_err(|f| f.of(path))
        }
        _ => file_with(path, &meta, cap).map_err(|f| f.of(path)),
    }
}

/// [`file`] of a path found inside an input whose metadata (symlinks followed) the caller
/// has already: a regular file only, refused from `meta` before it is opened.
pub fn file_with(
    path: &Path,
    meta: &Metadata,
    cap: u64,
) -> Result<Zeroizing<Vec<u8>>, ReadFailure> {
    if !meta.is_file() {
        return Err(ReadFailure::NotRegular(Kind::of(meta.file_type())));
    }
    let (limit, settable) = effective(cap);
    if meta.len() > limit {
        return Err(ReadFailure::TooLarge {
            size: meta.len(),
            limit,
            exact: true,
            settable,
        });
    }
    let (file, opened) = open_regular(path)?;
    opened_file(file, &opened, cap)
}

/// Opens `path` for reading where its last component is not a symbolic link, without
/// blocking (a FIFO) and without taking a terminal: the file and its own metadata. `None`
/// where it cannot be opened so: the caller then looks at the path ([`file_with`]), which
/// says what is wrong with it. For paths whose directory the caller has judged already.
pub fn open_unless_link(path: &Path) -> Option<(File, Metadata)> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(O_NONBLOCK | libc::O_NOFOLLOW | libc::O_NOCTTY)
        .open(path)
        .ok()?;
    let meta = file.metadata().ok()?;
    Some((file, meta))
}

/// Reads a file opened by [`open_unless_link`] (or [`file_with`]), of at most `cap` bytes (and
/// at most the run's limit): a regular file only, its size judged before it is read.
pub fn opened_file(
    mut file: File,
    meta: &Metadata,
    cap: u64,
) -> Result<Zeroizing<Vec<u8>>, ReadFailure> {
    if !meta.is_file() {
        return Err(ReadFailure::NotRegular(Kind::of(meta.file_type())));
    }
    let (limit, settable) = effective(cap);
    let too_large = |size: u64, exact: bool| ReadFailure::TooLarge {
        size,
        limit,
        exact,
        settable,
    };
    // The size the opened file has now.
    let size = meta.len();
    if size > limit {
        return Err(too_large(size, true));
    }
    let mut buf = Zeroizing::new(Vec::with_capacity(size as usize + 1));
    read_sized(&mut file, &mut buf, limit, size).map_err(ReadFailure::Io)?;
    if buf.len() as u64 > limit {
        return Err(too_large(buf.len() as u64, false));
    }
    Ok(buf)
}

/// Opens a file that must be regular without blocking should it have become a FIFO since
/// it was looked at, and checks the opened file itself.
fn open_regular(path: &Path) -> Result<(File, Metadata), ReadFailure> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(O_NONBLOCK)
        .open(path)
        .map_err(ReadFailure::Io)?;
    let meta = file.metadata().map_err(ReadFailure::Io)?;
    if !meta.is_file() {
        return Err(ReadFailure::NotRegular(Kind::of(meta.file_type())));
    }
    Ok((file, meta))
}

#[cfg(any(target_os = "linux", target_os = "android"))]
const O_NONBLOCK: i32 = 0o4000;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const O_NONBLOCK: i32 = 0x0004;

/// The first bytes (at most `n`) of a regular file, for a quick look at what it is; `None`
/// for anything else or a failed read.
pub fn head(path: &Path, n: usize) -> Option<Zeroizing<Vec<u8>>> {
    if n == 0 {
        return Some(Zeroizing::new(Vec::new()));
    }
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() {
        return None;
    }
    let (mut file, _) = open_regular(path).ok()?;
    let mut buf = Zeroizing::new(Vec::with_capacity(n));
    read_capped(&mut file, &mut buf, n as u64 - 1).ok()?;
    buf.truncate(n);
    Some(buf)
}

/// Reads `r` (bytes in memory being decoded, say) to its end, of at most `cap` bytes (and
/// at most the run's limit), into a buffer that leaves no copy behind as it grows.
pub fn all(mut r: impl Read, cap: u64) -> Result<Zeroizing<Vec<u8>>, ReadFailure> {
    let (limit, settable) = effective(cap);
    let mut buf = Zeroizing::new(Vec::new());
    read_capped(&mut r, &mut buf, limit).map_err(ReadFailure::Io)?;
    if buf.len() as u64 > limit {
        return Err(ReadFailure::TooLarge {
            size: buf.len() as u64,
            limit,
            exact: false,
            settable,
        });
    }
    Ok(buf)
}

/// Reads stdin whole, of at most `cap` bytes (and at most the run's limit), shown as
/// `stdin` in errors. A pipe that sends nothing for the run's timeout ends the read; a
/// terminal is not timed.
pub fn stdin(cap: u64) -> Result<Zeroizing<Vec<u8>>, ReadError> {
    let (limit, settable) = effective(cap);
    let timeout = if std::io::stdin().is_terminal() {
        None
    } else {
        silence_limit()
    };
    stream(
        || Ok::<_, ReadFailure>(std::io::stdin()),
        limit,
        settable,
        timeout,
    )
    .map_err(|f| f.of(Path::new("stdin")))
}

/// [`stdin`] as UTF-8 text; `what` names the text for the error ("a ResourceList").
pub fn stdin_text(cap: u64, what: &str) -> Result<Zeroizing<String>, ReadError> {
    let bytes = stdin(cap)?;
    utf8(bytes).map_err(|at| {
        ReadFailure::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{what} must be UTF-8 text; byte {at} is not"),
        ))
        .of(Path::new("stdin"))
    })
}

/// Bytes as a string, without a copy left behind; the error is the offset of the first
/// byte that is not UTF-8.
pub fn utf8(mut bytes: Zeroizing<Vec<u8>>) -> Result<Zeroizing<String>, usize> {
    match std::str::from_utf8(&bytes) {
        Ok(_) => {}
        Err(e) => return Err(e.valid_up_to()),
    }
    match String::from_utf8(std::mem::take(&mut *bytes)) {
        Ok(s) => Ok(Zeroizing::new(s)),
        Err(e) => Err(Zeroizing::new(e.into_bytes()).len()),
    }
}

/// [`read_capped`] of a regular file whose size is known: one read asks for a byte more than
/// the size, and getting exactly the size back is the end (a regular file reads short only
/// there), which saves the read that would return nothing. Anything else reads on as usual.
fn read_sized(
    file: &mut File,
    buf: &mut Zeroizing<Vec<u8>>,
    limit: u64,
    size: u64,
) -> std::io::Result<()> {
    if size < limit && buf.is_empty() && buf.capacity() as u64 > size {
        let want = size as usize + 1;
        buf.resize(want, 0);
        match file.read(&mut buf[..]) {
            Ok(n) => {
                buf.truncate(n);
                if n as u64 == size {
                    return Ok(());
                }
            }
            Err(e) => {
                buf.truncate(0);
                if e.kind() != std::io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
        }
    }
    read_capped(file, buf, limit)
}

/// Reads from `r` into `buf` until the end or until more than `limit` bytes are in it,
/// growing `buf` by copy (the old buffer is zeroed as it is dropped).
fn read_capped(r: &mut impl Read, buf: &mut Zeroizing<Vec<u8>>, limit: u64) -> std::io::Result<()> {
    const CHUNK: usize = 64 << 10;
    loop {
        if buf.len() as u64 > limit {
            return Ok(());
        }
        // One byte past the limit is read, to tell "at the limit" from "over it".
        let room = limit.saturating_add(1).saturating_sub(buf.len() as u64);
        // Into the room already there first (a regular file's buffer is sized to the file,
        // so a small file costs no 64 KiB of zeroes); a chunk more only once it is full.
        let spare = (buf.capacity() - buf.len()) as u64;
        let want = room.min(if spare > 0 { spare } else { CHUNK as u64 }) as usize;
        reserve(buf, want);
        let at = buf.len();
        buf.resize(at + want, 0);
        match r.read(&mut buf[at..]) {
            Ok(n) => {
                buf.truncate(at + n);
                if n == 0 {
                    return Ok(());
                }
            }
            Err(e) => {
                buf.truncate(at);
                if e.kind() != std::io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
        }
    }
}

/// Room for `more` bytes in `buf`, moved to a larger buffer rather than reallocated in
/// place, so that the bytes are never left in freed memory.
fn reserve(buf: &mut Zeroizing<Vec<u8>>, more: usize) {
    if buf.capacity() - buf.len() >= more {
        return;
    }
    let cap = (buf.capacity() * 2).max(buf.len() + more).max(4096);
    let mut grown = Zeroizing::new(Vec::with_capacity(cap));
    grown.extend_from_slice(buf);
    *buf = grown;
}

/// One message of a stream's reader thread: a chunk read, the end, or why it failed.
type Chunk = Result<Option<Zeroizing<Vec<u8>>>, ReadFailure>;

/// Reads what `open` opens on a thread of its own, so that a pipe that never sends (or a
/// FIFO that never gets a writer) ends the read after `timeout` without progress. The
/// thread is left blocked then; the run ends with the error.
fn stream<R, F>(
    open: F,
    limit: u64,
    settable: bool,
    timeout: Option<Duration>,
) -> Result<Zeroizing<Vec<u8>>, ReadFailure>
where
    R: Read,
    F: FnOnce() -> Result<R, ReadFailure> + Send + 'static,
{
    let (tx, rx) = mpsc::sync_channel::<Chunk>(2);
    std::thread::spawn(move || {
        let mut r = match open() {
            Ok(r) => r,
            Err(f) => {
                let _ = tx.send(Err(f));
                return;
            }
        };
        loop {
            let mut chunk = Zeroizing::new(Vec::with_capacity(64 << 10));
            match read_capped(&mut r, &mut chunk, (64 << 10) - 1) {
                Ok(()) if chunk.is_empty() => {
                    let _ = tx.send(Ok(None));
                    return;
                }
                Ok(()) => {
                    if tx.send(Ok(Some(chunk))).is_err() {
                        return;
                    }
                }
                Err(e) => {
                    let _ = tx.send(Err(ReadFailure::Io(e)));
                    return;
                }
            }
        }
    });
    let mut buf = Zeroizing::new(Vec::new());
    loop {
        let next = match timeout {
            Some(t) => rx.recv_timeout(t).map_err(|e| match e {
                mpsc::RecvTimeoutError::Timeout => ReadFailure::TimedOut(t),
                mpsc::RecvTimeoutError::Disconnected => disconnected(),
            })?,
            None => rx.recv().map_err(|_| disconnected())?,
        };
        let Some(chunk) = next? else {
            return Ok(buf);
        };
        reserve(&mut buf, chunk.len());
        buf.extend_from_slice(&chunk);
        if buf.len() as u64 > limit {
            return Err(ReadFailure::TooLarge {
                size: buf.len() as u64,
                limit,
                exact: false,
                settable,
            });
        }
    }
}

fn disconnected() -> ReadFailure {
    ReadFailure::Io(std::io::Error::other("the reading thread stopped"))
}

/// `kubectl create secret generic --from-file=DIR`: the names of a directory's regular
/// files in name order, dotfiles included, sub-directories and symlinks skipped. Read each
/// with [`dir_file`].
pub fn dir_files(dir: &Path) -> std::io::Result<Vec<OsString>> {
    let mut names = Vec::new();
    for item in std::fs::read_dir(dir)? {
        let item = item?;
        if item.file_type()?.is_file() {
            names.push(item.file_name());
        }
    }
    names.sort();
    Ok(names)
}

/// One file of [`dir_files`], read as [`file_with`] reads (it may have been replaced by
/// something else since it was listed).
pub fn dir_file(dir: &Path, name: &OsStr, cap: u64) -> Result<Zeroizing<Vec<u8>>, ReadFailure> {
    let path = dir.join(name);
    let meta = std::fs::metadata(&path).map_err(ReadFailure::Io)?;
    file_with(&path, &meta, cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_regular_files_within_the_cap() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("f");
        std::fs::write(&p, vec![7u8; 200_000]).unwrap();
        assert_eq!(file(&p, Origin::Input, 200_000).unwrap().len(), 200_000);
        let e = file(&p, Origin::Argument, 199_999).unwrap_err();
        assert!(matches!(
            e.failure,
            ReadFailure::TooLarge {
                size: 200_000,
                exact: true,
                ..
            }
        ));
        assert_eq!(head(&p, 4).unwrap().as_slice(), &[7, 7, 7, 7]);
    }

    #[test]
    fn the_largest_limit_does_not_overflow() {
        let got = all(&b"abc"[..], u64::MAX).unwrap();
        assert_eq!(got.as_slice(), b"abc");
        let mut buf = Zeroizing::new(Vec::new());
        read_capped(&mut &b"abcdef"[..], &mut buf, u64::MAX).unwrap();
        assert_eq!(buf.as_slice(), b"abcdef");
    }

    #[test]
    fn devices_and_directories_are_never_read() {
        for origin in [Origin::Input, Origin::Argument] {
            let e = file(Path::new("/dev/zero"), origin, ANY_SIZE).unwrap_err();
            assert!(matches!(e.failure, ReadFailure::NotRegular(Kind::Device)));
            let e = file(Path::new("/"), origin, ANY_SIZE).unwrap_err();
            assert!(matches!(
                e.failure,
                ReadFailure::NotRegular(Kind::Directory)
            ));
        }
        assert!(head(Path::new("/dev/zero"), 4).is_none());
    }

    /// A file swapped for a FIFO between its check and its opening: the opening does not
    /// block (no writer ever comes), and the opened file is refused.
    #[test]
    fn a_fifo_met_at_opening_is_refused_without_blocking() {
        let t = tempfile::tempdir().unwrap();
        let fifo = t.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(open_regular(&fifo).map(|_| ()));
        });
        let got = rx
            .recv_timeout(Duration::from_secs(5))
            .expect("opening a FIFO blocked");
        assert!(matches!(got, Err(ReadFailure::NotRegular(Kind::Fifo))));
    }

    #[test]
    fn a_stream_is_capped_and_timed() {
        let e = stream(
            || Ok::<_, ReadFailure>(std::io::repeat(1)),
            1000,
            false,
            None,
        )
        .unwrap_err();
        assert!(matches!(e, ReadFailure::TooLarge { limit: 1000, .. }));
        struct Silent;
        impl Read for Silent {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                std::thread::sleep(Duration::from_secs(5));
                Ok(0)
            }
        }
        let t = std::time::Instant::now();
        let e = stream(
            || Ok::<_, ReadFailure>(Silent),
            1000,
            false,
            Some(Duration::from_millis(100)),
        )
        .unwrap_err();
        assert!(matches!(e, ReadFailure::TimedOut(_)));
        assert!(t.elapsed() < Duration::from_secs(2));
        let got = stream(
            || Ok::<_, ReadFailure>(&b"abc"[..]),
            3,
            false,
            Some(Duration::from_secs(5)),
        )
        .unwrap();
        assert_eq!(got.as_slice(), b"abc");
    }
}
