//! The gates: each safety rule of secretgen lives in exactly one module here, and every
//! path that reads a user-named file, shows text from an input, turns a name into a path,
//! spawns a process or writes files goes through it. A new capability calls the gate; it
//! never re-implements the rule.
//!
//! | rule | gate |
//! |---|---|
//! | a Secret's name and namespace become a path only as DNS-1123 names (`OutPath`) | `outpath` |
//! | every file written all or nothing, never through a link inside its directory ([`write::Batch`], [`write::Confined`]) | [`write`] |

pub(crate) mod outpath;
pub mod write;
