//! `deploy/argocd`, built and run as ArgoCD would: the kustomization builds with
//! `kubectl kustomize` (ArgoCD's install.yaml, which cannot be downloaded here, replaced by the
//! stand-in `tests/argocd/upstream.yaml`), the repo-server patch holds both routes, and the
//! sidecar's generate command, with the environment and files the patch gives it (the init
//! container's own command filling the shared volume, the identity from the Secret's mount),
//! renders a sample application through the pinned standalone kustomize.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_yaml_ng::Value;

const REMOTE: &str =
    "  - https://raw.githubusercontent.com/argoproj/argo-cd/stable/manifests/install.yaml\n";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `kubectl kustomize deploy/argocd`, with the stand-in for the remote install.
fn build(tmp: &Path) -> Vec<Value> {
    let dir = tmp.join("argocd");
    common::copy_tree(&repo().join("deploy/argocd"), &dir).unwrap();
    let k = std::fs::read_to_string(dir.join("kustomization.yaml")).unwrap();
    assert_eq!(k.matches(REMOTE).count(), 1, "the install URL moved:\n{k}");
    std::fs::write(
        dir.join("kustomization.yaml"),
        k.replace(REMOTE, "  - upstream.yaml\n"),
    )
    .unwrap();
    std::fs::copy(
        repo().join("tests/argocd/upstream.yaml"),
        dir.join("upstream.yaml"),
    )
    .unwrap();
    let out = Command::new("kubectl")
        .arg("kustomize")
        .arg(&dir)
        .env("PATH", common::path_with_tools())
        .output()
        .expect("kubectl");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    serde_yaml_ng::Deserializer::from_str(&text)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .collect()
}

fn find<'a>(docs: &'a [Value], kind: &str, name: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

fn named<'a>(list: &'a Value, name: &str) -> &'a Value {
    list.as_sequence()
        .unwrap_or_else(|| panic!("not a list: {list:?}"))
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {list:?}"))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_sequence()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

fn mount<'a>(container: &'a Value, path: &str) -> &'a Value {
    container["volumeMounts"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|m| m["mountPath"] == path)
        .unwrap_or_else(|| panic!("no mount at {path}"))
}

#[test]
fn the_kustomization_builds_with_both_routes() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = build(tmp.path());
    for d in &docs {
        assert_eq!(d["metadata"]["namespace"], "argocd", "{d:?}");
    }
    // Exec-plugin route.
    let cm = find(&docs, "ConfigMap", "argocd-cm");
    let opts = cm["data"]["kustomize.buildOptions"].as_str().unwrap();
    assert!(
        opts.contains("--enable-alpha-plugins") && opts.contains("--enable-exec"),
        "{opts}"
    );
    let dep = find(&docs, "Deployment", "argocd-repo-server");
    let pod = &dep["spec"]["template"]["spec"];
    let init = named(&pod["initContainers"], "install-secretgen");
    assert_eq!(
        strings(&init["command"])[..3],
        ["/usr/local/bin/secretgen", "plugin", "install"]
    );
    // ArgoCD's own init container is kept.
    named(&pod["initContainers"], "copyutil");
    let volumes = &pod["volumes"];
    for name in ["argocd-repo-server", "secretgen-cmp"] {
        let c = named(&pod["containers"], name);
        let env = &c["env"];
        assert_eq!(
            named(env, "KUSTOMIZE_PLUGIN_HOME")["value"],
            "/custom-tools/kustomize-plugin"
        );
        assert_eq!(
            named(env, "SECRETGEN_AGE_IDENTITY_FILE")["value"],
            "/etc/secretgen/keys.txt"
        );
        let key = mount(c, "/etc/secretgen");
        assert_eq!(key["readOnly"], true);
        let vol = named(volumes, key["name"].as_str().unwrap());
        assert_eq!(vol["secret"]["secretName"], "secretgen-age-key");
        assert_eq!(
            mount(c, "/usr/local/bin/secretgen")["subPath"],
            "secretgen",
            "{name}: secretgen on PATH"
        );
    }
    // Every mount names a volume of the pod.
    for list in ["containers", "initContainers"] {
        for c in pod[list].as_sequence().unwrap() {
            for m in c["volumeMounts"].as_sequence().unwrap() {
                named(volumes, m["name"].as_str().unwrap());
            }
        }
    }
    // The sidecar: user 999, a /tmp of its own, the plugin.yaml of this repository.
    let side = named(&pod["containers"], "secretgen-cmp");
    assert_eq!(side["securityContext"]["runAsUser"], 999);
    assert_eq!(side["securityContext"]["runAsNonRoot"], true);
    assert_eq!(
        strings(&side["command"]),
        ["/var/run/argocd/argocd-cmp-server"]
    );
    let tmp_vol = mount(side, "/tmp")["name"].as_str().unwrap();
    assert!(named(volumes, tmp_vol)["emptyDir"].is_mapping());
    let main = named(&pod["containers"], "argocd-repo-server");
    assert_ne!(
        mount(main, "/tmp")["name"],
        tmp_vol,
        "the sidecar shares /tmp"
    );
    let cfg = mount(side, "/home/argocd/cmp-server/config/plugin.yaml");
    assert_eq!(cfg["subPath"], "plugin.yaml");
    let cm_name = named(volumes, cfg["name"].as_str().unwrap())["configMap"]["name"]
        .as_str()
        .unwrap();
    let plugin = find(&docs, "ConfigMap", cm_name)["data"]["plugin.yaml"]
        .as_str()
        .unwrap();
    assert_eq!(
        plugin,
        std::fs::read_to_string(repo().join("deploy/argocd/secretgen/plugin.yaml")).unwrap()
    );
    let plugin: Value = serde_yaml_ng::from_str(plugin).unwrap();
    assert_eq!(plugin["kind"], "ConfigManagementPlugin");
    assert_eq!(
        strings(&plugin["spec"]["generate"]["command"]),
        [
            "kustomize",
            "build",
            "--enable-alpha-plugins",
            "--enable-exec",
            "."
        ]
    );
}

/// Maps the pod's paths onto the test's directory.
struct Pod {
    root: PathBuf,
}

impl Pod {
    fn path(&self, p: &str) -> String {
        for (from, to) in [("/custom-tools", "custom-tools"), ("/etc/secretgen", "etc")] {
            if let Some(rest) = p.strip_prefix(from) {
                return format!("{}{rest}", self.root.join(to).display());
            }
        }
        p.to_string()
    }
}

fn run(mut c: Command) -> String {
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{c:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_sidecar_generates_a_sample_application() {
    let kustomize = common::tools_bin().join("kustomize");
    assert!(
        kustomize.exists(),
        "{} missing: run tests/setup.sh (the standalone kustomize, pinned)",
        kustomize.display()
    );
    let tmp = tempfile::tempdir().unwrap();
    let docs = build(tmp.path());
    let pod = &find(&docs, "Deployment", "argocd-repo-server")["spec"]["template"]["spec"];
    let p = Pod {
        root: tmp.path().join("pod"),
    };

    // The init container's command, as written, with this build as the image's binary.
    let init = strings(&named(&pod["initContainers"], "install-secretgen")["command"]);
    let mut c = Command::new(env!("CARGO_BIN_EXE_secretgen"));
    c.args(init[1..].iter().map(|a| p.path(a)));
    run(c);

    // The identity Secret, mounted.
    let sg = |args: &[&str]| {
        let mut c = common::secretgen();
        c.args(args);
        c
    };
    std::fs::create_dir_all(p.root.join("etc")).unwrap();
    let key = p.root.join("etc/keys.txt");
    run(sg(&["age", "keygen", "-o", key.to_str().unwrap()]));
    let recipient = std::fs::read_to_string(&key)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("# public key: ").map(str::to_string))
        .unwrap();

    // The sample application: an exec-plugin generator with an encrypted file, a KRM
    // function generator, and a Deployment that references the first.
    let app = tmp.path().join("app");
    std::fs::create_dir_all(&app).unwrap();
    let w = |name: &str, text: &str| std::fs::write(app.join(name), text).unwrap();
    w("username.txt", "admin");
    w("password.txt", "1f2d1e2e67df");
    run(sg(&[
        "age",
        "encrypt",
        "-r",
        &recipient,
        "-o",
        app.join("password.txt.age").to_str().unwrap(),
        app.join("password.txt").to_str().unwrap(),
    ]));
    std::fs::remove_file(app.join("password.txt")).unwrap();
    w(
        "kustomization.yaml",
        "resources:\n- deployment.yaml\ngenerators:\n- secretgen.yaml\n- token.yaml\n",
    );
    w(
        "secretgen.yaml",
        "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: db-user-pass\nfiles:\n- username.txt\n- password.txt.age\n",
    );
    w(
        "token.yaml",
        "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: api-token\n  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: secretgen\nliterals:\n- token=t0k3n\n",
    );
    w(
        "deployment.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: app\n        env:\n        - name: PASSWORD\n          valueFrom:\n            secretKeyRef:\n              name: db-user-pass\n              key: password.txt\n",
    );

    // What the sidecar finds on PATH: kustomize, and secretgen mounted from the volume.
    let bin = p.root.join("usr-local-bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(&kustomize, bin.join("kustomize")).unwrap();
    std::os::unix::fs::symlink(p.root.join("custom-tools/secretgen"), bin.join("secretgen"))
        .unwrap();
    let side = named(&pod["containers"], "secretgen-cmp");
    let plugin: Value = serde_yaml_ng::from_str(
        find(&docs, "ConfigMap", "secretgen-cmp")["data"]["plugin.yaml"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let sidecar = |argv: &[String]| {
        let mut c = Command::new(&argv[0]);
        c.args(&argv[1..]).current_dir(&app).env_clear();
        c.env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
            .env("HOME", p.root.join("home"));
        for e in side["env"].as_sequence().unwrap() {
            c.env(
                e["name"].as_str().unwrap(),
                p.path(e["value"].as_str().unwrap()),
            );
        }
        c
    };

    let out = run(sidecar(&strings(&plugin["spec"]["generate"]["command"])));
    let rendered = {
        let mut c = common::secretgen();
        c.args(["render", app.join("secretgen.yaml").to_str().unwrap()])
            .env("SECRETGEN_AGE_IDENTITY_FILE", &key);
        run(c)
    };
    // kustomize's suffix on the exec plugin's Secret is the one secretgen computes, the
    // reference follows it, and the KRM function's Secret is there.
    assert!(
        rendered.contains("name: db-user-pass-gd995d5t92\n"),
        "{rendered}"
    );
    assert!(out.contains("  name: db-user-pass-gd995d5t92\n"), "{out}");
    assert!(
        out.contains("              name: db-user-pass-gd995d5t92\n"),
        "{out}"
    );
    assert!(out.contains("  password.txt: MWYyZDFlMmU2N2Rm\n"), "{out}");
    assert!(out.contains("  name: api-token-"), "{out}");
    assert!(out.contains("  token: dDBrM24=\n"), "{out}");

    // Discovery: this application yes, a plain kustomization no.
    let discover = strings(&plugin["spec"]["discover"]["find"]["command"]);
    assert!(!run(sidecar(&discover)).trim().is_empty());
    std::fs::write(app.join("secretgen.yaml"), "kind: ConfigMap\n").unwrap();
    std::fs::write(app.join("token.yaml"), "kind: ConfigMap\n").unwrap();
    assert_eq!(run(sidecar(&discover)).trim(), "");
}
