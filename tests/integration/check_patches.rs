//! `check` on an overlay tree: a strategic-merge patch is a patch, not a manifest of its own,
//! and the workloads are checked as the build leaves them (the overlay's namePrefix and
//! nameSuffix applied to the Secrets and to the references alike, its patches applied: a
//! reference a patch adds is checked, one it replaces or deletes is not); a finding names the file
//! a user edits (`deploy/base/dep.yaml`), not the path the build took to it.

use std::path::Path;
use std::process::Output;

use crate::common;
use common::{describe, secretgen_in, text};

fn write(dir: &Path, rel: &str, content: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, content).unwrap();
}

const DEPLOY: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      containers:
      - name: api
        image: api:1
        envFrom:
        - secretRef:
            name: REF
";

/// The patch refers to the base's Secret by its name before the overlay's prefix and suffix,
/// as a patch does.
const PATCH: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      containers:
      - name: api
        env:
        - name: B
          valueFrom:
            secretKeyRef:
              name: api-env
              key: A
";

/// A base (Deployment + generator) and an overlay with a prefix, a suffix and a patch file,
/// listed the two ways kustomize takes one.
fn tree(dir: &Path, base_ref: &str, field: &str) {
    write(
        dir,
        "deploy/base/kustomization.yaml",
        "resources:\n- dep.yaml\nsecretGenerator:\n- name: api-env\n  literals:\n  - A=1\n",
    );
    write(
        dir,
        "deploy/base/dep.yaml",
        &DEPLOY.replace("REF", base_ref),
    );
    let patches = match field {
        "patches" => "patches:\n- path: patch.yaml\n",
        _ => "patchesStrategicMerge:\n- patch.yaml\n",
    };
    write(
        dir,
        "deploy/overlays/dev/kustomization.yaml",
        &format!("namePrefix: dev-\nnameSuffix: -x\nresources:\n- ../../base\n{patches}"),
    );
    write(dir, "deploy/overlays/dev/patch.yaml", PATCH);
}

fn check(dir: &Path, path: &str) -> Output {
    secretgen_in(dir).args(["check", path]).output().unwrap()
}

#[test]
fn a_patch_file_is_not_checked_as_a_manifest() {
    for field in ["patches", "patchesStrategicMerge"] {
        for path in ["deploy/overlays/dev", "deploy", "."] {
            let t = tempfile::tempdir().unwrap();
            tree(t.path(), "api-env", field);
            let out = check(t.path(), path);
            assert_eq!(
                out.status.code(),
                Some(0),
                "{field}, check {path}: {}",
                describe(&out)
            );
            assert_eq!(text(&out.stdout), "", "{field}, check {path}");
        }
    }
}

#[test]
fn a_broken_reference_is_one_finding_named_by_the_file_a_user_edits() {
    for path in ["deploy/overlays/dev", "deploy"] {
        let t = tempfile::tempdir().unwrap();
        tree(t.path(), "gone", "patches");
        let out = check(t.path(), path);
        assert_eq!(
            out.status.code(),
            Some(1),
            "check {path}: {}",
            describe(&out)
        );
        let stdout = text(&out.stdout);
        assert_eq!(
            stdout.lines().count(),
            1,
            "check {path}: {}",
            describe(&out)
        );
        assert!(
            stdout.starts_with("deploy/base/dep.yaml:13:19: Deployment/dev-api-x "),
            "check {path}: {}",
            describe(&out)
        );
        assert!(stdout.contains("Secret `gone`"), "{stdout}");
    }
}

/// The overlay's patch replaced by `patch`, the base's reference by `base_ref`.
fn tree_with_patch(dir: &Path, base_ref: &str, patch: &str) {
    tree(dir, base_ref, "patches");
    write(dir, "deploy/overlays/dev/patch.yaml", patch);
}

#[test]
fn a_reference_a_patch_adds_is_checked() {
    let t = tempfile::tempdir().unwrap();
    tree_with_patch(
        t.path(),
        "api-env",
        &PATCH.replace("name: api-env", "name: missing"),
    );
    let out = check(t.path(), "deploy/overlays/dev");
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "{}", describe(&out));
    assert!(stdout.contains("Secret `missing`"), "{stdout}");
    assert!(
        stdout.starts_with("deploy/base/dep.yaml:") && stdout.contains("Deployment/dev-api-x "),
        "{stdout}"
    );
}

#[test]
fn a_reference_a_patch_replaces_is_not_reported() {
    // `envFrom` has no merge key: the patch's list replaces the base's broken one.
    let patch = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      containers:
      - name: api
        envFrom:
        - secretRef:
            name: api-env
";
    let t = tempfile::tempdir().unwrap();
    tree_with_patch(t.path(), "gone", patch);
    let out = check(t.path(), "deploy/overlays/dev");
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_eq!(text(&out.stdout), "");
}

#[test]
fn a_workload_a_patch_deletes_is_not_checked() {
    let patch = "$patch: delete
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
";
    let t = tempfile::tempdir().unwrap();
    tree_with_patch(t.path(), "gone", patch);
    let out = check(t.path(), "deploy/overlays/dev");
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_eq!(text(&out.stdout), "");
}

#[test]
fn a_container_a_patch_merges_keeps_the_base_references() {
    // Containers merge by name: the base's broken `envFrom` survives a patch that adds env.
    let t = tempfile::tempdir().unwrap();
    tree_with_patch(t.path(), "gone", PATCH);
    let out = check(t.path(), "deploy/overlays/dev");
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "{}", describe(&out));
    assert!(
        stdout.starts_with("deploy/base/dep.yaml:13:19: Deployment/dev-api-x "),
        "{stdout}"
    );
}
