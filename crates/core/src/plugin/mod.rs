//! Running inside kustomize and kpt: the legacy exec plugin ([`exec()`]), the KRM function
//! ([`function`]), and the plugin's installation where kustomize finds it ([`install()`]).

mod exec;
mod install;
pub(crate) mod krm;
pub(crate) mod list;

pub use exec::exec;
pub use install::{default_plugin_home, install, install_binary, install_binary_as};
pub use krm::{function, is_resource_list};

/// What goes wrong in this layer: where kustomize looks, and the ResourceList on stdin.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// None of the places kustomize looks for plugins is set.
    #[error(
        "cannot tell where kustomize looks for plugins: set --plugin-home, KUSTOMIZE_PLUGIN_HOME, XDG_CONFIG_HOME or HOME"
    )]
    NoPluginHome,
    /// The KRM function's stdin does not start with a ResourceList.
    #[error("{loc}: expected a ResourceList (kind: ResourceList) on stdin")]
    NotAResourceList { loc: crate::error::Loc },
    /// A ResourceList whose `items` is not a list (`found` names what it is).
    #[error(
        "{loc}: the ResourceList's `items` must be a list, found {found} (its items would be lost)"
    )]
    ItemsNotAList {
        loc: crate::error::Loc,
        found: &'static str,
    },
    /// A ResourceList on stdin over the YAML size limit.
    #[error("{loc}: the ResourceList is more than {limit} bytes; YAML inputs are limited to that")]
    ResourceListTooLarge { loc: crate::error::Loc, limit: u64 },
    /// A ResourceList without the generator to run.
    #[error("{loc}: the ResourceList has no functionConfig: pass the generator with --fn-config")]
    NoFunctionConfig { loc: crate::error::Loc },
}

/// What it names is stdin, never a revision's file.
impl crate::error::LayerError for Error {
    fn relabel(
        self: Box<Self>,
        _: &dyn crate::place::PathView,
    ) -> Box<dyn crate::error::LayerError> {
        self
    }

    fn loc(&self) -> Option<&crate::error::Loc> {
        match self {
            Error::NoPluginHome => None,
            Error::NotAResourceList { loc }
            | Error::ItemsNotAList { loc, .. }
            | Error::NoFunctionConfig { loc }
            | Error::ResourceListTooLarge { loc, .. } => Some(loc),
        }
    }
}
