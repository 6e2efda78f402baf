//! The community age test vectors (`testdata/age-testkit`, C2SP CCTV), one test each,
//! through secretgen's own decryption path: `success` vectors give exactly the payload
//! (SHA-256), every other vector fails with the kind of failure the vector names, through
//! the library and through `secretgen age decrypt` (exit 2, stdout empty, file named).
//! Passphrase vectors use the library's passphrase path (the CLI refuses passphrases without
//! a terminal, which is checked too).

use std::path::{Path, PathBuf};
use std::process::Command;

use libtest_mimic::{Failed, Trial};
use secretgen::age::{self, CryptError, IdentitySources, Keyring};
use sha2::{Digest, Sha256};

struct Vector {
    expect: String,
    payload: Option<String>,
    identities: Vec<String>,
    passphrase: Option<String>,
    body: Vec<u8>,
}

fn parse(bytes: &[u8]) -> Vector {
    let split = bytes
        .windows(2)
        .position(|w| w == b"\n\n")
        .expect("header/body separator");
    let header = std::str::from_utf8(&bytes[..split]).expect("header text");
    let mut v = Vector {
        expect: String::new(),
        payload: None,
        identities: Vec::new(),
        passphrase: None,
        body: bytes[split + 2..].to_vec(),
    };
    for line in header.lines() {
        let (k, val) = line.split_once(": ").unwrap_or((line, ""));
        match k {
            "expect" => v.expect = val.to_string(),
            "payload" => v.payload = Some(val.to_string()),
            "identity" => v.identities.push(val.to_string()),
            "passphrase" => v.passphrase = Some(val.to_string()),
            "compressed" => {
                assert_eq!(val, "zlib", "unknown compression");
                let mut out = Vec::new();
                std::io::Read::read_to_end(
                    &mut flate2::read::ZlibDecoder::new(&v.body[..]),
                    &mut out,
                )
                .expect("zlib body");
                v.body = out;
            }
            _ => {}
        }
    }
    v
}

/// The failure kinds the vectors name, and the errors that report them.
fn kind_matches(expect: &str, e: &CryptError) -> bool {
    matches!(
        (expect, e),
        ("no match", CryptError::NoMatch { .. })
            | ("HMAC failure", CryptError::HeaderMac { .. })
            | ("header failure", CryptError::Header { .. })
            | ("payload failure", CryptError::Payload { .. })
            | ("armor failure", CryptError::Armor { .. })
    )
}

fn run(path: &Path) -> Result<(), Failed> {
    let v = parse(&std::fs::read(path)?);
    let name = PathBuf::from(path.file_name().unwrap());
    let result = match &v.passphrase {
        Some(p) => age::decrypt_with_passphrase(&name, &v.body, p),
        None => Keyring::new(IdentitySources {
            identity: Some(v.identities.join("\n")),
            ..Default::default()
        })
        .decrypt_age(&name, &v.body),
    };
    match (v.expect.as_str(), result) {
        ("success", Ok(plain)) => {
            let got = hex(&Sha256::digest(plain.expose()));
            if Some(&got) != v.payload.as_ref() {
                return Err(format!("payload hash {got}, expected {:?}", v.payload).into());
            }
        }
        ("success", Err(e)) => return Err(format!("expected success, got: {e}").into()),
        (kind, Ok(_)) => return Err(format!("expected {kind}, but it decrypted").into()),
        (kind, Err(e)) => {
            let msg = e.to_string();
            if !msg.contains(&name.display().to_string()) {
                return Err(format!("the message does not name the file: {msg}").into());
            }
            if !kind_matches(kind, &e) {
                return Err(format!("expected {kind}, got: {msg}").into());
            }
        }
    }
    // The same through the CLI (passphrase files: refused without a terminal).
    let dir = tempfile::tempdir()?;
    let input = dir.path().join(&name);
    std::fs::write(&input, &v.body)?;
    std::fs::write(dir.path().join("keys.txt"), v.identities.join("\n") + "\n")?;
    let out = Command::new(env!("CARGO_BIN_EXE_secretgen"))
        .args(["age", "decrypt", "-i", "keys.txt"])
        .arg(&name)
        .current_dir(dir.path())
        .env("HOME", dir.path())
        .output()?;
    let cli_should_succeed =
        v.expect == "success" && v.passphrase.is_none() && age::looks_encrypted(&v.body);
    if cli_should_succeed {
        if !out.status.success() {
            return Err(format!("CLI failed: {}", String::from_utf8_lossy(&out.stderr)).into());
        }
        if Some(hex(&Sha256::digest(&out.stdout))) != v.payload {
            return Err("CLI plaintext differs".into());
        }
    } else if out.status.success() || out.status.code() != Some(2) || !out.stdout.is_empty() {
        return Err(format!(
            "CLI must exit 2 with no output, got {:?}",
            out.status.code()
        )
        .into());
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        if !err.contains(&name.display().to_string()) || err.contains("internal error") {
            return Err(format!("unclear CLI error: {err}").into());
        }
    }
    Ok(())
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub fn trials() -> Vec<Trial> {
    let dir = std::env::var_os("SECRETGEN_AGE_TESTKIT").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/age-testkit"),
        PathBuf::from,
    );
    // Documentation (README.md, PQ-PROVENANCE.md) is not a vector.
    let files = crate::common::case_paths(&dir, |p| p.extension().is_none_or(|e| e != "md"));
    files
        .into_iter()
        .map(|p| {
            let name = format!("testkit::{}", p.file_name().unwrap().to_string_lossy());
            trial!(name, move || run(&p))
        })
        .collect()
}
