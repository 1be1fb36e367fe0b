//! The exact GELU.

use super::ElementWise;
use crate::number::Float;

/// `nn.GELU()` (`approximate='none'`): `0.5 * x * (1 + erf(x / sqrt(2)))`, written as
/// PyTorch's CPU kernel writes it: `x * 0.5 * (1 + erf(x * M_SQRT1_2))`, derivative
/// `cdf + x * pdf` with `cdf = 0.5 * (1 + erf(x * M_SQRT1_2))` and
/// `pdf = exp(-0.5 * x * x) * (M_2_SQRTPI * M_SQRT1_2 * 0.5)`.
///
/// Finite for every finite input: `erf` is within `[-1, 1]`, and where `x * x` overflows the
/// Gaussian term is `exp(-inf) = 0`, so `x * pdf` is 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GeluErf;

crate::activation!(GeluErf);

impl GeluErf {
    /// `0.5 * (1 + erf(x / sqrt(2)))`.
    #[inline(always)]
    fn cdf<T: Float>(x: T) -> T {
        let sqrt1_2 = T::literal(
            core::f32::consts::FRAC_1_SQRT_2,
            core::f64::consts::FRAC_1_SQRT_2,
        );
        T::literal(0.5, 0.5) * (T::ONE + (x * sqrt1_2).erf())
    }
}

impl<T: Float> ElementWise<T> for GeluErf {
    #[inline(always)]
    fn value(&self, x: T) -> T {
        let sqrt1_2 = T::literal(
            core::f32::consts::FRAC_1_SQRT_2,
            core::f64::consts::FRAC_1_SQRT_2,
        );
        x * T::literal(0.5, 0.5) * (T::ONE + (x * sqrt1_2).erf())
    }

    #[inline(always)]
    fn value_and_derivative(&self, x: T) -> (T, T) {
        // M_2_SQRTPI * M_SQRT1_2 * 0.5 = 1 / sqrt(2 pi), as PyTorch folds it in each type.
        let beta = T::literal(
            core::f32::consts::FRAC_2_SQRT_PI * core::f32::consts::FRAC_1_SQRT_2 * 0.5,
            core::f64::consts::FRAC_2_SQRT_PI * core::f64::consts::FRAC_1_SQRT_2 * 0.5,
        );
        let half = T::literal(0.5, 0.5);
        let pdf = (-half * x * x).exp() * beta;
        (self.value(x), Self::cdf(x) + x * pdf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_and_extremes() {
        // Values of 0.5 x (1 + erf(x / sqrt 2)) and its derivative, Python float64.
        let cases: [(f64, f64, f64); 3] = [
            (0.0, 0.0, 0.5),
            (1.0, 0.841_344_746_068_542_9, 1.083_315_470_587_686_4),
            (-2.0, -0.045_500_263_896_358_42, -0.085_231_801_078_196_92),
        ];
        for (x, v, d) in cases {
            let (gv, gd) = GeluErf.value_and_derivative(x);
            assert!(
                (gv - v).abs() < 1e-15 && (gd - d).abs() < 1e-15,
                "x = {x}: {gv}, {gd}"
            );
        }
        // The same in f32 (its own folded constant).
        for (x, v, d) in cases {
            let (gv, gd) = GeluErf.value_and_derivative(x as f32);
            assert!(
                (f64::from(gv) - v).abs() < 1e-6 && (f64::from(gd) - d).abs() < 1e-6,
                "x = {x}: {gv}, {gd}"
            );
        }
        for x in [f32::MAX, -f32::MAX, 1e20, -1e20] {
            let (v, d) = GeluErf.value_and_derivative(x);
            assert!(v.is_finite() && d.is_finite(), "x = {x}: {v}, {d}");
        }
    }
}
