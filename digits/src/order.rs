//! The seeded order of the samples: SplitMix64 and a Fisher-Yates shuffle per epoch.
//!
//! Each epoch starts from the identity order `0, 1, ..., n - 1` and shuffles it from the last
//! position down: for `i = n - 1, ..., 1`, swap positions `i` and `j = below(i + 1)`. One
//! generator, seeded once, serves the whole run, so the order of epoch `e` depends on the seed
//! and `e` only. `tools/skipgrad_digits.py` (`epoch_orders`) computes the same orders; the
//! table test below pins the first outputs.

/// Steele, Lea and Flood's SplitMix64 (Java's `SplittableRandom`, and the generator that
/// seeds xoshiro): a 64-bit counter stepped by the golden ratio and mixed by two
/// multiply-xorshift rounds. Small, fast, and easy to reproduce in any language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// The generator seeded with `seed`.
    pub const fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64-bit output.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A draw in `[0, n)`: the next output modulo `n` (0 for `n = 0`). The bias of the
    /// modulo is below `n / 2^64`, under 1e-15 for any set this crate reads.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64().checked_rem(n).unwrap_or(0)
    }
}

/// Sets `order` to the identity and shuffles it (one epoch's order).
pub fn shuffle(rng: &mut SplitMix64, order: &mut [u16]) {
    for (i, o) in order.iter_mut().enumerate() {
        *o = i as u16;
    }
    for i in (1..order.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        order.swap(i, j.min(i));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SplitMix64's published outputs for seed 1234567 (the reference implementation's test
    /// vector), and the orders `tools/skipgrad_digits.py` computes.
    #[test]
    fn table() {
        let mut rng = SplitMix64::new(1_234_567);
        let want: [u64; 5] = [
            6_457_827_717_110_365_317,
            3_203_168_211_198_807_973,
            9_817_491_932_198_370_423,
            4_593_380_528_125_082_431,
            16_408_922_859_458_223_821,
        ];
        for w in want {
            assert_eq!(rng.next_u64(), w);
        }
        let mut rng = SplitMix64::new(0);
        let mut order = [0u16; 10];
        shuffle(&mut rng, &mut order);
        assert_eq!(order, PYTHON_SEED_0[0]);
        shuffle(&mut rng, &mut order);
        assert_eq!(order, PYTHON_SEED_0[1]);
    }

    /// `list(sd.epoch_orders(10, 2, 0))` from `tools/skipgrad_digits.py`.
    const PYTHON_SEED_0: [[u16; 10]; 2] = [
        [6, 3, 2, 9, 8, 1, 4, 7, 0, 5],
        [7, 4, 9, 5, 2, 3, 8, 6, 1, 0],
    ];

    #[test]
    fn every_order_is_a_permutation() {
        let mut rng = SplitMix64::new(7);
        for n in [0usize, 1, 2, 3, 17, 1347] {
            let mut order = [0u16; 1347];
            let order = &mut order[..n];
            shuffle(&mut rng, order);
            let mut seen = [false; 1347];
            for &o in order.iter() {
                assert!(!seen[usize::from(o)]);
                seen[usize::from(o)] = true;
            }
        }
        assert_eq!(SplitMix64::new(3).below(0), 0);
    }
}
