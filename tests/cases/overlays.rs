//! Runs every base/overlay/component case of `testdata/overlays` (recorded from the real
//! `kubectl kustomize` and kustomize v5.8.1 by `testdata/overlays/record.sh`) through
//! `secretgen render`, one test per case:
//! - `expected.yaml`: stdout byte-identical to the Secret documents kustomize printed, in its
//!   order (an empty file: nothing on stdout and "no Secrets" on stderr);
//! - `expected.err` (kustomize failed) or `refuse` (what secretgen does not apply): exit 2,
//!   stdout empty, a clear error naming a file of the case, pinned as a reviewed snapshot.

use std::path::Path;
use std::process::Output;

use libtest_mimic::{Failed, Trial};

use crate::common::{describe, materialize, refused_message, secretgen, text};

fn cases_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/overlays")
}

fn render(case: &Path) -> Output {
    let build = match std::fs::read_to_string(case.join("build-dir")) {
        Ok(d) => case.join(d.trim()),
        Err(_) => case.to_path_buf(),
    };
    secretgen()
        .arg("render")
        .arg(&build)
        .output()
        .expect("run secretgen")
}

fn check_same(case: &Path) -> Result<(), Failed> {
    let copy = materialize(case);
    let out = render(copy.path());
    let expected = std::fs::read_to_string(case.join("expected.yaml"))?;
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
    if expected.is_empty() && !text(&out.stderr).contains("no Secrets: ") {
        return Err(format!("an empty build must say so\n{}", describe(&out)).into());
    }
    Ok(())
}

fn check_reject(case: &Path, name: &str) -> Result<(), Failed> {
    let copy = materialize(case);
    let dir = copy.path();
    let shown = refused_message(dir, &render(dir))?;
    let mut settings = insta::Settings::clone_current();
    settings
        .set_snapshot_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/overlays"));
    settings.set_prepend_module_to_snapshot(false);
    let why = if case.join("refuse").exists() {
        "refused: secretgen does not apply it"
    } else {
        "kubectl kustomize fails too (expected.err)"
    };
    settings.set_description(format!("secretgen render on overlay case {name} ({why})"));
    settings.bind(|| insta::assert_snapshot!(name.to_string(), shown));
    Ok(())
}

pub fn trials() -> Vec<Trial> {
    let mut trials = Vec::new();
    for case in crate::common::case_paths(&cases_dir(), Path::is_dir) {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        let reject = case.join("refuse").exists() || case.join("expected.err").exists();
        if !reject && !case.join("expected.yaml").exists() {
            panic!("{name}: neither expected.yaml, expected.err nor refuse (run record.sh)");
        }
        trials.push(trial!(name.clone(), move || {
            if reject {
                check_reject(&case, &name)
            } else {
                check_same(&case)
            }
        }));
    }
    trials
}
