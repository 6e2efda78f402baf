//! age decryption of inputs, in memory, and the key tools of `secretgen age`.
//!
//! In: the bytes of an input file and the places identities may come from. Out: the
//! plaintext as [`SecretBytes`](crate::secret::SecretBytes) (zeroized on drop; no temporary
//! file ever holds it), or a [`CryptError`] that names the file and the kind of failure (no
//! identity, no match, a header or payload that fails authentication, bad armor, a
//! passphrase file, a plugin that needs a terminal) and never any secret. Identities
//! (X25519, post-quantum in [`pq`], plugin, SSH) are read once per process, and only when an
//! encrypted input is met, from the places [`Keyring`] lists in sops' order.
//!
//! Files: `detect`: is it an age file; `keyring`: identities and where they come from;
//! `decrypt`: decryption and its failures; `keys`: keygen, recipients, encryption,
//! stanzas; `error`: the layer's errors; `x25519`: X25519 identities that derive their
//! public key once.

mod decrypt;
mod detect;
mod error;
mod keyring;
mod keys;
pub mod open;
mod plugin;
pub mod pq;
mod x25519;

pub(crate) use decrypt::check_structure;
pub use decrypt::decrypt_with_passphrase;
pub use detect::{armored, is_encrypted, looks_encrypted};
pub use error::{CryptError, EncryptError, ReadError, RecipientError, StanzaError};
pub use keyring::{IdentitySources, Keyring, MAX_IDENTITY_FILE};
pub use keys::{describe_stanzas, encrypt, keygen, keygen_pq, parse_recipient, stanzas};
