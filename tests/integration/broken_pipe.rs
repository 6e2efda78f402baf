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
