//! The kustomizations of one run, each read and parsed once.
//!
//! In: kustomization files (by any path that names them). Out: their [`Kustomization`]
//! model, shared. The discovery walk, the tree planner and every tree build of a run ask the
//! one store, so a base that several overlays include, or a kustomization that `check`
//! both plans and builds, is read once. A file that fails to read is not kept: the error is
//! returned to whoever asks.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use super::{Kustomization, kustomization_names, read_model, read_text};
use crate::kustomize::error::Result;
use crate::kustomize::restrict::LoadRestrictor;

/// The kustomizations read in one run, keyed by canonical path, and the load restrictor
/// the files they name are held to.
#[derive(Debug)]
pub struct Kustomizations {
    restrictor: LoadRestrictor,
    read: Mutex<HashMap<PathBuf, Arc<Kustomization>>>,
    parsed: AtomicUsize,
    /// The kustomization file names each directory holds (by its resolved path), looked for
    /// once: the planner, the count of a build's visits and the build itself all ask.
    names: Mutex<HashMap<PathBuf, Vec<&'static str>>>,
}

impl Default for Kustomizations {
    fn default() -> Self {
        Kustomizations::new(LoadRestrictor::default())
    }
}

impl Kustomizations {
    pub fn new(restrictor: LoadRestrictor) -> Self {
        Kustomizations {
            restrictor,
            read: Mutex::new(HashMap::new()),
            parsed: AtomicUsize::new(0),
            names: Mutex::new(HashMap::new()),
        }
    }

    /// The load restrictor of the run.
    pub fn restrictor(&self) -> LoadRestrictor {
        self.restrictor
    }

    /// The kustomization at `path`, read and parsed on the first call only.
    pub fn get(&self, path: &Path) -> Result<Arc<Kustomization>> {
        let key = crate::gate::resolve::real_or_given(path);
        if let Some(k) = self.lock().get(&key) {
            // The path as this caller named it: messages and outputs name files so.
            return Ok(if k.unit.file == path {
                Arc::clone(k)
            } else {
                Arc::new(renamed(k, path))
            });
        }
        let text = read_text(path)?;
        let names = self.names_in(path.parent().unwrap_or(Path::new("")));
        let k = Arc::new(read_model(path, &text, &names, self.restrictor)?);
        self.parsed.fetch_add(1, Ordering::Relaxed);
        self.lock().insert(key, Arc::clone(&k));
        Ok(k)
    }

    /// Every kustomization read so far, in no particular order.
    pub fn all(&self) -> Vec<Arc<Kustomization>> {
        self.lock().values().cloned().collect()
    }

    /// The names of [`KUSTOMIZATION_NAMES`] that are files in `dir` (kustomize refuses a
    /// directory with more than one; the caller says so), looked for once a run.
    pub fn names_in(&self, dir: &Path) -> Vec<&'static str> {
        let key = crate::gate::resolve::real_or_given(dir);
        let lock = || self.names.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(names) = lock().get(&key) {
            return names.clone();
        }
        let names = kustomization_names(dir);
        lock().insert(key, names.clone());
        names
    }

    /// How many kustomization files this store has read and parsed.
    pub fn parsed(&self) -> usize {
        self.parsed.load(Ordering::Relaxed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, Arc<Kustomization>>> {
        // A panic while the map was held leaves it whole (inserts are single calls).
        self.read.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A kustomization read under one path, as read under another that names the same file.
fn renamed(k: &Kustomization, path: &Path) -> Kustomization {
    let mut k = k.clone();
    let old = std::mem::replace(&mut k.unit.file, path.to_path_buf());
    let old_dir = old.parent().unwrap_or(Path::new(""));
    let new_dir = path.parent().unwrap_or(Path::new(""));
    let rebase = |p: &mut PathBuf| {
        if let Ok(rest) = p.strip_prefix(old_dir) {
            *p = if rest.as_os_str().is_empty() {
                new_dir.to_path_buf()
            } else {
                new_dir.join(rest)
            };
        }
    };
    for g in &mut k.unit.generators {
        rebase(&mut g.file);
        rebase(&mut g.root);
    }
    for n in &mut k.unit.warnings {
        rebase(&mut n.warning.loc.file);
    }
    for p in &mut k.unit.consumed {
        rebase(p);
    }
    for p in k.generators.iter_mut().filter_map(|e| e.file.as_mut()) {
        rebase(p);
    }
    for (p, _) in &mut k.unit.plain_secrets {
        rebase(p);
    }
    k
}
