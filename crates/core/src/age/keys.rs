//! Key tools: new identities, recipients parsed from their text forms, encryption, and the
//! recipient stanzas of a file's header described for messages and `secretgen age recipients`.

use std::io::BufRead;

use ::age::secrecy::ExposeSecret;
use zeroize::Zeroizing;

use super::error::{EncryptError, RecipientError, StanzaError};
use super::{plugin, pq};

/// A post-quantum recipient is ~2000 characters: messages show its ends.
pub(super) fn short_recipient(r: &str) -> String {
    if r.len() <= 80 {
        return r.to_string();
    }
    format!("{}…{}", &r[..16], &r[r.len() - 8..])
}

/// The recipient stanzas of an age file's header: (type, first argument).
pub fn stanzas(ciphertext: &[u8]) -> Result<Vec<(String, Option<String>)>, StanzaError> {
    let mut reader = std::io::BufReader::new(::age::armor::ArmoredReader::new(ciphertext));
    let mut first = String::new();
    reader.read_line(&mut first)?;
    if first != "age-encryption.org/v1\n" {
        return Err(StanzaError::NotAge);
    }
    let mut out = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Err(StanzaError::EndsEarly);
        }
        if line.starts_with("---") {
            break;
        }
        if let Some(rest) = line.strip_prefix("-> ") {
            let mut words = rest.split_whitespace();
            let kind = words.next().unwrap_or("").to_string();
            out.push((kind, words.next().map(str::to_string)));
        }
        if line.len() > 4096 {
            return Err(StanzaError::LineTooLong);
        }
    }
    Ok(out)
}

pub(super) fn stanza_types(ciphertext: &[u8]) -> Vec<(String, Option<String>)> {
    stanzas(ciphertext).unwrap_or_default()
}

/// `X25519 ×2, ssh-ed25519 ×1` (ssh stanzas with their key tags).
pub fn describe_stanzas(stanzas: &[(String, Option<String>)]) -> String {
    let mut counts: Vec<(String, usize, Vec<String>)> = Vec::new();
    // age adds random "grease" stanzas that no identity opens; they say nothing.
    for (kind, arg) in stanzas.iter().filter(|(k, _)| !k.ends_with("-grease")) {
        let entry = match counts.iter_mut().find(|(k, _, _)| k == kind) {
            Some(e) => e,
            None => {
                counts.push((kind.clone(), 0, Vec::new()));
                counts.last_mut().expect("just pushed")
            }
        };
        entry.1 += 1;
        if let (true, Some(tag)) = (kind.starts_with("ssh-"), arg) {
            entry.2.push(tag.clone());
        }
    }
    if counts.is_empty() {
        return "no recipient".into();
    }
    counts
        .into_iter()
        .map(|(k, n, tags)| {
            if tags.is_empty() {
                format!("{k} ×{n}")
            } else {
                format!("{k} ×{n} (key tags {})", tags.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Public keys usable as recipients, from `-r` arguments or lines of `-R` files: X25519
/// (`age1…`), post-quantum (`age1pq1…`), tagged (`age1tag1…`, `age1tagpq1…`), plugin
/// (`age1NAME1…`, wrapped by `age-plugin-NAME`) and SSH public keys.
pub fn parse_recipient(s: &str) -> Result<Box<dyn ::age::Recipient + Send>, RecipientError> {
    if s.starts_with("age1pq1") {
        return s
            .parse::<pq::HybridRecipient>()
            .map(|r| Box::new(r) as Box<dyn ::age::Recipient + Send>)
            .map_err(|source| RecipientError::PostQuantum {
                shown: short_recipient(s),
                source,
            });
    }
    if let Ok(r) = s.parse::<::age::x25519::Recipient>() {
        return Ok(Box::new(r));
    }
    if let Ok(r) = s.parse::<::age::ssh::Recipient>() {
        return Ok(Box::new(r));
    }
    if s.starts_with("age1tagpq1") {
        if let Ok(r) = s.parse::<::age::tagpq::Recipient>() {
            return Ok(Box::new(r));
        }
    } else if s.starts_with("age1tag1") {
        if let Ok(r) = s.parse::<::age::tag::Recipient>() {
            return Ok(Box::new(r));
        }
    } else if s.starts_with("age1")
        && let Ok(r) = s.parse::<::age::plugin::Recipient>()
    {
        return plugin::recipient(r);
    }
    Err(RecipientError::Unknown {
        shown: short_recipient(s),
    })
}

/// Encrypts to the recipients, armored or binary.
pub fn encrypt(
    plaintext: &[u8],
    recipients: &[Box<dyn ::age::Recipient + Send>],
    armor: bool,
) -> Result<Vec<u8>, EncryptError> {
    use std::io::Write;
    let encryptor = ::age::Encryptor::with_recipients(
        recipients
            .iter()
            .map(|r| r.as_ref() as &dyn ::age::Recipient),
    )
    .map_err(|e| match e {
        ::age::EncryptError::IncompatibleRecipients { l_labels, r_labels }
            if l_labels.contains(pq::POSTQUANTUM) || r_labels.contains(pq::POSTQUANTUM) =>
        {
            EncryptError::MixedPostQuantum
        }
        other => EncryptError::Age(other),
    })?;
    let format = if armor {
        ::age::armor::Format::AsciiArmor
    } else {
        ::age::armor::Format::Binary
    };
    let mut out = Vec::with_capacity(plaintext.len() + 512);
    let armored = ::age::armor::ArmoredWriter::wrap_output(&mut out, format)?;
    let mut writer = encryptor.wrap_output(armored)?;
    writer.write_all(plaintext)?;
    writer.finish().and_then(|a| a.finish())?;
    Ok(out)
}

/// A new X25519 identity: (identity file text, recipient).
pub fn keygen() -> (Zeroizing<String>, String) {
    let identity = ::age::x25519::Identity::generate();
    let recipient = identity.to_public().to_string();
    let text = format!(
        "# created by secretgen age keygen\n# public key: {recipient}\n{}\n",
        identity.to_string().expose_secret()
    );
    (Zeroizing::new(text), recipient)
}

/// A new post-quantum identity (ML-KEM-768 + X25519): (identity file text, recipient).
pub fn keygen_pq() -> Result<(Zeroizing<String>, String), pq::KeyError> {
    let identity = pq::HybridIdentity::generate()?;
    let recipient = identity.to_public().to_string();
    let text = format!(
        "# created by secretgen age keygen --pq\n# public key: {recipient}\n{}\n",
        identity.to_secret_string().expose_secret()
    );
    Ok((Zeroizing::new(text), recipient))
}
