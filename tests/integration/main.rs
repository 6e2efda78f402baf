//! The integration tests, one binary (one link, one process; tests run on threads).
//!
//! Each module was a test binary of its own. Kept apart, and why: the case-folder suites
//! (`age_testkit`, `bad_inputs`, `corpus`, `create`, `ksops`, `overlays`, `plugin_e2e`,
//! `sops`) have their own `main` (libtest-mimic, one trial per case); `sops_pgp` sets
//! GNUPGHOME and SOPS_GPG_EXEC in its own process for the library's gpg runs, which would
//! leak into every test running beside it here.

#[path = "../common/mod.rs"]
mod common;

mod age;
mod age_edit;
mod age_identities;
mod age_plugins;
mod age_pq;
mod argocd;
mod atomic;
mod bounded;
mod broken_pipe;
mod check_patches;
mod check_refs;
mod cli_manners;
mod differential;
mod dist;
mod emit_corpus;
mod gate_budget;
mod gate_process;
mod gate_read;
mod gate_write;
mod leaks_decrypted;
mod leaks_from_files;
mod new_user;
mod no_leaks;
mod no_silent_skips;
mod nothing_silent;
mod overlay_repo;
mod policy_structure;
mod properties;
mod render_all_or_nothing;
mod render_path;
mod render_snapshots;
mod review;
mod schema;
mod sops_differential;
mod sops_keyservice;
mod sops_kms;
mod tree_sops;
