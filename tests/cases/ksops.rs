//! secretgen in KSOPS' place under real kustomize (the pinned v5.8.2), and KSOPS configs in
//! secretgen's own renders.
//!
//! Every case of `testdata/ksops` (KSOPS' own `test/legacy/*` and `test/krm/*`, re-encrypted
//! to an age test key, and again under `pgp/` exactly as KSOPS ships them, encrypted to its
//! PGP test key and opened through gpg; our own; and KSOPS generators inside trees) is built with secretgen
//! installed by `plugin install --ksops` as the legacy exec plugin and as `ksops` on PATH for
//! the KRM function, and must print exactly the `want.yaml` that `testdata/ksops/record.sh`
//! recorded from real KSOPS. With `KSOPS_BIN` set, the same builds also run with real KSOPS
//! to check the recordings. `secretgen render` of every case prints the Secrets of its
//! `want.yaml`; the tree cases are also rendered by their kustomization file and to `-o`,
//! diffed and checked.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use libtest_mimic::{Failed, Trial};

use crate::common::{canary_forms, describe, materialize, text};

fn ksops_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/ksops")
}

fn cases() -> Vec<PathBuf> {
    cases_in(&["legacy", "krm", "ours", "trees", "pgp/legacy", "pgp/krm"])
}

/// A private GNUPGHOME holding KSOPS' PGP test key (`pgp/key.asc`), made once per run; its
/// agent is stopped by [`stop_gpg_agent`] when the run ends.
fn gnupg_home() -> &'static Path {
    static HOME: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    HOME.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("ksops-gnupg")
            .tempdir()
            .unwrap()
            .keep();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        let out = Command::new("gpg")
            .args(["--batch", "--quiet", "--import"])
            .arg(ksops_dir().join("pgp/key.asc"))
            .env("GNUPGHOME", &dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "gpg --import: {}", describe(&out));
        dir
    })
}

/// Ends the agent of [`gnupg_home`] and removes it, if the run made one.
pub fn stop_gpg_agent() {
    let Some(dir) = gnupg_home_if_made() else {
        return;
    };
    let _ = Command::new("gpgconf")
        .args(["--kill", "gpg-agent"])
        .env("GNUPGHOME", dir)
        .output();
    let _ = std::fs::remove_dir_all(dir);
}

fn gnupg_home_if_made() -> Option<&'static Path> {
    GNUPG_MADE
        .load(std::sync::atomic::Ordering::SeqCst)
        .then(gnupg_home)
}

static GNUPG_MADE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The keys a case's SOPS files open with: KSOPS' PGP test key through gpg for `pgp/`, the
/// age test key otherwise (and then no GNUPGHOME that could open anything).
fn with_keys<'c>(c: &'c mut Command, case: &Path) -> &'c mut Command {
    if case.starts_with(ksops_dir().join("pgp")) {
        let home = gnupg_home();
        GNUPG_MADE.store(true, std::sync::atomic::Ordering::SeqCst);
        c.env("GNUPGHOME", home)
    } else {
        c.env("SOPS_AGE_KEY_FILE", ksops_dir().join("key.txt"))
    }
}

fn cases_in(groups: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for &group in groups {
        out.extend(crate::common::case_paths(&ksops_dir().join(group), |p| {
            p.join("want.yaml").is_file()
        }));
    }
    out
}

/// A plugin home and a bin directory where `ksops` is secretgen (or `exe`).
struct Host {
    _dir: tempfile::TempDir,
    home: PathBuf,
    bin: PathBuf,
}

fn host_with(exe: Option<&Path>) -> Host {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("plugin");
    let bin = dir.path().join("bin");
    match exe {
        None => {
            let out = Command::new(env!("CARGO_BIN_EXE_secretgen"))
                .args(["plugin", "install", "--ksops", "--plugin-home"])
                .arg(&home)
                .arg("--bin-dir")
                .arg(&bin)
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", describe(&out));
        }
        Some(exe) => {
            let legacy = home.join("viaduct.ai/v1/ksops");
            std::fs::create_dir_all(&legacy).unwrap();
            std::fs::create_dir_all(&bin).unwrap();
            std::os::unix::fs::symlink(exe, legacy.join("ksops")).unwrap();
            std::os::unix::fs::symlink(exe, bin.join("ksops")).unwrap();
        }
    }
    Host {
        _dir: dir,
        home,
        bin,
    }
}

/// `kustomize build .` in `dir`, with the keys of `case` (none for `None`).
fn kustomize_build(host: &Host, dir: &Path, case: Option<&Path>) -> Output {
    let mut c = crate::common::tool("kustomize");
    crate::common::isolate(&mut c, dir);
    let mut path = std::ffi::OsString::from(&host.bin);
    path.push(":");
    path.push(crate::common::path_with_tools());
    c.args(["build", "--enable-alpha-plugins", "--enable-exec", "."])
        .env("PATH", path)
        .env("KUSTOMIZE_PLUGIN_HOME", &host.home);
    if let Some(case) = case {
        with_keys(&mut c, case);
    }
    c.output().unwrap()
}

fn check_case(case: &Path, exe: Option<&Path>) -> Result<(), Failed> {
    let want = std::fs::read(case.join("want.yaml")).unwrap();
    let dir = materialize(case);
    let host = host_with(exe);
    let out = kustomize_build(&host, dir.path(), Some(case));
    if !out.status.success() {
        return Err(format!("kustomize build failed: {}", describe(&out)).into());
    }
    if out.stdout != want {
        return Err(format!(
            "output differs from want.yaml\n--- want\n{}\n--- got\n{}",
            text(&want),
            text(&out.stdout)
        )
        .into());
    }
    Ok(())
}

fn case_name(case: &Path) -> String {
    case.strip_prefix(ksops_dir())
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

/// A generator of our own, in a fresh directory with a SOPS-encrypted env file.
fn write_case(dir: &Path, generator: &str, env: &str) {
    std::fs::write(
        dir.join("kustomization.yaml"),
        "generators:\n  - ./gen.yaml\n",
    )
    .unwrap();
    std::fs::write(dir.join("gen.yaml"), generator).unwrap();
    let recipient = std::fs::read_to_string(ksops_dir().join("key.txt"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("# public key: ").map(str::to_string))
        .unwrap();
    let mut sops = crate::common::tool("sops");
    sops.args(["--encrypt", "--age", &recipient])
        .args([
            "--input-type",
            "binary",
            "--output-type",
            "binary",
            "/dev/stdin",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped());
    let mut child = sops.spawn().unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(env.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    std::fs::write(dir.join("app.env.enc"), out.stdout).unwrap();
}

/// Where KSOPS would ship a Secret the API server refuses, secretgen fails the build with
/// the rule, exit 2, and no value in the message (nor the key: it is read out of the
/// decrypted env file, so it is only described).
fn refuses_what_the_api_server_refuses() -> Result<(), Failed> {
    let canary = "c4naryVal9d2eQ";
    for (krm, env, rule) in [
        (
            false,
            format!("BAD KEY={canary}\n"),
            "key of 7 characters (letters, white space; decrypted, not shown) is not a valid Secret key",
        ),
        (
            true,
            format!("BAD KEY={canary}\n"),
            "key of 7 characters (letters, white space; decrypted, not shown) is not a valid Secret key",
        ),
        // A bare word at the end of the file is godotenv's value of the empty key.
        (
            false,
            format!("A=1\n{canary}"),
            "key of 0 characters (decrypted, not shown) is not a valid Secret key",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let annotation = if krm {
            "  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: ksops\n"
        } else {
            ""
        };
        write_case(
            dir.path(),
            &format!(
                "apiVersion: viaduct.ai/v1\nkind: ksops\nmetadata:\n  name: g\n{annotation}secretFrom:\n- metadata:\n    name: s\n  envs:\n  - ./app.env.enc\n"
            ),
            &env,
        );
        let out = kustomize_build(&host_with(None), dir.path(), Some(&ksops_dir()));
        let err = text(&out.stderr);
        if out.status.success() || !out.stdout.is_empty() || !err.contains(rule) {
            return Err(format!("expected the rule `{rule}`: {}", describe(&out)).into());
        }
        for form in canary_forms(canary) {
            if err.contains(&form) {
                return Err(format!("the value leaked into the error: {err}").into());
            }
        }
    }
    Ok(())
}

/// KSOPS' PGP-encrypted case with a GNUPGHOME that holds no key: the error names the file and
/// its PGP entry (by fingerprint), and nothing reaches stdout.
fn missing_pgp_key_is_an_error() -> Result<(), Failed> {
    let case = ksops_dir().join("pgp/legacy/single");
    let dir = materialize(&case);
    let empty = tempfile::tempdir()?;
    let mut c = crate::common::secretgen_in(dir.path());
    c.args(["render", "."]).env("GNUPGHOME", empty.path());
    let out = c.output()?;
    let _ = Command::new("gpgconf")
        .args(["--kill", "gpg-agent"])
        .env("GNUPGHOME", empty.path())
        .output();
    let err = text(&out.stderr);
    if out.status.code() != Some(2)
        || !out.stdout.is_empty()
        || !err.contains("secret.enc.yaml")
        || !err.contains("FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4")
    {
        return Err(format!("expected a missing PGP key: {}", describe(&out)).into());
    }
    Ok(())
}

/// Without a key, the error names the config entry and the file, and no ciphertext or
/// plaintext reaches stdout.
fn missing_key_is_an_error() -> Result<(), Failed> {
    let case = ksops_dir().join("legacy/single");
    let dir = materialize(&case);
    let out = kustomize_build(&host_with(None), dir.path(), None);
    let err = text(&out.stderr);
    if out.status.success()
        || !out.stdout.is_empty()
        || !err.contains("generate-resources.yaml") && !err.contains("kust-plugin-config")
        || !err.contains("secret.enc.yaml")
    {
        return Err(format!("expected a decryption error: {}", describe(&out)).into());
    }
    Ok(())
}

/// Each Secret of a build: (namespace, name) → its values (stringData and decoded data;
/// the API server stores them alike).
type Values = Vec<(String, Vec<u8>)>;

fn secrets_of(stream: &[u8]) -> Vec<((String, String), Values)> {
    use base64::Engine;
    let mut out = Vec::new();
    for doc in serde_yaml_ng::Deserializer::from_slice(stream) {
        let v = <serde_yaml_ng::Value as serde::Deserialize>::deserialize(doc).unwrap();
        if v["kind"].as_str() != Some("Secret") {
            continue;
        }
        let ns = v["metadata"]["namespace"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let name = v["metadata"]["name"].as_str().unwrap_or("").to_string();
        let mut values: Values = Vec::new();
        if let Some(m) = v["data"].as_mapping() {
            for (k, val) in m {
                let b64: String = val.as_str().unwrap().split_whitespace().collect();
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .unwrap();
                values.push((k.as_str().unwrap().to_string(), bytes));
            }
        }
        if let Some(m) = v["stringData"].as_mapping() {
            for (k, val) in m {
                let k = k.as_str().unwrap().to_string();
                values.retain(|(x, _)| *x != k);
                values.push((k, val.as_str().unwrap().as_bytes().to_vec()));
            }
        }
        values.sort();
        out.push(((ns, name), values));
    }
    out
}

/// One line of `migrate ksops`' report: namespace, name before, name after (None: kept).
fn report_lines(report: &str) -> Vec<(String, String, Option<String>)> {
    report
        .lines()
        .filter_map(|l| {
            let rest = l.split_once(": Secret ")?.1;
            let (id, what) = rest.split_once(": ")?;
            let (ns, name) = id.rsplit_once('/').unwrap_or(("", id));
            let after = if what.starts_with("name unchanged") {
                Some(name.to_string())
            } else if let Some(w) = what.strip_prefix("name changes to ") {
                Some(w.split_whitespace().next()?.to_string())
            } else {
                None
            };
            Some((ns.to_string(), name.to_string(), after))
        })
        .collect()
}

/// Whether secretgen's own generators read SOPS files yet (the migrated tree needs it).
fn generators_read_sops() -> bool {
    let dir = tempfile::tempdir().unwrap();
    let case = ksops_dir().join("legacy/file/secret.enc.yaml");
    std::fs::copy(case, dir.path().join("s.enc.yaml")).unwrap();
    std::fs::write(
        dir.path().join("gen.yaml"),
        "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: probe\nfiles:\n- s.enc.yaml\n",
    )
    .unwrap();
    let mut c = crate::common::secretgen_in(dir.path());
    c.args(["render", "gen.yaml"])
        .env("SOPS_AGE_KEY_FILE", ksops_dir().join("key.txt"));
    c.output().unwrap().status.success()
}

/// Without a key, a KSOPS generator in a base fails the overlay's render: exit 2, the
/// error names the config's entry, and nothing (no ciphertext, no other Secret) is printed.
fn missing_key_in_a_tree_is_an_error() -> Result<(), Failed> {
    let dir = materialize(&ksops_dir().join("trees/overlay-legacy"));
    let home = tempfile::tempdir()?;
    let mut c = crate::common::secretgen_in(dir.path());
    c.args(["render", "."]).env("HOME", home.path());
    let out = c.output()?;
    let err = text(&out.stderr);
    if out.status.code() != Some(2)
        || !out.stdout.is_empty()
        || !err.contains("base/ksops.yaml:")
        || !err.contains("db.enc.yaml")
    {
        return Err(format!("expected a decryption error: {}", describe(&out)).into());
    }
    Ok(())
}

/// A KSOPS Secret that meets a Secret of the same name without a `behavior` annotation is
/// refused, as kustomize refuses it ("id exists; ... behavior must be merge or replace"):
/// exit 2, nothing printed, and its name, read from a decrypted manifest, described.
fn a_ksops_secret_meeting_another_needs_a_behavior() -> Result<(), Failed> {
    let dir = materialize(&ksops_dir().join("trees/overlay-legacy"));
    let base = dir.path().join("base");
    std::fs::write(
        base.join("plain.yaml"),
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  x: eA==\n",
    )?;
    std::fs::write(
        base.join("kustomization.yaml"),
        "resources:\n- ./deployment.yaml\n- ./plain.yaml\ngenerators:\n- ./ksops.yaml\n",
    )?;
    let mut c = crate::common::secretgen_in(dir.path());
    c.args(["render", "."])
        .env("SOPS_AGE_KEY_FILE", ksops_dir().join("key.txt"));
    let out = c.output()?;
    let err = text(&out.stderr);
    if out.status.code() != Some(2)
        || !out.stdout.is_empty()
        || !err.contains("already exists")
        || !err.contains("decrypted, not shown")
        || err.contains("`db`")
    {
        return Err(format!("expected the behavior to be asked for: {}", describe(&out)).into());
    }
    Ok(())
}

/// `migrate ksops --write` on a case: the report's names before are KSOPS' real ones; the
/// migrated tree, built by kustomize with secretgen's plugins, gives every Secret the same
/// values under the name the report announced.
fn migrate_case(case: &Path, render: bool) -> Result<(), Failed> {
    let want = std::fs::read(case.join("want.yaml")).unwrap();
    let before = secrets_of(&want);
    let dir = materialize(case);
    let mut c = crate::common::secretgen_in(dir.path());
    with_keys(c.args(["migrate", "ksops", ".", "--write"]), case);
    let out = c.output().unwrap();
    if !out.status.success() {
        return Err(format!("migrate failed: {}", describe(&out)).into());
    }
    let report = report_lines(&text(&out.stdout));
    for (ns, name, _) in &report {
        if !before.iter().any(|((n, m), _)| n == ns && m == name) {
            return Err(format!(
                "reported name {ns}/{name} is not KSOPS' (want.yaml)\n{}",
                text(&out.stdout)
            )
            .into());
        }
    }
    if !render {
        return Ok(());
    }
    let built = kustomize_build(&host_with(None), dir.path(), Some(case));
    if !built.status.success() {
        return Err(format!("building the migrated tree failed: {}", describe(&built)).into());
    }
    let after = secrets_of(&built.stdout);
    if after.len() != before.len() {
        return Err(format!(
            "{} Secrets before, {} after\n{}",
            before.len(),
            after.len(),
            text(&built.stdout)
        )
        .into());
    }
    for ((ns, name), values) in &before {
        let new_name = report
            .iter()
            .find(|(n, m, _)| n == ns && m == name)
            .and_then(|(_, _, a)| a.clone())
            .unwrap_or_else(|| name.clone());
        let Some((_, got)) = after.iter().find(|((n, m), _)| n == ns && *m == new_name) else {
            return Err(format!(
                "no Secret {ns}/{new_name} after migration (report: {})\n{}",
                text(&out.stdout),
                text(&built.stdout)
            )
            .into());
        };
        if got != values {
            return Err(format!("Secret {ns}/{new_name}: values differ after migration").into());
        }
    }
    Ok(())
}

/// The Secret documents of a case's `want.yaml`, in kustomize's order.
fn want_secrets(case: &Path) -> Vec<String> {
    let want = text(&std::fs::read(case.join("want.yaml")).unwrap());
    want.split("---\n")
        .filter(|d| d.lines().any(|l| l == "kind: Secret"))
        .map(str::to_string)
        .collect()
}

/// `secretgen render TARGET` in a copy of `case`: exactly the Secret documents kustomize
/// printed with real KSOPS, KSOPS generators at every level of the tree included.
fn render_case(case: &Path, target: &str) -> Result<(), Failed> {
    let want = want_secrets(case).join("---\n");
    let dir = materialize(case);
    let mut c = crate::common::secretgen_in(dir.path());
    with_keys(c.args(["render", target]), case);
    let out = c.output().unwrap();
    if !out.status.success() {
        return Err(format!("render failed: {}", describe(&out)).into());
    }
    if text(&out.stdout) != want {
        return Err(format!(
            "render differs from kustomize's Secrets\n--- want\n{want}\n--- got\n{}",
            text(&out.stdout)
        )
        .into());
    }
    Ok(())
}

/// `secretgen render . -o OUT` of a tree case: each Secret of `want.yaml` in its namespace's
/// directory, as kustomize printed it, and nothing else; `diff OUT .` then finds nothing.
/// `nested`: `.` holds the case as `tree/` (no kustomization of its own: searched), and the
/// namespace directories are under `tree/`.
fn render_out_case(case: &Path, nested: bool) -> Result<(), Failed> {
    let dir = tempfile::tempdir()?;
    let sub = if nested {
        Path::new("tree")
    } else {
        Path::new("")
    };
    let copy = materialize(case);
    crate::common::copy_tree(copy.path(), &dir.path().join(sub))?;
    let out_dir = tempfile::tempdir()?;
    let key = ksops_dir().join("key.txt");
    let mut c = crate::common::secretgen_in(dir.path());
    c.args(["render", ".", "-o"])
        .arg(out_dir.path())
        .env("SOPS_AGE_KEY_FILE", &key);
    let out = c.output()?;
    if !out.status.success() {
        return Err(format!("render -o failed: {}", describe(&out)).into());
    }
    let mut expected = Vec::new();
    for doc in want_secrets(case) {
        let v: serde_yaml_ng::Value = serde_yaml_ng::from_str(&doc)?;
        let ns = v["metadata"]["namespace"].as_str().unwrap_or("_cluster");
        let name = v["metadata"]["name"].as_str().unwrap_or("?");
        expected.push((sub.join(ns).join(format!("{name}.yaml")), doc));
    }
    let mut written = Vec::new();
    for entry in walkdir::WalkDir::new(out_dir.path()) {
        let entry = entry?;
        if entry.file_type().is_file() {
            written.push(entry.path().strip_prefix(out_dir.path())?.to_path_buf());
        }
    }
    written.sort();
    let mut paths: Vec<PathBuf> = expected.iter().map(|(p, _)| p.clone()).collect();
    paths.sort();
    if written != paths {
        return Err(format!("files written: {written:?}, expected {paths:?}").into());
    }
    for (path, doc) in &expected {
        let got = std::fs::read_to_string(out_dir.path().join(path))?;
        // The file's header comment, then the document.
        let body: String = got
            .split_inclusive('\n')
            .filter(|l| !l.starts_with('#'))
            .collect();
        if body != *doc {
            let shown = path.display();
            return Err(format!("{shown} differs\n--- want\n{doc}\n--- got\n{got}").into());
        }
    }
    let mut c = crate::common::secretgen_in(dir.path());
    c.arg("diff")
        .arg(out_dir.path())
        .arg(".")
        .env("SOPS_AGE_KEY_FILE", &key);
    let diff = c.output()?;
    if diff.status.code() != Some(0) || !text(&diff.stdout).contains("no differences") {
        return Err(format!("diff of the render and the tree: {}", describe(&diff)).into());
    }
    Ok(())
}

/// `secretgen check .` of a tree case: every reference of its workloads to a KSOPS Secret
/// (by its base name, through the overlay's prefix, suffix, namespace and hash) resolves.
/// The same tree with one reference renamed to a Secret it does not make is reported, so
/// the workloads are read.
fn check_tree_case(case: &Path) -> Result<(), Failed> {
    let dir = materialize(case);
    let key = ksops_dir().join("key.txt");
    let check = |dir: &Path| {
        let mut c = crate::common::secretgen_in(dir);
        c.args(["check", "."]).env("SOPS_AGE_KEY_FILE", &key);
        c.output()
    };
    let out = check(dir.path())?;
    if out.status.code() != Some(0) || !text(&out.stderr).contains("no broken references") {
        return Err(format!("check found broken references: {}", describe(&out)).into());
    }
    let deployment = walkdir::WalkDir::new(dir.path())
        .into_iter()
        .filter_map(Result::ok)
        .find(|e| e.file_name() == "deployment.yaml")
        .ok_or("no deployment.yaml")?
        .into_path();
    let before = std::fs::read_to_string(&deployment)?;
    let reference = "- secretRef:\n            name: ";
    let renamed = format!("{reference}missing-");
    std::fs::write(&deployment, before.replacen(reference, &renamed, 1))?;
    let out = check(dir.path())?;
    if out.status.code() != Some(1) || !text(&out.stdout).contains("missing-") {
        return Err(format!("a broken reference was not reported: {}", describe(&out)).into());
    }
    Ok(())
}

pub fn trials() -> Vec<Trial> {
    let mut trials = Vec::new();
    let real = std::env::var_os("KSOPS_BIN").map(PathBuf::from);
    for case in cases() {
        let name = case_name(&case);
        let c = case.clone();
        trials.push(trial!(format!("secretgen_as_ksops::{name}"), move || {
            check_case(&c, None)
        },));
        let c = case.clone();
        let real = real.clone();
        let ignored = real.is_none();
        trials.push(
            trial!(
                format!("real_ksops_matches_recording::{name}"),
                move || match &real {
                    Some(exe) => check_case(&c, Some(exe)),
                    None => Err("set KSOPS_BIN to a KSOPS v4.5.1 binary".into()),
                },
            )
            .with_kind("needs KSOPS_BIN (a KSOPS v4.5.1 binary)")
            .with_ignored_flag(ignored),
        );
    }
    let sops_inputs = generators_read_sops();
    // `migrate ksops` reports the names KSOPS prints, which a tree's levels change.
    for case in cases_in(&["legacy", "krm", "ours", "pgp/legacy", "pgp/krm"]) {
        let name = case_name(&case);
        let c = case.clone();
        trials.push(trial!(format!("migrate_report::{name}"), move || {
            migrate_case(&c, false)
        }));
        trials.push(
            trial!(format!("migrate_render::{name}"), move || {
                migrate_case(&case, true)
            })
            .with_kind("needs SOPS files as SecretGenerator inputs")
            .with_ignored_flag(!sops_inputs),
        );
    }
    for case in cases() {
        let name = case_name(&case);
        trials.push(trial!(format!("render::{name}"), move || {
            render_case(&case, ".")
        }));
    }
    for case in cases_in(&["trees"]) {
        let name = case_name(&case);
        let c = case.clone();
        trials.push(trial!(format!("render_file::{name}"), move || {
            render_case(&c, "kustomization.yaml")
        }));
        let c = case.clone();
        trials.push(trial!(format!("render_out::{name}"), move || {
            render_out_case(&c, false)
        }));
        let c = case.clone();
        trials.push(trial!(format!("render_out_searched::{name}"), move || {
            render_out_case(&c, true)
        }));
        let has_workloads = walkdir::WalkDir::new(&case)
            .into_iter()
            .filter_map(Result::ok)
            .any(|e| e.file_name() == "deployment.yaml");
        if has_workloads {
            trials.push(trial!(format!("check::{name}"), move || {
                check_tree_case(&case)
            }));
        }
    }
    trials.push(trial!(
        "refuses_what_the_api_server_refuses",
        refuses_what_the_api_server_refuses,
    ));
    trials.push(trial!("missing_key_is_an_error", missing_key_is_an_error,));
    trials.push(trial!(
        "missing_pgp_key_is_an_error",
        missing_pgp_key_is_an_error,
    ));
    trials.push(trial!(
        "a_ksops_secret_meeting_another_needs_a_behavior",
        a_ksops_secret_meeting_another_needs_a_behavior,
    ));
    trials.push(trial!(
        "missing_key_in_a_tree_is_an_error",
        missing_key_in_a_tree_is_an_error,
    ));
    trials
}
