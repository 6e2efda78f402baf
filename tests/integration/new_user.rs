//! What a new user trips over, tried as a new user would from a clone: the command line
//! `plugin install --ksops` suggests, `ksops --help`, the README's KSOPS init container in a
//! `FROM scratch` image, the plaintext gate's warnings, and the README blocks added for them
//! (the pre-commit config, man pages, one document at a time for check-jsonschema, the
//! ArgoCD image), each run here.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common;
use common::{describe, secretgen, secretgen_in, text, tool};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn readme() -> String {
    std::fs::read_to_string(repo().join("README.md")).unwrap()
}

/// The fenced block of `lang` that follows the first line of the README containing `after`.
fn block_after(after: &str, lang: &str) -> String {
    let readme = readme();
    let from = readme
        .find(after)
        .unwrap_or_else(|| panic!("README: {after}"));
    let fence = format!("```{lang}\n");
    let rest = &readme[from..];
    let start = rest.find(&fence).unwrap() + fence.len();
    let body = &rest[start..];
    let end = body.find("```").unwrap();
    // A block inside a list item is indented as the item is.
    let indent = rest[..start - fence.len()]
        .rsplit('\n')
        .next()
        .map(|l| l.len())
        .unwrap_or(0);
    body[..end]
        .lines()
        .map(|l| format!("{}\n", l.get(indent..).unwrap_or("").trim_end()))
        .collect::<String>()
}

fn write(dir: &Path, rel: &str, content: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, content).unwrap();
}

#[test]
fn plugin_install_ksops_suggests_a_command_its_host_accepts() {
    let t = tempfile::tempdir().unwrap();
    let home = t.path().join("plugin");
    let out = secretgen()
        .args(["plugin", "install", "--ksops", "--plugin-home"])
        .arg(&home)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    let line = text(&out.stdout);
    let words: Vec<&str> = line.split_whitespace().collect();
    // KUSTOMIZE_PLUGIN_HOME=… kustomize build --enable-alpha-plugins --enable-exec DIR
    let at = words.iter().position(|w| !w.contains('=')).unwrap();
    assert_eq!(
        &words[at..],
        [
            "kustomize",
            "build",
            "--enable-alpha-plugins",
            "--enable-exec",
            "DIR"
        ],
        "{line}"
    );
    // kubectl's kustomize refuses the flag, which is why it is not suggested.
    assert!(text(&out.stderr).contains("kubectl kustomize has no --enable-exec"));
    write(
        t.path(),
        "app/kustomization.yaml",
        "secretGenerator:\n- name: s\n  literals: [A=1]\n",
    );
    let mut c = tool("kustomize");
    c.env("KUSTOMIZE_PLUGIN_HOME", &home)
        .args(&words[at + 1..words.len() - 1])
        .arg(t.path().join("app"));
    let out = c.output().unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    assert!(text(&out.stdout).contains("name: s-"));
}

#[test]
fn plugin_install_without_ksops_suggests_kubectl() {
    let t = tempfile::tempdir().unwrap();
    let out = secretgen()
        .args(["plugin", "install", "--plugin-home"])
        .arg(t.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        text(&out.stdout).ends_with("kubectl kustomize --enable-alpha-plugins DIR\n"),
        "{}",
        describe(&out)
    );
}

/// The binary as `ksops` (a copy under that name, as the init container leaves it).
fn as_ksops(dir: &Path) -> PathBuf {
    let ksops = dir.join("ksops");
    std::fs::copy(env!("CARGO_BIN_EXE_secretgen"), &ksops).unwrap();
    ksops
}

#[test]
fn ksops_answers_help_and_version() {
    let t = tempfile::tempdir().unwrap();
    let ksops = as_ksops(t.path());
    for arg in ["--help", "-h", "help"] {
        let out = Command::new(&ksops)
            .arg(arg)
            .current_dir(t.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{arg}: {}", describe(&out));
        assert!(text(&out.stdout).contains("ksops install"), "{arg}");
        assert_eq!(text(&out.stderr), "", "{arg}");
    }
    for arg in ["--version", "-v", "version"] {
        let out = Command::new(&ksops)
            .arg(arg)
            .current_dir(t.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{arg}: {}", describe(&out));
        assert!(
            text(&out.stdout).contains(env!("CARGO_PKG_VERSION")),
            "{arg}: {}",
            describe(&out)
        );
    }
}

/// The README's KSOPS init container, its `command` run as the pod runs it (no shell): the
/// volume then holds `ksops` as a regular file, a copy of the binary, that runs as KSOPS.
#[test]
fn readme_ksops_init_container_needs_no_shell() {
    let block = block_after("### In KSOPS' place", "yaml");
    let docs: serde_yaml_ng::Value = serde_yaml_ng::from_str(&block).unwrap();
    let init = &docs["initContainers"][0];
    assert_eq!(init["name"].as_str(), Some("install-ksops"), "{block}");
    assert!(init.get("args").is_none(), "{block}");
    let command: Vec<String> = init["command"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(command[0], "/usr/local/bin/secretgen", "{block}");
    let t = tempfile::tempdir().unwrap();
    let vol = t.path().join("custom-tools");
    let args: Vec<String> = command[1..]
        .iter()
        .map(|a| a.replace("/custom-tools", vol.to_str().unwrap()))
        .collect();
    let out = secretgen().args(&args).output().unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    let ksops = vol.join("ksops");
    let meta = std::fs::symlink_metadata(&ksops).unwrap();
    assert!(meta.file_type().is_file(), "a regular file for subPath");
    assert_eq!(
        std::fs::read(&ksops).unwrap(),
        std::fs::read(env!("CARGO_BIN_EXE_secretgen")).unwrap()
    );
    let out = Command::new(&ksops).arg("--help").output().unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        vol.join("kustomize-plugin/viaduct.ai/v1/ksops/ksops")
            .exists()
    );
}

/// The plaintext gate renders nothing: it does not warn that patches, components and
/// `behavior: merge` are "not applied" (render applies them).
#[test]
fn require_encrypted_does_not_warn_about_what_render_applies() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    write(
        d,
        "base/kustomization.yaml",
        "resources: [dep.yaml]\nsecretGenerator:\n- name: s\n  files: [a.txt.age]\n",
    );
    // Real age files: the plaintext gate checks an age file's structure.
    let recipient = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";
    for rel in ["base/a.txt.age", "ov/b.txt.age"] {
        std::fs::create_dir_all(d.join(rel).parent().unwrap()).unwrap();
        let out = tool("age")
            .args(["-a", "-r", recipient, "-o"])
            .arg(d.join(rel))
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", describe(&out));
    }
    write(
        d,
        "base/dep.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n",
    );
    write(
        d,
        "comp/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nnamePrefix: c-\n",
    );
    write(
        d,
        "ov/kustomization.yaml",
        "resources: [../base]\ncomponents: [../comp]\npatches:\n- path: p.yaml\nsecretGenerator:\n- name: s\n  behavior: merge\n  files: [b.txt.age]\n",
    );
    write(
        d,
        "ov/p.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n  labels: {a: b}\n",
    );
    let out = secretgen_in(d)
        .args(["check", "--require-encrypted", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let err = text(&out.stderr);
    assert!(!err.contains("not applied"), "{err}");
    assert!(!err.contains("needs the base's Secret"), "{err}");
    assert!(err.contains("no plaintext secrets"), "{err}");
}

/// The README's pre-commit config is a whole `.pre-commit-config.yaml` (pre-commit 4 wants
/// `repos:` at the top), and its hook's entry runs.
#[test]
fn readme_pre_commit_config_is_complete() {
    let block = block_after("As a\n  pre-commit hook:", "yaml");
    let v: serde_yaml_ng::Value = serde_yaml_ng::from_str(&block).unwrap();
    let hook = &v["repos"][0]["hooks"][0];
    assert_eq!(v["repos"][0]["repo"].as_str(), Some("local"), "{block}");
    assert_eq!(hook["language"].as_str(), Some("system"), "{block}");
    let entry = common::shell_words(hook["entry"].as_str().unwrap());
    assert_eq!(entry[0], "secretgen");
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        "g.yaml",
        "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: s\nliterals:\n- A=plain\n",
    );
    let out = secretgen_in(t.path()).args(&entry[1..]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
}

/// The README's man page lines, run with a home of their own: `man` finds the pages with
/// the `MANPATH` line, whatever `PATH` holds.
#[test]
fn readme_man_pages_are_found() {
    let block = block_after("**Shell completions and man pages**", "sh");
    let lines: Vec<&str> = block
        .lines()
        .filter(|l| {
            l.starts_with("secretgen man") || l.contains("MANPATH") || l.starts_with("man ")
        })
        .map(|l| l.split(" #").next().unwrap().trim_end())
        .collect();
    assert_eq!(lines.len(), 3, "{block}");
    let t = tempfile::tempdir().unwrap();
    let home = t.path();
    let script = format!(
        "set -e\nPATH=/usr/bin:/bin\nsecretgen() {{ \"$SECRETGEN\" \"$@\"; }}\n{}\n{}\n{}\n",
        lines[0],
        lines[1],
        lines[2].replace("man ", "man -w ")
    );
    let out = Command::new("sh")
        .arg("-c")
        .arg(&script)
        .env("HOME", home)
        .env_remove("MANPATH")
        .env("SECRETGEN", env!("CARGO_BIN_EXE_secretgen"))
        .output()
        .unwrap();
    assert!(
        home.join(".local/share/man/man1/secretgen-render.1")
            .exists(),
        "{}",
        describe(&out)
    );
    if which("man") {
        assert!(out.status.success(), "{}", describe(&out));
        assert!(
            text(&out.stdout).contains(".local/share/man/man1/secretgen-render.1"),
            "{}",
            describe(&out)
        );
    }
}

fn which(cmd: &str) -> bool {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(cmd).is_file()))
        .unwrap_or(false)
}

/// The README's recipe for check-jsonschema and a multi-document file: its split, run on a
/// file of several generators, gives one JSON document per generator, each valid against the
/// schema (validated here as tests/integration/schema.rs does; check-jsonschema reads the same files).
#[test]
fn readme_schema_recipe_splits_a_multi_document_file() {
    let block = block_after("`check-jsonschema` reads one document per file", "sh");
    let split: String = block
        .lines()
        .take_while(|l| !l.starts_with("check-jsonschema"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(block.contains("check-jsonschema --schemafile schema/secretgenerator.json"));
    let ok = Command::new("python3")
        .args(["-c", "import yaml"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("no python3 with PyYAML here: the recipe is not run");
        return;
    }
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        "secretgen.yaml",
        "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: a\nliterals:\n- A=1\n---\napiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: b\nfiles:\n- b.txt.age\n",
    );
    let out = Command::new("sh")
        .arg("-c")
        .arg(&split)
        .current_dir(t.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("schema/secretgenerator.json")).unwrap(),
    )
    .unwrap();
    let v = jsonschema::draft7::new(&schema).unwrap();
    for i in 0..2 {
        let doc: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(t.path().join(format!("secretgen.yaml.{i}.json"))).unwrap(),
        )
        .unwrap();
        assert!(v.is_valid(&doc), "document {i}: {doc}");
    }
    assert!(!t.path().join("secretgen.yaml.2.json").exists());
}

/// The README's image commands: the `kustomize edit set image` line, run on a copy of
/// `deploy/argocd`, puts the pushed image in the init container (docker needs an engine,
/// which `dist/image-root.sh` stands in for: tests/integration/dist.rs).
#[test]
fn readme_argocd_image_is_set_by_its_command() {
    let block = block_after("**The image.**", "sh");
    let line = block
        .lines()
        .find(|l| l.contains("kustomize edit set image"))
        .unwrap();
    let words = common::shell_words(
        line.trim_start_matches('(')
            .trim_end_matches(')')
            .split("&& ")
            .nth(1)
            .unwrap(),
    );
    let image = words.last().unwrap().split('=').nth(1).unwrap().to_string();
    assert!(block.contains(&format!("docker push {image}")), "{block}");
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("argocd");
    common::copy_tree(&repo().join("deploy/argocd"), &dir).unwrap();
    let k = std::fs::read_to_string(dir.join("kustomization.yaml")).unwrap();
    let remote = k
        .lines()
        .find(|l| l.contains("https://"))
        .unwrap()
        .to_string();
    std::fs::write(
        dir.join("kustomization.yaml"),
        k.replace(&remote, "  - upstream.yaml"),
    )
    .unwrap();
    std::fs::copy(
        repo().join("tests/argocd/upstream.yaml"),
        dir.join("upstream.yaml"),
    )
    .unwrap();
    let mut c = tool(&words[0]);
    c.args(&words[1..]).current_dir(&dir);
    let out = c.output().unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    let out = Command::new("kubectl")
        .args(["kustomize"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    let built = text(&out.stdout);
    assert!(built.contains(&format!("image: {image}")), "{built}");
    assert!(
        !built.contains("ghcr.io/secretgen-dev/secretgen"),
        "{built}"
    );
}

/// Under kpt, an error in the generator points at the line of the package's file, not at a
/// line of kpt's rewrite of it (which adds annotations: `:11:1` in a 7-line file).
#[test]
fn kpt_error_positions_are_of_the_users_file() {
    if !which("kpt") {
        eprintln!("no kpt here");
        return;
    }
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        "secretgen.yaml",
        "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: db\nliterals:\n- user=admin\nfilez: [x]\n",
    );
    write(
        t.path(),
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
    );
    let bin = Path::new(env!("CARGO_BIN_EXE_secretgen")).parent().unwrap();
    let mut path = std::ffi::OsString::from(bin);
    path.push(":");
    path.push(std::env::var_os("PATH").unwrap_or_default());
    let out = Command::new("kpt")
        .args([
            "fn",
            "eval",
            ".",
            "--exec",
            "secretgen",
            "--fn-config",
            "secretgen.yaml",
        ])
        .current_dir(t.path())
        .env("PATH", path)
        .env("HOME", t.path().join("home"))
        .output()
        .unwrap();
    assert!(!out.status.success(), "{}", describe(&out));
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(
        all.contains("secretgen.yaml:7:1: unknown field `filez`"),
        "{}",
        describe(&out)
    );
}
