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
mod generator;
pub mod loader;
mod naming;
mod resources;
mod settings;
pub mod tree;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;

use zeroize::Zeroizing;

use crate::error::{Error, Loc, Result, Warning};
use crate::kustomize::hash::{self, HashInput, HashVariant};
use crate::kustomize::manifest::{Generator, Transform, Unit};
use crate::secret::{SecretBytes, SecretString};
use crate::yaml::emit::{self, Node};

pub use generator::render_generator;
use loader::check_unit_files;
pub use naming::{is_build_annotation, is_local_config};
pub(crate) use resources::to_emit;
use resources::{is_sops_doc, set, sops_secrets};
pub use settings::{
    LoadRestrictor, MAX_SECRET_BYTES, Mode, PLACEHOLDER, PLACEHOLDER_ANNOTATION, Settings,
};

/// One data entry of a Secret.
#[derive(Debug)]
pub struct Entry {
    pub value: SecretBytes,
    /// kustomize's base64 (wrapped at 70 columns), as printed and hashed.
    pub base64: SecretString,
    /// Where the key came from.
    pub origin: Loc,
    /// Whether the value was decrypted from an age file.
    pub encrypted: bool,
}

/// Where a source's bytes came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Enc {
    Plain,
    Decrypted,
    /// Encrypted, no usable identity: a placeholder stands in (`--placeholder`).
    Placeholder,
}

/// A generated Secret, ready to print.
#[derive(Debug)]
pub struct Secret {
    /// The final name (with the suffix when hashed).
    pub name: String,
    /// The name before the suffix (prefix and suffix of the kustomization applied).
    pub base_name: String,
    pub namespace: Option<String>,
    pub type_: String,
    /// Whether the type was written out (kubectl hashes only a `--type` it was given).
    pub explicit_type: bool,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// Sorted bytewise by key.
    pub data: BTreeMap<String, Entry>,
    pub immutable: bool,
    /// The variant and suffix, when the name carries one.
    pub hash: Option<(HashVariant, String)>,
    /// The generator it came from.
    pub origin: Loc,
    /// A plain Secret resource printed as written (with the kustomization's changes),
    /// instead of from the fields above.
    pub passthrough: Option<Node<'static>>,
    /// Some value is a placeholder (`--placeholder`).
    pub placeholder: bool,
    /// Some key names are unknown: an encrypted env file rendered without an identity.
    pub keys_unknown: bool,
    /// Printed as `kubectl create secret … --dry-run=client -o yaml` prints it (`output:
    /// kubectl`): `creationTimestamp: null`, base64 on one line, `type` only when given.
    pub kubectl_output: bool,
}

impl Secret {
    /// The id kustomize sorts by within the Secret kind (RULES.md rule 80).
    fn sort_key(&self) -> String {
        format!(
            "{}|{}",
            self.namespace.as_deref().unwrap_or("~X"),
            self.name
        )
    }

    /// The JSON document its hash is computed over, with values shown as sizes when
    /// `redact` is set (`secretgen hash --explain`).
    pub fn hash_json(&self, variant: HashVariant, redact: bool) -> Zeroizing<Vec<u8>> {
        let unwrapped: Vec<SecretString>;
        let values: Vec<&str> = if variant.wraps_base64() {
            self.data.values().map(|e| e.base64.expose()).collect()
        } else {
            unwrapped = self
                .data
                .values()
                .map(|e| SecretString::new(base64_plain(e.value.expose())))
                .collect();
            unwrapped.iter().map(|s| s.expose()).collect()
        };
        let pairs: Vec<(&str, &str)> = self.data.keys().map(String::as_str).zip(values).collect();
        let sizes = |k: &str| self.data.get(k).map_or(0, |e| e.value.len());
        let input = HashInput {
            variant,
            name: &self.base_name,
            type_: &self.type_,
            kubectl_type: self.explicit_type.then_some(self.type_.as_str()),
            data: &pairs,
            string_data: None,
            immutable: self.immutable,
        };
        let values = if redact {
            hash::Values::Sizes(&sizes)
        } else {
            hash::Values::Real
        };
        hash::hash_json(&input, values)
    }

    /// The emitter's view of the Secret.
    pub fn to_node(&self) -> Node<'_> {
        if let Some(node) = &self.passthrough {
            return node.clone();
        }
        if self.kubectl_output {
            return self.to_kubectl_node();
        }
        let mut meta: Vec<(Cow<'_, str>, Node<'_>)> =
            vec![("name".into(), Node::Str(self.name.as_str().into()))];
        if let Some(ns) = &self.namespace {
            meta.push(("namespace".into(), Node::Str(ns.as_str().into())));
        }
        if !self.labels.is_empty() {
            meta.push(("labels".into(), string_map(&self.labels)));
        }
        if !self.annotations.is_empty() {
            meta.push(("annotations".into(), string_map(&self.annotations)));
        }
        let data = self
            .data
            .iter()
            .map(|(k, e)| {
                (
                    Cow::Borrowed(k.as_str()),
                    Node::Str(e.base64.expose().into()),
                )
            })
            .collect();
        let mut top: Vec<(Cow<'_, str>, Node<'_>)> = vec![
            ("apiVersion".into(), Node::Str("v1".into())),
            ("kind".into(), Node::Str("Secret".into())),
            ("metadata".into(), Node::Map(meta)),
            ("type".into(), Node::Str(self.type_.as_str().into())),
            ("data".into(), Node::Map(data)),
        ];
        if self.immutable {
            top.push(("immutable".into(), Node::Bool(true)));
        }
        Node::Map(top)
    }
}

impl Secret {
    /// kubectl's printing: its field order, `creationTimestamp: null`, one-line base64, no
    /// `data` when empty, and `type` only when the generator set one.
    fn to_kubectl_node(&self) -> Node<'_> {
        let mut meta: Vec<(Cow<'_, str>, Node<'_>)> =
            vec![("creationTimestamp".into(), Node::Null)];
        if !self.labels.is_empty() {
            meta.push(("labels".into(), string_map(&self.labels)));
        }
        if !self.annotations.is_empty() {
            meta.push(("annotations".into(), string_map(&self.annotations)));
        }
        meta.push(("name".into(), Node::Str(self.name.as_str().into())));
        if let Some(ns) = &self.namespace {
            meta.push(("namespace".into(), Node::Str(ns.as_str().into())));
        }
        let mut top: Vec<(Cow<'_, str>, Node<'_>)> =
            vec![("apiVersion".into(), Node::Str("v1".into()))];
        if !self.data.is_empty() {
            let data = self
                .data
                .iter()
                .map(|(k, e)| {
                    (
                        Cow::Borrowed(k.as_str()),
                        Node::Str(base64_plain(e.value.expose()).into()),
                    )
                })
                .collect();
            top.push(("data".into(), Node::Map(data)));
        }
        if self.immutable {
            top.push(("immutable".into(), Node::Bool(true)));
        }
        top.push(("kind".into(), Node::Str("Secret".into())));
        top.push(("metadata".into(), Node::Map(meta)));
        if self.explicit_type {
            top.push(("type".into(), Node::Str(self.type_.as_str().into())));
        }
        Node::Map(top)
    }
}

fn string_map(m: &BTreeMap<String, String>) -> Node<'_> {
    Node::Map(
        m.iter()
            .map(|(k, v)| (Cow::Borrowed(k.as_str()), Node::Str(v.as_str().into())))
            .collect(),
    )
}

/// Standard base64 on one line (kubectl's encoding).
pub fn base64_plain(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Prints Secrets as one YAML stream (`---` between documents).
pub fn to_yaml(secrets: &[Secret]) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::new());
    for (i, s) in secrets.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(b"---\n");
        }
        emit::write_document(&s.to_node(), &mut out);
    }
    out
}

/// Sorts as kustomize's legacy order does for Secrets: by namespace (none last), then
/// name, bytewise, on the final names.
pub fn sort_secrets(secrets: &mut [Secret]) {
    secrets.sort_by_cached_key(|s| s.sort_key());
}

/// Why an input could not be decrypted.
#[derive(Debug, Clone)]
pub struct DecryptFailure {
    /// Names the file and the failure; never a value.
    pub message: String,
    /// No identity was found, or none matched (a placeholder may stand in); otherwise the
    /// file itself is at fault.
    pub missing_key: bool,
}

/// Where identities come from and how encrypted inputs are opened.
pub trait Decrypt: Sync {
    /// Whether these bytes are an age file or a SOPS file.
    fn is_encrypted(&self, bytes: &[u8]) -> bool;
    /// The plaintext, or why not.
    fn decrypt(
        &self,
        path: &Path,
        bytes: &[u8],
    ) -> std::result::Result<SecretBytes, DecryptFailure>;
}

/// For unit tests whose inputs are all plaintext: nothing is encrypted, nothing decrypts.
#[cfg(test)]
pub(crate) struct NoKeys;

#[cfg(test)]
impl Decrypt for NoKeys {
    fn is_encrypted(&self, _: &[u8]) -> bool {
        false
    }
    fn decrypt(&self, _: &Path, _: &[u8]) -> std::result::Result<SecretBytes, DecryptFailure> {
        unreachable!("no input here is encrypted")
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
pub fn render_units_with_progress(
    units: &[Unit],
    settings: &Settings,
    keys: &dyn Decrypt,
    tick: &(dyn Fn() + Sync),
) -> Result<Output> {
    let (secrets, warnings) = render_mapped(units, settings, keys, tick, &|s| s)?;
    Ok(Output { secrets, warnings })
}

/// One printed YAML document, zeroed when dropped.
pub type Document = Zeroizing<Vec<u8>>;

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
    render_mapped(units, settings, keys, tick, &|s: Secret| {
        let mut doc = Zeroizing::new(Vec::new());
        emit::write_document(&s.to_node(), &mut doc);
        doc.shrink_to_fit();
        doc
    })
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
    // A unit whose own files break the load restrictor renders nothing: no source of it
    // is read.
    let checks: Vec<Result<()>> = units
        .iter()
        .map(|u| check_unit_files(u, settings.load_restrictor, settings.mode))
        .collect();
    let gens: Vec<(&Unit, &Generator)> = units
        .iter()
        .zip(&checks)
        .filter(|(_, c)| c.is_ok())
        .flat_map(|(u, _)| u.generators.iter().map(move |g| (u, g)))
        .collect();
    let mut unit_checked = checks.into_iter();
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
        warnings_out.extend(unit.warnings.iter().cloned());
        if let Err(e) = unit_checked.next().expect("one check per unit") {
            errors.push(e);
            continue;
        }
        for r in results.by_ref().take(unit.generators.len()) {
            match r {
                Ok((item, warnings)) => {
                    out.extend(item);
                    warnings_out.extend(warnings);
                }
                Err(e) => errors.push(e),
            }
        }
        render_resources(unit, settings, keys, map, &mut out, &mut errors);
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
) {
    for (file, doc) in &unit.plain_secrets {
        if is_sops_doc(doc) {
            match sops_secrets(file, doc, &unit.transform, keys, settings.placeholder) {
                Ok(list) => out.extend(list.into_iter().map(|s| (s.sort_key(), map(s)))),
                Err(e) => errors.push(e),
            }
            continue;
        }
        match plain_secret(file, doc, &unit.transform) {
            Ok(s) if is_local_config(&s.annotations) => {}
            Ok(s) => out.push((s.sort_key(), map(s))),
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
    let loc = Loc::at(file, doc.mark);
    let meta = doc.get("metadata");
    let get = |n: Option<&crate::yaml::Node>, k: &str| {
        n.and_then(|m| m.get(k))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let name = get(meta, "name")
        .ok_or_else(|| Error::manifest(loc.clone(), "a Secret resource without metadata.name"))?;
    let base_name = format!("{}{}{}", t.name_prefix, name, t.name_suffix);
    let namespace = t.namespace.clone().or_else(|| get(meta, "namespace"));
    let strings = |n: Option<&crate::yaml::Node>| -> BTreeMap<String, String> {
        n.and_then(|m| m.as_map())
            .unwrap_or(&[])
            .iter()
            .filter_map(|(k, v)| {
                Some((
                    k.as_str()?.to_string(),
                    v.as_str().unwrap_or("").to_string(),
                ))
            })
            .collect()
    };
    let mut labels = strings(meta.and_then(|m| m.get("labels")));
    labels.extend(t.labels.iter().map(|(k, (v, _))| (k.clone(), v.clone())));
    let mut annotations = strings(meta.and_then(|m| m.get("annotations")));
    annotations.extend(
        t.annotations
            .iter()
            .map(|(k, (v, _))| (k.clone(), v.clone())),
    );

    annotations.retain(|k, _| !is_build_annotation(k));

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
        set(&mut m, "name", Node::Str(Cow::Owned(base_name.clone())));
        if let Some(ns) = &namespace {
            set(&mut m, "namespace", Node::Str(Cow::Owned(ns.clone())));
        }
        let as_map = |src: &BTreeMap<String, String>| {
            Node::Map(
                src.iter()
                    .map(|(k, v)| (Cow::Owned(k.clone()), Node::Str(Cow::Owned(v.clone()))))
                    .collect(),
            )
        };
        if !labels.is_empty() {
            set(&mut m, "labels", as_map(&labels));
        }
        if !annotations.is_empty() {
            set(&mut m, "annotations", as_map(&annotations));
        } else {
            m.retain(|(k, _)| k != "annotations");
        }
        set(top, "metadata", Node::Map(m));
    }
    let data = secret_data(doc, file, false, crate::yaml::Node::as_str, "")?;
    Ok(Secret {
        name: base_name.clone(),
        base_name,
        namespace,
        type_: get(Some(doc), "type").unwrap_or_else(|| "Opaque".into()),
        explicit_type: true,
        labels,
        annotations,
        data,
        immutable: false,
        hash: None,
        origin: loc,
        passthrough: Some(node),
        placeholder: false,
        keys_unknown: false,
        kubectl_output: false,
    })
}

/// A Secret manifest's `data` (base64, whitespace ignored) and `stringData`, decoded into
/// entries keyed by name; `text` reads a key or value scalar, `what` qualifies the Secret in
/// the base64 error (`" of a decrypted Secret"`). Shared by plain and KSOPS-made Secrets.
pub(crate) fn secret_data(
    doc: &crate::yaml::Node,
    file: &Path,
    encrypted: bool,
    text: fn(&crate::yaml::Node) -> Option<&str>,
    what: &str,
) -> Result<BTreeMap<String, Entry>> {
    use base64::Engine;
    let mut data = BTreeMap::new();
    for (field, decode) in [("data", true), ("stringData", false)] {
        for (k, v) in doc.get(field).and_then(|d| d.as_map()).unwrap_or(&[]) {
            let key = text(k).unwrap_or("").to_string();
            let value = text(v).unwrap_or("");
            let bytes = if decode {
                let clean: String = value.chars().filter(|c| !c.is_whitespace()).collect();
                base64::engine::general_purpose::STANDARD
                    .decode(clean)
                    .map_err(|_| {
                        Error::manifest(
                            Loc::at(file, v.mark),
                            format!("data key `{key}`{what} is not valid base64"),
                        )
                    })?
            } else {
                value.as_bytes().to_vec()
            };
            data.insert(
                key,
                Entry {
                    value: SecretBytes::new(bytes),
                    base64: SecretString::default(),
                    origin: Loc::at(file, k.mark),
                    encrypted,
                },
            );
        }
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
