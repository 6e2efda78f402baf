//! `secretgen sops encrypt`, `rotate` and `updatekeys` writing PGP and AWS KMS master keys,
//! against the real sops 3.13.3: sops decrypts every file secretgen writes to a PGP key (a
//! throwaway GNUPGHOME), to a KMS key (the local-kms emulator), to a mixed age+PGP key group
//! and to Shamir key groups, each to exactly what its own encryption of the same input
//! decrypts to; secretgen reads them back; keys are added and removed by `rotate` and
//! `updatekeys`; key types only a key service wraps are wrapped by one or refused.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::{canary_forms, describe, text};
use crate::sops_kms::{ARN, Kms};
use crate::sops_pgp::{gpg_key, stop_agent};
use crate::sops_write::{Env, compare, env, formats, ok};

const CANARY: &str = "canary-sopskeys-3f7d";

/// An environment with an age key and a PGP key (in its GNUPGHOME), the agent stopped when
/// dropped.
struct Keys {
    e: Env,
    fpr: String,
}

impl Drop for Keys {
    fn drop(&mut self) {
        stop_agent(&self.e.gnupg());
    }
}

fn keys() -> Keys {
    let e = env();
    let fpr = gpg_key(&e.gnupg());
    Keys { e, fpr }
}

/// `c`'s output, its stderr checked for every form of the canary.
fn output(what: &str, mut c: Command) -> Output {
    let out = c.output().unwrap();
    let err = text(&out.stderr);
    for form in canary_forms(CANARY) {
        assert!(
            !err.contains(&form),
            "{what}: stderr shows the canary: {err}"
        );
    }
    out
}

/// `c` run to success, without the canary on stderr: its stdout.
fn run(what: &str, c: Command) -> Vec<u8> {
    let out = output(what, c);
    assert!(out.status.success(), "{what}: {}", describe(&out));
    out.stdout
}

/// A directory `name` under the environment's.
fn dir(e: &Env, name: &str) -> PathBuf {
    let d = e.dir.path().join(name);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// What sops 3.13.3 decrypts `file` to with only the keys `with` names (`age`, `pgp`, `kms`
/// or several): the others are out of reach.
fn sops_decrypt(e: &Env, cwd: &Path, file: &Path, with: &[&str]) -> Output {
    let mut c = e.sops(cwd);
    if !with.contains(&"age") {
        c.env("SOPS_AGE_KEY_FILE", cwd.join("no-age-key"));
    }
    if !with.contains(&"pgp") {
        let empty = dir(e, "empty-gnupg");
        c.env("GNUPGHOME", empty);
    }
    if !with.contains(&"kms") {
        c.env("AWS_ENDPOINT_URL_KMS", "http://127.0.0.1:9")
            .env_remove("AWS_ACCESS_KEY_ID");
    }
    c.arg("decrypt").arg(file);
    c.output().unwrap()
}

fn plain_yaml() -> String {
    format!("user: admin\npassword: {CANARY}\n")
}

#[test]
fn pgp_files_open_with_sops_in_every_format() {
    let k = keys();
    let cwd = dir(&k.e, "pgp");
    for (name, input) in formats() {
        compare(&k.e, &cwd, name, input, &["--pgp", &k.fpr]);
    }
    // SOPS_PGP_FP, as sops reads it; the canary never on stderr; sops opens it with gpg only.
    let plain = cwd.join("c.yaml");
    std::fs::write(&plain, plain_yaml()).unwrap();
    let mut c = k.e.secretgen(&cwd);
    c.env("SOPS_PGP_FP", &k.fpr)
        .args(["sops", "encrypt"])
        .arg(&plain);
    let enc = run("encrypt with SOPS_PGP_FP", c);
    assert!(!text(&enc).contains(CANARY));
    assert!(
        text(&enc).contains(&format!("fp: {}", k.fpr)),
        "{}",
        text(&enc)
    );
    let f = cwd.join("c.enc.yaml");
    std::fs::write(&f, &enc).unwrap();
    let out = sops_decrypt(&k.e, &cwd, &f, &["pgp"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(text(&out.stdout), plain_yaml());
    // SOPS_GPG_EXEC names the gpg that wraps, given sops' own arguments.
    let log = cwd.join("gpg-args");
    let wrapper = cwd.join("gpg-logging");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\necho \"$*\" >> '{}'\nexec gpg \"$@\"\n",
            log.display()
        ),
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mut c = k.e.secretgen(&cwd);
    c.env("SOPS_GPG_EXEC", &wrapper)
        .args(["sops", "encrypt", "--pgp", &k.fpr])
        .arg(&plain);
    run("encrypt through SOPS_GPG_EXEC", c);
    let short = &k.fpr[k.fpr.len() - 16..];
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        format!(
            "--no-default-recipient --yes --encrypt -a -r {} --trusted-key {short} --no-encrypt-to\n",
            k.fpr
        )
    );
    // A key gpg does not hold: exit 2, the fingerprint named, nothing written.
    let missing = "0123456789ABCDEF0123456789ABCDEF01234567";
    let target = cwd.join("never.yaml");
    let mut c = k.e.secretgen(&cwd);
    c.args(["sops", "encrypt", "--pgp", missing, "-o"])
        .arg(&target)
        .arg(&plain);
    let out = output("encrypt to a missing key", c);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(text(&out.stderr).contains(missing), "{}", describe(&out));
    assert!(!target.exists());
}

#[test]
fn a_mixed_age_and_pgp_group_and_shamir_groups_open_with_sops() {
    let k = keys();
    let e = &k.e;
    let cwd = dir(e, "groups");
    std::fs::write(
        cwd.join(".sops.yaml"),
        format!(
            "creation_rules:\n  - path_regex: one\\.yaml$\n    key_groups:\n      - age: [{r}]\n        pgp: [{f}]\n  - path_regex: two\\.yaml$\n    shamir_threshold: 2\n    key_groups:\n      - age: [{r}]\n      - pgp: [{f}]\n",
            r = e.recipient,
            f = k.fpr
        ),
    )
    .unwrap();
    for name in ["one.yaml", "two.yaml"] {
        let plain = cwd.join(name);
        std::fs::write(&plain, plain_yaml()).unwrap();
        let mut c = e.secretgen(&cwd);
        c.args(["sops", "encrypt"]).arg(&plain);
        let enc = run(name, c);
        let f = cwd.join(format!("enc-{name}"));
        std::fs::write(&f, &enc).unwrap();
        let body = text(&enc);
        assert!(!body.contains(CANARY));
        let both = sops_decrypt(e, &cwd, &f, &["age", "pgp"]);
        assert!(both.status.success(), "{name}: {}", describe(&both));
        assert_eq!(text(&both.stdout), plain_yaml(), "{name}");
        let age_only = sops_decrypt(e, &cwd, &f, &["age"]);
        let pgp_only = sops_decrypt(e, &cwd, &f, &["pgp"]);
        if name == "one.yaml" {
            // One group: either key opens it.
            assert!(age_only.status.success(), "{}", describe(&age_only));
            assert!(pgp_only.status.success(), "{}", describe(&pgp_only));
        } else {
            // Two groups, both needed.
            assert!(body.contains("key_groups:") && body.contains("shamir_threshold: 2"));
            assert!(!age_only.status.success(), "{}", describe(&age_only));
            assert!(!pgp_only.status.success(), "{}", describe(&pgp_only));
        }
        let mut c = e.secretgen(&cwd);
        c.args(["sops", "decrypt"]).arg(&f);
        assert_eq!(text(&run("read back", c)), plain_yaml(), "{name}");
    }
}

#[test]
fn rotate_adds_then_removes_a_pgp_key() {
    let k = keys();
    let e = &k.e;
    let cwd = dir(e, "rotate");
    let f = cwd.join("s.yaml");
    std::fs::write(&f, plain_yaml()).unwrap();
    let mut c = e.secretgen(&cwd);
    c.args(["sops", "encrypt", "-i", "--age", &e.recipient])
        .arg(&f);
    run("encrypt", c);
    assert!(!sops_decrypt(e, &cwd, &f, &["pgp"]).status.success());

    let mut c = e.secretgen(&cwd);
    c.args(["sops", "rotate", "-i", "--add-pgp", &k.fpr])
        .arg(&f);
    run("rotate --add-pgp", c);
    let body = std::fs::read_to_string(&f).unwrap();
    assert!(body.contains(&format!("fp: {}", k.fpr)), "{body}");
    let out = sops_decrypt(e, &cwd, &f, &["pgp"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(text(&out.stdout), plain_yaml());

    let mut c = e.secretgen(&cwd);
    c.args(["sops", "rotate", "-i", "--rm-pgp", &k.fpr]).arg(&f);
    run("rotate --rm-pgp", c);
    let body = std::fs::read_to_string(&f).unwrap();
    assert!(!body.contains(&k.fpr) && !body.contains("pgp:"), "{body}");
    assert!(!sops_decrypt(e, &cwd, &f, &["pgp"]).status.success());
    let out = sops_decrypt(e, &cwd, &f, &["age"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(text(&out.stdout), plain_yaml());
}

#[test]
fn kms_files_open_with_sops_in_every_format() {
    let mut e = env();
    let kms = Kms::start(e.dir.path());
    e.extra = kms.vars();
    let cwd = dir(&e, "kms");
    for (name, input) in formats() {
        compare(
            &e,
            &cwd,
            name,
            input,
            &["--kms", ARN, "--encryption-context", "app:web,env:prod"],
        );
    }
    // A rule's KMS key with --encryption-context: sops 3.13.3's `encrypt` gives the rule's
    // keys no context from the command line; the layout is sops' own.
    let ruled = dir(&e, "kms-rule");
    std::fs::write(
        ruled.join(".sops.yaml"),
        format!("creation_rules:\n  - kms: {ARN}\n"),
    )
    .unwrap();
    let (name, input) = formats()[0];
    compare(
        &e,
        &ruled,
        name,
        input,
        &["--encryption-context", "app:web"],
    );
    // The rule's `aws_profile`: that profile's credentials, written into the entry as sops
    // writes it.
    let (config, creds) = (ruled.join("aws-config"), ruled.join("aws-credentials"));
    std::fs::write(&config, "[profile kmstest]\nregion = eu-west-2\n").unwrap();
    std::fs::write(
        &creds,
        "[kmstest]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = profile-secret\n",
    )
    .unwrap();
    e.extra
        .push(("AWS_CONFIG_FILE", config.display().to_string()));
    e.extra
        .push(("AWS_SHARED_CREDENTIALS_FILE", creds.display().to_string()));
    std::fs::write(
        ruled.join(".sops.yaml"),
        format!("creation_rules:\n  - kms: {ARN}\n    aws_profile: kmstest\n"),
    )
    .unwrap();
    compare(&e, &ruled, name, input, &[]);
    assert!(
        std::fs::read_to_string(ruled.join(format!("ours-{name}")))
            .unwrap()
            .contains("aws_profile: kmstest")
    );
    // SOPS_KMS_ARN, as sops reads it: sops opens the file with KMS only, the context kept.
    let plain = cwd.join("c.yaml");
    std::fs::write(&plain, plain_yaml()).unwrap();
    let mut c = e.secretgen(&cwd);
    c.env("SOPS_KMS_ARN", ARN)
        .args(["sops", "encrypt", "--encryption-context", "env:prod"])
        .arg(&plain);
    let enc = run("encrypt with SOPS_KMS_ARN", c);
    let body = text(&enc);
    assert!(!body.contains(CANARY));
    assert!(
        body.contains(&format!("arn: {ARN}")) && body.contains("env: prod"),
        "{body}"
    );
    let f = cwd.join("c.enc.yaml");
    std::fs::write(&f, &enc).unwrap();
    let out = sops_decrypt(&e, &cwd, &f, &["kms"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(text(&out.stdout), plain_yaml());
    let mut c = e.secretgen(&cwd);
    c.args(["sops", "decrypt"]).arg(&f);
    assert_eq!(text(&run("read back", c)), plain_yaml());

    // rotate --add-kms onto an age file, then --rm-kms.
    let r = cwd.join("r.yaml");
    std::fs::write(&r, plain_yaml()).unwrap();
    let mut c = e.secretgen(&cwd);
    c.args(["sops", "encrypt", "-i", "--age", &e.recipient])
        .arg(&r);
    run("encrypt", c);
    let mut c = e.secretgen(&cwd);
    c.args(["sops", "rotate", "-i", "--add-kms", ARN]).arg(&r);
    run("rotate --add-kms", c);
    let out = sops_decrypt(&e, &cwd, &r, &["kms"]);
    assert!(out.status.success(), "{}", describe(&out));
    let mut c = e.secretgen(&cwd);
    c.args(["sops", "rotate", "-i", "--rm-kms", ARN]).arg(&r);
    run("rotate --rm-kms", c);
    assert!(!std::fs::read_to_string(&r).unwrap().contains(ARN));
    assert!(!sops_decrypt(&e, &cwd, &r, &["kms"]).status.success());

    // No credentials anywhere: exit 2, the ARN named, nothing written.
    let target = cwd.join("never.yaml");
    let mut c = e.secretgen(&cwd);
    c.env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env("AWS_CONFIG_FILE", cwd.join("none"))
        .env("AWS_SHARED_CREDENTIALS_FILE", cwd.join("none"))
        .args(["sops", "encrypt", "--kms", ARN, "-o"])
        .arg(&target)
        .arg(&plain);
    let out = output("encrypt without credentials", c);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(text(&out.stderr).contains(ARN), "{}", describe(&out));
    assert!(!target.exists());
}

#[test]
fn updatekeys_adds_the_rules_pgp_and_kms_keys() {
    let mut k = keys();
    let kms = Kms::start(k.e.dir.path());
    k.e.extra = kms.vars();
    let e = &k.e;
    let cwd = dir(e, "update");
    let rule = |extra: &str| {
        std::fs::write(
            cwd.join(".sops.yaml"),
            format!("creation_rules:\n  - age: {}\n{extra}", e.recipient),
        )
        .unwrap();
    };
    rule("");
    let f = cwd.join("s.yaml");
    std::fs::write(&f, plain_yaml()).unwrap();
    let mut c = e.secretgen(&cwd);
    c.args(["sops", "encrypt", "-i"]).arg(&f);
    run("encrypt", c);
    let before = std::fs::read_to_string(&f).unwrap();
    rule(&format!("    pgp: {}\n    kms: {ARN}\n", k.fpr));
    let mut c = e.secretgen(&cwd);
    c.args(["sops", "updatekeys", "-y"]).arg(&f);
    let shown = text(&run("updatekeys", c));
    assert!(
        shown.contains(&format!("+++ {}", k.fpr)) && shown.contains(&format!("+++ {ARN}")),
        "{shown}"
    );
    let after = std::fs::read_to_string(&f).unwrap();
    assert_ne!(before, after);
    for only in ["age", "pgp", "kms"] {
        let out = sops_decrypt(e, &cwd, &f, &[only]);
        assert!(out.status.success(), "{only}: {}", describe(&out));
        assert_eq!(text(&out.stdout), plain_yaml(), "{only}");
    }
}

#[test]
fn other_key_types_are_wrapped_by_a_key_service_or_refused() {
    let e = env();
    let cwd = dir(&e, "service");
    let plain = cwd.join("s.yaml");
    std::fs::write(&plain, plain_yaml()).unwrap();
    std::fs::write(
        cwd.join(".sops.yaml"),
        "creation_rules:\n  - gcp_kms: projects/p/locations/global/keyRings/r/cryptoKeys/k\n",
    )
    .unwrap();
    let target = cwd.join("never.yaml");
    let mut c = e.secretgen(&cwd);
    c.env_remove("SOPS_KEYSERVICE")
        .args(["sops", "encrypt", "-o"])
        .arg(&target)
        .arg(&plain);
    let out = output("gcp_kms without a key service", c);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let err = text(&out.stderr);
    assert!(
        err.contains("GCP KMS") && err.contains("--keyservice"),
        "{err}"
    );
    assert!(!target.exists());

    // Local keys off and a key service given: every key goes to the service, as sops sends
    // it; here a `sops keyservice` wraps an age key this process holds no identity for.
    let sock = cwd.join("ks.sock");
    let (key_file, recipient) = crate::sops_keyservice::age_key(&cwd);
    let _service = crate::sops_keyservice::start("unix", sock.to_str().unwrap(), &key_file);
    let mut c = e.secretgen(&cwd);
    c.arg("--keyservice")
        .arg(format!("unix://{}", sock.display()))
        .arg("--enable-local-keyservice=false")
        .args(["sops", "encrypt", "--age", &recipient])
        .arg(&plain);
    let enc = run("encrypt through the key service", c);
    let f = cwd.join("enc.yaml");
    std::fs::write(&f, &enc).unwrap();
    let mut c = e.sops(&cwd);
    c.env("SOPS_AGE_KEY_FILE", &key_file).arg("decrypt").arg(&f);
    assert_eq!(text(&ok(c)), plain_yaml());

    // A PGP key this machine's gpg does not hold, held by the key service: local keys are
    // tried first, then the service wraps it, as sops does.
    let service_gnupg = cwd.join("service-gnupg");
    let fpr = gpg_key(&service_gnupg);
    let sock2 = cwd.join("ks2.sock");
    let _service2 = crate::sops_keyservice::start_with(
        "unix",
        sock2.to_str().unwrap(),
        &key_file,
        &[("GNUPGHOME", &service_gnupg)],
    );
    let mut c = e.secretgen(&cwd);
    c.arg("--keyservice")
        .arg(format!("unix://{}", sock2.display()))
        .args(["sops", "encrypt", "--pgp", &fpr])
        .arg(&plain);
    let enc = run("encrypt a PGP key through the key service", c);
    assert!(text(&enc).contains(&format!("fp: {fpr}")));
    let f = cwd.join("enc-pgp.yaml");
    std::fs::write(&f, &enc).unwrap();
    let mut c = e.sops(&cwd);
    c.env("GNUPGHOME", &service_gnupg).arg("decrypt").arg(&f);
    assert_eq!(text(&ok(c)), plain_yaml());
    // Without the service, the same key is refused, naming it.
    let mut c = e.secretgen(&cwd);
    c.args(["sops", "encrypt", "--pgp", &fpr]).arg(&plain);
    let out = output("a PGP key nobody holds", c);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(text(&out.stderr).contains(&fpr), "{}", describe(&out));
    stop_agent(&service_gnupg);
}

/// The README's PGP and KMS block ("Writing SOPS files"), run as written with bash, with a
/// gpg key in GNUPGHOME and the KMS emulator (holding the key of the block's ARN): it
/// decrypts, and after it sops opens the file with the PGP key alone and not with KMS.
#[test]
fn the_readme_pgp_and_kms_block_runs_as_written() {
    let mut k = keys();
    let kms = Kms::start(k.e.dir.path());
    k.e.extra = kms.vars();
    let e = &k.e;
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let rest = &readme[readme.find("### Writing SOPS files").unwrap()..];
    let rest = &rest[rest.find("**Every key type is written").unwrap()..];
    let start = rest.find("```sh\n").unwrap() + "```sh\n".len();
    let block = &rest[start..start + rest[start..].find("```").unwrap()];
    assert!(
        block.contains(ARN),
        "the block's ARN is the emulator's key: {block}"
    );
    let cwd = dir(e, "readme");
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_secretgen"));
    let c = e.secretgen(&cwd);
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // The environment of the environment's commands, for bash.
    let mut bash = Command::new("bash");
    bash.args(["-e", "-c", block]).current_dir(&cwd);
    for (k, v) in c.get_envs() {
        match v {
            Some(v) => bash.env(k, v),
            None => bash.env_remove(k),
        };
    }
    bash.env("PATH", path);
    let out = run("the README block", bash);
    assert!(text(&out).contains("password: hunter2"), "{}", text(&out));
    let f = cwd.join("team.yaml");
    let body = std::fs::read_to_string(&f).unwrap();
    assert!(body.contains(&k.fpr) && !body.contains(ARN), "{body}");
    let out = sops_decrypt(e, &cwd, &f, &["pgp"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(text(&out.stdout), "password: hunter2\n");
    assert!(!sops_decrypt(e, &cwd, &f, &["kms"]).status.success());
}

/// sops' flags for the key types only a key service wraps (`--gcp-kms`, `--azure-kv`,
/// `--hc-vault-transit`, `--hckms`, and `rotate`'s `--add-…`/`--rm-…` of each): without a
/// key service each is refused naming the key, nothing written; `rotate --rm-…` takes such
/// a key out of a file sops itself wrote (its entry added as sops writes one), and sops
/// still opens the file with its age key.
#[test]
fn service_key_flags_are_sops_own() {
    let e = env();
    let cwd = dir(&e, "service-flags");
    let plain = cwd.join("s.yaml");
    std::fs::write(&plain, plain_yaml()).unwrap();
    let keys = [
        (
            "--gcp-kms",
            "projects/p/locations/global/keyRings/r/cryptoKeys/k",
        ),
        ("--azure-kv", "https://v.vault.azure.net/keys/k/0123abcd"),
        (
            "--hc-vault-transit",
            "https://vault.example.org:8200/v1/transit/keys/k",
        ),
        ("--hckms", "tr-west-1:0123-abcd"),
    ];
    for (flag, id) in keys {
        let target = cwd.join("never.yaml");
        let mut c = e.secretgen(&cwd);
        c.env_remove("SOPS_KEYSERVICE")
            .args(["sops", "encrypt", flag, id, "-o"])
            .arg(&target)
            .arg(&plain);
        let out = output(flag, c);
        assert_eq!(out.status.code(), Some(2), "{flag}: {}", describe(&out));
        assert!(
            text(&out.stderr).contains("--keyservice"),
            "{flag}: {}",
            describe(&out)
        );
        assert!(!target.exists(), "{flag}");
    }
    // A file sops wrote to the age key, with an entry of each type added to its metadata.
    let f = cwd.join("f.yaml");
    std::fs::copy(&plain, &f).unwrap();
    let mut c = e.sops(&cwd);
    c.args(["encrypt", "-i", "--age", &e.recipient]).arg(&f);
    ok(c);
    let written = std::fs::read_to_string(&f).unwrap();
    let extra = "    gcp_kms:\n        - resource_id: projects/p/locations/global/keyRings/r/cryptoKeys/k\n          created_at: \"2026-01-01T00:00:00Z\"\n          enc: CiQAbc=\n    azure_kv:\n        - vault_url: https://v.vault.azure.net\n          name: k\n          version: 0123abcd\n          created_at: \"2026-01-01T00:00:00Z\"\n          enc: abc\n    hc_vault:\n        - vault_address: https://vault.example.org:8200\n          engine_path: transit\n          key_name: k\n          created_at: \"2026-01-01T00:00:00Z\"\n          enc: vault:v1:abc\n";
    let with = written.replacen("sops:\n", &format!("sops:\n{extra}"), 1);
    assert_ne!(with, written);
    std::fs::write(&f, &with).unwrap();
    // Adding one without a key service is refused, the file left as it was.
    let mut c = e.secretgen(&cwd);
    c.env_remove("SOPS_KEYSERVICE")
        .args(["sops", "rotate", "-i", "--add-gcp-kms", "projects/p/x"])
        .arg(&f);
    let out = output("--add-gcp-kms", c);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert_eq!(std::fs::read_to_string(&f).unwrap(), with);
    // Removing them needs no service.
    let mut c = e.secretgen(&cwd);
    c.args(["sops", "rotate", "-i"])
        .args(["--rm-gcp-kms", keys[0].1])
        .args(["--rm-azure-kv", keys[1].1])
        .args(["--rm-hc-vault-transit", keys[2].1])
        .arg(&f);
    run("rotate --rm-…", c);
    let after = std::fs::read_to_string(&f).unwrap();
    for field in ["gcp_kms", "azure_kv", "hc_vault"] {
        assert!(!after.contains(field), "{field} still in:\n{after}");
    }
    assert_eq!(
        text(&sops_decrypt(&e, &cwd, &f, &["age"]).stdout),
        plain_yaml()
    );
}

/// age recipients of every kind sops 3.13.3 takes: a file secretgen writes to an X25519, a
/// post-quantum (`age-keygen -pq`, Go age v1.3.2) and an SSH ed25519 recipient in one group
/// is opened by sops with each of their keys alone.
#[test]
fn post_quantum_and_ssh_recipients_open_with_sops() {
    let e = env();
    let cwd = dir(&e, "age-kinds");
    let pq = cwd.join("pq.txt");
    let mut c = crate::common::tool("age-keygen");
    c.arg("-pq").arg("-o").arg(&pq);
    ok(c);
    let mut c = crate::common::tool("age-keygen");
    c.arg("-y").arg(&pq);
    let pq_recipient = text(&ok(c)).trim().to_string();
    assert!(pq_recipient.starts_with("age1pq1"), "{pq_recipient}");
    let ssh = cwd.join("id_ed25519");
    let out = Command::new("ssh-keygen")
        .args(["-t", "ed25519", "-N", "", "-q", "-f"])
        .arg(&ssh)
        .output()
        .expect("ssh-keygen (openssh-client) is needed by this test");
    assert!(out.status.success(), "{}", describe(&out));
    let ssh_recipient = std::fs::read_to_string(ssh.with_extension("pub"))
        .unwrap()
        .trim()
        .to_string();
    let plain = cwd.join("s.yaml");
    std::fs::write(&plain, plain_yaml()).unwrap();
    let mut c = e.secretgen(&cwd);
    c.args(["sops", "encrypt", "--age"])
        .arg(format!("{},{pq_recipient},{ssh_recipient}", e.recipient))
        .arg(&plain);
    let enc = cwd.join("enc.yaml");
    std::fs::write(&enc, run("encrypt to three kinds of age recipient", c)).unwrap();
    // (HOME is a directory of its own: sops finds no SSH key there.)
    let no_key = cwd.join("no-key.txt");
    std::fs::write(&no_key, "").unwrap();
    for (what, key_file, ssh_key) in [
        ("X25519", e.key_file.as_path(), None),
        ("post-quantum", pq.as_path(), None),
        ("SSH", no_key.as_path(), Some(ssh.as_path())),
    ] {
        let mut c = e.sops(&cwd);
        c.env("SOPS_AGE_KEY_FILE", key_file);
        if let Some(k) = ssh_key {
            c.env("SOPS_AGE_SSH_PRIVATE_KEY_FILE", k);
        }
        c.arg("decrypt").arg(&enc);
        assert_eq!(text(&ok(c)), plain_yaml(), "sops with the {what} key alone");
    }
}

/// An age plugin recipient (`tests/age-plugins/age-plugin-sgtest`, which asks for its PIN
/// as hardware-key plugins do): secretgen wraps the data key through the plugin, and sops
/// 3.13.3 opens the file with the plugin's identity alone, the PIN typed on its terminal.
#[test]
fn plugin_recipients_open_with_sops() {
    use crate::age_plugins::{plugin_path, sgtest_identity, sgtest_recipient};
    let e = env();
    let cwd = dir(&e, "age-plugin");
    let plain = cwd.join("s.yaml");
    std::fs::write(&plain, plain_yaml()).unwrap();
    let mut c = e.secretgen(&cwd);
    c.env("PATH", plugin_path())
        .args(["sops", "encrypt", "--age", &sgtest_recipient()])
        .arg(&plain);
    let enc = cwd.join("enc.yaml");
    std::fs::write(&enc, run("encrypt to a plugin recipient", c)).unwrap();
    let identity = cwd.join("plugin-identity.txt");
    std::fs::write(&identity, format!("{}\n", sgtest_identity())).unwrap();
    // sops under a terminal (`script`), in the environment of every sops command here.
    let sops = crate::common::tools_bin().join("sops");
    let mut c = Command::new("script");
    e.isolate(&mut c, &cwd);
    c.args(["-q", "-e", "-c"])
        .arg(format!("{} decrypt {}", sops.display(), enc.display()))
        .arg("/dev/null");
    c.env("PATH", plugin_path())
        .env("SOPS_AGE_KEY_FILE", &identity)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = c
        .spawn()
        .expect("script (util-linux) is needed by this test");
    {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(b"1234\n").unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    let shown = text(&out.stdout).replace("\r\n", "\n");
    assert!(
        shown.contains(&plain_yaml()),
        "sops did not print the plaintext: {}",
        describe(&out)
    );
}
