//! `kustomization.yaml`: its `secretGenerator` entries, the generator configs it lists under
//! `generators`, the Secrets among its local `resources`, the kustomization-level changes
//! (prefix, namespace, labels...) and the fields secretgen does not apply.

use std::sync::Arc;

use super::*;

/// Reads a kustomization: its `secretGenerator` entries, the builtin and secretgen.dev/v1
/// SecretGenerator configs under `generators` (inline, or in files it reads), the `v1`
/// Secrets in its local `resources` files (which it reads; SOPS-encrypted ones are kept
/// whole, to decrypt when rendered), and the fields that transform them all. It looks at
/// the directory for a second kustomization file, and reads no source a generator names.
/// The files it reads are held to kustomize's default restrictor (inside its directory); a
/// run reads through its [`super::Kustomizations`], which holds the run's.
pub fn read_kustomization(path: &Path, text: &str) -> Result<Unit> {
    let names = kustomization_names(path.parent().unwrap_or(Path::new("")));
    read_model(
        path,
        text,
        &names,
        crate::kustomize::restrict::LoadRestrictor::default(),
    )
    .map(|k| k.unit)
}

/// A `generators` entry: where it is written, and the documents it holds that are not
/// SecretGenerator configs (a KSOPS config, a generator plugin's), which a flat render
/// leaves alone and a tree build runs or refuses.
#[derive(Clone, Debug)]
pub(crate) struct GeneratorsEntry {
    pub(crate) mark: Mark,
    pub(crate) foreign: Vec<Node>,
    /// For each of `foreign`, how many of the unit's generators come before it: kustomize
    /// runs `generators` documents in their order, SecretGenerator configs and others alike.
    pub(crate) foreign_at: Vec<usize>,
    /// The config file the entry names (`None`: the config is written inline).
    pub(crate) file: Option<PathBuf>,
}

/// A field set in a kustomization (its key present), with the table's row for it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SetField {
    pub(crate) field: &'static fields::Field,
    /// Where the value is written.
    pub(crate) value: Mark,
    /// The value is neither null nor an empty list or mapping.
    pub(crate) non_empty: bool,
}

/// One kustomization, read once: every field secretgen acts on, each with its position.
/// The flat render uses its [`Unit`]; the tree planner and the tree build read the rest.
#[derive(Clone, Debug)]
pub struct Kustomization {
    /// Its generators, what it does to their Secrets, its plain Secrets and warnings.
    pub unit: Unit,
    /// `kind: Component`.
    pub(crate) is_component: bool,
    /// The fields whose key is written, in the file's order.
    pub(crate) set: Vec<SetField>,
    /// `resources` entries that are strings, in order.
    pub(crate) resources: Vec<Located>,
    /// `bases` entries that are strings, in order (read as more `resources`).
    pub(crate) bases: Vec<Located>,
    /// Where a non-empty `bases` list is written (it is deprecated: warned of).
    pub(crate) bases_mark: Option<Mark>,
    pub(crate) components: Vec<Located>,
    pub(crate) generators: Vec<GeneratorsEntry>,
    /// `patchesStrategicMerge` entries that are strings (a path or an inline patch).
    pub(crate) patches_strategic_merge: Vec<Located>,
    /// `patches` and `patchesJson6902` entries (`path`/`patch` and `target`).
    pub(crate) patches: Vec<Node>,
    pub(crate) patches_json6902: Vec<Node>,
    /// `replacements` entries (`path`, or inline `source` and `targets`).
    pub(crate) replacements: Vec<Node>,
    /// `configMapGenerator` entries, as written: a tree build makes their ConfigMaps only
    /// when a replacement may read them ([`Kustomization::config_map_generators`]).
    pub(crate) config_map_generators: Vec<Node>,
    /// `vars` entries, as written (deprecated in kustomize v5, still applied).
    pub(crate) vars: Vec<Node>,
    /// The `transformers` entries, as written (a file, a directory, or an inline config).
    pub(crate) transformers: Vec<Node>,
    /// The documents of each local `resources` file, by its entry, as read for
    /// `unit.plain_secrets`: a tree build takes them from here instead of reading the file
    /// again.
    pub(crate) resource_docs: Vec<(String, ResourceFile)>,
}

/// The kinds a tree build reads besides Secrets: the workloads and Ingresses `check` reads
/// (patches apply to them as to Secrets).
pub(crate) const CHECKED_KINDS: &[&str] = &[
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
    "ServiceAccount",
    "Ingress",
];

/// Whether a document of this top-level `kind` is read with its kustomization: a Secret
/// (of any `apiVersion`: the parsed document tells).
fn read_at_once(kind: &str) -> bool {
    kind == "Secret"
}

/// A local `resources` file as read with its kustomization: the documents that can be a
/// Secret, parsed; every other one (a CustomResourceDefinition, a Deployment...) found by
/// `goyaml::scan` and left unread until a build needs its kind (the workloads `check`
/// reads, what replacements, vars and patches read), when the text is parsed again for
/// those, or every resource (a transformer config), when the whole file is parsed once.
#[derive(Clone, Debug)]
pub(crate) struct ResourceFile {
    /// The documents read (every document when `rest` is `None`).
    docs: Arc<[Node]>,
    /// The text, when documents were left unread, and the whole file once parsed.
    rest: Option<Arc<Unread>>,
}

#[derive(Debug)]
struct Unread {
    text: String,
    all: std::sync::OnceLock<std::result::Result<Arc<[Node]>, yaml::SyntaxError>>,
}

impl ResourceFile {
    /// Reads a resource file's text. A SOPS-encrypted file, or one that names `sops`
    /// anywhere, is parsed whole (which document comes first decides how it is opened).
    fn read(path: &Path, text: String) -> Result<Self> {
        if text.contains("sops") {
            let docs = parse(path, &text)?;
            return Ok(ResourceFile {
                docs: docs.into(),
                rest: None,
            });
        }
        let selected =
            yaml::parse_stream_where(&text, read_at_once).map_err(|e| e.in_file(path))?;
        Ok(ResourceFile {
            docs: selected.docs.into(),
            rest: (selected.skipped > 0).then(|| {
                Arc::new(Unread {
                    text,
                    all: Default::default(),
                })
            }),
        })
    }

    /// The documents read with the kustomization: every Secret among them.
    pub(crate) fn docs(&self) -> &[Node] {
        &self.docs
    }

    /// The documents read with the kustomization and those of the kinds `also` accepts,
    /// parsed again from the text when some were left unread.
    pub(crate) fn docs_also(
        &self,
        also: impl Fn(&str) -> bool,
    ) -> std::result::Result<std::borrow::Cow<'_, [Node]>, yaml::SyntaxError> {
        let Some(rest) = &self.rest else {
            return Ok(std::borrow::Cow::Borrowed(&self.docs));
        };
        let selected = yaml::parse_stream_where(&rest.text, |k| read_at_once(k) || also(k))?;
        Ok(std::borrow::Cow::Owned(selected.docs))
    }

    /// Every document of the file, parsed on the first call when some were left unread.
    pub(crate) fn all_docs(&self) -> std::result::Result<&[Node], yaml::SyntaxError> {
        let Some(rest) = &self.rest else {
            return Ok(&self.docs);
        };
        match rest
            .all
            .get_or_init(|| yaml::parse_stream(&rest.text).map(Arc::from))
        {
            Ok(docs) => Ok(docs),
            Err(e) => Err(e.clone()),
        }
    }
}

/// From this many `secretGenerator` entries on, they are read on every core.
const PARALLEL_ENTRIES: usize = 64;

impl Kustomization {
    /// The local `resources` files read with the kustomization: each entry and its documents.
    pub(crate) fn resource_files(&self) -> impl Iterator<Item = (&str, &[Node])> {
        self.resource_docs
            .iter()
            .map(|(e, d)| (e.as_str(), d.docs()))
    }

    /// The kustomization file.
    pub fn file(&self) -> &Path {
        &self.unit.file
    }

    /// The field `name`, when its value is set (neither null nor empty).
    pub(crate) fn non_empty(&self, name: &str) -> Option<&SetField> {
        self.set
            .iter()
            .find(|s| s.field.name == name && s.non_empty)
    }

    /// Whether a field whose mere presence makes a tree is set, or the kustomization is a
    /// Component (the planner judges `resources`, `components` and `generators` entries).
    pub(crate) fn sets_a_tree_field(&self) -> bool {
        self.is_component || self.set.iter().any(|s| s.non_empty && s.field.makes_tree)
    }

    /// Its `configMapGenerator` entries, read as `secretGenerator` entries are (the two
    /// share their fields): what a replacement may read from their ConfigMaps.
    pub(crate) fn config_map_generators(&self) -> Result<Vec<Generator>> {
        let r = Reader { file: self.file() };
        let root = self.file().parent().unwrap_or(Path::new("."));
        self.config_map_generators
            .iter()
            .map(|entry| r.generator(entry, Format::Kustomization, root))
            .collect()
    }

    /// The `resources` entries, each with the file read with the kustomization for it (by
    /// its clean path, `d/../f` as `f`): a file, which whoever walks the entries need not
    /// look at again. In order.
    pub(crate) fn resources_read(&self) -> impl Iterator<Item = (&Located, Option<&ResourceFile>)> {
        // The files read are some of the string entries, in their order.
        let mut files = self.resource_docs.iter().peekable();
        self.resources.iter().map(move |e| {
            let read = files.next_if(|(entry, _)| *entry == e.value);
            (e, read.map(|(_, f)| f))
        })
    }

    /// What a build reads as its resources: [`Kustomization::resources_read`], then the
    /// deprecated `bases`, which kustomize reads as more `resources` (never read with the
    /// kustomization).
    pub(crate) fn build_resources(
        &self,
    ) -> impl Iterator<Item = (&Located, Option<&ResourceFile>)> {
        self.resources_read()
            .chain(self.bases.iter().map(|e| (e, None)))
    }

    /// The directories and files its `resources`, `components` and `bases` name, in that
    /// order, as the tree planner follows them, each with whether it is a `resources` file
    /// read with the kustomization ([`Kustomization::resources_read`]). The planner looks
    /// at an entry as it is written: a file read counts only when its entry is clean.
    pub(crate) fn includes_read(&self) -> impl Iterator<Item = (&Located, bool)> {
        let clean = |e: &Located| crate::kustomize::source::clean_slash_path(&e.value) == e.value;
        self.resources_read()
            .map(move |(e, read)| (e, read.is_some() && clean(e)))
            .chain(self.components.iter().map(|e| (e, false)))
            .chain(self.bases.iter().map(|e| (e, false)))
    }
}

/// Absent, null, `[]` or `{}`.
fn is_empty_value(n: &Node) -> bool {
    n.is_null()
        || n.as_seq().is_some_and(|s| s.is_empty())
        || n.as_map().is_some_and(|m| m.is_empty())
}

/// The list a field holds (nothing when it is absent or not a list).
fn list<'d>(doc: &'d Node, field: &str) -> &'d [Node] {
    doc.get(field).and_then(|n| n.as_seq()).unwrap_or(&[])
}

fn strings(doc: &Node, field: &str) -> Vec<Located> {
    list(doc, field)
        .iter()
        .filter_map(|e| {
            e.as_str().map(|s| Located {
                value: s.to_string(),
                mark: e.mark,
            })
        })
        .collect()
}

/// Reads a kustomization into its [`Kustomization`] model, the files it names held to
/// `restrictor`; `names` are the kustomization file names its directory holds
/// ([`kustomization_names`]).
pub(crate) fn read_model(
    path: &Path,
    text: &str,
    names: &[&'static str],
    restrictor: crate::kustomize::restrict::LoadRestrictor,
) -> Result<Kustomization> {
    check_yaml11_breaks(path, text)?;
    let mut docs = parse(path, text)?;
    if let Some(doc) = docs.first_mut() {
        fold_kustomization_fields(doc);
    }
    let root = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    let Some(doc) = docs.first().filter(|d| !d.is_null()) else {
        return Err(Error::rule(Loc::file(path), Rule::EmptyKustomization));
    };
    check_one_kustomization(path, names)?;
    if docs.len() > 1 {
        return Err(Error::rule(Loc::at(path, docs[1].mark), Rule::OneDocument));
    }
    let r = Reader { file: path };
    let mut warnings = Vec::new();
    let map = r.map(doc, "kustomization")?;
    r.check_fields(map, &fields::NAMES, "kustomization")?;
    if holds_nothing(map) {
        return Err(Error::rule(Loc::at(path, doc.mark), Rule::NothingSet));
    }
    let global = match doc.get("generatorOptions") {
        Some(n) if !n.is_null() => r.options(n)?,
        _ => Options::default(),
    };
    let transform = r.transform(doc, &mut warnings)?;
    let mut generators = r.secret_generators(doc, &root, &global)?;
    let mut consumed = Vec::new();
    let generator_entries =
        r.generator_configs(doc, &root, restrictor, &mut generators, &mut consumed)?;
    let (plain_secrets, resource_docs) = r.resource_secrets(doc, &root, restrictor)?;
    if !generators.is_empty() {
        r.not_applied_warnings(map, &generators, &mut warnings);
    }
    for g in generators.iter().filter(|g| g.format == Format::Builtin) {
        check_kustomize_readable(g)?;
    }
    let unit = Unit {
        file: path.to_path_buf(),
        generators,
        transform,
        warnings,
        consumed,
        plain_secrets,
    };
    check_unique_ids(&unit)?;
    let set = map
        .iter()
        .filter_map(|(k, v)| {
            Some(SetField {
                field: fields::field(k.as_str()?)?,
                value: v.mark,
                non_empty: !is_empty_value(v),
            })
        })
        .collect();
    let bases_mark = doc
        .get("bases")
        .filter(|b| !b.as_seq().unwrap_or(&[]).is_empty())
        .map(|b| b.mark);
    Ok(Kustomization {
        unit,
        is_component: doc.get("kind").and_then(Node::as_str) == Some("Component"),
        set,
        resources: strings(doc, "resources"),
        bases: strings(doc, "bases"),
        bases_mark,
        components: strings(doc, "components"),
        generators: generator_entries,
        patches_strategic_merge: strings(doc, "patchesStrategicMerge"),
        patches: list(doc, "patches").to_vec(),
        patches_json6902: list(doc, "patchesJson6902").to_vec(),
        replacements: list(doc, "replacements").to_vec(),
        config_map_generators: list(doc, "configMapGenerator").to_vec(),
        vars: list(doc, "vars").to_vec(),
        transformers: list(doc, "transformers").to_vec(),
        resource_docs,
    })
}

/// Whether a kustomization sets nothing, as kustomize judges it: every field but
/// `apiVersion` and `kind` null (`secretGenerator:`) or an empty string. An empty list
/// (`secretGenerator: []`) is set.
fn holds_nothing(map: &[(Node, Node)]) -> bool {
    map.iter().all(|(k, v)| {
        matches!(k.as_str(), Some("apiVersion" | "kind")) || v.is_null() || v.as_str() == Some("")
    })
}

/// kustomize refuses a directory with more than one of its file names (`names`: those its
/// directory holds).
pub(super) fn check_one_kustomization(path: &Path, names: &[&'static str]) -> Result<()> {
    if path.parent().is_none() {
        return Ok(());
    }
    let here = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let others: Vec<&str> = names.iter().copied().filter(|n| *n != here).collect();
    if others.is_empty() {
        return Ok(());
    }
    Err(Error::rule(
        Loc::file(path),
        Rule::SeveralKustomizations(others),
    ))
}

/// Whether a resource document is a `v1` Secret, which kustomize prints among the
/// generated ones.
pub(super) fn is_v1_secret(doc: &Node) -> bool {
    doc.get("kind").and_then(|k| k.as_str()) == Some("Secret")
        && doc.get("apiVersion").and_then(|k| k.as_str()) == Some("v1")
}

/// kustomize decodes a kustomization through Go's `encoding/json`, which matches a field
/// name without regard to case (`SecretGenerator:`, `Name:` are `secretGenerator`, `name`):
/// such keys are renamed to the field they match, where no exact key is there already.
pub(super) fn fold_kustomization_fields(doc: &mut Node) {
    fold_fields(doc, &fields::NAMES);
    if let Value::Map(entries) = &mut doc.value {
        for (k, v) in entries.iter_mut() {
            match k.as_str() {
                Some("secretGenerator") => {
                    if let Value::Seq(items) = &mut v.value {
                        for item in items {
                            fold_fields(item, ARGS_FIELDS);
                            if let Value::Map(fields) = &mut item.value {
                                for (fk, fv) in fields.iter_mut() {
                                    if fk.as_str() == Some("options") {
                                        fold_fields(fv, OPTIONS_FIELDS);
                                    }
                                }
                            }
                        }
                    }
                }
                Some("generatorOptions") => fold_fields(v, OPTIONS_FIELDS),
                _ => {}
            }
        }
    }
}

impl Reader<'_> {
    /// What the kustomization does to every Secret: prefix, suffix, namespace, labels and
    /// annotations.
    pub(super) fn transform(&self, doc: &Node, warnings: &mut Vec<Noted>) -> Result<Transform> {
        let mut t = Transform {
            name_prefix: self
                .opt_string(doc, "namePrefix")?
                .map(|l| l.value)
                .unwrap_or_default(),
            name_suffix: self
                .opt_string(doc, "nameSuffix")?
                .map(|l| l.value)
                .unwrap_or_default(),
            namespace: self
                .opt_string(doc, "namespace")?
                .map(|l| l.value)
                .filter(|s| !s.is_empty()),
            labels: Default::default(),
            annotations: self.string_map(doc.get("commonAnnotations"))?,
        };
        if let Some(labels) = doc.get("labels").filter(|n| !n.is_null()) {
            for entry in self.seq(labels, "labels")? {
                let m = self.map(entry, "labels entry")?;
                self.check_fields(
                    m,
                    &["pairs", "includeSelectors", "includeTemplates", "fields"],
                    "labels entry",
                )?;
                if entry.get("fields").is_some_and(|f| !f.is_null()) {
                    warnings.push(Noted::new(
                        WarningKind::LabelFieldsNotApplied,
                        self.warning(
                            entry.mark,
                            "`labels[].fields` is not applied by secretgen; kustomize may put these labels elsewhere",
                        ),
                    ));
                }
                for (k, v) in self.string_map(entry.get("pairs"))? {
                    t.labels.insert(k, v);
                }
            }
        }
        // kustomize runs one label transformer per `labels` entry, then the `commonLabels`
        // one: on a shared key, `commonLabels` wins.
        t.labels.extend(self.string_map(doc.get("commonLabels"))?);
        Ok(t)
    }

    /// The `secretGenerator` entries, their options merged with `generatorOptions`.
    pub(super) fn secret_generators(
        &self,
        doc: &Node,
        root: &Path,
        global: &Options,
    ) -> Result<Vec<Generator>> {
        let Some(list) = doc.get("secretGenerator").filter(|n| !n.is_null()) else {
            return Ok(Vec::new());
        };
        let entries = self.seq(list, "secretGenerator")?;
        let one = |entry: &Node| -> Result<Generator> {
            let mut g = self.generator(entry, Format::Kustomization, root)?;
            g.options = g.options.merged_with_global(global);
            check_kustomize_readable(&g)?;
            Ok(g)
        };
        // Entries are independent: many are read on every core, and the first error in
        // their order is the one reported, as when read in turn.
        if entries.len() >= PARALLEL_ENTRIES {
            use rayon::prelude::*;
            let read: Vec<Result<Generator>> = entries.par_iter().map(one).collect();
            read.into_iter().collect()
        } else {
            entries.iter().map(one).collect()
        }
    }

    /// The SecretGenerator configs under `generators`: inline documents, or files (read
    /// here, and recorded in `consumed`). Other configs are left to kustomize.
    pub(super) fn generator_configs(
        &self,
        doc: &Node,
        root: &Path,
        restrictor: crate::kustomize::restrict::LoadRestrictor,
        generators: &mut Vec<Generator>,
        consumed: &mut Vec<PathBuf>,
    ) -> Result<Vec<GeneratorsEntry>> {
        let mut entries = Vec::new();
        let Some(list) = doc.get("generators").filter(|n| !n.is_null()) else {
            return Ok(entries);
        };
        for entry in self.seq(list, "generators")? {
            let Some(text) = entry.as_str() else {
                let found = entry.kind_name();
                return Err(self.err(entry.mark, Rule::GeneratorsEntryNotAString { found }));
            };
            let mut foreign = Vec::new();
            let mut foreign_at = Vec::new();
            let mut file = None;
            if text.contains('\n') {
                // Inline config: positions inside it are relative to the string.
                for d in parse(self.file, text)? {
                    if let Some(format) = generator_format(&d) {
                        let mut g = self.generator(&d, format, root)?;
                        g.mark = entry.mark;
                        generators.push(g);
                    } else {
                        foreign_at.push(generators.len());
                        foreign.push(d);
                    }
                }
            } else {
                let gen_path = self.generator_config_file(entry, text, root, restrictor)?;
                let gen_text = read_text(&gen_path).map_err(|e| match e {
                    Error::Io(crate::place::IoError { source, .. }) => {
                        let entry_text = text.to_string();
                        let rule = Rule::GeneratorConfigUnreadable {
                            entry: entry_text,
                            source,
                        };
                        self.err(entry.mark, rule)
                    }
                    other => other,
                })?;
                let sub = Reader { file: &gen_path };
                for d in parse(&gen_path, &gen_text)? {
                    if let Some(format) = generator_format(&d) {
                        generators.push(sub.generator(&d, format, root)?);
                    } else {
                        foreign_at.push(generators.len());
                        foreign.push(d);
                    }
                }
                file = Some(gen_path.clone());
                consumed.push(gen_path);
            }
            entries.push(GeneratorsEntry {
                mark: entry.mark,
                foreign,
                foreign_at,
                file,
            });
        }
        Ok(entries)
    }

    /// The file a `generators` entry names, refused where kustomize would do something
    /// secretgen does not (a directory) or refuses (the kustomization itself).
    pub(super) fn generator_config_file(
        &self,
        entry: &Node,
        text: &str,
        root: &Path,
        restrictor: crate::kustomize::restrict::LoadRestrictor,
    ) -> Result<PathBuf> {
        let gen_path = root.join(crate::kustomize::source::clean_slash_path(text));
        if gen_path.is_dir() {
            // kustomize builds it as a kustomization of generator configs and runs what
            // comes out; secretgen does not, and a silent difference is worse.
            let rule = Rule::GeneratorsEntryIsADirectory(text.to_string());
            return Err(self.err(entry.mark, rule));
        }
        use crate::gate::resolve::real_path;
        let same = |a: &Path, b: &Path| match (real_path(a), real_path(b)) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        };
        if same(&gen_path, self.file) {
            let rule = Rule::GeneratorsEntryIsItself(text.to_string());
            return Err(self.err(entry.mark, rule));
        }
        let judged = restrictor.check(root, &gen_path);
        self.within_root(judged, &gen_path, entry.mark, "generators")?;
        Ok(gen_path)
    }

    /// Under the load restrictor, a file a kustomization names is read only when it resolves
    /// (links followed) under the kustomization's directory, as kustomize refuses it before
    /// reading: nothing of a file outside (not even a key in a parse error) is read.
    /// `judged` is the restrictor's verdict on `path`.
    fn within_root(
        &self,
        judged: Result<(), crate::kustomize::restrict::Refused>,
        path: &Path,
        mark: Mark,
        field: &str,
    ) -> Result<()> {
        use crate::kustomize::restrict::Refused;
        match judged {
            // A path that cannot be resolved is not read either: its reader says why.
            Ok(()) | Err(Refused::Unresolved(_)) => Ok(()),
            Err(Refused::Outside(o)) => Err(Error::ResolvesOutside(Box::new(
                crate::kustomize::error::ResolvesOutside {
                    loc: Loc::at(self.file, mark),
                    field: field.to_string(),
                    path: path.to_path_buf(),
                    real: o.real,
                    root: o.root,
                },
            ))),
        }
    }

    /// The `v1` Secrets of the local `resources` files, each with its file, and every
    /// document of each file by its entry. Directories (bases, rendered on their own by a
    /// tree walk) and URLs (remote) are not read.
    #[allow(clippy::type_complexity)]
    pub(super) fn resource_secrets(
        &self,
        doc: &Node,
        root: &Path,
        restrictor: crate::kustomize::restrict::LoadRestrictor,
    ) -> Result<(Vec<(PathBuf, Node)>, Vec<(String, ResourceFile)>)> {
        let mut out = Vec::new();
        let mut read = Vec::new();
        let Some(list) = doc.get("resources").filter(|n| !n.is_null()) else {
            return Ok((out, read));
        };
        for entry in self.seq(list, "resources")? {
            let Some(res) = entry.as_str() else { continue };
            let res_path = root.join(crate::kustomize::source::clean_slash_path(res));
            if res.contains("://") {
                continue;
            }
            // One `lstat` says whether it is a link and, when it is not, what it is.
            let Ok(lmeta) = std::fs::symlink_metadata(&res_path) else {
                continue;
            };
            let link = lmeta.file_type().is_symlink();
            let meta = if link {
                std::fs::metadata(&res_path).ok()
            } else {
                Some(lmeta)
            };
            let Some(meta) = meta.filter(|m| m.is_file()) else {
                continue;
            };
            let judged = restrictor.check_lstated(root, &res_path, link);
            self.within_root(judged, &res_path, entry.mark, "resources")?;
            let text = super::read_text_with(&res_path, &meta)?;
            // A SOPS-encrypted resource (any with `sops.mac`, as Flux decrypts them): its
            // first document stands for the file, decrypted at render time.
            let is_sops = sops::is_sops(text.as_bytes()).is_some();
            let file = ResourceFile::read(&res_path, text)?;
            let docs = file.docs();
            if is_sops {
                out.extend(docs.first().map(|d| (res_path.clone(), d.clone())));
            } else {
                for d in docs.iter().filter(|d| is_v1_secret(d)) {
                    out.push((res_path.clone(), d.clone()));
                }
            }
            read.push((res.to_string(), file));
        }
        Ok((out, read))
    }

    /// Warnings for a kustomization with generators: fields that would change their Secrets
    /// but are not applied, and `behavior`s that need the base's Secret.
    pub(super) fn not_applied_warnings(
        &self,
        map: &[(Node, Node)],
        generators: &[Generator],
        warnings: &mut Vec<Noted>,
    ) {
        for field in fields::FIELDS
            .iter()
            .filter(|f| f.flat == fields::Flat::Warned)
        {
            let name = field.name;
            if let Some((k, _)) = map.iter().find(|(k, _)| k.as_str() == Some(name)) {
                warnings.push(Noted::new(
                    WarningKind::NotApplied(name),
                    self.warning(k.mark, format!("`{name}` is not applied by secretgen; kustomize may change the generated Secrets with it (run `kubectl kustomize` to see its result)")),
                ));
            }
        }
        for g in generators.iter().filter(|g| g.behavior != Behavior::Create) {
            let mark = g.behavior_mark.unwrap_or(g.mark);
            // The field is in the generator's own file, which may be a `generators:` one.
            warnings.push(Noted::new(WarningKind::BehaviorNeedsBase, Warning {
                loc: Loc::at(&g.file, mark),
                message: format!("`behavior: {}` needs the base's Secret `{}`; secretgen renders this generator on its own, kustomize merges it into the base", g.behavior.as_str(), g.name.value),
            }));
        }
    }
}
