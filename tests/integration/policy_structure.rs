//! The plaintext gate checks what it trusts: `check --require-encrypted` checks, without
//! any key, that what looks encrypted is so in structure. Files made by the real sops
//! 3.13.3 in every format and under each of its rules pass, as do age files; a SOPS file
//! or Secret manifest with a value added in clear, one whose key entries or MAC are gone,
//! and an age header over plain text are each reported (exit 1) by file and key path,
//! never by value.

use std::path::Path;

use crate::common;
use common::{canary_forms, describe, run_ok, secretgen_in, text, tool};

const CANARY: &str = "CANARY-policy-structure-91c4";

/// An age key made by the real age-keygen; its recipient.
fn key(dir: &Path) -> String {
    let file = dir.join("key.txt");
    let mut c = tool("age-keygen");
    c.arg("-o").arg(&file);
    run_ok(c);
    std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("# public key: "))
        .unwrap()
        .to_string()
}

/// `plain` encrypted by the real sops as `kind`, with extra flags, run in `cwd` (where a
/// `.sops.yaml` may sit).
fn sops(cwd: &Path, recipient: &str, kind: &str, flags: &[&str], plain: &str) -> String {
    let input = cwd.join(format!("plain-input.{kind}"));
    std::fs::write(&input, plain).unwrap();
    let mut c = tool("sops");
    c.current_dir(cwd)
        .args(["encrypt", "--input-type", kind, "--output-type", kind]);
    // `--rules`: the creation rule of the `.sops.yaml` in `cwd` names the recipient.
    if flags != ["--rules"] {
        c.args(["--age", recipient]).args(flags);
    }
    c.arg(&input);
    let out = run_ok(c);
    std::fs::remove_file(&input).unwrap();
    let enc = text(&out.stdout);
    assert!(
        !enc.contains(CANARY)
            || flags
                .iter()
                .any(|f| f.contains("regex") || f.contains("suffix"))
    );
    enc
}

/// `check --require-encrypted app` over `app/` holding `files` (name, content): a generator
/// reads every `*.env` under `envs` and every other non-YAML file under `files`; YAML files
/// are `resources`.
fn check(files: &[(&str, String)]) -> std::process::Output {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let app = d.join("app");
    std::fs::create_dir_all(&app).unwrap();
    let mut gen_files = String::new();
    let mut gen_envs = String::new();
    let mut resources = String::new();
    for (name, content) in files {
        std::fs::write(app.join(name), content).unwrap();
        if name.ends_with(".env") {
            gen_envs.push_str(&format!("- {name}\n"));
        } else if name.ends_with(".yaml") {
            resources.push_str(&format!("- {name}\n"));
        } else {
            gen_files.push_str(&format!("- {name}\n"));
        }
    }
    let mut generator = String::from(
        "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: db\n",
    );
    if !gen_files.is_empty() {
        generator.push_str(&format!("files:\n{gen_files}"));
    }
    if !gen_envs.is_empty() {
        generator.push_str(&format!("envs:\n{gen_envs}"));
    }
    if gen_files.is_empty() && gen_envs.is_empty() {
        generator.push_str("literals:\n- empty=\n");
    }
    std::fs::write(app.join("gen.yml"), generator).unwrap();
    let mut k = String::from("generators:\n- gen.yml\n");
    if !resources.is_empty() {
        k.push_str(&format!("resources:\n{resources}"));
    }
    std::fs::write(app.join("kustomization.yaml"), k).unwrap();
    let out = secretgen_in(d)
        .args(["check", "--require-encrypted", "app"])
        .output()
        .unwrap();
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    for form in canary_forms(CANARY) {
        assert!(!all.contains(&form), "a form of the value shows: {all}");
    }
    out
}

fn secret_manifest() -> String {
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  labels:\n    app: x\ntype: Opaque\nstringData:\n  token: {CANARY}\n  token_plain: visible\n  user_secret: {CANARY}\ndata:\n  raw: Q0FOQVJZ\n"
    )
}

/// Every format sops writes, and every rule it takes, made by sops 3.13.3: all pass.
#[test]
fn genuine_sops_files_pass() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let r = key(d);
    let yaml = secret_manifest();
    let mut files = vec![
        ("default.yaml", sops(d, &r, "yaml", &[], &yaml)),
        (
            "regex.yaml",
            sops(
                d,
                &r,
                "yaml",
                &["--encrypted-regex", "^(data|stringData)$"],
                &yaml,
            ),
        ),
        (
            "unregex.yaml",
            sops(
                d,
                &r,
                "yaml",
                &["--unencrypted-regex", "^(apiVersion|kind|metadata|type)$"],
                &yaml,
            ),
        ),
        (
            "suffix.yaml",
            sops(d, &r, "yaml", &["--encrypted-suffix", "_secret"], &yaml),
        ),
        (
            "unsuffix.yaml",
            sops(d, &r, "yaml", &["--unencrypted-suffix", "_plain"], &yaml),
        ),
        (
            "app.env",
            sops(d, &r, "dotenv", &[], &format!("TOKEN={CANARY}\nMODE=x\n")),
        ),
        (
            "app.json",
            sops(
                d,
                &r,
                "json",
                &[],
                &format!("{{\"token\": \"{CANARY}\", \"n\": 1, \"l\": [true, \"x\"]}}"),
            ),
        ),
        (
            "app.ini",
            sops(
                d,
                &r,
                "ini",
                &[],
                &format!("[db]\ntoken = {CANARY}\nhost = h\n"),
            ),
        ),
        (
            "blob.txt",
            sops(d, &r, "binary", &[], &format!("{CANARY}\n")),
        ),
    ];
    // Rules that come only from a creation rule in `.sops.yaml`.
    let commented = format!(
        "# enc\npassword: {CANARY}\n# note\nplain: visible\nlist:\n    # enc\n    - {CANARY}\n    - x\n"
    );
    for (name, rule, plain) in [
        (
            "maconly.yaml",
            format!("age: {r}\n  mac_only_encrypted: true\n  encrypted_regex: ^(data|stringData)$"),
            yaml.clone(),
        ),
        (
            "groups.yaml",
            format!("shamir_threshold: 2\n  key_groups:\n  - age:\n    - {r}\n  - age:\n    - {r}"),
            yaml.clone(),
        ),
        (
            "comment.yaml",
            format!("age: {r}\n  encrypted_comment_regex: ^ ?enc"),
            commented.clone(),
        ),
        (
            "uncomment.yaml",
            format!("age: {r}\n  unencrypted_comment_regex: ^ ?note"),
            commented.clone(),
        ),
    ] {
        let dir = d.join(name.trim_end_matches(".yaml"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join(".sops.yaml"),
            format!("creation_rules:\n- {rule}\n"),
        )
        .unwrap();
        let enc = sops(&dir, &r, "yaml", &["--rules"], &plain);
        files.push((name, enc));
    }
    let has = |name: &str, word: &str| files.iter().any(|(n, c)| *n == name && c.contains(word));
    assert!(has("maconly.yaml", "mac_only_encrypted: true"));
    assert!(has("groups.yaml", "key_groups:"));
    assert!(has("comment.yaml", "encrypted_comment_regex"));
    assert!(has("uncomment.yaml", "unencrypted_comment_regex"));
    // age files, armored and binary.
    for (name, armor) in [("pw.age", true), ("pw.bin", false)] {
        let mut c = secretgen_in(d);
        c.args(["age", "encrypt", "-r", &r, "-o", name]);
        if !armor {
            c.arg("--binary");
        }
        std::fs::write(d.join("pw"), CANARY).unwrap();
        c.arg("pw");
        run_ok(c);
        let bytes = std::fs::read(d.join(name)).unwrap();
        files.push((name, String::from_utf8_lossy(&bytes).into_owned()));
        if !armor {
            // Binary age is not UTF-8: write it as bytes below.
            files.pop();
        }
    }
    let out = check(&files);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
}

/// Binary age files go through the same check (written as bytes).
#[test]
fn a_binary_age_file_passes_and_a_header_over_plain_text_does_not() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let r = key(d);
    std::fs::write(d.join("pw"), CANARY).unwrap();
    let mut c = secretgen_in(d);
    c.args(["age", "encrypt", "-r", &r, "--binary", "-o", "pw.bin", "pw"]);
    run_ok(c);
    let genuine = std::fs::read(d.join("pw.bin")).unwrap();
    // The age header line, then plain text; and a whole header without a payload.
    let header_end = genuine
        .windows(4)
        .position(|w| w == b"\n---")
        .map(|at| at + 1 + genuine[at + 1..].iter().position(|&b| b == b'\n').unwrap() + 1)
        .unwrap();
    let cases: Vec<(&str, Vec<u8>, bool)> = vec![
        ("genuine", genuine.clone(), true),
        (
            "line",
            format!("age-encryption.org/v1\n{CANARY}\n").into_bytes(),
            false,
        ),
        ("header-only", genuine[..header_end].to_vec(), false),
        (
            "armor",
            format!(
                "-----BEGIN AGE ENCRYPTED FILE-----\n{CANARY}\n-----END AGE ENCRYPTED FILE-----\n"
            )
            .into_bytes(),
            false,
        ),
    ];
    for (name, bytes, ok) in cases {
        let t = tempfile::tempdir().unwrap();
        let app = t.path().join("app");
        std::fs::create_dir_all(&app).unwrap();
        std::fs::write(app.join("pw.age"), &bytes).unwrap();
        std::fs::write(
            app.join("gen.yml"),
            "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: db\nfiles:\n- pw.age\n",
        )
        .unwrap();
        let out = secretgen_in(t.path())
            .args(["check", "--require-encrypted", "app/gen.yml"])
            .output()
            .unwrap();
        let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
        for form in canary_forms(CANARY) {
            assert!(!all.contains(&form), "{name}: {all}");
        }
        if ok {
            assert_eq!(out.status.code(), Some(0), "{name}: {}", describe(&out));
        } else {
            assert_eq!(out.status.code(), Some(1), "{name}: {}", describe(&out));
            assert!(text(&out.stdout).contains("app/pw.age"), "{name}: {all}");
            assert!(text(&out.stdout).contains("age header"), "{name}: {all}");
        }
    }
}

/// Each way of fooling the gate, as a hand-edit of a genuine file: reported by file and
/// key path, exit 1.
#[test]
fn fooling_files_are_reported_by_key_path() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let r = key(d);
    let regex = sops(
        d,
        &r,
        "yaml",
        &["--encrypted-regex", "^(data|stringData)$"],
        &secret_manifest(),
    );
    let env = sops(d, &r, "dotenv", &[], "TOKEN=a\nMODE=x\n");
    let json = sops(d, &r, "json", &[], "{\"token\": \"a\"}");
    let ini = sops(d, &r, "ini", &[], "[db]\ntoken = a\n");
    let cases: Vec<(&str, String, &str)> = vec![
        // A key added in clear under an encrypted field of a Secret manifest.
        (
            "added.yaml",
            regex.replacen(
                "stringData:\n",
                &format!("stringData:\n    added: {CANARY}\n"),
                1,
            ),
            "`stringData:added`",
        ),
        // A line added in clear to a SOPS dotenv file.
        ("added.env", format!("ADDED={CANARY}\n{env}"), "`ADDED`"),
        // A value added in clear to a SOPS JSON file.
        (
            "added.json",
            json.replacen('{', &format!("{{\n\t\"added\": \"{CANARY}\","), 1),
            "`added`",
        ),
        // A key added in clear to a SOPS INI section.
        (
            "added.ini",
            ini.replacen("[db]\n", &format!("[db]\nadded = {CANARY}\n"), 1),
            "`db:added`",
        ),
        // Its key entries removed: nothing could decrypt it.
        (
            "nokeys.env",
            env.lines()
                .filter(|l| !l.starts_with("sops_age__"))
                .map(|l| format!("{l}\n"))
                .collect(),
            "no key entry",
        ),
        // The MAC replaced by something that only looks like a value.
        (
            "badmac.env",
            env.lines()
                .map(|l| {
                    if l.starts_with("sops_mac=") {
                        "sops_mac=ENC[AES256_GCM,data:x]\n".to_string()
                    } else {
                        format!("{l}\n")
                    }
                })
                .collect(),
            "`sops:mac`",
        ),
    ];
    // What the file's own rules leave in clear may be added in clear.
    let allowed = [
        (
            "label.yaml",
            regex.replacen("labels:\n", "labels:\n        added: visible\n", 1),
        ),
        ("suffix.env", format!("ADDED_unencrypted=visible\n{env}")),
    ];
    for (name, content) in allowed {
        assert!(
            content.contains("added") || content.contains("ADDED"),
            "{name}"
        );
        let out = check(&[(name, content)]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", describe(&out));
    }
    for (name, content, needle) in cases {
        assert!(content.contains("ENC[AES256_GCM,"), "{name}");
        let out = check(&[(name, content)]);
        assert_eq!(out.status.code(), Some(1), "{name}: {}", describe(&out));
        let stdout = text(&out.stdout);
        assert!(stdout.contains(&format!("app/{name}")), "{name}: {stdout}");
        assert!(stdout.contains(needle), "{name}: {stdout}");
        assert!(
            stdout.contains("looks encrypted but is not"),
            "{name}: {stdout}"
        );
    }
}
