//! Looking at rendered Secrets without showing a value: redacted diffs, reference checks,
//! the plaintext gate, and the output directory (written all at once, checked for drift).

pub mod check;
pub mod diff;
pub mod output;
pub mod policy;
