//! The one table of a kustomization's fields: every field kustomize v5 reads, and what
//! secretgen does with it in a flat render (a kustomization rendered generator by generator)
//! and in a tree build (`render/tree`, as `kubectl kustomize` builds it).
//!
//! Every list of fields the readers, the planner and the build use is derived from
//! [`FIELDS`]: the known names (unknown ones are refused), the fields a flat render warns
//! about, the fields whose presence makes a tree, and the warnings a tree build drops
//! because it applies (or refuses) the field itself.

/// What a flat render does with a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flat {
    /// Read and applied to the generated Secrets.
    Applied,
    /// Not applied, though it may change the Secrets: said with a warning
    /// ([`super::WarningKind::NotApplied`]).
    Warned,
    /// Changes no Secret, or is left to the tree build: read and ignored.
    Ignored,
}

/// What a tree build does with a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tree {
    /// Applied as kustomize applies it.
    Applied,
    /// Refused where it may change a Secret (`--accept-unapplied` makes it a warning).
    Refused,
    /// Not applied: the flat render's warning stands.
    Warned,
    /// Changes no Secret.
    Ignored,
}

/// One field of a kustomization.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Field {
    pub(crate) name: &'static str,
    pub(crate) flat: Flat,
    pub(crate) tree: Tree,
    /// Whether a set value makes the kustomization a tree build on its own (entries of
    /// `resources`, `bases`, `components` and `generators` are judged one by one).
    pub(crate) makes_tree: bool,
}

const fn f(name: &'static str, flat: Flat, tree: Tree, makes_tree: bool) -> Field {
    Field {
        name,
        flat,
        tree,
        makes_tree,
    }
}

use Flat as F;
use Tree as T;

/// Every field of a kustomization. The order is the order of a flat render's warnings.
pub(crate) const FIELDS: &[Field] = &[
    f("apiVersion", F::Ignored, T::Ignored, false),
    // `kind: Component` makes a tree (see `Kustomization::is_component`).
    f("kind", F::Ignored, T::Applied, false),
    f("metadata", F::Ignored, T::Ignored, false),
    f("openapi", F::Ignored, T::Ignored, false),
    f("namePrefix", F::Applied, T::Applied, false),
    f("nameSuffix", F::Applied, T::Applied, false),
    f("namespace", F::Applied, T::Applied, false),
    f("commonLabels", F::Applied, T::Applied, false),
    f("labels", F::Applied, T::Applied, false),
    f("commonAnnotations", F::Applied, T::Applied, false),
    f("patches", F::Warned, T::Applied, true),
    f("patchesStrategicMerge", F::Warned, T::Applied, true),
    f("patchesJson6902", F::Warned, T::Applied, true),
    f("images", F::Ignored, T::Ignored, false),
    f("imageTags", F::Ignored, T::Ignored, false),
    f("replacements", F::Warned, T::Applied, true),
    f("replicas", F::Ignored, T::Ignored, false),
    f("vars", F::Ignored, T::Applied, true),
    f("transformers", F::Warned, T::Refused, true),
    f("resources", F::Applied, T::Applied, false),
    f("components", F::Warned, T::Applied, true),
    f("crds", F::Ignored, T::Ignored, false),
    f("bases", F::Ignored, T::Applied, false),
    f("configMapGenerator", F::Ignored, T::Ignored, false),
    f("secretGenerator", F::Applied, T::Applied, false),
    f("helmGlobals", F::Ignored, T::Ignored, false),
    f("helmCharts", F::Warned, T::Refused, true),
    f("helmChartInflationGenerator", F::Ignored, T::Refused, true),
    f("generatorOptions", F::Applied, T::Applied, false),
    f("configurations", F::Warned, T::Warned, false),
    f("generators", F::Applied, T::Applied, false),
    f("validators", F::Ignored, T::Ignored, false),
    // `managedByLabel`/`originAnnotations` label and annotate every generated Secret.
    f("buildMetadata", F::Warned, T::Warned, false),
    // `order: fifo` changes the order of the documents.
    f("sortOptions", F::Warned, T::Warned, false),
];

/// Every field's name, for the unknown-field check and Go's case folding.
pub(crate) const NAMES: [&str; FIELDS.len()] = {
    let mut out = [""; FIELDS.len()];
    let mut i = 0;
    while i < FIELDS.len() {
        out[i] = FIELDS[i].name;
        i += 1;
    }
    out
};

/// The field named `name`.
pub(crate) fn field(name: &str) -> Option<&'static Field> {
    FIELDS.iter().find(|f| f.name == name)
}

impl Field {
    /// A tree build handles this field itself (applies or refuses it): the flat render's
    /// "not applied" warning does not hold there.
    pub(crate) fn tree_handles(&self) -> bool {
        matches!(self.tree, Tree::Applied | Tree::Refused)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(pred: impl Fn(&Field) -> bool) -> Vec<&'static str> {
        FIELDS.iter().filter(|f| pred(f)).map(|f| f.name).collect()
    }

    #[test]
    fn names_are_unique_and_complete() {
        let mut n = NAMES.to_vec();
        n.sort_unstable();
        n.dedup();
        assert_eq!(n.len(), FIELDS.len());
        assert_eq!(FIELDS.len(), 34);
        assert!(field("secretGenerator").is_some());
        assert!(field("secretgenerator").is_none());
    }

    #[test]
    fn the_lists_derived_from_the_table() {
        // What a flat render warns about.
        assert_eq!(
            names(|f| f.flat == Flat::Warned),
            [
                "patches",
                "patchesStrategicMerge",
                "patchesJson6902",
                "replacements",
                "transformers",
                "components",
                "helmCharts",
                "configurations",
                "buildMetadata",
                "sortOptions",
            ]
        );
        // What makes a tree by being set.
        assert_eq!(
            names(|f| f.makes_tree),
            [
                "patches",
                "patchesStrategicMerge",
                "patchesJson6902",
                "replacements",
                "vars",
                "transformers",
                "components",
                "helmCharts",
                "helmChartInflationGenerator",
            ]
        );
        // The flat warnings a tree build drops: it applies or refuses these itself.
        assert_eq!(
            names(|f| f.flat == Flat::Warned && f.tree_handles()),
            [
                "patches",
                "patchesStrategicMerge",
                "patchesJson6902",
                "replacements",
                "transformers",
                "components",
                "helmCharts",
            ]
        );
    }
}
