//! Losses: value and gradient with respect to the prediction.

use crate::scalar::Scalar;

/// Mean squared error, averaged like `nn.MSELoss()` (mean over every element).
///
/// For a batch of `B` samples of `N` outputs, the loss is the mean over all `B * N` elements,
/// and each sample's gradient is `2 / (B * N) * (y - t)`, so per-sample gradients accumulated
/// over the batch give the gradient of the batch loss.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Mse;

impl Mse {
    /// The mean of `(y - t)^2` over the `N` elements.
    #[inline]
    pub fn loss<T: Scalar, const N: usize>(y: &[T; N], t: &[T; N]) -> T {
        Self::sum_sq(y, t) / T::from_usize(N)
    }

    /// The mean of `(y - t)^2` over all `B * N` elements of a batch.
    #[inline]
    pub fn batch_loss<T: Scalar, const N: usize, const B: usize>(
        y: &[[T; N]; B],
        t: &[[T; N]; B],
    ) -> T {
        let mut acc = T::ZERO;
        for (y, t) in y.iter().zip(t) {
            acc += Self::sum_sq(y, t);
        }
        acc / T::from_usize(B * N)
    }

    /// The gradient of [`Mse::loss`] with respect to `y`: `2 / N * (y - t)`.
    #[inline]
    pub fn gradient<T: Scalar, const N: usize>(y: &[T; N], t: &[T; N]) -> [T; N] {
        Self::gradient_in_batch(y, t, 1)
    }

    /// One sample's share of the gradient of a batch loss over `batch` samples:
    /// `2 / (batch * N) * (y - t)`, computed as PyTorch does (`norm = 2 / numel`, then
    /// `norm * (y - t)`).
    #[inline]
    pub fn gradient_in_batch<T: Scalar, const N: usize>(
        y: &[T; N],
        t: &[T; N],
        batch: usize,
    ) -> [T; N] {
        let norm = T::TWO / T::from_usize(batch * N);
        let mut g = *y;
        for (g, t) in g.iter_mut().zip(t) {
            *g = norm * (*g - *t);
        }
        g
    }

    #[inline(always)]
    fn sum_sq<T: Scalar, const N: usize>(y: &[T; N], t: &[T; N]) -> T {
        let mut acc = T::ZERO;
        for (y, t) in y.iter().zip(t) {
            let d = *y - *t;
            acc += d * d;
        }
        acc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loss_and_gradient_table() {
        type Case = ([f64; 2], [f64; 2], f64, [f64; 2]);
        let cases: [Case; 3] = [
            ([0.0, 0.0], [0.0, 0.0], 0.0, [0.0, 0.0]),
            ([1.0, 3.0], [0.0, 1.0], 2.5, [1.0, 2.0]),
            ([-1.0, 0.5], [1.0, 0.5], 2.0, [-2.0, 0.0]),
        ];
        for (y, t, loss, grad) in cases {
            assert_eq!(Mse::loss(&y, &t), loss);
            assert_eq!(Mse::gradient(&y, &t), grad);
        }
    }

    #[test]
    fn batch_is_mean_over_all_elements() {
        let y = [[1.0f64, 3.0], [0.0, 0.0]];
        let t = [[0.0f64, 1.0], [2.0, 0.0]];
        assert_eq!(Mse::batch_loss(&y, &t), (1.0 + 4.0 + 4.0) / 4.0);
        assert_eq!(Mse::gradient_in_batch(&y[0], &t[0], 2), [0.5, 1.0]);
        assert_eq!(Mse::gradient_in_batch(&y[1], &t[1], 2), [-1.0, 0.0]);
    }
}
