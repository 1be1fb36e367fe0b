//! Piecewise cubic tables in 32-bit integer arithmetic: how the Q16.16 activations are
//! evaluated (the tables themselves are in `tables.rs`, written by `tools/q16_tables.py`).

/// One segment's cubic, in raw units times `2^extra` (see [`Table::eval`]), in 10 bytes:
/// `c0` alone, `c1` (19 bits) and `c3` (13 bits) in one word, `c2` in 16 bits. Aligned to 2
/// bytes, so a table packs its segments without padding (12 bytes each otherwise).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C, packed(2))]
pub(super) struct Cubic {
    c0: i32,
    /// `c1 << C3_BITS | c3` (`c3` in two's complement on its low bits).
    c1_c3: i32,
    c2: i16,
}

/// The bits of `c3` in [`Cubic::c1_c3`].
const C3_BITS: u32 = 13;

impl Cubic {
    /// Packs a segment; a coefficient that does not fit its bits is a compile error where the
    /// tables are constants (and a panic elsewhere: only the tables' constants call this).
    pub(super) const fn new(c0: i32, c1: i32, c2: i16, c3: i16) -> Self {
        let c3_max = 1 << (C3_BITS - 1);
        let c1_max = 1 << (31 - C3_BITS);
        assert!(
            -c3_max <= c3 as i32 && (c3 as i32) < c3_max,
            "c3 needs more than 13 bits"
        );
        assert!(-c1_max <= c1 && c1 < c1_max, "c1 needs more than 19 bits");
        Self {
            c0,
            c1_c3: (c1 << C3_BITS) | (c3 as i32 & ((1 << C3_BITS) - 1)),
            c2,
        }
    }

    /// The four coefficients.
    #[inline(always)]
    const fn unpack(self) -> (i32, i32, i32, i32) {
        let c1_c3 = self.c1_c3;
        (
            self.c0,
            c1_c3 >> C3_BITS,
            self.c2 as i32,
            (c1_c3 << (32 - C3_BITS)) >> (32 - C3_BITS),
        )
    }
}

/// A function tabulated for `a >= 0` (raw Q16.16 units), in segments of `2^shift` raw units,
/// up to its limit (the end of the last segment).
#[derive(Clone, Copy, Debug)]
pub(super) struct Table {
    /// log2 of a segment's width in raw units.
    pub(super) shift: u32,
    /// Guard bits of the coefficients.
    pub(super) extra: u32,
    /// The segments, from 0 up.
    pub(super) segments: &'static [Cubic],
}

impl Table {
    /// The function at `a` (raw units, `0 <= a < limit`), in raw units: with `t` the offset
    /// of `a` in its segment, `p = c3`, then `p = c_k + ((p t) >> shift)` for `k = 2, 1, 0`,
    /// and `(p + 2^(extra-1)) >> extra`. Every product fits in 32 bits (the generator checks
    /// it over every input), so each step is one 32-bit multiplication. `None` at and beyond
    /// the end of the last segment.
    #[inline(always)]
    pub(super) fn eval(&self, a: i32) -> Option<i32> {
        let p = self.eval_fine(a)?;
        Some((p + (1 << (self.extra - 1))) >> self.extra)
    }

    /// [`Table::eval`] without its last rounding: `p`, in units of `2^-(16 + extra)`. The
    /// tables fitted for it (`EXP_NEG`, `LN_1P`) state their error at this resolution.
    #[inline(always)]
    pub(super) fn eval_fine(&self, a: i32) -> Option<i32> {
        let index = (a >> self.shift) as usize;
        let (c0, c1, c2, c3) = self.segments.get(index)?.unpack();
        let t = a & ((1 << self.shift) - 1);
        let shift = self.shift;
        let mut p = c3;
        p = c2 + (p.wrapping_mul(t) >> shift);
        p = c1 + (p.wrapping_mul(t) >> shift);
        Some(c0 + (p.wrapping_mul(t) >> shift))
    }
}

#[cfg(test)]
mod tests {
    use super::super::tables::{EXP_NEG, GELU, GELU_DERIVATIVE, LN_1P, SIGMOID, TANH};

    /// A segment packs and unpacks each coefficient at its limits, and refuses one beyond.
    #[test]
    fn segments_pack_to_their_limits() {
        use super::Cubic;
        // (c0, c1, c2, c3)
        let cases: [(i32, i32, i16, i16); 4] = [
            (0, 0, 0, 0),
            (i32::MAX, (1 << 18) - 1, i16::MAX, (1 << 12) - 1),
            (i32::MIN, -(1 << 18), i16::MIN, -(1 << 12)),
            (-7, 131_111, -12_595, -2_542),
        ];
        for (c0, c1, c2, c3) in cases {
            let unpacked = Cubic::new(c0, c1, c2, c3).unpack();
            assert_eq!(unpacked, (c0, c1, i32::from(c2), i32::from(c3)));
        }
        assert_eq!(core::mem::size_of::<Cubic>(), 10);
    }

    #[test]
    #[should_panic(expected = "c1 needs more than 19 bits")]
    fn a_twenty_bit_c1_is_refused() {
        let _ = super::Cubic::new(0, 1 << 18, 0, 0);
    }

    #[test]
    #[should_panic(expected = "c3 needs more than 13 bits")]
    fn a_fourteen_bit_c3_is_refused() {
        let _ = super::Cubic::new(0, 0, 0, -(1 << 12) - 1);
    }

    /// Every table ends after its last segment and starts at the function's value at 0.
    #[test]
    fn tables_cover_their_limits() {
        // (table, value at 0 in raw units)
        let cases = [
            (GELU, 0),
            (GELU_DERIVATIVE, 32768),
            (TANH, 0),
            (SIGMOID, 32768),
            (EXP_NEG, 65536),
            (LN_1P, 0),
        ];
        for (table, at_zero) in cases {
            assert_eq!(table.eval(0), Some(at_zero));
            let covered = (table.segments.len() as i32) << table.shift;
            assert!(table.eval(covered - 1).is_some());
            assert_eq!(table.eval(covered), None);
        }
    }

    const C: f64 = 0.797_884_560_802_865_4; // sqrt(2 / pi)
    const A: f64 = 0.044715;

    fn gelu(x: f64) -> f64 {
        0.5 * x * (1.0 + libm::tanh(C * (x + A * x * x * x)))
    }

    fn gelu_derivative(x: f64) -> f64 {
        let t = libm::tanh(C * (x + A * x * x * x));
        0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * C * (1.0 + 3.0 * A * x * x)
    }

    fn sigmoid(x: f64) -> f64 {
        1.0 / (1.0 + libm::exp(-x))
    }

    /// Every input of every table, against the formula `tools/q16_tables.py` fitted: the
    /// worst error is the one the generator measured and wrote in the table's doc comment
    /// (to its four decimals), and the FNV-1a hash of every output pins the bits that
    /// `skipgrad exhaustive-q16` checked. A changed coefficient changes one or the other;
    /// after running the generator again, update both from this test's message.
    #[test]
    fn every_input_of_every_table() {
        // (name, table, formula, worst error in units of 2^-16, hash of the outputs)
        type Case = (&'static str, super::Table, fn(f64) -> f64, f64, u32);
        let cases: [Case; 4] = [
            ("GELU", GELU, gelu, 0.8292, 0x8952_4eed),
            (
                "GELU_DERIVATIVE",
                GELU_DERIVATIVE,
                gelu_derivative,
                0.8272,
                0xbaec_a24d,
            ),
            ("TANH", TANH, libm::tanh, 0.9340, 0x82c9_c4e3),
            ("SIGMOID", SIGMOID, sigmoid, 0.8841, 0x1f27_9a8a),
        ];
        for (name, table, f, stated, hash) in cases {
            let covered = (table.segments.len() as i32) << table.shift;
            let (mut worst, mut h) = (0.0f64, 0x811c_9dc5u32);
            for a in 0..covered {
                // None would be an error of 2^31 units.
                let v = table.eval(a).unwrap_or(i32::MIN);
                let want = f(f64::from(a) / 65536.0) * 65536.0;
                worst = worst.max((f64::from(v) - want).abs());
                for byte in v.to_le_bytes() {
                    h = (h ^ u32::from(byte)).wrapping_mul(0x0100_0193);
                }
            }
            assert!(
                crate::number::q16::is_stated(worst, stated) && h == hash,
                "{name}: worst error {worst:.6} units (stated {stated}), hash {h:#010x}"
            );
        }
    }

    /// Every input of the two fine tables, without the last rounding, against `e^-x` and
    /// `ln(1 + x)`: the worst error (units of `2^-16`) is the generator's, to its four
    /// decimals, and the hash pins the bits. `EXP_NEG` is exactly 1 at 0 (the largest logit's
    /// term of the cross-entropy's sum is exact).
    #[test]
    fn every_input_of_the_fine_tables() {
        type Case = (&'static str, super::Table, fn(f64) -> f64, f64, u32);
        let cases: [Case; 2] = [
            ("EXP_NEG", EXP_NEG, |x| libm::exp(-x), 0.0543, 0x5f84_7097),
            ("LN_1P", LN_1P, libm::log1p, 0.0631, 0xcc12_0781),
        ];
        for (name, table, f, stated, hash) in cases {
            let covered = (table.segments.len() as i32) << table.shift;
            assert_eq!(covered, 1 << 16, "{name} covers [0, 1)");
            let scale = f64::from(1u32 << (16 + table.extra));
            let (mut worst, mut h) = (0.0f64, 0x811c_9dc5u32);
            for a in 0..covered {
                let v = table.eval_fine(a).unwrap_or(i32::MIN);
                let want = f(f64::from(a) / 65536.0) * scale;
                worst = worst.max((f64::from(v) - want).abs() / f64::from(1u32 << table.extra));
                for byte in v.to_le_bytes() {
                    h = (h ^ u32::from(byte)).wrapping_mul(0x0100_0193);
                }
            }
            assert!(
                crate::number::q16::is_stated(worst, stated) && h == hash,
                "{name}: worst error {worst:.6} units (stated {stated}), hash {h:#010x}"
            );
        }
        assert_eq!(EXP_NEG.eval_fine(0), Some(1 << 21));
    }
}
