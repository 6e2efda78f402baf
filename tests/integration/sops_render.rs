//! `render --encrypt sops`: each rendered Secret written as a SOPS-encrypted Secret manifest
//! that the real sops 3.13.3 (the library Flux's kustomize-controller decrypts with) opens
//! into the plain render's object. Oracles: `sops decrypt` of every output, then both the
//! real kustomize and secretgen building those decrypted files print what they print for the
//! source tree; with -o an unchanged Secret leaves its file untouched (bytes and mtime), and
//! `--check` reports only real changes; `check` reads the encrypted tree without a key.

use std::path::Path;
use std::process::Output;

use crate::common;
use common::{describe, secretgen_in, text, tool};

const CANARY: &str = "canary-sopsrender-5e02";
const FIXED_CANARY: &str = "canary-sopsfixed-91ab";

/// A tree with a hashed generator (labels, annotations), an unhashed one
/// (disableNameSuffixHash) and a plain Secret resource.
fn tree(dir: &Path, extra: &str, fixed: &str) {
    std::fs::create_dir_all(dir.join("app")).unwrap();
    std::fs::write(
        dir.join("app/kustomization.yaml"),
        format!(
            "namespace: prod\nresources:\n- other.yaml\nsecretGenerator:\n- name: db\n  literals:\n  - password={CANARY}\n  - user=admin\n{extra}  options:\n    labels: {{app: db}}\n    annotations: {{note: x}}\n- name: fixed\n  literals:\n  - token={fixed}\n  options:\n    disableNameSuffixHash: true\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("app/other.yaml"),
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: plain\nimmutable: true\ntype: example.com/thing\ndata:\n  k: dg==\n",
    )
    .unwrap();
}

/// No form of the tree's values on `out`'s stdout or stderr.
fn no_canary(out: &Output) {
    for canary in [CANARY, FIXED_CANARY] {
        for form in common::canary_forms(canary) {
            assert!(
                !text(&out.stdout).contains(&form),
                "a value shows on stdout"
            );
            assert!(
                !text(&out.stderr).contains(&form),
                "a value shows on stderr"
            );
        }
    }
}

/// The three SOPS documents `render --encrypt sops` printed on stdout (it succeeded, and
/// showed no value), each naming `key` and ending in a newline.
fn stdout_documents(out: &Output, key: &str) -> Vec<String> {
    assert!(out.status.success(), "{}", describe(out));
    no_canary(out);
    let stream = text(&out.stdout);
    let docs: Vec<String> = stream
        .split("\n---\n")
        .map(|doc| format!("{}\n", doc.trim_end_matches('\n')))
        .collect();
    assert_eq!(docs.len(), 3, "{stream}");
    for doc in &docs {
        assert!(doc.contains(key), "{doc}");
    }
    docs
}

/// `secretgen render ARGS EXTRA` in `dir` with the age key file `dir/key.txt`.
pub(crate) fn render_with_key(dir: &Path, args: &[&str], extra: &[&str]) -> Output {
    secretgen_in(dir)
        .env("SOPS_AGE_KEY_FILE", dir.join("key.txt"))
        .arg("render")
        .args(args)
        .args(extra)
        .output()
        .unwrap()
}

/// The Secret resource `file` with its value changed (`k: dg==` to `k: dw==`).
pub(crate) fn change_resource_value(file: &Path) {
    let text = std::fs::read_to_string(file).unwrap();
    assert!(text.contains("k: dg=="), "{text}");
    std::fs::write(file, text.replace("k: dg==", "k: dw==")).unwrap();
}

/// `--check`'s report: exit 1, `out of date:` naming `file`, and none of `others`.
pub(crate) fn assert_only_out_of_date(check: &Output, file: &str, others: &[&str]) {
    assert_eq!(check.status.code(), Some(1), "{}", describe(check));
    let report = text(&check.stdout);
    assert!(
        report.contains("out of date:") && report.contains(file),
        "{report}"
    );
    for other in others {
        assert!(!report.contains(other), "{report}");
    }
}

/// A fresh age key pair: the identity file `name` in `dir`, and its recipient.
pub(crate) fn keygen(dir: &Path, name: &str) -> String {
    let out = tool("age-keygen")
        .arg("-o")
        .arg(dir.join(name))
        .output()
        .unwrap();
    assert!(out.status.success(), "age-keygen: {}", describe(&out));
    let out = tool("age-keygen")
        .arg("-y")
        .arg(dir.join(name))
        .output()
        .unwrap();
    text(&out.stdout).trim().to_string()
}

/// `secretgen render ARGS` in `dir`; its GNUPGHOME is `dir/gnupg` (where a PGP test makes
/// its key).
fn render(dir: &Path, args: &[&str]) -> Output {
    secretgen_in(dir)
        .env("GNUPGHOME", dir.join("gnupg"))
        .arg("render")
        .args(args)
        .output()
        .unwrap()
}

/// What sops decrypts `file` (or `stdin`) to with the age key file `key` of `dir` and the
/// GNUPGHOME `dir/gnupg`.
fn sops_decrypt(dir: &Path, key: &str, file: &Path, stdin: Option<&[u8]>) -> String {
    let mut c = tool("sops");
    c.current_dir(dir)
        .env("SOPS_AGE_KEY_FILE", dir.join(key))
        .env("GNUPGHOME", dir.join("gnupg"))
        .env_remove("SOPS_AGE_KEY")
        .arg("decrypt");
    let out = match stdin {
        Some(bytes) => {
            c.args(["--input-type", "yaml", "--output-type", "yaml"])
                .arg("/dev/stdin");
            common::with_stdin(c, bytes)
        }
        None => c.arg(file).output().unwrap(),
    };
    assert!(
        out.status.success(),
        "sops decrypt {}: {}",
        file.display(),
        describe(&out)
    );
    text(&out.stdout)
}

/// Every `.yaml` file under `dir`, sorted, relative.
pub(crate) fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out: Vec<_> = walk(dir)
        .into_iter()
        .map(|p| p.strip_prefix(dir).unwrap().to_path_buf())
        .collect();
    out.sort();
    out
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else if p.extension().is_some_and(|x| x == "yaml") {
            out.push(p);
        }
    }
    out
}

/// The decrypted documents as a kustomization of their own: what kustomize and secretgen
/// build from it must be what they build from the source tree.
fn same_objects_as_the_plain_render(d: &Path, decrypted: &[String]) {
    let chk = d.join("decrypted");
    let _ = std::fs::remove_dir_all(&chk);
    std::fs::create_dir_all(&chk).unwrap();
    let mut k = String::from("resources:\n");
    for (i, doc) in decrypted.iter().enumerate() {
        std::fs::write(chk.join(format!("{i}.yaml")), doc).unwrap();
        k.push_str(&format!("- {i}.yaml\n"));
    }
    std::fs::write(chk.join("kustomization.yaml"), k).unwrap();
    let plain = render(d, &["app"]);
    assert!(plain.status.success(), "{}", describe(&plain));
    let ours = render(d, &["decrypted"]);
    assert!(ours.status.success(), "{}", describe(&ours));
    assert_eq!(
        text(&ours.stdout),
        text(&plain.stdout),
        "secretgen render of the decrypted files"
    );
    let kbuild = |p: &str| {
        let out = tool("kustomize")
            .current_dir(d)
            .args(["build", p])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "kustomize build {p}: {}",
            describe(&out)
        );
        text(&out.stdout)
    };
    assert_eq!(kbuild("decrypted"), kbuild("app"), "kustomize build");
}

#[test]
fn sops_decrypts_every_output_file_to_the_plain_render() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    tree(d, "", FIXED_CANARY);
    let ruled = keygen(d, "ruled.txt");
    let given = keygen(d, "given.txt");
    std::fs::write(
        d.join(".sops.yaml"),
        format!("creation_rules:\n- path_regex: ^manifests/\n  age: {ruled}\n"),
    )
    .unwrap();

    // -o DIR, recipients from the rule that matches each file's path.
    let out = render(d, &["app", "-o", "manifests", "--encrypt", "sops"]);
    assert!(out.status.success(), "{}", describe(&out));
    let written = files(&d.join("manifests"));
    assert_eq!(written.len(), 3, "{written:?}");
    let mut decrypted = Vec::new();
    for rel in &written {
        let file = d.join("manifests").join(rel);
        let body = std::fs::read_to_string(&file).unwrap();
        for canary in [CANARY, FIXED_CANARY] {
            for form in common::canary_forms(canary) {
                assert!(!body.contains(&form), "{}: a value shows", rel.display());
            }
        }
        assert!(
            body.contains("    encrypted_regex: ^(data|stringData)$\n"),
            "{body}"
        );
        assert!(body.contains(&ruled) && !body.contains(&given), "{body}");
        decrypted.push(sops_decrypt(d, "ruled.txt", &file, None));
    }
    same_objects_as_the_plain_render(d, &decrypted);

    // stdout, recipients from --age: one SOPS document per Secret.
    let out = render(d, &["app", "--encrypt", "sops", "--age", &given]);
    assert!(out.status.success(), "{}", describe(&out));
    let stream = text(&out.stdout);
    for form in common::canary_forms(CANARY) {
        assert!(!stream.contains(&form), "a value shows on stdout");
    }
    let docs: Vec<&str> = stream.split("\n---\n").collect();
    assert_eq!(docs.len(), 3, "{stream}");
    let decrypted: Vec<String> = docs
        .iter()
        .map(|doc| {
            let doc = format!("{}\n", doc.trim_end_matches('\n'));
            sops_decrypt(d, "given.txt", Path::new("-"), Some(doc.as_bytes()))
        })
        .collect();
    same_objects_as_the_plain_render(d, &decrypted);
}

/// Modification times and bytes of every file under `dir`.
fn snapshot(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>, std::time::SystemTime)> {
    files(dir)
        .into_iter()
        .map(|rel| {
            let p = dir.join(&rel);
            let m = std::fs::metadata(&p).unwrap().modified().unwrap();
            (rel, std::fs::read(&p).unwrap(), m)
        })
        .collect()
}

#[test]
fn an_unchanged_secret_leaves_its_encrypted_file_untouched() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    tree(d, "", FIXED_CANARY);
    let r = keygen(d, "key.txt");
    let args = ["app", "-o", "out", "--encrypt", "sops", "--age", r.as_str()];
    let first = render(d, &args);
    assert!(first.status.success(), "{}", describe(&first));
    let before = snapshot(&d.join("out"));
    std::thread::sleep(std::time::Duration::from_millis(20));

    // The unhashed Secret's digest is keyed by its file's data key: without a key, a clear
    // refusal (exit 2, nothing written).
    let keyless = render(d, &args);
    assert_eq!(keyless.status.code(), Some(2), "{}", describe(&keyless));
    let err = text(&keyless.stderr);
    assert!(
        err.contains("fixed.yaml") && err.contains("no hash suffix") && err.contains("--identity"),
        "{err}"
    );
    assert_eq!(snapshot(&d.join("out")), before);

    let with_key = |extra: &[&str]| render_with_key(d, &args, extra);
    let again = with_key(&[]);
    assert!(
        text(&again.stderr).contains("0 written, 3 unchanged"),
        "{}",
        describe(&again)
    );
    assert_eq!(snapshot(&d.join("out")), before, "a file was touched");
    let check = with_key(&["--check"]);
    assert_eq!(check.status.code(), Some(0), "{}", describe(&check));

    // A changed value of the unhashed Secret: --check names its file, and only it.
    tree(d, "", "changed-value");
    let check = with_key(&["--check"]);
    assert_only_out_of_date(&check, "prod/fixed.yaml", &["db-", "plain"]);
    let rewrite = with_key(&[]);
    assert!(
        text(&rewrite.stderr).contains("1 written, 2 unchanged"),
        "{}",
        describe(&rewrite)
    );

    // A changed value of a hashed Secret: a new name, its old file stale.
    tree(d, "  - extra=1\n", "changed-value");
    let check = with_key(&["--check"]);
    assert_eq!(check.status.code(), Some(1), "{}", describe(&check));
    let report = text(&check.stdout);
    assert!(
        report.contains("missing:") && report.contains("stale:") && report.contains("db-"),
        "{report}"
    );
    let pruned = with_key(&["--prune"]);
    assert!(
        text(&pruned.stderr).contains("1 written, 2 unchanged, 1 pruned"),
        "{}",
        describe(&pruned)
    );
}

/// A Secret resource's values are printed as written (no generator's base64): the digest
/// still covers them, so changing one is a change.
#[test]
fn a_changed_value_of_a_secret_resource_is_out_of_date() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    tree(d, "", FIXED_CANARY);
    let r = keygen(d, "key.txt");
    let args = ["app", "-o", "out", "--encrypt", "sops", "--age", r.as_str()];
    assert!(render_with_key(d, &args, &[]).status.success());
    let check = render_with_key(d, &args, &["--check"]);
    assert_eq!(check.status.code(), Some(0), "{}", describe(&check));
    change_resource_value(&d.join("app/other.yaml"));
    let check = render_with_key(d, &args, &["--check"]);
    assert_only_out_of_date(&check, "prod/plain.yaml", &["db-", "fixed"]);
}

#[test]
fn hashed_secrets_are_compared_without_a_key() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::create_dir_all(d.join("app")).unwrap();
    std::fs::write(
        d.join("app/kustomization.yaml"),
        format!(
            "namespace: prod\nsecretGenerator:\n- name: db\n  literals:\n  - password={CANARY}\n"
        ),
    )
    .unwrap();
    let r = keygen(d, "key.txt");
    let args = ["app", "-o", "out", "--encrypt", "sops", "--age", r.as_str()];
    assert!(render(d, &args).status.success());
    let before = snapshot(&d.join("out"));
    std::thread::sleep(std::time::Duration::from_millis(20));
    let again = render(d, &args);
    assert!(
        text(&again.stderr).contains("0 written, 1 unchanged"),
        "{}",
        describe(&again)
    );
    assert_eq!(snapshot(&d.join("out")), before);
    let mut check_args = args.to_vec();
    check_args.push("--check");
    let check = render(d, &check_args);
    assert_eq!(check.status.code(), Some(0), "{}", describe(&check));
    // The digest line publishes no more than the name's suffix: no form of the value.
    let body = String::from_utf8(before[0].1.clone()).unwrap();
    let line = body.lines().nth(1).unwrap();
    assert!(line.starts_with("# sops-content: "), "{body}");
    for form in common::canary_forms(CANARY) {
        assert!(!body.contains(&form));
    }
}

#[test]
fn check_reads_the_encrypted_tree_without_a_key() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    tree(d, "", FIXED_CANARY);
    let r = keygen(d, "key.txt");
    let out = render(
        d,
        &["app", "-o", "manifests", "--encrypt", "sops", "--age", &r],
    );
    assert!(out.status.success(), "{}", describe(&out));
    let db = files(&d.join("manifests"))
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().to_string()))
        .find(|n| n.starts_with("db-"))
        .unwrap()
        .trim_end_matches(".yaml")
        .to_string();
    crate::seal::check_follows_references(
        d,
        &db,
        "        - name: T\n          valueFrom:\n            secretKeyRef:\n              name: fixed\n              key: token\n",
    );
}

/// `render --encrypt sops --pgp`: sops opens each document with the PGP key alone (no age
/// key anywhere) into the plain render's objects; a rule's `pgp` key does the same with -o,
/// and a second run leaves the files as they are (the unhashed Secret's digest is opened
/// through gpg). No value on stdout or stderr.
#[test]
fn pgp_output_decrypts_with_sops_to_the_plain_render() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    tree(d, "", FIXED_CANARY);
    let fpr = crate::sops_pgp::gpg_key(&d.join("gnupg"));
    let out = render(d, &["app", "--encrypt", "sops", "--pgp", &fpr]);
    let decrypted: Vec<String> = stdout_documents(&out, &format!("fp: {fpr}"))
        .iter()
        .map(|doc| sops_decrypt(d, "no-age-key", Path::new("-"), Some(doc.as_bytes())))
        .collect();
    same_objects_as_the_plain_render(d, &decrypted);

    std::fs::write(
        d.join(".sops.yaml"),
        format!("creation_rules:\n- path_regex: ^manifests/\n  pgp: {fpr}\n"),
    )
    .unwrap();
    let out = render(d, &["app", "-o", "manifests", "--encrypt", "sops"]);
    assert!(out.status.success(), "{}", describe(&out));
    no_canary(&out);
    let before = snapshot(&d.join("manifests"));
    assert_eq!(before.len(), 3);
    let decrypted: Vec<String> = before
        .iter()
        .map(|(rel, _, _)| sops_decrypt(d, "no-age-key", &d.join("manifests").join(rel), None))
        .collect();
    same_objects_as_the_plain_render(d, &decrypted);
    let out = render(d, &["app", "-o", "manifests", "--encrypt", "sops"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(
        snapshot(&d.join("manifests")),
        before,
        "unchanged Secrets rewritten"
    );
    crate::sops_pgp::stop_agent(&d.join("gnupg"));
}

/// `render --encrypt sops --kms ARN`: sops opens each document through the KMS emulator
/// alone (no age or PGP key anywhere) into the plain render's objects.
#[test]
fn kms_output_decrypts_with_sops_to_the_plain_render() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    tree(d, "", FIXED_CANARY);
    let kms = crate::sops_kms::Kms::start(d);
    let mut c = secretgen_in(d);
    kms.env(&mut c)
        .args(["render", "app", "--encrypt", "sops", "--kms"])
        .arg(crate::sops_kms::ARN);
    let out = c.output().unwrap();
    let decrypted: Vec<String> = stdout_documents(&out, crate::sops_kms::ARN)
        .iter()
        .map(|doc| {
            let mut c = tool("sops");
            kms.env(&mut c)
                .current_dir(d)
                .env("SOPS_AGE_KEY_FILE", d.join("no-age-key"))
                .env("GNUPGHOME", d.join("no-gnupg"))
                .args(["decrypt", "--input-type", "yaml", "--output-type", "yaml"])
                .arg("/dev/stdin");
            let out = common::with_stdin(c, doc.as_bytes());
            assert!(out.status.success(), "sops decrypt: {}", describe(&out));
            text(&out.stdout)
        })
        .collect();
    same_objects_as_the_plain_render(d, &decrypted);
}

#[test]
fn missing_master_keys_and_unwritable_types_are_refused() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    tree(d, "", FIXED_CANARY);
    let out = render(d, &["app", "--encrypt", "sops"]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(
        text(&out.stderr).contains("no recipient"),
        "{}",
        describe(&out)
    );
    assert!(out.stdout.is_empty());
    // A key type only a key service wraps, and none given: exit 2, nothing written.
    std::fs::write(
        d.join(".sops.yaml"),
        "creation_rules:\n- gcp_kms: projects/p/locations/global/keyRings/r/cryptoKeys/k\n",
    )
    .unwrap();
    let out = secretgen_in(d)
        .env_remove("SOPS_KEYSERVICE")
        .args(["render", "app", "-o", "out", "--encrypt", "sops"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(
        text(&out.stderr).contains("--keyservice"),
        "{}",
        describe(&out)
    );
    assert!(!d.join("out").exists());
}

/// The fenced block of `lang` after the first README line holding `after`, inside `section`.
fn readme_block(section: &str, after: &str, lang: &str) -> String {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let from = readme
        .find(section)
        .unwrap_or_else(|| panic!("README: {section}"));
    let rest = &readme[from..];
    let rest = &rest[rest
        .find(after)
        .unwrap_or_else(|| panic!("README: {after}"))..];
    let fence = format!("```{lang}\n");
    let start = rest.find(&fence).unwrap() + fence.len();
    rest[start..start + rest[start..].find("```").unwrap()].to_string()
}

/// The README's Flux recipe run end to end: its `.sops.yaml` (with real keys), its CI
/// commands as written with the CI job's key, then what the kustomize-controller does
/// (sops decryption with the cluster's key) gives the plain render's objects.
#[test]
fn the_readme_flux_recipe_runs_end_to_end() {
    const SECTION: &str = "## Flux: commit encrypted, decrypt in cluster";
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    tree(d, "", FIXED_CANARY);
    let cluster = keygen(d, "cluster.agekey");
    let ci = keygen(d, "ci.agekey");
    let config = readme_block(SECTION, ".sops.yaml", "yaml")
        .replace("age1cluster...", &cluster)
        .replace("age1ci...", &ci);
    std::fs::write(d.join(".sops.yaml"), config).unwrap();
    std::fs::rename(d.join("app"), d.join("deploy")).unwrap();
    let mut ran = 0;
    for line in readme_block(SECTION, "In CI", "sh").lines() {
        let command = line.split("   #").next().unwrap().trim();
        let words = common::shell_words(command);
        assert_eq!(words[0], "secretgen", "{line}");
        let out = secretgen_in(d)
            .env("SOPS_AGE_KEY_FILE", d.join("ci.agekey"))
            .args(&words[1..])
            .output()
            .unwrap();
        assert!(out.status.success(), "{line}: {}", describe(&out));
        ran += 1;
    }
    assert_eq!(ran, 3);
    let flux = readme_block(SECTION, "Flux `Kustomization`", "yaml");
    assert!(flux.contains("path: ./clusters/prod/secrets\n") && flux.contains("provider: sops\n"));
    let out_dir = d.join("clusters/prod/secrets");
    let written = files(&out_dir);
    assert_eq!(written.len(), 3, "{written:?}");
    let decrypted: Vec<String> = written
        .iter()
        .map(|rel| sops_decrypt(d, "cluster.agekey", &out_dir.join(rel), None))
        .collect();
    std::fs::rename(d.join("deploy"), d.join("app")).unwrap();
    same_objects_as_the_plain_render(d, &decrypted);
}
