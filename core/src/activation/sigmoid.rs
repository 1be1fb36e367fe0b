//! The logistic sigmoid.

use super::ElementWise;
use crate::float::Float;

/// `nn.Sigmoid`: `s(x) = 1 / (1 + e^-x)`, derivative `(1 - s) * s` (PyTorch's order).
///
/// For any finite input both are finite and in `[0, 1]` (`e^-x` overflowing to infinity gives
/// exactly 0); see the crate's exhaustive command for the measured ulp bound.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sigmoid;

crate::activation!(Sigmoid);

impl Sigmoid {
    /// `1 / (1 + e^-x)`.
    #[inline(always)]
    pub fn of<T: Float>(x: T) -> T {
        T::ONE / (T::ONE + (-x).exp())
    }
}

impl<T: Float> ElementWise<T> for Sigmoid {
    #[inline(always)]
    fn value(&self, x: T) -> T {
        Self::of(x)
    }

    #[inline(always)]
    fn value_and_derivative(&self, x: T) -> (T, T) {
        let s = Self::of(x);
        (s, (T::ONE - s) * s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_and_extremes() {
        assert_eq!(Sigmoid.value_and_derivative(0.0f64), (0.5, 0.25));
        let (v, d) = Sigmoid.value_and_derivative(2.0f64);
        assert!((v - 0.880_797_077_977_882_3).abs() < 1e-16);
        assert!((d - 0.104_993_585_403_506_62).abs() < 1e-15);
        assert_eq!(Sigmoid.value_and_derivative(-f32::MAX), (0.0, 0.0));
        assert_eq!(Sigmoid.value_and_derivative(f32::MAX), (1.0, 0.0));
    }
}
