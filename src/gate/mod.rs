//! The gates: each safety rule of secretgen lives in exactly one module here, and every
//! path that reads a user-named file, shows text from an input, turns a name into a path,
//! spawns a process or writes files goes through it. A new capability calls the gate; it
//! never re-implements the rule.
//!
//! | rule | gate |
//! |---|---|
//! | parser budgets: nesting depth, alias expansion, flattened entries | `budget` |

pub mod budget;
