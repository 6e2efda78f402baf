//! secretgen in KSOPS' place under real kustomize (the pinned v5.8.1).
//!
//! Every case of `testdata/ksops` (KSOPS' own `test/legacy/*` and `test/krm/*`, re-encrypted
//! to an age test key, and our own) is built with secretgen installed by `plugin install
//! --ksops` as the legacy exec plugin and as `ksops` on PATH for the KRM function, and must
//! print exactly the `want.yaml` that `testdata/ksops/record.sh` recorded from real KSOPS.
//! With `KSOPS_BIN` set, the same builds also run with real KSOPS to check the recordings.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use libtest_mimic::{Arguments, Failed, Trial};

mod common;
use common::{canary_forms, describe, materialize, text};

fn ksops_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/ksops")
}

fn cases() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for group in ["legacy", "krm", "ours"] {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(ksops_dir().join(group))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.join("want.yaml").is_file())
            .collect();
        dirs.sort();
        out.extend(dirs);
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

fn kustomize_build(host: &Host, dir: &Path, key: Option<&Path>) -> Output {
    let mut c = common::tool("kustomize");
    common::isolate(&mut c, dir);
    let mut path = std::ffi::OsString::from(&host.bin);
    path.push(":");
    path.push(common::path_with_tools());
    c.args(["build", "--enable-alpha-plugins", "--enable-exec", "."])
        .env("PATH", path)
        .env("KUSTOMIZE_PLUGIN_HOME", &host.home);
    if let Some(key) = key {
        c.env("SOPS_AGE_KEY_FILE", key);
    }
    c.output().unwrap()
}

fn check_case(case: &Path, exe: Option<&Path>) -> Result<(), Failed> {
    let want = std::fs::read(case.join("want.yaml")).unwrap();
    let dir = materialize(case);
    let host = host_with(exe);
    let out = kustomize_build(&host, dir.path(), Some(&ksops_dir().join("key.txt")));
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
    let group = case
        .parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy();
    format!("{group}/{}", case.file_name().unwrap().to_string_lossy())
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
    let mut sops = common::tool("sops");
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
/// the rule, exit 2, and no value in the message.
fn refuses_what_the_api_server_refuses() -> Result<(), Failed> {
    let canary = "c4naryVal9d2eQ";
    for (krm, env, rule) in [
        (
            false,
            format!("BAD KEY={canary}\n"),
            "key `BAD KEY` is not a valid Secret key",
        ),
        (
            true,
            format!("BAD KEY={canary}\n"),
            "key `BAD KEY` is not a valid Secret key",
        ),
        // A bare word at the end of the file is godotenv's value of the empty key.
        (
            false,
            format!("A=1\n{canary}"),
            "key `` is not a valid Secret key",
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
        let out = kustomize_build(
            &host_with(None),
            dir.path(),
            Some(&ksops_dir().join("key.txt")),
        );
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

fn main() {
    let args = Arguments::from_args();
    let mut trials = Vec::new();
    let real = std::env::var_os("KSOPS_BIN").map(PathBuf::from);
    for case in cases() {
        let name = case_name(&case);
        let c = case.clone();
        trials.push(Trial::test(
            format!("secretgen_as_ksops::{name}"),
            move || check_case(&c, None),
        ));
        let c = case.clone();
        let real = real.clone();
        let ignored = real.is_none();
        trials.push(
            Trial::test(
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
    trials.push(Trial::test(
        "refuses_what_the_api_server_refuses",
        refuses_what_the_api_server_refuses,
    ));
    trials.push(Trial::test(
        "missing_key_is_an_error",
        missing_key_is_an_error,
    ));
    libtest_mimic::run(&args, trials).exit();
}
