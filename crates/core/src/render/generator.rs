//! One generator to one Secret: its sources read in kustomize's order (envs, literals,
//! files) with every key checked once, its metadata merged from the generator, its options
//! and the kustomization, its name hashed (or marked for kustomize), and every Kubernetes
//! rule applied with each violation pointed at the line that caused it.

use std::collections::BTreeMap;
use std::path::Path;

use super::error::{RenderError, Rule};
use super::loader::{Input, Root};
use super::naming::{apply_hash, defer_hash, is_build_annotation, plugin_marks};
use super::reads::Reads;
use super::settings::{Mode, PLACEHOLDER_ANNOTATION, Settings};
use super::{Decrypt, Enc, Entry, Secret};
use crate::error::{Error, Loc, Result, Warning};
use crate::gate::shown::Text;
use crate::kustomize::manifest::{Generator, Located, MetaMap, Transform};
use crate::kustomize::source::{self, SourceError};
use crate::secret::validate;
use crate::secret::{Key, SecretBytes, SecretString};
use crate::yaml::Mark;
use crate::yaml::emit;

/// Which metadata map a label or annotation key belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum MetaField {
    Label,
    Annotation,
}

/// Where each label and annotation of a Secret was written: (map, key) to its place.
type MetaMarks = BTreeMap<(MetaField, String), Loc>;

/// The data of a Secret as its sources are read.
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
                    reason: Box::new(crate::secret::Reason::HiddenKey(message)),
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
            let first =
                (first.origin.to_string() != origin.to_string()).then(|| first.origin.clone());
            // A key from the manifest is its own text there; one from an env line is not shown.
            let key = (!hidden).then(|| Text::plain(&key));
            return Err(RenderError::new(
                origin,
                Rule::KeyTwice {
                    key,
                    generator: g.name.value.clone(),
                    first,
                },
            )
            .into());
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
                to_substitute: false,
            },
        );
        Ok(())
    }
}

/// Renders one generator.
pub(crate) fn render_generator(
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
    let root = Root::new(
        &g.root,
        settings.load_restrictor,
        settings.placeholder,
        settings.mode,
    )?;
    // kustomize's order: envs, literals, files (only matters for which duplicate is named).
    let keys_unknown = collect_envs(g, &root, keys, &mut c, &mut warnings)?;
    collect_literals(g, &mut c)?;
    collect_files(g, &root, keys, &mut c, &mut warnings)?;
    if !c.bad_keys.is_empty() {
        return Err(Error::many(std::mem::take(&mut c.bad_keys)));
    }
    let (mut secret, meta_marks) = assemble(g, t, c, keys_unknown);
    let variant = g.hash.or(settings.hash).unwrap_or_default();
    let hashed = !g.options.disable_name_suffix_hash;
    match settings.mode {
        Mode::Plugin => plugin_marks(&mut secret, g, variant, hashed, &mut warnings),
        Mode::Render if hashed => apply_hash(&mut secret, variant),
        Mode::Build if hashed => defer_hash(&mut secret, variant),
        Mode::Render | Mode::Build => {}
    }
    check(&secret, g, &meta_marks, &mut warnings)?;
    Ok((secret, warnings))
}

/// The env files, in order. Every invalid key of them is reported, not only the first.
/// Returns whether keys went unread (an env file that could not be decrypted).
fn collect_envs(
    g: &Generator,
    root: &Root,
    keys: &dyn Decrypt,
    c: &mut Collected,
    warnings: &mut Vec<Warning>,
) -> Result<bool> {
    let mut keys_unknown = false;
    let mut bad_keys = Vec::new();
    let read = |env: &Located| {
        let loc = Loc::at(&g.file, env.mark);
        root.read_file(&env.value, &loc, keys, false)
            .map(|input| (loc, input))
    };
    let reads = Reads::new(&g.envs, &read, |(_, input): &(Loc, Input)| decrypted(input));
    for (env, read) in g.envs.iter().zip(reads) {
        let (loc, input) = read?;
        let Input::File { bytes, enc, path } = input else {
            return Err(RenderError::new(
                loc,
                Rule::EnvFileIsDirectory {
                    entry: env.value.clone(),
                },
            )
            .into());
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
        let pairs = source::parse_env(bytes.expose()).map_err(|e| source_error(&path, e))?;
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
    Ok(keys_unknown)
}

/// The `key=value` literals, in order.
fn collect_literals(g: &Generator, c: &mut Collected) -> Result<()> {
    for lit in &g.literals {
        let loc = Loc::at(&g.file, lit.mark);
        let (k, v) = source::parse_literal(&lit.value)
            .map_err(|e| RenderError::new(loc.clone(), Rule::Source(e)))?;
        c.add(
            g,
            k.to_string(),
            SecretBytes::from_slice(v.as_bytes()),
            loc,
            Enc::Plain,
        )?;
    }
    Ok(())
}

/// The `files` entries, in order: one key per file, or per file of a directory.
fn collect_files(
    g: &Generator,
    root: &Root,
    keys: &dyn Decrypt,
    c: &mut Collected,
    warnings: &mut Vec<Warning>,
) -> Result<()> {
    let read = |f: &Located| -> Result<_> {
        let loc = Loc::at(&g.file, f.mark);
        let (key, path) = source::parse_file_source(&f.value)
            .map_err(|e| RenderError::new(loc.clone(), Rule::Source(e)))?;
        let input = root.read_file(path, &loc, keys, g.expands_directories())?;
        Ok((loc, key.map(str::to_string), path.to_string(), input))
    };
    let reads = Reads::new(
        &g.files,
        &read,
        |r: &(Loc, Option<String>, String, Input)| decrypted(&r.3),
    );
    for read in reads {
        let (loc, key, path, input) = read?;
        let (key, path) = (key.as_deref(), path.as_str());
        match input {
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
                    return Err(RenderError::new(
                        loc,
                        Rule::KeyForDirectory {
                            entry: path.to_string(),
                        },
                    )
                    .into());
                }
                for (name, bytes, enc) in files {
                    let key = default_key(&name, enc != Enc::Plain);
                    c.add(g, key, bytes, loc.clone(), enc)?;
                }
            }
        }
    }
    Ok(())
}

/// Whether reading `input` decrypted something (or tried to).
fn decrypted(input: &Input) -> bool {
    match input {
        Input::File { enc, .. } => *enc != Enc::Plain,
        Input::Dir(files) => files.iter().any(|(_, _, enc)| *enc != Enc::Plain),
    }
}

/// The Secret before naming: the kustomization's prefix, suffix and namespace applied, its
/// type defaulted, its metadata merged; with the place each label and annotation came from.
fn assemble(g: &Generator, t: &Transform, c: Collected, keys_unknown: bool) -> (Secret, MetaMarks) {
    let base_name = format!("{}{}{}", t.name_prefix, g.name.value, t.name_suffix);
    let namespace = t
        .namespace
        .clone()
        .or_else(|| g.namespace.as_ref().map(|n| n.value.clone()));
    let type_ = match g.type_.as_ref().map(|t| t.value.as_str()) {
        None | Some("") => "Opaque".to_string(),
        Some(t) => t.to_string(),
    };
    let (labels, annotations, meta_marks) = metadata(g, t);
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
        meta: crate::gate::shown::Provenance::Plain,
    };
    if secret.placeholder {
        secret
            .annotations
            .insert(PLACEHOLDER_ANNOTATION.into(), "true".into());
    }
    (secret, meta_marks)
}

/// Labels and annotations: the generator's, then its options', then the kustomization's,
/// each later one winning on a shared key.
fn metadata(
    g: &Generator,
    t: &Transform,
) -> (
    BTreeMap<String, String>,
    BTreeMap<String, String>,
    MetaMarks,
) {
    let mut labels = BTreeMap::new();
    let mut annotations = BTreeMap::new();
    let mut meta_marks = MetaMarks::new();
    let mut put = |dst: &mut BTreeMap<String, String>, src: &MetaMap, field: MetaField| {
        for (k, (v, mark)) in src {
            dst.insert(k.clone(), v.clone());
            meta_marks.insert((field, k.clone()), Loc::at(&g.file, *mark));
        }
    };
    put(&mut labels, &g.labels, MetaField::Label);
    put(&mut labels, &g.options.labels, MetaField::Label);
    put(&mut labels, &t.labels, MetaField::Label);
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
    put(&mut annotations, &own, MetaField::Annotation);
    put(
        &mut annotations,
        &g.options.annotations,
        MetaField::Annotation,
    );
    put(&mut annotations, &t.annotations, MetaField::Annotation);
    annotations.retain(|k, _| !is_build_annotation(k));
    (labels, annotations, meta_marks)
}

/// Applies every Kubernetes rule to the finished Secret.
fn check(
    secret: &Secret,
    g: &Generator,
    meta_marks: &MetaMarks,
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
                reason: Box::new(crate::secret::Reason::Rule(v)),
            })
        })
        .collect();
    Err(Error::many(errors))
}

/// The best place to point at for a violation: the source of the key, the label, the
/// type, the name.
fn locate(v: &validate::Violation, secret: &Secret, g: &Generator, meta_marks: &MetaMarks) -> Loc {
    let subject = v.subject();
    match subject {
        validate::Subject::Key(k) => secret.data.get(k).map(|e| e.origin.clone()),
        validate::Subject::Label(k) => meta_marks.get(&(MetaField::Label, k.to_string())).cloned(),
        validate::Subject::Annotation(k) => meta_marks
            .get(&(MetaField::Annotation, k.to_string()))
            .cloned(),
        validate::Subject::Type => g.type_.as_ref().map(|t| Loc::at(&g.file, t.mark)),
        validate::Subject::Name => Some(Loc::at(&g.file, g.name.mark)),
        validate::Subject::Namespace => g.namespace.as_ref().map(|n| Loc::at(&g.file, n.mark)),
        validate::Subject::Secret => None,
    }
    .unwrap_or_else(|| g.loc())
}

/// An env file kustomize cannot parse, placed on the line at fault where there is one.
fn source_error(path: &Path, e: SourceError) -> RenderError {
    let mark = match e {
        SourceError::EnvInvalidUtf8 { line } | SourceError::EnvLineTooLong { line, .. } => {
            Some(Mark {
                line,
                col: 1,
                ..Default::default()
            })
        }
        _ => None,
    };
    RenderError::new(
        Loc {
            file: path.to_path_buf(),
            mark,
        },
        Rule::Source(e),
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
