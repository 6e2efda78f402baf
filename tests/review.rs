//! The CI commands, black-box: `render -o` with `--check` and `--prune`, the redacted
//! `diff` (files, directories, trees, `--base` on a git repository), and `check`.

use std::path::Path;
use std::process::{Command, Output};

const CANARY: &str = "CANARY-7f3a91-do-not-print";

fn bin(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_secretgen"))
        .args(args)
        .current_dir(dir)
        .env_remove("SECRETGEN_AGE_IDENTITY")
        .env_remove("SECRETGEN_AGE_IDENTITY_FILE")
        .env_remove("NO_COLOR")
        .env("HOME", "/nonexistent")
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn write(dir: &Path, name: &str, content: &str) {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, content).unwrap();
}

/// No form of the canary in any output: plain, base64 (at each of the three alignments) or hex.
fn assert_no_canary(out: &Output) {
    use base64::Engine;
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    let mut forms = vec![
        CANARY.to_string(),
        CANARY.bytes().map(|b| format!("{b:02x}")).collect(),
    ];
    for skip in 0..3 {
        let enc = base64::engine::general_purpose::STANDARD.encode(&CANARY.as_bytes()[skip..]);
        forms.push(enc[4..enc.len() - 4].to_string());
    }
    for f in forms {
        assert!(!all.contains(&f), "output holds the canary ({f}):\n{all}");
    }
}

fn tree(dir: &Path, password: &str) {
    write(
        dir,
        "src/secretgen.yaml",
        "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: db\n  namespace: prod\n  labels:\n    team: payments\nfiles:\n- password.txt\nliterals:\n- user=admin\n---\napiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: cluster-wide\nliterals:\n- k=v\n",
    );
    write(dir, "src/password.txt", password);
}

#[test]
fn render_to_dir_check_and_prune() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    tree(d, CANARY);
    let out = bin(d, &["render", "src", "-o", "out"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    let mut files: Vec<String> = walkdir::WalkDir::new(d.join("out"))
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().strip_prefix(d).unwrap().display().to_string())
        .collect();
    files.sort();
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(
        files[0].starts_with("out/_cluster/cluster-wide-"),
        "{files:?}"
    );
    assert!(files[1].starts_with("out/prod/db-"), "{files:?}");
    use std::os::unix::fs::PermissionsExt;
    for f in &files {
        let mode = std::fs::metadata(d.join(f)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{f}");
    }
    assert_eq!(
        std::fs::metadata(d.join("out/prod"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o700
    );
    // The file holds the rendered Secret after the marker line.
    let body = std::fs::read_to_string(d.join(&files[1])).unwrap();
    let rendered = bin(d, &["render", "src/secretgen.yaml"]);
    assert!(
        body.ends_with(
            &text(&rendered.stdout)
                .split("---\n")
                .nth(1)
                .unwrap()
                .to_string()
        ) || body.contains("name: db-")
    );

    // Unchanged: --check exits 0 and touches nothing.
    let out = bin(d, &["render", "src", "-o", "out", "--check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    // One input changes: --check exits 1, names the Secret and the key, shows no value.
    write(d, "src/password.txt", &format!("{CANARY}-rotated"));
    let out = bin(d, &["render", "src", "-o", "out", "--check"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let report = text(&out.stdout);
    assert!(report.contains("prod/db changed"), "{report}");
    assert!(
        report.contains("~ password.txt: changed (26 → 34 bytes)"),
        "{report}"
    );
    assert_no_canary(&out);
    let before: Vec<_> = walkdir::WalkDir::new(d.join("out"))
        .into_iter()
        .map(|e| e.unwrap().path().to_path_buf())
        .collect();
    assert!(
        before
            .iter()
            .any(|p| p.to_string_lossy().contains(&files[1].replace("out/", ""))),
        "--check must not write"
    );

    // Re-render: the old db file stays until --prune, which removes only our own files.
    write(d, "out/prod/mine.yaml", "# a user's own file\n");
    let out = bin(d, &["render", "src", "-o", "out"]);
    assert!(out.status.success());
    assert!(
        d.join(&files[1]).exists(),
        "without --prune the stale file stays"
    );
    let out = bin(d, &["render", "src", "-o", "out", "--prune"]);
    assert!(out.status.success());
    assert!(
        text(&out.stderr).contains("1 pruned"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        !d.join(&files[1]).exists(),
        "the stale Secret was not pruned"
    );
    assert!(
        d.join("out/prod/mine.yaml").exists(),
        "a user's file was pruned"
    );
    let out = bin(d, &["render", "src", "-o", "out", "--check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

#[test]
fn diff_pairs_across_a_hash_change_and_redacts() {
    let t = tempfile::tempdir().unwrap();
    let (old, new) = (t.path().join("old"), t.path().join("new"));
    tree(&old, CANARY);
    tree(&new, &format!("{CANARY}!"));
    write(
        &new,
        "src/secretgen.yaml",
        &std::fs::read_to_string(old.join("src/secretgen.yaml"))
            .unwrap()
            .replace("team: payments", "team: billing")
            .replace("- k=v", "- k=v\n- extra=x"),
    );
    let out = bin(t.path(), &["diff", "old/src", "new/src"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_no_canary(&out);
    let report = text(&out.stdout);
    let report = regex_free_suffixes(&report);
    insta::assert_snapshot!("diff_text", report);
    let json = bin(
        t.path(),
        &["diff", "old/src", "new/src", "--format", "json"],
    );
    assert_eq!(json.status.code(), Some(1));
    assert_no_canary(&json);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["secrets"].as_array().unwrap().len(), 2);
    // Rendered files and a render -o directory compare the same way.
    bin(t.path(), &["render", "old/src", "-o", "old-out"]);
    let rendered = bin(t.path(), &["render", "new/src"]);
    std::fs::write(t.path().join("new.yaml"), &rendered.stdout).unwrap();
    let out = bin(t.path(), &["diff", "old-out", "new.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(regex_free_suffixes(&text(&out.stdout)), report);
    // Same on both sides: exit 0.
    let out = bin(t.path(), &["diff", "old/src", "old-out"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    // --show-values is ignored off a terminal.
    let out = bin(t.path(), &["diff", "old/src", "new/src", "--show-values"]);
    assert_no_canary(&out);
}

/// Hash suffixes depend on content only; replace them so the snapshot reads as a claim about
/// structure (the suffix change itself is asserted by the `→`).
fn regex_free_suffixes(s: &str) -> String {
    s.split(' ')
        .map(|w| {
            let core = w.trim_end_matches('\n');
            if core.len() == 10 && core.chars().all(|c| "ghk2456789mbcdtf".contains(c)) {
                w.replacen(core, "<suffix>", 1)
            } else {
                w.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn diff_base_reads_git_without_touching_the_tree() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let git = |args: &[&str]| {
        let o = Command::new("git")
            .args(args)
            .current_dir(d)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@t")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@t")
            .output()
            .unwrap();
        assert!(o.status.success(), "git {args:?}: {}", text(&o.stderr));
    };
    git(&["init", "-q"]);
    tree(d, CANARY);
    git(&["add", "."]);
    git(&["commit", "-qm", "one"]);
    write(d, "src/password.txt", "changed");
    git(&["commit", "-qam", "two"]);
    write(d, "src/password.txt", "working-tree");
    let status_before = git_out(d, &["status", "--porcelain"]);
    let out = bin(d, &["diff", "--base", "HEAD~1", "src"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let report = text(&out.stdout);
    // One change, the suffix moving, not a removal and an addition.
    let line = report
        .lines()
        .find(|l| l.starts_with("~ prod/db changed: "))
        .unwrap_or_else(|| panic!("{report}"));
    let (a, b) = line["~ prod/db changed: ".len()..]
        .split_once(" → ")
        .unwrap();
    assert!(a.len() == 10 && b.len() == 10 && a != b, "{line}");
    assert!(
        report.contains("0 added, 0 removed, 1 changed, 0 renamed, 1 unchanged"),
        "{report}"
    );
    assert!(
        report.contains("~ password.txt: changed (26 → 12 bytes)"),
        "{report}"
    );
    assert!(report.contains("= 1 unchanged"), "{report}");
    assert_no_canary(&out);
    // The working tree, the index and HEAD are as they were.
    assert_eq!(
        std::fs::read_to_string(d.join("src/password.txt")).unwrap(),
        "working-tree"
    );
    assert_eq!(git_out(d, &["status", "--porcelain"]), status_before);
    // The older spelling, and the same paths from a subdirectory.
    let old_form = bin(d, &["diff", "--base", "HEAD~1", "--path", "src"]);
    assert_eq!(text(&old_form.stdout), report);
    let from_sub = bin(&d.join("src"), &["diff", "--base", "HEAD~1", "."]);
    assert_eq!(text(&from_sub.stdout), report, "{}", text(&from_sub.stderr));
    // HEAD against the working tree with the change undone: the same on both sides.
    write(d, "src/password.txt", "changed");
    let out = bin(d, &["diff", "--base", "HEAD", "src"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    // A tree deleted in the working tree reads as its Secrets removed.
    std::fs::remove_dir_all(d.join("src")).unwrap();
    let out = bin(d, &["diff", "--base", "HEAD", "src"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("- prod/db removed"),
        "{}",
        text(&out.stdout)
    );
    // Errors: exit 2, nothing on stdout; a ref is never taken for an option.
    for args in [
        &["diff", "--base", "no-such-ref", "."][..],
        &["diff", "--base=--output=x.tar", "."],
        &["diff", "--base", "HEAD", "nowhere"],
        &["diff", "only-one-side"],
    ] {
        let out = bin(d, args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(!d.join("x.tar").exists());
    }
}

fn git_out(dir: &Path, args: &[&str]) -> String {
    let o = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "git {args:?}: {}", text(&o.stderr));
    text(&o.stdout)
}

#[test]
fn check_reports_each_kind_of_broken_reference() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    write(
        d,
        "secretgen.yaml",
        "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: db\nliterals:\n- user=admin\n- 1bad=x\n---\napiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: regcred\ntype: kubernetes.io/dockerconfigjson\nliterals:\n- .dockerconfigjson={}\n",
    );
    write(
        d,
        "deploy.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      imagePullSecrets:\n      - name: db\n      - name: regcred\n      containers:\n      - name: app\n        env:\n        - name: A\n          valueFrom:\n            secretKeyRef: {name: db, key: pass}\n        - name: B\n          valueFrom:\n            secretKeyRef: {name: db, key: user}\n        - name: C\n          valueFrom:\n            secretKeyRef: {name: gone, key: k, optional: true}\n        envFrom:\n        - secretRef: {name: db}\n        - secretRef: {name: other, optional: true}\n      volumes:\n      - name: v\n        secret:\n          secretName: missing\n      - name: w\n        projected:\n          sources:\n          - secret:\n              name: db\n              items:\n              - key: nope\n                path: x\n---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\nspec:\n  tls:\n  - secretName: db\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa\nimagePullSecrets:\n- name: regcred\n",
    );
    let out = bin(d, &["check", "."]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    insta::assert_snapshot!("check_report", text(&out.stdout));
    // Nothing broken: exit 0.
    write(
        d,
        "deploy.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        env:\n        - name: B\n          valueFrom:\n            secretKeyRef: {name: db, key: user}\n",
    );
    let out = bin(d, &["check", "."]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

#[test]
fn hash_explain_shows_sizes_not_values() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    tree(d, CANARY);
    let out = bin(d, &["hash", "--explain", "src"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_no_canary(&out);
    insta::assert_snapshot!(
        "hash_explain",
        text(&out.stdout).replace(&d.display().to_string(), "@TMP@")
    );
    let legacy = bin(
        d,
        &["hash", "--explain", "--hash", "kustomize-legacy", "src"],
    );
    assert!(
        text(&legacy.stdout).contains("\"name\":\"db\""),
        "{}",
        text(&legacy.stdout)
    );
}
