//! secretgen inside its real hosts: `kubectl kustomize --enable-alpha-plugins` and the
//! standalone kustomize (`kustomize build --enable-alpha-plugins --enable-exec`) running the
//! exec plugin, the standalone kustomize and `kpt fn eval --exec` running the KRM function.
//!
//! Every `host` case of the corpus (overlays with `behavior`, name references, patches,
//! exec-plugin semantics) is rebuilt with each builtin `secretGenerator` entry replaced by a
//! secretgen.dev/v1 plugin config, and must give the Secret documents kustomize's builtin
//! gave (or fail where the builtin failed): the recorded ones under `kubectl kustomize`, and
//! the standalone kustomize's own builtin build under it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use libtest_mimic::{Failed, Trial};
use serde_yaml_ng::{Mapping, Value};

use crate::common::{corpus_dir, describe, extra_corpus_dir, materialize, text};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_secretgen")
}

fn require(tool: &str) {
    let args: &[&str] = if tool == "kubectl" {
        &["version", "--client"]
    } else {
        &["version"]
    };
    let ok = Command::new(tool)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "`{tool}` is required for these tests (see `bash tests/setup.sh`)"
    );
}

/// Installs the plugin under `home` with `secretgen plugin install`.
fn install(home: &Path) {
    let out = Command::new(bin())
        .args(["plugin", "install", "--plugin-home"])
        .arg(home)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "plugin install failed: {}",
        describe(&out)
    );
}

fn kustomize(
    dir: &Path,
    home: &Path,
    extra_env: &[(String, String)],
    extra_args: &[String],
) -> Output {
    let mut cmd = Command::new("kubectl");
    cmd.arg("kustomize").arg("--enable-alpha-plugins");
    for a in extra_args {
        if a != "--enable-alpha-plugins" {
            cmd.arg(a);
        }
    }
    // The keys a case gives are the only ones the plugin sees: none from the caller's shell.
    crate::common::without_identity(&mut cmd);
    cmd.arg(dir).env("KUSTOMIZE_PLUGIN_HOME", home).env(
        "PATH",
        format!(
            "{}:{}",
            Path::new(bin()).parent().unwrap().display(),
            std::env::var("PATH").unwrap_or_default()
        ),
    );
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn secret_documents(stream: &str) -> String {
    stream
        .split("---\n")
        .filter(|d| d.lines().any(|l| l == "kind: Secret"))
        .collect::<Vec<_>>()
        .join("---\n")
}

/// Rewrites every kustomization under `dir`: each `secretGenerator` entry becomes a
/// secretgen.dev/v1 config file listed under `generators`, with the kustomization's
/// `generatorOptions` folded into its options (kustomize applies those to the builtin only).
fn convert_tree(dir: &Path) -> usize {
    let mut converted = 0;
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry.unwrap();
        if entry.file_name() == "kustomization.yaml" {
            converted += convert_kustomization(entry.path());
        }
    }
    converted
}

fn convert_kustomization(path: &Path) -> usize {
    let mut k: Value = serde_yaml_ng::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let Some(map) = k.as_mapping_mut() else {
        return 0;
    };
    let Some(Value::Sequence(entries)) = map.remove("secretGenerator") else {
        return 0;
    };
    let global = map.remove("generatorOptions");
    // kustomize runs the builtin `secretGenerator` field before `generators`; the converted
    // configs go first to keep that order.
    let existing = match map.remove("generators") {
        Some(Value::Sequence(s)) => s,
        _ => Vec::new(),
    };
    let mut generators = Vec::new();
    let dir = path.parent().unwrap();
    let count = entries.len();
    for (i, entry) in entries.into_iter().enumerate() {
        let entry = entry.as_mapping().unwrap().clone();
        let mut config = Mapping::new();
        config.insert("apiVersion".into(), "secretgen.dev/v1".into());
        config.insert("kind".into(), "SecretGenerator".into());
        let mut meta = Mapping::new();
        for f in ["name", "namespace"] {
            if let Some(v) = entry.get(f) {
                meta.insert(f.into(), v.clone());
            }
        }
        config.insert("metadata".into(), Value::Mapping(meta));
        for f in ["type", "files", "literals", "envs", "env", "behavior"] {
            if let Some(v) = entry.get(f) {
                config.insert(f.into(), v.clone());
            }
        }
        let mut options = entry
            .get("options")
            .and_then(|o| o.as_mapping())
            .cloned()
            .unwrap_or_default();
        if let Some(Value::Mapping(g)) = &global {
            for (k, v) in g {
                match (k.as_str(), v) {
                    (Some("labels" | "annotations"), Value::Mapping(gm)) => {
                        let local = options
                            .entry(k.clone())
                            .or_insert_with(|| Value::Mapping(Mapping::new()));
                        if let Value::Mapping(lm) = local {
                            for (gk, gv) in gm {
                                lm.entry(gk.clone()).or_insert_with(|| gv.clone());
                            }
                        }
                    }
                    (Some(_), Value::Bool(true)) => {
                        options.insert(k.clone(), Value::Bool(true));
                    }
                    _ => {}
                }
            }
        }
        if !options.is_empty() {
            config.insert("options".into(), Value::Mapping(options));
        }
        let file = format!("secretgen-{i}.yaml");
        std::fs::write(
            dir.join(&file),
            serde_json::to_string_pretty(&Value::Mapping(config)).unwrap(),
        )
        .unwrap();
        generators.push(file.into());
    }
    generators.extend(existing);
    map.insert("generators".into(), Value::Sequence(generators));
    // Written as JSON (which is YAML): every string stays quoted, so a value such as `yes`
    // or `on` is not read back as a YAML 1.1 boolean by kustomize.
    std::fs::write(path, serde_json::to_string_pretty(&k).unwrap()).unwrap();
    count
}

/// A `host` corpus case through the plugin.
fn host_case(case: &Path) -> Result<(), Failed> {
    let copy = materialize(case);
    let root = copy.path();
    convert_tree(root);
    let build = match std::fs::read_to_string(root.join("build-dir")) {
        Ok(d) => root.join(d.trim()),
        Err(_) => root.to_path_buf(),
    };
    let mut env = Vec::new();
    if let Ok(e) = std::fs::read_to_string(root.join("oracle.env")) {
        for line in e.lines().filter(|l| l.contains('=')) {
            let (k, v) = line.split_once('=').unwrap();
            env.push((
                k.to_string(),
                v.replace("@CASEDIR@", &root.display().to_string()),
            ));
        }
    }
    let args: Vec<String> = std::fs::read_to_string(root.join("oracle.args"))
        .map(|a| {
            a.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    // The case's own exec plugins live under its xdg/ tree; ours goes beside them.
    let xdg = root.join("xdg/kustomize/plugin");
    let home = if xdg.is_dir() {
        xdg
    } else {
        root.join("plugin-home")
    };
    install(&home);
    let out = kustomize(&build, &home, &env, &args);
    if case.join("expected.yaml").exists() {
        let want = secret_documents(&std::fs::read_to_string(case.join("expected.yaml"))?);
        if !out.status.success() {
            return Err(format!(
                "kustomize with the plugin failed where the builtin succeeded\n{}",
                describe(&out)
            )
            .into());
        }
        let got = secret_documents(&text(&out.stdout));
        if got != want {
            let diff = similar::TextDiff::from_lines(&want, &got)
                .unified_diff()
                .header("builtin (expected.yaml)", "secretgen plugin")
                .to_string();
            return Err(format!("Secret documents differ:\n{diff}").into());
        }
    } else if out.status.success() {
        return Err(format!(
            "the builtin failed ({}) but the plugin build succeeded\n{}",
            std::fs::read_to_string(case.join("expected.msg")).unwrap_or_default(),
            describe(&out)
        )
        .into());
    }
    Ok(())
}

/// The scenarios' trees: `tests/plugin_e2e/<scenario>/` (see its README.md).
fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/plugin_e2e")
}

/// Copies the tree `from` into `to`, or only its entries `only` names.
fn copy_into(from: &Path, to: &Path, only: &[&str]) -> std::io::Result<()> {
    if only.is_empty() {
        return crate::common::copy_tree(from, to);
    }
    std::fs::create_dir_all(to)?;
    for name in only {
        crate::common::copy_tree(&from.join(name), &to.join(name))?;
    }
    Ok(())
}

/// A writable copy of the scenario `name` in a temporary directory: its tree, then each
/// line of its `copies` (`SOURCE DEST [FILE…]`: the shared tree `SOURCE`, or only the files
/// named, copied into `DEST`). `copies` and `README.md` stay behind.
fn scenario(name: &str) -> std::io::Result<tempfile::TempDir> {
    let t = tempfile::tempdir()?;
    let from = scenarios_dir().join(name);
    copy_into(&from, t.path(), &[])?;
    for meta in ["copies", "README.md"] {
        let _ = std::fs::remove_file(t.path().join(meta));
    }
    let copies = std::fs::read_to_string(from.join("copies")).unwrap_or_default();
    for line in copies.lines().filter(|l| !l.trim().is_empty()) {
        let words: Vec<&str> = line.split_whitespace().collect();
        copy_into(
            &scenarios_dir().join(words[0]),
            &t.path().join(words[1]),
            &words[2..],
        )?;
    }
    Ok(t)
}

/// The standalone kustomize (`.tools/bin/kustomize`, from `tests/setup.sh`) building `dir`
/// with exec plugins and KRM functions enabled, secretgen on its PATH and `home` as its plugin
/// home.
fn standalone_kustomize(dir: &Path, home: &Path) -> Output {
    standalone_kustomize_with(dir, home, &[], &[])
}

fn standalone_kustomize_with(
    dir: &Path,
    home: &Path,
    extra_env: &[(String, String)],
    extra_args: &[String],
) -> Output {
    let mut path = std::ffi::OsString::from(Path::new(bin()).parent().unwrap());
    path.push(":");
    path.push(crate::common::path_with_tools());
    let mut cmd = crate::common::tool("kustomize");
    cmd.args(["build", "--enable-alpha-plugins", "--enable-exec"]);
    for a in extra_args {
        if a != "--enable-alpha-plugins" {
            cmd.arg(a);
        }
    }
    cmd.arg(dir)
        .env("KUSTOMIZE_PLUGIN_HOME", home)
        .envs(extra_env.iter().map(|(k, v)| (k, v)))
        .env("PATH", path)
        .output()
        .expect("kustomize (standalone, from `bash tests/setup.sh`)")
}

/// A `host` case under the standalone kustomize: its builtin build of the case and its build
/// with every `secretGenerator` entry turned into a secretgen exec plugin config give the same
/// Secret documents, or both fail.
fn standalone_host_case(case: &Path) -> Result<(), Failed> {
    let builtin = materialize(case);
    let plugin = materialize(case);
    convert_tree(plugin.path());
    let mut outputs = Vec::new();
    for root in [builtin.path(), plugin.path()] {
        let build = match std::fs::read_to_string(root.join("build-dir")) {
            Ok(d) => root.join(d.trim()),
            Err(_) => root.to_path_buf(),
        };
        let env: Vec<(String, String)> = std::fs::read_to_string(root.join("oracle.env"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| {
                (
                    k.into(),
                    v.replace("@CASEDIR@", &root.display().to_string()),
                )
            })
            .collect();
        let args: Vec<String> = std::fs::read_to_string(root.join("oracle.args"))
            .unwrap_or_default()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect();
        let xdg = root.join("xdg/kustomize/plugin");
        let home = if xdg.is_dir() {
            xdg
        } else {
            root.join("plugin-home")
        };
        install(&home);
        outputs.push(standalone_kustomize_with(&build, &home, &env, &args));
    }
    let (want, got) = (&outputs[0], &outputs[1]);
    match (want.status.success(), got.status.success()) {
        (true, true) => {
            let want = secret_documents(&text(&want.stdout));
            let got = secret_documents(&text(&got.stdout));
            if got != want {
                let diff = similar::TextDiff::from_lines(&want, &got)
                    .unified_diff()
                    .header("builtin", "secretgen plugin")
                    .to_string();
                return Err(format!("Secret documents differ:\n{diff}").into());
            }
            Ok(())
        }
        (false, false) if case.join("expected.yaml").exists() => Err(format!(
            "the builtin failed here but not in the recorded kubectl kustomize\n{}",
            describe(want)
        )
        .into()),
        (false, false) => Ok(()),
        (true, false) => Err(format!(
            "the plugin build failed where the builtin succeeded\n{}",
            describe(got)
        )
        .into()),
        (false, true) => Err(format!(
            "the builtin failed but the plugin build succeeded\nbuiltin: {}\nplugin: {}",
            describe(want),
            describe(got)
        )
        .into()),
    }
}

/// secretgen inside the standalone kustomize, as the legacy exec plugin and as the KRM
/// function of the README (`config.kubernetes.io/function: exec:`): the whole output is the
/// builtin generator's for the same data (Secret name with its suffix, every reference in the
/// Deployment rewritten), also for a generator that merges into a base's Secret.
fn standalone_kustomize_matches_builtin() -> Result<(), Failed> {
    let t = scenario("standalone-matches-builtin")?;
    let home = t.path().join("home");
    install(&home);
    // (case, directory to build)
    let cases = [
        ("builtin", "."),
        ("exec-plugin", "."),
        ("krm-function", "."),
        ("builtin-merge", "overlay"),
        ("exec-plugin-merge", "overlay"),
        ("krm-function-merge", "overlay"),
    ];
    let mut outputs = std::collections::BTreeMap::new();
    for (case, build) in cases {
        let dir = t.path().join(case);
        let out = standalone_kustomize(&dir.join(build), &home);
        if !out.status.success() {
            return Err(format!("{case}: kustomize build failed\n{}", describe(&out)).into());
        }
        outputs.insert(case, text(&out.stdout));
    }
    let builtin = &outputs["builtin"];
    assert_eq!(
        builtin.matches("db-user-pass-gd995d5t92").count(),
        5,
        "the builtin names the Secret and rewrites 4 references:\n{builtin}"
    );
    for (case, want) in [
        ("exec-plugin", "builtin"),
        ("krm-function", "builtin"),
        ("exec-plugin-merge", "builtin-merge"),
        ("krm-function-merge", "builtin-merge"),
    ] {
        let (want_text, got) = (&outputs[want], &outputs[case]);
        if got != want_text {
            let diff = similar::TextDiff::from_lines(want_text.as_str(), got.as_str())
                .unified_diff()
                .header(want, case)
                .to_string();
            return Err(format!("{case} differs from {want}:\n{diff}").into());
        }
    }
    assert!(
        outputs["builtin-merge"].contains("  extra: b3ZlcmxheQ==\n"),
        "the overlay's key merged:\n{}",
        outputs["builtin-merge"]
    );
    Ok(())
}

/// The docs example, once through the builtin and once through the plugin: same Secret,
/// and every reference in the Deployment rewritten to the hashed name.
fn plugin_matches_builtin() -> Result<(), Failed> {
    let t = scenario("matches-builtin")?;
    let (builtin, plugin, home) = (
        t.path().join("builtin"),
        t.path().join("plugin"),
        t.path().join("home"),
    );
    install(&home);
    let a = kustomize(&builtin, &home, &[], &[]);
    let b = kustomize(&plugin, &home, &[], &[]);
    assert!(
        a.status.success() && b.status.success(),
        "{}\n{}",
        describe(&a),
        describe(&b)
    );
    let (a, b) = (text(&a.stdout), text(&b.stdout));
    assert_eq!(a, b, "builtin and plugin builds differ");
    assert!(b.contains("name: db-user-pass-gd995d5t92"), "{b}");
    assert_eq!(
        b.matches("db-user-pass-gd995d5t92").count(),
        5,
        "Secret + 4 references rewritten:\n{b}"
    );
    assert!(
        !b.contains("name: db-user-pass\n"),
        "an unrewritten reference:\n{b}"
    );
    Ok(())
}

/// An age-encrypted input inside kustomize, the identity passed through the environment:
/// the same Secret as the builtin generator gives for the plaintext.
fn plugin_with_age_input() -> Result<(), Failed> {
    let t = scenario("age-encrypted-input")?;
    let (builtin, plugin, home) = (
        t.path().join("builtin"),
        t.path().join("plugin"),
        t.path().join("home"),
    );
    let key = t.path().join("key.txt");
    install(&home);
    let a = kustomize(&builtin, &home, &[], &[]);
    let b = kustomize(
        &plugin,
        &home,
        &[(
            "SECRETGEN_AGE_IDENTITY_FILE".into(),
            key.display().to_string(),
        )],
        &[],
    );
    assert!(
        a.status.success() && b.status.success(),
        "{}\n{}",
        describe(&a),
        describe(&b)
    );
    assert_eq!(text(&a.stdout), text(&b.stdout));
    assert!(text(&b.stdout).contains("db-user-pass-gd995d5t92"));
    // Without the identity, kustomize fails and shows why.
    let c = kustomize(
        &plugin,
        &home,
        &[("HOME".into(), t.path().display().to_string())],
        &[],
    );
    assert!(!c.status.success());
    assert!(
        text(&c.stderr).contains("is age-encrypted but no identity was found"),
        "{}",
        describe(&c)
    );
    Ok(())
}

/// disableNameSuffixHash: no suffix, no needs-hash annotation left behind.
fn plugin_disable_hash() -> Result<(), Failed> {
    let t = scenario("disable-hash")?;
    let (dir, home) = (t.path().join("k"), t.path().join("home"));
    install(&home);
    let out = kustomize(&dir, &home, &[], &[]);
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(
        text(&out.stdout),
        "apiVersion: v1\ndata:\n  k: dg==\nkind: Secret\nmetadata:\n  name: plain\ntype: Opaque\n"
    );
    Ok(())
}

/// An overlay merging into a base generator through the plugin, as with the builtin.
fn plugin_overlay_merge() -> Result<(), Failed> {
    let t = scenario("overlay-merge")?;
    let home = t.path().join("home");
    install(&home);
    let a = kustomize(&t.path().join("builtin/overlay"), &home, &[], &[]);
    let b = kustomize(&t.path().join("plugin/overlay"), &home, &[], &[]);
    assert!(
        a.status.success() && b.status.success(),
        "{}\n{}",
        describe(&a),
        describe(&b)
    );
    assert_eq!(text(&a.stdout), text(&b.stdout));
    assert!(text(&b.stdout).contains("pass: b3ZlcmxheQ=="));
    Ok(())
}

/// A failing generator fails the kustomize build, with secretgen's message visible.
fn plugin_failure_is_visible() -> Result<(), Failed> {
    let t = scenario("failure-is-visible")?;
    let (dir, home) = (t.path().join("k"), t.path().join("home"));
    install(&home);
    let out = kustomize(&dir, &home, &[], &[]);
    assert!(!out.status.success(), "{}", describe(&out));
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    assert!(
        err.contains("cannot read `missing.txt`: No such file or directory"),
        "{err}"
    );
    Ok(())
}

/// `kpt fn eval --exec`: the Secret appended, the Deployment passed through untouched
/// (comments and field order), the generator's file kept.
fn kpt_fn_eval() -> Result<(), Failed> {
    require("kpt");
    let t = scenario("kpt-fn-eval")?;
    let pkg = t.path().join("pkg");
    let deploy = std::fs::read_to_string(pkg.join("deploy.yaml"))?;
    let out = Command::new("kpt")
        .args(["fn", "eval", "."])
        .arg("--exec")
        .arg(bin())
        .args(["--fn-config", "fn-config.yaml"])
        .current_dir(&pkg)
        .output()?;
    assert!(out.status.success(), "{}", describe(&out));
    let written: Vec<String> = std::fs::read_dir(&pkg)?
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let secret_file = written
        .iter()
        .find(|n| n.contains("db-user-pass-gd995d5t92"))
        .ok_or_else(|| format!("no Secret file written: {written:?}"))?;
    let secret = std::fs::read_to_string(pkg.join(secret_file))?;
    assert!(
        secret.contains("password.txt: MWYyZDFlMmU2N2Rm"),
        "{secret}"
    );
    assert!(
        !secret.contains("local-config"),
        "the Secret must not inherit local-config:\n{secret}"
    );
    assert_eq!(
        std::fs::read_to_string(pkg.join("deploy.yaml"))?,
        deploy,
        "kpt rewrote the Deployment"
    );
    assert!(
        pkg.join("fn-config.yaml").exists(),
        "the generator config file was deleted"
    );
    Ok(())
}

/// `kpt fn eval` twice gives the same package, and after a value changes the Secret is
/// replaced: one Secret file, under the new name, the old file gone.
fn kpt_fn_eval_is_idempotent() -> Result<(), Failed> {
    require("kpt");
    let t = scenario("kpt-fn-eval-is-idempotent")?;
    let pkg = t.path().join("pkg");
    let eval = || -> Result<Vec<(String, String)>, Failed> {
        let out = Command::new("kpt")
            .args(["fn", "eval", "."])
            .arg("--exec")
            .arg(bin())
            .args(["--fn-config", "fn-config.yaml"])
            .current_dir(&pkg)
            .output()?;
        assert!(out.status.success(), "{}", describe(&out));
        let mut files: Vec<(String, String)> = std::fs::read_dir(&pkg)?
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .map(|p| {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read_to_string(&p).unwrap())
            })
            .collect();
        files.sort();
        Ok(files)
    };
    let first = eval()?;
    let secrets = |files: &[(String, String)]| -> Vec<String> {
        files
            .iter()
            .filter(|(n, _)| n.starts_with("secret_db-"))
            .map(|(n, _)| n.clone())
            .collect()
    };
    assert_eq!(secrets(&first).len(), 1, "{first:#?}");
    assert_eq!(eval()?, first, "a second run changed the package");
    std::fs::write(pkg.join("password.txt"), "second")?;
    let changed = eval()?;
    assert_eq!(secrets(&changed).len(), 1, "{changed:#?}");
    assert_ne!(
        secrets(&changed),
        secrets(&first),
        "the name keeps its hash"
    );
    assert!(
        changed.iter().any(|(n, _)| n == "other.yaml"),
        "another Secret of the package was removed: {changed:#?}"
    );
    Ok(())
}

/// kpt shows secretgen's error as a result and fails.
fn kpt_fn_error() -> Result<(), Failed> {
    require("kpt");
    let t = scenario("kpt-fn-error")?;
    let pkg = t.path().join("pkg");
    let out = Command::new("kpt")
        .args(["fn", "eval", ".", "--exec"])
        .arg(bin())
        .args(["--fn-config", "fn-config.yaml"])
        .current_dir(&pkg)
        .output()?;
    assert!(!out.status.success(), "{}", describe(&out));
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(all.contains("cannot read `missing.txt`"), "{all}");
    Ok(())
}

/// `plugin install` honours KUSTOMIZE_PLUGIN_HOME, then XDG_CONFIG_HOME.
fn plugin_install_locations() -> Result<(), Failed> {
    let t = tempfile::tempdir()?;
    let out = Command::new(bin())
        .args(["plugin", "install"])
        .env_remove("KUSTOMIZE_PLUGIN_HOME")
        .env("XDG_CONFIG_HOME", t.path().join("xdg"))
        .output()?;
    assert!(out.status.success(), "{}", describe(&out));
    let link = t
        .path()
        .join("xdg/kustomize/plugin/secretgen.dev/v1/secretgenerator/SecretGenerator");
    assert!(link.exists(), "not installed at {}", link.display());
    assert_eq!(
        text(&out.stdout),
        "kubectl kustomize --enable-alpha-plugins DIR\n"
    );
    let out = Command::new(bin())
        .args(["plugin", "install"])
        .env("KUSTOMIZE_PLUGIN_HOME", t.path().join("kph"))
        .output()?;
    assert!(out.status.success());
    assert!(
        t.path()
            .join("kph/secretgen.dev/v1/secretgenerator/SecretGenerator")
            .exists()
    );
    Ok(())
}

/// The repository's `plugin/` script finds the binary on PATH, and says so when it cannot.
fn repository_plugin_script() -> Result<(), Failed> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("plugin/secretgen.dev/v1/secretgenerator/SecretGenerator");
    let t = scenario("repository-script")?;
    let out = Command::new(&script)
        .arg("config.yaml")
        .current_dir(t.path())
        .env(
            "PATH",
            format!(
                "{}:/usr/bin:/bin",
                Path::new(bin()).parent().unwrap().display()
            ),
        )
        .output()?;
    assert!(out.status.success(), "{}", describe(&out));
    assert!(text(&out.stdout).contains("kustomize.config.k8s.io/needs-hash: \"true\""));
    let out = Command::new(&script)
        .arg("config.yaml")
        .current_dir(t.path())
        .env("PATH", "/usr/bin:/bin")
        .output()?;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("found neither beside"),
        "{}",
        describe(&out)
    );
    Ok(())
}

/// The repository's `plugin/` script runs the `secretgen` beside it before any on PATH.
fn repository_script_prefers_the_binary_beside_it() -> Result<(), Failed> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("plugin/secretgen.dev/v1/secretgenerator/SecretGenerator");
    let t = scenario("repository-script-prefers-the-binary-beside-it")?;
    let dir = t.path().join("plugin/secretgen.dev/v1/secretgenerator");
    std::fs::create_dir_all(&dir)?;
    std::fs::copy(&script, dir.join("SecretGenerator"))?;
    std::os::unix::fs::symlink(bin(), dir.join("secretgen"))?;
    // A `secretgen` on PATH that must not be the one run.
    let decoy = t.path().join("decoy");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        decoy.join("secretgen"),
        std::fs::Permissions::from_mode(0o755),
    )?;
    let out = Command::new(dir.join("SecretGenerator"))
        .arg("config.yaml")
        .current_dir(t.path())
        .env("PATH", format!("{}:/usr/bin:/bin", decoy.display()))
        .output()?;
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(
        text(&out.stdout),
        "apiVersion: v1\ndata:\n  k: dg==\nkind: Secret\nmetadata:\n  annotations:\n    kustomize.config.k8s.io/needs-hash: \"true\"\n  name: s\ntype: Opaque\n"
    );
    Ok(())
}

/// The plugin resolves files from `KUSTOMIZE_PLUGIN_CONFIG_ROOT` whatever the working
/// directory, and inside kustomize the load restrictor holds: a file outside the
/// kustomization root fails the build with the reason visible.
fn config_root_and_load_restrictor() -> Result<(), Failed> {
    let t = scenario("config-root-and-load-restrictor")?;
    let root = t.path().join("k");
    let out = Command::new(bin())
        .args(["plugin", "exec"])
        .arg(t.path().join("copy-of-config"))
        .current_dir(t.path())
        .env("KUSTOMIZE_PLUGIN_CONFIG_ROOT", &root)
        .output()?;
    assert!(out.status.success(), "{}", describe(&out));
    assert!(text(&out.stdout).contains("  pw.txt: MWYyZDFlMmU2N2Rm\n"));

    let home = t.path().join("home");
    install(&home);
    let out = kustomize(&root, &home, &[], &[]);
    assert!(!out.status.success(), "{}", describe(&out));
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    assert!(
        err.contains("`../outside.txt` resolves to") && err.contains("outside the root"),
        "{err}"
    );
    assert!(!err.contains("CANARY-outside"), "{err}");
    // A symlink out of the root is refused the same way.
    std::os::unix::fs::symlink(t.path().join("outside.txt"), root.join("link.txt"))?;
    std::fs::write(
        root.join("g.yaml"),
        "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: s\nfiles:\n- link.txt\n",
    )?;
    let out = kustomize(&root, &home, &[], &[]);
    assert!(!out.status.success(), "{}", describe(&out));
    assert!(
        text(&out.stderr).contains("outside the root"),
        "{}",
        describe(&out)
    );
    Ok(())
}

/// Values whose base64 kustomize wraps (70 columns and more), binary bytes, env files and
/// literals: through the plugin the data is written exactly as the builtin writes it, so the
/// suffix kustomize computes is the builtin's.
fn exact_builtin_encoding() -> Result<(), Failed> {
    let t = scenario("exact-builtin-encoding")?;
    let (builtin, plugin, home) = (
        t.path().join("builtin"),
        t.path().join("plugin"),
        t.path().join("home"),
    );
    install(&home);
    let a = kustomize(&builtin, &home, &[], &[]);
    let b = kustomize(&plugin, &home, &[], &[]);
    assert!(
        a.status.success() && b.status.success(),
        "{}\n{}",
        describe(&a),
        describe(&b)
    );
    assert_eq!(text(&a.stdout), text(&b.stdout));
    assert!(
        text(&b.stdout).contains("  long.txt: |\n"),
        "{}",
        text(&b.stdout)
    );
    // The plugin's own output: plain name, needs-hash, the same block-scalar data.
    let out = Command::new(bin())
        .args(["plugin", "exec", "g.yaml"])
        .current_dir(&plugin)
        .output()?;
    assert!(out.status.success(), "{}", describe(&out));
    let own = text(&out.stdout);
    assert!(
        own.contains(
            "  annotations:\n    kustomize.config.k8s.io/needs-hash: \"true\"\n  name: enc\n"
        ),
        "{own}"
    );
    let data = |s: &str| s[s.find("data:\n").unwrap()..s.find("kind: Secret").unwrap()].to_string();
    assert_eq!(data(&own), data(&text(&a.stdout)));
    Ok(())
}

/// A non-default `hash:` variant: secretgen suffixes the name itself (kustomize leaves it
/// alone) and warns that references will not be rewritten. kustomize shows a plugin's
/// stderr only when it fails, so the warning is seen when the plugin runs on its own.
fn non_default_hash_variant() -> Result<(), Failed> {
    let t = scenario("non-default-hash-variant")?;
    let (dir, home) = (t.path().join("k"), t.path().join("home"));
    install(&home);
    let out = kustomize(&dir, &home, &[], &[]);
    assert!(out.status.success(), "{}", describe(&out));
    let yaml = text(&out.stdout);
    // kubectl create secret --append-hash's suffix for the docs example (DESIGN.md).
    assert!(yaml.contains("  name: db-user-pass-677k89m24g\n"), "{yaml}");
    assert!(
        yaml.contains("name: db-user-pass\n"),
        "references stay unrewritten:\n{yaml}"
    );
    assert!(!yaml.contains("needs-hash"), "{yaml}");
    let own = Command::new(bin())
        .args(["plugin", "exec", "g.yaml"])
        .current_dir(&dir)
        .output()?;
    assert!(own.status.success(), "{}", describe(&own));
    assert!(
        text(&own.stderr).contains(
            "warning: g.yaml:1:1: hash variant `kubectl` is applied by secretgen, not kustomize: kustomize will not rewrite references to `db-user-pass`"
        ),
        "{}",
        describe(&own)
    );
    Ok(())
}

/// `plugin install` with only HOME set uses ~/.config/kustomize/plugin; with --plugin-home it
/// prints the command line that points kustomize there.
fn plugin_install_home_and_flag() -> Result<(), Failed> {
    let t = tempfile::tempdir()?;
    let out = Command::new(bin())
        .args(["plugin", "install"])
        .env_remove("KUSTOMIZE_PLUGIN_HOME")
        .env_remove("XDG_CONFIG_HOME")
        .env("HOME", t.path())
        .output()?;
    assert!(out.status.success(), "{}", describe(&out));
    let link = t
        .path()
        .join(".config/kustomize/plugin/secretgen.dev/v1/secretgenerator/SecretGenerator");
    assert_eq!(std::fs::read_link(&link)?, Path::new(bin()).canonicalize()?);
    assert_eq!(
        text(&out.stdout),
        "kubectl kustomize --enable-alpha-plugins DIR\n"
    );
    let dir = t.path().join("plugins");
    let out = Command::new(bin())
        .args(["plugin", "install", "--plugin-home"])
        .arg(&dir)
        .env("KUSTOMIZE_PLUGIN_HOME", t.path().join("elsewhere"))
        .output()?;
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        dir.join("secretgen.dev/v1/secretgenerator/SecretGenerator")
            .exists()
    );
    assert!(!t.path().join("elsewhere").exists());
    assert_eq!(
        text(&out.stdout),
        format!(
            "KUSTOMIZE_PLUGIN_HOME={} kubectl kustomize --enable-alpha-plugins DIR\n",
            dir.display()
        )
    );
    // Installing again replaces the link in place.
    let again = Command::new(bin())
        .args(["plugin", "install", "--plugin-home"])
        .arg(&dir)
        .output()?;
    assert!(again.status.success(), "{}", describe(&again));
    Ok(())
}

/// The KRM function by hand, as both hosts call it: `secretgen fn` and `secretgen` with no
/// arguments and a pipe on stdin give the same list; items pass through as text; the
/// local-config generator item is dropped, a generator without it kept.
fn krm_function_protocol() -> Result<(), Failed> {
    let t = scenario("krm-function-protocol")?;
    let resource_list = std::fs::read_to_string(t.path().join("resource-list.yaml"))?;
    let resource_list = resource_list.as_str();
    let run = |args: &[&str], input: &str| -> std::io::Result<Output> {
        use std::io::Write;
        let mut child = Command::new(bin())
            .args(args)
            .current_dir(t.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()?;
        child.stdin.take().unwrap().write_all(input.as_bytes())?;
        child.wait_with_output()
    };
    let explicit = run(&["fn"], resource_list)?;
    let auto = run(&[], resource_list)?;
    assert!(explicit.status.success(), "{}", describe(&explicit));
    assert_eq!(explicit.stdout, auto.stdout);
    let out = text(&explicit.stdout);
    let items_in = &resource_list[..resource_list
        .find("- apiVersion: secretgen.dev/v1")
        .unwrap()];
    assert!(out.starts_with(items_in), "items changed:\n{out}");
    let items_out = &out[..out.find("functionConfig:").unwrap()];
    assert!(
        !items_out.contains("kind: SecretGenerator\n  metadata:\n    name: db-user-pass\n"),
        "the local-config generator item was not dropped:\n{out}"
    );
    assert!(out.contains("    name: kept\n"), "{out}");
    // The functionConfig declares the function, as kustomize's form does: the Secret comes
    // under its plain name, marked for kustomize to add the suffix and rewrite references.
    assert!(
        out.contains("- apiVersion: v1\n  data:\n    password.txt: MWYyZDFlMmU2N2Rm\n    username.txt: YWRtaW4=\n  kind: Secret\n  metadata:\n    annotations:\n      kustomize.config.k8s.io/needs-hash: \"true\"\n    name: db-user-pass\n  type: Opaque\nfunctionConfig:\n"),
        "{out}"
    );
    // Without that declaration (kpt's --fn-config), the final name.
    let kpt_style = resource_list.replace(
        "      config.kubernetes.io/function: |\n        exec:\n          path: secretgen\n",
        "",
    );
    let kpt = run(&["fn"], &kpt_style)?;
    assert!(kpt.status.success(), "{}", describe(&kpt));
    assert!(
        text(&kpt.stdout).contains("- apiVersion: v1\n  data:\n    password.txt: MWYyZDFlMmU2N2Rm\n    username.txt: YWRtaW4=\n  kind: Secret\n  metadata:\n    annotations:\n      secretgen.dev/generated-by: db-user-pass\n    name: db-user-pass-gd995d5t92\n  type: Opaque\nfunctionConfig:\n"),
        "{}",
        text(&kpt.stdout)
    );
    assert!(
        out.ends_with("          path: secretgen\n  files:\n  - username.txt\n  - password.txt\n")
    );

    // Errors: in `results` with severity and file, items kept, exit 2.
    // As kpt sends it: the package's generator item carries its path, the functionConfig not.
    let broken = resource_list
        .replace("  - password.txt\n", "  - missing.txt\n")
        .replacen(
            "      config.kubernetes.io/local-config: \"true\"\n  files:",
            "      config.kubernetes.io/local-config: \"true\"\n      config.kubernetes.io/path: 'secrets/gen.yaml'\n  files:",
            1,
        );
    let failed = run(&["fn"], &broken)?;
    assert_eq!(failed.status.code(), Some(2), "{}", describe(&failed));
    let out = text(&failed.stdout);
    assert!(out.starts_with(items_in), "{out}");
    assert!(out.contains("results:\n- "), "{out}");
    assert!(out.contains("severity: error"), "{out}");
    assert!(out.contains("cannot read `missing.txt`"), "{out}");
    assert!(
        out.contains("results:\n- file:\n    path: secrets/gen.yaml\n  message: "),
        "the result names the generator's file:\n{out}"
    );
    Ok(())
}

pub fn trials() -> Vec<Trial> {
    let corpus = corpus_dir();
    let expect = std::fs::read_to_string(corpus.join("EXPECT.tsv")).expect("corpus EXPECT.tsv");
    let mut trials = vec![
        // Every trial below runs kubectl: its absence is one clear failure first.
        trial!("kubectl_is_installed", || {
            require("kubectl");
            Ok(())
        }),
        trial!(
            "plugin::matches_builtin_and_rewrites_references",
            plugin_matches_builtin,
        ),
        trial!("plugin::disable_name_suffix_hash", plugin_disable_hash),
        trial!("plugin::age_encrypted_input", plugin_with_age_input),
        trial!("plugin::overlay_merge", plugin_overlay_merge),
        trial!("plugin::failure_is_visible", plugin_failure_is_visible),
        trial!("plugin::install_locations", plugin_install_locations),
        trial!("plugin::repository_script", repository_plugin_script),
        trial!("kpt::fn_eval_appends_the_secret", kpt_fn_eval),
        trial!("kpt::fn_eval_is_idempotent", kpt_fn_eval_is_idempotent),
        trial!("kpt::fn_eval_reports_errors", kpt_fn_error),
        trial!(
            "plugin::repository_script_prefers_the_binary_beside_it",
            repository_script_prefers_the_binary_beside_it,
        ),
        trial!(
            "plugin::config_root_and_load_restrictor",
            config_root_and_load_restrictor,
        ),
        trial!("plugin::exact_builtin_encoding", exact_builtin_encoding),
        trial!("plugin::non_default_hash_variant", non_default_hash_variant),
        trial!(
            "plugin::install_home_and_flag",
            plugin_install_home_and_flag,
        ),
        trial!("fn::krm_function_protocol", krm_function_protocol),
        trial!(
            "kustomize::standalone_matches_builtin",
            standalone_kustomize_matches_builtin,
        ),
    ];
    let extra = extra_corpus_dir();
    let extra_expect = std::fs::read_to_string(extra.join("EXPECT.tsv")).expect("extra EXPECT.tsv");
    for (prefix, dir, expect) in [
        ("host", &corpus, &expect),
        ("extra-host", &extra, &extra_expect),
    ] {
        for line in expect.lines().filter(|l| !l.starts_with('#')) {
            let mut cols = line.split('\t');
            let (case, what) = (cols.next().unwrap_or(""), cols.next().unwrap_or(""));
            if what == "host" {
                let dir: PathBuf = dir.join("kustomize").join(case);
                let standalone = dir.clone();
                trials.push(trial!(format!("{prefix}::{case}"), move || {
                    host_case(&dir)
                }));
                trials.push(trial!(format!("standalone-{prefix}::{case}"), move || {
                    standalone_host_case(&standalone)
                },));
            }
        }
    }
    trials
}
