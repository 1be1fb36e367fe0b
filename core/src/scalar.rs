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
    /// `exp` for `|x| <= 9.5`, and exactly `±1` beyond (where the correctly rounded result is
    /// `±1` too); NaN stays NaN. It is faster on cores without an FPU, but approximate: over
    /// every finite `f32` its absolute error is at most 1.060e-3 (at `x = -0.34657326`, bits
    /// `0xbeb1720d`), and it is never NaN for a finite input (measured by
    /// `skipgrad exhaustive-gelu --micromath --stride 1`; CI samples it). Results then differ
    /// from PyTorch's and from the default build.
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

/// Beyond this magnitude the `micromath` `tanh` returns exactly `±1`. The correctly rounded
/// `f32` tanh is `±1` already from `13 ln 2 ~ 9.01` on (`1 - tanh(x) < 2^-25` there), so
/// saturating costs no accuracy; and it keeps `exp` away from the inputs where micromath 2.1's
/// `exp` returns NaN (its exponent lands on 128: `2x` in about `[20.12, 20.18]` and
/// `[88.7, 89.4]`).
#[cfg(feature = "micromath")]
const MICROMATH_TANH_SATURATION: f32 = 9.5;

#[cfg(feature = "micromath")]
#[inline(always)]
fn tanh_f32(x: f32) -> f32 {
    use micromath::F32Ext;
    // tanh(x) = 1 - 2 / (exp(2x) + 1) for |x| <= 9.5, exactly ±1 beyond; NaN stays NaN.
    if x.is_nan() {
        x
    } else if x > MICROMATH_TANH_SATURATION {
        1.0
    } else if x < -MICROMATH_TANH_SATURATION {
        -1.0
    } else {
        // Called through the trait: a test build links std, whose inherent `exp` would win.
        1.0 - 2.0 / (F32Ext::exp(2.0 * x) + 1.0)
    }
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

    /// The inputs where micromath 2.1's `exp` gave NaN inside `tanh` (`x` in about
    /// `[10.06, 10.09]` and `[44.36, 44.71]`), and the edges of the saturation.
    #[test]
    fn tanh_is_finite_where_micromath_exp_was_not() {
        let mut x = 10.0f32;
        while x <= 45.0 {
            let t = Scalar::tanh(x);
            assert!(t.is_finite() && t <= 1.0, "tanh({x}) = {t}");
            x += 1.0 / 1024.0;
        }
        for x in [9.49f32, 9.5, 9.51] {
            assert!((Scalar::tanh(x) - 1.0f32).abs() < 1e-6, "tanh({x})");
        }
        assert!(Scalar::tanh(f32::NAN).is_nan());
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
