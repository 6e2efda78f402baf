//! age interoperability and failure modes, with the Go `age` CLI (v1.3.2, from `tests/setup.sh`)
//! as the other side: files it encrypts (armored and binary; X25519, ssh-ed25519, ssh-rsa,
//! several recipients) decrypt to the exact bytes, files secretgen encrypts decrypt with
//! `age -d`, and encrypted inputs render exactly as their plaintext twins. Every failure
//! exits 2 with a clear message, nothing on stdout, and no trace of a canary value: those
//! cases, with inputs made once by the Go CLI, are `tests/bad_inputs/age-go-*`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common;
use common::{run_ok as ok, secretgen_in as secretgen, text};

const CANARY: &str = "CANARY-a9e1-plaintext-must-not-leak";

fn tool(name: &str) -> Command {
    let probe = common::tool(name).arg("--version").output();
    assert!(
        probe.is_ok(),
        "`{name}` is required (Go age v1.3.2; run `bash tests/setup.sh`)"
    );
    common::tool(name)
}

struct Keys {
    dir: tempfile::TempDir,
}

impl Keys {
    /// An X25519 identity from age-keygen, and ed25519 and rsa keys from ssh-keygen.
    fn new() -> Keys {
        let dir = tempfile::tempdir().unwrap();
        ok({
            let mut c = tool("age-keygen");
            c.arg("-o").arg(dir.path().join("x25519.txt"));
            c
        });
        for (kind, bits) in [("ed25519", None), ("rsa", Some("2048"))] {
            let mut c = Command::new("ssh-keygen");
            c.args(["-q", "-N", "", "-t", kind, "-f"])
                .arg(dir.path().join(format!("id_{kind}")));
            if let Some(b) = bits {
                c.args(["-b", b]);
            }
            ok(c);
        }
        Keys { dir }
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn x25519_recipient(&self) -> String {
        let t = std::fs::read_to_string(self.path("x25519.txt")).unwrap();
        t.lines()
            .find_map(|l| l.strip_prefix("# public key: "))
            .unwrap()
            .to_string()
    }
}

fn go_encrypt(input: &Path, output: &Path, recipients: &[(&str, String)], armor: bool) {
    let mut c = tool("age");
    if armor {
        c.arg("-a");
    }
    for (flag, r) in recipients {
        c.arg(flag).arg(r);
    }
    c.arg("-o").arg(output).arg(input);
    ok(c);
}

#[test]
fn go_encrypted_files_decrypt_to_the_exact_bytes() {
    let keys = Keys::new();
    let t = tempfile::tempdir().unwrap();
    let plain: Vec<u8> = (0..=255u8).cycle().take(70_000).collect(); // binary, several chunks
    std::fs::write(t.path().join("plain.bin"), &plain).unwrap();
    let ed = keys.path("id_ed25519.pub").display().to_string();
    let rsa = keys.path("id_rsa.pub").display().to_string();
    type Case<'a> = (&'a str, Vec<(&'a str, String)>, PathBuf);
    let cases: Vec<Case> = vec![
        (
            "x25519",
            vec![("-r", keys.x25519_recipient())],
            keys.path("x25519.txt"),
        ),
        (
            "ssh-ed25519",
            vec![("-R", ed.clone())],
            keys.path("id_ed25519"),
        ),
        ("ssh-rsa", vec![("-R", rsa.clone())], keys.path("id_rsa")),
        (
            "several-by-rsa",
            vec![
                ("-r", keys.x25519_recipient()),
                ("-R", ed.clone()),
                ("-R", rsa.clone()),
            ],
            keys.path("id_rsa"),
        ),
        (
            "several-by-x25519",
            vec![("-r", keys.x25519_recipient()), ("-R", ed), ("-R", rsa)],
            keys.path("x25519.txt"),
        ),
    ];
    for (name, recipients, identity) in cases {
        for armor in [true, false] {
            let ct = t.path().join(format!("{name}-{armor}.age"));
            go_encrypt(&t.path().join("plain.bin"), &ct, &recipients, armor);
            let out = secretgen(t.path())
                .args(["age", "decrypt", "-i"])
                .arg(&identity)
                .arg(&ct)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{name} armor={armor}: {}",
                text(&out.stderr)
            );
            assert!(
                out.stdout == plain,
                "{name} armor={armor}: plaintext differs"
            );
        }
    }
}

#[test]
fn secretgen_encrypted_files_decrypt_with_go_age() {
    let keys = Keys::new();
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("p.txt"), CANARY).unwrap();
    std::fs::write(
        t.path().join("recipients.txt"),
        format!(
            "# team\n{}\n\n",
            std::fs::read_to_string(keys.path("id_ed25519.pub")).unwrap()
        ),
    )
    .unwrap();
    for (armor_flag, identity) in [
        ("--armor", "x25519.txt"),
        ("--binary", "x25519.txt"),
        ("--armor", "id_ed25519"),
        ("--binary", "id_rsa"),
    ] {
        let out_file = t.path().join("p.age");
        let _ = std::fs::remove_file(&out_file);
        let out = secretgen(t.path())
            .args([
                "age",
                "encrypt",
                armor_flag,
                "-r",
                &keys.x25519_recipient(),
                "-R",
                "recipients.txt",
                "-r",
            ])
            .arg(
                std::fs::read_to_string(keys.path("id_rsa.pub"))
                    .unwrap()
                    .trim(),
            )
            .args(["-o", "p.age", "p.txt"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        let ct = std::fs::read(&out_file).unwrap();
        assert_eq!(
            ct.starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----"),
            armor_flag == "--armor"
        );
        let dec = ok({
            let mut c = tool("age");
            c.arg("-d")
                .arg("-i")
                .arg(keys.path(identity))
                .arg(&out_file);
            c
        });
        assert_eq!(text(&dec.stdout), CANARY);
    }
}

/// The same Secret, name and hash included, from plaintext inputs and from their encrypted
/// twins (an env file and a binary file; armored and binary age).
#[test]
fn encrypted_inputs_render_like_their_plaintext_twins() {
    let keys = Keys::new();
    let t = tempfile::tempdir().unwrap();
    let (plain, enc) = (t.path().join("plain"), t.path().join("enc"));
    std::fs::create_dir_all(&plain).unwrap();
    std::fs::create_dir_all(&enc).unwrap();
    let env = format!("DB_USER=admin\nDB_PASS={CANARY}\n");
    let bin: Vec<u8> = (0..200u8).collect();
    std::fs::write(plain.join("app.env"), &env).unwrap();
    std::fs::write(plain.join("blob.bin"), &bin).unwrap();
    go_encrypt(
        &plain.join("app.env"),
        &enc.join("app.env.age"),
        &[("-r", keys.x25519_recipient())],
        true,
    );
    go_encrypt(
        &plain.join("blob.bin"),
        &enc.join("blob.bin.age"),
        &[("-r", keys.x25519_recipient())],
        false,
    );
    std::fs::write(plain.join("secretgen.yaml"), "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: app\nenvs:\n- app.env\nfiles:\n- blob.bin\n").unwrap();
    std::fs::write(enc.join("secretgen.yaml"), "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: app\nenvs:\n- app.env.age\nfiles:\n- blob.bin.age\n").unwrap();
    let a = secretgen(t.path())
        .args(["render", "plain"])
        .output()
        .unwrap();
    assert!(a.status.success(), "{}", text(&a.stderr));
    // The identity through the environment, as a plugin or CI job would pass it.
    let b = secretgen(t.path())
        .args(["render", "enc"])
        .env("SECRETGEN_AGE_IDENTITY_FILE", keys.path("x25519.txt"))
        .output()
        .unwrap();
    assert!(b.status.success(), "{}", text(&b.stderr));
    assert_eq!(text(&a.stdout), text(&b.stdout));
    assert!(
        text(&b.stdout).contains("blob.bin: |"),
        "the .age suffix is stripped from the key"
    );
    // And through the other places: --identity, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY, XDG.
    let key_text = std::fs::read_to_string(keys.path("x25519.txt")).unwrap();
    let xdg = t.path().join("xdg");
    std::fs::create_dir_all(xdg.join("sops/age")).unwrap();
    std::fs::write(xdg.join("sops/age/keys.txt"), &key_text).unwrap();
    type Setup<'a> = Box<dyn Fn(&mut Command) + 'a>;
    let variants: Vec<Setup> = vec![
        Box::new(|c: &mut Command| {
            c.arg("--identity").arg(keys.path("x25519.txt"));
        }),
        Box::new(|c: &mut Command| {
            c.env("SOPS_AGE_KEY_FILE", keys.path("x25519.txt"));
        }),
        Box::new(|c: &mut Command| {
            c.env("SOPS_AGE_KEY", &key_text);
        }),
        Box::new(|c: &mut Command| {
            c.env("SECRETGEN_AGE_IDENTITY", &key_text);
        }),
        Box::new(|c: &mut Command| {
            c.env("XDG_CONFIG_HOME", &xdg);
        }),
    ];
    for v in variants {
        let mut c = secretgen(t.path());
        c.args(["render", "enc"]);
        v(&mut c);
        let out = c.output().unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(text(&out.stdout), text(&a.stdout));
    }
}

#[test]
fn recipients_and_rekey() {
    let keys = Keys::new();
    let next = Keys::new();
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::create_dir_all(d.join("secrets")).unwrap();
    std::fs::write(d.join("p.txt"), CANARY).unwrap();
    go_encrypt(
        &d.join("p.txt"),
        &d.join("secrets/a.age"),
        &[
            ("-r", keys.x25519_recipient()),
            ("-R", keys.path("id_ed25519.pub").display().to_string()),
        ],
        true,
    );
    go_encrypt(
        &d.join("p.txt"),
        &d.join("secrets/b.age"),
        &[("-r", keys.x25519_recipient())],
        false,
    );
    std::fs::write(d.join("secrets/plain.txt"), "not encrypted").unwrap();
    let out = secretgen(d)
        .args(["age", "recipients", "secrets/a.age", "secrets/b.age"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let report = text(&out.stdout);
    assert!(
        report
            .contains("secrets/a.age: armored, encrypted to X25519 ×1, ssh-ed25519 ×1 (key tags "),
        "{report}"
    );
    assert!(
        report.contains("secrets/b.age: binary, encrypted to X25519 ×1\n"),
        "{report}"
    );

    std::fs::write(
        d.join("new-recipients.txt"),
        format!("{}\n", next.x25519_recipient()),
    )
    .unwrap();
    let out = secretgen(d)
        .args(["age", "rekey", "-R", "new-recipients.txt", "-i"])
        .arg(keys.path("x25519.txt"))
        .arg("secrets")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr),
        "rekeyed 2 files (1 armored, 1 binary) to 1 recipients\n"
    );
    assert_eq!(
        std::fs::read_to_string(d.join("secrets/plain.txt")).unwrap(),
        "not encrypted"
    );
    assert!(
        std::fs::read(d.join("secrets/a.age"))
            .unwrap()
            .starts_with(b"-----BEGIN AGE")
    );
    assert!(
        std::fs::read(d.join("secrets/b.age"))
            .unwrap()
            .starts_with(b"age-encryption.org/v1")
    );
    for f in ["secrets/a.age", "secrets/b.age"] {
        let old = tool("age")
            .arg("-d")
            .arg("-i")
            .arg(keys.path("x25519.txt"))
            .arg(d.join(f))
            .output()
            .unwrap();
        assert!(!old.status.success(), "the old key still opens {f}");
        let new = ok({
            let mut c = tool("age");
            c.arg("-d")
                .arg("-i")
                .arg(next.path("x25519.txt"))
                .arg(d.join(f));
            c
        });
        assert_eq!(text(&new.stdout), CANARY);
    }
}

#[test]
fn keygen_and_decrypt_manners() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let out = secretgen(d)
        .args(["age", "keygen", "-o", "k.txt"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let recipient = text(&out.stderr)
        .trim()
        .strip_prefix("Public key: ")
        .unwrap()
        .to_string();
    assert!(recipient.starts_with("age1"));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(d.join("k.txt"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    let again = secretgen(d)
        .args(["age", "keygen", "-o", "k.txt"])
        .output()
        .unwrap();
    assert_eq!(
        again.status.code(),
        Some(2),
        "an identity must never be overwritten"
    );
    // The Go age CLI reads the identity secretgen wrote.
    std::fs::write(d.join("m.txt"), "hello").unwrap();
    ok({
        let mut c = tool("age");
        c.args(["-r", &recipient, "-o"])
            .arg(d.join("m.age"))
            .arg(d.join("m.txt"));
        c
    });
    let out = secretgen(d)
        .args(["age", "decrypt", "-i", "k.txt", "m.age"])
        .output()
        .unwrap();
    assert_eq!(text(&out.stdout), "hello");
}

/// Without keys (a CI job), `--placeholder` renders encrypted inputs as marked placeholders
/// so structure and references can be checked; nothing secret is needed or shown.
#[test]
fn placeholders_without_keys() {
    let keys = Keys::new();
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::write(d.join("pw.txt"), CANARY).unwrap();
    std::fs::write(d.join("app.env"), format!("DB_PASS={CANARY}\n")).unwrap();
    go_encrypt(
        &d.join("pw.txt"),
        &d.join("password.txt.age"),
        &[("-r", keys.x25519_recipient())],
        true,
    );
    go_encrypt(
        &d.join("app.env"),
        &d.join("app.env.age"),
        &[("-r", keys.x25519_recipient())],
        true,
    );
    std::fs::remove_file(d.join("pw.txt")).unwrap();
    std::fs::remove_file(d.join("app.env")).unwrap();
    std::fs::write(d.join("secretgen.yaml"), "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: db\nfiles:\n- password.txt.age\nenvs:\n- app.env.age\nliterals:\n- user=admin\n").unwrap();
    std::fs::write(d.join("deploy.yaml"), "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        env:\n        - name: A\n          valueFrom:\n            secretKeyRef: {name: db, key: password.txt}\n        - name: B\n          valueFrom:\n            secretKeyRef: {name: db, key: DB_PASS}\n").unwrap();

    let out = secretgen(d)
        .args(["render", "--placeholder", "secretgen.yaml"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let yaml = text(&out.stdout);
    assert!(
        yaml.contains("secretgen.dev/placeholder: \"true\""),
        "{yaml}"
    );
    assert!(
        yaml.contains("password.txt: c2VjcmV0Z2VuLXBsYWNlaG9sZGVy"),
        "{yaml}"
    );
    let err = text(&out.stderr);
    assert!(
        err.contains("warning: ") && err.contains("holds a placeholder"),
        "{err}"
    );
    assert!(
        err.contains("app.env.age` could not be decrypted: its keys are left out"),
        "{err}"
    );

    // Never written to a directory without the flag (and without it, no keys is an error).
    let out = secretgen(d)
        .args(["render", "secretgen.yaml", "-o", "out"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!d.join("out").exists());
    let out = secretgen(d)
        .args(["render", "--placeholder", "secretgen.yaml", "-o", "out"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));

    // check: the file key is checked, the env keys are noted as not checkable (exit 0: a
    // keyless CI job passes), and are findings with --strict.
    let out = secretgen(d)
        .args(["check", "--placeholder", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let (report, notes) = (text(&out.stdout), text(&out.stderr));
    assert!(report.is_empty(), "{report}");
    assert!(!notes.contains("env `A`"), "{notes}");
    assert!(
        notes.contains("note: ")
            && notes.contains(
                "env `B` secretKeyRef: key `DB_PASS` of Secret `db` could not be checked"
            ),
        "{notes}"
    );
    assert!(!report.contains(CANARY) && !notes.contains(CANARY));
    let out = secretgen(d)
        .args(["check", "--placeholder", "--strict", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let report = text(&out.stdout);
    assert!(
        report.contains("env `B` secretKeyRef: key `DB_PASS` of Secret `db` could not be checked"),
        "{report}"
    );
}

/// A render with no encrypted input reads no key file: a broken identity setting is not
/// even noticed.
#[test]
fn plaintext_renders_never_read_identities() {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("k.txt"), "v").unwrap();
    std::fs::write(t.path().join("gen.yaml"), "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: s\nfiles:\n- k.txt\n").unwrap();
    std::fs::write(t.path().join("broken-key.txt"), "not a key\n").unwrap();
    for (var, value) in [
        ("SECRETGEN_AGE_IDENTITY_FILE", "missing.txt"),
        ("SECRETGEN_AGE_IDENTITY_FILE", "broken-key.txt"),
        ("SOPS_AGE_KEY", "garbage"),
    ] {
        let out = secretgen(t.path())
            .args(["render", "gen.yaml"])
            .env(var, value)
            .output()
            .unwrap();
        assert!(out.status.success(), "{var}={value}: {}", text(&out.stderr));
    }
}

/// `check --recipients` on age files, without any key: each file secretgen writes is
/// recorded with its recipients, so a changed `.age-recipients` lists the files still
/// encrypted to the old list (exit 1) until `rekey` brings them along (exit 0); a file Go
/// age wrote is reported as one secretgen cannot tell about; SSH stanzas are compared by
/// their key tags without a record.
#[test]
fn check_recipients_compares_age_files_with_their_age_recipients() {
    let keys = Keys::new();
    let next = Keys::new();
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::create_dir_all(d.join("secrets")).unwrap();
    std::fs::write(d.join("p.txt"), CANARY).unwrap();
    let a = keys.x25519_recipient();
    let b = next.x25519_recipient();
    std::fs::write(d.join(".age-recipients"), format!("# team\n{a}\n")).unwrap();
    ok({
        let mut c = secretgen(d);
        c.args([
            "age",
            "encrypt",
            "-R",
            ".age-recipients",
            "-o",
            "secrets/a.age",
            "p.txt",
        ]);
        c
    });
    ok({
        let mut c = secretgen(d);
        c.args([
            "age",
            "encrypt",
            "-a",
            "-r",
            &a,
            "-o",
            "secrets/b.age",
            "p.txt",
        ]);
        c
    });
    let record = std::fs::read_to_string(d.join(".age-recipients.lock")).unwrap();
    assert!(
        record.contains(" secrets/a.age\n") && record.contains(" secrets/b.age\n"),
        "{record}"
    );
    let check = || {
        let mut c = secretgen(d);
        c.args(["check", "--recipients", "."]);
        let out = c.output().unwrap();
        for s in [&out.stdout, &out.stderr] {
            assert!(!text(s).contains(CANARY), "check showed the plaintext");
        }
        out
    };
    let out = check();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr).contains("2 age files compared"),
        "{}",
        text(&out.stderr)
    );

    // B joins: both files are still for A only.
    std::fs::write(d.join(".age-recipients"), format!("{a}\n{b}\n")).unwrap();
    let out = check();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let listed = text(&out.stdout);
    for f in ["secrets/a.age", "secrets/b.age"] {
        assert!(
            listed.contains(&format!("{f}: recipients differ from ")),
            "{listed}"
        );
    }
    assert!(
        listed.contains("1 listed there missing, 0 not listed there"),
        "{listed}"
    );

    ok({
        let mut c = secretgen(d);
        c.args(["age", "rekey", "-R", ".age-recipients", "-i"])
            .arg(keys.path("x25519.txt"))
            .arg("secrets");
        c
    });
    let out = check();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));

    // Go age writes a file to exactly these recipients: nothing says so.
    go_encrypt(
        &d.join("p.txt"),
        &d.join("secrets/go.age"),
        &[("-r", a.clone()), ("-r", b.clone())],
        false,
    );
    let out = check();
    assert_eq!(out.status.code(), Some(1));
    let listed = text(&out.stdout);
    assert!(
        listed.contains("secrets/go.age: cannot tell whether its recipients are those of ")
            && listed.contains("secretgen has no record of it"),
        "{listed}"
    );
    assert!(!listed.contains("secrets/a.age"), "{listed}");
    // A recorded file re-encrypted by Go age: its record no longer holds.
    go_encrypt(
        &d.join("p.txt"),
        &d.join("secrets/a.age"),
        &[("-r", a.clone()), ("-r", b.clone())],
        true,
    );
    let listed = text(&check().stdout);
    assert!(
        listed.contains("secrets/a.age: cannot tell")
            && listed.contains("written since secretgen recorded it"),
        "{listed}"
    );

    // Post-quantum recipients (2,000 characters, no recipient in the stanza) are recorded
    // the same way.
    let pq = d.join("pq");
    std::fs::create_dir_all(&pq).unwrap();
    let pq_key = |name: &str| {
        let out = ok({
            let mut c = secretgen(d);
            c.args(["age", "keygen", "--pq", "-o"]).arg(pq.join(name));
            c
        });
        text(&out.stderr)
            .trim()
            .trim_start_matches("Public key: ")
            .to_string()
    };
    let (p1, p2) = (pq_key("k1.txt"), pq_key("k2.txt"));
    assert!(p1.starts_with("age1pq1"), "{p1}");
    std::fs::write(pq.join(".age-recipients"), format!("{p1}\n")).unwrap();
    ok({
        let mut c = secretgen(d);
        c.args([
            "age",
            "encrypt",
            "-R",
            "pq/.age-recipients",
            "-o",
            "pq/s.age",
            "p.txt",
        ]);
        c
    });
    let check_pq = |code: i32| {
        let mut c = secretgen(d);
        c.args(["check", "--recipients", "pq"]);
        let out = c.output().unwrap();
        assert_eq!(out.status.code(), Some(code), "{}", text(&out.stdout));
    };
    check_pq(0);
    std::fs::write(pq.join(".age-recipients"), format!("{p2}\n")).unwrap();
    check_pq(1);

    // SSH recipients: the stanzas' key tags say which keys, no record needed.
    let ssh = d.join("ssh");
    std::fs::create_dir_all(&ssh).unwrap();
    let ed = std::fs::read_to_string(keys.path("id_ed25519.pub")).unwrap();
    let rsa = std::fs::read_to_string(keys.path("id_rsa.pub")).unwrap();
    std::fs::write(ssh.join(".age-recipients"), &ed).unwrap();
    go_encrypt(
        &d.join("p.txt"),
        &ssh.join("s.age"),
        &[("-R", keys.path("id_ed25519.pub").display().to_string())],
        false,
    );
    let check_ssh = || {
        let mut c = secretgen(d);
        c.args(["check", "--recipients", "ssh"]);
        c.output().unwrap()
    };
    assert_eq!(
        check_ssh().status.code(),
        Some(0),
        "{}",
        text(&check_ssh().stdout)
    );
    std::fs::write(ssh.join(".age-recipients"), format!("{ed}{rsa}")).unwrap();
    let out = check_ssh();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("ssh/s.age: recipients differ from "),
        "{}",
        text(&out.stdout)
    );
}
