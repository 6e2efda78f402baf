//! The JSON Schema (`schema/secretgenerator.json`) against the project's own inputs: every
//! generator manifest in `testdata/` and in the README validates, and every bad input of
//! `tests/bad_inputs/` that is wrong at the schema's level (a field, a name, a value the
//! schema can describe) fails validation, while the others (file contents, YAML syntax,
//! encryption, duplicates) validate, so the list below is checked both ways.

use std::path::{Path, PathBuf};

use serde_json::Value;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(repo().join("schema/secretgenerator.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::draft7::meta::validate(&schema).expect("a valid draft-07 schema");
    jsonschema::draft7::new(&schema).expect("the schema compiles")
}

/// The documents of a YAML stream as JSON, or `None` when it is not YAML that maps onto
/// JSON (syntax errors, non-string keys: those are not the schema's business).
fn documents(text: &str) -> Option<Vec<Value>> {
    use serde::Deserialize;
    let mut docs = Vec::new();
    for de in serde_yaml_ng::Deserializer::from_str(text) {
        let v = Value::deserialize(de).ok()?;
        if !v.is_null() {
            docs.push(v);
        }
    }
    Some(docs)
}

/// A document the schema is for: anything that says it is a secretgen generator (even with
/// a wrong kind or version) or a KSOPS config.
fn is_generator(doc: &Value) -> bool {
    let api = doc.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    let kind = doc.get("kind").and_then(Value::as_str).unwrap_or("");
    api.starts_with("secretgen.dev/") || kind == "ksops"
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    out.sort();
    out
}

/// The schema's error messages for the generator documents of `path` (empty: all valid),
/// and how many generator documents it holds.
fn check_file(v: &jsonschema::Validator, path: &Path) -> (Vec<String>, usize) {
    let Ok(text) = std::fs::read_to_string(path) else {
        return (Vec::new(), 0);
    };
    let Some(docs) = documents(&text) else {
        return (Vec::new(), 0);
    };
    let mut errors = Vec::new();
    let mut n = 0;
    for doc in docs.iter().filter(|d| is_generator(d)) {
        n += 1;
        errors.extend(
            v.iter_errors(doc)
                .map(|e| format!("{}: {} at {}", path.display(), e, e.instance_path())),
        );
    }
    (errors, n)
}

#[test]
fn every_manifest_in_testdata_validates() {
    let v = validator();
    let mut seen = 0;
    let mut ksops = 0;
    for f in yaml_files(&repo().join("testdata")) {
        let (errors, n) = check_file(&v, &f);
        assert!(errors.is_empty(), "{errors:#?}");
        seen += n;
        if f.starts_with(repo().join("testdata/schema/ksops")) {
            ksops += n;
        }
    }
    assert!(
        seen >= 8,
        "only {seen} generator documents found in testdata/"
    );
    assert!(ksops >= 6, "only {ksops} KSOPS configs found");
}

/// Every ```yaml block of the README that is a generator, as a user would paste it.
#[test]
fn every_readme_example_validates() {
    let v = validator();
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in readme.lines() {
        match (&mut current, line.trim_start()) {
            (None, l) if l.starts_with("```yaml") => current = Some(String::new()),
            (Some(b), l) if l.starts_with("```") => {
                blocks.push(std::mem::take(b));
                current = None;
            }
            (Some(b), _) => {
                b.push_str(line);
                b.push('\n');
            }
            _ => {}
        }
    }
    let mut seen = 0;
    for b in &blocks {
        let Some(docs) = documents(b) else { continue };
        for doc in docs.iter().filter(|d| is_generator(d)) {
            seen += 1;
            let errors: Vec<String> = v.iter_errors(doc).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "README example:\n{b}\n{errors:#?}");
        }
    }
    assert!(seen >= 2, "only {seen} generator examples in the README");
}

/// The bad inputs the schema can tell: each must fail validation.
const SCHEMA_LEVEL: &[&str] = &[
    "invalid-key-dotdot",
    "invalid-key-literal",
    "invalid-label-value",
    "invalid-name-too-long",
    "invalid-name-uppercase",
    "invalid-namespace",
    "literal-without-equals",
    "literals-not-a-list",
    "missing-name",
    "unknown-field-metadata",
    "unknown-field-options",
    "unknown-field-top-level",
    "unknown-hash",
    "unknown-hash-variant",
    "wrong-api-version",
    "wrong-kind",
];

#[test]
fn schema_level_bad_inputs_fail_and_the_others_pass() {
    let v = validator();
    let cases = repo().join("tests/bad_inputs");
    let mut names: Vec<String> = std::fs::read_dir(&cases)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for want in SCHEMA_LEVEL {
        assert!(names.iter().any(|n| n == want), "no case {want}");
    }
    for name in &names {
        let mut errors = Vec::new();
        let mut docs = 0;
        for f in yaml_files(&cases.join(name).join("in")) {
            let (e, n) = check_file(&v, &f);
            errors.extend(e);
            docs += n;
        }
        if SCHEMA_LEVEL.contains(&name.as_str()) {
            assert!(docs > 0, "{name}: no generator document");
            assert!(!errors.is_empty(), "{name}: the schema accepts it");
        } else {
            assert!(
                errors.is_empty(),
                "{name}: refused by the schema but not listed as schema-level: {errors:#?}"
            );
        }
    }
}

/// A few inputs the bad-input suite does not hold, one per rule of the schema.
#[test]
fn schema_rules() {
    let v = validator();
    let base = "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: db\n";
    let ok = [
        String::new(),
        "type: kubernetes.io/tls\nfiles: [tls.crt, tls.key]\n".into(),
        "literals: [\"k=\", \"a.b-c_d=x=y\"]\nenvs: [a.env]\nenv: b.env\n".into(),
        "options: {disableNameSuffixHash: true, immutable: false, labels: {app.kubernetes.io/name: x}}\n".into(),
        "hash: kustomize-legacy\nbehavior: merge\n".into(),
        "options:\nfiles:\n".into(),
    ];
    let bad = [
        "literals: [\"..=x\"]\n",
        "literals: [\".=x\"]\n",
        "literals: [\"=x\"]\n",
        "files: path.txt\n",
        "options: {disableNameSuffixHash: \"yes please\"}\n",
        "options: {labels: {\"bad key!\": x}}\n",
        "behavior: upsert\n",
        "type: 3\n",
    ];
    for extra in &ok {
        let doc = &documents(&format!("{base}{extra}")).unwrap()[0];
        let errors: Vec<String> = v.iter_errors(doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{extra}: {errors:?}");
    }
    for extra in bad {
        let doc = &documents(&format!("{base}{extra}")).unwrap()[0];
        assert!(!v.is_valid(doc), "accepted: {extra}");
    }
    // KSOPS: files or secretFrom, and only the fields KSOPS reads in a secretFrom item.
    for (text, valid) in [
        ("kind: ksops\nfiles: [a.enc.yaml]\n", true),
        (
            "kind: ksops\nsecretFrom:\n- metadata: {name: s}\n  binaryFiles: [k=b.enc]\n",
            true,
        ),
        ("kind: ksops\nmetadata: {name: x}\n", false),
        (
            "kind: ksops\nsecretFrom:\n- metadata: {name: s}\n  binaryfiles: [b.enc]\n",
            false,
        ),
    ] {
        let doc = &documents(text).unwrap()[0];
        assert_eq!(v.is_valid(doc), valid, "{text}");
    }
}
