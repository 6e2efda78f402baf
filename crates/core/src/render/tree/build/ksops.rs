//! KSOPS configs under a kustomization's `generators`: generators of the tree like any
//! other. Each is run as kustomize runs KSOPS (from the kustomization's directory), and
//! what it prints is taken as kustomize takes a generator plugin's output
//! (`UpdateResourceOptions`): `behavior` and `needs-hash` read from each document's
//! annotations and taken off it; the Secrets are then absorbed in the accumulator (create,
//! merge, replace), transformed by every level above and hashed at the end of the build.

use super::*;
use crate::kustomize::manifest::{BEHAVIOR, NEEDS_HASH, parse_needs_hash};

/// A generator plugin the tree build runs where a kustomization lists its config under
/// `generators` (KSOPS): given by the layer above, which can name it.
pub trait GeneratorPlugin: Sync {
    /// Whether `doc`, a document under `generators`, is a config this plugin runs.
    fn runs(&self, doc: &yaml::Node) -> bool;
    /// Every document the config `doc` (written in `file`) makes, run from `dir` (the
    /// directory of the kustomization that lists it), in order.
    fn generate(
        &self,
        file: &Path,
        doc: &yaml::Node,
        dir: &Path,
        keys: &dyn Decrypt,
    ) -> Result<Vec<Generated>>;
}

/// One document a generator plugin made.
pub struct Generated {
    /// The document, its scalars marked as decrypted text where they are.
    pub doc: yaml::Node,
    /// The config entry that made it.
    pub origin: Loc,
    /// Its names too are decrypted text (a decrypted manifest).
    pub decrypted_names: bool,
}

/// The Secrets a KSOPS config `doc`, written in `file` and listed by the kustomization of
/// `dir`, generates. Its other documents are not kept: a workload decrypted from a `files`
/// manifest is not given to `check`, whose findings quote what they read.
pub(super) fn generated(
    plugin: &dyn GeneratorPlugin,
    file: &Path,
    doc: &yaml::Node,
    dir: &Path,
    keys: &dyn Decrypt,
) -> Result<Vec<Res>> {
    let mut secrets = Vec::new();
    for made in plugin.generate(file, doc, dir, keys)? {
        let d = &made.doc;
        let is_secret = d.get("kind").and_then(str_of) == Some("Secret")
            && d.get("apiVersion").and_then(str_of) == Some("v1");
        if is_secret {
            secrets.push(received(&made)?);
        }
    }
    Ok(secrets)
}

/// One generated Secret as kustomize receives it from a generator plugin.
fn received(made: &Generated) -> Result<Res> {
    let d = &made.doc;
    let name = d
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(str_of);
    if name.is_none_or(str::is_empty) {
        return Err(BuildError::new(made.origin.clone(), Rule::SecretWithoutName).into());
    }
    let mut key_origins = BTreeMap::new();
    for field in ["data", "stringData"] {
        for (k, _) in d.get(field).and_then(|n| n.as_map()).unwrap_or(&[]) {
            if let Some(k) = k.as_str() {
                key_origins.insert(k.to_string(), (made.origin.clone(), true));
            }
        }
    }
    let mut res = Res {
        node: std::sync::Arc::new(render::to_emit(d)),
        prev: Vec::new(),
        needs_hash: false,
        variant: HashVariant::Kustomize,
        behavior: Behavior::Create,
        origin: made.origin.clone(),
        key_origins,
        placeholder: false,
        keys_unknown: false,
        meta: Provenance::decrypted_if(made.decrypted_names),
    };
    let annotations = res.string_map("annotations");
    let value = |key: &str| {
        annotations
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    res.needs_hash = match value(NEEDS_HASH) {
        None => false,
        Some(v) => parse_needs_hash(v).ok_or_else(|| {
            Error::from(BuildError::new(
                made.origin.clone(),
                Rule::NeedsHashNotABool,
            ))
        })?,
    };
    // kustomize's `NewGenerationBehavior`: any other value is unspecified, which meets an
    // existing id as `create` does.
    res.behavior = match value(BEHAVIOR) {
        Some("merge") => Behavior::Merge,
        Some("replace") => Behavior::Replace,
        _ => Behavior::Create,
    };
    let kept: BTreeMap<String, String> = annotations
        .iter()
        .filter(|(k, _)| k != NEEDS_HASH && k != BEHAVIOR)
        .cloned()
        .collect();
    let has_field = get(&res.node, "metadata").is_some_and(|m| get(m, "annotations").is_some());
    if has_field && (kept.len() != annotations.len() || kept.is_empty()) {
        // Set again from what is left, as kustomize does (none left: no field).
        let mut meta = get(&res.node, "metadata")
            .cloned()
            .unwrap_or(Node::Map(Vec::new()));
        if kept.is_empty() {
            patch::remove(&mut meta, "annotations");
        } else {
            let map = kept
                .into_iter()
                .map(|(k, v)| (Cow::Owned(k), Node::Str(Cow::Owned(v))))
                .collect();
            set(&mut meta, "annotations", Node::Map(map));
        }
        set(res.node_mut(), "metadata", meta);
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn made(text: &str) -> Generated {
        Generated {
            doc: yaml::parse_stream(text).unwrap().remove(0),
            origin: Loc::file("ksops.yaml"),
            decrypted_names: false,
        }
    }

    fn secret(annotations: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  annotations:\n{annotations}data:\n  k: dg==\n"
        )
    }

    #[test]
    fn generator_annotations_are_read_and_taken_off() {
        let r = received(&made(&secret(
            "    kustomize.config.k8s.io/needs-hash: \"true\"\n    kustomize.config.k8s.io/behavior: replace\n    note: kept\n",
        )))
        .unwrap();
        assert!(r.needs_hash);
        assert_eq!(r.behavior, Behavior::Replace);
        assert_eq!(
            r.string_map("annotations"),
            [("note".into(), "kept".into())]
        );

        let r = received(&made(&secret(
            "    kustomize.config.k8s.io/needs-hash: \"False\"\n    kustomize.config.k8s.io/behavior: merge\n",
        )))
        .unwrap();
        assert!(!r.needs_hash);
        assert_eq!(r.behavior, Behavior::Merge);
        let meta = get(&r.node, "metadata").unwrap();
        assert!(get(meta, "annotations").is_none());

        // kustomize reads another behavior as unspecified: `create` where nothing matches.
        let r = received(&made(&secret(
            "    kustomize.config.k8s.io/behavior: upsert\n",
        )))
        .unwrap();
        assert_eq!(r.behavior, Behavior::Create);
        assert!(!r.needs_hash);
    }

    #[test]
    fn a_needs_hash_that_is_not_a_boolean_is_refused() {
        // kustomize: the annotation "kustomize.config.k8s.io/needs-hash" contains an
        // invalid value ("yes").
        let e = received(&made(&secret(
            "    kustomize.config.k8s.io/needs-hash: \"yes\"\n",
        )))
        .err()
        .unwrap();
        assert!(e.to_string().contains("must be a boolean"), "{e}");
    }

    #[test]
    fn a_nameless_secret_is_refused() {
        let e = received(&made("apiVersion: v1\nkind: Secret\nmetadata: {}\n"))
            .err()
            .unwrap();
        assert!(e.to_string().starts_with("ksops.yaml"), "{e}");
    }
}
