//! What one run is told: the load restrictor, the hash variant, the naming mode,
//! `--placeholder`, the timeout of external processes, and the limits every source is held to.

use crate::kustomize::hash::HashVariant;

/// kustomize's `--load-restrictor` values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LoadRestrictor {
    /// Files must resolve (symlinks followed) to a place under the generator's root.
    #[default]
    RootOnly,
    /// Any readable file may be named.
    None,
}

/// How Secrets are named and annotated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// `secretgen render`: final names with their suffix, as kustomize prints them.
    #[default]
    Render,
    /// The kustomize exec plugin: plain names marked `needs-hash` for kustomize to suffix,
    /// so that kustomize also rewrites every reference.
    Plugin,
}

/// Settings for one run.
#[derive(Clone, Default)]
pub struct Settings {
    pub load_restrictor: LoadRestrictor,
    /// `--hash`: the variant for generators that do not name one.
    pub hash: Option<HashVariant>,
    pub mode: Mode,
    /// `--placeholder`: an encrypted input without a usable identity renders as
    /// `PLACEHOLDER` (with a warning and an annotation) instead of failing.
    pub placeholder: bool,
    /// `--process-timeout` / `SECRETGEN_PROCESS_TIMEOUT`: how long a key command, an age
    /// plugin or git may run when no user can answer it (default: the run's, 30 s unless set).
    pub process_timeout: crate::gate::process::Timeout,
}

/// The value of an input that could not be decrypted under `--placeholder`.
pub(crate) const PLACEHOLDER: &[u8] = b"secretgen-placeholder";
/// The annotation on a Secret that holds placeholders: it must never ship.
pub(crate) const PLACEHOLDER_ANNOTATION: &str = "secretgen.dev/placeholder";

/// A largest file we read as a source: the Secret size limit. Encrypted files may be
/// larger on disk (armor, headers); they are checked again once decrypted.
pub(crate) const MAX_SECRET_BYTES: u64 = 1024 * 1024;
pub(crate) const MAX_ENCRYPTED_FILE: u64 = 2 * MAX_SECRET_BYTES;
