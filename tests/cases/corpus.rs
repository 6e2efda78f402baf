//! Runs every case of the conformance corpus (`testdata/corpus`), recorded from real
//! kustomize v5.5.0 and kubectl v1.32, through the `secretgen` binary, as `EXPECT.tsv` says:
//! `same` (stdout byte-identical to `expected.yaml`), `same-secrets` (the Secret documents of
//! `expected.yaml`, in order), `reject` (exit 2, stdout empty, a message naming a file),
//! `accept` (kustomize crashes on a valid key; secretgen renders it). `host` rows need
//! kustomize as the host and run in `tests/cases/plugin_e2e.rs`. kubectl-create cases with
//! `--append-hash` check the `kubectl` hash variant's suffix.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;

use libtest_mimic::{Failed, Trial};

use crate::common::{
    corpus_dir, describe, extra_corpus_dir, materialize, refused_message, secretgen, shell_words,
    text,
};

/// Runs `secretgen render` on a kustomize case as the oracle ran `kubectl kustomize`.
fn render_case(case: &Path) -> Output {
    let build = match std::fs::read_to_string(case.join("build-dir")) {
        Ok(d) => case.join(d.trim()),
        Err(_) => case.to_path_buf(),
    };
    let mut cmd = secretgen();
    cmd.arg("render");
    if let Ok(args) = std::fs::read_to_string(case.join("oracle.args")) {
        for a in args.lines().map(str::trim).filter(|a| !a.is_empty()) {
            cmd.arg(a);
        }
    }
    if let Ok(env) = std::fs::read_to_string(case.join("oracle.env")) {
        for line in env.lines().filter(|l| l.contains('=')) {
            let (k, v) = line.split_once('=').unwrap();
            cmd.env(k, v.replace("@CASEDIR@", &case.display().to_string()));
        }
    }
    cmd.arg(&build);
    cmd.output().expect("run secretgen")
}

/// The documents of a YAML stream whose top-level `kind` is Secret.
fn secret_documents(stream: &str) -> String {
    stream
        .split("---\n")
        .filter(|d| d.lines().any(|l| l == "kind: Secret"))
        .collect::<Vec<_>>()
        .join("---\n")
}

fn check_same(case: &Path, secrets_only: bool) -> Result<(), Failed> {
    let copy = materialize(case);
    let out = render_case(copy.path());
    let expected = std::fs::read_to_string(case.join("expected.yaml"))?;
    let expected = if secrets_only {
        secret_documents(&expected)
    } else {
        expected
    };
    if out.status.code() != Some(0) {
        return Err(format!("expected success\n{}", describe(&out)).into());
    }
    let got = text(&out.stdout);
    if got != expected {
        let diff = similar::TextDiff::from_lines(&expected, &got)
            .unified_diff()
            .header("expected.yaml", "secretgen")
            .to_string();
        return Err(format!("output differs from kubectl kustomize:\n{diff}").into());
    }
    Ok(())
}

fn check_reject(case: &Path, name: &str, snapshots: &str) -> Result<(), Failed> {
    let copy = materialize(case);
    let case = copy.path();
    let shown = refused_message(case, &render_case(case))?;
    let snapshot_dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(snapshots);
    // Every case of ours has its reviewed message. A case of a fuller corpus than the one
    // we were given (SECRETGEN_CORPUS) has none yet: the checks above still hold, and the
    // message is shown instead of pinned.
    if snapshots == "corpus" && !snapshot_dir.join(format!("{name}.snap")).exists() {
        eprintln!("{name}: no reviewed snapshot; message: {shown}");
        return Ok(());
    }
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(snapshot_dir);
    settings.set_prepend_module_to_snapshot(false);
    settings.set_description(format!(
        "secretgen render on corpus case {name} (EXPECT.tsv: reject)"
    ));
    settings.bind(|| insta::assert_snapshot!(name.to_string(), shown));
    Ok(())
}

/// A valid key kustomize cannot print: secretgen renders it, the keys from the
/// kustomization's literals appear as data keys (quoted where goyaml.v2 quotes them), and
/// the output parses back to the same keys and values.
fn check_accept(case: &Path) -> Result<(), Failed> {
    let copy = materialize(case);
    let case = copy.path();
    let out = render_case(case);
    if out.status.code() != Some(0) {
        return Err(format!("expected success\n{}", describe(&out)).into());
    }
    let kust: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&std::fs::read_to_string(case.join("kustomization.yaml"))?)?;
    let doc: serde_yaml_ng::Value = serde_yaml_ng::from_slice(&out.stdout)?;
    let data = doc
        .get("data")
        .and_then(|d| d.as_mapping())
        .ok_or("no data in the output")?;
    let mut got = BTreeMap::new();
    for (k, v) in data {
        let k = k
            .as_str()
            .ok_or_else(|| format!("key {k:?} did not print as a string"))?;
        let v = v.as_str().ok_or("value is not a string")?;
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD.decode(v.replace('\n', ""))?;
        got.insert(k.to_string(), String::from_utf8(bytes)?);
    }
    let mut want = BTreeMap::new();
    for g in kust["secretGenerator"]
        .as_sequence()
        .ok_or("no secretGenerator")?
    {
        for lit in g["literals"].as_sequence().ok_or("no literals")? {
            let lit = lit.as_str().ok_or("literal")?;
            let (k, v) = lit.split_once('=').ok_or("literal without =")?;
            want.insert(k.to_string(), v.to_string());
        }
    }
    if got != want {
        return Err(format!("keys/values differ: want {want:?}, got {got:?}").into());
    }
    let name = doc["metadata"]["name"].as_str().ok_or("no name")?;
    let suffix = name.rsplit('-').next().unwrap_or("");
    if suffix.len() != 10 {
        return Err(format!("name {name} carries no hash suffix").into());
    }
    Ok(())
}

fn yaml_quote(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

/// Translates a `kubectl create secret generic|tls … --append-hash` command into a
/// secretgen.dev/v1 manifest with `hash: kubectl`, renders it, and compares the name with
/// kubectl's. Returns `None` for forms that need `secretgen create`.
fn check_kubectl_hash(case: &Path) -> Result<(), Failed> {
    let cmd = std::fs::read_to_string(case.join("cmd.sh"))?;
    let line = cmd
        .lines()
        .find(|l| l.starts_with("kubectl create secret"))
        .ok_or("no kubectl line")?;
    let words = shell_words(line);
    let (form, name) = (words[3].as_str(), words[4].as_str());
    let mut files = Vec::new();
    let mut literals = Vec::new();
    let mut type_ = None;
    let mut namespace = None;
    let mut i = 5;
    while i < words.len() {
        let w = &words[i];
        let (flag, value) = match w.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (w.clone(), None),
        };
        let mut take = || {
            value.clone().unwrap_or_else(|| {
                i += 1;
                words[i].clone()
            })
        };
        match flag.as_str() {
            "--from-file" => files.push(take()),
            "--from-literal" => literals.push(take()),
            "--type" => type_ = Some(take()),
            "-n" | "--namespace" => namespace = Some(take()),
            "--cert" => files.push(format!("tls.crt={}", take())),
            "--key" => files.push(format!("tls.key={}", take())),
            "--append-hash" | "--dry-run" | "-o" | "yaml" => {}
            f if f.starts_with("--dry-run") => {}
            other => return Err(format!("unhandled flag {other}").into()),
        }
        i += 1;
    }
    if form == "tls" {
        type_ = Some("kubernetes.io/tls".into());
    }
    let mut manifest =
        format!("apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: {name}\n");
    if let Some(ns) = &namespace {
        manifest.push_str(&format!("  namespace: {ns}\n"));
    }
    if let Some(t) = &type_ {
        manifest.push_str(&format!("type: {}\n", yaml_quote(t)));
    }
    manifest.push_str("hash: kubectl\n");
    let list = |items: &[String]| {
        items
            .iter()
            .map(|s| format!("- {}\n", yaml_quote(s)))
            .collect::<String>()
    };
    if !files.is_empty() {
        manifest.push_str(&format!("files:\n{}", list(&files)));
    }
    if !literals.is_empty() {
        manifest.push_str(&format!("literals:\n{}", list(&literals)));
    }
    // The manifest sits in a copy of the case so that relative paths resolve.
    let dir = materialize(case);
    let gen_path = dir.path().join("secretgen.yaml");
    std::fs::write(&gen_path, &manifest)?;
    let out = secretgen().arg("render").arg(&gen_path).output()?;
    if out.status.code() != Some(0) {
        return Err(format!("render failed for\n{manifest}\n{}", describe(&out)).into());
    }
    let expected = std::fs::read_to_string(case.join("expected.yaml"))?;
    let want = expected
        .lines()
        .find_map(|l| l.strip_prefix("  name: "))
        .ok_or("no name in expected.yaml")?;
    let got = text(&out.stdout);
    let got = got
        .lines()
        .find_map(|l| l.strip_prefix("  name: "))
        .ok_or("no name in output")?
        .to_string();
    if got != want {
        return Err(format!("kubectl gives {want}, secretgen {got}\n{manifest}").into());
    }
    Ok(())
}

/// One trial per row of a corpus's `EXPECT.tsv`, named `<prefix>::<case>`; reject messages
/// are snapshotted under `tests/snapshots/<snapshots>`.
fn corpus_trials(corpus: &Path, prefix: &str, snapshots: &'static str) -> Vec<Trial> {
    let expect = std::fs::read_to_string(corpus.join("EXPECT.tsv")).unwrap_or_else(|e| {
        panic!(
            "the conformance corpus is missing at {} ({e})",
            corpus.display()
        )
    });
    let mut trials = Vec::new();
    for line in expect
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let mut cols = line.split('\t');
        let (case, what) = (
            cols.next().unwrap().to_string(),
            cols.next().unwrap_or("").to_string(),
        );
        let dir = corpus.join("kustomize").join(&case);
        let name = format!("{prefix}::{case}");
        if !dir.is_dir() {
            trials.push(trial!(name, move || {
                Err(format!(
                    "EXPECT.tsv names a case that is not there: {}",
                    dir.display()
                )
                .into())
            }));
            continue;
        }
        let trial = match what.as_str() {
            "same" => trial!(name, move || check_same(&dir, false)),
            "same-secrets" => trial!(name, move || check_same(&dir, true)),
            "reject" => trial!(name, move || check_reject(&dir, &case, snapshots)),
            "accept" => trial!(name, move || check_accept(&dir)),
            "host" => continue,
            other => {
                let other = other.to_string();
                trial!(name, move || {
                    Err(format!("unknown EXPECT.tsv verdict {other}").into())
                })
            }
        };
        trials.push(trial);
    }
    trials
}

pub fn trials() -> Vec<Trial> {
    let corpus = corpus_dir();
    let mut trials = corpus_trials(&corpus, "kustomize", "corpus");
    trials.extend(corpus_trials(&extra_corpus_dir(), "extra", "corpus-extra"));
    let creates = crate::common::case_paths(&corpus.join("kubectl-create"), Path::is_dir);
    for dir in creates {
        let cmd = std::fs::read_to_string(dir.join("cmd.sh")).unwrap_or_default();
        let case = dir.file_name().unwrap().to_string_lossy().into_owned();
        if cmd.contains("--append-hash") && !cmd.contains("docker-registry") {
            trials.push(trial!(format!("kubectl_hash::{case}"), move || {
                check_kubectl_hash(&dir)
            }));
        }
    }
    trials
}
