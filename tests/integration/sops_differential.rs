//! The SOPS differential corpus (testdata/sops-differential, recorded once by its seeded
//! `record.py` with the real sops 3.13): thousands of random YAML, JSON, INI, dotenv and
//! binary documents, each encrypted by sops under options spread across the corpus (the
//! encrypted/unencrypted regexes and suffixes, comment regexes, `mac_only_encrypted`, key
//! groups with a Shamir threshold). Each must decrypt to exactly the bytes `sops --decrypt`
//! printed for it, and where sops could not decrypt its own file, secretgen must refuse it
//! too. No sops runs here: the corpus holds sops' answers.
//!
//! Set SECRETGEN_SOPS_DIFF_CASE to a case name (e.g. `yaml-0042.yaml`) to run only that case
//! and see both outputs in full.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use secretgen::age::{IdentitySources, Keyring};
use serde::Deserialize;

/// Cases where secretgen still differs from sops, each with why. Every one is checked to still
/// differ, so a fix must remove it from here. None are left.
const KNOWN_DIFFERENCES: &[&str] = &[];

/// Each format must keep at least this many recorded documents.
const MIN_CASES: usize = 1000;

#[derive(Deserialize)]
struct Case {
    name: String,
    options: Vec<String>,
    encrypted: String,
    /// Base64 of what `sops --decrypt` printed; `None` when sops failed to decrypt.
    expected: Option<String>,
}

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/sops-differential")
}

fn keyring() -> Keyring {
    let text: String = ["age1.txt", "age2.txt", "age3.txt"]
        .iter()
        .map(|k| std::fs::read_to_string(dir().join("keys").join(k)).unwrap())
        .collect();
    Keyring::new(IdentitySources {
        identity: Some(text),
        ..Default::default()
    })
}

fn load(format: &str) -> Vec<Case> {
    let path = dir().join(format!("{format}.json.gz"));
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut text = String::new();
    flate2::read::GzDecoder::new(file)
        .read_to_string(&mut text)
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Where two outputs first differ, with a little context from each.
fn first_difference(want: &[u8], got: &[u8]) -> String {
    let at = want
        .iter()
        .zip(got)
        .position(|(a, b)| a != b)
        .unwrap_or(want.len().min(got.len()));
    let from = at.saturating_sub(40);
    let show = |b: &[u8]| {
        format!(
            "{:?}",
            String::from_utf8_lossy(&b[from..b.len().min(at + 40)])
        )
    };
    format!(
        "first difference at byte {at} (want {} bytes, got {})\n      want …{}…\n      got  …{}…",
        want.len(),
        got.len(),
        show(want),
        show(got)
    )
}

/// One case: `None` when secretgen agrees with sops, else what went wrong.
fn check(case: &Case, keys: &Keyring, verbose: bool) -> Option<String> {
    let path = Path::new(&case.name);
    let ours = secretgen::sops::decrypt(path, case.encrypted.as_bytes(), keys);
    let want = case.expected.as_ref().map(|b| {
        base64::engine::general_purpose::STANDARD
            .decode(b)
            .expect("base64 in the corpus")
    });
    match (want, ours) {
        (None, Err(_)) => None,
        (None, Ok(_)) => Some("sops refused to decrypt it; secretgen decrypted it".into()),
        (Some(_), Err(e)) => Some(format!("sops decrypted it; secretgen refused: {e}")),
        (Some(want), Ok(got)) if want.as_slice() == got.expose() => None,
        (Some(want), Ok(got)) => {
            let mut msg = first_difference(&want, got.expose());
            if verbose {
                msg.push_str(&format!(
                    "\n--- want\n{}\n--- got\n{}",
                    String::from_utf8_lossy(&want),
                    String::from_utf8_lossy(got.expose())
                ));
            }
            Some(msg)
        }
    }
}

fn replay(format: &str) {
    let cases = load(format);
    assert!(
        cases.len() >= MIN_CASES,
        "{format}: only {} cases recorded",
        cases.len()
    );
    let only = std::env::var("SECRETGEN_SOPS_DIFF_CASE").ok();
    let keys = keyring();
    let mut failures = Vec::new();
    for case in &cases {
        if only.as_ref().is_some_and(|o| *o != case.name) {
            continue;
        }
        let known = KNOWN_DIFFERENCES.contains(&case.name.as_str());
        let outcome = check(case, &keys, only.is_some());
        if known && outcome.is_none() {
            failures.push(format!(
                "{}: listed in KNOWN_DIFFERENCES but now agrees with sops: remove it",
                case.name
            ));
        } else if known && only.is_none() {
            continue;
        } else if let Some(why) = outcome {
            failures.push(format!(
                "{} (options {:?}): {why}",
                case.name,
                case.options.join(" ")
            ));
        }
    }
    if !failures.is_empty() {
        let shown: Vec<&str> = failures.iter().take(25).map(String::as_str).collect();
        panic!(
            "{format}: {} of {} cases differ from sops --decrypt:\n{}",
            failures.len(),
            cases.len(),
            shown.join("\n")
        );
    }
}

#[test]
fn yaml_reads_back_as_sops_prints_it() {
    replay("yaml");
}

#[test]
fn json_reads_back_as_sops_prints_it() {
    replay("json");
}

#[test]
fn ini_reads_back_as_sops_prints_it() {
    replay("ini");
}

#[test]
fn dotenv_reads_back_as_sops_prints_it() {
    replay("dotenv");
}

#[test]
fn binary_reads_back_as_sops_prints_it() {
    replay("binary");
}

/// The corpus holds files sops itself cannot decrypt (the JSON `-0.0` a regex leaves
/// unencrypted fails sops' own MAC check), so the refusal side above is exercised.
#[test]
fn corpus_holds_files_sops_cannot_decrypt() {
    let refused = load("json").iter().filter(|c| c.expected.is_none()).count();
    assert!(refused > 0, "no JSON case that sops refuses");
}

/// The `lastmodified` of a SOPS file in any format: the first RFC 3339 UTC time after the
/// word.
fn lastmodified_of(text: &str) -> Option<String> {
    let at = text.find("lastmodified")?;
    let b = &text.as_bytes()[at..];
    (0..b.len().saturating_sub(19)).find_map(|i| {
        let w = &b[i..i + 20];
        let ok = w.iter().enumerate().all(|(j, c)| match j {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'Z',
            _ => c.is_ascii_digit(),
        });
        ok.then(|| String::from_utf8_lossy(w).into_owned())
    })
}

/// Cases whose decrypted YAML (as sops prints it) is not YAML that reads again: a comment
/// printed where go-yaml's emitter breaks the block it stands in. They cannot be written
/// back from that text; each is checked to still be refused.
const UNREADABLE_PLAINTEXT: &[&str] = &[
    "yaml-0054.yaml",
    "yaml-0215.yaml",
    "yaml-0236.yaml",
    "yaml-0300.yaml",
    "yaml-0363.yaml",
    "yaml-0763.yaml",
    "yaml-1014.yaml",
    "yaml-1015.yaml",
    "yaml-1035.yaml",
];

/// Each case's file encrypted again from what it decrypts to, as `sops edit` writes a file
/// back: (cases, files byte-identical to sops' own, failures). A rewritten file is
/// byte-identical where the plaintext loads back to the
/// same values (a float printed `100000` loads back as an int, a comment sops' decrypt
/// moved stays where it moved: those values are encrypted afresh, as sops would).
fn rewrite(format: &str) -> (usize, usize, Vec<String>) {
    let keys = keyring();
    let (mut cases, mut identical, mut failures) = (0, 0, Vec::new());
    for case in load(format) {
        let Some(want) = case.expected.as_ref() else {
            continue;
        };
        if KNOWN_DIFFERENCES.contains(&case.name.as_str()) {
            continue;
        }
        cases += 1;
        let plain = base64::engine::general_purpose::STANDARD
            .decode(want)
            .expect("base64 in the corpus");
        let path = Path::new(&case.name);
        // Written back within the second the file was written: an unchanged MAC keeps its
        // ciphertext then (sops seals it again with its IV under the new time).
        let Some(when) = lastmodified_of(&case.encrypted) else {
            failures.push(format!("{}: no lastmodified", case.name));
            continue;
        };
        let rewritten =
            secretgen::sops::reencrypt(path, case.encrypted.as_bytes(), &plain, &keys, &when);
        if UNREADABLE_PLAINTEXT.contains(&case.name.as_str()) {
            if rewritten.is_ok() {
                failures.push(format!(
                    "{}: listed in UNREADABLE_PLAINTEXT but now rewritten: remove it",
                    case.name
                ));
            }
            continue;
        }
        let got = match rewritten {
            Ok(got) => got,
            Err(e) => {
                failures.push(format!("{}: refused: {e}", case.name));
                continue;
            }
        };
        if got.as_slice() == case.encrypted.as_bytes() {
            identical += 1;
            continue;
        }
        // Not identical: the plaintext loads back otherwise (`-0` is the int 0, a float
        // printed `100000` an int). The rewritten file must read, and be a fixed point:
        // rewritten from what it decrypts to, it is itself, byte for byte.
        let back = match secretgen::sops::decrypt(path, &got, &keys) {
            Ok(back) => back,
            Err(e) => {
                failures.push(format!("{}: does not read back: {e}", case.name));
                continue;
            }
        };
        match secretgen::sops::reencrypt(path, &got, back.expose(), &keys, &when) {
            Ok(again) if again.as_slice() == got.as_slice() => {}
            Ok(again) => failures.push(format!(
                "{}: not a fixed point: {}",
                case.name,
                first_difference(&got, &again)
            )),
            Err(e) => failures.push(format!("{}: refused the second time: {e}", case.name)),
        }
    }
    (cases, identical, failures)
}

/// `sops edit` without a change, over the whole corpus: every rewritten file reads back
/// and is a fixed point, and at least the measured number is byte-identical to the file sops
/// wrote (every value kept its ciphertext, the MAC and `lastmodified` stayed).
#[test]
fn rewriting_a_file_from_its_own_plaintext_keeps_its_ciphertexts() {
    // Measured when written; a drop means values lost their ciphertext.
    let at_least = [
        ("yaml", 740),
        ("json", 880),
        ("ini", 1044),
        ("dotenv", 1100),
        ("binary", 1100),
    ];
    let only = std::env::var("SECRETGEN_REWRITE_FORMATS").unwrap_or_default();
    for (format, min) in at_least {
        if !only.is_empty() && !only.contains(format) {
            continue;
        }
        let (cases, identical, failures) = rewrite(format);
        let shown: Vec<&str> = failures.iter().take(10).map(String::as_str).collect();
        assert!(
            failures.is_empty(),
            "{format}: {} of {cases} rewritten files fail:\n{}",
            failures.len(),
            shown.join("\n")
        );
        eprintln!("{format}: {identical} of {cases} rewritten byte-identical");
        assert!(
            identical >= min,
            "{format}: only {identical} of {cases} rewritten files are byte-identical (at least {min} were)"
        );
    }
}
