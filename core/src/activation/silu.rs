//! SiLU (swish).

use super::{ElementWise, Sigmoid};
use crate::float::Float;

/// `nn.SiLU`: `x / (1 + e^-x)` (PyTorch's formula), derivative `s * (1 + x * (1 - s))` with
/// `s` the sigmoid of `x`.
///
/// Finite for every finite input: where `e^-x` overflows, `s` is exactly 0 and so are the
/// value (`x / inf`) and the derivative (`0 * finite`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Silu;

crate::activation!(Silu);

impl<T: Float> ElementWise<T> for Silu {
    #[inline(always)]
    fn value(&self, x: T) -> T {
        x / (T::ONE + (-x).exp())
    }

    #[inline(always)]
    fn value_and_derivative(&self, x: T) -> (T, T) {
        let s = Sigmoid::of(x);
        (x / (T::ONE + (-x).exp()), s * (T::ONE + x * (T::ONE - s)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_and_extremes() {
        assert_eq!(Silu.value_and_derivative(0.0f64), (0.0, 0.5));
        let (v, d) = Silu.value_and_derivative(1.0f64);
        assert!((v - 0.731_058_578_630_004_9).abs() < 1e-16);
        assert!((d - 0.927_670_511_871_486_9).abs() < 1e-15);
        for x in [f32::MAX, -f32::MAX, 1e30, -1e30, -100.0] {
            let (v, d) = Silu.value_and_derivative(x);
            assert!(v.is_finite() && d.is_finite(), "x = {x}: {v}, {d}");
        }
    }
}
