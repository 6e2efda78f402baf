//! The budget every parser is held to: how deep a document may nest, and how much text an
//! expansion (YAML aliases, flattened metadata) may make. One definition for every format
//! reader, so a recursive reader cannot overflow the stack and no input costs more than
//! linear time and memory in its size.
//!
//! A recursive reader carries a [`Depth`] down by value (`let d = depth.deeper()?;` before
//! each nested value); an iterative one compares its stack with [`Depth::check`].

use std::fmt;

/// The deepest nesting any reader accepts (mappings, sequences, JSON objects and arrays,
/// flattened metadata paths). Kubernetes objects and SOPS files nest a few levels; goyaml's
/// flow collections stop at 255 already.
pub const MAX_DEPTH: usize = 256;

/// The text that expanding aliases may add to one YAML document. goyaml.v2 shares a string
/// between its aliases; a reader that copies it gets a budget of its own.
pub const MAX_EXPANDED_BYTES: usize = 64 << 20;

/// The entries a flattened structure (SOPS dotenv or INI metadata) may hold. sops writes a
/// few dozen; a key group per recipient stays far below.
pub const MAX_FLAT_ENTRIES: usize = 10_000;

/// A document nests deeper than [`MAX_DEPTH`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooDeep;

impl fmt::Display for TooDeep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "nested more than {MAX_DEPTH} levels deep")
    }
}

impl std::error::Error for TooDeep {}

/// How deep a recursive reader is: passed by value, one level more for each nested value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Depth(usize);

impl Depth {
    /// The top of a document.
    pub const TOP: Depth = Depth(0);

    /// One level deeper, or [`TooDeep`] past [`MAX_DEPTH`].
    pub fn deeper(self) -> Result<Depth, TooDeep> {
        Depth::check(self.0 + 1).map(|()| Depth(self.0 + 1))
    }

    /// Whether `levels` open collections are within the budget (for readers with a stack).
    pub fn check(levels: usize) -> Result<(), TooDeep> {
        if levels > MAX_DEPTH {
            Err(TooDeep)
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_stops_at_the_budget() {
        let mut d = Depth::TOP;
        for _ in 0..MAX_DEPTH {
            d = d.deeper().expect("within the budget");
        }
        assert_eq!(d.deeper(), Err(TooDeep));
        assert!(Depth::check(MAX_DEPTH).is_ok());
        assert_eq!(Depth::check(MAX_DEPTH + 1), Err(TooDeep));
        assert!(TooDeep.to_string().contains("256"));
    }
}
