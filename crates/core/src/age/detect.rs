//! Whether bytes are an age file, by content, never by name: the binary header line, or the
//! ASCII armor's first line (after whitespace); and a damaged armor line that is surely
//! meant as one.

pub(super) const BINARY_MAGIC: &[u8] = b"age-encryption.org/v1\n";
pub(super) const ARMOR_BEGIN: &[u8] = b"-----BEGIN AGE ENCRYPTED FILE-----";

/// Whether these bytes are an age file, armored or binary (by content, never by name).
pub fn is_encrypted(bytes: &[u8]) -> bool {
    if bytes.starts_with(BINARY_MAGIC) {
        return true;
    }
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    bytes[start..].starts_with(ARMOR_BEGIN)
}

/// A damaged armor header (`-----BEGIN age ENCRYPTED FILE-----`, `----- BEGIN …`, text
/// before it): not an age file to the letter, but surely meant as one. Treated as encrypted,
/// so it fails loudly instead of landing in a Secret as if it were the value.
pub fn looks_encrypted(bytes: &[u8]) -> bool {
    if is_encrypted(bytes) {
        return true;
    }
    // Asked of every plain input: compare bytes in place (ASCII case folded), no copy. The
    // words are looked for at their spaces, which most values have few of, the rarer
    // `AGE ENCRYPTED` first (`goyaml::search`: without memchr's CPU probe).
    const WORDS: &[u8] = b"AGE ENCRYPTED";
    const SPACE_AT: usize = 3;
    let head = &bytes[..bytes.len().min(1024)];
    let at_words = |s: usize| {
        s >= SPACE_AT
            && head
                .get(s - SPACE_AT..s - SPACE_AT + WORDS.len())
                .is_some_and(|w| w.eq_ignore_ascii_case(WORDS))
    };
    let words = goyaml::search::positions(b' ', head).any(at_words);
    words && head.windows(5).any(|w| w.eq_ignore_ascii_case(b"BEGIN"))
}

pub(super) fn is_armored(bytes: &[u8]) -> bool {
    !bytes.starts_with(BINARY_MAGIC) && is_encrypted(bytes)
}

/// Whether an encrypted file is armored (to keep its form when re-encrypting).
pub fn armored(ciphertext: &[u8]) -> bool {
    is_armored(ciphertext)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_by_content() {
        assert!(is_encrypted(b"age-encryption.org/v1\n-> X25519 x\n"));
        assert!(is_encrypted(
            b"\n-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n"
        ));
        assert!(!is_encrypted(b"password"));
        assert!(!is_encrypted(b""));
    }

    #[test]
    fn a_damaged_armor_header_looks_encrypted_wherever_its_words_fall() {
        for yes in [
            &b"-----BEGIN age ENCRYPTED FILE-----\nYWdl"[..],
            b"----- begin Age Encrypted file -----",
            b"text before\n-----BEGIN AGE ENCRYPTED FILE-----",
            b"AGE ENCRYPTED ... BEGIN",
        ] {
            assert!(looks_encrypted(yes), "{}", String::from_utf8_lossy(yes));
        }
        let far = [&[b'x'; 1020][..], b"BEGIN AGE ENCRYPTED"].concat();
        for no in [
            &b"password"[..],
            b"AGE ENCRYPTED",
            b"BEGIN AGEENCRYPTED",
            b"GE ENCRYPTED BEGIN",
            b" AGE ENCRYPTE",
            &far,
        ] {
            assert!(!looks_encrypted(no), "{}", String::from_utf8_lossy(no));
        }
    }
}
