//! `render -o` writes safely: killed (SIGKILL) at random points it leaves every output file
//! complete, old or new, never partial, and its temporary files never count as outputs; two
//! renders into one directory at once leave a consistent result; files are 0600 and
//! directories 0700 whatever the umask.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_secretgen");
const GENERATORS: usize = 120;

/// A tree of generators with 16 KiB files, fixed names (no hash), in two namespaces; `v`
/// selects the version of every value.
fn write_sources(src: &Path, v: u8) {
    std::fs::create_dir_all(src).unwrap();
    let mut m = String::new();
    for i in 0..GENERATORS {
        let ns = if i % 2 == 0 { "prod" } else { "staging" };
        m.push_str(&format!(
            "---\napiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: s{i}\n  namespace: {ns}\noptions:\n  disableNameSuffixHash: true\nfiles:\n- blob=b{i}.bin\n"
        ));
        let body: Vec<u8> = (0..16 * 1024)
            .map(|j| b'a' + ((i + j + v as usize * 7) % 26) as u8)
            .collect();
        std::fs::write(src.join(format!("b{i}.bin")), body).unwrap();
    }
    std::fs::write(src.join("secretgen.yaml"), m).unwrap();
}

fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
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

fn is_temp(rel: &Path) -> bool {
    let name = rel.file_name().unwrap().to_string_lossy();
    name.starts_with(".secretgen-") && name.ends_with(".tmp")
}

fn render(cwd: &Path, out: &str) -> std::process::Output {
    Command::new(BIN)
        .args(["render", "src", "-o", out])
        .current_dir(cwd)
        .output()
        .unwrap()
}

/// What a complete render of each version writes.
fn references(t: &Path) -> [BTreeMap<PathBuf, Vec<u8>>; 2] {
    [0u8, 1].map(|v| {
        let d = t.join(format!("ref{v}"));
        write_sources(&d.join("src"), v);
        let out = render(&d, "out");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        files(&d.join("out"))
    })
}

#[test]
fn sigkill_leaves_every_file_old_or_new() {
    let t = tempfile::tempdir().unwrap();
    let refs = references(t.path());
    assert_eq!(refs[0].len(), GENERATORS);
    assert!(refs[0].keys().all(|k| refs[1][k] != refs[0][k]));
    let work = t.path().join("work");
    write_sources(&work.join("src"), 0);
    assert!(render(&work, "out").status.success());

    let dirs_mtime = || {
        ["prod", "staging"].map(|ns| {
            std::fs::metadata(work.join("out").join(ns))
                .and_then(|m| m.modified())
                .ok()
        })
    };
    // Spawns a render of version `v` and returns once it has begun renaming files into
    // place (a namespace directory changes), with the time that took.
    let start_writing = |v: u8| {
        write_sources(&work.join("src"), v);
        let before = dirs_mtime();
        let mut child = Command::new(BIN)
            .args(["render", "src", "-o", "out"])
            .current_dir(&work)
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let polling = Instant::now();
        while dirs_mtime() == before
            && polling.elapsed() < Duration::from_secs(20)
            && child.try_wait().unwrap().is_none()
        {
            std::thread::sleep(Duration::from_micros(100));
        }
        child
    };
    // How long the write phase lasts, to spread the kills over it.
    let mut child = start_writing(1);
    let writing = Instant::now();
    assert!(child.wait().unwrap().success());
    let phase = writing.elapsed().max(Duration::from_millis(2));

    // At least 30 kills, and on until 3 of them landed mid-write: a loaded machine stretches
    // the phases, so the budget is generous and the loop ends as soon as it has its evidence.
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let (mut iterations, mut killed_mid_write, mut temps_seen) = (0, 0, 0);
    while iterations < 300 && Instant::now() < deadline && (iterations < 30 || killed_mid_write < 3)
    {
        iterations += 1;
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut child = start_writing(((iterations + 1) % 2) as u8);
        std::thread::sleep(phase.mul_f64((seed % 1000) as f64 / 1000.0));
        let _ = child.kill();
        let status = child.wait().unwrap();
        let now = files(&work.join("out"));
        let mut old_or_new = [0, 0];
        for (rel, bytes) in &now {
            if is_temp(rel) {
                temps_seen += 1;
                continue;
            }
            let which = refs.iter().position(|r| r.get(rel) == Some(bytes));
            let Some(which) = which else {
                panic!(
                    "iteration {iterations}: {} is neither the old nor the new version ({} bytes)",
                    rel.display(),
                    bytes.len()
                );
            };
            old_or_new[which] += 1;
        }
        assert_eq!(
            old_or_new[0] + old_or_new[1],
            GENERATORS,
            "a file went missing"
        );
        if !status.success() && old_or_new[0] > 0 && old_or_new[1] > 0 {
            killed_mid_write += 1;
        }
    }
    // The test is only worth something if some kills landed while files were being written.
    assert!(
        killed_mid_write > 0,
        "no kill landed mid-render in {iterations} iterations"
    );
    // Temporary files left by a kill are not outputs: a complete render is up to date.
    write_sources(&work.join("src"), 0);
    assert!(render(&work, "out").status.success());
    let check = Command::new(BIN)
        .args(["render", "src", "-o", "out", "--check"])
        .current_dir(&work)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "temporary files counted as outputs ({temps_seen} seen): {}",
        String::from_utf8_lossy(&check.stdout)
    );
    let outputs: BTreeMap<_, _> = files(&work.join("out"))
        .into_iter()
        .filter(|(rel, _)| !is_temp(rel))
        .collect();
    assert_eq!(outputs, refs[0]);
    eprintln!("{iterations} kills, {killed_mid_write} mid-render, {temps_seen} temp files seen");
}

#[test]
fn concurrent_renders_into_one_directory() {
    let t = tempfile::tempdir().unwrap();
    let refs = references(t.path());
    for round in 0..3 {
        let work = t.path().join(format!("c{round}"));
        write_sources(&work.join("a/src"), 0);
        write_sources(&work.join("b/src"), 1);
        let out = work.join("out");
        let spawn = |side: &str| {
            Command::new(BIN)
                .args(["render", "src", "-o"])
                .arg(&out)
                .current_dir(work.join(side))
                .output()
                .unwrap()
        };
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(|| spawn("a"));
            let b = s.spawn(|| spawn("b"));
            (a.join().unwrap(), b.join().unwrap())
        });
        assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
        assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
        let now = files(&out);
        assert_eq!(now.len(), GENERATORS, "stray files: {:?}", now.keys());
        for (rel, bytes) in &now {
            assert!(
                refs.iter().any(|r| r.get(rel) == Some(bytes)),
                "{} is partial or mixed",
                rel.display()
            );
        }
        // Same input twice at once: exactly the reference.
        std::fs::remove_dir_all(&out).unwrap();
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(|| spawn("a"));
            let b = s.spawn(|| spawn("a"));
            (a.join().unwrap(), b.join().unwrap())
        });
        assert!(a.status.success() && b.status.success());
        assert_eq!(files(&out), refs[0]);
    }
}

#[test]
fn modes_are_0600_and_0700_whatever_the_umask() {
    for umask in ["000", "022", "077"] {
        let t = tempfile::tempdir().unwrap();
        let src = t.path().join("src");
        std::fs::create_dir_all(&src).unwrap();
        std::fs::write(
            src.join("secretgen.yaml"),
            "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: db\n  namespace: prod\nliterals:\n- k=v\n---\napiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: c\nliterals:\n- k=v\n",
        )
        .unwrap();
        let st = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "umask {umask}; exec \"$0\" render src -o out/nested"
            ))
            .arg(BIN)
            .current_dir(t.path())
            .status()
            .unwrap();
        assert!(st.success());
        let mut seen = 0;
        for e in walkdir::WalkDir::new(t.path().join("out/nested")) {
            let e = e.unwrap();
            let mode = e.metadata().unwrap().permissions().mode() & 0o777;
            let want = if e.file_type().is_dir() { 0o700 } else { 0o600 };
            assert_eq!(
                mode,
                want,
                "umask {umask}: {} is {mode:o}",
                e.path().display()
            );
            seen += 1;
        }
        assert_eq!(seen, 5, "out/nested, prod/, _cluster/ and two files");
    }
}
