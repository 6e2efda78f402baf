//! Byte search without the CPU probe. memchr's generic entry points first ask the CPU what
//! it supports (CPUID, which a virtual machine traps: some 25 µs per process) and then take
//! AVX2 or SSE2; every short run (one kustomize plugin call per generator) would pay that for
//! a few searches over short text. On x86_64 these call memchr's SSE2 search, which the
//! architecture always has; elsewhere memchr's generic one.

/// The first `byte` in `hay`.
pub fn find(byte: u8, hay: &[u8]) -> Option<usize> {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    if let Some(one) = memchr::arch::x86_64::sse2::memchr::One::new(byte) {
        return one.find(hay);
    }
    #[allow(clippy::disallowed_methods)] // the generic search where SSE2 is not known
    memchr::memchr(byte, hay)
}

/// The first `a` or `b` in `hay`.
pub fn find2(a: u8, b: u8, hay: &[u8]) -> Option<usize> {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    if let Some(two) = memchr::arch::x86_64::sse2::memchr::Two::new(a, b) {
        return two.find(hay);
    }
    #[allow(clippy::disallowed_methods)] // the generic search where SSE2 is not known
    memchr::memchr2(a, b, hay)
}

/// Where `byte` is in `hay`, in order.
pub fn positions(byte: u8, hay: &[u8]) -> impl Iterator<Item = usize> + '_ {
    let mut at = 0;
    std::iter::from_fn(move || {
        let i = at + find(byte, hay.get(at..)?)?;
        at = i + 1;
        Some(i)
    })
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // memchr's own search is the reference
mod tests {
    use super::*;

    #[test]
    fn finds_as_memchr_does() {
        // Every byte of `ab\ncd\re` in turn, so each is met in and across SSE2's blocks.
        let hay: Vec<u8> = (0..300).map(|i| b"ab\ncd\re"[i * 5 % 7]).collect();
        for n in [0, 1, 15, 16, 17, 31, 32, 33, 64, 200, 300] {
            let h = &hay[..n];
            for b in [b'a', b'\n', b'\r', b'z'] {
                assert_eq!(find(b, h), memchr::memchr(b, h), "{n} {b}");
                assert_eq!(
                    positions(b, h).collect::<Vec<_>>(),
                    memchr::memchr_iter(b, h).collect::<Vec<_>>(),
                    "{n} {b}"
                );
            }
            assert_eq!(find2(b'\n', b'\r', h), memchr::memchr2(b'\n', b'\r', h));
        }
    }
}
