//! `render PATH` is `kustomize build PATH`: a PATH that holds a kustomization is one build,
//! nothing nested under it that the build does not reach; a directory without one is searched
//! for the tops of trees; `--all` searches below a kustomization too. Same for `diff` and
//! `check`. And the deprecated `bases:` field, read as `resources`, warned about once per
//! kustomization, as kustomize warns.

use std::path::Path;
use std::process::Output;

use crate::common;
use common::{describe, secretgen_in, text};

fn write(dir: &Path, rel: &str, content: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, content).unwrap();
}

/// `app/` builds Secret `top`; `app/extra/` is an unrelated kustomization nested under it
/// (kustomize never builds it as part of `app`), `app/loose.yaml` a generator manifest no
/// kustomization lists, and `app/extra/dep.yaml` a Deployment that refers to a Secret nothing
/// makes.
fn tree(dir: &Path) {
    write(
        dir,
        "app/kustomization.yaml",
        "secretGenerator:\n- name: top\n  literals: [A=1]\n",
    );
    write(
        dir,
        "app/extra/kustomization.yaml",
        "resources: [dep.yaml]\nsecretGenerator:\n- name: nested\n  literals: [B=1]\n",
    );
    write(
        dir,
        "app/extra/dep.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: i\n        envFrom:\n        - secretRef:\n            name: missing\n",
    );
    write(
        dir,
        "app/loose.yaml",
        "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: loose\nliterals:\n- C=1\n",
    );
}

fn run(dir: &Path, args: &[&str]) -> Output {
    secretgen_in(dir).args(args).output().unwrap()
}

fn names(out: &Output) -> Vec<String> {
    text(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("  name: "))
        .map(str::to_string)
        .collect()
}

#[test]
fn a_path_with_a_kustomization_is_one_build() {
    let t = tempfile::tempdir().unwrap();
    tree(t.path());
    let out = run(t.path(), &["render", "app"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_eq!(names(&out), ["top-526mcbf5c2"], "{}", describe(&out));
    // `.` inside it is the same build.
    let out = secretgen_in(&t.path().join("app"))
        .args(["render", "."])
        .output()
        .unwrap();
    assert_eq!(names(&out), ["top-526mcbf5c2"], "{}", describe(&out));
}

#[test]
fn all_searches_below_a_kustomization() {
    let t = tempfile::tempdir().unwrap();
    tree(t.path());
    let out = run(t.path(), &["render", "--all", "app"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_eq!(
        names(&out),
        ["loose-62598db2t6", "nested-b2hcg8ttd5", "top-526mcbf5c2"],
        "{}",
        describe(&out)
    );
}

#[test]
fn a_directory_without_a_kustomization_is_searched() {
    let t = tempfile::tempdir().unwrap();
    tree(t.path());
    write(
        t.path(),
        "other/kustomization.yaml",
        "secretGenerator:\n- name: other\n  literals: [D=1]\n",
    );
    // The top directory holds no kustomization: every top below it, each one build.
    let out = run(t.path(), &["render", "."]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let got = names(&out);
    assert!(got.iter().any(|n| n.starts_with("top-")), "{got:?}");
    assert!(got.iter().any(|n| n.starts_with("other-")), "{got:?}");
}

#[test]
fn render_o_of_one_build_writes_namespace_and_name() {
    let t = tempfile::tempdir().unwrap();
    tree(t.path());
    write(
        t.path(),
        "app/kustomization.yaml",
        "namespace: prod\nsecretGenerator:\n- name: top\n  literals: [A=1]\n",
    );
    let out = run(t.path(), &["render", "app", "-o", "out"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let mut files: Vec<String> = walk(&t.path().join("out"));
    files.sort();
    assert_eq!(files, ["prod/top-526mcbf5c2.yaml"], "{}", describe(&out));
}

fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().to_string();
                // The -o directory's own record of what it wrote.
                if !rel.starts_with('.') {
                    out.push(rel);
                }
            }
        }
    }
    out
}

#[test]
fn diff_reads_a_path_as_one_build() {
    let t = tempfile::tempdir().unwrap();
    tree(t.path());
    let out = run(t.path(), &["render", "app", "-o", "out"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    // The nested kustomization and the loose manifest are not part of the build.
    let out = run(t.path(), &["diff", "out", "app"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let out = run(t.path(), &["diff", "--all", "out", "app"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
}

#[test]
fn check_reads_a_path_as_one_build() {
    let t = tempfile::tempdir().unwrap();
    tree(t.path());
    let out = run(t.path(), &["check", "app"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_eq!(text(&out.stdout), "", "{}", describe(&out));
    // With --all, the nested kustomization's Deployment is checked: its reference is broken.
    let out = run(t.path(), &["check", "--all", "app"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        text(&out.stdout).contains("app/extra/dep.yaml:")
            && text(&out.stdout).contains("`missing`"),
        "{}",
        describe(&out)
    );
}

#[test]
fn check_of_a_flat_build_reads_its_resources() {
    let t = tempfile::tempdir().unwrap();
    // One build with no base: its Deployment is still checked.
    tree(t.path());
    let out = run(t.path(), &["check", "app/extra"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        text(&out.stdout).starts_with("app/extra/dep.yaml:13:19: "),
        "{}",
        describe(&out)
    );
}

const BASES_WARNING: &str = "`bases` is deprecated; read as more `resources`, as kustomize does";

#[test]
fn bases_are_read_as_resources_with_a_warning_per_kustomization() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    write(
        d,
        "base/kustomization.yaml",
        "secretGenerator:\n- name: s\n  literals: [A=1]\n",
    );
    write(d, "mid/kustomization.yaml", "bases:\n- ../base\n");
    write(
        d,
        "ov1/kustomization.yaml",
        "bases: [../mid]\nnamePrefix: a-\n",
    );
    write(
        d,
        "ov2/kustomization.yaml",
        "resources: [../mid]\nnamePrefix: b-\n",
    );
    let out = run(d, &["render", "ov1"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_eq!(names(&out), ["a-s-526mcbf5c2"], "{}", describe(&out));
    let err = text(&out.stderr);
    assert_eq!(err.matches(BASES_WARNING).count(), 2, "{err}");
    assert!(err.contains("ov1/kustomization.yaml:1:8: "), "{err}");
    assert!(err.contains("mid/kustomization.yaml:2:3: "), "{err}");
    // Two overlays over one base that uses `bases`: that base is warned about once.
    let out = run(d, &["render", "."]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_eq!(names(&out).len(), 2, "{}", describe(&out));
    let err = text(&out.stderr);
    assert_eq!(err.matches(BASES_WARNING).count(), 2, "{err}");
    assert_eq!(err.matches("mid/kustomization.yaml").count(), 1, "{err}");
}

/// A `data` value holding an envsubst placeholder is printed as written, as kustomize prints
/// it, with one warning per Secret (flat and tree builds alike); any other value that is not
/// base64 stays an error.
#[test]
fn a_data_placeholder_is_printed_with_a_warning_and_other_bad_base64_refused() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    write(
        d,
        "s.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  a: ${A_B64}\n  b: x${B}\n  c: dg==\n",
    );
    for kustomization in [
        "resources:\n- s.yaml\n",
        "resources:\n- s.yaml\nnamePrefix: p-\n",
    ] {
        write(d, "kustomization.yaml", kustomization);
        let out = run(d, &["render", "."]);
        assert!(out.status.success(), "{}", describe(&out));
        let yaml = text(&out.stdout);
        assert!(
            yaml.contains("  a: ${A_B64}\n  b: x${B}\n  c: dg==\n"),
            "{yaml}"
        );
        let err = text(&out.stderr);
        assert_eq!(
            err.matches("warning: ").count(),
            1,
            "one warning per Secret: {err}"
        );
        assert!(
            err.contains(
                "./s.yaml:1:1: the Secret's `data` holds 2 values with an envsubst placeholder"
            ),
            "{err}"
        );
    }
    write(
        d,
        "s.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  a: not base64!\n",
    );
    let out = run(d, &["render", "."]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(
        text(&out.stderr).contains("is not valid base64"),
        "{}",
        describe(&out)
    );
}
