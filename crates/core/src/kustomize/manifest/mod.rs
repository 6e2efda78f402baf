//! Reading generator manifests and kustomizations.
//!
//! In: the text of a `secretgen.dev/v1` or `builtin` SecretGenerator manifest (a YAML stream,
//! `generator.rs`) or of a `kustomization.yaml` (`kustomization.rs`). Out: [`Unit`]s, each a
//! list of [`Generator`]s plus the kustomization-level changes to apply to their Secrets,
//! every item with its position. This file holds that model and the field reader both
//! share. Refuses unknown fields (with a suggestion), values of the wrong type, unknown
//! `behavior` and `hash` values, and generators without a name. Reads the files a
//! kustomization names itself (generator configs under `generators`, local `resources` for
//! the Secrets among them), never a source a generator names (`files`, `envs`): those are
//! read by `render`.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use crate::kustomize::error::{Error, Result};
use crate::kustomize::hash::HashVariant;
use crate::kustomize::rule::Rule;
use crate::place::{Loc, Warning, did_you_mean};
use crate::yaml::{self, Mark, Node, Value};

pub(crate) mod fields;
mod generator;
mod kustomization;
mod store;

pub use generator::read_generator_file;
use generator::*;
pub(crate) use generator::{generator_format, near_miss};
pub(crate) use kustomization::{CHECKED_KINDS, read_model};
pub use kustomization::{Kustomization, read_kustomization};
pub use store::Kustomizations;

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

/// What a reader's warning is about: callers keep or drop warnings by kind, never by text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WarningKind {
    /// A kustomization field that a flat render does not apply (the field's row in
    /// [`fields::FIELDS`] says whether a tree build does).
    NotApplied(&'static str),
    /// `labels[].fields`, which secretgen does not apply.
    LabelFieldsNotApplied,
    /// A generator with `behavior: merge` or `replace` rendered on its own, without the
    /// base's Secret.
    BehaviorNeedsBase,
    /// A document or file skipped: a near miss of a SecretGenerator, an emptied manifest.
    Skipped,
}

impl WarningKind {
    /// Whether the warning is about what a flat render would not apply (nothing a reader
    /// of the inputs alone, such as the plaintext gate, needs to hear).
    pub fn about_flat_render(self) -> bool {
        matches!(
            self,
            WarningKind::NotApplied(_)
                | WarningKind::LabelFieldsNotApplied
                | WarningKind::BehaviorNeedsBase
        )
    }

    /// Whether a tree build, which builds bases and applies or refuses these fields
    /// itself, drops the warning.
    pub(crate) fn dropped_by_tree_build(self) -> bool {
        match self {
            WarningKind::NotApplied(f) => fields::field(f).is_some_and(fields::Field::tree_handles),
            WarningKind::BehaviorNeedsBase => true,
            WarningKind::LabelFieldsNotApplied | WarningKind::Skipped => false,
        }
    }
}

/// A warning of a reader, with its kind.
#[derive(Clone, Debug)]
pub struct Noted {
    pub kind: WarningKind,
    pub warning: Warning,
    /// For [`WarningKind::Skipped`], why, without the word `skipped` (a run that skipped
    /// everything says it as its error).
    pub(crate) why_skipped: Option<String>,
}

impl Noted {
    pub(crate) fn new(kind: WarningKind, warning: Warning) -> Noted {
        Noted {
            kind,
            warning,
            why_skipped: None,
        }
    }

    /// A document or file skipped at `loc`, and why.
    pub(crate) fn skipped(loc: Loc, why: String) -> Noted {
        Noted {
            kind: WarningKind::Skipped,
            warning: Warning {
                loc,
                message: format!("skipped: {why}"),
            },
            why_skipped: Some(why),
        }
    }

    /// What a run says when this was all it met: why it skipped, else the warning.
    pub(crate) fn why_skipped(&self) -> &str {
        self.why_skipped.as_deref().unwrap_or(&self.warning.message)
    }
}

/// One build: a kustomization, or a manifest file of standalone generators.
#[derive(Clone, Debug)]
pub struct Unit {
    pub(crate) file: PathBuf,
    pub generators: Vec<Generator>,
    pub(crate) transform: Transform,
    pub warnings: Vec<Noted>,
    /// Generator config files this unit consumed (so a tree walk does not render them twice).
    pub(crate) consumed: Vec<PathBuf>,
    /// Plain `v1` Secrets from the kustomization's local `resources` files: kustomize
    /// prints them among the generated ones (transformed, never hashed). A SOPS-encrypted
    /// file is one entry (its first document, with `sops`), decrypted when rendered.
    pub plain_secrets: Vec<(PathBuf, Node)>,
}

pub(crate) const KUSTOMIZATION_NAMES: [&str; 3] =
    ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// The names of [`KUSTOMIZATION_NAMES`] that are files in `dir` (a run asks its
/// [`Kustomizations::names_in`], which looks once a directory).
pub(crate) fn kustomization_names(dir: &Path) -> Vec<&'static str> {
    KUSTOMIZATION_NAMES
        .into_iter()
        .filter(|n| dir.join(n).is_file())
        .collect()
}

pub fn is_kustomization_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| KUSTOMIZATION_NAMES.contains(&n))
}

/// The largest YAML file secretgen reads (manifests, kustomizations, rendered streams).
pub const MAX_YAML_BYTES: u64 = 64 * 1024 * 1024;

/// kustomize's annotation that asks for a generated resource's name hash.
pub(crate) const NEEDS_HASH: &str = "kustomize.config.k8s.io/needs-hash";
/// kustomize's annotation that says how a generated resource meets one of the same name.
pub(crate) const BEHAVIOR: &str = "kustomize.config.k8s.io/behavior";

/// kustomize's reading of a `needs-hash` annotation (Go's `strconv.ParseBool`); `None` for
/// a value it refuses.
pub(crate) fn parse_needs_hash(value: &str) -> Option<bool> {
    match value {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Is this document a KSOPS config (`kind: ksops`, a generator kustomize runs as KSOPS)?
/// KSOPS never checks `apiVersion`.
pub(crate) fn is_ksops(doc: &Node) -> bool {
    doc.get("kind").and_then(Node::as_str) == Some("ksops")
}

/// Reads a file's text, refusing non-UTF-8 manifests with the file named. It goes through
/// the gate's reader: anything but a regular file (a FIFO would block, a device never end)
/// and anything over [`MAX_YAML_BYTES`] (or the run's limit) is refused before a byte is
/// read.
pub fn read_text(path: &Path) -> Result<String> {
    read_text_as(path, None)
}

/// [`read_text`] of a path whose metadata (symlinks followed) the caller has just taken:
/// not taken again.
pub(crate) fn read_text_with(path: &Path, meta: &std::fs::Metadata) -> Result<String> {
    read_text_as(path, Some(meta))
}

fn read_text_as(path: &Path, meta: Option<&std::fs::Metadata>) -> Result<String> {
    use crate::gate::read::{self, Kind, Origin, ReadError, ReadFailure};
    let read = match meta {
        Some(meta) => read::file_with(path, meta, MAX_YAML_BYTES).map_err(|failure| ReadError {
            path: path.to_path_buf(),
            failure,
        }),
        None => read::file(path, Origin::Input, MAX_YAML_BYTES),
    };
    let mut bytes = read.map_err(|e| match e.failure {
        ReadFailure::NotRegular(Kind::Directory) => {
            Error::rule(Loc::file(path), Rule::IsADirectory)
        }
        ReadFailure::NotRegular(_) => Error::rule(Loc::file(path), Rule::NotRegular),
        ReadFailure::TooLarge {
            size,
            limit,
            exact,
            settable: false,
        } => Error::rule(Loc::file(path), Rule::TooLarge { size, limit, exact }),
        ReadFailure::Io(e) => Error::io(path, "cannot read", e),
        failure => Error::Read(read::ReadError {
            path: path.to_path_buf(),
            failure,
        }),
    })?;
    String::from_utf8(std::mem::take(&mut *bytes)).map_err(|e| {
        let valid_up_to = e.utf8_error().valid_up_to();
        Error::rule(Loc::file(path), Rule::NotUtf8 { valid_up_to })
    })
}

fn parse(path: &Path, text: &str) -> Result<Vec<Node>> {
    Ok(yaml::parse_stream(text).map_err(|e| e.in_file(path))?)
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
    Err(Error::rule(Loc::at(path, mark), Rule::Yaml11Break(c)))
}

/// Two generators with one name and namespace in one build (RULES.md rule 61: `default` and
/// no namespace are the same).
fn check_unique_ids(unit: &Unit) -> Result<()> {
    let mut seen: HashMap<(&str, &str), &Generator> = HashMap::with_capacity(unit.generators.len());
    for g in &unit.generators {
        let ns = unit
            .transform
            .namespace
            .as_deref()
            .or_else(|| g.namespace.as_ref().map(|n| n.value.as_str()))
            .filter(|n| *n != "default")
            .unwrap_or_default();
        if let Some(first) = seen.insert((ns, g.name.value.as_str()), g)
            && g.behavior == Behavior::Create
        {
            let rule = Rule::SecondGenerator {
                name: g.name.value.clone(),
                first: first.loc(),
            };
            return Err(Error::rule(Loc::at(&g.file, g.name.mark), rule));
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

struct Reader<'a> {
    file: &'a Path,
}

impl Reader<'_> {
    fn err(&self, mark: Mark, rule: Rule) -> Error {
        Error::rule(Loc::at(self.file, mark), rule)
    }

    fn warning(&self, mark: Mark, message: impl Into<String>) -> Warning {
        Warning {
            loc: Loc::at(self.file, mark),
            message: message.into(),
        }
    }

    fn map<'n>(&self, node: &'n Node, what: &str) -> Result<&'n [(Node, Node)]> {
        node.as_map().ok_or_else(|| {
            let what = what.to_string();
            self.err(
                node.mark,
                Rule::NotAMapping {
                    what,
                    found: node.kind_name(),
                },
            )
        })
    }

    fn seq<'n>(&self, node: &'n Node, what: &str) -> Result<&'n [Node]> {
        node.as_seq().ok_or_else(|| {
            let what = what.to_string();
            self.err(
                node.mark,
                Rule::NotAList {
                    what,
                    found: node.kind_name(),
                },
            )
        })
    }

    fn check_fields(&self, map: &[(Node, Node)], allowed: &[&str], what: &str) -> Result<()> {
        for (k, _) in map {
            let Some(name) = k.as_str() else {
                let what = what.to_string();
                let rule = Rule::KeyNotAFieldName {
                    what,
                    found: k.kind_name(),
                };
                return Err(self.err(k.mark, rule));
            };
            if !allowed.contains(&name) {
                let meant = did_you_mean(name, allowed)
                    .or_else(|| known_alias(name).filter(|a| allowed.contains(a)))
                    .map(str::to_string);
                let rule = Rule::UnknownField {
                    field: name.to_string(),
                    what: what.to_string(),
                    meant,
                };
                return Err(self.err(k.mark, rule));
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
            None => {
                let what = what.to_string();
                Err(self.err(
                    node.mark,
                    Rule::NotAString {
                        what,
                        found: node.kind_name(),
                    },
                ))
            }
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
            _ => {
                let what = what.to_string();
                Err(self.err(
                    node.mark,
                    Rule::NotABool {
                        what,
                        found: node.kind_name(),
                    },
                ))
            }
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kust(text: &str) -> Result<Unit> {
        read_kustomization(Path::new("dir/kustomization.yaml"), text)
    }

    /// `resources` entries are looked at with one `lstat` (and a `stat` behind a link): a
    /// file and a link to a file inside the directory are read, a link out of it is refused
    /// under kustomize's restrictor and read without it, a dangling link and a directory are
    /// left to the build; the entries read are the files a build and the planner take as
    /// files. A second kustomization file in the directory is still refused.
    #[test]
    #[allow(clippy::disallowed_methods)] // the fixture is written directly
    fn resources_are_looked_at_once_links_judged_as_before() {
        use crate::kustomize::restrict::LoadRestrictor;
        let t = tempfile::tempdir().unwrap();
        let app = t.path().join("app");
        std::fs::create_dir_all(app.join("base")).unwrap();
        let secret =
            |name: &str| format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n");
        std::fs::write(app.join("plain.yaml"), secret("plain")).unwrap();
        std::fs::write(app.join("base/target.yaml"), secret("linked")).unwrap();
        std::fs::write(t.path().join("outside.yaml"), secret("outside")).unwrap();
        std::os::unix::fs::symlink("base/target.yaml", app.join("inside.yaml")).unwrap();
        std::os::unix::fs::symlink("../outside.yaml", app.join("out.yaml")).unwrap();
        std::os::unix::fs::symlink("nowhere.yaml", app.join("dangling.yaml")).unwrap();
        let kfile = app.join("kustomization.yaml");
        let text = "resources:\n- plain.yaml\n- inside.yaml\n- dangling.yaml\n- base\n";
        std::fs::write(&kfile, text).unwrap();
        let names = |k: &Kustomization| {
            let mut n: Vec<String> = k
                .unit
                .plain_secrets
                .iter()
                .map(|(_, d)| {
                    d.get("metadata")
                        .and_then(|m| m.get("name"))
                        .and_then(Node::as_str)
                        .unwrap()
                        .to_string()
                })
                .collect();
            n.sort();
            n
        };
        let store = Kustomizations::new(LoadRestrictor::RootOnly);
        let k = store.get(&kfile).unwrap();
        assert_eq!(names(&k), ["linked", "plain"]);
        let read: Vec<&str> = k.resource_files().map(|(e, _)| e).collect();
        assert_eq!(read, ["plain.yaml", "inside.yaml"]);
        let walked: Vec<(&str, bool)> = k
            .resources_read()
            .map(|(e, f)| (e.value.as_str(), f.is_some()))
            .collect();
        let expected = [
            ("plain.yaml", true),
            ("inside.yaml", true),
            ("dangling.yaml", false),
            ("base", false),
        ];
        assert_eq!(walked, expected);
        // The planner looks at entries as written: a read file counts when written clean.
        let planned: Vec<bool> = k.includes_read().map(|(_, read)| read).collect();
        assert_eq!(planned, [true, true, false, false]);

        std::fs::write(&kfile, "resources:\n- ./plain.yaml\n- base/../plain.yaml\n").unwrap();
        let k = Kustomizations::new(LoadRestrictor::RootOnly)
            .get(&kfile)
            .unwrap();
        let read: Vec<bool> = k.resources_read().map(|(_, f)| f.is_some()).collect();
        assert_eq!(read, [true, true]);
        let planned: Vec<bool> = k.includes_read().map(|(_, read)| read).collect();
        assert_eq!(planned, [false, false]);

        let text = "resources:\n- plain.yaml\n- out.yaml\n";
        std::fs::write(&kfile, text).unwrap();
        let e = Kustomizations::new(LoadRestrictor::RootOnly)
            .get(&kfile)
            .unwrap_err();
        let real = std::fs::canonicalize(t.path().join("outside.yaml")).unwrap();
        match &e {
            Error::ResolvesOutside(o) => {
                assert_eq!(o.real, real, "{e}");
                assert_eq!(o.field, "resources", "{e}");
            }
            other => panic!("not refused as outside: {other}"),
        }
        let k = Kustomizations::new(LoadRestrictor::None)
            .get(&kfile)
            .unwrap();
        assert_eq!(names(&k), ["outside", "plain"]);

        std::fs::write(app.join("Kustomization"), "resources: []\n").unwrap();
        let e = Kustomizations::new(LoadRestrictor::RootOnly)
            .get(&kfile)
            .unwrap_err()
            .to_string();
        assert!(e.contains("Kustomization"), "{e}");
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
