//! Shamir's secret sharing over GF(2^8), as sops (from HashiCorp Vault) uses it to split the
//! data key between key groups. Each share is the secret's length plus one byte: the share's
//! x coordinate, last. [`split`] makes the shares as Vault's `shamir.Split` does (distinct
//! random x coordinates in 1..=255, one random polynomial per byte of the secret);
//! [`combine`] interpolates every byte at x = 0.

use zeroize::Zeroizing;

/// Multiplication in GF(2^8) with the AES polynomial x^8 + x^4 + x^3 + x + 1.
fn mul(mut a: u8, mut b: u8) -> u8 {
    let mut p = 0u8;
    while b != 0 {
        if b & 1 != 0 {
            p ^= a;
        }
        let carry = a & 0x80;
        a <<= 1;
        if carry != 0 {
            a ^= 0x1b;
        }
        b >>= 1;
    }
    p
}

/// The multiplicative inverse (a^254); 0 has none and maps to 0.
fn inv(a: u8) -> u8 {
    let mut r = 1u8;
    let mut base = a;
    let mut e = 254u8;
    while e != 0 {
        if e & 1 != 0 {
            r = mul(r, base);
        }
        base = mul(base, base);
        e >>= 1;
    }
    r
}

/// Why shares do not combine (Vault's messages, as sops reports them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ShamirError {
    #[error("less than two parts cannot be used to reconstruct the secret")]
    TooFewParts,
    #[error("parts must be at least two bytes")]
    TooShort,
    #[error("all parts must be the same length")]
    UnequalLengths,
    #[error("duplicate part detected")]
    Duplicate,
    #[error("parts cannot be less than threshold")]
    PartsBelowThreshold,
    #[error("parts cannot exceed 255")]
    TooManyParts,
    #[error("threshold must be at least 2")]
    ThresholdTooSmall,
    #[error("threshold cannot exceed 255")]
    ThresholdTooLarge,
    #[error("cannot split an empty secret")]
    EmptySecret,
}

/// Splits `secret` into `parts` shares, any `threshold` of which rebuild it, as sops does
/// (Vault's `shamir.Split`, with its checks and messages): share `i` holds the value at
/// x_i of a random polynomial of degree `threshold - 1` per byte, whose constant term is
/// that byte, and x_i last; the x coordinates are distinct, random, never 0.
pub fn split(
    secret: &[u8],
    parts: usize,
    threshold: usize,
) -> Result<Vec<Zeroizing<Vec<u8>>>, ShamirError> {
    use rand_core::{OsRng, RngCore};
    if parts < threshold {
        return Err(ShamirError::PartsBelowThreshold);
    }
    if parts > 255 {
        return Err(ShamirError::TooManyParts);
    }
    if threshold < 2 {
        return Err(ShamirError::ThresholdTooSmall);
    }
    if threshold > 255 {
        return Err(ShamirError::ThresholdTooLarge);
    }
    if secret.is_empty() {
        return Err(ShamirError::EmptySecret);
    }
    // A random permutation of 1..=255 (Fisher-Yates, rejection-sampled), its first `parts`.
    let mut xs: Vec<u8> = (1..=255u8).collect();
    for i in (1..xs.len()).rev() {
        let bound = (i + 1) as u32;
        let zone = u32::MAX - u32::MAX % bound;
        let j = loop {
            let r = OsRng.next_u32();
            if r < zone {
                break (r % bound) as usize;
            }
        };
        xs.swap(i, j);
    }
    xs.truncate(parts);
    let mut out: Vec<Zeroizing<Vec<u8>>> = xs
        .iter()
        .map(|&x| {
            let mut share = Zeroizing::new(vec![0u8; secret.len() + 1]);
            share[secret.len()] = x;
            share
        })
        .collect();
    let mut coefficients = Zeroizing::new(vec![0u8; threshold]);
    for (idx, &byte) in secret.iter().enumerate() {
        coefficients[0] = byte;
        OsRng.fill_bytes(&mut coefficients[1..]);
        for (share, &x) in out.iter_mut().zip(&xs) {
            // Horner's rule, highest degree first.
            share[idx] = coefficients
                .iter()
                .rev()
                .fold(0u8, |acc, &c| mul(acc, x) ^ c);
        }
    }
    Ok(out)
}

/// Rebuilds the secret from shares (at least two, of equal length, distinct x).
pub fn combine(parts: &[Zeroizing<Vec<u8>>]) -> Result<Zeroizing<Vec<u8>>, ShamirError> {
    if parts.len() < 2 {
        return Err(ShamirError::TooFewParts);
    }
    let len = parts[0].len();
    if len < 2 {
        return Err(ShamirError::TooShort);
    }
    if parts.iter().any(|p| p.len() != len) {
        return Err(ShamirError::UnequalLengths);
    }
    let xs: Vec<u8> = parts.iter().map(|p| p[len - 1]).collect();
    for (i, x) in xs.iter().enumerate() {
        if xs[..i].contains(x) {
            return Err(ShamirError::Duplicate);
        }
    }
    let mut secret = Zeroizing::new(vec![0u8; len - 1]);
    for (idx, out) in secret.iter_mut().enumerate() {
        let mut acc = 0u8;
        for (i, part) in parts.iter().enumerate() {
            // Lagrange basis at 0: prod over j != i of x_j / (x_i - x_j); minus is xor.
            let mut basis = 1u8;
            for (j, &xj) in xs.iter().enumerate() {
                if i != j {
                    basis = mul(basis, mul(xj, inv(xs[i] ^ xj)));
                }
            }
            acc ^= mul(part[idx], basis);
        }
        *out = acc;
    }
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Splits like sops: a random polynomial per byte with the secret as constant term.
    fn split(secret: &[u8], parts: u8, threshold: u8, seed: u8) -> Vec<Zeroizing<Vec<u8>>> {
        let mut rng = seed;
        let mut next = || {
            rng = rng.wrapping_mul(167).wrapping_add(13);
            rng
        };
        let polys: Vec<Vec<u8>> = secret
            .iter()
            .map(|&s| {
                let mut c = vec![s];
                c.extend((1..threshold).map(|_| next()));
                c
            })
            .collect();
        (1..=parts)
            .map(|x| {
                let mut share: Vec<u8> = polys
                    .iter()
                    .map(|c| c.iter().rev().fold(0u8, |acc, &k| mul(acc, x) ^ k))
                    .collect();
                share.push(x);
                Zeroizing::new(share)
            })
            .collect()
    }

    #[test]
    fn split_shares_recombine_by_any_threshold() {
        let secret: Vec<u8> = (0..32u8)
            .map(|i| i.wrapping_mul(11).wrapping_add(5))
            .collect();
        let shares = super::split(&secret, 3, 2).unwrap();
        assert_eq!(shares.len(), 3);
        assert!(shares.iter().all(|s| s.len() == 33 && s[32] != 0));
        for pair in [[0, 1], [0, 2], [1, 2]] {
            let some = vec![shares[pair[0]].clone(), shares[pair[1]].clone()];
            assert_eq!(&combine(&some).unwrap()[..], &secret[..]);
        }
        let five = super::split(&secret, 5, 3).unwrap();
        let three = vec![five[4].clone(), five[1].clone(), five[2].clone()];
        assert_eq!(&combine(&three).unwrap()[..], &secret[..]);
        // Two of a threshold of three give something else.
        let two = vec![five[0].clone(), five[3].clone()];
        assert_ne!(&combine(&two).unwrap()[..], &secret[..]);
        assert_eq!(
            super::split(&secret, 2, 3),
            Err(ShamirError::PartsBelowThreshold)
        );
        assert_eq!(
            super::split(&secret, 2, 1),
            Err(ShamirError::ThresholdTooSmall)
        );
        assert_eq!(super::split(&[], 2, 2), Err(ShamirError::EmptySecret));
    }

    #[test]
    fn field_arithmetic() {
        assert_eq!(mul(0x57, 0x83), 0xc1);
        for a in 1..=255u8 {
            assert_eq!(mul(a, inv(a)), 1, "{a}");
        }
    }

    #[test]
    fn any_threshold_subset_recombines() {
        let secret: Vec<u8> = (0..32).map(|i| i * 7 + 3).collect();
        let shares = split(&secret, 3, 2, 9);
        for pair in [[0, 1], [0, 2], [1, 2]] {
            let some = vec![shares[pair[0]].clone(), shares[pair[1]].clone()];
            assert_eq!(&combine(&some).unwrap()[..], &secret[..]);
        }
        assert_eq!(&combine(&shares).unwrap()[..], &secret[..]);
        assert!(combine(&shares[..1]).is_err());
        let dup = vec![shares[0].clone(), shares[0].clone()];
        assert!(combine(&dup).is_err());
    }
}
