//! Errors and warnings as users see them.
//!
//! Every error names the file it is about, with line and column where the input is YAML,
//! and the rule broken; none holds a secret value. The CLI prints them as
//! `error: FILE:LINE:COL: message` and exits 2.

use std::path::Path;

#[cfg(test)]
pub(crate) use crate::place::TestRev;
pub use crate::place::{IoError, Loc, PathView, Warning, escape_controls, io_reason};

/// What went wrong, by layer. Messages state the rule and what to do; never a value.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Malformed YAML.
    #[error(transparent)]
    Yaml(#[from] crate::yaml::Error),
    /// A manifest, kustomization or source that breaks a rule of the kustomize layer.
    #[error(transparent)]
    Kustomize(Box<crate::kustomize::Error>),
    /// The Secret that would be produced breaks a Kubernetes rule.
    #[error(transparent)]
    Secret(#[from] crate::secret::Error),
    /// A decrypted SOPS resource that is not UTF-8 or not YAML, or a SOPS resource a
    /// placeholder cannot stand in for: the file is `loc`'s.
    #[error("{loc}: {}", reason.text(&loc.file))]
    Crypt { loc: Loc, reason: CryptReason },
    /// A SOPS file that cannot be decrypted, with the SOPS layer's reason.
    #[error("{loc}: {source}")]
    Sops {
        loc: Loc,
        #[source]
        source: Box<crate::sops::SopsError>,
    },
    /// An age file that cannot be decrypted, with the age layer's reason.
    #[error("{loc}: {source}")]
    Age {
        loc: Loc,
        #[source]
        source: Box<crate::age::CryptError>,
    },
    /// Reading or writing a file failed.
    #[error(transparent)]
    Io(#[from] IoError),
    /// A file or stdin the reader refused or could not read.
    #[error(transparent)]
    Read(#[from] crate::gate::read::ReadError),
    /// A usage error of the command line.
    #[error("{0}")]
    Usage(String),
    /// A failure of a layer above this one, as that layer's own typed error: the review
    /// layer's (git, the base tree, the output directory), the plugin layer's (where kustomize
    /// looks), the `create` forms' of the use cases. Each converts into it with `From`.
    #[error("{0}")]
    Layer(Box<dyn LayerError>),
    /// A Secret that cannot be sealed, or a certificate that cannot seal (`render --seal`).
    #[error(transparent)]
    Seal(#[from] crate::secret::seal::SealError),
    /// A Secret that cannot be written SOPS-encrypted (`render --encrypt sops`).
    #[error(transparent)]
    SopsFile(#[from] crate::secret::sops_file::SopsFileError),
    /// A write refused or failed (nothing changed): the writer gate's reason.
    #[error(transparent)]
    Write(#[from] crate::gate::write::WriteError),
    /// Several errors at once (all of one generator's violations, say).
    #[error("{}", join_lines(.0))]
    Many(Vec<Error>),
}

/// The typed error of a layer above this one, carried by [`Error::Layer`]: it shows every
/// path it holds through a [`crate::place::PathView`] when asked, as this layer's own do.
pub trait LayerError: std::error::Error + Send + Sync + 'static {
    /// The same error with every path it holds shown through `view`.
    fn relabel(self: Box<Self>, view: &dyn crate::place::PathView) -> Box<dyn LayerError>;

    /// Where in an input it is, for a report that places errors (the KRM function's
    /// results); `None` for an error of no input.
    fn loc(&self) -> Option<&Loc> {
        None
    }
}

/// A rule of a layer above this one: its words (`Display`), and the places it holds besides
/// the refusal's own, shown through a view.
pub(crate) trait LayerRule:
    std::fmt::Display + std::fmt::Debug + Send + Sync + Sized + 'static
{
    /// The same rule with every place or path it holds shown through `view`.
    fn relabel(self, view: &dyn crate::place::PathView) -> Self;
}

/// A layer's refusal: the rule `R` broken at `loc` (`FILE:LINE:COL: words`). The one shape
/// of the tree build's, the sources' and KSOPS' errors.
#[derive(Debug)]
pub(crate) struct Refusal<R> {
    pub(crate) loc: Loc,
    pub(crate) rule: R,
}

impl<R: LayerRule> Refusal<R> {
    pub(crate) fn new(loc: Loc, rule: R) -> Self {
        Refusal { loc, rule }
    }
}

impl<R: LayerRule> std::fmt::Display for Refusal<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.loc, self.rule)
    }
}

impl<R: LayerRule> std::error::Error for Refusal<R> {}

impl<R: LayerRule> LayerError for Refusal<R> {
    fn relabel(self: Box<Self>, view: &dyn crate::place::PathView) -> Box<dyn LayerError> {
        let Refusal { loc, rule } = *self;
        Box::new(Refusal {
            loc: loc.relabel(view),
            rule: rule.relabel(view),
        })
    }

    fn loc(&self) -> Option<&Loc> {
        Some(&self.loc)
    }
}

/// Every layer error above travels as [`Error::Layer`].
impl<E: LayerError> From<E> for Error {
    fn from(e: E) -> Self {
        Error::Layer(Box::new(e))
    }
}

/// Why an encrypted input, opened, cannot be used. Names lines, never a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CryptReason {
    /// The decrypted resource is not UTF-8.
    NotUtf8,
    /// The decrypted resource is not YAML; where the parser stopped.
    NotYaml(crate::yaml::Mark),
    /// A placeholder needs the Secret's kind and name in clear, and they are encrypted.
    NamesEncrypted,
}

impl CryptReason {
    fn text(self, file: &Path) -> String {
        let file = file.display();
        match self {
            CryptReason::NotUtf8 => format!("`{file}`: the decrypted resource is not UTF-8"),
            CryptReason::NotYaml(at) => {
                format!("`{file}`: the decrypted resource is not valid YAML ({at})")
            }
            CryptReason::NamesEncrypted => format!(
                "`{file}` is SOPS-encrypted with its kind or name encrypted too; a placeholder needs them in clear (encrypt with --encrypted-regex '^(data|stringData)$')"
            ),
        }
    }
}

/// The kustomize layer's readers fail as readers do (not YAML, not readable): those keep
/// the library's own variants, so an error has one shape whichever layer read the file.
impl From<crate::kustomize::Error> for Error {
    fn from(e: crate::kustomize::Error) -> Self {
        match e {
            crate::kustomize::Error::Yaml(y) => Error::Yaml(y),
            crate::kustomize::Error::Io(io) => Error::Io(io),
            crate::kustomize::Error::Read(r) => Error::Read(r),
            e => Error::Kustomize(Box::new(e)),
        }
    }
}

fn join_lines(errors: &[Error]) -> String {
    errors
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("\nerror: ")
}

impl Error {
    pub fn io(path: &Path, action: &'static str, source: std::io::Error) -> Self {
        Error::Io(IoError::new(path, action, source))
    }

    /// The same error with every path it holds shown through `view`, as `diff --base` shows
    /// a revision's files. Only paths are rewritten: the words stay as they are.
    pub fn relabel(self, view: &dyn crate::place::PathView) -> Self {
        match self {
            Error::Yaml(y) => Error::Yaml(y.relabel(|l: Loc| l.relabel(view), |m: String| m)),
            Error::Kustomize(k) => Error::Kustomize(Box::new(k.relabel(view))),
            Error::Secret(s) => Error::Secret(s.relabel(view)),
            Error::Crypt { loc, reason } => Error::Crypt {
                loc: loc.relabel(view),
                reason,
            },
            Error::Sops { loc, source } => Error::Sops {
                loc: loc.relabel(view),
                source: Box::new(source.relabel(|f| view.show(&f), |m| m)),
            },
            Error::Age { loc, source } => Error::Age {
                loc: loc.relabel(view),
                source: Box::new(source.relabel(view)),
            },
            Error::Io(io) => Error::Io(io.relabel(view)),
            Error::Read(r) => Error::Read(r.relabel(view)),
            Error::Many(list) => Error::Many(list.into_iter().map(|e| e.relabel(view)).collect()),
            Error::Layer(e) => Error::Layer(e.relabel(view)),
            other => other,
        }
    }

    /// Flattens nested lists, so that a caller can collect and report all at once.
    pub fn many(mut errors: Vec<Error>) -> Self {
        if errors.len() == 1 {
            return errors.remove(0);
        }
        let mut flat = Vec::new();
        for e in errors {
            match e {
                Error::Many(inner) => flat.extend(inner),
                other => flat.push(other),
            }
        }
        Error::Many(flat)
    }
}

pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::Mark;

    #[test]
    fn location_format() {
        let loc = Loc::at(
            "gen.yaml",
            Mark {
                line: 7,
                col: 5,
                ..Default::default()
            },
        );
        let e: Error =
            crate::kustomize::Error::rule(loc, crate::kustomize::rule::Rule::OneDocument).into();
        assert_eq!(
            e.to_string(),
            "gen.yaml:7:5: a kustomization holds one YAML document"
        );
    }
}
