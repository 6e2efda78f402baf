//! No output stream of any command holds a secret value: render (stdout aside), render -o
//! --check with drift, diff (text and json), check with findings, hash --explain, and runs
//! that fail; and `Debug` of every rendered type redacts its values.

use base64::Engine as _;
use std::path::Path;
use std::process::Output;

use crate::common;
use common::{canary_forms, secretgen, text};

const CANARY: &str = "CANARY-91c4-no-leaks";

fn forms() -> Vec<String> {
    canary_forms(CANARY)
}

fn assert_clean(what: &str, s: &str) {
    for f in forms() {
        assert!(!s.contains(&f), "{what} holds the canary as `{f}`:\n{s}");
    }
}

fn run(dir: &Path, args: &[&str]) -> Output {
    secretgen().args(args).current_dir(dir).output().unwrap()
}

fn tree(dir: &Path, value: &str, extra: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("secretgen.yaml"),
        format!("apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: db\n  namespace: prod\nfiles:\n- password.txt\nliterals:\n- token={value}\n{extra}"),
    )
    .unwrap();
    std::fs::write(dir.join("password.txt"), value).unwrap();
    std::fs::write(
        dir.join("deploy.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\n  namespace: prod\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        env:\n        - name: X\n          valueFrom:\n            secretKeyRef:\n              name: db\n              key: missing\n",
    )
    .unwrap();
}

#[test]
fn no_command_prints_a_value_except_render_on_stdout() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    tree(&d.join("old"), CANARY, "");
    tree(&d.join("new"), &format!("{CANARY}-2"), "");
    tree(&d.join("bad"), CANARY, "type: kubernetes.io/tls\n");
    assert!(run(d, &["render", "old", "-o", "out"]).status.success());
    let mut runs = vec![
        (
            "render -o --check",
            run(d, &["render", "new", "-o", "out", "--check"]),
            1,
        ),
        ("diff", run(d, &["diff", "old", "new"]), 1),
        (
            "diff json",
            run(d, &["diff", "--format", "json", "old", "new"]),
            1,
        ),
        ("diff dir", run(d, &["diff", "out", "new"]), 1),
        ("check", run(d, &["check", "new"]), 1),
        ("hash --explain", run(d, &["hash", "--explain", "new"]), 0),
        ("render failing", run(d, &["render", "bad"]), 2),
        (
            "render -o failing",
            run(d, &["render", "bad", "-o", "out2"]),
            2,
        ),
        ("render -o", run(d, &["render", "new", "-o", "out3"]), 0),
    ];
    let create = secretgen()
        .args([
            "create",
            "generic",
            "x",
            "--from-literal",
            &format!("bad key={CANARY}"),
        ])
        .current_dir(d)
        .output()
        .unwrap();
    runs.push(("create failing", create, 2));
    for (what, out, code) in &runs {
        assert_eq!(
            out.status.code(),
            Some(*code),
            "{what}: {}",
            text(&out.stderr)
        );
        assert_clean(&format!("{what} stdout"), &text(&out.stdout));
        assert_clean(&format!("{what} stderr"), &text(&out.stderr));
    }
    // render to stdout does print the values (that is its job), which proves the forms match.
    let shown = run(d, &["render", "new"]);
    assert!(
        forms()
            .iter()
            .any(|f| text(&shown.stdout).contains(f.as_str()))
    );
}

#[test]
fn debug_of_rendered_types_is_redacted() {
    let t = tempfile::tempdir().unwrap();
    tree(t.path(), CANARY, "");
    // A kustomization whose resources hold a plain Secret with the canary in `data` and
    // `stringData`, beside a generator with the canary in a literal.
    std::fs::write(
        t.path().join("kustomization.yaml"),
        format!("resources:\n- plain.yaml\nsecretGenerator:\n- name: k\n  literals:\n  - token={CANARY}\n"),
    )
    .unwrap();
    let b64 = base64::engine::general_purpose::STANDARD.encode(CANARY);
    std::fs::write(
        t.path().join("plain.yaml"),
        format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: plain\ndata:\n  a: {b64}\nstringData:\n  b: {CANARY}\n"),
    )
    .unwrap();
    let kust = secretgen::render::discover::load(&[t.path().join("kustomization.yaml")]).unwrap();
    assert!(!kust[0].plain_secrets.is_empty());
    assert_clean("Debug of a kustomization's units", &format!("{kust:?}"));
    let units = secretgen::render::discover::load(&[t.path().join("secretgen.yaml")]).unwrap();
    assert_clean("Debug of generator units", &format!("{units:?}"));
    let keys = secretgen::age::Keyring::new(secretgen::age::IdentitySources::default());
    let out =
        secretgen::render::render_units(&units, &secretgen::render::Settings::default(), &keys)
            .unwrap();
    assert_clean("Debug of rendered Secrets", &format!("{:?}", out.secrets));
    let plan = secretgen::review::output::plan(&out.secrets).unwrap();
    let docs: Vec<_> = out.secrets.iter().collect();
    assert_clean("Debug of diff docs", &format!("{docs:?}"));
    assert!(!plan.is_empty());
}
