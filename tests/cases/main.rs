//! The case-folder suites, one binary: one trial per case of each folder under `testdata/`
//! (and the few hand-written trials beside them), run by libtest-mimic with cargo test's
//! arguments, filters and `--list`.
//!
//! A new suite is a module here with a `pub fn trials() -> Vec<Trial>` that lists its cases
//! with `common::case_paths` (the one loader) and names each with `trial!`; its trials are
//! called `suite::case` (for example `corpus::kustomize::literals-order`), so
//! `cargo test --test cases -- corpus::` runs one suite.

use libtest_mimic::{Arguments, Trial};

#[path = "../common/mod.rs"]
mod common;

/// A trial named after the suite (module) it is listed in: `trial!("case", || ...)` in
/// `corpus.rs` is the trial `corpus::case`.
macro_rules! trial {
    ($name:expr, $run:expr $(,)?) => {
        libtest_mimic::Trial::test(format!("{}::{}", crate::suite(module_path!()), $name), $run)
    };
}

mod age_testkit;
mod bad_inputs;
mod corpus;
mod create;
mod ksops;
mod overlays;
mod plugin_e2e;
mod realworld;
mod sops;

/// The suite name in a module path (`cases::corpus` is `corpus`).
fn suite(module_path: &str) -> &str {
    module_path.rsplit("::").next().unwrap_or(module_path)
}

fn main() {
    let args = Arguments::from_args();
    let suites: [fn() -> Vec<Trial>; 9] = [
        age_testkit::trials,
        bad_inputs::trials,
        corpus::trials,
        create::trials,
        ksops::trials,
        overlays::trials,
        plugin_e2e::trials,
        realworld::trials,
        sops::trials,
    ];
    let trials = suites.iter().flat_map(|listed| listed()).collect();
    let conclusion = libtest_mimic::run(&args, trials);
    ksops::stop_gpg_agent();
    conclusion.exit();
}
