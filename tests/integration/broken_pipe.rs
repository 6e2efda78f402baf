//! A reader that goes away is not an error: `secretgen render | head -1` exits 0 with
//! nothing on stderr, as ripgrep does, instead of "cannot write: Broken pipe" and exit 2.

use std::process::Stdio;

use crate::common;
use common::{secretgen_in, text};

#[test]
fn render_into_a_closed_pipe_exits_quietly() {
    let t = tempfile::tempdir().unwrap();
    // Enough output (about 1 MB) that it cannot all sit in the pipe's buffer.
    let mut gens = String::new();
    for i in 0..2000 {
        gens.push_str(&format!(
            "---\napiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: s{i}\nliterals:\n- k={}\n",
            "v".repeat(300)
        ));
    }
    std::fs::write(t.path().join("gen.yaml"), gens).unwrap();
    for args in [
        &["render", "gen.yaml"][..],
        &["hash", "--explain", "gen.yaml"][..],
    ] {
        let mut child = secretgen_in(t.path())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // `head -1`: read a little, then close.
        let mut out = child.stdout.take().unwrap();
        let mut first = [0u8; 16];
        std::io::Read::read_exact(&mut out, &mut first).unwrap();
        drop(out);
        let done = child.wait_with_output().unwrap();
        assert_eq!(
            done.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&done.stderr)
        );
        assert_eq!(text(&done.stderr), "", "{args:?}");
    }
}

/// A run whose caller closed a standard descriptor (`secretgen render >&-`) works as any
/// program std starts does: the entry point puts /dev/null in its place, so the first file
/// opened does not take it (and nothing printed lands in a file being written).
#[test]
fn a_closed_standard_descriptor_is_not_given_to_a_file() {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(
        t.path().join("kustomization.yaml"),
        "secretGenerator:\n- name: s\n  literals:\n  - k=v\n",
    )
    .unwrap();
    for (closed, redirect) in [("stdout", ">&-"), ("stdin", "<&-"), ("both", ">&- <&-")] {
        let done = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("exec \"$0\" render . {redirect}"))
            .arg(env!("CARGO_BIN_EXE_secretgen"))
            .current_dir(t.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(
            done.status.code(),
            Some(0),
            "{closed}: {}",
            text(&done.stderr)
        );
        assert_eq!(text(&done.stderr), "", "{closed}");
        let kept = std::fs::read_to_string(t.path().join("kustomization.yaml")).unwrap();
        assert!(!kept.contains("kind: Secret"), "{closed}: {kept}");
    }
}
