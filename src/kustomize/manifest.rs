//! Reading generator manifests and kustomizations.
//!
//! In: the text of a `secretgen.dev/v1` or `builtin` SecretGenerator manifest (a YAML stream)
//! or of a `kustomization.yaml`. Out: [`Unit`]s, each a list of [`Generator`]s plus the
//! kustomization-level changes to apply to their Secrets, every item with its position.
//! Refuses unknown fields (with a suggestion), values of the wrong type, unknown `behavior`
//! and `hash` values, and generators without a name. Reads the files a kustomization names
//! itself (generator configs under `generators`, local `resources` for the Secrets among
//! them), never a source a generator names (`files`, `envs`): those are read by `render`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Loc, Result, Warning, did_you_mean};
use crate::kustomize::hash::HashVariant;
use crate::yaml::{self, Mark, Node, Value};

/// A string from the input with its position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Located {
    pub(crate) value: String,
    pub(crate) mark: Mark,
}

/// Which manifest format a generator was written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// `apiVersion: secretgen.dev/v1`, `kind: SecretGenerator`.
    SecretgenV1,
    /// `apiVersion: builtin`, `kind: SecretGenerator` (kustomize's plugin config).
    Builtin,
    /// An entry of a kustomization's `secretGenerator:` list.
    Kustomization,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Behavior {
    #[default]
    Create,
    Merge,
    Replace,
}

impl Behavior {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Behavior::Create => "create",
            Behavior::Merge => "merge",
            Behavior::Replace => "replace",
        }
    }
}

/// Labels or annotations, each entry with the position of its key.
pub(crate) type MetaMap = BTreeMap<String, (String, Mark)>;

/// `options:` / `generatorOptions:`.
#[derive(Clone, Debug, Default)]
pub(crate) struct Options {
    pub(crate) labels: MetaMap,
    pub(crate) annotations: MetaMap,
    pub(crate) disable_name_suffix_hash: bool,
    pub(crate) immutable: bool,
}

impl Options {
    /// kustomize's `MergeGlobalOptionsIntoLocal`: labels and annotations merged key by key
    /// with the local value winning, booleans OR-ed (RULES.md rules 56, 57).
    pub(crate) fn merged_with_global(&self, global: &Options) -> Options {
        let mut out = self.clone();
        for (k, v) in &global.labels {
            out.labels.entry(k.clone()).or_insert_with(|| v.clone());
        }
        for (k, v) in &global.annotations {
            out.annotations
                .entry(k.clone())
                .or_insert_with(|| v.clone());
        }
        out.disable_name_suffix_hash |= global.disable_name_suffix_hash;
        out.immutable |= global.immutable;
        out
    }
}

/// One secretGenerator, as written. `Debug` redacts the literals' values.
#[derive(Clone)]
pub struct Generator {
    /// The file the generator is written in.
    pub(crate) file: PathBuf,
    /// Where the generator starts in that file.
    pub(crate) mark: Mark,
    pub(crate) format: Format,
    /// The directory its file paths resolve from; the load restrictor's root.
    pub(crate) root: PathBuf,
    pub(crate) name: Located,
    pub(crate) namespace: Option<Located>,
    pub(crate) type_: Option<Located>,
    /// `metadata.labels` / `metadata.annotations` (secretgen.dev/v1 only).
    pub(crate) labels: MetaMap,
    pub(crate) annotations: MetaMap,
    pub(crate) files: Vec<Located>,
    pub(crate) literals: Vec<Located>,
    /// `envs:` followed by the deprecated singular `env:`.
    pub(crate) envs: Vec<Located>,
    /// Own options, already merged with the kustomization's `generatorOptions` where
    /// kustomize merges them (classic `secretGenerator:` entries only).
    pub(crate) options: Options,
    pub(crate) hash: Option<HashVariant>,
    pub(crate) behavior: Behavior,
    pub(crate) behavior_mark: Option<Mark>,
    /// `output: kubectl` (secretgen.dev/v1 only): print the Secret as
    /// `kubectl create secret … --dry-run=client -o yaml` does.
    pub(crate) kubectl_output: bool,
}

impl fmt::Debug for Generator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A literal is `key=value` with the value in clear: show only where each one is.
        let literals: Vec<_> = self
            .literals
            .iter()
            .map(|l| format!("<redacted literal at {}>", l.mark))
            .collect();
        f.debug_struct("Generator")
            .field("file", &self.file)
            .field("mark", &self.mark)
            .field("format", &self.format)
            .field("root", &self.root)
            .field("name", &self.name)
            .field("namespace", &self.namespace)
            .field("type_", &self.type_)
            .field("labels", &self.labels)
            .field("annotations", &self.annotations)
            .field("files", &self.files)
            .field("literals", &literals)
            .field("envs", &self.envs)
            .field("options", &self.options)
            .field("hash", &self.hash)
            .field("behavior", &self.behavior)
            .field("behavior_mark", &self.behavior_mark)
            .field("kubectl_output", &self.kubectl_output)
            .finish()
    }
}

impl Generator {
    pub(crate) fn loc(&self) -> Loc {
        Loc::at(&self.file, self.mark)
    }

    /// Whether a directory named in `files` expands to one key per file (our format only;
    /// kustomize refuses directories, so a kustomization keeps refusing them).
    pub(crate) fn expands_directories(&self) -> bool {
        self.format == Format::SecretgenV1
    }
}

/// What a kustomization does to every Secret it generates, after generation.
#[derive(Clone, Debug, Default)]
pub(crate) struct Transform {
    pub(crate) name_prefix: String,
    pub(crate) name_suffix: String,
    pub(crate) namespace: Option<String>,
    /// `commonLabels` and `labels[].pairs`, applied over the generator's labels.
    pub(crate) labels: MetaMap,
    /// `commonAnnotations`, applied over the generator's annotations.
    pub(crate) annotations: MetaMap,
}

/// One build: a kustomization, or a manifest file of standalone generators.
#[derive(Clone, Debug)]
pub struct Unit {
    pub(crate) file: PathBuf,
    pub generators: Vec<Generator>,
    pub(crate) transform: Transform,
    pub warnings: Vec<Warning>,
    /// Generator config files this unit consumed (so a tree walk does not render them twice).
    pub(crate) consumed: Vec<PathBuf>,
    /// Plain `v1` Secrets from the kustomization's local `resources` files: kustomize
    /// prints them among the generated ones (transformed, never hashed). A SOPS-encrypted
    /// file is one entry (its first document, with `sops`), decrypted when rendered.
    pub plain_secrets: Vec<(PathBuf, Node)>,
}

pub(crate) const KUSTOMIZATION_NAMES: [&str; 3] =
    ["kustomization.yaml", "kustomization.yml", "Kustomization"];

pub fn is_kustomization_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| KUSTOMIZATION_NAMES.contains(&n))
}

/// The largest YAML file secretgen reads (manifests, kustomizations, rendered streams).
pub const MAX_YAML_BYTES: u64 = 64 * 1024 * 1024;

/// Reads a file's text, refusing non-UTF-8 manifests with the file named. Anything but a
/// regular file (a FIFO would block, a device never end) and anything over
/// [`MAX_YAML_BYTES`] is refused from its metadata, before a byte is read; the read itself
/// is bounded too, in case the file grows meanwhile.
pub fn read_text(path: &Path) -> Result<String> {
    use std::io::Read;
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, "cannot read", e))?;
    if meta.is_dir() {
        return Err(Error::manifest(
            Loc::file(path),
            "is a directory, expected a YAML file",
        ));
    }
    if !meta.is_file() {
        return Err(Error::manifest(
            Loc::file(path),
            "is not a regular file (a FIFO, socket or device cannot be a manifest)",
        ));
    }
    let too_large = |size: u64| {
        Error::manifest(
            Loc::file(path),
            format!("is {size} bytes; YAML inputs are limited to {MAX_YAML_BYTES} bytes"),
        )
    };
    if meta.len() > MAX_YAML_BYTES {
        return Err(too_large(meta.len()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_YAML_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| Error::io(path, "cannot read", e))?;
    if bytes.len() as u64 > MAX_YAML_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    String::from_utf8(bytes).map_err(|e| {
        Error::manifest(
            Loc::file(path),
            format!(
                "not valid UTF-8 at byte {} (YAML manifests are UTF-8 text)",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

/// Field names from neighbouring tools (kustomize's old `env`, kubectl's flags, other
/// generators) that are too far from ours for an edit distance to suggest.
fn known_alias(name: &str) -> Option<&'static str> {
    match name {
        "env" | "envFile" | "envFiles" | "fromEnvFile" | "from-env-file" => Some("envs"),
        "file" | "fromFile" | "fromFiles" | "from-file" => Some("files"),
        "literal" | "fromLiteral" | "fromLiterals" | "from-literal" => Some("literals"),
        _ => None,
    }
}

fn parse(path: &Path, text: &str) -> Result<Vec<Node>> {
    Ok(yaml::parse_stream(text).map_err(|e| e.in_file(path))?)
}

/// `apiVersion: X, kind: Y` of a document, for messages.
fn found_type(doc: &Node) -> String {
    let field = |name: &str| match doc.get(name) {
        None => "none".to_string(),
        Some(n) => match n.as_str() {
            Some(s) => format!("`{}`", yaml::printable(s)),
            None => n.kind_name().to_string(),
        },
    };
    format!("apiVersion {}, kind {}", field("apiVersion"), field("kind"))
}

/// A document that looks meant for secretgen but is not one it renders: `kind` or
/// `apiVersion` a near miss of ours (`secretgen.dev/v1beta1`, `kind: SecretGenerater`), or
/// one of the two missing. Returns the warning's text with a suggestion; `None` for ours
/// and for documents that are plainly something else.
pub(crate) fn near_miss(doc: &Node) -> Option<String> {
    if generator_format(doc).is_some() {
        return None;
    }
    let api = doc.get("apiVersion").and_then(Node::as_str);
    let kind = doc.get("kind").and_then(Node::as_str);
    const APIS: [&str; 2] = ["secretgen.dev/v1", "builtin"];
    let api_close = match api {
        None => true,
        Some(a) => {
            APIS.contains(&a) || a.starts_with("secretgen.") || did_you_mean(a, &APIS).is_some()
        }
    };
    let kind_close = match kind {
        None => false,
        Some(k) => k == "SecretGenerator" || did_you_mean(k, &["SecretGenerator"]).is_some(),
    };
    let api_ours = api.is_some_and(|a| APIS.contains(&a) || a.starts_with("secretgen."));
    if !((kind_close && api_close) || (api_ours && kind.is_none())) {
        return None;
    }
    let mut fix = Vec::new();
    if !api.is_some_and(|a| APIS.contains(&a)) {
        fix.push("`apiVersion: secretgen.dev/v1`".to_string());
    }
    if kind != Some("SecretGenerator") {
        fix.push("`kind: SecretGenerator`".to_string());
    }
    Some(format!(
        "skipped: this looks like a SecretGenerator but is not one secretgen renders ({}); did you mean {}?",
        found_type(doc),
        fix.join(" and ")
    ))
}

/// Is this document a generator config secretgen renders, and in which format?
pub(crate) fn generator_format(doc: &Node) -> Option<Format> {
    if doc.get("kind")?.as_str()? != "SecretGenerator" {
        return None;
    }
    match doc.get("apiVersion")?.as_str()? {
        "secretgen.dev/v1" => Some(Format::SecretgenV1),
        "builtin" => Some(Format::Builtin),
        _ => None,
    }
}

/// Reads a manifest file of standalone generators. `root` is where their file paths resolve
/// from (the file's directory for `render`, the kustomization root for the exec plugin).
/// With `strict`, a document that is not a SecretGenerator is an error; without, it is
/// skipped (a tree walk meets all kinds of YAML).
pub fn read_generator_file(path: &Path, text: &str, root: &Path, strict: bool) -> Result<Unit> {
    let docs = parse(path, text)?;
    let mut unit = Unit {
        file: path.to_path_buf(),
        generators: Vec::new(),
        transform: Transform::default(),
        warnings: Vec::new(),
        consumed: Vec::new(),
        plain_secrets: Vec::new(),
    };
    // An empty or comment-only document (a trailing `---`) holds nothing, as for kustomize.
    for doc in docs.iter().filter(|d| !d.is_null()) {
        match generator_format(doc) {
            Some(format) => {
                let r = Reader { file: path };
                unit.generators.push(r.generator(doc, format, root)?);
            }
            None if strict => {
                return Err(Error::manifest(
                    Loc::at(path, doc.mark),
                    format!(
                        "not a SecretGenerator: expected `apiVersion: secretgen.dev/v1` (or `builtin`) and `kind: SecretGenerator`, found {}{}",
                        found_type(doc),
                        doc.get("kind")
                            .and_then(Node::as_str)
                            .filter(|k| *k != "SecretGenerator")
                            .and_then(|k| did_you_mean(k, &["SecretGenerator"]))
                            .map(|s| format!(" (did you mean `kind: {s}`?)"))
                            .unwrap_or_default()
                    ),
                ));
            }
            None => {
                if let Some(message) = near_miss(doc) {
                    unit.warnings.push(Warning {
                        loc: Loc::at(path, doc.mark),
                        message,
                    });
                }
            }
        }
    }
    if strict && unit.generators.is_empty() {
        return Err(Error::manifest(
            Loc::file(path),
            "holds no SecretGenerator document",
        ));
    }
    check_unique_ids(&unit)?;
    Ok(unit)
}

const KUSTOMIZATION_FIELDS: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "openapi",
    "namePrefix",
    "nameSuffix",
    "namespace",
    "commonLabels",
    "labels",
    "commonAnnotations",
    "patchesStrategicMerge",
    "patchesJson6902",
    "patches",
    "images",
    "imageTags",
    "replacements",
    "replicas",
    "vars",
    "sortOptions",
    "resources",
    "components",
    "crds",
    "bases",
    "configMapGenerator",
    "secretGenerator",
    "helmGlobals",
    "helmCharts",
    "helmChartInflationGenerator",
    "generatorOptions",
    "configurations",
    "generators",
    "transformers",
    "validators",
    "buildMetadata",
];

/// Kustomization fields that can change generated Secrets but that secretgen does not apply.
const NOT_APPLIED: &[&str] = &[
    "patches",
    "patchesStrategicMerge",
    "patchesJson6902",
    "replacements",
    "transformers",
    "components",
    "helmCharts",
    "configurations",
    // `managedByLabel`/`originAnnotations` label and annotate every generated Secret.
    "buildMetadata",
    // `order: fifo` changes the order of the documents.
    "sortOptions",
];

/// Reads a kustomization: its `secretGenerator` entries, the builtin and secretgen.dev/v1
/// SecretGenerator configs under `generators` (inline, or in files it reads), the `v1`
/// Secrets in its local `resources` files (which it reads; SOPS-encrypted ones are kept
/// whole, to decrypt when rendered), and the fields that transform them all. It looks at
/// the directory for a second kustomization file, and reads no source a generator names.
pub fn read_kustomization(path: &Path, text: &str) -> Result<Unit> {
    check_yaml11_breaks(path, text)?;
    let mut docs = parse(path, text)?;
    if let Some(doc) = docs.first_mut() {
        fold_kustomization_fields(doc);
    }
    let root = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    let Some(doc) = docs.first().filter(|d| !d.is_null()) else {
        return Err(Error::manifest(
            Loc::file(path),
            "the kustomization is empty (kustomize refuses an empty kustomization file)",
        ));
    };
    check_one_kustomization(path)?;
    if docs.len() > 1 {
        return Err(Error::manifest(
            Loc::at(path, docs[1].mark),
            "a kustomization holds one YAML document",
        ));
    }
    let r = Reader { file: path };
    let mut warnings = Vec::new();
    let map = r.map(doc, "kustomization")?;
    r.check_fields(map, KUSTOMIZATION_FIELDS, "kustomization")?;
    let global = match doc.get("generatorOptions") {
        Some(n) if !n.is_null() => r.options(n)?,
        _ => Options::default(),
    };
    let transform = r.transform(doc, &mut warnings)?;
    let mut generators = r.secret_generators(doc, &root, &global)?;
    let mut consumed = Vec::new();
    r.generator_configs(doc, &root, &mut generators, &mut consumed)?;
    let plain_secrets = r.resource_secrets(doc, &root)?;
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
    Ok(unit)
}

/// kustomize refuses a directory with more than one of its file names.
fn check_one_kustomization(path: &Path) -> Result<()> {
    let Some(dir) = path.parent() else {
        return Ok(());
    };
    let here = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let others: Vec<&str> = KUSTOMIZATION_NAMES
        .iter()
        .copied()
        .filter(|n| *n != here && dir.join(n).is_file())
        .collect();
    if others.is_empty() {
        return Ok(());
    }
    Err(Error::manifest(
        Loc::file(path),
        format!(
            "found several kustomization files in one directory (also {}); kustomize refuses to choose: keep one",
            others.join(", ")
        ),
    ))
}

/// Whether a resource document is a `v1` Secret, which kustomize prints among the
/// generated ones.
fn is_v1_secret(doc: &Node) -> bool {
    doc.get("kind").and_then(|k| k.as_str()) == Some("Secret")
        && doc.get("apiVersion").and_then(|k| k.as_str()) == Some("v1")
}

/// kustomize reads a kustomization as YAML 1.1 (goyaml.v2), where a raw U+0085, U+2028 or
/// U+2029 is a line break: inside a quoted string the spaces around it vanish (or the string
/// is folded), in a plain one the value is cut. The value kustomize sees is not the one
/// written; the escapes `\u2028` in a double-quoted string mean the same to every reader.
fn check_yaml11_breaks(path: &Path, text: &str) -> Result<()> {
    let Some((at, c)) = text
        .char_indices()
        .find(|(_, c)| matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}'))
    else {
        return Ok(());
    };
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    let mark = Mark {
        line,
        col,
        start: at,
        end: at + c.len_utf8(),
    };
    Err(Error::manifest(
        Loc::at(path, mark),
        format!(
            "a raw U+{:04X} character: kustomize reads YAML 1.1, where it is a line break, so the value it sees is not the one written; write it as the escape `\\u{:04X}` inside a double-quoted string",
            c as u32, c as u32
        ),
    ))
}

/// kustomize hands every generator config of a kustomization through JSON and back through
/// a YAML reader before generating. That reader refuses DEL, the C1 controls and U+FFFE/U+FFFF
/// (kustomize fails: "control characters are not allowed"), and reads a raw U+0085 (NEL) as
/// a line break folded into a space: a literal or a path with one silently changes.
fn check_kustomize_readable(g: &Generator) -> Result<()> {
    let refused = |c: char| {
        matches!(c, '\u{7f}' | '\u{fffe}' | '\u{ffff}')
            || (('\u{80}'..='\u{9f}').contains(&c) && c != '\u{85}')
    };
    let fail = |mark: Mark, what: &str, c: char| {
        Err(Error::manifest(
            Loc::at(&g.file, mark),
            format!(
                "{what} holds the character U+{:04X}, which kustomize cannot read back from the generator's config (it fails with \"control characters are not allowed\"); write it in a file instead",
                c as u32
            ),
        ))
    };
    let mut plain: Vec<(&Located, &str)> = vec![(&g.name, "the name")];
    plain.extend(g.namespace.iter().map(|n| (n, "the namespace")));
    plain.extend(g.type_.iter().map(|n| (n, "the type")));
    plain.extend(g.files.iter().map(|n| (n, "a `files` entry")));
    plain.extend(g.envs.iter().map(|n| (n, "an `envs` entry")));
    plain.extend(g.literals.iter().map(|n| (n, "a literal")));
    for (l, what) in plain {
        if let Some(c) = l.value.chars().find(|&c| refused(c)) {
            return fail(l.mark, what, c);
        }
        if l.value.contains('\u{85}') {
            return Err(Error::manifest(
                Loc::at(&g.file, l.mark),
                format!(
                    "{what} holds U+0085 (NEL), which kustomize silently turns into a space; write the value in a file instead"
                ),
            ));
        }
    }
    for (k, (v, mark)) in g.options.labels.iter().chain(&g.options.annotations) {
        if let Some(c) = k.chars().chain(v.chars()).find(|&c| refused(c)) {
            return fail(*mark, "a label or annotation", c);
        }
    }
    Ok(())
}

/// Two generators with one name and namespace in one build (RULES.md rule 61: `default` and
/// no namespace are the same).
fn check_unique_ids(unit: &Unit) -> Result<()> {
    let mut seen: BTreeMap<(String, String), &Generator> = BTreeMap::new();
    for g in &unit.generators {
        let ns = unit
            .transform
            .namespace
            .clone()
            .or_else(|| g.namespace.as_ref().map(|n| n.value.clone()))
            .filter(|n| n != "default")
            .unwrap_or_default();
        if let Some(first) = seen.insert((ns, g.name.value.clone()), g)
            && g.behavior == Behavior::Create
        {
            return Err(Error::manifest(
                Loc::at(&g.file, g.name.mark),
                format!(
                    "a second generator named `{}` in the same namespace (the first is at {}); give it another name or namespace",
                    g.name.value,
                    first.loc()
                ),
            ));
        }
    }
    Ok(())
}

const OPTIONS_FIELDS: &[&str] = &[
    "labels",
    "annotations",
    "disableNameSuffixHash",
    "immutable",
];

/// kustomize decodes a kustomization through Go's `encoding/json`, which matches a field
/// name without regard to case (`SecretGenerator:`, `Name:` are `secretGenerator`, `name`):
/// such keys are renamed to the field they match, where no exact key is there already.
fn fold_kustomization_fields(doc: &mut Node) {
    fold_fields(doc, KUSTOMIZATION_FIELDS);
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

/// Renames the keys of a mapping that match one of `fields` under Go's case folding.
fn fold_fields(node: &mut Node, fields: &[&str]) {
    // Go's EqualFold on field names: ASCII case, plus the two non-ASCII letters that fold
    // to ASCII ones (U+017F long s, U+212A Kelvin sign).
    fn fold(s: &str) -> String {
        s.chars()
            .map(|c| match c {
                '\u{17f}' => 's',
                '\u{212a}' => 'k',
                c => c.to_ascii_lowercase(),
            })
            .collect()
    }
    let Value::Map(entries) = &mut node.value else {
        return;
    };
    let present: Vec<String> = entries
        .iter()
        .filter_map(|(k, _)| k.as_str().map(str::to_string))
        .collect();
    for (k, _) in entries.iter_mut() {
        let Some(name) = k.as_str() else { continue };
        if fields.contains(&name) {
            continue;
        }
        let folded = fold(name);
        if let Some(field) = fields.iter().find(|f| fold(f) == folded)
            && !present.iter().any(|p| p == field)
            && let Value::Scalar { text, .. } = &mut k.value
        {
            *text = field.to_string();
        }
    }
}

const ARGS_FIELDS: &[&str] = &[
    "name",
    "namespace",
    "behavior",
    "files",
    "literals",
    "envs",
    "env",
    "options",
    "type",
];

const V1_FIELDS: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "type",
    "files",
    "literals",
    "envs",
    "env",
    "options",
    "hash",
    "behavior",
    "output",
];

const BUILTIN_FIELDS: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "name",
    "namespace",
    "behavior",
    "files",
    "literals",
    "envs",
    "env",
    "options",
    "type",
];

/// Who a generator is: its name, namespace, labels and annotations.
struct Identity {
    name: Located,
    namespace: Option<Located>,
    labels: MetaMap,
    annotations: MetaMap,
}

struct Reader<'a> {
    file: &'a Path,
}

impl Reader<'_> {
    fn err(&self, mark: Mark, message: impl Into<String>) -> Error {
        Error::manifest(Loc::at(self.file, mark), message)
    }

    fn warning(&self, mark: Mark, message: impl Into<String>) -> Warning {
        Warning {
            loc: Loc::at(self.file, mark),
            message: message.into(),
        }
    }

    fn map<'n>(&self, node: &'n Node, what: &str) -> Result<&'n [(Node, Node)]> {
        node.as_map().ok_or_else(|| {
            self.err(
                node.mark,
                format!("{what} must be a mapping, found {}", node.kind_name()),
            )
        })
    }

    fn seq<'n>(&self, node: &'n Node, what: &str) -> Result<&'n [Node]> {
        node.as_seq().ok_or_else(|| {
            self.err(
                node.mark,
                format!("`{what}` must be a list, found {}", node.kind_name()),
            )
        })
    }

    fn check_fields(&self, map: &[(Node, Node)], allowed: &[&str], what: &str) -> Result<()> {
        for (k, _) in map {
            let Some(name) = k.as_str() else {
                return Err(self.err(
                    k.mark,
                    format!(
                        "{what} has a key that is {}, expected a field name",
                        k.kind_name()
                    ),
                ));
            };
            if !allowed.contains(&name) {
                let hint = did_you_mean(name, allowed)
                    .or_else(|| known_alias(name).filter(|a| allowed.contains(a)))
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                return Err(self.err(
                    k.mark,
                    format!("unknown field `{}` in {what}{hint}", yaml::printable(name)),
                ));
            }
        }
        Ok(())
    }

    fn string(&self, node: &Node, what: &str) -> Result<Located> {
        match node.as_str() {
            Some(s) => Ok(Located {
                value: s.to_string(),
                mark: node.mark,
            }),
            None => Err(self.err(
                node.mark,
                format!(
                    "`{what}` must be a string, found {} (quote it)",
                    node.kind_name()
                ),
            )),
        }
    }

    fn opt_string(&self, parent: &Node, field: &str) -> Result<Option<Located>> {
        match parent.get(field) {
            None => Ok(None),
            Some(n) if n.is_null() => Ok(None),
            Some(n) => self.string(n, field).map(Some),
        }
    }

    fn string_list(&self, node: Option<&Node>, what: &str) -> Result<Vec<Located>> {
        let Some(node) = node.filter(|n| !n.is_null()) else {
            return Ok(Vec::new());
        };
        self.seq(node, what)?
            .iter()
            .enumerate()
            .map(|(i, item)| self.string(item, &format!("{what}[{i}]")))
            .collect()
    }

    fn bool(&self, node: Option<&Node>, what: &str) -> Result<bool> {
        let Some(node) = node.filter(|n| !n.is_null()) else {
            return Ok(false);
        };
        match (&node.value, node.resolved()) {
            (Value::Scalar { text, .. }, yaml::Resolved::Bool) => Ok(yaml::is_true(text)),
            _ => Err(self.err(
                node.mark,
                format!("`{what}` must be true or false, found {}", node.kind_name()),
            )),
        }
    }

    fn string_map(&self, node: Option<&Node>) -> Result<MetaMap> {
        let mut out = MetaMap::new();
        let Some(node) = node.filter(|n| !n.is_null()) else {
            return Ok(out);
        };
        for (k, v) in self.map(node, "labels and annotations")? {
            let key = self.string(k, "key")?;
            let value = if v.is_null() {
                String::new()
            } else {
                self.string(v, &key.value)?.value
            };
            out.insert(key.value, (value, key.mark));
        }
        Ok(out)
    }

    fn options(&self, node: &Node) -> Result<Options> {
        let map = self.map(node, "options")?;
        self.check_fields(map, OPTIONS_FIELDS, "options")?;
        Ok(Options {
            labels: self.string_map(node.get("labels"))?,
            annotations: self.string_map(node.get("annotations"))?,
            disable_name_suffix_hash: self
                .bool(node.get("disableNameSuffixHash"), "disableNameSuffixHash")?,
            immutable: self.bool(node.get("immutable"), "immutable")?,
        })
    }

    /// What the kustomization does to every Secret: prefix, suffix, namespace, labels and
    /// annotations.
    fn transform(&self, doc: &Node, warnings: &mut Vec<Warning>) -> Result<Transform> {
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
                    warnings.push(self.warning(
                        entry.mark,
                        "`labels[].fields` is not applied by secretgen; kustomize may put these labels elsewhere",
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
    fn secret_generators(
        &self,
        doc: &Node,
        root: &Path,
        global: &Options,
    ) -> Result<Vec<Generator>> {
        let mut generators = Vec::new();
        if let Some(list) = doc.get("secretGenerator").filter(|n| !n.is_null()) {
            for entry in self.seq(list, "secretGenerator")? {
                let mut g = self.generator(entry, Format::Kustomization, root)?;
                g.options = g.options.merged_with_global(global);
                check_kustomize_readable(&g)?;
                generators.push(g);
            }
        }
        Ok(generators)
    }

    /// The SecretGenerator configs under `generators`: inline documents, or files (read
    /// here, and recorded in `consumed`). Other configs are left to kustomize.
    fn generator_configs(
        &self,
        doc: &Node,
        root: &Path,
        generators: &mut Vec<Generator>,
        consumed: &mut Vec<PathBuf>,
    ) -> Result<()> {
        let Some(list) = doc.get("generators").filter(|n| !n.is_null()) else {
            return Ok(());
        };
        for entry in self.seq(list, "generators")? {
            let Some(text) = entry.as_str() else {
                return Err(self.err(entry.mark, format!("`generators` entries are strings (a file path or an inline YAML document), found {}", entry.kind_name())));
            };
            if text.contains('\n') {
                // Inline config: positions inside it are relative to the string.
                for d in &parse(self.file, text)? {
                    if let Some(format) = generator_format(d) {
                        let mut g = self.generator(d, format, root)?;
                        g.mark = entry.mark;
                        generators.push(g);
                    }
                }
            } else {
                let gen_path = self.generator_config_file(entry, text, root)?;
                let gen_text = read_text(&gen_path).map_err(|e| match e {
                    Error::Io { source, .. } => self.err(
                        entry.mark,
                        format!(
                            "cannot read generator config `{text}`: {}",
                            crate::error::io_reason(&source)
                        ),
                    ),
                    other => other,
                })?;
                let sub = Reader { file: &gen_path };
                for d in &parse(&gen_path, &gen_text)? {
                    if let Some(format) = generator_format(d) {
                        generators.push(sub.generator(d, format, root)?);
                    }
                }
                consumed.push(gen_path);
            }
        }
        Ok(())
    }

    /// The file a `generators` entry names, refused where kustomize would do something
    /// secretgen does not (a directory) or refuses (the kustomization itself).
    fn generator_config_file(&self, entry: &Node, text: &str, root: &Path) -> Result<PathBuf> {
        let gen_path = root.join(crate::kustomize::source::clean_slash_path(text));
        if gen_path.is_dir() {
            // kustomize builds it as a kustomization of generator configs and runs what
            // comes out; secretgen does not, and a silent difference is worse.
            return Err(self.err(entry.mark, format!("`generators` entry `{text}` is a directory: kustomize would build it as a kustomization and run its output as generators, which secretgen does not do (list the generator config files instead)")));
        }
        let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        };
        if same(&gen_path, self.file) {
            return Err(self.err(
                entry.mark,
                format!("`generators` entry `{text}` is this kustomization itself (kustomize refuses it)"),
            ));
        }
        Ok(gen_path)
    }

    /// The `v1` Secrets of the local `resources` files, each with its file. Directories
    /// (bases, rendered on their own by a tree walk) and URLs (remote) are not read.
    fn resource_secrets(&self, doc: &Node, root: &Path) -> Result<Vec<(PathBuf, Node)>> {
        let mut out = Vec::new();
        let Some(list) = doc.get("resources").filter(|n| !n.is_null()) else {
            return Ok(out);
        };
        for entry in self.seq(list, "resources")? {
            let Some(res) = entry.as_str() else { continue };
            let res_path = root.join(crate::kustomize::source::clean_slash_path(res));
            if res.contains("://") || !res_path.is_file() {
                continue;
            }
            let text = read_text(&res_path)?;
            let docs = parse(&res_path, &text)?;
            // A SOPS-encrypted resource (any with `sops.mac`, as Flux decrypts them): its
            // first document stands for the file, decrypted at render time.
            if crate::sops::is_sops(text.as_bytes()).is_some() {
                out.extend(docs.into_iter().next().map(|d| (res_path.clone(), d)));
                continue;
            }
            for d in docs.into_iter().filter(is_v1_secret) {
                out.push((res_path.clone(), d));
            }
        }
        Ok(out)
    }

    /// Warnings for a kustomization with generators: fields that would change their Secrets
    /// but are not applied, and `behavior`s that need the base's Secret.
    fn not_applied_warnings(
        &self,
        map: &[(Node, Node)],
        generators: &[Generator],
        warnings: &mut Vec<Warning>,
    ) {
        for field in NOT_APPLIED {
            if let Some((k, _)) = map.iter().find(|(k, _)| k.as_str() == Some(field)) {
                warnings.push(self.warning(k.mark, format!("`{field}` is not applied by secretgen; kustomize may change the generated Secrets with it (run `kubectl kustomize` to see its result)")));
            }
        }
        for g in generators.iter().filter(|g| g.behavior != Behavior::Create) {
            let mark = g.behavior_mark.unwrap_or(g.mark);
            // The field is in the generator's own file, which may be a `generators:` one.
            warnings.push(Warning {
                loc: Loc::at(&g.file, mark),
                message: format!("`behavior: {}` needs the base's Secret `{}`; secretgen renders this generator on its own, kustomize merges it into the base", g.behavior.as_str(), g.name.value),
            });
        }
    }

    fn generator(&self, node: &Node, format: Format, root: &Path) -> Result<Generator> {
        // kustomize decodes a builtin plugin's config through encoding/json as well.
        let folded;
        let node = if format == Format::Builtin {
            folded = fold_builtin(node);
            &folded
        } else {
            node
        };
        let what = match format {
            Format::SecretgenV1 => "SecretGenerator (secretgen.dev/v1)",
            Format::Builtin => "SecretGenerator (builtin)",
            Format::Kustomization => "secretGenerator entry",
        };
        let map = self.map(node, what)?;
        let allowed = match format {
            Format::SecretgenV1 => V1_FIELDS,
            Format::Builtin => BUILTIN_FIELDS,
            Format::Kustomization => ARGS_FIELDS,
        };
        self.check_fields(map, allowed, what)?;
        let Identity {
            name,
            namespace,
            labels,
            annotations,
        } = self.identity(node, format, what)?;
        let mut envs = self.string_list(node.get("envs"), "envs")?;
        if let Some(env) = self.opt_string(node, "env")?
            && !env.value.is_empty()
        {
            envs.push(env);
        }
        let (behavior, behavior_mark) = self.behavior(node)?;
        let hash = self.hash(node)?;
        let kubectl_output = self.kubectl_output(node)?;
        let options = match node.get("options").filter(|n| !n.is_null()) {
            Some(n) => self.options(n)?,
            None => Options::default(),
        };
        Ok(Generator {
            file: self.file.to_path_buf(),
            mark: node.mark,
            format,
            root: root.to_path_buf(),
            name,
            namespace,
            type_: self.opt_string(node, "type")?,
            labels,
            annotations,
            files: self.string_list(node.get("files"), "files")?,
            literals: self.string_list(node.get("literals"), "literals")?,
            envs,
            options,
            hash,
            behavior,
            behavior_mark,
            kubectl_output,
        })
    }

    /// Name, namespace, labels and annotations: from `metadata`, where builtin configs and
    /// `secretGenerator` entries let a top-level `name`/`namespace` win.
    fn identity(&self, node: &Node, format: Format, what: &str) -> Result<Identity> {
        let (mut name, mut namespace, mut labels, mut annotations) =
            (None, None, MetaMap::new(), MetaMap::new());
        if let Some(meta) = node.get("metadata").filter(|n| !n.is_null()) {
            let mm = self.map(meta, "metadata")?;
            let meta_fields: &[&str] = match format {
                Format::SecretgenV1 => &["name", "namespace", "labels", "annotations"],
                _ => &["name", "namespace"],
            };
            self.check_fields(mm, meta_fields, "metadata")?;
            name = self.opt_string(meta, "name")?;
            namespace = self.opt_string(meta, "namespace")?;
            labels = self.string_map(meta.get("labels"))?;
            annotations = self.string_map(meta.get("annotations"))?;
        }
        if format != Format::SecretgenV1 {
            // builtin: top-level name/namespace win over metadata (kustomize's plugin Config).
            let top = |field| -> Result<Option<Located>> {
                Ok(self
                    .opt_string(node, field)?
                    .filter(|n| !n.value.is_empty()))
            };
            if let Some(n) = top("name")? {
                name = Some(n);
            }
            if let Some(n) = top("namespace")? {
                namespace = Some(n);
            }
        }
        let Some(name) = name.filter(|n| !n.value.is_empty()) else {
            let field = if format == Format::Kustomization {
                "`name`"
            } else {
                "`metadata.name`"
            };
            return Err(self.err(node.mark, format!("{what} has no name: set {field}")));
        };
        Ok(Identity {
            name,
            namespace: namespace.filter(|n| !n.value.is_empty()),
            labels,
            annotations,
        })
    }

    /// `behavior:` and where it is written.
    fn behavior(&self, node: &Node) -> Result<(Behavior, Option<Mark>)> {
        let Some(n) = node.get("behavior").filter(|n| !n.is_null()) else {
            return Ok((Behavior::Create, None));
        };
        let b = self.string(n, "behavior")?;
        let behavior = match b.value.as_str() {
            "" | "create" => Behavior::Create,
            "merge" => Behavior::Merge,
            "replace" => Behavior::Replace,
            other => {
                return Err(self.err(
                    n.mark,
                    format!("unknown behavior `{}`: expected create, merge or replace (kustomize would silently treat it as create)", yaml::printable(other)),
                ));
            }
        };
        Ok((behavior, Some(n.mark)))
    }

    /// `hash:` (secretgen.dev/v1).
    fn hash(&self, node: &Node) -> Result<Option<HashVariant>> {
        let Some(n) = node.get("hash").filter(|n| !n.is_null()) else {
            return Ok(None);
        };
        let h = self.string(n, "hash")?;
        h.value
            .parse::<HashVariant>()
            .map(Some)
            .map_err(|e| self.err(n.mark, e.to_string()))
    }

    /// `output:` (secretgen.dev/v1): whether the Secret is printed as kubectl prints it.
    fn kubectl_output(&self, node: &Node) -> Result<bool> {
        let Some(n) = node.get("output").filter(|n| !n.is_null()) else {
            return Ok(false);
        };
        match self.string(n, "output")?.value.as_str() {
            "kustomize" => Ok(false),
            "kubectl" => Ok(true),
            other => Err(self.err(
                n.mark,
                format!(
                    "unknown output `{}`: expected kustomize (the default) or kubectl",
                    yaml::printable(other)
                ),
            )),
        }
    }
}

/// A builtin config with its field names folded as Go's `encoding/json` matches them.
fn fold_builtin(node: &Node) -> Node {
    let mut n = node.clone();
    fold_fields(&mut n, BUILTIN_FIELDS);
    if let Value::Map(fields) = &mut n.value {
        for (k, v) in fields.iter_mut() {
            if k.as_str() == Some("options") {
                fold_fields(v, OPTIONS_FIELDS);
            }
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kust(text: &str) -> Result<Unit> {
        read_kustomization(Path::new("dir/kustomization.yaml"), text)
    }

    #[test]
    fn reads_a_kustomization() {
        let u = kust(
            "namePrefix: p-\nnamespace: ns\ngeneratorOptions:\n  labels: {a: g, b: g}\n  immutable: true\nsecretGenerator:\n- name: s\n  literals: [k=v]\n  env: e.env\n  envs: [f.env]\n  options:\n    labels: {a: l}\n",
        )
        .unwrap();
        let g = &u.generators[0];
        assert_eq!(g.name.value, "s");
        assert_eq!(g.root, Path::new("dir"));
        assert_eq!(
            g.envs.iter().map(|e| e.value.as_str()).collect::<Vec<_>>(),
            ["f.env", "e.env"]
        );
        assert_eq!(g.options.labels["a"].0, "l");
        assert_eq!(g.options.labels["b"].0, "g");
        assert!(g.options.immutable);
        assert_eq!(u.transform.name_prefix, "p-");
        assert_eq!(u.transform.namespace.as_deref(), Some("ns"));
    }

    #[test]
    fn raw_yaml11_line_breaks_are_refused() {
        for c in ['\u{85}', '\u{2028}', '\u{2029}'] {
            let text = format!("secretGenerator:\n- name: s\n  literals:\n  - \"k=a {c} b\"\n");
            let e = kust(&text).unwrap_err().to_string();
            assert!(e.contains("kustomization.yaml:4:10"), "{e}");
            assert!(e.contains(&format!("U+{:04X}", c as u32)), "{e}");
        }
        kust("secretGenerator:\n- name: s\n  literals:\n  - \"k=a \\u2028 b\"\n").unwrap();
    }

    #[test]
    fn common_labels_win_over_labels_pairs() {
        let u = kust(
            "labels:\n- pairs: {shared: a, one: x1}\n- pairs: {shared: b}\ncommonLabels: {shared: c, two: x2}\nsecretGenerator:\n- name: s\n",
        )
        .unwrap();
        let got: Vec<(&str, &str)> = u
            .transform
            .labels
            .iter()
            .map(|(k, (v, _))| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(got, [("one", "x1"), ("shared", "c"), ("two", "x2")]);
    }

    #[test]
    fn characters_kustomize_cannot_read_back() {
        for (text, want) in [
            ("- \"k=a\\u007fb\"", "U+007F"),
            ("- \"k=a\\u0086b\"", "U+0086"),
            ("- \"k=a\\uffffb\"", "U+FFFF"),
            ("- \"k=a\\u0085b\"", "U+0085 (NEL)"),
        ] {
            let e = kust(&format!(
                "secretGenerator:\n- name: s\n  literals:\n  {text}\n"
            ))
            .unwrap_err()
            .to_string();
            assert!(e.contains(want), "{text}: {e}");
            assert!(e.contains("kustomization.yaml:4:5"), "{e}");
        }
        // C0 controls, NBSP, U+2028 and emoji pass through kustomize unchanged.
        kust("secretGenerator:\n- name: s\n  literals:\n  - \"k=\\a\\u00a0\\u2028\\U0001F511\"\n")
            .unwrap();
        // Labels and annotations: DEL fails kustomize, NEL only prints as a space.
        let e =
            kust("secretGenerator:\n- name: s\n  options:\n    annotations: {a: \"\\u007f\"}\n")
                .unwrap_err();
        assert!(e.to_string().contains("U+007F"));
        kust("secretGenerator:\n- name: s\n  options:\n    annotations: {a: \"\\u0085\"}\n")
            .unwrap();
    }

    #[test]
    fn unknown_field_suggests() {
        let e = kust("secretGenerator:\n- name: typo\n  literal:\n  - k=v\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "dir/kustomization.yaml:3:3: unknown field `literal` in secretGenerator entry (did you mean `literals`?)"
        );
    }

    #[test]
    fn non_string_literal_points_at_the_item() {
        let e = kust("secretGenerator:\n- name: ns\n  literals:\n  - 42\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "dir/kustomization.yaml:4:5: `literals[0]` must be a string, found a number (quote it)"
        );
    }

    #[test]
    fn unknown_behavior_is_an_error() {
        let e = kust("secretGenerator:\n- name: s\n  behavior: upsert\n").unwrap_err();
        assert!(e.to_string().contains("unknown behavior `upsert`"), "{e}");
    }

    #[test]
    fn duplicate_ids() {
        let e = kust("secretGenerator:\n- name: s\n- name: s\n  namespace: default\n").unwrap_err();
        assert!(
            e.to_string().contains("a second generator named `s`"),
            "{e}"
        );
        assert!(kust("secretGenerator:\n- name: s\n- name: s\n  namespace: other\n").is_ok());
    }

    #[test]
    fn v1_manifest_stream() {
        let text = "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata:\n  name: a\n  labels: {team: x}\nhash: kubectl\n---\napiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata: {name: b}\nbehavior: merge\n";
        let u = read_generator_file(Path::new("g.yaml"), text, Path::new("."), true).unwrap();
        assert_eq!(u.generators.len(), 2);
        assert_eq!(u.generators[0].hash, Some(HashVariant::Kubectl));
        assert_eq!(u.generators[0].labels["team"].0, "x");
        assert_eq!(u.generators[1].behavior, Behavior::Merge);
        let e = read_generator_file(
            Path::new("g.yaml"),
            "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata: {name: a}\nhash: md5\n",
            Path::new("."),
            true,
        )
        .unwrap_err();
        assert!(e.to_string().contains("unknown hash variant `md5`"), "{e}");
    }

    #[test]
    fn empty_documents_are_skipped() {
        let one = "apiVersion: secretgen.dev/v1\nkind: SecretGenerator\nmetadata: {name: a}\n";
        for text in [
            format!("{one}---\n"),
            format!("---\n{one}---\n# only a comment\n---\n"),
        ] {
            let u = read_generator_file(Path::new("g.yaml"), &text, Path::new("."), true).unwrap();
            assert_eq!(u.generators.len(), 1, "{text:?}");
        }
        let e = read_generator_file(
            Path::new("g.yaml"),
            "---\n# nothing\n",
            Path::new("."),
            true,
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("holds no SecretGenerator document"),
            "{e}"
        );
    }

    #[test]
    fn missing_name() {
        let e = kust("secretGenerator:\n- literals: [k=v]\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "dir/kustomization.yaml:2:3: secretGenerator entry has no name: set `name`"
        );
    }
}
