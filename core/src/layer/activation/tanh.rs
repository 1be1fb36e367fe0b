//! The hyperbolic tangent.

use super::ElementWise;
use crate::number::Float;

/// `nn.Tanh`: `t = tanh(x)`, derivative `1 - t^2`.
///
/// In `f32` the core's own `tanh` ([`Float::tanh`], within 1.51 ulp over every finite input,
/// exactly ±1 beyond |x| = 9.02), so both are finite for every finite input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tanh;

crate::activation!(Tanh);

impl<T: Float> ElementWise<T> for Tanh {
    #[inline(always)]
    fn value(&self, x: T) -> T {
        x.tanh()
    }

    #[inline(always)]
    fn value_and_derivative(&self, x: T) -> (T, T) {
        let t = x.tanh();
        (t, T::ONE - t * t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_and_extremes() {
        assert_eq!(Tanh.value_and_derivative(0.0f64), (0.0, 1.0));
        let (v, d) = Tanh.value_and_derivative(0.5f64);
        assert!((v - 0.462_117_157_260_009_8).abs() < 1e-16);
        assert!((d - 0.786_447_732_965_927_4).abs() < 1e-15);
        assert_eq!(Tanh.value_and_derivative(-f32::MAX), (-1.0, 0.0));
    }
}
