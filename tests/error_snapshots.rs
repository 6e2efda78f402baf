//! Every error message a render can give, as an insta snapshot: one small input per rule,
//! `secretgen render` on it, exit 2, nothing on stdout, and the exact stderr (with the
//! temporary directory shown as `@DIR@`) pinned for review. Corpus rejects are snapshotted
//! beside the corpus cases (`tests/snapshots/corpus*`); this covers every rule, including
//! those no corpus case reaches.

use std::path::Path;

use libtest_mimic::{Arguments, Failed, Trial};

mod common;
use common::{describe, secretgen, text};

const CERT: &str = "testdata/corpus/tools/fixtures/tls.crt";
const KEY: &str = "testdata/corpus/tools/fixtures/tls.key";

/// One input tree: (relative path, content). A content starting with `->` is a symlink.
type Tree = Vec<(&'static str, Vec<u8>)>;

fn kust(body: &str) -> Tree {
    vec![("kustomization.yaml", body.as_bytes().to_vec())]
}

fn with(mut t: Tree, path: &'static str, content: impl Into<Vec<u8>>) -> Tree {
    t.push((path, content.into()));
    t
}

/// A kustomization with one generator `s` of the given extra YAML lines (indented 2).
fn one(lines: &str) -> Tree {
    kust(&format!("secretGenerator:\n- name: s\n{lines}"))
}

fn v1(body: &str) -> Tree {
    vec![(
        "gen.yaml",
        format!("apiVersion: secretgen.dev/v1\nkind: SecretGenerator\n{body}").into_bytes(),
    )]
}

fn fixture(p: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(p)).unwrap()
}

fn cases() -> Vec<(&'static str, Tree)> {
    let cert = fixture(CERT);
    let key = fixture(KEY);
    let other_key = fixture("testdata/corpus/tools/fixtures/other.key");
    let tls = |crt: Vec<u8>, k: Vec<u8>| {
        with(
            with(
                one("  type: kubernetes.io/tls\n  files:\n  - tls.crt\n  - tls.key\n"),
                "tls.crt",
                crt,
            ),
            "tls.key",
            k,
        )
    };
    let bootstrap = |name: &str, ns: &str, id: &str, secret: &str| {
        kust(&format!(
            "secretGenerator:\n- name: {name}\n  namespace: {ns}\n  type: bootstrap.kubernetes.io/token\n  literals:\n  - token-id={id}\n  - token-secret={secret}\n  options:\n    disableNameSuffixHash: true\n"
        ))
    };
    let long_key = "k".repeat(254);
    vec![
        // Keys, names, namespaces, labels, annotations, size.
        (
            "key-too-long",
            one(&format!("  literals:\n  - {long_key}=v\n")),
        ),
        ("key-charset", one("  literals:\n  - a b=v\n")),
        (
            "key-dot",
            with(one("  files:\n  - .=x.txt\n"), "x.txt", "x"),
        ),
        ("key-dotdot-prefix", one("  literals:\n  - ..x=v\n")),
        (
            "name-not-dns",
            kust("secretGenerator:\n- name: Bad_Name\n  literals:\n  - k=v\n"),
        ),
        (
            "name-too-long",
            kust(&format!(
                "secretGenerator:\n- name: {}\n  literals:\n  - k=v\n",
                "n".repeat(250)
            )),
        ),
        (
            "namespace-invalid",
            one("  namespace: Bad_NS\n  literals:\n  - k=v\n"),
        ),
        (
            "label-key-two-slashes",
            one("  literals:\n  - k=v\n  options:\n    labels:\n      a/b/c: v\n"),
        ),
        (
            "label-key-prefix",
            one("  literals:\n  - k=v\n  options:\n    labels:\n      Bad_Prefix/x: v\n"),
        ),
        (
            "label-key-name",
            one("  literals:\n  - k=v\n  options:\n    labels:\n      -x: v\n"),
        ),
        (
            "label-value",
            one("  literals:\n  - k=v\n  options:\n    labels:\n      app: a b\n"),
        ),
        (
            "annotation-key",
            one("  literals:\n  - k=v\n  options:\n    annotations:\n      a b: v\n"),
        ),
        (
            "annotations-too-large",
            one(&format!(
                "  literals:\n  - k=v\n  options:\n    annotations:\n      big: {}\n",
                "x".repeat(256 * 1024)
            )),
        ),
        (
            "data-too-large",
            with(
                with(one("  files:\n  - a\n  - b\n"), "a", vec![b'a'; 600 * 1024]),
                "b",
                vec![b'b'; 600 * 1024],
            ),
        ),
        (
            "file-too-large",
            with(
                one("  files:\n  - big\n"),
                "big",
                vec![b'x'; 1024 * 1024 + 1],
            ),
        ),
        // Built-in types.
        (
            "type-tls-needs-keys",
            one("  type: kubernetes.io/tls\n  literals:\n  - k=v\n"),
        ),
        (
            "type-tls-cert-not-pem",
            tls(b"garbage".to_vec(), key.clone()),
        ),
        (
            "type-tls-key-not-pem",
            tls(cert.clone(), b"garbage".to_vec()),
        ),
        ("type-tls-key-is-a-cert", tls(cert.clone(), cert.clone())),
        ("type-tls-mismatch", tls(cert.clone(), other_key)),
        (
            "type-basic-auth",
            one("  type: kubernetes.io/basic-auth\n  literals:\n  - user=u\n"),
        ),
        (
            "type-ssh-auth",
            one("  type: kubernetes.io/ssh-auth\n  literals:\n  - id=x\n"),
        ),
        (
            "type-dockerconfigjson-needs-key",
            one("  type: kubernetes.io/dockerconfigjson\n  literals:\n  - config=x\n"),
        ),
        (
            "type-dockerconfigjson-not-json",
            one("  type: kubernetes.io/dockerconfigjson\n  literals:\n  - .dockerconfigjson={x\n"),
        ),
        (
            "type-dockercfg-needs-key",
            one("  type: kubernetes.io/dockercfg\n  literals:\n  - config=x\n"),
        ),
        (
            "type-dockercfg-not-json",
            one("  type: kubernetes.io/dockercfg\n  literals:\n  - .dockercfg=[\n"),
        ),
        (
            "type-service-account-token",
            one("  type: kubernetes.io/service-account-token\n  literals:\n  - token=x\n"),
        ),
        (
            "type-bootstrap-token-id",
            bootstrap(
                "bootstrap-token-abcdef",
                "kube-system",
                "ABC",
                "0123456789abcdef",
            ),
        ),
        (
            "type-bootstrap-token-secret",
            bootstrap("bootstrap-token-abcdef", "kube-system", "abcdef", "short"),
        ),
        (
            "type-bootstrap-token-name",
            bootstrap(
                "bootstrap-token-zzzzzz",
                "kube-system",
                "abcdef",
                "0123456789abcdef",
            ),
        ),
        (
            "type-bootstrap-token-namespace",
            bootstrap(
                "bootstrap-token-abcdef",
                "default",
                "abcdef",
                "0123456789abcdef",
            ),
        ),
        (
            "type-kuma-needs-value",
            one("  type: system.kuma.io/secret\n  literals:\n  - other=x\n"),
        ),
        (
            "type-kuma-global-with-mesh",
            one(
                "  type: system.kuma.io/global-secret\n  literals:\n  - value=x\n  options:\n    labels:\n      kuma.io/mesh: default\n",
            ),
        ),
        // Sources.
        ("literal-no-equals", one("  literals:\n  - novalue\n")),
        ("literal-no-key", one("  literals:\n  - =v\n")),
        ("file-no-key", one("  files:\n  - =x.txt\n")),
        ("file-no-path", one("  files:\n  - k=\n")),
        ("file-many-equals", one("  files:\n  - a=b=c\n")),
        ("file-missing", one("  files:\n  - missing.txt\n")),
        ("file-url", one("  files:\n  - https://example.com/x\n")),
        (
            "file-escapes-root",
            vec![
                (
                    "app/kustomization.yaml",
                    b"secretGenerator:\n- name: s\n  files:\n  - ../outside.txt\n".to_vec(),
                ),
                ("outside.txt", b"x".to_vec()),
            ],
        ),
        (
            "file-symlink-outside",
            vec![
                (
                    "app/kustomization.yaml",
                    b"secretGenerator:\n- name: s\n  files:\n  - link.txt\n".to_vec(),
                ),
                ("app/link.txt", b"->../outside.txt".to_vec()),
                ("outside.txt", b"x".to_vec()),
            ],
        ),
        (
            "file-dangling-symlink",
            with(one("  files:\n  - link.txt\n"), "link.txt", "->nowhere.txt"),
        ),
        (
            "file-directory-in-kustomization",
            with(one("  files:\n  - sub\n"), "sub/a", "x"),
        ),
        (
            "file-key-for-directory",
            with(v1("metadata:\n  name: s\nfiles:\n- k=sub\n"), "sub/a", "x"),
        ),
        ("env-missing", one("  envs:\n  - missing.env\n")),
        (
            "env-directory",
            with(one("  envs:\n  - sub\n"), "sub/a", "x"),
        ),
        (
            "env-invalid-utf8",
            with(
                one("  envs:\n  - a.env\n"),
                "a.env",
                b"A=1\nB=\xff\n".to_vec(),
            ),
        ),
        (
            "env-line-too-long",
            with(one("  envs:\n  - a.env\n"), "a.env", {
                let mut v = b"A=".to_vec();
                v.extend(std::iter::repeat_n(b'x', 65534));
                v
            }),
        ),
        (
            "duplicate-key",
            with(
                one("  literals:\n  - A=1\n  envs:\n  - a.env\n"),
                "a.env",
                "A=2\n",
            ),
        ),
        (
            "env-file-listed-twice",
            with(one("  envs:\n  - a.env\n  - a.env\n"), "a.env", "A=2\n"),
        ),
        // Manifests and kustomizations.
        (
            "yaml-syntax",
            kust("secretGenerator:\n- name: s\n  literals: [k=v\n"),
        ),
        (
            "yaml-not-utf8",
            vec![(
                "kustomization.yaml",
                b"secretGenerator:\n- name: s\xff\n".to_vec(),
            )],
        ),
        (
            "kustomization-two-documents",
            kust("secretGenerator:\n- name: s\n---\nnamePrefix: x\n"),
        ),
        ("not-a-list", one("  literals: k=v\n")),
        ("not-a-mapping", kust("secretGenerator:\n- just-a-string\n")),
        ("not-a-string", one("  literals:\n  - 1\n")),
        (
            "not-a-bool",
            one("  options:\n    disableNameSuffixHash: maybe\n"),
        ),
        ("non-string-field-name", one("  1: x\n")),
        ("unknown-field", one("  literal:\n  - k=v\n")),
        ("no-name", kust("secretGenerator:\n- literals:\n  - k=v\n")),
        ("unknown-behavior", one("  behavior: upsert\n")),
        (
            "unknown-hash",
            v1("metadata:\n  name: s\nhash: md5\nliterals:\n- k=v\n"),
        ),
        (
            "duplicate-generator",
            kust("secretGenerator:\n- name: s\n- name: s\n  namespace: default\n"),
        ),
        (
            "generators-entry-not-string",
            kust("generators:\n- {a: b}\n"),
        ),
        (
            "generators-file-missing",
            kust("generators:\n- missing.yaml\n"),
        ),
        (
            "not-a-secretgenerator",
            vec![("gen.yaml", b"apiVersion: v1\nkind: ConfigMap\n".to_vec())],
        ),
        (
            "no-secretgenerator-document",
            vec![("gen.yaml", b"# nothing\n".to_vec())],
        ),
        (
            "kustomize-unreadable-character",
            one("  literals:\n  - \"k=a\\u007fb\"\n"),
        ),
        (
            "kustomize-nel-in-literal",
            one("  literals:\n  - \"k=a\\u0085b\"\n"),
        ),
        (
            "kustomization-raw-yaml11-line-break",
            one("  literals:\n  - \"k=a \u{2029} b\"\n"),
        ),
    ]
}

fn build(root: &Path, tree: &Tree) {
    for (path, content) in tree {
        let p = root.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        match content.strip_prefix(b"->") {
            Some(target) => {
                std::os::unix::fs::symlink(std::str::from_utf8(target).unwrap(), &p).unwrap()
            }
            None => std::fs::write(&p, content).unwrap(),
        }
    }
}

fn check(name: &'static str, tree: Tree) -> Result<(), Failed> {
    let dir = tempfile::tempdir()?;
    build(dir.path(), &tree);
    // The first file names what to render: its directory for a kustomization.
    let first = dir.path().join(tree[0].0);
    let target = if tree[0].0.ends_with("kustomization.yaml") {
        first.parent().unwrap().to_path_buf()
    } else {
        first
    };
    let out = secretgen().arg("render").arg(&target).output()?;
    if out.status.code() != Some(2) || !out.stdout.is_empty() {
        return Err(format!("expected exit 2 and no stdout\n{}", describe(&out)).into());
    }
    let mut shown = text(&out.stderr);
    for p in [dir.path().to_path_buf(), dir.path().canonicalize()?] {
        shown = shown.replace(&p.display().to_string(), "@DIR@");
    }
    if !shown.starts_with("error: @DIR@/") {
        return Err(format!("the message does not name the input file\n{shown}").into());
    }
    let mut settings = insta::Settings::clone_current();
    settings
        .set_snapshot_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/errors"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_description(format!("secretgen render: {name}"));
    settings.bind(|| insta::assert_snapshot!(name, shown));
    Ok(())
}

/// Kustomization fields that change the Secrets kustomize prints but that secretgen does not
/// apply: the render succeeds, and stderr says so for each, with its position.
fn warnings_for_fields_not_applied() -> Result<(), Failed> {
    let dir = tempfile::tempdir()?;
    std::fs::write(
        dir.path().join("kustomization.yaml"),
        // Patches, components, replacements, plugins, Helm and `behavior` make a tree build
        // (tests/overlays.rs); these are the fields even a tree build does not apply.
        "buildMetadata: [managedByLabel]\nsortOptions:\n  order: fifo\nconfigurations: []\nlabels:\n- pairs: {a: b}\n  fields:\n  - path: spec/x\nsecretGenerator:\n- name: s\n  literals:\n  - k=v\n",
    )?;
    let out = secretgen().arg("render").arg(dir.path()).output()?;
    if out.status.code() != Some(0) || !text(&out.stdout).contains("kind: Secret") {
        return Err(format!("expected a render\n{}", describe(&out)).into());
    }
    let mut shown = text(&out.stderr);
    for p in [dir.path().to_path_buf(), dir.path().canonicalize()?] {
        shown = shown.replace(&p.display().to_string(), "@DIR@");
    }
    let mut settings = insta::Settings::clone_current();
    settings
        .set_snapshot_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/errors"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_description("secretgen render: warnings for kustomization fields not applied");
    settings.bind(|| insta::assert_snapshot!("warnings-fields-not-applied", shown));
    Ok(())
}

fn main() {
    let args = Arguments::from_args();
    let mut trials: Vec<Trial> = cases()
        .into_iter()
        .map(|(name, tree)| Trial::test(format!("error::{name}"), move || check(name, tree)))
        .collect();
    trials.push(Trial::test(
        "warning::fields_not_applied",
        warnings_for_fields_not_applied,
    ));
    libtest_mimic::run(&args, trials).exit();
}
