//! `render --seal CERT`: each rendered Secret written as a Bitnami SealedSecret that the real
//! controller's code unseals. The oracle is the pinned kubeseal v0.27.1 (`tests/setup.sh`):
//! `kubeseal --recovery-unseal --recovery-private-key` opens what secretgen sealed into the
//! Secret the plain render prints, under each scope; `kubeseal --cert` sealing the plain
//! render gives the same document but for the randomised values. With -o, an unchanged
//! Secret leaves its file unchanged, and `--check` reports only real changes.

use std::path::Path;
use std::process::Output;

use crate::common;
use common::{describe, secretgen_in, text, tool, with_stdin};

const CANARY: &str = "canary-sealed-7d41";

/// A tree with a hashed generator (labels, annotations) and a plain Secret resource.
fn tree(dir: &Path, extra: &str) {
    std::fs::create_dir_all(dir.join("app")).unwrap();
    std::fs::write(
        dir.join("app/kustomization.yaml"),
        format!(
            "namespace: prod\nresources:\n- tls.yaml\nsecretGenerator:\n- name: db\n  literals:\n  - password={CANARY}\n  - user=admin\n{extra}  options:\n    labels: {{app: db}}\n    annotations: {{note: x}}\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("app/tls.yaml"),
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: plain\nimmutable: true\ntype: example.com/thing\ndata:\n  k: dg==\n",
    )
    .unwrap();
}

/// A controller key pair: `key.pem` and its self-signed `cert.pem`, as the controller makes.
fn keypair(dir: &Path) {
    let out = std::process::Command::new("openssl")
        .args([
            "req", "-x509", "-nodes", "-newkey", "rsa:2048", "-days", "30",
        ])
        .args(["-subj", "/CN=sealed-secret/O=sealed-secret"])
        .arg("-keyout")
        .arg(dir.join("key.pem"))
        .arg("-out")
        .arg(dir.join("cert.pem"))
        .output()
        .expect("openssl (Debian's openssl package) makes the test key pair");
    assert!(out.status.success(), "openssl: {}", describe(&out));
}

fn render(dir: &Path, args: &[&str]) -> Output {
    secretgen_in(dir).arg("render").args(args).output().unwrap()
}

/// The documents of a YAML stream, `---` lines dropped.
fn documents(s: &str) -> Vec<String> {
    let mut docs = vec![String::new()];
    for line in s.lines() {
        if line == "---" {
            if !docs.last().unwrap().is_empty() {
                docs.push(String::new());
            }
            continue;
        }
        let d = docs.last_mut().unwrap();
        d.push_str(line);
        d.push('\n');
    }
    docs.retain(|d| !d.is_empty());
    docs
}

/// kubeseal's unsealed Secret as the plain render prints it: without what only the cluster
/// object has (`creationTimestamp`, the owner reference) and the scope's annotation.
fn as_rendered(unsealed: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in unsealed.lines() {
        if skipping
            && line.starts_with("  ")
            && !line.starts_with("  name:")
            && !line.starts_with("  namespace:")
        {
            continue;
        }
        skipping = false;
        if line == "  ownerReferences:" {
            skipping = true;
            continue;
        }
        if line == "---"
            || line.trim() == "creationTimestamp: null"
            || line.contains("sealedsecrets.bitnami.com/")
        {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    // An `annotations:` left empty by the scope's removal goes too.
    out.replace("  annotations:\n  labels:", "  labels:")
        .replace("  annotations:\n  name:", "  name:")
}

fn unseal(dir: &Path, sealed: &str) -> String {
    let mut c = tool("kubeseal");
    c.args(["--recovery-unseal", "--recovery-private-key"])
        .arg(dir.join("key.pem"))
        .args(["-o", "yaml"]);
    let out = with_stdin(c, sealed.as_bytes());
    assert!(
        out.status.success(),
        "kubeseal --recovery-unseal (is it installed? tests/setup.sh): {}",
        describe(&out)
    );
    text(&out.stdout)
}

#[test]
fn the_controller_unseals_what_is_sealed_under_every_scope() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    tree(d, "");
    keypair(d);
    let plain = render(d, &["app"]);
    assert!(plain.status.success(), "{}", describe(&plain));
    let plain_docs = documents(&text(&plain.stdout));
    assert_eq!(plain_docs.len(), 2);
    for scope in [
        None,
        Some("strict"),
        Some("namespace-wide"),
        Some("cluster-wide"),
    ] {
        let mut args = vec!["app", "--seal", "cert.pem"];
        if let Some(s) = scope {
            args.extend(["--seal-scope", s]);
        }
        let out = render(d, &args);
        assert!(out.status.success(), "{scope:?}: {}", describe(&out));
        let sealed = text(&out.stdout);
        for form in common::canary_forms(CANARY) {
            assert!(
                !sealed.contains(&form),
                "{scope:?}: a form of the value is in the output"
            );
        }
        let sealed_docs = documents(&sealed);
        assert_eq!(sealed_docs.len(), 2, "{scope:?}");
        for (s, p) in sealed_docs.iter().zip(&plain_docs) {
            assert!(s.starts_with("apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\n"));
            let unsealed = unseal(d, s);
            assert_eq!(
                &as_rendered(&unsealed),
                p,
                "{scope:?}: unsealed:\n{unsealed}"
            );
        }
    }
}

#[test]
fn a_sealed_document_is_the_one_kubeseal_makes_but_for_its_values() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    tree(d, "");
    keypair(d);
    let plain = render(d, &["app"]);
    for scope in ["strict", "namespace-wide", "cluster-wide"] {
        let mut c = tool("kubeseal");
        c.arg("--cert")
            .arg(d.join("cert.pem"))
            .args(["-o", "yaml", "--scope", scope]);
        let theirs = with_stdin(c, &plain.stdout);
        assert!(
            theirs.status.success(),
            "kubeseal --cert: {}",
            describe(&theirs)
        );
        let ours = render(d, &["app", "--seal", "cert.pem", "--seal-scope", scope]);
        assert!(ours.status.success(), "{}", describe(&ours));
        let blank = |s: &str| -> Vec<String> {
            documents(s)
                .iter()
                .map(|doc| {
                    doc.lines()
                        .map(|l| match l.strip_prefix("    ") {
                            Some(rest) if !rest.starts_with(' ') && l.contains(": A") => {
                                format!("    {}: <sealed>\n", rest.split(':').next().unwrap())
                            }
                            _ => format!("{l}\n"),
                        })
                        .collect()
                })
                .collect()
        };
        assert_eq!(
            blank(&text(&ours.stdout)),
            blank(&text(&theirs.stdout)),
            "{scope}"
        );
    }
}

#[test]
fn an_unchanged_secret_leaves_its_sealed_file_unchanged() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    tree(d, "");
    keypair(d);
    let args = ["app", "-o", "out", "--seal", "cert.pem"];
    let first = render(d, &args);
    assert!(first.status.success(), "{}", describe(&first));
    assert!(
        text(&first.stderr).contains("2 written, 0 unchanged"),
        "{}",
        describe(&first)
    );
    let file = d.join("out/prod/plain.yaml");
    let before = std::fs::read(&file).unwrap();
    let again = render(d, &args);
    assert!(
        text(&again.stderr).contains("0 written, 2 unchanged"),
        "{}",
        describe(&again)
    );
    assert_eq!(
        std::fs::read(&file).unwrap(),
        before,
        "an unchanged Secret's file is rewritten"
    );
    let check = render(d, &["app", "-o", "out", "--seal", "cert.pem", "--check"]);
    assert_eq!(check.status.code(), Some(0), "{}", describe(&check));
    // A changed value: its Secret's file (a new hashed name) changes, the other does not.
    tree(d, "  - extra=1\n");
    let check = render(d, &["app", "-o", "out", "--seal", "cert.pem", "--check"]);
    assert_eq!(check.status.code(), Some(1), "{}", describe(&check));
    let report = text(&check.stdout);
    assert!(
        report.contains("missing:") && report.contains("stale:"),
        "{report}"
    );
    assert!(!report.contains("plain.yaml"), "{report}");
    let third = render(d, &["app", "-o", "out", "--seal", "cert.pem", "--prune"]);
    assert!(third.status.success(), "{}", describe(&third));
    assert!(
        text(&third.stderr).contains("1 written, 1 unchanged, 1 pruned"),
        "{}",
        describe(&third)
    );
    assert_eq!(std::fs::read(&file).unwrap(), before);
}

#[test]
fn a_secret_without_a_namespace_is_sealed_only_cluster_wide() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::create_dir_all(d.join("app")).unwrap();
    std::fs::write(
        d.join("app/kustomization.yaml"),
        "secretGenerator:\n- name: db\n  literals: [a=b]\n",
    )
    .unwrap();
    keypair(d);
    let out = render(d, &["app", "--seal", "cert.pem"]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let err = text(&out.stderr);
    assert!(
        err.contains("has no namespace") && err.contains("--seal-scope cluster-wide"),
        "{err}"
    );
    assert!(text(&out.stdout).is_empty());
    let ok = render(
        d,
        &["app", "--seal", "cert.pem", "--seal-scope", "cluster-wide"],
    );
    assert!(ok.status.success(), "{}", describe(&ok));
    let unsealed = unseal(d, &text(&ok.stdout));
    assert!(unsealed.contains("  a: Yg==\n"), "{unsealed}");
}

#[test]
fn a_certificate_that_is_not_one_is_refused_naming_the_file() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    tree(d, "");
    std::fs::write(d.join("cert.pem"), "not a certificate\n").unwrap();
    let out = render(d, &["app", "--seal", "cert.pem"]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(
        text(&out.stderr).contains("cert.pem: not a Sealed Secrets certificate"),
        "{}",
        describe(&out)
    );
}

/// The README's Sealed Secrets block, run as written (the certificate made here).
#[test]
fn the_readme_block_runs_as_written() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let from = readme
        .find("## Sealed Secrets: plaintext never leaves CI")
        .unwrap();
    let rest = &readme[from..];
    let start = rest.find("```sh\n").unwrap() + 6;
    let block = &rest[start..start + rest[start..].find("```").unwrap()];
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    tree(d, "");
    std::fs::rename(d.join("app"), d.join("deploy")).unwrap();
    keypair(d);
    std::fs::rename(d.join("cert.pem"), d.join("sealed-secrets.pem")).unwrap();
    let mut ran = 0;
    for line in block.lines() {
        let command = line.split("   #").next().unwrap().trim();
        let words = common::shell_words(command);
        assert_eq!(words[0], "secretgen", "{line}");
        let out = secretgen_in(d).args(&words[1..]).output().unwrap();
        assert!(out.status.success(), "{line}: {}", describe(&out));
        ran += 1;
    }
    assert_eq!(ran, 3);
    assert!(d.join("sealed/prod/plain.yaml").is_file());
}

/// `check` on a tree of SealedSecrets (what `render --seal -o` writes) and the workloads that
/// use them, with no key: the names and key names are in clear.
#[test]
fn check_reads_sealed_secrets_without_a_key() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    tree(d, "");
    keypair(d);
    let out = render(d, &["app", "-o", "manifests", "--seal", "cert.pem"]);
    assert!(out.status.success(), "{}", describe(&out));
    let db = std::fs::read_dir(d.join("manifests/prod"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| {
            e.file_name()
                .to_string_lossy()
                .trim_end_matches(".yaml")
                .to_string()
        })
        .find(|n| n.starts_with("db-"))
        .unwrap();
    check_follows_references(d, &db, "");
}

/// `check` of `d/manifests` after a Deployment is added that reads key `password` of the
/// Secret `db` (exit 0), then key `nope` of it (exit 1, naming the key); `more_env` is more
/// of the container's `env` entries, as written.
pub(crate) fn check_follows_references(d: &Path, db: &str, more_env: &str) {
    let deploy = |key: &str| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  namespace: prod\nspec:\n  template:\n    spec:\n      containers:\n      - name: api\n        image: api:1\n        env:\n        - name: P\n          valueFrom:\n            secretKeyRef:\n              name: {db}\n              key: {key}\n{more_env}"
        )
    };
    std::fs::write(d.join("manifests/deploy.yaml"), deploy("password")).unwrap();
    let ok = secretgen_in(d)
        .args(["check", "manifests"])
        .output()
        .unwrap();
    assert_eq!(ok.status.code(), Some(0), "{}", describe(&ok));
    std::fs::write(d.join("manifests/deploy.yaml"), deploy("nope")).unwrap();
    let bad = secretgen_in(d)
        .args(["check", "manifests"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1), "{}", describe(&bad));
    assert!(text(&bad.stdout).contains("`nope`"), "{}", describe(&bad));
}

/// The README's Argo CD recipe ("Argo CD: sealed, no plugin") run end to end as written: its
/// CI commands render sealed files where its Application looks (`path: sealed`, recursing);
/// what the controller unseals from them (kubeseal's recovery, with the controller's key)
/// is exactly the plain render's Secrets; a second run touches no file and `--check`
/// finds nothing stale.
#[test]
fn the_readme_argocd_sealed_recipe_runs_end_to_end() {
    const SECTION: &str = "## Argo CD: sealed, no plugin";
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let rest = &readme[readme.find(SECTION).expect("README: the Argo CD section")..];
    let rest = &rest[..rest[SECTION.len()..].find("\n## ").unwrap() + SECTION.len()];
    let block = |fence: &str| {
        let start = rest
            .find(fence)
            .unwrap_or_else(|| panic!("README: {fence}"))
            + fence.len();
        rest[start..start + rest[start..].find("```").unwrap()].to_string()
    };
    let application = block("```yaml\n");
    assert!(
        application.contains("    path: sealed\n") && application.contains("      recurse: true\n"),
        "{application}"
    );
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    tree(d, "");
    std::fs::rename(d.join("app"), d.join("deploy")).unwrap();
    keypair(d);
    std::fs::rename(d.join("cert.pem"), d.join("sealed-secrets.pem")).unwrap();
    let commands: Vec<Vec<String>> = block("```sh\n")
        .lines()
        .map(|l| common::shell_words(l.split("   #").next().unwrap().trim()))
        .filter(|w| !w.is_empty())
        .collect();
    assert_eq!(commands.len(), 2, "{commands:?}");
    let run = |words: &[String]| {
        assert_eq!(words[0], "secretgen", "{words:?}");
        secretgen_in(d).args(&words[1..]).output().unwrap()
    };
    let first = run(&commands[0]);
    assert!(first.status.success(), "{}", describe(&first));
    let sealed_dir = d.join("sealed");
    let written = crate::sops_render::files(&sealed_dir);
    assert_eq!(written.len(), 2, "{written:?}");
    for form in common::canary_forms(CANARY) {
        assert!(
            !text(&first.stdout).contains(&form) && !text(&first.stderr).contains(&form),
            "a form of the value was printed"
        );
    }
    // What the controller makes of the committed files: the plain render's Secrets.
    let mut unsealed: Vec<String> = written
        .iter()
        .map(|rel| {
            let sealed = std::fs::read_to_string(sealed_dir.join(rel)).unwrap();
            for form in common::canary_forms(CANARY) {
                assert!(!sealed.contains(&form), "{rel:?} holds a form of the value");
            }
            as_rendered(&unseal(d, &sealed))
        })
        .collect();
    let plain = render(d, &["deploy/"]);
    assert!(plain.status.success(), "{}", describe(&plain));
    let mut plain_docs = documents(&text(&plain.stdout));
    unsealed.sort();
    plain_docs.sort();
    assert_eq!(unsealed, plain_docs);
    // A second run: no file written (same bytes, same inode, same modification time).
    let stamp = |rel: &std::path::PathBuf| {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(sealed_dir.join(rel)).unwrap();
        (
            m.ino(),
            m.mtime(),
            m.mtime_nsec(),
            std::fs::read(sealed_dir.join(rel)).unwrap(),
        )
    };
    let before: Vec<_> = written.iter().map(stamp).collect();
    let again = run(&commands[0]);
    assert!(again.status.success(), "{}", describe(&again));
    assert!(
        text(&again.stderr).contains("0 written, 2 unchanged"),
        "{}",
        describe(&again)
    );
    assert_eq!(crate::sops_render::files(&sealed_dir), written);
    let after: Vec<_> = written.iter().map(stamp).collect();
    assert!(before == after, "a second run touched a sealed file");
    let check = run(&commands[1]);
    assert_eq!(check.status.code(), Some(0), "{}", describe(&check));
}

/// Bytes and modification time of `file`.
fn stamp(file: &Path) -> (Vec<u8>, std::time::SystemTime) {
    (
        std::fs::read(file).unwrap(),
        std::fs::metadata(file).unwrap().modified().unwrap(),
    )
}

/// The SOPS file a sealed file's `# sealed-content-key:` block holds, uncommented.
fn key_block(sealed: &str) -> String {
    let mut lines = sealed
        .lines()
        .skip_while(|l| !l.starts_with("# sealed-content-key:"));
    assert!(lines.next().is_some(), "no key block:\n{sealed}");
    lines
        .map_while(|l| l.strip_prefix("#   "))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// A Secret without a hash suffix (here the `plain` resource) has no name that identifies its
/// values, so its sealed file's content line is keyed: an HMAC under a key that the file
/// holds SOPS-encrypted to the `--age` recipients, which the real sops opens. Whoever holds
/// one of those keys (the CI job that renders) tells changes apart; without one, `-o` and
/// `--check` refuse, naming the file; the line publishes nothing of the values (it is not
/// the unkeyed digest, and no form of a value is in the file). The controller unseals the
/// file as before.
#[test]
fn an_unhashed_secret_s_sealed_line_is_keyed_for_its_recipients() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    tree(d, "");
    keypair(d);
    let r = crate::sops_render::keygen(d, "key.txt");
    let args = [
        "app",
        "-o",
        "out",
        "--seal",
        "cert.pem",
        "--age",
        r.as_str(),
    ];
    let keyed = |extra: &[&str]| crate::sops_render::render_with_key(d, &args, extra);
    let first = render(d, &args);
    assert!(first.status.success(), "{}", describe(&first));
    assert!(
        !text(&first.stderr).contains("note:"),
        "{}",
        describe(&first)
    );
    let file = d.join("out/prod/plain.yaml");
    let body = std::fs::read_to_string(&file).unwrap();
    let line = body.lines().nth(1).unwrap();
    assert!(line.starts_with("# sealed-content: hmac-sha256:"), "{body}");
    // The unkeyed line the same Secret gets when no key is named is not published.
    let unkeyed = render(d, &["app", "-o", "bare", "--seal", "cert.pem"]);
    assert!(
        text(&unkeyed.stderr)
            .contains("note: bare/prod/plain.yaml: this Secret has no hash suffix"),
        "{}",
        describe(&unkeyed)
    );
    let bare = std::fs::read_to_string(d.join("bare/prod/plain.yaml")).unwrap();
    let bare_digest = bare.lines().nth(1).unwrap()["# sealed-content: ".len()..].to_string();
    assert!(!body.contains(&bare_digest), "{body}");
    // The resource's value `dg==` as a word of its own (a random base64 string may end in it).
    let b64 = |c: char| c.is_ascii_alphanumeric() || "+/=".contains(c);
    assert!(!body.split(|c| !b64(c)).any(|w| w == "dg=="), "{body}");
    for form in common::canary_forms(CANARY) {
        assert!(!body.contains(&form), "{body}");
    }
    // The key block is a SOPS file the real sops opens with the recipient's key.
    let block = key_block(&body);
    let mut c = tool("sops");
    c.current_dir(d)
        .env("SOPS_AGE_KEY_FILE", d.join("key.txt"))
        .env_remove("SOPS_AGE_KEY")
        .args([
            "decrypt",
            "--input-type",
            "yaml",
            "--output-type",
            "yaml",
            "/dev/stdin",
        ]);
    let opened = common::with_stdin(c, block.as_bytes());
    assert!(
        opened.status.success(),
        "sops decrypt: {}",
        describe(&opened)
    );
    assert!(
        text(&opened.stdout).starts_with("purpose:"),
        "{}",
        describe(&opened)
    );
    // The controller unseals it to the plain render's Secret.
    let plain = secretgen_in(d).args(["render", "app"]).output().unwrap();
    let plain_docs = documents(&text(&plain.stdout));
    let unsealed = as_rendered(&unseal(d, &body));
    assert!(plain_docs.contains(&unsealed), "{unsealed}\n{plain_docs:?}");

    let before = stamp(&file);
    std::thread::sleep(std::time::Duration::from_millis(20));
    // Without a key: a clear refusal naming the file, nothing touched.
    let keyless = render(d, &args);
    assert_eq!(keyless.status.code(), Some(2), "{}", describe(&keyless));
    let err = text(&keyless.stderr);
    assert!(
        err.contains("out/prod/plain.yaml")
            && err.contains("no hash suffix")
            && err.contains("--identity"),
        "{err}"
    );
    assert_eq!(stamp(&file), before);
    // With the key: nothing rewritten, --check clean.
    let again = keyed(&[]);
    assert!(
        text(&again.stderr).contains("0 written, 2 unchanged"),
        "{}",
        describe(&again)
    );
    assert_eq!(
        stamp(&file),
        before,
        "an unchanged Secret's file was touched"
    );
    let check = keyed(&["--check"]);
    assert_eq!(check.status.code(), Some(0), "{}", describe(&check));
    // A changed value of the unhashed Secret: --check names its file and only it.
    crate::sops_render::change_resource_value(&d.join("app/tls.yaml"));
    let check = keyed(&["--check"]);
    crate::sops_render::assert_only_out_of_date(&check, "prod/plain.yaml", &["db-"]);
    let rewrite = keyed(&[]);
    assert!(
        text(&rewrite.stderr).contains("1 written, 1 unchanged"),
        "{}",
        describe(&rewrite)
    );
    assert_ne!(std::fs::read(&file).unwrap(), before.0);
    // A new recipient set keys the file afresh.
    let other = crate::sops_render::keygen(d, "other.txt");
    let both = format!("{r},{other}");
    let rekeyed = crate::sops_render::render_with_key(
        d,
        &["app", "-o", "out", "--seal", "cert.pem", "--age", &both],
        &[],
    );
    assert!(
        text(&rekeyed.stderr).contains("1 written, 1 unchanged"),
        "{}",
        describe(&rekeyed)
    );
    assert!(std::fs::read_to_string(&file).unwrap().contains(&other));
}

/// Without --age, the key of an unhashed Secret's content line goes to the keys of the
/// `.sops.yaml` rule that matches the output path, as `render --encrypt sops` finds them.
#[test]
fn the_content_key_follows_the_sops_yaml_rule_of_the_output_path() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    tree(d, "");
    keypair(d);
    let r = crate::sops_render::keygen(d, "key.txt");
    std::fs::write(
        d.join(".sops.yaml"),
        format!("creation_rules:\n- path_regex: ^sealed/\n  age: {r}\n"),
    )
    .unwrap();
    let args = ["app", "-o", "sealed", "--seal", "cert.pem"];
    let run = |extra: &[&str]| crate::sops_render::render_with_key(d, &args, extra);
    let first = run(&[]);
    assert!(first.status.success(), "{}", describe(&first));
    assert!(
        !text(&first.stderr).contains("note:"),
        "{}",
        describe(&first)
    );
    let body = std::fs::read_to_string(d.join("sealed/prod/plain.yaml")).unwrap();
    assert!(
        body.lines()
            .nth(1)
            .unwrap()
            .starts_with("# sealed-content: hmac-sha256:")
    );
    assert!(key_block(&body).contains(&r), "{body}");
    // The hashed Secret's line stays unkeyed: its name already identifies its values.
    let db = std::fs::read_dir(d.join("sealed/prod"))
        .unwrap()
        .filter_map(|e| e.ok())
        .find(|e| e.file_name().to_string_lossy().starts_with("db-"))
        .unwrap();
    let db_body = std::fs::read_to_string(db.path()).unwrap();
    assert!(!db_body.contains("hmac-sha256") && !db_body.contains("sealed-content-key"));
    let check = run(&["--check"]);
    assert_eq!(check.status.code(), Some(0), "{}", describe(&check));
}
