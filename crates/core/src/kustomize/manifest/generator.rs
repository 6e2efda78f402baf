//! SecretGenerator documents: a `secretgen.dev/v1` or `builtin` manifest (a YAML stream of
//! generators), how each generator's fields are read, and the near misses that are warned
//! about instead of silently skipped.

use super::*;

/// Field names from neighbouring tools (kustomize's old `env`, kubectl's flags, other
/// generators) that are too far from ours for an edit distance to suggest.
pub(super) fn known_alias(name: &str) -> Option<&'static str> {
    match name {
        "env" | "envFile" | "envFiles" | "fromEnvFile" | "from-env-file" => Some("envs"),
        "file" | "fromFile" | "fromFiles" | "from-file" => Some("files"),
        "literal" | "fromLiteral" | "fromLiterals" | "from-literal" => Some("literals"),
        _ => None,
    }
}

/// `apiVersion: X, kind: Y` of a document, for messages.
pub(super) fn found_type(doc: &Node) -> String {
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
/// one of the two missing. Returns why it is skipped, with a suggestion; `None` for ours
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
        "this looks like a SecretGenerator but is not one secretgen renders ({}); did you mean {}?",
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
                let meant = doc
                    .get("kind")
                    .and_then(Node::as_str)
                    .filter(|k| *k != "SecretGenerator")
                    .and_then(|k| did_you_mean(k, &["SecretGenerator"]))
                    .map(str::to_string);
                let rule = Rule::NotASecretGenerator {
                    found: found_type(doc),
                    meant,
                };
                return Err(Error::rule(Loc::at(path, doc.mark), rule));
            }
            None => {
                if let Some(why) = near_miss(doc) {
                    unit.warnings
                        .push(Noted::skipped(Loc::at(path, doc.mark), why));
                }
            }
        }
    }
    if strict && unit.generators.is_empty() {
        return Err(Error::rule(Loc::file(path), Rule::NoSecretGenerator));
    }
    check_unique_ids(&unit)?;
    Ok(unit)
}

/// kustomize hands every generator config of a kustomization through JSON and back through
/// a YAML reader before generating. That reader refuses DEL, the C1 controls and U+FFFE/U+FFFF
/// (kustomize fails: "control characters are not allowed"), and reads a raw U+0085 (NEL) as
/// a line break folded into a space: a literal or a path with one silently changes.
pub(super) fn check_kustomize_readable(g: &Generator) -> Result<()> {
    let refused = |c: char| {
        matches!(c, '\u{7f}' | '\u{fffe}' | '\u{ffff}')
            || (('\u{80}'..='\u{9f}').contains(&c) && c != '\u{85}')
    };
    let fail = |mark: Mark, what: &'static str, c: char| {
        Err(Error::rule(
            Loc::at(&g.file, mark),
            Rule::UnreadableCharacter { what, c },
        ))
    };
    // Every character looked for is DEL or beyond ASCII: most text is cleared in one pass.
    let clear = |s: &str| s.bytes().all(|b| b < 0x7f);
    let plain = std::iter::once((&g.name, "the name"))
        .chain(g.namespace.iter().map(|n| (n, "the namespace")))
        .chain(g.type_.iter().map(|n| (n, "the type")))
        .chain(g.files.iter().map(|n| (n, "a `files` entry")))
        .chain(g.envs.iter().map(|n| (n, "an `envs` entry")))
        .chain(g.literals.iter().map(|n| (n, "a literal")));
    for (l, what) in plain.filter(|(l, _)| !clear(&l.value)) {
        if let Some(c) = l.value.chars().find(|&c| refused(c)) {
            return fail(l.mark, what, c);
        }
        if l.value.contains('\u{85}') {
            return Err(Error::rule(Loc::at(&g.file, l.mark), Rule::Nel { what }));
        }
    }
    for (k, (v, mark)) in g.options.labels.iter().chain(&g.options.annotations) {
        if clear(k) && clear(v) {
            continue;
        }
        if let Some(c) = k.chars().chain(v.chars()).find(|&c| refused(c)) {
            return fail(*mark, "a label or annotation", c);
        }
    }
    Ok(())
}

pub(super) const ARGS_FIELDS: &[&str] = &[
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

pub(super) const V1_FIELDS: &[&str] = &[
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

pub(super) const BUILTIN_FIELDS: &[&str] = &[
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
pub(super) struct Identity {
    name: Located,
    namespace: Option<Located>,
    labels: MetaMap,
    annotations: MetaMap,
}

/// A builtin config with its field names folded as Go's `encoding/json` matches them.
pub(super) fn fold_builtin(node: &Node) -> Node {
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

impl Reader<'_> {
    pub(super) fn generator(&self, node: &Node, format: Format, root: &Path) -> Result<Generator> {
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
    pub(super) fn identity(&self, node: &Node, format: Format, what: &str) -> Result<Identity> {
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
            let what = what.to_string();
            return Err(self.err(node.mark, Rule::NoName { what, field }));
        };
        Ok(Identity {
            name,
            namespace: namespace.filter(|n| !n.value.is_empty()),
            labels,
            annotations,
        })
    }

    /// `behavior:` and where it is written.
    pub(super) fn behavior(&self, node: &Node) -> Result<(Behavior, Option<Mark>)> {
        let Some(n) = node.get("behavior").filter(|n| !n.is_null()) else {
            return Ok((Behavior::Create, None));
        };
        let b = self.string(n, "behavior")?;
        let behavior = match b.value.as_str() {
            "" | "create" => Behavior::Create,
            "merge" => Behavior::Merge,
            "replace" => Behavior::Replace,
            other => {
                return Err(self.err(n.mark, Rule::UnknownBehavior(other.to_string())));
            }
        };
        Ok((behavior, Some(n.mark)))
    }

    /// `hash:` (secretgen.dev/v1).
    pub(super) fn hash(&self, node: &Node) -> Result<Option<HashVariant>> {
        let Some(n) = node.get("hash").filter(|n| !n.is_null()) else {
            return Ok(None);
        };
        let h = self.string(n, "hash")?;
        h.value
            .parse::<HashVariant>()
            .map(Some)
            .map_err(|e| self.err(n.mark, Rule::UnknownHash(e)))
    }

    /// `output:` (secretgen.dev/v1): whether the Secret is printed as kubectl prints it.
    pub(super) fn kubectl_output(&self, node: &Node) -> Result<bool> {
        let Some(n) = node.get("output").filter(|n| !n.is_null()) else {
            return Ok(false);
        };
        match self.string(n, "output")?.value.as_str() {
            "kustomize" => Ok(false),
            "kubectl" => Ok(true),
            other => Err(self.err(n.mark, Rule::UnknownOutput(other.to_string()))),
        }
    }
}
