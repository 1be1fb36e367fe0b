//! The floating-point functions some layers need on top of [`Scalar`]: [`Float`].

use crate::scalar::Scalar;

/// A floating-point [`Scalar`] (`f32`, `f64`): the transcendental functions of activations,
/// losses and Adam.
///
/// Everything goes through `libm` (pure Rust), so the results are the same bits on every
/// target. The error bounds below were measured over every finite `f32` by
/// `skipgrad exhaustive-gelu` against the `f64` functions.
pub trait Float: Scalar {
    /// Positive infinity.
    const INFINITY: Self;

    /// A constant as written for each precision: `single` for `f32`, `double` for `f64`.
    ///
    /// Layers whose constants PyTorch rounds in a particular way (GELU's `sqrt(2/pi)` is
    /// `sqrt` of `2/pi` rounded to float32, computed in float32) give both roundings here.
    fn literal(single: f32, double: f64) -> Self;

    /// Hyperbolic tangent, in `[-1, 1]` for every input.
    ///
    /// `libm`'s `tanhf` is within 2.19 ulp of the `f64` `tanh` over every finite `f32` (worst
    /// at `x = 0.23329562`, bits `0x3e6ee50c`). With the `micromath` feature, `f32` computes
    /// `1 - 2 / (exp(2x) + 1)` with micromath's `exp` instead: faster on cores without an FPU,
    /// but approximate, with an absolute error of up to about 1.1e-3 (sampled over one in 1021
    /// finite `f32` patterns by `skipgrad exhaustive-gelu --micromath --stride 1021`).
    fn tanh(self) -> Self;
    /// `e^self`.
    fn exp(self) -> Self;
    /// The natural logarithm.
    fn ln(self) -> Self;
    /// `ln(1 + self)`, accurate near zero.
    fn ln_1p(self) -> Self;
    /// The error function.
    fn erf(self) -> Self;
}

macro_rules! impl_float {
    ($t:ty, $pick:ident, $tanh:path, $exp:path, $ln:path, $ln_1p:path, $erf:path) => {
        impl Float for $t {
            const INFINITY: Self = <$t>::INFINITY;

            #[inline(always)]
            fn literal(single: f32, double: f64) -> Self {
                $pick(single, double)
            }

            #[inline(always)]
            fn tanh(self) -> Self {
                $tanh(self)
            }
            #[inline(always)]
            fn exp(self) -> Self {
                $exp(self)
            }
            #[inline(always)]
            fn ln(self) -> Self {
                $ln(self)
            }
            #[inline(always)]
            fn ln_1p(self) -> Self {
                $ln_1p(self)
            }
            #[inline(always)]
            fn erf(self) -> Self {
                $erf(self)
            }
        }
    };
}

impl_float!(
    f32,
    pick_single,
    tanh_f32,
    libm::expf,
    libm::logf,
    libm::log1pf,
    libm::erff
);
impl_float!(
    f64,
    pick_double,
    libm::tanh,
    libm::exp,
    libm::log,
    libm::log1p,
    libm::erf
);

#[inline(always)]
fn pick_single(single: f32, _: f64) -> f32 {
    single
}

#[inline(always)]
fn pick_double(_: f32, double: f64) -> f64 {
    double
}

#[cfg(not(feature = "micromath"))]
#[inline(always)]
fn tanh_f32(x: f32) -> f32 {
    libm::tanhf(x)
}

#[cfg(feature = "micromath")]
#[inline(always)]
fn tanh_f32(x: f32) -> f32 {
    use micromath::F32Ext;
    // tanh(x) = 1 - 2 / (exp(2x) + 1): exp overflowing to +inf gives exactly 1, and exp
    // underflowing to 0 gives exactly -1, so the result stays in [-1, 1] for every input.
    if x.is_nan() {
        return x;
    }
    1.0 - 2.0 / ((2.0 * x).exp() + 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tanh_saturates_without_nan() {
        for x in [f32::MAX, -f32::MAX, 1e30, -1e30, 20.0, -20.0] {
            let t = Float::tanh(x);
            assert!(t.is_finite() && t.abs() <= 1.0, "tanh({x}) = {t}");
        }
        assert_eq!(Float::tanh(f32::INFINITY), 1.0);
    }

    #[test]
    fn functions_table_f64() {
        // (function, input, value printed by Python's math module)
        type Case = (fn(f64) -> f64, f64, f64);
        let cases: [Case; 5] = [
            (Float::exp, 1.0, core::f64::consts::E),
            (Float::ln, core::f64::consts::E, 1.0),
            (Float::ln_1p, 1e-20, 1e-20),
            (Float::erf, 0.5, 0.520_499_877_813_046_5),
            (Float::tanh, 0.5, 0.462_117_157_260_009_8),
        ];
        for (f, x, want) in cases {
            let got = f(x);
            assert!(
                (got - want).abs() <= 2e-16 * want.abs(),
                "{x}: {got} vs {want}"
            );
        }
    }
}
