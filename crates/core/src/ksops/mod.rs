//! KSOPS configs (`kind: ksops`, viaduct-ai/kustomize-sops v4.5.1), run as KSOPS runs them.
//!
//! In: a config with `files:` (SOPS-encrypted manifests) and `secretFrom:` (Secrets built from
//! SOPS files), and a SOPS decrypter. Out: the bytes KSOPS prints as a kustomize exec plugin
//! (decrypted manifests, then one Secret per `secretFrom` entry with `files` in `stringData`,
//! `binaryFiles` in `data` and `envs` read with godotenv's rules), or the same documents as a
//! KRM ResourceList. Refused beyond KSOPS: a built Secret the API server would refuse (bad
//! key, name, label), with the rule; no value ever appears in an error.

pub(crate) mod dotenv;
mod error;
pub mod migrate;
pub mod render;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine;
use zeroize::Zeroizing;

pub(crate) use error::KsopsError;
use error::Rule;

use crate::error::{Error, Loc, Result};
use crate::gate::read;
use crate::kustomize::manifest::MAX_YAML_BYTES;
use crate::render::Decrypt;
use crate::render::reads::Reads;
use crate::secret::SecretBytes;
use crate::secret::validate::{self, SecretView};
use crate::yaml::emit::{self, Node as Out};
use crate::yaml::{self, Mark, Node, Resolved, Value};

/// kustomize's generator annotations (`needs-hash`, `behavior`) and its reading of the first.
pub(crate) use crate::kustomize::manifest::{BEHAVIOR, NEEDS_HASH, parse_needs_hash};

pub(crate) use crate::kustomize::manifest::is_ksops;

/// Does this text hold a KSOPS config (its first document, as KSOPS reads only that)?
pub(crate) fn text_is_ksops(text: &str) -> bool {
    text.contains("ksops")
        && yaml::parse_stream(text)
            .ok()
            .and_then(|docs| docs.into_iter().next())
            .is_some_and(|d| is_ksops(&d))
}

/// KSOPS' place under a kustomize plugin home (`apiVersion: viaduct.ai/v1`, `kind: ksops`).
pub const PLUGIN_PATH: &str = "viaduct.ai/v1/ksops/ksops";

/// Links `link` to `exe` (a symlink named `ksops`: the binary answers to that name as KSOPS
/// does), replacing an older one atomically.
pub fn install_link(link: &Path, exe: &Path) -> Result<()> {
    let dir = link.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, "cannot create", e))?;
    let mut batch = crate::gate::write::Batch::new();
    batch.add_link(link.to_path_buf(), exe);
    batch.commit()?;
    Ok(())
}

/// Is this a regular file (not a FIFO or device, which reading could block or never end)
/// of reasonable size whose first document is a KSOPS config?
pub fn file_is_ksops(path: &Path) -> bool {
    read::file(path, read::Origin::Input, crate::render::MAX_SECRET_BYTES)
        .ok()
        .and_then(|bytes| read::utf8(bytes).ok())
        .is_some_and(|t| text_is_ksops(&t))
}

/// [`file_is_ksops`] for a tree walk, which meets every YAML file of a repository: a file
/// whose first 4 KiB do not say `ksops` is passed over after one small read.
pub(crate) fn file_may_be_ksops(path: &Path) -> bool {
    read::head(path, 4096).is_some_and(|head| head.windows(5).any(|w| w == b"ksops"))
        && file_is_ksops(path)
}

/// Is this ResourceList KSOPS' (its functionConfig, or else its first item, `kind: ksops`)?
pub fn list_is_ksops(input: &str) -> bool {
    if !input.contains("ksops") {
        return false;
    }
    let Ok(docs) = yaml::parse_stream(input) else {
        return false;
    };
    let Some(list) = docs.first() else {
        return false;
    };
    match list.get("functionConfig").filter(|c| !c.is_null()) {
        Some(config) => is_ksops(config),
        None => list
            .get("items")
            .and_then(Node::as_seq)
            .and_then(|items| items.first())
            .is_some_and(is_ksops),
    }
}

/// A path from the config with where it was written.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub(crate) text: String,
    pub(crate) mark: Mark,
}

/// `metadata` as KSOPS keeps it (kustomize's `types.ObjectMeta`): the rest is dropped.
#[derive(Clone, Debug, Default)]
pub(crate) struct Meta {
    pub(crate) name: String,
    pub(crate) namespace: String,
    pub(crate) labels: BTreeMap<String, String>,
    pub(crate) annotations: BTreeMap<String, String>,
    pub(crate) mark: Option<Mark>,
}

/// One `secretFrom` entry.
#[derive(Clone, Debug, Default)]
pub(crate) struct SecretFrom {
    pub(crate) files: Vec<Entry>,
    pub(crate) binary_files: Vec<Entry>,
    pub(crate) envs: Vec<Entry>,
    pub(crate) metadata: Meta,
    pub(crate) type_: String,
    pub(crate) mark: Mark,
}

/// A KSOPS config. `None` is a field absent or null (KSOPS needs one of the two).
#[derive(Clone, Debug)]
pub(crate) struct Config {
    pub(crate) file: PathBuf,
    pub(crate) files: Option<Vec<Entry>>,
    pub(crate) secret_from: Option<Vec<SecretFrom>>,
}

/// Go's `encoding/json` field matching: exact, else ASCII case-insensitive.
fn field_is(key: &Node, name: &str) -> bool {
    key.as_str().is_some_and(|k| k.eq_ignore_ascii_case(name))
}

struct Reader<'a> {
    file: &'a Path,
}

impl Reader<'_> {
    fn err(&self, mark: Mark, rule: Rule) -> Error {
        KsopsError::new(Loc::at(self.file, mark), rule).into()
    }

    /// A string field as Go's JSON decoder takes it into a `string`: null leaves it empty,
    /// anything but a string is refused.
    fn string(&self, node: &Node, what: &str) -> Result<String> {
        match &node.value {
            Value::Scalar { text, .. } => match node.resolved() {
                Resolved::Str => Ok(text.clone()),
                Resolved::Null => Ok(String::new()),
                r => Err(self.err(node.mark, not_a_string(what, r.describe()))),
            },
            _ => Err(self.err(node.mark, not_a_string(what, node.kind_name()))),
        }
    }

    fn list(&self, node: &Node, what: &str) -> Result<Option<Vec<Entry>>> {
        if node.is_null() {
            return Ok(None);
        }
        let Some(seq) = node.as_seq() else {
            let rule = Rule::NotAListOfPaths {
                what: what.to_string(),
                found: node.kind_name(),
            };
            return Err(self.err(node.mark, rule));
        };
        seq.iter()
            .map(|item| {
                Ok(Entry {
                    text: self.string(item, what)?,
                    mark: item.mark,
                })
            })
            .collect::<Result<Vec<_>>>()
            .map(Some)
    }

    fn string_map(&self, node: &Node, what: &str) -> Result<BTreeMap<String, String>> {
        let mut out = BTreeMap::new();
        if node.is_null() {
            return Ok(out);
        }
        let Some(map) = node.as_map() else {
            return Err(self.err(node.mark, not_a_mapping(what, node.kind_name())));
        };
        for (k, v) in map {
            let key = match &k.value {
                Value::Scalar { text, .. } => text.clone(),
                _ => {
                    let what = what.to_string();
                    return Err(self.err(k.mark, Rule::KeyNotAString { what }));
                }
            };
            let value = self.string(v, &format!("{what}.{key}"))?;
            out.insert(key, value);
        }
        Ok(out)
    }

    fn metadata(&self, node: &Node) -> Result<Meta> {
        let mut m = Meta {
            mark: Some(node.mark),
            ..Meta::default()
        };
        if node.is_null() {
            return Ok(m);
        }
        let Some(map) = node.as_map() else {
            return Err(self.err(node.mark, not_a_mapping("metadata", node.kind_name())));
        };
        for (k, v) in map {
            if field_is(k, "name") {
                m.name = self.string(v, "metadata.name")?;
            } else if field_is(k, "namespace") {
                m.namespace = self.string(v, "metadata.namespace")?;
            } else if field_is(k, "labels") {
                m.labels = self.string_map(v, "metadata.labels")?;
            } else if field_is(k, "annotations") {
                m.annotations = self.string_map(v, "metadata.annotations")?;
            }
        }
        Ok(m)
    }

    fn secret_from(&self, node: &Node) -> Result<SecretFrom> {
        let Some(map) = node.as_map() else {
            let found = node.kind_name();
            return Err(self.err(node.mark, Rule::SecretFromEntryNotAMapping { found }));
        };
        let mut sf = SecretFrom {
            mark: node.mark,
            ..SecretFrom::default()
        };
        for (k, v) in map {
            if field_is(k, "files") {
                sf.files = self.list(v, "secretFrom.files")?.unwrap_or_default();
            } else if field_is(k, "binaryFiles") {
                sf.binary_files = self.list(v, "secretFrom.binaryFiles")?.unwrap_or_default();
            } else if field_is(k, "envs") {
                sf.envs = self.list(v, "secretFrom.envs")?.unwrap_or_default();
            } else if field_is(k, "metadata") {
                sf.metadata = self.metadata(v)?;
            } else if field_is(k, "type") {
                sf.type_ = self.string(v, "secretFrom.type")?;
            }
        }
        Ok(sf)
    }
}

fn not_a_string(what: &str, found: &'static str) -> Rule {
    let what = what.to_string();
    Rule::NotAString { what, found }
}

fn not_a_mapping(what: &str, found: &'static str) -> Rule {
    let what = what.to_string();
    Rule::NotAMapping { what, found }
}

/// An env file godotenv cannot read, at its entry in `file`.
pub(crate) fn env_file(file: &Path, entry: &Entry, error: dotenv::DotenvError) -> Error {
    let rule = Rule::EnvFile {
        entry: entry.text.clone(),
        error,
    };
    KsopsError::new(Loc::at(file, entry.mark), rule).into()
}

/// Reads a KSOPS config (the first document of `text`, as KSOPS does).
pub(crate) fn read_config(file: &Path, text: &str) -> Result<Config> {
    let docs = yaml::parse_stream(text).map_err(|e| e.in_file(file))?;
    let doc = docs
        .first()
        .ok_or_else(|| KsopsError::new(Loc::file(file), Rule::Empty))?;
    config_of(file, doc)
}

/// Reads a KSOPS config from a parsed document (a KRM item, say).
pub(crate) fn config_of(file: &Path, doc: &Node) -> Result<Config> {
    let r = Reader { file };
    let Some(map) = doc.as_map() else {
        let found = doc.kind_name();
        return Err(r.err(doc.mark, Rule::ConfigNotAMapping { found }));
    };
    let mut config = Config {
        file: file.to_path_buf(),
        files: None,
        secret_from: None,
    };
    for (k, v) in map {
        if field_is(k, "files") {
            config.files = r.list(v, "files")?;
        } else if field_is(k, "secretFrom") {
            if v.is_null() {
                config.secret_from = None;
                continue;
            }
            let Some(seq) = v.as_seq() else {
                let found = v.kind_name();
                return Err(r.err(v.mark, Rule::SecretFromNotAList { found }));
            };
            config.secret_from = Some(
                seq.iter()
                    .map(|item| r.secret_from(item))
                    .collect::<Result<_>>()?,
            );
        }
    }
    if config.files.is_none() && config.secret_from.is_none() {
        return Err(r.err(doc.mark, Rule::NeedsFilesOrSecretFrom));
    }
    Ok(config)
}

/// KSOPS' `fileKeyPath`: `key=path` or a path whose base name is the key; more than one `=`
/// is refused.
pub(crate) fn key_and_path(entry: &str) -> Option<(String, &str)> {
    let parts: Vec<&str> = entry.split('=').collect();
    match parts.as_slice() {
        [path] => Some((go_base(path), path)),
        [key, path] => Some(((*key).to_string(), path)),
        _ => None,
    }
}

/// Go's `filepath.Base`.
pub(crate) fn go_base(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let trimmed = p.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/".into();
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed).to_string()
}

/// The name suffix kustomize gives a generated Secret marked `needs-hash`: its hasher's JSON
/// of `data`, `kind`, `name` (always empty: kustomize looks `metadata/name` up as one field),
/// `stringData` (only when present) and `type` (empty when absent), where an absent `data`
/// is the empty string, not an empty object.
pub(crate) fn needs_hash_suffix(
    data: Option<&[(&str, &str)]>,
    string_data: Option<&[(&str, &str)]>,
    type_: &str,
) -> String {
    use crate::kustomize::hash::{self, HashInput, HashVariant};
    hash::suffix(&HashInput {
        variant: HashVariant::Kustomize,
        name: "",
        type_,
        kubectl_type: None,
        data,
        string_data,
        immutable: false,
    })
}

/// What a config generates, in KSOPS' order: `files` first, then `secretFrom`.
pub(crate) struct Generated {
    pub(crate) files: Vec<Zeroizing<Vec<u8>>>,
    pub(crate) secrets: Vec<Zeroizing<Vec<u8>>>,
}

impl Generated {
    /// The exec plugin's stdout, byte for byte what KSOPS prints.
    pub(crate) fn legacy_stream(&self) -> Zeroizing<Vec<u8>> {
        let total = self.files.len() + self.secrets.len();
        let mut out = Zeroizing::new(Vec::new());
        for (i, data) in self.files.iter().enumerate() {
            out.extend_from_slice(data);
            if i + 1 < total {
                out.extend_from_slice(b"\n---\n");
            }
        }
        for (i, data) in self.secrets.iter().enumerate() {
            out.extend_from_slice(data);
            if i + 1 < self.secrets.len() {
                out.extend_from_slice(b"---\n");
            }
        }
        out
    }

    /// Every document as its own text (a decrypted file may hold several).
    pub(crate) fn documents(&self) -> Vec<Zeroizing<String>> {
        let mut docs: Vec<Zeroizing<String>> =
            self.files.iter().flat_map(|f| file_documents(f)).collect();
        for s in &self.secrets {
            docs.push(Zeroizing::new(String::from_utf8_lossy(s).into_owned()));
        }
        docs
    }
}

/// The documents of one decrypted `files` entry, each as its own text.
fn file_documents(f: &[u8]) -> Vec<Zeroizing<String>> {
    let mut docs = Vec::new();
    let text = Zeroizing::new(dotenv::go_lossy(f));
    let mut cur = Zeroizing::new(String::new());
    for line in text.split_inclusive('\n') {
        if line.trim_end() == "---" || line.starts_with("--- ") {
            if !cur.trim().is_empty() {
                docs.push(std::mem::take(&mut cur));
            }
            cur.clear();
            continue;
        }
        cur.push_str(line);
    }
    if !cur.trim().is_empty() {
        docs.push(cur);
    }
    docs
}

/// One document a KSOPS config generated, as kustomize receives it from KSOPS.
pub(crate) struct Made {
    /// The document, its scalars marked as decrypted text.
    pub(crate) doc: Node,
    /// The config entry that made it (a `files` entry, a `secretFrom` entry).
    pub(crate) origin: Loc,
    /// A decrypted manifest (`files`): its names too are decrypted text. A `secretFrom`
    /// Secret's names are the config's.
    pub(crate) decrypted_names: bool,
}

/// Runs the KSOPS config `doc` (written in `file`) as kustomize runs it, from `root` (the
/// directory of the kustomization that lists it, KSOPS' working directory): every document
/// it prints, in its order.
pub(crate) fn made(file: &Path, doc: &Node, root: &Path, keys: &dyn Decrypt) -> Result<Vec<Made>> {
    let config = config_of(file, doc)?;
    let generated = generate(&config, root, keys)?;
    let parse = |text: &str| {
        yaml::parse_stream_as(text, crate::gate::shown::Provenance::Decrypted).map_err(|mut e| {
            e.message = format!("a decrypted manifest: {}", e.message);
            Error::from(e.in_file(file))
        })
    };
    let mut out = Vec::new();
    let entries = config.files.iter().flatten();
    for (data, entry) in generated.files.iter().zip(entries) {
        for text in file_documents(data) {
            out.extend(parse(&text)?.into_iter().map(|doc| Made {
                doc,
                origin: Loc::at(file, entry.mark),
                decrypted_names: true,
            }));
        }
    }
    let entries = config.secret_from.iter().flatten();
    for (data, sf) in generated.secrets.iter().zip(entries) {
        let text = Zeroizing::new(String::from_utf8_lossy(data).into_owned());
        out.extend(parse(&text)?.into_iter().map(|doc| Made {
            doc,
            origin: Loc::at(file, sf.mark),
            decrypted_names: false,
        }));
    }
    Ok(out)
}

/// The annotation `needs-hash` of a generated document at `origin`, read as kustomize
/// reads it (absent: no hash).
pub(crate) fn needs_hash_of(value: Option<&str>, origin: &Loc) -> Result<bool> {
    match value {
        None => Ok(false),
        Some(v) => parse_needs_hash(v)
            .ok_or_else(|| KsopsError::new(origin.clone(), Rule::NeedsHashNotABool).into()),
    }
}

fn read_input(
    root: &Path,
    entry: &Entry,
    config: &Path,
    keys: &dyn Decrypt,
    path: &str,
) -> Result<SecretBytes> {
    // KSOPS opens paths as written, from its working directory (shown without the `.`
    // steps a join leaves inside: `base/./s.yaml` is `base/s.yaml` for any file system).
    let full = if root == Path::new(".") {
        PathBuf::from(path)
    } else {
        root.join(path).components().collect()
    };
    let bytes = read::file(&full, read::Origin::Input, read::ANY_SIZE).map_err(|e| {
        crate::kustomize::Error::Unreadable {
            loc: Loc::at(config, entry.mark),
            file: PathBuf::from(path),
            failure: e.failure,
        }
    })?;
    // Opened as the SOPS file KSOPS expects; the failure names the file, and the place is
    // the config's entry.
    keys.open_sops(&full, &bytes)
        .map_err(|f| f.at(Loc::at(config, entry.mark)))
}

/// Runs `config` as KSOPS would, paths resolved from `root` (KSOPS' working directory).
pub(crate) fn generate(config: &Config, root: &Path, keys: &dyn Decrypt) -> Result<Generated> {
    let file = &config.file;
    let mut out = Generated {
        files: Vec::new(),
        secrets: Vec::new(),
    };
    let entries = config.files.as_deref().unwrap_or_default();
    let read = |entry: &Entry| read_input(root, entry, file, keys, &entry.text);
    for data in Reads::decrypting(entries, &read) {
        let data = data?;
        out.files.push(Zeroizing::new(data.expose().to_vec()));
    }
    for sf in config.secret_from.iter().flatten() {
        out.secrets.push(build_secret(sf, file, root, keys)?);
    }
    Ok(out)
}

fn split_entry<'e>(entry: &'e Entry, file: &Path) -> Result<(String, &'e str)> {
    key_and_path(&entry.text)
        .ok_or_else(|| KsopsError::new(Loc::at(file, entry.mark), Rule::InvalidFileEntry).into())
}

/// A `secretFrom` Secret's data as read: key → (value, where it came from), text and
/// binary, and the keys read out of an env file (text from inside a decryption, never shown).
#[derive(Default)]
struct SecretData {
    string_data: BTreeMap<String, (Zeroizing<String>, Loc)>,
    binary_data: BTreeMap<String, (Zeroizing<Vec<u8>>, Loc)>,
    env_keys: std::collections::BTreeSet<String>,
}

/// One `secretFrom` Secret as KSOPS marshals it (sigs.k8s.io/yaml: Go's JSON, then
/// goyaml.v2 with sorted keys), after secretgen's API-server checks.
fn build_secret(
    sf: &SecretFrom,
    file: &Path,
    root: &Path,
    keys: &dyn Decrypt,
) -> Result<Zeroizing<Vec<u8>>> {
    let data = read_secret_data(sf, file, root, keys)?;
    validate_secret(
        sf,
        file,
        &data.string_data,
        &data.binary_data,
        &data.env_keys,
    )?;
    Ok(marshal_secret(sf, &data))
}

/// Reads a `secretFrom` entry's `files` (as text, Go's lossy UTF-8), `binaryFiles` and
/// `envs` (godotenv's rules), each opened as KSOPS opens it.
fn read_secret_data(
    sf: &SecretFrom,
    file: &Path,
    root: &Path,
    keys: &dyn Decrypt,
) -> Result<SecretData> {
    let mut out = SecretData::default();
    let keyed = |entry: &Entry| -> Result<(String, SecretBytes)> {
        let (key, path) = split_entry(entry, file)?;
        Ok((key, read_input(root, entry, file, keys, path)?))
    };
    for (entry, read) in sf.files.iter().zip(Reads::decrypting(&sf.files, &keyed)) {
        let (key, data) = read?;
        let text = Zeroizing::new(dotenv::go_lossy(data.expose()));
        out.string_data
            .insert(key, (text, Loc::at(file, entry.mark)));
    }
    let binary = Reads::decrypting(&sf.binary_files, &keyed);
    for (entry, read) in sf.binary_files.iter().zip(binary) {
        let (key, data) = read?;
        let bytes = Zeroizing::new(data.expose().to_vec());
        out.binary_data
            .insert(key, (bytes, Loc::at(file, entry.mark)));
    }
    let read = |entry: &Entry| read_input(root, entry, file, keys, &entry.text);
    for (entry, data) in sf.envs.iter().zip(Reads::decrypting(&sf.envs, &read)) {
        let data = data?;
        let vars = dotenv::parse(data.expose()).map_err(|e| env_file(file, entry, e))?;
        for v in vars {
            out.env_keys.insert(v.key.clone());
            out.string_data
                .insert(v.key, (v.value, Loc::at(file, entry.mark)));
        }
    }
    Ok(out)
}

/// A string map as a YAML mapping of strings.
fn str_map(map: &BTreeMap<String, String>) -> Out<'_> {
    Out::Map(
        map.iter()
            .map(|(k, v)| (Cow::from(k.as_str()), Out::Str(v.as_str().into())))
            .collect(),
    )
}

/// The Secret document KSOPS writes: metadata and type as given, text under `stringData`,
/// binary under `data` in base64; fields Go's JSON omits when empty are left out.
fn marshal_secret(sf: &SecretFrom, data: &SecretData) -> Zeroizing<Vec<u8>> {
    let meta = &sf.metadata;
    let mut m: Vec<(Cow<'_, str>, Out<'_>)> = Vec::new();
    if !meta.name.is_empty() {
        m.push(("name".into(), Out::Str(meta.name.as_str().into())));
    }
    if !meta.namespace.is_empty() {
        m.push(("namespace".into(), Out::Str(meta.namespace.as_str().into())));
    }
    if !meta.labels.is_empty() {
        m.push(("labels".into(), str_map(&meta.labels)));
    }
    if !meta.annotations.is_empty() {
        m.push(("annotations".into(), str_map(&meta.annotations)));
    }
    let mut doc: Vec<(Cow<'_, str>, Out<'_>)> = vec![
        ("apiVersion".into(), Out::Str("v1".into())),
        ("kind".into(), Out::Str("Secret".into())),
        ("metadata".into(), Out::Map(m)),
    ];
    if !sf.type_.is_empty() {
        doc.push(("type".into(), Out::Str(sf.type_.as_str().into())));
    }
    if !data.string_data.is_empty() {
        let text = data
            .string_data
            .iter()
            .map(|(k, (v, _))| (Cow::from(k.as_str()), Out::Str(v.as_str().into())))
            .collect();
        doc.push(("stringData".into(), Out::Map(text)));
    }
    let encoded: Vec<(&str, Zeroizing<String>)> = data
        .binary_data
        .iter()
        .map(|(k, (v, _))| {
            let b64 = base64::engine::general_purpose::STANDARD.encode(v.as_slice());
            (k.as_str(), Zeroizing::new(b64))
        })
        .collect();
    if !encoded.is_empty() {
        let binary = encoded
            .iter()
            .map(|(k, v)| (Cow::from(*k), Out::Str(v.as_str().into())))
            .collect();
        doc.push(("data".into(), Out::Map(binary)));
    }
    let mut text = Zeroizing::new(Vec::new());
    emit::write_document(&Out::Map(doc), &mut text);
    text
}

/// secretgen's API-server rules on a built Secret: what the cluster would refuse fails here.
fn validate_secret(
    sf: &SecretFrom,
    file: &Path,
    string_data: &BTreeMap<String, (Zeroizing<String>, Loc)>,
    binary_data: &BTreeMap<String, (Zeroizing<Vec<u8>>, Loc)>,
    env_keys: &std::collections::BTreeSet<String>,
) -> Result<()> {
    let meta = &sf.metadata;
    // The API server merges stringData into data, stringData winning.
    let mut data: Vec<(&str, &[u8])> = binary_data
        .iter()
        .filter(|(k, _)| !string_data.contains_key(*k))
        .map(|(k, (v, _))| (k.as_str(), v.as_slice()))
        .collect();
    data.extend(
        string_data
            .iter()
            .map(|(k, (v, _))| (k.as_str(), v.as_bytes())),
    );
    let hashed = meta.annotations.contains_key(NEEDS_HASH);
    let final_name = if hashed {
        format!("{}-0000000000", meta.name)
    } else {
        meta.name.clone()
    };
    let type_ = if sf.type_.is_empty() {
        "Opaque"
    } else {
        sf.type_.as_str()
    };
    let view = SecretView {
        name: &final_name,
        base_name: &meta.name,
        namespace: (!meta.namespace.is_empty()).then_some(meta.namespace.as_str()),
        type_,
        labels: &meta.labels,
        annotations: &meta.annotations,
        data: &data,
        has_hash_suffix: hashed,
    };
    let (violations, _warnings) = validate::check_secret(&view);
    if violations.is_empty() {
        return Ok(());
    }
    let meta_loc = Loc::at(file, meta.mark.unwrap_or(sf.mark));
    let errors = violations
        .into_iter()
        .map(|v| {
            let loc = match v.subject() {
                validate::Subject::Key(k) => string_data
                    .get(k)
                    .map(|(_, l)| l.clone())
                    .or_else(|| binary_data.get(k).map(|(_, l)| l.clone()))
                    .unwrap_or_else(|| Loc::at(file, sf.mark)),
                _ => meta_loc.clone(),
            };
            // Env keys are read out of the decrypted env file: described, never quoted.
            let decrypted =
                matches!(&v, validate::Violation::Key { key, .. } if env_keys.contains(key));
            Error::from(crate::secret::Error::Invalid {
                loc,
                secret: meta.name.clone(),
                reason: Box::new(crate::secret::Reason::ApiServer {
                    violation: v,
                    decrypted,
                }),
            })
        })
        .collect();
    Err(Error::many(errors))
}

/// The exec plugin (`ksops CONFIG`): KSOPS' stdout for the config at `config`, its paths
/// resolved from `root` (kustomize runs plugins in the kustomization's directory).
pub fn exec(config: &Path, root: &Path, keys: &dyn Decrypt) -> Result<Zeroizing<Vec<u8>>> {
    let text = read::file(config, read::Origin::Input, MAX_YAML_BYTES)?;
    let text = read::utf8(text).map_err(|_| KsopsError::new(Loc::file(config), Rule::NotUtf8))?;
    exec_text(config, &text, root, keys)
}

/// [`exec`] over the config's text, already read from `config`.
pub fn exec_text(
    config: &Path,
    text: &str,
    root: &Path,
    keys: &dyn Decrypt,
) -> Result<Zeroizing<Vec<u8>>> {
    let c = read_config(config, text)?;
    Ok(generate(&c, root, keys)?.legacy_stream())
}

/// The KRM function, as KSOPS runs it: every item of the ResourceList on stdin is a KSOPS
/// config (kustomize passes the generator there), and the answer's items are what they
/// generate. Returns the ResourceList to print and the error it reports, if any.
pub fn function(
    input: &str,
    root: &Path,
    keys: &dyn Decrypt,
) -> (Zeroizing<Vec<u8>>, Option<Error>) {
    let stdin = Path::new("<stdin>");
    let run = || -> Result<Vec<Generated>> {
        let docs = crate::plugin::list::read(input)?;
        let items = docs[0]
            .get("items")
            .and_then(Node::as_seq)
            .unwrap_or_default();
        items
            .iter()
            .map(|item| generate(&config_of(stdin, item)?, root, keys))
            .collect()
    };
    match run() {
        Ok(generated) => (resource_list(&generated), None),
        Err(e) => (error_list(&e), Some(e)),
    }
}

/// A ResourceList whose items are the generated documents, in order.
pub(crate) fn resource_list(generated: &[Generated]) -> Zeroizing<Vec<u8>> {
    let docs: Vec<_> = generated.iter().flat_map(Generated::documents).collect();
    let mut w = crate::plugin::list::Writer::new(docs.is_empty());
    for doc in docs {
        w.item(&doc, "");
    }
    Zeroizing::new(w.finish().into_bytes())
}

/// A ResourceList with no item that reports the error (escaped as secretgen's own KRM
/// function escapes it).
pub(crate) fn error_list(e: &Error) -> Zeroizing<Vec<u8>> {
    let mut w = crate::plugin::list::Writer::new(true);
    w.results(e, &|_| None);
    Zeroizing::new(w.finish().into_bytes())
}

/// KSOPS as the generator plugin of the tree build: the configs a kustomization lists under
/// `generators` run as kustomize runs KSOPS ([`made`]). The use cases give it to the build,
/// whose layer cannot name this one.
pub struct TreeGenerators;

impl crate::render::tree::GeneratorPlugin for TreeGenerators {
    fn runs(&self, doc: &Node) -> bool {
        is_ksops(doc)
    }

    fn generate(
        &self,
        file: &Path,
        doc: &Node,
        dir: &Path,
        keys: &dyn Decrypt,
    ) -> Result<Vec<crate::render::tree::Generated>> {
        Ok(made(file, doc, dir, keys)?
            .into_iter()
            .map(|m| crate::render::tree::Generated {
                doc: m.doc,
                origin: m.origin,
                decrypted_names: m.decrypted_names,
            })
            .collect())
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests make fixtures directly
mod tests {
    use super::*;

    fn run(dir: &Path, config: &str) -> Result<String> {
        let c = read_config(&dir.join("gen.yaml"), config)?;
        let g = generate(&c, dir, &crate::render::AsIs)?;
        Ok(String::from_utf8(g.legacy_stream().to_vec()).unwrap())
    }

    #[test]
    fn secret_from_every_field() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("a.txt"), "line1\nline2\n").unwrap();
        std::fs::write(d.join("bin"), [0u8, 159, 146, 150]).unwrap();
        std::fs::write(d.join("x.env"), "export A=1\nB=\"two\\nlines\"\nC=true\n").unwrap();
        let out = run(
            d,
            "apiVersion: viaduct.ai/v1\nkind: ksops\nmetadata: {name: g}\nsecretFrom:\n- metadata:\n    name: s\n    namespace: ns\n    labels: {l: v}\n    annotations: {kustomize.config.k8s.io/needs-hash: \"true\"}\n    uid: dropped\n  type: Opaque\n  files: [a.txt, k.txt=a.txt]\n  binaryFiles: [bin]\n  envs: [x.env]\n- metadata: {name: t}\n  envs: [x.env]\n",
        )
        .unwrap();
        assert_eq!(
            out,
            "apiVersion: v1\ndata:\n  bin: AJ+Slg==\nkind: Secret\nmetadata:\n  annotations:\n    kustomize.config.k8s.io/needs-hash: \"true\"\n  labels:\n    l: v\n  name: s\n  namespace: ns\nstringData:\n  A: \"1\"\n  B: |-\n    two\n    lines\n  C: \"true\"\n  a.txt: |\n    line1\n    line2\n  k.txt: |\n    line1\n    line2\ntype: Opaque\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: t\nstringData:\n  A: \"1\"\n  B: |-\n    two\n    lines\n  C: \"true\"\n"
        );
    }

    #[test]
    fn files_joined_as_ksops_joins_them() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("a.yaml"), "kind: A\n").unwrap();
        std::fs::write(d.join("b.yaml"), "kind: B").unwrap();
        let out = run(
            d,
            "kind: ksops\nfiles: [a.yaml, b.yaml]\nsecretFrom:\n- metadata: {name: s}\n",
        )
        .unwrap();
        assert_eq!(
            out,
            "kind: A\n\n---\nkind: B\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n"
        );
    }

    /// Enough inputs to be read on every core: joined in their order all the same, and the
    /// failure reported is the first in order, not the first to finish.
    #[test]
    fn inputs_read_in_parallel_keep_their_order_and_first_failure() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let names: Vec<String> = (0..12).map(|i| format!("f{i:02}.yaml")).collect();
        for (i, n) in names.iter().enumerate() {
            std::fs::write(d.join(n), format!("kind: K{i}\n")).unwrap();
            std::fs::write(d.join(format!("v{i:02}")), format!("value {i}")).unwrap();
        }
        let out = run(d, &format!("kind: ksops\nfiles: [{}]\n", names.join(", "))).unwrap();
        let want: Vec<String> = (0..12).map(|i| format!("kind: K{i}\n")).collect();
        assert_eq!(out, want.join("\n---\n"));

        let mut listed = names.clone();
        listed[3] = "missing-3.yaml".into();
        listed[9] = "missing-9.yaml".into();
        let e = run(d, &format!("kind: ksops\nfiles: [{}]\n", listed.join(", ")))
            .unwrap_err()
            .to_string();
        assert!(e.contains("cannot read `missing-3.yaml`"), "{e}");
        assert!(!e.contains("missing-9"), "{e}");

        // `secretFrom`: keys in order; an entry that cannot be split, later in the list than a
        // missing file, is not the one reported.
        let entries: Vec<String> = (0..12).map(|i| format!("k{i:02}=v{i:02}")).collect();
        let out = run(
            d,
            &format!(
                "kind: ksops\nsecretFrom:\n- metadata: {{name: s}}\n  files: [{}]\n",
                entries.join(", ")
            ),
        )
        .unwrap();
        for i in 0..12 {
            assert!(out.contains(&format!("  k{i:02}: value {i}\n")), "{out}");
        }
        let mut listed = entries.clone();
        listed[2] = "k02=missing-2".into();
        listed[7] = "a=b=c".into();
        let e = run(
            d,
            &format!(
                "kind: ksops\nsecretFrom:\n- metadata: {{name: s}}\n  binaryFiles: [{}]\n",
                listed.join(", ")
            ),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("cannot read `missing-2`"), "{e}");
        assert!(!e.contains("invalid file entry"), "{e}");
    }

    #[test]
    fn refusals() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("a.txt"), "canary-value").unwrap();
        let e = run(d, "kind: ksops\nmetadata: {name: g}\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("needs `files` or `secretFrom`"), "{e}");
        let e = run(
            d,
            "kind: ksops\nsecretFrom:\n- metadata: {name: s}\n  files: [a=b=c]\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("gen.yaml:4:11: invalid file entry"), "{e}");
        let e = run(
            d,
            "kind: ksops\nsecretFrom:\n- metadata: {name: s}\n  files: [bad key=a.txt]\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("key `bad key` is not a valid Secret key"), "{e}");
        assert!(e.contains("gen.yaml:4:11"), "{e}");
        assert!(!e.contains("canary-value"));
        let e = run(
            d,
            "kind: ksops\nsecretFrom:\n- metadata: {name: Upper}\n  files: [a.txt]\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("not a valid Secret name"), "{e}");
        let e = run(d, "kind: ksops\nfiles: [missing.yaml]\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("gen.yaml:2:9: cannot read `missing.yaml`"),
            "{e}"
        );
    }

    #[test]
    fn every_shape_refused_is_said_with_its_place() {
        let f = Path::new("gen.yaml");
        for (text, said) in [
            ("", "gen.yaml: empty KSOPS config"),
            (
                "- a\n",
                "gen.yaml:1:1: a KSOPS config must be a mapping, found a list",
            ),
            (
                "kind: ksops\n",
                "gen.yaml:1:1: a KSOPS config needs `files` or `secretFrom` (KSOPS' rule)",
            ),
            (
                "files: a.yaml\n",
                "gen.yaml:1:8: `files` must be a list of paths, found a string",
            ),
            (
                "files: [[a]]\n",
                "gen.yaml:1:9: `files` must be a string, found a list",
            ),
            (
                "files: [1]\n",
                "gen.yaml:1:9: `files` must be a string, found a number",
            ),
            (
                "secretFrom: {a: 1}\n",
                "gen.yaml:1:13: `secretFrom` must be a list, found a mapping",
            ),
            (
                "secretFrom: [a]\n",
                "gen.yaml:1:14: a `secretFrom` entry must be a mapping, found a string",
            ),
            (
                "secretFrom:\n- metadata: [a]\n",
                "gen.yaml:2:13: `metadata` must be a mapping, found a list",
            ),
            (
                "secretFrom:\n- metadata: {labels: [a]}\n",
                "gen.yaml:2:22: `metadata.labels` must be a mapping, found a list",
            ),
            (
                "secretFrom:\n- metadata: {labels: {[a]: b}}\n",
                "gen.yaml:2:23: a key of `metadata.labels` must be a string",
            ),
        ] {
            let e = match read_config(f, text) {
                Ok(_) => panic!("accepted: {text:?}"),
                Err(e) => e.to_string(),
            };
            assert_eq!(e, said, "{text:?}");
        }
    }

    #[test]
    fn an_env_key_is_described_never_shown() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("x.env"), "CANARY key=v\n").unwrap();
        let e = run(
            d,
            "kind: ksops\nsecretFrom:\n- metadata: {name: s}\n  envs: [x.env]\n",
        )
        .unwrap_err()
        .to_string();
        assert!(!e.contains("CANARY"), "{e}");
        assert!(
            e.contains("gen.yaml:4:10: Secret `s`: key of 10 characters (letters, white space; decrypted, not shown) is not a valid Secret key"),
            "{e}"
        );
    }

    #[test]
    fn resource_list_items() {
        let g = Generated {
            files: vec![Zeroizing::new(
                b"kind: A\nx:\n    - 1\n---\nkind: B\n".to_vec(),
            )],
            secrets: vec![Zeroizing::new(b"kind: Secret\ns: |\n  a\n\n  b\n".to_vec())],
        };
        assert_eq!(
            String::from_utf8(resource_list(&[g]).to_vec()).unwrap(),
            "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- kind: A\n  x:\n      - 1\n- kind: B\n- kind: Secret\n  s: |\n    a\n\n    b\n"
        );
    }

    #[test]
    fn base_names_as_go() {
        assert_eq!(go_base("./a/b.txt"), "b.txt");
        assert_eq!(go_base("b/"), "b");
        assert_eq!(go_base(""), ".");
        assert_eq!(key_and_path("k=p").unwrap(), ("k".to_string(), "p"));
    }

    /// Both functions, secretgen's and KSOPS', report an error through the one list
    /// writer: the same `results` entry, control characters escaped as on stderr.
    #[test]
    fn both_functions_escape_a_result_alike() {
        let e = Error::Usage("bad \u{1b}[31mname\u{7}".into());
        let ours = String::from_utf8(crate::plugin::krm::error_list("", &e)).unwrap();
        let ksops = String::from_utf8(error_list(&e).to_vec()).unwrap();
        assert_eq!(ours, ksops);
        assert!(
            !ours.contains('\u{1b}') && !ours.contains('\u{7}'),
            "{ours:?}"
        );
        let shown = crate::error::escape_controls(&e.to_string()).into_owned();
        assert!(
            shown != e.to_string(),
            "the message holds control characters"
        );
        let docs = crate::yaml::parse_stream(&ours).unwrap();
        let message = docs[0].get("results").and_then(|r| r.as_seq()).unwrap()[0]
            .get("message")
            .and_then(|m| m.as_str())
            .unwrap()
            .to_string();
        assert_eq!(message, shown);
    }
}
