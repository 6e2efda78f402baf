//! SOPS files encrypted by sops 3.13.3 to a PGP key decrypt through the user's gpg, byte for
//! byte as `sops --decrypt` prints them, in every format; without the secret key the file is
//! refused as a missing key, naming the PGP entry.

mod common;

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

#[test]
fn pgp_files_decrypt_as_sops_does() {
    let home = tempfile::tempdir().unwrap();
    let gnupg = home.path().join("g");
    std::fs::create_dir(&gnupg).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&gnupg, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    // The one test of this binary: the variable is set before any gpg runs.
    unsafe { std::env::set_var("GNUPGHOME", &gnupg) };
    run(Command::new("gpg").args([
        "--batch",
        "--passphrase",
        "",
        "--quick-gen-key",
        "secretgen test <test@example.invalid>",
        "default",
        "default",
        "never",
    ]));
    let listing = String::from_utf8(run(Command::new("gpg").args([
        "--batch",
        "--with-colons",
        "--list-secret-keys",
    ])))
    .unwrap();
    let fpr = listing
        .lines()
        .find_map(|l| l.strip_prefix("fpr:"))
        .map(|l| l.trim_matches(':').to_string())
        .unwrap();
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
        let enc = run(common::tool("sops")
            .args(["--encrypt", "--pgp", &fpr])
            .arg(&path));
        let enc_path = dir.join(format!("enc-{name}"));
        std::fs::write(&enc_path, &enc).unwrap();
        let want = run(common::tool("sops").args(["--decrypt"]).arg(&enc_path));
        let got = secretgen::sops::decrypt(Path::new(&format!("enc-{name}")), &enc, &keys)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            String::from_utf8_lossy(got.expose()),
            String::from_utf8_lossy(&want),
            "{name}"
        );
    }
    // Another keyring without the secret key: a missing key, naming the entry.
    let empty = dir.join("e");
    std::fs::create_dir(&empty).unwrap();
    let enc = std::fs::read(dir.join("enc-s.yaml")).unwrap();
    unsafe { std::env::set_var("GNUPGHOME", &empty) };
    let err = secretgen::sops::decrypt(Path::new("enc-s.yaml"), &enc, &keys).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains(&format!("PGP {fpr}")), "{msg}");
    assert!(msg.contains("cannot decrypt the SOPS data key"), "{msg}");
    assert!(!msg.contains("hunter2"), "{msg}");
    for g in [&gnupg, &empty] {
        let _ = Command::new("gpgconf")
            .arg("--homedir")
            .arg(g)
            .args(["--kill", "gpg-agent"])
            .status();
    }
}
