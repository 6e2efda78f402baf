//! `secretgen create` against the live `kubectl create secret … --dry-run=client -o yaml`:
//! every kubectl-create case of the corpus is run through both tools in the same directory
//! (`kubectl` replaced by `secretgen` in the recorded command); successes must print the
//! same bytes (and the recorded `expected.yaml`), failures must fail (exit 2, stdout empty).

use std::path::Path;
use std::process::{Command, Output};

use libtest_mimic::{Failed, Trial};

use crate::common::{corpus_dir, describe, materialize, shell_words, text};

fn run(program: &str, env: &[(String, String)], args: &[String], dir: &Path) -> Output {
    let mut c = Command::new(program);
    c.args(args).current_dir(dir).env_remove("KCORPUS_FROM_ENV");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

/// Cases where kubectl succeeds but loses data, which secretgen refuses instead.
const STRICTER: &[(&str, &str)] = &[(
    "generic-from-env-file-line-too-long",
    "an env line of 64 KiB or more: kubectl silently drops it and every line after it",
)];

fn case(dir: &Path) -> Result<(), Failed> {
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    let stricter = STRICTER.iter().find(|(c, _)| *c == name);
    let cmd = std::fs::read_to_string(dir.join("cmd.sh"))?;
    let line = cmd
        .lines()
        .find(|l| l.contains("kubectl create secret"))
        .ok_or("no kubectl line")?;
    let words = shell_words(line);
    let at = words
        .iter()
        .position(|w| w == "kubectl")
        .ok_or("no kubectl")?;
    let env: Vec<(String, String)> = words[..at]
        .iter()
        .filter_map(|w| {
            w.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
        })
        .collect();
    let args = &words[at + 1..];
    let copy = materialize(dir);
    let kubectl = run("kubectl", &env, args, copy.path());
    // `kubectl create secret FORM …` is `secretgen create FORM …`.
    let ours_args: Vec<String> = args.iter().filter(|a| *a != "secret").cloned().collect();
    let ours = run(
        env!("CARGO_BIN_EXE_secretgen"),
        &env,
        &ours_args,
        copy.path(),
    );
    let recorded = std::fs::read_to_string(dir.join("expected.yaml")).ok();
    if let Some((_, why)) = stricter {
        if ours.status.code() != Some(2) || !ours.stdout.is_empty() {
            return Err(format!("secretgen must refuse ({why})\n{}", describe(&ours)).into());
        }
        return Ok(());
    }
    match recorded {
        Some(expected) => {
            if !kubectl.status.success() || text(&kubectl.stdout) != expected {
                return Err(format!(
                    "live kubectl no longer prints the recorded output\n{}",
                    describe(&kubectl)
                )
                .into());
            }
            if !ours.status.success() {
                return Err(format!(
                    "secretgen failed where kubectl succeeded\n{}",
                    describe(&ours)
                )
                .into());
            }
            if text(&ours.stdout) != expected {
                let diff = similar::TextDiff::from_lines(&expected, text(&ours.stdout))
                    .unified_diff()
                    .header("kubectl", "secretgen")
                    .to_string();
                return Err(format!("output differs:\n{diff}").into());
            }
        }
        None => {
            if kubectl.status.success() {
                return Err("kubectl succeeded where the corpus recorded a failure".into());
            }
            if ours.status.code() != Some(2) || !ours.stdout.is_empty() {
                return Err(format!(
                    "secretgen must fail with exit 2 and no output (kubectl: {})\n{}",
                    text(&kubectl.stderr).trim(),
                    describe(&ours)
                )
                .into());
            }
        }
    }
    Ok(())
}

/// Forms kubectl lacks, checked for their type and keys, and `--generator` output rendering
/// back to the same Secret.
fn extra_forms() -> Result<(), Failed> {
    let t = tempfile::tempdir()?;
    std::fs::write(t.path().join("pass.txt"), "s3cret")?;
    std::fs::write(
        t.path().join("id_ed25519"),
        "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----\n",
    )?;
    let bin = env!("CARGO_BIN_EXE_secretgen");
    let out = Command::new(bin)
        .args([
            "create",
            "basic-auth",
            "git",
            "--username=bot",
            "--password-file=pass.txt",
        ])
        .current_dir(t.path())
        .output()?;
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(
        text(&out.stdout),
        "apiVersion: v1\ndata:\n  password: czNjcmV0\n  username: Ym90\nkind: Secret\nmetadata:\n  creationTimestamp: null\n  name: git\ntype: kubernetes.io/basic-auth\n"
    );
    let out = Command::new(bin)
        .args([
            "create",
            "ssh-auth",
            "deploy",
            "--ssh-privatekey=id_ed25519",
        ])
        .current_dir(t.path())
        .output()?;
    assert!(out.status.success(), "{}", describe(&out));
    assert!(text(&out.stdout).contains("  ssh-privatekey: LS0tLS1CRUdJTi"));
    assert!(text(&out.stdout).ends_with("type: kubernetes.io/ssh-auth\n"));

    // --generator: a manifest that renders the same data, with kubectl's hash.
    let out = Command::new(bin)
        .args([
            "create",
            "generic",
            "db",
            "--from-file=password=pass.txt",
            "--from-literal=user=admin",
            "--append-hash",
            "--generator",
        ])
        .current_dir(t.path())
        .output()?;
    assert!(out.status.success(), "{}", describe(&out));
    let manifest = text(&out.stdout);
    assert!(
        !manifest.contains("s3cret"),
        "a file's value was inlined:\n{manifest}"
    );
    std::fs::write(t.path().join("gen.yaml"), &manifest)?;
    let rendered = Command::new(bin)
        .args(["render", "gen.yaml"])
        .current_dir(t.path())
        .output()?;
    assert!(
        rendered.status.success(),
        "{}\n{manifest}",
        describe(&rendered)
    );
    let created = Command::new(bin)
        .args([
            "create",
            "generic",
            "db",
            "--from-file=password=pass.txt",
            "--from-literal=user=admin",
            "--append-hash",
        ])
        .current_dir(t.path())
        .output()?;
    let name = |o: &Output| {
        text(&o.stdout)
            .lines()
            .find(|l| l.starts_with("  name: "))
            .map(str::to_string)
    };
    assert_eq!(
        name(&rendered),
        name(&created),
        "the generator must render the kubectl name"
    );
    Ok(())
}

/// Every form, printed directly and through `--generator` then `render`: the same bytes
/// (the manifest says `output: kubectl`), and where kubectl has the form, the same bytes
/// as the live `kubectl create secret … --dry-run=client -o yaml`.
fn generator_round_trip_every_form() -> Result<(), Failed> {
    let t = tempfile::tempdir()?;
    let d = t.path();
    let types = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/types");
    for f in ["tls.crt", "tls.key", "config.json", "id_ed25519"] {
        std::fs::copy(types.join(f), d.join(f))?;
    }
    std::fs::write(d.join("pass.txt"), "s3cret")?;
    std::fs::write(
        d.join("app.env"),
        "# comment\nDB_USER=admin\nDB_PASS=\"quoted\"\n",
    )?;
    std::fs::create_dir(d.join("dir"))?;
    std::fs::write(d.join("dir/a.txt"), "a")?;
    std::fs::write(d.join("dir/b"), "b\n")?;
    let forms: &[(&[&str], bool)] = &[
        (
            &[
                "generic",
                "db",
                "--from-file=password=pass.txt",
                "--from-file=dir",
                "--from-literal=user=admin",
                "-n",
                "prod",
                "--type=Opaque",
                "--append-hash",
            ],
            true,
        ),
        (
            &[
                "generic",
                "db",
                "--from-file=pass.txt",
                "--from-literal=user=admin",
            ],
            true,
        ),
        (&["generic", "env", "--from-env-file=app.env"], true),
        (
            &[
                "generic",
                "env",
                "--from-env-file=app.env",
                "--namespace=prod",
                "--append-hash",
            ],
            true,
        ),
        (
            &[
                "generic",
                "typed",
                "--from-literal=k=v",
                "--type=example.com/x",
                "--append-hash",
            ],
            true,
        ),
        (&["tls", "web", "--cert=tls.crt", "--key=tls.key"], true),
        (
            &[
                "tls",
                "web",
                "--cert=tls.crt",
                "--key=tls.key",
                "-n",
                "prod",
                "--append-hash",
            ],
            true,
        ),
        (
            &[
                "docker-registry",
                "reg",
                "--from-file=.dockerconfigjson=config.json",
                "--append-hash",
            ],
            true,
        ),
        (
            &[
                "basic-auth",
                "git",
                "--username=bot",
                "--password-file=pass.txt",
            ],
            false,
        ),
        (
            &[
                "ssh-auth",
                "deploy",
                "--ssh-privatekey=id_ed25519",
                "--append-hash",
            ],
            false,
        ),
    ];
    let bin = env!("CARGO_BIN_EXE_secretgen");
    let run =
        |program: &str, args: &[&str]| Command::new(program).args(args).current_dir(d).output();
    for (args, kubectl_has_it) in forms {
        let created = run(bin, &[&["create"], *args].concat())?;
        if !created.status.success() {
            return Err(format!("{args:?}: {}", describe(&created)).into());
        }
        if *kubectl_has_it {
            let mut k = vec!["create", "secret"];
            k.extend_from_slice(args);
            k.extend(["--dry-run=client", "-o", "yaml"]);
            let live = run("kubectl", &k)?;
            if !live.status.success() || live.stdout != created.stdout {
                return Err(format!(
                    "{args:?}: differs from kubectl\n--- kubectl\n{}\n--- secretgen\n{}",
                    describe(&live),
                    text(&created.stdout)
                )
                .into());
            }
        }
        let generator = run(bin, &[&["create"], *args, &["--generator"]].concat())?;
        if !generator.status.success() {
            return Err(format!("{args:?} --generator: {}", describe(&generator)).into());
        }
        let manifest = text(&generator.stdout);
        // The schema modeline for editors, then the manifest.
        let Some(body) = manifest.strip_prefix(&secretgen::kustomize::schema::modeline()) else {
            return Err(format!("{args:?}: no schema modeline:\n{manifest}").into());
        };
        if !body.starts_with("apiVersion: secretgen.dev/v1\n") || manifest.contains("s3cret") {
            return Err(
                format!("{args:?}: not a manifest that references files:\n{manifest}").into(),
            );
        }
        std::fs::write(d.join("gen.yaml"), &manifest)?;
        let rendered = run(bin, &["render", "gen.yaml"])?;
        if !rendered.status.success() {
            return Err(format!("{args:?}: {manifest}\n{}", describe(&rendered)).into());
        }
        // `output: kubectl` in the manifest: the rendered Secret is the created one, byte
        // for byte (and so kubectl's where kubectl has the form).
        if rendered.stdout != created.stdout {
            return Err(format!(
                "{args:?}: the generator renders another Secret\n{manifest}\n--- rendered\n{}\n--- created\n{}",
                text(&rendered.stdout),
                text(&created.stdout)
            )
            .into());
        }
    }
    Ok(())
}

pub fn trials() -> Vec<Trial> {
    let root = corpus_dir().join("kubectl-create");
    let dirs = crate::common::case_paths(&root, |_| true);
    let mut trials: Vec<Trial> = dirs
        .into_iter()
        .map(|d| {
            let name = format!(
                "kubectl_create::{}",
                d.file_name().unwrap().to_string_lossy()
            );
            trial!(name, move || case(&d))
        })
        .collect();
    trials.push(trial!("create::extra_forms_and_generator", extra_forms,));
    trials.push(trial!(
        "create::generator_round_trip_every_form",
        generator_round_trip_every_form,
    ));
    trials
}
