//! The manifest loader on arbitrary text, as a generator manifest and as a kustomization:
//! never panics; errors always name the file.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use secretgen::kustomize::manifest;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // A root that does not exist: a `generators` entry names no file that can be read.
    let root = Path::new("/nonexistent-fuzz-root");
    for (name, result) in [
        (
            "gen.yaml",
            manifest::read_generator_file(&root.join("gen.yaml"), text, root, true).map(|_| ()),
        ),
        (
            "kustomization.yaml",
            manifest::read_kustomization(&root.join("kustomization.yaml"), text).map(|_| ()),
        ),
    ] {
        if let Err(e) = result {
            assert!(e.to_string().contains(name), "{e}");
        }
    }
});
