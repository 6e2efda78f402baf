//! `render --redact` and `SECRETGEN_REDACT` (the exec plugin, the KRM function under
//! `kustomize build`): Secrets printed with every value replaced by `<redacted N bytes>`,
//! names hashed from the real values. Canaries: no value shows in any form, and a changed
//! value changes the output.

use std::path::Path;
use std::process::{Command, Output};

use crate::common;
use common::{describe, secretgen_in, text};

const CANARY: &str = "canary-redact-3f9c1e";

fn write(dir: &Path, name: &str, content: &str) {
    std::fs::write(dir.join(name), content).unwrap();
}

/// A kustomization with a generated Secret (a literal and a file) and a plain Secret
/// resource holding `data` and `stringData`.
fn tree(dir: &Path, value: &str) {
    write(
        dir,
        "kustomization.yaml",
        "namespace: prod\nresources:\n- plain.yaml\nsecretGenerator:\n- name: db\n  literals:\n  - password=PASSWORD\n  files:\n  - key.txt\n".replace("PASSWORD", value).as_str(),
    );
    write(dir, "key.txt", &format!("{value}-file\n"));
    let b64 = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(format!("{value}-data"))
    };
    write(
        dir,
        "plain.yaml",
        &format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: plain\ndata:\n  d: {b64}\nstringData:\n  s: {value}-string\n"
        ),
    );
}

fn assert_no_value(out: &str, what: &str) {
    for v in [
        CANARY.to_string(),
        format!("{CANARY}-file\n"),
        format!("{CANARY}-data"),
        format!("{CANARY}-string"),
    ] {
        for form in common::canary_forms(&v) {
            assert!(
                !out.contains(&form),
                "{what}: a form of a value shows:\n{out}"
            );
        }
    }
}

fn render_redacted(dir: &Path) -> Output {
    secretgen_in(dir)
        .args(["render", ".", "--redact"])
        .output()
        .unwrap()
}

#[test]
fn render_redact_shows_sizes_and_names_never_values() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    tree(d, CANARY);
    let out = render_redacted(d);
    assert!(out.status.success(), "{}", describe(&out));
    let redacted = text(&out.stdout);
    assert_no_value(&redacted, "render --redact");
    let plain = secretgen_in(d).args(["render", "."]).output().unwrap();
    let plain = text(&plain.stdout);
    // The same documents, names (with their suffix) and keys; each value a marker and size.
    let name = |s: &str| {
        s.lines()
            .find(|l| l.trim_start().starts_with("name: db-"))
            .map(str::to_string)
    };
    assert_eq!(name(&redacted), name(&plain), "{redacted}");
    assert!(
        redacted.contains(&format!("  password: <redacted {} bytes>\n", CANARY.len())),
        "{redacted}"
    );
    assert!(
        redacted.contains(&format!(
            "  key.txt: <redacted {} bytes>\n",
            CANARY.len() + 6
        )),
        "{redacted}"
    );
    assert!(
        redacted.contains(&format!("  d: <redacted {} bytes>\n", CANARY.len() + 5)),
        "{redacted}"
    );
    assert!(
        redacted.contains(&format!("  s: <redacted {} bytes>\n", CANARY.len() + 7)),
        "{redacted}"
    );
    assert_eq!(
        redacted.lines().count(),
        plain.lines().count(),
        "{redacted}\n{plain}"
    );

    // A changed value changes the snapshot (the name's suffix), though the size does not.
    let changed = CANARY.replace('3', "4");
    tree(d, &changed);
    let again = render_redacted(d);
    assert!(again.status.success(), "{}", describe(&again));
    assert_ne!(text(&again.stdout), redacted);
    assert_ne!(name(&text(&again.stdout)), name(&redacted));
}

#[test]
fn the_exec_plugin_and_the_krm_function_redact_under_the_variable() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    tree(d, CANARY);
    // The exec plugin, as kustomize calls it.
    write(
        d,
        "gen.yaml",
        &format!(
            "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: g\nliterals:\n- k={CANARY}\n"
        ),
    );
    let exec = |redact: Option<&str>| {
        let mut c = secretgen_in(d);
        c.args(["plugin", "exec", "gen.yaml"]);
        if let Some(v) = redact {
            c.env("SECRETGEN_REDACT", v);
        }
        c.output().unwrap()
    };
    let out = exec(Some("true"));
    assert!(out.status.success(), "{}", describe(&out));
    assert_no_value(&text(&out.stdout), "exec plugin");
    assert!(
        text(&out.stdout).contains(&format!(
            "  k: <redacted {} bytes, content hash ",
            CANARY.len()
        )),
        "{}",
        describe(&out)
    );
    let plain = exec(None);
    assert!(
        text(&plain.stdout).contains("  k: "),
        "{}",
        describe(&plain)
    );
    let bad = exec(Some("maybe"));
    assert_eq!(bad.status.code(), Some(2), "{}", describe(&bad));
    assert!(
        text(&bad.stderr).contains("SECRETGEN_REDACT"),
        "{}",
        describe(&bad)
    );

    // A whole `kustomize build` with secretgen as its KRM function.
    let k = d.join("k");
    std::fs::create_dir(&k).unwrap();
    write(&k, "kustomization.yaml", "generators:\n- gen.yaml\n");
    write(
        &k,
        "gen.yaml",
        &format!(
            "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: s\n  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: {}\nliterals:\n- k={CANARY}\n",
            env!("CARGO_BIN_EXE_secretgen")
        ),
    );
    let build = |value: &str| {
        let mut c: Command = common::tool("kustomize");
        c.args(["build", "--enable-alpha-plugins", "--enable-exec", "."])
            .current_dir(&k)
            .env("HOME", d.join("no-home"))
            .env("XDG_CONFIG_HOME", d.join("no-xdg"))
            .env("SECRETGEN_REDACT", "true");
        write(
            &k,
            "gen.yaml",
            &std::fs::read_to_string(k.join("gen.yaml"))
                .unwrap()
                .replace(CANARY, value)
                .replace(&CANARY.replace('3', "4"), value),
        );
        let out = c.output().expect("kustomize (from `bash tests/setup.sh`)");
        assert!(out.status.success(), "{}", describe(&out));
        text(&out.stdout)
    };
    let snapshot = build(CANARY);
    assert_no_value(&snapshot, "kustomize build");
    assert!(
        snapshot.contains(&format!(
            "  k: <redacted {} bytes, content hash ",
            CANARY.len()
        )),
        "{snapshot}"
    );
    assert_ne!(
        build(&CANARY.replace('3', "4")),
        snapshot,
        "a changed value changes the build"
    );
}
