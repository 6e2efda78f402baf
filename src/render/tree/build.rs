//! One kustomize build of a tree, restricted to Secrets.
//!
//! In: a kustomization directory. Out: the Secrets `kubectl kustomize DIR` prints, as
//! [`Secret`]s whose `passthrough` is the final document. The order of kustomize's
//! `accumulateTarget` is kept at every level: resources (files, and bases built on their
//! own), generators (with `behavior`), components (on the same accumulator), then the
//! builtin transformers (strategic-merge patches, `patches`, namespace, prefix, suffix,
//! labels, annotations, JSON 6902 patches); the name hash is added once, after the whole
//! build. Refuses what would change a Secret and is not applied here (remote bases, Helm,
//! transformer and generator plugins, replacements into a Secret).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Loc, Result, Warning};
use crate::gate::shown::{Provenance, Text};
use crate::kustomize::hash::{self, HashInput, HashVariant};
use crate::kustomize::manifest::{self, Behavior, Kustomization, Kustomizations, Transform};
use crate::render::{self, Decrypt, LoadRestrictor, Secret, Settings};
use crate::secret::{Entry, Key, read};
use crate::yaml::emit::Node;
use crate::yaml::{self, Mark};

use super::patch::{self, as_str, get, set};

/// A Secret being built, with the ids it had before (kustomize's previous-id annotations).
#[derive(Clone)]
struct Res {
    node: Node<'static>,
    /// Earlier (effective namespace, name) pairs, oldest first.
    prev: Vec<(String, String)>,
    needs_hash: bool,
    variant: HashVariant,
    behavior: Behavior,
    origin: Loc,
    key_origins: BTreeMap<String, (Loc, bool)>,
    placeholder: bool,
    keys_unknown: bool,
    /// `Decrypted` once a patch copied a value into the metadata: its name, namespace and
    /// labels are then described in messages, never quoted.
    meta: Provenance,
}

fn effective(ns: Option<&str>) -> String {
    match ns {
        None | Some("") => "default".to_string(),
        Some(n) => n.to_string(),
    }
}

impl Res {
    fn name(&self) -> String {
        as_str(get(&self.node, "metadata").and_then(|m| get(m, "name")))
            .unwrap_or("")
            .to_string()
    }

    fn namespace(&self) -> Option<String> {
        as_str(get(&self.node, "metadata").and_then(|m| get(m, "namespace")))
            .filter(|n| !n.is_empty())
            .map(str::to_string)
    }

    fn cur(&self) -> (String, String) {
        (effective(self.namespace().as_deref()), self.name())
    }

    /// The current namespace and name as a message may show them, when it is also the id
    /// of `others` (Secrets it conflicts with): described if any of them is decrypted.
    fn shown_id<'a>(&self, others: impl IntoIterator<Item = &'a Res>) -> (Text, Text) {
        let decrypted = self.meta == Provenance::Decrypted
            || others.into_iter().any(|o| o.meta == Provenance::Decrypted);
        let p = Provenance::decrypted_if(decrypted);
        let (ns, name) = self.cur();
        // No namespace written: the `default` it stands for is no input's text.
        let ns_p = if self.namespace().is_some() {
            p
        } else {
            Provenance::Plain
        };
        (Text::new(&ns, ns_p), Text::new(&name, p))
    }

    fn org(&self) -> (String, String) {
        self.prev.first().cloned().unwrap_or_else(|| self.cur())
    }

    fn any_id(&self, id: &(String, String)) -> bool {
        if self.prev.iter().any(|p| p == id) {
            return true;
        }
        // The current id, compared without building it (this runs for every pair of
        // generator and Secret).
        let meta = get(&self.node, "metadata");
        let name = as_str(meta.and_then(|m| get(m, "name"))).unwrap_or("");
        let ns = match as_str(meta.and_then(|m| get(m, "namespace"))) {
            None | Some("") => "default",
            Some(n) => n,
        };
        name == id.1 && ns == id.0
    }

    fn store_prev(&mut self) {
        let c = self.cur();
        self.prev.push(c);
    }

    fn set_meta(&mut self, field: &str, value: Option<&str>) {
        let mut meta = get(&self.node, "metadata")
            .cloned()
            .unwrap_or(Node::Map(Vec::new()));
        match value {
            Some(v) => set(&mut meta, field, Node::Str(Cow::Owned(v.to_string()))),
            None => {
                patch::remove(&mut meta, field);
            }
        }
        set(&mut self.node, "metadata", meta);
    }

    fn string_map(&self, field: &str) -> Vec<(String, String)> {
        match get(&self.node, "metadata").and_then(|m| get(m, field)) {
            Some(Node::Map(m)) => m
                .iter()
                .map(|(k, v)| (k.to_string(), as_str(Some(v)).unwrap_or("").to_string()))
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// A workload or Ingress of the tree, for `check`: where it is written, and its final
/// namespace and name.
#[derive(Clone, Debug)]
pub(crate) struct Work {
    pub(crate) file: PathBuf,
    pub(crate) doc: yaml::Node,
    pub(crate) kind: String,
    pub(crate) name: String,
    pub(crate) namespace: Option<String>,
}

/// The kinds `check` reads.
const CHECKED_KINDS: &[&str] = &[
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

/// kustomize's accumulator, as far as Secrets (and, for `check`, workloads) go.
#[derive(Default, Clone)]
struct Acc {
    res: Vec<Res>,
    works: Vec<Work>,
}

/// A finished build: the Secrets, the names each one had on the way (the names references
/// to it may use, which kustomize rewrites to its final name), and the workloads.
pub(crate) struct Built {
    pub(crate) secrets: Vec<Secret>,
    pub(crate) names: Vec<Vec<String>>,
    pub(crate) works: Vec<Work>,
    /// Every file the build read (kustomizations and resources), canonical.
    pub(crate) files: Vec<PathBuf>,
}

/// What one tree build needs and collects.
pub(crate) struct Build<'a> {
    pub(crate) settings: &'a Settings,
    /// The kustomizations of the run, each read once.
    store: &'a Kustomizations,
    pub(crate) keys: &'a dyn Decrypt,
    /// Accept what secretgen does not apply (a warning instead of an error).
    pub(crate) accept_unapplied: bool,
    pub(crate) warnings: Vec<Warning>,
    /// Kustomizations read.
    pub(crate) read: usize,
    stack: Vec<PathBuf>,
    files: Vec<PathBuf>,
    /// Bases already built (a base builds the same whatever includes it): several overlays
    /// of one base build it once.
    cache: std::collections::HashMap<PathBuf, (Acc, Vec<PathBuf>)>,
}

fn str_of(n: &yaml::Node) -> Option<&str> {
    n.as_str()
}

fn is_remote(s: &str) -> bool {
    s.contains("://")
        || s.starts_with("git@")
        || s.starts_with("github.com/")
        || s.starts_with("gitlab.com/")
        || s.starts_with("bitbucket.org/")
        || s.contains(".git?")
        || s.contains("?ref=")
}

fn syntax(path: &Path, e: yaml::SyntaxError) -> Error {
    e.in_file(path).into()
}

/// The kustomization file of a directory (kustomize refuses a directory with several).
pub(crate) fn kustomization_in(dir: &Path) -> Result<Option<PathBuf>> {
    let found: Vec<PathBuf> = manifest::KUSTOMIZATION_NAMES
        .iter()
        .map(|n| dir.join(n))
        .filter(|p| p.is_file())
        .collect();
    if found.len() > 1 {
        return Err(Error::manifest(
            Loc::file(dir),
            format!(
                "found more than one kustomization file ({}); kustomize needs exactly one",
                found
                    .iter()
                    .filter_map(|p| p.file_name()?.to_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    Ok(found.into_iter().next())
}

fn under_root(dir: &Path, path: &Path) -> std::io::Result<bool> {
    let root = std::fs::canonicalize(if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    })?;
    Ok(std::fs::canonicalize(path)?.starts_with(root))
}

impl<'a> Build<'a> {
    pub(crate) fn new(
        settings: &'a Settings,
        store: &'a Kustomizations,
        keys: &'a dyn Decrypt,
        accept_unapplied: bool,
    ) -> Self {
        Build {
            settings,
            store,
            keys,
            accept_unapplied,
            warnings: Vec::new(),
            read: 0,
            stack: Vec::new(),
            files: Vec::new(),
            cache: Default::default(),
        }
    }

    /// `kubectl kustomize DIR`'s Secrets, unsorted (the caller sorts all outputs together).
    pub(crate) fn build(&mut self, kustomization: &Path) -> Result<Vec<Secret>> {
        self.build_full(kustomization).map(|b| b.secrets)
    }

    /// [`Build::build`] with what `check` needs besides the Secrets.
    pub(crate) fn build_full(&mut self, kustomization: &Path) -> Result<Built> {
        let dir = kustomization
            .parent()
            .unwrap_or(Path::new("."))
            .to_path_buf();
        let dir = if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir
        };
        let acc = self.accumulate(&dir, false, Acc::default(), &Loc::file(kustomization))?;
        let names = acc
            .res
            .iter()
            .filter(|r| !is_local(r))
            .map(|r| {
                let mut n: Vec<String> = r.prev.iter().map(|(_, n)| n.clone()).collect();
                n.push(r.name());
                n.dedup();
                n
            })
            .collect();
        Ok(Built {
            secrets: finish(acc.res)?,
            names,
            works: acc.works,
            files: std::mem::take(&mut self.files),
        })
    }

    fn refuse(&mut self, loc: Loc, message: String) -> Result<()> {
        if self.accept_unapplied {
            self.warnings.push(Warning {
                loc,
                message: format!("{message} (accepted by --accept-unapplied)"),
            });
            return Ok(());
        }
        Err(Error::manifest(
            loc,
            format!(
                "{message}; secretgen cannot apply it, so its Secrets would differ from `kubectl kustomize` (--accept-unapplied renders without it)"
            ),
        ))
    }

    fn accumulate(&mut self, dir: &Path, component: bool, ra: Acc, from: &Loc) -> Result<Acc> {
        let Some(kfile) = kustomization_in(dir)? else {
            return Err(Error::manifest(
                from.clone(),
                format!(
                    "`{}` holds no kustomization.yaml, kustomization.yml or Kustomization",
                    dir.display()
                ),
            ));
        };
        let real = std::fs::canonicalize(dir).map_err(|e| Error::io(dir, "cannot resolve", e))?;
        // kustomize's loader refuses a root equal to or above any root that led to it.
        if let Some(visited) = self.stack.iter().find(|v| v.starts_with(&real)) {
            return Err(Error::manifest(
                from.clone(),
                format!(
                    "cycle: `{}` contains `{}`, a kustomization that includes it (kustomize refuses a base at or above a root it comes from)",
                    real.display(),
                    visited.display()
                ),
            ));
        }
        if !component && let Some((acc, files)) = self.cache.get(&real) {
            self.files.extend(files.iter().cloned());
            return Ok(acc.clone());
        }
        self.stack.push(real.clone());
        let files_before = self.files.len();
        let r = self.accumulate_file(dir, &kfile, component, ra);
        self.stack.pop();
        if !component && let Ok(acc) = &r {
            let files = self.files[files_before..].to_vec();
            self.cache.insert(real, (acc.clone(), files));
        }
        r
    }

    fn accumulate_file(
        &mut self,
        dir: &Path,
        kfile: &Path,
        component: bool,
        acc: Acc,
    ) -> Result<Acc> {
        let k = self.open_kustomization(kfile, component)?;
        self.refusals(&k)?;
        let mut acc = if component { acc } else { Acc::default() };
        let mut ra = std::mem::take(&mut acc.res);

        // Resources: files, then bases each built on its own accumulator.
        self.add_resources(dir, &k, &mut ra, &mut acc.works)?;

        // Generators, merged into what the resources made.
        self.add_generators(&k.unit.generators, &mut ra)?;

        // Components work on this accumulator.
        self.add_components(dir, &k, &mut ra, &mut acc.works)?;

        // Transformers, in kustomize's builtin order.
        for entry in &k.patches_strategic_merge {
            let (text, file, mark) = self.patch_text(dir, kfile, &entry.value, entry.mark)?;
            for d in parse_patch(&file, &text, mark)? {
                smp_by_id(&mut ra, &d, &Loc::at(&file, mark))?;
            }
        }
        for entry in &k.patches {
            self.patch_entry(&mut ra, dir, kfile, entry, false)?;
        }
        transform(&mut ra, &mut acc.works, &k.unit.transform, kfile)?;
        for entry in &k.patches_json6902 {
            self.patch_entry(&mut ra, dir, kfile, entry, true)?;
        }
        acc.res = ra;
        Ok(acc)
    }

    /// A kustomization read (once per run), its warnings kept but those of a flat render
    /// that a tree build does not share, its kind checked against where it is listed.
    fn open_kustomization(
        &mut self,
        kfile: &Path,
        component: bool,
    ) -> Result<std::sync::Arc<Kustomization>> {
        self.read += 1;
        self.files.push(canonical_file(kfile));
        let k = self.store.get(kfile)?;
        self.warnings.extend(
            k.unit
                .warnings
                .iter()
                .filter(|n| !n.kind.dropped_by_tree_build())
                .map(|n| n.warning.clone()),
        );
        if let Some(mark) = k.bases_mark {
            self.warnings.push(Warning {
                loc: Loc::at(kfile, mark),
                message: "`bases` is deprecated; read as more `resources`, as kustomize does (kustomize: 'bases' is deprecated. Please use 'resources' instead. Run 'kustomize edit fix' to update your Kustomization automatically.)".into(),
            });
        }
        if component && !k.is_component {
            return Err(Error::manifest(
                Loc::file(kfile),
                "listed under `components` but its kind is not `Component` (kustomize refuses it)",
            ));
        }
        // kustomize builds a Component named at the top as a kustomization; it refuses one
        // only where it is listed under `resources` (the top is the only root on the stack).
        if !component && k.is_component && self.stack.len() > 1 {
            return Err(Error::manifest(
                Loc::file(kfile),
                "a `kind: Component` listed under `resources` (kustomize refuses it; list it under `components`)",
            ));
        }
        Ok(k)
    }

    /// A kustomization's `resources`: files, then bases each built on its own accumulator.
    fn add_resources(
        &mut self,
        dir: &Path,
        k: &Kustomization,
        ra: &mut Vec<Res>,
        works: &mut Vec<Work>,
    ) -> Result<()> {
        let at = |m: Mark| Loc::at(k.file(), m);
        // kustomize reads the deprecated `bases` as more `resources`, after them.
        for entry in k.resources.iter().chain(&k.bases) {
            let res = entry.value.as_str();
            if is_remote(res) {
                self.refuse(
                    at(entry.mark),
                    format!("`resources` entry `{res}` is a remote base"),
                )?;
                continue;
            }
            // kustomize cleans a path lexically before it reads it (`x/../f` is `f`).
            let path = dir.join(clean(res));
            if path.is_dir() {
                let sub = self.accumulate(&path, false, Acc::default(), &at(entry.mark))?;
                append(ra, sub.res, &at(entry.mark))?;
                works.extend(sub.works);
            } else if path.is_file() {
                self.restrict(dir, &path, &at(entry.mark), "resources")?;
                let (secrets, found) = resources_of(&path, self.keys, self.settings.placeholder)?;
                append(ra, secrets, &at(entry.mark))?;
                works.extend(found);
                self.files.push(canonical_file(&path));
            } else {
                return Err(Error::manifest(
                    at(entry.mark),
                    format!("`resources` entry `{res}` is neither a file nor a directory"),
                ));
            }
        }
        Ok(())
    }

    /// A kustomization's generators, merged into what the resources made.
    fn add_generators(
        &mut self,
        generators: &[manifest::Generator],
        ra: &mut Vec<Res>,
    ) -> Result<()> {
        let settings = Settings {
            mode: render::Mode::Render,
            ..self.settings.clone()
        };
        // Generators are independent until they are merged: rendered on every core when
        // there are many, then absorbed one by one in their order.
        let keys = self.keys;
        let render_one = |g: &manifest::Generator| {
            render::render_generator(g, &Transform::default(), &settings, keys)
        };
        let rendered: Vec<Result<(Secret, Vec<Warning>)>> = if generators.len() >= 64 {
            use rayon::prelude::*;
            generators.par_iter().map(render_one).collect()
        } else {
            generators.iter().map(render_one).collect()
        };
        for (g, r) in generators.iter().zip(rendered) {
            let (mut s, w) = r?;
            self.warnings.extend(w);
            let variant = s.hash.as_ref().map(|(v, _)| *v);
            s.name = s.base_name.clone();
            let node = own(&s.to_node());
            let res = Res {
                node,
                prev: Vec::new(),
                needs_hash: variant.is_some(),
                variant: variant.unwrap_or_default(),
                behavior: g.behavior,
                origin: g.loc(),
                key_origins: s
                    .data
                    .iter()
                    .map(|(k, e)| (k.to_string(), (e.origin.clone(), e.encrypted)))
                    .collect(),
                placeholder: s.placeholder,
                keys_unknown: s.keys_unknown,
                meta: Provenance::Plain,
            };
            let loc = g
                .behavior_mark
                .map(|m| Loc::at(&g.file, m))
                .unwrap_or(g.loc());
            absorb(ra, res, &loc)?;
        }
        Ok(())
    }

    /// A kustomization's `components`, each working on this accumulator.
    fn add_components(
        &mut self,
        dir: &Path,
        k: &Kustomization,
        ra: &mut Vec<Res>,
        works: &mut Vec<Work>,
    ) -> Result<()> {
        let at = |m: Mark| Loc::at(k.file(), m);
        for entry in &k.components {
            let c = entry.value.as_str();
            if is_remote(c) {
                self.refuse(
                    at(entry.mark),
                    format!("`components` entry `{c}` is remote"),
                )?;
                continue;
            }
            let sub = self.accumulate(
                &dir.join(clean(c)),
                true,
                Acc {
                    res: std::mem::take(ra),
                    works: std::mem::take(works),
                },
                &at(entry.mark),
            )?;
            *ra = sub.res;
            *works = sub.works;
        }
        Ok(())
    }

    /// What secretgen does not apply and that may change a Secret.
    fn refusals(&mut self, k: &Kustomization) -> Result<()> {
        let at = |m: Mark| Loc::at(k.file(), m);
        for field in ["helmCharts", "helmChartInflationGenerator"] {
            if let Some(set) = k.non_empty(field) {
                self.refuse(
                    at(set.value),
                    format!("`{field}`: a Helm chart may render Secrets"),
                )?;
            }
        }
        for &mark in &k.transformers {
            self.refuse(
                at(mark),
                "`transformers` entry: a transformer config or plugin may change Secrets".into(),
            )?;
        }
        for entry in &k.generators {
            for d in &entry.foreign {
                // KSOPS configs are run as KSOPS runs them, each on its own (see `ksops`): what
                // the levels of a tree do to their Secrets is not applied, which is said.
                if crate::ksops::is_ksops(d) {
                    self.warnings.push(Warning {
                        loc: at(entry.mark),
                        message: "`generators` entry of kind `ksops`: its Secrets are rendered as KSOPS makes them, without what this tree's levels do to them (namespace, prefixes, labels, patches, behavior); inside kustomize, with secretgen as the KSOPS plugin, they are applied".into(),
                    });
                    continue;
                }
                let kind = d.get("kind").and_then(str_of).unwrap_or("?");
                self.refuse(
                    at(entry.mark),
                    format!(
                        "`generators` entry of kind `{kind}`: a generator plugin may make Secrets"
                    ),
                )?;
            }
        }
        self.refuse_replacements(k)
    }

    /// `replacements` whose targets may select a Secret.
    fn refuse_replacements(&mut self, k: &Kustomization) -> Result<()> {
        let kfile = k.file();
        let at = |m: Mark| Loc::at(kfile, m);
        for entry in &k.replacements {
            let path = entry.get("path").and_then(str_of);
            let loaded;
            let targets_doc: Vec<yaml::Node> = match path {
                Some(p) => {
                    let dir = kfile.parent().unwrap_or(Path::new("."));
                    loaded = manifest::read_text(&dir.join(p))?;
                    yaml::parse_stream(&loaded).map_err(|e| syntax(&dir.join(p), e))?
                }
                None => vec![entry.clone()],
            };
            for d in &targets_doc {
                let items: Vec<&yaml::Node> = match d.as_seq() {
                    Some(s) => s.iter().collect(),
                    None => vec![d],
                };
                for item in items {
                    for t in item.get("targets").and_then(|t| t.as_seq()).unwrap_or(&[]) {
                        let kind = t.get("select").and_then(|s| s.get("kind")).and_then(str_of);
                        if kind.is_none_or(|k| k == "Secret") {
                            self.refuse(
                                at(t.mark),
                                "`replacements` target may select a Secret".into(),
                            )?;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn restrict(&self, dir: &Path, path: &Path, loc: &Loc, field: &str) -> Result<()> {
        if self.settings.load_restrictor == LoadRestrictor::None {
            return Ok(());
        }
        match under_root(dir, path) {
            Ok(true) => Ok(()),
            Ok(false) => Err(Error::manifest(
                loc.clone(),
                format!(
                    "`{field}` file `{}` is outside the kustomization's directory `{}` (kustomize's load restrictor; --load-restrictor LoadRestrictionsNone lifts it)",
                    path.display(),
                    dir.display()
                ),
            )),
            Err(e) => Err(Error::io(path, "cannot resolve", e)),
        }
    }

    /// A patch given inline (several lines) or as a file path.
    fn patch_text(
        &mut self,
        dir: &Path,
        kfile: &Path,
        p: &str,
        mark: Mark,
    ) -> Result<(String, PathBuf, Mark)> {
        if p.contains('\n') || p.trim_start().starts_with('[') || p.trim_start().starts_with('{') {
            return Ok((p.to_string(), kfile.to_path_buf(), mark));
        }
        let path = dir.join(clean(p));
        self.restrict(dir, &path, &Loc::at(kfile, mark), "patch")?;
        let text = manifest::read_text(&path)?;
        // A patch is read by this build, not checked on its own as a manifest.
        self.files.push(canonical_file(&path));
        Ok((text, path, Mark::default()))
    }

    fn patch_entry(
        &mut self,
        ra: &mut Vec<Res>,
        dir: &Path,
        kfile: &Path,
        entry: &yaml::Node,
        json_only: bool,
    ) -> Result<()> {
        let loc = Loc::at(kfile, entry.mark);
        let (text, file, mark) = match (
            entry.get("path").and_then(str_of),
            entry.get("patch").and_then(str_of),
        ) {
            (Some(p), None) => {
                let path = dir.join(clean(p));
                self.restrict(dir, &path, &loc, "patch")?;
                self.files.push(canonical_file(&path));
                (manifest::read_text(&path)?, path, Mark::default())
            }
            (None, Some(p)) => (p.to_string(), kfile.to_path_buf(), entry.mark),
            _ => {
                return Err(Error::manifest(
                    loc,
                    "a patch needs exactly one of `path` and `patch`",
                ));
            }
        };
        let target = entry.get("target").filter(|t| !t.is_null());
        let docs = parse_patch(&file, &text, mark)?;
        let is_json = docs.first().is_some_and(|d| matches!(d, Node::Seq(_)));
        if is_json || json_only {
            let ops = json_ops(docs.first(), &loc)?;
            let Some(target) = target else {
                return Err(Error::manifest(loc, "a JSON 6902 patch needs a `target`"));
            };
            for i in select(ra, target, &loc)? {
                let r = &mut ra[i];
                if !json_only {
                    r.store_prev();
                }
                let meta = patch::json6902(&mut r.node, &ops)
                    .map_err(|m| Error::manifest(loc.clone(), format!("JSON 6902 patch: {m}")))?;
                if meta == Provenance::Decrypted {
                    r.meta = meta;
                }
            }
            return Ok(());
        }
        match target {
            Some(target) => {
                if docs.len() > 1 {
                    return Err(Error::manifest(
                        loc,
                        "several strategic-merge patches in one `patches` entry cannot share a `target` (kustomize refuses it)",
                    ));
                }
                let Some(p) = docs.first() else { return Ok(()) };
                let chosen = select(ra, target, &loc)?;
                apply_smp(ra, &chosen, p);
            }
            None => {
                for d in &docs {
                    smp_by_id(ra, d, &loc)?;
                }
            }
        }
        Ok(())
    }
}

/// The namespace, prefix, suffix, label and annotation transformers of a kustomization.
fn transform(ra: &mut [Res], works: &mut [Work], t: &Transform, kfile: &Path) -> Result<()> {
    for w in works.iter_mut() {
        if let Some(ns) = &t.namespace {
            w.namespace = Some(ns.clone());
        }
        w.name = format!("{}{}{}", t.name_prefix, w.name, t.name_suffix);
    }
    if let Some(ns) = &t.namespace {
        for r in ra.iter_mut() {
            r.store_prev();
            r.set_meta("namespace", Some(ns));
        }
        let mut seen = std::collections::HashMap::new();
        for r in ra.iter() {
            if let Some(first) = seen.insert(r.cur(), r) {
                return Err(Error::manifest(
                    Loc::file(kfile),
                    format!(
                        "`namespace: {ns}` gives two Secrets the same id {} (kustomize: namespace transformation produces ID conflict)",
                        r.shown_id([first]).1
                    ),
                ));
            }
        }
    }
    if !t.name_prefix.is_empty() {
        for r in ra.iter_mut() {
            r.store_prev();
            let n = format!("{}{}", t.name_prefix, r.name());
            r.set_meta("name", Some(&n));
        }
    }
    if !t.name_suffix.is_empty() {
        for r in ra.iter_mut() {
            r.store_prev();
            let n = format!("{}{}", r.name(), t.name_suffix);
            r.set_meta("name", Some(&n));
        }
    }
    for (field, map) in [("labels", &t.labels), ("annotations", &t.annotations)] {
        if map.is_empty() {
            continue;
        }
        for r in ra.iter_mut() {
            let m = patch::meta_map(&mut r.node, field);
            for (k, (v, _)) in map {
                match m.iter_mut().find(|(mk, _)| mk == k) {
                    Some(e) => e.1 = Node::Str(Cow::Owned(v.clone())),
                    None => m.push((Cow::Owned(k.clone()), Node::Str(Cow::Owned(v.clone())))),
                }
            }
        }
    }
    Ok(())
}

/// An owned copy of an emitter tree.
fn own(n: &Node<'_>) -> Node<'static> {
    match n {
        Node::Str(s) => Node::Str(Cow::Owned(s.to_string())),
        Node::Bool(b) => Node::Bool(*b),
        Node::Null => Node::Null,
        Node::Number(s) => Node::Number(Cow::Owned(s.to_string())),
        Node::Map(m) => Node::Map(
            m.iter()
                .map(|(k, v)| (Cow::Owned(k.to_string()), own(v)))
                .collect(),
        ),
        Node::Seq(s) => Node::Seq(s.iter().map(own).collect()),
    }
}

fn parse_patch(file: &Path, text: &str, base: Mark) -> Result<Vec<Node<'static>>> {
    let docs = yaml::parse_stream(text).map_err(|mut e| {
        if base != Mark::default() {
            e.mark = base;
        }
        e.in_file(file)
    })?;
    Ok(docs
        .iter()
        .filter(|d| !d.is_null())
        .map(render::to_emit)
        .collect())
}

fn json_ops(doc: Option<&Node<'static>>, loc: &Loc) -> Result<Vec<patch::Op>> {
    let Some(Node::Seq(items)) = doc else {
        return Err(Error::manifest(
            loc.clone(),
            "a JSON 6902 patch is a list of operations",
        ));
    };
    let mut ops = Vec::new();
    for item in items {
        let field = |k: &str| as_str(get(item, k)).map(str::to_string);
        let (Some(op), Some(path)) = (field("op"), field("path")) else {
            return Err(Error::manifest(
                loc.clone(),
                "each JSON 6902 operation needs `op` and `path`",
            ));
        };
        ops.push(patch::Op {
            op,
            path,
            from: field("from"),
            value: get(item, "value").cloned(),
        });
    }
    Ok(ops)
}

/// kustomize's `Select` for Secrets: kind/version/group, then name and namespace as
/// anchored regular expressions against the original or the current id, then selectors.
fn select(ra: &[Res], target: &yaml::Node, loc: &Loc) -> Result<Vec<usize>> {
    let field = |k: &str| target.get(k).and_then(str_of).unwrap_or("");
    let kind = field("kind");
    let version = field("version");
    let group = field("group");
    if (!kind.is_empty() && kind != "Secret")
        || (!version.is_empty() && version != "v1")
        || !group.is_empty()
    {
        return Ok(Vec::new());
    }
    let bad = |m: patch::Error| Error::manifest(loc.clone(), format!("patch target: {m}"));
    let name = patch::pattern(field("name")).map_err(bad)?;
    let ns = patch::pattern(field("namespace")).map_err(bad)?;
    let mut out = Vec::new();
    for (i, r) in ra.iter().enumerate() {
        let (org, cur) = (r.org(), r.cur());
        if let Some(re) = &ns
            && !re.is_match(&org.0)
            && !re.is_match(&cur.0)
        {
            continue;
        }
        if let Some(re) = &name
            && !re.is_match(&org.1)
            && !re.is_match(&cur.1)
        {
            continue;
        }
        let ls = field("labelSelector");
        if !ls.is_empty()
            && !patch::label_selector_matches(ls, &r.string_map("labels")).map_err(bad)?
        {
            continue;
        }
        let an = field("annotationSelector");
        if !an.is_empty()
            && !patch::label_selector_matches(an, &r.string_map("annotations")).map_err(bad)?
        {
            continue;
        }
        out.push(i);
    }
    Ok(out)
}

fn apply_smp(ra: &mut Vec<Res>, chosen: &[usize], p: &Node<'static>) {
    let mut deleted = Vec::new();
    for &i in chosen {
        let r = &mut ra[i];
        let (name, ns) = (r.name(), r.namespace());
        let node = std::mem::replace(&mut r.node, Node::Null);
        match patch::strategic_merge(node, p) {
            Some(n) => {
                r.node = n;
                r.set_meta("name", Some(&name));
                r.set_meta("namespace", ns.as_deref());
                set(&mut r.node, "kind", Node::Str("Secret".into()));
            }
            None => deleted.push(i),
        }
    }
    for i in deleted.into_iter().rev() {
        ra.remove(i);
    }
}

/// A strategic-merge patch without a target: it names its Secret.
fn smp_by_id(ra: &mut Vec<Res>, p: &Node<'static>, loc: &Loc) -> Result<()> {
    if as_str(get(p, "kind")) != Some("Secret") {
        return Ok(());
    }
    let meta = get(p, "metadata");
    let name = as_str(meta.and_then(|m| get(m, "name"))).unwrap_or("");
    let ns = as_str(meta.and_then(|m| get(m, "namespace")));
    let id = (effective(ns), name.to_string());
    let found: Vec<usize> = (0..ra.len()).filter(|&i| ra[i].any_id(&id)).collect();
    match found.len() {
        1 => {
            apply_smp(ra, &found, p);
            Ok(())
        }
        0 => Err(Error::manifest(
            loc.clone(),
            format!(
                "no Secret `{name}` in namespace `{}` for this strategic-merge patch (kustomize: no resource matches strategic merge patch)",
                id.0
            ),
        )),
        _ => Err(Error::manifest(
            loc.clone(),
            format!("several Secrets match the strategic-merge patch for `{name}`"),
        )),
    }
}

/// kustomize's `Append`: a second resource with the same current id is an error.
fn append(ra: &mut Vec<Res>, new: Vec<Res>, loc: &Loc) -> Result<()> {
    let mut ids: std::collections::HashSet<(String, String)> = ra.iter().map(Res::cur).collect();
    for r in new {
        if ids.insert(r.cur()) {
            ra.push(r);
            continue;
        }
        let first = ra.iter().find(|o| o.cur() == r.cur());
        let (ns, name) = r.shown_id(first);
        return Err(Error::manifest(
            loc.clone(),
            format!(
                "Secret {name} in namespace {ns} is made twice (by {} and {}); kustomize: may not add resource with an already registered id",
                first.map(|o| o.origin.to_string()).unwrap_or_default(),
                r.origin
            ),
        ));
    }
    Ok(())
}

/// kustomize's `appendReplaceOrMerge` for a generated Secret.
fn absorb(ra: &mut Vec<Res>, mut res: Res, loc: &Loc) -> Result<()> {
    let id = res.cur();
    let matches: Vec<usize> = (0..ra.len()).filter(|&i| ra[i].any_id(&id)).collect();
    let (ns, name) = res.shown_id(matches.iter().map(|&i| &ra[i]));
    match (matches.as_slice(), res.behavior) {
        ([], Behavior::Create) => {
            ra.push(res);
            Ok(())
        }
        ([], b) => Err(Error::manifest(
            loc.clone(),
            format!(
                "`behavior: {}` for Secret {name} (namespace {ns}), but no such Secret comes from the resources, bases and generators before it (kustomize: id does not exist; cannot merge or replace)",
                b.as_str()
            ),
        )),
        ([i], Behavior::Create) => Err(Error::manifest(
            loc.clone(),
            format!(
                "Secret {name} (namespace {ns}) already exists (from {}); a generator of the same name needs `behavior: merge` or `replace` (kustomize: id exists)",
                ra[*i].origin
            ),
        )),
        ([i], b) => {
            merge_into(&mut res, &ra[*i], b);
            ra[*i] = res;
            Ok(())
        }
        (_, _) => Err(Error::manifest(
            loc.clone(),
            format!(
                "several Secrets could take {name} (namespace {ns}); kustomize refuses an ambiguous merge"
            ),
        )),
    }
}

/// A generated Secret taking the place of the one it merges with or replaces (`old`).
fn merge_into(res: &mut Res, old: &Res, b: Behavior) {
    // CopyMergeMetaDataFieldsFrom: labels and annotations merged (the new one wins),
    // the old name, namespace and ids kept; a hash only if both ask for one.
    for field in ["labels", "annotations"] {
        let mut merged = old.string_map(field);
        for (k, v) in res.string_map(field) {
            match merged.iter_mut().find(|(mk, _)| *mk == k) {
                Some(e) => e.1 = v,
                None => merged.push((k, v)),
            }
        }
        let mut meta = get(&res.node, "metadata")
            .cloned()
            .unwrap_or(Node::Map(Vec::new()));
        if merged.is_empty() {
            patch::remove(&mut meta, field);
        } else {
            set(
                &mut meta,
                field,
                Node::Map(
                    merged
                        .into_iter()
                        .map(|(k, v)| (Cow::Owned(k), Node::Str(Cow::Owned(v))))
                        .collect(),
                ),
            );
        }
        set(&mut res.node, "metadata", meta);
    }
    res.set_meta("name", Some(&old.name()));
    res.set_meta("namespace", old.namespace().as_deref());
    if old.meta == Provenance::Decrypted {
        res.meta = old.meta;
    }
    res.prev = old.prev.clone();
    res.needs_hash = res.needs_hash && old.needs_hash;
    res.origin = old.origin.clone();
    if b == Behavior::Merge {
        let mut data = match get(&old.node, "data") {
            Some(Node::Map(m)) => m.clone(),
            _ => Vec::new(),
        };
        if let Some(Node::Map(new)) = get(&res.node, "data") {
            for (k, v) in new {
                match data.iter_mut().find(|(dk, _)| dk == k) {
                    Some(e) => e.1 = v.clone(),
                    None => data.push((k.clone(), v.clone())),
                }
            }
        }
        set(&mut res.node, "data", Node::Map(data));
        let mut origins = old.key_origins.clone();
        origins.extend(std::mem::take(&mut res.key_origins));
        res.key_origins = origins;
        res.placeholder |= old.placeholder;
        res.keys_unknown |= old.keys_unknown;
    }
}

fn canonical_file(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

fn is_local(r: &Res) -> bool {
    r.string_map("annotations")
        .iter()
        .any(|(k, v)| k == "config.kubernetes.io/local-config" && v == "true")
}

/// The v1 Secrets of a `resources` file, and the workloads `check` reads. A SOPS-encrypted
/// file is opened as every reader of resources opens it (`render::resources::open_sops`):
/// decrypted, or a placeholder under `--placeholder`; never read as the ciphertext it is.
fn resources_of(
    path: &Path,
    keys: &dyn Decrypt,
    placeholder: bool,
) -> Result<(Vec<Res>, Vec<Work>)> {
    use crate::render::resources::{self as sops_res, SopsResource};
    let text = manifest::read_text(path)?;
    let mut docs = yaml::parse_stream(&text).map_err(|e| syntax(path, e))?;
    let mut decrypted = false;
    if let Some(first) = docs.first().filter(|d| sops_res::is_sops_doc(d)) {
        match sops_res::open_sops(path, first, keys, placeholder)? {
            SopsResource::Decrypted(plain) => {
                docs = plain;
                decrypted = true;
            }
            SopsResource::Placeholder => {
                let s = sops_res::sops_placeholder(path, first, &Transform::default())?;
                let res = Res {
                    node: own(&s.to_node()),
                    prev: Vec::new(),
                    needs_hash: false,
                    variant: HashVariant::default(),
                    behavior: Behavior::Create,
                    origin: Loc::at(path, first.mark),
                    key_origins: s
                        .data
                        .iter()
                        .map(|(k, e)| (k.to_string(), (e.origin.clone(), e.encrypted)))
                        .collect(),
                    placeholder: true,
                    keys_unknown: s.keys_unknown,
                    // Under the placeholder, the names are read from the encrypted file,
                    // where sops left them in clear.
                    meta: Provenance::Plain,
                };
                return Ok((vec![res], Vec::new()));
            }
        }
    } else if let Some(d) = docs.iter().find(|d| sops_res::is_sops_doc(d)) {
        return Err(Error::manifest(
            Loc::at(path, d.mark),
            "a document with SOPS metadata (`sops.mac`) after a first document without it; sops encrypts a file as a whole, so this file cannot be opened",
        ));
    }
    let mut out = Vec::new();
    let mut works = Vec::new();
    for d in &docs {
        let kind = d.get("kind").and_then(str_of).unwrap_or("");
        let is_secret = kind == "Secret" && d.get("apiVersion").and_then(str_of) == Some("v1");
        if !is_secret {
            if CHECKED_KINDS.contains(&kind) {
                let meta = d.get("metadata");
                works.push(Work {
                    file: path.to_path_buf(),
                    doc: d.clone(),
                    kind: kind.to_string(),
                    name: meta
                        .and_then(|m| m.get("name"))
                        .and_then(str_of)
                        .unwrap_or("?")
                        .to_string(),
                    namespace: meta
                        .and_then(|m| m.get("namespace"))
                        .and_then(str_of)
                        .map(str::to_string),
                });
            }
            continue;
        }
        let loc = Loc::at(path, d.mark);
        let name = d
            .get("metadata")
            .and_then(|m| m.get("name"))
            .and_then(str_of);
        if name.is_none_or(str::is_empty) {
            return Err(Error::manifest(
                loc,
                "a Secret resource without metadata.name",
            ));
        }
        let mut key_origins = BTreeMap::new();
        for field in ["data", "stringData"] {
            for (k, _) in d.get(field).and_then(|n| n.as_map()).unwrap_or(&[]) {
                if let Some(k2) = k.as_str() {
                    key_origins.insert(k2.to_string(), (Loc::at(path, k.mark), decrypted));
                }
            }
        }
        out.push(Res {
            node: render::to_emit(d),
            prev: Vec::new(),
            needs_hash: false,
            variant: HashVariant::default(),
            behavior: Behavior::Create,
            origin: loc,
            key_origins,
            placeholder: false,
            keys_unknown: false,
            meta: Provenance::decrypted_if(decrypted),
        });
    }
    Ok((out, works))
}

/// The end of kustomize's build: hash suffixes on the whole result, local configs dropped.
fn finish(ra: Vec<Res>) -> Result<Vec<Secret>> {
    use rayon::prelude::*;
    let ra: Vec<Res> = ra.into_iter().filter(|r| !is_local(r)).collect();
    if ra.len() >= 64 {
        ra.into_par_iter().map(finish_one).collect()
    } else {
        ra.into_iter().map(finish_one).collect()
    }
}

/// One Secret at the end of the build: hashed (when asked) and named.
fn finish_one(mut r: Res) -> Result<Secret> {
    let annotations = r.string_map("annotations");
    let base_name = r.name();
    let type_ = as_str(get(&r.node, "type")).unwrap_or("").to_string();
    let immutable = matches!(get(&r.node, "immutable"), Some(Node::Bool(true)));
    let (entries, suffix) = decode_and_hash(&r, &base_name, &type_, immutable)?;
    let hashed = suffix.map(|suffix| {
        r.set_meta("name", Some(&format!("{base_name}-{suffix}")));
        (r.variant, suffix)
    });
    Ok(Secret {
        name: r.name(),
        base_name,
        namespace: r.namespace(),
        type_: if type_.is_empty() {
            "Opaque".into()
        } else {
            type_
        },
        explicit_type: true,
        labels: r.string_map("labels").into_iter().collect(),
        annotations: annotations.into_iter().collect(),
        data: entries,
        immutable,
        hash: hashed,
        origin: r.origin.clone(),
        passthrough: Some(r.node),
        placeholder: r.placeholder,
        keys_unknown: r.keys_unknown,
        kubectl_output: false,
        meta: r.meta,
    })
}

/// A finished Secret's values decoded, and its name's hash suffix when it needs one.
fn decode_and_hash(
    r: &Res,
    base_name: &str,
    type_: &str,
    immutable: bool,
) -> Result<(BTreeMap<Key, Entry>, Option<String>)> {
    // Borrowed from the document: the values are not copied to be hashed or decoded.
    let pairs = |field: &str| -> Vec<(&str, &str)> {
        match get(&r.node, field) {
            Some(Node::Map(m)) => m
                .iter()
                .map(|(k, v)| (k.as_ref(), as_str(Some(v)).unwrap_or("")))
                .collect(),
            _ => Vec::new(),
        }
    };
    let data = pairs("data");
    let string_data =
        matches!(get(&r.node, "stringData"), Some(Node::Map(_))).then(|| pairs("stringData"));
    let suffix = r.needs_hash.then(|| {
        hash::suffix(&HashInput {
            variant: r.variant,
            name: base_name,
            type_,
            kubectl_type: Some(type_),
            data: &data,
            string_data: string_data.as_deref(),
            immutable,
        })
    });
    let origin_of = |k: &str| {
        r.key_origins
            .get(k)
            .cloned()
            .unwrap_or_else(|| (r.origin.clone(), false))
    };
    let fields = [
        (&data[..], true),
        (string_data.as_deref().unwrap_or(&[]), false),
    ];
    let written = fields.into_iter().flat_map(|(pairs, base64)| {
        pairs.iter().map(move |&(key, value)| {
            let (origin, encrypted) = origin_of(key);
            read::Written {
                key,
                value,
                base64,
                origin,
                encrypted,
                at: None,
            }
        })
    });
    let how = read::Reading {
        encrypted: r.meta == Provenance::Decrypted,
        ..read::Reading::BUILT
    };
    let entries = read::entries(written, base_name, &how)?;
    Ok((entries, suffix))
}

/// A kustomization's path entry cleaned lexically, as kustomize cleans it before reading.
fn clean(entry: &str) -> String {
    crate::kustomize::source::clean_slash_path(entry)
}
