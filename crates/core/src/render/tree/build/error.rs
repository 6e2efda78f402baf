//! What a tree build refuses, as data: the rule of kustomize's build that the tree breaks,
//! what it is about (ids as the text a message may show, origins as places), and where.
//! The words are written once, here, when the error is shown; a path is shown through the
//! run's [`PathView`] (the working tree, or `REV:path` under `diff --base`).

use std::fmt;

use crate::error::{Loc, PathView};
use crate::gate::shown::Text;
use crate::render::tree::patch;

/// A tree build's refusal at `loc`.
pub(crate) type BuildError = crate::error::Refusal<Rule>;

/// The rule broken.
#[derive(Debug)]
pub(crate) enum Rule {
    /// kustomize's `Append`: a second resource with an id already registered.
    MadeTwice {
        ns: Text,
        name: Text,
        first: Option<Loc>,
        second: Loc,
    },
    /// `behavior: merge` or `replace` with nothing before it to take.
    NothingToMerge {
        behavior: &'static str,
        ns: Text,
        name: Text,
    },
    /// A generator that creates a Secret already made (from `from`).
    AlreadyExists { ns: Text, name: Text, from: Loc },
    /// A generator that several Secrets could take.
    AmbiguousMerge { ns: Text, name: Text },
    /// `namespace:` that gives two Secrets one id.
    NamespaceConflict { namespace: String, name: Text },
    /// A JSON 6902 patch that is not a list.
    JsonPatchNotList,
    /// A JSON 6902 operation without `op` or `path`.
    JsonPatchOpIncomplete,
    /// A JSON 6902 patch without a `target`.
    JsonPatchNoTarget,
    /// A JSON 6902 patch that cannot be applied.
    JsonPatch(patch::Error),
    /// A patch `target` whose name or namespace cannot be matched.
    PatchTarget(patch::Error),
    /// A `patches` entry with neither or both of `path` and `patch`.
    PatchPathOrPatch,
    /// Several strategic-merge patches in one entry with a `target`.
    PatchesShareTarget,
    /// A strategic-merge patch that no Secret matches.
    PatchNoMatch { name: String, namespace: String },
    /// A strategic-merge patch that several Secrets match.
    PatchSeveralMatch { name: String },
    /// A directory with several kustomization files (their names).
    SeveralKustomizations(Vec<String>),
    /// A kustomization under `components` that is not a Component.
    NotAComponent,
    /// A Component under `resources`.
    ComponentInResources,
    /// A `resources` entry that is neither a file nor a directory.
    NotFileOrDirectory(String),
    /// A SOPS document after a plain first one.
    SopsAfterPlain,
    /// A Secret resource without a name.
    SecretWithoutName,
    /// What secretgen does not apply and that may change a Secret (said as `what`).
    Unapplied(String),
    /// A replacement without `source` or `targets`.
    ReplacementIncomplete,
    /// A replacement source that selects nothing (the selector as kustomize shows it).
    ReplacementSourceNotFound(String),
    /// A replacement source that selects several resources.
    ReplacementSourceSeveral(String),
    /// A replacement source without the field it names.
    ReplacementSourceFieldMissing(String),
    /// A `delimiter` on a field that is not a scalar.
    ReplacementDelimiterOnNonScalar,
    /// A source `index` outside the value split by its `delimiter`.
    ReplacementIndexOutOfBounds(i64),
    /// A replacement target without `select`.
    ReplacementTargetWithoutSelect,
    /// A selected target without the field (and no `create`).
    ReplacementTargetFieldMissing(String),
    /// A number or boolean target given a value of another type.
    ReplacementChangesType,
    /// A generated Secret whose `needs-hash` annotation is not a boolean.
    NeedsHashNotABool,
    /// A var declared twice in one tree (its name).
    VarTwice(String),
    /// A var whose `objref` names several resources.
    VarAmbiguous(String),
    /// A var whose `objref` names no resource of the tree.
    VarUnbound(String),
    /// A var whose resource has no scalar at its `fieldref`.
    VarFieldMissing(String),
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::MadeTwice {
                ns,
                name,
                first,
                second,
            } => {
                let first = first.as_ref().map(Loc::to_string).unwrap_or_default();
                write!(
                    f,
                    "Secret {name} in namespace {ns} is made twice (by {first} and {second}); kustomize: may not add resource with an already registered id"
                )
            }
            Rule::NothingToMerge { behavior, ns, name } => write!(
                f,
                "`behavior: {behavior}` for Secret {name} (namespace {ns}), but no such Secret comes from the resources, bases and generators before it (kustomize: id does not exist; cannot merge or replace)"
            ),
            Rule::AlreadyExists { ns, name, from } => write!(
                f,
                "Secret {name} (namespace {ns}) already exists (from {from}); a generator of the same name needs `behavior: merge` or `replace` (kustomize: id exists)"
            ),
            Rule::AmbiguousMerge { ns, name } => write!(
                f,
                "several Secrets could take {name} (namespace {ns}); kustomize refuses an ambiguous merge"
            ),
            Rule::NamespaceConflict { namespace, name } => write!(
                f,
                "`namespace: {namespace}` gives two Secrets the same id {name} (kustomize: namespace transformation produces ID conflict)"
            ),
            Rule::JsonPatchNotList => f.write_str("a JSON 6902 patch is a list of operations"),
            Rule::JsonPatchOpIncomplete => {
                f.write_str("each JSON 6902 operation needs `op` and `path`")
            }
            Rule::JsonPatchNoTarget => f.write_str("a JSON 6902 patch needs a `target`"),
            Rule::JsonPatch(e) => write!(f, "JSON 6902 patch: {e}"),
            Rule::PatchTarget(e) => write!(f, "patch target: {e}"),
            Rule::PatchPathOrPatch => f.write_str("a patch needs exactly one of `path` and `patch`"),
            Rule::PatchesShareTarget => f.write_str(
                "several strategic-merge patches in one `patches` entry cannot share a `target` (kustomize refuses it)",
            ),
            Rule::PatchNoMatch { name, namespace } => write!(
                f,
                "no Secret `{name}` in namespace `{namespace}` for this strategic-merge patch (kustomize: no resource matches strategic merge patch)"
            ),
            Rule::PatchSeveralMatch { name } => write!(
                f,
                "several Secrets match the strategic-merge patch for `{name}`"
            ),
            Rule::SeveralKustomizations(names) => write!(
                f,
                "found more than one kustomization file ({}); kustomize needs exactly one",
                names.join(", ")
            ),
            Rule::NotAComponent => f.write_str(
                "listed under `components` but its kind is not `Component` (kustomize refuses it)",
            ),
            Rule::ComponentInResources => f.write_str(
                "a `kind: Component` listed under `resources` (kustomize refuses it; list it under `components`)",
            ),
            Rule::NotFileOrDirectory(entry) => write!(
                f,
                "`resources` entry `{entry}` is neither a file nor a directory"
            ),
            Rule::SopsAfterPlain => f.write_str(
                "a document with SOPS metadata (`sops.mac`) after a first document without it; sops encrypts a file as a whole, so this file cannot be opened",
            ),
            Rule::SecretWithoutName => f.write_str("a Secret resource without metadata.name"),
            Rule::ReplacementIncomplete => f.write_str(
                "a replacement needs a `source` and at least one target (kustomize: replacements must specify a source and at least one target)",
            ),
            Rule::ReplacementSourceNotFound(sel) => {
                write!(f, "replacement source: nothing selected by {sel}")
            }
            Rule::ReplacementSourceSeveral(sel) => write!(
                f,
                "replacement source: multiple matches for selector {sel}; kustomize needs exactly one"
            ),
            Rule::ReplacementSourceFieldMissing(field) => write!(
                f,
                "fieldPath `{field}` is missing for the replacement source"
            ),
            Rule::ReplacementDelimiterOnNonScalar => {
                f.write_str("a replacement `delimiter` can only be used with scalar fields")
            }
            Rule::ReplacementIndexOutOfBounds(i) => write!(
                f,
                "replacement source: options.index {i} is out of bounds for the value split by its delimiter"
            ),
            Rule::ReplacementTargetWithoutSelect => {
                f.write_str("a replacement target must specify resources to `select`")
            }
            Rule::ReplacementTargetFieldMissing(field) => write!(
                f,
                "unable to find field `{field}` in replacement target (set `options.create: true` to add it)"
            ),
            Rule::ReplacementChangesType => f.write_str(
                "a replacement gives a number or boolean field a value of another type (kustomize cannot decode it)",
            ),
            Rule::NeedsHashNotABool => f.write_str(
                "a generated Secret's annotation `kustomize.config.k8s.io/needs-hash` must be a boolean (`true` or `false`), as kustomize reads it",
            ),
            Rule::VarTwice(name) => write!(
                f,
                "var `{name}` is declared twice in this tree (kustomize: var already encountered)"
            ),
            Rule::VarAmbiguous(name) => write!(
                f,
                "the `objref` of var `{name}` matches several resources (kustomize: unable to disambiguate)"
            ),
            Rule::VarUnbound(name) => write!(
                f,
                "var `{name}` cannot be mapped to a field in the set of known resources: its `objref` names no resource of this tree"
            ),
            Rule::VarFieldMissing(name) => write!(
                f,
                "the field that var `{name}` names (`fieldref.fieldPath`) is not found in its resource"
            ),
            Rule::Unapplied(what) => write!(
                f,
                "{what}; secretgen cannot apply it, so its Secrets would differ from `kubectl kustomize` (--accept-unapplied renders without it)"
            ),
        }
    }
}

impl crate::error::LayerRule for Rule {
    fn relabel(self, view: &dyn PathView) -> Rule {
        match self {
            Rule::MadeTwice {
                ns,
                name,
                first,
                second,
            } => Rule::MadeTwice {
                ns,
                name,
                first: first.map(|l| l.relabel(view)),
                second: second.relabel(view),
            },
            Rule::AlreadyExists { ns, name, from } => Rule::AlreadyExists {
                ns,
                name,
                from: from.relabel(view),
            },
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::error::TestRev as Rev;

    #[test]
    fn every_place_an_error_holds_is_shown_through_the_view() {
        let e: crate::error::Error = BuildError::new(
            Loc::file("tmp/o/kustomization.yaml"),
            Rule::MadeTwice {
                ns: Text::plain("default"),
                name: Text::plain("s"),
                first: Some(Loc::file("tmp/base/s.yaml")),
                second: Loc::file("tmp/o/s.yaml"),
            },
        )
        .into();
        assert_eq!(
            e.relabel(&Rev).to_string(),
            "REV:o/kustomization.yaml: Secret `s` in namespace `default` is made twice (by REV:base/s.yaml and REV:o/s.yaml); kustomize: may not add resource with an already registered id"
        );
    }
}
