//! A base/overlay repository through `render -o` (with `--check` and `--prune`), `check`
//! and `diff --base`: each overlay is its own build, the base is never rendered on its own,
//! and workloads from the base are checked as each overlay builds them.

use std::path::Path;
use std::process::{Command, Output};

use crate::common;
use common::{describe, secretgen_in, text};

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
        env:
        - name: B
          valueFrom:
            secretKeyRef: {name: api-env, key: B}
        - name: T
          valueFrom:
            secretKeyRef: {name: prod-tls, key: tls.crt}
";

/// base/ (a Deployment and a generator), overlays/dev and overlays/prod (namespace and
/// prefix; prod replaces the base's Secret without key `B`; both make a `tls` Secret, and
/// the base refers to it by the name it only has after prod's prefix).
fn repo(dir: &Path) {
    let w = |p: &str, s: &str| {
        let p = dir.join(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, s).unwrap();
    };
    w("base/deploy.yaml", DEPLOY);
    w(
        "base/kustomization.yaml",
        "resources: [deploy.yaml]\nsecretGenerator:\n- name: api-env\n  literals: [A=1, B=2]\n",
    );
    w(
        "overlays/dev/kustomization.yaml",
        "resources: [../../base]\nnamespace: dev\nnamePrefix: dev-\nsecretGenerator:\n- name: tls\n  literals: [tls.crt=x]\n",
    );
    w(
        "overlays/prod/kustomization.yaml",
        "resources: [../../base]\nnamespace: prod\nnamePrefix: prod-\nsecretGenerator:\n- name: api-env\n  behavior: replace\n  literals: [A=9]\n- name: tls\n  literals: [tls.crt=x]\n",
    );
}

fn run(dir: &Path, args: &[&str]) -> Output {
    secretgen_in(dir).args(args).output().unwrap()
}

fn files_under(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().strip_prefix(dir).unwrap().display().to_string())
        .collect();
    out.sort();
    out
}

#[test]
fn render_o_keeps_each_overlay_apart_and_skips_the_base() {
    let t = tempfile::tempdir().unwrap();
    repo(t.path());
    let out = run(t.path(), &["render", ".", "-o", "out"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let files = files_under(&t.path().join("out"));
    // The same names kubectl kustomize gives (recorded in testdata/overlays for this layout).
    assert_eq!(files.len(), 4, "{files:#?}");
    assert!(
        files
            .iter()
            .all(|f| f.starts_with("overlays/dev/dev/dev-")
                || f.starts_with("overlays/prod/prod/prod-")),
        "{files:#?}"
    );
    assert!(
        !files.iter().any(|f| f.contains("/api-env-")),
        "the base rendered on its own: {files:#?}"
    );

    // Up to date; then a change in one overlay makes --check fail and --prune remove the old.
    let out = run(t.path(), &["render", ".", "-o", "out", "--check"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    std::fs::write(
        t.path().join("overlays/dev/kustomization.yaml"),
        "resources: [../../base]\nnamespace: dev\nnamePrefix: dev-\nsecretGenerator:\n- name: tls\n  literals: [tls.crt=y]\n",
    )
    .unwrap();
    let out = run(t.path(), &["render", ".", "-o", "out", "--check"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let shown = text(&out.stdout);
    assert!(shown.contains("overlays/dev/dev/dev-tls-"), "{shown}");
    assert!(!shown.contains("prod-"), "prod did not change: {shown}");
    let out = run(t.path(), &["render", ".", "-o", "out", "--prune"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(
        text(&out.stderr).contains("1 written, 3 unchanged, 1 pruned"),
        "{}",
        describe(&out)
    );
    assert_eq!(files_under(&t.path().join("out")).len(), 4);

    // One overlay named alone: its Secrets at the top of DIR, as for a flat kustomization.
    let out = run(t.path(), &["render", "overlays/prod", "-o", "one"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let files = files_under(&t.path().join("one"));
    assert!(
        files.iter().all(|f| f.starts_with("prod/prod-")),
        "{files:#?}"
    );
}

#[test]
fn check_follows_each_overlay() {
    let t = tempfile::tempdir().unwrap();
    repo(t.path());
    let out = run(t.path(), &["check", "."]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let shown = text(&out.stdout);
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(lines.len(), 2, "{shown}");
    // `prod-tls` resolves only after prod's prefix: broken in dev alone.
    assert!(
        lines.iter().any(|l| l.contains("deploy.yaml:17:")
            && l.contains("Deployment/dev-api (in ./overlays/dev)")
            && l.contains("Secret `prod-tls`")),
        "{shown}"
    );
    // Key B is gone only where prod replaces the Secret.
    assert!(
        lines.iter().any(|l| l.contains("deploy.yaml:14:")
            && l.contains("Deployment/prod-api (in ./overlays/prod)")
            && l.contains("key `B`")),
        "{shown}"
    );
    // Named alone, dev has its one finding and prod none.
    let out = run(t.path(), &["check", "overlays/prod"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        !text(&out.stdout).contains("prod-tls"),
        "{}",
        describe(&out)
    );
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", describe(&out));
}

#[test]
fn diff_base_pairs_each_overlays_secrets() {
    let t = tempfile::tempdir().unwrap();
    repo(t.path());
    git(t.path(), &["init", "-q"]);
    git(t.path(), &["add", "."]);
    git(t.path(), &["commit", "-qm", "base"]);
    let out = run(t.path(), &["diff", "--base", "HEAD", "."]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    // A change in the base reaches both overlays' Secrets (prod replaces api-env: unchanged).
    std::fs::write(
        t.path().join("base/kustomization.yaml"),
        "resources: [deploy.yaml]\nsecretGenerator:\n- name: api-env\n  literals: [A=1, B=3]\n",
    )
    .unwrap();
    let out = run(t.path(), &["diff", "--base", "HEAD", "."]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let shown = text(&out.stdout);
    assert!(shown.contains("dev/dev-api-env changed"), "{shown}");
    assert!(shown.contains("~ B: changed (1 → 1 byte)"), "{shown}");
    assert!(
        shown.contains("1 changed, 0 renamed, 3 unchanged"),
        "{shown}"
    );
    assert!(!shown.contains("prod/prod-api-env"), "{shown}");
}
