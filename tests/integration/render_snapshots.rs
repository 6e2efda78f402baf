//! Rendered output for each built-in type and each option, as insta snapshots: what a user
//! sees, reviewed line by line. The kustomize-identical bytes are proven by the corpus and
//! differential tests; these pin secretgen's own features (types, hash variants, directory
//! sources, env files, plugin mode).

use std::path::Path;
use std::process::Command;

use crate::common;

fn secretgen(args: &[&str], dir: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_secretgen"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn testdata() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

#[test]
fn every_type_and_option() {
    insta::assert_snapshot!(secretgen(&["render", "types"], &testdata()));
}

#[test]
fn quickstart_is_the_docs_example() {
    let out = secretgen(&["render", "quickstart"], &testdata());
    assert!(out.contains("  name: db-user-pass-gd995d5t92\n"), "{out}");
    let legacy = secretgen(
        &["render", "--hash", "kustomize-legacy", "quickstart"],
        &testdata(),
    );
    assert!(
        legacy.contains("  name: db-user-pass-96mffmfh4k\n"),
        "{legacy}"
    );
    let kubectl = secretgen(&["render", "--hash", "kubectl", "quickstart"], &testdata());
    assert!(
        kubectl.contains("  name: db-user-pass-677k89m24g\n"),
        "{kubectl}"
    );
}

#[test]
fn plugin_mode_leaves_the_suffix_to_kustomize() {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(
        t.path().join("gen.yaml"),
        "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: app\nbehavior: merge\nliterals:\n- k=v\n---\napiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: plain\noptions:\n  disableNameSuffixHash: true\nliterals:\n- k=v\n",
    )
    .unwrap();
    insta::assert_snapshot!(secretgen(&["plugin", "exec", "gen.yaml"], t.path()));
}

/// Kustomization fields that change the Secrets kustomize prints but that secretgen does not
/// apply: the render succeeds, and stderr says so for each, with its position.
#[test]
fn warnings_for_fields_not_applied() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("kustomization.yaml"),
        // Patches, components, replacements, plugins, Helm and `behavior` make a tree build
        // (tests/cases/overlays.rs); these are the fields even a tree build does not apply.
        "buildMetadata: [managedByLabel]\nsortOptions:\n  order: fifo\nconfigurations: []\nlabels:\n- pairs: {a: b}\n  fields:\n  - path: spec/x\nsecretGenerator:\n- name: s\n  literals:\n  - k=v\n",
    )
    .unwrap();
    let out = common::secretgen()
        .arg("render")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.code() == Some(0) && common::text(&out.stdout).contains("kind: Secret"),
        "expected a render\n{}",
        common::describe(&out)
    );
    let mut shown = common::text(&out.stderr);
    for p in [dir.path().to_path_buf(), dir.path().canonicalize().unwrap()] {
        shown = shown.replace(&p.display().to_string(), "@DIR@");
    }
    insta::with_settings!({
        description => "secretgen render: warnings for kustomization fields not applied",
    }, {
        insta::assert_snapshot!("warnings-fields-not-applied", shown);
    });
}
