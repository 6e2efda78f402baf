//! SOPS files made by the real sops (testdata/sops/record.sh): each decrypts to exactly what
//! `sops --decrypt` printed for it, and altered files are refused.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{canary_forms, describe, secretgen_in, text};
use libtest_mimic::{Failed, Trial};
use secretgen::age::{IdentitySources, Keyring};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/sops")
}

fn keyring(keys: &[&str]) -> Keyring {
    let text: String = keys
        .iter()
        .map(|k| std::fs::read_to_string(dir().join("keys").join(k)).unwrap())
        .collect();
    Keyring::new(IdentitySources {
        identity: Some(text),
        ..Default::default()
    })
}

fn cases() -> Vec<PathBuf> {
    crate::common::case_paths(&dir().join("cases"), |p| {
        let mut e = p.to_path_buf().into_os_string();
        e.push(".expected");
        Path::new(&e).exists()
    })
}

fn expected(case: &Path) -> Vec<u8> {
    let mut e = case.to_path_buf().into_os_string();
    e.push(".expected");
    std::fs::read(e).unwrap()
}

fn decrypts_as_sops(case: &Path) -> Result<(), Failed> {
    let name = case.file_name().unwrap().to_str().unwrap();
    let keys: &[&str] = if name.starts_with("shamir") {
        &["age1.txt", "age3.txt"]
    } else {
        &["age1.txt"]
    };
    let bytes = std::fs::read(case).unwrap();
    let got = secretgen::sops::decrypt(case, &bytes, &keyring(keys)).map_err(|e| e.to_string())?;
    let want = expected(case);
    if got.expose() != want.as_slice() {
        return Err(format!(
            "differs from sops --decrypt\n--- want\n{}\n--- got\n{}",
            String::from_utf8_lossy(&want),
            String::from_utf8_lossy(got.expose())
        )
        .into());
    }
    Ok(())
}

/// Whether the pinned tool runs here.
fn have(tool: &str) -> bool {
    let arg = if tool == "kustomize" {
        "version"
    } else {
        "--version"
    };
    crate::common::tool(tool)
        .arg(arg)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The same case opened by the real sops now, compared with ours.
fn live_sops(case: &Path) -> Result<(), Failed> {
    let t = tempfile::tempdir()?;
    let name = case.file_name().unwrap().to_str().unwrap();
    let keys: &[&str] = if name.starts_with("shamir") {
        &["age1.txt", "age3.txt"]
    } else {
        &["age1.txt"]
    };
    let key_text: String = keys
        .iter()
        .map(|k| std::fs::read_to_string(dir().join("keys").join(k)).unwrap())
        .collect();
    std::fs::write(t.path().join("keys.txt"), key_text)?;
    std::fs::write(t.path().join("empty.yaml"), "")?;
    let out = crate::common::tool("sops")
        .current_dir(t.path())
        .env("SOPS_AGE_KEY_FILE", t.path().join("keys.txt"))
        .env_remove("SOPS_AGE_KEY")
        .arg("--config")
        .arg(t.path().join("empty.yaml"))
        .arg("decrypt")
        .arg(case)
        .output()?;
    if !out.status.success() {
        return Err(format!("sops failed: {}", describe(&out)).into());
    }
    let bytes = std::fs::read(case)?;
    let ours = secretgen::sops::decrypt(case, &bytes, &keyring(keys)).map_err(|e| e.to_string())?;
    if ours.expose() != out.stdout.as_slice() {
        return Err("differs from the live sops --decrypt".into());
    }
    Ok(())
}

fn case_text(name: &str) -> String {
    std::fs::read_to_string(dir().join("cases").join(name)).unwrap()
}

/// Values of the `secret.yaml` plaintext, for leak checks.
const CANARIES: [&str; 2] = ["sk-live-1234", "postgres://u:p@db:5432/app"];

fn decrypt_text(name: &str, text: &str, keys: &[&str]) -> Result<Vec<u8>, String> {
    secretgen::sops::decrypt(Path::new(name), text.as_bytes(), &keyring(keys))
        .map(|p| p.expose().to_vec())
        .map_err(|e| e.to_string())
}

fn assert_no_canary(what: &str) {
    for c in CANARIES {
        for form in canary_forms(c) {
            assert!(!what.contains(&form), "a value leaked: {what}");
        }
    }
}

/// Replaces the first `from` after `anchor` in `text`.
fn change_after(text: &str, anchor: &str, from: &str, to: &str) -> String {
    let at = text.find(anchor).expect("anchor") + anchor.len();
    let rel = text[at..].find(from).expect("from");
    format!(
        "{}{}{}",
        &text[..at + rel],
        to,
        &text[at + rel + from.len()..]
    )
}

/// Flips the base64 character right after `field` (e.g. `data:`) following `key`.
fn flip(text: &str, key: &str, field: &str) -> String {
    let at = text.find(key).expect("key");
    let pos = at + text[at..].find(field).expect("field") + field.len();
    let to = if text.as_bytes()[pos] == b'A' {
        "B"
    } else {
        "A"
    };
    format!("{}{}{}", &text[..pos], to, &text[pos + 1..])
}

/// The text of the first age entry (`- enc: |` … up to `recipient:`).
fn age_entry(text: &str) -> String {
    let a = text.find("- enc: |").unwrap();
    let b = text[a..].find("recipient:").unwrap();
    text[a..a + b].to_string()
}

/// Every alteration of a value, its IV, tag or type, the MAC, `lastmodified` or the age
/// entry is refused, naming the file (and the value's path), never showing a value.
fn tampering_is_refused() -> Result<(), Failed> {
    let orig = case_text("secret.yaml");
    assert!(decrypt_text("secret.yaml", &orig, &["age1.txt"]).is_ok());
    let lm = orig.find("lastmodified: \"").unwrap() + "lastmodified: \"".len();
    let moved = {
        // API_KEY's ciphertext under DB_URL: its additional data no longer matches.
        let a = orig.find("API_KEY: ").unwrap() + 9;
        let v = &orig[a..a + orig[a..].find('\n').unwrap()];
        let c = orig.find("DB_URL: ").unwrap() + 8;
        let d = orig[c..].find('\n').unwrap();
        format!("{}{}{}", &orig[..c], v, &orig[c + d..])
    };
    let later = {
        let mut t = orig.clone();
        let next = (orig[lm..lm + 4].parse::<u32>().unwrap() + 1).to_string();
        t.replace_range(lm..lm + 4, &next);
        t
    };
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "value data",
            flip(&orig, "API_KEY:", "data:"),
            "stringData:API_KEY",
        ),
        (
            "value iv",
            flip(&orig, "API_KEY:", "iv:"),
            "stringData:API_KEY",
        ),
        (
            "value tag",
            flip(&orig, "DB_URL:", "tag:"),
            "stringData:DB_URL",
        ),
        (
            "value type",
            change_after(&orig, "cert:", "type:str", "type:int"),
            "data:cert",
        ),
        ("value moved", moved, "stringData:DB_URL"),
        (
            "value in clear",
            change_after(&orig, "API_KEY: ", "ENC[", "XENC["),
            "stringData:API_KEY",
        ),
        (
            "key added",
            orig.replace("data:\n", "data:\n    extra: eA==\n"),
            "data:extra",
        ),
        ("mac", flip(&orig, "    mac:", "data:"), "MAC"),
        (
            "mac removed",
            change_after(&orig, "    mac: ", "ENC[", "XENC["),
            "MAC",
        ),
        ("lastmodified", later, "MAC"),
        (
            "age entry of another file",
            orig.replace(&age_entry(&orig), &age_entry(&case_text("several.yaml"))),
            "secret.yaml",
        ),
    ];
    for (what, text, must_name) in cases {
        assert_ne!(text, orig, "{what}: the alteration changed nothing");
        match decrypt_text("secret.yaml", &text, &["age1.txt"]) {
            Ok(_) => return Err(format!("{what}: an altered file was accepted").into()),
            Err(e) => {
                assert!(e.contains("secret.yaml"), "{what}: {e}");
                assert!(
                    e.contains(must_name),
                    "{what}: `{e}` should name {must_name}"
                );
                assert_no_canary(&e);
            }
        }
    }
    Ok(())
}

/// A file whose only entries are PGP or cloud KMS with no key for them: refused, naming
/// each entry tried in sops' order and why; with an age entry beside them it decrypts
/// through age.
fn other_key_types() -> Result<(), Failed> {
    let orig = case_text("secret.yaml");
    let a = orig.find("    age:\n").unwrap();
    let b = orig.find("    lastmodified:").unwrap();
    let others = "    kms:\n        - arn: arn:aws:kms:us-east-1:111122223333:key/abc\n          created_at: \"2024-01-01T00:00:00Z\"\n          enc: AQICAHhx\n          aws_profile: \"\"\n    pgp:\n        - created_at: \"2024-01-01T00:00:00Z\"\n          enc: |-\n            -----BEGIN PGP MESSAGE-----\n            wcBMA\n            -----END PGP MESSAGE-----\n          fp: 1022470DE3F0BC54BC6AB62DE05550BC07FB1A0A\n";
    let only = format!("{}{}{}", &orig[..a], others, &orig[b..]);
    let e = decrypt_text("secret.yaml", &only, &["age1.txt"]).unwrap_err();
    assert!(
        e.contains("AWS KMS arn:aws:kms:us-east-1:111122223333:key/abc: no key material (no AWS credentials")
            && e.contains("; PGP 1022470DE3F0BC54BC6AB62DE05550BC07FB1A0A: `gpg` -d gave no data key"),
        "{e}"
    );
    let both = format!("{}{}{}", &orig[..a], others, &orig[a..]);
    assert_eq!(
        decrypt_text("secret.yaml", &both, &["age1.txt"])?,
        expected(&dir().join("cases/secret.yaml"))
    );
    Ok(())
}

/// A key that opens none of the entries, and Shamir below its threshold: the reason.
fn wrong_key() -> Result<(), Failed> {
    let e = decrypt_text("secret.yaml", &case_text("secret.yaml"), &["age2.txt"]).unwrap_err();
    assert!(e.contains("secret.yaml") && e.contains("data key"), "{e}");
    let e = decrypt_text("shamir.yaml", &case_text("shamir.yaml"), &["age2.txt"]).unwrap_err();
    assert!(
        e.contains("1 of 3 key groups") && e.contains("2 needed"),
        "{e}"
    );
    Ok(())
}

/// A file encrypted to an SSH recipient opens with the SSH private key alone.
fn ssh_identity() -> Result<(), Failed> {
    let got = decrypt_text("ssh.yaml", &case_text("ssh.yaml"), &["ssh_ed25519"])?;
    assert_eq!(got, expected(&dir().join("cases/ssh.yaml")));
    Ok(())
}

/// `SOPS_AGE_KEY_CMD` runs as sops runs it, with `SOPS_AGE_RECIPIENT` set to the recipient of
/// the file's age entry: a command that hands out the key for that recipient only works.
fn key_cmd_gets_the_recipient() -> Result<(), Failed> {
    let t = tempfile::tempdir()?;
    let d = t.path();
    let text = case_text("basic.yaml");
    let recipient = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("recipient: "))
        .ok_or("no recipient in the fixture")?
        .to_string();
    write(d, "basic.yaml", text.as_bytes());
    write(
        d,
        "gen.yaml",
        b"apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: s\nfiles:\n  - basic.yaml\n",
    );
    let key = dir().join("keys/age1.txt");
    let script = d.join("key-cmd.sh");
    write(
        d,
        "key-cmd.sh",
        format!(
            "#!/bin/sh\n[ \"$SOPS_AGE_RECIPIENT\" = \"{recipient}\" ] && cat '{}'\nexit 0\n",
            key.display()
        )
        .as_bytes(),
    );
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
    let out = secretgen_in(d)
        .args(["render", "gen.yaml"])
        .env("SOPS_AGE_KEY_CMD", &script)
        .output()?;
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("basic.yaml: "));
    Ok(())
}

fn write(dir: &Path, name: &str, content: &[u8]) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

/// The inputs of the render tests: each encrypted case under `enc/`, its recorded
/// plaintext under the same name in `plain/`.
const INPUTS: [&str; 7] = [
    "app.env",
    "cert.pem",
    "blob.bin",
    "nested.yaml",
    "basic.json",
    "app.ini",
    "secret.yaml",
];

fn lay_out(root: &Path, sub: &str, manifests: &[(&str, &str)]) {
    for side in ["enc", "plain"] {
        let d = root.join(side).join(sub);
        for name in INPUTS {
            let src = dir().join("cases").join(name);
            let bytes = if side == "enc" {
                std::fs::read(&src).unwrap()
            } else {
                expected(&src)
            };
            write(&d, name, &bytes);
        }
        for (name, content) in manifests {
            write(&d, name, content.as_bytes());
        }
    }
}

fn render(dir: &Path, key: Option<&Path>, extra: &[&str]) -> std::process::Output {
    let mut c = secretgen_in(dir);
    c.arg("render").args(extra).arg(".");
    if let Some(k) = key {
        c.env("SECRETGEN_AGE_IDENTITY_FILE", k);
    }
    c.output().unwrap()
}

const V1: &str = "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: app\nenvs:\n  - app.env\nfiles:\n  - cert.pem\n  - blob.bin\n  - nested.yaml\n  - basic.json\n  - app.ini\n";
const KUSTOMIZATION: &str = "resources:\n  - secret.yaml\nsecretGenerator:\n  - name: gen\n    envs: [app.env]\n    files: [cert.pem, blob.bin, nested.yaml, basic.json, app.ini]\ngenerators:\n  - builtin.yaml\n";
const BUILTIN: &str = "apiVersion: builtin\nkind: SecretGenerator\nmetadata:\n  name: built\nenvs:\n  - app.env\nfiles:\n  - key=cert.pem\n";

/// Every manifest kind with SOPS inputs (and a SOPS Secret in `resources`) renders what
/// the plaintexts render; the kustomization also what the real kustomize builds from them.
fn renders_like_plaintext() -> Result<(), Failed> {
    let t = tempfile::tempdir()?;
    lay_out(t.path(), "v1", &[("secretgen.yaml", V1)]);
    lay_out(
        t.path(),
        "k",
        &[
            ("kustomization.yaml", KUSTOMIZATION),
            ("builtin.yaml", BUILTIN),
        ],
    );
    let key = dir().join("keys/age1.txt");
    for sub in ["v1", "k"] {
        let enc = render(&t.path().join("enc").join(sub), Some(&key), &[]);
        let plain = render(&t.path().join("plain").join(sub), None, &[]);
        assert!(enc.status.success(), "{}", describe(&enc));
        assert!(plain.status.success(), "{}", describe(&plain));
        assert_eq!(text(&enc.stdout), text(&plain.stdout), "{sub}");
        assert!(
            !text(&enc.stdout).contains("ENC["),
            "ciphertext in the output"
        );
    }
    if have("kustomize") {
        let k = crate::common::tool("kustomize")
            .arg("build")
            .arg(t.path().join("plain/k"))
            .output()?;
        assert!(k.status.success(), "{}", describe(&k));
        let ours = render(&t.path().join("enc/k"), Some(&key), &[]);
        assert_eq!(text(&ours.stdout), text(&k.stdout));
    }
    // Without the key: exit 2 naming the files, nothing on stdout; placeholders with
    // --placeholder, never ciphertext or a value.
    let none = render(&t.path().join("enc/k"), None, &[]);
    assert_eq!(none.status.code(), Some(2), "{}", describe(&none));
    assert!(none.stdout.is_empty());
    let err = text(&none.stderr);
    assert!(
        err.contains("app.env") && err.contains("secret.yaml"),
        "{err}"
    );
    let ph = render(&t.path().join("enc/k"), None, &["--placeholder"]);
    assert!(ph.status.success(), "{}", describe(&ph));
    let out = text(&ph.stdout);
    assert!(
        out.contains("secretgen.dev/placeholder") && !out.contains("ENC["),
        "{out}"
    );
    assert!(out.contains("name: app-secret"), "{out}");
    assert_no_canary(&out);
    Ok(())
}

/// An altered SOPS input: exit 2 with the reason, no Secret and no value printed.
fn cli_refuses_tampered_input() -> Result<(), Failed> {
    let t = tempfile::tempdir()?;
    let orig = case_text("secret.yaml");
    write(
        t.path(),
        "secret.yaml",
        flip(&orig, "API_KEY:", "tag:").as_bytes(),
    );
    write(
        t.path(),
        "kustomization.yaml",
        b"secretGenerator:\n  - name: s\n    files: [secret.yaml]\n",
    );
    let out = render(t.path(), Some(&dir().join("keys/age1.txt")), &[]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    assert!(
        err.contains("secret.yaml") && err.contains("stringData:API_KEY"),
        "{err}"
    );
    assert_no_canary(&err);
    Ok(())
}

/// The exec plugin inside the real kustomize, SOPS inputs decrypted with the identity
/// from the environment: the Secret kustomize's builtin makes from the plaintexts.
fn plugin_in_kustomize() -> Result<(), Failed> {
    if !have("kustomize") {
        return Err("kustomize is required for this test (see `bash tests/setup.sh`)".into());
    }
    let t = tempfile::tempdir()?;
    let home = t.path().join("home");
    let generator = "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: app\nenvs:\n  - app.env\nfiles:\n  - cert.pem\n  - nested.yaml\n";
    lay_out(
        t.path(),
        "k",
        &[
            ("secretgen.yaml", generator),
            ("kustomization.yaml", "generators:\n  - secretgen.yaml\n"),
        ],
    );
    write(
        &t.path().join("plain/k"),
        "kustomization.yaml",
        b"secretGenerator:\n  - name: app\n    envs: [app.env]\n    files: [cert.pem, nested.yaml]\n",
    );
    let bin = Path::new(env!("CARGO_BIN_EXE_secretgen"));
    let install = Command::new(bin)
        .args(["plugin", "install", "--plugin-home"])
        .arg(&home)
        .output()?;
    assert!(install.status.success(), "{}", describe(&install));
    let mut path = std::ffi::OsString::from(bin.parent().unwrap());
    path.push(":");
    path.push(crate::common::path_with_tools());
    let build = |d: &Path, key: Option<&Path>| {
        let mut c = crate::common::tool("kustomize");
        crate::common::isolate(&mut c, t.path());
        c.arg("build")
            .arg("--enable-alpha-plugins")
            .arg(d)
            .env("KUSTOMIZE_PLUGIN_HOME", &home)
            .env("PATH", &path);
        if let Some(k) = key {
            c.env("SECRETGEN_AGE_IDENTITY_FILE", k);
        }
        c.output().unwrap()
    };
    let a = build(&t.path().join("plain/k"), None);
    let b = build(&t.path().join("enc/k"), Some(&dir().join("keys/age1.txt")));
    assert!(a.status.success(), "{}", describe(&a));
    assert!(b.status.success(), "{}", describe(&b));
    assert_eq!(text(&a.stdout), text(&b.stdout));
    let c = build(&t.path().join("enc/k"), None);
    assert!(!c.status.success());
    assert!(text(&c.stderr).contains("app.env"), "{}", describe(&c));
    Ok(())
}

pub fn trials() -> Vec<Trial> {
    let mut trials = Vec::new();
    let live = have("sops");
    for case in cases() {
        let file = case.file_name().unwrap().to_str().unwrap().to_string();
        let c = case.clone();
        trials.push(trial!(format!("decrypts_as_sops/{file}"), move || {
            decrypts_as_sops(&c)
        }));
        trials.push(
            trial!(format!("live_sops/{file}"), move || live_sops(&case)).with_ignored_flag(!live),
        );
    }
    trials.push(trial!("tampering_is_refused", tampering_is_refused));
    trials.push(trial!("other_key_types", other_key_types));
    trials.push(trial!("wrong_key", wrong_key));
    trials.push(trial!("ssh_identity", ssh_identity));
    trials.push(trial!(
        "key_cmd_gets_the_recipient",
        key_cmd_gets_the_recipient,
    ));
    trials.push(trial!("renders_like_plaintext", renders_like_plaintext,));
    trials.push(trial!(
        "cli_refuses_tampered_input",
        cli_refuses_tampered_input,
    ));
    trials.push(trial!("plugin_in_kustomize", plugin_in_kustomize));
    trials
}
