//! Helpers shared by the black-box tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Our own cases in the corpus layout, recorded from the real tools by their `record.sh`.
pub fn extra_corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/corpus-extra")
}

/// The conformance corpus, `testdata/corpus` (recorded from the real tools by
/// `testdata/record.sh`), or another copy named by `SECRETGEN_CORPUS`.
pub fn corpus_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("SECRETGEN_CORPUS") {
        return PathBuf::from(dir);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/corpus")
}

/// Every variable an identity can come from.
const IDENTITY_VARS: [&str; 7] = [
    "SECRETGEN_AGE_IDENTITY",
    "SECRETGEN_AGE_IDENTITY_FILE",
    "SOPS_AGE_KEY",
    "SOPS_AGE_KEY_FILE",
    "SOPS_AGE_KEY_CMD",
    "SOPS_AGE_SSH_PRIVATE_KEY_FILE",
    "SOPS_AGE_SSH_PRIVATE_KEY_CMD",
];

/// `c` without the identity variables the caller's environment may hold.
pub fn without_identity(c: &mut Command) -> &mut Command {
    for var in IDENTITY_VARS {
        c.env_remove(var);
    }
    c
}

/// The binary under test, with no identity reachable from the environment.
pub fn secretgen() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_secretgen"));
    without_identity(&mut c)
        .env("HOME", "/nonexistent")
        .env("XDG_CONFIG_HOME", "/nonexistent");
    c
}

/// Runs `c` in `dir` with no identity reachable unless a test sets one: the identity
/// variables removed, HOME and XDG_CONFIG_HOME pointed at directories under `dir` that a
/// test may create.
pub fn isolate(c: &mut Command, dir: &Path) {
    without_identity(c)
        .current_dir(dir)
        .env("HOME", dir.join("no-home"))
        .env("XDG_CONFIG_HOME", dir.join("no-xdg"));
}

/// The binary under test, run in `dir` and isolated as [`isolate`] says.
pub fn secretgen_in(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_secretgen"));
    isolate(&mut c, dir);
    c
}

/// Runs `c` and asserts that it succeeded.
pub fn run_ok(mut c: Command) -> Output {
    let out = c.output().unwrap();
    assert!(out.status.success(), "{c:?} failed: {}", text(&out.stderr));
    out
}

/// The corpus is stored without symlinks: a link became a small file holding its target.
/// A file whose whole content is a relative path to an existing file or directory beside it
/// was such a link, and is made one again.
fn was_symlink(path: &Path) -> Option<PathBuf> {
    let bytes = std::fs::read(path).ok()?;
    if bytes.is_empty() || bytes.len() > 255 || bytes.iter().any(|&b| b == b'\n' || b == 0) {
        return None;
    }
    let target = PathBuf::from(String::from_utf8(bytes).ok()?);
    let resolved = path.parent()?.join(&target);
    (target.is_relative() && resolved.exists() && resolved != path).then_some(target)
}

/// The entries directly under a case-folder suite's `root` that `keep` accepts, sorted by
/// name: the one listing of cases every suite uses. Panics naming `root` if it is unreadable.
pub fn case_paths(root: &Path, keep: impl Fn(&Path) -> bool) -> Vec<PathBuf> {
    let entries = std::fs::read_dir(root)
        .unwrap_or_else(|e| panic!("cases missing at {}: {e}", root.display()));
    let mut cases: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| keep(p))
        .collect();
    cases.sort();
    cases
}

/// Copies `from` to `to`: a directory with everything under it, a symbolic link as a link
/// (the same target), a file with its content and mode. The one copy every suite uses.
pub fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    let kind = std::fs::symlink_metadata(from)?.file_type();
    if kind.is_symlink() {
        std::os::unix::fs::symlink(std::fs::read_link(from)?, to)
    } else if kind.is_dir() {
        std::fs::create_dir_all(to)?;
        for entry in std::fs::read_dir(from)? {
            let entry = entry?;
            copy_tree(&entry.path(), &to.join(entry.file_name()))?;
        }
        Ok(())
    } else {
        std::fs::copy(from, to).map(drop)
    }
}

/// Turns the stored links of a copied corpus case back into links (see [`was_symlink`]) and
/// gives its files their modes: exec plugins lost theirs in storage, everything else is made
/// writable.
fn restore_stored_case(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            restore_stored_case(&path);
        } else if kind.is_symlink() {
            // A real link (our own cases keep them in git): kept.
        } else if let Some(target) = was_symlink(&path) {
            std::fs::remove_file(&path).unwrap();
            std::os::unix::fs::symlink(target, &path).unwrap();
        } else {
            let plugin = path.to_string_lossy().contains("/kustomize/plugin/");
            let mode = if plugin { 0o755 } else { 0o644 };
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        }
    }
}

/// A writable copy of a case with its symlinks restored; the case path in messages is the
/// copy's.
pub fn materialize(case: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(case, dir.path()).unwrap();
    restore_stored_case(dir.path());
    dir
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

pub fn describe(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    )
}

/// Runs `c` with `stdin` as its standard input, capturing its output.
pub fn with_stdin(mut c: Command, stdin: &[u8]) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A child that refuses before it reads (a bad setting, say) closes its stdin: what it
    // printed and its exit status say why, not the broken pipe.
    match child.stdin.take().unwrap().write_all(stdin) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        r => r.unwrap(),
    }
    child.wait_with_output().unwrap()
}

/// The checks every refused case must pass (exit 2, stdout empty, one clear `error:` that
/// names a file of the case in `dir`), and the message with `dir` shown as `@CASEDIR@`, for
/// its snapshot.
pub fn refused_message(dir: &Path, out: &Output) -> Result<String, String> {
    if out.status.code() != Some(2) {
        return Err(format!("expected exit 2\n{}", describe(out)));
    }
    if !out.stdout.is_empty() {
        return Err(format!(
            "stdout must stay empty on error\n{}",
            describe(out)
        ));
    }
    let err = text(&out.stderr);
    if !err.starts_with("error: ") || err.contains("internal error") {
        return Err(format!("expected a clear error\n{}", describe(out)));
    }
    // The message names the file at fault: the kustomization or a file of the case.
    let casedir = dir.display().to_string();
    if !err.contains(&casedir) {
        return Err(format!(
            "the error does not name a file of the case\n{}",
            describe(out)
        ));
    }
    let shown = err.replace(&casedir, "@CASEDIR@");
    Ok(match std::fs::canonicalize(dir) {
        Ok(real) => shown.replace(&real.display().to_string(), "@CASEDIR@"),
        Err(_) => shown,
    })
}

/// Splits a shell command line (words, single and double quotes; no expansions).
pub fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    cur.push(c);
                }
            }
            '"' => {
                in_word = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => cur.extend(chars.next()),
                        c => cur.push(c),
                    }
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

/// Every form in which a canary value would show if it leaked: as is, in hex (both cases),
/// in base64 at each of the three alignments it can start at inside longer data (the stable
/// middle of each), and as its unsalted SHA-256 (hex and base64).
pub fn canary_forms(canary: &str) -> Vec<String> {
    use base64::Engine;
    use sha2::Digest;
    let b64 = &base64::engine::general_purpose::STANDARD;
    let mut forms = vec![
        canary.to_string(),
        canary.bytes().map(|b| format!("{b:02x}")).collect(),
        canary.bytes().map(|b| format!("{b:02X}")).collect(),
    ];
    for skip in 0..3 {
        let enc = b64.encode(&canary.as_bytes()[skip..]);
        forms.push(enc[4..enc.len() - 4].to_string());
    }
    let digest = sha2::Sha256::digest(canary.as_bytes());
    forms.push(digest.iter().map(|b| format!("{b:02x}")).collect());
    forms.push(b64.encode(digest));
    forms
}

/// Where `tests/setup.sh` installs the pinned peer tools (kustomize, Go age, sops, …).
pub fn tools_bin() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/bin")
}

/// A `PATH` with the pinned peer tools first, for commands that run a real tool.
pub fn path_with_tools() -> std::ffi::OsString {
    let mut dirs = vec![tools_bin()];
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(dirs).expect("PATH entries hold no separator")
}

/// A command for the pinned peer tool `name` (from `.tools/bin` when installed there).
pub fn tool(name: &str) -> Command {
    let pinned = tools_bin().join(name);
    let mut c = Command::new(if pinned.exists() {
        pinned
    } else {
        PathBuf::from(name)
    });
    c.env("PATH", path_with_tools());
    c
}

/// Runs `c` with `stdin` (then closed), killed and failed after `limit`.
pub fn run_within(mut c: Command, stdin: Option<&[u8]>, limit: std::time::Duration) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    c.stdout(Stdio::piped()).stderr(Stdio::piped());
    c.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let mut child = c.spawn().unwrap();
    if let Some(bytes) = stdin {
        let mut input = child.stdin.take().unwrap();
        let bytes = bytes.to_vec();
        std::thread::spawn(move || {
            let _ = input.write_all(&bytes);
        });
    }
    wait_within(child, &format!("{c:?}"), limit)
}

/// Waits for `child` (`what` names it in the failure), killed and failed after `limit`.
pub fn wait_within(
    mut child: std::process::Child,
    what: &str,
    limit: std::time::Duration,
) -> Output {
    let start = std::time::Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "{what} did not finish within {limit:?}: {}",
                text(&out.stderr)
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
