//! Go's `encoding/json` as kustomize and kubectl marshal with it: strings escaped byte for
//! byte as Go escapes them, and objects with their keys in Go's map order. The name-suffix
//! hash is taken over this text, and `create docker-registry` writes its `.dockerconfigjson`
//! with it, so both match what Go tools produce.

/// Where JSON text goes: a buffer, or straight into a digest (the name hash needs the text
/// only to hash it).
pub trait Out {
    fn put(&mut self, bytes: &[u8]);
}

impl Out for Vec<u8> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// A JSON object with keys in Go's map order (bytewise); each value written by `value`
/// from its key and its text.
pub fn write_object<O: Out + ?Sized>(
    out: &mut O,
    pairs: &[(&str, &str)],
    value: &mut dyn FnMut(&mut O, &str, &str),
) {
    let mut sorted: Vec<&(&str, &str)> = pairs.iter().collect();
    sorted.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    out.put(b"{");
    for (i, (k, v)) in sorted.into_iter().enumerate() {
        if i > 0 {
            out.put(b",");
        }
        write_go_string(out, k.as_bytes());
        out.put(b":");
        value(out, k, v);
    }
    out.put(b"}");
}

/// A string as Go's `encoding/json` (Go ≥ 1.22) writes it with HTML escaping on: `<`, `>`,
/// `&`, U+2028, U+2029 as `\u` escapes, `\b \f \n \r \t` short, other controls `\u00xx`,
/// each byte of invalid UTF-8 as `\ufffd`, every other character raw.
pub fn write_go_string<O: Out + ?Sized>(out: &mut O, s: &[u8]) {
    /// Bytes that may start an escape: controls, `"`, `\\`, `<`, `>`, `&`, and 0xE2 (the lead
    /// byte of U+2028 and U+2029).
    const SPECIAL: [bool; 256] = {
        let mut t = [false; 256];
        let mut b = 0;
        while b < 0x20 {
            t[b] = true;
            b += 1;
        }
        t[b'"' as usize] = true;
        t[b'\\' as usize] = true;
        t[b'<' as usize] = true;
        t[b'>' as usize] = true;
        t[b'&' as usize] = true;
        t[0xe2] = true;
        t
    };
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.put(b"\"");
    let mut rest = s;
    while !rest.is_empty() {
        // ASCII (base64 data, names) is valid UTF-8 as it is.
        let (bytes, invalid_len) = if rest.is_ascii() {
            (rest, 0)
        } else {
            match std::str::from_utf8(rest) {
                Ok(v) => (v.as_bytes(), 0),
                Err(e) => (
                    &rest[..e.valid_up_to()],
                    e.error_len().unwrap_or(rest.len() - e.valid_up_to()),
                ),
            }
        };
        // Byte by byte: in valid UTF-8 only ASCII bytes and the three-byte sequences of
        // U+2028/U+2029 (E2 80 A8/A9) need escapes; every other byte is copied as is.
        // A block at a time while none of its bytes needs a look.
        // In a block that needs a look, straight to its first byte that does.
        let mut start = 0;
        let mut i = 0;
        while i < bytes.len() {
            if let Some(block) = bytes
                .get(i..i + PLAIN_BLOCK)
                .and_then(|b| <&[u8; PLAIN_BLOCK]>::try_from(b).ok())
            {
                if plain_block(block) {
                    i += PLAIN_BLOCK;
                    continue;
                }
                i += block
                    .iter()
                    .position(|&b| SPECIAL[b as usize] || b >= 0x80)
                    .unwrap_or(0);
            }
            let b = bytes[i];
            if !SPECIAL[b as usize] {
                i += 1;
                continue;
            }
            let esc: &[u8] = match b {
                b'"' => b"\\\"",
                b'\\' => b"\\\\",
                b'\n' => b"\\n",
                b'\r' => b"\\r",
                b'\t' => b"\\t",
                0x08 => b"\\b",
                0x0c => b"\\f",
                b'<' => b"\\u003c",
                b'>' => b"\\u003e",
                b'&' => b"\\u0026",
                0xe2 if bytes.get(i + 1) == Some(&0x80)
                    && matches!(bytes.get(i + 2), Some(0xa8 | 0xa9)) =>
                {
                    out.put(&bytes[start..i]);
                    out.put(if bytes[i + 2] == 0xa8 {
                        b"\\u2028"
                    } else {
                        b"\\u2029"
                    });
                    i += 3;
                    start = i;
                    continue;
                }
                b if b < 0x20 => {
                    out.put(&bytes[start..i]);
                    out.put(b"\\u00");
                    out.put(&[HEX[(b >> 4) as usize]]);
                    out.put(&[HEX[(b & 0xf) as usize]]);
                    i += 1;
                    start = i;
                    continue;
                }
                _ => {
                    i += 1;
                    continue;
                }
            };
            out.put(&bytes[start..i]);
            out.put(esc);
            i += 1;
            start = i;
        }
        out.put(&bytes[start..]);
        let consumed = bytes.len() + invalid_len;
        // Go decodes rune by rune and replaces each byte that starts no valid rune, so a
        // truncated or invalid sequence of N bytes becomes N replacement characters.
        for _ in 0..invalid_len {
            out.put(b"\\ufffd");
        }
        rest = &rest[consumed..];
    }
    out.put(b"\"");
}

/// The bytes [`plain_block`] judges at once.
const PLAIN_BLOCK: usize = 32;

/// Whether none of these bytes needs a look in [`write_go_string`]: each is ASCII, not a
/// control character, and none of `"`, `\\`, `<`, `>`, `&`. Judged without a branch per byte
/// (the compiler compares a vector at a time).
fn plain_block(block: &[u8; PLAIN_BLOCK]) -> bool {
    let mut look = 0u8;
    for &b in block {
        look |= u8::from(
            !(0x20..0x80).contains(&b)
                | (b == b'"')
                | (b == b'\\')
                | (b == b'<')
                | (b == b'>')
                | (b == b'&'),
        );
    }
    look == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_is_plain_exactly_when_each_of_its_bytes_is() {
        let plain = |b: u8| (0x20..0x80).contains(&b) && !b"\"\\<>&".contains(&b);
        // Every byte value in every position, among plain neighbours and among others.
        for fill in [b'a', b'=', 0x1f, 0xe2] {
            for pos in 0..PLAIN_BLOCK {
                for b in 0..=255u8 {
                    let mut w = [fill; PLAIN_BLOCK];
                    w[pos] = b;
                    let want = w.iter().all(|&c| plain(c));
                    assert_eq!(plain_block(&w), want, "{w:?}");
                }
            }
        }
    }

    #[test]
    fn multibyte_text_in_long_strings_escapes_as_go_does() {
        let reference = |s: &str| {
            let mut v = String::from("\"");
            for c in s.chars() {
                match c {
                    '"' => v.push_str("\\\""),
                    '\\' => v.push_str("\\\\"),
                    '\n' => v.push_str("\\n"),
                    '<' => v.push_str("\\u003c"),
                    '\u{2028}' => v.push_str("\\u2028"),
                    '\u{2029}' => v.push_str("\\u2029"),
                    c => v.push(c),
                }
            }
            v.push('"');
            v
        };
        for at in [0usize, 1, 30, 31, 32, 33, 63, 64] {
            for odd in ["é", "\u{2028}", "\u{2029}", "€", "𝄞", "<", "\n", "\\", "\""] {
                let mut s = "Q".repeat(at);
                s.push_str(odd);
                s.push_str(&"Z".repeat(70));
                s.push_str(odd);
                assert_eq!(go(s.as_bytes()), reference(&s), "{odd:?} at {at}");
            }
        }
    }

    #[test]
    fn long_strings_escape_as_byte_by_byte() {
        let mut s = b"QUJD".repeat(40);
        for (at, b) in [
            (3usize, b'<'),
            (17, b'\n'),
            (40, b'"'),
            (63, 0x7f),
            (64, b'&'),
            (99, 0x01),
        ] {
            s[at] = b;
        }
        let want = {
            let mut v = String::from("\"");
            for &b in &s {
                match b {
                    b'<' => v.push_str("\\u003c"),
                    b'\n' => v.push_str("\\n"),
                    b'"' => v.push_str("\\\""),
                    b'&' => v.push_str("\\u0026"),
                    0x01 => v.push_str("\\u0001"),
                    b => v.push(char::from(b)),
                }
            }
            v.push('"');
            v
        };
        assert_eq!(go(&s), want);
    }

    fn go(s: &[u8]) -> String {
        let mut out = Vec::new();
        write_go_string(&mut out, s);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn go_string_escaping() {
        assert_eq!(go(b"a<b>&c"), r#""a\u003cb\u003e\u0026c""#);
        assert_eq!(go("x\u{2028}y\u{2029}".as_bytes()), r#""x\u2028y\u2029""#);
        assert_eq!(go(b"q\"b\\"), r#""q\"b\\""#);
        assert_eq!(go(b"\n\r\t\x08\x0c\x01\x1f"), r#""\n\r\t\b\f\u0001\u001f""#);
        assert_eq!(go("é ключ 🔑".as_bytes()), "\"é ключ 🔑\"");
        // Go replaces each byte that starts no valid rune: a truncated sequence gives two.
        assert_eq!(go(b"a\xffb\xe2\x82"), r#""a\ufffdb\ufffd\ufffd""#);
        assert_eq!(go(b"\x7f"), "\"\x7f\"");
    }

    #[test]
    fn go_string_agrees_with_serde_json_where_defined() {
        // serde_json escapes the same set minus Go's HTML and line-separator escapes.
        for s in [
            "plain",
            "tab\there",
            "quote\"",
            "back\\slash",
            "ctl\u{1}",
            "ünï",
        ] {
            assert_eq!(go(s.as_bytes()), serde_json::to_string(s).unwrap(), "{s:?}");
        }
    }
}
