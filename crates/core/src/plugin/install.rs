//! `secretgen plugin install`, the library part: where kustomize looks for plugins, and the
//! plugin (a link to the binary) and the binary's copy put there.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Where kustomize looks for plugins: `$KUSTOMIZE_PLUGIN_HOME`, else
/// `$XDG_CONFIG_HOME/kustomize/plugin`, else `~/.config/kustomize/plugin`: a place kustomize
/// finds without being told.
pub fn default_plugin_home() -> Result<PathBuf, super::Error> {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    var("KUSTOMIZE_PLUGIN_HOME")
        .or_else(|| var("XDG_CONFIG_HOME").map(|x| x.join("kustomize/plugin")))
        .or_else(|| var("HOME").map(|h| h.join(".config/kustomize/plugin")))
        .ok_or(super::Error::NoPluginHome)
}

/// The plugin's place under a plugin home.
const PLUGIN_PATH: &str = "secretgen.dev/v1/secretgenerator/SecretGenerator";

/// Installs the plugin under `home` as a symlink to `exe` (the binary recognises the name
/// `SecretGenerator`, so kustomize starts it with no shell in between). Replaces an older
/// installation atomically.
pub fn install(home: &Path, exe: &Path) -> Result<PathBuf> {
    let target = home.join(PLUGIN_PATH);
    let dir = target.parent().unwrap_or(home);
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, "cannot create", e))?;
    // Elsewhere than Unix, where a symlink needs privileges, the writer copies the binary.
    let mut batch = crate::gate::write::Batch::new();
    batch.add_link(target.clone(), exe);
    batch.commit()?;
    Ok(target)
}

/// Copies the binary `exe` to `dir/secretgen` (written beside it and renamed, executable),
/// for images with no `cp`: an init container `FROM scratch` copies itself into a shared
/// volume this way.
pub fn install_binary(dir: &Path, exe: &Path) -> Result<PathBuf> {
    install_binary_as(dir, exe, "secretgen")
}

/// Copies the binary `exe` to `dir/NAME` as [`install_binary`] does: `ksops` for an init
/// container that fills KSOPS' volume (a regular file, which a pod mounts with `subPath`
/// where KSOPS' binary was; a link would point outside the volume).
pub fn install_binary_as(dir: &Path, exe: &Path, name: &str) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, "cannot create", e))?;
    let name = if cfg!(windows) {
        format!("{name}.exe")
    } else {
        name.to_string()
    };
    let target = dir.join(&name);
    let mut batch = crate::gate::write::Batch::new();
    batch.add_copy(target.clone(), exe, 0o755);
    batch.commit()?;
    Ok(target)
}
