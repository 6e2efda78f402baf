//! `secretgen sops encrypt` and `secretgen sops decrypt` against the real sops 3.13.3
//! (`.tools/bin/sops`, from tests/setup.sh): for every format and each rule, the file
//! secretgen encrypts is decrypted by `sops decrypt` to exactly what sops' own encryption of
//! the same input decrypts to, secretgen reads it back, and its layout (every byte but the
//! ciphertexts, the wrapped data key and `lastmodified`) is sops' own.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::{canary_forms, secretgen_in, text, tool};

/// A private directory with an age key pair; the commands it makes find that key, the
/// GNUPGHOME `gnupg` (made by the PGP tests) and the variables of `extra` (a KMS emulator's).
pub(crate) struct Env {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) key_file: PathBuf,
    pub(crate) recipient: String,
    pub(crate) extra: Vec<(&'static str, String)>,
}

impl Env {
    /// The GNUPGHOME every command of this environment is given.
    pub(crate) fn gnupg(&self) -> PathBuf {
        self.dir.path().join("gnupg")
    }
}

pub(crate) fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("key.txt");
    let out = tool("age-keygen")
        .arg("-o")
        .arg(&key_file)
        .output()
        .unwrap();
    assert!(out.status.success(), "age-keygen: {}", text(&out.stderr));
    let out = tool("age-keygen")
        .arg("-y")
        .arg(&key_file)
        .output()
        .unwrap();
    let recipient = text(&out.stdout).trim().to_string();
    Env {
        dir,
        key_file,
        recipient,
        extra: Vec::new(),
    }
}

impl Env {
    pub(crate) fn isolate(&self, c: &mut Command, cwd: &Path) {
        c.current_dir(cwd)
            .env("HOME", self.dir.path().join("no-home"))
            .env("XDG_CONFIG_HOME", self.dir.path().join("no-xdg"))
            .env("SOPS_AGE_KEY_FILE", &self.key_file)
            .env("GNUPGHOME", self.gnupg())
            .env_remove("SOPS_AGE_KEY")
            .env_remove("SOPS_AGE_RECIPIENTS")
            .env_remove("SOPS_PGP_FP")
            .env_remove("SOPS_KMS_ARN")
            .envs(self.extra.iter().map(|(k, v)| (k, v)));
    }
    pub(crate) fn sops(&self, cwd: &Path) -> Command {
        let mut c = tool("sops");
        self.isolate(&mut c, cwd);
        c
    }
    pub(crate) fn secretgen(&self, cwd: &Path) -> Command {
        let mut c = secretgen_in(cwd);
        self.isolate(&mut c, cwd);
        c
    }
}

pub(crate) fn ok(mut c: Command) -> Vec<u8> {
    let out = c.output().unwrap();
    assert!(out.status.success(), "{c:?} failed: {}", text(&out.stderr));
    out.stdout
}

/// The bytes with what differs between two encryptions of the same input masked: each
/// `ENC[…]` keeps only its type, the armored data key goes (age or PGP), a KMS `enc` (a
/// long base64 run) too, every time (`lastmodified`, `created_at`) too.
fn layout(bytes: &[u8]) -> String {
    let mut s = text(bytes);
    let mut out = String::new();
    while let Some(at) = s.find("ENC[AES256_GCM,") {
        out.push_str(&s[..at]);
        let rest = &s[at..];
        let end = rest.find(']').expect("an ENC value ends");
        let kind = rest[..end].rsplit("type:").next().unwrap_or_default();
        out.push_str(&format!("ENC[{kind}]"));
        s = rest[end + 1..].to_string();
    }
    out.push_str(&s);
    let (begin, end) = (
        "-----BEGIN AGE ENCRYPTED FILE-----",
        "-----END AGE ENCRYPTED FILE-----",
    );
    while let (Some(a), Some(b)) = (out.find(begin), out.find(end)) {
        out.replace_range(a..b + end.len(), "AGE");
    }
    let (begin, end) = ("-----BEGIN PGP MESSAGE-----", "-----END PGP MESSAGE-----");
    while let (Some(a), Some(b)) = (out.find(begin), out.find(end)) {
        out.replace_range(a..b + end.len(), "PGP");
    }
    mask_time(&mask_base64(&out))
}

/// Each run of 100 or more base64 characters (a KMS-wrapped data key) as `B64`.
fn mask_base64(s: &str) -> String {
    let b64 = |c: char| c.is_ascii_alphanumeric() || "+/=".contains(c);
    let mut out = String::new();
    let mut run = String::new();
    for c in s.chars() {
        if b64(c) {
            run.push(c);
            continue;
        }
        out.push_str(if run.len() >= 100 { "B64" } else { &run });
        run.clear();
        out.push(c);
    }
    out.push_str(if run.len() >= 100 { "B64" } else { &run });
    out
}

/// The text with each RFC 3339 UTC time (`lastmodified`: 2026-12-06T04:48:48Z) as `TIME`.
fn mask_time(out: &str) -> String {
    let b = out.as_bytes().to_vec();
    let mut masked = String::new();
    let mut i = 0;
    while i < b.len() {
        let w = &b[i..(i + 20).min(b.len())];
        let is_time = w.len() == 20
            && w.iter().enumerate().all(|(j, c)| match j {
                4 | 7 => *c == b'-',
                10 => *c == b'T',
                13 | 16 => *c == b':',
                19 => *c == b'Z',
                _ => c.is_ascii_digit(),
            });
        if is_time {
            masked.push_str("TIME");
            i += 20;
        } else {
            let ch = out[i..].chars().next().unwrap();
            masked.push(ch);
            i += ch.len_utf8();
        }
    }
    masked
}

const YAML: &str = "# top comment\na: hello\nb: 12\nc: true\nd: \"\"\nf: 1.50\nt: 2001-12-14t21:59:43.10-05:00\nnested:\n    # about x\n    x: [1, \"two\"]\n    y_unencrypted: plain\n    z_enc: sealed\n    note: keep # inline\nlist:\n    - one\n    - k: v\nmulti: |\n    line one\n    line two\n";
const JSON: &str = "{\"a\": \"hello\", \"b\": 12, \"c\": {\"d\": [1, 2.5, null, true]}, \"e\": \"\", \"f_unencrypted\": \"plain\", \"g_enc\": \"x\"}\n";
const DOTENV: &str = "# comment\nA=hello\nB=12\nEMPTY=\nC_unencrypted=plain\nD_enc=two\\nlines\n";
const INI: &str =
    "[sec]\na = hello\nb = 12\nc_unencrypted = plain\n; comment\n[two]\nc = x\nd_enc = y\n";
const BINARY: &str = "binary data\nline2\n";

/// The selectors `sops encrypt` takes as flags, each tried on every format.
fn flag_rules() -> Vec<Vec<&'static str>> {
    vec![
        vec![],
        vec!["--encrypted-regex", "^(a|x|D_enc|d_enc|g_enc|c)$"],
        vec!["--unencrypted-regex", "^(b|B|list|e)$"],
        vec!["--encrypted-suffix", "_enc"],
        vec!["--unencrypted-suffix", "_unencrypted"],
    ]
}

/// Encrypts `input` (named `name`) with both tools under `args`, in `cwd`, and checks
/// decryption by sops, reading back by secretgen, and the layout.
pub(crate) fn compare(e: &Env, cwd: &Path, name: &str, input: &str, args: &[&str]) {
    let file = cwd.join(name);
    std::fs::write(&file, input).unwrap();
    let mut c = e.sops(cwd);
    c.arg("encrypt").args(args).arg(&file);
    let theirs = ok(c);
    let mut c = e.secretgen(cwd);
    c.args(["sops", "encrypt"]).args(args).arg(&file);
    let ours = ok(c);
    let what = format!("{name} with {args:?}");
    assert_eq!(layout(&ours), layout(&theirs), "layout of {what}");
    let decrypt_with_sops = |bytes: &[u8]| {
        let enc = cwd.join(format!("enc-{name}"));
        std::fs::write(&enc, bytes).unwrap();
        let mut c = e.sops(cwd);
        c.args(["decrypt", "--filename-override", name]).arg(&enc);
        ok(c)
    };
    let want = decrypt_with_sops(&theirs);
    assert_eq!(
        text(&decrypt_with_sops(&ours)),
        text(&want),
        "sops decrypts {what}"
    );
    let enc = cwd.join(format!("ours-{name}"));
    std::fs::write(&enc, &ours).unwrap();
    let mut c = e.secretgen(cwd);
    c.args(["sops", "decrypt", "--filename-override", name])
        .arg(&enc);
    assert_eq!(text(&ok(c)), text(&want), "secretgen reads back {what}");
}

pub(crate) fn formats() -> [(&'static str, &'static str); 5] {
    [
        ("s.yaml", YAML),
        ("s.json", JSON),
        ("s.env", DOTENV),
        ("s.ini", INI),
        ("s.txt", BINARY),
    ]
}

#[test]
fn every_format_and_flag_rule_matches_sops() {
    let e = env();
    let cwd = e.dir.path().join("flags");
    std::fs::create_dir_all(&cwd).unwrap();
    for (name, input) in formats() {
        for rule in flag_rules() {
            let mut args = vec!["--age", e.recipient.as_str()];
            args.extend(rule);
            compare(&e, &cwd, name, input, &args);
        }
    }
}

/// The rules only `.sops.yaml` gives sops 3.13.3's `encrypt` (comment regexes,
/// `mac_only_encrypted`), and the recipients from the rule: both tools read the same config.
#[test]
fn config_rules_match_sops() {
    let e = env();
    let rules = [
        "encrypted_comment_regex: '^ (about|comment)'",
        "unencrypted_comment_regex: '^ (about|comment)'",
        "mac_only_encrypted: true",
        "encrypted_regex: '^(a|x|c)$'\n    mac_only_encrypted: true",
        "unencrypted_suffix: _enc",
    ];
    for (n, rule) in rules.iter().enumerate() {
        let cwd = e.dir.path().join(format!("config-{n}"));
        std::fs::create_dir_all(&cwd).unwrap();
        std::fs::write(
            cwd.join(".sops.yaml"),
            format!(
                "creation_rules:\n  - path_regex: '\\.nomatch$'\n    age: age1nothing\n  - age: {}\n    {rule}\n",
                e.recipient
            ),
        )
        .unwrap();
        for (name, input) in formats() {
            compare(&e, &cwd, name, input, &[]);
        }
    }
}

/// `.sops.yaml` is found from the file, not from the working directory; `path_regex` is
/// matched against the path relative to the config's directory; `age` may be a list.
#[test]
fn config_is_found_from_the_target_file() {
    let e = env();
    let repo = e.dir.path().join("repo");
    std::fs::create_dir_all(repo.join("secrets/prod")).unwrap();
    std::fs::write(
        repo.join(".sops.yaml"),
        format!(
            "creation_rules:\n  - path_regex: ^secrets/prod/.*\\.yaml$\n    age:\n      - {}\n    encrypted_regex: ^(data|stringData)$\n  - path_regex: .*\n    age: age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq\n",
            e.recipient
        ),
    )
    .unwrap();
    let input = "apiVersion: v1\nkind: Secret\nmetadata:\n    name: db\nstringData:\n    password: hunter2\n";
    let file = repo.join("secrets/prod/db.yaml");
    std::fs::write(&file, input).unwrap();
    // sops finds the config from its working directory, the repository.
    let mut c = e.sops(&repo);
    c.args(["encrypt", "secrets/prod/db.yaml"]);
    let theirs = ok(c);
    // secretgen, run elsewhere, finds it from the file.
    let elsewhere = e.dir.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let mut c = e.secretgen(&elsewhere);
    c.args(["sops", "encrypt"]).arg(&file);
    let ours = ok(c);
    assert_eq!(layout(&ours), layout(&theirs));
    assert!(text(&ours).contains("name: db"), "metadata stays plain");
    // In place: the file is replaced by its encryption, which sops decrypts to the input.
    let mut c = e.secretgen(&elsewhere);
    c.args(["sops", "encrypt", "-i"]).arg(&file);
    ok(c);
    let mut c = e.sops(&elsewhere);
    c.arg("decrypt").arg(&file);
    assert_eq!(text(&ok(c)), input);
}

/// `decrypt --extract` prints what sops prints for a string, a number and a mapping.
#[test]
fn extract_matches_sops() {
    let e = env();
    let cwd = e.dir.path().join("extract");
    std::fs::create_dir_all(&cwd).unwrap();
    let file = cwd.join("s.yaml");
    std::fs::write(&file, YAML).unwrap();
    let mut c = e.secretgen(&cwd);
    c.args(["sops", "encrypt", "-i", "--age", &e.recipient])
        .arg(&file);
    ok(c);
    for path in [
        "[\"a\"]",
        "[\"b\"]",
        "[\"nested\"]",
        "[\"nested\"][\"x\"][1]",
        "[\"multi\"]",
        "[\"list\"][1]",
    ] {
        let mut c = e.sops(&cwd);
        c.args(["decrypt", "--extract", path]).arg(&file);
        let want = ok(c);
        let mut c = e.secretgen(&cwd);
        c.args(["sops", "decrypt", "--extract", path]).arg(&file);
        assert_eq!(text(&ok(c)), text(&want), "--extract {path}");
    }
}

fn stderr_of(c: &mut Command) -> Output {
    let out = c.output().unwrap();
    assert!(!out.status.success(), "{c:?} should fail");
    out
}

/// No failing run shows a value: not the plaintext's, not a decrypted one.
#[test]
fn failing_runs_never_show_a_value() {
    const CANARY: &str = "CANARY-7f3a9c-value";
    let e = env();
    let cwd = e.dir.path().join("canary");
    std::fs::create_dir_all(&cwd).unwrap();
    let plain = cwd.join("s.yaml");
    std::fs::write(&plain, format!("password: {CANARY}\nother: x\n")).unwrap();
    let enc = cwd.join("enc.yaml");
    let mut c = e.secretgen(&cwd);
    c.args(["sops", "encrypt", "--age", &e.recipient, "-o"])
        .arg(&enc)
        .arg(&plain);
    ok(c);
    let tampered = cwd.join("tampered.yaml");
    let t = text(&std::fs::read(&enc).unwrap()).replace(
        "other: ENC[AES256_GCM,data:",
        "other: ENC[AES256_GCM,data:AA",
    );
    std::fs::write(&tampered, t).unwrap();
    let bad_env = cwd.join("bad.env");
    std::fs::write(&bad_env, format!("A=1\n{CANARY}\n")).unwrap();
    let mut runs: Vec<Command> = Vec::new();
    // Already encrypted.
    let mut c = e.secretgen(&cwd);
    c.args(["sops", "encrypt", "--age", &e.recipient]).arg(&enc);
    runs.push(c);
    // No key.
    let mut c = e.secretgen(&cwd);
    c.args(["sops", "decrypt"])
        .arg(&enc)
        .env_remove("SOPS_AGE_KEY_FILE");
    runs.push(c);
    // A value altered.
    let mut c = e.secretgen(&cwd);
    c.args(["sops", "decrypt"]).arg(&tampered);
    runs.push(c);
    // A path that is not there.
    let mut c = e.secretgen(&cwd);
    c.args(["sops", "decrypt", "--extract", "[\"password\"][\"deeper\"]"])
        .arg(&enc);
    runs.push(c);
    // Rules that conflict, a regex that does not compile, a dotenv line without `=`.
    let mut c = e.secretgen(&cwd);
    c.args([
        "sops",
        "encrypt",
        "--age",
        &e.recipient,
        "--encrypted-regex",
        "a",
        "--unencrypted-suffix",
        "_u",
    ])
    .arg(&plain);
    runs.push(c);
    let mut c = e.secretgen(&cwd);
    c.args([
        "sops",
        "encrypt",
        "--age",
        &e.recipient,
        "--encrypted-regex",
        "(",
    ])
    .arg(&plain);
    runs.push(c);
    let mut c = e.secretgen(&cwd);
    c.args(["sops", "encrypt", "--age", &e.recipient])
        .arg(&bad_env);
    runs.push(c);
    // Decrypting the plaintext.
    let mut c = e.secretgen(&cwd);
    c.args(["sops", "decrypt"]).arg(&plain);
    runs.push(c);
    for mut c in runs {
        let out = stderr_of(&mut c);
        let err = text(&out.stderr);
        assert!(!err.is_empty(), "{c:?} says why");
        for form in canary_forms(CANARY) {
            assert!(!err.contains(&form), "{c:?} shows a value: {err}");
        }
        assert!(out.stdout.is_empty(), "{c:?} prints nothing on failure");
    }
}

/// The line numbers at which `after` differs from `before` (a line-by-line LCS diff's
/// changed, added and removed lines).
/// `lastmodified` and the MAC's ciphertext are masked: sops seals an unchanged MAC again
/// with its IV under the new `lastmodified`, so whether those lines change depends on the
/// second each tool ran in.
fn changed_lines(before: &[u8], after: &[u8]) -> Vec<String> {
    let mask = |t: &[u8]| -> String {
        mask_time(&text(t))
            .split_inclusive('\n')
            .map(|line| match line.find("ENC[AES256_GCM,") {
                Some(at) if is_mac_key(&line[..at]) => format!("{}MAC\n", &line[..at]),
                _ => line.to_string(),
            })
            .collect()
    };
    let (b, a) = (mask(before), mask(after));
    let diff = similar::TextDiff::from_lines(&b, &a);
    diff.ops()
        .iter()
        .filter(|op| op.tag() != similar::DiffTag::Equal)
        .map(|op| format!("{:?} {:?} {:?}", op.tag(), op.old_range(), op.new_range()))
        .collect()
}

/// Whether the text before an `ENC[` value is the MAC's key (YAML, JSON, dotenv or INI).
fn is_mac_key(prefix: &str) -> bool {
    let p = prefix.trim();
    p == "mac:"
        || p == "\"mac\": \""
        || p == "sops_mac="
        || (p.starts_with("mac ") && p.ends_with('='))
}

/// A file name, its plaintext, the rule flags it is encrypted with, and the changes tried
/// on it (`set PATH VALUE` or `unset PATH`).
type SetCase = (
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static [&'static [&'static str]],
);

/// `sops set`/`sops unset` and secretgen's on the same file sops encrypted: the same lines
/// change (the value's, the MAC and `lastmodified`: every other value keeps its
/// ciphertext), and both decrypt to the same document.
#[test]
fn set_and_unset_change_the_lines_sops_changes() {
    let e = env();
    let cwd = e.dir.path().join("set");
    std::fs::create_dir_all(&cwd).unwrap();
    let cases: &[SetCase] = &[
        (
            "s.yaml",
            YAML,
            &[],
            &[
                &["set", "[\"a\"]", "\"new\""],
                &["set", "[\"nested\"][\"x\"][1]", "3"],
                &["set", "[\"new\"][\"k\"]", "5"],
                &["set", "[\"nested\"][\"y_unencrypted\"]", "\"changed\""],
                &["unset", "[\"c\"]"],
                &["unset", "[\"list\"][0]"],
            ],
        ),
        (
            "r.yaml",
            YAML,
            &["--encrypted-regex", "^(a|x)$"],
            &[&["set", "[\"b\"]", "13"], &["set", "[\"a\"]", "\"new\""]],
        ),
        (
            "s.json",
            JSON,
            &[],
            &[
                &["set", "[\"c\"][\"d\"][1]", "7.5"],
                &["set", "[\"a\"]", "{\"m\": [1, \"x\"]}"],
                &["unset", "[\"e\"]"],
            ],
        ),
        (
            "s.env",
            DOTENV,
            &[],
            &[&["set", "[\"B\"]", "\"x\""], &["unset", "[\"A\"]"]],
        ),
        (
            "s.ini",
            INI,
            &[],
            &[
                &["set", "[\"sec\"][\"b\"]", "\"x\""],
                &["unset", "[\"two\"][\"c\"]"],
            ],
        ),
    ];
    for (name, input, rule, changes) in cases {
        let plain = cwd.join(name);
        std::fs::write(&plain, input).unwrap();
        let mut c = e.sops(&cwd);
        c.args(["encrypt", "--age", &e.recipient])
            .args(*rule)
            .arg(&plain);
        let base = ok(c);
        for change in *changes {
            let theirs = cwd.join(format!("theirs-{name}"));
            let ours = cwd.join(format!("ours-{name}"));
            std::fs::write(&theirs, &base).unwrap();
            std::fs::write(&ours, &base).unwrap();
            let mut c = e.sops(&cwd);
            c.arg(change[0]).arg(&theirs).args(&change[1..]);
            ok(c);
            let mut c = e.secretgen(&cwd);
            c.args(["sops", change[0]]).arg(&ours).args(&change[1..]);
            ok(c);
            let (t, o) = (
                std::fs::read(&theirs).unwrap(),
                std::fs::read(&ours).unwrap(),
            );
            let what = format!("{name} {change:?}");
            assert_eq!(
                changed_lines(&base, &o),
                changed_lines(&base, &t),
                "lines changed by {what}"
            );
            assert_eq!(layout(&o), layout(&t), "layout after {what}");
            let decrypt = |f: &Path| {
                let mut c = e.sops(&cwd);
                c.args(["decrypt", "--filename-override", name]).arg(f);
                ok(c)
            };
            assert_eq!(text(&decrypt(&ours)), text(&decrypt(&theirs)), "{what}");
            let mut c = e.secretgen(&cwd);
            c.args(["sops", "decrypt", "--filename-override", name])
                .arg(&ours);
            assert_eq!(
                text(&ok(c)),
                text(&decrypt(&theirs)),
                "secretgen reads back {what}"
            );
        }
    }
}

/// `sops edit` with a scripted editor, and `secretgen sops edit` on a pseudo-terminal
/// (`script`) with the same editor, on copies of one file sops encrypted: the same lines
/// change, both decrypt to the same document, and no plaintext copy is left behind.
#[test]
fn edit_changes_the_lines_sops_edit_changes() {
    let e = env();
    let cwd = e.dir.path().join("edit");
    let tmp = e.dir.path().join("edit-tmp");
    std::fs::create_dir_all(&cwd).unwrap();
    std::fs::create_dir_all(&tmp).unwrap();
    let editor = cwd.join("editor.sh");
    // Changes one value in each format's fixture, and adds a line.
    std::fs::write(
        &editor,
        "#!/bin/sh\nsed -i -e 's/hello/changed/' -e 's/^B=12$/B=13/' \"$1\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&editor, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    for (name, input) in formats() {
        if name.ends_with(".txt") {
            continue;
        }
        let plain = cwd.join(name);
        std::fs::write(&plain, input).unwrap();
        let mut c = e.sops(&cwd);
        c.args(["encrypt", "--age", &e.recipient]).arg(&plain);
        let base = ok(c);
        let theirs = cwd.join(format!("theirs-{name}"));
        let ours = cwd.join(format!("ours-{name}"));
        std::fs::write(&theirs, &base).unwrap();
        std::fs::write(&ours, &base).unwrap();
        let mut c = e.sops(&cwd);
        c.arg("edit").arg(&theirs).env("EDITOR", &editor);
        ok(c);
        let out = edit_on_a_terminal(&e, &cwd, &ours, &editor, &tmp, &[]);
        assert!(out.status.success(), "{name}: {}", text(&out.stdout));
        let (t, o) = (
            std::fs::read(&theirs).unwrap(),
            std::fs::read(&ours).unwrap(),
        );
        assert_ne!(o, base, "{name}: the edit was written");
        assert_eq!(
            changed_lines(&base, &o),
            changed_lines(&base, &t),
            "lines changed by editing {name}"
        );
        let decrypt = |f: &Path| {
            let mut c = e.sops(&cwd);
            c.args(["decrypt", "--filename-override", name]).arg(f);
            ok(c)
        };
        assert_eq!(text(&decrypt(&ours)), text(&decrypt(&theirs)), "{name}");
        assert_eq!(
            std::fs::read_dir(&tmp).unwrap().count(),
            0,
            "{name}: the plaintext copy is gone"
        );
    }
}

/// `secretgen sops edit FILE` run on a pseudo-terminal (`script`) with `editor` as $EDITOR
/// and `tmp` as $TMPDIR; its output is the terminal's.
fn edit_on_a_terminal(
    e: &Env,
    cwd: &Path,
    file: &Path,
    editor: &Path,
    tmp: &Path,
    vars: &[(&str, &Path)],
) -> Output {
    let mut c = Command::new("script");
    e.isolate(&mut c, cwd);
    c.envs(vars.iter().copied());
    c.args([
        "-qec",
        &format!(
            "exec {} sops edit {}",
            env!("CARGO_BIN_EXE_secretgen"),
            file.display()
        ),
        "/dev/null",
    ])
    .env("EDITOR", editor)
    .env_remove("SOPS_EDITOR")
    .env("TMPDIR", tmp)
    .stdin(std::process::Stdio::null());
    c.output().expect("`script` (util-linux) is required")
}

/// A new age recipient (its identity thrown away).
fn another_recipient(dir: &Path, name: &str) -> String {
    let key = dir.join(name);
    let out = tool("age-keygen").arg("-o").arg(&key).output().unwrap();
    assert!(out.status.success(), "age-keygen: {}", text(&out.stderr));
    let out = tool("age-keygen").arg("-y").arg(&key).output().unwrap();
    text(&out.stdout).trim().to_string()
}

/// `sops edit` and `secretgen sops edit` on a file that does not exist, with an editor that
/// keeps a copy of what it was given and writes a fixed document: both start from the same
/// example, both files decrypt (by sops) to the same document, both are encrypted to the
/// creation rule that matches the new file's path (not the rule before it), the document
/// never shows on the terminal, and no plaintext copy is left behind.
#[test]
fn edit_creates_a_missing_file_as_sops_edit_does() {
    const CANARY: &str = "Kq7newFileCanaryZ9";
    let e = env();
    let root = e.dir.path().join("create");
    let tmp = e.dir.path().join("create-tmp");
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::create_dir_all(&tmp).unwrap();
    let other = another_recipient(e.dir.path(), "other.txt");
    let second = another_recipient(e.dir.path(), "second.txt");
    std::fs::write(
        root.join(".sops.yaml"),
        format!(
            "creation_rules:\n  - path_regex: ^elsewhere/\n    age: {other}\n  - path_regex: ^sub/.*\n    age: {},{second}\n",
            e.recipient
        ),
    )
    .unwrap();
    let editor = e.dir.path().join("editor.sh");
    std::fs::write(
        &editor,
        "#!/bin/sh\ncp \"$1\" \"$CAPTURE\"\ncp \"$DOC\" \"$1\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&editor, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    for (name, input) in formats() {
        let doc = if input.contains("hello") {
            input.replace("hello", CANARY)
        } else {
            format!("{CANARY}\n{input}")
        };
        let doc_file = e.dir.path().join(format!("doc-{name}"));
        std::fs::write(&doc_file, &doc).unwrap();
        let (theirs, ours) = (
            root.join("sub").join(format!("theirs-{name}")),
            root.join("sub").join(format!("ours-{name}")),
        );
        let (their_example, our_example) = (
            e.dir.path().join(format!("example-theirs-{name}")),
            e.dir.path().join(format!("example-ours-{name}")),
        );
        let mut c = e.sops(&root);
        c.arg("edit")
            .arg(theirs.strip_prefix(&root).unwrap())
            .env("EDITOR", &editor)
            .env("DOC", &doc_file)
            .env("CAPTURE", &their_example);
        ok(c);
        // secretgen from another directory: the rule is the one for the file's path.
        let out = edit_on_a_terminal(
            &e,
            e.dir.path(),
            &ours,
            &editor,
            &tmp,
            &[("DOC", &doc_file), ("CAPTURE", &our_example)],
        );
        assert!(out.status.success(), "{name}: {}", text(&out.stdout));
        assert!(
            !text(&out.stdout).contains(CANARY) && !text(&out.stderr).contains(CANARY),
            "{name}: the new document showed on the terminal"
        );
        assert_eq!(
            text(&std::fs::read(&our_example).unwrap()),
            text(&std::fs::read(&their_example).unwrap()),
            "{name}: the editor starts on sops' example"
        );
        let decrypt = |f: &Path| {
            let mut c = e.sops(&root);
            c.args(["decrypt"]).arg(f);
            ok(c)
        };
        assert!(
            text(&decrypt(&ours)).contains(CANARY),
            "{name}: the document"
        );
        assert_eq!(text(&decrypt(&ours)), text(&decrypt(&theirs)), "{name}");
        for f in [&ours, &theirs] {
            let written = text(&std::fs::read(f).unwrap());
            assert!(
                written.contains(&e.recipient) && written.contains(&second),
                "{name}: {} is encrypted to the rule of `sub/`",
                f.display()
            );
            assert!(!written.contains(&other), "{name}: not to the first rule");
            assert!(!written.contains(CANARY), "{name}: encrypted");
        }
        assert_eq!(
            std::fs::read_dir(&tmp).unwrap().count(),
            0,
            "{name}: the plaintext copy is gone"
        );
    }
}

/// The example left unchanged creates nothing (sops: "File has not changed"); a document
/// sops refuses to encrypt (an empty YAML file) creates nothing either, and no staging file
/// is left beside it.
#[test]
fn edit_of_a_missing_file_creates_nothing_unless_a_document_is_written() {
    let e = env();
    let root = e.dir.path().join("nothing");
    let tmp = e.dir.path().join("nothing-tmp");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::create_dir_all(&tmp).unwrap();
    std::fs::write(
        root.join(".sops.yaml"),
        format!("creation_rules:\n  - age: {}\n", e.recipient),
    )
    .unwrap();
    let keep = e.dir.path().join("keep.sh");
    std::fs::write(&keep, "#!/bin/sh\ntrue\n").unwrap();
    let empty = e.dir.path().join("empty.sh");
    std::fs::write(&empty, "#!/bin/sh\n: > \"$1\"\n").unwrap();
    for f in [&keep, &empty] {
        std::fs::set_permissions(f, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    }
    let file = root.join("new.yaml");
    let mut c = e.sops(&root);
    c.arg("edit").arg(&file).env("EDITOR", &keep);
    let theirs = c.output().unwrap();
    assert_eq!(
        theirs.status.code(),
        Some(200),
        "sops: {}",
        text(&theirs.stderr)
    );
    assert!(!file.exists(), "sops creates nothing");
    let out = edit_on_a_terminal(&e, &root, &file, &keep, &tmp, &[]);
    assert!(out.status.success(), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("not created"),
        "{}",
        text(&out.stdout)
    );
    assert!(!file.exists(), "the unchanged example creates nothing");
    let out = edit_on_a_terminal(&e, &root, &file, &empty, &tmp, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    assert!(!file.exists(), "an empty YAML document creates nothing");
    // `sops encrypt` refuses the same empty document, and so does secretgen's.
    std::fs::write(root.join("empty.yaml"), "").unwrap();
    let mut c = e.sops(&root);
    c.args(["encrypt", "empty.yaml"]);
    assert!(
        !c.output().unwrap().status.success(),
        "sops refuses an empty file"
    );
    let mut c = e.secretgen(&root);
    c.args(["sops", "encrypt", "empty.yaml"]);
    assert_eq!(
        c.output().unwrap().status.code(),
        Some(2),
        "so does secretgen"
    );
    std::fs::remove_file(root.join("empty.yaml")).unwrap();
    let left: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|d| d.unwrap().file_name())
        .collect();
    assert_eq!(
        left,
        [std::ffi::OsString::from(".sops.yaml")],
        "nothing else written"
    );
    assert_eq!(
        std::fs::read_dir(&tmp).unwrap().count(),
        0,
        "no plaintext copy left"
    );
}
