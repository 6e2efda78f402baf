//! One kustomize build of a tree, restricted to Secrets.
//!
//! In: a kustomization directory. Out: the Secrets `kubectl kustomize DIR` prints, as
//! [`Secret`]s whose `passthrough` is the final document. The order of kustomize's
//! `accumulateTarget` is kept at every level: resources (files, and bases built on their
//! own), generators (with `behavior`; KSOPS configs among them), components (on the same
//! accumulator), then the builtin transformers (strategic-merge patches, `patches`,
//! namespace, prefix, suffix, labels, annotations, JSON 6902 patches, replacements); the
//! name hash is added once, after the whole build. Refuses what would change a Secret and is
//! not applied here (remote bases, Helm, transformer plugins, generator plugins other than
//! KSOPS).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Loc, Result, Warning};
use crate::gate::shown::{Provenance, Text};
use crate::kustomize::hash::{self, HashInput, HashVariant};
use crate::kustomize::manifest::{self, Behavior, Kustomization, Kustomizations, Transform};
use crate::render::{self, Decrypt, Secret, Settings};
use crate::secret::{Entry, Key, read};
use crate::yaml::emit::Node;
use crate::yaml::{self, Mark};

use super::patch::{self, as_str, get, set};

mod error;
mod finish;
mod ksops;
mod merge;
mod patches;
mod refuse;
mod replace;
mod resource;
mod transform;
mod transformers;
mod vars;

pub(crate) use error::BuildError;
use error::Rule;
use finish::*;
pub use ksops::{Generated, GeneratorPlugin};
use merge::*;
use patches::*;
use refuse::*;
use replace::*;
use resource::*;
use transform::*;
use vars::*;

/// kustomize's accumulator, as far as Secrets (and, for `check`, workloads) go.
#[derive(Default, Clone)]
struct Acc {
    res: Vec<Res>,
    works: Vec<Work>,
    /// Every resource that is not a Secret, kept (and transformed) only when a level of the
    /// tree has replacements, which may read any of them.
    others: Vec<Res>,
    /// The `vars` of the levels built so far.
    vars: Vec<Var>,
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
    /// How many times each level (its real directory) is reached other than as a component,
    /// by the trees announced ([`Build::expect`]) or else the tree being built: a level
    /// reached once is not kept in `cache`, which would copy what it built.
    visits: std::collections::HashMap<PathBuf, usize>,
    /// The trees to come were announced: their visits are counted already.
    expected: bool,
    /// The generator plugin that runs the configs a kustomization lists under `generators`
    /// (KSOPS), given by the layer above; without it such configs are refused.
    plugin: Option<&'a dyn GeneratorPlugin>,
    /// The resources kept besides Secrets: those the replacements, vars and patches of the
    /// tree being built read ([`replace::resources_read`]).
    reads: Reads,
    /// Keep the workloads and Ingresses too, for `check` ([`Build::reading_workloads`]).
    works: bool,
}

/// The kustomization file of a directory (kustomize refuses a directory with several), as
/// the run's `store` found it.
pub(crate) fn kustomization_in(dir: &Path, store: &Kustomizations) -> Result<Option<PathBuf>> {
    let names = store.names_in(dir);
    if names.len() > 1 {
        let names = names.into_iter().map(str::to_string).collect();
        return Err(BuildError::new(Loc::file(dir), Rule::SeveralKustomizations(names)).into());
    }
    Ok(names.first().map(|n| dir.join(n)))
}

impl<'a> Build<'a> {
    pub(crate) fn new(
        settings: &'a Settings,
        store: &'a Kustomizations,
        keys: &'a dyn Decrypt,
        accept_unapplied: bool,
        plugin: Option<&'a dyn GeneratorPlugin>,
    ) -> Self {
        Build {
            plugin,
            settings,
            store,
            keys,
            accept_unapplied,
            warnings: Vec::new(),
            read: 0,
            stack: Vec::new(),
            files: Vec::new(),
            cache: Default::default(),
            visits: Default::default(),
            expected: false,
            reads: Reads::Secrets,
            works: false,
        }
    }

    /// A builder that keeps the workloads and Ingresses of every tree (for `check`); one
    /// that only renders keeps them only where a patch may apply to them.
    pub(crate) fn reading_workloads(mut self) -> Self {
        self.works = true;
        self
    }

    /// The kustomizations this builder will build, in any order: a level they share is
    /// built once and kept for the others.
    pub(crate) fn expect(mut self, kustomizations: &[PathBuf]) -> Self {
        for k in kustomizations {
            self.count_visits(&top_dir(k), false, &mut Vec::new());
        }
        self.expected = true;
        self
    }

    /// Counts the times [`Build::accumulate`] reaches each level from `dir`, as it reaches
    /// them: a level is descended into on its first visit only (the next ones are served
    /// from `cache`), a component on each; `stack` stops a cycle, which the build reports.
    fn count_visits(&mut self, dir: &Path, component: bool, stack: &mut Vec<PathBuf>) {
        let (Ok(Some(kfile)), Ok(real)) = (
            kustomization_in(dir, self.store),
            crate::gate::resolve::real_dir(dir),
        ) else {
            return;
        };
        if stack.iter().any(|v| v.starts_with(&real)) {
            return;
        }
        if !component {
            let n = self.visits.entry(real.clone()).or_default();
            *n += 1;
            if *n > 1 {
                return;
            }
        }
        let Ok(k) = self.store.get(&kfile) else {
            return;
        };
        stack.push(real);
        // A `resources` file read with the kustomization is no directory.
        let entries = k
            .build_resources()
            .map(|(e, read)| (e, read.is_some(), false));
        for (entry, read, component) in entries.chain(k.components.iter().map(|e| (e, false, true)))
        {
            let path = dir.join(clean(&entry.value));
            if !read && !is_remote(&entry.value) && path.is_dir() {
                self.count_visits(&path, component, stack);
            }
        }
        stack.pop();
    }

    /// `kubectl kustomize DIR`'s Secrets, unsorted (the caller sorts all outputs together).
    pub(crate) fn build(&mut self, kustomization: &Path) -> Result<Vec<Secret>> {
        self.build_full(kustomization).map(|b| b.secrets)
    }

    /// [`Build::build`] with what `check` needs besides the Secrets.
    pub(crate) fn build_full(&mut self, kustomization: &Path) -> Result<Built> {
        let dir = top_dir(kustomization);
        if !self.expected {
            self.visits.clear();
            self.count_visits(&dir, false, &mut Vec::new());
        }
        let reads = resources_read(kustomization, self.store);
        if reads != self.reads {
            // A base built without its other resources cannot serve a tree that reads them.
            self.cache.clear();
            self.reads = reads;
        }
        let acc = self.accumulate(&dir, false, Acc::default(), &Loc::file(kustomization))?;
        let kept: Vec<Res> = if acc.vars.is_empty() {
            Vec::new()
        } else {
            acc.res.iter().filter(|r| !is_local(r)).cloned().collect()
        };
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
        let mut secrets = finish(acc.res)?;
        resolve_vars(&acc.vars, &kept, &mut secrets, &acc.others)?;
        Ok(Built {
            secrets,
            names,
            works: as_patched(acc.works, &acc.others),
            files: std::mem::take(&mut self.files),
        })
    }

    fn accumulate(&mut self, dir: &Path, component: bool, ra: Acc, from: &Loc) -> Result<Acc> {
        let Some(kfile) = kustomization_in(dir, self.store)? else {
            return Err(crate::kustomize::Error::NoKustomization {
                loc: from.clone(),
                dir: dir.to_path_buf(),
            }
            .into());
        };
        let real =
            crate::gate::resolve::real_dir(dir).map_err(|e| Error::io(dir, "cannot resolve", e))?;
        // kustomize's loader refuses a root equal to or above any root that led to it.
        if let Some(visited) = self.stack.iter().find(|v| v.starts_with(&real)) {
            return Err(crate::kustomize::Error::Cycle {
                loc: from.clone(),
                dir: real,
                visited: visited.clone(),
            }
            .into());
        }
        if !component && let Some((acc, files)) = self.cache.get(&real) {
            self.files.extend(files.iter().cloned());
            return Ok(acc.clone());
        }
        self.stack.push(real.clone());
        let files_before = self.files.len();
        let r = self.accumulate_file(dir, &kfile, component, ra);
        self.stack.pop();
        let again = self.visits.get(&real).is_some_and(|&n| n > 1);
        if !component
            && again
            && let Ok(acc) = &r
        {
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
        self.add_resources(dir, &k, &mut ra, &mut acc)?;

        // Generators, merged into what the resources made (ConfigMaps first, as kustomize).
        self.add_config_maps(&k, &mut acc.others)?;
        self.add_generators(dir, &k, &mut ra)?;

        // Components work on this accumulator.
        self.add_components(dir, &k, &mut ra, &mut acc)?;

        // Transformers, in kustomize's builtin order.
        for entry in &k.patches_strategic_merge {
            let (text, file, mark) = self.patch_text(dir, kfile, &entry.value, entry.mark)?;
            for d in parse_patch(&file, &text, mark)? {
                let loc = Loc::at(&file, mark);
                if smp_by_id_other(&mut acc.others, &d, &loc) {
                    continue;
                }
                smp_by_id(&mut ra, &d, &loc, Allow::default())?;
            }
        }
        for entry in &k.patches {
            self.patch_entry(&mut ra, &mut acc.others, dir, kfile, entry, false)?;
        }
        transform(&mut ra, &mut acc.works, &k.unit.transform, kfile)?;
        transform_others(&mut acc.others, &k.unit.transform);
        for entry in &k.patches_json6902 {
            self.patch_entry(&mut ra, &mut acc.others, dir, kfile, entry, true)?;
        }
        self.replace(&k, &mut ra, &mut acc.others)?;
        self.run_transformers(dir, &k, &mut ra, &mut acc.others)?;
        self.merge_vars(&k, &ra, &acc.others, &mut acc.vars)?;
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
        if let Some(v) = k.vars.first() {
            self.warnings.push(Warning {
                loc: Loc::at(kfile, v.mark),
                message: "`vars` is deprecated; applied as kustomize applies them (kustomize: 'vars' is deprecated. Please use 'replacements' instead.)".into(),
            });
        }
        if component && !k.is_component {
            return Err(BuildError::new(Loc::file(kfile), Rule::NotAComponent).into());
        }
        // kustomize builds a Component named at the top as a kustomization; it refuses one
        // only where it is listed under `resources` (the top is the only root on the stack).
        if !component && k.is_component && self.stack.len() > 1 {
            return Err(BuildError::new(Loc::file(kfile), Rule::ComponentInResources).into());
        }
        Ok(k)
    }

    /// A kustomization's `resources`: files, then bases each built on its own accumulator.
    fn add_resources(
        &mut self,
        dir: &Path,
        k: &Kustomization,
        ra: &mut Vec<Res>,
        acc: &mut Acc,
    ) -> Result<()> {
        let at = |m: Mark| Loc::at(k.file(), m);
        // `resources`, then the deprecated `bases` (see `Kustomization::build_resources`).
        for (entry, read) in k.build_resources() {
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
            // A file read with the kustomization (by the same clean path) is a file; anything
            // else, one `stat` answers both questions.
            let meta = read
                .is_none()
                .then(|| std::fs::metadata(&path).ok())
                .flatten();
            let is_file = read.is_some() || meta.as_ref().is_some_and(|m| m.is_file());
            if meta.as_ref().is_some_and(|m| m.is_dir()) {
                let sub = self.accumulate(&path, false, Acc::default(), &at(entry.mark))?;
                append(ra, sub.res, &at(entry.mark))?;
                acc.works.extend(sub.works);
                acc.others.extend(sub.others);
                merge_var_sets(&mut acc.vars, sub.vars)?;
            } else if is_file {
                self.restrict(dir, &path, &at(entry.mark), "resources")?;
                // The documents read with the kustomization hold every Secret; a build that
                // reads other kinds has those parsed from the rest of the file.
                let (reads, works) = (&self.reads, self.works);
                let also =
                    |kind: &str| reads.kind(kind) || (works && CHECKED_KINDS.contains(&kind));
                let docs = match read {
                    Some(f) if *reads == Reads::Every => {
                        Some(Cow::Borrowed(f.all_docs().map_err(|e| syntax(&path, e))?))
                    }
                    Some(f) if *reads == Reads::Secrets && !works => Some(Cow::Borrowed(f.docs())),
                    Some(f) => Some(f.docs_also(also).map_err(|e| syntax(&path, e))?),
                    None => None,
                };
                let (secrets, found, others) = resources_of(
                    &path,
                    docs.as_deref(),
                    self.keys,
                    self.settings.placeholder,
                    &self.reads,
                )?;
                append(ra, secrets, &at(entry.mark))?;
                acc.works.extend(found);
                acc.others.extend(others);
                self.files.push(canonical_file(&path));
            } else {
                return Err(BuildError::new(
                    at(entry.mark),
                    Rule::NotFileOrDirectory(res.to_string()),
                )
                .into());
            }
        }
        Ok(())
    }

    /// A kustomization's generators, merged into what the resources made, in kustomize's
    /// order: `secretGenerator`, then the `generators` documents as written (SecretGenerator
    /// configs and KSOPS configs alike; other plugins are refused before).
    fn add_generators(&mut self, dir: &Path, k: &Kustomization, ra: &mut Vec<Res>) -> Result<()> {
        let generators = &k.unit.generators[..];
        let settings = Settings {
            mode: render::Mode::Build,
            ..self.settings.clone()
        };
        // Generators are independent until they are merged: rendered on every core when
        // there are many, then absorbed one by one in their order.
        let keys = self.keys;
        // Each generator's Secret becomes its resource on the same core.
        let render_one = |g: &manifest::Generator| -> Result<(Res, Vec<Warning>)> {
            let (mut s, w) = render::render_generator(g, &Transform::default(), &settings, keys)?;
            let variant = s.hash.as_ref().map(|(v, _)| *v);
            s.name = s.base_name.clone();
            let res = Res {
                node: std::sync::Arc::new(own(&s.to_node())),
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
            Ok((res, w))
        };
        let rendered: Vec<Result<(Res, Vec<Warning>)>> = if generators.len() >= 64 {
            use rayon::prelude::*;
            generators.par_iter().map(render_one).collect()
        } else {
            generators.iter().map(render_one).collect()
        };
        // The KSOPS configs, each with how many of `generators` come before it.
        let plugin = self.plugin;
        let mut configs = k.generators.iter().flat_map(|entry| {
            let file = entry.file.as_deref().unwrap_or(k.file());
            let loc = Loc::at(k.file(), entry.mark);
            entry
                .foreign
                .iter()
                .zip(&entry.foreign_at)
                .filter(|(d, _)| plugin.is_some_and(|p| p.runs(d)))
                .map(move |(d, &at)| (at, d, file, loc.clone()))
        });
        let mut next = configs.next();
        for (i, r) in rendered.into_iter().enumerate() {
            while let Some((_, d, file, loc)) = next.take_if(|(at, ..)| *at <= i) {
                self.add_ksops(dir, file, d, &loc, ra)?;
                next = configs.next();
            }
            let g = &generators[i];
            let (res, w) = r?;
            self.warnings.extend(w);
            let loc = g
                .behavior_mark
                .map(|m| Loc::at(&g.file, m))
                .unwrap_or(g.loc());
            absorb(ra, res, &loc)?;
        }
        while let Some((_, d, file, loc)) = next {
            self.add_ksops(dir, file, d, &loc, ra)?;
            next = configs.next();
        }
        Ok(())
    }

    /// A KSOPS config's Secrets absorbed as a generator's (see `ksops`); `loc` is the
    /// `generators` entry that lists it.
    fn add_ksops(
        &mut self,
        dir: &Path,
        file: &Path,
        doc: &yaml::Node,
        loc: &Loc,
        ra: &mut Vec<Res>,
    ) -> Result<()> {
        let Some(plugin) = self.plugin else {
            return Ok(());
        };
        for res in ksops::generated(plugin, file, doc, dir, self.keys)? {
            absorb(ra, res, loc)?;
        }
        self.files.push(canonical_file(file));
        Ok(())
    }

    /// A kustomization's `components`, each working on this accumulator.
    fn add_components(
        &mut self,
        dir: &Path,
        k: &Kustomization,
        ra: &mut Vec<Res>,
        acc: &mut Acc,
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
                    works: std::mem::take(&mut acc.works),
                    others: std::mem::take(&mut acc.others),
                    vars: std::mem::take(&mut acc.vars),
                },
                &at(entry.mark),
            )?;
            *ra = sub.res;
            acc.works = sub.works;
            acc.others = sub.others;
            acc.vars = sub.vars;
        }
        Ok(())
    }
}

/// The workloads as the build leaves them: each document patched (a workload a patch
/// deleted is gone), positions kept where the file writes the same field.
fn as_patched(works: Vec<Work>, others: &[Res]) -> Vec<Work> {
    works
        .into_iter()
        .filter_map(|mut w| {
            let r = others
                .iter()
                .find(|r| r.origin.file == w.file && r.origin.mark == Some(w.doc.mark))?;
            w.doc = as_written(&r.node, Some(&w.doc), w.doc.mark);
            Some(w)
        })
        .collect()
}

/// The directory of a tree's kustomization file (`.` for one in the working directory).
fn top_dir(kustomization: &Path) -> PathBuf {
    match kustomization.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn canonical_file(p: &Path) -> PathBuf {
    crate::gate::resolve::real_or_given(p)
}

/// A kustomization's path entry cleaned lexically, as kustomize cleans it before reading.
fn clean(entry: &str) -> String {
    crate::kustomize::source::clean_slash_path(entry)
}
