//! `secretgen sops filestatus`, `set/unset --idempotent`, and SOPS files in git (the merge
//! driver and the diff textconv), against the real sops 3.13.3 and the real git: the README's
//! `.gitattributes` and `git config` lines run as written, in repositories of files sops
//! itself encrypted.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::{canary_forms, path_with_tools, text};
use crate::sops_write::{Env, env};

/// What these tests add to the SOPS tests' environment ([`Env`]): git, and files sops
/// itself encrypts.
trait GitEnv {
    fn git(&self, cwd: &Path) -> Command;
    fn sops_file(&self, cwd: &Path, name: &str, plain: &str);
}

impl GitEnv for Env {
    /// git in `cwd`, with `secretgen` and the pinned tools on PATH, no user or system
    /// configuration, and the identity as for every command.
    fn git(&self, cwd: &Path) -> Command {
        let mut c = Command::new("git");
        self.isolate(&mut c, cwd);
        let bin = Path::new(env!("CARGO_BIN_EXE_secretgen")).parent().unwrap();
        let mut dirs = vec![bin.to_path_buf()];
        dirs.extend(std::env::split_paths(&path_with_tools()));
        c.env("PATH", std::env::join_paths(dirs).unwrap())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com");
        c
    }
    /// A sops-encrypted file `name` in `cwd` from `plain`.
    fn sops_file(&self, cwd: &Path, name: &str, plain: &str) {
        let path = cwd.join(name);
        std::fs::write(&path, plain).unwrap();
        let mut c = self.sops(cwd);
        c.args(["encrypt", "--age", &self.recipient, "-i"])
            .arg(&path);
        ok(c);
    }
}

fn ok(mut c: Command) -> Vec<u8> {
    let out = c.output().unwrap();
    assert!(out.status.success(), "{c:?} failed: {}", text(&out.stderr));
    out.stdout
}

fn run(mut c: Command) -> Output {
    c.output().unwrap()
}

/// `filestatus` prints byte for byte what `sops filestatus` prints, for every format,
/// plaintext and encrypted, and for the files sops reads in a format that is not their
/// own; where sops fails, secretgen fails too and prints nothing.
#[test]
fn filestatus_prints_what_sops_prints() {
    let e = env();
    let cwd = e.dir.path().join("status");
    std::fs::create_dir_all(&cwd).unwrap();
    let plain = [
        ("s.yaml", "a: 1\nb: two\n"),
        ("s.json", "{\"a\": 1, \"b\": \"two\"}\n"),
        ("s.env", "A=1\nB=two\n"),
        ("s.ini", "[sec]\na = 1\n"),
        ("s.bin", "{\"data\": \"binary as JSON\"}\n"),
    ];
    let mut names = Vec::new();
    for (name, body) in plain {
        std::fs::write(cwd.join(name), body).unwrap();
        names.push(name.to_string());
        let enc = format!("enc.{name}");
        e.sops_file(&cwd, &enc, body);
        names.push(enc);
    }
    // JSON is YAML: a SOPS JSON file read by the YAML store; a SOPS JSON file named as
    // binary; a plaintext binary file that is not JSON; metadata without `version`, without
    // key entries, without `lastmodified`.
    std::fs::copy(cwd.join("enc.s.json"), cwd.join("json-as.yaml")).unwrap();
    std::fs::copy(cwd.join("enc.s.json"), cwd.join("json-as.txt")).unwrap();
    std::fs::copy(cwd.join("enc.s.yaml"), cwd.join("yaml-as.json")).unwrap();
    std::fs::write(cwd.join("text.txt"), "just text\n").unwrap();
    let meta = |m: &str| format!("a: 1\nsops:\n{m}");
    let entry = "  age:\n    - recipient: r\n      enc: e\n";
    let when = "  lastmodified: \"2024-01-01T00:00:00Z\"\n";
    let cases = [
        ("no-version.yaml", meta(&format!("{entry}{when}  mac: x\n"))),
        (
            "no-mac.yaml",
            meta(&format!("{entry}{when}  version: 3.13.3\n")),
        ),
        (
            "no-keys.yaml",
            meta(&format!("{when}  mac: x\n  version: 1\n")),
        ),
        (
            "no-time.yaml",
            meta(&format!("{entry}  mac: x\n  version: 1\n")),
        ),
        ("not-a-map.yaml", "a: 1\nsops: 1\n".to_string()),
    ];
    for (name, body) in &cases {
        std::fs::write(cwd.join(name), body).unwrap();
    }
    names.extend(["json-as.yaml", "json-as.txt", "yaml-as.json", "text.txt"].map(String::from));
    names.extend(cases.iter().map(|(n, _)| n.to_string()));
    let mut compared = 0;
    for name in &names {
        let mut c = e.sops(&cwd);
        c.args(["filestatus", name]);
        let theirs = run(c);
        let mut c = e.secretgen(&cwd);
        c.args(["sops", "filestatus", name]);
        let ours = run(c);
        assert_eq!(
            ours.status.success(),
            theirs.status.success(),
            "{name}: sops {}, secretgen {}",
            text(&theirs.stderr),
            text(&ours.stderr)
        );
        assert_eq!(text(&ours.stdout), text(&theirs.stdout), "{name}");
        if theirs.status.success() {
            compared += 1;
        } else {
            assert_eq!(ours.status.code(), Some(2), "{name}: bad input is exit 2");
        }
    }
    assert!(compared >= 12, "{compared} outputs compared");
    // --input-type, as sops takes it.
    let mut c = e.sops(&cwd);
    c.args(["filestatus", "--input-type", "yaml", "json-as.txt"]);
    let theirs = ok(c);
    let mut c = e.secretgen(&cwd);
    c.args(["sops", "filestatus", "--input-type", "yaml", "json-as.txt"]);
    assert_eq!(text(&ok(c)), text(&theirs));
}

/// The file's modification time set far back, to tell a write from none (a write in the
/// same second can give the same bytes: sops seals an unchanged MAC again with its IV).
fn age_mtime(path: &Path) {
    let out = Command::new("touch")
        .args(["-d", "@1000000000"])
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success());
}

fn written(path: &Path) -> bool {
    let m = std::fs::metadata(path).unwrap().modified().unwrap();
    m.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() != 1_000_000_000
}

/// `set --idempotent` and `unset --idempotent` on copies of one file sops encrypted: sops
/// and secretgen write, or leave untouched, the same cases; an untouched file keeps its
/// bytes (MAC and `lastmodified` included); what they write decrypts alike.
#[test]
fn idempotent_set_and_unset_write_when_sops_writes() {
    let e = env();
    let cwd = e.dir.path().join("idem");
    std::fs::create_dir_all(&cwd).unwrap();
    let plain = "a: hello\nb: 12\nc: 1.5\nd: true\nnested:\n    x: [1, \"two\"]\n    m: {k: v}\n";
    e.sops_file(&cwd, "base.yaml", plain);
    let base = std::fs::read(cwd.join("base.yaml")).unwrap();
    let cases: &[&[&str]] = &[
        &["set", "[\"a\"]", "\"hello\""],
        &["set", "[\"a\"]", "\"other\""],
        // A bare JSON number is a float to sops: not the integer 12.
        &["set", "[\"b\"]", "12"],
        &["set", "[\"c\"]", "1.5"],
        &["set", "[\"d\"]", "true"],
        &["set", "[\"nested\"][\"x\"][1]", "\"two\""],
        &["set", "[\"nested\"][\"m\"]", "{\"k\": \"v\"}"],
        &["set", "[\"nested\"][\"m\"]", "{\"k\": \"w\"}"],
        &["set", "[\"new\"]", "\"v\""],
        &["unset", "[\"missing\"]"],
        &["unset", "[\"a\"]"],
    ];
    let mut untouched = Vec::new();
    for change in cases {
        let theirs = cwd.join("theirs.yaml");
        let ours = cwd.join("ours.yaml");
        std::fs::write(&theirs, &base).unwrap();
        std::fs::write(&ours, &base).unwrap();
        age_mtime(&theirs);
        age_mtime(&ours);
        let mut c = e.sops(&cwd);
        c.arg(change[0])
            .arg("--idempotent")
            .arg(&theirs)
            .args(&change[1..]);
        ok(c);
        let mut c = e.secretgen(&cwd);
        c.args(["sops", change[0], "--idempotent"])
            .arg(&ours)
            .args(&change[1..]);
        ok(c);
        assert_eq!(written(&ours), written(&theirs), "{change:?}: written");
        if !written(&theirs) {
            assert_eq!(std::fs::read(&ours).unwrap(), base, "{change:?}: untouched");
            untouched.push(change[2..].join(""));
            continue;
        }
        let decrypt = |f: &Path| {
            let mut c = e.sops(&cwd);
            c.arg("decrypt").arg(f);
            text(&ok(c))
        };
        assert_eq!(decrypt(&ours), decrypt(&theirs), "{change:?}");
    }
    // sops leaves these alone (a bare 12 is a float, not the file's integer 12).
    assert_eq!(
        untouched,
        ["\"hello\"", "1.5", "true", "\"two\"", "{\"k\": \"v\"}", ""],
        "what sops leaves untouched"
    );
    // Without the flag both write, even when nothing changes.
    let ours = cwd.join("ours.yaml");
    std::fs::write(&ours, &base).unwrap();
    age_mtime(&ours);
    let mut c = e.secretgen(&cwd);
    c.args(["sops", "set"])
        .arg(&ours)
        .args(["[\"a\"]", "\"hello\""]);
    ok(c);
    assert!(written(&ours));
}

/// The fenced block of `lang` in the README's section "SOPS files in git".
fn readme_block(lang: &str) -> String {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let section = readme
        .split("### SOPS files in git: merge driver and diff")
        .nth(1)
        .expect("README section");
    let section = section.split("\n## ").next().unwrap();
    let section = section.split("\n### ").next().unwrap();
    let start = section
        .find(&format!("```{lang}\n"))
        .unwrap_or_else(|| panic!("README block {lang}"));
    let body = &section[start + lang.len() + 4..];
    body[..body.find("```").unwrap()].to_string()
}

/// A repository with the README's `.gitattributes` and `git config` lines, and `files`
/// (name, plaintext) encrypted by sops and committed on `main`.
fn repo(e: &Env, name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = e.dir.path().join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let mut c = e.git(&dir);
    c.args(["init", "-q", "-b", "main"]);
    ok(c);
    std::fs::write(dir.join(".gitattributes"), readme_block("gitattributes")).unwrap();
    for line in readme_block("sh").lines().filter(|l| !l.trim().is_empty()) {
        let c = e.git(&dir);
        let mut sh = Command::new("sh");
        sh.arg("-c").arg(line);
        // The same environment as git's.
        for (k, v) in c.get_envs() {
            match v {
                Some(v) => sh.env(k, v),
                None => sh.env_remove(k),
            };
        }
        sh.current_dir(&dir);
        ok(sh);
    }
    for (name, plain) in files {
        e.sops_file(&dir, name, plain);
    }
    git(e, &dir, &["add", "."]);
    git(e, &dir, &["commit", "-qm", "base"]);
    dir
}

fn git(e: &Env, dir: &Path, args: &[&str]) -> Output {
    let mut c = e.git(dir);
    c.args(args);
    let out = run(c);
    assert!(
        out.status.success(),
        "git {args:?}: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    out
}

/// Every file under `dir` but git's own, as text.
fn working_tree(dir: &Path) -> String {
    let mut all = String::new();
    for entry in walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_entry(|e| e.file_name() != ".git")
    {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            all.push_str(&String::from_utf8_lossy(
                &std::fs::read(entry.path()).unwrap(),
            ));
        }
    }
    all
}

fn assert_no_canary(what: &str, hay: &str, canaries: &[&str]) {
    for canary in canaries {
        for form in canary_forms(canary) {
            assert!(!hay.contains(&form), "{what} shows a value ({form})");
        }
    }
}

/// The numbers of the lines of `after` that differ from `before` (by position: the merge
/// keeps every line's place).
fn differing_lines(before: &str, after: &str) -> Vec<String> {
    let (b, a): (Vec<&str>, Vec<&str>) = (before.lines().collect(), after.lines().collect());
    assert_eq!(b.len(), a.len(), "the same number of lines");
    b.iter()
        .zip(&a)
        .filter(|(x, y)| x != y)
        .map(|(x, _)| x.split(':').next().unwrap_or_default().trim().to_string())
        .collect()
}

const SECRET: &str = "apiVersion: v1\nkind: Secret\nmetadata:\n    name: db\nstringData:\n    user: admin\n    password: canary-base-pw\n    token: canary-base-tok\n";

/// Two branches change different values of a file sops wrote: `git merge` through the
/// driver is clean, sops decrypts the result to both changes, and only the value brought
/// in from the other branch, the MAC and `lastmodified` differ from ours.
#[test]
fn merge_driver_merges_different_values_cleanly() {
    let e = env();
    for name in ["db.enc.yaml", "db.enc.json"] {
        let plain = if name.ends_with(".json") {
            "{\"user\": \"admin\", \"password\": \"canary-base-pw\", \"token\": \"canary-base-tok\", \"port\": 5432}\n"
        } else {
            SECRET
        };
        let dir = repo(&e, &format!("clean-{}", &name[7..]), &[(name, plain)]);
        let (user, token) = if name.ends_with(".json") {
            ("[\"user\"]", "[\"token\"]")
        } else {
            ("[\"stringData\"][\"user\"]", "[\"stringData\"][\"token\"]")
        };
        git(&e, &dir, &["checkout", "-qb", "theirs"]);
        let mut c = e.sops(&dir);
        c.args(["set", name, user, "\"root\""]);
        ok(c);
        git(&e, &dir, &["commit", "-qam", "user"]);
        git(&e, &dir, &["checkout", "-q", "main"]);
        let mut c = e.sops(&dir);
        c.args(["set", name, token, "\"canary-new-tok\""]);
        ok(c);
        git(&e, &dir, &["commit", "-qam", "token"]);
        let ours = std::fs::read_to_string(dir.join(name)).unwrap();
        let merged = git(&e, &dir, &["merge", "--no-edit", "theirs"]);
        let out = format!("{}{}", text(&merged.stdout), text(&merged.stderr));
        assert_no_canary(
            "git merge's output",
            &out,
            &["canary-base-pw", "canary-new-tok"],
        );
        let status = git(&e, &dir, &["status", "--porcelain"]);
        assert_eq!(text(&status.stdout), "", "{name}: merged and committed");
        let result = std::fs::read_to_string(dir.join(name)).unwrap();
        let mut c = e.sops(&dir);
        c.args(["decrypt", name]);
        let decrypted = text(&ok(c));
        let expected = plain
            .replace("admin", "root")
            .replace("canary-base-tok", "canary-new-tok");
        // What sops decrypts the expected document to, encrypted by sops outside the
        // repository.
        let mut c = e.sops(e.dir.path());
        let expected_file = e.dir.path().join(format!("expected-{name}"));
        std::fs::write(&expected_file, &expected).unwrap();
        c.args(["encrypt", "--age", &e.recipient])
            .arg(&expected_file);
        let reencrypted = e.dir.path().join(format!("re-{name}"));
        std::fs::write(&reencrypted, ok(c)).unwrap();
        let mut c = e.sops(&dir);
        c.arg("decrypt").arg(&reencrypted);
        assert_eq!(
            decrypted,
            text(&ok(c)),
            "{name}: sops decrypts both changes"
        );
        let mut changed = differing_lines(&ours, &result);
        changed.retain(|l| !l.contains("lastmodified"));
        assert_eq!(
            changed,
            [
                if name.ends_with(".json") {
                    "\"user\""
                } else {
                    "user"
                },
                if name.ends_with(".json") {
                    "\"mac\""
                } else {
                    "mac"
                }
            ],
            "{name}: only the merged value, the MAC and lastmodified change"
        );
        assert_no_canary(
            "the working tree",
            &working_tree(&dir),
            &["canary-base-pw", "canary-new-tok"],
        );
    }
}

/// The same value changed both ways: the merge stops with a conflict that names the key
/// path, exit 1 from the driver, and no value (old or new) in git's output, the driver's
/// messages or any file of the working tree; the file left is ours, still encrypted.
#[test]
fn merge_driver_conflict_names_the_key_never_the_value() {
    let e = env();
    let name = "db.enc.yaml";
    let dir = repo(&e, "conflict", &[(name, SECRET)]);
    git(&e, &dir, &["checkout", "-qb", "theirs"]);
    let mut c = e.sops(&dir);
    c.args([
        "set",
        name,
        "[\"stringData\"][\"password\"]",
        "\"canary-theirs-pw\"",
    ]);
    ok(c);
    git(&e, &dir, &["commit", "-qam", "theirs"]);
    git(&e, &dir, &["checkout", "-q", "main"]);
    let mut c = e.sops(&dir);
    c.args([
        "set",
        name,
        "[\"stringData\"][\"password\"]",
        "\"canary-ours-pw\"",
    ]);
    ok(c);
    git(&e, &dir, &["commit", "-qam", "ours"]);
    let mut c = e.git(&dir);
    c.args(["merge", "--no-edit", "theirs"]);
    let out = run(c);
    assert!(!out.status.success(), "the merge stops");
    let shown = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(
        shown.contains("[\"stringData\"][\"password\"]"),
        "the conflict names the key: {shown}"
    );
    let canaries = ["canary-base-pw", "canary-theirs-pw", "canary-ours-pw"];
    assert_no_canary("git merge's output", &shown, &canaries);
    assert_no_canary("the working tree", &working_tree(&dir), &canaries);
    let status = git(&e, &dir, &["status", "--porcelain"]);
    assert_eq!(text(&status.stdout), format!("UU {name}\n"));
    let mut c = e.sops(&dir);
    c.args([
        "decrypt",
        "--extract",
        "[\"stringData\"][\"password\"]",
        name,
    ]);
    assert_eq!(
        text(&ok(c)),
        "canary-ours-pw",
        "ours kept where they conflict"
    );

    // The driver on its own: exit 1 for the conflict, 2 for a version it cannot read.
    let show = |rev: &str| {
        let out = git(&e, &dir, &["show", &format!("{rev}:{name}")]);
        out.stdout
    };
    let (b, o, t) = (show("HEAD~1"), show("HEAD"), show("theirs"));
    let files = dir.join("driver");
    std::fs::create_dir_all(&files).unwrap();
    for (f, bytes) in [("O", &b), ("A", &o), ("B", &t)] {
        std::fs::write(files.join(f), bytes).unwrap();
    }
    let mut c = e.secretgen(&files);
    c.args(["sops", "merge-driver", "O", "A", "B", name]);
    let out = run(c);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_no_canary("the driver's messages", &text(&out.stderr), &canaries);
    std::fs::write(files.join("B"), "not: sops\n").unwrap();
    std::fs::write(files.join("A"), &o).unwrap();
    let mut c = e.secretgen(&files);
    c.args(["sops", "merge-driver", "O", "A", "B", name]);
    let out = run(c);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_eq!(std::fs::read(files.join("A")).unwrap(), o, "ours untouched");
}

/// `git diff` through the textconv shows the changed key and neither the old nor the new
/// value; unchanged values show no change; with no identity it still tells which changed.
#[test]
fn diff_textconv_shows_changed_keys_never_values() {
    let e = env();
    let name = "db.enc.yaml";
    let dir = repo(&e, "diff", &[(name, SECRET)]);
    let mut c = e.sops(&dir);
    c.args([
        "set",
        name,
        "[\"stringData\"][\"password\"]",
        "\"canary-new-pw\"",
    ]);
    ok(c);
    git(&e, &dir, &["commit", "-qam", "password"]);
    let canaries = ["canary-base-pw", "canary-new-pw", "canary-base-tok"];
    for keyless in [false, true] {
        let mut c = e.git(&dir);
        if keyless {
            c.env_remove("SOPS_AGE_KEY_FILE");
        }
        c.args(["diff", "HEAD~1", "HEAD"]);
        let out = run(c);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let diff = text(&out.stdout);
        assert_no_canary("git diff", &diff, &canaries);
        // The changed lines but `lastmodified`'s (it changes when the second does).
        let changed: Vec<&str> = diff
            .lines()
            .filter(|l| {
                (l.starts_with('+') || l.starts_with('-'))
                    && !l.starts_with("+++")
                    && !l.starts_with("---")
                    && !l.contains("lastmodified")
            })
            .collect();
        let keys: Vec<&str> = changed
            .iter()
            .map(|l| l[1..].split(':').next().unwrap())
            .collect();
        assert_eq!(
            keys, ["[\"stringData\"][\"password\"]"; 2],
            "keyless: {keyless}\n{diff}"
        );
        assert!(changed[0].starts_with('-') && changed[1].starts_with('+'));
        // The sizes of the old and the new value.
        assert!(changed[0].contains(", 14 bytes,"), "{diff}");
        assert!(changed[1].contains(", 13 bytes,"), "{diff}");
    }
}
