//! A SOPS-encrypted Secret in a base is decrypted when an overlay on it is rendered, as
//! it is when its own kustomization lists it: the tree build reads resources the one way
//! `render` does. With the key, the overlay prints what kustomize prints for the plaintext
//! twin of the tree; without it, exit 2 naming the file (or the placeholder under
//! `--placeholder`); the ciphertext and its `sops:` block never reach stdout.

use std::path::Path;
use std::process::Command;

use crate::common;
use common::{describe, isolate, run_ok, text, tool};

const CANARY: &str = "tree-sops-canary-5b1f";

const SECRET: &str = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  labels:\n    app: db\ntype: Opaque\nstringData:\n  password: tree-sops-canary-5b1f\ndata:\n  user: YWRtaW4=\n";
const BASE: &str = "resources:\n- secret.yaml\n";
const OVERLAY: &str =
    "resources:\n- ../base\nnamePrefix: dev-\nnamespace: team\ncommonLabels:\n  tier: backend\n";

fn secretgen(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_secretgen"));
    isolate(&mut c, dir);
    c
}

/// `root/base` (the Secret, encrypted by the real sops when `recipient` is given) and
/// `root/overlay` on it.
fn tree(root: &Path, recipient: Option<&str>) {
    std::fs::create_dir_all(root.join("base")).unwrap();
    std::fs::create_dir_all(root.join("overlay")).unwrap();
    std::fs::write(root.join("base/kustomization.yaml"), BASE).unwrap();
    std::fs::write(root.join("overlay/kustomization.yaml"), OVERLAY).unwrap();
    std::fs::write(root.join("base/secret.yaml"), SECRET).unwrap();
    if let Some(r) = recipient {
        let mut c = tool("sops");
        c.args([
            "encrypt",
            "--age",
            r,
            "--encrypted-regex",
            "^(data|stringData)$",
            "--in-place",
        ])
        .arg(root.join("base/secret.yaml"))
        .current_dir(root);
        run_ok(c);
        let enc = std::fs::read_to_string(root.join("base/secret.yaml")).unwrap();
        assert!(enc.contains("sops:") && !enc.contains(CANARY));
    }
}

/// An age key made by the real age-keygen: (key file, recipient).
fn key(dir: &Path) -> (std::path::PathBuf, String) {
    let file = dir.join("key.txt");
    let mut c = tool("age-keygen");
    c.arg("-o").arg(&file);
    run_ok(c);
    let body = std::fs::read_to_string(&file).unwrap();
    let recipient = body
        .lines()
        .find_map(|l| l.strip_prefix("# public key: "))
        .unwrap()
        .to_string();
    (file, recipient)
}

#[test]
fn an_encrypted_base_renders_as_its_plaintext_twin() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let (key_file, recipient) = key(d);
    tree(&d.join("enc"), Some(&recipient));
    tree(&d.join("plain"), None);

    // What kustomize prints for the plaintext tree.
    let mut c = tool("kustomize");
    c.arg("build").arg(d.join("plain/overlay"));
    let want = run_ok(c).stdout;
    assert!(text(&want).contains("name: dev-db"));

    let mut c = secretgen(d);
    c.arg("render")
        .arg(d.join("enc/overlay"))
        .env("SOPS_AGE_KEY_FILE", &key_file);
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(!text(&out.stdout).contains("sops:"), "{}", describe(&out));
    assert!(!text(&out.stdout).contains("ENC["), "{}", describe(&out));
    assert_eq!(text(&out.stdout), text(&want));

    // `diff` and `check` read the base the same way: the encrypted tree is the plain one.
    let mut c = secretgen(d);
    c.arg("diff")
        .arg(d.join("enc/overlay"))
        .arg(d.join("plain/overlay"))
        .env("SOPS_AGE_KEY_FILE", &key_file);
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let mut c = secretgen(d);
    c.arg("check")
        .arg(d.join("enc/overlay"))
        .env("SOPS_AGE_KEY_FILE", &key_file);
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(!text(&out.stdout).contains(CANARY) && !text(&out.stderr).contains(CANARY));

    // The same tree in clear, through secretgen: the same bytes.
    let mut c = secretgen(d);
    c.arg("render").arg(d.join("plain/overlay"));
    assert_eq!(text(&run_ok(c).stdout), text(&want));
}

#[test]
fn without_the_key_the_encrypted_base_is_refused_or_a_placeholder() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let (_key_file, recipient) = key(d);
    tree(&d.join("enc"), Some(&recipient));

    let mut c = secretgen(d);
    c.arg("render").arg(d.join("enc/overlay"));
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(out.stdout.is_empty(), "{}", describe(&out));
    assert!(
        text(&out.stderr).contains("secret.yaml"),
        "{}",
        describe(&out)
    );

    let mut c = secretgen(d);
    c.args(["render", "--placeholder"])
        .arg(d.join("enc/overlay"));
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let stdout = text(&out.stdout);
    assert!(!stdout.contains("sops:"), "{stdout}");
    assert!(!stdout.contains("ENC["), "{stdout}");
    assert!(stdout.contains("secretgen.dev/placeholder"), "{stdout}");
    assert!(stdout.contains("name: dev-db"), "{stdout}");
    assert!(stdout.contains("namespace: team"), "{stdout}");
}

#[test]
fn a_sops_document_after_a_plain_one_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let (_key_file, recipient) = key(d);
    tree(&d.join("enc"), Some(&recipient));
    let enc = std::fs::read_to_string(d.join("enc/base/secret.yaml")).unwrap();
    std::fs::write(
        d.join("enc/base/secret.yaml"),
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n---\n{enc}"),
    )
    .unwrap();
    let mut c = secretgen(d);
    c.arg("render").arg(d.join("enc/overlay"));
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(out.stdout.is_empty());
    assert!(
        text(&out.stderr).contains("secret.yaml"),
        "{}",
        describe(&out)
    );
}
