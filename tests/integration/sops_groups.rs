//! Key groups, Shamir, `updatekeys`, `rotate` and the recipients checks against the real
//! sops 3.13.3 (`.tools/bin/sops`): what secretgen writes with several key groups opens in
//! sops with a quorum of keys and not without; what sops writes with groups opens in
//! secretgen alike; `updatekeys` prints sops' own text for the same change and leaves the
//! file for the new keys only; `rotate` re-encrypts every value under a new data key.

use std::path::PathBuf;
use std::process::{Command, Output};

use crate::common::{canary_forms, secretgen_in, text, tool};

const CANARY: &str = "canary-groups-7f3e9b";

struct Env {
    dir: tempfile::TempDir,
    /// Three age keys: their files and recipients.
    keys: Vec<(PathBuf, String)>,
}

fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let keys = (0..3)
        .map(|i| {
            let file = dir.path().join(format!("key{i}.txt"));
            let out = tool("age-keygen").arg("-o").arg(&file).output().unwrap();
            assert!(out.status.success(), "age-keygen: {}", text(&out.stderr));
            let out = tool("age-keygen").arg("-y").arg(&file).output().unwrap();
            (file, text(&out.stdout).trim().to_string())
        })
        .collect();
    Env { dir, keys }
}

impl Env {
    fn work(&self) -> PathBuf {
        let w = self.dir.path().join("work");
        std::fs::create_dir_all(&w).unwrap();
        w
    }
    fn recipient(&self, i: usize) -> &str {
        &self.keys[i].1
    }
    /// A key file holding the keys `which` (none: an empty file).
    fn key_file(&self, which: &[usize]) -> PathBuf {
        let name: String = which.iter().map(|i| i.to_string()).collect();
        let path = self.dir.path().join(format!("keys-{name}.txt"));
        let mut all = String::new();
        for &i in which {
            all.push_str(&std::fs::read_to_string(&self.keys[i].0).unwrap());
        }
        std::fs::write(&path, all).unwrap();
        path
    }
    fn isolate(&self, c: &mut Command, keys: &[usize]) {
        c.current_dir(self.work())
            .env("HOME", self.dir.path().join("no-home"))
            .env("XDG_CONFIG_HOME", self.dir.path().join("no-xdg"))
            .env("SOPS_AGE_KEY_FILE", self.key_file(keys))
            .env_remove("SOPS_AGE_KEY")
            .env_remove("SOPS_AGE_RECIPIENTS");
    }
    fn sops(&self, keys: &[usize]) -> Command {
        let mut c = tool("sops");
        self.isolate(&mut c, keys);
        c
    }
    fn secretgen(&self, keys: &[usize]) -> Command {
        let mut c = secretgen_in(&self.work());
        self.isolate(&mut c, keys);
        c
    }
    fn write(&self, name: &str, content: &str) -> PathBuf {
        let p = self.work().join(name);
        std::fs::write(&p, content).unwrap();
        p
    }
    /// A `.sops.yaml` whose one rule lists `groups` (each a list of key indexes) as
    /// `key_groups` (or flat `age:` for `flat`), with `threshold` when not 0.
    fn config(&self, groups: &[&[usize]], threshold: usize, flat: bool) {
        let mut c = String::from("creation_rules:\n  - path_regex: .*\n");
        if threshold > 0 {
            c.push_str(&format!("    shamir_threshold: {threshold}\n"));
        }
        if flat {
            let list: Vec<&str> = groups[0].iter().map(|&i| self.recipient(i)).collect();
            c.push_str(&format!("    age: {}\n", list.join(",")));
        } else {
            c.push_str("    key_groups:\n");
            for g in groups {
                c.push_str("      - age:\n");
                for &i in *g {
                    c.push_str(&format!("          - {}\n", self.recipient(i)));
                }
            }
        }
        self.write(".sops.yaml", &c);
    }
}

fn run(mut c: Command) -> Output {
    c.output().unwrap()
}

fn ok(c: Command) -> Vec<u8> {
    let dbg = format!("{c:?}");
    let out = run(c);
    assert!(out.status.success(), "{dbg} failed: {}", text(&out.stderr));
    out.stdout
}

fn no_canary(what: &str, bytes: &[u8]) {
    let t = text(bytes);
    for form in canary_forms(CANARY) {
        assert!(!t.contains(&form), "{what} shows the value: {t}");
    }
}

const DOCS: [(&str, &str); 4] = [
    (
        "s.yaml",
        "password: canary-groups-7f3e9b\nlist:\n    - 1\n    - two\n",
    ),
    ("s.json", "{\n\t\"password\": \"canary-groups-7f3e9b\"\n}"),
    ("s.env", "PASSWORD=canary-groups-7f3e9b\n"),
    ("s.ini", "[db]\npassword = canary-groups-7f3e9b\n"),
];

/// sops decrypts what secretgen writes with 2 groups / threshold 2 and 3 groups /
/// threshold 2 (each group one age key), for every format, to what it decrypts its own
/// encryption of the same input to; with one key alone it fails, as with its own file.
#[test]
fn sops_opens_groups_secretgen_writes_with_a_quorum_only() {
    let e = env();
    for (groups, pairs) in [
        (&[&[0usize][..], &[1][..]][..], &[[0usize, 1usize]][..]),
        (
            &[&[0][..], &[1][..], &[2][..]][..],
            &[[0, 1], [1, 2], [0, 2]][..],
        ),
    ] {
        e.config(groups, 2, false);
        for (name, doc) in DOCS {
            let plain = e.write(name, doc);
            let mut c = e.secretgen(&[]);
            c.args(["sops", "encrypt"]).arg(&plain);
            let ours = ok(c);
            no_canary("the encrypted file", &ours);
            let mut c = e.sops(&[]);
            c.arg("encrypt").arg(&plain);
            let theirs = ok(c);
            let enc_ours = e.write(&format!("ours.{name}"), &text(&ours));
            let enc_theirs = e.write(&format!("theirs.{name}"), &text(&theirs));
            assert!(text(&ours).contains("shamir_threshold"), "{name}");
            for pair in pairs {
                let mut c = e.sops(pair);
                c.arg("decrypt").arg(&enc_ours);
                let a = ok(c);
                let mut c = e.sops(pair);
                c.arg("decrypt").arg(&enc_theirs);
                assert_eq!(text(&a), text(&ok(c)), "{name} with keys {pair:?}");
                let mut c = e.secretgen(pair);
                c.args(["sops", "decrypt"]).arg(&enc_ours);
                assert_eq!(text(&a), text(&ok(c)), "{name}: secretgen reads it back");
            }
            for one in 0..groups.len() {
                let mut c = e.sops(&[one]);
                c.arg("decrypt").arg(&enc_ours);
                assert!(
                    !run(c).status.success(),
                    "{name}: key {one} alone opened it"
                );
            }
        }
    }
}

/// secretgen decrypts what sops writes with key groups to sops' bytes, and with one key of
/// a threshold of two fails as sops fails, naming the quorum; never the value.
#[test]
fn secretgen_opens_groups_sops_writes_and_fails_as_sops_fails() {
    let e = env();
    e.config(&[&[0], &[1], &[2]], 2, false);
    for (name, doc) in DOCS {
        let plain = e.write(name, doc);
        let mut c = e.sops(&[]);
        c.arg("encrypt").arg(&plain);
        let enc = e.write(&format!("theirs.{name}"), &text(&ok(c)));
        for pair in [[0, 2], [2, 1]] {
            let mut c = e.sops(&pair);
            c.arg("decrypt").arg(&enc);
            let want = ok(c);
            let mut c = e.secretgen(&pair);
            c.args(["sops", "decrypt"]).arg(&enc);
            assert_eq!(text(&ok(c)), text(&want), "{name}");
        }
        let mut c = e.sops(&[1]);
        c.arg("decrypt").arg(&enc);
        assert!(!run(c).status.success());
        let mut c = e.secretgen(&[1]);
        c.args(["sops", "decrypt"]).arg(&enc);
        let out = run(c);
        assert_eq!(out.status.code(), Some(2), "{name}");
        assert!(out.stdout.is_empty());
        assert!(
            text(&out.stderr).contains("1 of 3 key groups opened, 2 needed"),
            "{}",
            text(&out.stderr)
        );
        no_canary("the error", &out.stderr);
    }
}

/// `--shamir-secret-sharing-threshold` overrides the rule: with 3 of 3 needed, two keys no
/// longer open the file in sops; all three do.
#[test]
fn the_threshold_flag_overrides_the_rule() {
    let e = env();
    e.config(&[&[0], &[1], &[2]], 2, false);
    let plain = e.write("s.yaml", DOCS[0].1);
    let mut c = e.secretgen(&[]);
    c.args(["sops", "encrypt", "--shamir-secret-sharing-threshold", "3"])
        .arg(&plain);
    let enc = e.write("enc.yaml", &text(&ok(c)));
    assert!(
        std::fs::read_to_string(&enc)
            .unwrap()
            .contains("shamir_threshold: 3\n")
    );
    let mut c = e.sops(&[0, 1]);
    c.arg("decrypt").arg(&enc);
    assert!(!run(c).status.success());
    let mut c = e.sops(&[0, 1, 2]);
    c.arg("decrypt").arg(&enc);
    assert_eq!(text(&ok(c)), DOCS[0].1);
    // A threshold above the groups is refused as sops refuses it.
    let mut c = e.secretgen(&[]);
    c.args(["sops", "encrypt", "--shamir-secret-sharing-threshold", "4"])
        .arg(&plain);
    let out = run(c);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("parts cannot be less than threshold"));
}

/// The lines of a YAML SOPS file that are not the metadata's key entries: the values,
/// `lastmodified`, the MAC, the rules.
fn outside_keys(yaml: &str) -> Vec<String> {
    yaml.lines()
        .filter(|l| !l.starts_with("        ") && !l.starts_with("    age:"))
        .filter(|l| !l.starts_with("    key_groups:") && !l.starts_with("    shamir_threshold:"))
        .map(str::to_string)
        .collect()
}

/// `updatekeys` prints the change exactly as sops prints it for the same file and rule,
/// applies it with -y around the same data key (values, MAC and `lastmodified`
/// byte-identical), and the file then opens in sops with the new key and not the removed.
#[test]
fn updatekeys_prints_as_sops_and_leaves_the_file_to_the_new_keys() {
    let e = env();
    e.config(&[&[0]], 0, true);
    let plain = e.write("s.yaml", DOCS[0].1);
    let mut c = e.sops(&[]);
    c.args(["encrypt", "-i"]).arg(&plain);
    ok(c);
    let before = std::fs::read_to_string(&plain).unwrap();
    let theirs = e.write("theirs.yaml", &before);
    // The rule now: keys 1 and 2 instead of 0.
    e.config(&[&[1, 2]], 0, true);
    let mut c = e.sops(&[0]);
    c.args(["updatekeys", "-y"]).arg(&theirs);
    let sops_says = ok(c);
    let mut c = e.secretgen(&[0]);
    c.args(["sops", "updatekeys", "-y"]).arg(&plain);
    let out = run(c);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), text(&sops_says));
    assert!(text(&out.stdout).contains(&format!("--- {}", e.recipient(0))));
    let after = std::fs::read_to_string(&plain).unwrap();
    assert_eq!(outside_keys(&after), outside_keys(&before));
    let mut c = e.sops(&[2]);
    c.arg("decrypt").arg(&plain);
    assert_eq!(
        text(&ok(c)),
        text(&{
            let mut c = e.sops(&[2]);
            c.arg("decrypt").arg(&theirs);
            ok(c)
        })
    );
    let mut c = e.sops(&[0]);
    c.arg("decrypt").arg(&plain);
    assert!(!run(c).status.success(), "the removed key still opens it");
    // Nothing left to do: no change printed, the file untouched.
    let mut c = e.secretgen(&[1]);
    c.args(["sops", "updatekeys", "-y"]).arg(&plain);
    let out = run(c);
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    assert_eq!(std::fs::read_to_string(&plain).unwrap(), after);
}

/// From three groups to two: sops prints the threshold and groups change one way, and
/// secretgen prints it the same; after -y the same data key is split again over the two
/// groups left, which sops opens with both keys and not with one.
#[test]
fn updatekeys_resplits_the_data_key_for_fewer_groups_as_sops_prints_it() {
    let e = env();
    e.config(&[&[0], &[1], &[2]], 3, false);
    let plain = e.write("s.yaml", DOCS[0].1);
    let mut c = e.sops(&[]);
    c.args(["encrypt", "-i"]).arg(&plain);
    ok(c);
    let theirs = e.write("theirs.yaml", &std::fs::read_to_string(&plain).unwrap());
    e.config(&[&[0], &[1]], 0, false);
    let mut c = e.sops(&[0, 1, 2]);
    c.args(["updatekeys", "-y"]).arg(&theirs);
    let sops_says = ok(c);
    let mut c = e.secretgen(&[0, 1, 2]);
    c.args(["sops", "updatekeys", "-y"]).arg(&plain);
    let ours = ok(c);
    assert_eq!(text(&ours), text(&sops_says));
    assert!(text(&ours).contains("+++ shamir_threshold: 2\n--- shamir_threshold: 3\n"));
    let mut c = e.sops(&[0, 1]);
    c.arg("decrypt").arg(&plain);
    assert_eq!(text(&ok(c)), DOCS[0].1);
    let mut c = e.sops(&[0]);
    c.arg("decrypt").arg(&plain);
    assert!(!run(c).status.success());
}

/// A changed `shamir_threshold` in the rule is applied (sops#810: sops keeps the file's):
/// the same data key split again, so sops then needs three keys where it needed two.
#[test]
fn updatekeys_applies_a_changed_threshold() {
    let e = env();
    e.config(&[&[0], &[1], &[2]], 2, false);
    let plain = e.write("s.yaml", DOCS[0].1);
    let mut c = e.secretgen(&[]);
    c.args(["sops", "encrypt", "-i"]).arg(&plain);
    ok(c);
    e.config(&[&[0], &[1], &[2]], 3, false);
    let mut c = e.secretgen(&[0, 1]);
    c.args(["sops", "updatekeys", "-y"]).arg(&plain);
    let out = ok(c);
    assert!(text(&out).contains("+++ shamir_threshold: 3\n--- shamir_threshold: 2\n"));
    let mut c = e.sops(&[0, 1]);
    c.arg("decrypt").arg(&plain);
    assert!(!run(c).status.success(), "two keys still open it");
    let mut c = e.sops(&[0, 1, 2]);
    c.arg("decrypt").arg(&plain);
    assert_eq!(text(&ok(c)), DOCS[0].1);
}

/// Without -y and without a terminal on stdin: the change is shown, nothing is written,
/// exit 2 with a message that says how to apply it.
#[test]
fn updatekeys_without_yes_and_terminal_writes_nothing() {
    let e = env();
    e.config(&[&[0]], 0, true);
    let plain = e.write("s.yaml", DOCS[0].1);
    let mut c = e.secretgen(&[]);
    c.args(["sops", "encrypt", "-i"]).arg(&plain);
    ok(c);
    let before = std::fs::read(&plain).unwrap();
    e.config(&[&[0, 1]], 0, true);
    let mut c = e.secretgen(&[0]);
    c.args(["sops", "updatekeys"])
        .arg(&plain)
        .stdin(std::process::Stdio::null());
    let out = run(c);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("pass -y"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(std::fs::read(&plain).unwrap(), before);
}

/// `rotate`: sops decrypts the result to the same document, every ENC[] differs (a new
/// data key), and a removed recipient no longer opens it; an added one does.
#[test]
fn rotate_reencrypts_everything_under_a_new_data_key() {
    let e = env();
    for (name, doc) in DOCS {
        let plain = e.write(name, doc);
        let mut c = e.sops(&[]);
        c.args(["encrypt", "--age", e.recipient(0), "-i"])
            .arg(&plain);
        ok(c);
        let before = std::fs::read_to_string(&plain).unwrap();
        let mut c = e.sops(&[0]);
        c.arg("decrypt").arg(&plain);
        let want = ok(c);
        let mut c = e.secretgen(&[0]);
        c.args(["sops", "rotate", "--add-age", e.recipient(1), "--rm-age"])
            .arg(e.recipient(0))
            .arg(&plain);
        let out = ok(c);
        no_canary("rotate's output", &out);
        // Without -i the file stays.
        assert_eq!(std::fs::read_to_string(&plain).unwrap(), before);
        let rotated = e.write(&format!("rotated.{name}"), &text(&out));
        let mut c = e.sops(&[1]);
        c.arg("decrypt").arg(&rotated);
        assert_eq!(text(&ok(c)), text(&want), "{name}");
        let mut c = e.sops(&[0]);
        c.arg("decrypt").arg(&rotated);
        assert!(!run(c).status.success(), "{name}: the removed key opens it");
        let encs = |s: &str| -> Vec<String> {
            s.split("ENC[")
                .skip(1)
                .map(|p| p[..p.find(']').unwrap()].to_string())
                .collect()
        };
        let (old, new) = (encs(&before), encs(&text(&out)));
        assert_eq!(old.len(), new.len(), "{name}");
        assert!(
            old.iter().all(|o| !new.contains(o)),
            "{name}: an ENC[] kept"
        );
        // -i writes it back.
        let mut c = e.secretgen(&[1]);
        c.args(["sops", "rotate", "-i"]).arg(&rotated);
        ok(c);
        let mut c = e.sops(&[1]);
        c.arg("decrypt").arg(&rotated);
        assert_eq!(text(&ok(c)), text(&want));
    }
}

/// `set` (and `edit`, through the same check) warn when the file's recipients differ
/// from its rule now, naming the added and removed recipients, never the value; no
/// warning when they match.
#[test]
fn set_warns_when_recipients_differ_from_the_rule() {
    let e = env();
    e.config(&[&[0]], 0, true);
    let plain = e.write("s.yaml", DOCS[0].1);
    let mut c = e.secretgen(&[]);
    c.args(["sops", "encrypt", "-i"]).arg(&plain);
    ok(c);
    let mut c = e.secretgen(&[0]);
    c.args(["sops", "set"])
        .arg(&plain)
        .args(["[\"other\"]", "\"canary-groups-7f3e9b\""]);
    let out = run(c);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        !text(&out.stderr).contains("warning"),
        "{}",
        text(&out.stderr)
    );
    e.config(&[&[1, 2]], 0, true);
    let mut c = e.secretgen(&[0]);
    c.args(["sops", "set"])
        .arg(&plain)
        .args(["[\"other\"]", "\"canary-groups-7f3e9b-2\""]);
    let out = run(c);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("warning"), "{err}");
    assert!(err.contains(&format!("added {}", e.recipient(1))), "{err}");
    assert!(err.contains(&format!("added {}", e.recipient(2))), "{err}");
    assert!(
        err.contains(&format!("removed {}", e.recipient(0))),
        "{err}"
    );
    assert!(err.contains("updatekeys"), "{err}");
    no_canary("the warning", &out.stderr);
}

/// `check --recipients`: exit 1 listing every SOPS file whose keys differ from its rule
/// (and only those), without any key; exit 0 once `updatekeys` applied the rule.
#[test]
fn check_recipients_lists_files_off_their_rules() {
    let e = env();
    e.config(&[&[0]], 0, true);
    let a = e.write("a.yaml", DOCS[0].1);
    let b = e.write("b.yaml", DOCS[0].1);
    e.write("plain.txt", "not sops\n");
    for f in [&a, &b] {
        let mut c = e.secretgen(&[]);
        c.args(["sops", "encrypt", "-i"]).arg(f);
        ok(c);
    }
    let mut c = e.secretgen(&[]);
    c.args(["check", "--recipients", "."]);
    let out = run(c);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // The rule moves to key 1; b is brought along, a is not.
    e.config(&[&[1]], 0, true);
    let mut c = e.secretgen(&[0]);
    c.args(["sops", "updatekeys", "-y"]).arg(&b);
    ok(c);
    let mut c = e.secretgen(&[]);
    c.args(["check", "--recipients", "."]);
    let out = run(c);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let listed = text(&out.stdout);
    assert!(listed.contains("a.yaml"), "{listed}");
    assert!(!listed.contains("b.yaml"), "{listed}");
    assert!(
        listed.contains(&format!("removed {}", e.recipient(0))),
        "{listed}"
    );
    no_canary("check's output", &out.stdout);
    let mut c = e.secretgen(&[0]);
    c.args(["sops", "updatekeys", "-y"]).arg(&a);
    ok(c);
    let mut c = e.secretgen(&[]);
    c.args(["check", "--recipients"]).arg(&a).arg(&b);
    assert_eq!(run(c).status.code(), Some(0));
}

/// The README's key-management block, run as written with bash in a fresh directory:
/// `check --recipients` fails before `updatekeys`, passes after, and sops opens the rotated
/// file with the new key only.
#[test]
fn the_readme_key_management_block_runs_as_written() {
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let from = readme
        .find("### Key groups, updatekeys and rotate")
        .unwrap();
    let rest = &readme[from..];
    let start = rest.find("```sh\n").unwrap() + "```sh\n".len();
    let block = &rest[start..start + rest[start..].find("```").unwrap()];
    let e = env();
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_secretgen"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut c = Command::new("bash");
    c.args(["-e", "-c", block])
        .current_dir(e.work())
        .env("PATH", path)
        .env("HOME", e.dir.path().join("no-home"))
        .env_remove("SOPS_AGE_KEY_FILE")
        .env_remove("SOPS_AGE_KEY")
        .env_remove("SOPS_AGE_RECIPIENTS");
    let out = run(c);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(said.contains("exit 1: db.yaml"), "{said}");
    assert!(said.contains("Group 1\n+++ age1"), "{said}");
    let team = e.work().join("team");
    let mut c = e.sops(&[]);
    c.env("SOPS_AGE_KEY_FILE", team.join("new.txt"))
        .arg("decrypt")
        .arg(team.join("db.yaml"));
    assert_eq!(text(&ok(c)), "password: hunter2\n");
    let mut c = e.sops(&[]);
    c.env("SOPS_AGE_KEY_FILE", team.join("old.txt"))
        .arg("decrypt")
        .arg(team.join("db.yaml"));
    assert!(!run(c).status.success());
}
