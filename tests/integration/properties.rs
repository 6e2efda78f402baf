//! Properties over generated inputs (proptest): the hash's JSON is deterministic and its
//! strings are escaped exactly as a reference of Go's `json.Marshal` (written here from Go's
//! `encoding/json` rules, independently of the `goyaml` crate's `gojson`) escapes them; a render does not
//! depend on the order sources are listed in; rendered Secrets parse back (serde_yaml_ng) to
//! exactly what went in.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine;
use proptest::prelude::*;
use secretgen::kustomize::gojson;
use secretgen::kustomize::hash::{self, HashInput, HashVariant, Values};

/// Go's `utf8.DecodeRune`: the rune and its width; (U+FFFD, 1) for a byte that starts no
/// valid rune (bad lead byte, missing or bad continuation, overlong form, surrogate, or
/// above U+10FFFF).
fn go_decode_rune(b: &[u8]) -> (char, usize) {
    let (len, min) = match b[0] {
        0x00..=0x7f => return (b[0] as char, 1),
        0xc2..=0xdf => (2, 0x80),
        0xe0..=0xef => (3, 0x800),
        0xf0..=0xf4 => (4, 0x10000),
        _ => return ('\u{fffd}', 1),
    };
    if b.len() < len || !b[1..len].iter().all(|c| c & 0xc0 == 0x80) {
        return ('\u{fffd}', 1);
    }
    let mut v = u32::from(b[0]) & (0x7f >> len);
    for c in &b[1..len] {
        v = (v << 6) | u32::from(c & 0x3f);
    }
    match char::from_u32(v) {
        Some(c) if v >= min => (c, len),
        _ => ('\u{fffd}', 1),
    }
}

/// Go's `encoding/json` `appendString` with HTML escaping (json.Marshal's default).
fn go_marshal_string(b: &[u8]) -> String {
    let mut out = String::from("\"");
    let mut rest = b;
    while !rest.is_empty() {
        let (c, n) = go_decode_rune(rest);
        let invalid = c == '\u{fffd}' && n == 1;
        rest = &rest[n..];
        if invalid {
            out.push_str("\\ufffd");
            continue;
        }
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' => out.push_str(&format!("\\u00{:02x}", c as u32)),
            '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u00{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn encode(b: &[u8]) -> String {
    let mut out = Vec::new();
    gojson::write_go_string(&mut out, b);
    String::from_utf8(out).expect("the encoder writes UTF-8")
}

/// Bytes biased toward what escaping cares about: controls, HTML characters, quotes,
/// multi-byte and broken UTF-8.
fn tricky_bytes() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        any::<u8>().prop_map(|b| vec![b]),
        Just(b"<>&\"\\".to_vec()),
        Just("\u{2028}\u{2029}\u{fffd}é🔑".as_bytes().to_vec()),
        Just(vec![0xef, 0xbf, 0xbd]),
        Just(vec![0xe2, 0x82]),
        Just(vec![0xed, 0xa0, 0x80]),
        Just(vec![0xf4, 0x90, 0x80, 0x80]),
        Just(vec![0xc0, 0xaf]),
        "[ -~]{0,8}".prop_map(String::into_bytes),
    ];
    prop::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9_-][A-Za-z0-9._-]{0,11}",
        "\\.[A-Za-z0-9_-][A-Za-z0-9._-]{0,6}"
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn go_string_escaping_matches_the_reference(b in tricky_bytes()) {
        prop_assert_eq!(encode(&b), go_marshal_string(&b));
    }

    #[test]
    fn go_string_escaping_matches_the_reference_for_any_string(s in any::<String>()) {
        prop_assert_eq!(encode(s.as_bytes()), go_marshal_string(s.as_bytes()));
    }

    #[test]
    fn hash_json_is_deterministic_and_order_free(
        pairs in prop::collection::btree_map(
            prop_oneof![key(), any::<String>()],
            any::<String>(),
            0..8,
        ),
        name in any::<String>(),
        type_ in any::<String>(),
        rotate in 0usize..8,
    ) {
        let data: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let mut shuffled = data.clone();
        if !shuffled.is_empty() {
            let n = rotate % shuffled.len();
            shuffled.rotate_left(n);
            shuffled.reverse();
        }
        for variant in [HashVariant::Kustomize, HashVariant::KustomizeLegacy, HashVariant::Kubectl] {
            let input = |d: &'_ [(&'_ str, &'_ str)]| {
                hash::hash_json(&HashInput {
                    variant,
                    name: &name,
                    type_: &type_,
                    kubectl_type: Some(&type_),
                    data: Some(d),
                    string_data: None,
                    immutable: false,
                }, Values::Real).to_vec()
            };
            let (a, b, c) = (input(&data), input(&data), input(&shuffled));
            prop_assert_eq!(&a, &b);
            prop_assert_eq!(&a, &c);
            prop_assert_eq!(hash::suffix_of(&a), hash::suffix_of(&c));
            // The object is the reference's: keys sorted bytewise, strings escaped as Go does.
            let mut want = String::from("{\"data\":{");
            for (i, (k, v)) in pairs.iter().enumerate() {
                if i > 0 { want.push(','); }
                want.push_str(&go_marshal_string(k.as_bytes()));
                want.push(':');
                want.push_str(&go_marshal_string(v.as_bytes()));
            }
            let shown_name = if variant == HashVariant::Kustomize { "" } else { name.as_str() };
            want.push_str(&format!(
                "}},\"kind\":\"Secret\",\"name\":{},\"type\":{}}}",
                go_marshal_string(shown_name.as_bytes()),
                go_marshal_string(type_.as_bytes()),
            ));
            prop_assert_eq!(String::from_utf8(a).unwrap(), want);
        }
    }
}

/// A value that a YAML emitter must take care with (indicators, numbers, booleans, spaces).
fn yaml_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,24}",
        "[ -~\u{a0}-\u{17f}\n\t]{0,24}",
        Just(String::new()),
        Just("true".to_string()),
        Just("null".to_string()),
        Just("~".to_string()),
        Just("0x1F".to_string()),
        Just("1e3".to_string()),
        Just("- item".to_string()),
        Just("key: value # c".to_string()),
        Just(" leading and trailing ".to_string()),
        Just("multi\nline\n".to_string()),
    ]
}

#[derive(Debug)]
struct Case {
    name: String,
    namespace: Option<String>,
    type_: Option<String>,
    annotations: BTreeMap<String, String>,
    files: BTreeMap<String, Vec<u8>>,
    literals: BTreeMap<String, String>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        "[a-z][a-z0-9-]{0,20}[a-z0-9]",
        prop::option::of("[a-z][a-z0-9]{0,10}"),
        prop::option::of(prop_oneof![
            Just("Opaque".to_string()),
            Just("example.com/custom".to_string()),
        ]),
        prop::collection::btree_map("example\\.com/[a-z]{1,8}", yaml_text(), 0..4),
        prop::collection::btree_map(key(), prop::collection::vec(any::<u8>(), 0..200), 0..5),
        prop::collection::btree_map(key(), "[!-~][ -~]{0,20}", 0..5),
    )
        .prop_map(|(name, namespace, type_, annotations, files, literals)| {
            let literals = literals
                .into_iter()
                .filter(|(k, _)| !files.contains_key(k))
                .collect();
            Case {
                name,
                namespace,
                type_,
                annotations,
                files,
                literals,
            }
        })
}

/// kustomize's one unquoting of a literal's value (RULES.md rule 16): one pair of matching
/// `"` or `'` around a value of two characters or more is removed; nothing else.
fn unquote_literal(v: &str) -> &str {
    let b = v.as_bytes();
    if b.len() >= 2 && b[0] == b[b.len() - 1] && (b[0] == b'"' || b[0] == b'\'') {
        &v[1..v.len() - 1]
    } else {
        v
    }
}

fn json(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

/// Writes the case's manifest (sources in the given order) and renders it in-process.
fn render(dir: &Path, c: &Case, file_order: &[&String], literal_order: &[&String]) -> Vec<u8> {
    for (k, v) in &c.files {
        std::fs::write(dir.join(format!("{k}.bin")), v).unwrap();
    }
    let mut m = String::from("apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n");
    // Quoted: a name or namespace such as `no` or `y` is a YAML 1.1 boolean when plain.
    m.push_str(&format!("  name: {}\n", json(&c.name)));
    if let Some(ns) = &c.namespace {
        m.push_str(&format!("  namespace: {}\n", json(ns)));
    }
    m.push_str("  annotations: {}\n");
    if !c.annotations.is_empty() {
        m = m.replace("  annotations: {}\n", "  annotations:\n");
        for (k, v) in &c.annotations {
            m.push_str(&format!("    {k}: {}\n", json(v)));
        }
    }
    if let Some(t) = &c.type_ {
        m.push_str(&format!("type: {t}\n"));
    }
    m.push_str("files: []\nliterals: []\n");
    if !file_order.is_empty() {
        m = m.replace("files: []\n", "files:\n");
        let list: String = file_order
            .iter()
            .map(|k| format!("- {}\n", json(&format!("{k}={k}.bin"))))
            .collect();
        m = m.replace("files:\n", &format!("files:\n{list}"));
    }
    if !literal_order.is_empty() {
        let list: String = literal_order
            .iter()
            .map(|k| format!("- {}\n", json(&format!("{k}={}", c.literals[*k]))))
            .collect();
        m = m.replace("literals: []\n", &format!("literals:\n{list}"));
    }
    let manifest = dir.join("secretgen.yaml");
    std::fs::write(&manifest, m).unwrap();
    let units = secretgen::render::discover::load(&[manifest]).expect("manifest loads");
    let keys = secretgen::age::Keyring::new(secretgen::age::IdentitySources::default());
    let out =
        secretgen::render::render_units(&units, &secretgen::render::Settings::default(), &keys)
            .expect("renders");
    secretgen::secret::to_yaml(&out.secrets).to_vec()
}

#[derive(serde::Deserialize, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
struct SecretDoc {
    #[serde(rename = "apiVersion")]
    api_version: String,
    kind: String,
    metadata: Meta,
    #[serde(default)]
    data: BTreeMap<String, String>,
    #[serde(rename = "type")]
    type_: String,
}

#[derive(serde::Deserialize, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
struct Meta {
    name: String,
    namespace: Option<String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn render_does_not_depend_on_source_order(c in case(), seed in any::<u64>()) {
        let dir = tempfile::tempdir().unwrap();
        let files: Vec<&String> = c.files.keys().collect();
        let literals: Vec<&String> = c.literals.keys().collect();
        let a = render(dir.path(), &c, &files, &literals);
        let mut files2 = files.clone();
        let mut literals2 = literals.clone();
        files2.reverse();
        literals2.reverse();
        let (nf, nl) = (files2.len().max(1), literals2.len().max(1));
        files2.rotate_left(seed as usize % nf);
        literals2.rotate_left((seed >> 8) as usize % nl);
        let b = render(dir.path(), &c, &files2, &literals2);
        prop_assert_eq!(a, b);
    }

    #[test]
    fn rendered_secrets_parse_back_to_their_inputs(c in case()) {
        let dir = tempfile::tempdir().unwrap();
        let files: Vec<&String> = c.files.keys().collect();
        let literals: Vec<&String> = c.literals.keys().collect();
        let yaml = render(dir.path(), &c, &files, &literals);
        let doc: SecretDoc = serde_yaml_ng::from_slice(&yaml).expect("rendered YAML parses");
        prop_assert_eq!(&doc.api_version, "v1");
        prop_assert_eq!(&doc.kind, "Secret");
        let prefix = format!("{}-", c.name);
        prop_assert!(doc.metadata.name.starts_with(&prefix));
        prop_assert_eq!(&doc.metadata.namespace, &c.namespace);
        prop_assert_eq!(&doc.metadata.annotations, &c.annotations);
        prop_assert_eq!(&doc.type_, c.type_.as_deref().unwrap_or("Opaque"));
        let mut want: BTreeMap<String, Vec<u8>> = c.files.clone();
        for (k, v) in &c.literals {
            want.insert(k.clone(), unquote_literal(v).as_bytes().to_vec());
        }
        let got: BTreeMap<String, Vec<u8>> = doc
            .data
            .iter()
            .map(|(k, v)| {
                let clean: String = v.split_whitespace().collect();
                (k.clone(), base64::engine::general_purpose::STANDARD.decode(clean).unwrap())
            })
            .collect();
        prop_assert_eq!(got, want);
        // parse -> emit -> parse: the rendered Secret, listed as a plain resource of a
        // kustomization, is emitted again by secretgen and parses to the same document.
        let k = dir.path().join("k");
        std::fs::create_dir_all(&k).unwrap();
        std::fs::write(k.join("secret.yaml"), &yaml).unwrap();
        std::fs::write(k.join("kustomization.yaml"), "resources:\n- secret.yaml\n").unwrap();
        let units = secretgen::render::discover::load(&[k.join("kustomization.yaml")]).unwrap();
        let keys = secretgen::age::Keyring::new(secretgen::age::IdentitySources::default());
        let out = secretgen::render::render_units(&units, &secretgen::render::Settings::default(), &keys).unwrap();
        let emitted = secretgen::secret::to_yaml(&out.secrets).to_vec();
        let again: SecretDoc = serde_yaml_ng::from_slice(&emitted).unwrap();
        prop_assert_eq!(doc, again);
        prop_assert_eq!(emitted, yaml);
    }
}
