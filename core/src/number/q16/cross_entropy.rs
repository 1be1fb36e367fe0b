//! [`CrossEntropy`] over Q16.16 logits: the numerically stable log-softmax of the float
//! version, in integer arithmetic only (no floating point at run time; the Cortex-M0 has no
//! FPU), with the exponentials and the logarithm of [`super::exp_ln`].
//!
//! For logits `y` (raw units) with largest `m`:
//!
//! ```text
//! e_i   = exp_neg(m - y_i)                 (units of 2^-31; e^0 = 1 exactly, so s >= 1)
//! s     = sum(e_i)                         (64 bits, exact)
//! loss  = round(ln(s) + (m - y_t))         (ln in units of 2^-26, one rounding to Q16.16)
//! p_i   = e_i / s                          (units of 2^-31: one reciprocal of s per sample)
//! dy_i  = round((p_i - [i = t]) / terms)   (1 / terms in units of 2^-31, one rounding)
//! ```
//!
//! Every intermediate is an integer that cannot overflow (the differences `m - y_i` are
//! exact in 32 unsigned bits, every product is below `2^63`); the only saturation is the
//! loss's own, when it is beyond the range.
//!
//! Error bounds (units of `2^-16`; the measured figures are in [`CrossEntropy`]'s docs):
//! each `e_i` is within `2.33e-6 e_i + 2^-30` of `e^(y_i - m)` ([`super::exp_ln`]), so `s`
//! is within `2.33e-6 + N 2^-30` relative (`s >= 1`), which moves `ln(s)` by at most
//! `0.1527 + N / 16384`; with `ln`'s own 0.0645, the normalisation's `2^-31` and the
//! rounding's 0.5, the loss is within `0.72 + N / 16384`. `p_i = e_i / s` with relative
//! errors `a_i` of the `e_i` is off by `p_i (a_i - sum_j p_j a_j)`, at most `2.33e-6 / 2`
//! (0.0764) plus the absolute parts (`N / 16384`); the reciprocal's `2^-30` and `p_i`'s
//! rounding add `2^-14`, all divided by `terms`; `1 / terms`'s rounding adds `2^-16` (below
//! `N / 16384` for `N >= 2`), and the final rounding 0.5: the gradient is within
//! `0.5 + 0.08 / terms + N / 16384`.

use core::num::{NonZeroU32, NonZeroU64, NonZeroUsize};

use super::exp_ln::{exp_neg, ln, EXP_BITS, LN_BITS};
use super::Q16;
use crate::data::Batch;
use crate::loss::{CrossEntropy, Loss};

/// The largest logit (raw), `None` if any logit is a rail.
#[inline]
fn max_finite(y: &[Q16]) -> Option<i32> {
    let mut m = i32::MIN;
    for v in y {
        if !v.is_finite() {
            return None;
        }
        m = m.max(v.0);
    }
    Some(m)
}

/// `e^(y - m)` in units of `2^-31`, for `y <= m`: the difference is exact in 32 unsigned
/// bits (both are finite `i32`s).
#[inline(always)]
fn exp_below(m: i32, y: Q16) -> u32 {
    exp_neg(m.wrapping_sub(y.0) as u32)
}

/// The sample's loss, `-log_softmax(y)[t]`: a rail if a logit is one or if the loss is
/// beyond the range; 0 for a target out of range.
#[inline]
fn sample_sum(y: &[Q16], target: usize) -> Q16 {
    let Some(m) = max_finite(y) else {
        return Q16::MAX;
    };
    let Some(yt) = y.get(target) else {
        return Q16::ZERO;
    };
    let s: u64 = y.iter().map(|v| u64::from(exp_below(m, *v))).sum();
    // ln(s) >= 0 and m - y_t >= 0, both in units of 2^-26: at most 2^31 + 2^42.
    let unit = LN_BITS - 16;
    let loss = ln(s) + (i64::from(m.wrapping_sub(yt.0) as u32) << unit);
    Q16::saturate((loss + (1 << (unit - 1))) >> unit)
}

/// `round(2^31 / terms)`, in 32-bit arithmetic (0 or 1 for more than `u32::MAX` terms,
/// where every gradient rounds to 0 either way).
#[inline]
fn weight(terms: NonZeroUsize) -> i64 {
    let t = NonZeroU32::try_from(terms).unwrap_or(NonZeroU32::MAX);
    let (q, r) = ((1u32 << 31) / t, (1u32 << 31) % t);
    i64::from(q + u32::from(r >= t.get() - r))
}

/// The sample's gradient divided by `terms`, into `g` (which holds `y`): every element a
/// rail if a logit is one; `softmax(y) / terms` for a target out of range.
#[inline]
fn sample_gradient_into<const N: usize>(g: &mut [Q16; N], target: usize, terms: NonZeroUsize) {
    let Some(m) = max_finite(g) else {
        *g = [Q16::MAX; N];
        return;
    };
    let e = g.map(|v| exp_below(m, v));
    let s = e
        .iter()
        .map(|v| u64::from(*v))
        .sum::<u64>()
        .max(1 << EXP_BITS);
    // s = 2^k u + (bits below), u in [2^31, 2^32): 1/s = rho 2^-(62 + k) with rho =
    // floor(2^62 / u) in (2^30, 2^31], to within 2^-30 relative.
    let k = 32 - s.leading_zeros();
    let rho = (1u64 << 62) / NonZeroU64::new(s >> k).unwrap_or(NonZeroU64::MIN);
    let w = weight(terms);
    for (i, (g, e)) in g.iter_mut().zip(e).enumerate() {
        // p = e / s in units of 2^-31: e rho <= 2^62, and the shift 31 + k <= 63.
        let p = (u64::from(e) * rho + (1 << (30 + k))) >> (31 + k);
        let d = p as i64 - if i == target { 1 << 31 } else { 0 };
        // |d w| <= 2^62; units of 2^-62 to 2^-16, halves up: |dy| <= 1.
        g.0 = ((d * w + (1 << 45)) >> 46) as i32;
    }
}

/// Cross-entropy over Q16.16 logits: the float version's log-softmax in integer arithmetic,
/// within the error bounds stated in [`CrossEntropy`]'s docs.
impl<const N: usize> Loss<[Q16; N]> for CrossEntropy {
    /// The index of the right class, `0..N`.
    type Target = usize;
    const TERMS: usize = 1;

    #[inline]
    fn accepts(&self, target: &usize) -> bool {
        *target < N
    }

    #[inline]
    fn sum(&self, y: &[Q16; N], target: &usize) -> Q16 {
        sample_sum(y, *target)
    }

    #[inline]
    fn gradient(&self, y: &[Q16; N], target: &usize, terms: NonZeroUsize) -> [Q16; N] {
        let mut g = *y;
        sample_gradient_into(&mut g, *target, terms);
        g
    }
}

/// A batch of Q16.16 logits as one value: one class index per sample, one term per sample.
impl<const N: usize, const B: usize> Loss<Batch<[Q16; N], B>> for CrossEntropy {
    type Target = [usize; B];
    const TERMS: usize = B;

    #[inline]
    fn accepts(&self, target: &[usize; B]) -> bool {
        target.iter().all(|t| *t < N)
    }

    /// The samples' losses added with saturation: each is at least 0, so a rail stays one.
    #[inline]
    fn sum(&self, y: &Batch<[Q16; N], B>, target: &[usize; B]) -> Q16 {
        let mut acc = Q16::ZERO;
        for (y, t) in y.0.iter().zip(target) {
            acc += sample_sum(y, *t);
        }
        acc
    }

    #[inline]
    fn gradient(
        &self,
        y: &Batch<[Q16; N], B>,
        target: &[usize; B],
        terms: NonZeroUsize,
    ) -> Batch<[Q16; N], B> {
        let mut g = *y;
        for (g, t) in g.0.iter_mut().zip(target) {
            sample_gradient_into(g, *t, terms);
        }
        g
    }
}

#[cfg(test)]
#[rustfmt::skip]
#[allow(clippy::approx_constant)] // PyTorch's ln(2), as it printed it
mod fixture;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::number::q16::is_stated;
    use crate::{Buffers, Linear, Scalar, Sgd, StepError, Trainer, Zeroed};

    /// The stated bounds (see [`CrossEntropy`]), in units of `2^-16`, for `n` logits: the
    /// loss `0.72 + n / 16384`, the gradient `0.5 + 0.08 / terms + n / 16384`.
    fn bounds(n: usize, terms: usize) -> (f64, f64) {
        let n = n as f64 / 16384.0;
        (0.72 + n, 0.5 + 0.08 / terms as f64 + n)
    }

    fn q(v: f64) -> Q16 {
        Q16::from_f64(v)
    }

    fn nz(n: usize) -> NonZeroUsize {
        NonZeroUsize::new(n).unwrap_or(NonZeroUsize::MIN)
    }

    /// `|got - want|` in units of `2^-16`.
    fn units(got: Q16, want: f64) -> f64 {
        (got.to_f64() - want).abs() * 65536.0
    }

    /// The worst loss and gradient errors over one fixture table.
    fn worst<const N: usize>(cases: &[fixture::Case<N>]) -> (f64, f64) {
        let (mut loss_worst, mut grad_worst) = (0.0f64, 0.0f64);
        for (bits, target, loss, grad) in cases {
            let y = bits.map(Q16);
            let (l, g) = (
                CrossEntropy.loss(&y, target),
                CrossEntropy.sample_gradient(&y, target),
            );
            assert!(
                CrossEntropy.sum(&y, target) == l && l.is_finite(),
                "{bits:?}"
            );
            loss_worst = loss_worst.max(units(l, *loss));
            for (g, want) in g.iter().zip(grad) {
                grad_worst = grad_worst.max(units(*g, *want));
            }
        }
        let (loss_bound, grad_bound) = bounds(N, 1);
        assert!(
            loss_worst <= loss_bound && grad_worst <= grad_bound,
            "{N} logits: loss {loss_worst:.4}, gradient {grad_worst:.4} units"
        );
        (loss_worst, grad_worst)
    }

    /// PyTorch's float64 cross-entropy of the same (exact) logits, `tools/cross_entropy_q16_fixture.py`:
    /// single samples of 2, 3, 10 and 16 logits, and batches of 4 (the mean: the gradient of
    /// each sample divided by 4), all within the stated bounds.
    #[test]
    fn matches_pytorch_within_the_bounds() {
        let figures = [
            worst(&fixture::TWO),
            worst(&fixture::THREE),
            worst(&fixture::TEN),
            worst(&fixture::SIXTEEN),
        ];
        let (mut loss_worst, mut grad_worst) = (0.0f64, 0.0f64);
        for (bits, targets, loss, grad) in fixture::BATCHES {
            let y = Batch(bits.map(|b| b.map(Q16)));
            let l = CrossEntropy.loss(&y, &targets);
            let g = CrossEntropy.sample_gradient(&y, &targets);
            // The sum of 4 losses, each within the bound, then divided by 4 and rounded.
            loss_worst = loss_worst.max(units(l, loss));
            for (g, want) in g.0.iter().flatten().zip(grad.iter().flatten()) {
                grad_worst = grad_worst.max(units(*g, *want));
            }
        }
        let (loss_bound, grad_bound) = bounds(10, 4);
        assert!(
            loss_worst <= 0.5 + loss_bound && grad_worst <= grad_bound,
            "batches: loss {loss_worst:.4}, gradient {grad_worst:.4} units"
        );
        // The figures the docs quote: 2, 3, 10, 16 logits, then batches of 4 x 10.
        let stated = [
            (0.4908, 0.5001),
            (0.4712, 0.4977),
            (0.4997, 0.4998),
            (0.4771, 0.4997),
        ];
        assert!(
            figures
                .iter()
                .zip(stated)
                .all(|((l, g), (sl, sg))| is_stated(*l, sl) && is_stated(*g, sg))
                && is_stated(loss_worst, 0.2657)
                && is_stated(grad_worst, 0.4928),
            "PyTorch fixture, worst (loss, gradient) in units of 2^-16: {figures:.6?}; \
             batches of 4 x 10: ({loss_worst:.6}, {grad_worst:.6})"
        );
    }

    /// The loss and gradient of `[d, 0]` with target 0 in `f64`: `softplus(-d)` and
    /// `sigmoid(d) - 1` (and its negation).
    fn two_class(d: f64) -> (f64, f64) {
        let e = libm::exp(-d.abs());
        let loss = d.min(0.0).abs() + libm::log1p(e);
        let p0 = if d > 0.0 {
            1.0 / (1.0 + e)
        } else {
            e / (1.0 + e)
        };
        (loss, p0 - 1.0)
    }

    /// Every difference of two logits from -24 to 24 (3,145,729 inputs, the whole range
    /// where the exponential is not 0), the loss and the gradient against `f64`.
    #[test]
    fn two_logits_every_difference() {
        let (mut loss_worst, mut grad_worst) = (0.0f64, 0.0f64);
        for bits in -(24 << 16)..=(24 << 16) {
            let y = [Q16(bits), Q16::ZERO];
            let (loss, g0) = two_class(y[0].to_f64());
            let g = CrossEntropy.sample_gradient(&y, &0);
            loss_worst = loss_worst.max(units(CrossEntropy.sum(&y, &0), loss));
            grad_worst = grad_worst.max(units(g[0], g0)).max(units(g[1], -g0));
        }
        let (loss_bound, grad_bound) = bounds(2, 1);
        assert!(
            loss_worst <= loss_bound && grad_worst <= grad_bound,
            "{loss_worst} {grad_worst}"
        );
        assert!(
            is_stated(loss_worst, 0.5749) && is_stated(grad_worst, 0.5196),
            "two logits, every difference in [-24, 24]: loss {loss_worst:.6}, gradient \
             {grad_worst:.6} units of 2^-16 (stated 0.5749, 0.5196)"
        );
    }

    /// SplitMix64: the random logits of [`many_logits`].
    fn splitmix(state: &mut u64) -> u64 {
        *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// The worst errors over `cases` random logit vectors of `N` (uniform in `±scale` for
    /// scales from 2^-4 to 2^6) against the log-sum-exp in `f64`.
    fn random_worst<const N: usize>(cases: usize, seed: u64) -> (f64, f64) {
        let mut state = seed;
        let (mut loss_worst, mut grad_worst) = (0.0f64, 0.0f64);
        for case in 0..cases {
            let scale = 1i64 << (12 + case % 11);
            let y: [Q16; N] = core::array::from_fn(|_| {
                Q16((splitmix(&mut state) % (2 * scale as u64 + 1)) as i32 - scale as i32)
            });
            let t = (splitmix(&mut state) % N as u64) as usize;
            let x = y.map(|v| v.to_f64());
            let m = x.iter().fold(f64::MIN, |m, v| m.max(*v));
            let s: f64 = x.iter().map(|v| libm::exp(v - m)).sum();
            let lse = libm::log(s);
            loss_worst = loss_worst.max(units(
                CrossEntropy.sum(&y, &t),
                lse + m - x.get(t).copied().unwrap_or(f64::NAN),
            ));
            let g = CrossEntropy.sample_gradient(&y, &t);
            for (i, (g, x)) in g.iter().zip(x).enumerate() {
                let want = libm::exp(x - m - lse) - if i == t { 1.0 } else { 0.0 };
                grad_worst = grad_worst.max(units(*g, want));
            }
        }
        (loss_worst, grad_worst)
    }

    /// 200,000 random cases of 3, 10 and 16 logits against `f64`, within the bounds.
    #[test]
    fn many_logits() {
        let figures = [
            (3, random_worst::<3>(200_000, 1)),
            (10, random_worst::<10>(200_000, 2)),
            (16, random_worst::<16>(200_000, 3)),
        ];
        // The figures the docs quote.
        let stated = [(0.5642, 0.5167), (0.5619, 0.5161), (0.5581, 0.5179)];
        assert!(
            figures
                .iter()
                .zip(stated)
                .all(|((_, (l, g)), (sl, sg))| is_stated(*l, sl) && is_stated(*g, sg)),
            "random logits, (N, (loss, gradient)) worst in units of 2^-16: {figures:.6?}"
        );
        for (n, (loss, grad)) in figures {
            let (loss_bound, grad_bound) = bounds(n, 1);
            assert!(
                loss <= loss_bound && grad <= grad_bound,
                "{n}: {loss} {grad}"
            );
        }
    }

    /// A rail among the logits (the forward pass saturated) gives a rail loss and rail
    /// gradients; a finite loss beyond the range is a rail too (never a wrapped number), and
    /// a batch's sum keeps it; the largest finite loss stays finite.
    #[test]
    fn rails_in_rails_out() {
        for rail in [Q16::MAX, Q16::MIN, Q16::from_bits(i32::MIN)] {
            let y = [q(1.0), rail, q(-2.0)];
            assert_eq!(CrossEntropy.sum(&y, &0), Q16::MAX, "{rail:?}");
            assert_eq!(
                CrossEntropy.sample_gradient(&y, &0),
                [Q16::MAX; 3],
                "{rail:?}"
            );
            let batch = Batch([[q(0.5); 3], y]);
            assert_eq!(CrossEntropy.sum(&batch, &[0, 2]), Q16::MAX);
        }
        // Logits 40,000 apart: the loss is 40,000, beyond the range.
        let far = [q(20000.0), q(-20000.0)];
        assert_eq!(CrossEntropy.sum(&far, &1), Q16::MAX);
        assert!(!CrossEntropy.loss(&far, &1).is_finite());
        assert_eq!(
            CrossEntropy.sample_gradient(&far, &1),
            [Q16::ONE, -Q16::ONE]
        );
        // Then a batch's sum: saturated, and 1.0 more is still saturated.
        let batch = Batch([[q(0.0), q(1.0)], far]);
        assert_eq!(CrossEntropy.sum(&batch, &[0, 1]), Q16::MAX);
        // The extremes of the range: every difference exact, the loss the difference.
        let ends = [Q16::LARGEST, -Q16::LARGEST];
        assert_eq!(CrossEntropy.sum(&ends, &0), Q16::ZERO);
        assert_eq!(CrossEntropy.sum(&ends, &1), Q16::MAX);
        // The largest finite loss: 32767 + ln(1 + e^-32767), rounded.
        let top = [q(32767.0), Q16::ZERO];
        assert_eq!(CrossEntropy.sum(&top, &1), q(32767.0));
        assert_eq!(
            CrossEntropy.sum(&[Q16::LARGEST, Q16::ZERO], &1),
            Q16::LARGEST
        );
    }

    /// The gradient's bits are part of the format: the host and every device compute these,
    /// and a model trained on one replays on another. A table of logits (raw), `terms` and the
    /// gradient's bits, target 1, so that a change in the reciprocal of `s` (its shift `k`, its
    /// rounding) shows even where it stays within the bounds. The rows have `s` below and
    /// above `2^32`; the three rows with `terms` 1 sit where one unit of `p` moves the
    /// rounded gradient.
    #[test]
    fn gradient_bits_are_fixed() {
        for (y, terms, want) in [
            ([-384_397, 189_654, 253_546], 1, [3, -47_586, 47_583]),
            ([-384_397, 189_654, 253_546], 3, [1, -15_862, 15_861]),
            ([-238_914, -217_527, -33_143], 1, [2_572, -61_972, 59_401]),
            ([-109_697, -37_001, -46_866], 1, [9_869, -35_612, 25_743]),
            ([-109_697, -37_001, -46_866], 32, [308, -1_113, 804]),
        ] {
            let g = CrossEntropy.gradient(&y.map(Q16), &1, nz(terms));
            assert_eq!(g.map(Q16::to_bits), want, "{y:?} / {terms}");
        }
    }

    /// Class indices below `N` only, as the float version; a target out of range (a caller
    /// that skipped `accepts`) gives a loss of 0 and `softmax / terms`, never a panic.
    #[test]
    fn targets_as_the_float_version() {
        let ok = |t: usize| <CrossEntropy as Loss<[Q16; 3]>>::accepts(&CrossEntropy, &t);
        assert!(ok(0) && ok(2) && !ok(3) && !ok(usize::MAX));
        assert!(Loss::<Batch<[Q16; 2], 3>>::accepts(
            &CrossEntropy,
            &[0, 1, 1]
        ));
        assert!(!Loss::<Batch<[Q16; 2], 3>>::accepts(
            &CrossEntropy,
            &[0, 2, 1]
        ));
        assert!(!Loss::<[Q16; 0]>::accepts(&CrossEntropy, &0));
        let y = [q(1.0), q(2.0)];
        assert_eq!(CrossEntropy.sum(&y, &5), Q16::ZERO);
        let g = CrossEntropy.gradient(&y, &5, nz(2));
        assert!(
            g[0] > Q16::ZERO && g[1] > g[0] && (g[0] + g[1] - q(0.5)).abs() <= Q16::UNIT,
            "{g:?}"
        );
        assert_eq!(CrossEntropy.sum(&[Q16::ZERO; 0], &0), Q16::ZERO);
        assert_eq!(CrossEntropy.sample_gradient(&[Q16::ZERO; 0], &0), []);
    }

    /// Exact cases: equal logits (ln N), a class 30 ahead (its exponential is 0), one unit
    /// of gradient per term, and shares: `terms` divides the gradient before its one rounding.
    /// `round(2^31 / terms)`, halves up, in a table (and the clamp past `u32::MAX`).
    #[test]
    fn weights_are_rounded_shares() {
        let n = |t: usize| NonZeroUsize::new(t).unwrap_or(NonZeroUsize::MIN);
        for (terms, want) in [
            (1, 1i64 << 31),
            (2, 1 << 30),
            (3, 715_827_883),
            (7, 306_783_378),
            (10, 214_748_365),
            (1 << 31, 1),
            (3 << 30, 1),
            (u32::MAX as usize, 1),
        ] {
            assert_eq!(weight(n(terms)), want, "{terms} terms");
        }
        #[cfg(target_pointer_width = "64")]
        assert_eq!(weight(n(1 << 33)), 1);
    }

    #[test]
    fn exact_cases_and_shares() {
        // ln 2 = 45426.09 units; ln 16 = 181704.4.
        assert_eq!(CrossEntropy.sum(&[Q16::ZERO; 2], &1), Q16(45426));
        assert_eq!(CrossEntropy.sum(&[q(7.5); 16], &3), Q16(181704));
        assert_eq!(
            CrossEntropy.sample_gradient(&[Q16::ZERO; 2], &1),
            [q(0.5), q(-0.5)]
        );
        let ahead = [q(30.0), q(0.0), q(0.0)];
        assert_eq!(CrossEntropy.sum(&ahead, &0), Q16::ZERO);
        assert_eq!(CrossEntropy.sum(&ahead, &2), q(30.0));
        assert_eq!(CrossEntropy.sample_gradient(&ahead, &0), [Q16::ZERO; 3]);
        assert_eq!(
            CrossEntropy.sample_gradient(&ahead, &1),
            [Q16::ONE, -Q16::ONE, Q16::ZERO]
        );
        let y = [q(1.0), q(2.0), q(3.0)];
        let one = CrossEntropy.gradient(&y, &2, nz(1));
        for terms in [2usize, 3, 4, 32, 1000] {
            let share = CrossEntropy.gradient(&y, &2, nz(terms));
            for (a, b) in one.iter().zip(&share) {
                let want = a.to_f64() / terms as f64;
                assert!(
                    units(*b, want) <= 0.5 + 0.5 / terms as f64 + 1e-9,
                    "{terms}: {one:?} {share:?}"
                );
            }
        }
        // 2^17 terms and more: every share is below half a unit.
        assert_eq!(CrossEntropy.gradient(&y, &2, nz(1 << 17)), [Q16::ZERO; 3]);
        assert_eq!(
            CrossEntropy.gradient(&y, &2, nz(usize::MAX)),
            [Q16::ZERO; 3]
        );
        // A batch is its samples: the sum of their sums, the gradients with terms = B.
        let batch = Batch([y, [q(0.0), q(-1.0), q(0.5)]]);
        let t = [2, 0];
        let sum = CrossEntropy.sum(&y, &2) + CrossEntropy.sum(&batch.0[1], &0);
        assert_eq!(CrossEntropy.sum(&batch, &t), sum);
        let g = CrossEntropy.sample_gradient(&batch, &t);
        assert_eq!(g.0[0], CrossEntropy.gradient(&y, &2, nz(2)));
        assert_eq!(g.0[1], CrossEntropy.gradient(&batch.0[1], &0, nz(2)));
    }

    /// A classifier trains in Q16.16: three separable classes, a `Linear` layer, SGD; in 100
    /// steps the loss falls from ln 3 to below 0.1 and every sample ends classified. A head
    /// whose loss saturates is refused, and so is a class index out of range.
    #[test]
    fn a_classifier_trains() -> Result<(), crate::HyperError> {
        type Net = Linear<Q16, 2, 3>;
        let xs = [
            [1.0, 0.0],
            [0.0, 1.0],
            [-1.0, -1.0],
            [0.8, 0.3],
            [0.2, 0.9],
            [-0.7, -1.2],
        ]
        .map(|x| x.map(q));
        let ts = [0usize, 1, 2, 0, 1, 2];
        let mut net = Net::new([[Q16::ZERO; 2]; 3], [Q16::ZERO; 3]);
        let mut buffers = Buffers::ZERO;
        let mut trainer = Trainer::new(&mut net, &mut buffers, Sgd::new(0.5)?, CrossEntropy);
        let first = trainer.step(&xs, &ts);
        assert_eq!(first, Ok(Q16(71999))); // ln 3 = 71998.6 units
        let mut last = first;
        for _ in 0..100 {
            last = trainer.step(&xs, &ts);
        }
        let last = last.unwrap_or(Q16::MAX);
        assert!(last < q(0.1), "{last}");
        for (x, t) in xs.iter().zip(ts) {
            let y = crate::Module::infer(trainer.model(), x);
            let best = (0..3).max_by_key(|i| y.get(*i).copied()).unwrap_or(3);
            assert_eq!(best, t, "{y:?}");
        }
        let mut loud = *trainer.model();
        loud.bias = [q(20000.0), q(-20000.0), Q16::ZERO];
        let before = loud;
        let mut buffers = Buffers::ZERO;
        let mut trainer = Trainer::new(&mut loud, &mut buffers, Sgd::new(0.5)?, CrossEntropy);
        assert_eq!(trainer.step(&xs, &ts), Err(StepError::NonFiniteLoss));
        assert_eq!(*trainer.model(), before);
        assert_eq!(
            trainer.step(&xs, &[0, 1, 3, 0, 1, 2]),
            Err(StepError::InvalidTarget { sample: 2 })
        );
        Ok(())
    }
}
