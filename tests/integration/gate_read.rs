//! The one reader (`gate::read`): a FIFO or a device named inside an input (a KSOPS
//! config's `files` and `secretFrom` files, a `resources` entry, migrate's walk) or by an
//! identity variable is refused at once, exit 2; a pipe typed on the command line
//! (`--identity <(…)`, `/dev/stdin`, `--from-file`) is read, a device never; every read of
//! stdin or a pipe is capped and a silent one times out; what `age edit`'s editor leaves is
//! read only if it is a regular file. Every run is bounded in time, and in memory where a
//! flood is involved (`ulimit -v`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common;
use common::{isolate, run_within, secretgen_in, text, wait_within};

/// Address space for a flooded run, in KiB: a reader without a cap runs out of it.
const VMEM_KIB: u64 = 600 * 1024;

/// `sh -c SCRIPT` in `dir` (isolated), with `$B` the binary under test, under `ulimit -v`.
fn shell(dir: &Path, script: &str) -> Command {
    let mut c = Command::new("bash");
    c.arg("-c")
        .arg(format!("ulimit -v {VMEM_KIB} && {script}"))
        .env("B", env!("CARGO_BIN_EXE_secretgen"));
    isolate(&mut c, dir);
    c
}

fn assert_refused(what: &str, out: &Output, needles: &[&str]) {
    assert_eq!(
        out.status.code(),
        Some(2),
        "{what}: {}",
        common::describe(out)
    );
    assert!(
        out.stdout.is_empty(),
        "{what}: stdout: {}",
        text(&out.stdout)
    );
    let err = text(&out.stderr);
    for needle in needles {
        assert!(err.contains(needle), "{what}: no `{needle}` in: {err}");
    }
}

fn mkfifo(path: &Path) {
    let made = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(made.success());
}

/// A key and its recipient, made by secretgen itself.
fn keygen(dir: &Path) -> String {
    let mut c = secretgen_in(dir);
    c.args(["age", "keygen", "-o", "key.txt"]);
    let out = run_within(c, None, Duration::from_secs(30));
    assert!(out.status.success(), "{}", common::describe(&out));
    let key = std::fs::read_to_string(dir.join("key.txt")).unwrap();
    key.split_whitespace()
        .find(|w| w.starts_with("age1"))
        .unwrap()
        .to_string()
}

/// `s.age` holding `plain`, encrypted to `recipient`.
fn encrypt(dir: &Path, recipient: &str, name: &str, plain: &[u8]) {
    let mut c = secretgen_in(dir);
    c.args(["age", "encrypt", "-r", recipient, "-o", name]);
    let out = run_within(c, Some(plain), Duration::from_secs(30));
    assert!(out.status.success(), "{}", common::describe(&out));
}

/// Replaces `path` with what `kind` names: a FIFO, or a link to a device.
fn plant(path: &Path, kind: &str) {
    let _ = std::fs::remove_file(path);
    match kind {
        "fifo" => mkfifo(path),
        dev => std::os::unix::fs::symlink(dev, path).unwrap(),
    }
}

const KINDS: [&str; 3] = ["fifo", "/dev/zero", "/dev/urandom"];

#[test]
fn fifos_and_devices_named_inside_inputs_are_refused_at_once() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::write(d.join("kustomization.yaml"), "generators:\n- ./gen.yaml\n").unwrap();
    let configs = [
        (
            "KSOPS files",
            "apiVersion: viaduct.ai/v1\nkind: ksops\nmetadata:\n  name: g\nfiles:\n- ./secret.enc.yaml\n",
        ),
        (
            "KSOPS secretFrom files",
            "apiVersion: viaduct.ai/v1\nkind: ksops\nmetadata:\n  name: g\nsecretFrom:\n- metadata:\n    name: s\n  files:\n  - ./secret.enc.yaml\n",
        ),
    ];
    for (what, config) in configs {
        std::fs::write(d.join("gen.yaml"), config).unwrap();
        for kind in KINDS {
            plant(&d.join("secret.enc.yaml"), kind);
            // `migrate` keeps `files` entries as they are: it reads only `secretFrom`.
            let runs: &[&[&str]] = if what == "KSOPS files" {
                &[&["render", "."]]
            } else {
                &[&["render", "."], &["migrate", "ksops", "."]]
            };
            for args in runs {
                let mut c = secretgen_in(d);
                c.args(*args);
                let out = run_within(c, None, Duration::from_secs(10));
                assert_refused(
                    &format!("{what} as {kind}, {args:?}"),
                    &out,
                    &["gen.yaml", "`./secret.enc.yaml` is not a regular file"],
                );
            }
        }
    }
    // A Secret under `resources`.
    std::fs::remove_file(d.join("gen.yaml")).unwrap();
    std::fs::write(d.join("kustomization.yaml"), "resources:\n- ./res.yaml\n").unwrap();
    for kind in KINDS {
        plant(&d.join("res.yaml"), kind);
        let mut c = secretgen_in(d);
        c.args(["render", "."]);
        let out = run_within(c, None, Duration::from_secs(10));
        assert_refused(&format!("resource as {kind}"), &out, &["res.yaml"]);
    }
}

#[test]
fn migrate_walk_refuses_a_fifo_kustomization() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::create_dir_all(d.join("app")).unwrap();
    mkfifo(&d.join("app/kustomization.yaml"));
    let mut c = secretgen_in(d);
    c.args(["migrate", "ksops", "."]);
    let out = run_within(c, None, Duration::from_secs(10));
    assert_refused(
        "migrate's walk",
        &out,
        &["app/kustomization.yaml", "is not a regular file"],
    );
}

#[test]
fn identity_variables_name_regular_files_only() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let recipient = keygen(d);
    encrypt(d, &recipient, "s.age", b"hello");
    std::fs::write(
        d.join("gen.yaml"),
        "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: x\nfiles:\n- s.age\n",
    )
    .unwrap();
    for var in ["SECRETGEN_AGE_IDENTITY_FILE", "SOPS_AGE_KEY_FILE"] {
        for kind in KINDS {
            let id = d.join("id");
            plant(&id, kind);
            let mut c = secretgen_in(d);
            c.args(["render", "gen.yaml"]).env(var, &id);
            let out = run_within(c, None, Duration::from_secs(10));
            assert_refused(&format!("{var} as {kind}"), &out, &["not a regular file"]);
        }
    }
}

#[test]
fn pipes_typed_on_the_command_line_are_read() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let recipient = keygen(d);
    encrypt(d, &recipient, "s.age", b"hello");
    std::fs::write(
        d.join("gen.yaml"),
        "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: x\nfiles:\n- s.age\n",
    )
    .unwrap();
    for (what, script) in [
        (
            "decrypt -i <(…)",
            r#"exec "$B" age decrypt -i <(cat key.txt) s.age"#,
        ),
        (
            "decrypt -i /dev/stdin",
            r#"cat key.txt | exec "$B" age decrypt -i /dev/stdin s.age"#,
        ),
        (
            "render --identity <(…)",
            r#"exec "$B" render gen.yaml --identity <(cat key.txt)"#,
        ),
        (
            "create --from-file=<(…)",
            r#"exec "$B" create generic x --from-file=k=<(printf hello)"#,
        ),
        (
            "encrypt -R <(…)",
            r#"exec "$B" age encrypt -R <(printf '%s\n' "$(grep -o 'age1[a-z0-9]*' key.txt)") -a < key.txt"#,
        ),
    ] {
        let out = run_within(shell(d, script), None, Duration::from_secs(20));
        assert_eq!(
            out.status.code(),
            Some(0),
            "{what}: {}",
            common::describe(&out)
        );
        let stdout = text(&out.stdout);
        let want = match what {
            "decrypt -i <(…)" | "decrypt -i /dev/stdin" => "hello",
            "encrypt -R <(…)" => "-----BEGIN AGE ENCRYPTED FILE-----",
            // base64 of `hello`
            _ => "aGVsbG8=",
        };
        assert!(stdout.contains(want), "{what}: {stdout}");
    }
}

#[test]
fn devices_typed_on_the_command_line_are_refused() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let recipient = keygen(d);
    encrypt(d, &recipient, "s.age", b"hello");
    for dev in ["/dev/zero", "/dev/urandom"] {
        for (what, script) in [
            (
                "decrypt FILE",
                format!(r#"exec "$B" age decrypt -i key.txt {dev}"#),
            ),
            (
                "decrypt -i",
                format!(r#"exec "$B" age decrypt -i {dev} s.age"#),
            ),
            (
                "encrypt FILE",
                format!(r#"exec "$B" age encrypt -r {recipient} -a {dev}"#),
            ),
            (
                "encrypt -R",
                format!(r#"exec "$B" age encrypt -R {dev} -a key.txt"#),
            ),
            (
                "create --from-file",
                format!(r#"exec "$B" create generic x --from-file=k={dev}"#),
            ),
            (
                "create --from-env-file",
                format!(r#"exec "$B" create generic x --from-env-file={dev}"#),
            ),
        ] {
            let out = run_within(shell(d, &script), None, Duration::from_secs(10));
            assert_refused(&format!("{what} {dev}"), &out, &[dev]);
            let err = text(&out.stderr);
            assert!(
                err.contains("device") || err.contains("not a regular file"),
                "{what} {dev}: {err}"
            );
        }
    }
}

#[test]
fn a_silent_pipe_on_the_command_line_times_out() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let recipient = keygen(d);
    encrypt(d, &recipient, "s.age", b"hello");
    mkfifo(&d.join("silent"));
    for (what, args) in [
        (
            "decrypt -i FIFO",
            vec!["age", "decrypt", "-i", "silent", "s.age"],
        ),
        (
            "decrypt FIFO",
            vec!["age", "decrypt", "-i", "key.txt", "silent"],
        ),
        (
            "create --from-file FIFO",
            vec!["create", "generic", "x", "--from-file=k=silent"],
        ),
    ] {
        let mut c = secretgen_in(d);
        c.args(&args).env("SECRETGEN_PROCESS_TIMEOUT", "1");
        let start = Instant::now();
        let out = run_within(c, None, Duration::from_secs(15));
        assert_refused(
            what,
            &out,
            &[
                "silent",
                "sent nothing for 1 s",
                "SECRETGEN_PROCESS_TIMEOUT",
            ],
        );
        assert!(start.elapsed() < Duration::from_secs(10), "{what}");
    }
}

/// `secretgen ARGS` (or the binary named `ksops`) with a stdin pipe held open and silent.
fn silent_stdin(d: &Path, exe: &Path, args: &[&str]) -> Output {
    let mut c = Command::new(exe);
    isolate(&mut c, d);
    c.args(args)
        .env("SECRETGEN_PROCESS_TIMEOUT", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    // Held, never written, never closed until the run is over.
    let held = child.stdin.take();
    let out = wait_within(child, &format!("{c:?}"), Duration::from_secs(15));
    drop(held);
    out
}

fn ksops_exe(d: &Path) -> PathBuf {
    let exe = d.join("bin/ksops");
    std::fs::create_dir_all(d.join("bin")).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_secretgen"), &exe).unwrap();
    exe
}

#[test]
fn a_silent_stdin_times_out() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_secretgen"));
    let ksops = ksops_exe(d);
    for (what, exe, args) in [
        ("fn", &bin, &["fn"][..]),
        ("bare secretgen", &bin, &[][..]),
        ("ksops", &ksops, &[][..]),
        (
            "age decrypt",
            &bin,
            &["age", "decrypt", "-i", "/nonexistent", "-"][..],
        ),
    ] {
        let out = silent_stdin(d, exe, args);
        assert_refused(what, &out, &["stdin", "sent nothing for 1 s"]);
    }
}

#[test]
fn a_flood_on_stdin_is_capped() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    ksops_exe(d);
    for (what, script) in [
        ("fn", r#"exec "$B" fn < /dev/zero"#),
        ("ksops", r#"exec bin/ksops < /dev/zero"#),
        (
            "age encrypt",
            r#"exec "$B" age encrypt -r age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p -a < /dev/zero"#,
        ),
    ] {
        let out = run_within(shell(d, script), None, Duration::from_secs(60));
        assert_refused(what, &out, &["stdin", "67108864 bytes"]);
    }
    // The run's limit is settable.
    let mut c = shell(d, r#"exec "$B" fn < /dev/zero"#);
    c.env("SECRETGEN_MAX_INPUT_BYTES", "1000000");
    let out = run_within(c, None, Duration::from_secs(30));
    assert_refused(
        "fn, limit set",
        &out,
        &["stdin", "1000000 bytes", "SECRETGEN_MAX_INPUT_BYTES"],
    );
}

#[test]
fn the_run_limit_applies_to_files_too() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::write(d.join("big.txt"), vec![b'a'; 5000]).unwrap();
    std::fs::write(
        d.join("gen.yaml"),
        "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: x\nfiles:\n- big.txt\n",
    )
    .unwrap();
    let mut c = secretgen_in(d);
    c.args(["render", "gen.yaml"])
        .env("SECRETGEN_MAX_INPUT_BYTES", "4000");
    let out = run_within(c, None, Duration::from_secs(10));
    assert_refused(
        "a source over the run's limit",
        &out,
        &["big.txt", "5000 bytes", "SECRETGEN_MAX_INPUT_BYTES"],
    );
    let mut c = secretgen_in(d);
    c.args(["render", "gen.yaml"]);
    let out = run_within(c, None, Duration::from_secs(10));
    assert_eq!(out.status.code(), Some(0), "{}", common::describe(&out));
}

/// `secretgen age edit -i key.txt s.age` on a pty (`script`), `editor` (a shell script
/// body, the file as `$1`) as $EDITOR and TMPDIR at `tmp`.
fn edit_on_terminal(d: &Path, tmp: &Path, editor: &str) -> Output {
    let script = d.join("editor.sh");
    std::fs::write(&script, format!("#!/bin/sh\n{editor}\n")).unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let bin = env!("CARGO_BIN_EXE_secretgen");
    let mut c = Command::new("script");
    isolate(&mut c, d);
    c.args([
        "-qec",
        &format!("exec {bin} age edit -i key.txt s.age"),
        "/dev/null",
    ])
    .env("EDITOR", &script)
    .env_remove("VISUAL")
    .env("TMPDIR", tmp)
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = c.spawn().expect("`script` (util-linux) is required");
    let held = child.stdin.take();
    let out = wait_within(child, "age edit", Duration::from_secs(20));
    drop(held);
    out
}

#[test]
fn age_edit_refuses_what_is_not_a_regular_file() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let recipient = keygen(d);
    std::fs::write(d.join(".age-recipients"), format!("{recipient}\n")).unwrap();
    encrypt(d, &recipient, "s.age", b"the secret\n");
    let before = std::fs::read(d.join("s.age")).unwrap();
    let tmp = d.join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    for (what, editor) in [
        ("a FIFO", r#"rm "$1" && mkfifo "$1""#),
        ("a symlink", r#"rm "$1" && ln -s /dev/zero "$1""#),
        ("a directory", r#"rm "$1" && mkdir "$1""#),
    ] {
        let out = edit_on_terminal(d, &tmp, editor);
        let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert_eq!(out.status.code(), Some(2), "{what}: {all}");
        assert!(all.contains(what), "{what}: {all}");
        assert!(all.contains("nothing was changed"), "{what}: {all}");
        assert_eq!(
            std::fs::read(d.join("s.age")).unwrap(),
            before,
            "{what}: the encrypted file changed"
        );
        assert_eq!(
            std::fs::read_dir(&tmp).unwrap().count(),
            0,
            "{what}: the plaintext copy was left"
        );
    }
    // A regular file still goes through.
    let out = edit_on_terminal(d, &tmp, r#"printf 'changed\n' > "$1""#);
    assert_eq!(out.status.code(), Some(0), "{}", common::describe(&out));
    assert_ne!(std::fs::read(d.join("s.age")).unwrap(), before);
}

#[test]
fn limits_that_are_not_numbers_are_refused() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    for (var, value) in [
        ("SECRETGEN_MAX_INPUT_BYTES", "64M"),
        ("SECRETGEN_MAX_INPUT_BYTES", "0"),
        ("SECRETGEN_PROCESS_TIMEOUT", "soon"),
    ] {
        let mut c = secretgen_in(d);
        c.args(["create", "generic", "x", "--from-literal=a=b"])
            .env(var, value);
        let out = run_within(c, None, Duration::from_secs(10));
        assert_refused(&format!("{var}={value}"), &out, &[var, value]);
    }
    // Empty is unset, as for every variable secretgen reads.
    let mut c = secretgen_in(d);
    c.args(["create", "generic", "x", "--from-literal=a=b"])
        .env("SECRETGEN_MAX_INPUT_BYTES", "")
        .env("SECRETGEN_PROCESS_TIMEOUT", "");
    let out = run_within(c, None, Duration::from_secs(10));
    assert_eq!(out.status.code(), Some(0), "{}", common::describe(&out));
}
