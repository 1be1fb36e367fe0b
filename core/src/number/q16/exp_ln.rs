//! The exponential and the logarithm of the Q16.16 cross-entropy, in integer arithmetic
//! only, finer than Q16.16 so that the loss and its gradient are rounded once:
//!
//! - [`exp_neg`]: `e^-a` for a non-negative Q16.16 argument (a logit's distance below the
//!   largest), in units of `2^-31`: `e^-a = e^-n e^-f` with `n` the integer part, from
//!   `EXP_NEG_INTEGER` (`round(e^-n 2^30)`, `n <= 21`), and `f` the fraction, from the fine
//!   cubic table `EXP_NEG` (8 segments on `[0, 1)`, units of `2^-21`); one exact 32 x 32-bit
//!   product, rounded once. 0 from `a = 22` on (`e^-22 < 2^-31`).
//! - [`ln`]: `ln(s)` for a sum of exponentials `s >= 1` (units of `2^-31`, as [`exp_neg`]
//!   gives them), in units of `2^-26`: `s = 2^k u` with `u` in `[1, 2)`, `ln(s) = k ln(2) +
//!   ln(u)`, `ln(u)` from the fine cubic table `LN_1P` at `u`'s first 16 fraction bits, plus
//!   `d / u0` for the rest `d` of `u` (one 32-bit division).
//!
//! Both tables and the constants are written by `tools/q16_tables.py`. Worst errors over the
//! inputs named, measured by the tests below, which hold each figure to its four decimals
//! (`cargo test --release -p skipgrad --lib exp_ln`), in units of `2^-16`:
//!
//! | function | inputs checked | worst error |
//! |---|---|---:|
//! | [`exp_neg`] | every `a` below 22 (1,441,792: all where the result is not 0), and one `a` of every integer part beyond | 0.0543 (relative `2.33e-6` where `e^-a >= 2^-10`) |
//! | [`ln`] | every 16-bit fraction of `u` with 5 rests `d` (0 to `2^-16`), at `k` = 0, 1, 4, 10 and 32 | 0.0634 |
//!
//! The fraction's table is exact at 0 (`e^0` is `1 << 31`, so a sum is at least 1). For each
//! `u`, `ln`'s error is the table's plus the rest's (below `2^-10` units) minus `k` times the
//! rounding of `LN_2` (0.41 units of `2^-26`, 0.0004 units of `2^-16`): linear in `k`, so
//! its worst over `k` in `[0, 32]` is at an end, and both ends were measured (0.0634 at
//! `k = 0`, 0.0594 at `k = 32`). With the rests between those measured, the bound is 0.0645.

use core::num::NonZeroU32;

use super::tables::{EXP_NEG, EXP_NEG_INTEGER, LN_1P, LN_2};
use super::wide;

/// Fraction bits of [`exp_neg`]'s results and of the sums [`ln`] takes: 1 is `1 << 31`.
pub(super) const EXP_BITS: u32 = 31;

/// Fraction bits of [`ln`]'s result.
pub(super) const LN_BITS: u32 = 26;

/// `e^-(a 2^-16)` in units of `2^-31`, rounded to nearest (halves up), for every `a` (raw
/// Q16.16 units, `a >= 0`): at most `1 << 31` (at `a = 0`, exactly), 0 from `a = 22 << 16`
/// on.
#[inline]
pub(super) fn exp_neg(a: u32) -> u32 {
    let Some(&integer) = EXP_NEG_INTEGER.get((a >> 16) as usize) else {
        return 0;
    };
    // The table covers every fraction: `None` cannot happen.
    let fraction = EXP_NEG.eval_fine((a & 0xffff) as i32).unwrap_or(0);
    // 2^-(16 + extra) times 2^-30, to 2^-31; at most 2^21 2^30 = 2^51.
    let shift = 15 + EXP_NEG.extra;
    ((wide::product(fraction, integer) + (1 << (shift - 1))) >> shift) as u32
}

/// `ln(s 2^-31)` in units of `2^-26`, for `s >= 1 << 31` (smaller `s` are taken as
/// `1 << 31`, whose logarithm is 0); at least 0, and below `2^31` for every `s`.
#[inline]
pub(super) fn ln(s: u64) -> i64 {
    let s = s.max(1 << EXP_BITS);
    // s = 2^k u, u = (s >> k) in [2^31, 2^32): k = (64 - leading zeros) - 32.
    let k = 32 - s.leading_zeros();
    let fraction = ((s >> k) as u32).wrapping_sub(1 << 31);
    let (high, rest) = ((fraction >> 15) as i32, fraction & 0x7fff);
    // The table covers every 16-bit fraction: `None` cannot happen.
    let table = LN_1P.eval_fine(high).unwrap_or(0);
    // ln(u0 + d) - ln(u0) = d / u0 to within (d / u0)^2 / 2 < 2^-33: d 2^-31 / (high 2^-16 +
    // 1) in units of 2^-26 is d 2^11 / (2^16 + high), below 32.
    let rest = (rest << 11) / NonZeroU32::MIN.saturating_add(0xffff + high as u32);
    i64::from(k) * i64::from(LN_2)
        + (i64::from(table) << (LN_BITS - 16 - LN_1P.extra))
        + i64::from(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every argument below 22 against `e^-x` in `f64` (exact input): absolute error in units
    /// of `2^-16` and relative error; and beyond, one argument of every integer part (the
    /// only thing the result depends on there) at both ends of its fraction, all 0.
    #[test]
    fn exp_neg_every_argument() {
        let (mut absolute, mut relative) = (0.0f64, 0.0f64);
        let last = 22u32 << 16;
        for a in 0..last {
            let exact = libm::exp(-f64::from(a) / 65536.0);
            let got = f64::from(exp_neg(a)) / f64::from(1u32 << EXP_BITS);
            absolute = absolute.max((got - exact).abs() * 65536.0);
            if exact >= 1.0 / 1024.0 {
                relative = relative.max((got / exact - 1.0).abs());
            }
        }
        // The figures the docs quote: 0.0543 units, 2.330e-6 relative.
        assert!(
            absolute <= 0.0544 && relative <= 2.34e-6,
            "{absolute} {relative}"
        );
        assert!(
            crate::number::q16::is_stated(absolute, 0.0543)
                && (relative - 2.330e-6).abs() <= 0.5e-9,
            "exp_neg: worst {absolute:.6} units of 2^-16, relative {relative:.4e}"
        );
        assert_eq!(exp_neg(0), 1 << 31);
        assert_eq!(exp_neg(last - 1), 1);
        for n in 22..=u32::from(u16::MAX) {
            assert_eq!((exp_neg(n << 16), exp_neg(n << 16 | 0xffff)), (0, 0), "{n}");
        }
    }

    /// Every 16-bit fraction of `u`, with rests `d` from 0 to the largest, at a few powers of
    /// two `k`, against `ln` in `f64` of the exact sum: units of `2^-16`.
    #[test]
    fn ln_every_fraction() {
        let rests = [0u64, 1, 0x1000, 0x4000, 0x7fff];
        let mut worst = [0.0f64; 5];
        for (k, worst) in [0u32, 1, 4, 10, 32].into_iter().zip(&mut worst) {
            for high in 0..1u64 << 16 {
                for rest in rests {
                    let u = (1u64 << 31) + (high << 15) + rest;
                    let s = u << k;
                    let exact = libm::log(u as f64 / f64::from(1u32 << 31))
                        + f64::from(k) * core::f64::consts::LN_2;
                    let got = ln(s) as f64 / f64::from(1u32 << LN_BITS);
                    *worst = worst.max((got - exact).abs() * 65536.0);
                }
            }
        }
        assert!(worst.iter().all(|w| *w <= 0.0635), "{worst:?}");
        // The figures the docs quote, at k = 0, 1, 4, 10, 32.
        let stated = [0.0634, 0.0632, 0.0629, 0.0621, 0.0594];
        assert!(
            worst
                .iter()
                .zip(stated)
                .all(|(w, s)| crate::number::q16::is_stated(*w, s)),
            "ln: worst at k = 0, 1, 4, 10, 32: {worst:.6?} units of 2^-16 (stated {stated:?})"
        );
        // The table's value at 0 is one unit of 2^-21 (its best fit), 32 of 2^-26.
        assert_eq!((ln(0), ln(1 << 31)), (32, 32));
        assert_eq!(ln(1 << 32), i64::from(LN_2) + 32);
    }
}
