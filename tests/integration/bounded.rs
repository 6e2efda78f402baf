//! Bounded memory and time: a YAML alias bomb ("billion laughs") in a kustomization, a
//! generator manifest or `fn`'s stdin is refused as goyaml.v2 refuses it, under a small
//! address-space limit (`ulimit -v`); an identity file that is a FIFO, `/dev/zero` or too
//! large is refused at once instead of hanging or reading without end (one typed on the
//! command line may be a pipe: a silent one times out).

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use crate::common;
use common::{isolate, run_within, text};

/// Address space for one run, in KiB: far below what expanding a bomb takes (gigabytes).
const VMEM_KIB: u64 = 400 * 1024;

/// Nine levels of nine aliases each: 9^9 (387 million) scalars when expanded, in 500 bytes.
fn bomb() -> String {
    let mut s = String::from(
        "a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 9].join(",");
        s.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    s
}

/// `secretgen ARGS` under `ulimit -v`, with `stdin`, killed after `limit`.
fn run_limited(dir: &Path, args: &[&str], stdin: &[u8], limit: Duration) -> Output {
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg(format!("ulimit -v {VMEM_KIB} && exec \"$0\" \"$@\"",))
        .arg(env!("CARGO_BIN_EXE_secretgen"))
        .args(args);
    isolate(&mut c, dir);
    run_within(c, Some(stdin), limit)
}

fn assert_refused(what: &str, out: &Output, needle: &str) {
    assert_eq!(
        out.status.code(),
        Some(2),
        "{what}: {}",
        common::describe(out)
    );
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(all.contains(needle), "{what}: {}", common::describe(out));
}

#[test]
fn alias_bomb_in_a_kustomization() {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(
        t.path().join("kustomization.yaml"),
        format!("{}secretGenerator:\n- name: x\n  literals: [a=b]\n", bomb()),
    )
    .unwrap();
    let out = run_limited(t.path(), &["render", "."], b"", Duration::from_secs(30));
    assert_refused("kustomization", &out, "excessive aliasing");
    assert!(text(&out.stderr).contains("kustomization.yaml:"));
}

#[test]
fn alias_bomb_in_a_generator() {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(
        t.path().join("gen.yaml"),
        format!(
            "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: x\n  annotations:\n    b: x\nlits:\n{}",
            bomb()
                .lines()
                .map(|l| format!("  {l}\n"))
                .collect::<String>()
        ),
    )
    .unwrap();
    let out = run_limited(
        t.path(),
        &["render", "gen.yaml"],
        b"",
        Duration::from_secs(30),
    );
    assert_refused("generator", &out, "excessive aliasing");
}

#[test]
fn alias_bomb_on_fn_stdin() {
    let t = tempfile::tempdir().unwrap();
    let list = format!(
        "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nfunctionConfig:\n  apiVersion: secretgen.dev/v1\n  kind: SecretGenerator\n  metadata:\n    name: x\n  literals: [a=b]\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: c\n  data:\n{}",
        bomb()
            .lines()
            .map(|l| format!("    {l}\n"))
            .collect::<String>()
    );
    let out = run_limited(t.path(), &["fn"], list.as_bytes(), Duration::from_secs(30));
    assert_refused("fn", &out, "excessive aliasing");
}

#[test]
fn modest_aliasing_is_still_read() {
    // goyaml.v2 allows aliases to make up most of a small document.
    let t = tempfile::tempdir().unwrap();
    std::fs::write(
        t.path().join("kustomization.yaml"),
        "secretGenerator:\n- name: one\n  literals: &l [a=b]\n- name: two\n  literals: *l\n",
    )
    .unwrap();
    let out = run_limited(t.path(), &["render", "."], b"", Duration::from_secs(30));
    assert_eq!(out.status.code(), Some(0), "{}", common::describe(&out));
}

/// An age-encrypted source, so that the identity is needed.
fn encrypted_tree(dir: &Path) {
    let mut c = common::secretgen_in(dir);
    c.args([
        "age",
        "encrypt",
        "-r",
        "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p",
        "-o",
        "s.age",
    ]);
    let out = run_within(c, Some(b"hello"), Duration::from_secs(30));
    assert!(out.status.success(), "{}", text(&out.stderr));
    std::fs::write(
        dir.join("gen.yaml"),
        "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: x\nfiles:\n- s.age\n",
    )
    .unwrap();
}

#[test]
fn identity_fifo_and_dev_zero_are_refused_at_once() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    encrypted_tree(d);
    let fifo = d.join("fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let big = d.join("big.txt");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(secretgen::age::MAX_IDENTITY_FILE + 1)
        .unwrap();
    for (identity, needle) in [
        (fifo.to_str().unwrap(), "not a regular file"),
        ("/dev/zero", "not a regular file"),
        (big.to_str().unwrap(), "identity files are limited to"),
    ] {
        for how in ["flag", "env"] {
            let mut c = Command::new(env!("CARGO_BIN_EXE_secretgen"));
            isolate(&mut c, d);
            c.args(["render", "gen.yaml"]);
            let mut needle = needle;
            match how {
                // A FIFO typed on the command line is a pipe the user may mean
                // (`--identity <(pass show key)`): read, and abandoned when silent.
                "flag" if identity == fifo.to_str().unwrap() => {
                    c.args(["--identity", identity])
                        .env("SECRETGEN_PROCESS_TIMEOUT", "1");
                    needle = "sent nothing for 1 s";
                }
                "flag" => {
                    c.args(["--identity", identity]);
                    if identity == "/dev/zero" {
                        needle = "is a device";
                    }
                }
                _ => {
                    c.env("SECRETGEN_AGE_IDENTITY_FILE", identity);
                }
            }
            let out = run_within(c, Some(b""), Duration::from_secs(20));
            assert_refused(&format!("{identity} by {how}"), &out, needle);
            assert!(out.stdout.is_empty());
        }
    }
    // As kustomize runs the exec plugin.
    let mut c = Command::new(env!("CARGO_BIN_EXE_secretgen"));
    isolate(&mut c, d);
    c.args(["plugin", "exec", "gen.yaml"])
        .env("SECRETGEN_AGE_IDENTITY_FILE", &fifo);
    let out = run_within(c, Some(b""), Duration::from_secs(20));
    assert_refused("plugin with a FIFO identity", &out, "not a regular file");
}

#[test]
fn fn_stdin_is_bounded() {
    // More than the 64 MiB any YAML input may be: refused, not read on without end.
    let t = tempfile::tempdir().unwrap();
    let zeros = vec![0u8; 65 << 20];
    let out = run_limited(t.path(), &["fn"], &zeros, Duration::from_secs(60));
    assert_refused("fn on a stream of zeros", &out, "limited");
}
