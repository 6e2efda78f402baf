//! Post-quantum age keys (`AGE-SECRET-KEY-PQ-1…`, `age1pq1…`, stanza `mlkem768x25519`)
//! against Go age v1.3.2 both ways: files Go encrypts (armored and binary, one and several PQ
//! recipients) decrypt to the exact bytes and render like their plaintext twins; files
//! secretgen encrypts (to its own keys and to Go's) decrypt with `age -d`; `rekey` moves files
//! to PQ recipients; mixing PQ and classic recipients is refused, as Go age refuses it.

use std::path::Path;
use std::process::Command;

use crate::common;
use common::{run_ok, secretgen_in as secretgen, text, tool};

const CANARY: &str = "CANARY-5d0e-post-quantum-plaintext";

/// A PQ identity from Go's `age-keygen -pq`: its recipient.
fn go_keygen_pq(path: &Path) -> String {
    let mut c = tool("age-keygen");
    c.arg("-pq").arg("-o").arg(path);
    run_ok(c);
    let mut c = tool("age-keygen");
    c.arg("-y").arg(path);
    text(&run_ok(c).stdout).trim().to_string()
}

fn go_encrypt(d: &Path, out: &str, armor: bool, recipients: &[&str]) {
    let mut c = tool("age");
    if armor {
        c.arg("-a");
    }
    for r in recipients {
        c.arg("-r").arg(r);
    }
    c.arg("-o").arg(d.join(out)).arg(d.join("p.txt"));
    run_ok(c);
}

fn go_decrypt(d: &Path, file: &str, key: &str) -> Vec<u8> {
    let mut c = tool("age");
    c.arg("-d").arg("-i").arg(d.join(key)).arg(d.join(file));
    run_ok(c).stdout
}

fn decrypt(d: &Path, file: &str, key: &str) -> std::process::Output {
    let mut c = secretgen(d);
    c.args(["age", "decrypt", "-i", key, file]);
    c.output().unwrap()
}

fn is_armored(d: &Path, file: &str) -> bool {
    std::fs::read(d.join(file))
        .unwrap()
        .starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----")
}

#[test]
fn go_age_pq_files_decrypt_and_render() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::write(d.join("p.txt"), CANARY).unwrap();
    let r1 = go_keygen_pq(&d.join("k1.txt"));
    let r2 = go_keygen_pq(&d.join("k2.txt"));
    assert!(
        r1.starts_with("age1pq1") && r1.len() == 1959,
        "{}",
        r1.len()
    );
    for armor in [true, false] {
        let one = format!("one-{armor}.age");
        let both = format!("both-{armor}.age");
        go_encrypt(d, &one, armor, &[&r1]);
        go_encrypt(d, &both, armor, &[&r1, &r2]);
        for (file, key) in [(&one, "k1.txt"), (&both, "k1.txt"), (&both, "k2.txt")] {
            let out = decrypt(d, file, key);
            assert!(out.status.success(), "{file} {key}: {}", text(&out.stderr));
            assert_eq!(out.stdout, CANARY.as_bytes(), "{file} {key}");
        }
        // The wrong PQ key: no match, the stanza type named, no secret shown.
        let out = decrypt(d, &one, "k2.txt");
        assert_eq!(out.status.code(), Some(2));
        assert!(out.stdout.is_empty());
        let err = text(&out.stderr);
        assert!(
            err.contains("no identity matches: the file is encrypted to mlkem768x25519 ×1"),
            "{err}"
        );
        assert!(
            !err.contains("AGE-SECRET-KEY") && !err.contains(CANARY),
            "{err}"
        );
        // As a generator input, through SOPS_AGE_KEY_FILE (the sops places).
        std::fs::write(
            d.join("gen.yaml"),
            format!("apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: s\nfiles:\n- p={both}\n"),
        )
        .unwrap();
        std::fs::write(
            d.join("twin.yaml"),
            "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: s\nfiles:\n- p=p.txt\n",
        )
        .unwrap();
        let mut c = secretgen(d);
        c.args(["render", "twin.yaml"]);
        let want = run_ok(c).stdout;
        let mut c = secretgen(d);
        c.args(["render", "gen.yaml"])
            .env("SOPS_AGE_KEY_FILE", d.join("k2.txt"));
        assert_eq!(run_ok(c).stdout, want);
    }
}

#[test]
fn secretgen_pq_keys_and_files_work_with_go_age() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::write(d.join("p.txt"), CANARY).unwrap();
    // secretgen's key: Go age reads it and derives the same recipient.
    let mut c = secretgen(d);
    c.args(["age", "keygen", "--pq", "-o", "mine.txt"]);
    let out = run_ok(c);
    let ours = text(&out.stderr)
        .trim()
        .strip_prefix("Public key: ")
        .unwrap()
        .to_string();
    assert!(out.stdout.is_empty());
    let key = std::fs::read_to_string(d.join("mine.txt")).unwrap();
    assert!(key.contains("\nAGE-SECRET-KEY-PQ-1"), "{key}");
    let mut c = tool("age-keygen");
    c.arg("-y").arg(d.join("mine.txt"));
    assert_eq!(text(&run_ok(c).stdout).trim(), ours);
    let theirs = go_keygen_pq(&d.join("go.txt"));

    for armor in [true, false] {
        let name = format!("s-{armor}.age");
        let mut c = secretgen(d);
        c.args(["age", "encrypt", "-r", &ours, "-r", &theirs, "-o", &name]);
        if !armor {
            c.arg("--binary");
        }
        c.arg("p.txt");
        run_ok(c);
        assert_eq!(is_armored(d, &name), armor);
        for key in ["mine.txt", "go.txt"] {
            assert_eq!(go_decrypt(d, &name, key), CANARY.as_bytes(), "{name} {key}");
        }
        let out = decrypt(d, &name, "mine.txt");
        assert_eq!(out.stdout, CANARY.as_bytes());
    }
    // PQ alone, from a recipients file.
    std::fs::write(d.join("recipients"), format!("# team\n{theirs}\n")).unwrap();
    let mut c = secretgen(d);
    c.args(["age", "encrypt", "-R", "recipients", "-o", "r.age", "p.txt"]);
    run_ok(c);
    assert_eq!(go_decrypt(d, "r.age", "go.txt"), CANARY.as_bytes());
}

#[test]
fn mixing_pq_and_classic_recipients_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::write(d.join("p.txt"), CANARY).unwrap();
    let pq = go_keygen_pq(&d.join("pq.txt"));
    let mut c = tool("age-keygen");
    c.arg("-o").arg(d.join("x.txt"));
    run_ok(c);
    let mut c = tool("age-keygen");
    c.arg("-y").arg(d.join("x.txt"));
    let classic = text(&run_ok(c).stdout).trim().to_string();
    // Go age refuses it too.
    let mut c = tool("age");
    c.args(["-r", &pq, "-r", &classic]).arg(d.join("p.txt"));
    assert!(!c.output().unwrap().status.success());
    for order in [[&pq, &classic], [&classic, &pq]] {
        let mut c = secretgen(d);
        c.args([
            "age", "encrypt", "-r", order[0], "-r", order[1], "-o", "m.age", "p.txt",
        ]);
        let out = c.output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(out.stdout.is_empty());
        let err = text(&out.stderr);
        assert!(
            err.contains(
                "post-quantum recipients (age1pq1…, age1tagpq1…) cannot be mixed with classic ones"
            ),
            "{err}"
        );
        assert!(!d.join("m.age").exists());
    }
    // A damaged PQ recipient: named shortly, not printed whole.
    let mut bad = pq.clone();
    bad.truncate(bad.len() - 1);
    let mut c = secretgen(d);
    c.args(["age", "encrypt", "-r", &bad, "p.txt"]);
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("is not a valid post-quantum recipient"),
        "{err}"
    );
    assert!(err.len() < 400, "{err}");
}

#[test]
fn rekey_moves_classic_files_to_pq_recipients() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::create_dir_all(d.join("secrets")).unwrap();
    std::fs::write(d.join("p.txt"), CANARY).unwrap();
    let mut c = tool("age-keygen");
    c.arg("-o").arg(d.join("old.txt"));
    run_ok(c);
    let mut c = tool("age-keygen");
    c.arg("-y").arg(d.join("old.txt"));
    let old = text(&run_ok(c).stdout).trim().to_string();
    go_encrypt(d, "secrets/a.age", true, &[&old]);
    go_encrypt(d, "secrets/b.age", false, &[&old]);
    let new = go_keygen_pq(&d.join("new.txt"));
    std::fs::write(d.join(".age-recipients"), format!("{new}\n")).unwrap();
    let mut c = secretgen(d);
    c.args([
        "age",
        "rekey",
        "-R",
        ".age-recipients",
        "-i",
        "old.txt",
        "secrets",
    ]);
    run_ok(c);
    assert!(is_armored(d, "secrets/a.age") && !is_armored(d, "secrets/b.age"));
    for f in ["secrets/a.age", "secrets/b.age"] {
        assert_eq!(go_decrypt(d, f, "new.txt"), CANARY.as_bytes());
        let mut c = Command::new(env!("CARGO_BIN_EXE_secretgen"));
        c.args(["age", "recipients", f]).current_dir(d);
        assert!(text(&run_ok(c).stdout).contains("mlkem768x25519 ×1"));
        // And back through secretgen with the new key.
        assert_eq!(decrypt(d, f, "new.txt").stdout, CANARY.as_bytes());
    }
}

/// A file made by the real sops (v3.13) for two post-quantum recipients: each `age` entry's
/// `enc` (an armored age file holding the 32-byte data key) opens through the keyring with
/// that recipient's key, found as sops finds it (`SOPS_AGE_KEY_FILE`), and not with the other
/// entry's recipient's key alone.
#[test]
fn sops_made_pq_entries_unwrap_through_the_keyring() {
    use secretgen::age::{IdentitySources, Keyring};
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let r1 = go_keygen_pq(&d.join("k1.txt"));
    let r2 = go_keygen_pq(&d.join("k2.txt"));
    std::fs::write(d.join("s.yaml"), format!("password: {CANARY}\n")).unwrap();
    let mut c = tool("sops");
    c.args(["encrypt", "--age", &format!("{r1},{r2}")])
        .arg(d.join("s.yaml"))
        .current_dir(d);
    let encrypted = text(&run_ok(c).stdout);
    assert!(!encrypted.contains(CANARY));
    let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(&encrypted).unwrap();
    let entries = doc["sops"]["age"].as_sequence().unwrap();
    assert_eq!(entries.len(), 2);
    for entry in entries {
        let recipient = entry["recipient"].as_str().unwrap();
        let enc = entry["enc"].as_str().unwrap();
        let key = if recipient == r1 { "k1.txt" } else { "k2.txt" };
        assert!(recipient == r1 || recipient == r2);
        let keys = Keyring::new(IdentitySources {
            sops_key_file: Some(d.join(key).display().to_string()),
            ..Default::default()
        });
        let data_key = keys
            .decrypt_for_recipient(Path::new("s.yaml"), enc.as_bytes(), recipient)
            .unwrap();
        assert_eq!(data_key.expose().len(), 32);
        let other = if key == "k1.txt" { "k2.txt" } else { "k1.txt" };
        let keys = Keyring::new(IdentitySources {
            sops_key_file: Some(d.join(other).display().to_string()),
            ..Default::default()
        });
        assert!(
            keys.decrypt_for_recipient(Path::new("s.yaml"), enc.as_bytes(), recipient)
                .is_err()
        );
    }
}

/// A sops-made file (YAML, and a dotenv under `envs`) whose only recipient is post-quantum
/// renders exactly as its `sops --decrypt` output does, the key found as sops finds it.
#[test]
fn sops_made_pq_files_render_like_their_plaintext() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let r = go_keygen_pq(&d.join("k.txt"));
    std::fs::write(d.join("s.yaml"), format!("password: {CANARY}\nn: 1\n")).unwrap();
    std::fs::write(d.join("app.env"), format!("TOKEN={CANARY}\nMODE=x\n")).unwrap();
    for (plain, out, kind) in [
        ("s.yaml", "s.enc.yaml", "yaml"),
        ("app.env", "app.enc.env", "dotenv"),
    ] {
        let mut c = tool("sops");
        c.args([
            "encrypt",
            "--age",
            &r,
            "--input-type",
            kind,
            "--output-type",
            kind,
        ])
        .arg(d.join(plain))
        .current_dir(d);
        let enc = run_ok(c).stdout;
        assert!(!text(&enc).contains(CANARY));
        std::fs::write(d.join(out), enc).unwrap();
        let mut c = tool("sops");
        c.args(["decrypt", "--input-type", kind, "--output-type", kind])
            .arg(d.join(out))
            .env("SOPS_AGE_KEY_FILE", d.join("k.txt"))
            .current_dir(d);
        std::fs::write(d.join(format!("{out}.plain")), run_ok(c).stdout).unwrap();
    }
    let manifest = |file: &str, env: &str| {
        format!(
            "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: s\nfiles:\n- p={file}\nenvs:\n- {env}\n"
        )
    };
    std::fs::write(d.join("gen.yaml"), manifest("s.enc.yaml", "app.enc.env")).unwrap();
    std::fs::write(
        d.join("twin.yaml"),
        manifest("s.enc.yaml.plain", "app.enc.env.plain"),
    )
    .unwrap();
    let mut c = secretgen(d);
    c.args(["render", "twin.yaml"]);
    let want = run_ok(c).stdout;
    let mut c = secretgen(d);
    c.args(["render", "gen.yaml"])
        .env("SOPS_AGE_KEY_FILE", d.join("k.txt"));
    assert_eq!(text(&run_ok(c).stdout), text(&want));
    // A classic key alone does not open it.
    let mut c = tool("age-keygen");
    c.arg("-o").arg(d.join("x.txt"));
    run_ok(c);
    let mut c = secretgen(d);
    c.args(["render", "gen.yaml"])
        .env("SOPS_AGE_KEY_FILE", d.join("x.txt"));
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(!text(&out.stderr).contains(CANARY));
}
