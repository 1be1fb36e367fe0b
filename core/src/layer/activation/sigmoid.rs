//! The logistic sigmoid.

use super::ElementWise;
use crate::number::Float;

/// `nn.Sigmoid`: `s(x) = 1 / (1 + e^-x)`, derivative `s (1 - s)`.
///
/// With `e = e^-|x|` (never overflows), `s` is `1 / (1 + e)` for `x >= 0`, PyTorch's formula,
/// and `e / (1 + e)` below 0, which stays accurate where `e^-x` would overflow (`x < -87.3` in
/// `f32`: there PyTorch's formula gives 0 for a value that is still a positive subnormal);
/// `1 - s` is the other quotient, never a difference from 1. So both are finite for every
/// finite input, in `[0, 1]` and `[0, 1/4]`, and in `f32` (measured by `skipgrad exhaustive
/// --activation sigmoid` over every finite `f32`, against the same formulas in `f64`) the
/// value is within the ulp bound and the derivative within the ulp bound stated in README.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sigmoid;

crate::activation!(Sigmoid);

impl Sigmoid {
    /// `1 / (1 + e^-x)`.
    #[inline(always)]
    pub fn of<T: Float>(x: T) -> T {
        let e = (-x.abs()).exp();
        if x >= T::ZERO {
            T::ONE / (T::ONE + e)
        } else {
            e / (T::ONE + e)
        }
    }

    /// `(s, 1 - s)`, each a quotient (no cancellation).
    #[inline(always)]
    pub fn with_complement<T: Float>(x: T) -> (T, T) {
        let e = (-x.abs()).exp();
        let den = T::ONE + e;
        let (big, small) = (T::ONE / den, e / den);
        if x >= T::ZERO {
            (big, small)
        } else {
            (small, big)
        }
    }
}

impl<T: Float> ElementWise<T> for Sigmoid {
    #[inline(always)]
    fn value(&self, x: T) -> T {
        Self::of(x)
    }

    #[inline(always)]
    fn value_and_derivative(&self, x: T) -> (T, T) {
        let (s, c) = Self::with_complement(x);
        (s, s * c)
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
        let (v, d) = Sigmoid.value_and_derivative(-2.0f64);
        assert!((v - 0.119_202_922_022_117_57).abs() < 1e-16);
        assert!((d - 0.104_993_585_403_506_62).abs() < 1e-15);
        assert_eq!(Sigmoid.value_and_derivative(-f32::MAX), (0.0, 0.0));
        assert_eq!(Sigmoid.value_and_derivative(f32::MAX), (1.0, 0.0));
        // Below -87.3 the value is a subnormal, not 0; the derivative equals it there.
        let (v, d) = Sigmoid.value_and_derivative(-95.0f32);
        assert!(v > 0.0 && v == d && (f64::from(v) / (-95f64).exp() - 1.0).abs() < 1e-3);
        // Far right, 1 - s is e^-x, not 0.
        let (_, d) = Sigmoid.value_and_derivative(30.0f32);
        assert!((f64::from(d) / (-30f64).exp() - 1.0).abs() < 1e-6, "{d}");
    }
}
