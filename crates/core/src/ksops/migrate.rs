//! `secretgen migrate ksops`: from KSOPS configs to secretgen.dev/v1 generators.
//!
//! In: generator files named by kustomizations (`generators:`), holding `kind: ksops`
//! configs, and a SOPS decrypter (to compare parsers and names; nothing decrypted is
//! written). Out: each file's new text (one SecretGenerator per `secretFrom` entry; `files:`
//! entries kept in a KSOPS config of their own, the SOPS manifests untouched) and, per
//! Secret, whether its final name changes and why. An entry secretgen cannot reproduce
//! exactly (an env file kustomize's rules read differently, a key given twice) stays KSOPS,
//! with the reason. Paths only: a value never reaches the output.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use base64::Engine;
use zeroize::Zeroizing;

use super::{BEHAVIOR, Config, KsopsError, NEEDS_HASH, Rule, SecretFrom, dotenv, go_base};
use crate::error::{Error, Loc, Result};
use crate::gate::shown::Text;
use crate::kustomize::hash::{self, HashInput, HashVariant};
use crate::render::Decrypt;
use crate::yaml;
use crate::yaml::emit::{self, Node as Out};

/// What happens to one `secretFrom` Secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretReport {
    pub(crate) file: PathBuf,
    pub(crate) namespace: String,
    /// The final name under KSOPS.
    pub(crate) before: String,
    /// The final name with the secretgen generator (`None`: left as KSOPS).
    pub(crate) after: Option<String>,
    pub(crate) why: String,
}

impl std::fmt::Display for SecretReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ns = if self.namespace.is_empty() {
            String::new()
        } else {
            format!("{}/", self.namespace)
        };
        match &self.after {
            Some(after) if *after == self.before => write!(
                f,
                "{}: Secret {ns}{}: name unchanged ({})",
                self.file.display(),
                self.before,
                self.why
            ),
            Some(after) => write!(
                f,
                "{}: Secret {ns}{}: name changes to {after} ({})",
                self.file.display(),
                self.before,
                self.why
            ),
            None => write!(
                f,
                "{}: Secret {ns}{}: kept as KSOPS ({})",
                self.file.display(),
                self.before,
                self.why
            ),
        }
    }
}

/// One generator file rewritten.
pub struct FileChange {
    pub path: PathBuf,
    /// The kustomization's directory: the file is written only under it.
    pub root: PathBuf,
    pub new_text: String,
    pub secrets: Vec<SecretReport>,
    /// `files:` entries kept as SOPS manifests in a KSOPS config.
    pub kept_files: usize,
}

/// The generator files the kustomizations under `paths` name, in order, without repeats.
pub fn generator_files(paths: &[PathBuf]) -> Result<Vec<(PathBuf, PathBuf)>> {
    let mut kustomizations = Vec::new();
    for p in paths {
        if p.is_dir() {
            // Not the crate's tree walk (`render::discover::files`): a migration rewrites
            // every kustomization under the paths, one in a `target/` overlay too, and stops
            // at the first entry it cannot read, before any file is written.
            for e in crate::render::discover::walk(p, crate::render::discover::Skip::Hidden) {
                let e = e.map_err(|e| {
                    Error::io(p, "cannot walk", std::io::Error::other(e.to_string()))
                })?;
                if crate::kustomize::manifest::is_kustomization_file(e.path()) {
                    kustomizations.push(e.path().to_path_buf());
                }
            }
        } else if p.is_file() {
            kustomizations.push(p.clone());
        } else {
            return Err(KsopsError::new(Loc::file(p), Rule::NotAKustomization).into());
        }
    }
    let mut out: Vec<(PathBuf, PathBuf)> = Vec::new();
    for k in kustomizations {
        let text = crate::kustomize::manifest::read_text(&k)?;
        let docs = yaml::parse_stream(&text).map_err(|e| e.in_file(&k))?;
        let root = k.parent().unwrap_or(Path::new(".")).to_path_buf();
        let entries = docs
            .first()
            .and_then(|d| d.get("generators"))
            .and_then(yaml::Node::as_seq)
            .unwrap_or_default();
        for entry in entries {
            let Some(rel) = entry.as_str() else { continue };
            let file = root.join(rel.trim_start_matches("./"));
            // The load restrictor, as for reading: a generator file outside the
            // kustomization's directory is refused (kustomize refuses it), never rewritten.
            if file.is_file() {
                match crate::gate::write::Confined::new(&root).resolve_existing(&file) {
                    Ok(_) => {}
                    Err(crate::gate::write::WriteError::Outside { .. }) => {
                        let rule = Rule::GeneratorOutside {
                            entry: rel.to_string(),
                            dir: root.clone(),
                        };
                        return Err(KsopsError::new(Loc::file(&k), rule).into());
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            if file.is_file() && !out.iter().any(|(f, _)| *f == file) {
                out.push((file, root.clone()));
            }
        }
    }
    Ok(out)
}

/// The documents of a YAML stream as text (split at `---` lines).
fn split_docs(text: &str) -> Vec<String> {
    let mut docs = vec![String::new()];
    for line in text.split_inclusive('\n') {
        if line.trim_end() == "---" || line.starts_with("--- ") {
            docs.push(String::new());
        } else if let Some(last) = docs.last_mut() {
            last.push_str(line);
        }
    }
    docs.retain(|d| {
        d.lines()
            .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
    });
    docs
}

/// Migrates one generator file (paths in it resolve from `root`, the kustomization's
/// directory). `None` when it holds no KSOPS config.
pub fn migrate_file(path: &Path, root: &Path, keys: &dyn Decrypt) -> Result<Option<FileChange>> {
    let text = crate::kustomize::manifest::read_text(path)?;
    let mut out_docs: Vec<String> = Vec::new();
    let mut secrets = Vec::new();
    let mut kept_files = 0;
    let mut any = false;
    for doc_text in split_docs(&text) {
        if !super::text_is_ksops(&doc_text) {
            out_docs.push(doc_text);
            continue;
        }
        any = true;
        let config = super::read_config(path, &doc_text)?;
        let doc = yaml::parse_stream(&doc_text)
            .ok()
            .and_then(|d| d.into_iter().next());
        let mut kept: Vec<&SecretFrom> = Vec::new();
        for sf in config.secret_from.iter().flatten() {
            let (report, generator) = migrate_secret(path, root, sf, keys)?;
            match generator {
                Some(g) => out_docs.push(g),
                None => kept.push(sf),
            }
            secrets.push(report);
        }
        let files = config.files.clone().unwrap_or_default();
        kept_files += files.len();
        if !files.is_empty() || !kept.is_empty() {
            out_docs.push(residual_ksops(&config, doc.as_ref(), &kept));
        }
    }
    if !any {
        return Ok(None);
    }
    Ok(Some(FileChange {
        path: path.to_path_buf(),
        root: root.to_path_buf(),
        new_text: out_docs.join("---\n"),
        secrets,
        kept_files,
    }))
}

/// The KSOPS config that stays: `files:` and the entries not migrated, its own metadata
/// (and so its KRM function annotation) kept.
fn residual_ksops(config: &Config, doc: Option<&yaml::Node>, kept: &[&SecretFrom]) -> String {
    let api = doc
        .and_then(|d| d.get("apiVersion"))
        .and_then(yaml::Node::as_str)
        .unwrap_or("viaduct.ai/v1");
    let mut fields: Vec<(Cow<'_, str>, Out<'_>)> = vec![
        ("apiVersion".into(), Out::Str(api.into())),
        ("kind".into(), Out::Str("ksops".into())),
    ];
    if let Some(meta) = doc.and_then(|d| d.get("metadata")) {
        fields.push(("metadata".into(), to_out(meta)));
    }
    if let Some(files) = &config.files
        && !files.is_empty()
    {
        fields.push((
            "files".into(),
            Out::Seq(
                files
                    .iter()
                    .map(|e| Out::Str(e.text.as_str().into()))
                    .collect(),
            ),
        ));
    }
    if !kept.is_empty() {
        let seq = doc
            .and_then(|d| d.get("secretFrom"))
            .and_then(yaml::Node::as_seq)
            .unwrap_or_default();
        let items = seq
            .iter()
            .filter(|item| kept.iter().any(|k| k.mark == item.mark))
            .map(to_out)
            .collect();
        fields.push(("secretFrom".into(), Out::Seq(items)));
    }
    let mut text = Vec::new();
    // Order as KSOPS' docs write it, not sorted: write the fields one document at a time.
    for (k, v) in fields {
        emit::write_document(&Out::Map(vec![(k, v)]), &mut text);
    }
    String::from_utf8_lossy(&text).into_owned()
}

fn to_out(node: &yaml::Node) -> Out<'_> {
    match &node.value {
        yaml::Value::Scalar { text, .. } => match node.resolved() {
            yaml::Resolved::Str => Out::Str(text.as_str().into()),
            yaml::Resolved::Null => Out::Null,
            yaml::Resolved::Bool => Out::Bool(yaml::is_true(text)),
            _ => Out::Number(text.as_str().into()),
        },
        yaml::Value::Seq(items) => Out::Seq(items.iter().map(to_out).collect()),
        yaml::Value::Map(pairs) => Out::Map(
            pairs
                .iter()
                .map(|(k, v)| {
                    let key = match &k.value {
                        yaml::Value::Scalar { text, .. } => Cow::from(text.as_str()),
                        _ => Cow::from(""),
                    };
                    (key, to_out(v))
                })
                .collect(),
        ),
    }
}

/// One `secretFrom` entry: the report, and the generator's text unless it stays KSOPS.
fn migrate_secret(
    file: &Path,
    root: &Path,
    sf: &SecretFrom,
    keys: &dyn Decrypt,
) -> Result<(SecretReport, Option<String>)> {
    let meta = &sf.metadata;
    let needs_hash = meta.annotations.contains_key(NEEDS_HASH);
    let g = gather(file, root, sf, keys)?;
    let before = ksops_name(sf, &g, needs_hash);
    if !g.problems.is_empty() {
        return Ok((
            SecretReport {
                file: file.to_path_buf(),
                namespace: meta.namespace.clone(),
                before: before.clone(),
                after: None,
                why: g.problems.join("; "),
            },
            None,
        ));
    }
    let type_ = if sf.type_.is_empty() {
        "Opaque"
    } else {
        sf.type_.as_str()
    };
    let (after, why) = secretgen_name(sf, &g, needs_hash, type_, &before);
    let text = generator_text(sf, &g, needs_hash, type_);
    Ok((
        SecretReport {
            file: file.to_path_buf(),
            namespace: meta.namespace.clone(),
            before,
            after: Some(after),
            why,
        },
        Some(text),
    ))
}

/// What a `secretFrom` entry's inputs hold, read once: the Secret KSOPS builds (stringData
/// from files and envs as godotenv reads them, data from binaryFiles), what the secretgen
/// generator would build (all in data), the entries to write, and why it cannot move.
#[derive(Default)]
struct Gathered {
    string_data: Vec<(String, Zeroizing<String>)>,
    binary: Vec<(String, Zeroizing<Vec<u8>>)>,
    data: Vec<(String, Zeroizing<Vec<u8>>)>,
    problems: Vec<String>,
    file_entries: Vec<String>,
    env_entries: Vec<String>,
}

fn gather(file: &Path, root: &Path, sf: &SecretFrom, keys: &dyn Decrypt) -> Result<Gathered> {
    let read = |p: &str, mark| -> Result<crate::secret::SecretBytes> {
        let entry = super::Entry {
            text: p.to_string(),
            mark,
        };
        super::read_input(root, &entry, file, keys, p)
    };
    let mut g = Gathered::default();
    let Gathered {
        string_data,
        binary,
        data,
        problems,
        file_entries,
        env_entries,
    } = &mut g;
    let set_string = |sd: &mut Vec<(String, Zeroizing<String>)>,
                      k: String,
                      v: Zeroizing<String>| {
        match sd.iter_mut().find(|(x, _)| *x == k) {
            Some(slot) => slot.1 = v,
            None => sd.push((k, v)),
        }
    };
    for entry in sf.files.iter().chain(&sf.binary_files) {
        let binary_entry = sf.binary_files.iter().any(|b| b.mark == entry.mark);
        let (key, path) = super::split_entry(entry, file)?;
        let bytes = read(path, entry.mark)?;
        if data.iter().any(|(k, _)| *k == key) {
            problems.push(format!("key `{key}` is given twice (KSOPS keeps the last)"));
        }
        if !binary_entry && std::str::from_utf8(bytes.expose()).is_err() {
            problems.push(format!(
                "`{path}` is not UTF-8: KSOPS' stringData replaces its invalid bytes"
            ));
        }
        data.push((key.clone(), Zeroizing::new(bytes.expose().to_vec())));
        if binary_entry {
            binary.push((key.clone(), Zeroizing::new(bytes.expose().to_vec())));
        } else {
            set_string(
                string_data,
                key.clone(),
                Zeroizing::new(dotenv::go_lossy(bytes.expose())),
            );
        }
        let default_key = go_base(path);
        file_entries.push(if key == default_key && !default_key.ends_with(".age") {
            path.to_string()
        } else {
            format!("{key}={path}")
        });
    }
    for entry in &sf.envs {
        let bytes = read(&entry.text, entry.mark)?;
        let godotenv =
            dotenv::parse(bytes.expose()).map_err(|e| super::env_file(file, entry, e))?;
        let same = match crate::kustomize::source::parse_env(bytes.expose()) {
            Ok(kustomize) => {
                kustomize.len() == godotenv.len()
                    && kustomize
                        .iter()
                        .zip(&godotenv)
                        .all(|(k, g)| k.key == g.key && k.value.expose() == g.value.as_bytes())
            }
            Err(_) => false,
        };
        if !same {
            problems.push(format!(
                "env file `{}` reads differently under kustomize's env rules than under godotenv's",
                entry.text
            ));
        }
        for v in godotenv {
            if data.iter().any(|(k, _)| *k == v.key) {
                // The key is read out of the decrypted env file: described, never quoted.
                problems.push(format!(
                    "key {} is given twice (KSOPS keeps the last)",
                    Text::decrypted(&v.key)
                ));
            }
            data.push((v.key.clone(), Zeroizing::new(v.value.as_bytes().to_vec())));
            set_string(string_data, v.key, v.value);
        }
        env_entries.push(entry.text.clone());
    }

    Ok(g)
}

/// The name KSOPS gives the Secret: with `needs-hash`, kustomize's suffix over what KSOPS
/// builds (binaryFiles in data, the rest in stringData).
fn ksops_name(sf: &SecretFrom, g: &Gathered, needs_hash: bool) -> String {
    let meta = &sf.metadata;
    if needs_hash {
        let b64 = base64::engine::general_purpose::STANDARD;
        let bin: Vec<(String, Zeroizing<String>)> = g
            .binary
            .iter()
            .map(|(k, v)| (k.clone(), Zeroizing::new(b64.encode(v.as_slice()))))
            .collect();
        let bin_pairs: Vec<(&str, &str)> =
            bin.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let sd_pairs: Vec<(&str, &str)> = g
            .string_data
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let suffix = super::needs_hash_suffix(
            (!bin_pairs.is_empty()).then_some(&bin_pairs[..]),
            (!sd_pairs.is_empty()).then_some(&sd_pairs[..]),
            &sf.type_,
        );
        format!("{}-{suffix}", meta.name)
    } else {
        meta.name.clone()
    }
}

/// The name secretgen's generator gives the Secret, and why it differs from KSOPS' (or not).
fn secretgen_name(
    sf: &SecretFrom,
    g: &Gathered,
    needs_hash: bool,
    type_: &str,
    before: &str,
) -> (String, String) {
    let meta = &sf.metadata;
    if needs_hash {
        let wrapped: Vec<(String, Zeroizing<String>)> = g
            .data
            .iter()
            .map(|(k, v)| {
                let mut s = String::new();
                emit::wrapped_base64(v, &mut s);
                (k.clone(), Zeroizing::new(s))
            })
            .collect();
        let pairs: Vec<(&str, &str)> = wrapped
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let suffix = hash::suffix(&HashInput {
            variant: HashVariant::Kustomize,
            name: &meta.name,
            type_,
            kubectl_type: None,
            data: Some(&pairs),
            string_data: None,
            immutable: false,
        });
        let after = format!("{}-{suffix}", meta.name);
        let mut causes = Vec::new();
        if !g.string_data.is_empty() {
            causes.push("KSOPS puts files and envs in stringData, secretgen every value in data (base64), and kustomize hashes the two fields apart");
        }
        if sf.type_.is_empty() {
            causes.push("KSOPS' Secret has no type (hashed as empty), secretgen's is Opaque");
        }
        if g.binary.iter().any(|(_, v)| v.len() > 51) {
            causes
                .push("kustomize hashes secretgen's base64 as it prints it, wrapped at 70 columns");
        }
        let why = if after == before {
            "needs-hash: the same data and type hash alike".to_string()
        } else {
            format!("needs-hash: {}", causes.join("; "))
        };
        (after, why)
    } else {
        (
            meta.name.clone(),
            "no needs-hash: the generator sets disableNameSuffixHash".to_string(),
        )
    }
}

/// The secretgen.dev/v1 generator that replaces the entry.
fn generator_text(sf: &SecretFrom, g: &Gathered, needs_hash: bool, type_: &str) -> String {
    let meta = &sf.metadata;
    let mut m: Vec<(Cow<'_, str>, Out<'_>)> =
        vec![("name".into(), Out::Str(meta.name.as_str().into()))];
    if !meta.namespace.is_empty() {
        m.push(("namespace".into(), Out::Str(meta.namespace.as_str().into())));
    }
    let labels: Vec<(Cow<'_, str>, Out<'_>)> = meta
        .labels
        .iter()
        .map(|(k, v)| (Cow::from(k.as_str()), Out::Str(v.as_str().into())))
        .collect();
    if !labels.is_empty() {
        m.push(("labels".into(), Out::Map(labels)));
    }
    let annotations: Vec<(Cow<'_, str>, Out<'_>)> = meta
        .annotations
        .iter()
        .filter(|(k, _)| k.as_str() != NEEDS_HASH && k.as_str() != BEHAVIOR)
        .map(|(k, v)| (Cow::from(k.as_str()), Out::Str(v.as_str().into())))
        .collect();
    if !annotations.is_empty() {
        m.push(("annotations".into(), Out::Map(annotations)));
    }
    let mut fields: Vec<(Cow<'_, str>, Out<'_>)> = vec![
        ("apiVersion".into(), Out::Str("secretgen.dev/v1".into())),
        ("kind".into(), Out::Str("SecretGenerator".into())),
        ("metadata".into(), Out::Map(m)),
        ("type".into(), Out::Str(type_.into())),
    ];
    if !g.file_entries.is_empty() {
        fields.push((
            "files".into(),
            Out::Seq(
                g.file_entries
                    .iter()
                    .map(|f| Out::Str(f.as_str().into()))
                    .collect(),
            ),
        ));
    }
    if !g.env_entries.is_empty() {
        fields.push((
            "envs".into(),
            Out::Seq(
                g.env_entries
                    .iter()
                    .map(|f| Out::Str(f.as_str().into()))
                    .collect(),
            ),
        ));
    }
    if !needs_hash {
        fields.push((
            "options".into(),
            Out::Map(vec![("disableNameSuffixHash".into(), Out::Bool(true))]),
        ));
    }
    if let Some(b) = meta.annotations.get(BEHAVIOR) {
        fields.push(("behavior".into(), Out::Str(b.as_str().into())));
    }
    let mut text = Vec::new();
    for (k, v) in fields {
        emit::write_document(&Out::Map(vec![(k, v)]), &mut text);
    }
    String::from_utf8_lossy(&text).into_owned()
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests make fixtures directly
mod tests {
    use super::*;

    #[test]
    fn secret_from_becomes_generators_and_files_stay_ksops() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("kustomization.yaml"), "generators:\n- ./gen.yaml\n").unwrap();
        std::fs::write(d.join("a.txt"), "secret-a\n").unwrap();
        std::fs::write(d.join("plain.env"), "USER=admin\n").unwrap();
        std::fs::write(d.join("quoted.env"), "PASS=\"p w\"\n").unwrap();
        std::fs::write(
            d.join("gen.yaml"),
            "apiVersion: viaduct.ai/v1\nkind: ksops\nmetadata:\n  name: g\nfiles:\n- ./m.enc.yaml\nsecretFrom:\n- metadata:\n    name: one\n    namespace: ns\n    annotations:\n      kustomize.config.k8s.io/behavior: merge\n      note: kept\n  files: [k=a.txt, a.txt]\n  envs: [plain.env]\n- metadata:\n    name: two\n    annotations: {kustomize.config.k8s.io/needs-hash: \"true\"}\n  binaryFiles: [a.txt]\n- metadata: {name: three}\n  envs: [quoted.env]\n",
        )
        .unwrap();
        let files = generator_files(&[d.to_path_buf()]).unwrap();
        assert_eq!(files.len(), 1);
        let change = migrate_file(&files[0].0, &files[0].1, &crate::render::AsIs)
            .unwrap()
            .unwrap();
        assert_eq!(
            change.new_text,
            "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  annotations:\n    note: kept\n  name: one\n  namespace: ns\ntype: Opaque\nfiles:\n- k=a.txt\n- a.txt\nenvs:\n- plain.env\noptions:\n  disableNameSuffixHash: true\nbehavior: merge\n---\napiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: two\ntype: Opaque\nfiles:\n- a.txt\n---\napiVersion: viaduct.ai/v1\nkind: ksops\nmetadata:\n  name: g\nfiles:\n- ./m.enc.yaml\nsecretFrom:\n- envs:\n  - quoted.env\n  metadata:\n    name: three\n"
        );
        let lines: Vec<String> = change.secrets.iter().map(|s| s.to_string()).collect();
        assert!(lines[0].ends_with("Secret ns/one: name unchanged (no needs-hash: the generator sets disableNameSuffixHash)"), "{lines:?}");
        // binaryFiles only: data either way, but KSOPS' type is empty and secretgen's Opaque.
        assert!(lines[1].contains("Secret two-"), "{lines:?}");
        assert!(
            lines[1].contains(": name changes to two-")
                && lines[1].contains("KSOPS' Secret has no type")
                && !lines[1].contains("stringData"),
            "{lines:?}"
        );
        assert!(
            lines[2]
                .contains("Secret three: kept as KSOPS (env file `quoted.env` reads differently"),
            "{lines:?}"
        );
        assert_eq!(change.kept_files, 1);
        // Only paths: no value in the new text or the report.
        for text in lines.iter().chain([&change.new_text]) {
            assert!(!text.contains("secret-a") && !text.contains("admin"));
        }
    }

    #[test]
    fn a_key_from_an_env_file_is_described_in_the_report() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("kustomization.yaml"), "generators:\n- ./gen.yaml\n").unwrap();
        std::fs::write(d.join("a.env"), "CANARY_KEY=1\n").unwrap();
        std::fs::write(d.join("b.env"), "CANARY_KEY=2\n").unwrap();
        std::fs::write(
            d.join("gen.yaml"),
            "apiVersion: viaduct.ai/v1\nkind: ksops\nsecretFrom:\n- metadata: {name: s}\n  envs: [a.env, b.env]\n",
        )
        .unwrap();
        let files = generator_files(&[d.to_path_buf()]).unwrap();
        let change = migrate_file(&files[0].0, &files[0].1, &crate::render::AsIs)
            .unwrap()
            .unwrap();
        let line = change.secrets[0].to_string();
        assert!(!line.contains("CANARY"), "{line}");
        assert!(
            line.contains("kept as KSOPS (key of 10 characters (letters, `_`; decrypted, not shown) is given twice"),
            "{line}"
        );
        assert!(!change.new_text.contains("CANARY"), "{}", change.new_text);
    }
}
