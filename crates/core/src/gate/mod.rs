//! The gates: each safety rule of secretgen lives in exactly one module here, and every
//! path that reads a user-named file, shows text from an input, turns a name into a path,
//! spawns a process or writes files goes through it. A new capability calls the gate; it
//! never re-implements the rule.
//!
//! | rule | gate |
//! |---|---|
//! | one session per run: settings (load restrictor, hash, mode, placeholder, limits) and the keyring, built once from the command line and the environment by every entry (render, check, diff, hash, plugin exec, KRM bare and `fn`, the `ksops` name) | `render::settings::Session::new` |
//! | every external process (key commands, age plugins, git, the editor): a timeout when no user can answer, bounded stdout, killed with its process group, named but never quoted | [`process`] |
//! | text from an input in a message: decrypted text described, never quoted | [`shown`] |
//! | parser budgets: nesting depth, alias expansion, flattened entries | `budget` |
//! | a Secret's name and namespace become a path only as DNS-1123 names (`OutPath`) | `outpath` |
//! | every file written all or nothing, never through a link inside its directory ([`write::Batch`], [`write::Confined`]) | [`write`] |
//! | a name an input gives becomes a real path (links resolved) in one resolver, remembered for the run; the load restrictor judges what it returns | [`resolve`] |
//! | a file named inside an input or by an environment variable is a regular file; one typed on the command line may also be a pipe, never a device; every read of a file or stdin is capped (`SECRETGEN_MAX_INPUT_BYTES`) and a silent pipe times out | [`read`] |

// The parse budgets and the text-shown rule live with the parsers in the `goyaml` crate;
// these paths name the same one implementation.
pub use goyaml::budget;
pub(crate) mod outpath;
pub mod process;
pub mod read;
pub mod resolve;
pub use goyaml::shown;
pub mod write;
