//! The key service client against a real `sops keyservice` (sops 3.13.3 from `.tools/bin`),
//! holding an age key or a PGP key (in its own GNUPGHOME) this process is not given: the
//! data key it unwraps is the one that was wrapped, over a unix socket and over tcp, one
//! wrapped by the service itself opens again, and files sops encrypted to those keys render
//! as `sops --decrypt` prints them.

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use secretgen::sops::keys::keyservice::{KeyServices, ServiceKey};

fn tool(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(".tools/bin")
        .join(name)
}

/// A running `sops keyservice`, stopped when dropped.
pub(crate) struct Service(Child);

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `sops keyservice` on `network`/`address` with the age key file, and waits until it
/// accepts connections.
pub(crate) fn start(network: &str, address: &str, key_file: &Path) -> Service {
    start_with(network, address, key_file, &[])
}

/// [`start`], with the variables `envs` (a GNUPGHOME) given to the service.
pub(crate) fn start_with(
    network: &str,
    address: &str,
    key_file: &Path,
    envs: &[(&str, &Path)],
) -> Service {
    let child = Command::new(tool("sops"))
        .args(["keyservice", "--network", network, "--address", address])
        .env("SOPS_AGE_KEY_FILE", key_file)
        .envs(envs.iter().copied())
        .env_remove("SOPS_KEYSERVICE")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("sops keyservice starts");
    let service = Service(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let up = if network == "unix" {
            std::os::unix::net::UnixStream::connect(address).is_ok()
        } else {
            std::net::TcpStream::connect(address).is_ok()
        };
        if up {
            return service;
        }
        assert!(Instant::now() < deadline, "sops keyservice did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A new age identity in `dir`: its key file and recipient.
pub(crate) fn age_key(dir: &Path) -> (PathBuf, String) {
    let file = dir.join("service-key.txt");
    let out = Command::new(tool("age-keygen"))
        .arg("-o")
        .arg(&file)
        .output()
        .expect("age-keygen runs");
    assert!(out.status.success());
    let text = std::fs::read_to_string(&file).unwrap();
    let recipient = text
        .lines()
        .find_map(|l| l.strip_prefix("# public key: "))
        .expect("a public key line")
        .to_string();
    (file, recipient)
}

/// `data` wrapped to `recipient` as sops stores an age `enc` value (armored).
fn wrap(recipient: &str, data: &[u8]) -> Vec<u8> {
    let mut child = Command::new(tool("age"))
        .args(["-a", "-r", recipient])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("age runs");
    child.stdin.take().unwrap().write_all(data).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    out.stdout
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn a_real_key_service_unwraps_an_age_data_key_over_unix_and_tcp() {
    let dir = tempfile::tempdir().unwrap();
    let (key_file, recipient) = age_key(dir.path());
    let data_key: Vec<u8> = (0u8..32).map(|i| i.wrapping_mul(37) ^ 0x5a).collect();
    let enc = wrap(&recipient, &data_key);
    let key = ServiceKey::Age {
        recipient: recipient.clone(),
    };

    let socket = dir.path().join("keyservice.sock");
    let _unix = start("unix", socket.to_str().unwrap(), &key_file);
    let uri = format!("unix://{}", socket.display());
    let services = KeyServices::from_uris(false, &[uri.as_str()]).unwrap();
    let opened = services.decrypt(&key, &enc).expect("the service opens it");
    assert_eq!(opened.as_slice(), data_key.as_slice());

    // The service wraps a key for its recipient; it opens again.
    let rewrapped = services
        .encrypt(&key, &data_key)
        .expect("the service wraps it");
    assert!(rewrapped.starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----"));
    let opened = services.decrypt(&key, &rewrapped).unwrap();
    assert_eq!(opened.as_slice(), data_key.as_slice());

    let address = format!("127.0.0.1:{}", free_port());
    let _tcp = start("tcp", &address, &key_file);
    let uri = format!("tcp://{address}");
    // A first service that is not there is named, and the next one is asked.
    let absent = format!("unix://{}/absent.sock", dir.path().display());
    let services = KeyServices::from_uris(false, &[absent.as_str(), uri.as_str()]).unwrap();
    let opened = services
        .decrypt(&key, &enc)
        .expect("the tcp service opens it");
    assert_eq!(opened.as_slice(), data_key.as_slice());
}

#[test]
fn a_key_the_service_does_not_hold_is_refused_with_its_uri_and_no_value() {
    let dir = tempfile::tempdir().unwrap();
    let (key_file, _) = age_key(dir.path());
    let other = tempfile::tempdir().unwrap();
    let (_, stranger) = age_key(other.path());
    let data_key = [7u8; 32];
    let enc = wrap(&stranger, &data_key);
    let socket = dir.path().join("keyservice.sock");
    let _unix = start("unix", socket.to_str().unwrap(), &key_file);
    let uri = format!("unix://{}", socket.display());
    let services = KeyServices::from_uris(false, &[uri.as_str()]).unwrap();
    let key = ServiceKey::Age {
        recipient: stranger,
    };
    let failures = services.decrypt(&key, &enc).unwrap_err();
    assert_eq!(failures.len(), 1);
    let text = failures[0].to_string();
    assert!(text.contains(&uri), "{text}");
    assert!(!text.contains("BEGIN AGE"), "{text}");
}

/// `sops --encrypt` of `plain` (a YAML file in `dir`) to the age recipient.
fn sops_encrypt(dir: &Path, name: &str, plain: &str, recipient: &str) -> Vec<u8> {
    std::fs::write(dir.join(name), plain).unwrap();
    let out = Command::new(tool("sops"))
        .args(["--encrypt", "--age", recipient, name])
        .current_dir(dir)
        .env_remove("SOPS_AGE_KEY_FILE")
        .output()
        .expect("sops runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// `secretgen render DIR` with the key services given, and only a throwaway age key and an
/// empty GnuPG home of its own.
fn render(dir: &Path, own: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_secretgen"))
        .args(args)
        .arg("render")
        .arg(dir)
        .env("SOPS_AGE_KEY_FILE", own.join("service-key.txt"))
        .env("GNUPGHOME", own)
        .env_remove("SOPS_KEYSERVICE")
        .env_remove("SOPS_ENABLE_LOCAL_KEYSERVICE")
        .env_remove("SOPS_AGE_KEY")
        .env_remove("SOPS_AGE_KEY_CMD")
        .output()
        .expect("secretgen runs")
}

#[test]
fn render_opens_a_sops_file_through_the_key_service_as_sops_decrypts_it() {
    let held = tempfile::tempdir().unwrap();
    let (key_file, recipient) = age_key(held.path());
    let own = tempfile::tempdir().unwrap();
    age_key(own.path()); // a key of its own that opens nothing here
    let generator = "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: s\nfiles:\n  - basic.yaml\n";
    let plain = "user: admin\npassword: hunter2 # note\nlist:\n  - 1\n  - two\n";

    let work = tempfile::tempdir().unwrap();
    let enc = sops_encrypt(work.path(), "basic.yaml", plain, &recipient);
    let tree = tempfile::tempdir().unwrap();
    std::fs::write(tree.path().join("basic.yaml"), &enc).unwrap();
    std::fs::write(tree.path().join("secretgen.yaml"), generator).unwrap();

    // What sops itself prints, rendered as a plaintext input: the expected output.
    let out = Command::new(tool("sops"))
        .args(["--decrypt", "basic.yaml"])
        .current_dir(tree.path())
        .env("SOPS_AGE_KEY_FILE", &key_file)
        .output()
        .unwrap();
    assert!(out.status.success());
    let expected_tree = tempfile::tempdir().unwrap();
    std::fs::write(expected_tree.path().join("basic.yaml"), &out.stdout).unwrap();
    std::fs::write(expected_tree.path().join("secretgen.yaml"), generator).unwrap();
    let expected = render(expected_tree.path(), own.path(), &[]);
    assert!(expected.status.success());

    let socket = held.path().join("keyservice.sock");
    let _unix = start("unix", socket.to_str().unwrap(), &key_file);
    let uri = format!("unix://{}", socket.display());

    // Local keys off: only the service opens it.
    let got = render(
        tree.path(),
        own.path(),
        &["--keyservice", &uri, "--enable-local-keyservice=false"],
    );
    assert!(
        got.status.success(),
        "{}",
        String::from_utf8_lossy(&got.stderr)
    );
    assert_eq!(got.stdout, expected.stdout);

    // Local keys on (the default) but without this key: the service is asked after them.
    let got = render(tree.path(), own.path(), &["--keyservice", &uri]);
    assert!(
        got.status.success(),
        "{}",
        String::from_utf8_lossy(&got.stderr)
    );
    assert_eq!(got.stdout, expected.stdout);

    // Without the service the file does not open.
    let got = render(tree.path(), own.path(), &[]);
    assert_eq!(got.status.code(), Some(2));
    assert!(got.stdout.is_empty());

    // An unreachable service: exit 2, the URI named, no value.
    let absent = format!("unix://{}/absent.sock", held.path().display());
    let got = render(
        tree.path(),
        own.path(),
        &["--keyservice", &absent, "--enable-local-keyservice=false"],
    );
    assert_eq!(got.status.code(), Some(2));
    assert!(got.stdout.is_empty());
    let err = String::from_utf8_lossy(&got.stderr);
    assert!(err.contains(&absent), "{err}");
    assert!(!err.contains("hunter2") && !err.contains("admin"), "{err}");
}

/// A new GnuPG home in `dir` holding one test key without a passphrase: its path and the
/// key's fingerprint.
fn gpg_home(dir: &Path) -> (PathBuf, String) {
    let home = dir.join("gnupg");
    std::fs::create_dir(&home).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let out = Command::new("gpg")
        .args(["--batch", "--passphrase", "", "--quick-gen-key"])
        .args([
            "secretgen service test <service@example.invalid>",
            "default",
            "default",
            "never",
        ])
        .env("GNUPGHOME", &home)
        .output()
        .expect("gpg runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new("gpg")
        .args(["--batch", "--with-colons", "--list-secret-keys"])
        .env("GNUPGHOME", &home)
        .output()
        .unwrap();
    let fpr = String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("fpr:"))
        .map(|l| l.trim_matches(':').to_string())
        .expect("a fingerprint");
    (home, fpr)
}

/// Stops the gpg-agent a GnuPG home started.
struct AgentOf(PathBuf);

impl Drop for AgentOf {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .args(["--kill", "gpg-agent"])
            .env("GNUPGHOME", &self.0)
            .output();
    }
}

/// PGP keys held by a real `sops keyservice` (its GNUPGHOME holds the secret key; the one
/// secretgen runs gpg with is empty): files sops 3.13.3 encrypted to that key, in several
/// formats, render as their plaintext twins (what `sops --decrypt` printed), with local
/// keys on (gpg finds nothing, then the service is asked) and off; without the service the
/// file is refused naming the PGP key, and no value.
#[test]
fn a_real_key_service_opens_pgp_files_with_a_key_secretgen_is_not_given() {
    let held = tempfile::tempdir().unwrap();
    let (gnupg, fpr) = gpg_home(held.path());
    let _agent = AgentOf(gnupg.clone());
    let own = tempfile::tempdir().unwrap();
    age_key(own.path());
    let _own_agent = AgentOf(own.path().to_path_buf());
    let plain: [(&str, &str); 3] = [
        (
            "p.yaml",
            "user: admin\npassword: pgp-canary-3e1 # note\nlist:\n    - 1\n    - two\n",
        ),
        ("p.json", "{\"token\": \"pgp-canary-3e1\", \"n\": 1.50}\n"),
        ("p.env", "API_KEY=pgp-canary-3e1\nMODE=prod\n"),
    ];
    let generator = "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: s\nfiles:\n  - p.yaml\n  - p.json\nenvs:\n  - p.env\n";
    let tree = tempfile::tempdir().unwrap();
    let twin = tempfile::tempdir().unwrap();
    for (name, text) in plain {
        let work = tempfile::tempdir().unwrap();
        std::fs::write(work.path().join(name), text).unwrap();
        let out = Command::new(tool("sops"))
            .args(["--encrypt", "--pgp", &fpr, name])
            .current_dir(work.path())
            .env("GNUPGHOME", &gnupg)
            .env("SOPS_DISABLE_VERSION_CHECK", "1")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!String::from_utf8_lossy(&out.stdout).contains("pgp-canary-3e1"));
        std::fs::write(tree.path().join(name), &out.stdout).unwrap();
        let out = Command::new(tool("sops"))
            .args(["--decrypt", name])
            .current_dir(tree.path())
            .env("GNUPGHOME", &gnupg)
            .env("SOPS_DISABLE_VERSION_CHECK", "1")
            .output()
            .unwrap();
        assert!(out.status.success());
        std::fs::write(twin.path().join(name), &out.stdout).unwrap();
    }
    std::fs::write(tree.path().join("secretgen.yaml"), generator).unwrap();
    std::fs::write(twin.path().join("secretgen.yaml"), generator).unwrap();
    let expected = render(twin.path(), own.path(), &[]);
    assert!(
        expected.status.success(),
        "{}",
        String::from_utf8_lossy(&expected.stderr)
    );

    let socket = held.path().join("keyservice.sock");
    let child = Command::new(tool("sops"))
        .args(["keyservice", "--network", "unix", "--address"])
        .arg(&socket)
        .env("GNUPGHOME", &gnupg)
        .env_remove("SOPS_KEYSERVICE")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("sops keyservice starts");
    let service = Service(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::os::unix::net::UnixStream::connect(&socket).is_err() {
        assert!(Instant::now() < deadline, "sops keyservice did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let uri = format!("unix://{}", socket.display());

    // Local keys on: this gpg has no key, the service has.
    let got = render(tree.path(), own.path(), &["--keyservice", &uri]);
    assert!(
        got.status.success(),
        "{}",
        String::from_utf8_lossy(&got.stderr)
    );
    assert_eq!(got.stdout, expected.stdout);
    // Local keys off: only the service.
    let got = render(
        tree.path(),
        own.path(),
        &["--keyservice", &uri, "--enable-local-keyservice=false"],
    );
    assert!(
        got.status.success(),
        "{}",
        String::from_utf8_lossy(&got.stderr)
    );
    assert_eq!(got.stdout, expected.stdout);
    drop(service);

    // Without the service: refused, the PGP key named, no value.
    let got = render(tree.path(), own.path(), &[]);
    assert_eq!(got.status.code(), Some(2));
    assert!(got.stdout.is_empty());
    let err = String::from_utf8_lossy(&got.stderr);
    assert!(err.contains(&format!("PGP {fpr}")), "{err}");
    assert!(!err.contains("pgp-canary-3e1"), "{err}");
}
