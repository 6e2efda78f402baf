//! The CI commands, black-box: `render -o` with `--check` and `--prune`, the redacted
//! `diff` (files, directories, trees, `--base` on a git repository), and `check`.

use std::path::Path;
use std::process::{Command, Output};

use crate::common;

const CANARY: &str = "CANARY-7f3a91-do-not-print";

fn bin(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_secretgen"))
        .args(args)
        .current_dir(dir)
        .env_remove("SECRETGEN_AGE_IDENTITY")
        .env_remove("SECRETGEN_AGE_IDENTITY_FILE")
        .env_remove("SOPS_AGE_KEY")
        .env_remove("SOPS_AGE_KEY_FILE")
        .env_remove("NO_COLOR")
        .env("HOME", "/nonexistent")
        .env("XDG_CONFIG_HOME", "/nonexistent")
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

/// No form of the canary in any output: plain, base64 (at each of the three alignments),
/// hex, or its unsalted SHA-256 (hex or base64).
fn assert_no_canary(out: &Output) {
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    for f in canary_forms() {
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
    assert_eq!(v["added"], serde_json::json!([]));
    assert_eq!(v["removed"], serde_json::json!([]));
    assert_eq!(v["changed"], serde_json::json!(["cluster-wide", "prod/db"]));
    assert_eq!(v["unchanged"], 0);
    let db = &v["secrets"][1];
    assert_eq!(db["id"], "prod/db");
    assert_eq!(db["status"], "changed");
    assert!(db["old_name"].as_str().unwrap().starts_with("db-"));
    assert_ne!(db["old_name"], db["new_name"]);
    assert_eq!(
        db["keys"],
        serde_json::json!([{"change": "changed", "key": "password.txt", "old_size": 26, "new_size": 27}])
    );
    assert_eq!(db["unchanged_keys"], 1);
    assert!(
        db["metadata_diff"]
            .as_str()
            .unwrap()
            .contains("-label team: payments\n+label team: billing\n")
    );
    assert_eq!(
        v["secrets"][0]["keys"],
        serde_json::json!([{"change": "added", "key": "extra", "size": 1}])
    );
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

/// Runs git in `dir` as a fixed author; asserts that it succeeded.
fn git_in(dir: &Path, args: &[&str]) {
    let o = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@t")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@t")
        .output()
        .unwrap();
    assert!(o.status.success(), "git {args:?}: {}", text(&o.stderr));
}

#[test]
fn diff_base_reads_git_without_touching_the_tree() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let git = |args: &[&str]| git_in(d, args);
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

/// What the base side of `diff --base` reports names the file as the repository does
/// (`REV:path`, from the top of the repository), never the temporary directory it is read
/// from; from a subdirectory too.
#[test]
fn diff_base_names_paths_in_the_repository() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let git = |args: &[&str]| git_in(d, args);
    git(&["init", "-q"]);
    tree(d, CANARY);
    write(
        d,
        "src/typo.yaml",
        "apiVersion: secretgen.dev/v1\nkind: SecretGenerater\nmetadata:\n  name: typo\n",
    );
    git(&["add", "."]);
    git(&["commit", "-qm", "one"]);
    std::fs::remove_file(d.join("src/typo.yaml")).unwrap();
    // The temporary directory is elsewhere than the repository: nothing of it may show.
    let no_temp = |out: &Output| {
        let err = text(&out.stderr).replace(&d.display().to_string(), "@REPO@");
        let tmp = std::env::temp_dir().canonicalize().unwrap();
        assert!(!err.contains(&tmp.display().to_string()), "{err}");
        assert!(!err.contains("/tree/"), "{err}");
        err
    };
    let warning = "warning: HEAD:src/typo.yaml:1:1: skipped: this looks like a SecretGenerator but is not one secretgen renders (apiVersion `secretgen.dev/v1`, kind `SecretGenerater`); did you mean `kind: SecretGenerator`?\n";
    for dir in [d.to_path_buf(), d.join("src")] {
        let path = if dir == d { "src" } else { "." };
        let out = bin(&dir, &["diff", "--base", "HEAD", path]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert_eq!(no_temp(&out), warning);
    }
    // An error in the revision's files: the same.
    write(
        d,
        "src/secretgen.yaml",
        "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: db\nfiles:\n- gone.txt\n",
    );
    git(&["commit", "-qam", "two"]);
    tree(d, CANARY);
    let out = bin(&d.join("src"), &["diff", "--base", "HEAD", "."]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let err = no_temp(&out);
    assert!(
        err.starts_with("error: HEAD:src/secretgen.yaml:6:3: "),
        "{err}"
    );
    assert!(out.stdout.is_empty());
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

/// Every file under `dir` with its bytes, mode and modification time.
fn snapshot_dir(dir: &Path) -> Vec<(String, Vec<u8>, u32, std::time::SystemTime)> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = Vec::new();
    for e in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let e = e.unwrap();
        let m = e.metadata().unwrap();
        let bytes = if m.is_file() {
            std::fs::read(e.path()).unwrap()
        } else {
            Vec::new()
        };
        out.push((
            e.path().strip_prefix(dir).unwrap().display().to_string(),
            bytes,
            m.permissions().mode(),
            m.modified().unwrap(),
        ));
    }
    out
}

#[test]
fn render_dir_is_deterministic_and_check_writes_nothing() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    tree(d, CANARY);
    // Two renders into two directories: the same files, byte for byte, no temporary left.
    for out in ["a", "b"] {
        let o = bin(d, &["render", "src", "-o", out]);
        assert!(o.status.success(), "{}", text(&o.stderr));
    }
    let strip = |v: Vec<(String, Vec<u8>, u32, std::time::SystemTime)>| {
        v.into_iter()
            .map(|(p, b, m, _)| (p, b, m))
            .collect::<Vec<_>>()
    };
    let a = strip(snapshot_dir(&d.join("a")));
    assert_eq!(a, strip(snapshot_dir(&d.join("b"))));
    assert!(
        a.iter().all(|(p, _, _)| !p.contains(".secretgen-")),
        "{a:?}"
    );
    // Each file: the marker line, then exactly what `render` prints for that Secret.
    let stream = text(&bin(d, &["render", "src"]).stdout);
    let files: Vec<&(String, Vec<u8>, u32)> =
        a.iter().filter(|(p, _, _)| p.ends_with(".yaml")).collect();
    assert_eq!(files.len(), 2);
    let mut bodies: Vec<String> = files
        .iter()
        .map(|(_, b, _)| {
            text(b)
                .strip_prefix(secretgen::review::output::MARKER)
                .expect("marker line")
                .to_string()
        })
        .collect();
    bodies.sort();
    let mut docs: Vec<String> = stream.split("---\n").map(str::to_string).collect();
    docs.sort();
    assert_eq!(bodies, docs);

    // A rerun with nothing changed rewrites nothing.
    let before = snapshot_dir(&d.join("a"));
    let o = bin(d, &["render", "src", "-o", "a"]);
    assert!(
        text(&o.stderr).contains("0 written, 2 unchanged"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(snapshot_dir(&d.join("a")), before);

    // --check with drift: exit 1, and not a byte, mode or mtime changes.
    write(d, "src/password.txt", "rotated");
    write(d, "a/prod/mine.yaml", "user: file\n");
    let before = snapshot_dir(&d.join("a"));
    let o = bin(d, &["render", "src", "-o", "a", "--check", "--prune"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(snapshot_dir(&d.join("a")), before);
    // --check of a directory that does not exist: exit 1, and it is not created.
    let o = bin(d, &["render", "src", "-o", "never", "--check"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stdout).contains("missing: never/prod/db-"),
        "{}",
        text(&o.stdout)
    );
    assert!(!d.join("never").exists());
}

#[test]
fn render_dir_never_overwrites_or_prunes_a_users_file() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    write(
        d,
        "src/secretgen.yaml",
        "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: fixed\n  namespace: ns\noptions:\n  disableNameSuffixHash: true\nliterals:\n- k=v\n---\napiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: other\n  namespace: gone\nliterals:\n- k=v\n",
    );
    // A user's own Secret where secretgen would write: refused, exit 2, nothing written.
    write(d, "out/ns/fixed.yaml", "apiVersion: v1\nkind: Secret\n");
    let o = bin(d, &["render", "src", "-o", "out"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("out/ns/fixed.yaml: exists and was not written by secretgen"),
        "{}",
        text(&o.stderr)
    );
    assert!(!d.join("out/gone").exists());
    assert_eq!(
        std::fs::read_to_string(d.join("out/ns/fixed.yaml")).unwrap(),
        "apiVersion: v1\nkind: Secret\n"
    );
    std::fs::remove_file(d.join("out/ns/fixed.yaml")).unwrap();
    assert!(bin(d, &["render", "src", "-o", "out"]).status.success());
    // The second generator is deleted; a user's files beside ours stay, ours go, and a
    // namespace directory left empty goes with them.
    write(d, "out/ns/notes.yaml", "kind: Secret # mine\n");
    write(d, "out/readme.txt", "mine\n");
    let yaml = std::fs::read_to_string(d.join("src/secretgen.yaml")).unwrap();
    write(d, "src/secretgen.yaml", yaml.split("---\n").next().unwrap());
    let o = bin(d, &["render", "src", "-o", "out", "--prune"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("1 pruned"), "{}", text(&o.stderr));
    assert!(!d.join("out/gone").exists());
    assert!(d.join("out/ns/notes.yaml").exists());
    assert!(d.join("out/readme.txt").exists());
    assert!(d.join("out/ns/fixed.yaml").exists());
}

/// Runs secretgen on a real pseudo-terminal (util-linux `script`): stdout and stderr are the
/// terminal unless `shell_tail` redirects them. Returns the exit code and what the terminal
/// showed, line ends normalised.
fn on_tty(dir: &Path, args: &[&str], shell_tail: &str, env: &[(&str, &str)]) -> (i32, String) {
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let mut line = quote(env!("CARGO_BIN_EXE_secretgen"));
    for a in args {
        line.push(' ');
        line.push_str(&quote(a));
    }
    line.push_str(shell_tail);
    let mut c = Command::new("script");
    c.args(["-qec", &line, "/dev/null"])
        .current_dir(dir)
        .env_remove("CI")
        .env_remove("NO_COLOR")
        // A terminal says what it is; without TERM (a CI runner's bare environment) nothing
        // draws on it.
        .env("TERM", "xterm")
        .env_remove("SECRETGEN_AGE_IDENTITY")
        .env_remove("SECRETGEN_AGE_IDENTITY_FILE")
        .env_remove("SOPS_AGE_KEY")
        .env_remove("SOPS_AGE_KEY_FILE")
        .env("HOME", "/nonexistent")
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .stdin(std::process::Stdio::null());
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c
        .output()
        .expect("util-linux `script` runs commands on a pty");
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout).replace("\r\n", "\n"),
    )
}

fn canary_forms() -> Vec<String> {
    common::canary_forms(CANARY)
}

#[test]
fn diff_colour_and_show_values_only_on_a_terminal_outside_ci() {
    let t = tempfile::tempdir().unwrap();
    let (old, new) = (t.path().join("old"), t.path().join("new"));
    tree(&old, "old-value");
    tree(&new, CANARY);
    let d = t.path();
    let diff = ["diff", "old/src", "new/src"];
    let with_values = ["diff", "old/src", "new/src", "--show-values"];
    let no_canary = |what: &str, shown: &str| {
        for f in canary_forms() {
            assert!(
                !shown.contains(&f),
                "{what}: the canary ({f}) shows:\n{shown}"
            );
        }
    };

    // On a terminal: coloured, and values only with --show-values.
    let (code, shown) = on_tty(d, &diff, "", &[]);
    assert_eq!(code, 1, "{shown}");
    assert!(
        shown.contains("\x1b[33m~\x1b[0m prod/db changed"),
        "{shown:?}"
    );
    assert!(
        shown.contains("\x1b[33m    ~ password.txt: changed (9 → 26 bytes)\x1b[0m"),
        "{shown:?}"
    );
    no_canary("terminal", &shown);
    let (code, shown) = on_tty(d, &with_values, "", &[]);
    assert_eq!(code, 1);
    assert!(
        shown.contains(&format!("      password.txt: old-value → {CANARY}")),
        "{shown}"
    );
    assert!(!shown.contains("ignored"), "{shown}");

    // NO_COLOR: no escape at all.
    let (_, shown) = on_tty(d, &diff, "", &[("NO_COLOR", "1")]);
    assert!(!shown.contains('\x1b'), "{shown:?}");
    assert!(shown.contains("~ prod/db changed"), "{shown}");

    // Refusals: CI set, stdout a pipe, JSON. Each says why on stderr; no value shows.
    let (code, shown) = on_tty(d, &with_values, "", &[("CI", "true")]);
    assert_eq!(code, 1);
    no_canary("CI", &shown);
    assert!(
        shown.contains("warning: --show-values ignored: CI is set"),
        "{shown}"
    );
    let (code, shown) = on_tty(d, &with_values, " | cat", &[]);
    assert_eq!(code, 0, "the pipe's status");
    no_canary("pipe", &shown);
    assert!(!shown.contains('\x1b'), "{shown:?}");
    assert!(
        shown.contains("warning: --show-values ignored: stdout is not a terminal"),
        "{shown}"
    );
    let mut json = with_values.to_vec();
    json.extend(["--format", "json"]);
    let (_, shown) = on_tty(d, &json, "", &[]);
    no_canary("json", &shown);
    assert!(!shown.contains('\x1b'), "{shown:?}");

    // Off a terminal altogether (the test harness's pipes).
    let out = bin(d, &with_values);
    assert_no_canary(&out);
    assert!(!text(&out.stdout).contains('\x1b'));
}

#[test]
fn progress_bar_only_on_a_terminal_outside_ci() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let mut yaml = String::new();
    for i in 0..40 {
        yaml.push_str(&format!("---\napiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: s{i}\nliterals:\n- k=v\n"));
    }
    write(d, "g.yaml", &yaml);
    // A run counts as long from the first generator on.
    let now = [("SECRETGEN_PROGRESS_DELAY_MS", "0")];
    let (code, shown) = on_tty(d, &["render", "g.yaml", "-o", "a"], "", &now);
    assert_eq!(code, 0, "{shown}");
    assert!(
        shown.contains("generators"),
        "no progress bar on a terminal:\n{shown:?}"
    );
    let (_, shown) = on_tty(
        d,
        &["render", "g.yaml", "-o", "b"],
        "",
        &[now[0], ("CI", "1")],
    );
    assert!(!shown.contains("generators"), "a bar under CI:\n{shown:?}");
    let (_, shown) = on_tty(d, &["render", "g.yaml", "-o", "c"], " 2>&1 | cat", &now);
    assert!(
        !shown.contains("generators"),
        "a bar into a pipe:\n{shown:?}"
    );
    assert!(shown.contains("40 written"), "{shown}");
    // A short run on a terminal (the default delay): no bar.
    let (_, shown) = on_tty(d, &["render", "g.yaml", "-o", "e"], "", &[]);
    assert!(
        !shown.contains("generators"),
        "a bar for a short run:\n{shown:?}"
    );
    // Printing the stream: the bar never mixes into stdout.
    let (_, shown) = on_tty(d, &["render", "g.yaml"], " 2>/dev/null", &now);
    assert!(
        !shown.contains("generators") && shown.contains("name: s39-"),
        "{shown:?}"
    );
}

#[test]
fn diff_reports_every_kind_of_change() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let generator = |name: &str, extra: &str, literals: &[&str]| {
        let mut s = format!(
            "---\napiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: {name}\n  namespace: prod\n{extra}literals:\n"
        );
        for l in literals {
            s.push_str(&format!("- {l}\n"));
        }
        s
    };
    let old = [
        generator("keys", "", &["same=1", "changed=22", "removed=333"]),
        generator("gone", "", &["k=v"]),
        generator("moved", "", &["k=v"]),
        generator("meta", "", &["k=v"]),
    ]
    .concat();
    let new = [
        generator(
            "keys",
            "",
            &["same=1", &format!("changed={CANARY}"), "added=4444"],
        ),
        generator("moved", "hash: kustomize-legacy\n", &["k=v"]),
        generator(
            "meta",
            "type: example.com/custom\noptions:\n  immutable: true\n  annotations:\n    note: hi\n",
            &["k=v"],
        ),
        generator("new", "", &["k=v"]),
    ]
    .concat();
    write(d, "old/secretgen.yaml", &old);
    write(d, "new/secretgen.yaml", &new);
    let out = bin(d, &["diff", "old", "new"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_no_canary(&out);
    insta::assert_snapshot!("diff_every_change", regex_free_suffixes(&text(&out.stdout)));
    let json = bin(d, &["diff", "old", "new", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["added"], serde_json::json!(["prod/new"]));
    assert_eq!(v["removed"], serde_json::json!(["prod/gone"]));
    assert_eq!(v["changed"], serde_json::json!(["prod/keys", "prod/meta"]));
    assert_eq!(v["renamed"], serde_json::json!(["prod/moved"]));
    assert_no_canary(&json);
    // The same tree on both sides: exit 0, and a line that says so.
    let out = bin(d, &["diff", "new", "new"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), "no differences (4 Secrets)\n");
}

/// Without keys, `--placeholder` lets diff and check compare structure: keys that hold a
/// placeholder are listed as not compared (never as unchanged), everything else is diffed.
#[test]
fn placeholder_diff_and_check_without_keys() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let out = bin(d, &["age", "keygen", "-o", "key.txt"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let recipient = text(&out.stderr)
        .split_whitespace()
        .find(|w| w.starts_with("age1"))
        .unwrap()
        .to_string();
    let encrypt = |plain: &str, to: &str| {
        write(d, "plain.tmp", plain);
        let o = bin(
            d,
            &["age", "encrypt", "-r", &recipient, "-o", to, "plain.tmp"],
        );
        assert!(o.status.success(), "{}", text(&o.stderr));
        std::fs::remove_file(d.join("plain.tmp")).unwrap();
    };
    let generator = "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: db\n  namespace: prod\nfiles:\n- password.txt.age\nenvs:\n- app.env.age\nliterals:\n- user=admin\n";
    for (side, password, extra) in [("old", CANARY, ""), ("new", "rotated", "- extra=x\n")] {
        write(
            d,
            &format!("{side}/secretgen.yaml"),
            &format!("{generator}{extra}"),
        );
        encrypt(password, &format!("{side}/password.txt.age"));
        encrypt(
            &format!("DB_PASS={CANARY}\n"),
            &format!("{side}/app.env.age"),
        );
    }

    // No identity, no flag: an error, nothing on stdout.
    let out = bin(d, &["diff", "old", "new"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    // --placeholder: the literal added shows, the encrypted keys are not compared.
    let out = bin(d, &["diff", "--placeholder", "old", "new"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_no_canary(&out);
    let report = text(&out.stdout);
    assert!(report.contains("    + extra: added (1 byte)"), "{report}");
    assert!(report.contains("    = 1 unchanged"), "{report}");
    assert!(
        report.contains("? prod/db not compared (encrypted, no identity; --placeholder): `password.txt`, the keys of an encrypted env file"),
        "{report}"
    );
    assert!(!report.contains("password.txt: changed"), "{report}");
    assert!(
        text(&out.stderr).contains("warning: "),
        "{}",
        text(&out.stderr)
    );
    let json = bin(
        d,
        &["diff", "--placeholder", "--format", "json", "old", "new"],
    );
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(
        v["uncompared"],
        serde_json::json!([{"id": "prod/db", "keys": ["password.txt"], "env_file_keys": true}])
    );
    // With the identity every key is compared.
    let out = bin(d, &["diff", "-i", "key.txt", "old", "new"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_no_canary(&out);
    let report = text(&out.stdout);
    assert!(
        report.contains("~ password.txt: changed (26 → 7 bytes)"),
        "{report}"
    );
    assert!(report.contains("= 2 unchanged"), "{report}");
    assert!(!report.contains("not compared"), "{report}");
    // A placeholder render -o directory read back: its placeholders are known as such.
    let out = bin(d, &["render", "--placeholder", "old", "-o", "old-out"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = bin(d, &["diff", "--placeholder", "old-out", "new"]);
    assert!(
        text(&out.stdout).contains(
            "? prod/db not compared (encrypted, no identity; --placeholder): `password.txt`"
        ),
        "{}",
        text(&out.stdout)
    );

    // check: envFrom of a Secret whose env keys are encrypted says they were not checked.
    write(
        d,
        "new/deploy.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: prod\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        envFrom:\n        - secretRef:\n            name: db\n",
    );
    let out = bin(d, &["check", "new"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    // Without keys that is a note and exit 0 (a keyless CI gate passes); --strict makes it
    // a finding.
    let line = "new/deploy.yaml:13:19: Deployment/web: container `app` envFrom secretRef: the key names of Secret `db` could not be checked (encrypted env file, no identity)";
    let out = bin(d, &["check", "--placeholder", "new"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_no_canary(&out);
    assert_eq!(text(&out.stdout), "");
    assert!(
        text(&out.stderr).contains(&format!("note: {line}\n")),
        "{}",
        text(&out.stderr)
    );
    let out = bin(d, &["check", "--placeholder", "--strict", "new"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_no_canary(&out);
    assert_eq!(text(&out.stdout), format!("{line}\n"));
}

/// The README's "In CI" commands, run in order on a repository with a remote, and its
/// example diff, which must be exactly what `diff --base` prints there.
#[test]
fn readme_in_ci_commands_run_as_documented() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let section = &readme[readme.find("## In CI\n").unwrap()..];
    let section = &section[..section[3..].find("\n## ").unwrap()];
    let block = |fence: &str| -> String {
        let start = section.find(fence).unwrap() + fence.len();
        section[start..][..section[start..].find("```").unwrap()].to_string()
    };
    let commands: Vec<Vec<String>> = block("```sh\n")
        .lines()
        .map(|l| {
            let l = l.split(" #").next().unwrap();
            let words: Vec<String> = l.split_whitespace().map(str::to_string).collect();
            assert_eq!(words[0], "secretgen", "{l}");
            words[1..].to_vec()
        })
        .collect();
    // The example output: the text block that shows a command (not the tree diagram).
    let start = section.find("```text\n  $ secretgen").unwrap() + "```text\n".len();
    let example: String = section[start..][..section[start..].find("```").unwrap()]
        .trim_end()
        .lines()
        .map(|l| format!("{}\n", l.strip_prefix("  ").unwrap_or(l)))
        .collect();
    let (example_cmd, example_out) = example.split_once('\n').unwrap();

    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    let git = git_in;
    git(root, &["init", "-q", "--bare", "origin.git"]);
    git(root, &["clone", "-q", "origin.git", "work"]);
    let d = &root.join("work");
    write(
        d,
        "deploy/secretgen.yaml",
        "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: db\n  namespace: prod\n  labels:\n    team: payments\nfiles:\n- password.txt\nliterals:\n- user=admin\n",
    );
    write(d, "deploy/password.txt", "old-password");
    write(
        d,
        "deploy/deploy.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: prod\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: busybox\n        env:\n        - name: DB_PASSWORD\n          valueFrom:\n            secretKeyRef: {name: db, key: password.txt}\n",
    );
    git(d, &["add", "."]);
    git(d, &["commit", "-qm", "one"]);
    git(d, &["push", "-q", "origin", "HEAD:main"]);
    git(d, &["fetch", "-q", "origin"]);
    let old = bin(d, &["render", "deploy/"]);
    std::fs::write(d.join("old.yaml"), &old.stdout).unwrap();
    // The change under review.
    write(d, "deploy/password.txt", "a-much-longer-password-now");
    let manifest = std::fs::read_to_string(d.join("deploy/secretgen.yaml")).unwrap();
    write(
        d,
        "deploy/secretgen.yaml",
        &manifest.replace("payments", "billing"),
    );

    // Every command succeeds; the diffs find the change, and the plaintext gate the
    // example's plaintext inputs.
    let expected_exit = |args: &[String]| -> i32 {
        i32::from(args[0] == "diff" || args.iter().any(|a| a == "--require-encrypted"))
    };
    for args in &commands {
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = bin(d, &argv);
        assert_eq!(
            out.status.code(),
            Some(expected_exit(args)),
            "secretgen {args:?}\n{}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
    }
    // The name `kubectl kustomize` gives the changed Secret.
    assert!(d.join("rendered/prod/db-g5f9t4k5gg.yaml").exists());
    let argv: Vec<&str> = example_cmd
        .strip_prefix("$ secretgen ")
        .unwrap()
        .split_whitespace()
        .collect();
    let out = bin(d, &argv);
    assert_eq!(text(&out.stdout), example_out);
}

/// A path that the message itself names (not only its place) is shown as the repository
/// names it too, when the file is the revision's: `REV:path`, never the temporary directory.
#[test]
fn diff_base_names_paths_inside_the_message_in_the_repository() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let git = |args: &[&str]| git_in(d, args);
    git(&["init", "-q"]);
    write(d, "src/kustomization.yaml", "resources:\n- other\n");
    write(d, "src/other/readme.txt", "not a kustomization\n");
    git(&["add", "."]);
    git(&["commit", "-qm", "one"]);
    let out = bin(&d.join("src"), &["diff", "--base", "HEAD", "."]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.starts_with("error: HEAD:src/kustomization.yaml:2:3: `HEAD:src/other` holds no kustomization.yaml, kustomization.yml or Kustomization\n"),
        "{err}"
    );
    let tmp = std::env::temp_dir().canonicalize().unwrap();
    assert!(!err.contains(&tmp.display().to_string()), "{err}");
    assert!(out.stdout.is_empty());
}

/// The places a tree build's refusal holds besides its own (where each of two Secrets with
/// one id comes from) are the revision's files too, shown as `REV:path`.
#[test]
fn diff_base_names_every_origin_of_a_refusal_in_the_repository() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let git = |args: &[&str]| git_in(d, args);
    git(&["init", "-q"]);
    let secret = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n";
    write(
        d,
        "src/kustomization.yaml",
        "resources:\n- a.yaml\n- b.yaml\n",
    );
    write(d, "src/a.yaml", secret);
    write(d, "src/b.yaml", secret);
    git(&["add", "."]);
    git(&["commit", "-qm", "one"]);
    let out = bin(&d.join("src"), &["diff", "--base", "HEAD", "."]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.starts_with("error: HEAD:src/kustomization.yaml:3:3: Secret `s` in namespace `default` is made twice (by HEAD:src/a.yaml:1:1 and HEAD:src/b.yaml:1:1)"),
        "{err}"
    );
    let tmp = std::env::temp_dir().canonicalize().unwrap();
    assert!(!err.contains(&tmp.display().to_string()), "{err}");
}
