//! Where identities come from and in which order, what identity files may hold, and the
//! manners of the key tools (a real terminal, atomic writes, `--help` examples), plus the
//! README's age walkthrough run literally as a new user would.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common;
use common::{isolate, run_ok, secretgen_in as secretgen, text};

const CANARY: &str = "CANARY-7c41-identity-plaintext";

/// A fresh X25519 identity from the Go `age-keygen`: (file, recipient).
fn age_keygen(path: &Path) -> String {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut c = common::tool("age-keygen");
    c.arg("-o").arg(path);
    run_ok(c);
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("# public key: "))
        .unwrap()
        .to_string()
}

fn ssh_keygen(path: &Path, kind: &str, passphrase: &str) {
    let mut c = Command::new("ssh-keygen");
    c.args(["-q", "-N", passphrase, "-t", kind, "-f"]).arg(path);
    if kind == "rsa" {
        c.args(["-b", "2048"]);
    }
    run_ok(c);
}

/// Encrypts `plain` with the Go `age` CLI to `-r`/`-R` recipients.
fn go_encrypt(plain: &Path, out: &Path, recipients: &[(&str, &str)]) {
    let mut c = common::tool("age");
    c.arg("-a");
    for (flag, r) in recipients {
        c.arg(flag).arg(r);
    }
    c.arg("-o").arg(out).arg(plain);
    run_ok(c);
}

fn generator(dir: &Path, file: &str) {
    std::fs::write(
        dir.join("gen.yaml"),
        format!(
            "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: s\nfiles:\n- {file}\n"
        ),
    )
    .unwrap();
}

/// The plaintext twin's rendering, the reference every decryption must reproduce.
fn expected_render(dir: &Path, key: &str) -> String {
    let twin = dir.join("twin");
    std::fs::create_dir_all(&twin).unwrap();
    std::fs::write(twin.join(key), CANARY).unwrap();
    std::fs::write(
        twin.join("gen.yaml"),
        format!(
            "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: s\nfiles:\n- {key}\n"
        ),
    )
    .unwrap();
    let mut c = secretgen(&twin);
    c.args(["render", "gen.yaml"]);
    text(&run_ok(c).stdout)
}

/// The seven places, in order. Each sets its place to the key file (or its text) given.
type Setter = Box<dyn Fn(&mut Command, &Path, &Path)>;

fn places() -> Vec<(&'static str, Setter)> {
    fn write_keys(root: &Path, rel: &str, key: &Path) -> PathBuf {
        let file = root.join(rel);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::copy(key, &file).unwrap();
        file
    }
    vec![
        (
            "--identity",
            Box::new(|c: &mut Command, _: &Path, key: &Path| {
                c.arg("--identity").arg(key);
            }) as Setter,
        ),
        (
            "SECRETGEN_AGE_IDENTITY_FILE",
            Box::new(|c: &mut Command, _: &Path, key: &Path| {
                c.env("SECRETGEN_AGE_IDENTITY_FILE", key);
            }) as Setter,
        ),
        (
            "SECRETGEN_AGE_IDENTITY",
            Box::new(|c: &mut Command, _: &Path, key: &Path| {
                c.env(
                    "SECRETGEN_AGE_IDENTITY",
                    std::fs::read_to_string(key).unwrap(),
                );
            }) as Setter,
        ),
        (
            "SOPS_AGE_KEY_FILE",
            Box::new(|c: &mut Command, _: &Path, key: &Path| {
                c.env("SOPS_AGE_KEY_FILE", key);
            }) as Setter,
        ),
        (
            "SOPS_AGE_KEY",
            Box::new(|c: &mut Command, _: &Path, key: &Path| {
                c.env("SOPS_AGE_KEY", std::fs::read_to_string(key).unwrap());
            }) as Setter,
        ),
        (
            "sops/age/keys.txt",
            Box::new(|c: &mut Command, scratch: &Path, key: &Path| {
                let root = scratch.join(format!("xdg-{}", key.file_stem().unwrap().display()));
                write_keys(&root, "sops/age/keys.txt", key);
                c.env("XDG_CONFIG_HOME", root);
            }) as Setter,
        ),
        (
            ".config/sops/age/keys.txt",
            Box::new(|c: &mut Command, scratch: &Path, key: &Path| {
                let root = scratch.join(format!("home-{}", key.file_stem().unwrap().display()));
                write_keys(&root, ".config/sops/age/keys.txt", key);
                c.env("HOME", root);
            }) as Setter,
        ),
    ]
}

/// The three explicit places come first, and the first one set wins alone.
const EXPLICIT: usize = 3;

/// Every place works on its own. Of the explicit places the first that is set wins alone: a
/// right key there decrypts whatever wrong keys lie further down, and a wrong key there is
/// reported as tried, even with the right key further down. Without them every place sops
/// reads is tried, as sops does: a wrong key in one never hides the right one in another,
/// and when none fits, the message lists every key tried from every place.
#[test]
fn each_identity_place_and_their_order() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let good_pub = age_keygen(&d.join("keys/good.txt"));
    let wrong_pub = age_keygen(&d.join("keys/wrong.txt"));
    std::fs::write(d.join("p.txt"), CANARY).unwrap();
    go_encrypt(
        &d.join("p.txt"),
        &d.join("pw.txt.age"),
        &[("-r", &good_pub)],
    );
    generator(d, "pw.txt.age");
    let want = expected_render(d, "pw.txt");
    let (good, wrong) = (d.join("keys/good.txt"), d.join("keys/wrong.txt"));
    let places = places();
    let source_of = |name: &str, which: &str| match name {
        "--identity" => format!("--identity {}", d.join("keys").join(which).display()),
        "sops/age/keys.txt" => format!(
            "{}/xdg-{}/sops/age/keys.txt",
            d.display(),
            &which[..which.len() - 4]
        ),
        ".config/sops/age/keys.txt" => {
            format!(
                "{}/home-{}/.config/sops/age/keys.txt",
                d.display(),
                &which[..which.len() - 4]
            )
        }
        env => env.to_string(),
    };
    for (i, (name, set)) in places.iter().enumerate() {
        // Alone.
        let mut c = secretgen(d);
        c.args(["render", "gen.yaml"]);
        set(&mut c, d, &good);
        let out = c.output().unwrap();
        assert!(out.status.success(), "{name} alone: {}", text(&out.stderr));
        assert_eq!(text(&out.stdout), want, "{name} alone");

        // Right here, wrong everywhere else.
        let mut c = secretgen(d);
        c.args(["render", "gen.yaml"]);
        for (k, (_, other)) in places.iter().enumerate() {
            if k > i || (i >= EXPLICIT && k >= EXPLICIT && k != i) {
                other(&mut c, d, &wrong);
            }
        }
        set(&mut c, d, &good);
        let out = c.output().unwrap();
        assert!(
            out.status.success(),
            "{name} with wrong keys elsewhere: {}",
            text(&out.stderr)
        );
        assert_eq!(text(&out.stdout), want);

        // Wrong here, right everywhere below: an explicit place is used alone.
        if i < EXPLICIT {
            let mut c = secretgen(d);
            c.args(["render", "gen.yaml"]);
            set(&mut c, d, &wrong);
            for (_, lower) in &places[i + 1..] {
                lower(&mut c, d, &good);
            }
            let out = c.output().unwrap();
            assert_eq!(out.status.code(), Some(2), "{name}: {}", text(&out.stderr));
            assert!(out.stdout.is_empty());
            let err = text(&out.stderr);
            assert!(
                err.contains("no identity matches: the file is encrypted to X25519 ×1; tried ")
                    && err.contains(&wrong_pub)
                    && !err.contains(&good_pub),
                "{name}: {err}"
            );
            assert!(
                err.trim_end()
                    .ends_with(&format!("from {}", source_of(name, "wrong.txt"))),
                "{name}: {err}"
            );
            assert!(!err.contains(CANARY));
        }
    }

    // Wrong keys in every sops place: each is tried and named.
    let mut c = secretgen(d);
    c.args(["render", "gen.yaml"]);
    for (_, set) in &places[EXPLICIT..] {
        set(&mut c, d, &wrong);
    }
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert_eq!(
        err.matches(&wrong_pub).count(),
        places.len() - EXPLICIT,
        "{err}"
    );
    let sources: Vec<String> = places[EXPLICIT..]
        .iter()
        .map(|(name, _)| source_of(name, "wrong.txt"))
        .collect();
    // sops' order: SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, then the default keys files.
    let order = [&sources[1], &sources[0], &sources[2], &sources[3]];
    let listed = order
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    assert!(err.trim_end().ends_with(&format!("from {listed}")), "{err}");
}

/// SSH keys where sops looks for them (`SOPS_AGE_SSH_PRIVATE_KEY_FILE`, `~/.ssh/id_ed25519`,
/// `~/.ssh/id_rsa`) and keys printed by `SOPS_AGE_KEY_CMD`, each found next to a wrong key
/// elsewhere; a broken place (a locked `~/.ssh/id_rsa`, a failing command) hides nothing
/// and is named when no key fits.
#[test]
fn ssh_keys_and_key_commands_as_sops_finds_them() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let wrong = d.join("keys/wrong.txt");
    age_keygen(&wrong);
    let good = d.join("keys/good.txt");
    let good_pub = age_keygen(&good);
    let ssh = d.join("keys/id_ed25519");
    ssh_keygen(&ssh, "ed25519", "");
    let ssh_pub = std::fs::read_to_string(ssh.with_extension("pub")).unwrap();
    std::fs::write(d.join("p.txt"), CANARY).unwrap();
    go_encrypt(
        &d.join("p.txt"),
        &d.join("ssh.age"),
        &[("-r", ssh_pub.trim())],
    );
    go_encrypt(&d.join("p.txt"), &d.join("x.age"), &[("-r", &good_pub)]);
    let home = d.join("home");
    std::fs::create_dir_all(home.join(".ssh")).unwrap();
    ssh_keygen(&home.join(".ssh/id_rsa"), "rsa", "locked-passphrase");
    let reference = {
        let twin = d.join("twin");
        std::fs::create_dir_all(&twin).unwrap();
        std::fs::write(twin.join("p"), CANARY).unwrap();
        std::fs::write(
            twin.join("gen.yaml"),
            "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: s\nfiles:\n- p=p\n",
        )
        .unwrap();
        let mut c = secretgen(&twin);
        c.args(["render", "gen.yaml"]);
        text(&run_ok(c).stdout)
    };
    let manifest = |file: &str| {
        std::fs::write(
            d.join("gen.yaml"),
            format!("apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: s\nfiles:\n- p={file}\n"),
        )
        .unwrap();
    };
    // SOPS_AGE_SSH_PRIVATE_KEY_FILE.
    manifest("ssh.age");
    let mut c = secretgen(d);
    c.args(["render", "gen.yaml"])
        .env("HOME", &home)
        .env("SOPS_AGE_KEY_FILE", &wrong)
        .env("SOPS_AGE_SSH_PRIVATE_KEY_FILE", &ssh);
    let out = c.output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), reference);
    // ~/.ssh/id_ed25519, beside a locked ~/.ssh/id_rsa.
    std::fs::copy(&ssh, home.join(".ssh/id_ed25519")).unwrap();
    let mut c = secretgen(d);
    c.args(["render", "gen.yaml"])
        .env("HOME", &home)
        .env("SOPS_AGE_KEY_FILE", &wrong);
    let out = c.output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), reference);
    // SOPS_AGE_KEY_CMD prints the key (and sees SOPS_AGE_RECIPIENT set).
    manifest("x.age");
    let mut c = secretgen(d);
    c.args(["render", "gen.yaml"])
        .env("HOME", &home)
        .env("SOPS_AGE_KEY_FILE", &wrong)
        .env(
            "SOPS_AGE_KEY_CMD",
            format!(
                "sh -c 'test \"${{SOPS_AGE_RECIPIENT+set}}\" = set && cat {}'",
                good.display()
            ),
        );
    let out = c.output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), reference);
    // Nothing fits: every place is named, the broken ones with their reason.
    let mut c = secretgen(d);
    c.args(["render", "gen.yaml"])
        .env("HOME", &home)
        .env("SOPS_AGE_KEY_FILE", &wrong)
        .env("SOPS_AGE_KEY_CMD", "false");
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("no identity matches"), "{err}");
    assert!(
        err.contains(
            &ssh_pub
                .split_whitespace()
                .take(2)
                .collect::<Vec<_>>()
                .join(" ")
        ),
        "{err}"
    );
    assert!(
        !err.contains("PRIVATE KEY") && !err.contains(CANARY),
        "{err}"
    );
    std::fs::remove_file(home.join(".ssh/id_ed25519")).unwrap();
    std::fs::write(&wrong, "").unwrap();
    let mut c = secretgen(d);
    c.args(["render", "gen.yaml"])
        .env("HOME", &home)
        .env("SOPS_AGE_KEY_FILE", &wrong)
        .env("SOPS_AGE_KEY_CMD", "false");
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("no identity was found"), "{err}");
    assert!(
        err.contains("id_rsa (the SSH key is passphrase-protected"),
        "{err}"
    );
    assert!(
        err.contains("SOPS_AGE_KEY_FILE (holds no identity)"),
        "{err}"
    );
    assert!(err.contains("SOPS_AGE_KEY_CMD (`false` failed"), "{err}");
}

/// `--identity` is repeatable and `SECRETGEN_AGE_IDENTITY_FILE` is a `:` list: every key
/// named is tried, and a miss lists them all.
#[test]
fn several_identity_files() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let good_pub = age_keygen(&d.join("good.txt"));
    let wrong_pub = age_keygen(&d.join("wrong.txt"));
    let other_pub = age_keygen(&d.join("other.txt"));
    std::fs::write(d.join("p.txt"), CANARY).unwrap();
    go_encrypt(
        &d.join("p.txt"),
        &d.join("pw.txt.age"),
        &[("-r", &good_pub)],
    );
    generator(d, "pw.txt.age");
    let want = expected_render(d, "pw.txt");

    let mut c = secretgen(d);
    c.args([
        "render",
        "gen.yaml",
        "-i",
        "wrong.txt",
        "--identity",
        "good.txt",
    ]);
    assert_eq!(text(&run_ok(c).stdout), want);

    let mut c = secretgen(d);
    c.args(["render", "gen.yaml"])
        .env("SECRETGEN_AGE_IDENTITY_FILE", "wrong.txt:good.txt");
    assert_eq!(text(&run_ok(c).stdout), want);

    let mut c = secretgen(d);
    c.args(["render", "gen.yaml"])
        .env("SECRETGEN_AGE_IDENTITY_FILE", "wrong.txt:other.txt");
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!(
            "tried {wrong_pub}, {other_pub} from SECRETGEN_AGE_IDENTITY_FILE"
        )),
        "{err}"
    );
}

/// Identity files: X25519 keys among comments and blank lines, unencrypted ssh-ed25519 and
/// ssh-rsa private keys, mixed in one list; a passphrase-protected SSH key is named, with no
/// trace of its content.
#[test]
fn identity_file_contents() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let good_pub = age_keygen(&d.join("good.txt"));
    age_keygen(&d.join("wrong.txt"));
    ssh_keygen(&d.join("id_ed25519"), "ed25519", "");
    ssh_keygen(&d.join("id_rsa"), "rsa", "");
    ssh_keygen(&d.join("id_locked"), "ed25519", "a passphrase");
    std::fs::write(d.join("p.txt"), CANARY).unwrap();
    go_encrypt(&d.join("p.txt"), &d.join("x.age"), &[("-r", &good_pub)]);
    go_encrypt(
        &d.join("p.txt"),
        &d.join("ed.age"),
        &[("-R", &d.join("id_ed25519.pub").display().to_string())],
    );
    go_encrypt(
        &d.join("p.txt"),
        &d.join("rsa.age"),
        &[("-R", &d.join("id_rsa.pub").display().to_string())],
    );
    go_encrypt(
        &d.join("p.txt"),
        &d.join("locked.age"),
        &[("-R", &d.join("id_locked.pub").display().to_string())],
    );
    let key = |f: &str| {
        std::fs::read_to_string(d.join(f))
            .unwrap()
            .lines()
            .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
            .unwrap()
            .to_string()
    };
    std::fs::write(
        d.join("keys.txt"),
        format!(
            "# team keys\n\n# old key, kept for old files\n{}\n   \n\t\n# current\n  {}  \n\n",
            key("wrong.txt"),
            key("good.txt")
        ),
    )
    .unwrap();
    let want = expected_render(d, "p");
    for (file, identities) in [
        ("x.age", "keys.txt"),
        ("ed.age", "id_ed25519"),
        ("rsa.age", "id_rsa"),
        ("rsa.age", "keys.txt:id_ed25519:id_rsa"),
        ("ed.age", "id_rsa:id_ed25519"),
    ] {
        std::fs::write(
            d.join("gen.yaml"),
            format!(
                "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: s\nfiles:\n- p={file}\n"
            ),
        )
        .unwrap();
        let mut c = secretgen(d);
        c.args(["render", "gen.yaml"])
            .env("SECRETGEN_AGE_IDENTITY_FILE", identities);
        let out = c.output().unwrap();
        assert!(
            out.status.success(),
            "{file} with {identities}: {}",
            text(&out.stderr)
        );
        assert_eq!(text(&out.stdout), want, "{file} with {identities}");
    }
    // A miss with SSH identities lists their public keys.
    std::fs::write(
        d.join("gen.yaml"),
        "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: s\nfiles:\n- p=x.age\n",
    )
    .unwrap();
    let mut c = secretgen(d);
    c.args(["render", "gen.yaml", "-i", "id_ed25519"]);
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let ed_pub = std::fs::read_to_string(d.join("id_ed25519.pub")).unwrap();
    let ed_pub: Vec<&str> = ed_pub.split_whitespace().take(2).collect();
    assert!(
        text(&out.stderr).contains(&ed_pub.join(" ")),
        "{}",
        text(&out.stderr)
    );

    // A passphrase-protected SSH key cannot serve a build.
    std::fs::write(
        d.join("gen.yaml"),
        "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: s\nfiles:\n- p=locked.age\n",
    )
    .unwrap();
    let mut c = secretgen(d);
    c.args(["render", "gen.yaml", "-i", "id_locked"]);
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    assert!(
        err.contains("identity file `id_locked`: the SSH key is passphrase-protected"),
        "{err}"
    );
    assert!(
        !err.contains("PRIVATE KEY") && !err.contains(CANARY),
        "{err}"
    );
}

/// Runs `cmd` (a shell line) with a real terminal as stdin, stdout and stderr, through
/// util-linux `script`; returns (exit code, everything the terminal showed).
fn on_terminal(dir: &Path, cmd: &str) -> (Option<i32>, String) {
    let mut c = Command::new("script");
    isolate(&mut c, dir);
    c.args(["-qec", cmd, "/dev/null"]);
    let out = c.output().expect("`script` (util-linux) is required");
    (
        out.status.code(),
        format!("{}{}", text(&out.stdout), text(&out.stderr)),
    )
}

/// `age decrypt` refuses to print plaintext on a terminal unless `--force`; piped, it prints.
#[test]
fn decrypt_refuses_a_terminal() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let recipient = age_keygen(&d.join("key.txt"));
    std::fs::write(d.join("p.txt"), CANARY).unwrap();
    go_encrypt(&d.join("p.txt"), &d.join("p.age"), &[("-r", &recipient)]);
    let bin = env!("CARGO_BIN_EXE_secretgen");

    let (code, screen) = on_terminal(d, &format!("{bin} age decrypt -i key.txt p.age"));
    assert_eq!(code, Some(2), "{screen}");
    assert!(
        screen.contains("refusing to print plaintext on a terminal"),
        "{screen}"
    );
    assert!(!screen.contains(CANARY), "{screen}");

    let (code, screen) = on_terminal(d, &format!("{bin} age decrypt --force -i key.txt p.age"));
    assert_eq!(code, Some(0), "{screen}");
    assert!(screen.contains(CANARY), "{screen}");

    // Through a pipe, stdout is not a terminal: printed without --force.
    let (code, screen) = on_terminal(
        d,
        &format!("{bin} age decrypt -i key.txt p.age | od -c | head -1"),
    );
    assert_eq!(code, Some(0), "{screen}");
    assert!(screen.contains("C   A   N   A   R   Y"), "{screen}");

    // And binary ciphertext is not sprayed on a terminal either.
    let (code, screen) = on_terminal(
        d,
        &format!("{bin} age encrypt --binary -r {recipient} p.txt"),
    );
    assert_eq!(code, Some(2), "{screen}");
    assert!(
        screen.contains("refusing to print binary age output"),
        "{screen}"
    );
}

/// `age encrypt`: armored by default, from a file or stdin; `-o` replaces its target
/// atomically (no temporary file left beside it).
#[test]
fn encrypt_defaults_and_atomic_output() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let recipient = age_keygen(&d.join("key.txt"));
    std::fs::write(d.join("p.txt"), CANARY).unwrap();
    std::fs::create_dir_all(d.join("out")).unwrap();
    std::fs::write(d.join("out/p.age"), "old content").unwrap();
    let mut c = secretgen(d);
    c.args([
        "age",
        "encrypt",
        "-r",
        &recipient,
        "-o",
        "out/p.age",
        "p.txt",
    ]);
    let out = run_ok(c);
    assert!(out.stdout.is_empty());
    let ct = std::fs::read(d.join("out/p.age")).unwrap();
    assert!(ct.starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----\n"));
    let names: Vec<_> = std::fs::read_dir(d.join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["p.age"], "a temporary file was left behind");

    // stdin to stdout, and the Go CLI reads it back.
    let mut c = secretgen(d);
    c.args(["age", "encrypt", "-r", &recipient])
        .stdin(std::fs::File::open(d.join("p.txt")).unwrap());
    let out = run_ok(c);
    assert!(
        out.stdout
            .starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----\n")
    );
    std::fs::write(d.join("stdin.age"), &out.stdout).unwrap();
    let mut c = common::tool("age");
    c.args(["-d", "-i"])
        .arg(d.join("key.txt"))
        .arg(d.join("stdin.age"));
    assert_eq!(text(&run_ok(c).stdout), CANARY);

    // A failing encryption (bad recipient) leaves the old output in place.
    let mut c = secretgen(d);
    c.args([
        "age",
        "encrypt",
        "-r",
        "age1nope",
        "-o",
        "out/p.age",
        "p.txt",
    ]);
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read(d.join("out/p.age")).unwrap(), ct);

    // A comment after a recipient is a mistake Go age would also reject: say so.
    std::fs::write(d.join("r.txt"), format!("{recipient}  # alice\n")).unwrap();
    let mut c = secretgen(d);
    c.args(["age", "encrypt", "-R", "r.txt", "p.txt"]);
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("r.txt:1: ")
            && text(&out.stderr).contains("a comment goes on a line of its own"),
        "{}",
        text(&out.stderr)
    );
}

/// `age keygen`: to stdout with the public key on stderr; with `-o`, mode 0600 in a
/// directory it creates (0700), never over an existing file.
#[test]
fn keygen_output_forms() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let mut c = secretgen(d);
    c.args(["age", "keygen"]);
    let out = run_ok(c);
    let identity = text(&out.stdout);
    let public = text(&out.stderr);
    let public = public.trim().strip_prefix("Public key: ").unwrap();
    assert!(
        identity.contains(&format!("# public key: {public}\n")),
        "{identity}"
    );
    assert_eq!(
        identity
            .lines()
            .filter(|l| l.starts_with("AGE-SECRET-KEY-1"))
            .count(),
        1
    );
    // The Go CLI derives the same recipient from it.
    std::fs::write(d.join("k.txt"), &identity).unwrap();
    let mut c = common::tool("age-keygen");
    c.arg("-y").arg(d.join("k.txt"));
    assert_eq!(text(&run_ok(c).stdout).trim(), public);

    use std::os::unix::fs::PermissionsExt;
    let mut c = secretgen(d);
    c.args(["age", "keygen", "-o", "fresh/sops/age/keys.txt"]);
    let out = run_ok(c);
    assert!(out.stdout.is_empty());
    let mode = |p: &str| std::fs::metadata(d.join(p)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode("fresh/sops/age/keys.txt"), 0o600);
    assert_eq!(mode("fresh/sops/age"), 0o700);
    let before = std::fs::read(d.join("fresh/sops/age/keys.txt")).unwrap();
    let mut c = secretgen(d);
    c.args(["age", "keygen", "-o", "fresh/sops/age/keys.txt"]);
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("refusing to overwrite an existing identity"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        std::fs::read(d.join("fresh/sops/age/keys.txt")).unwrap(),
        before
    );
}

/// Every key-tool, plugin and function subcommand shows an example in its `--help`.
#[test]
fn every_help_has_an_example() {
    let t = tempfile::tempdir().unwrap();
    for sub in [
        &["age"][..],
        &["age", "keygen"],
        &["age", "encrypt"],
        &["age", "decrypt"],
        &["age", "recipients"],
        &["age", "rekey"],
        &["plugin"],
        &["plugin", "exec"],
        &["plugin", "install"],
        &["fn"],
    ] {
        let mut c = secretgen(t.path());
        c.args(sub).arg("--help");
        let out = run_ok(c);
        let help = text(&out.stdout);
        assert!(
            help.lines()
                .any(|l| l.starts_with("Example: ") && l.contains("secretgen")),
            "`{}` --help has no example:\n{help}",
            sub.join(" ")
        );
    }
}

/// The README's section "Encrypting secrets with age", followed to the letter by a new user
/// in an empty directory with an empty home: its shell blocks run in order, its manifest is
/// written where its first comment says, and the render gives the plaintext's Secret.
#[test]
fn readme_age_walkthrough() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let start = readme
        .find("\n## Encrypting secrets with age\n")
        .expect("README section");
    let section = &readme[start + 1..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    let mut blocks: Vec<(String, String)> = Vec::new();
    let mut lines = section.lines();
    while let Some(line) = lines.next() {
        if let Some(lang) = line.strip_prefix("```").filter(|l| !l.is_empty()) {
            let body: Vec<&str> = lines.by_ref().take_while(|l| *l != "```").collect();
            blocks.push((lang.to_string(), body.join("\n") + "\n"));
        }
    }
    assert!(
        blocks.iter().filter(|(l, _)| l == "sh").count() >= 2
            && blocks.iter().any(|(l, _)| l == "yaml"),
        "the walkthrough lost its blocks: {blocks:?}"
    );

    let t = tempfile::tempdir().unwrap();
    let (work, home) = (t.path().join("repo"), t.path().join("home"));
    std::fs::create_dir_all(&work).unwrap();
    std::fs::create_dir_all(&home).unwrap();
    // The plaintext the user starts with.
    std::fs::write(work.join("password.txt"), CANARY).unwrap();
    std::fs::write(work.join("app.env"), "DB_USER=admin\nDB_HOST=db.internal\n").unwrap();
    let path = format!(
        "{}:{}",
        Path::new(env!("CARGO_BIN_EXE_secretgen"))
            .parent()
            .unwrap()
            .display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut last = None;
    for (lang, body) in &blocks {
        match lang.as_str() {
            "sh" => {
                let mut sh = Command::new("bash");
                isolate(&mut sh, &work);
                sh.args(["-euo", "pipefail", "-c", body])
                    .env("HOME", &home)
                    .env_remove("XDG_CONFIG_HOME")
                    .env("PATH", &path);
                let out = sh.output().unwrap();
                assert!(
                    out.status.success(),
                    "README block failed:\n{body}\n{}",
                    text(&out.stderr)
                );
                last = Some(out);
            }
            "yaml" => {
                let name = body
                    .lines()
                    .next()
                    .and_then(|l| l.strip_prefix("# "))
                    .expect("the manifest block starts with `# FILE`");
                std::fs::write(work.join(name), body).unwrap();
            }
            _ => {}
        }
    }
    assert!(
        !work.join("password.txt").exists(),
        "the walkthrough leaves plaintext"
    );
    let rendered = text(&last.unwrap().stdout);
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(CANARY);
    assert!(
        rendered.contains(&format!("  password.txt: {b64}\n")),
        "{rendered}"
    );
    assert!(rendered.contains("  DB_USER: YWRtaW4=\n"), "{rendered}");
    assert!(rendered.starts_with("apiVersion: v1\n"), "{rendered}");
    // Only ciphertext is left to commit.
    for f in ["secrets/password.txt.age", "secrets/app.env.age"] {
        assert!(
            std::fs::read(work.join(f))
                .unwrap()
                .starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----"),
            "{f}"
        );
    }
}
