//! Nothing is skipped without a word: a manifest whose `apiVersion` or `kind` is a near miss
//! of ours is a warning naming the file and the fix when `render DIR` walks past it, and an
//! error (exit 2) when nothing else was found; `fn` with `items` that is not a list fails.

use crate::common;
use common::{secretgen_in, text, with_stdin};

const OURS: &str = "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: ok\nliterals:\n- a=b\n";

#[test]
fn near_misses_are_reported() {
    for (doc, fix) in [
        (
            "apiVersion: secretgen.dev/v1beta1\nkind: SecretGenerator\nmetadata:\n  name: x\nliterals:\n- a=b\n",
            "apiVersion: secretgen.dev/v1",
        ),
        (
            "apiVersion: secretgen.dev/v1\nkind: SecretGenerater\nmetadata:\n  name: x\nliterals:\n- a=b\n",
            "kind: SecretGenerator",
        ),
        (
            "apiVersion: secretgen.dev/v1\nkind: secretgenerator\nmetadata:\n  name: x\nliterals:\n- a=b\n",
            "kind: SecretGenerator",
        ),
        (
            "kind: SecretGenerator\nmetadata:\n  name: x\nliterals:\n- a=b\n",
            "apiVersion: secretgen.dev/v1",
        ),
    ] {
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        std::fs::create_dir(d.join("tree")).unwrap();
        std::fs::write(d.join("tree/near.yaml"), doc).unwrap();
        // Alone: nothing rendered is an error.
        let out = secretgen_in(d).args(["render", "tree"]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{doc}: {}", text(&out.stderr));
        assert!(out.stdout.is_empty());
        let err = text(&out.stderr);
        assert!(
            err.contains("tree/near.yaml:1:1") && err.contains(fix),
            "{err}"
        );
        // `render FILE` said so already; it still does.
        let out = secretgen_in(d)
            .args(["render", "tree/near.yaml"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        // Beside a generator that renders: a warning, and the good one is rendered.
        std::fs::write(d.join("tree/ok.yaml"), OURS).unwrap();
        let out = secretgen_in(d).args(["render", "tree"]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let err = text(&out.stderr);
        assert!(
            err.contains("warning: tree/near.yaml:1:1") && err.contains(fix),
            "{err}"
        );
        assert!(text(&out.stdout).contains("name: ok-"));
    }
}

#[test]
fn other_documents_are_not_near_misses() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::write(d.join("ok.yaml"), OURS).unwrap();
    std::fs::write(
        d.join("other.yaml"),
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n---\napiVersion: example.com/v1\nkind: SecretsFromDatabase\nmetadata:\n  name: g\n",
    )
    .unwrap();
    let out = secretgen_in(d).args(["render", "."]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stderr), "");
}

#[test]
fn fn_items_must_be_a_list() {
    let t = tempfile::tempdir().unwrap();
    for items in ["{a: 1}", "x", "1"] {
        let list = format!(
            "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: {items}\nfunctionConfig:\n  apiVersion: secretgen.dev/v1\n  kind: SecretGenerator\n  metadata:\n    name: x\n  literals: [a=b]\n"
        );
        let mut c = secretgen_in(t.path());
        c.arg("fn");
        let out = with_stdin(c, list.as_bytes());
        assert_eq!(out.status.code(), Some(2), "{items}: {}", text(&out.stdout));
        assert!(
            text(&out.stdout).contains("`items` must be a list"),
            "{}",
            text(&out.stdout)
        );
    }
}

#[test]
fn a_file_of_only_separators_is_reported() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::create_dir(d.join("tree")).unwrap();
    std::fs::write(d.join("tree/emptied.yaml"), "---\n# was a generator\n---\n").unwrap();
    let out = secretgen_in(d).args(["render", "tree"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("tree/emptied.yaml"));
    let out = secretgen_in(d)
        .args(["render", "tree/emptied.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    std::fs::write(d.join("tree/ok.yaml"), OURS).unwrap();
    let out = secretgen_in(d).args(["render", "tree"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("warning: tree/emptied.yaml"));
}
