//! Key entries of SOPS files and what opens them.

pub mod keyservice;
