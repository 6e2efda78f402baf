//! The gates: each safety rule of secretgen lives in exactly one module here, and every
//! path that reads a user-named file, shows text from an input, turns a name into a path,
//! spawns a process or writes files goes through it. A new capability calls the gate; it
//! never re-implements the rule.
//!
//! | rule | gate |
//! |---|---|
//! | a file named inside an input or by an environment variable is a regular file; one typed on the command line may also be a pipe, never a device; every read of a file or stdin is capped (`SECRETGEN_MAX_INPUT_BYTES`) and a silent pipe times out | [`read`] |

pub mod read;
