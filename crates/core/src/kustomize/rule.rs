//! The rules a manifest or kustomization breaks, as data: what it is about (a field as a
//! message names it, what was found instead, an entry as written, another place) with the
//! words written once, here, when shown. An input's text is shown escaped
//! ([`crate::yaml::printable`]); nothing here ever holds a value.

use std::fmt;

use crate::kustomize::hash::UnknownVariant;
use crate::place::{Loc, PathView, io_reason};

/// A rule of the kustomize layer, broken. `what` names a field or a part as a message shows
/// it (`` `literals[2]` ``, `the name`); `found` says what was there instead (`a mapping`).
#[derive(Debug)]
pub enum Rule {
    // Reading a manifest.
    /// A directory where a YAML file is read.
    IsADirectory,
    /// A FIFO, socket or device.
    NotRegular,
    /// Over the YAML size limit (`exact`: the size is known, not only exceeded).
    TooLarge {
        size: u64,
        limit: u64,
        exact: bool,
    },
    /// Not UTF-8 from this byte on.
    NotUtf8 {
        valid_up_to: usize,
    },
    /// A raw U+0085, U+2028 or U+2029, a line break to YAML 1.1.
    Yaml11Break(char),

    // The shape of a manifest, as Go decodes it.
    NotAMapping {
        what: String,
        found: &'static str,
    },
    NotAList {
        what: String,
        found: &'static str,
    },
    KeyNotAFieldName {
        what: String,
        found: &'static str,
    },
    /// A field not in the list allowed here, and the one meant where one is close.
    UnknownField {
        field: String,
        what: String,
        meant: Option<String>,
    },
    NotAString {
        what: String,
        found: &'static str,
    },
    NotABool {
        what: String,
        found: &'static str,
    },

    // Generators.
    /// A document of a named manifest that is no SecretGenerator; `found` is its type as
    /// shown, `meant` the kind it was close to.
    NotASecretGenerator {
        found: String,
        meant: Option<String>,
    },
    /// A named manifest without a SecretGenerator.
    NoSecretGenerator,
    /// A character kustomize cannot read back from a generator's config.
    UnreadableCharacter {
        what: &'static str,
        c: char,
    },
    /// A raw U+0085, which kustomize turns into a space.
    Nel {
        what: &'static str,
    },
    /// A generator without a name (`field` says which to set).
    NoName {
        what: String,
        field: &'static str,
    },
    UnknownBehavior(String),
    UnknownHash(UnknownVariant),
    UnknownOutput(String),
    /// A second generator of one name and namespace (the first is at `first`).
    SecondGenerator {
        name: String,
        first: Loc,
    },

    // Kustomizations.
    /// No document at all.
    EmptyKustomization,
    /// Every field unset or null.
    NothingSet,
    /// More than one document.
    OneDocument,
    /// Other kustomization files in the same directory (their names).
    SeveralKustomizations(Vec<&'static str>),
    GeneratorsEntryNotAString {
        found: &'static str,
    },
    /// A `generators` file (the entry as written) that the system cannot read.
    GeneratorConfigUnreadable {
        entry: String,
        source: std::io::Error,
    },
    GeneratorsEntryIsADirectory(String),
    GeneratorsEntryIsItself(String),
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::yaml::printable;
        match self {
            Rule::IsADirectory => f.write_str("is a directory, expected a YAML file"),
            Rule::NotRegular => f.write_str(
                "is not a regular file (a FIFO, socket or device cannot be a manifest)",
            ),
            Rule::TooLarge {
                size,
                limit,
                exact: true,
            } => write!(f, "is {size} bytes; YAML inputs are limited to {limit} bytes"),
            Rule::TooLarge { limit, .. } => write!(
                f,
                "is more than {limit} bytes; YAML inputs are limited to {limit} bytes"
            ),
            Rule::NotUtf8 { valid_up_to } => write!(
                f,
                "not valid UTF-8 at byte {valid_up_to} (YAML manifests are UTF-8 text)"
            ),
            Rule::Yaml11Break(c) => write!(
                f,
                "a raw U+{:04X} character: kustomize reads YAML 1.1, where it is a line break, so the value it sees is not the one written; write it as the escape `\\u{:04X}` inside a double-quoted string",
                *c as u32, *c as u32
            ),
            Rule::NotAMapping { what, found } => write!(f, "{what} must be a mapping, found {found}"),
            Rule::NotAList { what, found } => write!(f, "`{what}` must be a list, found {found}"),
            Rule::KeyNotAFieldName { what, found } => {
                write!(f, "{what} has a key that is {found}, expected a field name")
            }
            Rule::UnknownField { field, what, meant } => {
                write!(f, "unknown field `{}` in {what}", printable(field))?;
                match meant {
                    Some(m) => write!(f, " (did you mean `{m}`?)"),
                    None => Ok(()),
                }
            }
            Rule::NotAString { what, found } => {
                write!(f, "`{what}` must be a string, found {found} (quote it)")
            }
            Rule::NotABool { what, found } => {
                write!(f, "`{what}` must be true or false, found {found}")
            }
            Rule::NotASecretGenerator { found, meant } => {
                write!(
                    f,
                    "not a SecretGenerator: expected `apiVersion: secretgen.dev/v1` (or `builtin`) and `kind: SecretGenerator`, found {found}"
                )?;
                match meant {
                    Some(m) => write!(f, " (did you mean `kind: {m}`?)"),
                    None => Ok(()),
                }
            }
            Rule::NoSecretGenerator => f.write_str("holds no SecretGenerator document"),
            Rule::UnreadableCharacter { what, c } => write!(
                f,
                "{what} holds the character U+{:04X}, which kustomize cannot read back from the generator's config (it fails with \"control characters are not allowed\"); write it in a file instead",
                *c as u32
            ),
            Rule::Nel { what } => write!(
                f,
                "{what} holds U+0085 (NEL), which kustomize silently turns into a space; write the value in a file instead"
            ),
            Rule::NoName { what, field } => write!(f, "{what} has no name: set {field}"),
            Rule::UnknownBehavior(b) => write!(
                f,
                "unknown behavior `{}`: expected create, merge or replace (kustomize would silently treat it as create)",
                printable(b)
            ),
            Rule::UnknownHash(e) => write!(f, "{e}"),
            Rule::UnknownOutput(o) => write!(
                f,
                "unknown output `{}`: expected kustomize (the default) or kubectl",
                printable(o)
            ),
            Rule::SecondGenerator { name, first } => write!(
                f,
                "a second generator named `{name}` in the same namespace (the first is at {first}); give it another name or namespace"
            ),
            Rule::EmptyKustomization => f.write_str(
                "the kustomization is empty (kustomize refuses an empty kustomization file)",
            ),
            Rule::NothingSet => f.write_str(
                "the kustomization is empty: every field is unset or null (`secretGenerator:` with no entry); kustomize refuses it (kustomization.yaml is empty)",
            ),
            Rule::OneDocument => f.write_str("a kustomization holds one YAML document"),
            Rule::SeveralKustomizations(others) => write!(
                f,
                "found several kustomization files in one directory (also {}); kustomize refuses to choose: keep one",
                others.join(", ")
            ),
            Rule::GeneratorsEntryNotAString { found } => write!(
                f,
                "`generators` entries are strings (a file path or an inline YAML document), found {found}"
            ),
            Rule::GeneratorConfigUnreadable { entry, source } => write!(
                f,
                "cannot read generator config `{entry}`: {}",
                io_reason(source)
            ),
            Rule::GeneratorsEntryIsADirectory(entry) => write!(
                f,
                "`generators` entry `{entry}` is a directory: kustomize would build it as a kustomization and run its output as generators, which secretgen does not do (list the generator config files instead)"
            ),
            Rule::GeneratorsEntryIsItself(entry) => write!(
                f,
                "`generators` entry `{entry}` is this kustomization itself (kustomize refuses it)"
            ),
        }
    }
}

impl Rule {
    /// The same rule with the places it holds shown through `view`.
    pub(crate) fn relabel(self, view: &dyn PathView) -> Rule {
        match self {
            Rule::SecondGenerator { name, first } => Rule::SecondGenerator {
                name,
                first: first.relabel(view),
            },
            other => other,
        }
    }
}
