//! The bad-input suite, the one place error messages are pinned: every directory under
//! `tests/bad_inputs/` is one case that secretgen must refuse. A case holds:
//!
//! - `in/`: the input tree, copied to a temporary directory (the copy), where the binary
//!   runs; it may be absent when `setup` makes the whole tree;
//! - `args` (optional): the command line, shell words; `render .` when absent;
//! - `setup` (optional): a `sh` script run in the copy, for what cannot be committed or is
//!   better made than stored: FIFOs, device links, sparse files, symlinks, unreadable files,
//!   large files;
//! - `as-nobody` (optional marker): run the binary as user nobody, since root reads any
//!   file whatever its mode;
//! - `placeholder` (optional): how the message shows the copy's path, `$WORK` when absent;
//!   `args` and `env` may name the copy by it. A case whose `args` name the copy by its
//!   absolute path must have a message that starts with `error: <placeholder>/`;
//! - `env` (optional): `NAME=value` lines set for the run (the placeholder expanded);
//! - `replace` (optional): `from<TAB>to` lines for what differs between machines or runs;
//!   each `from` must appear in stderr, and is replaced before the comparison;
//! - `canary` (optional): the canary this case plants, instead of `CANARY-5e1f-bad-input`;
//!   `no-canary` (optional marker, its content says why): the case plants none;
//! - `stderr.snap`: the expected message;
//! - `README.md` (optional): where fixtures that cannot be read come from.
//!
//! Each case asserts: exit 2; stderr as snapshotted, naming the file and the rule; stdout
//! empty; the tree unchanged (nothing written, nothing removed); the same with `render -o
//! out` (no `out` created); the canary planted in the case's input (and the default one)
//! never printed in plain, base64 or hex form; and no age identity printed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use libtest_mimic::{Failed, Trial};

use crate::common::{canary_forms, describe, secretgen, shell_words, text};

/// Planted in every case's input; must never be printed in any form.
const CANARY: &str = "CANARY-5e1f-bad-input";

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_inputs")
}

/// Every entry of a tree with what it is: a file's length and content, a link's target.
/// Read with bounded effort: a file over 1 MiB (a sparse one) is described by its length.
fn snapshot_tree(root: &Path) -> BTreeMap<PathBuf, String> {
    use std::os::unix::fs::MetadataExt;
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(root).sort_by_file_name() {
        let e = e.unwrap();
        let rel = e.path().strip_prefix(root).unwrap().to_path_buf();
        let meta = std::fs::symlink_metadata(e.path()).unwrap();
        let ft = meta.file_type();
        let what = if ft.is_symlink() {
            format!("link {}", std::fs::read_link(e.path()).unwrap().display())
        } else if ft.is_dir() {
            format!("dir {:o}", meta.mode())
        } else if ft.is_file() && meta.len() <= 1 << 20 {
            let bytes = std::fs::read(e.path()).unwrap_or_default();
            format!("file {:o} {:?}", meta.mode(), bytes)
        } else {
            format!("other {:o} {} {}", meta.mode(), meta.len(), meta.mtime())
        };
        out.insert(rel, what);
    }
    out
}

/// The canary the case plants (`canary`, else [`CANARY`]), or none (`no-canary`).
fn case_canary(case: &Path) -> Option<String> {
    if case.join("no-canary").exists() {
        return None;
    }
    Some(match std::fs::read_to_string(case.join("canary")) {
        Ok(c) => c.trim().to_string(),
        Err(_) => CANARY.to_string(),
    })
}

/// Does any form of a canary ([`canary_forms`]) appear, or an age identity (the hint
/// "AGE-SECRET-KEY-1…" is fine; the prefix followed by a key's body is not)?
fn leaked(out: &Output, canary: Option<&str>) -> Option<String> {
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    let identity = all.match_indices("AGE-SECRET-KEY-1").any(|(i, m)| {
        all[i + m.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
    });
    if identity {
        return Some("an age identity".into());
    }
    std::iter::once(CANARY)
        .chain(canary)
        .flat_map(canary_forms)
        .find(|f| all.contains(f.as_str()))
}

fn input_holds_canary(case: &Path, canary: &str) -> bool {
    let setup = std::fs::read_to_string(case.join("setup")).unwrap_or_default();
    setup.contains(canary)
        || walkdir::WalkDir::new(case.join("in"))
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .any(|e| {
                std::fs::read(e.path())
                    .is_ok_and(|b| b.windows(canary.len()).any(|w| w == canary.as_bytes()))
            })
}

/// How the case shows the copy's path (`placeholder`, else `$WORK`).
fn placeholder(case: &Path) -> String {
    std::fs::read_to_string(case.join("placeholder"))
        .map(|p| p.trim().to_string())
        .unwrap_or_else(|_| "$WORK".into())
}

/// The copy's path in place of the placeholder.
fn expand(s: &str, case: &Path, work: &Path) -> String {
    s.replace(&placeholder(case), &work.display().to_string())
}

fn run(case: &Path, work: &Path, args: &[String]) -> Output {
    let mut cmd = if case.join("as-nobody").exists() {
        let mut c = std::process::Command::new("setpriv");
        c.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            env!("CARGO_BIN_EXE_secretgen"),
        ]);
        crate::common::without_identity(&mut c)
            .env("HOME", "/nonexistent")
            .env("XDG_CONFIG_HOME", "/nonexistent");
        c
    } else {
        secretgen()
    };
    let env = std::fs::read_to_string(case.join("env")).unwrap_or_default();
    for line in env.lines().filter(|l| !l.is_empty()) {
        let (name, value) = line.split_once('=').expect("env: NAME=value lines");
        cmd.env(name, expand(value, case, work));
    }
    cmd.args(args.iter().map(|a| expand(a, case, work)))
        .current_dir(work)
        .output()
        .unwrap()
}

/// The message with the temporary directory (as given and as resolved) shown as the case's
/// placeholder, and the case's `replace` lines applied (each must match).
fn normalize(stderr: &str, case: &Path, work: &Path) -> Result<String, Failed> {
    let real = std::fs::canonicalize(work).unwrap();
    let shown = placeholder(case);
    let mut message = stderr
        .replace(&real.display().to_string(), &shown)
        .replace(&work.display().to_string(), &shown);
    let replace = std::fs::read_to_string(case.join("replace")).unwrap_or_default();
    for line in replace.lines().filter(|l| !l.is_empty()) {
        let (from, to) = line.split_once('\t').expect("replace: from<TAB>to lines");
        if !message.contains(from) {
            return Err(format!("stderr does not hold `{from}`:\n{message}").into());
        }
        message = message.replace(from, to);
    }
    Ok(message)
}

fn check_refused(out: &Output, what: &str, canary: Option<&str>) -> Result<(), Failed> {
    if out.status.code() != Some(2) {
        return Err(format!("{what}: expected exit 2\n{}", describe(out)).into());
    }
    if !out.stdout.is_empty() {
        return Err(format!("{what}: expected nothing on stdout\n{}", describe(out)).into());
    }
    if let Some(form) = leaked(out, canary) {
        return Err(format!("{what}: the canary leaked as `{form}`\n{}", describe(out)).into());
    }
    Ok(())
}

fn run_case(case: &Path) -> Result<(), Failed> {
    let canary = case_canary(case);
    if let Some(c) = &canary
        && !input_holds_canary(case, c)
    {
        return Err("the case's input must hold the canary".into());
    }
    let canary = canary.as_deref();
    let tmp = tempfile::tempdir()?;
    let work = tmp.path().join("w");
    if case.join("in").is_dir() {
        crate::common::copy_tree(&case.join("in"), &work).unwrap();
    } else {
        std::fs::create_dir_all(&work)?;
    }
    if case.join("as-nobody").exists() {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755))?;
        std::fs::set_permissions(&work, std::fs::Permissions::from_mode(0o755))?;
    }
    if case.join("setup").exists() {
        let st = std::process::Command::new("sh")
            .arg("-eu")
            .arg(case.join("setup"))
            .current_dir(&work)
            .status()?;
        if !st.success() {
            return Err("setup failed".into());
        }
    }
    let args = match std::fs::read_to_string(case.join("args")) {
        Ok(a) => shell_words(a.trim()),
        Err(_) => vec!["render".into(), ".".into()],
    };
    let before = snapshot_tree(&work);

    let out = run(case, &work, &args);
    check_refused(&out, "run", canary)?;
    if snapshot_tree(&work) != before {
        return Err("the run changed the input tree".into());
    }
    let message = normalize(&text(&out.stderr), case, &work)?;
    if !message.starts_with("error: ") {
        return Err(format!("stderr is not an error message\n{}", describe(&out)).into());
    }
    let shown = placeholder(case);
    if args.iter().any(|a| a.starts_with(&shown))
        && !message.starts_with(&format!("error: {shown}/"))
    {
        return Err(format!("the message does not name the input file\n{message}").into());
    }

    if args.first().is_some_and(|a| a == "render") && !args.iter().any(|a| a == "-o") {
        let mut with_out = args.clone();
        with_out.extend(["-o".to_string(), "out".to_string()]);
        let out2 = run(case, &work, &with_out);
        check_refused(&out2, "render -o out", canary)?;
        if work.join("out").exists() {
            return Err("render -o out created the output directory".into());
        }
        if snapshot_tree(&work) != before {
            return Err("render -o out changed the input tree".into());
        }
        let message2 = normalize(&text(&out2.stderr), case, &work)?;
        if message2 != message {
            return Err(format!(
                "render -o out printed another message:\n{message2}\nthan:\n{message}"
            )
            .into());
        }
    }

    let name = case.file_name().unwrap().to_string_lossy().into_owned();
    let result = std::panic::catch_unwind(|| {
        insta::with_settings!({
            snapshot_path => case,
            prepend_module_to_snapshot => false,
            omit_expression => true,
            description => format!("{name}: secretgen {}", args.join(" ")),
        }, {
            insta::assert_snapshot!("stderr", message);
        });
    });
    result.map_err(|_| Failed::from("stderr differs from stderr.snap"))
}

pub fn trials() -> Vec<Trial> {
    let cases = crate::common::case_paths(&cases_dir(), |p| {
        p.join("in").is_dir() || p.join("setup").is_file()
    });
    assert!(cases.len() >= 150, "only {} bad-input cases", cases.len());
    cases
        .into_iter()
        .map(|case| {
            let name = case.file_name().unwrap().to_string_lossy().into_owned();
            trial!(name, move || run_case(&case))
        })
        .collect()
}
