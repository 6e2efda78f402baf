//! `replacements`, as kustomize's ReplacementTransformer applies them after a level's other
//! transformers: a value read from one resource (`source`, any kind) copied into fields of
//! the resources its `targets` select. A build keeps every resource (and makes the
//! ConfigMaps of `configMapGenerator`) once a level of its tree has replacements, so that a
//! source of any kind can be read.

use super::*;

/// What a build keeps besides Secrets (and, for `check`, the workloads it reads).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) enum Reads {
    /// Nothing else: no level it reaches has `replacements`, `vars`, `transformers` or
    /// patches.
    #[default]
    Secrets,
    /// The resources of these kinds too: every kind the replacements' sources and targets
    /// and the vars' objects name, when each of them names one plainly, and the workloads
    /// when a level has patches.
    Kinds(std::collections::BTreeSet<String>),
    /// Every resource: a transformer config, a replacements file, or a selector without a
    /// plain kind (none, or a pattern), may read any.
    Every,
}

impl Reads {
    /// Whether a resource of this kind is kept.
    pub(super) fn kind(&self, kind: &str) -> bool {
        match self {
            Reads::Secrets => false,
            Reads::Kinds(kinds) => kinds.contains(kind),
            Reads::Every => true,
        }
    }
}

/// What the build of `kustomization` reads besides Secrets, from the `replacements`,
/// `vars`, `transformers` and patches of the levels it reaches: the workloads `check` reads
/// when a level has `patches` or `patchesJson6902` (a JSON patch that does not apply to one
/// is an error, as in kustomize).
pub(super) fn resources_read(kustomization: &Path, store: &Kustomizations) -> Reads {
    let mut kinds = std::collections::BTreeSet::new();
    let mut any = false;
    let levels = crate::render::tree::reached_dirs_in(kustomization, store)
        .into_iter()
        .filter_map(|d| kustomization_in(&d, store).ok().flatten())
        .filter_map(|f| store.get(&f).ok());
    // A kind written as a plain word: a replacement's target kind is an anchored pattern,
    // which a word matches only itself.
    let plain = |n: Option<&yaml::Node>| {
        n.and_then(|n| n.get("kind"))
            .and_then(str_of)
            .filter(|k| !k.is_empty() && k.bytes().all(|c| c.is_ascii_alphanumeric()))
            .map(str::to_string)
    };
    for k in levels {
        if !k.transformers.is_empty() {
            return Reads::Every;
        }
        if !k.patches.is_empty() || !k.patches_json6902.is_empty() {
            any = true;
            kinds.extend(CHECKED_KINDS.iter().map(|k| k.to_string()));
        }
        for v in &k.vars {
            any = true;
            let Some(kind) = plain(v.get("objref")) else {
                return Reads::Every;
            };
            kinds.insert(kind);
        }
        for r in &k.replacements {
            any = true;
            if r.get("path").is_some() {
                return Reads::Every;
            }
            let Some(kind) = plain(r.get("source")) else {
                return Reads::Every;
            };
            kinds.insert(kind);
            for t in r.get("targets").and_then(|t| t.as_seq()).unwrap_or(&[]) {
                let Some(kind) = plain(t.get("select")) else {
                    return Reads::Every;
                };
                kinds.insert(kind);
            }
        }
    }
    if any {
        Reads::Kinds(kinds)
    } else {
        Reads::Secrets
    }
}

/// The kinds kustomize knows to be cluster-scoped: no namespace is set on them, and no name
/// prefix or suffix on the last three.
pub(super) const CLUSTER_SCOPED: &[&str] = &[
    "APIService",
    "CertificateSigningRequest",
    "ClusterRole",
    "ClusterRoleBinding",
    "ComponentStatus",
    "CSIDriver",
    "CSINode",
    "CustomResourceDefinition",
    "FlowSchema",
    "IngressClass",
    "MutatingAdmissionPolicy",
    "MutatingAdmissionPolicyBinding",
    "MutatingWebhookConfiguration",
    "Namespace",
    "Node",
    "PersistentVolume",
    "PodSecurityPolicy",
    "PriorityClass",
    "PriorityLevelConfiguration",
    "RuntimeClass",
    "StorageClass",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
    "VolumeAttachment",
];

/// The kinds kustomize's prefix and suffix transformers leave alone.
pub(super) fn keeps_its_name(kind: &str) -> bool {
    matches!(
        kind,
        "CustomResourceDefinition" | "APIService" | "Namespace"
    )
}

/// A resource's (group, version, kind).
fn gvk(r: &Res) -> (String, String, String) {
    let api = as_str(get(&r.node, "apiVersion")).unwrap_or("");
    let (group, version) = match api.rsplit_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api),
    };
    let kind = as_str(get(&r.node, "kind")).unwrap_or("");
    (group.into(), version.into(), kind.into())
}

/// A resource id of a selector: every field optional.
#[derive(Default, Debug)]
pub(super) struct Sel {
    pub(super) group: String,
    pub(super) version: String,
    pub(super) kind: String,
    pub(super) name: String,
    pub(super) namespace: String,
    pub(super) labels: String,
    pub(super) annotations: String,
    /// The id fields as anchored patterns (group, version, kind, name, namespace), compiled
    /// on the first match: a replacement's target is matched against every resource.
    pub(super) patterns: std::cell::OnceCell<[Option<patch::Pattern>; 5]>,
}

impl Sel {
    fn of(n: &yaml::Node) -> Sel {
        let f = |k: &str| n.get(k).and_then(str_of).unwrap_or("").to_string();
        Sel {
            group: f("group"),
            version: f("version"),
            kind: f("kind"),
            name: f("name"),
            namespace: f("namespace"),
            labels: f("labelSelector"),
            annotations: f("annotationSelector"),
            patterns: Default::default(),
        }
    }

    fn id_is_empty(&self) -> bool {
        [
            &self.group,
            &self.version,
            &self.kind,
            &self.name,
            &self.namespace,
        ]
        .iter()
        .all(|s| s.is_empty())
    }

    /// kustomize's `IsSelectedBy` (a source): exact fields, namespaces compared as
    /// effective namespaces, against the current id or an earlier one.
    pub(super) fn picks_source(&self, r: &Res) -> bool {
        let (g, v, k) = gvk(r);
        if (!self.group.is_empty() && self.group != g)
            || (!self.version.is_empty() && self.version != v)
            || (!self.kind.is_empty() && self.kind != k)
        {
            return false;
        }
        ids(r).iter().any(|(ns, name)| {
            (self.name.is_empty() || &self.name == name)
                && (self.namespace.is_empty() || effective(Some(&self.namespace)) == *ns)
        })
    }

    /// kustomize's `SelectorRegex` (a target or a rejection): anchored regular expressions
    /// against the current id or an earlier one.
    fn matches_id(&self, r: &Res, loc: &Loc) -> Result<bool> {
        let (g, v, k) = gvk(r);
        let patterns = match self.patterns.get() {
            Some(p) => p,
            None => {
                let re = |p: &str| -> Result<Option<patch::Pattern>> {
                    patch::pattern(p)
                        .map_err(|e| BuildError::new(loc.clone(), Rule::PatchTarget(e)).into())
                };
                let compiled = [
                    re(&self.group)?,
                    re(&self.version)?,
                    re(&self.kind)?,
                    re(&self.name)?,
                    re(&self.namespace)?,
                ];
                self.patterns.get_or_init(|| compiled)
            }
        };
        let [group, version, kind, name, ns] = patterns;
        for (re, have) in [(group, &g), (version, &v), (kind, &k)] {
            if let Some(re) = re
                && !re.is_match(have)
            {
                return Ok(false);
            }
        }
        Ok(ids(r).iter().any(|(i_ns, i_name)| {
            name.as_ref().is_none_or(|re| re.is_match(i_name))
                && ns.as_ref().is_none_or(|re| re.is_match(i_ns))
        }))
    }

    fn matches_meta(&self, r: &Res, loc: &Loc) -> Result<bool> {
        let bad = |e| BuildError::new(loc.clone(), Rule::PatchTarget(e));
        for (sel, field) in [(&self.labels, "labels"), (&self.annotations, "annotations")] {
            if !sel.is_empty()
                && !patch::label_selector_matches(sel, &r.string_map(field)).map_err(bad)?
            {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// A resource's ids: its current (namespace, name), then the earlier ones.
fn ids(r: &Res) -> Vec<(String, String)> {
    let mut out = vec![r.cur()];
    out.extend(r.prev.iter().cloned());
    out
}

/// A field path split as kustomize splits it (kyaml's `SmarterPathSplitter`): on dots, but
/// not an escaped one (`a\.b`) nor inside brackets; brackets around a key without `=`
/// (`[cert-manager.io/inject-ca-from]`) are taken off, leaving the key.
pub(super) fn split_path(p: &str) -> Vec<String> {
    // `PathSplitter`: a leading `.` dropped, `\.` kept as a dot of the key.
    let mut pieces: Vec<String> = Vec::new();
    let raw: Vec<&str> = p.split('.').collect();
    let raw = if raw.len() > 1 && raw[0].is_empty() {
        &raw[1..]
    } else {
        &raw[..]
    };
    for piece in raw {
        match pieces.last_mut() {
            Some(last) if last.ends_with('\\') => {
                last.pop();
                last.push('.');
                last.push_str(piece);
            }
            _ => pieces.push(piece.to_string()),
        }
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < pieces.len() {
        let elem = &pieces[i];
        if elem.starts_with('[') && !elem.ends_with(']') {
            let mut joined = elem.clone();
            while i < pieces.len() - 1 {
                i += 1;
                joined.push('.');
                joined.push_str(&pieces[i]);
                if pieces[i].ends_with(']') {
                    break;
                }
            }
            if joined.contains('=') {
                out.push(joined);
            } else {
                out.push(joined.trim_matches(|c| c == '[' || c == ']').to_string());
            }
        } else {
            out.push(elem.clone());
        }
        i += 1;
    }
    out
}

/// `[field=value]` split (`[=value]` for a list of scalars).
fn list_index(part: &str) -> Option<(&str, &str)> {
    part.strip_prefix('[')?.strip_suffix(']')?.split_once('=')
}

/// A scalar's text as kustomize compares and copies it.
pub(super) fn scalar_text(n: &Node<'static>) -> Option<String> {
    match n {
        Node::Str(s) | Node::Number(s) => Some(s.to_string()),
        Node::Bool(b) => Some(b.to_string()),
        Node::Null => Some(String::new()),
        _ => None,
    }
}

/// kustomize's `Lookup` (a source's field): fields, `[k=v]` (exact), an index, `-` (last).
pub(super) fn lookup<'n>(n: &'n Node<'static>, path: &[String]) -> Option<&'n Node<'static>> {
    let mut cur = n;
    for part in path {
        cur = match (cur, part.as_str()) {
            (Node::Seq(items), "-") => items.last()?,
            (Node::Seq(items), p) if p.parse::<usize>().is_ok() => {
                items.get(p.parse::<usize>().ok()?)?
            }
            (Node::Seq(items), p) if list_index(p).is_some() => {
                let (k, v) = list_index(p)?;
                items.iter().find(|e| {
                    let field = if k.is_empty() { Some(*e) } else { get(e, k) };
                    field.and_then(scalar_text).as_deref() == Some(v)
                })?
            }
            (Node::Map(_), p) => get(cur, p)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// Why a target field could not be set.
enum Miss {
    NotFound,
    /// A delimiter on a field that is not a scalar.
    NotScalar,
    /// A number or boolean given a value of another type.
    OtherType,
}

/// kustomize's `PathMatcher` (a target's fields): every node the path reaches, `[k=v]`
/// matching `v` as a regular expression, `*` every element; with `create`, missing fields
/// are made (`create` holds the kind of node the value is).
fn each_target(
    n: &mut Node<'static>,
    path: &[String],
    create: Option<&Node<'static>>,
    f: &mut dyn FnMut(&mut Node<'static>) -> Result<(), Miss>,
) -> Result<usize, Miss> {
    let Some((part, rest)) = path.split_first() else {
        f(n)?;
        return Ok(1);
    };
    let empty_like = |next: Option<&String>| match next.map(String::as_str) {
        Some(p) if list_index(p).is_some() || p.parse::<usize>().is_ok() => Node::Seq(Vec::new()),
        Some(_) => Node::Map(Vec::new()),
        None => match create {
            Some(Node::Map(_)) => Node::Map(Vec::new()),
            Some(Node::Seq(_)) => Node::Seq(Vec::new()),
            _ => Node::Str(Cow::Borrowed("")),
        },
    };
    if let Ok(idx) = part.parse::<usize>() {
        let Node::Seq(items) = n else {
            return Err(Miss::NotFound);
        };
        if items.len() == idx && create.is_some() {
            items.push(empty_like(rest.first()));
        }
        let Some(item) = items.get_mut(idx) else {
            return Err(Miss::NotFound);
        };
        return each_target(item, rest, create, f);
    }
    if let Some((k, v)) = list_index(part) {
        let Node::Seq(items) = n else {
            return Ok(0);
        };
        let re = regex::Regex::new(v).map_err(|_| Miss::NotFound)?;
        let mut count = 0;
        let matches = |e: &Node<'static>| {
            let field = if k.is_empty() { Some(e) } else { get(e, k) };
            field
                .and_then(scalar_text)
                .is_some_and(|t| re.is_match(t.trim()))
        };
        for item in items.iter_mut().filter(|e| matches(e)) {
            count += each_target(item, rest, create, f)?;
        }
        if count == 0 && create.is_some() {
            let value = Node::Str(Cow::Owned(v.to_string()));
            let mut item = if k.is_empty() {
                value
            } else {
                Node::Map(vec![(Cow::Owned(k.to_string()), value)])
            };
            count += each_target(&mut item, rest, create, f)?;
            items.push(item);
        }
        return Ok(count);
    }
    if part == "*" {
        let Node::Seq(items) = n else {
            return Ok(0);
        };
        let mut count = 0;
        for item in items.iter_mut() {
            count += each_target(item, rest, create, f)?;
        }
        return Ok(count);
    }
    let Node::Map(_) = n else {
        return Ok(0);
    };
    if get(n, part).is_none() {
        if create.is_none() {
            return Ok(0);
        }
        set(n, part, empty_like(rest.first()));
    }
    let child = patch::get_mut(n, part).expect("present or just made");
    each_target(child, rest, create, f)
}

/// kustomize's `setFieldValue`: a scalar keeps its type and takes the value's text (split,
/// changed at `index` and joined again with a `delimiter`); anything else is replaced.
fn set_value(
    target: &mut Node<'static>,
    value: &Node<'static>,
    delimiter: Option<(&str, i64)>,
) -> Result<(), Miss> {
    let mut text = scalar_text(value);
    if let Some((d, index)) = delimiter {
        let (Some(old), Some(v)) = (scalar_text(target), text.as_ref()) else {
            return Err(Miss::NotScalar);
        };
        let mut parts: Vec<String> = old.split(d).map(str::to_string).collect();
        match usize::try_from(index) {
            Err(_) => parts.insert(0, v.clone()),
            Ok(i) if i >= parts.len() => parts.push(v.clone()),
            Ok(i) => parts[i] = v.clone(),
        }
        text = Some(parts.join(d));
    }
    match (&*target, text) {
        (Node::Str(_) | Node::Null, Some(t)) => *target = Node::Str(Cow::Owned(t)),
        (Node::Number(_), Some(t)) => {
            if !crate::yaml::is_number(&t) {
                return Err(Miss::OtherType);
            }
            *target = Node::Number(Cow::Owned(t));
        }
        (Node::Bool(_), Some(t)) => match t.as_str() {
            "true" => *target = Node::Bool(true),
            "false" => *target = Node::Bool(false),
            _ => return Err(Miss::OtherType),
        },
        _ => *target = value.clone(),
    }
    Ok(())
}

/// One replacement's options (`delimiter`, `index`, `create`).
fn options(n: Option<&yaml::Node>) -> (Option<String>, i64, bool) {
    let Some(o) = n else {
        return (None, 0, false);
    };
    let delimiter = o
        .get("delimiter")
        .and_then(str_of)
        .filter(|d| !d.is_empty())
        .map(str::to_string);
    let scalar = |k: &str| match o.get(k).map(|n| &n.value) {
        Some(yaml::Value::Scalar { text, .. }) => Some(text.as_str()),
        _ => None,
    };
    let index = scalar("index").and_then(|i| i.parse().ok()).unwrap_or(0);
    let create = scalar("create").is_some_and(crate::yaml::is_true);
    (delimiter, index, create)
}

impl Build<'_> {
    /// The ConfigMaps of a level's `configMapGenerator`, among the resources a replacement
    /// may read (their data as written; kustomize names them with a hash only at the end,
    /// after every replacement).
    pub(super) fn add_config_maps(
        &mut self,
        k: &Kustomization,
        others: &mut Vec<Res>,
    ) -> Result<()> {
        if !self.reads.kind("ConfigMap") || k.config_map_generators.is_empty() {
            return Ok(());
        }
        let settings = Settings {
            mode: render::Mode::Render,
            ..self.settings.clone()
        };
        for g in k.config_map_generators()? {
            let (s, _) = render::render_generator(&g, &Transform::default(), &settings, self.keys)?;
            let mut data = Vec::new();
            let mut binary = Vec::new();
            for (key, e) in &s.data {
                match std::str::from_utf8(e.value.expose()) {
                    Ok(t) => data.push((
                        Cow::Owned(key.to_string()),
                        Node::Str(Cow::Owned(t.to_string())),
                    )),
                    Err(_) => binary.push((
                        Cow::Owned(key.to_string()),
                        Node::Str(Cow::Owned(e.base64.expose().to_string())),
                    )),
                }
            }
            let mut meta = vec![(
                Cow::Borrowed("name"),
                Node::Str(Cow::Owned(s.base_name.clone())),
            )];
            if let Some(ns) = &s.namespace {
                meta.push((
                    Cow::Borrowed("namespace"),
                    Node::Str(Cow::Owned(ns.clone())),
                ));
            }
            let mut node = Node::Map(vec![
                (Cow::Borrowed("apiVersion"), Node::Str(Cow::Borrowed("v1"))),
                (Cow::Borrowed("kind"), Node::Str(Cow::Borrowed("ConfigMap"))),
                (Cow::Borrowed("metadata"), Node::Map(meta)),
            ]);
            if !data.is_empty() {
                set(&mut node, "data", Node::Map(data));
            }
            if !binary.is_empty() {
                set(&mut node, "binaryData", Node::Map(binary));
            }
            let res = Res {
                node: std::sync::Arc::new(node),
                prev: Vec::new(),
                needs_hash: false,
                variant: HashVariant::default(),
                behavior: g.behavior,
                origin: g.loc(),
                key_origins: BTreeMap::new(),
                placeholder: s.placeholder,
                keys_unknown: s.keys_unknown,
                meta: Provenance::Plain,
            };
            absorb_other(others, res);
        }
        Ok(())
    }

    /// A level's `replacements`, in order, over its Secrets and every other resource.
    pub(super) fn replace(
        &mut self,
        k: &Kustomization,
        ra: &mut [Res],
        others: &mut [Res],
    ) -> Result<()> {
        self.replace_entries(k.file(), &k.replacements, ra, others)
    }

    /// Replacements as a kustomization or a `ReplacementTransformer` config lists them:
    /// each inline, or a `path` to a file of them (relative to `kfile`'s directory).
    pub(super) fn replace_entries(
        &mut self,
        kfile: &Path,
        entries: &[yaml::Node],
        ra: &mut [Res],
        others: &mut [Res],
    ) -> Result<()> {
        for entry in entries {
            let (items, file): (Vec<yaml::Node>, PathBuf) = match entry.get("path").and_then(str_of)
            {
                Some(p) => {
                    let dir = kfile.parent().unwrap_or(Path::new("."));
                    let path = dir.join(clean(p));
                    self.restrict(dir, &path, &Loc::at(kfile, entry.mark), "replacements")?;
                    self.files.push(canonical_file(&path));
                    let text = manifest::read_text(&path)?;
                    let docs = yaml::parse_stream(&text).map_err(|e| syntax(&path, e))?;
                    let items = docs
                        .into_iter()
                        .flat_map(|d| match d.as_seq() {
                            Some(s) => s.to_vec(),
                            None => vec![d],
                        })
                        .collect();
                    (items, path)
                }
                None => (vec![entry.clone()], kfile.to_path_buf()),
            };
            for item in &items {
                replace_one(item, &file, ra, others)?;
            }
        }
        Ok(())
    }
}

/// A generated ConfigMap into the resources: merged or replacing one of its name, else added.
fn absorb_other(others: &mut Vec<Res>, res: Res) {
    let id = res.cur();
    let same = others
        .iter()
        .position(|o| gvk(o).2 == "ConfigMap" && o.any_id(&id));
    match (res.behavior, same) {
        (Behavior::Merge, Some(i)) => {
            let old = std::mem::replace(others[i].node_mut(), Node::Null);
            others[i].node =
                std::sync::Arc::new(patch::strategic_merge(old, &res.node).unwrap_or(Node::Null));
        }
        (Behavior::Replace, Some(i)) => {
            let prev = others[i].prev.clone();
            others[i] = res;
            others[i].prev = prev;
        }
        _ => others.push(res),
    }
}

/// One replacement: its value read from the source, set in every field of every target.
fn replace_one(item: &yaml::Node, file: &Path, ra: &mut [Res], others: &mut [Res]) -> Result<()> {
    let loc = Loc::at(file, item.mark);
    let err = |rule: Rule| -> Error { BuildError::new(loc.clone(), rule).into() };
    let (Some(source), Some(targets)) = (
        item.get("source").filter(|s| !s.is_null()),
        item.get("targets").and_then(|t| t.as_seq()),
    ) else {
        return Err(err(Rule::ReplacementIncomplete));
    };
    let sel = Sel::of(source);
    let mut found = ra
        .iter()
        .chain(others.iter())
        .filter(|r| sel.picks_source(r));
    let Some(src) = found.next() else {
        return Err(err(Rule::ReplacementSourceNotFound(source_shown(&sel))));
    };
    if found.next().is_some() {
        return Err(err(Rule::ReplacementSourceSeveral(source_shown(&sel))));
    }
    let field = source
        .get("fieldPath")
        .and_then(str_of)
        .filter(|f| !f.is_empty())
        .unwrap_or("metadata.name");
    let value = lookup(&src.node, &split_path(field)).filter(|v| match v {
        Node::Null => false,
        Node::Map(m) => !m.is_empty(),
        Node::Seq(s) => !s.is_empty(),
        _ => true,
    });
    let Some(value) = value else {
        return Err(err(Rule::ReplacementSourceFieldMissing(field.to_string())));
    };
    let (delimiter, index, _) = options(source.get("options"));
    let mut value = value.clone();
    // A value read from a decrypted Secret's data is decrypted text.
    let decrypted = src.meta == Provenance::Decrypted
        || (gvk(src).2 == "Secret"
            && field.starts_with("data")
            && src.key_origins.values().any(|(_, enc)| *enc));
    let src_origin = src.origin.clone();
    if let Some(d) = delimiter {
        let Some(text) = scalar_text(&value) else {
            return Err(err(Rule::ReplacementDelimiterOnNonScalar));
        };
        let parts: Vec<&str> = text.split(d.as_str()).collect();
        let Some(part) = usize::try_from(index).ok().and_then(|i| parts.get(i)) else {
            return Err(err(Rule::ReplacementIndexOutOfBounds(index)));
        };
        value = Node::Str(Cow::Owned(part.to_string()));
    }
    for t in targets {
        let Some(select) = t.get("select").filter(|s| !s.is_null()) else {
            return Err(err(Rule::ReplacementTargetWithoutSelect));
        };
        let select = Sel::of(select);
        let rejects: Vec<Sel> = t
            .get("reject")
            .and_then(|r| r.as_seq())
            .unwrap_or(&[])
            .iter()
            .map(Sel::of)
            .collect();
        let paths: Vec<String> = match t.get("fieldPaths").and_then(|p| p.as_seq()) {
            Some(p) if !p.is_empty() => p.iter().filter_map(str_of).map(str::to_string).collect(),
            _ => vec!["metadata.name".to_string()],
        };
        let (delimiter, index, create) = options(t.get("options"));
        let tloc = Loc::at(file, t.mark);
        for r in ra.iter_mut().chain(others.iter_mut()) {
            if !select.matches_meta(r, &tloc)? {
                continue;
            }
            let mut rejected = false;
            for rej in &rejects {
                if (!rej.labels.is_empty() || !rej.annotations.is_empty())
                    && rej.matches_meta(r, &tloc)?
                {
                    rejected = true;
                }
                if !rej.id_is_empty() && rej.matches_id(r, &tloc)? {
                    rejected = true;
                }
            }
            if rejected || !select.matches_id(r, &tloc)? {
                continue;
            }
            for p in &paths {
                let parts = split_path(p);
                let mut set_one = |n: &mut Node<'static>| {
                    set_value(n, &value, delimiter.as_deref().map(|d| (d, index)))
                };
                let create_as = create.then_some(&value);
                match each_target(r.node_mut(), &parts, create_as, &mut set_one) {
                    Ok(0) | Err(Miss::NotFound) => {
                        return Err(BuildError::new(
                            tloc.clone(),
                            Rule::ReplacementTargetFieldMissing(p.clone()),
                        )
                        .into());
                    }
                    Ok(_) => {}
                    Err(Miss::NotScalar) => {
                        let rule = Rule::ReplacementDelimiterOnNonScalar;
                        return Err(BuildError::new(tloc.clone(), rule).into());
                    }
                    Err(Miss::OtherType) => {
                        let rule = Rule::ReplacementChangesType;
                        return Err(BuildError::new(tloc.clone(), rule).into());
                    }
                }
                if decrypted {
                    if parts.first().map(String::as_str) == Some("metadata") {
                        r.meta = Provenance::Decrypted;
                    }
                    if let Some(key) = parts.get(1)
                        && matches!(parts[0].as_str(), "data" | "stringData")
                    {
                        r.key_origins
                            .insert(key.clone(), (src_origin.clone(), true));
                    }
                }
            }
        }
    }
    Ok(())
}

/// A source selector as kustomize shows it: `Kind.version.group/name.namespace`.
fn source_shown(s: &Sel) -> String {
    let or = |v: &str, none: &str| {
        if v.is_empty() {
            none.to_string()
        } else {
            v.to_string()
        }
    };
    format!(
        "{}.{}.{}/{}.{}",
        s.kind,
        or(&s.version, "[noVer]"),
        or(&s.group, "[noGrp]"),
        s.name,
        or(&s.namespace, "[noNs]")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_split_on_dots_outside_brackets() {
        assert_eq!(
            split_path("spec.containers.[name=a.b].image"),
            ["spec", "containers", "[name=a.b]", "image"]
        );
        assert_eq!(split_path("metadata.name"), ["metadata", "name"]);
        assert_eq!(
            split_path("metadata.annotations.[cert-manager.io/inject-ca-from]"),
            ["metadata", "annotations", "cert-manager.io/inject-ca-from"]
        );
        assert_eq!(split_path("a\\.b.c"), ["a.b", "c"]);
    }

    #[test]
    fn a_scalar_keeps_its_type_and_a_delimiter_changes_one_part() {
        let mut t = Node::Str(Cow::Borrowed("a/b/c"));
        let v = Node::Number(Cow::Borrowed("5"));
        assert!(set_value(&mut t, &v, Some(("/", 1))).is_ok());
        assert!(matches!(&t, Node::Str(s) if s == "a/5/c"));
        assert!(set_value(&mut t, &v, Some(("/", -1))).is_ok());
        assert!(matches!(&t, Node::Str(s) if s == "5/a/5/c"));
        assert!(set_value(&mut t, &v, Some(("/", 9))).is_ok());
        assert!(matches!(&t, Node::Str(s) if s == "5/a/5/c/5"));
        let mut n = Node::Number(Cow::Borrowed("1"));
        assert!(set_value(&mut n, &Node::Str(Cow::Borrowed("x")), None).is_err());
        assert!(set_value(&mut n, &Node::Str(Cow::Borrowed("7")), None).is_ok());
        assert!(matches!(&n, Node::Number(s) if s == "7"));
    }
}
