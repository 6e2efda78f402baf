//! KSOPS configs in `secretgen render`, `diff` and `check`.
//!
//! In: the paths a user names, and the run's keys. Out: the Secrets each KSOPS config
//! found there makes, as kustomize prints them for a kustomization listing that config alone
//! under `generators` (the `needs-hash` suffix applied, kustomize's annotations consumed).
//! These are the configs no kustomization of the run lists: a config a kustomization lists
//! is a generator of its tree, built there (`render::tree::build`) with what every level
//! does to its Secrets.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::error::{KsopsError, Rule};
use super::{BEHAVIOR, NEEDS_HASH};
use crate::error::{Loc, Result};
use crate::gate::shown::Provenance;
use crate::kustomize::hash::HashVariant;
use crate::secret::Secret;
use crate::yaml::emit::Node as Out;
use crate::yaml::{self, Node, Resolved, Value};

/// Splits `paths` into the KSOPS configs under them (files named, and YAML files found in
/// the directories named) and the paths left for secretgen's own discovery (a KSOPS config
/// named on its own is not one of those).
pub fn find(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let mut configs = Vec::new();
    let mut rest = Vec::new();
    let is_config = |p: &Path| super::file_is_ksops(p);
    for p in paths {
        if p.is_dir() {
            // The crate's tree walk; an entry it cannot read is left to secretgen's own
            // discovery of `p`, which reports it. Unlike that walk, a hidden file (`.x.yaml`)
            // is not taken for a KSOPS config, as before.
            for path in crate::render::discover::files(p).filter_map(Result::ok) {
                let hidden = path
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'));
                if !hidden
                    && crate::render::discover::is_yaml(&path)
                    && super::file_may_be_ksops(&path)
                {
                    configs.push(path);
                }
            }
            rest.push(p.clone());
        } else if !crate::kustomize::manifest::is_kustomization_file(p) && is_config(p) {
            // (A kustomization is read by kustomize as one, whatever it holds.)
            configs.push(p.clone());
        } else {
            rest.push(p.clone());
        }
    }
    (configs, rest)
}

/// The Secrets a KSOPS config makes (paths from its directory, KSOPS' working directory
/// when kustomize lists it).
pub fn secrets(config_file: &Path, keys: &dyn crate::render::Decrypt) -> Result<Vec<Secret>> {
    let root = config_file.parent().unwrap_or(Path::new("."));
    let root = if root.as_os_str().is_empty() {
        Path::new(".")
    } else {
        root
    };
    let text = crate::kustomize::manifest::read_text(config_file)?;
    let config = super::read_config(config_file, &text)?;
    let generated = super::generate(&config, root, keys)?;
    let mut out = Vec::new();
    for doc_text in generated.documents() {
        let docs = yaml::parse_stream_as(&doc_text, Provenance::Decrypted).map_err(|mut e| {
            e.message = format!("a decrypted manifest: {}", e.message);
            e.in_file(config_file)
        })?;
        for doc in docs {
            let is_secret = doc.get("kind").and_then(Node::as_str) == Some("Secret")
                && doc.get("apiVersion").and_then(Node::as_str) == Some("v1");
            if is_secret {
                out.push(secret(config_file, &doc)?);
            }
        }
    }
    Ok(out)
}

/// How a decrypted Secret's data is read: every scalar as written.
const DECRYPTED: crate::secret::read::Reading = crate::secret::read::Reading {
    text: crate::secret::read::scalar_text,
    base64_text: crate::secret::read::scalar_text,
    encrypted: true,
    what: " of a decrypted Secret",
    ..crate::secret::read::Reading::RESOURCE
};

fn text_of(n: Option<&Node>) -> Option<&str> {
    match &n?.value {
        Value::Scalar { text, .. } => Some(text),
        _ => None,
    }
}

fn strings(n: Option<&Node>) -> Vec<(String, String)> {
    n.and_then(Node::as_map)
        .unwrap_or(&[])
        .iter()
        .filter_map(|(k, v)| {
            Some((
                text_of(Some(k))?.to_string(),
                text_of(Some(v)).unwrap_or("").to_string(),
            ))
        })
        .collect()
}

/// One Secret document as kustomize leaves it: suffixed on `needs-hash`, its generator
/// annotations consumed.
fn secret(file: &Path, doc: &Node) -> Result<Secret> {
    let loc = Loc::at(file, doc.mark);
    let meta = doc.get("metadata");
    let name = text_of(meta.and_then(|m| m.get("name")))
        .ok_or_else(|| KsopsError::new(loc.clone(), Rule::DecryptedSecretWithoutName))?
        .to_string();
    let namespace = text_of(meta.and_then(|m| m.get("namespace"))).map(str::to_string);
    let labels: BTreeMap<String, String> = strings(meta.and_then(|m| m.get("labels")))
        .into_iter()
        .collect();
    let all_annotations = strings(meta.and_then(|m| m.get("annotations")));
    let needs_hash = super::needs_hash_of(
        all_annotations
            .iter()
            .find(|(k, _)| k == NEEDS_HASH)
            .map(|(_, v)| v.as_str()),
        &loc,
    )?;
    let annotations: BTreeMap<String, String> = all_annotations
        .into_iter()
        .filter(|(k, _)| k != NEEDS_HASH && k != BEHAVIOR)
        .collect();
    let written_type = text_of(doc.get("type")).unwrap_or("").to_string();
    let data_written = strings(doc.get("data"));
    let string_data = strings(doc.get("stringData"));

    let final_name = needs_hash.then(|| {
        let d: Vec<(&str, &str)> = data_written
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let sd: Vec<(&str, &str)> = string_data
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        super::needs_hash_suffix(
            doc.get("data").is_some().then_some(&d[..]),
            doc.get("stringData").is_some().then_some(&sd[..]),
            &written_type,
        )
    });
    let full_name = match &final_name {
        Some(s) => format!("{name}-{s}"),
        None => name.clone(),
    };

    let mut node = to_emit(doc);
    if let Out::Map(top) = &mut node
        && let Some((_, Out::Map(m))) = top.iter_mut().find(|(k, _)| k == "metadata")
    {
        if let Some(slot) = m.iter_mut().find(|(k, _)| k == "name") {
            slot.1 = Out::Str(Cow::Owned(full_name.clone()));
        }
        m.retain(|(k, _)| k != "annotations");
        if !annotations.is_empty() {
            m.push((
                "annotations".into(),
                Out::Map(
                    annotations
                        .iter()
                        .map(|(k, v)| (Cow::Owned(k.clone()), Out::Str(Cow::Owned(v.clone()))))
                        .collect(),
                ),
            ));
        }
    }

    let data = crate::secret::read::data(doc, file, &DECRYPTED)?;
    Ok(Secret {
        name: full_name,
        base_name: name,
        namespace,
        type_: if written_type.is_empty() {
            "Opaque".into()
        } else {
            written_type
        },
        explicit_type: true,
        labels,
        annotations,
        data,
        immutable: false,
        hash: final_name.map(|s| (HashVariant::Kustomize, s)),
        origin: loc,
        passthrough: Some(node),
        placeholder: false,
        keys_unknown: false,
        kubectl_output: false,
        meta: Provenance::Decrypted,
    })
}

/// A parsed document as kustomize prints it (goyaml.v2's resolution of plain scalars).
fn to_emit(node: &Node) -> Out<'static> {
    match &node.value {
        Value::Scalar { text, .. } => match node.resolved() {
            Resolved::Null => Out::Null,
            Resolved::Bool => Out::Bool(crate::yaml::is_true(text)),
            Resolved::Int | Resolved::Float => Out::Number(Cow::Owned(text.clone())),
            Resolved::Str => Out::Str(Cow::Owned(text.clone())),
        },
        Value::Seq(items) => Out::Seq(items.iter().map(to_emit).collect()),
        Value::Map(entries) => Out::Map(
            entries
                .iter()
                .map(|(k, v)| {
                    (
                        Cow::Owned(text_of(Some(k)).unwrap_or("").to_string()),
                        to_emit(v),
                    )
                })
                .collect(),
        ),
    }
}
