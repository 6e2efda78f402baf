//! What rendering a generator refuses, as data: the rule its sources break (a key given
//! twice, a directory where a file must be, a source kustomize cannot parse), what it is
//! about, and where. The words are written once, here, when the error is shown; a place is
//! shown through the run's [`PathView`] (the working tree, or `REV:path` under `diff --base`).

use std::fmt;

use crate::error::{Loc, PathView};
use crate::gate::shown::Text;
use crate::kustomize::source::SourceError;

/// A generator's refusal at `loc`.
pub(crate) type RenderError = crate::error::Refusal<Rule>;

/// The rule broken. An entry is held as the manifest writes it (`entry`), and shown so.
#[derive(Debug)]
pub(crate) enum Rule {
    /// A key that a generator's sources give twice. `key` is `None` for a key read from
    /// inside a file (an env line), which is never shown; `first` is where it was given
    /// first, `None` when that is this same place (one file listed twice).
    KeyTwice {
        key: Option<Text>,
        generator: String,
        first: Option<Loc>,
    },
    /// An `envs` entry that names a directory.
    EnvFileIsDirectory { entry: String },
    /// A `files` entry with a key name that names a directory.
    KeyForDirectory { entry: String },
    /// A literal, a `files` entry or an env file that kustomize cannot parse.
    Source(SourceError),
    /// A run whose every input was skipped: why the one at `loc` was (the reader's words).
    NothingRendered { why: String },
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::KeyTwice {
                key,
                generator,
                first,
            } => {
                match key {
                    Some(key) => write!(f, "key {key}")?,
                    None => f.write_str("the key on this line")?,
                }
                write!(f, " is given twice in generator `{generator}` (")?;
                match first {
                    Some(first) => write!(f, "first at {first}")?,
                    None => f.write_str("the same line again: is the file listed twice?")?,
                }
                f.write_str("); each key may appear once")?;
                if key.is_none() {
                    f.write_str(
                        " (the key is not shown: text from inside a file is never printed)",
                    )?;
                }
                Ok(())
            }
            Rule::EnvFileIsDirectory { entry } => {
                write!(f, "env file `{entry}` is a directory")
            }
            Rule::KeyForDirectory { entry } => write!(
                f,
                "`{entry}` is a directory: a key name cannot be given for a directory (each file becomes a key)"
            ),
            Rule::Source(e) => write!(f, "{e}"),
            Rule::NothingRendered { why } => write!(f, "nothing rendered: {why}"),
        }
    }
}

impl crate::error::LayerRule for Rule {
    fn relabel(self, view: &dyn PathView) -> Rule {
        match self {
            Rule::KeyTwice {
                key,
                generator,
                first,
            } => Rule::KeyTwice {
                key,
                generator,
                first: first.map(|l| l.relabel(view)),
            },
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::error::TestRev as Rev;

    #[test]
    fn every_place_an_error_holds_is_shown_through_the_view() {
        let e: crate::error::Error = RenderError::new(
            Loc::file("tmp/b.env"),
            Rule::KeyTwice {
                key: None,
                generator: "db".into(),
                first: Some(Loc::file("tmp/a.env")),
            },
        )
        .into();
        assert_eq!(
            e.relabel(&Rev).to_string(),
            "REV:b.env: the key on this line is given twice in generator `db` (first at REV:a.env); each key may appear once (the key is not shown: text from inside a file is never printed)"
        );
    }

    #[test]
    fn a_key_from_the_manifest_is_named_and_one_place_twice_is_said() {
        let e = RenderError::new(
            Loc::file("gen.yaml"),
            Rule::KeyTwice {
                key: Some(Text::plain("user")),
                generator: "db".into(),
                first: None,
            },
        );
        assert_eq!(
            e.to_string(),
            "gen.yaml: key `user` is given twice in generator `db` (the same line again: is the file listed twice?); each key may appear once"
        );
        let e = RenderError::new(
            Loc::file("gen.yaml"),
            Rule::Source(SourceError::LiteralNoEquals),
        );
        assert_eq!(
            e.to_string(),
            "gen.yaml: literal has no `=`: expected `key=value`"
        );
    }
}
