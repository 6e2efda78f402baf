//! The command line as a new user meets it, through the binary: what a bare `secretgen` does
//! with stdin, help text, modes kept by `age rekey`, advice that works where it is given,
//! and keyless CI gates (`diff --strict`).

use std::path::Path;
use std::process::Command;

use crate::common;
use common::{describe, secretgen_in, text, with_stdin};

fn write(dir: &Path, name: &str, content: &str) {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, content).unwrap();
}

/// A new age key in `dir/name` (by `secretgen age keygen`); its recipient.
fn new_key(dir: &Path, name: &str) -> String {
    let out = secretgen_in(dir)
        .args(["age", "keygen", "-o", name])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    let key = std::fs::read_to_string(dir.join(name)).unwrap();
    key.lines()
        .find_map(|l| l.strip_prefix("# public key: "))
        .unwrap()
        .to_string()
}

/// `secretgen </dev/null`, or any stdin that is not a ResourceList: usage on stderr, exit 2,
/// stdout empty. A ResourceList still selects the KRM function.
#[test]
fn bare_secretgen_needs_a_resource_list_on_stdin() {
    let t = tempfile::tempdir().unwrap();
    for stdin in [&b""[..], b"\n", b"hello", b"kind: Secret\n", b"{ not yaml"] {
        let out = with_stdin(secretgen_in(t.path()), stdin);
        assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
        assert!(out.stdout.is_empty(), "{}", describe(&out));
        let err = text(&out.stderr);
        assert!(err.contains("Usage: secretgen"), "{err}");
        assert!(err.contains("not a KRM ResourceList"), "{err}");
    }
    write(t.path(), "v.txt", "v");
    let list = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nfunctionConfig:\n  apiVersion: secretgen.dev/v1\n  kind: SecretGenerator\n  metadata:\n    name: s\n  files:\n  - v.txt\n";
    let out = with_stdin(secretgen_in(t.path()), list.as_bytes());
    assert!(out.status.success(), "{}", describe(&out));
    let got = text(&out.stdout);
    assert!(
        got.starts_with(
            "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n"
        ),
        "{got}"
    );
}

/// Every value of `--hash` is listed in `--help`, and so are the descriptions the issue
/// tracker found missing (`plugin install --plugin-home`, `create -n`).
#[test]
fn help_lists_values_and_describes_flags() {
    let t = tempfile::tempdir().unwrap();
    let help = |args: &[&str]| {
        let out = secretgen_in(t.path()).args(args).output().unwrap();
        assert!(out.status.success(), "{}", describe(&out));
        text(&out.stdout)
    };
    let render = help(&["render", "--help"]);
    assert!(
        render.contains("[possible values: kustomize, kustomize-legacy, kubectl]"),
        "{render}"
    );
    let install = help(&["plugin", "install", "--help"]);
    let at = install.find("--plugin-home <DIR>").unwrap();
    assert!(
        install[at..].contains("kustomize's plugin home"),
        "{install}"
    );
    let create = help(&["create", "generic", "--help"]);
    assert!(create.contains("The Secret's namespace"), "{create}");
    // An unknown variant names the ones there are.
    let out = secretgen_in(t.path())
        .args(["render", "--hash", "sha1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("[possible values: kustomize, kustomize-legacy, kubectl]"),
        "{}",
        describe(&out)
    );
}

/// `age rekey` keeps each file's mode: a mode is the user's choice; only new files are 0600.
#[test]
fn rekey_keeps_each_files_mode() {
    use std::os::unix::fs::PermissionsExt;
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let keygen = |name: &str| {
        let recipient = new_key(d, name);
        write(d, &format!("{name}.pub"), &format!("{recipient}\n"));
    };
    keygen("old.key");
    keygen("new.key");
    write(d, "plain/a.txt", "alpha");
    write(d, "plain/b.txt", "beta");
    for (name, mode) in [("a", 0o644), ("b", 0o640)] {
        let out = secretgen_in(d)
            .args(["age", "encrypt", "-R", "old.key.pub", "-o"])
            .arg(format!("secrets/{name}.txt.age"))
            .arg(format!("plain/{name}.txt"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", describe(&out));
        let p = d.join(format!("secrets/{name}.txt.age"));
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    let out = secretgen_in(d)
        .args([
            "age",
            "rekey",
            "-R",
            "new.key.pub",
            "-i",
            "old.key",
            "secrets",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    for (name, mode) in [("a", 0o644), ("b", 0o640)] {
        let p = d.join(format!("secrets/{name}.txt.age"));
        let got = std::fs::metadata(&p).unwrap().permissions().mode() & 0o7777;
        assert_eq!(got, mode, "{}", p.display());
        // And it really is rekeyed: the new key opens it.
        let out = secretgen_in(d)
            .args(["age", "decrypt", "-i", "new.key"])
            .arg(&p)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", describe(&out));
    }
}

/// In plugin mode the load restrictor's advice says what works inside kustomize (which
/// passes no flag to an exec plugin), and that advice works: SECRETGEN_LOAD_RESTRICTOR.
#[test]
fn plugin_mode_restrictor_advice_works_inside_kustomize() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    write(d, "outside.txt", "v");
    write(
        d,
        "app/gen.yaml",
        "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: s\nfiles:\n- ../outside.txt\n",
    );
    // As kustomize runs it: `SecretGenerator CONFIG`, in the kustomization root.
    let plugin_dir = tempfile::tempdir().unwrap();
    let plugin = plugin_dir.path().join("SecretGenerator");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_secretgen"), &plugin).unwrap();
    let run = |restrictor: Option<&str>| {
        let mut c = Command::new(&plugin);
        common::isolate(&mut c, &d.join("app"));
        c.env_remove("SECRETGEN_LOAD_RESTRICTOR");
        if let Some(r) = restrictor {
            c.env("SECRETGEN_LOAD_RESTRICTOR", r);
        }
        c.arg("gen.yaml").output().unwrap()
    };
    let out = run(None);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let err = text(&out.stderr);
    assert!(
        !err.contains("--load-restrictor LoadRestrictionsNone lifts it"),
        "{err}"
    );
    assert!(
        err.contains(
            "set SECRETGEN_LOAD_RESTRICTOR=LoadRestrictionsNone in kustomize's environment"
        ),
        "{err}"
    );
    let out = run(Some("LoadRestrictionsNone"));
    assert!(out.status.success(), "{}", describe(&out));
    assert!(text(&out.stdout).contains("kind: Secret"));
    let out = run(Some("bogus"));
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(text(&out.stderr).contains("SECRETGEN_LOAD_RESTRICTOR"));
    // On the command line the flag is the advice.
    let out = secretgen_in(&d.join("app"))
        .args(["render", "gen.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--load-restrictor LoadRestrictionsNone lifts it"),
        "{}",
        describe(&out)
    );
}

/// `diff --placeholder` without keys: what could not be compared is no difference (exit 0),
/// unless `--strict` (exit 1).
#[test]
fn diff_strict_counts_what_was_not_compared() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let recipient = new_key(d, "key.txt");
    write(d, "pass.txt", "s3cret");
    let manifest = "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: db\nfiles:\n- password.txt.age\n";
    for side in ["old", "new"] {
        let out = secretgen_in(d)
            .args(["age", "encrypt", "-r", &recipient, "-o"])
            .arg(format!("{side}/password.txt.age"))
            .arg("pass.txt")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", describe(&out));
        write(d, &format!("{side}/gen.yaml"), manifest);
    }
    let out = secretgen_in(d)
        .args(["diff", "--placeholder", "old", "new"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(
        text(&out.stdout).contains("not compared"),
        "{}",
        describe(&out)
    );
    let out = secretgen_in(d)
        .args(["diff", "--placeholder", "--strict", "old", "new"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    // With the key, the two are the same.
    let out = secretgen_in(d)
        .args(["diff", "--strict", "-i", "key.txt", "old", "new"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
}

/// A warning is printed once per run, at the file, line and column of the field it is
/// about: here the encrypted entry of a generator read through a kustomization's
/// `generators:`, met by both sides of a diff.
#[test]
fn each_warning_once_at_the_field() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let recipient = new_key(d, "key.txt");
    write(d, "pass.txt", "s3cret");
    let out = secretgen_in(d)
        .args([
            "age",
            "encrypt",
            "-r",
            &recipient,
            "-o",
            "app/pass.txt.age",
            "pass.txt",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    write(d, "app/kustomization.yaml", "generators:\n- gen.yaml\n");
    write(
        d,
        "app/gen.yaml",
        "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: db\nfiles:\n  - pass.txt.age\n",
    );
    for args in [
        &["diff", "--placeholder", "app", "app"][..],
        &["render", "--placeholder", "app", "-o", "out"],
        &["check", "--placeholder", "app"],
    ] {
        let out = secretgen_in(d).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", describe(&out));
        let err = text(&out.stderr);
        let warnings: Vec<&str> = err.lines().filter(|l| l.starts_with("warning:")).collect();
        assert_eq!(warnings.len(), 1, "{args:?}: {err}");
        assert!(
            warnings[0].starts_with("warning: app/gen.yaml:6:5: "),
            "{args:?}: {err}"
        );
    }
}

/// `check --require-encrypted`: each kind of input, encrypted (age armored and binary, SOPS
/// made by the real sops) or not, literals, plain and SOPS Secret manifests, the allow-list.
#[test]
fn require_encrypted_gate() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let recipient = new_key(d, "key.txt");
    const CANARY: &str = "CANARY-7b3e-plaintext-gate";
    write(d, "pw", CANARY);
    for (out_file, binary) in [("app/pw.age", false), ("app/pw.bin", true)] {
        let mut c = secretgen_in(d);
        c.args(["age", "encrypt", "-r", &recipient, "-o", out_file]);
        if binary {
            c.arg("--binary");
        }
        let out = c.arg("pw").output().unwrap();
        assert!(out.status.success(), "{}", describe(&out));
    }
    // SOPS files, made by the real sops.
    write(d, "plain.env", &format!("TOKEN={CANARY}\n"));
    write(
        d,
        "plain-secret.yaml",
        &format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  token: {CANARY}\n"
        ),
    );
    for (input, output) in [
        ("plain.env", "app/sops.env"),
        ("plain-secret.yaml", "app/sops-secret.yaml"),
    ] {
        let out = common::tool("sops")
            .current_dir(d)
            .args(["--encrypt", "--age", &recipient, input])
            .output()
            .expect("sops is installed by tests/setup.sh");
        assert!(out.status.success(), "sops: {}", describe(&out));
        std::fs::write(d.join(output), &out.stdout).unwrap();
    }
    write(d, "app/certs/ca.crt", "-----BEGIN CERTIFICATE-----\n");
    write(d, "app/app.env", &format!("X={CANARY}\n"));
    write(
        d,
        "app/plain.yaml",
        &format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: p\nstringData:\n  a: {CANARY}\n"
        ),
    );
    write(
        d,
        "app/gen.yaml",
        &format!(
            "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: db\nfiles:\n- pw.age\n- pw.bin\n- certs/ca.crt\nliterals:\n- host={CANARY}\n- empty=\nenvs:\n- sops.env\n- app.env\n"
        ),
    );
    write(
        d,
        "app/kustomization.yaml",
        "generators:\n- gen.yaml\nresources:\n- plain.yaml\n- sops-secret.yaml\n",
    );
    let out = secretgen_in(d)
        .args(["check", "--require-encrypted", "app"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert_eq!(
        text(&out.stdout),
        "app/gen.yaml:8:3: generator `db`: files input `app/certs/ca.crt` is not encrypted (age or SOPS); encrypt it, or list it with --allow-plaintext if it is meant to be plain\n\
         app/gen.yaml:10:3: generator `db`: literal `host` holds its value in clear; move it to a file and encrypt it (`secretgen age encrypt`)\n\
         app/gen.yaml:14:3: generator `db`: envs input `app/app.env` is not encrypted (age or SOPS); encrypt it, or list it with --allow-plaintext if it is meant to be plain\n\
         app/plain.yaml:1:1: a Secret manifest holds its values in clear; encrypt it with SOPS, or generate it from encrypted files\n"
    );
    assert!(!text(&out.stderr).contains(CANARY) && !text(&out.stdout).contains(CANARY));
    // The allow-list lifts the plain files it names, not the literal.
    let out = secretgen_in(d)
        .args([
            "check",
            "--require-encrypted",
            "--allow-plaintext",
            "**/ca.crt",
            "--allow-plaintext",
            "app/*.env",
            "--allow-plaintext",
            "app/plain.yaml",
            "app",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert_eq!(
        text(&out.stdout),
        "app/gen.yaml:10:3: generator `db`: literal `host` holds its value in clear; move it to a file and encrypt it (`secretgen age encrypt`)\n"
    );
    // Once the literal is gone, the gate passes.
    let manifest = std::fs::read_to_string(d.join("app/gen.yaml")).unwrap();
    write(
        d,
        "app/gen.yaml",
        &manifest.replace(&format!("- host={CANARY}\n"), ""),
    );
    let out = secretgen_in(d)
        .args([
            "check",
            "--require-encrypted",
            "--allow-plaintext",
            "**/ca.crt",
            "--allow-plaintext",
            "app/app.env",
            "--allow-plaintext",
            "app/plain.yaml",
            "app",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(
        text(&out.stderr).contains("no plaintext secrets"),
        "{}",
        describe(&out)
    );
}
