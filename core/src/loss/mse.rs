//! Mean squared error.

use core::num::NonZeroUsize;

use super::Loss;
use crate::data::Flat;
use crate::number::Scalar;
use crate::zeroed::Zeroed;

/// Mean squared error, averaged like `nn.MSELoss()` (mean over every element).
///
/// For a batch of `B` samples of `N` outputs the loss is the mean over all `B * N` elements,
/// and each sample's gradient is `2 / (B * N) * (y - t)`, computed as PyTorch does
/// (`norm = 2 / numel`, then `norm * (y - t)`).
///
/// ```
/// use skipgrad::{Loss, Mse};
///
/// let (y, t) = ([1.0f32, 3.0], [0.0, 1.0]);
/// assert_eq!(Mse.loss(&y, &t), 2.5);
/// assert_eq!(Mse.sample_gradient(&y, &t), [1.0, 2.0]);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Mse;

impl<Y: Flat> Loss<Y> for Mse {
    type Target = Y;
    const TERMS: usize = Y::LEN;

    #[inline]
    fn accepts(&self, target: &Y) -> bool {
        target.all_finite()
    }

    #[inline]
    fn sum(&self, y: &Y, target: &Y) -> Y::Scalar {
        let mut acc = Y::Scalar::ZERO;
        for (y, t) in y.values().iter().zip(target.values()) {
            let d = *y - *t;
            acc += d * d;
        }
        acc
    }

    #[inline]
    fn gradient(&self, y: &Y, target: &Y, terms: NonZeroUsize) -> Y {
        let two = Y::Scalar::ONE + Y::Scalar::ONE;
        let norm = two / Y::Scalar::from_usize(terms.get());
        let mut g = *y;
        for (g, t) in g.values_mut().iter_mut().zip(target.values()) {
            *g = norm * (*g - *t);
        }
        g
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Batch;

    #[test]
    fn loss_and_gradient_table() {
        type Case = ([f64; 2], [f64; 2], f64, [f64; 2]);
        let cases: [Case; 3] = [
            ([0.0, 0.0], [0.0, 0.0], 0.0, [0.0, 0.0]),
            ([1.0, 3.0], [0.0, 1.0], 2.5, [1.0, 2.0]),
            ([-1.0, 0.5], [1.0, 0.5], 2.0, [-2.0, 0.0]),
        ];
        for (y, t, loss, grad) in cases {
            assert_eq!(Mse.loss(&y, &t), loss);
            assert_eq!(Mse.sample_gradient(&y, &t), grad);
        }
    }

    #[test]
    fn batch_is_mean_over_all_elements() {
        let y = [[1.0f64, 3.0], [0.0, 0.0]];
        let t = [[0.0f64, 1.0], [2.0, 0.0]];
        assert_eq!(Mse.batch_loss(&y, &t), (1.0 + 4.0 + 4.0) / 4.0);
        let four = NonZeroUsize::new(4).unwrap_or(NonZeroUsize::MIN);
        assert_eq!(Mse.gradient(&y[0], &t[0], four), [0.5, 1.0]);
        assert_eq!(Mse.gradient(&y[1], &t[1], four), [-1.0, 0.0]);
        // The same batch as one `Batch` value: one sample of four terms.
        assert_eq!(Mse.loss(&Batch(y), &Batch(t)), (1.0 + 4.0 + 4.0) / 4.0);
        assert_eq!(
            Mse.sample_gradient(&Batch(y), &Batch(t)),
            Batch([[0.5, 1.0], [-1.0, 0.0]])
        );
    }

    #[test]
    fn targets_must_be_finite() {
        assert!(Loss::<[f32; 2]>::accepts(&Mse, &[0.0, -1e30]));
        assert!(!Loss::<[f32; 2]>::accepts(&Mse, &[0.0, f32::NAN]));
        assert!(!Loss::<[f32; 2]>::accepts(&Mse, &[f32::NEG_INFINITY, 0.0]));
    }
}
