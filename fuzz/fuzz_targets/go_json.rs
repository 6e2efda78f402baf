//! The Go-JSON string encoder on arbitrary bytes: the output is valid JSON that decodes
//! (serde_json) to the input as Go reads it, rune by rune, each byte that starts no valid
//! rune read as U+FFFD; no byte Go escapes in HTML-safe mode is left raw.
#![no_main]

use libfuzzer_sys::fuzz_target;
use secretgen::kustomize::gojson;

/// Go's `utf8.DecodeRune`: the rune and its width, (U+FFFD, 1) when invalid.
fn decode_rune(b: &[u8]) -> (char, usize) {
    let (len, min) = match b[0] {
        0x00..=0x7f => return (b[0] as char, 1),
        0xc2..=0xdf => (2, 0x80),
        0xe0..=0xef => (3, 0x800),
        0xf0..=0xf4 => (4, 0x10000),
        _ => return ('\u{fffd}', 1),
    };
    if b.len() < len || !b[1..len].iter().all(|c| c & 0xc0 == 0x80) {
        return ('\u{fffd}', 1);
    }
    let mut v = u32::from(b[0]) & (0x7f >> len);
    for c in &b[1..len] {
        v = (v << 6) | u32::from(c & 0x3f);
    }
    match char::from_u32(v) {
        Some(c) if v >= min => (c, len),
        _ => ('\u{fffd}', 1),
    }
}

fn go_lossy(mut b: &[u8]) -> String {
    let mut s = String::new();
    while !b.is_empty() {
        let (c, n) = decode_rune(b);
        s.push(c);
        b = &b[n..];
    }
    s
}

fuzz_target!(|data: &[u8]| {
    let mut out = Vec::new();
    gojson::write_go_string(&mut out, data);
    let decoded: String = serde_json::from_slice(&out).expect("encoder wrote invalid JSON");
    assert_eq!(decoded, go_lossy(data));
    assert!(!out.iter().any(|b| matches!(b, b'<' | b'>' | b'&') || *b < 0x20));
});
