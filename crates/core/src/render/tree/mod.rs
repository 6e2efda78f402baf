//! Kustomize trees: bases, overlays and components, built as `kubectl kustomize` builds them.
//!
//! In: the paths a user names. Out: a [`Plan`] (which kustomizations are the tops of trees,
//! and which flat units render as before) and, from it, every Secret of every build, sorted
//! as kustomize sorts them. A directory that holds a kustomization is that one build
//! ([`one_build`], `kustomize build DIR`; the caller names its kustomization file instead of
//! the directory unless `--all`). Under a directory searched, a kustomization that another
//! one under the same paths includes (in `resources`, `components` or `bases`) is not
//! rendered on its own; every other one is its own build. Refuses what a tree would change
//! in a Secret and secretgen does not apply.

pub(crate) mod build;
pub use build::{Generated, GeneratorPlugin};
pub(crate) mod patch;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::kustomize::manifest::{self, Behavior, Kustomizations, Unit};
use crate::render::{self, Decrypt, Output, Settings};
use crate::yaml;

/// What to render for the paths a user named.
#[derive(Debug, Default)]
pub struct Plan {
    /// Manifest files and flat kustomizations (no base, component, patch or merge), which
    /// the per-generator renderer handles as before.
    pub units: Vec<Unit>,
    /// Kustomization files that are the tops of trees, each built on its own.
    pub trees: Vec<PathBuf>,
    /// For each tree, its directory relative to the named path it was found under (empty
    /// when that path is the tree itself): where `render -o` puts its Secrets.
    pub(crate) subdirs: Vec<PathBuf>,
    /// Kustomizations found under the paths.
    pub kustomizations: usize,
    /// The named directories under which nothing was found: no kustomization, no generator
    /// manifest (`render` refuses them: nothing to render).
    pub empty: Vec<PathBuf>,
    /// The kustomizations of the run, each read once: by the planner, then by the builds.
    pub store: Arc<Kustomizations>,
}

fn canonical(p: &Path) -> PathBuf {
    crate::gate::resolve::real_or_given(p)
}

pub(crate) fn dir_of(file: &Path) -> PathBuf {
    file.parent().unwrap_or(Path::new(".")).to_path_buf()
}

impl Plan {
    /// Makes the named kustomizations trees, flat ones too (for `check` of a one-build
    /// PATH, whose workloads only the tree build reads).
    pub fn builds_as_trees(&mut self, named: &[PathBuf]) {
        let (ks, units): (Vec<Unit>, Vec<Unit>) = std::mem::take(&mut self.units)
            .into_iter()
            .partition(|u| named.contains(&u.file));
        self.units = units;
        for k in ks {
            self.subdirs.push(PathBuf::new());
            self.trees.push(k.file);
        }
    }

    /// Takes the trees out of this plan, into a plan of their own (for `check`, which
    /// renders the flat units and checks each tree as it builds it).
    pub fn take_trees(&mut self) -> Plan {
        Plan {
            trees: std::mem::take(&mut self.trees),
            subdirs: std::mem::take(&mut self.subdirs),
            kustomizations: self.kustomizations,
            store: Arc::clone(&self.store),
            ..Plan::default()
        }
    }
}

/// The kustomization a named directory holds, which makes that directory one build (exactly
/// `kustomize build DIR`, nothing nested under it that the build does not reach); `None` for
/// a file or a directory without one, which is searched for the tops of trees (as is one
/// with several kustomization files, where the search refuses each of them).
pub fn one_build(path: &Path, store: &Kustomizations) -> Result<Option<PathBuf>> {
    if !path.is_dir() {
        return Ok(None);
    }
    // Several kustomization files: the search reports each of them, as before.
    Ok(build::kustomization_in(path, store).ok().flatten())
}

/// The directories (canonical) of the kustomizations the build of `kustomization` reaches
/// through `resources`, `components` and `bases`, its own first, reading kustomizations
/// through the run's `store`. Missing, remote or unreadable entries are left to the build,
/// which reports them.
pub fn reached_dirs_in(kustomization: &Path, store: &Kustomizations) -> BTreeSet<PathBuf> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![dir_of(kustomization)];
    while let Some(dir) = todo.pop() {
        if !seen.insert(canonical(&dir)) {
            continue;
        }
        let Ok(Some(kfile)) = build::kustomization_in(&dir, store) else {
            continue;
        };
        let Ok(k) = store.get(&kfile) else {
            continue;
        };
        for (e, read) in k.includes_read() {
            if !read && dir.join(&e.value).is_dir() {
                todo.push(dir.join(&e.value));
            }
        }
    }
    seen
}

/// The generator config files (canonical) that the kustomizations of a plan list, and
/// those of every kustomization its trees reach: a KSOPS config among them is a generator
/// of its tree, not a build of its own.
pub fn listed_generator_files(plan: &Plan) -> BTreeSet<PathBuf> {
    let mut dirs = BTreeSet::new();
    for t in &plan.trees {
        dirs.extend(reached_dirs_in(t, &plan.store));
    }
    let mut files: BTreeSet<PathBuf> = plan
        .units
        .iter()
        .flat_map(|u| &u.consumed)
        .map(|f| canonical(f))
        .collect();
    for dir in dirs {
        let Ok(Some(kfile)) = build::kustomization_in(&dir, &plan.store) else {
            continue;
        };
        if let Ok(k) = plan.store.get(&kfile) {
            files.extend(k.unit.consumed.iter().map(|f| canonical(f)));
        }
    }
    files
}

/// Reads the units under `paths` and sorts them into flat units and trees, with kustomize's
/// default load restrictor (a run plans through its session's store: [`plan_in`]).
pub fn plan(paths: &[PathBuf]) -> Result<Plan> {
    plan_in(paths, Arc::new(Kustomizations::default()))
}

/// Whether a kustomization is the top of a tree build rather than a flat list of
/// generators: a field only a tree applies is set (see `manifest::fields`), it is a
/// Component, a generator merges into a base, an entry of `resources`, `components` or
/// `bases` is a directory or is not local, or a `generators` entry holds a config that is not
/// a SecretGenerator. With the directories it includes, and where it names each.
fn tree_like(k: &manifest::Kustomization, u: &Unit) -> (bool, Vec<(PathBuf, yaml::Mark)>) {
    let dir = dir_of(&u.file);
    let mut tree =
        k.sets_a_tree_field() || u.generators.iter().any(|g| g.behavior != Behavior::Create);
    let mut included = Vec::new();
    for (e, read) in k.includes_read() {
        // A `resources` file read with the kustomization is a file.
        if read {
            continue;
        }
        let p = dir.join(&e.value);
        // One `stat` answers both questions.
        let meta = std::fs::metadata(&p).ok();
        if meta.as_ref().is_some_and(|m| m.is_dir()) {
            included.push((canonical(&p), e.mark));
            tree = true;
        } else if !meta.is_some_and(|m| m.is_file()) {
            // Remote or missing: the tree build says which.
            tree = true;
        }
    }
    tree |= k.generators.iter().any(|g| !g.foreign.is_empty());
    // Two Secrets of one name among its resources and generators: kustomize's accumulator
    // decides (an id registered twice is refused, a namespace may tell them apart), and
    // only the tree build is that accumulator.
    tree |= shares_a_name(u);
    (tree, included)
}

/// Whether two of a unit's plain Secrets, or a plain Secret and a generator, have one name.
fn shares_a_name(u: &Unit) -> bool {
    let plain = u.plain_secrets.iter().map(|(_, d)| {
        d.get("metadata")
            .and_then(|m| m.get("name"))
            .and_then(yaml::Node::as_str)
            .unwrap_or("")
    });
    let generated = u.generators.iter().map(|g| g.name.value.as_str());
    let mut seen = BTreeSet::new();
    !u.plain_secrets.is_empty() && !plain.chain(generated).all(|n| seen.insert(n))
}

/// [`plan`], reading kustomizations through `store`, which the plan keeps for its builds.
pub fn plan_in(paths: &[PathBuf], store: Arc<Kustomizations>) -> Result<Plan> {
    let units = crate::render::discover::load_in(paths, &store)?;
    let mut included = BTreeSet::new();
    let mut tree_like_units = Vec::new();
    // Which kustomization (by index) includes which directory, and where it says so.
    let mut edges: Vec<(usize, PathBuf, yaml::Mark)> = Vec::new();
    for (i, u) in units.iter().enumerate() {
        if !manifest::is_kustomization_file(&u.file) {
            tree_like_units.push(false);
            continue;
        }
        let k = store.get(&u.file)?;
        let (tree, dirs) = tree_like(&k, u);
        for (d, mark) in dirs {
            included.insert(d.clone());
            edges.push((i, d, mark));
        }
        tree_like_units.push(tree);
    }
    check_cycles(&units, &included, &edges)?;
    let default = [PathBuf::from(".")];
    let named = if paths.is_empty() {
        &default[..]
    } else {
        paths
    };
    let mut plan = Plan {
        empty: named
            .iter()
            .filter(|p| !units.iter().any(|u| u.file.starts_with(p)) && p.is_dir())
            .cloned()
            .collect(),
        store,
        ..Plan::default()
    };
    for (u, tree) in units.into_iter().zip(tree_like_units) {
        if !manifest::is_kustomization_file(&u.file) {
            plan.units.push(u);
            continue;
        }
        plan.kustomizations += 1;
        if included.contains(&canonical(&dir_of(&u.file))) {
            continue;
        }
        if tree {
            plan.subdirs.push(subdir_of(paths, &u.file));
            plan.trees.push(u.file);
        } else {
            plan.units.push(u);
        }
    }
    Ok(plan)
}

/// Kustomizations under the paths that include each other (`a` → `b` → `a`, through
/// `resources`, `components` or `bases`) leave no top to build: none of them would be
/// rendered, and nothing said. kustomize refuses the cycle ("cycle detected"); so does this,
/// naming every kustomization in it. (A cycle below a top is met, and refused, by its build.)
fn check_cycles(
    units: &[Unit],
    included: &BTreeSet<PathBuf>,
    edges: &[(usize, PathBuf, yaml::Mark)],
) -> Result<()> {
    let dirs: Vec<Option<PathBuf>> = units
        .iter()
        .map(|u| manifest::is_kustomization_file(&u.file).then(|| canonical(&dir_of(&u.file))))
        .collect();
    let index_of = |dir: &Path| dirs.iter().position(|d| d.as_deref() == Some(dir));
    // Every kustomization reachable from a top (one that nothing under the paths includes).
    let mut reached = vec![false; units.len()];
    let mut todo: Vec<usize> = (0..units.len())
        .filter(|&i| dirs[i].as_ref().is_some_and(|d| !included.contains(d)))
        .collect();
    while let Some(i) = todo.pop() {
        if std::mem::replace(&mut reached[i], true) {
            continue;
        }
        todo.extend(
            edges
                .iter()
                .filter(|(from, _, _)| *from == i)
                .filter_map(|(_, to, _)| index_of(to)),
        );
    }
    // One not reached is included by another not reached: going from includee to includer
    // must come back to a kustomization already seen, the cycle.
    let Some(start) = (0..units.len()).find(|&i| dirs[i].is_some() && !reached[i]) else {
        return Ok(());
    };
    let mut path = vec![start];
    let includer_of = |i: usize| {
        edges
            .iter()
            .find(|(from, to, _)| !reached[*from] && Some(to) == dirs[i].as_ref())
    };
    loop {
        let last = *path.last().expect("a path of at least one");
        let Some((from, _, _)) = includer_of(last) else {
            return Ok(());
        };
        if let Some(pos) = path.iter().position(|p| p == from) {
            // `path` runs from includee to includer: the cycle, forwards, is its reverse.
            let mut cycle: Vec<usize> = path[pos..].to_vec();
            cycle.reverse();
            // Named from the first in the walk's order, whichever was met first here.
            let lowest = (0..cycle.len()).min_by_key(|&k| cycle[k]).unwrap_or(0);
            cycle.rotate_left(lowest);
            let first = cycle[0];
            let next = cycle.get(1).copied().unwrap_or(first);
            let mark = edges
                .iter()
                .find(|(f, to, _)| *f == first && Some(to) == dirs[next].as_ref())
                .map(|(_, _, m)| *m);
            let files: Vec<std::path::PathBuf> = cycle
                .iter()
                .chain(std::iter::once(&first))
                .map(|&i| units[i].file.clone())
                .collect();
            let loc = match mark {
                Some(m) => crate::error::Loc::at(&units[first].file, m),
                None => crate::error::Loc::file(&units[first].file),
            };
            return Err(crate::kustomize::Error::IncludeCycle { loc, files }.into());
        }
        path.push(*from);
    }
}

/// A path as a user names the file: `.` and `dir/..` taken out lexically, as kustomize
/// cleans the paths it reads (`deploy/overlays/dev/../../base/dep.yaml` is
/// `deploy/base/dep.yaml`). A `..` that climbs above the start is kept.
pub(crate) fn clean_path(p: &Path) -> PathBuf {
    use std::path::Component;
    let mut out: Vec<Component<'_>> = Vec::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            Component::ParentDir if matches!(out.last(), Some(Component::RootDir)) => {}
            _ => out.push(c),
        }
    }
    if out.is_empty() {
        return PathBuf::from(".");
    }
    out.iter().collect()
}

/// A tree's directory relative to the first named directory that holds it.
fn subdir_of(paths: &[PathBuf], kustomization: &Path) -> PathBuf {
    let tree = canonical(&dir_of(kustomization));
    let default = [PathBuf::from(".")];
    let paths = if paths.is_empty() {
        &default[..]
    } else {
        paths
    };
    paths
        .iter()
        .filter(|p| p.is_dir())
        .find_map(|p| tree.strip_prefix(canonical(p)).ok().map(Path::to_path_buf))
        .unwrap_or_default()
}

/// The warnings for a Secret printed with an envsubst placeholder: in its name or namespace,
/// and in its `data` (values printed as written, not base64 until substituted).
pub(crate) fn placeholder_warning(s: &crate::secret::Secret) -> Vec<crate::error::Warning> {
    let in_name = crate::gate::outpath::placeholder_warning(s.namespace.as_deref(), &s.name);
    let in_data = s.data.values().filter(|e| e.to_substitute).count();
    let in_data = (in_data > 0).then(|| {
        let values = if in_data == 1 { "value" } else { "values" };
        format!(
            "the Secret's `data` holds {in_data} {values} with an envsubst placeholder, printed as written: not base64 until a later step (envsubst, Flux `postBuild.substitute`) fills it, so it must be substituted before the Secret reaches the API server"
        )
    });
    in_name
        .into_iter()
        .chain(in_data)
        .map(|message| crate::error::Warning {
            loc: s.origin.clone(),
            message,
        })
        .collect()
}

/// Everything a plan renders to: Secrets sorted as kustomize sorts them, each with the
/// sub-directory `render -o` writes it under, and how many kustomizations were read.
#[derive(Debug, Default)]
pub struct Rendered {
    pub out: Output,
    pub subdirs: Vec<PathBuf>,
    pub read: usize,
    /// The plan's [`Plan::empty`]: named directories with nothing to render.
    pub empty: Vec<PathBuf>,
}

/// Renders a plan: the flat units through the per-generator renderer, each tree as its own
/// kustomize build; all Secrets sorted together.
pub fn render(
    plan: &Plan,
    settings: &Settings,
    keys: &dyn Decrypt,
    accept_unapplied: bool,
    plugin: Option<&dyn GeneratorPlugin>,
    tick: &(dyn Fn() + Sync),
) -> Result<Rendered> {
    let mut errors = Vec::new();
    let mut out = match render::render_units_with_progress(&plan.units, settings, keys, tick) {
        Ok(o) => o,
        Err(e) => {
            errors.push(e);
            Output::default()
        }
    };
    let mut placed: Vec<(crate::secret::Secret, PathBuf)> =
        out.secrets.drain(..).map(|s| (s, PathBuf::new())).collect();
    open_sops_resources(plan, settings, keys);
    // One builder for all trees: a base shared by several overlays is built once.
    let mut b = build::Build::new(settings, &plan.store, keys, accept_unapplied, plugin)
        .expect(&plan.trees);
    for (t, sub) in plan.trees.iter().zip(&plan.subdirs) {
        match b.build(t) {
            Ok(secrets) => {
                // A resource Secret is printed as written, placeholders and all (a
                // generator's Secret is warned of where it is validated).
                for s in secrets.iter().filter(|s| s.passthrough.is_some()) {
                    out.warnings.extend(placeholder_warning(s));
                }
                placed.extend(secrets.into_iter().map(|s| (s, sub.clone())))
            }
            Err(e) => errors.push(e),
        }
    }
    out.warnings.append(&mut b.warnings);
    // Levels outside the named paths count too; levels inside were counted once.
    let read = plan.kustomizations.max(b.read);
    if !errors.is_empty() {
        return Err(Error::many(errors));
    }
    // `secret::sort_secrets`' order (RULES.md rule 80), stable, keeping each Secret's place.
    placed.sort_by_cached_key(|(s, _)| {
        format!("{}|{}", s.namespace.as_deref().unwrap_or("~X"), s.name)
    });
    let (secrets, subdirs) = placed.into_iter().unzip();
    out.secrets = secrets;
    Ok(Rendered {
        out,
        subdirs,
        read,
        empty: plan.empty.clone(),
    })
}

/// The SOPS files under `resources` at every level of the plan's trees, opened on every
/// core before the builds, which run level by level in kustomize's order: each file's data
/// key is then unwrapped once, in parallel, and the builds find it in the keyring's cache
/// of the run. What the builds will say of a file (its error included) is said by them,
/// in their order; nothing is kept from here but that cache.
fn open_sops_resources(plan: &Plan, settings: &Settings, keys: &dyn Decrypt) {
    use rayon::prelude::*;
    // The levels the builds will reach, read now through the run's store (which the builds
    // read from); a level that cannot be read is left to the build that reports it.
    for t in &plan.trees {
        reached_dirs_in(t, &plan.store);
    }
    let kustomizations = plan.store.all();
    let files: Vec<(PathBuf, &yaml::Node)> = kustomizations
        .iter()
        .flat_map(|k| {
            let dir = dir_of(k.file());
            k.resource_files().filter_map(move |(entry, docs)| {
                let first = docs.first()?;
                render::resources::is_sops_doc(first).then(|| {
                    (
                        dir.join(crate::kustomize::source::clean_slash_path(entry)),
                        first,
                    )
                })
            })
        })
        .collect();
    if files.len() < 2 {
        return;
    }
    files.par_iter().for_each(|(path, first)| {
        let _ = render::resources::open_sops(path, first, keys, settings.placeholder);
    });
}

/// Every tree of a plan built once, as `check` reads them: each tree's Secrets under every
/// name they had on the way, its workloads and Ingresses, and the files it read.
pub(crate) struct Builds {
    /// Each tree's kustomization file and its build.
    pub(crate) trees: Vec<(PathBuf, build::Built)>,
    /// The warnings of the builds.
    pub(crate) warnings: Vec<crate::error::Warning>,
    /// Kustomizations read.
    pub(crate) read: usize,
}

/// Builds every tree of a plan once (all of them, then every error at once).
pub(crate) fn build_all(
    plan: &Plan,
    settings: &Settings,
    keys: &dyn Decrypt,
    accept_unapplied: bool,
    plugin: Option<&dyn GeneratorPlugin>,
) -> Result<Builds> {
    let mut trees = Vec::new();
    let mut errors = Vec::new();
    open_sops_resources(plan, settings, keys);
    let mut b = build::Build::new(settings, &plan.store, keys, accept_unapplied, plugin)
        .reading_workloads()
        .expect(&plan.trees);
    for t in &plan.trees {
        match b.build_full(t) {
            Ok(built) => trees.push((t.clone(), built)),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(Error::many(errors));
    }
    Ok(Builds {
        trees,
        warnings: std::mem::take(&mut b.warnings),
        read: b.read,
    })
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests make fixtures directly
mod tests {
    use super::*;

    /// A base shared by two overlays, each overlay a tree (its `resources` name the base).
    fn shared_base() -> tempfile::TempDir {
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        std::fs::create_dir_all(d.join("base")).unwrap();
        std::fs::write(
            d.join("base/kustomization.yaml"),
            "secretGenerator:\n- name: s\n  literals: [k=v]\n",
        )
        .unwrap();
        for o in ["a", "b"] {
            std::fs::create_dir_all(d.join(o)).unwrap();
            std::fs::write(
                d.join(o).join("kustomization.yaml"),
                format!("namePrefix: {o}-\nresources:\n- ../base\n"),
            )
            .unwrap();
        }
        t
    }

    #[test]
    fn a_shared_base_is_read_once_by_the_plan_and_every_build() {
        let t = shared_base();
        let plan = plan(&[t.path().to_path_buf()]).unwrap();
        assert_eq!(plan.trees.len(), 2, "{plan:?}");
        assert_eq!(plan.store.parsed(), 3);
        let settings = Settings::default();
        let keys = crate::render::NoKeys;
        let out = render(&plan, &settings, &keys, false, None, &|| {}).unwrap();
        let names: Vec<&str> = out.out.secrets.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(
            names
                .iter()
                .all(|n| n.starts_with("a-s-") || n.starts_with("b-s-"))
        );
        // Three kustomization files, each parsed once for the plan and both builds.
        assert_eq!(plan.store.parsed(), 3);
        // `check` plans and builds the same trees: still once each.
        let built = build_all(&plan, &settings, &keys, false, None).unwrap();
        assert_eq!(built.trees.len(), 2);
        assert_eq!(plan.store.parsed(), 3);
    }

    #[test]
    fn a_resources_file_is_read_once_with_its_kustomization() {
        let t = shared_base();
        let d = t.path();
        std::fs::write(
            d.join("a/s.yaml"),
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: plain\ndata:\n  k: dg==\n",
        )
        .unwrap();
        std::fs::write(
            d.join("a/kustomization.yaml"),
            "namePrefix: a-\nresources:\n- s.yaml\n- ../base\n",
        )
        .unwrap();
        let plan = plan(&[d.join("a")]).unwrap();
        // Changed after the plan read it: the build does not read it again.
        std::fs::write(d.join("a/s.yaml"), "{ not yaml").unwrap();
        let out = render(
            &plan,
            &Settings::default(),
            &crate::render::NoKeys,
            false,
            None,
            &|| {},
        )
        .unwrap();
        let names: Vec<&str> = out.out.secrets.iter().map(|s| s.name.as_str()).collect();
        assert!(names.contains(&"a-plain"), "{names:?}");
    }

    /// A tree of one kustomization (`kustomization`) and one resources file `r.yaml`.
    fn one_file_tree(kustomization: &str, resources: &str) -> tempfile::TempDir {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(t.path().join("kustomization.yaml"), kustomization).unwrap();
        std::fs::write(t.path().join("r.yaml"), resources).unwrap();
        t
    }

    fn render_dir(d: &Path) -> Result<Rendered> {
        let plan = plan(&[d.to_path_buf()])?;
        let keys = crate::render::NoKeys;
        render(&plan, &Settings::default(), &keys, false, None, &|| {})
    }

    /// What a resources file holds besides Secrets and workloads (a CustomResourceDefinition
    /// here, whose text is not even YAML past its kind) is not parsed by a render that
    /// has no use for it; the documents read keep the positions of the whole file.
    #[test]
    fn documents_that_cannot_hold_a_secret_are_left_unread() {
        let crd = "kind: CustomResourceDefinition\nspec: {a: [1\n---\n";
        let t = one_file_tree(
            "namePrefix: p-\nresources:\n- r.yaml\n",
            &format!("{crd}apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n"),
        );
        let out = render_dir(t.path()).unwrap();
        let names: Vec<&str> = out.out.secrets.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["p-s"]);
        // A Secret without a name, refused where the whole file writes it.
        let t = one_file_tree(
            "resources:\n- r.yaml\n",
            &format!("{crd}apiVersion: v1\nkind: Secret\nmetadata: {{}}\n"),
        );
        let e = render_dir(t.path()).unwrap_err().to_string();
        assert!(e.contains("r.yaml:4:1"), "{e}");
        // A build that may read any resource (a replacement whose source names no kind)
        // parses the whole file, and says where it is not YAML.
        let t = one_file_tree(
            "resources:\n- r.yaml\nreplacements:\n- source: {name: c}\n  targets: []\n",
            &format!("{crd}apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n"),
        );
        let e = render_dir(t.path()).unwrap_err().to_string();
        assert!(e.contains("r.yaml:3:"), "{e}");
    }

    /// `vars` read the kinds their objects name: a Service is parsed for them, the
    /// CustomResourceDefinition beside it is still left unread; a `transformers` config,
    /// which may read anything, has the whole file parsed.
    #[test]
    fn vars_read_only_the_kinds_they_name() {
        let resources = "kind: CustomResourceDefinition\nspec: {a: [1\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: svc\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  annotations:\n    at: $(SVC)\n";
        let t = one_file_tree(
            "resources:\n- r.yaml\nvars:\n- name: SVC\n  objref: {kind: Service, name: svc, apiVersion: v1}\n",
            resources,
        );
        let out = render_dir(t.path()).unwrap();
        let shown = crate::secret::to_yaml(&out.out.secrets);
        let shown = String::from_utf8_lossy(&shown);
        assert!(shown.contains("at: svc"), "{shown}");
        let t = one_file_tree("resources:\n- r.yaml\ntransformers:\n- t.yaml\n", resources);
        std::fs::write(
            t.path().join("t.yaml"),
            "apiVersion: builtin\nkind: LabelTransformer\nmetadata:\n  name: l\nlabels: {a: b}\nfieldSpecs: [{path: metadata/labels, create: true}]\n",
        )
        .unwrap();
        let e = render_dir(t.path()).unwrap_err().to_string();
        assert!(e.contains("r.yaml:3:"), "{e}");
    }

    /// A "billion laughs" in a document left unread costs nothing; parsed for a build that
    /// reads every resource, it is refused within the parser's budget.
    #[test]
    fn a_document_left_unread_is_still_held_to_the_budget_when_read() {
        let mut bomb = String::from(
            "kind: CustomResourceDefinition\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n",
        );
        for i in 1..10 {
            let j = i - 1;
            bomb.push_str(&format!("a{i}: &a{i} [*a{j}, *a{j}, *a{j}, *a{j}, *a{j}, *a{j}, *a{j}, *a{j}, *a{j}, *a{j}]\n"));
        }
        let resources = format!("{bomb}---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n");
        let t = one_file_tree("resources:\n- r.yaml\n", &resources);
        let out = render_dir(t.path()).unwrap();
        assert_eq!(out.out.secrets.len(), 1);
        let t = one_file_tree(
            "resources:\n- r.yaml\nreplacements:\n- source: {name: s}\n  targets: []\n",
            &resources,
        );
        let e = render_dir(t.path()).unwrap_err().to_string();
        assert!(
            e.contains("r.yaml") && e.contains("excessive aliasing"),
            "{e}"
        );
    }

    /// A replacement reads a ConfigMap that was left unread with its kustomization.
    #[test]
    fn a_replacement_reads_a_document_left_unread() {
        let t = one_file_tree(
            "resources:\n- r.yaml\nreplacements:\n- source: {kind: ConfigMap, name: c, fieldPath: data.x}\n  targets:\n  - select: {kind: Secret, name: s}\n    fieldPaths: [stringData.y]\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  x: from-the-config-map\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  y: before\n",
        );
        let out = render_dir(t.path()).unwrap();
        assert_eq!(out.out.secrets.len(), 1);
        let shown = crate::secret::to_yaml(&out.out.secrets);
        let shown = String::from_utf8_lossy(&shown);
        assert!(shown.contains("\"y\": from-the-config-map"), "{shown}");
    }

    #[test]
    fn clean_path_takes_out_dot_and_parent_steps() {
        for (given, clean) in [
            (
                "deploy/overlays/dev/../../base/dep.yaml",
                "deploy/base/dep.yaml",
            ),
            ("./overlay/../base/d.yaml", "base/d.yaml"),
            ("../base/d.yaml", "../base/d.yaml"),
            ("a/../../b.yaml", "../b.yaml"),
            ("/x/../../y.yaml", "/y.yaml"),
            ("a/..", "."),
        ] {
            assert_eq!(clean_path(Path::new(given)), Path::new(clean), "{given}");
        }
    }
}
