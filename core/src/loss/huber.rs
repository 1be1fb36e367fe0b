//! The Huber loss.

use core::num::NonZeroUsize;

use super::Loss;
use crate::data::Flat;
use crate::number::Scalar;
use crate::zeroed::Zeroed;

/// `nn.HuberLoss()` (`delta = 1`): for each element `z = |y - t|`, the term is `0.5 z^2` for
/// `z < 1` and `z - 0.5` beyond, averaged over every element. The gradient of the mean is
/// `clamp(y - t, -1, 1) / terms`, computed as PyTorch does (`(1 / terms) * (y - t)` inside
/// the kink, `±1 / terms` outside).
///
/// Needs only [`Scalar`] arithmetic (no `exp` or `ln`), so it also trains a fixed-point model.
///
/// Errors: a non-finite target is not accepted ([`Loss::accepts`] is false, and a
/// [`Trainer`](crate::Trainer) refuses the batch with
/// [`StepError::InvalidTarget`](crate::StepError::InvalidTarget)). For every finite
/// prediction and target the gradient is finite (each element in `[-1, 1] / terms`, even when
/// `y - t` overflows); the loss grows linearly and is finite unless `y - t` or the sum of the
/// terms overflows (`+inf`, never NaN), which a trainer refuses with
/// [`StepError::NonFiniteLoss`](crate::StepError::NonFiniteLoss).
///
/// ```
/// use skipgrad::{Huber, Loss};
///
/// assert_eq!(Huber.loss(&[0.5f32, 3.0], &[0.0, 0.0]), (0.125 + 2.5) / 2.0);
/// assert_eq!(Huber.sample_gradient(&[0.5f32, 3.0], &[0.0, 0.0]), [0.25, 0.5]);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Huber;

impl<Y: Flat> Loss<Y> for Huber {
    type Target = Y;
    const TERMS: usize = Y::LEN;

    #[inline]
    fn accepts(&self, target: &Y) -> bool {
        target.all_finite()
    }

    #[inline]
    fn sum(&self, y: &Y, target: &Y) -> Y::Scalar {
        let half = Y::Scalar::from_f64(0.5);
        let mut acc = Y::Scalar::ZERO;
        for (y, t) in y.values().iter().zip(target.values()) {
            let z = (*y - *t).abs();
            acc += if z < Y::Scalar::ONE {
                half * z * z
            } else {
                z - half
            };
        }
        acc
    }

    #[inline]
    fn gradient(&self, y: &Y, target: &Y, terms: NonZeroUsize) -> Y {
        let one = Y::Scalar::ONE;
        let norm = one / Y::Scalar::from_usize(terms.get());
        let mut g = *y;
        for (g, t) in g.values_mut().iter_mut().zip(target.values()) {
            let d = *g - *t;
            *g = if d <= -one {
                -norm
            } else if d >= one {
                norm
            } else {
                norm * d
            };
        }
        g
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values from `torch.nn.functional.huber_loss` in float64.
    #[test]
    fn loss_and_gradient_table() {
        type Case = ([f64; 3], [f64; 3], f64, [f64; 3]);
        let third = 1.0 / 3.0;
        let cases: [Case; 2] = [
            (
                [0.5, 3.0, -2.0],
                [0.0, 1.0, -1.0],
                0.708_333_333_333_333_4,
                [0.166_666_666_666_666_66, third, -third],
            ),
            (
                [1.0, -1.0, 0.25],
                [0.0, 0.0, 0.0],
                0.343_75,
                [third, -third, 0.083_333_333_333_333_33],
            ),
        ];
        for (y, t, loss, grad) in cases {
            assert_eq!(Huber.loss(&y, &t), loss, "{y:?}");
            assert_eq!(Huber.sample_gradient(&y, &t), grad, "{y:?}");
        }
    }

    #[test]
    fn extremes_keep_a_finite_gradient() {
        let max = f32::MAX;
        let g = Huber.sample_gradient(&[max, -max], &[-max, max]);
        assert_eq!(g, [0.5, -0.5]);
        assert_eq!(Huber.loss(&[max], &[-max]), f32::INFINITY);
        assert_eq!(Huber.loss(&[max], &[0.0]), max);
        assert!(!Huber.accepts(&[f32::NAN]));
        assert!(Huber.accepts(&[-max]));
    }
}
