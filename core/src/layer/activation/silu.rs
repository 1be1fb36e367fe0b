//! SiLU (swish).

use super::{ElementWise, Sigmoid};
use crate::number::Float;

/// `nn.SiLU`: `x s(x)` with `s` the sigmoid, derivative `s (1 + x (1 - s))`.
///
/// The value is `x / (1 + e^-x)` for `x >= 0` (PyTorch's formula) and `x e^x / (1 + e^x)`
/// below 0, and `s`, `1 - s` are [`Sigmoid::with_complement`]'s quotients: finite for every
/// finite input, accurate where `e^-x` would overflow (`x < -88.7` in `f32`, where the value
/// is still a normal number) and where `s` rounds to 1. The derivative crosses zero at
/// `x = -1.278`; its error there is stated in mixed units (see `skipgrad exhaustive`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Silu;

crate::activation!(Silu);

impl<T: Float> ElementWise<T> for Silu {
    #[inline(always)]
    fn value(&self, x: T) -> T {
        let e = (-x.abs()).exp();
        if x >= T::ZERO {
            x / (T::ONE + e)
        } else {
            x * e / (T::ONE + e)
        }
    }

    #[inline(always)]
    fn value_and_derivative(&self, x: T) -> (T, T) {
        let (s, c) = Sigmoid::with_complement(x);
        (self.value(x), s * (T::ONE + x * c))
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
        let (v, d) = Silu.value_and_derivative(-1.0f64);
        assert!((v + 0.268_941_421_369_995_1).abs() < 1e-16);
        assert!((d - 0.072_329_488_128_513_1).abs() < 1e-15);
        for x in [f32::MAX, -f32::MAX, 1e30, -1e30, -100.0] {
            let (v, d) = Silu.value_and_derivative(x);
            assert!(v.is_finite() && d.is_finite(), "x = {x}: {v}, {d}");
        }
        // Where e^-x overflows f32 the value is still a normal number.
        let v = Silu.value(-88.8f32);
        assert!(
            (f64::from(v) / (-88.8 * (-88.8f64).exp()) - 1.0).abs() < 1e-5,
            "{v}"
        );
    }
}
