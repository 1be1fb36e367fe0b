//! Binary cross-entropy on logits.

use core::num::NonZeroUsize;

use super::Loss;
use crate::data::Flat;
use crate::layer::activation::Sigmoid;
use crate::number::{Float, Scalar};
use crate::zeroed::Zeroed;

/// `nn.BCEWithLogitsLoss()`: binary cross-entropy of `sigmoid(y)` against a probability `t`,
/// computed from the logit `y` without forming the sigmoid, averaged over every element.
///
/// Each element's term is written as PyTorch's CPU kernels write it,
/// `(1 - t) * y - log_sigmoid(y)` with `log_sigmoid(y) = min(y, 0) - ln_1p(exp(-|y|))`: the
/// stable form `max(y, 0) - y t + ln(1 + e^-|y|)` with its terms grouped as PyTorch groups
/// them. The gradient of the mean is `(sigmoid(y) - t) / terms`.
///
/// Errors: a target outside `[0, 1]` (or NaN) is not accepted ([`Loss::accepts`] is false,
/// and a [`Trainer`](crate::Trainer) refuses the batch with
/// [`StepError::InvalidTarget`](crate::StepError::InvalidTarget)). For every finite logit and
/// accepted target each term is finite (at most `|y| + ln 2`) and so is the gradient (each
/// element in `[-1, 1] / terms`); the sum over many elements near the largest finite value
/// can overflow to `+inf` (never NaN), which a trainer refuses with
/// [`StepError::NonFiniteLoss`](crate::StepError::NonFiniteLoss).
///
/// ```
/// use skipgrad::{BceWithLogits, Loss};
///
/// let loss = BceWithLogits.loss(&[0.0f64, 2.0], &[0.5, 1.0]);
/// assert!((loss - (2f64.ln() + (1.0 + (-2f64).exp()).ln()) / 2.0).abs() < 1e-15);
/// // Far-out logits: no overflow in exp.
/// assert_eq!(BceWithLogits.loss(&[-1e30f32], &[1.0]), 1e30);
/// assert!(!BceWithLogits.accepts(&[1.5f32]));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BceWithLogits;

impl<Y: Flat> Loss<Y> for BceWithLogits
where
    Y::Scalar: Float,
{
    /// Probabilities, one per logit, each in `[0, 1]`.
    type Target = Y;
    const TERMS: usize = Y::LEN;

    #[inline]
    fn accepts(&self, target: &Y) -> bool {
        let (zero, one) = (Y::Scalar::ZERO, Y::Scalar::ONE);
        target.values().iter().all(|t| *t >= zero && *t <= one)
    }

    #[inline]
    fn sum(&self, y: &Y, target: &Y) -> Y::Scalar {
        let mut acc = Y::Scalar::ZERO;
        for (y, t) in y.values().iter().zip(target.values()) {
            let log_sigmoid = y.min(Y::Scalar::ZERO) - (-y.abs()).exp().ln_1p();
            acc += (Y::Scalar::ONE - *t) * *y - log_sigmoid;
        }
        acc
    }

    #[inline]
    fn gradient(&self, y: &Y, target: &Y, terms: NonZeroUsize) -> Y {
        let n = Y::Scalar::from_usize(terms.get());
        let mut g = *y;
        for (g, t) in g.values_mut().iter_mut().zip(target.values()) {
            *g = (Sigmoid::of(*g) - *t) / n;
        }
        g
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values from `torch.nn.functional.binary_cross_entropy_with_logits` in float64.
    #[test]
    fn loss_and_gradient_table() {
        type Case = ([f64; 3], [f64; 3], f64, [f64; 3]);
        let cases: [Case; 2] = [
            (
                [0.0, 2.0, -3.0],
                [0.5, 1.0, 0.0],
                0.289_554_181_058_886_6,
                [0.0, -0.039_734_307_340_705_9, 0.015_808_624_392_522_26],
            ),
            (
                [100.0, -100.0, 1e-3],
                [0.0, 0.0, 0.25],
                33.564_465_768_519_98,
                [
                    0.333_333_333_333_333_3,
                    1.240_025_325_340_278_5e-44,
                    0.083_416_666_659_722_21,
                ],
            ),
        ];
        for (y, t, loss, grad) in cases {
            let l = BceWithLogits.loss(&y, &t);
            assert!((l - loss).abs() <= 1e-15 * loss, "{y:?}: {l} vs {loss}");
            let g = BceWithLogits.sample_gradient(&y, &t);
            for (a, b) in g.iter().zip(&grad) {
                assert!(
                    (a - b).abs() <= 4.5e-16 * b.abs(),
                    "{y:?}: {g:?} vs {grad:?}"
                );
            }
        }
    }

    #[test]
    fn targets_must_be_probabilities() {
        for t in [0.0f32, 1.0, 0.5, 1e-45] {
            assert!(BceWithLogits.accepts(&[t]), "{t}");
        }
        for t in [-1e-45f32, 1.000_000_1, f32::NAN, f32::INFINITY, -1.0] {
            assert!(!BceWithLogits.accepts(&[t]), "{t}");
        }
    }

    #[test]
    fn extremes_stay_finite() {
        let max = f32::MAX;
        for y in [max, -max, 1e30, -1e30, 0.0, 1e-45] {
            for t in [0.0, 0.5, 1.0] {
                let l = BceWithLogits.loss(&[y], &[t]);
                let g = BceWithLogits.sample_gradient(&[y], &[t]);
                assert!(
                    l.is_finite() && l >= 0.0 && g[0].is_finite(),
                    "{y}, {t}: {l}, {g:?}"
                );
            }
        }
        assert_eq!(BceWithLogits.loss(&[max], &[0.0]), max);
        assert_eq!(BceWithLogits.loss(&[-max], &[0.5]), max / 2.0);
        assert_eq!(BceWithLogits.loss(&[max], &[1.0]), 0.0);
    }
}
