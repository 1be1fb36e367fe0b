//! The Q16.16 cross-entropy's gradient is its loss's derivative: finite differences of the
//! fixed-point loss against the fixed-point gradient, for 3 and 10 logits and for a batch,
//! within the tolerance the stated error bounds give (`CrossEntropy`'s docs; the bounds
//! themselves are measured in the core's unit tests, `core/src/number/q16/cross_entropy.rs`).

use std::num::NonZeroUsize;

use proptest::prelude::*;
use skipgrad::{Batch, CrossEntropy, Loss, Q16};

/// The stated bounds, in units of `2^-16`, for `n` logits: the loss `0.72 + n / 16384`, the
/// gradient `0.5 + 0.08 / terms + n / 16384`.
fn bounds(n: usize, terms: usize) -> (f64, f64) {
    let n = n as f64 / 16384.0;
    (0.72 + n, 0.5 + 0.08 / terms as f64 + n)
}

fn nz(n: usize) -> NonZeroUsize {
    NonZeroUsize::new(n).expect("n > 0")
}

/// Finite differences: `h = 2^-4` (exact in Q16.16); the central difference of the Q16 loss
/// is within `2 bound_loss 2^-16 / (2h)` of its exact value from rounding and
/// `h^2 / 6 max|d^3 lse / dy_i^3| = h^2 / 6 / (6 sqrt 3)` from the step.
fn finite_difference_holds<const N: usize>(
    y: [i32; N],
    t: usize,
    terms: usize,
) -> Result<(), TestCaseError> {
    let h = 1i32 << 12;
    let q = y.map(Q16::from_bits);
    let g = CrossEntropy.gradient(&q, &t, nz(terms));
    let (loss_bound, grad_bound) = bounds(N, terms);
    let hf = f64::from(h) / 65536.0;
    let tolerance = (loss_bound / 65536.0 / hf + hf * hf / 6.0 / (6.0 * 3f64.sqrt()))
        / terms as f64
        + grad_bound / 65536.0;
    for (i, gi) in g.iter().enumerate() {
        let (mut up, mut down) = (y, y);
        up[i] += h;
        down[i] -= h;
        let (up, down) = (up.map(Q16::from_bits), down.map(Q16::from_bits));
        let d = (CrossEntropy.sum(&up, &t).to_f64() - CrossEntropy.sum(&down, &t).to_f64())
            / (2.0 * hf)
            / terms as f64;
        let err = (gi.to_f64() - d).abs();
        prop_assert!(
            err <= tolerance,
            "y {y:?} t {t} terms {terms} i {i}: {gi} vs {d} ({err:e} > {tolerance:e})"
        );
    }
    Ok(())
}

/// Logits in `±8`, as raw bits.
fn logit() -> impl Strategy<Value = i32> {
    -(8 << 16)..(8 << 16)
}

proptest! {
    #[test]
    fn gradient_is_the_loss_derivative_3(
        y in prop::array::uniform3(logit()),
        t in 0..3usize,
        terms in 1..=8usize,
    ) {
        finite_difference_holds(y, t, terms)?;
    }

    #[test]
    fn gradient_is_the_loss_derivative_10(
        y in prop::array::uniform10(logit()),
        t in 0..10usize,
        terms in 1..=8usize,
    ) {
        finite_difference_holds(y, t, terms)?;
    }

    /// A batch's gradient is that of its summed loss divided by its terms.
    #[test]
    fn batch_gradient_is_the_loss_derivative(
        y in prop::array::uniform3(prop::array::uniform4(logit())),
        t in prop::array::uniform3(0..4usize),
    ) {
        let batch = Batch(y.map(|s| s.map(Q16::from_bits)));
        let g = CrossEntropy.sample_gradient(&batch, &t);
        for ((gs, ys), ts) in g.0.iter().zip(&batch.0).zip(&t) {
            prop_assert_eq!(*gs, CrossEntropy.gradient(ys, ts, nz(3)));
            finite_difference_holds(ys.map(Q16::to_bits), *ts, 3)?;
        }
    }
}
