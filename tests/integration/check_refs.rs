//! `secretgen check`, one manifest per kind of finding: each is reported once, with the
//! file, the line of the reference and the object; optional references and references that
//! resolve are not reported.

use std::path::Path;
use std::process::Output;

use crate::common;
use common::{describe, secretgen, text};

/// db (user, pass), badkeys (a key that is no env var name), regcred (a pull secret),
/// web-tls (kubernetes.io/tls), and a plain Secret written as a manifest.
fn setup(dir: &Path) {
    let types = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/types");
    for f in ["tls.crt", "tls.key"] {
        std::fs::copy(types.join(f), dir.join(f)).unwrap();
    }
    std::fs::write(
        dir.join("secretgen.yaml"),
        "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: db\n  namespace: prod\nliterals:\n- user=admin\n- pass=x\n---\napiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: badkeys\n  namespace: prod\nliterals:\n- 1bad=x\n- good=y\n---\napiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: regcred\n  namespace: prod\ntype: kubernetes.io/dockerconfigjson\nliterals:\n- .dockerconfigjson={\"auths\":{}}\n---\napiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: web-tls\n  namespace: prod\ntype: kubernetes.io/tls\nfiles:\n- tls.crt\n- tls.key\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("plain.yaml"),
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: plain\n  namespace: prod\nstringData:\n  token: t\n",
    )
    .unwrap();
}

fn check(dir: &Path) -> Output {
    secretgen()
        .args(["check", "."])
        .current_dir(dir)
        .output()
        .unwrap()
}

/// A Deployment in `prod` whose pod spec is `spec` (indented for the pod spec's level).
fn deployment(spec: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: prod\nspec:\n  template:\n    spec:\n{}",
        indent(spec, 6)
    )
}

fn indent(s: &str, n: usize) -> String {
    s.lines()
        .map(|l| format!("{}{l}\n", " ".repeat(n)))
        .collect()
}

const CONTAINER: &str = "containers:\n- name: app\n  image: busybox\n";

/// `workload.yaml` holding `manifest` reports exactly one finding, on the line marked `#!`,
/// for `object`, containing `message`.
fn expect_one(manifest: &str, object: &str, message: &str) {
    let t = tempfile::tempdir().unwrap();
    setup(t.path());
    std::fs::write(t.path().join("workload.yaml"), manifest).unwrap();
    let out = check(t.path());
    assert_eq!(out.status.code(), Some(1), "{manifest}\n{}", describe(&out));
    let report = text(&out.stdout);
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(lines.len(), 1, "one finding expected:\n{report}");
    let line = manifest
        .lines()
        .position(|l| l.contains("#!"))
        .expect("a marked line")
        + 1;
    let prefix = format!("workload.yaml:{line}:");
    assert!(
        lines[0].starts_with(&prefix),
        "expected {prefix}…:\n{report}\n{manifest}"
    );
    assert!(
        lines[0].contains(&format!(": {object}: ")),
        "expected {object}:\n{report}"
    );
    assert!(
        lines[0].contains(message),
        "expected `{message}`:\n{report}"
    );
}

#[test]
fn secret_key_ref_to_a_missing_secret() {
    expect_one(
        &deployment(&format!(
            "{CONTAINER}  env:\n  - name: A\n    valueFrom:\n      secretKeyRef:\n        name: nope #!\n        key: k\n"
        )),
        "Deployment/web",
        "container `app` env `A` secretKeyRef refers to Secret `nope`, which no generator or manifest here defines",
    );
}

#[test]
fn secret_key_ref_to_a_missing_key() {
    expect_one(
        &deployment(&format!(
            "{CONTAINER}  env:\n  - name: A\n    valueFrom:\n      secretKeyRef:\n        name: db\n        key: password #!\n"
        )),
        "Deployment/web",
        "refers to key `password`, which Secret `db` does not have (its keys: `pass`, `user`)",
    );
}

#[test]
fn env_from_a_missing_secret() {
    expect_one(
        &deployment(&format!(
            "{CONTAINER}  envFrom:\n  - secretRef:\n      name: nope #!\n"
        )),
        "Deployment/web",
        "container `app` envFrom secretRef refers to Secret `nope`",
    );
}

#[test]
fn env_from_keys_that_are_no_env_var_names() {
    expect_one(
        &deployment(&format!(
            "{CONTAINER}  envFrom:\n  - secretRef:\n      name: badkeys #!\n"
        )),
        "Deployment/web",
        "Secret `badkeys` has keys that are not valid environment variable names, which the kubelet skips (InvalidVariableNames): `1bad`",
    );
}

#[test]
fn secret_volume_of_a_missing_secret() {
    expect_one(
        &deployment(&format!(
            "{CONTAINER}volumes:\n- name: v\n  secret:\n    secretName: nope #!\n    items:\n    - key: a\n      path: a\n"
        )),
        "Deployment/web",
        "volume `v` secret refers to Secret `nope`",
    );
}

#[test]
fn secret_volume_item_of_a_missing_key() {
    expect_one(
        &deployment(&format!(
            "{CONTAINER}volumes:\n- name: v\n  secret:\n    secretName: db\n    items:\n    - key: user\n      path: u\n    - key: nope #!\n      path: n\n"
        )),
        "Deployment/web",
        "volume `v` secret refers to key `nope`, which Secret `db` does not have",
    );
}

#[test]
fn projected_volume_of_a_missing_secret() {
    expect_one(
        &deployment(&format!(
            "{CONTAINER}volumes:\n- name: p\n  projected:\n    sources:\n    - configMap:\n        name: whatever\n    - secret:\n        name: nope #!\n"
        )),
        "Deployment/web",
        "projected volume `p` secret refers to Secret `nope`",
    );
}

#[test]
fn projected_volume_item_of_a_missing_key() {
    expect_one(
        &deployment(&format!(
            "{CONTAINER}volumes:\n- name: p\n  projected:\n    sources:\n    - secret:\n        name: db\n        items:\n        - key: nope #!\n          path: n\n"
        )),
        "Deployment/web",
        "projected volume `p` secret refers to key `nope`, which Secret `db` does not have",
    );
}

#[test]
fn image_pull_secret_missing() {
    expect_one(
        &deployment(&format!(
            "imagePullSecrets:\n- name: regcred\n- name: nope #!\n{CONTAINER}"
        )),
        "Deployment/web",
        "imagePullSecrets refers to Secret `nope`",
    );
}

#[test]
fn image_pull_secret_of_the_wrong_type() {
    expect_one(
        &deployment(&format!("imagePullSecrets:\n- name: db #!\n{CONTAINER}")),
        "Deployment/web",
        "imagePullSecrets refers to Secret `db` of type `Opaque`; image pull secrets must be kubernetes.io/dockerconfigjson or kubernetes.io/dockercfg",
    );
}

#[test]
fn ingress_tls_secret_missing() {
    expect_one(
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n  namespace: prod\nspec:\n  tls:\n  - hosts: [a.example.com]\n    secretName: web-tls\n  - hosts: [b.example.com]\n    secretName: nope #!\n",
        "Ingress/web",
        "Ingress tls refers to Secret `nope`",
    );
}

#[test]
fn ingress_tls_secret_not_of_type_tls() {
    expect_one(
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n  namespace: prod\nspec:\n  tls:\n  - secretName: db #!\n",
        "Ingress/web",
        "Ingress tls refers to Secret `db` of type `Opaque`; it must be kubernetes.io/tls",
    );
}

#[test]
fn service_account_image_pull_secret_and_secrets() {
    expect_one(
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: bot\n  namespace: prod\nimagePullSecrets:\n- name: regcred\n- name: nope #!\n",
        "ServiceAccount/bot",
        "imagePullSecrets refers to Secret `nope`",
    );
    expect_one(
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: bot\n  namespace: prod\nsecrets:\n- name: db\n- name: nope #!\n",
        "ServiceAccount/bot",
        "ServiceAccount secrets refers to Secret `nope`",
    );
}

#[test]
fn a_secret_in_another_namespace_does_not_count() {
    expect_one(
        &deployment(&format!("{CONTAINER}  env:\n  - name: A\n    valueFrom:\n      secretKeyRef:\n        name: db #!\n        key: user\n"))
            .replace("namespace: prod", "namespace: staging"),
        "Deployment/web",
        "refers to Secret `db`",
    );
}

/// Every workload kind, with the pod spec where that kind keeps it (CronJob: under
/// jobTemplate), in every container list.
#[test]
fn every_workload_kind() {
    let env = "  env:\n  - name: A\n    valueFrom:\n      secretKeyRef:\n        name: db\n        key: nope #!\n";
    let pod = |list: &str| format!("{list}:\n- name: c\n  image: busybox\n{env}");
    let template = |spec: &str| format!("template:\n  spec:\n{}", indent(spec, 4));
    let kinds: Vec<(&str, &str, String)> = vec![
        ("v1", "Pod", pod("containers")),
        ("apps/v1", "Deployment", template(&pod("containers"))),
        ("apps/v1", "StatefulSet", template(&pod("containers"))),
        ("apps/v1", "DaemonSet", template(&pod("containers"))),
        ("apps/v1", "ReplicaSet", template(&pod("containers"))),
        ("batch/v1", "Job", template(&pod("initContainers"))),
        (
            "batch/v1",
            "CronJob",
            format!(
                "schedule: \"@daily\"\njobTemplate:\n  spec:\n{}",
                indent(&template(&pod("containers")), 4)
            ),
        ),
        ("v1", "Pod", pod("ephemeralContainers")),
    ];
    for (api, kind, spec) in kinds {
        let manifest = format!(
            "apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: w\n  namespace: prod\nspec:\n{}",
            indent(&spec, 2)
        );
        expect_one(
            &manifest,
            &format!("{kind}/w"),
            "container `c` env `A` secretKeyRef refers to key `nope`",
        );
    }
}

/// Optional references, references that resolve (by base name, by the suffixed name, to a
/// plain Secret manifest), and an envFrom prefix that makes a key a valid name: nothing to
/// report, exit 0.
#[test]
fn optional_and_resolving_references_are_not_reported() {
    let t = tempfile::tempdir().unwrap();
    setup(t.path());
    let rendered = secretgen()
        .args(["render", "secretgen.yaml"])
        .current_dir(t.path())
        .output()
        .unwrap();
    let suffixed = text(&rendered.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("  name: db-").map(|s| format!("db-{s}")))
        .unwrap();
    let spec = format!(
        "imagePullSecrets:\n- name: regcred\ncontainers:\n- name: app\n  env:\n  - name: A\n    valueFrom:\n      secretKeyRef: {{name: nope, key: k, optional: true}}\n  - name: B\n    valueFrom:\n      secretKeyRef: {{name: db, key: nope, optional: true}}\n  - name: C\n    valueFrom:\n      secretKeyRef: {{name: db, key: user}}\n  - name: D\n    valueFrom:\n      secretKeyRef: {{name: {suffixed}, key: pass}}\n  - name: E\n    valueFrom:\n      secretKeyRef: {{name: plain, key: token}}\n  - name: F\n    valueFrom:\n      configMapKeyRef: {{name: nope, key: k}}\n  envFrom:\n  - secretRef: {{name: nope, optional: true}}\n  - secretRef: {{name: badkeys, optional: true}}\n  - secretRef: {{name: db}}\n  - prefix: P_\n    secretRef: {{name: badkeys}}\nvolumes:\n- name: a\n  secret: {{secretName: nope, optional: true}}\n- name: b\n  secret:\n    secretName: db\n    optional: true\n    items: [{{key: nope, path: n}}]\n- name: c\n  secret:\n    secretName: db\n    items: [{{key: user, path: u}}]\n- name: d\n  projected:\n    sources:\n    - secret: {{name: nope, optional: true}}\n    - secret:\n        name: db\n        optional: true\n        items: [{{key: nope, path: n}}]\n    - secret:\n        name: web-tls\n        items: [{{key: tls.crt, path: c}}]\n"
    );
    let manifests = [
        deployment(&spec),
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n  namespace: prod\nspec:\n  tls:\n  - secretName: web-tls\n  rules: []\n".to_string(),
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: bot\n  namespace: prod\nimagePullSecrets:\n- name: regcred\nsecrets:\n- name: db\n".to_string(),
        // Kinds that are not workloads are not read, whatever they hold.
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  secretName: nope\n".to_string(),
    ];
    std::fs::write(t.path().join("workload.yaml"), manifests.join("---\n")).unwrap();
    let out = check(t.path());
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(out.stdout.is_empty(), "{}", describe(&out));
    assert!(
        text(&out.stderr).contains("no broken references"),
        "{}",
        describe(&out)
    );
}
