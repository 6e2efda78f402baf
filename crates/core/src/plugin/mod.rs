//! Running inside kustomize and kpt: the legacy exec plugin ([`exec()`]), the KRM function
//! ([`function`]), and the plugin's installation where kustomize finds it ([`install()`]).

mod exec;
mod install;
pub(crate) mod krm;
pub(crate) mod list;

pub use exec::exec;
pub use install::{default_plugin_home, install, install_binary, install_binary_as};
pub use krm::{function, is_resource_list};

/// What goes wrong in this layer that is not an error of the input or of a file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// None of the places kustomize looks for plugins is set.
    #[error(
        "cannot tell where kustomize looks for plugins: set --plugin-home, KUSTOMIZE_PLUGIN_HOME, XDG_CONFIG_HOME or HOME"
    )]
    NoPluginHome,
}

impl From<Error> for crate::error::Error {
    fn from(e: Error) -> Self {
        crate::error::Error::Layer(Box::new(e))
    }
}
