//! Names and annotations as kustomize leaves them: the bookkeeping annotations it removes,
//! the local-config marker that drops a resource, and the marks a Secret carries in plugin
//! mode so that kustomize hashes and merges it.

use std::collections::BTreeMap;

use super::Secret;
use crate::error::Warning;
use crate::kustomize::hash::{self, HashVariant};
use crate::kustomize::manifest::{Behavior, Generator};

/// The annotations kustomize adds for its own bookkeeping and removes before it prints
/// (`RemoveBuildAnnotations`, and the origin and transformer annotations without
/// `buildMetadata`): whoever wrote them, they never reach kustomize's output.
pub(crate) fn is_build_annotation(key: &str) -> bool {
    const INTERNAL: &[&str] = &[
        "previousKinds",
        "previousNames",
        "prefixes",
        "suffixes",
        "previousNamespaces",
        "allowNameChange",
        "allowKindChange",
        "refBy",
        "generatorBehavior",
        "needsHashSuffix",
        "path",
        "index",
        "seqindent",
        "id",
        "annotations-migration-resource-id",
        "helm-generated",
    ];
    match key.strip_prefix("internal.config.kubernetes.io/") {
        Some(name) => INTERNAL.contains(&name),
        None => matches!(
            key,
            "config.kubernetes.io/path"
                | "config.kubernetes.io/index"
                | "config.k8s.io/id"
                | "config.kubernetes.io/origin"
                | "alpha.config.kubernetes.io/transformations"
        ),
    }
}

/// kustomize drops a resource marked `config.kubernetes.io/local-config` with any value but
/// `"false"`: it is configuration for tools, not for the cluster.
pub(crate) fn is_local_config(annotations: &BTreeMap<String, String>) -> bool {
    annotations
        .get("config.kubernetes.io/local-config")
        .is_some_and(|v| v != "false")
}

/// In plugin mode kustomize does the hashing (and so rewrites references) when asked by
/// annotation; a non-default variant is applied here instead, with a warning.
pub(super) fn plugin_marks(
    secret: &mut Secret,
    g: &Generator,
    variant: HashVariant,
    hashed: bool,
    warnings: &mut Vec<Warning>,
) {
    if hashed && variant == HashVariant::Kustomize {
        secret
            .annotations
            .insert("kustomize.config.k8s.io/needs-hash".into(), "true".into());
    } else if hashed {
        apply_hash(secret, variant);
        warnings.push(Warning {
            loc: g.loc(),
            message: format!(
                "hash variant `{variant}` is applied by secretgen, not kustomize: kustomize will not rewrite references to `{}`",
                secret.base_name
            ),
        });
    }
    if g.behavior != Behavior::Create {
        secret.annotations.insert(
            "kustomize.config.k8s.io/behavior".into(),
            g.behavior.as_str().into(),
        );
    }
}

/// A name whose suffix the build computes at its end: the variant kept, and a stand-in suffix
/// of the same length and alphabet so that the name is judged at its final length.
pub(super) fn defer_hash(secret: &mut Secret, variant: HashVariant) {
    let stand_in = char::from(hash::SUFFIX_ALPHABET[0])
        .to_string()
        .repeat(hash::SUFFIX_LEN);
    secret.name = format!("{}-{stand_in}", secret.base_name);
    secret.hash = Some((variant, String::new()));
}

/// The final name: the base name and the variant's suffix.
pub(super) fn apply_hash(secret: &mut Secret, variant: HashVariant) {
    let suffix = secret.hash_suffix(variant);
    secret.name = format!("{}-{}", secret.base_name, suffix);
    secret.hash = Some((variant, suffix));
}
