//! Nothing silent, settings everywhere: what used to end with exit 0 and no word (a cycle
//! of kustomizations, an empty kustomization, a directory with nothing to render, a tree
//! without Secrets) is an error or a note; the settings of a run reach every mode (the bare
//! KRM function honours SECRETGEN_LOAD_RESTRICTOR, `check` reads the identities once); and a
//! failing KRM function's reason reaches the user under kustomize, which drops `results`.

use std::path::Path;
use std::process::Command;

use crate::common;
use common::{describe, secretgen_in, text, with_stdin};

fn write(dir: &Path, name: &str, content: &str) {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, content).unwrap();
}

const GEN: &str =
    "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: s\nliterals:\n- a=b\n";

/// `a` includes `b`, which includes `a`: named together, neither is the top of a build, and
/// the render used to print "no Secrets" with exit 0. Each kustomization of the cycle is
/// named, through `resources`, `components` and `bases` alike.
#[test]
fn a_cycle_of_kustomizations_is_an_error_naming_each() {
    for (field_a, field_b, kind_b) in [
        ("resources", "resources", ""),
        ("bases", "resources", ""),
        (
            "components",
            "components",
            "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n",
        ),
    ] {
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        write(d, "a/kustomization.yaml", &format!("{field_a}:\n- ../b\n"));
        write(
            d,
            "b/kustomization.yaml",
            &format!("{kind_b}{field_b}:\n- ../c\n"),
        );
        write(
            d,
            "c/kustomization.yaml",
            &format!(
                "{kind_b}{field_b}:\n- ../a\nsecretGenerator:\n- name: s\n  literals: [a=b]\n"
            ),
        );
        for args in [&["render", "."][..], &["render", "-o", "out", "."]] {
            let out = secretgen_in(d).args(args).output().unwrap();
            assert_eq!(out.status.code(), Some(2), "{field_a}: {}", describe(&out));
            assert!(out.stdout.is_empty());
            let err = text(&out.stderr);
            assert!(err.starts_with("error: ") && err.contains("cycle"), "{err}");
            for k in ["a", "b", "c"] {
                assert!(err.contains(&format!("{k}/kustomization.yaml")), "{err}");
            }
            assert!(!d.join("out").exists());
        }
    }
}

/// kustomize refuses a kustomization that sets nothing ("kustomization.yaml is empty"),
/// `secretGenerator:` with no entry among them; an empty list is something.
#[test]
fn an_empty_kustomization_is_refused_as_kustomize_refuses_it() {
    for (content, refused) in [
        ("secretGenerator:\n", true),
        (
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n",
            true,
        ),
        ("namespace: \"\"\nresources:\n", true),
        ("secretGenerator: []\n", false),
    ] {
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        write(d, "app/kustomization.yaml", content);
        let out = secretgen_in(d).args(["render", "app"]).output().unwrap();
        if refused {
            assert_eq!(out.status.code(), Some(2), "{content}: {}", describe(&out));
            let err = text(&out.stderr);
            assert!(
                err.contains("app/kustomization.yaml") && err.contains("empty"),
                "{err}"
            );
        } else {
            assert_eq!(out.status.code(), Some(0), "{content}: {}", describe(&out));
        }
    }
}

/// `render DIR` of a directory with no kustomization and no generator manifest renders
/// nothing: exit 2 saying so, not exit 0 with nothing printed (nor an empty `-o` directory).
#[test]
fn a_directory_with_nothing_to_render_is_an_error() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    write(
        d,
        "other/deploy.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
    );
    std::fs::create_dir(d.join("void")).unwrap();
    write(d, "ok/gen.yaml", GEN);
    for dir in ["other", "void"] {
        for args in [
            vec!["render", dir],
            vec!["render", "-o", "out", dir],
            vec!["render", "ok", dir],
        ] {
            let out = secretgen_in(d).args(&args).output().unwrap();
            assert_eq!(out.status.code(), Some(2), "{args:?}: {}", describe(&out));
            assert!(out.stdout.is_empty());
            assert!(
                text(&out.stderr).contains(&format!("nothing to render under {dir}")),
                "{}",
                describe(&out)
            );
            assert!(!d.join("out").exists());
        }
    }
    // A file of nothing but separators and document ends is no generator either.
    write(d, "seps/g.yaml", "---\n...\n");
    let out = secretgen_in(d).args(["render", "seps"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(
        text(&out.stderr).contains("seps/g.yaml"),
        "{}",
        describe(&out)
    );
}

/// Kustomizations read, no Secret made: said on stderr whether the Secrets go to stdout or
/// to `-o`, and for flat kustomizations as for trees.
#[test]
fn kustomizations_without_secrets_say_so_in_every_output_mode() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    write(d, "flat/kustomization.yaml", "resources:\n- cm.yaml\n");
    write(
        d,
        "flat/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
    );
    write(d, "tree/kustomization.yaml", "resources:\n- ../flat\n");
    for dir in ["flat", "tree"] {
        for args in [vec!["render", dir], vec!["render", "-o", "out", dir]] {
            let out = secretgen_in(d).args(&args).output().unwrap();
            assert_eq!(out.status.code(), Some(0), "{args:?}: {}", describe(&out));
            assert!(out.stdout.is_empty());
            assert!(
                text(&out.stderr).contains("no Secrets: "),
                "{args:?}: {}",
                describe(&out)
            );
        }
    }
}

/// The documented `exec: {path: secretgen}`, a bare `secretgen` reading a ResourceList,
/// honours SECRETGEN_LOAD_RESTRICTOR as `secretgen fn` and the exec plugin do (its own error
/// tells the user to set it).
#[test]
fn the_bare_krm_function_honours_the_load_restrictor_variable() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    write(d, "outside.txt", "v");
    std::fs::create_dir(d.join("pkg")).unwrap();
    let list = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nfunctionConfig:\n  apiVersion: secretgen.dev/v1\n  kind: SecretGenerator\n  metadata:\n    name: s\n  files:\n  - ../outside.txt\n";
    for args in [&[][..], &["fn"][..]] {
        let run = |value: Option<&str>| {
            let mut c = secretgen_in(&d.join("pkg"));
            c.args(args).env_remove("SECRETGEN_LOAD_RESTRICTOR");
            if let Some(v) = value {
                c.env("SECRETGEN_LOAD_RESTRICTOR", v);
            }
            with_stdin(c, list.as_bytes())
        };
        let out = run(None);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", describe(&out));
        assert!(
            text(&out.stdout).contains("outside the root"),
            "{}",
            describe(&out)
        );
        let out = run(Some("LoadRestrictionsNone"));
        assert!(out.status.success(), "{args:?}: {}", describe(&out));
        assert!(
            text(&out.stdout).contains("kind: Secret"),
            "{}",
            describe(&out)
        );
        let out = run(Some("bogus"));
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", describe(&out));
        assert!(text(&out.stderr).contains("SECRETGEN_LOAD_RESTRICTOR"));
    }
}

/// `check` renders the flat units and checks each tree, `diff` renders two sides: one
/// session, so the identities are read once (SOPS_AGE_KEY_CMD runs once, its warning printed
/// once), however many builds meet an encrypted input.
#[test]
fn check_reads_the_identities_once() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let out = secretgen_in(d)
        .args(["age", "keygen", "-o", "key.txt"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    let key = std::fs::read_to_string(d.join("key.txt")).unwrap();
    let recipient = key
        .lines()
        .find_map(|l| l.strip_prefix("# public key: "))
        .unwrap()
        .to_string();
    write(d, "pass.txt", "s3cret");
    let out = secretgen_in(d)
        .args([
            "age",
            "encrypt",
            "-r",
            &recipient,
            "-o",
            "base/pass.txt.age",
            "pass.txt",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    std::fs::remove_file(d.join("pass.txt")).unwrap();
    write(
        d,
        "base/kustomization.yaml",
        "secretGenerator:\n- name: db\n  files:\n  - pass.txt.age\n",
    );
    write(
        d,
        "overlay/kustomization.yaml",
        "resources:\n- ../base\n- deploy.yaml\nnamePrefix: prod-\n",
    );
    write(
        d,
        "overlay/deploy.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: x\n        envFrom:\n        - secretRef:\n            name: db\n",
    );
    // The command counts its runs, prints a line no identity parses (a warning) and the key.
    let cmd = format!(
        "sh -c 'echo run >> {count}; echo not-a-key; cat {key}'",
        count = d.join("count").display(),
        key = d.join("key.txt").display()
    );
    // `diff` renders two sides in one session too.
    for args in [&["check", "overlay"][..], &["diff", "overlay", "base"]] {
        let _ = std::fs::remove_file(d.join("count"));
        let out = secretgen_in(d)
            .args(args)
            .env("SOPS_AGE_KEY_CMD", &cmd)
            .output()
            .unwrap();
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{args:?}: {}",
            describe(&out)
        );
        let runs = std::fs::read_to_string(d.join("count")).unwrap();
        assert_eq!(runs.lines().count(), 1, "{args:?}: {}", describe(&out));
        let err = text(&out.stderr);
        let warnings: Vec<&str> = err.lines().filter(|l| l.starts_with("warning:")).collect();
        let mut unique = warnings.clone();
        unique.dedup();
        assert_eq!(warnings, unique, "{args:?}: a warning printed twice: {err}");
    }
}

/// Under `kustomize build --enable-alpha-plugins --enable-exec` (the ArgoCD sidecar's
/// command), a failing KRM generator's reason reaches kustomize's stderr, not only the
/// `results` kustomize drops ("couldn't execute function: exit status 2" alone).
#[test]
fn a_failing_krm_function_says_why_under_kustomize() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    write(d, "kustomization.yaml", "generators:\n- gen.yaml\n");
    write(
        d,
        "gen.yaml",
        &format!(
            "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: s\n  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: {}\nfiles:\n- missing-input.txt\n",
            env!("CARGO_BIN_EXE_secretgen")
        ),
    );
    let mut c: Command = common::tool("kustomize");
    c.args(["build", "--enable-alpha-plugins", "--enable-exec", "."])
        .current_dir(d)
        .env("HOME", d.join("no-home"))
        .env("XDG_CONFIG_HOME", d.join("no-xdg"));
    let out = c.output().expect("kustomize (from `bash tests/setup.sh`)");
    assert!(!out.status.success(), "{}", describe(&out));
    let err = text(&out.stderr);
    assert!(err.contains("missing-input.txt"), "{err}");
}
