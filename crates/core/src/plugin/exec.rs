//! The legacy exec plugin: in, the path of kustomize's copy of a generator config, with the
//! kustomization root as the working directory; out, the Secrets as a YAML stream under their
//! plain names, marked `needs-hash` so that kustomize suffixes them and rewrites references.
//!
//! kustomize starts the plugin once per generator: this path reads the config and renders,
//! nothing more.

use std::path::Path;

use zeroize::Zeroizing;

use crate::error::{Result, Warning};
use crate::kustomize::manifest;
use crate::render::{self, Decrypt, Mode, Settings};

/// The exec plugin: renders the generator config `text`, read from `config`, with file paths
/// resolved from `root` (the session's plugin root, where kustomize runs the plugin), and
/// returns the YAML stream to print.
pub fn exec(
    config: &Path,
    text: &str,
    root: &Path,
    settings: &Settings,
    keys: &dyn Decrypt,
) -> Result<(Zeroizing<Vec<u8>>, Vec<Warning>)> {
    let unit = manifest::read_generator_file(config, text, root, true)?;
    let settings = Settings {
        mode: Mode::Plugin,
        ..settings.clone()
    };
    let out = render::render_units(std::slice::from_ref(&unit), &settings, keys)?;
    let yaml = if settings.redact {
        // kustomize names them from what it is given: the markers carry the real hash.
        let mut yaml = Vec::new();
        for (i, s) in out.secrets.iter().enumerate() {
            if i > 0 {
                yaml.extend_from_slice(b"---\n");
            }
            crate::yaml::emit::write_document(&s.to_redacted_node(true), &mut yaml);
        }
        Zeroizing::new(yaml)
    } else {
        crate::secret::to_yaml(&out.secrets)
    };
    Ok((yaml, out.warnings))
}
