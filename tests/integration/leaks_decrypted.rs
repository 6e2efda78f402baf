//! Text that exists only inside an encrypted file never reaches a message, a warning or a
//! report. Canaries are planted as keys, Secret names and values inside every decrypted
//! format (age; SOPS YAML, JSON, dotenv, INI and binary; KSOPS `files` and `secretFrom`;
//! SOPS resources), each fixture is driven through every mode that reads it (render,
//! render -o, the exec plugin as `SecretGenerator CONFIG` and as `ksops CONFIG`, the KRM
//! function as `secretgen fn` and as `ksops`, migrate ksops, check, diff), and no form of
//! a canary (plain, hex, base64 at three alignments, SHA-256) may appear in any stderr, in
//! stdout where it is not the rendered Secrets, or in a report. Refused fixtures reproduce
//! the known leaks: the KSOPS validator, the YAML reader's duplicate key, the Secret
//! reader's base64 error, the `migrate ksops` report, an id conflict after a JSON 6902
//! patch copied a value into a name, and a refusal naming a Secret a replacement renamed with
//! a decrypted value.
//!
//! Encrypted inputs are made at test time: age with `secretgen age encrypt`, SOPS with the
//! pinned `sops` (`tests/setup.sh`), both to the key in `testdata/ksops/key.txt`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common;
use common::{canary_forms, describe, secretgen_in, text, with_stdin};

/// Planted as a key (a valid Secret key and env name, so that a run can succeed).
const KEY: &str = "CANARY_5b1d_key";
/// Planted as a value.
const VALUE: &str = "canary-value-0c8e";
/// Planted as a Secret's name (a valid DNS subdomain).
const NAME: &str = "canary-name-3e9f";

fn key_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/ksops/key.txt")
}

fn recipient() -> String {
    std::fs::read_to_string(key_file())
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("# public key: ").map(str::to_string))
        .expect("testdata/ksops/key.txt names its recipient")
}

/// How a fixture's file is stored.
#[derive(Clone, Copy)]
enum Store {
    Plain,
    /// `secretgen age encrypt`.
    Age,
    /// `sops --encrypt` with this input and output type.
    Sops(&'static str),
}

fn write(dir: &Path, name: &str, store: Store, plain: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    match store {
        Store::Plain => std::fs::write(&path, plain).unwrap(),
        Store::Age => {
            let tmp = dir.join(".plain.tmp");
            std::fs::write(&tmp, plain).unwrap();
            let out = secretgen_in(dir)
                .args(["age", "encrypt", "-r", &recipient(), "-o"])
                .arg(&path)
                .arg(&tmp)
                .output()
                .unwrap();
            assert!(out.status.success(), "age encrypt: {}", describe(&out));
            std::fs::remove_file(&tmp).unwrap();
        }
        Store::Sops(kind) => {
            let mut sops = common::tool("sops");
            sops.args(["--encrypt", "--age", &recipient()]).args([
                "--input-type",
                kind,
                "--output-type",
                kind,
                "/dev/stdin",
            ]);
            let out = with_stdin(sops, plain.as_bytes());
            assert!(
                out.status.success(),
                "sops --encrypt ({kind}); is sops installed (tests/setup.sh)? {}",
                describe(&out)
            );
            std::fs::write(&path, &out.stdout).unwrap();
        }
    }
}

/// A way to run secretgen on a fixture.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    /// `secretgen render .`
    Render,
    /// `secretgen render . -o out`: nothing but the rendered Secrets under `out`.
    RenderOut,
    /// The exec plugin as kustomize runs it: `SecretGenerator gen.yaml` or `ksops gen.yaml`.
    Exec,
    /// The KRM function: `secretgen fn` with the generator as functionConfig, or `ksops`
    /// with the KSOPS config as the item.
    Krm,
    /// `secretgen migrate ksops .`
    Migrate,
    /// `secretgen check .`
    Check,
    /// `secretgen diff . <a copy with other values>`
    Diff,
}

use Mode::*;

/// What the fixture's generator is.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// A `kind: SecretGenerator` in `gen.yaml`.
    SecretGenerator,
    /// A `kind: ksops` config in `gen.yaml`.
    Ksops,
    /// A kustomization only.
    Tree,
}

fn kustomization(kind: Kind) -> &'static str {
    match kind {
        Kind::SecretGenerator | Kind::Ksops => "generators:\n- ./gen.yaml\n",
        Kind::Tree => "",
    }
}

fn generator(body: &str) -> String {
    format!("apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: db\n{body}")
}

fn ksops(body: &str) -> String {
    format!("apiVersion: viaduct.ai/v1\nkind: ksops\nmetadata:\n  name: g\n{body}")
}

/// A Secret manifest with the value also as a label (what `diff` compares as metadata).
fn secret_manifest(name: &str, key: &str, value: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  labels:\n    app: {value}\nstringData:\n  {key}: {value}\n"
    )
}

fn run(dir: &Path, kind: Kind, mode: Mode) -> Output {
    let with_keys = |c: &mut Command| {
        c.env("SOPS_AGE_KEY_FILE", key_file())
            .env("SECRETGEN_AGE_IDENTITY_FILE", key_file())
            .env("PATH", common::path_with_tools());
    };
    let plugin = |name: &str| {
        let bin = dir.join(".bin");
        std::fs::create_dir_all(&bin).unwrap();
        let link = bin.join(name);
        if !link.exists() {
            std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_secretgen"), &link).unwrap();
        }
        let mut c = Command::new(link);
        common::isolate(&mut c, dir);
        c
    };
    let gen_text = || std::fs::read_to_string(dir.join("gen.yaml")).unwrap_or_default();
    let indented = |s: &str| s.lines().map(|l| format!("  {l}\n")).collect::<String>();
    let mut c = match (mode, kind) {
        (Exec, Kind::SecretGenerator) => plugin("SecretGenerator"),
        (Exec | Krm, Kind::Ksops) => plugin("ksops"),
        _ => secretgen_in(dir),
    };
    with_keys(&mut c);
    match (mode, kind) {
        (Render, _) => c.args(["render", "."]).output().unwrap(),
        (RenderOut, _) => c.args(["render", ".", "-o", ".out"]).output().unwrap(),
        (Exec, _) => c.arg("gen.yaml").output().unwrap(),
        (Krm, Kind::Ksops) => {
            let list = format!(
                "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- {}",
                indented(&gen_text()).trim_start()
            );
            with_stdin(c, list.as_bytes())
        }
        (Krm, _) => {
            let list = format!(
                "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nfunctionConfig:\n{}",
                indented(&gen_text())
            );
            c.arg("fn");
            with_stdin(c, list.as_bytes())
        }
        (Migrate, _) => c.args(["migrate", "ksops", "."]).output().unwrap(),
        (Check, _) => c.args(["check", "."]).output().unwrap(),
        (Diff, _) => c.args(["diff", "../other", "."]).output().unwrap(),
    }
}

/// Every form of every canary.
fn forms(canaries: &[&str]) -> Vec<String> {
    canaries.iter().flat_map(|c| canary_forms(c)).collect()
}

fn assert_clean(what: &str, s: &str, canaries: &[&str]) {
    for f in forms(canaries) {
        assert!(!s.contains(&f), "{what} holds a canary as `{f}`:\n{s}");
    }
}

/// Files under `dir`, for the check that a run wrote nothing but the rendered Secrets
/// under `.out` (and the plugin links under `.bin`).
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// One fixture: its files, the modes that read it, and whether it is refused.
struct Fixture {
    /// The test that runs it.
    group: &'static str,
    name: &'static str,
    kind: Kind,
    files: Vec<(&'static str, Store, String)>,
    modes: &'static [Mode],
    refused: bool,
    /// Text every refusal must hold (the rule broken), so the run fails where it should.
    rule: &'static str,
}

impl Fixture {
    fn lay_out(&self, dir: &Path, values: &str) {
        let k = kustomization(self.kind);
        if !k.is_empty() {
            std::fs::write(dir.join("kustomization.yaml"), k).unwrap();
        }
        for (name, store, plain) in &self.files {
            write(dir, name, *store, &plain.replace(VALUE, values));
        }
    }

    fn check(&self) {
        let t = tempfile::tempdir().unwrap();
        let d = &t.path().join("case");
        std::fs::create_dir(d).unwrap();
        self.lay_out(d, VALUE);
        if self.modes.contains(&Diff) {
            let other = t.path().join("other");
            std::fs::create_dir(&other).unwrap();
            self.lay_out(&other, "other-value-71d2");
        }
        let before = files(d);
        for &mode in self.modes {
            let what = format!("{} ({mode:?})", self.name);
            let out = run(d, self.kind, mode);
            let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
            assert!(
                !stderr.contains("internal error") && !stderr.contains("panicked"),
                "{what}: {}",
                describe(&out)
            );
            // A diff names the keys and Secrets it compares (as the rendered YAML does):
            // only values are checked in its report.
            let canaries: &[&str] = if mode == Diff && !self.refused {
                &[VALUE]
            } else {
                &[KEY, VALUE, NAME]
            };
            assert_clean(&format!("{what} stderr"), &stderr, canaries);
            let stdout_is_secrets = !self.refused && matches!(mode, Render | Exec | Krm);
            if !stdout_is_secrets {
                assert_clean(&format!("{what} stdout"), &stdout, canaries);
            }
            if self.refused && matches!(mode, Render | RenderOut | Exec | Krm | Check) {
                assert_eq!(out.status.code(), Some(2), "{what}: {}", describe(&out));
                if mode != Krm {
                    assert!(stdout.is_empty(), "{what}: {}", describe(&out));
                }
                // KRM results fold long messages over lines.
                let said = format!("{stdout} {stderr}")
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ");
                assert!(
                    said.contains(self.rule),
                    "{what}: expected `{}`: {}",
                    self.rule,
                    describe(&out)
                );
            } else if matches!(mode, Render | RenderOut | Exec | Krm | Migrate) {
                assert_eq!(out.status.code(), Some(0), "{what}: {}", describe(&out));
            }
            // Nothing written beside the inputs but the rendered Secrets under `.out`.
            let now: Vec<PathBuf> = files(d)
                .into_iter()
                .filter(|p| !p.starts_with(d.join(".out")) && !p.starts_with(d.join(".bin")))
                .collect();
            assert_eq!(now, before, "{what} wrote a file");
            let _ = std::fs::remove_dir_all(d.join(".out"));
        }
    }
}

const GENERATOR_MODES: &[Mode] = &[Render, RenderOut, Exec, Krm, Check, Diff];
const KSOPS_MODES: &[Mode] = &[Render, RenderOut, Exec, Krm, Migrate, Check, Diff];
const TREE_MODES: &[Mode] = &[Render, RenderOut, Check, Diff];

/// A workload that refers to a key the Secret `db` lacks and takes all its keys as
/// environment variables: `check` reports both, naming keys.
const WORKLOAD: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        env:\n        - name: X\n          valueFrom:\n            secretKeyRef: {name: db, key: missing}\n        envFrom:\n        - secretRef: {name: db}\n";

fn env_text() -> String {
    format!("{KEY}={VALUE}\n")
}

/// A key that breaks the Secret key rule (a space in it), holding the key canary.
fn bad_env_text() -> String {
    format!("{KEY} X={VALUE}\n")
}

fn fixtures() -> Vec<Fixture> {
    let ok = |group, name, kind, files, modes| Fixture {
        group,
        name,
        kind,
        files,
        modes,
        refused: false,
        rule: "",
    };
    let refused = |group, name, kind, files, modes, rule| Fixture {
        group,
        name,
        kind,
        files,
        modes,
        refused: true,
        rule,
    };
    let gen_files = |body: &str, name: &'static str, store: Store, plain: String| {
        vec![
            ("gen.yaml", Store::Plain, generator(body)),
            (name, store, plain),
        ]
    };
    vec![
        // age
        ok(
            "age",
            "age env file",
            Kind::SecretGenerator,
            gen_files("envs:\n- app.env.age\n", "app.env.age", Store::Age, env_text()),
            GENERATOR_MODES,
        ),
        ok(
            "age",
            "age env file and a workload (the check report)",
            Kind::SecretGenerator,
            {
                let mut f = gen_files(
                    "envs:\n- app.env.age\n",
                    "app.env.age",
                    Store::Age,
                    format!("{}9{KEY}=1\n", env_text()),
                );
                f.push(("deploy.yaml", Store::Plain, WORKLOAD.into()));
                f
            },
            &[Render, Check],
        ),
        ok(
            "age",
            "age file",
            Kind::SecretGenerator,
            gen_files("files:\n- app.age\n", "app.age", Store::Age, env_text()),
            GENERATOR_MODES,
        ),
        refused(
            "age",
            "age env file, invalid key",
            Kind::SecretGenerator,
            gen_files("envs:\n- app.env.age\n", "app.env.age", Store::Age, bad_env_text()),
            &[Render, RenderOut, Exec, Krm, Check, Diff],
            "not a valid Secret key",
        ),
        // SOPS, every store, as a generator's `files` and `envs`
        ok(
            "sops",
            "sops yaml file",
            Kind::SecretGenerator,
            gen_files(
                "files:\n- app.yaml\n",
                "app.yaml",
                Store::Sops("yaml"),
                format!("password: {VALUE}\n"),
            ),
            GENERATOR_MODES,
        ),
        ok(
            "sops",
            "sops json file",
            Kind::SecretGenerator,
            gen_files(
                "files:\n- app.json\n",
                "app.json",
                Store::Sops("json"),
                format!("{{\"password\": \"{VALUE}\"}}\n"),
            ),
            GENERATOR_MODES,
        ),
        ok(
            "sops",
            "sops dotenv envs",
            Kind::SecretGenerator,
            gen_files(
                "envs:\n- app.env\n",
                "app.env",
                Store::Sops("dotenv"),
                format!("password={VALUE}\n"),
            ),
            GENERATOR_MODES,
        ),
        ok(
            "sops",
            "sops ini file",
            Kind::SecretGenerator,
            gen_files(
                "files:\n- app.ini\n",
                "app.ini",
                Store::Sops("ini"),
                format!("[db]\npassword = {VALUE}\n"),
            ),
            GENERATOR_MODES,
        ),
        ok(
            "sops",
            "sops binary envs",
            Kind::SecretGenerator,
            gen_files("envs:\n- app.env.enc\n", "app.env.enc", Store::Sops("binary"), env_text()),
            GENERATOR_MODES,
        ),
        refused(
            "sops",
            "sops binary envs, invalid key",
            Kind::SecretGenerator,
            gen_files(
                "envs:\n- app.env.enc\n",
                "app.env.enc",
                Store::Sops("binary"),
                bad_env_text(),
            ),
            &[Render, RenderOut, Exec, Krm, Check, Diff],
            "not a valid Secret key",
        ),
        // KSOPS `secretFrom`
        ok(
            "ksops_secret_from",
            "ksops secretFrom envs",
            Kind::Ksops,
            vec![
                (
                    "gen.yaml",
                    Store::Plain,
                    ksops("secretFrom:\n- metadata: {name: s}\n  envs: [./app.env.enc]\n"),
                ),
                ("app.env.enc", Store::Sops("binary"), env_text()),
            ],
            KSOPS_MODES,
        ),
        refused(
            "ksops_secret_from",
            "ksops secretFrom envs, invalid key (the KSOPS validator)",
            Kind::Ksops,
            vec![
                (
                    "gen.yaml",
                    Store::Plain,
                    ksops("secretFrom:\n- metadata: {name: s}\n  envs: [./app.env.enc]\n"),
                ),
                ("app.env.enc", Store::Sops("binary"), bad_env_text()),
            ],
            &[Render, RenderOut, Exec, Krm, Check, Migrate, Diff],
            "not a valid Secret key",
        ),
        ok(
            "ksops_migrate",
            "ksops secretFrom, a key in two env files (the migrate report)",
            Kind::Ksops,
            vec![
                (
                    "gen.yaml",
                    Store::Plain,
                    ksops("secretFrom:\n- metadata: {name: s}\n  envs: [./a.env.enc, ./b.env.enc]\n"),
                ),
                ("a.env.enc", Store::Sops("binary"), env_text()),
                ("b.env.enc", Store::Sops("binary"), env_text()),
            ],
            KSOPS_MODES,
        ),
        // KSOPS `files`: decrypted manifests
        ok(
            "ksops_files",
            "ksops files manifest",
            Kind::Ksops,
            vec![
                ("gen.yaml", Store::Plain, ksops("files:\n- ./m.enc\n")),
                ("m.enc", Store::Sops("binary"), secret_manifest(NAME, KEY, VALUE)),
            ],
            &[Render, RenderOut, Exec, Krm, Check, Diff],
        ),
        refused(
            "ksops_files",
            "ksops files manifest, a key twice (the YAML reader)",
            Kind::Ksops,
            vec![
                ("gen.yaml", Store::Plain, ksops("files:\n- ./m.enc\n")),
                (
                    "m.enc",
                    Store::Sops("binary"),
                    format!("{}  {KEY}: again\n", secret_manifest(NAME, KEY, VALUE)),
                ),
            ],
            &[Render, RenderOut, Check, Diff],
            "appears twice",
        ),
        refused(
            "ksops_files",
            "ksops files manifest, data not base64 (the Secret reader)",
            Kind::Ksops,
            vec![
                ("gen.yaml", Store::Plain, ksops("files:\n- ./m.enc\n")),
                (
                    "m.enc",
                    Store::Sops("binary"),
                    format!(
                        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {NAME}\ndata:\n  {KEY}: {VALUE}!\n"
                    ),
                ),
            ],
            &[Render, RenderOut, Check, Diff],
            "is not valid base64",
        ),
        // SOPS resources
        ok(
            "sops_resources",
            "sops resource",
            Kind::Tree,
            vec![
                ("kustomization.yaml", Store::Plain, "resources:\n- m.enc\n".into()),
                ("m.enc", Store::Sops("binary"), secret_manifest(NAME, KEY, VALUE)),
            ],
            TREE_MODES,
        ),
        refused(
            "sops_resources",
            "sops resource, data not base64 (the Secret reader)",
            Kind::Tree,
            vec![
                ("kustomization.yaml", Store::Plain, "resources:\n- m.enc\n".into()),
                (
                    "m.enc",
                    Store::Sops("binary"),
                    format!(
                        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {NAME}\ndata:\n  {KEY}: {VALUE}!\n"
                    ),
                ),
            ],
            &[Render, RenderOut, Check, Diff],
            "is not valid base64",
        ),
        // A value a JSON 6902 patch copies into a name, then an id conflict.
        refused(
            "patch",
            "patch copies a decrypted value into a name (the id conflict)",
            Kind::Tree,
            vec![
                (
                    "kustomization.yaml",
                    Store::Plain,
                    "resources:\n- base\n- other.yaml\n".into(),
                ),
                (
                    "base/kustomization.yaml",
                    Store::Plain,
                    "generators:\n- gen.yaml\npatches:\n- target: {kind: Secret}\n  patch: |\n    - op: copy\n      from: /data/password\n      path: /metadata/name\n".into(),
                ),
                (
                    "base/gen.yaml",
                    Store::Plain,
                    generator("files:\n- password=password.age\noptions:\n  disableNameSuffixHash: true\n"),
                ),
                ("base/password.age", Store::Age, VALUE.into()),
                (
                    "other.yaml",
                    Store::Plain,
                    format!(
                        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {}\n",
                        base64_of(VALUE)
                    ),
                ),
            ],
            &[Render, RenderOut, Check, Diff],
            "is made twice",
        ),
        // A value a replacement copies from a decrypted Secret into a name, then a refusal
        // that names that Secret.
        refused(
            "patch",
            "replacement copies a decrypted value into a name (the base64 refusal)",
            Kind::Tree,
            vec![
                (
                    "kustomization.yaml",
                    Store::Plain,
                    "resources:\n- m.enc\n- target.yaml\nreplacements:\n- source: {kind: Secret, name: src, fieldPath: stringData.token}\n  targets:\n  - select: {kind: Secret, name: target}\n    fieldPaths: [metadata.name]\n".into(),
                ),
                (
                    "m.enc",
                    Store::Sops("yaml"),
                    format!(
                        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: src\nstringData:\n  token: {NAME}\n"
                    ),
                ),
                (
                    "target.yaml",
                    Store::Plain,
                    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: target\ndata:\n  k: not-base64!\n".into(),
                ),
            ],
            &[Render, RenderOut, Check, Diff],
            "is not valid base64",
        ),
    ]
}

fn base64_of(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// The tests, one per group of fixtures (run in parallel).
const GROUPS: &[&str] = &[
    "age",
    "sops",
    "ksops_secret_from",
    "ksops_migrate",
    "ksops_files",
    "sops_resources",
    "patch",
];

fn check_group(group: &str) {
    let chosen: Vec<Fixture> = fixtures()
        .into_iter()
        .filter(|f| f.group == group)
        .collect();
    assert!(!chosen.is_empty(), "no fixture in `{group}`");
    for f in chosen {
        f.check();
    }
}

#[test]
fn age() {
    check_group("age");
}

#[test]
fn sops_stores() {
    check_group("sops");
}

#[test]
fn ksops_secret_from() {
    check_group("ksops_secret_from");
}

#[test]
fn ksops_migrate_report() {
    check_group("ksops_migrate");
}

#[test]
fn ksops_files() {
    check_group("ksops_files");
}

#[test]
fn sops_resources() {
    check_group("sops_resources");
}

#[test]
fn patch_copy_into_a_name() {
    check_group("patch");
}

/// Every fixture belongs to a group one of the tests above runs.
#[test]
fn every_fixture_is_run() {
    for f in fixtures() {
        assert!(GROUPS.contains(&f.group), "fixture `{}` is not run", f.name);
    }
}
