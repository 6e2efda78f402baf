//! The gates: each safety rule of secretgen lives in exactly one module here, and every
//! path that reads a user-named file, shows text from an input, turns a name into a path,
//! spawns a process or writes files goes through it. A new capability calls the gate; it
//! never re-implements the rule.
//!
//! | rule | gate |
//! |---|---|
//! | text from an input in a message: decrypted text described, never quoted | [`shown`] |

pub mod shown;
