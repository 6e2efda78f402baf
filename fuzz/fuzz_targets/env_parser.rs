//! The env-file parser on arbitrary bytes: never panics, and every pair it returns is one
//! kustomize would read (a non-empty key without `=`, a value without a newline).
#![no_main]

use libfuzzer_sys::fuzz_target;
use secretgen::kustomize::source;

fuzz_target!(|data: &[u8]| {
    if let Ok(pairs) = source::parse_env(data) {
        for p in &pairs {
            assert!(!p.key.is_empty());
            assert!(!p.key.contains('='));
            assert!(!p.key.contains('\n'));
            assert!(!p.value.expose().contains(&b'\n'));
            assert!(p.line >= 1);
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = source::parse_literal(text);
        let _ = source::parse_file_source(text);
        let _ = source::path_base(text);
    }
});
