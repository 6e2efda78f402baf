//! What one run is told: the load restrictor, the hash variant, the naming mode and
//! `--placeholder`, and the limits every source is held to; and the [`Session`] that holds
//! them with the keyring, built once per run by [`Session::new`], the one place that reads
//! the environment for settings. (The timeout of external processes is the process
//! runner's, set once at start-up: see [`crate::gate::process::set_run_timeout`].)

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::Arc;

use crate::age::{IdentitySources, Keyring};
use crate::error::{Error, Result};
use crate::kustomize::hash::HashVariant;
use crate::kustomize::manifest::Kustomizations;

pub use crate::kustomize::restrict::LoadRestrictor;

/// How Secrets are named and annotated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// `secretgen render`: final names with their suffix, as kustomize prints them.
    #[default]
    Render,
    /// The kustomize exec plugin: plain names marked `needs-hash` for kustomize to suffix,
    /// so that kustomize also rewrites every reference.
    Plugin,
    /// A generator inside a kustomize build: the name is suffixed once, at the end of the
    /// build (after every transformer), so none is computed here; the variant is kept.
    Build,
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
    /// sops' key services (`--keyservice`, `SOPS_KEYSERVICE`) and whether local keys are
    /// tried first (`--enable-local-keyservice`, `SOPS_ENABLE_LOCAL_KEYSERVICE`).
    pub key_services: crate::sops::keys::keyservice::KeyServices,
    /// `--redact`, else `SECRETGEN_REDACT`: Secrets printed with every value replaced by a
    /// marker and its size (names still hashed from the real values), for snapshot tests.
    pub redact: bool,
}

/// The value of an input that could not be decrypted under `--placeholder`.
pub(crate) const PLACEHOLDER: &[u8] = b"secretgen-placeholder";
/// The annotation on a Secret that holds placeholders: it must never ship.
pub(crate) const PLACEHOLDER_ANNOTATION: &str = "secretgen.dev/placeholder";

/// A largest file we read as a source: the Secret size limit (the API server's, one
/// constant: [`crate::secret::validate::MAX_DATA`]). Encrypted files may be larger on disk
/// (armor, headers); they are checked again once decrypted.
pub(crate) const MAX_SECRET_BYTES: u64 = crate::secret::validate::MAX_DATA as u64;
pub(crate) const MAX_ENCRYPTED_FILE: u64 = 2 * MAX_SECRET_BYTES;

/// What the command line said for a run; `None` where it said nothing, so that the
/// environment (or the default) decides. Entries with no command line (kustomize's call of
/// the exec plugin, a bare KRM function, the `ksops` name) give [`Given::default`].
#[derive(Clone, Debug, Default)]
pub struct Given {
    /// `--load-restrictor`; else `SECRETGEN_LOAD_RESTRICTOR`; else root only.
    pub load_restrictor: Option<LoadRestrictor>,
    /// `--hash`.
    pub hash: Option<HashVariant>,
    /// `--placeholder`.
    pub placeholder: bool,
    /// `--identity` files (explicit identities win alone; without them the keyring reads
    /// the variables sops reads).
    pub identity: Vec<PathBuf>,
    /// `--keyservice` URIs; none: `SOPS_KEYSERVICE` (comma-separated).
    pub keyservice: Vec<String>,
    /// `--enable-local-keyservice`; else `SOPS_ENABLE_LOCAL_KEYSERVICE`; else on.
    pub enable_local_keyservice: Option<bool>,
    /// `--accept-unapplied`: what a tree holds that secretgen does not apply to Secrets is a
    /// warning, not an error.
    pub accept_unapplied: bool,
    /// `--all`: a PATH that holds a kustomization is searched, not one build.
    pub all: bool,
    /// `render --redact` (else `SECRETGEN_REDACT` decides).
    pub redact: bool,
}

/// One run: its settings, its keyring (identities read once, on the first encrypted input,
/// whatever the number of builds that meet one), the plugin root, and where what the run
/// meets on the way is said. Built once by every entry (render, check, diff, hash, the exec
/// plugin, the KRM function, the `ksops` name, `migrate ksops`) and passed to the use cases
/// of [`crate::app`]; no mode reads the environment itself.
pub struct Session {
    pub settings: Settings,
    pub keys: Keyring,
    /// The directory kustomize runs an exec plugin from (`KUSTOMIZE_PLUGIN_CONFIG_ROOT`,
    /// else the working directory).
    pub plugin_root: PathBuf,
    /// `--accept-unapplied` (see [`Given::accept_unapplied`]).
    pub accept_unapplied: bool,
    /// `--all` (see [`Given::all`]).
    pub all: bool,
    /// The kustomizations of the run, each read once, held to its load restrictor: every
    /// plan, search and build of the run reads through it.
    pub kustomizations: Arc<Kustomizations>,
    said: Box<dyn Fn(Said<'_>) + Send + Sync>,
}

/// What a run says on the way, as it meets it (the command line prints it on stderr, before
/// a later error): warnings, and that builds were read but made no Secret.
#[derive(Debug)]
pub enum Said<'a> {
    Warnings(&'a [crate::error::Warning]),
    /// Kustomizations were read, and none made a Secret.
    NoSecrets {
        read: usize,
    },
}

/// The keyring of a run: identities from `identity` (`--identity`), else the environment,
/// opened on the first encrypted input; its warnings to `warn`. The one place a keyring is
/// made, for a [`Session`] and for the `age` commands.
pub fn keyring(
    identity: Vec<PathBuf>,
    key_services: crate::sops::keys::keyservice::KeyServices,
    warn: impl Fn(&str) + Send + Sync + 'static,
) -> Keyring {
    Keyring::new(IdentitySources::from_env(identity))
        .with_warnings(warn)
        .with_key_services(key_services)
}

/// The variable that sets the load restrictor where no flag can (kustomize passes none to
/// a plugin or a KRM function).
pub const LOAD_RESTRICTOR_VAR: &str = "SECRETGEN_LOAD_RESTRICTOR";

impl Session {
    /// The session of this process: `given` from the command line, the rest from the
    /// environment; keyring warnings go to `warn`.
    pub fn new(given: Given, warn: impl Fn(&str) + Send + Sync + 'static) -> Result<Session> {
        Session::with_env(given, &|k| std::env::var_os(k), warn)
    }

    /// [`Session::new`] over the variables `var` gives (tests pass their own).
    pub fn with_env(
        given: Given,
        var: &dyn Fn(&str) -> Option<OsString>,
        warn: impl Fn(&str) + Send + Sync + 'static,
    ) -> Result<Session> {
        let load_restrictor = match given.load_restrictor {
            Some(r) => r,
            None => load_restrictor_from(var(LOAD_RESTRICTOR_VAR))?,
        };
        let key_services = key_services_from(&given, var)?;
        let redact = given.redact || redact_from(var(REDACT_VAR))?;
        let settings = Settings {
            load_restrictor,
            hash: given.hash,
            placeholder: given.placeholder,
            key_services,
            redact,
            ..Settings::default()
        };
        let plugin_root = var("KUSTOMIZE_PLUGIN_CONFIG_ROOT")
            .map(PathBuf::from)
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| PathBuf::from("."));
        let keys = keyring(given.identity, settings.key_services.clone(), warn);
        Ok(Session {
            settings,
            keys,
            plugin_root,
            accept_unapplied: given.accept_unapplied,
            all: given.all,
            kustomizations: Arc::new(Kustomizations::new(load_restrictor)),
            said: Box::new(|_| {}),
        })
    }

    /// Says what the run meets through `said` (by default, nothing is said).
    pub fn with_said(mut self, said: impl Fn(Said<'_>) + Send + Sync + 'static) -> Session {
        self.said = Box::new(said);
        self
    }

    /// Says `what` (see [`Session::with_said`]).
    pub fn say(&self, what: Said<'_>) {
        (self.said)(what)
    }
}

/// sops' key services of a command that needs no whole session (the `sops` commands): the
/// flags of `given`, else the variables sops reads, else local keys only.
pub fn key_services(given: &Given) -> Result<crate::sops::keys::keyservice::KeyServices> {
    key_services_from(given, &|k| std::env::var_os(k))
}

/// sops' key services: the flags, else the variables sops reads (`SOPS_KEYSERVICE`, a
/// comma-separated list; `SOPS_ENABLE_LOCAL_KEYSERVICE`, a Go boolean), else local keys only.
fn key_services_from(
    given: &Given,
    var: &dyn Fn(&str) -> Option<OsString>,
) -> Result<crate::sops::keys::keyservice::KeyServices> {
    let local = match given.enable_local_keyservice {
        Some(b) => b,
        None => match var("SOPS_ENABLE_LOCAL_KEYSERVICE") {
            None => true,
            Some(v) if v.is_empty() => true,
            Some(v) => go_bool(&v).ok_or_else(|| {
                Error::Usage(format!(
                    "SOPS_ENABLE_LOCAL_KEYSERVICE is `{}`: expected true or false",
                    v.to_string_lossy().escape_debug()
                ))
            })?,
        },
    };
    let uris: Vec<String> = if given.keyservice.is_empty() {
        var("SOPS_KEYSERVICE")
            .map(|v| {
                v.to_string_lossy()
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .collect()
            })
            .unwrap_or_default()
    } else {
        given.keyservice.clone()
    };
    crate::sops::keys::keyservice::KeyServices::from_uris(local, &uris).map_err(Error::Usage)
}

/// A boolean as Go's `strconv.ParseBool` reads it.
pub(crate) fn go_bool(v: &std::ffi::OsStr) -> Option<bool> {
    match v.to_str()? {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

/// The variable that turns on `--redact` where no flag can (the exec plugin, the KRM
/// function): a Go boolean.
pub const REDACT_VAR: &str = "SECRETGEN_REDACT";

/// `SECRETGEN_REDACT`'s value: unset or empty is off.
fn redact_from(value: Option<OsString>) -> Result<bool> {
    match value {
        None => Ok(false),
        Some(v) if v.is_empty() => Ok(false),
        Some(v) => go_bool(&v).ok_or_else(|| {
            Error::Usage(format!(
                "{REDACT_VAR} is `{}`: expected true or false",
                v.to_string_lossy().escape_debug()
            ))
        }),
    }
}

/// `SECRETGEN_LOAD_RESTRICTOR`'s value, as kustomize names the restrictors.
fn load_restrictor_from(value: Option<OsString>) -> Result<LoadRestrictor> {
    match value {
        None => Ok(LoadRestrictor::RootOnly),
        Some(v) if v.is_empty() || v == "LoadRestrictionsRootOnly" => Ok(LoadRestrictor::RootOnly),
        Some(v) if v == "LoadRestrictionsNone" => Ok(LoadRestrictor::None),
        Some(v) => Err(Error::Usage(format!(
            "{LOAD_RESTRICTOR_VAR} is `{}`: expected LoadRestrictionsRootOnly or LoadRestrictionsNone",
            v.to_string_lossy().escape_debug()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(given: Given, vars: &[(&str, &str)]) -> Result<Session> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Session::with_env(
            given,
            &|k| {
                vars.iter()
                    .find(|(n, _)| n == k)
                    .map(|(_, v)| OsString::from(v))
            },
            |_| {},
        )
    }

    #[test]
    fn the_flag_wins_over_the_variable_which_wins_over_the_default() {
        let none = [(LOAD_RESTRICTOR_VAR, "LoadRestrictionsNone")];
        let s = session(Given::default(), &none).unwrap();
        assert_eq!(s.settings.load_restrictor, LoadRestrictor::None);
        let given = Given {
            load_restrictor: Some(LoadRestrictor::RootOnly),
            ..Given::default()
        };
        let s = session(given, &none).unwrap();
        assert_eq!(s.settings.load_restrictor, LoadRestrictor::RootOnly);
        let s = session(Given::default(), &[]).unwrap();
        assert_eq!(s.settings.load_restrictor, LoadRestrictor::RootOnly);
        assert_eq!(s.plugin_root, PathBuf::from("."));
        let bad = [(LOAD_RESTRICTOR_VAR, "bogus")];
        let err = session(Given::default(), &bad).err().unwrap().to_string();
        assert!(
            err.contains(LOAD_RESTRICTOR_VAR) && err.contains("bogus"),
            "{err}"
        );
    }

    #[test]
    fn key_services_come_from_the_flags_else_sops_variables() {
        let s = session(Given::default(), &[]).unwrap();
        assert!(s.settings.key_services.local());
        assert!(s.settings.key_services.remote().is_empty());
        let vars = [
            ("SOPS_KEYSERVICE", "unix:///a.sock, tcp://127.0.0.1:5000"),
            ("SOPS_ENABLE_LOCAL_KEYSERVICE", "false"),
        ];
        let s = session(Given::default(), &vars).unwrap();
        assert!(!s.settings.key_services.local());
        let uris: Vec<&str> = s
            .settings
            .key_services
            .remote()
            .iter()
            .map(|u| u.as_str())
            .collect();
        assert_eq!(uris, ["unix:///a.sock", "tcp://127.0.0.1:5000"]);
        let given = Given {
            keyservice: vec!["tcp://h:1".into()],
            enable_local_keyservice: Some(true),
            ..Given::default()
        };
        let s = session(given, &vars).unwrap();
        assert!(s.settings.key_services.local());
        assert_eq!(s.settings.key_services.remote().len(), 1);
        let bad = [("SOPS_ENABLE_LOCAL_KEYSERVICE", "maybe")];
        let err = session(Given::default(), &bad).err().unwrap().to_string();
        assert!(err.contains("SOPS_ENABLE_LOCAL_KEYSERVICE"), "{err}");
        let bad = [("SOPS_KEYSERVICE", "http://x:1")];
        let err = session(Given::default(), &bad).err().unwrap().to_string();
        assert!(err.contains("http://x:1"), "{err}");
    }
}
