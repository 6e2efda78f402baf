//! SOPS files encrypted by sops 3.13.3 to a key of a real KMS emulator (local-kms, started
//! here on a loopback port, reached through `AWS_ENDPOINT_URL_KMS` with dummy credentials)
//! render as their plaintext twins: generator inputs in every format (with an encryption
//! context) and a SOPS Secret in a base's resources. The twin's inputs are what
//! `sops --decrypt` prints, so the comparison is byte for byte with sops.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common;
use common::{describe, isolate, run_ok, text, tool, tools_bin};

const KEY_ID: &str = "bc436485-5092-42b8-92a3-0aa8b93536dc";
pub(crate) const ARN: &str =
    "arn:aws:kms:eu-west-2:111122223333:key/bc436485-5092-42b8-92a3-0aa8b93536dc";

/// The emulator, killed when dropped.
pub(crate) struct Kms {
    child: Child,
    endpoint: String,
    log: PathBuf,
}

impl Drop for Kms {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Kms {
    /// The emulator on a free loopback port, seeded with the key of [`ARN`]; fails naming
    /// local-kms when it is not installed.
    pub(crate) fn start(dir: &Path) -> Kms {
        let bin = tools_bin().join("local-kms");
        assert!(
            bin.exists(),
            "{} is missing: run tests/setup.sh",
            bin.display()
        );
        let seed = dir.join("seed.yaml");
        std::fs::write(
            &seed,
            format!(
                "Keys:\n  Symmetric:\n    Aes:\n      - Metadata:\n          KeyId: {KEY_ID}\n        BackingKeys:\n          - 5cdaead27fe7da2de47945d73cd6d79e36494e73802f3cd3869f1d2cb0b5d7a9\n"
            ),
        )
        .unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = dir.join("local-kms.log");
        let child = Command::new(bin)
            .env("PORT", port.to_string())
            .env("KMS_REGION", "eu-west-2")
            .env("KMS_ACCOUNT_ID", "111122223333")
            .env("KMS_SEED_PATH", &seed)
            .env("KMS_DATA_PATH", dir.join("kms-data"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "local-kms did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Kms {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            log,
        }
    }

    /// The variables that point a process at the emulator with dummy credentials.
    pub(crate) fn vars(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL_KMS", self.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", "AKIDLOCALKMS".into()),
            ("AWS_SECRET_ACCESS_KEY", "local-kms-secret".into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
            ("SOPS_DISABLE_VERSION_CHECK", "1".into()),
        ]
    }

    /// `c` talking to the emulator with dummy credentials.
    pub(crate) fn env<'c>(&self, c: &'c mut Command) -> &'c mut Command {
        c.envs(self.vars()).env_remove("AWS_PROFILE")
    }

    /// Decrypt calls answered so far.
    fn calls(&self) -> usize {
        std::fs::read_to_string(&self.log)
            .unwrap()
            .matches("Decryption called")
            .count()
    }
}

fn sops(kms: &Kms, args: &[&str], file: &Path) -> Vec<u8> {
    let mut c = tool("sops");
    kms.env(&mut c).args(args).arg(file);
    run_ok(c).stdout
}

const INPUTS: [(&str, &str); 4] = [
    (
        "config.yaml",
        "db:\n  user: admin # who\n  password: kms-canary-71c2\nport: 5432\n",
    ),
    (
        "config.json",
        "{\n  \"token\": \"kms-canary-71c2\",\n  \"n\": 1.50\n}\n",
    ),
    ("app.env", "API_KEY=kms-canary-71c2\nMODE=prod\n"),
    ("app.ini", "[main]\nkey = kms-canary-71c2\n"),
];

#[test]
fn generator_inputs_in_every_format_render_as_sops_decrypts_them() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let kms = Kms::start(d);
    let (enc, plain) = (d.join("enc"), d.join("plain"));
    std::fs::create_dir_all(&enc).unwrap();
    std::fs::create_dir_all(&plain).unwrap();
    for (name, body) in INPUTS {
        let f = enc.join(name);
        std::fs::write(&f, body).unwrap();
        let out = sops(
            &kms,
            &[
                "--encrypt",
                "--kms",
                ARN,
                "--encryption-context",
                "app:web,env:prod",
            ],
            &f,
        );
        std::fs::write(&f, &out).unwrap();
        assert!(!text(&out).contains("kms-canary-71c2"));
        assert!(text(&out).contains(ARN));
        std::fs::write(plain.join(name), sops(&kms, &["--decrypt"], &f)).unwrap();
    }
    let k = "secretGenerator:\n- name: app\n  files:\n  - config.yaml\n  - config.json\n  - app.ini\n- name: env\n  envs:\n  - app.env\n";
    std::fs::write(enc.join("kustomization.yaml"), k).unwrap();
    std::fs::write(plain.join("kustomization.yaml"), k).unwrap();

    let mut c = tool("kustomize");
    c.arg("build").arg(&plain);
    let want = run_ok(c).stdout;

    let before = kms.calls();
    let mut c = Command::new(env!("CARGO_BIN_EXE_secretgen"));
    isolate(&mut c, d);
    kms.env(&mut c).arg("render").arg(&enc);
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_eq!(text(&out.stdout), text(&want));
    // One KMS call per file.
    assert_eq!(kms.calls() - before, INPUTS.len());

    // Without credentials: exit 2, no key material, nothing of the ciphertext.
    let mut c = Command::new(env!("CARGO_BIN_EXE_secretgen"));
    isolate(&mut c, d);
    kms.env(&mut c)
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env("AWS_CONFIG_FILE", d.join("none"))
        .env("AWS_SHARED_CREDENTIALS_FILE", d.join("none"))
        .arg("render")
        .arg(&enc);
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    assert!(err.contains("no key material"), "{err}");
    assert!(
        !err.contains("kms-canary-71c2") && !err.contains("AQICAH"),
        "{err}"
    );
}

#[test]
fn a_sops_secret_in_a_base_renders_as_its_plaintext_twin() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let kms = Kms::start(d);
    let secret = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: Opaque\nstringData:\n  password: kms-canary-71c2\n";
    for tree in ["enc", "plain"] {
        std::fs::create_dir_all(d.join(tree).join("base")).unwrap();
        std::fs::create_dir_all(d.join(tree).join("overlay")).unwrap();
        std::fs::write(
            d.join(tree).join("base/kustomization.yaml"),
            "resources:\n- secret.yaml\n",
        )
        .unwrap();
        std::fs::write(d.join(tree).join("base/secret.yaml"), secret).unwrap();
        std::fs::write(
            d.join(tree).join("overlay/kustomization.yaml"),
            "resources:\n- ../base\nnamePrefix: dev-\n",
        )
        .unwrap();
    }
    let f = d.join("enc/base/secret.yaml");
    let out = sops(
        &kms,
        &[
            "--encrypt",
            "--kms",
            ARN,
            "--encrypted-regex",
            "^(data|stringData)$",
        ],
        &f,
    );
    std::fs::write(&f, out).unwrap();

    let mut c = tool("kustomize");
    c.arg("build").arg(d.join("plain/overlay"));
    let want = run_ok(c).stdout;
    let mut c = Command::new(env!("CARGO_BIN_EXE_secretgen"));
    isolate(&mut c, d);
    kms.env(&mut c).arg("render").arg(d.join("enc/overlay"));
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_eq!(text(&out.stdout), text(&want));
}

/// The exec plugin under kustomize, with the key's credentials from a profile the entry
/// names (`sops --aws-profile`): the same Secret as kustomize's own generator gives for the
/// files `sops --decrypt` prints.
#[test]
fn the_exec_plugin_renders_a_kms_file_under_kustomize_with_aws_profile() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let kms = Kms::start(d);
    std::fs::write(d.join("config"), "[profile kmstest]\nregion = eu-west-2\n").unwrap();
    std::fs::write(
        d.join("credentials"),
        "[kmstest]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = profile-secret\n",
    )
    .unwrap();
    let profile = |c: &mut Command| {
        c.env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env("AWS_CONFIG_FILE", d.join("config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", d.join("credentials"));
    };
    let (enc, plain) = (d.join("enc"), d.join("plain"));
    std::fs::create_dir_all(&enc).unwrap();
    std::fs::create_dir_all(&plain).unwrap();
    let (name, body) = INPUTS[0];
    let f = enc.join(name);
    std::fs::write(&f, body).unwrap();
    let mut c = tool("sops");
    kms.env(&mut c);
    profile(&mut c);
    c.args(["--encrypt", "--kms", ARN, "--aws-profile", "kmstest"])
        .arg(&f);
    let out = run_ok(c).stdout;
    assert!(text(&out).contains("aws_profile: kmstest"));
    std::fs::write(&f, out).unwrap();
    let mut c = tool("sops");
    kms.env(&mut c);
    profile(&mut c);
    c.arg("--decrypt").arg(&f);
    std::fs::write(plain.join(name), run_ok(c).stdout).unwrap();

    std::fs::write(enc.join("kustomization.yaml"), "generators:\n- gen.yaml\n").unwrap();
    std::fs::write(
        enc.join("gen.yaml"),
        format!("apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: app\nfiles:\n- {name}\n"),
    )
    .unwrap();
    std::fs::write(
        plain.join("kustomization.yaml"),
        format!("secretGenerator:\n- name: app\n  files:\n  - {name}\n"),
    )
    .unwrap();
    let mut c = tool("kustomize");
    c.arg("build").arg(&plain);
    let want = run_ok(c).stdout;

    let home = d.join("plugins");
    let out = Command::new(env!("CARGO_BIN_EXE_secretgen"))
        .args(["plugin", "install", "--plugin-home"])
        .arg(&home)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    let mut path =
        std::ffi::OsString::from(Path::new(env!("CARGO_BIN_EXE_secretgen")).parent().unwrap());
    path.push(":");
    path.push(common::path_with_tools());
    let mut c = tool("kustomize");
    kms.env(&mut c);
    profile(&mut c);
    c.args(["build", "--enable-alpha-plugins", "--enable-exec"])
        .arg(&enc)
        .env("KUSTOMIZE_PLUGIN_HOME", &home)
        .env("PATH", path);
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_eq!(text(&out.stdout), text(&want));
}

/// A `sops keyservice` holding the KMS credentials (secretgen has none, and its local keys
/// are off): files read by several generators through two overlays of one base render as
/// their plaintext twins, and the service is asked once per file, as the emulator's log of
/// Decrypt calls counts (remote answers are kept for the run like local ones).
#[test]
fn a_key_service_is_asked_once_per_file_however_often_the_tree_reads_it() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let kms = Kms::start(d);
    let socket = d.join("keyservice.sock");
    let mut c = tool("sops");
    kms.env(&mut c)
        .args(["keyservice", "--network", "unix", "--address"])
        .arg(&socket)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let service = KillOnDrop(c.spawn().unwrap());
    let start = Instant::now();
    while std::os::unix::net::UnixStream::connect(&socket).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "sops keyservice did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let base = "secretGenerator:\n- name: one\n  files:\n  - config.yaml\n- name: two\n  files:\n  - config.yaml\n  envs:\n  - app.env\n";
    for tree in ["enc", "plain"] {
        for (dir, k) in [
            ("base", base.to_string()),
            ("a", "resources:\n- ../base\nnamePrefix: a-\n".into()),
            ("b", "resources:\n- ../base\nnamePrefix: b-\n".into()),
            ("all", "resources:\n- ../a\n- ../b\n".into()),
        ] {
            std::fs::create_dir_all(d.join(tree).join(dir)).unwrap();
            std::fs::write(d.join(tree).join(dir).join("kustomization.yaml"), k).unwrap();
        }
    }
    let files = [INPUTS[0], INPUTS[2]];
    for (name, body) in files {
        let f = d.join("enc/base").join(name);
        std::fs::write(&f, body).unwrap();
        let out = sops(&kms, &["--encrypt", "--kms", ARN], &f);
        std::fs::write(&f, out).unwrap();
        std::fs::write(
            d.join("plain/base").join(name),
            sops(&kms, &["--decrypt"], &f),
        )
        .unwrap();
    }
    let mut c = tool("kustomize");
    c.arg("build").arg(d.join("plain/all"));
    let want = run_ok(c).stdout;

    let uri = format!("unix://{}", socket.display());
    let before = kms.calls();
    let mut c = Command::new(env!("CARGO_BIN_EXE_secretgen"));
    isolate(&mut c, d);
    c.env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("SOPS_KEYSERVICE")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .args(["--keyservice", &uri, "--enable-local-keyservice=false"])
        .arg("render")
        .arg(d.join("enc/all"));
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_eq!(text(&out.stdout), text(&want));
    // config.yaml is read four times and app.env twice: one Decrypt each.
    assert_eq!(kms.calls() - before, files.len());
    drop(service);
}

/// A child process, killed when dropped.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A new GnuPG home in `dir` with one test key: its path and fingerprint.
fn gpg_home(dir: &Path) -> (PathBuf, String) {
    use std::os::unix::fs::PermissionsExt;
    let home = dir.join("gnupg");
    std::fs::create_dir(&home).unwrap();
    std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700)).unwrap();
    let mut c = Command::new("gpg");
    c.args(["--batch", "--passphrase", "", "--quick-gen-key"])
        .args(["secretgen test <t@example.invalid>", "default", "default"])
        .arg("never")
        .env("GNUPGHOME", &home);
    run_ok(c);
    let mut c = Command::new("gpg");
    c.args(["--batch", "--with-colons", "--list-secret-keys"])
        .env("GNUPGHOME", &home);
    let fpr = text(&run_ok(c).stdout)
        .lines()
        .find_map(|l| l.strip_prefix("fpr:"))
        .map(|l| l.trim_matches(':').to_string())
        .unwrap();
    (home, fpr)
}

/// Without the keys (no PGP secret key in GNUPGHOME, no AWS credentials), a PGP entry and a
/// KMS entry are missing keys as a missing age identity is: `--placeholder` stands in for
/// them in render, check and diff, and without it each mode refuses naming the key; the exec
/// plugin and the KRM function (which have no `--placeholder`: what kustomize builds is
/// deployed) refuse them with the exit code of a missing age key.
#[test]
fn unopenable_pgp_and_kms_entries_are_missing_keys_in_every_mode() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let kms = Kms::start(d);
    let (gnupg, fpr) = gpg_home(d);
    let empty = d.join("empty-gnupg");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::create_dir(&empty).unwrap();
        std::fs::set_permissions(&empty, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let tree = d.join("tree");
    std::fs::create_dir(&tree).unwrap();
    let canary = "placeholder-canary-9d4";
    let encrypt = |name: &str, body: &str, args: &[&str]| {
        let f = tree.join(name);
        std::fs::write(&f, body).unwrap();
        let mut c = tool("sops");
        kms.env(&mut c).env("GNUPGHOME", &gnupg).args(args).arg(&f);
        let out = run_ok(c).stdout;
        assert!(!text(&out).contains(canary));
        std::fs::write(&f, out).unwrap();
    };
    encrypt(
        "pgp.yaml",
        &format!("password: {canary}\n"),
        &["--encrypt", "--pgp", &fpr],
    );
    encrypt(
        "kms.env",
        &format!("API_KEY={canary}\n"),
        &["--encrypt", "--kms", ARN],
    );
    // An age recipient whose identity is given to no one: the reference missing key.
    let mut c = tool("age-keygen");
    c.arg("-o").arg(d.join("stranger.txt"));
    run_ok(c);
    let stranger = std::fs::read_to_string(d.join("stranger.txt"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("# public key: ").map(str::to_string))
        .unwrap();
    encrypt(
        "age.yaml",
        &format!("password: {canary}\n"),
        &["--encrypt", "--age", &stranger],
    );
    let generator = |name: &str, files: &[&str], envs: &[&str]| {
        let mut g = format!(
            "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: {name}\n"
        );
        for (field, list) in [("files", files), ("envs", envs)] {
            if !list.is_empty() {
                g.push_str(&format!("{field}:\n"));
                for f in list {
                    g.push_str(&format!("- {f}\n"));
                }
            }
        }
        g
    };
    let pgp_gen = generator("db", &["pgp.yaml"], &[]);
    let kms_gen = generator("api", &[], &["kms.env"]);
    std::fs::write(
        tree.join("secretgen.yaml"),
        format!("{pgp_gen}---\n{kms_gen}"),
    )
    .unwrap();
    std::fs::write(tree.join("deploy.yaml"), "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        env:\n        - name: A\n          valueFrom:\n            secretKeyRef: {name: db, key: pgp.yaml}\n        - name: B\n          valueFrom:\n            secretKeyRef: {name: api, key: API_KEY}\n").unwrap();
    let keyless = |args: &[&str], stdin: Option<&str>| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_secretgen"));
        isolate(&mut c, &tree);
        kms.env(&mut c)
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env("AWS_CONFIG_FILE", d.join("none"))
            .env("AWS_SHARED_CREDENTIALS_FILE", d.join("none"))
            .env("GNUPGHOME", &empty)
            .env_remove("SOPS_KEYSERVICE")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        let input = stdin.unwrap_or("").to_string();
        let mut pipe = child.stdin.take().unwrap();
        let writer = std::thread::spawn(move || {
            use std::io::Write as _;
            let _ = pipe.write_all(input.as_bytes());
        });
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap();
        let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert!(!all.contains(canary) && !all.contains("ENC["), "{all}");
        out
    };
    let names_both = |err: &str| {
        assert!(err.contains(&format!("PGP {fpr}")), "{err}");
        assert!(err.contains(&format!("AWS KMS {ARN}")), "{err}");
    };

    // render
    let out = keyless(&["render", "secretgen.yaml"], None);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(out.stdout.is_empty());
    names_both(&text(&out.stderr));
    let out = keyless(&["render", "--placeholder", "secretgen.yaml"], None);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let yaml = text(&out.stdout);
    assert!(
        yaml.contains("secretgen.dev/placeholder: \"true\""),
        "{yaml}"
    );
    // base64 of `secretgen-placeholder`.
    assert!(
        yaml.contains("pgp.yaml: c2VjcmV0Z2VuLXBsYWNlaG9sZGVy"),
        "{yaml}"
    );
    assert!(
        text(&out.stderr).contains("kms.env` could not be decrypted: its keys are left out"),
        "{}",
        text(&out.stderr)
    );

    // check
    let out = keyless(&["check", "."], None);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    names_both(&text(&out.stderr));
    let out = keyless(&["check", "--placeholder", "."], None);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let notes = text(&out.stderr);
    assert!(
        notes.contains("key `API_KEY` of Secret `api` could not be checked"),
        "{notes}"
    );
    assert!(!notes.contains("env `A`"), "{notes}");
    let out = keyless(&["check", "--placeholder", "--strict", "."], None);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));

    // diff: the tree against itself
    let out = keyless(&["diff", ".", "."], None);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    names_both(&text(&out.stderr));
    let out = keyless(&["diff", "--placeholder", ".", "."], None);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(
        text(&out.stdout).contains("not compared"),
        "{}",
        describe(&out)
    );
    let out = keyless(&["diff", "--placeholder", "--strict", ".", "."], None);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));

    // The exec plugin and the KRM function: refused as a missing age key is.
    std::fs::write(
        tree.join("age-gen.yaml"),
        generator("a", &["age.yaml"], &[]),
    )
    .unwrap();
    let age = keyless(&["plugin", "exec", "age-gen.yaml"], None);
    assert_ne!(age.status.code(), Some(0), "{}", describe(&age));
    for (name, g, key) in [
        ("pgp-gen.yaml", &pgp_gen, format!("PGP {fpr}")),
        ("kms-gen.yaml", &kms_gen, format!("AWS KMS {ARN}")),
    ] {
        std::fs::write(tree.join(name), g).unwrap();
        let out = keyless(&["plugin", "exec", name], None);
        assert_eq!(out.status.code(), age.status.code(), "{}", describe(&out));
        assert!(out.stdout.is_empty());
        assert!(text(&out.stderr).contains(&key), "{}", describe(&out));
    }
    let list = |g: String| {
        let indented: String = g.lines().map(|l| format!("  {l}\n")).collect();
        format!(
            "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nfunctionConfig:\n{indented}"
        )
    };
    let age = keyless(&["fn"], Some(&list(generator("a", &["age.yaml"], &[]))));
    assert_ne!(age.status.code(), Some(0), "{}", describe(&age));
    for (g, key) in [
        (&pgp_gen, format!("PGP {fpr}")),
        (&kms_gen, format!("AWS KMS {ARN}")),
    ] {
        let out = keyless(&["fn"], Some(&list(g.clone())));
        assert_eq!(out.status.code(), age.status.code(), "{}", describe(&out));
        let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert!(all.contains(&key), "{all}");
    }
    let _ = Command::new("gpgconf")
        .args(["--kill", "gpg-agent"])
        .env("GNUPGHOME", &gnupg)
        .output();
}
