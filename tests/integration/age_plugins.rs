//! age plugins driven end to end: Go age v1.3.2's `age-plugin-batchpass` (a real plugin:
//! passphrase files opened with `AGE_PASSPHRASE`), and `tests/age-plugins/age-plugin-sgtest`,
//! a protocol-level test plugin that asks for a PIN as hardware-key plugins do. Prompts go to
//! the terminal, never to stdout; without a terminal the plugin that needed one is named; a
//! key file with an unusable line warns about that line (by number) and uses the rest.

use std::ffi::OsString;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::common;
use common::{isolate, run_ok, secretgen_in as secretgen, text, tool};

const CANARY: &str = "CANARY-31b7-plugin-plaintext";

/// PATH with the pinned tools and the test plugin first.
pub(crate) fn plugin_path() -> OsString {
    let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/age-plugins")];
    dirs.extend(std::env::split_paths(&common::path_with_tools()));
    std::env::join_paths(dirs).unwrap()
}

pub(crate) fn sgtest_recipient() -> String {
    let hrp = bech32::Hrp::parse("age1sgtest").unwrap();
    age_core::primitives::bech32_encode(hrp, b"test-key")
}

pub(crate) fn sgtest_identity() -> String {
    age::plugin::Identity::default_for_plugin("sgtest")
        .unwrap()
        .to_string()
}

#[test]
fn batchpass_plugin_opens_passphrase_files() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::write(d.join("p.txt"), CANARY).unwrap();
    let mut c = tool("age");
    c.args(["-e", "-a", "-j", "batchpass", "-o"])
        .arg(d.join("p.age"))
        .arg(d.join("p.txt"))
        .env("AGE_PASSPHRASE", "correct horse")
        .env("AGE_PASSPHRASE_WORK_FACTOR", "10");
    run_ok(c);
    let identity = age::plugin::Identity::default_for_plugin("batchpass")
        .unwrap()
        .to_string();
    // An unusable line first: warned about by number, the plugin line still used.
    std::fs::write(
        d.join("keys.txt"),
        format!("# keys\nAGE-SECRET-KEY-1CANARYBROKEN\n{identity}\n"),
    )
    .unwrap();
    let decrypt = |pass: &str, path: &OsString| {
        let mut c = secretgen(d);
        c.args(["age", "decrypt", "-i", "keys.txt", "p.age"])
            .env("PATH", path)
            .env("AGE_PASSPHRASE", pass)
            .env("AGE_PASSPHRASE_MAX_WORK_FACTOR", "10")
            .stdin(Stdio::null());
        c.output().unwrap()
    };
    let out = decrypt("correct horse", &plugin_path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(out.stdout, CANARY.as_bytes());
    let err = text(&out.stderr);
    assert!(
        err.contains("warning: identity file `keys.txt` line 2: skipped: not an age identity"),
        "{err}"
    );
    assert!(!err.contains("CANARYBROKEN"), "{err}");

    // As a render input.
    std::fs::write(
        d.join("gen.yaml"),
        "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: s\nfiles:\n- p=p.age\n",
    )
    .unwrap();
    let mut c = secretgen(d);
    c.args(["render", "gen.yaml", "-i", "keys.txt"])
        .env("PATH", plugin_path())
        .env("AGE_PASSPHRASE", "correct horse")
        .env("AGE_PASSPHRASE_MAX_WORK_FACTOR", "10");
    let rendered = text(&run_ok(c).stdout);
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(CANARY);
    assert!(rendered.contains(&b64), "{rendered}");

    // A wrong passphrase: the plugin's own error, exit 2, nothing on stdout.
    let out = decrypt("wrong", &plugin_path());
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    assert!(err.contains("incorrect passphrase"), "{err}");

    // The plugin missing from PATH: that line is skipped with a warning naming the plugin.
    let empty = tempfile::tempdir().unwrap();
    let out = decrypt("correct horse", &empty.path().as_os_str().to_owned());
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("line 3: skipped: the plugin `age-plugin-batchpass` is not on PATH"),
        "{err}"
    );
}

/// Runs `cmd` on a pseudo-terminal (`script`), typing `input`.
fn on_terminal(d: &Path, cmd: &str, input: &str) -> (Option<i32>, String) {
    let mut c = Command::new("script");
    isolate(&mut c, d);
    c.args(["-qec", cmd, "/dev/null"])
        .env("PATH", plugin_path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("`script` (util-linux) is required");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        // The prompt must be up before the PIN is typed (a terminal drops nothing, but a
        // password prompt flushes pending input).
        std::thread::sleep(std::time::Duration::from_millis(700));
        stdin.write_all(input.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        format!("{}{}", text(&out.stdout), text(&out.stderr)),
    )
}

#[test]
fn plugin_recipients_identities_and_prompts() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::write(d.join("p.txt"), CANARY).unwrap();
    std::fs::write(d.join("key.txt"), format!("{}\n", sgtest_identity())).unwrap();
    // Encrypt to the plugin's recipient (age1sgtest1…), through the plugin.
    let mut c = secretgen(d);
    c.args([
        "age",
        "encrypt",
        "-r",
        &sgtest_recipient(),
        "-o",
        "p.age",
        "p.txt",
    ])
    .env("PATH", plugin_path());
    run_ok(c);
    let mut c = secretgen(d);
    c.args(["age", "recipients", "p.age"]);
    assert!(text(&run_ok(c).stdout).contains("sgtest ×1"));

    // On a terminal: the PIN prompt shows there, the plaintext goes to stdout (a file here)
    // and the prompt never does.
    let bin = env!("CARGO_BIN_EXE_secretgen");
    let (code, screen) = on_terminal(
        d,
        &format!("{bin} age decrypt -i key.txt p.age > out.txt"),
        "1234\n",
    );
    assert_eq!(code, Some(0), "{screen}");
    assert!(screen.contains("PIN for the sgtest key:"), "{screen}");
    let out = std::fs::read_to_string(d.join("out.txt")).unwrap();
    assert_eq!(out, CANARY);
    assert!(!screen.contains(CANARY), "{screen}");

    // A wrong PIN: the plugin's error.
    let (code, screen) = on_terminal(
        d,
        &format!("{bin} age decrypt -i key.txt p.age > out2.txt"),
        "9999\n",
    );
    assert_eq!(code, Some(2), "{screen}");
    assert!(screen.contains("no PIN or a wrong PIN"), "{screen}");

    // No terminal at all (a new session, as under CI, kustomize or kpt): refused, naming
    // the plugin, nothing on stdout.
    for args in [
        vec!["age", "decrypt", "-i", "key.txt", "p.age"],
        vec!["render", "gen.yaml", "-i", "key.txt"],
    ] {
        std::fs::write(
            d.join("gen.yaml"),
            "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: s\nfiles:\n- p=p.age\n",
        )
        .unwrap();
        let mut c = Command::new("setsid");
        isolate(&mut c, d);
        c.arg("-w")
            .arg(bin)
            .args(&args)
            .env("PATH", plugin_path())
            .stdin(Stdio::null());
        let out = c.output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        assert!(out.stdout.is_empty());
        let err = text(&out.stderr);
        assert!(
            err.contains("the age plugin `age-plugin-sgtest` needs a terminal"),
            "{err}"
        );
        assert!(!err.contains(CANARY), "{err}");
    }
}
