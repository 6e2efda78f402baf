//! Text read from inside a file is never quoted in a message: an env line whose key is
//! invalid, a key given twice, a PEM label, a NUL in a file name. Each case is an
//! age-encrypted env file holding a canary in its keys, run through `render`, the exec
//! plugin (as kustomize runs it: `SecretGenerator CONFIG` in the kustomization root) and the
//! KRM function (the ResourceList's `results`), and none of their output holds the canary in
//! any form.

use std::path::Path;
use std::process::Output;

use crate::common;
use common::{canary_forms, secretgen_in, text, with_stdin};

const CANARY: &str = "CANARY-7f3e-env-key";

fn assert_clean(what: &str, out: &Output) {
    for stream in [&out.stdout, &out.stderr] {
        let s = text(stream);
        for f in canary_forms(CANARY) {
            assert!(!s.contains(&f), "{what} holds the canary as `{f}`:\n{s}");
        }
    }
}

/// An identity made by `secretgen age keygen`, and its recipient.
fn keygen(dir: &Path) -> String {
    let out = secretgen_in(dir)
        .args(["age", "keygen", "-o", "key.txt"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let key = std::fs::read_to_string(dir.join("key.txt")).unwrap();
    key.lines()
        .find_map(|l| l.strip_prefix("# public key: "))
        .map(str::to_string)
        .or_else(|| {
            text(&out.stderr)
                .split_whitespace()
                .find(|w| w.starts_with("age1"))
                .map(str::to_string)
        })
        .expect("a recipient")
}

fn encrypt(dir: &Path, recipient: &str, plain: &[u8], name: &str) {
    std::fs::write(dir.join("plain.tmp"), plain).unwrap();
    let out = secretgen_in(dir)
        .args(["age", "encrypt", "-r", recipient, "-o", name, "plain.tmp"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    std::fs::remove_file(dir.join("plain.tmp")).unwrap();
}

const GENERATOR: &str = "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: db\nenvs:\n- app.env.age\n";

/// Runs the three ways on one encrypted env file and checks each fails cleanly.
fn three_ways(env: &[u8]) {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let r = keygen(d);
    encrypt(d, &r, env, "app.env.age");
    std::fs::write(d.join("gen.yaml"), GENERATOR).unwrap();
    let with_key = |c: &mut std::process::Command| {
        c.env("SECRETGEN_AGE_IDENTITY_FILE", d.join("key.txt"));
    };

    let mut c = secretgen_in(d);
    with_key(&mut c);
    let out = c.args(["render", "gen.yaml"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "render: {}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    assert!(
        text(&out.stderr).contains("app.env.age:"),
        "the message names the file: {}",
        text(&out.stderr)
    );
    assert_clean("render", &out);

    // The exec plugin, as kustomize calls it.
    let bin = d.join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_secretgen"), bin.join("SecretGenerator"))
        .unwrap();
    let mut c = std::process::Command::new(bin.join("SecretGenerator"));
    common::isolate(&mut c, d);
    with_key(&mut c);
    let out = c.arg(d.join("gen.yaml")).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "plugin: {}", text(&out.stderr));
    assert_clean("exec plugin", &out);

    // The KRM function: the message lands in `results`.
    let list = format!(
        "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nfunctionConfig:\n{}",
        GENERATOR
            .lines()
            .map(|l| format!("  {l}\n"))
            .collect::<String>()
    );
    let mut c = secretgen_in(d);
    with_key(&mut c);
    c.arg("fn");
    let out = with_stdin(c, list.as_bytes());
    assert_eq!(out.status.code(), Some(2), "fn: {}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("results:"),
        "{}",
        text(&out.stdout)
    );
    assert_clean("KRM results", &out);
}

#[test]
fn env_line_without_equals() {
    three_ways(format!("OK=1\nPASSWORD: {CANARY}\n").as_bytes());
}

#[test]
fn env_key_with_space() {
    three_ways(format!("{CANARY} X=1\n").as_bytes());
}

#[test]
fn env_key_too_long() {
    three_ways(format!("{}{CANARY}=1\n", "k".repeat(260)).as_bytes());
}

#[test]
fn env_key_with_control_character() {
    three_ways(format!("{CANARY}\u{1}=1\n").as_bytes());
}

#[test]
fn env_key_given_twice() {
    let key = CANARY.replace('-', "_");
    // The canary as a valid key, so the duplicate message is the one at fault.
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::write(d.join("app.env"), format!("{key}=1\n{key}=2\n")).unwrap();
    std::fs::write(d.join("gen.yaml"), GENERATOR.replace(".age", "")).unwrap();
    let out = secretgen_in(d)
        .args(["render", "gen.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("given twice"));
    let s = text(&out.stderr);
    assert!(!s.contains(&key), "the key is shown: {s}");
}

#[test]
fn create_from_env_file() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    for body in [format!("PASSWORD: {CANARY}\n"), format!("A{CANARY} X=1\n")] {
        std::fs::write(d.join("app.env"), &body).unwrap();
        let out = secretgen_in(d)
            .args(["create", "generic", "x", "--from-env-file", "app.env"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        assert!(text(&out.stderr).contains("app.env:1:1"));
        assert_clean("create --from-env-file", &out);
    }
}

#[test]
fn pem_label_is_not_shown() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::write(
        d.join("gen.yaml"),
        "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: tls\ntype: kubernetes.io/tls\nfiles:\n- tls.crt\n- tls.key\n",
    )
    .unwrap();
    std::fs::write(d.join("tls.crt"), "x").unwrap();
    std::fs::write(
        d.join("tls.key"),
        format!("-----BEGIN {CANARY}-----\nAAAA\n-----END {CANARY}-----\n"),
    )
    .unwrap();
    let out = secretgen_in(d)
        .args(["render", "gen.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_clean("tls", &out);
}

#[test]
fn control_characters_in_file_names_are_escaped() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::write(
        d.join("gen.yaml"),
        "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: x\nfiles:\n- \"a\\x01\\x1b[31mb.txt\"\n",
    )
    .unwrap();
    let out = secretgen_in(d)
        .args(["render", "gen.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let s = text(&out.stderr);
    assert!(!s.chars().any(|c| c.is_control() && c != '\n'), "{s:?}");
    assert!(s.contains("\\u{1b}") || s.contains("\\u{001b}"), "{s}");
}

#[test]
fn bootstrap_token_id_is_not_shown() {
    // A token-id read from an env file: the name rule is stated without it.
    let id = "q7zx3k";
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::write(
        d.join("token.env"),
        format!("token-id={id}\ntoken-secret=0123456789abcdef\n"),
    )
    .unwrap();
    std::fs::write(
        d.join("gen.yaml"),
        "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: bootstrap-token-wrong1\n  namespace: kube-system\ntype: bootstrap.kubernetes.io/token\noptions:\n  disableNameSuffixHash: true\nenvs:\n- token.env\n",
    )
    .unwrap();
    let out = secretgen_in(d)
        .args(["render", "gen.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("token-id"));
    assert!(!text(&out.stderr).contains(id), "{}", text(&out.stderr));
}
