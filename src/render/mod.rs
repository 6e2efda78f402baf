//! Rendering: generators in, Secrets out.
//!
//! In: [`Unit`]s read by `manifest`. For each generator: read its sources (decrypting age
//! inputs in memory), check every Kubernetes rule, hash, and name it. Out: [`Secret`]s in
//! kustomize's resource order, and their YAML, byte-identical to `kubectl kustomize`.
//! Refuses anything the API server would refuse, files outside the root, and duplicate keys.

pub mod discover;
pub mod tree;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::error::{Error, Loc, Result, Warning, io_reason};
use crate::kustomize::hash::{self, HashVariant};
use crate::kustomize::manifest::{Behavior, Generator, MetaMap, Transform, Unit};
use crate::kustomize::source::{self, SourceError};
use crate::secret::validate;
use crate::secret::{Enc, Entry, Key, Secret, read};
use crate::secret::{SecretBytes, SecretString};
use crate::yaml::Mark;
use crate::yaml::emit::{self, Node};

/// kustomize's `--load-restrictor` values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LoadRestrictor {
    /// Files must resolve (symlinks followed) to a place under the generator's root.
    #[default]
    RootOnly,
    /// Any readable file may be named.
    None,
}

/// How Secrets are named and annotated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// `secretgen render`: final names with their suffix, as kustomize prints them.
    #[default]
    Render,
    /// The kustomize exec plugin: plain names marked `needs-hash` for kustomize to suffix,
    /// so that kustomize also rewrites every reference.
    Plugin,
}

/// Settings for one run.
#[derive(Clone, Default)]
pub struct Settings {
    pub load_restrictor: LoadRestrictor,
    /// `--hash`: the variant for generators that do not name one.
    pub hash: Option<HashVariant>,
    pub mode: Mode,
    /// `--placeholder`: an encrypted input without a usable identity renders as
    /// [`PLACEHOLDER`] (with a warning and an annotation) instead of failing.
    pub placeholder: bool,
}

/// The value of an input that could not be decrypted under `--placeholder`.
pub const PLACEHOLDER: &[u8] = b"secretgen-placeholder";
/// The annotation on a Secret that holds placeholders: it must never ship.
pub const PLACEHOLDER_ANNOTATION: &str = "secretgen.dev/placeholder";

/// A largest file we read as a source: the Secret size limit. Encrypted files may be
/// larger on disk (armor, headers); they are checked again once decrypted.
pub const MAX_SECRET_BYTES: u64 = 1024 * 1024;
const MAX_ENCRYPTED_FILE: u64 = 2 * MAX_SECRET_BYTES;

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
    if !errors.is_empty() {
        return Err(Error::many(errors));
    }
    // Stable, as `sort_secrets` is.
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok((out.into_iter().map(|(_, t)| t).collect(), warnings_out))
}

/// The annotations kustomize adds for its own bookkeeping and removes before it prints
/// (`RemoveBuildAnnotations`, and the origin and transformer annotations without
/// `buildMetadata`): whoever wrote them, they never reach kustomize's output.
pub fn is_build_annotation(key: &str) -> bool {
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
pub fn is_local_config(annotations: &BTreeMap<String, String>) -> bool {
    annotations
        .get("config.kubernetes.io/local-config")
        .is_some_and(|v| v != "false")
}

/// From this many generators on, rendering is spread over all cores; below it, starting
/// the threads costs more than they save (the exec plugin renders one).
const PARALLEL_MIN: usize = 64;

struct Collected {
    data: BTreeMap<Key, Entry>,
    placeholder: bool,
    /// Env lines whose key is invalid (described, never shown).
    bad_keys: Vec<Error>,
}

impl Collected {
    fn add(
        &mut self,
        g: &Generator,
        key: String,
        value: SecretBytes,
        origin: Loc,
        enc: Enc,
    ) -> Result<()> {
        self.insert(g, key, value, origin, enc, false)
    }

    /// A key read from inside a file: checked here, where its line is known, so that no
    /// later message can quote it.
    fn add_hidden(
        &mut self,
        g: &Generator,
        key: String,
        value: SecretBytes,
        origin: Loc,
        enc: Enc,
    ) -> Result<()> {
        if let Err(message) = validate::check_hidden_key(&key) {
            // Every bad line of every env file is reported at once, after the sources.
            self.bad_keys
                .push(Error::from(crate::secret::Error::Invalid {
                    loc: origin,
                    secret: g.name.value.clone(),
                    message,
                }));
            return Ok(());
        }
        self.insert(g, key, value, origin, enc, true)
    }

    fn insert(
        &mut self,
        g: &Generator,
        key: String,
        value: SecretBytes,
        origin: Loc,
        enc: Enc,
        hidden: bool,
    ) -> Result<()> {
        let encrypted = enc != Enc::Plain;
        self.placeholder |= enc == Enc::Placeholder;
        if let Some(first) = self.data.get(key.as_str()) {
            // The same place twice: one file listed twice in `envs`.
            let first_at = if first.origin.to_string() == origin.to_string() {
                "the same line again: is the file listed twice?".to_string()
            } else {
                format!("first at {}", first.origin)
            };
            // A key from the manifest is its own text there; one from an env line is not shown.
            let (which, note) = if hidden {
                (
                    "the key on this line".to_string(),
                    " (the key is not shown: text from inside a file is never printed)",
                )
            } else {
                (format!("key `{}`", crate::yaml::printable(&key)), "")
            };
            return Err(Error::source(
                origin,
                format!(
                    "{which} is given twice in generator `{}` ({first_at}); each key may appear once{note}",
                    g.name.value,
                ),
            ));
        }
        let mut b64 = String::new();
        emit::wrapped_base64(value.expose(), &mut b64);
        self.data.insert(
            key.into(),
            Entry {
                value,
                base64: SecretString::new(b64),
                origin,
                encrypted,
            },
        );
        Ok(())
    }
}

/// Renders one generator.
pub fn render_generator(
    g: &Generator,
    t: &Transform,
    settings: &Settings,
    keys: &dyn Decrypt,
) -> Result<(Secret, Vec<Warning>)> {
    let mut warnings = Vec::new();
    let mut c = Collected {
        data: BTreeMap::new(),
        placeholder: false,
        bad_keys: Vec::new(),
    };
    let mut keys_unknown = false;
    let root = Root::new(
        &g.root,
        settings.load_restrictor,
        settings.placeholder,
        settings.mode,
    )?;
    // kustomize's order: envs, literals, files (only matters for which duplicate is named).
    // Every invalid key of the env files is reported, not only the first.
    let mut bad_keys = Vec::new();
    for env in &g.envs {
        let loc = Loc::at(&g.file, env.mark);
        let input = root.read_file(&env.value, &loc, keys, false)?;
        let Input::File { bytes, enc, path } = input else {
            return Err(Error::source(
                loc,
                format!("env file `{}` is a directory", env.value),
            ));
        };
        if enc == Enc::Placeholder {
            // The key names are inside the encrypted file: none can be shown.
            keys_unknown = true;
            c.placeholder = true;
            warnings.push(Warning {
                loc: loc.clone(),
                message: format!(
                    "`{}` could not be decrypted: its keys are left out (--placeholder)",
                    env.value
                ),
            });
            continue;
        }
        let pairs = source::parse_env(bytes.expose()).map_err(|e| source_error(&path, &e))?;
        for p in pairs {
            let origin = Loc::at(
                &path,
                Mark {
                    line: p.line,
                    col: 1,
                    ..Default::default()
                },
            );
            match c.add_hidden(g, p.key, p.value, origin, enc) {
                Err(e @ Error::Secret(_)) => bad_keys.push(e),
                other => other?,
            }
        }
    }
    if !bad_keys.is_empty() {
        return Err(Error::many(bad_keys));
    }
    for lit in &g.literals {
        let loc = Loc::at(&g.file, lit.mark);
        let (k, v) = source::parse_literal(&lit.value)
            .map_err(|e| Error::source(loc.clone(), e.to_string()))?;
        c.add(
            g,
            k.to_string(),
            SecretBytes::from_slice(v.as_bytes()),
            loc,
            Enc::Plain,
        )?;
    }
    for f in &g.files {
        let loc = Loc::at(&g.file, f.mark);
        let (key, path) = source::parse_file_source(&f.value)
            .map_err(|e| Error::source(loc.clone(), e.to_string()))?;
        match root.read_file(path, &loc, keys, g.expands_directories())? {
            Input::File { bytes, enc, .. } => {
                let key = match key {
                    Some(k) => k.to_string(),
                    None => default_key(path, enc != Enc::Plain),
                };
                if enc == Enc::Placeholder {
                    warnings.push(Warning {
                        loc: loc.clone(),
                        message: format!("`{path}` could not be decrypted: key `{key}` holds a placeholder (--placeholder)"),
                    });
                }
                c.add(g, key, bytes, loc, enc)?;
            }
            Input::Dir(files) => {
                if key.is_some() {
                    return Err(Error::source(
                        loc,
                        format!(
                            "`{path}` is a directory: a key name cannot be given for a directory (each file becomes a key)"
                        ),
                    ));
                }
                for (name, bytes, enc) in files {
                    let key = default_key(&name, enc != Enc::Plain);
                    c.add(g, key, bytes, loc.clone(), enc)?;
                }
            }
        }
    }

    if !c.bad_keys.is_empty() {
        return Err(Error::many(std::mem::take(&mut c.bad_keys)));
    }
    let base_name = format!("{}{}{}", t.name_prefix, g.name.value, t.name_suffix);
    let namespace = t
        .namespace
        .clone()
        .or_else(|| g.namespace.as_ref().map(|n| n.value.clone()));
    let type_ = match g.type_.as_ref().map(|t| t.value.as_str()) {
        None | Some("") => "Opaque".to_string(),
        Some(t) => t.to_string(),
    };
    let mut labels = BTreeMap::new();
    let mut annotations = BTreeMap::new();
    let mut meta_marks: BTreeMap<String, Loc> = BTreeMap::new();
    let mut put = |dst: &mut BTreeMap<String, String>, src: &MetaMap, file: &Path, kind: &str| {
        for (k, (v, mark)) in src {
            dst.insert(k.clone(), v.clone());
            meta_marks.insert(format!("{kind}/{k}"), Loc::at(file, *mark));
        }
    };
    put(&mut labels, &g.labels, &g.file, "label");
    put(&mut labels, &g.options.labels, &g.file, "label");
    put(&mut labels, &t.labels, &g.file, "label");
    // The generator config's own bookkeeping (kpt's and kustomize's `config.kubernetes.io/`
    // annotations, local-config above all) describes the config, not the Secret.
    let own: MetaMap = g
        .annotations
        .iter()
        .filter(|(k, _)| {
            !k.starts_with("config.kubernetes.io/")
                && !k.starts_with("internal.config.kubernetes.io/")
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    put(&mut annotations, &own, &g.file, "annotation");
    put(
        &mut annotations,
        &g.options.annotations,
        &g.file,
        "annotation",
    );
    put(&mut annotations, &t.annotations, &g.file, "annotation");
    annotations.retain(|k, _| !is_build_annotation(k));

    let variant = g.hash.or(settings.hash).unwrap_or_default();
    let hashed = !g.options.disable_name_suffix_hash;
    let mut secret = Secret {
        name: base_name.clone(),
        base_name,
        namespace,
        type_,
        explicit_type: g.type_.as_ref().is_some_and(|t| !t.value.is_empty()),
        labels,
        annotations,
        data: c.data,
        immutable: g.options.immutable,
        hash: None,
        origin: g.loc(),
        passthrough: None,
        placeholder: c.placeholder,
        keys_unknown,
        kubectl_output: g.kubectl_output,
    };
    if secret.placeholder {
        secret
            .annotations
            .insert(PLACEHOLDER_ANNOTATION.into(), "true".into());
    }

    if settings.mode == Mode::Plugin {
        plugin_marks(&mut secret, g, variant, hashed, &mut warnings);
    } else if hashed {
        let suffix = hash::suffix_of(&secret.hash_json(variant, false));
        secret.name = format!("{}-{}", secret.base_name, suffix);
        secret.hash = Some((variant, suffix));
    }

    check(&secret, g, &meta_marks, &mut warnings)?;
    Ok((secret, warnings))
}

/// A YAML tree as the emitter's (strings stay strings; plain non-strings keep their type).
pub(crate) fn to_emit(node: &crate::yaml::Node) -> Node<'static> {
    use crate::yaml::{Resolved, Value};
    match &node.value {
        Value::Scalar { text, .. } => match node.resolved() {
            Resolved::Null => Node::Null,
            Resolved::Bool => Node::Bool(crate::yaml::is_true(text)),
            Resolved::Int | Resolved::Float => Node::Number(Cow::Owned(text.clone())),
            Resolved::Str => Node::Str(Cow::Owned(text.clone())),
        },
        Value::Seq(items) => Node::Seq(items.iter().map(to_emit).collect()),
        Value::Map(entries) => Node::Map(
            entries
                .iter()
                .map(|(k, v)| {
                    (
                        Cow::Owned(k.as_str().map(str::to_string).unwrap_or_default()),
                        to_emit(v),
                    )
                })
                .collect(),
        ),
    }
}

fn set(map: &mut Vec<(Cow<'static, str>, Node<'static>)>, key: &str, value: Node<'static>) {
    match map.iter_mut().find(|(k, _)| k == key) {
        Some(entry) => entry.1 = value,
        None => map.push((Cow::Owned(key.to_string()), value)),
    }
}

/// Whether a resource document carries SOPS metadata (`sops.mac`).
fn is_sops_doc(doc: &crate::yaml::Node) -> bool {
    doc.get("sops").and_then(|s| s.get("mac")).is_some()
}

/// The `v1` Secrets of a SOPS-encrypted resource file, decrypted as `sops --decrypt` does.
/// Without a usable identity under `--placeholder`, the Secret is rendered from the
/// encrypted document (its names must be in clear) with placeholders for every value.
fn sops_secrets(
    file: &Path,
    first: &crate::yaml::Node,
    t: &Transform,
    keys: &dyn Decrypt,
    placeholder: bool,
) -> Result<Vec<Secret>> {
    let loc = Loc::at(file, first.mark);
    let bytes = std::fs::read(file).map(Zeroizing::new).map_err(|e| {
        Error::source(
            loc.clone(),
            format!("cannot read `{}`: {}", file.display(), io_reason(&e)),
        )
    })?;
    let plain = match keys.decrypt(file, &bytes) {
        Ok(p) => p,
        Err(f) if f.missing_key && placeholder => {
            return sops_placeholder(file, first, t).map(|s| vec![s]);
        }
        Err(f) => {
            return Err(Error::Crypt {
                loc,
                message: f.message,
            });
        }
    };
    let text = std::str::from_utf8(plain.expose()).map_err(|_| Error::Crypt {
        loc: loc.clone(),
        message: format!("`{}`: the decrypted resource is not UTF-8", file.display()),
    })?;
    let docs = crate::yaml::parse_stream(text).map_err(|e| Error::Crypt {
        loc: loc.clone(),
        message: format!(
            "`{}`: the decrypted resource is not valid YAML ({})",
            file.display(),
            e.mark
        ),
    })?;
    let mut out = Vec::new();
    for d in &docs {
        let is_secret = d.get("kind").and_then(|k| k.as_str()) == Some("Secret")
            && d.get("apiVersion").and_then(|k| k.as_str()) == Some("v1");
        if is_secret {
            let mut s = plain_secret(file, d, t)?;
            for e in s.data.values_mut() {
                e.encrypted = true;
            }
            out.push(s);
        }
    }
    Ok(out)
}

/// A SOPS Secret resource that cannot be opened, under `--placeholder`: its keys from the
/// encrypted document, each value a placeholder.
fn sops_placeholder(file: &Path, doc: &crate::yaml::Node, t: &Transform) -> Result<Secret> {
    let loc = Loc::at(file, doc.mark);
    let clear = |n: Option<&crate::yaml::Node>| {
        n.and_then(|v| v.as_str())
            .is_some_and(|s| !s.starts_with("ENC[AES256_GCM,"))
    };
    let is_secret = doc.get("kind").and_then(|k| k.as_str()) == Some("Secret");
    let meta = doc.get("metadata");
    if !is_secret || !clear(meta.and_then(|m| m.get("name"))) {
        return Err(Error::Crypt {
            loc,
            message: format!(
                "`{}` is SOPS-encrypted with its kind or name encrypted too; a placeholder needs them in clear (encrypt with --encrypted-regex '^(data|stringData)$')",
                file.display()
            ),
        });
    }
    let mut s = plain_secret(file, doc, t).or_else(|_| {
        // `data` values are ciphertext, not base64: read the keys only.
        let mut bare = doc.clone();
        if let crate::yaml::Value::Map(m) = &mut bare.value {
            m.retain(|(k, _)| !matches!(k.as_str(), Some("data") | Some("stringData")));
        }
        plain_secret(file, &bare, t)
    })?;
    s.data.clear();
    for field in ["data", "stringData"] {
        for (k, _) in doc.get(field).and_then(|d| d.as_map()).unwrap_or(&[]) {
            let Some(key) = k.as_str() else { continue };
            let mut b64 = String::new();
            emit::wrapped_base64(PLACEHOLDER, &mut b64);
            s.data.insert(
                key.into(),
                Entry {
                    value: SecretBytes::from_slice(PLACEHOLDER),
                    base64: SecretString::new(b64),
                    origin: Loc::at(file, k.mark),
                    encrypted: true,
                },
            );
        }
    }
    // Printed from its fields: the placeholders, never the ciphertext.
    s.passthrough = None;
    s.placeholder = true;
    s.annotations
        .insert(PLACEHOLDER_ANNOTATION.into(), "true".into());
    Ok(s)
}

/// A plain `v1` Secret from `resources`, with the kustomization's prefix, suffix,
/// namespace, labels and annotations applied as kustomize applies them.
fn plain_secret(file: &Path, doc: &crate::yaml::Node, t: &Transform) -> Result<Secret> {
    let mut s = read::secret(file, doc, &read::Reading::RESOURCE)?;
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
    // Printed as written, so `immutable` is in the node and not modelled.
    s.immutable = false;

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

/// In plugin mode kustomize does the hashing (and so rewrites references) when asked by
/// annotation; a non-default variant is applied here instead, with a warning.
fn plugin_marks(
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
        let suffix = hash::suffix_of(&secret.hash_json(variant, false));
        secret.name = format!("{}-{}", secret.base_name, suffix);
        secret.hash = Some((variant, suffix));
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

/// Applies every Kubernetes rule to the finished Secret.
fn check(
    secret: &Secret,
    g: &Generator,
    meta_marks: &BTreeMap<String, Loc>,
    warnings: &mut Vec<Warning>,
) -> Result<()> {
    let decoded: Vec<(&str, &[u8])> = secret
        .data
        .iter()
        .map(|(k, e)| (k.as_str(), e.value.expose()))
        .collect();
    let view = validate::SecretView {
        name: &secret.name,
        base_name: &secret.base_name,
        namespace: secret.namespace.as_deref(),
        type_: &secret.type_,
        labels: &secret.labels,
        annotations: &secret.annotations,
        data: &decoded,
        has_hash_suffix: secret.hash.is_some(),
    };
    let (violations, warns) = validate::check_secret(&view);
    for w in warns {
        warnings.push(Warning {
            loc: g.loc(),
            message: format!("Secret `{}`: {w}", secret.base_name),
        });
    }
    if violations.is_empty() {
        return Ok(());
    }
    let mut located: Vec<(Loc, validate::Violation)> = violations
        .into_iter()
        .map(|v| (locate(&v, secret, g, meta_marks), v))
        .collect();
    // In the order of the input, so the first message is about the first line at fault.
    located.sort_by_key(|(loc, _)| (loc.file.clone(), loc.mark.map(|m| (m.line, m.col))));
    let errors = located
        .into_iter()
        .map(|(loc, v)| {
            Error::from(crate::secret::Error::Invalid {
                loc,
                secret: secret.base_name.clone(),
                message: v.to_string(),
            })
        })
        .collect();
    Err(Error::many(errors))
}

/// The best place to point at for a violation: the source of the key, the label, the
/// type, the name.
fn locate(
    v: &validate::Violation,
    secret: &Secret,
    g: &Generator,
    meta_marks: &BTreeMap<String, Loc>,
) -> Loc {
    let subject = v.subject();
    match subject {
        validate::Subject::Key(k) => secret.data.get(k).map(|e| e.origin.clone()),
        validate::Subject::Label(k) => meta_marks.get(&format!("label/{k}")).cloned(),
        validate::Subject::Annotation(k) => meta_marks.get(&format!("annotation/{k}")).cloned(),
        validate::Subject::Type => g.type_.as_ref().map(|t| Loc::at(&g.file, t.mark)),
        validate::Subject::Name => Some(Loc::at(&g.file, g.name.mark)),
        validate::Subject::Namespace => g.namespace.as_ref().map(|n| Loc::at(&g.file, n.mark)),
        validate::Subject::Secret => None,
    }
    .unwrap_or_else(|| g.loc())
}

fn source_error(path: &Path, e: &SourceError) -> Error {
    let mark = match e {
        SourceError::EnvInvalidUtf8 { line } | SourceError::EnvLineTooLong { line, .. } => {
            Some(Mark {
                line: *line,
                col: 1,
                ..Default::default()
            })
        }
        _ => None,
    };
    Error::source(
        Loc {
            file: path.to_path_buf(),
            mark,
        },
        e.to_string(),
    )
}

/// The key a file gets when none is given: its base name, without `.age` when the content
/// was encrypted.
fn default_key(path: &str, encrypted: bool) -> String {
    let base = source::path_base(path);
    match base.strip_suffix(".age") {
        Some(stripped) if encrypted && !stripped.is_empty() => stripped.to_string(),
        _ => base,
    }
}

enum Input {
    File {
        bytes: SecretBytes,
        enc: Enc,
        path: PathBuf,
    },
    /// A directory expanded: (file name, bytes, where from) in name order.
    Dir(Vec<(String, SecretBytes, Enc)>),
}

/// A generator's root directory and the load restrictor that guards it.
struct Root {
    dir: PathBuf,
    /// The root with symlinks resolved, when the restrictor applies.
    real: Option<PathBuf>,
    /// `--placeholder` is in force.
    placeholder: bool,
    /// How to lift the restrictor where this run was started (see [`restrictor_advice`]).
    advice: &'static str,
    /// The last directory resolved for the restrictor: (as named, resolved).
    resolved: std::cell::RefCell<Option<(PathBuf, PathBuf)>>,
}

impl Root {
    fn new(dir: &Path, restrictor: LoadRestrictor, placeholder: bool, mode: Mode) -> Result<Root> {
        let real = match restrictor {
            LoadRestrictor::None => None,
            LoadRestrictor::RootOnly => Some(
                std::fs::canonicalize(if dir.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    dir
                })
                .map_err(|e| Error::io(dir, "cannot resolve the generator's directory", e))?,
            ),
        };
        Ok(Root {
            dir: dir.to_path_buf(),
            real,
            placeholder,
            advice: restrictor_advice(mode),
            resolved: Default::default(),
        })
    }

    fn read_file(
        &self,
        entry: &str,
        loc: &Loc,
        keys: &dyn Decrypt,
        expand_dirs: bool,
    ) -> Result<Input> {
        if entry.starts_with("http://") || entry.starts_with("https://") {
            return Err(Error::source(
                loc.clone(),
                format!(
                    "`{entry}` is a URL; secretgen reads only local files (kustomize would fetch it over the network at build time)"
                ),
            ));
        }
        // kustomize joins the entry to the root with `filepath.Join`, which cleans it
        // lexically: `missing/../f.txt` and `f.txt/` name `f.txt`, and `link/../f` names
        // `./f` even where `link` points elsewhere. The load restrictor then judges the
        // cleaned path.
        let cleaned = source::clean_slash_path(entry);
        let path = if self.dir == Path::new(".") || cleaned.starts_with('/') {
            PathBuf::from(&cleaned)
        } else {
            self.dir.join(&cleaned)
        };
        let meta = std::fs::symlink_metadata(&path).map_err(|e| {
            Error::source(
                loc.clone(),
                format!("cannot read `{entry}`: {}", io_reason(&e)),
            )
        })?;
        if let Some(real_root) = &self.real {
            let real = self.resolve(&path, &meta).map_err(|e| {
                Error::source(
                    loc.clone(),
                    format!(
                        "cannot resolve `{entry}`: {} (a dangling or looping symlink?)",
                        io_reason(&e)
                    ),
                )
            })?;
            if !real.starts_with(real_root) {
                let via = if meta.file_type().is_symlink() {
                    " through a symlink"
                } else {
                    ""
                };
                return Err(Error::source(
                    loc.clone(),
                    format!(
                        "`{entry}` resolves{via} to `{}`, outside the root `{}`; files must stay under the generator's directory (kustomize's load restrictor; {})",
                        real.display(),
                        real_root.display(),
                        self.advice
                    ),
                ));
            }
        }
        // The link's own metadata is the file's unless it is a symlink.
        let meta = if meta.file_type().is_symlink() {
            std::fs::metadata(&path).map_err(|e| {
                Error::source(
                    loc.clone(),
                    format!("cannot read `{entry}`: {}", io_reason(&e)),
                )
            })?
        } else {
            meta
        };
        if meta.is_dir() {
            if !expand_dirs {
                return Err(Error::source(
                    loc.clone(),
                    format!(
                        "`{entry}` is a directory, not a file (only `files` of secretgen.dev/v1 manifests expand a directory into one key per file)"
                    ),
                ));
            }
            return self.read_dir(&path, entry, loc, keys);
        }
        let (bytes, enc) = read_source(&path, entry, &meta, loc, keys, self.placeholder)?;
        Ok(Input::File { bytes, enc, path })
    }

    /// `path` with symlinks resolved. A file that is not itself a symlink resolves to its
    /// resolved directory plus its name, and a generator's files often share directories:
    /// each directory is resolved once (a resolution costs a system call per component).
    fn resolve(&self, path: &Path, meta: &std::fs::Metadata) -> std::io::Result<PathBuf> {
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            return std::fs::canonicalize(path);
        };
        // Only a path that ends in the file's own name: `link/` and `link/.` name the
        // link's target (the lstat above followed it), so they must be resolved in full.
        if meta.file_type().is_symlink()
            || !path
                .as_os_str()
                .as_encoded_bytes()
                .ends_with(name.as_encoded_bytes())
        {
            return std::fs::canonicalize(path);
        }
        let mut cache = self.resolved.borrow_mut();
        if let Some((dir, real)) = cache.as_ref()
            && dir == parent
        {
            return Ok(real.join(name));
        }
        let real = std::fs::canonicalize(if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        })?;
        let out = real.join(name);
        *cache = Some((parent.to_path_buf(), real));
        Ok(out)
    }

    /// `kubectl create secret generic --from-file=DIR`: regular files in name order, dotfiles
    /// included, sub-directories and symlinks skipped.
    fn read_dir(&self, dir: &Path, entry: &str, loc: &Loc, keys: &dyn Decrypt) -> Result<Input> {
        let mut names = Vec::new();
        let rd = std::fs::read_dir(dir).map_err(|e| {
            Error::source(
                loc.clone(),
                format!("cannot list `{entry}`: {}", io_reason(&e)),
            )
        })?;
        for item in rd {
            let item = item.map_err(|e| {
                Error::source(
                    loc.clone(),
                    format!("cannot list `{entry}`: {}", io_reason(&e)),
                )
            })?;
            let ft = item.file_type().map_err(|e| {
                Error::source(
                    loc.clone(),
                    format!("cannot list `{entry}`: {}", io_reason(&e)),
                )
            })?;
            if !ft.is_file() {
                continue;
            }
            let name = item.file_name().into_string().map_err(|n| {
                Error::source(
                    loc.clone(),
                    format!(
                        "`{entry}` holds a file whose name is not UTF-8: {}",
                        n.to_string_lossy()
                    ),
                )
            })?;
            names.push(name);
        }
        names.sort();
        let mut files = Vec::with_capacity(names.len());
        for name in names {
            let path = dir.join(&name);
            let shown = format!("{}/{}", entry.trim_end_matches('/'), name);
            let meta = std::fs::metadata(&path).map_err(|e| {
                Error::source(
                    loc.clone(),
                    format!("cannot read `{shown}`: {}", io_reason(&e)),
                )
            })?;
            let (bytes, enc) = read_source(&path, &shown, &meta, loc, keys, self.placeholder)?;
            files.push((name, bytes, enc));
        }
        Ok(Input::Dir(files))
    }
}

/// The load restrictor for the files a kustomization itself names (`generators` configs,
/// `resources` holding Secrets): like sources, they must stay under its directory.
/// How to lift the load restrictor, said where the user can do it: on secretgen's command
/// line, or, inside kustomize (which passes no flag of its own to an exec plugin), through
/// the environment kustomize runs the plugin in.
fn restrictor_advice(mode: Mode) -> &'static str {
    match mode {
        Mode::Render => "--load-restrictor LoadRestrictionsNone lifts it",
        Mode::Plugin => {
            "inside kustomize, which does not pass its --load-restrictor to exec plugins, move the file under the kustomization's directory or set SECRETGEN_LOAD_RESTRICTOR=LoadRestrictionsNone in kustomize's environment"
        }
    }
}

fn check_unit_files(unit: &Unit, restrictor: LoadRestrictor, mode: Mode) -> Result<()> {
    if restrictor == LoadRestrictor::None {
        return Ok(());
    }
    let dir = unit.file.parent().filter(|d| !d.as_os_str().is_empty());
    let root = std::fs::canonicalize(dir.unwrap_or(Path::new(".")))
        .map_err(|e| Error::io(&unit.file, "cannot resolve the directory of", e))?;
    let named = unit
        .consumed
        .iter()
        .chain(unit.plain_secrets.iter().map(|(p, _)| p));
    for path in named {
        let real = std::fs::canonicalize(path).map_err(|e| Error::io(path, "cannot resolve", e))?;
        if !real.starts_with(&root) {
            return Err(Error::manifest(
                Loc::file(&unit.file),
                format!(
                    "`{}` resolves to `{}`, outside the root `{}`; files a kustomization names must stay under its directory (kustomize's load restrictor; {})",
                    path.display(),
                    real.display(),
                    root.display(),
                    restrictor_advice(mode)
                ),
            ));
        }
    }
    Ok(())
}

/// Reads one source file, refusing anything but a regular file and anything larger than a
/// Secret can hold before reading it, and decrypting age content.
fn read_source(
    path: &Path,
    shown: &str,
    meta: &std::fs::Metadata,
    loc: &Loc,
    keys: &dyn Decrypt,
    placeholder: bool,
) -> Result<(SecretBytes, Enc)> {
    if !meta.is_file() {
        return Err(Error::source(
            loc.clone(),
            format!(
                "`{shown}` is not a regular file (a FIFO, socket or device cannot be a source)"
            ),
        ));
    }
    let size = meta.len();
    if size > MAX_ENCRYPTED_FILE {
        return Err(too_large(loc, shown, size));
    }
    let mut file = File::open(path).map_err(|e| {
        Error::source(
            loc.clone(),
            format!("cannot read `{shown}`: {}", io_reason(&e)),
        )
    })?;
    let mut buf = Zeroizing::new(Vec::with_capacity(size as usize));
    (&mut file)
        .take(MAX_ENCRYPTED_FILE + 1)
        .read_to_end(&mut buf)
        .map_err(|e| {
            Error::source(
                loc.clone(),
                format!("cannot read `{shown}`: {}", io_reason(&e)),
            )
        })?;
    if keys.is_encrypted(&buf) {
        let plain = match keys.decrypt(path, &buf) {
            Ok(plain) => plain,
            Err(f) if f.missing_key && placeholder => {
                return Ok((SecretBytes::from_slice(PLACEHOLDER), Enc::Placeholder));
            }
            Err(f) => {
                return Err(Error::Crypt {
                    loc: loc.clone(),
                    message: f.message,
                });
            }
        };
        if plain.len() as u64 > MAX_SECRET_BYTES {
            return Err(too_large(loc, shown, plain.len() as u64));
        }
        return Ok((plain, Enc::Decrypted));
    }
    if buf.len() as u64 > MAX_SECRET_BYTES {
        return Err(too_large(loc, shown, buf.len() as u64));
    }
    Ok((SecretBytes::new(std::mem::take(&mut *buf)), Enc::Plain))
}

fn too_large(loc: &Loc, shown: &str, size: u64) -> Error {
    Error::source(
        loc.clone(),
        format!("`{shown}` is {size} bytes; a Secret holds at most 1 MiB (1048576 bytes) of data"),
    )
}

#[cfg(test)]
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

    /// The per-directory resolution cache must not let a symlinked directory out of the root
    /// when it is named with a trailing `/` or `/.` (lstat follows the link then).
    #[cfg(unix)]
    #[test]
    fn restrictor_resolves_links_named_with_a_trailing_slash() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("root");
        let outside = t.path().join("outside");
        std::fs::create_dir_all(root.join("in")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("secret"), "x").unwrap();
        std::fs::write(root.join("in/a"), "a").unwrap();
        std::os::unix::fs::symlink(&outside, root.join("link")).unwrap();
        let r = Root::new(&root, LoadRestrictor::RootOnly, false, Mode::Render).unwrap();
        let loc = Loc::file(root.join("secretgen.yaml"));
        for entry in ["link", "link/", "link/.", "in/../link/", "link/secret"] {
            let err = match r.read_file(entry, &loc, &NoKeys, true) {
                Ok(_) => panic!("`{entry}` was read from outside the root"),
                Err(e) => e.to_string(),
            };
            assert!(err.contains("outside the root"), "{entry}: {err}");
        }
        // Files inside still read, before and after a cached directory.
        for entry in ["in/a", "in/", "in/.", "in/a"] {
            assert!(r.read_file(entry, &loc, &NoKeys, true).is_ok(), "{entry}");
        }
    }
}
