//! The writer gate from outside: a Secret's name becomes a path only when it is a DNS-1123
//! name, nothing is written through a link inside the output directory, a file a
//! kustomization names is rewritten only under its directory, and every command that
//! writes files writes all of them or none.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common;
use common::{describe, secretgen_in, text};

/// Every entry under `root`: a file's mode and content, a link's target, a directory.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, String> {
    use std::os::unix::fs::MetadataExt;
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(root).sort_by_file_name() {
        let e = e.unwrap();
        let rel = e.path().strip_prefix(root).unwrap().to_path_buf();
        let meta = std::fs::symlink_metadata(e.path()).unwrap();
        let what = if meta.file_type().is_symlink() {
            format!("link {}", std::fs::read_link(e.path()).unwrap().display())
        } else if meta.is_dir() {
            format!("dir {:o}", meta.mode())
        } else {
            format!(
                "file {:o} {:?}",
                meta.mode(),
                std::fs::read(e.path()).unwrap()
            )
        };
        out.insert(rel, what);
    }
    out
}

fn write(path: &Path, content: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

fn sops_key() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/sops/keys/age1.txt")
}

fn recipient_of(key: &Path) -> String {
    let text = std::fs::read_to_string(key).unwrap();
    let i = text.find("public key: ").unwrap() + "public key: ".len();
    text[i..].lines().next().unwrap().trim().to_string()
}

/// `plain` encrypted by the real sops to the test key, written at `path`.
fn sops_encrypt(path: &Path, plain: &str) {
    let src = path.with_extension("plain.yaml");
    write(&src, plain);
    let out = common::tool("sops")
        .args(["--encrypt", "--age"])
        .arg(recipient_of(&sops_key()))
        .args(["--input-type", "yaml", "--output-type", "yaml"])
        .arg(&src)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    std::fs::remove_file(&src).unwrap();
    std::fs::write(path, &out.stdout).unwrap();
}

fn secret(name: &str, namespace: Option<&str>) -> String {
    let ns = namespace
        .map(|n| format!("  namespace: \"{n}\"\n"))
        .unwrap_or_default();
    format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: \"{name}\"\n{ns}data:\n  a: YQ==\n")
}

/// Runs secretgen in `dir` with the SOPS test key.
fn run(dir: &Path, args: &[&str]) -> Output {
    secretgen_in(dir)
        .env("SECRETGEN_AGE_IDENTITY_FILE", sops_key())
        .args(args)
        .output()
        .unwrap()
}

fn assert_refused(out: &Output, wants: &[&str]) {
    assert_eq!(out.status.code(), Some(2), "{}", describe(out));
    assert!(out.stdout.is_empty(), "{}", describe(out));
    let err = text(&out.stderr);
    for w in wants {
        assert!(err.contains(w), "wanted `{w}`: {}", describe(out));
    }
}

/// A case: its name, the files under the work directory, the input named.
type Case = (&'static str, Vec<(&'static str, String)>, &'static str);

/// Traversal names and namespaces from every producer of Secrets: `render -o` refuses
/// them, writes nothing outside the directory and nothing inside it.
#[test]
fn names_that_are_not_dns_names_never_become_paths() {
    let t = tempfile::tempdir().unwrap();
    let abs = t.path().join("abs-escaped");
    let abs = abs.to_str().unwrap();
    let cases: Vec<Case> = vec![
        (
            "resource namespace",
            vec![
                ("kustomization.yaml", "resources:\n- secret.yaml\n".into()),
                ("secret.yaml", secret("escaped", Some(".."))),
            ],
            ".",
        ),
        (
            "resource name",
            vec![
                ("kustomization.yaml", "resources:\n- secret.yaml\n".into()),
                ("secret.yaml", secret("../../escaped", Some("ns"))),
            ],
            ".",
        ),
        (
            "absolute name",
            vec![
                ("kustomization.yaml", "resources:\n- secret.yaml\n".into()),
                ("secret.yaml", secret(abs, None)),
            ],
            ".",
        ),
        (
            "tree namespace",
            vec![
                ("base/kustomization.yaml", "resources:\n- secret.yaml\n".into()),
                ("base/secret.yaml", secret("escaped", None)),
                (
                    "kustomization.yaml",
                    "namespace: \"..\"\nresources:\n- base\n".into(),
                ),
            ],
            ".",
        ),
        (
            "KSOPS config",
            vec![(
                "ksops.yaml",
                "apiVersion: viaduct.ai/v1\nkind: ksops\nmetadata:\n  name: g\nfiles:\n- ./secret.enc.yaml\n".into(),
            )],
            "ksops.yaml",
        ),
        (
            "SOPS resource",
            vec![("kustomization.yaml", "resources:\n- secret.enc.yaml\n".into())],
            ".",
        ),
    ];
    for (case, files, input) in cases {
        let root = t.path().join(case.replace(' ', "-"));
        let work = root.join("a/b/c");
        for (name, content) in &files {
            write(&work.join(name), content);
        }
        if files.iter().any(|(_, c)| c.contains("secret.enc.yaml")) {
            sops_encrypt(
                &work.join("secret.enc.yaml"),
                &secret("../../escaped", Some("ns")),
            );
        }
        let before = snapshot(t.path());
        let out = run(&work, &["render", "-o", "out", input]);
        assert_eq!(snapshot(t.path()), before, "{case}: {}", describe(&out));
        assert_refused(&out, &["cannot be written", "DNS-1123"]);
        // Printed on stdout, as kustomize prints it, nothing is written: not this gate's
        // concern.
    }
}

/// An envsubst placeholder, in a generator's Secret or a resource: printed as written with
/// a warning, refused as a path.
#[test]
fn placeholders_print_with_a_warning_and_are_refused_as_paths() {
    let cases = [
        (
            "generator",
            vec![(
                "kustomization.yaml",
                "secretGenerator:\n- name: db\n  namespace: ${NAMESPACE}\n  literals: [a=b]\n"
                    .to_string(),
            )],
        ),
        (
            "resource",
            vec![
                ("kustomization.yaml", "resources:\n- secret.yaml\n".into()),
                ("secret.yaml", secret("db", Some("${NAMESPACE}"))),
            ],
        ),
        (
            "tree",
            vec![
                (
                    "base/kustomization.yaml",
                    "resources:\n- secret.yaml\n".into(),
                ),
                ("base/secret.yaml", secret("db", Some("${NAMESPACE}"))),
                ("kustomization.yaml", "resources:\n- base\n".into()),
            ],
        ),
    ];
    for (case, files) in cases {
        let t = tempfile::tempdir().unwrap();
        for (name, content) in &files {
            write(&t.path().join(name), content);
        }
        let out = run(t.path(), &["render", "."]);
        assert!(out.status.success(), "{case}: {}", describe(&out));
        assert!(
            text(&out.stdout).contains("namespace: ${NAMESPACE}\n"),
            "{case}"
        );
        assert!(
            text(&out.stderr).contains("holds an envsubst placeholder: it must be substituted"),
            "{case}: {}",
            describe(&out)
        );
        let before = snapshot(t.path());
        let out = run(t.path(), &["render", "-o", "out", "."]);
        assert_eq!(snapshot(t.path()), before, "{case}");
        assert_refused(
            &out,
            &["its namespace holds an envsubst placeholder", "render -o"],
        );
    }
}

const APP: &str = "secretGenerator:\n- name: db\n  namespace: prod\n  literals: [a=b]\n  options:\n    disableNameSuffixHash: true\n";

/// A link inside the output directory is refused, named, by `-o`, `--check` and
/// `--prune`; what it points at is untouched. The directory itself may be a link.
#[test]
fn links_inside_the_output_directory_are_never_followed() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    write(&d.join("app/kustomization.yaml"), APP);
    // A marked, stale file where the link points: neither read, replaced nor pruned.
    let marker = "# Generated by secretgen. Do not edit: re-run `secretgen render -o`.\n";
    write(
        &d.join("elsewhere/old.yaml"),
        &format!("{marker}apiVersion: v1\nkind: Secret\nmetadata:\n  name: old\n"),
    );
    std::fs::create_dir(d.join("rendered")).unwrap();
    std::os::unix::fs::symlink(d.join("elsewhere"), d.join("rendered/prod")).unwrap();
    let before = snapshot(d);
    for extra in [&[][..], &["--check"], &["--prune"]] {
        let mut args = vec!["render", "-o", "rendered"];
        args.extend_from_slice(extra);
        args.push("app");
        let out = run(d, &args);
        assert_refused(&out, &["rendered/prod", "symbolic link"]);
        assert_eq!(snapshot(d), before, "{extra:?}");
    }
    // The directory named on the command line may be a link: the user's choice.
    std::fs::create_dir(d.join("real")).unwrap();
    std::os::unix::fs::symlink(d.join("real"), d.join("via")).unwrap();
    let out = run(d, &["render", "-o", "via", "app"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(d.join("real/prod/db.yaml").is_file());
}

/// A KSOPS config in `ksops` form whose Secret migrates to a generator.
const KSOPS_GEN: &str = "apiVersion: viaduct.ai/v1\nkind: ksops\nmetadata:\n  name: g\nsecretFrom:\n- metadata:\n    name: s\n  files:\n  - ./a.enc.yaml\n";

fn ksops_app(dir: &Path, generator: &str) {
    write(
        &dir.join("kustomization.yaml"),
        "generators:\n- ./gen.yaml\n",
    );
    write(&dir.join("gen.yaml"), generator);
    sops_encrypt(&dir.join("a.enc.yaml"), "k: v\n");
}

/// `migrate ksops --write` rewrites only files under the kustomization's directory, as
/// kustomize reads only those: one named outside, directly or through a link, is refused
/// and left as it was.
#[test]
fn migrate_writes_only_under_the_kustomization() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    ksops_app(&d.join("outside"), KSOPS_GEN);
    // The files a KSOPS config names resolve from the kustomization's directory.
    for app in ["app", "linked"] {
        std::fs::create_dir(d.join(app)).unwrap();
        std::fs::copy(d.join("outside/a.enc.yaml"), d.join(app).join("a.enc.yaml")).unwrap();
    }
    write(
        &d.join("app/kustomization.yaml"),
        "generators:\n- ../outside/gen.yaml\n",
    );
    write(
        &d.join("linked/kustomization.yaml"),
        "generators:\n- gen.yaml\n",
    );
    std::os::unix::fs::symlink(d.join("outside/gen.yaml"), d.join("linked/gen.yaml")).unwrap();
    let before = snapshot(d);
    for app in ["app", "linked"] {
        let out = run(d, &["migrate", "ksops", "--write", app]);
        assert_eq!(snapshot(d), before, "{app}: {}", describe(&out));
        assert_refused(
            &out,
            &[
                "kustomization.yaml",
                "outside the kustomization's directory",
            ],
        );
    }
}

/// `sh -c` with a file size limit of `kib` KiB for what it runs, the signal ignored so
/// that a write past it fails instead of killing the process.
fn limited(dir: &Path, kib: u32, args: &[&str]) -> Output {
    // `ulimit -f` counts 512-byte blocks in a POSIX shell.
    let script = format!("trap '' XFSZ; ulimit -f {}; exec \"$0\" \"$@\"", kib * 2);
    let mut sh = std::process::Command::new("sh");
    sh.arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_secretgen"))
        .args(args);
    common::isolate(&mut sh, dir);
    sh.env("SECRETGEN_AGE_IDENTITY_FILE", sops_key());
    sh.output().unwrap()
}

/// A write that fails part way through `migrate ksops --write` changes no file.
#[test]
fn migrate_write_is_all_or_nothing() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    ksops_app(&d.join("a"), KSOPS_GEN);
    // The second file's new text is larger than the limit, the first's is not.
    let big = format!(
        "{KSOPS_GEN}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  x: {}\n",
        "x".repeat(64 * 1024)
    );
    ksops_app(&d.join("b"), &big);
    let before = snapshot(d);
    let out = limited(d, 32, &["migrate", "ksops", "--write", "a", "b"]);
    assert_eq!(snapshot(d), before, "{}", describe(&out));
    assert_refused(&out, &["b/gen.yaml", "nothing was changed"]);
    // Without the limit both are rewritten.
    let out = run(d, &["migrate", "ksops", "--write", "a", "b"]);
    assert!(out.status.success(), "{}", describe(&out));
    for app in ["a", "b"] {
        let new = std::fs::read_to_string(d.join(app).join("gen.yaml")).unwrap();
        assert!(new.contains("kind: SecretGenerator"), "{new}");
    }
}

/// A post-quantum key file that cannot be written in full is not left behind, so a retry
/// succeeds; an existing key is never overwritten.
#[test]
fn keygen_writes_a_whole_key_or_none() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let out = limited(d, 1, &["age", "keygen", "--pq", "-o", "keys/key.txt"]);
    assert!(
        snapshot(d).keys().all(|p| !p.starts_with("keys/key.txt")),
        "{:?}",
        snapshot(d)
    );
    assert_refused(&out, &["keys/key.txt", "nothing was changed"]);
    let out = run(d, &["age", "keygen", "--pq", "-o", "keys/key.txt"]);
    assert!(out.status.success(), "{}", describe(&out));
    let key = std::fs::read_to_string(d.join("keys/key.txt")).unwrap();
    assert!(key.contains("AGE-SECRET-KEY-PQ-1"));
    let before = snapshot(d);
    let out = run(d, &["age", "keygen", "-o", "keys/key.txt"]);
    assert_refused(
        &out,
        &["keys/key.txt", "refusing to overwrite an existing identity"],
    );
    assert_eq!(snapshot(d), before);
}

/// `age rekey` of a directory: a file the identity cannot open leaves every file on its
/// old recipients; a file that cannot be replaced too.
#[test]
fn rekey_is_all_or_nothing() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let keygen = |name: &str| {
        let out = run(d, &["age", "keygen", "-o", name]);
        assert!(out.status.success(), "{}", describe(&out));
        recipient_of(&d.join(name))
    };
    let (mine, other, new) = (keygen("mine.txt"), keygen("other.txt"), keygen("new.txt"));
    write(&d.join("new.recipients"), &format!("{new}\n"));
    let encrypt = |to: &str, file: &str| {
        // The last file is large: a size limit between the two stops its write.
        let value = if file.ends_with("z.age") {
            format!("{}\n", "v".repeat(64 * 1024))
        } else {
            "value\n".to_string()
        };
        write(&d.join("plain"), &value);
        let out = run(d, &["age", "encrypt", "-r", to, "-o", file, "plain"]);
        assert!(out.status.success(), "{}", describe(&out));
        std::fs::remove_file(d.join("plain")).unwrap();
    };
    std::fs::create_dir(d.join("secrets")).unwrap();
    encrypt(&mine, "secrets/a.age");
    encrypt(&other, "secrets/b.age");
    encrypt(&mine, "secrets/c.age");
    encrypt(&mine, "secrets/z.age");
    let before = snapshot(d);
    // A write that fails part way (the large file past a file size limit).
    let out = limited(
        d,
        32,
        &[
            "age",
            "rekey",
            "-R",
            "new.recipients",
            "-i",
            "mine.txt",
            "-i",
            "other.txt",
            "secrets",
        ],
    );
    assert_eq!(snapshot(d), before, "{}", describe(&out));
    assert_refused(&out, &["z.age", "nothing was changed"]);
    // A file the identity cannot open.
    let out = run(
        d,
        &[
            "age",
            "rekey",
            "-R",
            "new.recipients",
            "-i",
            "mine.txt",
            "secrets",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert_refused(&out, &["b.age", "nothing was rekeyed"]);
    assert_eq!(snapshot(d), before);
    // With both identities every file moves to the new recipient.
    let out = run(
        d,
        &[
            "age",
            "rekey",
            "-R",
            "new.recipients",
            "-i",
            "mine.txt",
            "-i",
            "other.txt",
            "secrets",
        ],
    );
    assert!(out.status.success(), "{}", describe(&out));
    for f in ["a", "b", "c", "z"] {
        let out = run(
            d,
            &[
                "age",
                "decrypt",
                "-i",
                "new.txt",
                &format!("secrets/{f}.age"),
            ],
        );
        assert!(out.status.success(), "{}", describe(&out));
        assert!(text(&out.stdout).starts_with('v'), "{f}");
    }
}
