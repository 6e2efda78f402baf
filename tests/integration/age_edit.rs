//! `secretgen age edit` on a pseudo-terminal (`script`) with scripted editors: a change is
//! re-encrypted to the nearest `.age-recipients` (or `-R FILE`) in the file's own form; no
//! change, a failing editor and Ctrl-C leave the file as it was; the plaintext copy lives in
//! a 0700 directory as a 0600 file and is gone afterwards in every case; no terminal, no edit.

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::common;
use common::{isolate, run_ok, text, tool};

const CANARY: &str = "CANARY-e4a2-edit-plaintext";

/// Runs `secretgen age edit ARGS` on a pty with `editor` (a shell script body) as $EDITOR
/// and TMPDIR at `tmp`; `keys` typed after `delay_ms`.
fn edit_on_terminal(
    d: &Path,
    tmp: &Path,
    editor: &str,
    args: &str,
    keys: &[u8],
    delay_ms: u64,
) -> (Option<i32>, String) {
    let script = d.join("editor.sh");
    std::fs::write(&script, format!("#!/bin/sh\n{editor}\n")).unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let bin = env!("CARGO_BIN_EXE_secretgen");
    let mut c = Command::new("script");
    isolate(&mut c, d);
    c.args([
        "-qec",
        // `exec`: no shell in between that could take the Ctrl-C as its own and end with 130.
        &format!("exec {bin} age edit -i key.txt {args}"),
        "/dev/null",
    ])
    .env("EDITOR", &script)
    .env_remove("VISUAL")
    .env("TMPDIR", tmp)
    .env("LOG", d.join("editor.log"))
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = c.spawn().expect("`script` (util-linux) is required");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        stdin.write_all(keys).unwrap();
        // Keep the terminal open until the run ends.
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        format!("{}{}", text(&out.stdout), text(&out.stderr)),
    )
}

fn go_decrypt(d: &Path, file: &Path) -> String {
    let mut c = tool("age");
    c.arg("-d").arg("-i").arg(d.join("key.txt")).arg(file);
    text(&run_ok(c).stdout)
}

fn setup() -> (tempfile::TempDir, String) {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let mut c = tool("age-keygen");
    c.arg("-o").arg(d.join("key.txt"));
    run_ok(c);
    let mut c = tool("age-keygen");
    c.arg("-y").arg(d.join("key.txt"));
    let recipient = text(&run_ok(c).stdout).trim().to_string();
    std::fs::create_dir_all(d.join("secrets/deep")).unwrap();
    std::fs::create_dir_all(d.join("tmp")).unwrap();
    std::fs::write(d.join(".age-recipients"), format!("{recipient}\n")).unwrap();
    std::fs::write(d.join("p.txt"), CANARY).unwrap();
    for (name, armor) in [("a.age", true), ("b.age", false)] {
        let mut c = tool("age");
        if armor {
            c.arg("-a");
        }
        c.args(["-r", &recipient, "-o"])
            .arg(d.join("secrets/deep").join(name))
            .arg(d.join("p.txt"));
        run_ok(c);
    }
    (t, recipient)
}

fn tmp_is_empty(tmp: &Path) -> bool {
    std::fs::read_dir(tmp).unwrap().next().is_none()
}

#[test]
fn changed_content_is_reencrypted_in_its_form() {
    let (t, _) = setup();
    let d = t.path();
    let tmp = d.join("tmp");
    // The editor records the modes of its copy and directory, checks it got the plaintext,
    // and writes the new value.
    let editor = format!(
        "stat -c '%a' \"$1\" \"$(dirname \"$1\")\" > \"$LOG\"\ngrep -q {CANARY} \"$1\" || exit 9\nprintf 'NEW-VALUE' > \"$1\""
    );
    // Go age wrote both files: nothing says what they are encrypted to.
    let check = || {
        let mut c = common::secretgen_in(d);
        c.args(["check", "--recipients", "secrets"]);
        c.output().unwrap()
    };
    let before = check();
    assert_eq!(before.status.code(), Some(1), "{}", text(&before.stderr));
    assert!(text(&before.stdout).contains("cannot tell"));
    for name in ["a.age", "b.age"] {
        let file = d.join("secrets/deep").join(name);
        let (code, screen) =
            edit_on_terminal(d, &tmp, &editor, &format!("secrets/deep/{name}"), b"", 0);
        assert_eq!(code, Some(0), "{screen}");
        assert!(!screen.contains(CANARY), "{screen}");
        let modes = std::fs::read_to_string(d.join("editor.log")).unwrap();
        assert_eq!(modes, "600\n700\n");
        assert_eq!(go_decrypt(d, &file), "NEW-VALUE");
        let armored = std::fs::read(&file)
            .unwrap()
            .starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----");
        assert_eq!(armored, name == "a.age", "{name} changed form");
        assert!(tmp_is_empty(&tmp), "plaintext left behind");
    }
    // Re-encrypted by the edit, recorded: they follow `.age-recipients`.
    let after = check();
    assert_eq!(after.status.code(), Some(0), "{}", text(&after.stdout));
    // -R FILE names other recipients.
    let mut c = tool("age-keygen");
    c.arg("-o").arg(d.join("other.txt"));
    run_ok(c);
    let mut c = tool("age-keygen");
    c.arg("-y").arg(d.join("other.txt"));
    std::fs::write(d.join("other.pub"), run_ok(c).stdout).unwrap();
    let (code, screen) = edit_on_terminal(
        d,
        &tmp,
        "printf 'OTHER' > \"$1\"",
        "-R other.pub secrets/deep/a.age",
        b"",
        0,
    );
    assert_eq!(code, Some(0), "{screen}");
    let mut c = tool("age");
    c.arg("-d")
        .arg("-i")
        .arg(d.join("other.txt"))
        .arg(d.join("secrets/deep/a.age"));
    assert_eq!(text(&run_ok(c).stdout), "OTHER");
    assert!(tmp_is_empty(&tmp));
    // ... and the record says so.
    let other = check();
    assert_eq!(other.status.code(), Some(1));
    assert!(
        text(&other.stdout).contains("secrets/deep/a.age: recipients differ from "),
        "{}",
        text(&other.stdout)
    );
}

/// (name, editor script, keys typed, delay before typing in ms, exit code, message).
type Case = (
    &'static str,
    &'static str,
    &'static [u8],
    u64,
    i32,
    &'static str,
);

#[test]
fn unchanged_failing_and_interrupted_edits_leave_the_file() {
    let (t, _) = setup();
    let d = t.path();
    let tmp = d.join("tmp");
    let file = d.join("secrets/deep/a.age");
    let before = std::fs::read(&file).unwrap();
    let inode = std::fs::metadata(&file).unwrap().ino();
    let cases: [Case; 3] = [
        ("unchanged", "true", b"", 0, 0, "unchanged"),
        (
            "failing",
            "printf 'HALF' > \"$1\"; exit 3",
            b"",
            0,
            2,
            "the editor",
        ),
        (
            "interrupted",
            "printf 'HALF' > \"$1\"; echo started > \"$LOG\"; sleep 20",
            b"\x03",
            1500,
            2,
            "interrupted",
        ),
    ];
    for (name, editor, keys, delay, want_code, want_msg) in cases {
        let (code, screen) = edit_on_terminal(d, &tmp, editor, "secrets/deep/a.age", keys, delay);
        assert_eq!(code, Some(want_code), "{name}: {screen}");
        assert!(screen.contains(want_msg), "{name}: {screen}");
        assert!(!screen.contains(CANARY), "{name}: {screen}");
        assert_eq!(
            std::fs::read(&file).unwrap(),
            before,
            "{name}: file changed"
        );
        assert_eq!(
            std::fs::metadata(&file).unwrap().ino(),
            inode,
            "{name}: file replaced"
        );
        assert!(tmp_is_empty(&tmp), "{name}: plaintext left behind");
    }
}

#[test]
fn refused_without_a_terminal_or_recipients() {
    let (t, _) = setup();
    let d = t.path();
    let mut c = Command::new(env!("CARGO_BIN_EXE_secretgen"));
    isolate(&mut c, d);
    c.args(["age", "edit", "-i", "key.txt", "secrets/deep/a.age"])
        .env("EDITOR", "true")
        .env("TMPDIR", d.join("tmp"))
        .stdin(Stdio::null());
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(
        text(&out.stderr).contains("`age edit` needs a terminal"),
        "{}",
        text(&out.stderr)
    );
    // No .age-recipients anywhere up the tree (outside the test's directory there may be
    // none either way: the file is moved to a fresh directory under TMPDIR's parent).
    std::fs::remove_file(d.join(".age-recipients")).unwrap();
    let (code, screen) = edit_on_terminal(
        d,
        &d.join("tmp"),
        "printf 'X' > \"$1\"",
        "secrets/deep/a.age",
        b"",
        0,
    );
    if !Path::new("/.age-recipients").exists() {
        assert_eq!(code, Some(2), "{screen}");
        assert!(screen.contains("no recipients for"), "{screen}");
    }
    assert!(tmp_is_empty(&d.join("tmp")));
}
