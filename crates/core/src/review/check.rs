//! Checking the references workloads make to Secrets.
//!
//! In: the Kubernetes manifests found beside the generators, and what is known of every
//! Secret (generated or written as a plain resource): name, namespace, type, key names. Out:
//! one [`Finding`] per reference that would break at run time (a missing Secret or key that
//! is not `optional`, an `envFrom` key the kubelet skips, an image pull secret or Ingress TLS
//! secret of the wrong type), with file, line and column. Never sees a value.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::gate::shown::{Provenance, Text};
use crate::place::Loc;
use crate::secret::{Key, Secret, read};
use crate::yaml::{self, Node};

/// A Secret as references see it: the Secret, and one name a reference may use besides its
/// final one.
///
/// A view and not the Secret alone because a Secret built through a kustomize tree is known
/// by every name it had on the way there (kustomize rewrites a reference to any of them), so
/// one Secret stands behind several of these.
#[derive(Clone, Copy, Debug)]
pub struct Known<'a> {
    pub(crate) secret: &'a Secret,
    /// The name references use (before the hash suffix, or an earlier name in a tree).
    pub(crate) alias: &'a str,
}

impl<'a> Known<'a> {
    /// A Secret known by its base name (and its final name).
    pub fn of(secret: &'a Secret) -> Self {
        Known {
            secret,
            alias: &secret.base_name,
        }
    }

    fn has_key(&self, key: &str) -> bool {
        self.secret.data.contains_key(key)
    }

    /// Its keys (each with `prefix`) as a report may show them: a key read out of a
    /// decryption (an encrypted env file, a decrypted manifest) only described.
    fn shown_keys(&self, prefix: &'a str) -> impl Iterator<Item = (&'a Key, Text)> + use<'a> {
        let secret = self.secret;
        let whole = secret.meta == Provenance::Decrypted;
        secret.data.iter().map(move |(k, e)| {
            let p = Provenance::decrypted_if(e.encrypted || whole);
            (k, Text::new(&format!("{prefix}{k}"), p))
        })
    }
}

/// A reference that would fail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub(crate) loc: Loc,
    /// `Deployment/web`.
    pub(crate) object: String,
    pub(crate) message: String,
    /// Could not be checked (key names in an encrypted input without an identity): not a
    /// finding unless `check --strict`.
    pub note: bool,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.loc, self.object, self.message)
    }
}

/// The kinds whose references are checked, with the path to their pod spec.
fn pod_spec<'a>(kind: &str, doc: &'a Node) -> Option<&'a Node> {
    let spec = doc.get("spec")?;
    match kind {
        "Pod" => Some(spec),
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => {
            spec.get("template")?.get("spec")
        }
        "CronJob" => spec
            .get("jobTemplate")?
            .get("spec")?
            .get("template")?
            .get("spec"),
        _ => None,
    }
}

const DOCKER_TYPES: [&str; 2] = ["kubernetes.io/dockerconfigjson", "kubernetes.io/dockercfg"];

/// Environment variable names the kubelet accepts from `envFrom` (`[-._a-zA-Z][-._a-zA-Z0-9]*`).
pub(crate) fn is_env_var_name(k: &str) -> bool {
    let mut chars = k.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || "-._".contains(c) => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
}

struct Checker<'a> {
    file: &'a Path,
    secrets: &'a [Known<'a>],
    findings: Vec<Finding>,
    object: String,
    namespace: Option<String>,
}

impl<'a> Checker<'a> {
    fn find(&self, name: &str) -> Option<Known<'a>> {
        self.secrets.iter().copied().find(|s| {
            (s.alias == name || s.secret.name == name)
                && match (&self.namespace, &s.secret.namespace) {
                    (Some(a), Some(b)) => a == b,
                    _ => true,
                }
        })
    }

    fn report(&mut self, node: &Node, message: String) {
        self.push(node, message, false);
    }

    /// What could not be checked, reported apart from the findings.
    fn note(&mut self, node: &Node, message: String) {
        self.push(node, message, true);
    }

    fn push(&mut self, node: &Node, message: String, note: bool) {
        self.findings.push(Finding {
            loc: Loc::at(self.file, node.mark),
            object: self.object.clone(),
            message,
            note,
        });
    }

    fn optional(node: &Node) -> bool {
        node.get("optional").and_then(|o| match &o.value {
            yaml::Value::Scalar { text, .. } => Some(text == "true"),
            _ => None,
        }) == Some(true)
    }

    /// Where a finding about `holder` points: its Secret name (`name` or `secretName`),
    /// else the holder itself.
    fn name_node(holder: &Node) -> &Node {
        holder
            .get("secretName")
            .or_else(|| holder.get("name"))
            .unwrap_or(holder)
    }

    fn missing_secret(&mut self, at: &Node, name: &str, what: &str) {
        let at = Self::name_node(at);
        self.report(at, format!("{what} refers to Secret `{name}`, which no generator or manifest here defines (mark it `optional: true` if that is intended)"));
    }

    /// A reference to `key` of Secret `name`.
    fn key_ref(&mut self, at: &Node, name: &str, key: &str, optional: bool, what: &str) {
        if optional {
            return;
        }
        let Some(s) = self.find(name) else {
            self.missing_secret(at, name, what);
            return;
        };
        if s.has_key(key) {
            return;
        }
        let at = at.get("key").unwrap_or(at);
        if s.secret.keys_unknown {
            let msg = format!(
                "{what}: key `{key}` of Secret `{name}` could not be checked (its key names are in an encrypted env file and no identity was available)"
            );
            self.note(at, msg);
        } else {
            let known = s
                .shown_keys("")
                .map(|(_, k)| k.to_string())
                .collect::<Vec<_>>()
                .join(", ");
            let msg = format!(
                "{what} refers to key `{key}`, which Secret `{name}` does not have (its keys: {known})"
            );
            self.report(at, msg);
        }
    }

    fn containers(&mut self, spec: &Node) {
        for field in ["initContainers", "containers", "ephemeralContainers"] {
            for c in spec.get(field).and_then(Node::as_seq).unwrap_or(&[]) {
                let cname = c
                    .get("name")
                    .and_then(Node::as_str)
                    .unwrap_or("?")
                    .to_string();
                for e in c.get("env").and_then(Node::as_seq).unwrap_or(&[]) {
                    let Some(r) = e.get("valueFrom").and_then(|v| v.get("secretKeyRef")) else {
                        continue;
                    };
                    let (Some(name), Some(key)) = (
                        r.get("name").and_then(Node::as_str),
                        r.get("key").and_then(Node::as_str),
                    ) else {
                        continue;
                    };
                    let var = e.get("name").and_then(Node::as_str).unwrap_or("?");
                    let what = format!("container `{cname}` env `{var}` secretKeyRef");
                    self.key_ref(r, name, key, Self::optional(r), &what);
                }
                for e in c.get("envFrom").and_then(Node::as_seq).unwrap_or(&[]) {
                    let Some(r) = e.get("secretRef") else {
                        continue;
                    };
                    let Some(name) = r.get("name").and_then(Node::as_str) else {
                        continue;
                    };
                    if Self::optional(r) {
                        continue;
                    }
                    let what = format!("container `{cname}` envFrom secretRef");
                    let Some(s) = self.find(name) else {
                        self.missing_secret(r, name, &what);
                        continue;
                    };
                    let prefix = e.get("prefix").and_then(Node::as_str).unwrap_or("");
                    let bad: Vec<String> = s
                        .shown_keys(prefix)
                        .filter(|(k, _)| !is_env_var_name(&format!("{prefix}{k}")))
                        .map(|(_, k)| k.to_string())
                        .collect();
                    if !bad.is_empty() {
                        self.report(Self::name_node(r), format!("{what}: Secret `{name}` has keys that are not valid environment variable names, which the kubelet skips (InvalidVariableNames): {}", bad.join(", ")));
                    }
                    if s.secret.keys_unknown {
                        self.note(Self::name_node(r), format!("{what}: the key names of Secret `{name}` could not be checked (encrypted env file, no identity)"));
                    }
                }
            }
        }
    }

    fn items(&mut self, holder: &Node, name: &str, what: &str) {
        if Self::optional(holder) {
            return;
        }
        let items = holder.get("items").and_then(Node::as_seq).unwrap_or(&[]);
        if self.find(name).is_none() {
            // Once for the Secret, not once more for each of its items.
            self.missing_secret(holder, name, what);
            return;
        }
        for it in items {
            if let Some(key) = it.get("key").and_then(Node::as_str) {
                self.key_ref(it, name, key, false, what);
            }
        }
    }

    fn volumes(&mut self, spec: &Node) {
        for v in spec.get("volumes").and_then(Node::as_seq).unwrap_or(&[]) {
            let vname = v
                .get("name")
                .and_then(Node::as_str)
                .unwrap_or("?")
                .to_string();
            if let Some(s) = v.get("secret")
                && let Some(name) = s.get("secretName").and_then(Node::as_str)
            {
                self.items(s, name, &format!("volume `{vname}` secret"));
            }
            for src in v
                .get("projected")
                .and_then(|p| p.get("sources"))
                .and_then(Node::as_seq)
                .unwrap_or(&[])
            {
                if let Some(s) = src.get("secret")
                    && let Some(name) = s.get("name").and_then(Node::as_str)
                {
                    self.items(s, name, &format!("projected volume `{vname}` secret"));
                }
            }
        }
    }

    fn pull_secrets(&mut self, holder: &Node) {
        for p in holder
            .get("imagePullSecrets")
            .and_then(Node::as_seq)
            .unwrap_or(&[])
        {
            let Some(name) = p.get("name").and_then(Node::as_str) else {
                continue;
            };
            match self.find(name).map(|s| s.secret.type_.clone()) {
                None => self.missing_secret(p, name, "imagePullSecrets"),
                Some(t) if !DOCKER_TYPES.contains(&t.as_str()) => self.report(
                    Self::name_node(p),
                    format!("imagePullSecrets refers to Secret `{name}` of type `{t}`; image pull secrets must be kubernetes.io/dockerconfigjson or kubernetes.io/dockercfg"),
                ),
                Some(_) => {}
            }
        }
    }

    /// A ServiceAccount's `secrets`: the Secrets its pods may mount.
    fn service_account_secrets(&mut self, doc: &Node) {
        for r in doc.get("secrets").and_then(Node::as_seq).unwrap_or(&[]) {
            let Some(name) = r.get("name").and_then(Node::as_str) else {
                continue;
            };
            if self.find(name).is_none() {
                self.missing_secret(r, name, "ServiceAccount secrets");
            }
        }
    }

    fn ingress(&mut self, doc: &Node) {
        let tls = doc
            .get("spec")
            .and_then(|s| s.get("tls"))
            .and_then(Node::as_seq)
            .unwrap_or(&[]);
        for t in tls {
            let Some(name) = t.get("secretName").and_then(Node::as_str) else {
                continue;
            };
            match self.find(name).map(|s| s.secret.type_.clone()) {
                None => self.missing_secret(t, name, "Ingress tls"),
                Some(ty) if ty != "kubernetes.io/tls" => self.report(
                    Self::name_node(t),
                    format!("Ingress tls refers to Secret `{name}` of type `{ty}`; it must be kubernetes.io/tls (with tls.crt and tls.key)"),
                ),
                Some(_) => {}
            }
        }
    }
}

/// Secrets written as plain resources in the manifests (they can be referred to too), and
/// the Secrets SealedSecrets unseal to: their names, type and key names; one without a name
/// is skipped, as is a file that is not YAML.
pub fn plain_secrets(file: &Path, text: &str) -> Vec<Secret> {
    let Ok(docs) = yaml::parse_stream(text) else {
        return Vec::new();
    };
    docs.iter()
        .filter_map(|d| {
            let kind = d.get("kind").and_then(Node::as_str);
            let api = d.get("apiVersion").and_then(Node::as_str);
            match (kind, api) {
                (Some("Secret"), Some("v1")) => read::secret(file, d, &read::Reading::KEYS).ok(),
                (Some("SealedSecret"), Some("bitnami.com/v1alpha1")) => {
                    read::secret(file, &unsealed_view(d), &read::Reading::KEYS).ok()
                }
                _ => None,
            }
        })
        .collect()
}

/// The Secret a SealedSecret unseals to, as far as references go (what `render --seal`
/// writes, read without a key): the template's metadata (else its own) and type, and the
/// key names of `encryptedData`, each with an empty value.
fn unsealed_view(d: &Node) -> Node {
    use crate::yaml::Value;
    let scalar = |text: &str, at: &Node| Node::scalar(text, false, at.mark);
    let spec = d.get("spec");
    let template = spec.and_then(|s| s.get("template"));
    let mut entries = vec![
        (scalar("apiVersion", d), scalar("v1", d)),
        (scalar("kind", d), scalar("Secret", d)),
    ];
    if let Some(meta) = template
        .and_then(|t| t.get("metadata"))
        .filter(|m| m.get("name").is_some())
        .or_else(|| d.get("metadata"))
    {
        entries.push((scalar("metadata", meta), meta.clone()));
    }
    if let Some(t) = template.and_then(|t| t.get("type")) {
        entries.push((scalar("type", t), t.clone()));
    }
    let keys = spec
        .and_then(|s| s.get("encryptedData"))
        .and_then(Node::as_map)
        .unwrap_or(&[])
        .iter()
        .map(|(k, v)| (k.clone(), scalar("", v)))
        .collect();
    entries.push((
        scalar("data", d),
        Node {
            value: Value::Map(keys),
            mark: d.mark,
        },
    ));
    Node {
        value: Value::Map(entries),
        mark: d.mark,
    }
}

/// Checks every workload in one manifest file against the known Secrets. A file that is not
/// YAML is skipped (it is not a manifest).
pub fn check_file(file: &Path, text: &str, secrets: &[Known<'_>]) -> Vec<Finding> {
    let Ok(docs) = yaml::parse_stream(text) else {
        return Vec::new();
    };
    let mut c = Checker {
        file,
        secrets,
        findings: Vec::new(),
        object: String::new(),
        namespace: None,
    };
    for doc in &docs {
        let Some(kind) = doc.get("kind").and_then(Node::as_str) else {
            continue;
        };
        let name = doc
            .get("metadata")
            .and_then(|m| m.get("name"))
            .and_then(Node::as_str)
            .unwrap_or("?");
        c.object = format!("{kind}/{name}");
        c.namespace = doc
            .get("metadata")
            .and_then(|m| m.get("namespace"))
            .and_then(Node::as_str)
            .map(str::to_string);
        c.check_doc(kind, doc);
    }
    c.findings
        .sort_by_key(|f| f.loc.mark.map(|m| (m.line, m.col)));
    c.findings
}

/// Checks one workload of a kustomize tree as the build leaves it: `object` (`Kind/name`)
/// and `namespace` are its final ones; `secrets` name each Secret by every name a reference
/// may use (kustomize rewrites those to the final name).
pub(crate) fn check_doc(
    file: &Path,
    doc: &Node,
    object: String,
    namespace: Option<String>,
    secrets: &[Known<'_>],
) -> Vec<Finding> {
    let mut c = Checker {
        file,
        secrets,
        findings: Vec::new(),
        object,
        namespace,
    };
    if let Some(kind) = doc.get("kind").and_then(Node::as_str) {
        c.check_doc(kind, doc);
    }
    c.findings
        .sort_by_key(|f| f.loc.mark.map(|m| (m.line, m.col)));
    c.findings
}

impl Checker<'_> {
    fn check_doc(&mut self, kind: &str, doc: &Node) {
        if let Some(spec) = pod_spec(kind, doc) {
            self.containers(spec);
            self.volumes(spec);
            self.pull_secrets(spec);
        } else if kind == "ServiceAccount" {
            self.pull_secrets(doc);
            self.service_account_secrets(doc);
        } else if kind == "Ingress" {
            self.ingress(doc);
        }
    }
}

/// The YAML files under `paths` that may hold workloads.
pub fn manifest_files(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_file() {
            out.push(p.clone());
            continue;
        }
        for path in crate::render::discover::files(p).flatten() {
            if crate::render::discover::is_yaml(&path) {
                out.push(path.strip_prefix("./").unwrap_or(&path).to_path_buf());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(name: &str, type_: &str, keys: &[&str]) -> Secret {
        let mut s = Secret::new(format!("{name}-abc"), None, Loc::file("s.yaml"));
        s.base_name = name.into();
        s.type_ = type_.into();
        for k in keys {
            let entry = crate::secret::Entry {
                value: crate::secret::SecretBytes::default(),
                base64: crate::secret::SecretString::default(),
                origin: Loc::file("s.yaml"),
                encrypted: false,
                to_substitute: false,
            };
            s.data.insert(Key::from(*k), entry);
        }
        s
    }

    #[test]
    fn env_var_names() {
        assert!(is_env_var_name("DB_PASS"));
        assert!(is_env_var_name("my.env-name"));
        assert!(!is_env_var_name("1BAD"));
        assert!(!is_env_var_name("bad key"));
        assert!(!is_env_var_name(""));
    }

    #[test]
    fn finds_each_kind_of_broken_reference() {
        let secrets = [
            secret("db", "Opaque", &["user", "1bad"]),
            secret("tls", "Opaque", &[]),
        ];
        let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      imagePullSecrets:\n      - name: db\n      containers:\n      - name: app\n        env:\n        - name: P\n          valueFrom:\n            secretKeyRef: {name: db, key: pass}\n        - name: Q\n          valueFrom:\n            secretKeyRef: {name: gone, key: k, optional: true}\n        envFrom:\n        - secretRef: {name: db}\n      volumes:\n      - name: v\n        secret:\n          secretName: missing\n";
        let known: Vec<Known<'_>> = secrets.iter().map(Known::of).collect();
        let f = check_file(Path::new("d.yaml"), text, &known);
        let msgs: Vec<String> = f.iter().map(|f| f.to_string()).collect();
        assert_eq!(f.len(), 4, "{msgs:#?}");
        assert!(msgs[0].contains("`db` of type `Opaque`"), "{}", msgs[0]);
        assert!(msgs[1].starts_with("d.yaml:14:43: Deployment/web: container `app` env `P` secretKeyRef refers to key `pass`"), "{}", msgs[1]);
        assert!(msgs[2].contains("`1bad`"), "{}", msgs[2]);
        assert!(msgs[3].contains("Secret `missing`"), "{}", msgs[3]);
    }
}
