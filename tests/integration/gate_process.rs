//! The one runner of external processes (`gate::process`), seen from outside: key commands
//! (`SOPS_AGE_KEY_CMD`, `SOPS_AGE_SSH_PRIVATE_KEY_CMD`) and age plugins that never answer are
//! stopped after the run's timeout with an error naming them (exit 2, nothing on stdout); a
//! flooding command is stopped at 1 MiB within a memory bound; `--process-timeout 0` lifts the
//! limit; nothing a command printed is echoed. Every run here is detached from any terminal
//! (`setsid -w`), as under kustomize or CI, where the timeout applies; every hanging command
//! sleeps a bounded time, so that a regression fails on the elapsed time instead of hanging.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common;
use common::{canary_forms, isolate, text};

use age::secrecy::ExposeSecret;

const CANARY: &str = "CANARY-9c41-process-output";
/// Well above the 1 s timeout the tests set, well below the 60 s the hanging commands sleep.
const BOUND: Duration = Duration::from_secs(20);

struct Repo {
    _t: tempfile::TempDir,
    d: PathBuf,
    /// The X25519 identity the input is encrypted to, as an identity file's text.
    key: String,
}

/// A generator whose one input is an age file encrypted to a fresh X25519 key, and a `bin`
/// directory with `age-plugin-hang`, a plugin that never answers.
fn repo() -> Repo {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().to_path_buf();
    let id = age::x25519::Identity::generate();
    let ct = age::encrypt(&id.to_public(), b"s3cret").unwrap();
    std::fs::write(d.join("p.age"), ct).unwrap();
    std::fs::write(
        d.join("gen.yaml"),
        "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: s\nfiles:\n- p=p.age\n",
    )
    .unwrap();
    let key = format!("{}\n", id.to_string().expose_secret());
    std::fs::write(d.join("key.txt"), &key).unwrap();
    let bin = d.join("bin");
    std::fs::create_dir(&bin).unwrap();
    // Reads nothing, answers nothing; its child holds the pipes too (a group to kill).
    write_exec(
        &bin.join("age-plugin-hang"),
        "#!/bin/sh\nsleep 60\necho late\n",
    );
    std::fs::write(
        d.join("hang.txt"),
        format!(
            "{}\n",
            age::plugin::Identity::default_for_plugin("hang").unwrap()
        ),
    )
    .unwrap();
    Repo { _t: t, d, key }
}

fn write_exec(path: &Path, script: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, script).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// PATH with the test's `bin` (its plugins) first.
fn path_with_bin(d: &Path) -> std::ffi::OsString {
    let mut dirs = vec![d.join("bin")];
    dirs.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap()));
    std::env::join_paths(dirs).unwrap()
}

/// `program ARGS` in a new session without a controlling terminal, in `d`, stdin empty,
/// `SECRETGEN_PROCESS_TIMEOUT=1` unless `envs` says otherwise; with how long it took.
fn detached(d: &Path, program: &Path, args: &[&str], envs: &[(&str, &str)]) -> (Output, Duration) {
    let mut c = Command::new("setsid");
    isolate(&mut c, d);
    c.arg("-w")
        .arg(program)
        .args(args)
        .env("PATH", path_with_bin(d))
        .env("SECRETGEN_PROCESS_TIMEOUT", "1")
        .env_remove("SECRETGEN_AGE_IDENTITY_FILE")
        .stdin(Stdio::null());
    for (k, v) in envs {
        c.env(k, v);
    }
    let start = Instant::now();
    let out = c.output().unwrap();
    (out, start.elapsed())
}

fn secretgen(d: &Path, args: &[&str], envs: &[(&str, &str)]) -> (Output, Duration) {
    detached(d, Path::new(env!("CARGO_BIN_EXE_secretgen")), args, envs)
}

/// Exit 2, nothing on stdout, within the bound, a message holding `needles` and no form of
/// the canary.
fn assert_refused(what: &str, (out, took): &(Output, Duration), needles: &[&str]) {
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{what}: {err}");
    assert!(out.stdout.is_empty(), "{what}: {}", text(&out.stdout));
    assert!(*took < BOUND, "{what}: took {took:?}: {err}");
    for n in needles {
        assert!(err.contains(n), "{what}: `{n}` not in: {err}");
    }
    for form in canary_forms(CANARY) {
        assert!(!err.contains(&form), "{what}: echoed output: {err}");
    }
}

#[test]
fn a_key_command_that_never_ends_is_stopped_and_named() {
    let r = repo();
    // The shell's child holds the pipes: only killing the group ends the read.
    let cmd = format!("sh -c 'echo {CANARY}; sleep 60'");
    for var in ["SOPS_AGE_KEY_CMD", "SOPS_AGE_SSH_PRIVATE_KEY_CMD"] {
        let run = secretgen(&r.d, &["render", "gen.yaml"], &[(var, &cmd)]);
        assert_refused(
            var,
            &run,
            &[var, "`sh` did not finish within 1 s and was stopped"],
        );
    }
    // The flag sets it as the variable does.
    let run = secretgen(
        &r.d,
        &["render", "gen.yaml", "--process-timeout", "1"],
        &[
            ("SOPS_AGE_KEY_CMD", &cmd),
            ("SECRETGEN_PROCESS_TIMEOUT", ""),
        ],
    );
    assert_refused("--process-timeout 1", &run, &["did not finish within 1 s"]);
}

#[test]
fn a_flooding_key_command_is_stopped_at_one_mebibyte_in_bounded_memory() {
    let r = repo();
    // 800 MB of address space: the old reader died at the cap after gigabytes.
    let limited = [
        "-c",
        "ulimit -v 800000 && exec \"$0\" \"$@\"",
        env!("CARGO_BIN_EXE_secretgen"),
        "render",
        "gen.yaml",
    ];
    let run = detached(
        &r.d,
        Path::new("sh"),
        &limited,
        &[("SOPS_AGE_KEY_CMD", &format!("yes {CANARY}"))],
    );
    assert_refused(
        "yes",
        &run,
        &[
            "SOPS_AGE_KEY_CMD",
            "`yes` printed more than 1 MiB and was stopped",
        ],
    );
}

#[test]
fn a_zero_timeout_lets_a_slow_command_finish() {
    let r = repo();
    let cmd = "sh -c 'sleep 2; cat key.txt'";
    // Held to 1 s, it is stopped...
    let run = secretgen(&r.d, &["render", "gen.yaml"], &[("SOPS_AGE_KEY_CMD", cmd)]);
    assert_refused("1 s", &run, &["did not finish within 1 s"]);
    // ...with no limit (the flag over the variable, or the variable), it gives the key.
    for (args, timeout) in [
        (&["render", "gen.yaml", "--process-timeout", "0"][..], "1"),
        (&["render", "gen.yaml"][..], "0"),
    ] {
        let (out, _) = secretgen(
            &r.d,
            args,
            &[
                ("SOPS_AGE_KEY_CMD", cmd),
                ("SECRETGEN_PROCESS_TIMEOUT", timeout),
            ],
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(
            text(&out.stdout).contains("czNjcmV0"),
            "{}",
            text(&out.stdout)
        );
    }
    // A value that is not a number of seconds is refused, naming the variable.
    let (out, _) = secretgen(
        &r.d,
        &["render", "gen.yaml"],
        &[("SECRETGEN_PROCESS_TIMEOUT", "soon")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("SECRETGEN_PROCESS_TIMEOUT"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_failing_key_command_is_named_without_its_output() {
    let r = repo();
    // What it prints on stdout may be key material: never repeated.
    let cmd = format!("sh -c 'echo AGE-SECRET-KEY-{CANARY}; echo {CANARY}; exit 3'");
    let run = secretgen(&r.d, &["render", "gen.yaml"], &[("SOPS_AGE_KEY_CMD", &cmd)]);
    assert_refused(
        "exit 3",
        &run,
        &["SOPS_AGE_KEY_CMD", "`sh` failed (exit status: 3)"],
    );
    // The key command still works when it succeeds (the runner changes nothing else).
    let good = "sh -c 'echo \"$SOPS_AGE_RECIPIENT\" >/dev/null; cat key.txt'";
    let (out, _) = secretgen(&r.d, &["render", "gen.yaml"], &[("SOPS_AGE_KEY_CMD", good)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!r.key.is_empty());
}

#[test]
fn a_plugin_that_never_answers_is_stopped_in_every_mode() {
    let r = repo();
    let needles = [
        "the age plugin `age-plugin-hang` did not finish within 1 s and was stopped",
        "p.age",
    ];
    // Decrypting: `age decrypt`, `render`, and the exec plugin as kustomize calls it.
    let run = secretgen(&r.d, &["age", "decrypt", "-i", "hang.txt", "p.age"], &[]);
    assert_refused("age decrypt", &run, &needles);
    let run = secretgen(&r.d, &["render", "gen.yaml", "-i", "hang.txt"], &[]);
    assert_refused("render", &run, &needles);
    let exec = r.d.join("bin/SecretGenerator");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_secretgen"), &exec).unwrap();
    let identity = r.d.join("hang.txt");
    let run = detached(
        &r.d,
        &exec,
        &[r.d.join("gen.yaml").to_str().unwrap()],
        &[("SECRETGEN_AGE_IDENTITY_FILE", identity.to_str().unwrap())],
    );
    assert_refused("exec plugin", &run, &needles);

    // The KRM function, as kpt or kustomize runs a bare `secretgen`: the reason in results.
    let list = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nfunctionConfig:\n  apiVersion: secretgen.dev/v1\n  kind: SecretGenerator\n  metadata:\n    name: s\n  files:\n  - p=p.age\n";
    let mut c = Command::new("setsid");
    isolate(&mut c, &r.d);
    c.arg("-w")
        .arg(env!("CARGO_BIN_EXE_secretgen"))
        .env("PATH", path_with_bin(&r.d))
        .env("SECRETGEN_PROCESS_TIMEOUT", "1")
        .env("SECRETGEN_AGE_IDENTITY_FILE", identity.to_str().unwrap());
    let start = Instant::now();
    let out = common::with_stdin(c, list.as_bytes());
    let took = start.elapsed();
    // The YAML string folds long lines: compare word by word.
    let results = text(&out.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert_eq!(out.status.code(), Some(2), "KRM: {results}");
    assert!(took < BOUND, "KRM: took {took:?}");
    assert!(
        results.contains("`age-plugin-hang` did not finish within 1 s"),
        "KRM: {results}"
    );

    // Encrypting to the plugin's recipient.
    std::fs::write(r.d.join("plain.txt"), "x").unwrap();
    let hrp = bech32::Hrp::parse("age1hang").unwrap();
    let recipient = age_core::primitives::bech32_encode(hrp, b"key");
    let run = secretgen(
        &r.d,
        &[
            "age",
            "encrypt",
            "-r",
            &recipient,
            "-o",
            "out.age",
            "plain.txt",
        ],
        &[],
    );
    assert_refused(
        "age encrypt",
        &run,
        &["the age plugin `age-plugin-hang` did not finish within 1 s"],
    );
    assert!(!r.d.join("out.age").exists());
}

/// A plugin that floods its stdout is stopped at 1 MiB like a key command.
#[test]
fn a_flooding_plugin_is_stopped() {
    let r = repo();
    write_exec(
        &r.d.join("bin/age-plugin-flood"),
        &format!("#!/bin/sh\necho '-> msg'\nexec yes {}\n", "A".repeat(64)),
    );
    std::fs::write(
        r.d.join("flood.txt"),
        format!(
            "{}\n",
            age::plugin::Identity::default_for_plugin("flood").unwrap()
        ),
    )
    .unwrap();
    let run = secretgen(&r.d, &["age", "decrypt", "-i", "flood.txt", "p.age"], &[]);
    assert_refused(
        "flood",
        &run,
        &["the age plugin `age-plugin-flood` printed more than 1 MiB and was stopped"],
    );
}

/// With a terminal, a user can answer (a PIN, a touch): nothing is stopped, whatever the
/// timeout says.
#[test]
fn with_a_terminal_a_slow_command_is_not_stopped() {
    let r = repo();
    let mut c = Command::new("script");
    isolate(&mut c, &r.d);
    let bin = env!("CARGO_BIN_EXE_secretgen");
    c.args([
        "-qec",
        &format!("{bin} render gen.yaml > out.yaml"),
        "/dev/null",
    ])
    .env("SECRETGEN_PROCESS_TIMEOUT", "1")
    .env("SOPS_AGE_KEY_CMD", "sh -c 'sleep 2; cat key.txt'")
    .stdin(Stdio::null());
    let out = c.output().expect("`script` (util-linux) is required");
    assert!(out.status.success(), "{}", text(&out.stdout));
    let rendered = std::fs::read_to_string(r.d.join("out.yaml")).unwrap();
    assert!(rendered.contains("czNjcmV0"), "{rendered}");
}

/// A key command the runner stopped is not run again for the file's next recipient (two
/// `age` entries, each of which would wait out the timeout again).
#[test]
fn a_stopped_key_command_is_not_run_again() {
    let r = repo();
    let other = age::x25519::Identity::generate().to_public().to_string();
    let mine = {
        let line = r.key.trim();
        let id: age::x25519::Identity = line.parse().unwrap();
        id.to_public().to_string()
    };
    std::fs::write(r.d.join("app.env"), format!("PASSWORD={CANARY}\n")).unwrap();
    std::fs::write(r.d.join("empty.yaml"), "{}\n").unwrap();
    let out = common::tool("sops")
        .current_dir(&r.d)
        .args(["--config", "empty.yaml", "encrypt", "--age"])
        .arg(format!("{mine},{other}"))
        .args(["--output", "app.sops.env", "app.env"])
        .output()
        .unwrap();
    assert!(out.status.success(), "sops: {}", text(&out.stderr));
    std::fs::write(
        r.d.join("sops.yaml"),
        "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: s\nenvs:\n- app.sops.env\n",
    )
    .unwrap();
    let run = secretgen(
        &r.d,
        &["render", "sops.yaml"],
        &[("SOPS_AGE_KEY_CMD", "sh -c 'echo run >> runs.txt; sleep 60'")],
    );
    assert_refused(
        "sops",
        &run,
        &["SOPS_AGE_KEY_CMD", "did not finish within 1 s"],
    );
    let runs = std::fs::read_to_string(r.d.join("runs.txt")).unwrap();
    assert_eq!(runs.lines().count(), 1, "{runs}");
}
