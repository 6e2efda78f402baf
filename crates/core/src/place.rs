//! Places in inputs and how they are shown: the bottom every layer's errors are built on.
//!
//! A [`Loc`] (a file, with line and column where the input is YAML), an [`IoError`] (a
//! path, what was being done, the system's reason), and the helpers that turn paths and I/O
//! reasons into words. Nothing here knows a layer above it; `error` re-exports it all.

use std::fmt;
use std::path::{Path, PathBuf};

use goyaml::Mark;

/// A place in an input: a file, and a line and column where there is one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loc {
    pub(crate) file: PathBuf,
    pub(crate) mark: Option<Mark>,
}

impl Loc {
    pub fn file(file: impl Into<PathBuf>) -> Self {
        Loc {
            file: file.into(),
            mark: None,
        }
    }

    pub(crate) fn at(file: impl Into<PathBuf>, mark: Mark) -> Self {
        Loc {
            file: file.into(),
            mark: Some(mark),
        }
    }
}

impl Loc {
    /// The same place with its file shown through `view`.
    pub(crate) fn relabel(self, view: &dyn PathView) -> Loc {
        Loc {
            file: view.show(&self.file),
            mark: self.mark,
        }
    }
}

/// How the paths an error holds are shown when it is printed: a working tree's path as it
/// is, a file of a revision's extracted tree as the repository names it (`REV:path`).
/// Errors hold paths, never paths inside their words, so relabelling rewrites paths only.
pub trait PathView {
    /// The path to print for `path`.
    fn show(&self, path: &Path) -> PathBuf;
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&shown_path(&self.file))?;
        if let Some(m) = self.mark {
            write!(f, ":{}:{}", m.line, m.col)?;
        }
        Ok(())
    }
}

/// Reading, writing or listing a path failed: the path, what was being done, and the
/// system's reason (shown without Rust's "(os error N)" suffix).
#[derive(Debug, thiserror::Error)]
#[error("{}: {action}: {}", shown_path(path), io_reason(source))]
pub struct IoError {
    pub(crate) path: PathBuf,
    pub(crate) action: &'static str,
    #[source]
    pub(crate) source: std::io::Error,
}

impl IoError {
    pub fn new(path: &Path, action: &'static str, source: std::io::Error) -> Self {
        IoError {
            path: path.to_path_buf(),
            action,
            source,
        }
    }

    /// The same error with its path shown through `view`.
    pub(crate) fn relabel(self, view: &dyn PathView) -> IoError {
        IoError {
            path: view.show(&self.path),
            ..self
        }
    }

    /// The kind of the system's error (a closed pipe, a missing file).
    pub fn kind(&self) -> std::io::ErrorKind {
        self.source.kind()
    }
}

/// A path for a message: control and invisible characters (a NUL, a newline, a BOM in a
/// file name) escaped, so that a message stays one line and shows what is there.
pub(crate) fn shown_path(p: &Path) -> String {
    goyaml::printable(&p.to_string_lossy()).into_owned()
}

/// A whole message for a terminal or a log: every control character escaped but the line
/// breaks between messages, the last guard against a raw byte from an input.
pub fn escape_controls(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(|c| c.is_control() && c != '\n') {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push('\n'),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:04x}}}", c as u32)),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// An I/O error's reason without Rust's "(os error N)" suffix. A system error's reason is
/// the same whichever C library the binary links (see [`os_reason`]).
pub fn io_reason(e: &std::io::Error) -> String {
    match e.raw_os_error().and_then(os_reason) {
        Some(reason) => reason.to_string(),
        None => io_reason_of_std(e),
    }
}

/// std's words for an I/O error, without its "(os error N)" suffix.
fn io_reason_of_std(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// The reason for a Linux error number, in glibc's words (`strerror`). std takes the words
/// from the C library the binary links, and musl's differ from glibc's ("Symbolic link
/// loop" for "Too many levels of symbolic links"): the static build links musl, the others
/// glibc, and a message must not change with the build. Numbers without an entry keep the C
/// library's words.
fn os_reason(code: i32) -> Option<&'static str> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    Some(match code {
        1 => "Operation not permitted",                            // EPERM
        2 => "No such file or directory",                          // ENOENT
        3 => "No such process",                                    // ESRCH
        4 => "Interrupted system call",                            // EINTR
        5 => "Input/output error",                                 // EIO
        6 => "No such device or address",                          // ENXIO
        7 => "Argument list too long",                             // E2BIG
        8 => "Exec format error",                                  // ENOEXEC
        9 => "Bad file descriptor",                                // EBADF
        10 => "No child processes",                                // ECHILD
        11 => "Resource temporarily unavailable",                  // EAGAIN
        12 => "Cannot allocate memory",                            // ENOMEM
        13 => "Permission denied",                                 // EACCES
        14 => "Bad address",                                       // EFAULT
        15 => "Block device required",                             // ENOTBLK
        16 => "Device or resource busy",                           // EBUSY
        17 => "File exists",                                       // EEXIST
        18 => "Invalid cross-device link",                         // EXDEV
        19 => "No such device",                                    // ENODEV
        20 => "Not a directory",                                   // ENOTDIR
        21 => "Is a directory",                                    // EISDIR
        22 => "Invalid argument",                                  // EINVAL
        23 => "Too many open files in system",                     // ENFILE
        24 => "Too many open files",                               // EMFILE
        25 => "Inappropriate ioctl for device",                    // ENOTTY
        26 => "Text file busy",                                    // ETXTBSY
        27 => "File too large",                                    // EFBIG
        28 => "No space left on device",                           // ENOSPC
        29 => "Illegal seek",                                      // ESPIPE
        30 => "Read-only file system",                             // EROFS
        31 => "Too many links",                                    // EMLINK
        32 => "Broken pipe",                                       // EPIPE
        33 => "Numerical argument out of domain",                  // EDOM
        34 => "Numerical result out of range",                     // ERANGE
        35 => "Resource deadlock avoided",                         // EDEADLOCK
        36 => "File name too long",                                // ENAMETOOLONG
        37 => "No locks available",                                // ENOLCK
        38 => "Function not implemented",                          // ENOSYS
        39 => "Directory not empty",                               // ENOTEMPTY
        40 => "Too many levels of symbolic links",                 // ELOOP
        42 => "No message of desired type",                        // ENOMSG
        43 => "Identifier removed",                                // EIDRM
        44 => "Channel number out of range",                       // ECHRNG
        45 => "Level 2 not synchronized",                          // EL2NSYNC
        46 => "Level 3 halted",                                    // EL3HLT
        47 => "Level 3 reset",                                     // EL3RST
        48 => "Link number out of range",                          // ELNRNG
        49 => "Protocol driver not attached",                      // EUNATCH
        50 => "No CSI structure available",                        // ENOCSI
        51 => "Level 2 halted",                                    // EL2HLT
        52 => "Invalid exchange",                                  // EBADE
        53 => "Invalid request descriptor",                        // EBADR
        54 => "Exchange full",                                     // EXFULL
        55 => "No anode",                                          // ENOANO
        56 => "Invalid request code",                              // EBADRQC
        57 => "Invalid slot",                                      // EBADSLT
        59 => "Bad font file format",                              // EBFONT
        60 => "Device not a stream",                               // ENOSTR
        61 => "No data available",                                 // ENODATA
        62 => "Timer expired",                                     // ETIME
        63 => "Out of streams resources",                          // ENOSR
        64 => "Machine is not on the network",                     // ENONET
        65 => "Package not installed",                             // ENOPKG
        66 => "Object is remote",                                  // EREMOTE
        67 => "Link has been severed",                             // ENOLINK
        68 => "Advertise error",                                   // EADV
        69 => "Srmount error",                                     // ESRMNT
        70 => "Communication error on send",                       // ECOMM
        71 => "Protocol error",                                    // EPROTO
        72 => "Multihop attempted",                                // EMULTIHOP
        73 => "RFS specific error",                                // EDOTDOT
        74 => "Bad message",                                       // EBADMSG
        75 => "Value too large for defined data type",             // EOVERFLOW
        76 => "Name not unique on network",                        // ENOTUNIQ
        77 => "File descriptor in bad state",                      // EBADFD
        78 => "Remote address changed",                            // EREMCHG
        79 => "Can not access a needed shared library",            // ELIBACC
        80 => "Accessing a corrupted shared library",              // ELIBBAD
        81 => ".lib section in a.out corrupted",                   // ELIBSCN
        82 => "Attempting to link in too many shared libraries",   // ELIBMAX
        83 => "Cannot exec a shared library directly",             // ELIBEXEC
        84 => "Invalid or incomplete multibyte or wide character", // EILSEQ
        85 => "Interrupted system call should be restarted",       // ERESTART
        86 => "Streams pipe error",                                // ESTRPIPE
        87 => "Too many users",                                    // EUSERS
        88 => "Socket operation on non-socket",                    // ENOTSOCK
        89 => "Destination address required",                      // EDESTADDRREQ
        90 => "Message too long",                                  // EMSGSIZE
        91 => "Protocol wrong type for socket",                    // EPROTOTYPE
        92 => "Protocol not available",                            // ENOPROTOOPT
        93 => "Protocol not supported",                            // EPROTONOSUPPORT
        94 => "Socket type not supported",                         // ESOCKTNOSUPPORT
        95 => "Operation not supported",                           // ENOTSUP
        96 => "Protocol family not supported",                     // EPFNOSUPPORT
        97 => "Address family not supported by protocol",          // EAFNOSUPPORT
        98 => "Address already in use",                            // EADDRINUSE
        99 => "Cannot assign requested address",                   // EADDRNOTAVAIL
        100 => "Network is down",                                  // ENETDOWN
        101 => "Network is unreachable",                           // ENETUNREACH
        102 => "Network dropped connection on reset",              // ENETRESET
        103 => "Software caused connection abort",                 // ECONNABORTED
        104 => "Connection reset by peer",                         // ECONNRESET
        105 => "No buffer space available",                        // ENOBUFS
        106 => "Transport endpoint is already connected",          // EISCONN
        107 => "Transport endpoint is not connected",              // ENOTCONN
        108 => "Cannot send after transport endpoint shutdown",    // ESHUTDOWN
        109 => "Too many references: cannot splice",               // ETOOMANYREFS
        110 => "Connection timed out",                             // ETIMEDOUT
        111 => "Connection refused",                               // ECONNREFUSED
        112 => "Host is down",                                     // EHOSTDOWN
        113 => "No route to host",                                 // EHOSTUNREACH
        114 => "Operation already in progress",                    // EALREADY
        115 => "Operation now in progress",                        // EINPROGRESS
        116 => "Stale file handle",                                // ESTALE
        117 => "Structure needs cleaning",                         // EUCLEAN
        118 => "Not a XENIX named type file",                      // ENOTNAM
        119 => "No XENIX semaphores available",                    // ENAVAIL
        120 => "Is a named type file",                             // EISNAM
        121 => "Remote I/O error",                                 // EREMOTEIO
        122 => "Disk quota exceeded",                              // EDQUOT
        123 => "No medium found",                                  // ENOMEDIUM
        124 => "Wrong medium type",                                // EMEDIUMTYPE
        125 => "Operation canceled",                               // ECANCELED
        126 => "Required key not available",                       // ENOKEY
        127 => "Key has expired",                                  // EKEYEXPIRED
        128 => "Key has been revoked",                             // EKEYREVOKED
        129 => "Key was rejected by service",                      // EKEYREJECTED
        130 => "Owner died",                                       // EOWNERDEAD
        131 => "State not recoverable",                            // ENOTRECOVERABLE
        132 => "Operation not possible due to RF-kill",            // ERFKILL
        133 => "Memory page has hardware error",                   // ?
        _ => return None,
    })
}

/// The closest candidate to `word` by edit distance, if close enough to be a likely typo.
pub(crate) fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (edit_distance(word, c), *c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// A warning: printed on stderr, never fails a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    pub(crate) loc: Loc,
    pub(crate) message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.loc, self.message)
    }
}

/// For tests: shows the files under `tmp/` as `REV:`, as `diff --base` shows a revision's.
#[cfg(test)]
pub(crate) struct TestRev;

#[cfg(test)]
impl PathView for TestRev {
    fn show(&self, path: &Path) -> PathBuf {
        match path.strip_prefix("tmp") {
            Ok(rel) => PathBuf::from(format!("REV:{}", rel.display())),
            Err(_) => path.to_path_buf(),
        }
    }
}

#[cfg(test)]
mod tests {
    /// The table is glibc's `strerror`, number by number (std takes its words from the C
    /// library, glibc in this build), and it covers every number glibc names up to 133.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn os_reasons_are_glibcs_words() {
        let mut named = 0;
        for code in 1..=133 {
            let std_words = super::io_reason_of_std(&std::io::Error::from_raw_os_error(code));
            if std_words.starts_with("Unknown error") {
                assert_eq!(super::os_reason(code), None, "{code}");
                continue;
            }
            assert_eq!(super::os_reason(code), Some(std_words.as_str()), "{code}");
            named += 1;
        }
        assert_eq!(named, 131);
    }

    /// The words do not depend on the C library: musl's for ELOOP are "Symbolic link loop".
    #[cfg(target_os = "linux")]
    #[test]
    fn an_os_reason_is_the_same_in_every_build() {
        let e = std::io::Error::from_raw_os_error(40);
        assert_eq!(super::io_reason(&e), "Too many levels of symbolic links");
        let e = std::io::Error::from_raw_os_error(2);
        assert_eq!(super::io_reason(&e), "No such file or directory");
        let e = std::io::Error::other("not a system error");
        assert_eq!(super::io_reason(&e), "not a system error");
    }

    use super::*;

    #[test]
    fn io_error_names_path_and_action_without_os_code() {
        let e = IoError::new(
            Path::new("dir/k.yaml"),
            "cannot read",
            std::io::Error::from_raw_os_error(2),
        );
        assert_eq!(
            e.to_string(),
            "dir/k.yaml: cannot read: No such file or directory"
        );
    }

    #[test]
    fn suggestions() {
        let fields = ["literals", "files", "envs", "options", "type"];
        assert_eq!(did_you_mean("literal", &fields), Some("literals"));
        assert_eq!(did_you_mean("file", &fields), Some("files"));
        assert_eq!(did_you_mean("zzzzzzzz", &fields), None);
    }

    #[test]
    fn location_format() {
        let loc = Loc::at(
            "gen.yaml",
            Mark {
                line: 7,
                col: 5,
                ..Default::default()
            },
        );
        assert_eq!(loc.to_string(), "gen.yaml:7:5");
        assert_eq!(Loc::file("a\nb.yaml").to_string(), "a\\nb.yaml");
    }
}
