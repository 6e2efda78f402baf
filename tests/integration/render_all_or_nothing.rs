//! `render -o` is all or nothing: when a write fails part-way (a full disk, a path that
//! cannot be a directory), the output directory is left exactly as it was, with no
//! temporary file; two `render -o DIR --prune` at once leave the result of one of them,
//! never the union of both.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common;
use common::{describe, isolate};

/// `count` generators with fixed names `{prefix}{i}` (no hash), alternating between the
/// namespaces `prod` and `staging`, each holding `size` bytes that depend on `v`.
fn sources(src: &Path, prefix: &str, count: usize, size: usize, v: u8) {
    std::fs::create_dir_all(src).unwrap();
    let mut m = String::new();
    for i in 0..count {
        let ns = if i % 2 == 0 { "prod" } else { "staging" };
        m.push_str(&format!(
            "---\napiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: {prefix}{i}\n  namespace: {ns}\noptions:\n  disableNameSuffixHash: true\nfiles:\n- blob=b{i}.bin\n"
        ));
        let body: Vec<u8> = (0..size)
            .map(|j| b'a' + ((i * 3 + j + v as usize * 7) % 26) as u8)
            .collect();
        std::fs::write(src.join(format!("b{i}.bin")), body).unwrap();
    }
    std::fs::write(src.join("secretgen.yaml"), m).unwrap();
}

fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    if !dir.exists() {
        return BTreeMap::new();
    }
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap().to_path_buf();
            (rel, std::fs::read(e.path()).unwrap())
        })
        .collect()
}

fn render(cwd: &Path, src: &str, out: &Path, prune: bool) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_secretgen"));
    isolate(&mut c, cwd);
    c.args(["render", src, "-o"]).arg(out);
    if prune {
        c.arg("--prune");
    }
    c.output().unwrap()
}

#[test]
fn a_failed_write_changes_nothing() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let out = d.join("out");
    sources(&d.join("v0"), "s", 20, 1024, 0);
    let first = render(d, "v0", &out, false);
    assert!(first.status.success(), "{}", describe(&first));
    let before = files(&out);
    assert_eq!(before.len(), 20);
    // The next version changes every value and adds a Secret in namespace `zz`, where the
    // output directory holds a plain file of that name: `prod` and `staging` are written
    // first, then `zz` cannot be.
    sources(&d.join("v1"), "s", 20, 1024, 1);
    let mut m = std::fs::read_to_string(d.join("v1/secretgen.yaml")).unwrap();
    m.push_str("---\napiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: late\n  namespace: zz\nliterals:\n- a=b\n");
    std::fs::write(d.join("v1/secretgen.yaml"), m).unwrap();
    std::fs::write(out.join("zz"), "the user's file\n").unwrap();
    let mut expect = before.clone();
    expect.insert(PathBuf::from("zz"), b"the user's file\n".to_vec());
    let failed = render(d, "v1", &out, true);
    assert_eq!(failed.status.code(), Some(2), "{}", describe(&failed));
    assert!(failed.stdout.is_empty());
    assert_eq!(
        files(&out),
        expect,
        "the directory changed: {}",
        describe(&failed)
    );
}

/// A small tmpfs, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(at).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .output()
            .is_ok_and(|o| o.status.success());
        ok.then(|| Tmpfs(at.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_changes_nothing() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let Some(fs) = Tmpfs::mount(&d.join("small"), "256k") else {
        // Mounting needs privileges this machine does not give; the injected failure of
        // `a_failed_write_changes_nothing` covers the same path.
        eprintln!("skipped: cannot mount a tmpfs here");
        return;
    };
    let out = fs.0.join("out");
    // 40 files of one 4 KiB page each: fits.
    sources(&d.join("v0"), "s", 40, 1024, 0);
    let first = render(d, "v0", &out, false);
    assert!(first.status.success(), "{}", describe(&first));
    let before = files(&out);
    assert_eq!(before.len(), 40);
    // Ten times as much does not fit beside it.
    sources(&d.join("v1"), "s", 40, 30 * 1024, 1);
    let failed = render(d, "v1", &out, false);
    assert_eq!(failed.status.code(), Some(2), "{}", describe(&failed));
    assert!(
        String::from_utf8_lossy(&failed.stderr).contains("No space left"),
        "{}",
        describe(&failed)
    );
    assert_eq!(files(&out), before, "the directory changed");
    // And into an empty directory: nothing at all.
    let fresh = fs.0.join("fresh");
    let failed = render(d, "v1", &fresh, false);
    assert_eq!(failed.status.code(), Some(2), "{}", describe(&failed));
    assert!(files(&fresh).is_empty(), "{:?}", files(&fresh).keys());
}

#[test]
fn two_concurrent_prunes_leave_one_result() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    sources(&d.join("a"), "a", 60, 512, 0);
    sources(&d.join("b"), "b", 60, 512, 1);
    let reference = |side: &str| {
        let out = d.join(format!("ref-{side}"));
        let r = render(d, side, &out, true);
        assert!(r.status.success(), "{}", describe(&r));
        files(&out)
    };
    let refs = [reference("a"), reference("b")];
    for round in 0..6 {
        let out = d.join(format!("out{round}"));
        // Start from one side's files, so that each prune has something to remove.
        let seed = render(d, if round % 2 == 0 { "a" } else { "b" }, &out, true);
        assert!(seed.status.success());
        let (x, y) = std::thread::scope(|s| {
            let x = s.spawn(|| render(d, "a", &out, true));
            let y = s.spawn(|| render(d, "b", &out, true));
            (x.join().unwrap(), y.join().unwrap())
        });
        assert!(x.status.success(), "{}", describe(&x));
        assert!(y.status.success(), "{}", describe(&y));
        let now = files(&out);
        assert!(
            now == refs[0] || now == refs[1],
            "round {round}: {} files, neither run's result",
            now.len()
        );
    }
}
