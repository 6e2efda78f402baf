//! What packaging relies on: `--version` with commit and date, the completion scripts and man
//! pages generated from the command-line definitions, `schema` printing the repository's
//! schema file, and `plugin install --bin-dir` filling a volume as an init container does.

use crate::common;

use std::path::Path;
use std::process::Command;

use common::{run_ok, secretgen};

fn stdout(c: Command) -> String {
    String::from_utf8(run_ok(c).stdout).unwrap()
}

#[test]
fn version_shows_version_commit_and_build_date() {
    for flag in ["--version", "-V"] {
        let mut c = secretgen();
        c.arg(flag);
        let out = stdout(c);
        let rest = out
            .strip_prefix(&format!("secretgen {} (commit ", env!("CARGO_PKG_VERSION")))
            .unwrap_or_else(|| panic!("{out}"));
        let (commit, date) = rest
            .trim_end_matches(")\n")
            .split_once(", built ")
            .unwrap_or_else(|| panic!("{out}"));
        assert!(
            commit == "unknown"
                || (commit.len() == 12 && commit.bytes().all(|b| b.is_ascii_hexdigit())),
            "{out}"
        );
        let d: Vec<&str> = date.split('-').collect();
        assert!(
            d.len() == 3
                && [4, 2, 2]
                    .iter()
                    .zip(&d)
                    .all(|(n, p)| p.len() == *n && p.bytes().all(|b| b.is_ascii_digit())),
            "{out}"
        );
    }
    // The fast path (the flag alone) prints what clap prints (the flag among others).
    let mut fast = secretgen();
    fast.arg("--version");
    let mut clap = secretgen();
    clap.args(["--version", "render"]);
    assert_eq!(stdout(fast), stdout(clap));
}

/// From a checkout with git, the commit is HEAD's.
#[test]
fn version_names_the_checked_out_commit() {
    let head = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output();
    let Some(head) = head.ok().filter(|o| o.status.success()) else {
        eprintln!("skipped: not a git checkout");
        return;
    };
    let head = String::from_utf8(head.stdout).unwrap();
    let mut c = secretgen();
    c.arg("--version");
    let out = stdout(c);
    assert!(
        out.contains(&format!("(commit {}, ", head.trim())),
        "{out} (rebuild after a commit: build.rs reruns when HEAD moves)"
    );
}

#[test]
fn schema_prints_the_repository_file() {
    let mut c = secretgen();
    c.arg("schema");
    let printed = run_ok(c).stdout;
    let file =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/secretgenerator.json"))
            .unwrap();
    assert_eq!(printed, file);
}

/// The bash script loads in a clean bash, registers `_secretgen` and completes a subcommand
/// and a nested one.
#[test]
fn bash_completion_loads_and_completes_subcommands() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("secretgen.bash");
    let mut c = secretgen();
    c.args(["completions", "bash"]);
    std::fs::write(&script, run_ok(c).stdout).unwrap();
    let probe = r#"
        source "$1" || exit 3
        complete -p secretgen || exit 4
        COMP_WORDS=(secretgen ren); COMP_CWORD=1
        _secretgen secretgen ren secretgen
        echo "top: ${COMPREPLY[*]}"
        COMP_WORDS=(secretgen plugin ins); COMP_CWORD=2
        _secretgen secretgen ins plugin
        echo "plugin: ${COMPREPLY[*]}"
        COMP_WORDS=(secretgen completions ""); COMP_CWORD=2
        _secretgen secretgen "" completions
        echo "shells: ${COMPREPLY[*]}"
    "#;
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", probe, "bash"])
        .arg(&script)
        .output()
        .expect("bash");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("complete -o bashdefault -o default -o nosort -F _secretgen secretgen"),
        "{text}"
    );
    assert!(text.contains("top: render\n"), "{text}");
    assert!(text.contains("plugin: install\n"), "{text}");
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        assert!(
            text.lines()
                .any(|l| l.starts_with("shells: ") && l.split(' ').any(|w| w == shell)),
            "{shell}: {text}"
        );
    }
}

#[test]
fn every_shell_gets_a_script() {
    for (shell, marker) in [
        ("zsh", "#compdef secretgen"),
        ("fish", "complete -c secretgen"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[secretgen]"),
    ] {
        let mut c = secretgen();
        c.args(["completions", shell]);
        let out = stdout(c);
        assert!(out.contains(marker), "{shell}: {out}");
        assert!(out.contains("render"), "{shell}");
    }
    let mut c = secretgen();
    c.args(["completions", "tcsh"]);
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}

#[test]
fn man_pages_for_the_command_and_each_subcommand() {
    let mut c = secretgen();
    c.arg("man");
    let page = stdout(c);
    assert!(page.contains(".TH secretgen 1 "), "{page}");
    assert!(page.contains("render"), "{page}");

    let dir = tempfile::tempdir().unwrap();
    let mut c = secretgen();
    c.args(["man", "--dir"]).arg(dir.path());
    run_ok(c);
    for name in [
        "secretgen.1",
        "secretgen-render.1",
        "secretgen-plugin-install.1",
        "secretgen-create-generic.1",
        "secretgen-schema.1",
    ] {
        let text = std::fs::read_to_string(dir.path().join(name))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(text.contains(".TH "), "{name}");
    }
    // Written from the build date, not today's: the same bytes on every run.
    let mut again = secretgen();
    again.arg("man");
    assert_eq!(stdout(again), page);
    // `man` itself reads the page (where man is installed).
    if let Ok(out) = Command::new("man")
        .arg(dir.path().join("secretgen-render.1"))
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .output()
        && out.status.success()
    {
        assert!(String::from_utf8_lossy(&out.stdout).contains("render"));
    }
}

/// An init container `FROM scratch` has no `cp`: the binary copies itself into the shared
/// volume and links the plugin to that copy, which runs as kustomize's plugin.
#[test]
fn plugin_install_bin_dir_copies_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let vol = dir.path().join("custom-tools");
    let mut c = secretgen();
    c.args(["plugin", "install", "--bin-dir"])
        .arg(&vol)
        .arg("--plugin-home")
        .arg(vol.join("plugin"));
    run_ok(c);
    let copy = vol.join("secretgen");
    assert_eq!(
        std::fs::read(&copy).unwrap(),
        std::fs::read(env!("CARGO_BIN_EXE_secretgen")).unwrap()
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&copy).unwrap().permissions().mode() & 0o777,
            0o755
        );
    }
    let plugin = vol.join("plugin/secretgen.dev/v1/secretgenerator/SecretGenerator");
    assert_eq!(std::fs::read_link(&plugin).unwrap(), copy);
    // The plugin, as kustomize calls it.
    let config = dir.path().join("gen.yaml");
    std::fs::write(
        &config,
        "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: s\nliterals:\n- k=v\n",
    )
    .unwrap();
    let mut c = Command::new(&plugin);
    c.arg(&config).current_dir(dir.path());
    let out = stdout(c);
    assert!(
        out.contains("kind: Secret") && out.contains("name: s\n"),
        "{out}"
    );
}
