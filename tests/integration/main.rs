//! The `#[test]` files, one binary (one link, one process; tests run on threads). The
//! case-folder suites are the other binary, `tests/cases/` (libtest-mimic, one trial per
//! case). A test that must change the process (`sops_pgp` sets GNUPGHOME) starts this binary
//! again with only itself selected.

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
mod redact;
mod render_all_or_nothing;
mod render_path;
mod render_snapshots;
mod review;
mod schema;
mod seal;
mod sops_differential;
mod sops_git;
mod sops_groups;
mod sops_keyservice;
mod sops_kms;
mod sops_pgp;
mod sops_render;
mod sops_write;
mod sops_write_keys;
mod tree_sops;
