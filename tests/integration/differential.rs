//! Differential test against the live `kubectl kustomize`: random generators (seeded, so a
//! failure reproduces) with keys goyaml.v2 must quote, values of every length around the
//! 70-column base64 wrap, binary and empty files, and types, labels and annotations full of
//! YAML-special words, `<`, `&`, spaces and unicode; env files with kustomize's edge lines;
//! the kustomization fields that change Secrets (namePrefix/nameSuffix, namespace,
//! commonLabels, labels, commonAnnotations, generatorOptions) with clashing keys. secretgen
//! must print the same bytes.
//! Set SECRETGEN_DIFF_SEED to replay one seed, SECRETGEN_DIFF_ROUNDS to run more.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// Valid Secret keys, including ones goyaml.v2 quotes or sorts unusually. Excluded: keys a
/// YAML 1.2 resolver reads as numbers, booleans or null, on which kustomize itself crashes.
const KEYS: &[&str] = &[
    "y",
    "Y",
    "n",
    "N",
    "yes",
    "no",
    "on",
    "off",
    "Yes",
    "NO",
    "a",
    "A",
    "b9",
    "b10",
    "b010",
    "_under",
    ".dot",
    "-dash",
    "a.b",
    "a-b",
    "a_b",
    "x1",
    "x01",
    "x001",
    "key.2",
    "key.10",
    "UPPER",
    "mixedCase",
    "tls.crt",
    "ca.crt",
    ".dockerconfigjson",
    "0x",
    "1e",
    "1_a",
    "v1.2.3",
    "2024-01-01x",
    "-",
    "_",
    "e",
    "E",
    "inf",
    "nan",
    "NaN_",
    "Null_",
    "ab",
    "aB",
    "Ab",
];

const WORDS: &[&str] = &[
    "true",
    "false",
    "yes",
    "no",
    "y",
    "n",
    "on",
    "off",
    "null",
    "~",
    "NULL",
    "123",
    "0x1F",
    "0o17",
    "017",
    "1e10",
    "+12",
    "-.5",
    ".inf",
    "2024-01-01",
    "1:30",
    "",
    " lead",
    "trail ",
    "a: b",
    "#c",
    "@x",
    "- x",
    "? x",
    "it's",
    "say \"hi\"",
    "a<b>&c",
    "é",
    "ключ",
    "🔑 key",
    "tab\there",
    "line1\nline2",
    "end\n",
    "two\n\n",
    "\n",
    "  indented\nnext",
    "x:",
    "[1]",
    "{a}",
    "*alias",
    "&anchor",
    "!tag",
    "%x",
    "`tick`",
    "a, b",
    "C:\\path",
    "a #b",
    "=",
    "a\u{2028}b",
    "nbsp\u{a0}here",
    "\u{feff}bom",
    "0b-101",
    "1e400",
    ".5e400",
    "-0b-1",
    "99999999999999999999",
    "0x10000000000000000",
    "a\u{85}b",
    "x \u{85} y",
    "two\u{85}\u{85}nels",
    "this is a fairly long annotation value with many spaces that goes well beyond eighty columns of text",
    "line1\n\tline2",
    "a\rb",
    "l1\r\nl2\r\n",
    "a\u{2029}b",
    "a\u{0}b",
    "\u{7} bell",
    "\u{1b}[0m",
    "x \n",
    "\nafter",
    "  x\n",
    "\n\n",
    "trailing tab\t",
    "   ",
    "a\u{feff}b",
    "\u{1F511}\nline",
    "key: value\nother: x",
    "\ttab first then a long sentence with many words so that it goes well past the eighty column limit",
    "# hash first then a long sentence with many words so that it goes well past the eighty column limit",
    "'quoted' and then many many many many many many many many many many words words",
    "word  word  word  word  word  word  word  word  word  word  word  word  word  word  word",
    "word \u{2028} word word word word word word word word word word word word word word word word",
    "null null null null null null null null null null null null null null null null null null",
    "a long sentence with words that ends in a colon after more than eighty columns ok:",
    "first line is short\nsecond line is a very long line with many words that certainly exceeds the eighty column limit\n",
    "190:20:30",
    ".NaN",
    "-.Inf",
    "0X1F",
    "1_0.5",
    "---",
    "...",
    "|x",
    ">x",
    "]",
    "?:",
    "<<",
];

const LABEL_VALUES: &[&str] = &[
    "true",
    "false",
    "yes",
    "no",
    "y",
    "n",
    "on",
    "off",
    "null",
    "NULL",
    "123",
    "0x1F",
    "017",
    "1e10",
    "2024-01-01",
    "",
    "a",
    "a-b",
    "a.b",
    "a_b",
    "Z9",
];

const TYPES: &[&str] = &[
    "",
    "Opaque",
    "example.com/a<b>&c",
    "my type",
    "тип",
    "true",
    "123",
    "x:",
    "a: b",
    "system.kuma.io/global-secret-x",
    "example.com/long type with spaces that goes well beyond eighty columns for folding",
    "a\tb",
    "#hash",
    "example.com/\u{1F511}",
    " lead",
    "yes",
];

/// Lines of an env file (kustomize's parsing: BOM on the first line only, CRLF, leading
/// Unicode whitespace trimmed, comments, bare names, empty keys skipped, nothing unquoted).
/// `{k}` is replaced by a fresh key, `{v}` by a value.
const ENV_LINES: &[&str] = &[
    "{k}={v}",
    "  {k}={v}",
    "\t{k}={v}\r",
    "\u{a0}\u{3000}{k}={v}",
    "\u{85}{k}={v}",
    "{k}",
    "{k}=",
    "{k}={v} # not a comment",
    "{k}=\"{v}\"",
    "{k}='{v}'",
    "{k}==={v}",
    "{k}={v}   ",
    "# a comment",
    "   # indented comment",
    "",
    "   ",
    "=orphan",
    "\r",
];

/// A kustomization's own fields that change generated Secrets.
fn kustomization_fields(rng: &mut Rng) -> String {
    let mut k = String::new();
    let prefix = rng.pick(&["", "p-", "pre.x-"]);
    if !prefix.is_empty() {
        let _ = writeln!(k, "namePrefix: {prefix}");
    }
    let suffix = rng.pick(&["", "-s", "-v2"]);
    if !suffix.is_empty() {
        let _ = writeln!(k, "nameSuffix: {suffix}");
    }
    if rng.below(3) == 0 {
        k.push_str("namespace: top\n");
    }
    if rng.below(2) == 0 {
        let _ = writeln!(
            k,
            "commonLabels:\n  app: {}\n  common: {}",
            yaml_str(rng.pick(LABEL_VALUES)),
            yaml_str(rng.pick(LABEL_VALUES))
        );
    }
    if rng.below(2) == 0 {
        k.push_str("labels:\n");
        for _ in 0..1 + rng.below(2) {
            let _ = writeln!(
                k,
                "- pairs:\n    app: {}\n    l0: {}\n  includeSelectors: {}",
                yaml_str(rng.pick(LABEL_VALUES)),
                yaml_str(rng.pick(LABEL_VALUES)),
                rng.below(2) == 0
            );
        }
    }
    if rng.below(2) == 0 {
        let _ = writeln!(
            k,
            "commonAnnotations:\n  example.com/a0: {}\n  example.com/common: {}",
            yaml_str(rng.pick(WORDS)),
            yaml_str(rng.pick(WORDS))
        );
    }
    if rng.below(2) == 0 {
        k.push_str("generatorOptions:\n");
        if rng.below(4) == 0 {
            k.push_str("  disableNameSuffixHash: true\n");
        }
        if rng.below(4) == 0 {
            k.push_str("  immutable: true\n");
        }
        let _ = writeln!(
            k,
            "  labels:\n    app: {}\n    global: {}",
            yaml_str(rng.pick(LABEL_VALUES)),
            yaml_str(rng.pick(LABEL_VALUES))
        );
        let _ = writeln!(
            k,
            "  annotations:\n    example.com/a1: {}\n    example.com/global: {}",
            yaml_str(rng.pick(WORDS)),
            yaml_str(rng.pick(WORDS))
        );
    }
    k
}

/// Writes a random env file whose keys are `E{g}_{i}`; returns its name.
fn env_file(dir: &Path, rng: &mut Rng, g: usize) -> String {
    let mut text = String::new();
    if rng.below(3) == 0 {
        text.push('\u{feff}');
    }
    for i in 0..1 + rng.below(8) {
        let v: String = (0..rng.below(80))
            .map(|_| (b'a' + (rng.below(26) as u8)) as char)
            .collect();
        let line = rng
            .pick(ENV_LINES)
            .replace("{k}", &format!("E{g}_{i}"))
            .replace("{v}", &v);
        text.push_str(&line);
        text.push('\n');
    }
    if rng.below(2) == 0 {
        text.pop();
    }
    let name = format!("g{g}.env");
    std::fs::write(dir.join(&name), text).unwrap();
    name
}

/// A double-quoted YAML string. The YAML 1.1 line breaks are escaped: raw, kustomize's
/// reader would fold them (and secretgen refuses them).
fn yaml_str(s: &str) -> String {
    serde_json::to_string(s)
        .unwrap()
        .replace('\u{85}', "\\u0085")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// Writes one kustomization with `count` generators into `dir`.
fn generate(dir: &Path, rng: &mut Rng, count: usize) -> String {
    let mut k = kustomization_fields(rng);
    k.push_str("secretGenerator:\n");
    for g in 0..count {
        let _ = writeln!(k, "- name: gen{g}");
        if rng.below(3) == 0 {
            let _ = writeln!(k, "  namespace: ns{}", rng.below(3));
        }
        let t = rng.pick(TYPES);
        if !t.is_empty() || rng.below(2) == 0 {
            let _ = writeln!(k, "  type: {}", yaml_str(t));
        }
        let mut keys: Vec<&str> = Vec::new();
        let nkeys = 1 + rng.below(5);
        while keys.len() < nkeys {
            let key = rng.pick(KEYS);
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        let mut literals = Vec::new();
        let mut files = Vec::new();
        for (i, key) in keys.iter().enumerate() {
            let len = match rng.below(6) {
                0 => 0,
                1 => 50 + rng.below(5),  // around the 52-byte wrap
                2 => 103 + rng.below(5), // around two full lines
                3 => rng.below(300),
                4 => 1 + rng.below(10),
                _ => 1000 + rng.below(2000),
            };
            if rng.below(2) == 0 {
                let name = format!("g{g}-{i}.bin");
                std::fs::write(dir.join(&name), rng.bytes(len)).unwrap();
                files.push(format!("{key}={name}"));
            } else {
                let v: String = (0..len)
                    .map(|_| (b'a' + (rng.below(26) as u8)) as char)
                    .collect();
                literals.push(format!("{key}={v}"));
            }
        }
        if !literals.is_empty() {
            k.push_str("  literals:\n");
            for l in &literals {
                let _ = writeln!(k, "  - {}", yaml_str(l));
            }
        }
        if rng.below(3) == 0 {
            let _ = writeln!(k, "  envs:\n  - {}", env_file(dir, rng, g));
        }
        if !files.is_empty() {
            k.push_str("  files:\n");
            for f in &files {
                let _ = writeln!(k, "  - {}", yaml_str(f));
            }
        }
        k.push_str("  options:\n");
        if rng.below(4) == 0 {
            k.push_str("    disableNameSuffixHash: true\n");
        }
        if rng.below(4) == 0 {
            k.push_str("    immutable: true\n");
        }
        k.push_str("    labels:\n");
        for i in 0..rng.below(3) {
            let _ = writeln!(k, "      l{i}: {}", yaml_str(rng.pick(LABEL_VALUES)));
        }
        k.push_str("      app: diff\n");
        k.push_str("    annotations:\n");
        for i in 0..1 + rng.below(4) {
            let _ = writeln!(k, "      example.com/a{i}: {}", yaml_str(rng.pick(WORDS)));
        }
    }
    std::fs::write(dir.join("kustomization.yaml"), &k).unwrap();
    k
}

#[test]
fn random_generators_match_kubectl_kustomize() {
    let kubectl = Command::new("kubectl")
        .arg("version")
        .arg("--client")
        .output();
    assert!(
        kubectl.is_ok_and(|o| o.status.success()),
        "kubectl is required (run `bash tests/setup.sh`)"
    );
    let seeds: Vec<u64> = match std::env::var("SECRETGEN_DIFF_SEED") {
        Ok(s) => vec![s.parse().expect("seed")],
        Err(_) => {
            let rounds: u64 = std::env::var("SECRETGEN_DIFF_ROUNDS")
                .ok()
                .and_then(|r| r.parse().ok())
                .unwrap_or(4);
            (1..=rounds).collect()
        }
    };
    for seed in seeds {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ seed.wrapping_mul(0x1000_0000_01B3));
        let dir = tempfile::tempdir().unwrap();
        let kust = generate(dir.path(), &mut rng, 40);
        let want = Command::new("kubectl")
            .arg("kustomize")
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(
            want.status.success(),
            "seed {seed}: kubectl kustomize failed: {}\n{kust}",
            String::from_utf8_lossy(&want.stderr)
        );
        let got = Command::new(env!("CARGO_BIN_EXE_secretgen"))
            .arg("render")
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(
            got.status.success(),
            "seed {seed}: secretgen failed: {}\n{kust}",
            String::from_utf8_lossy(&got.stderr)
        );
        let (want, got) = (
            String::from_utf8_lossy(&want.stdout),
            String::from_utf8_lossy(&got.stdout),
        );
        if want != got {
            let diff = similar::TextDiff::from_lines(&*want, &*got)
                .unified_diff()
                .header("kubectl kustomize", "secretgen")
                .to_string();
            panic!(
                "seed {seed}: output differs (replay with SECRETGEN_DIFF_SEED={seed}):\n{diff}\n{kust}"
            );
        }
        assert!(want.matches("kind: Secret").count() == 40);
    }
}

/// The docs example (`testdata/quickstart`) in all three hash variants, each against the
/// live tool that defines it: `kubectl kustomize` for `kustomize`, `kubectl create secret
/// generic --append-hash` for `kubectl`, and the same with `--type=Opaque` for
/// `kustomize-legacy` (real name and type, as kustomize ≤ 3.7 and the old docs hashed).
#[test]
fn docs_example_matches_the_live_tools() {
    let quickstart = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/quickstart");
    let name_of = |out: std::process::Output| -> String {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .find_map(|l| l.strip_prefix("  name: ").map(str::to_string))
            .expect("a name")
    };
    let secretgen = |variant: &str| {
        name_of(
            Command::new(env!("CARGO_BIN_EXE_secretgen"))
                .args(["render", "--hash", variant])
                .arg(&quickstart)
                .output()
                .unwrap(),
        )
    };
    let kubectl_create = |extra: &[&str]| {
        name_of(
            Command::new("kubectl")
                .args([
                    "create",
                    "secret",
                    "generic",
                    "db-user-pass",
                    "--from-file=username.txt",
                    "--from-file=password.txt",
                    "--append-hash",
                    "--dry-run=client",
                    "-o",
                    "yaml",
                ])
                .args(extra)
                .current_dir(&quickstart)
                .output()
                .unwrap(),
        )
    };
    let dir = tempfile::tempdir().unwrap();
    for f in ["username.txt", "password.txt"] {
        std::fs::copy(quickstart.join(f), dir.path().join(f)).unwrap();
    }
    std::fs::write(
        dir.path().join("kustomization.yaml"),
        "secretGenerator:\n- name: db-user-pass\n  files:\n  - username.txt\n  - password.txt\n",
    )
    .unwrap();
    let kustomize = name_of(
        Command::new("kubectl")
            .arg("kustomize")
            .arg(dir.path())
            .output()
            .unwrap(),
    );

    assert_eq!(kustomize, "db-user-pass-gd995d5t92");
    assert_eq!(secretgen("kustomize"), kustomize);
    assert_eq!(secretgen("kubectl"), kubectl_create(&[]));
    let legacy = kubectl_create(&["--type=Opaque"]);
    assert_eq!(legacy, "db-user-pass-96mffmfh4k");
    assert_eq!(secretgen("kustomize-legacy"), legacy);
}
