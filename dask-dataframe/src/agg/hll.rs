//! HyperLogLog: an approximate count of distinct values in a fixed 16 KiB.
//!
//! Each value is hashed (XXH3 over its Arrow row-format bytes, so equal values hash
//! equally in every process and partition); the first [`P`] bits choose one of `2^P`
//! registers, which keeps the longest run of leading zeros seen in the rest. Registers
//! merge by maximum, so partial sketches combine up the reduction tree in any order.
//! The estimate is Flajolet et al.'s harmonic mean with the small-range (linear
//! counting) correction; its relative standard error is `1.04 / sqrt(2^P)`, about 0.8%.

/// Bits of the hash that pick a register.
pub(crate) const P: u32 = 14;
/// Number of registers.
pub(crate) const M: usize = 1 << P;

/// Records a 64-bit hash in `registers` (of length [`M`]).
pub(crate) fn insert(registers: &mut [u8], hash: u64) {
    let index = (hash >> (64 - P)) as usize;
    let rest = (hash << P) | (1 << (P - 1));
    let rank = rest.leading_zeros() as u8 + 1;
    if registers[index] < rank {
        registers[index] = rank;
    }
}

/// Merges `other` into `registers`.
pub(crate) fn merge(registers: &mut [u8], other: &[u8]) {
    for (r, o) in registers.iter_mut().zip(other) {
        *r = (*r).max(*o);
    }
}

/// The estimated number of distinct values.
pub(crate) fn estimate(registers: &[u8]) -> f64 {
    let m = registers.len() as f64;
    let alpha = 0.7213 / (1.0 + 1.079 / m);
    let sum: f64 = registers.iter().map(|&r| 2f64.powi(-i32::from(r))).sum();
    let raw = alpha * m * m / sum;
    let zeros = registers.iter().filter(|&&r| r == 0).count();
    if raw <= 2.5 * m && zeros > 0 {
        m * (m / zeros as f64).ln()
    } else {
        raw
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates_within_a_few_standard_errors() {
        for n in [0u64, 1, 10, 1000, 50_000, 300_000] {
            let mut a = vec![0u8; M];
            let mut b = vec![0u8; M];
            for i in 0..n {
                let h = xxhash_rust::xxh3::xxh3_64(&i.to_le_bytes());
                // Half the values in each sketch, with overlap: merging must not count twice.
                if i % 2 == 0 || i % 3 == 0 {
                    insert(&mut a, h);
                }
                if i % 2 == 1 || i % 3 == 0 {
                    insert(&mut b, h);
                }
            }
            merge(&mut a, &b);
            let e = estimate(&a);
            let tolerance = (n as f64 * 4.0 * 1.04 / (M as f64).sqrt()).max(1.0);
            assert!((e - n as f64).abs() <= tolerance, "n = {n}: estimate {e}");
        }
    }
}
