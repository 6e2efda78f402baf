//! age decryption of arbitrary input with a fixed identity: never panics, and every error
//! names the file.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use secretgen::age::{IdentitySources, Keyring};

/// A test key, used nowhere else than in test fixtures (its encrypted seeds are in corpus/).
const IDENTITY: &str = "AGE-SECRET-KEY-13AN6DWKA29Q8AMHRENCCUQDK65PK8M30HW29XG8NEKACE4JZJTFSGMNKLH";

fuzz_target!(|data: &[u8]| {
    let keys = Keyring::new(IdentitySources {
        identity: Some(IDENTITY.to_string()),
        ..IdentitySources::default()
    });
    if let Err(e) = keys.decrypt_age(Path::new("fuzz.age"), data) {
        assert!(e.to_string().contains("fuzz.age"), "{e}");
    }
});
