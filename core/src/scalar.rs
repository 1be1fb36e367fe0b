//! The scalar trait: everything the layers need from `f32` and `f64`.
//!
//! Maths goes through [`libm`] (pure Rust, bit-identical on every target), so a model computes
//! the same bits on a desktop and on a microcontroller. With the `micromath` feature, `f32`
//! uses a faster approximate `tanh` instead (see [`Scalar::tanh`]).

use core::fmt::{Debug, Display};
use core::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

/// A floating-point number the layers compute with: implemented for `f32` and `f64`.
///
/// All arithmetic is plain IEEE 754 (no fused multiply-add, no reassociation), so results do
/// not depend on the target.
pub trait Scalar:
    Copy
    + Default
    + PartialEq
    + PartialOrd
    + Debug
    + Display
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + Send
    + Sync
    + crate::module::Zeroed
    + 'static
{
    /// 0.
    const ZERO: Self;
    /// 1.
    const ONE: Self;
    /// 0.5.
    const HALF: Self;
    /// 2.
    const TWO: Self;
    /// `sqrt(2 / pi)` as the notebook's GELU uses it: for `f32`, `2/pi` rounded to `f32` and
    /// then square-rooted in `f32` (`torch.sqrt(torch.tensor(2.0 / torch.pi))`); for `f64`,
    /// the correctly rounded `f64` value.
    const SQRT_2_OVER_PI: Self;
    /// The GELU cubic coefficient 0.044715, rounded to this type.
    const GELU_COEFF: Self;

    /// Rounds an `f64` to this type (exact for `f64`).
    fn from_f64(v: f64) -> Self;
    /// Converts an `f32` to this type (always exact).
    fn from_f32(v: f32) -> Self;
    /// Converts a count to this type (exact below 2^24 for `f32`).
    fn from_usize(v: usize) -> Self;
    /// Widens to `f64` (always exact).
    fn to_f64(self) -> f64;
    /// Hyperbolic tangent.
    ///
    /// Through `libm` (`tanhf`/`tanh`: pure Rust, the same bits on every target). Over every
    /// finite `f32`, `tanhf` is within 2.19 ulp of the `f64` `tanh` (worst at
    /// `x = 0.23329562`, bits `0x3e6ee50c`; measured by `skipgrad exhaustive-gelu`).
    ///
    /// With the `micromath` feature, `f32` computes `1 - 2 / (exp(2x) + 1)` with micromath's
    /// `exp`: faster on cores without an FPU, but approximate, with an absolute error of up
    /// to about 1.1e-3 (sampled over one in 1021 finite `f32` patterns by
    /// `skipgrad exhaustive-gelu --micromath --stride 1021`). Results then differ from
    /// PyTorch's and from the default build.
    fn tanh(self) -> Self;
    /// Square root (correctly rounded).
    fn sqrt(self) -> Self;
    /// Absolute value.
    fn abs(self) -> Self;
    /// `self` raised to an integer power, by repeated multiplication.
    fn powi(self, n: i32) -> Self;
    /// True unless NaN or infinite.
    fn is_finite(self) -> bool;
    /// The larger of two values (NaN-ignoring, as `f32::max`).
    fn max(self, other: Self) -> Self;
    /// The raw IEEE bits, widened to `u64` (for bit-identity checks).
    fn to_bits_u64(self) -> u64;
}

macro_rules! impl_scalar {
    ($t:ty, $sqrt_2_over_pi:expr, $tanh:path, $sqrt:path, $powi:path, $bits:ty) => {
        impl Scalar for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const HALF: Self = 0.5;
            const TWO: Self = 2.0;
            const SQRT_2_OVER_PI: Self = $sqrt_2_over_pi;
            const GELU_COEFF: Self = 0.044715;

            #[inline(always)]
            fn from_f64(v: f64) -> Self {
                v as $t
            }
            #[inline(always)]
            fn from_f32(v: f32) -> Self {
                v as $t
            }
            #[inline(always)]
            fn from_usize(v: usize) -> Self {
                v as $t
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn tanh(self) -> Self {
                $tanh(self)
            }
            #[inline(always)]
            fn sqrt(self) -> Self {
                $sqrt(self)
            }
            #[inline(always)]
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
            #[inline(always)]
            fn powi(self, n: i32) -> Self {
                $powi(self, n)
            }
            #[inline(always)]
            fn is_finite(self) -> bool {
                <$t>::is_finite(self)
            }
            #[inline(always)]
            fn max(self, other: Self) -> Self {
                <$t>::max(self, other)
            }
            #[inline(always)]
            fn to_bits_u64(self) -> u64 {
                <$bits>::from(self.to_bits()) as u64
            }
        }
    };
}

/// `sqrtf(f32(2/pi))`, checked against `libm::sqrtf` in the tests below.
const SQRT_2_OVER_PI_F32: f32 = 0.797_884_5;

impl_scalar!(
    f32,
    SQRT_2_OVER_PI_F32,
    tanh_f32,
    libm::sqrtf,
    powi_f32,
    u32
);
impl_scalar!(
    f64,
    0.797_884_560_802_865_4,
    libm::tanh,
    libm::sqrt,
    powi_f64,
    u64
);

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

macro_rules! impl_powi {
    ($name:ident, $t:ty) => {
        #[inline]
        fn $name(x: $t, n: i32) -> $t {
            let mut base = if n < 0 { 1.0 / x } else { x };
            let mut e = n.unsigned_abs();
            let mut acc: $t = 1.0;
            while e > 0 {
                if e & 1 == 1 {
                    acc *= base;
                }
                base *= base;
                e >>= 1;
            }
            acc
        }
    };
}
impl_powi!(powi_f32, f32);
impl_powi!(powi_f64, f64);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqrt_2_over_pi_f32_matches_torch_construction() {
        // torch.sqrt(torch.tensor(2.0 / torch.pi)): f64 division, rounded to f32, sqrt in f32.
        let c = libm::sqrtf((2.0f64 / core::f64::consts::PI) as f32);
        assert_eq!(c.to_bits(), <f32 as Scalar>::SQRT_2_OVER_PI.to_bits());
    }

    #[test]
    fn sqrt_2_over_pi_f64_is_correctly_rounded() {
        let c = libm::sqrt(2.0f64 / core::f64::consts::PI);
        assert_eq!(c.to_bits(), <f64 as Scalar>::SQRT_2_OVER_PI.to_bits());
    }

    #[test]
    fn powi_table() {
        let cases: [(f64, i32, f64); 6] = [
            (2.0, 0, 1.0),
            (2.0, 1, 2.0),
            (2.0, 10, 1024.0),
            (0.9, 2, 0.81),
            (0.5, -2, 4.0),
            (-3.0, 3, -27.0),
        ];
        for (x, n, want) in cases {
            let got = Scalar::powi(x, n);
            assert!(
                (got - want).abs() <= 1e-15 * want.abs(),
                "{x}^{n} = {got}, want {want}"
            );
        }
    }

    #[test]
    fn tanh_saturates_without_nan() {
        for x in [f32::MAX, -f32::MAX, 1e30, -1e30, 20.0, -20.0] {
            let t = Scalar::tanh(x);
            assert!(t.is_finite() && t.abs() <= 1.0, "tanh({x}) = {t}");
        }
        assert_eq!(Scalar::tanh(f32::INFINITY), 1.0);
    }
}
