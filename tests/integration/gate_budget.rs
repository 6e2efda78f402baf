//! Every parser has a budget: inputs built to exhaust a reader (deep JSON and YAML, flow
//! and block, long flattened SOPS metadata keys, many metadata entries, a huge INI file,
//! an alias bomb inside a SOPS file) are refused with exit 2 and a message naming the
//! file, within seconds and under `ulimit -v`, through `render` and through the exec
//! plugin (`SecretGenerator CONFIG`, as kustomize runs it). Each input is built here.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::common;
use common::{describe, isolate, run_within, text};

/// Address space for one run, in KiB (2 GB): a stack overflow aborts, and an input that
/// makes memory grow faster than its size fails, well before this.
const VMEM_KIB: u64 = 2_000_000;
/// Wall time for one run: each input is a few MiB at most and read in linear time.
const LIMIT: Duration = Duration::from_secs(20);

/// The words that make any input look like a SOPS file to content detection.
const SOPS_WORDS: &str = "\"sops\": {\"mac\": \"ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\"}";

fn run_limited(dir: &Path, program: &Path, args: &[&str]) -> Output {
    run_limited_with(dir, program, args, b"")
}

/// [`run_limited`] with `stdin`.
fn run_limited_with(dir: &Path, program: &Path, args: &[&str], stdin: &[u8]) -> Output {
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg(format!("ulimit -v {VMEM_KIB} && exec \"$0\" \"$@\""))
        .arg(program)
        .args(args);
    isolate(&mut c, dir);
    run_within(c, Some(stdin), LIMIT)
}

/// Writes `input` as `name` beside a generator reading it (`files`, or `envs` for a
/// `.env`), runs `render` and the exec plugin on it, and asserts both refuse it with exit
/// 2, an empty stdout, and a message naming the file and containing `needle`.
fn refused(name: &str, input: &[u8], needle: &str) {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::File::create(d.join(name))
        .unwrap()
        .write_all(input)
        .unwrap();
    let field = if name.ends_with(".env") {
        "envs"
    } else {
        "files"
    };
    std::fs::write(
        d.join("gen.yaml"),
        format!(
            "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: x\n{field}:\n- {name}\n"
        ),
    )
    .unwrap();
    // As kustomize runs an exec plugin: the binary under the kind's name, the config's path.
    let plugin = d.join("SecretGenerator");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_secretgen"), &plugin).unwrap();
    let bin = Path::new(env!("CARGO_BIN_EXE_secretgen"));
    for (how, program, args) in [
        ("render", bin, &["render", "gen.yaml"][..]),
        ("plugin", plugin.as_path(), &["gen.yaml"][..]),
    ] {
        let out = run_limited(d, program, args);
        let what = format!("{name} through {how}");
        assert_eq!(out.status.code(), Some(2), "{what}: {}", describe(&out));
        assert!(out.stdout.is_empty(), "{what}: {}", describe(&out));
        let err = text(&out.stderr);
        assert!(err.contains(name), "{what}: the file is not named: {err}");
        assert!(err.contains(needle), "{what}: `{needle}` not said: {err}");
        assert!(err.len() < 4096, "{what}: {} bytes of message", err.len());
    }
}

const TOO_DEEP: &str = "nested more than 256 levels deep";

#[test]
fn deep_json_arrays_with_the_sops_words() {
    let mut s = format!("{{{SOPS_WORDS}, \"a\": ");
    s.push_str(&"[".repeat(1 << 20));
    refused("deep.json", s.as_bytes(), TOO_DEEP);
}

#[test]
fn deep_json_objects_with_the_sops_words() {
    let mut s = format!("{{{SOPS_WORDS}, \"a\": ");
    s.push_str(&"{\"a\":".repeat(200_000));
    s.push('1');
    s.push_str(&"}".repeat(200_001));
    refused("deep.json", s.as_bytes(), TOO_DEEP);
}

#[test]
fn a_file_of_brackets_with_the_sops_words_anywhere() {
    // Not JSON at the top: content detection must not recurse on it either.
    let mut s = "[".repeat(1 << 20);
    s.push_str(&format!(" {SOPS_WORDS} sops:\n mac: x\n"));
    let out_name = "brackets.txt";
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::write(d.join(out_name), &s).unwrap();
    std::fs::write(
        d.join("gen.yaml"),
        format!(
            "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: x\nfiles:\n- {out_name}\n"
        ),
    )
    .unwrap();
    let out = run_limited(
        d,
        Path::new(env!("CARGO_BIN_EXE_secretgen")),
        &["render", "gen.yaml"],
    );
    // Taken for SOPS YAML by its words, and refused as such.
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(text(&out.stderr).contains(out_name), "{}", describe(&out));
}

#[test]
fn deep_block_yaml_in_a_sops_file() {
    let mut s = String::from("sops:\n    mac: ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\na:\n");
    s.push_str(&"- ".repeat(300_000));
    s.push_str("x\n");
    refused("deep.yaml", s.as_bytes(), TOO_DEEP);
}

#[test]
fn deep_block_mappings_in_a_sops_file() {
    // Each level one column deeper: 2,000 levels in 2 MB.
    let mut s = String::from("sops:\n    mac: ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\n");
    for i in 0..2_000 {
        s.push_str(&" ".repeat(i));
        s.push_str("a:\n");
    }
    s.push_str(&" ".repeat(2_000));
    s.push_str("x\n");
    refused("deep.yaml", s.as_bytes(), TOO_DEEP);
}

#[test]
fn deep_flow_yaml_in_a_sops_file() {
    let mut s = String::from("sops:\n    mac: ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\na: ");
    s.push_str(&"[".repeat(1 << 20));
    refused("deep.yaml", s.as_bytes(), "deep.yaml");
}

#[test]
fn a_long_flattened_metadata_key_in_a_sops_dotenv() {
    let mut s = String::from("A=ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\nsops_age");
    s.push_str(&"__map_a".repeat(100_000));
    s.push_str("=x\nsops_mac=ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\n");
    refused(
        "secrets.env",
        s.as_bytes(),
        "flattened metadata key is nested more than 256",
    );
}

#[test]
fn long_list_chains_in_a_sops_dotenv() {
    let mut s = String::from("A=ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\n");
    for i in 0..200 {
        s.push_str(&format!("sops_k{i}"));
        s.push_str(&"__list_0".repeat(250));
        s.push_str("=x\n");
    }
    s.push_str("sops_mac=ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\n");
    // Within the depth budget: read in linear time, then refused for what is missing.
    refused("secrets.env", s.as_bytes(), "invalid SOPS metadata");
}

#[test]
fn twenty_thousand_metadata_keys_in_a_sops_dotenv() {
    let mut s = String::from("A=ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\n");
    for i in 0..20_000 {
        s.push_str(&format!("sops_k{i}__map_x=v\n"));
    }
    s.push_str("sops_mac=ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\n");
    refused(
        "secrets.env",
        s.as_bytes(),
        "more than 10000 flattened metadata entries",
    );
}

#[test]
fn a_huge_sops_ini_file() {
    let mut s = String::from("[s]\n");
    // As much as a source file may hold (1 MiB).
    for i in 0..9_000 {
        s.push_str(&format!(
            "k{i} = ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\n"
        ));
    }
    // The same keys again: each one found, not searched for.
    for i in 0..9_000 {
        s.push_str(&format!("k{i} = v\n"));
    }
    s.push_str("[sops]\nmac = ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\n");
    refused("secrets.ini", s.as_bytes(), "invalid SOPS metadata");
}

#[test]
fn an_alias_bomb_in_a_sops_yaml_file() {
    let mut s = String::from(
        "a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 9].join(",");
        s.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    s.push_str("sops:\n    mac: ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\n");
    refused("bomb.yaml", s.as_bytes(), "excessive aliasing");
}

#[test]
fn aliases_cannot_nest_past_the_budget() {
    // Each anchor 200 levels deep, each alias inside another 200: depth grows without
    // the text growing.
    let mut s = String::from("sops:\n    mac: ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\n");
    s.push_str(&format!(
        "a0: &a0 {}x{}\n",
        "[".repeat(200),
        "]".repeat(200)
    ));
    for i in 1..4 {
        s.push_str(&format!(
            "a{i}: &a{i} {}*a{}{}\n",
            "[".repeat(200),
            i - 1,
            "]".repeat(200)
        ));
    }
    refused("nest.yaml", s.as_bytes(), TOO_DEEP);
}

#[test]
fn deep_plain_manifests_are_refused_too() {
    // A generator manifest and a kustomization: the goyaml reader's own budget.
    for (file, args) in [
        ("gen.yaml", &["render", "gen.yaml"][..]),
        ("kustomization.yaml", &["render", "."][..]),
    ] {
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        let mut s = String::from(
            "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: x\nliterals: [a=b]\nx:\n",
        );
        if file == "kustomization.yaml" {
            s = String::from("secretGenerator:\n- name: x\n  literals: [a=b]\nx:\n");
        }
        s.push_str(&"- ".repeat(300_000));
        s.push_str("x\n");
        std::fs::write(d.join(file), s).unwrap();
        let out = run_limited(d, Path::new(env!("CARGO_BIN_EXE_secretgen")), args);
        assert_eq!(out.status.code(), Some(2), "{file}: {}", describe(&out));
        assert!(
            text(&out.stderr).contains(TOO_DEEP),
            "{file}: {}",
            describe(&out)
        );
    }
}

#[test]
fn many_tabs_after_colons_are_read_in_one_pass() {
    // goyaml.v2 takes a tab after `key:` as a blank; thousands of them, and one inside a
    // block scalar that must stay a tab, read in linear time.
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let mut s = String::from(
        "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: x\n  annotations:\n    note: |\n      in:\tblock\n",
    );
    for i in 0..5_000 {
        s.push_str(&format!("    k{i}:\tv\n"));
    }
    s.push_str("literals: [a=b]\n");
    std::fs::write(d.join("gen.yaml"), s).unwrap();
    let start = Instant::now();
    let out = run_limited(
        d,
        Path::new(env!("CARGO_BIN_EXE_secretgen")),
        &["render", "gen.yaml"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(start.elapsed() < Duration::from_secs(10));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("k4999: v"), "{stdout}");
    assert!(stdout.contains("in:\\tblock"), "{stdout}");
}

/// JSON 6902 `copy` operations that double a Secret each time, and paths that nest it
/// past the depth budget: refused, in bounded time and memory.
#[test]
fn json_patch_copies_are_held_to_the_budget() {
    for (name, ops, needle) in [
        (
            "doubling",
            (0..48)
                .map(|i| format!("- op: copy\n  from: /data\n  path: /data/x{i}\n"))
                .collect::<String>(),
            "`copy` operations copy more than",
        ),
        (
            "deepening",
            (0..300)
                .map(|i| {
                    let path: String = (0..=i).map(|j| format!("/l{j}")).collect();
                    format!("- op: add\n  path: /metadata/labels{path}\n  value: {{}}\n")
                })
                .collect::<String>(),
            TOO_DEEP,
        ),
    ] {
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        std::fs::write(
            d.join("secret.yaml"),
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  labels:\n    a: b\ndata:\n  a: YQ==\n",
        )
        .unwrap();
        std::fs::write(d.join("ops.yaml"), ops).unwrap();
        std::fs::write(
            d.join("kustomization.yaml"),
            "resources:\n- secret.yaml\npatches:\n- path: ops.yaml\n  target:\n    kind: Secret\n    name: db\n",
        )
        .unwrap();
        let out = run_limited(
            d,
            Path::new(env!("CARGO_BIN_EXE_secretgen")),
            &["render", "."],
        );
        assert_eq!(out.status.code(), Some(2), "{name}: {}", describe(&out));
        assert!(out.stdout.is_empty(), "{name}");
        assert!(
            text(&out.stderr).contains(needle),
            "{name}: {}",
            describe(&out)
        );
    }
}

/// The KRM function's stdin (`secretgen fn`, as kpt and kustomize run it): a deep block
/// document and a deep JSON one are refused by the same budget.
#[test]
fn deep_resource_lists_on_fn_stdin() {
    let head = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nfunctionConfig:\n  apiVersion: secretgen.dev/v1\n  kind: SecretGenerator\n  metadata:\n    name: x\n  literals: [a=b]\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: c\n  data:\n    x:\n";
    let block = format!("{head}{}x\n", "- ".repeat(300_000));
    let flow = format!("{head}      {}\n", "[".repeat(300_000));
    for (name, list) in [("block", block), ("flow", flow)] {
        let t = tempfile::tempdir().unwrap();
        let out = run_limited_with(
            t.path(),
            Path::new(env!("CARGO_BIN_EXE_secretgen")),
            &["fn"],
            list.as_bytes(),
        );
        assert_eq!(out.status.code(), Some(2), "{name}: {}", describe(&out));
        assert!(
            !text(&out.stdout).contains("kind: Secret"),
            "{name}: {}",
            describe(&out)
        );
    }
}
