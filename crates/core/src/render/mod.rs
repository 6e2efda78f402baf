//! Rendering: generators in, Secrets out.
//!
//! In: [`Unit`]s read by `manifest`. For each generator: read its sources (decrypting age
//! inputs in memory), check every Kubernetes rule, hash, and name it. Out: [`Secret`]s in
//! kustomize's resource order, and their YAML, byte-identical to `kubectl kustomize`.
//! Refuses anything the API server would refuse, files outside the root, and duplicate keys.
//!
//! This file holds the Secret model and the orchestration (every generator of every unit,
//! in parallel, results in order); the jobs it calls on live beside it: `settings` (what a
//! run is told), `loader` (reading sources under the load restrictor), `generator` (one
//! generator to one Secret), `resources` (SOPS-encrypted Secrets from `resources`) and
//! `naming` (kustomize's bookkeeping annotations and plugin-mode names).

pub mod discover;
mod error;
mod generator;
pub(crate) mod loader;
mod naming;
pub(crate) mod reads;
mod resources;
mod settings;
pub mod tree;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;

use zeroize::Zeroizing;

use crate::error::{Error, Result, Warning};
use crate::kustomize::manifest::{Generator, Transform, Unit};
#[cfg(test)]
use crate::secret::SecretBytes;
use crate::secret::{Enc, Entry, Secret, read};
use crate::yaml::emit::Node;

pub(crate) use generator::render_generator;
pub(crate) use naming::{is_build_annotation, is_local_config};
pub(crate) use resources::to_emit;
use resources::{is_sops_doc, set, sops_secrets};
pub use settings::{
    Given, LOAD_RESTRICTOR_VAR, LoadRestrictor, Said, Session, Settings, key_services, keyring,
};
pub(crate) use settings::{MAX_SECRET_BYTES, Mode, PLACEHOLDER, PLACEHOLDER_ANNOTATION};

pub use crate::age::open::{Decrypt, DecryptFailure};

/// Where a failure to open an input becomes the library's error (this layer is the first
/// above both the age layer and `error.rs`).
impl DecryptFailure {
    /// The failure as an error at `loc` (the place that names the encrypted input).
    pub fn at(self, loc: crate::error::Loc) -> Error {
        match self {
            DecryptFailure::Age(source) => Error::Age { loc, source },
            DecryptFailure::Sops(source) => Error::Sops { loc, source },
        }
    }
}

/// For unit tests whose inputs are all plaintext: nothing is encrypted, nothing decrypts.
#[cfg(test)]
pub(crate) struct NoKeys;

#[cfg(test)]
impl Decrypt for NoKeys {
    fn is_encrypted(&self, _: &[u8]) -> bool {
        false
    }
    fn open(&self, _: &Path, _: &[u8]) -> std::result::Result<SecretBytes, DecryptFailure> {
        unreachable!("no input here is encrypted")
    }
    fn open_sops(&self, _: &Path, _: &[u8]) -> std::result::Result<SecretBytes, DecryptFailure> {
        unreachable!("no input here is encrypted")
    }
}

/// For unit tests of KSOPS configs over plaintext files: every input "opens" as itself.
#[cfg(test)]
pub(crate) struct AsIs;

#[cfg(test)]
impl Decrypt for AsIs {
    fn is_encrypted(&self, _: &[u8]) -> bool {
        false
    }
    fn open(&self, _: &Path, b: &[u8]) -> std::result::Result<SecretBytes, DecryptFailure> {
        Ok(SecretBytes::from_slice(b))
    }
    fn open_sops(&self, _: &Path, b: &[u8]) -> std::result::Result<SecretBytes, DecryptFailure> {
        Ok(SecretBytes::from_slice(b))
    }
}

/// The output of rendering: Secrets plus the warnings met on the way.
#[derive(Debug, Default)]
pub struct Output {
    pub secrets: Vec<Secret>,
    pub warnings: Vec<Warning>,
}

/// Renders every generator of every unit; the result is sorted. All errors of all
/// generators are reported together.
pub fn render_units(units: &[Unit], settings: &Settings, keys: &dyn Decrypt) -> Result<Output> {
    render_units_with_progress(units, settings, keys, &|| {})
}

/// [`render_units`], calling `tick` after each generator (for a progress bar).
pub(crate) fn render_units_with_progress(
    units: &[Unit],
    settings: &Settings,
    keys: &dyn Decrypt,
    tick: &(dyn Fn() + Sync),
) -> Result<Output> {
    let (secrets, warnings) = render_mapped(units, settings, keys, tick, &|s| s)?;
    Ok(Output { secrets, warnings })
}

/// One printed YAML document, zeroed when dropped.
pub(crate) type Document = Zeroizing<Vec<u8>>;

/// Renders like [`render_units`] but returns each Secret as its YAML document (no `---`),
/// in the same order, plus the warnings. Each Secret is printed as soon as it is rendered
/// and then dropped, so its values are not held twice (bytes and base64) until the end:
/// peak memory stays near the size of the output, whatever the number of Secrets.
pub fn render_units_to_documents(
    units: &[Unit],
    settings: &Settings,
    keys: &dyn Decrypt,
    tick: &(dyn Fn() + Sync),
) -> Result<(Vec<Document>, Vec<Warning>)> {
    render_mapped(units, settings, keys, tick, &|s: Secret| s.document(false))
}

/// Renders every generator and plain Secret, maps each Secret through `map` as soon as it is
/// made, and returns the results sorted as [`sort_secrets`] sorts Secrets.
fn render_mapped<T: Send>(
    units: &[Unit],
    settings: &Settings,
    keys: &dyn Decrypt,
    tick: &(dyn Fn() + Sync),
    map: &(dyn Fn(Secret) -> T + Sync),
) -> Result<(Vec<T>, Vec<Warning>)> {
    let mut out: Vec<(String, T)> = Vec::new();
    let mut warnings_out = Vec::new();
    let mut errors = Vec::new();
    // (The files a kustomization names were held to the load restrictor when it was read:
    // `kustomize::manifest` reads none outside its directory.)
    let gens: Vec<(&Unit, &Generator)> = units
        .iter()
        .flat_map(|u| u.generators.iter().map(move |g| (u, g)))
        .collect();
    let render = |(u, g): &(&Unit, &Generator)| {
        let r = render_generator(g, &u.transform, settings, keys).map(|(secret, warnings)| {
            let item =
                (!is_local_config(&secret.annotations)).then(|| (secret.sort_key(), map(secret)));
            (item, warnings)
        });
        tick();
        r
    };
    // Generators are independent: render them on every core, collected in their order, so
    // that Secrets, warnings and errors come out exactly as from one thread.
    type Rendered<T> = Result<(Option<(String, T)>, Vec<Warning>)>;
    let results: Vec<Rendered<T>> = if gens.len() >= PARALLEL_MIN {
        use rayon::prelude::*;
        gens.par_iter().map(render).collect()
    } else {
        gens.iter().map(render).collect()
    };
    let mut results = results.into_iter();
    for unit in units {
        warnings_out.extend(unit.warnings.iter().map(|n| n.warning.clone()));
        for r in results.by_ref().take(unit.generators.len()) {
            match r {
                Ok((item, warnings)) => {
                    out.extend(item);
                    warnings_out.extend(warnings);
                }
                Err(e) => errors.push(e),
            }
        }
        render_resources(
            unit,
            settings,
            keys,
            map,
            &mut out,
            &mut errors,
            &mut warnings_out,
        );
    }
    if !errors.is_empty() {
        return Err(Error::many(errors));
    }
    // Stable, as `sort_secrets` is.
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok((out.into_iter().map(|(_, t)| t).collect(), warnings_out))
}

/// The Secrets of a unit's `resources`, plain or SOPS-encrypted, each mapped through `map`
/// into `out` with its sort key; errors collected in `errors`.
fn render_resources<T>(
    unit: &Unit,
    settings: &Settings,
    keys: &dyn Decrypt,
    map: &(dyn Fn(Secret) -> T + Sync),
    out: &mut Vec<(String, T)>,
    errors: &mut Vec<Error>,
    warnings: &mut Vec<Warning>,
) {
    for (file, doc) in &unit.plain_secrets {
        if is_sops_doc(doc) {
            match sops_secrets(file, doc, &unit.transform, keys, settings.placeholder) {
                Ok(list) => out.extend(list.into_iter().map(|s| {
                    warnings.extend(tree::placeholder_warning(&s));
                    (s.sort_key(), map(s))
                })),
                Err(e) => errors.push(e),
            }
            continue;
        }
        match plain_secret(file, doc, &unit.transform) {
            Ok(s) if is_local_config(&s.annotations) => {}
            Ok(s) => {
                warnings.extend(tree::placeholder_warning(&s));
                out.push((s.sort_key(), map(s)))
            }
            Err(e) => errors.push(e),
        }
    }
}

/// From this many generators on, rendering is spread over all cores; below it, starting
/// the threads costs more than they save (the exec plugin renders one).
const PARALLEL_MIN: usize = 64;

/// A plain `v1` Secret from `resources`, with the kustomization's prefix, suffix,
/// namespace, labels and annotations applied as kustomize applies them.
fn plain_secret(file: &Path, doc: &crate::yaml::Node, t: &Transform) -> Result<Secret> {
    secret_resource(file, doc, t, &read::Reading::RESOURCE)
}

/// A `v1` Secret from `resources` read as `how` says (a decrypted one's errors describe its
/// keys), with the kustomization's transformers applied.
fn secret_resource(
    file: &Path,
    doc: &crate::yaml::Node,
    t: &Transform,
    how: &read::Reading,
) -> Result<Secret> {
    let mut s = read::secret(file, doc, how)?;
    s.base_name = format!("{}{}{}", t.name_prefix, s.name, t.name_suffix);
    s.name = s.base_name.clone();
    if t.namespace.is_some() {
        s.namespace = t.namespace.clone();
    }
    s.labels
        .extend(t.labels.iter().map(|(k, (v, _))| (k.clone(), v.clone())));
    s.annotations.extend(
        t.annotations
            .iter()
            .map(|(k, (v, _))| (k.clone(), v.clone())),
    );
    s.annotations.retain(|k, _| !is_build_annotation(k));

    let mut node = to_emit(doc);
    if let Node::Map(top) = &mut node {
        let mut m = match top
            .iter()
            .find(|(k, _)| k == "metadata")
            .map(|(_, v)| v.clone())
        {
            Some(Node::Map(m)) => m,
            _ => Vec::new(),
        };
        set(&mut m, "name", Node::Str(Cow::Owned(s.base_name.clone())));
        if let Some(ns) = &s.namespace {
            set(&mut m, "namespace", Node::Str(Cow::Owned(ns.clone())));
        }
        let as_map = |src: &BTreeMap<String, String>| {
            Node::Map(
                src.iter()
                    .map(|(k, v)| (Cow::Owned(k.clone()), Node::Str(Cow::Owned(v.clone()))))
                    .collect(),
            )
        };
        if !s.labels.is_empty() {
            set(&mut m, "labels", as_map(&s.labels));
        }
        if !s.annotations.is_empty() {
            set(&mut m, "annotations", as_map(&s.annotations));
        } else {
            m.retain(|(k, _)| k != "annotations");
        }
        set(top, "metadata", Node::Map(m));
    }
    s.passthrough = Some(node);
    Ok(s)
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests make fixtures directly
mod tests {
    use super::*;
    use crate::secret::{sort_secrets, to_yaml};

    /// Enough generators to take the parallel path: the Secrets, and the errors of failing
    /// generators, come out as one thread gives them (each generator rendered on its own).
    #[test]
    fn parallel_render_keeps_the_order_of_results_and_errors() {
        let n = PARALLEL_MIN * 2 + 3;
        let mut k = String::from("secretGenerator:\n");
        for i in 0..n {
            // Every 40th generator names a missing file.
            let source = if i % 40 == 7 {
                format!("files: [missing-{i}.txt]")
            } else {
                format!("literals: [k=v{i}]")
            };
            k.push_str(&format!("- name: s{i:03}\n  {source}\n"));
        }
        let t = tempfile::tempdir().unwrap();
        let path = t.path().join("kustomization.yaml");
        std::fs::write(&path, &k).unwrap();
        let unit = crate::kustomize::manifest::read_kustomization(&path, &k).unwrap();
        let settings = Settings::default();
        let err = render_units(std::slice::from_ref(&unit), &settings, &NoKeys).unwrap_err();
        let Error::Many(errors) = err else {
            panic!("expected several errors")
        };
        let want: Vec<String> = (0..n)
            .filter(|i| i % 40 == 7)
            .map(|i| format!("missing-{i}.txt"))
            .collect();
        assert_eq!(errors.len(), want.len());
        for (e, w) in errors.iter().zip(&want) {
            assert!(e.to_string().contains(w.as_str()), "{e} should name {w}");
        }

        let mut ok = unit;
        ok.generators.retain(|g| g.files.is_empty());
        let all = render_units(std::slice::from_ref(&ok), &settings, &NoKeys).unwrap();
        let mut one_by_one: Vec<Secret> = ok
            .generators
            .iter()
            .map(|g| {
                render_generator(g, &ok.transform, &settings, &NoKeys)
                    .unwrap()
                    .0
            })
            .collect();
        sort_secrets(&mut one_by_one);
        assert!(all.secrets.len() > PARALLEL_MIN);
        assert_eq!(
            to_yaml(&all.secrets).to_vec(),
            to_yaml(&one_by_one).to_vec()
        );
        let (docs, _) =
            render_units_to_documents(std::slice::from_ref(&ok), &settings, &NoKeys, &|| {})
                .unwrap();
        let docs: Vec<Vec<u8>> = docs.iter().map(|d| d.to_vec()).collect();
        assert_eq!(docs.join(&b"---\n"[..]), to_yaml(&all.secrets).to_vec());
    }

    /// Each Secret is printed into a buffer sized for it up front (a grown buffer leaves a
    /// copy of the values behind): values of every size, short and long keys, labels,
    /// annotations, a namespace, a type.
    #[test]
    fn a_document_fits_the_room_made_for_it() {
        let t = tempfile::tempdir().unwrap();
        let mut k = String::from(
            "namespace: a-rather-long-namespace-name\ncommonLabels: {team: payments, tier: backend}\ncommonAnnotations: {note: some text}\nsecretGenerator:\n",
        );
        for (i, size) in [0usize, 1, 2, 3, 52, 53, 54, 100, 1024, 10_000, 100_000]
            .into_iter()
            .enumerate()
        {
            let file = t.path().join(format!("v{i}"));
            std::fs::write(&file, "x".repeat(size)).unwrap();
            let key = "k".repeat(1 + i * 20);
            k.push_str(&format!(
                "- name: s{i}\n  type: example.com/t{i}\n  files: [{key}=v{i}, short=v{i}]\n  options: {{labels: {{l{i}: v}}}}\n"
            ));
        }
        let path = t.path().join("kustomization.yaml");
        std::fs::write(&path, &k).unwrap();
        let unit = crate::kustomize::manifest::read_kustomization(&path, &k).unwrap();
        let out = render_units(std::slice::from_ref(&unit), &Settings::default(), &NoKeys).unwrap();
        assert_eq!(out.secrets.len(), 11);
        for s in &out.secrets {
            let doc = s.document(true);
            assert!(
                doc.len() <= s.document_capacity(),
                "{}: {} bytes printed, {} made room for",
                s.name,
                doc.len(),
                s.document_capacity()
            );
        }
    }
}
