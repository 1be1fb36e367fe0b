//! Cross-entropy over class logits.

use core::num::NonZeroUsize;

use super::Loss;
use crate::data::Batch;
use crate::number::Float;

/// `nn.CrossEntropyLoss()`: softmax and negative log-likelihood fused, on `N` logits with the
/// target given as a class index, averaged over the batch (one term per sample).
///
/// Computed as PyTorch's CPU kernels compute it, in `T`, which keeps it stable for any finite
/// logits (no `exp` of a positive number):
///
/// ```text
/// m      = max(y)
/// lse    = ln(sum(exp(y_i - m)))            (the sum in index order, >= 1)
/// out_i  = (y_i - m) - lse                  (log-softmax)
/// loss   = -out_t
/// dy_i   = g_i - exp(out_i) * (-w)          (g_t = -w, else 0; w = 1 / terms)
/// ```
///
/// Errors: a target index `>= N` is not accepted ([`Loss::accepts`] is false, and a
/// [`Trainer`](crate::Trainer) refuses the batch with
/// [`StepError::InvalidTarget`](crate::StepError::InvalidTarget)); [`Loss::sum`] and
/// [`Loss::gradient`] given one anyway return a loss of 0 and a gradient of `softmax(y) / terms`
/// rather than panicking. For finite logits the gradient is always finite (each element is in
/// `[-w, w]`), and the loss is finite unless `max(y) - y_t` overflows (logits of opposite signs
/// near the largest finite value): it is then `+inf`, never NaN, and a trainer refuses the step
/// with [`StepError::NonFiniteLoss`](crate::StepError::NonFiniteLoss).
///
/// ```
/// use skipgrad::{CrossEntropy, Loss};
///
/// let logits = [2.0f64, 0.0, 0.0];
/// let loss = CrossEntropy.loss(&logits, &0);
/// assert!((loss - (2f64.exp() + 2.0).ln() + 2.0).abs() < 1e-15);
/// // Huge logits stay finite: only differences are exponentiated.
/// assert_eq!(CrossEntropy.loss(&[1e30f32, 0.0], &1), 1e30);
/// assert!(!Loss::<[f32; 3]>::accepts(&CrossEntropy, &3));
/// ```
///
/// # In Q16.16 fixed point
///
/// [`Q16`](crate::Q16) logits (`[Q16; N]` and `Batch<[Q16; N], B>`, the same targets) take
/// the same log-softmax in integer arithmetic only, for cores without an FPU: `e^(y_i - m)`
/// from a cubic table of `e^-f` on `[0, 1)` and constants `e^-n` (0 from a distance of 22
/// on), their sum in 64 bits, its logarithm from a cubic table of `ln(1 + x)` (tables by
/// `tools/q16_tables.py`), all finer than Q16.16 (`2^-31`, `2^-26`), and one rounding of
/// the loss and of each gradient element, `(softmax(y)_i - [i = t]) / terms`. Errors, in
/// units of `2^-16`, against the exact values for the exact logits:
///
/// | | stated bound (`N` logits) | measured worst |
/// |---|---:|---:|
/// | loss | `0.72 + N / 16384` | 0.5749 |
/// | gradient | `0.5 + 0.08 / terms + N / 16384` | 0.5196 |
///
/// The bounds add the final rounding (0.5), the logarithm's error (0.0645) and the
/// exponentials' (`2.33e-6` relative, `2^-30` absolute each); the figures were measured over
/// every difference of two logits in `[-24, 24]` (3,145,729 inputs) and 200,000 random
/// vectors each of 3, 10 and 16 logits, against `f64`; PyTorch's float64 results on 172
/// samples of 2 to 16 logits and 5 batches (`tools/cross_entropy_q16_fixture.py`) are
/// within the bounds too (`cargo test --release -p skipgrad --lib q16::cross_entropy` holds
/// every figure to its four decimals).
///
/// Saturation: a rail among the logits (a forward pass that saturated) gives a rail loss
/// and rail gradients, and a loss beyond the range (`max(y) - y_t` near 32768) is the rail
/// [`Q16::MAX`](crate::Q16::MAX), never a wrapped number; a batch's sum keeps it (every term is at
/// least 0). A [`Trainer`](crate::Trainer) refuses either step with
/// [`StepError::NonFiniteLoss`](crate::StepError::NonFiniteLoss). The gradient of finite
/// logits is always finite (each element in `[-1, 1]`).
///
/// ```
/// use skipgrad::{CrossEntropy, Loss, Scalar, Q16};
///
/// let q = Q16::from_f64;
/// let logits = [q(2.0), q(0.0), q(0.0)];
/// let loss = CrossEntropy.loss(&logits, &0);
/// let exact = (2f64.exp() + 2.0).ln() - 2.0;
/// assert!((loss.to_f64() - exact).abs() * 65536.0 <= 0.72 + 3.0 / 16384.0);
/// let g = CrossEntropy.sample_gradient(&logits, &0);
/// assert!(g[0] < Q16::ZERO && g[1] > Q16::ZERO && g[1] == g[2]);
/// // Logits 40,000 apart: the loss is beyond the range, a rail (the fixed-point NaN).
/// assert!(!CrossEntropy.loss(&[q(20000.0), q(-20000.0)], &1).is_finite());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CrossEntropy;

impl CrossEntropy {
    /// `max(y)` and `ln(sum(exp(y_i - max(y))))`.
    #[inline]
    fn max_and_lse<T: Float>(y: &[T]) -> (T, T) {
        let mut m = T::ZERO;
        if let Some(first) = y.first() {
            m = *first;
        }
        y.iter().for_each(|v| m = m.max(*v));
        let mut s = T::ZERO;
        y.iter().for_each(|v| s += (*v - m).exp());
        (m, s.ln())
    }

    /// The sample's loss, `-log_softmax(y)[t]`; 0 for a target out of range.
    #[inline]
    fn sample_sum<T: Float>(y: &[T], target: usize) -> T {
        let (m, lse) = Self::max_and_lse(y);
        match y.get(target) {
            Some(v) => -((*v - m) - lse),
            None => T::ZERO,
        }
    }

    /// The sample's gradient divided by `terms`, into `g` (which holds `y`).
    #[inline]
    fn sample_gradient_into<T: Float>(g: &mut [T], target: usize, terms: NonZeroUsize) {
        let (m, lse) = Self::max_and_lse(g);
        let minus_w = -(T::ONE / T::from_usize(terms.get()));
        for (i, v) in g.iter_mut().enumerate() {
            let p = ((*v - m) - lse).exp();
            let gi = if i == target { minus_w } else { T::ZERO };
            *v = gi - p * minus_w;
        }
    }
}

impl<T: Float, const N: usize> Loss<[T; N]> for CrossEntropy {
    /// The index of the right class, `0..N`.
    type Target = usize;
    const TERMS: usize = 1;

    #[inline]
    fn accepts(&self, target: &usize) -> bool {
        *target < N
    }

    #[inline]
    fn sum(&self, y: &[T; N], target: &usize) -> T {
        Self::sample_sum(y, *target)
    }

    #[inline]
    fn gradient(&self, y: &[T; N], target: &usize, terms: NonZeroUsize) -> [T; N] {
        let mut g = *y;
        Self::sample_gradient_into(&mut g, *target, terms);
        g
    }
}

/// A batch as one value: one class index per sample, one term per sample.
impl<T: Float, const N: usize, const B: usize> Loss<Batch<[T; N], B>> for CrossEntropy {
    type Target = [usize; B];
    const TERMS: usize = B;

    #[inline]
    fn accepts(&self, target: &[usize; B]) -> bool {
        target.iter().all(|t| *t < N)
    }

    #[inline]
    fn sum(&self, y: &Batch<[T; N], B>, target: &[usize; B]) -> T {
        let mut acc = T::ZERO;
        for (y, t) in y.0.iter().zip(target) {
            acc += Self::sample_sum(y, *t);
        }
        acc
    }

    #[inline]
    fn gradient(
        &self,
        y: &Batch<[T; N], B>,
        target: &[usize; B],
        terms: NonZeroUsize,
    ) -> Batch<[T; N], B> {
        let mut g = *y;
        for (g, t) in g.0.iter_mut().zip(target) {
            Self::sample_gradient_into(g, *t, terms);
        }
        g
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nz(n: usize) -> NonZeroUsize {
        NonZeroUsize::new(n).unwrap_or(NonZeroUsize::MIN)
    }

    /// A batch's share: the sample gradient divided by the number of terms; and only class
    /// indices below `N` are accepted.
    #[test]
    fn gradient_shares_and_accepted_targets() {
        let y = [1.0f64, 2.0, 3.0];
        let one = <CrossEntropy as Loss<[f64; 3]>>::gradient(&CrossEntropy, &y, &2, nz(1));
        let four = <CrossEntropy as Loss<[f64; 3]>>::gradient(&CrossEntropy, &y, &2, nz(4));
        for (a, b) in one.iter().zip(&four) {
            assert!((a / 4.0 - b).abs() < 1e-16, "{one:?} {four:?}");
        }
        let ok = |t: usize| <CrossEntropy as Loss<[f64; 3]>>::accepts(&CrossEntropy, &t);
        assert!(ok(0) && ok(2) && !ok(3) && !ok(usize::MAX));
    }

    /// Values from `torch.nn.functional.cross_entropy` in float64.
    #[test]
    fn loss_and_gradient_table() {
        type Case = ([f64; 3], usize, f64, [f64; 3]);
        let cases: [Case; 3] = [
            (
                [1.0, 2.0, 3.0],
                2,
                0.407_605_964_444_380_4,
                [
                    0.090_030_573_170_380_43,
                    0.244_728_471_054_797_64,
                    -0.334_759_044_225_178_2,
                ],
            ),
            (
                [0.0, 0.0, 0.0],
                0,
                1.098_612_288_668_109_8,
                [
                    -0.666_666_666_666_666_7,
                    0.333_333_333_333_333_3,
                    0.333_333_333_333_333_3,
                ],
            ),
            ([-1000.0, 0.0, 1000.0], 0, 2000.0, [-1.0, 0.0, 1.0]),
        ];
        for (y, t, loss, grad) in cases {
            let l = CrossEntropy.loss(&y, &t);
            assert!(
                (l - loss).abs() <= 1e-15 * loss.abs(),
                "{y:?}: {l} vs {loss}"
            );
            let g = CrossEntropy.sample_gradient(&y, &t);
            for (a, b) in g.iter().zip(&grad) {
                assert!((a - b).abs() <= 2e-16, "{y:?}: {g:?} vs {grad:?}");
            }
        }
    }

    #[test]
    fn batch_value_is_the_mean_of_its_samples() {
        let y = Batch([[1.0f64, 2.0], [0.5, -0.5], [3.0, 3.0]]);
        let t = [1, 0, 1];
        let want: f64 =
            y.0.iter()
                .zip(&t)
                .map(|(y, t)| CrossEntropy.sum(y, t))
                .sum::<f64>()
                / 3.0;
        assert_eq!(CrossEntropy.loss(&y, &t), want);
        let g = CrossEntropy.sample_gradient(&y, &t);
        for ((g, y), t) in g.0.iter().zip(&y.0).zip(&t) {
            assert_eq!(*g, CrossEntropy.gradient(y, t, nz(3)));
        }
        assert!(Loss::<Batch<[f64; 2], 3>>::accepts(&CrossEntropy, &t));
        assert!(!Loss::<Batch<[f64; 2], 3>>::accepts(
            &CrossEntropy,
            &[0, 2, 1]
        ));
    }

    #[test]
    fn extremes_stay_finite_or_overflow_to_infinity() {
        let max = f32::MAX;
        // The gradient is finite for any finite logits; the loss overflows only to +inf.
        let cases: [([f32; 3], usize); 4] = [
            ([max, -max, 0.0], 1),
            ([max, max, max], 2),
            ([-max, -max, -max], 0),
            ([1e-45, -1e-45, 0.0], 0),
        ];
        for (y, t) in cases {
            let g = CrossEntropy.sample_gradient(&y, &t);
            assert!(g.iter().all(|v| v.is_finite()), "{y:?}: {g:?}");
            let l = CrossEntropy.loss(&y, &t);
            assert!(l >= 0.0 && !l.is_nan(), "{y:?}: {l}");
        }
        assert_eq!(CrossEntropy.loss(&[max, -max, 0.0], &1), f32::INFINITY);
        assert_eq!(CrossEntropy.loss(&[max, max, max], &2), 3f32.ln());
    }

    /// A target out of range (a caller that skipped `accepts`) gives no panic.
    #[test]
    fn out_of_range_target_does_not_panic() {
        let y = [1.0f32, 2.0];
        assert_eq!(CrossEntropy.loss(&y, &5), 0.0);
        let g = CrossEntropy.sample_gradient(&y, &5);
        assert!((g[0] + g[1] - 1.0).abs() < 1e-7, "{g:?}");
        assert!(!Loss::<[f32; 0]>::accepts(&CrossEntropy, &0));
        assert_eq!(CrossEntropy.loss(&[0.0f32; 0], &0), 0.0);
    }
}
