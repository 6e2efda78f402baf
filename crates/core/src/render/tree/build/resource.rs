//! The resource model of a tree build: a Secret being built ([`Res`], with the ids it had
//! on the way), the workloads `check` reads ([`Work`]), and the reading of a `resources`
//! file into them (a SOPS-encrypted one decrypted, or a placeholder).

use super::*;

/// A Secret being built, with the ids it had before (kustomize's previous-id annotations).
#[derive(Clone)]
pub(super) struct Res {
    /// Shared until changed (`Arc::make_mut`): a base reached from several places is
    /// kept for the next one, and that copy costs no copy of its documents.
    pub(super) node: std::sync::Arc<Node<'static>>,
    /// Earlier (effective namespace, name) pairs, oldest first.
    pub(super) prev: Vec<(String, String)>,
    pub(super) needs_hash: bool,
    pub(super) variant: HashVariant,
    pub(super) behavior: Behavior,
    pub(super) origin: Loc,
    pub(super) key_origins: BTreeMap<String, (Loc, bool)>,
    pub(super) placeholder: bool,
    pub(super) keys_unknown: bool,
    /// `Decrypted` once a patch copied a value into the metadata: its name, namespace and
    /// labels are then described in messages, never quoted.
    pub(super) meta: Provenance,
}

pub(super) fn effective(ns: Option<&str>) -> String {
    match ns {
        None | Some("") => "default".to_string(),
        Some(n) => n.to_string(),
    }
}

impl Res {
    /// The document to change: a copy if another holder (a remembered base) shares it.
    pub(super) fn node_mut(&mut self) -> &mut Node<'static> {
        std::sync::Arc::make_mut(&mut self.node)
    }

    pub(super) fn name(&self) -> String {
        as_str(get(&self.node, "metadata").and_then(|m| get(m, "name")))
            .unwrap_or("")
            .to_string()
    }

    pub(super) fn namespace(&self) -> Option<String> {
        as_str(get(&self.node, "metadata").and_then(|m| get(m, "namespace")))
            .filter(|n| !n.is_empty())
            .map(str::to_string)
    }

    pub(super) fn cur(&self) -> (String, String) {
        (effective(self.namespace().as_deref()), self.name())
    }

    /// The current namespace and name as a message may show them, when it is also the id
    /// of `others` (Secrets it conflicts with): described if any of them is decrypted.
    pub(super) fn shown_id<'a>(&self, others: impl IntoIterator<Item = &'a Res>) -> (Text, Text) {
        let decrypted = self.meta == Provenance::Decrypted
            || others.into_iter().any(|o| o.meta == Provenance::Decrypted);
        let p = Provenance::decrypted_if(decrypted);
        let (ns, name) = self.cur();
        // No namespace written: the `default` it stands for is no input's text.
        let ns_p = if self.namespace().is_some() {
            p
        } else {
            Provenance::Plain
        };
        (Text::new(&ns, ns_p), Text::new(&name, p))
    }

    pub(super) fn org(&self) -> (String, String) {
        self.prev.first().cloned().unwrap_or_else(|| self.cur())
    }

    pub(super) fn any_id(&self, id: &(String, String)) -> bool {
        if self.prev.iter().any(|p| p == id) {
            return true;
        }
        // The current id, compared without building it (this runs for every pair of
        // generator and Secret).
        let meta = get(&self.node, "metadata");
        let name = as_str(meta.and_then(|m| get(m, "name"))).unwrap_or("");
        let ns = match as_str(meta.and_then(|m| get(m, "namespace"))) {
            None | Some("") => "default",
            Some(n) => n,
        };
        name == id.1 && ns == id.0
    }

    pub(super) fn store_prev(&mut self) {
        let c = self.cur();
        self.prev.push(c);
    }

    pub(super) fn set_meta(&mut self, field: &str, value: Option<&str>) {
        let mut meta = get(&self.node, "metadata")
            .cloned()
            .unwrap_or(Node::Map(Vec::new()));
        match value {
            Some(v) => set(&mut meta, field, Node::Str(Cow::Owned(v.to_string()))),
            None => {
                patch::remove(&mut meta, field);
            }
        }
        set(self.node_mut(), "metadata", meta);
    }

    pub(super) fn string_map(&self, field: &str) -> Vec<(String, String)> {
        match get(&self.node, "metadata").and_then(|m| get(m, field)) {
            Some(Node::Map(m)) => m
                .iter()
                .map(|(k, v)| (k.to_string(), as_str(Some(v)).unwrap_or("").to_string()))
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// A workload or Ingress of the tree, for `check`: where it is written, and its final
/// namespace and name.
#[derive(Clone, Debug)]
pub(crate) struct Work {
    pub(crate) file: PathBuf,
    pub(crate) doc: yaml::Node,
    pub(crate) kind: String,
    pub(crate) name: String,
    pub(crate) namespace: Option<String>,
}

/// The kinds `check` reads.
pub(super) use crate::kustomize::manifest::CHECKED_KINDS;

/// An owned copy of an emitter tree.
pub(super) fn own(n: &Node<'_>) -> Node<'static> {
    match n {
        Node::Str(s) => Node::Str(Cow::Owned(s.to_string())),
        Node::Bool(b) => Node::Bool(*b),
        Node::Null => Node::Null,
        Node::Number(s) => Node::Number(Cow::Owned(s.to_string())),
        Node::Map(m) => Node::Map(
            m.iter()
                .map(|(k, v)| (Cow::Owned(k.to_string()), own(v)))
                .collect(),
        ),
        Node::Seq(s) => Node::Seq(s.iter().map(own).collect()),
    }
}

pub(super) fn is_local(r: &Res) -> bool {
    r.string_map("annotations")
        .iter()
        .any(|(k, v)| k == "config.kubernetes.io/local-config" && v == "true")
}

/// The v1 Secrets of a `resources` file, and the workloads `check` reads: from its
/// documents as the kustomization read them (`parsed`), else read here. A SOPS-encrypted
/// file is opened as every reader of resources opens it (`render::resources::open_sops`):
/// decrypted, or a placeholder under `--placeholder`; never read as the ciphertext it is.
pub(super) fn resources_of(
    path: &Path,
    parsed: Option<&[yaml::Node]>,
    keys: &dyn Decrypt,
    placeholder: bool,
    reads: &Reads,
) -> Result<Split> {
    use crate::render::resources::{self as sops_res, SopsResource};
    let read;
    let docs = match parsed {
        Some(docs) => docs,
        None => {
            let text = manifest::read_text(path)?;
            read = yaml::parse_stream(&text).map_err(|e| syntax(path, e))?;
            &read[..]
        }
    };
    if let Some(first) = docs.first().filter(|d| sops_res::is_sops_doc(d)) {
        match sops_res::open_sops(path, first, keys, placeholder)? {
            SopsResource::Decrypted(plain) => {
                return split_documents(path, &plain, true, reads);
            }
            SopsResource::Placeholder => {
                let s = sops_res::sops_placeholder(path, first, &Transform::default())?;
                let res = Res {
                    node: std::sync::Arc::new(own(&s.to_node())),
                    prev: Vec::new(),
                    needs_hash: false,
                    variant: HashVariant::default(),
                    behavior: Behavior::Create,
                    origin: Loc::at(path, first.mark),
                    key_origins: s
                        .data
                        .iter()
                        .map(|(k, e)| (k.to_string(), (e.origin.clone(), e.encrypted)))
                        .collect(),
                    placeholder: true,
                    keys_unknown: s.keys_unknown,
                    // Under the placeholder, the names are read from the encrypted file,
                    // where sops left them in clear.
                    meta: Provenance::Plain,
                };
                return Ok((vec![res], Vec::new(), Vec::new()));
            }
        }
    } else if let Some(d) = docs.iter().find(|d| sops_res::is_sops_doc(d)) {
        return Err(BuildError::new(Loc::at(path, d.mark), Rule::SopsAfterPlain).into());
    }
    split_documents(path, docs, false, reads)
}

/// A `resources` file's Secrets, the workloads `check` reads, and (when kept) every other
/// resource.
pub(super) type Split = (Vec<Res>, Vec<Work>, Vec<Res>);

/// The documents of a `resources` file: its `v1` Secrets as resources (each key with where
/// it is written), the workloads `check` reads, and the other documents `reads` keeps.
fn split_documents(
    path: &Path,
    docs: &[yaml::Node],
    decrypted: bool,
    reads: &Reads,
) -> Result<Split> {
    let mut out = Vec::new();
    let mut works = Vec::new();
    let mut others = Vec::new();
    for d in docs {
        let kind = d.get("kind").and_then(str_of).unwrap_or("");
        let is_secret = kind == "Secret" && d.get("apiVersion").and_then(str_of) == Some("v1");
        // Workloads are kept too: patches apply to them, and `check` reads them as patched.
        if !is_secret && (reads.kind(kind) || CHECKED_KINDS.contains(&kind)) && !d.is_null() {
            others.push(Res {
                node: std::sync::Arc::new(render::to_emit(d)),
                prev: Vec::new(),
                needs_hash: false,
                variant: HashVariant::default(),
                behavior: Behavior::Create,
                origin: Loc::at(path, d.mark),
                key_origins: BTreeMap::new(),
                placeholder: false,
                keys_unknown: false,
                meta: Provenance::decrypted_if(decrypted),
            });
        }
        if !is_secret {
            if CHECKED_KINDS.contains(&kind) {
                let meta = d.get("metadata");
                works.push(Work {
                    file: path.to_path_buf(),
                    doc: d.clone(),
                    kind: kind.to_string(),
                    name: meta
                        .and_then(|m| m.get("name"))
                        .and_then(str_of)
                        .unwrap_or("?")
                        .to_string(),
                    namespace: meta
                        .and_then(|m| m.get("namespace"))
                        .and_then(str_of)
                        .map(str::to_string),
                });
            }
            continue;
        }
        let loc = Loc::at(path, d.mark);
        let name = d
            .get("metadata")
            .and_then(|m| m.get("name"))
            .and_then(str_of);
        if name.is_none_or(str::is_empty) {
            return Err(BuildError::new(loc, Rule::SecretWithoutName).into());
        }
        let mut key_origins = BTreeMap::new();
        for field in ["data", "stringData"] {
            for (k, _) in d.get(field).and_then(|n| n.as_map()).unwrap_or(&[]) {
                if let Some(k2) = k.as_str() {
                    key_origins.insert(k2.to_string(), (Loc::at(path, k.mark), decrypted));
                }
            }
        }
        out.push(Res {
            node: std::sync::Arc::new(render::to_emit(d)),
            prev: Vec::new(),
            needs_hash: false,
            variant: HashVariant::default(),
            behavior: Behavior::Create,
            origin: loc,
            key_origins,
            placeholder: false,
            keys_unknown: false,
            meta: Provenance::decrypted_if(decrypted),
        });
    }
    Ok((out, works, others))
}

/// A workload as the build leaves it (`patched`), read back as `check` reads documents: each
/// node keeps the position it has in the file (`written`) where the same field is written
/// there, else the position of its parent.
pub(super) fn as_written(
    patched: &Node<'static>,
    written: Option<&yaml::Node>,
    at: Mark,
) -> yaml::Node {
    use yaml::Value;
    let mark = written.map_or(at, |w| w.mark);
    let value = match patched {
        Node::Map(m) => Value::Map(
            m.iter()
                .map(|(k, v)| {
                    let w_key = written.and_then(|w| {
                        w.as_map()?
                            .iter()
                            .find(|(wk, _)| wk.as_str() == Some(k))
                            .map(|(wk, wv)| (wk, wv))
                    });
                    let key = yaml::Node::scalar(k, false, w_key.map_or(mark, |(wk, _)| wk.mark));
                    (key, as_written(v, w_key.map(|(_, wv)| wv), mark))
                })
                .collect(),
        ),
        Node::Seq(items) => {
            let w_items = written.and_then(|w| w.as_seq()).unwrap_or(&[]);
            Value::Seq(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        // Lists merged by name keep their elements by name, not by place.
                        let by_name = as_str(get(item, "name")).and_then(|n| {
                            w_items
                                .iter()
                                .find(|w| w.get("name").and_then(str_of) == Some(n))
                        });
                        let w = by_name.or_else(|| {
                            (as_str(get(item, "name")).is_none())
                                .then(|| w_items.get(i))
                                .flatten()
                        });
                        as_written(item, w, mark)
                    })
                    .collect(),
            )
        }
        Node::Str(t) => scalar(t, true),
        Node::Number(t) => scalar(t, false),
        Node::Bool(b) => scalar(if *b { "true" } else { "false" }, false),
        Node::Null => scalar("null", false),
    };
    yaml::Node { value, mark }
}

/// A scalar as read: a string quoted (so that it reads back as a string), others plain.
fn scalar(text: &str, string: bool) -> yaml::Value {
    yaml::Node::scalar(text, string, yaml::Mark::default()).value
}

pub(super) fn str_of(n: &yaml::Node) -> Option<&str> {
    n.as_str()
}

pub(super) fn syntax(path: &Path, e: yaml::SyntaxError) -> Error {
    e.in_file(path).into()
}

/// A resource from a YAML document, for the tests of each step.
#[cfg(test)]
pub(super) fn res_of(text: &str) -> Res {
    let docs = yaml::parse_stream(text).unwrap();
    Res {
        node: std::sync::Arc::new(render::to_emit(&docs[0])),
        prev: Vec::new(),
        needs_hash: false,
        variant: HashVariant::default(),
        behavior: Behavior::Create,
        origin: Loc::file("test.yaml"),
        key_origins: BTreeMap::new(),
        placeholder: false,
        keys_unknown: false,
        meta: Provenance::Plain,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_current_original_and_any() {
        let mut r = res_of("kind: Secret\nmetadata: {name: a}\n");
        assert_eq!(r.cur(), ("default".to_string(), "a".to_string()));
        r.store_prev();
        r.set_meta("name", Some("p-a"));
        r.set_meta("namespace", Some("ns"));
        assert_eq!(r.cur(), ("ns".to_string(), "p-a".to_string()));
        assert_eq!(r.org(), ("default".to_string(), "a".to_string()));
        assert!(r.any_id(&("default".to_string(), "a".to_string())));
        assert!(r.any_id(&("ns".to_string(), "p-a".to_string())));
        assert!(!r.any_id(&("ns".to_string(), "a".to_string())));
        assert_eq!(effective(Some("")), "default");
    }

    #[test]
    fn local_configs_are_marked_by_their_annotation() {
        let r = res_of(
            "kind: Secret\nmetadata:\n  name: a\n  annotations: {config.kubernetes.io/local-config: \"true\"}\n",
        );
        assert!(is_local(&r));
        assert!(!is_local(&res_of("kind: Secret\nmetadata: {name: a}\n")));
    }
}
