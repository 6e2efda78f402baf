//! Every document the real tools printed in the conformance corpus, read back and re-emitted,
//! must come out byte for byte: `expected.yaml` → serde_yaml_ng `Value` → `Node` →
//! `write_document` → the same bytes.

use std::borrow::Cow;
use std::fs;
use std::path::{Path, PathBuf};

use secretgen::yaml::emit::{Node, write_document};
use serde::Deserialize;
use serde_yaml_ng::Value;

/// Documents that cannot make the trip through `Node`, with the reason. Each entry is
/// `(case directory relative to the corpus, document index)`. The test checks that these still
/// fail for that reason, so the list cannot go stale silently.
const NOT_REPRESENTABLE: &[(&str, usize, &str)] = &[(
    "kustomize/meta-mixed-with-resources",
    4,
    "a Service with `port: 80`: Node has no integer variant (secretgen prints only Secrets)",
)];

/// The corpus, `testdata/corpus`, or another copy named by `SECRETGEN_CORPUS`.
fn corpus_root() -> PathBuf {
    let root = match std::env::var_os("SECRETGEN_CORPUS") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/corpus"),
    };
    assert!(
        root.is_dir(),
        "conformance corpus not found at {}",
        root.display()
    );
    root
}

/// The `expected.yaml` files under `<corpus>/<suite>/*/`, sorted by case name.
fn expected_files(suite: &str) -> Vec<(String, PathBuf)> {
    let dir = corpus_root().join(suite);
    let mut files: Vec<(String, PathBuf)> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter_map(|case| {
            let expected = case.join("expected.yaml");
            let name = format!("{suite}/{}", case.file_name()?.to_str()?);
            expected.is_file().then_some((name, expected))
        })
        .collect();
    files.sort();
    files
}

/// Splits a multi-document stream at its `---` lines. Each document keeps its final `\n`.
fn split_documents(text: &str) -> Vec<&str> {
    let mut docs = Vec::new();
    let mut start = 0;
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        if line == "---\n" {
            docs.push(&text[start..pos]);
            start = pos + line.len();
        }
        pos += line.len();
    }
    docs.push(&text[start..]);
    docs
}

fn to_node(value: &Value) -> Result<Node<'_>, String> {
    Ok(match value {
        Value::String(s) => Node::Str(Cow::Borrowed(s)),
        Value::Bool(b) => Node::Bool(*b),
        Value::Null => Node::Null,
        Value::Sequence(items) => Node::Seq(items.iter().map(to_node).collect::<Result<_, _>>()?),
        Value::Mapping(map) => Node::Map(
            map.iter()
                .map(|(k, v)| match k {
                    Value::String(k) => Ok((Cow::Borrowed(k.as_str()), to_node(v)?)),
                    other => Err(format!("non-string key {other:?}")),
                })
                .collect::<Result<_, _>>()?,
        ),
        Value::Number(n) => return Err(format!("number {n}")),
        Value::Tagged(t) => return Err(format!("tagged value {}", t.tag)),
    })
}

/// Re-emits one document; `Err` explains why it cannot be represented as a `Node`.
fn reemit(doc: &str) -> Result<String, String> {
    let value = Value::deserialize(serde_yaml_ng::Deserializer::from_str(doc))
        .map_err(|e| format!("serde_yaml_ng: {e}"))?;
    let node = to_node(&value)?;
    let mut out = Vec::new();
    write_document(&node, &mut out);
    Ok(String::from_utf8(out).expect("emitter output is UTF-8"))
}

fn check_suite(suite: &str, minimum_documents: usize) {
    let files = expected_files(suite);
    assert!(!files.is_empty(), "no expected.yaml under {suite}");
    let mut failures = Vec::new();
    let mut matched = 0;
    for (case, path) in &files {
        let text = fs::read_to_string(path).expect("expected.yaml is UTF-8");
        for (index, doc) in split_documents(&text).into_iter().enumerate() {
            let excluded = NOT_REPRESENTABLE
                .iter()
                .find(|(c, i, _)| c == case && *i == index);
            match (reemit(doc), excluded) {
                (Ok(out), None) if out == doc => matched += 1,
                (Ok(out), None) => failures.push(format!(
                    "{case} document {index}:\n--- expected\n{doc}--- emitted\n{out}"
                )),
                (Err(why), None) => {
                    failures.push(format!("{case} document {index}: not representable: {why}"))
                }
                (Ok(_), Some((_, _, reason))) => failures.push(format!(
                    "{case} document {index} is listed as not representable ({reason}) but now is"
                )),
                (Err(_), Some(_)) => {}
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} document(s) differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        matched >= minimum_documents,
        "only {matched} documents compared in {suite}, expected at least {minimum_documents}"
    );
}

#[test]
fn kustomize_outputs_reemit_byte_for_byte() {
    check_suite("kustomize", 100);
}

#[test]
fn kubectl_create_outputs_reemit_byte_for_byte() {
    check_suite("kubectl-create", 20);
}

#[test]
fn corpus_holds_the_documents_the_checks_rely_on() {
    // The style decisions the emitter makes must be exercised by the corpus, not just pass.
    let text = |case: &str| {
        fs::read_to_string(corpus_root().join(case).join("expected.yaml")).expect("case exists")
    };
    let quoting = text("kustomize/yaml-annotation-quoting");
    for needle in [
        "a03-base60: \"1:30\"",
        "a21-emoji: \"key \\U0001F511\"",
        "a27-only-nl: |2+\n",
        "a36-bom-first: \"\\uFEFF\\x62\\x6F\\x6D\"",
        "a37-nel: a b\n",
        "a50-long-sentence-150: word",
    ] {
        assert!(quoting.contains(needle), "missing {needle:?}");
    }
    assert!(text("kustomize/hash-u2028-key").contains("? 'a\u{2028}    b'\n"));
    assert!(text("kustomize/yaml-long-key").contains("\n  ? "));
}
