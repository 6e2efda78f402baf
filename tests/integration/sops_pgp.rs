//! SOPS files encrypted by sops 3.13.3 to a PGP key decrypt through the user's gpg, byte for
//! byte as `sops --decrypt` prints them, in every format; without the secret key the file is
//! refused as a missing key, naming the PGP entry.
//!
//! The library's gpg runs read GNUPGHOME and SOPS_GPG_EXEC from the process, as sops does;
//! the test sets them, so it runs in a process of its own: this binary started again with
//! only this test selected.

use std::path::Path;
use std::process::Command;

use secretgen::age::{IdentitySources, Keyring};

fn run(c: &mut Command) -> Vec<u8> {
    let out = c.output().expect("run");
    assert!(
        out.status.success(),
        "{c:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A new private GNUPGHOME at `gnupg` (mode 0700) holding one new key without a
/// passphrase: its fingerprint. Fails naming gpg when it is not installed.
pub(crate) fn gpg_key(gnupg: &Path) -> String {
    use std::os::unix::fs::PermissionsExt;
    if let Err(e) = Command::new("gpg").arg("--version").output() {
        panic!("gpg is missing ({e}): install GnuPG (tests/setup.sh lists it)");
    }
    std::fs::create_dir_all(gnupg).unwrap();
    std::fs::set_permissions(gnupg, std::fs::Permissions::from_mode(0o700)).unwrap();
    run(Command::new("gpg")
        .args(["--batch", "--passphrase", "", "--quick-gen-key"])
        .args([
            "secretgen test <test@example.invalid>",
            "default",
            "default",
            "never",
        ])
        .env("GNUPGHOME", gnupg));
    let listing = String::from_utf8(run(Command::new("gpg")
        .args(["--batch", "--with-colons", "--list-secret-keys"])
        .env("GNUPGHOME", gnupg)))
    .unwrap();
    listing
        .lines()
        .find_map(|l| l.strip_prefix("fpr:"))
        .map(|l| l.trim_matches(':').to_string())
        .unwrap()
}

/// Stops the gpg agent of `gnupg` (each GNUPGHOME starts one of its own).
pub(crate) fn stop_agent(gnupg: &Path) {
    let _ = Command::new("gpgconf")
        .arg("--homedir")
        .arg(gnupg)
        .args(["--kill", "gpg-agent"])
        .status();
}

/// Set in the process that runs the test body alone.
const ALONE: &str = "SECRETGEN_TEST_PGP_ALONE";

#[test]
fn pgp_files_decrypt_as_sops_does() {
    if std::env::var_os(ALONE).is_none() {
        let name = "sops_pgp::pgp_files_decrypt_as_sops_does";
        let out = Command::new(std::env::current_exe().unwrap())
            .args([name, "--exact", "--test-threads=1", "--nocapture"])
            .env(ALONE, "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    }
    pgp_files_alone();
}

/// The test body, in a process where no other test runs.
fn pgp_files_alone() {
    let home = tempfile::tempdir().unwrap();
    let gnupg = home.path().join("g");
    let fpr = gpg_key(&gnupg);
    // The only test of this process: the variable is set before any gpg runs here.
    unsafe { std::env::set_var("GNUPGHOME", &gnupg) };
    let dir = home.path();
    let plain: [(&str, &str); 5] = [
        (
            "s.yaml",
            "user: admin\npassword: hunter2 # c\nlist:\n    - 1\n    - true\n",
        ),
        (
            "s.json",
            "{\"user\": \"admin\", \"n\": 1.5, \"l\": [1, \"x\"]}\n",
        ),
        ("s.env", "USER=admin\nPASSWORD=hunter2\n"),
        ("s.ini", "[db]\nuser = admin\npassword = hunter2\n"),
        ("s.bin", "raw\u{0}bytes\nhunter2"),
    ];
    // No age identity at all: only gpg can open these.
    let keys = Keyring::new(IdentitySources {
        identity: Some(String::new()),
        ..Default::default()
    });
    for (name, text) in plain {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let enc = run(crate::common::tool("sops")
            .args(["--encrypt", "--pgp", &fpr])
            .arg(&path));
        let enc_path = dir.join(format!("enc-{name}"));
        std::fs::write(&enc_path, &enc).unwrap();
        let want = run(crate::common::tool("sops")
            .args(["--decrypt"])
            .arg(&enc_path));
        let got = secretgen::sops::decrypt(Path::new(&format!("enc-{name}")), &enc, &keys)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            String::from_utf8_lossy(got.expose()),
            String::from_utf8_lossy(&want),
            "{name}"
        );
    }
    // One unwrap per entry per run: a gpg that counts its runs, the same file read three
    // times (by several generators or overlays) and two files sharing nothing.
    let count = dir.join("count");
    let wrapper = dir.join("gpg-counting");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\necho run >> '{}'\nexec gpg \"$@\"\n",
            count.display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    unsafe { std::env::set_var("SOPS_GPG_EXEC", &wrapper) };
    let once = Keyring::new(IdentitySources {
        identity: Some(String::new()),
        ..Default::default()
    });
    let runs = || {
        std::fs::read_to_string(&count)
            .map(|t| t.lines().count())
            .unwrap_or(0)
    };
    for name in ["enc-s.yaml", "enc-s.yaml", "enc-s.yaml", "enc-s.json"] {
        let enc = std::fs::read(dir.join(name)).unwrap();
        secretgen::sops::decrypt(Path::new(name), &enc, &once).unwrap();
    }
    assert_eq!(runs(), 2, "one gpg run per file");
    // Another keyring without the secret key: a missing key, naming the entry.
    let empty = dir.join("e");
    std::fs::create_dir(&empty).unwrap();
    let enc = std::fs::read(dir.join("enc-s.yaml")).unwrap();
    unsafe { std::env::set_var("GNUPGHOME", &empty) };
    let fresh = Keyring::new(IdentitySources {
        identity: Some(String::new()),
        ..Default::default()
    });
    let err = secretgen::sops::decrypt(Path::new("enc-s.yaml"), &enc, &fresh).unwrap_err();
    // Asked once, though read twice.
    let again = secretgen::sops::decrypt(Path::new("enc-s.yaml"), &enc, &fresh).unwrap_err();
    assert_eq!(err, again);
    assert_eq!(runs(), 3, "a missing key is asked for once too");
    let msg = err.to_string();
    assert!(msg.contains(&format!("PGP {fpr}")), "{msg}");
    assert!(msg.contains("cannot decrypt the SOPS data key"), "{msg}");
    assert!(!msg.contains("hunter2"), "{msg}");
    // The binary: a generator reading the PGP file renders with gpg's keyring; without
    // it, exit 2 naming the file, or a placeholder with --placeholder.
    unsafe { std::env::remove_var("SOPS_GPG_EXEC") };
    std::fs::write(
        dir.join("secretgen.yaml"),
        "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: db\nfiles:\n- enc-s.env\n",
    )
    .unwrap();
    let render = |home: &Path, extra: &[&str]| {
        crate::common::secretgen_in(dir)
            .env("GNUPGHOME", home)
            .arg("render")
            .args(extra)
            .arg("secretgen.yaml")
            .output()
            .unwrap()
    };
    let out = render(&gnupg, &[]);
    assert!(out.status.success(), "{}", crate::common::text(&out.stderr));
    let yaml = crate::common::text(&out.stdout);
    // base64 of "USER=admin\nPASSWORD=hunter2\n", as sops prints the dotenv file.
    assert!(
        yaml.contains("enc-s.env: VVNFUj1hZG1pbgpQQVNTV09SRD1odW50ZXIyCg=="),
        "{yaml}"
    );
    let out = render(&empty, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = crate::common::text(&out.stderr);
    assert!(
        err.contains("enc-s.env") && err.contains(&format!("PGP {fpr}")),
        "{err}"
    );
    let out = render(&empty, &["--placeholder"]);
    assert!(out.status.success(), "{}", crate::common::text(&out.stderr));
    let yaml = crate::common::text(&out.stdout);
    assert!(yaml.contains("secretgen.dev/placeholder"), "{yaml}");
    assert!(
        !yaml.contains("hunter2") && !yaml.contains("VVNFUj1hZG1pbg"),
        "{yaml}"
    );
    for g in [&gnupg, &empty] {
        stop_agent(g);
    }
}

/// A private GNUPGHOME with a new key, its fingerprint, and a gpg that logs when each of
/// its runs starts and ends (and sleeps, so that runs in parallel overlap).
struct SlowGpg {
    _t: tempfile::TempDir,
    dir: std::path::PathBuf,
    gnupg: std::path::PathBuf,
    fpr: String,
    wrapper: std::path::PathBuf,
    log: std::path::PathBuf,
}

impl SlowGpg {
    fn new() -> SlowGpg {
        use std::os::unix::fs::PermissionsExt;
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().to_path_buf();
        let gnupg = dir.join("g");
        let fpr = gpg_key(&gnupg);
        let log = dir.join("gpg.log");
        let wrapper = dir.join("gpg-slow");
        std::fs::write(
            &wrapper,
            format!(
                "#!/bin/sh\necho start >> '{log}'\nsleep 0.3\ngpg \"$@\"\nrc=$?\necho end >> '{log}'\nexit $rc\n",
                log = log.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
        SlowGpg {
            _t: t,
            dir,
            gnupg,
            fpr,
            wrapper,
            log,
        }
    }

    /// `path`'s plaintext encrypted in place by sops 3.13.3 to the key, with `args`.
    fn encrypt(&self, path: &Path, args: &[&str]) {
        let enc = run(crate::common::tool("sops")
            .args(["--encrypt", "--pgp", &self.fpr])
            .args(args)
            .arg(path)
            .env("GNUPGHOME", &self.gnupg));
        std::fs::write(path, enc).unwrap();
    }

    /// `secretgen ARGS` in the directory through the slow gpg, on four worker threads
    /// whatever the machine's core count; its agent stopped after.
    fn secretgen(&self, args: &[&str]) -> std::process::Output {
        let out = crate::common::secretgen_in(&self.dir)
            .env("GNUPGHOME", &self.gnupg)
            .env("SOPS_GPG_EXEC", &self.wrapper)
            .env("RAYON_NUM_THREADS", "4")
            .args(args)
            .output()
            .unwrap();
        let _ = Command::new("gpgconf")
            .args(["--kill", "gpg-agent"])
            .env("GNUPGHOME", &self.gnupg)
            .status();
        out
    }

    /// How many gpg runs there were, and the most at one time.
    fn runs(&self) -> (usize, i32, String) {
        let events = std::fs::read_to_string(&self.log).unwrap();
        let (mut now, mut most, mut runs) = (0i32, 0i32, 0);
        for e in events.lines() {
            if e == "start" {
                now += 1;
                runs += 1;
                most = most.max(now);
            } else {
                now -= 1;
            }
        }
        (runs, most, events)
    }
}

/// Files are decrypted in parallel, each once: a generator listing eight PGP files and a
/// second generator reading them again render through a gpg that logs its runs: eight runs,
/// several at a time.
#[test]
fn pgp_files_are_unwrapped_in_parallel_once_each() {
    let g = SlowGpg::new();
    let names: Vec<String> = (0..8).map(|i| format!("f{i}.yaml")).collect();
    for (i, name) in names.iter().enumerate() {
        let path = g.dir.join(name);
        std::fs::write(&path, format!("value: v{i}\n")).unwrap();
        g.encrypt(&path, &[]);
    }
    let list: String = names.iter().map(|n| format!("- {n}\n")).collect();
    std::fs::write(
        g.dir.join("secretgen.yaml"),
        format!("apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: a\nfiles:\n{list}---\napiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: b\nfiles:\n{list}"),
    )
    .unwrap();
    let out = g.secretgen(&["render", "secretgen.yaml"]);
    assert!(out.status.success(), "{}", crate::common::text(&out.stderr));
    // base64 of "value: v7\n", as sops prints it.
    assert!(
        crate::common::text(&out.stdout).contains("f7.yaml: dmFsdWU6IHY3Cg=="),
        "{}",
        crate::common::text(&out.stdout)
    );
    let (runs, most, events) = g.runs();
    assert_eq!(runs, names.len(), "one gpg run per file:\n{events}");
    assert!(most >= 2, "gpg never ran twice at a time:\n{events}");
}

/// SOPS-encrypted Secrets under `resources` too: a base listing eight of them, built by two
/// overlays (and `check` of the same tree), opens each file once, several at a time.
#[test]
fn sops_resources_of_a_tree_are_unwrapped_in_parallel_once_each() {
    let g = SlowGpg::new();
    let base = g.dir.join("base");
    std::fs::create_dir(&base).unwrap();
    let names: Vec<String> = (0..8).map(|i| format!("s{i}.yaml")).collect();
    for (i, name) in names.iter().enumerate() {
        let path = base.join(name);
        std::fs::write(
            &path,
            format!(
                "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s{i}\nstringData:\n  k: v{i}\n"
            ),
        )
        .unwrap();
        g.encrypt(&path, &["--encrypted-regex", "^(data|stringData)$"]);
    }
    let list: String = names.iter().map(|n| format!("- {n}\n")).collect();
    std::fs::write(
        base.join("kustomization.yaml"),
        format!("resources:\n{list}"),
    )
    .unwrap();
    for o in ["a", "b"] {
        let d = g.dir.join(o);
        std::fs::create_dir(&d).unwrap();
        std::fs::write(
            d.join("kustomization.yaml"),
            format!("namePrefix: {o}-\nresources:\n- ../base\n"),
        )
        .unwrap();
    }
    let out = g.secretgen(&["render", "a", "b"]);
    assert!(out.status.success(), "{}", crate::common::text(&out.stderr));
    let stdout = crate::common::text(&out.stdout);
    assert!(
        stdout.contains("name: b-s7") && stdout.contains("k: v7"),
        "{stdout}"
    );
    let (runs, most, events) = g.runs();
    assert_eq!(runs, names.len(), "one gpg run per file:\n{events}");
    assert!(most >= 2, "gpg never ran twice at a time:\n{events}");
}
