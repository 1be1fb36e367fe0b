//! The arithmetic every layer, loss and optimizer needs: [`Scalar`].
//!
//! `Scalar` is deliberately small (the four operations, comparisons, a wider accumulator for
//! dot products, conversions and a finiteness test), so that a fixed-point number can
//! implement it. Transcendental functions (`tanh`, `exp`, `erf`, ...) are in
//! [`Float`](crate::Float), which only the floating-point types implement; a layer that needs
//! them (GELU, sigmoid, cross-entropy, Adam) requires `Float` and does not compile for a
//! fixed-point model.

use core::fmt::{Debug, Display};
use core::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use crate::zeroed::Zeroed;

/// A number type the core computes with: `f32`, `f64` and [`Q16`](crate::Q16) (fixed point).
///
/// For the floating-point types, all arithmetic is plain IEEE 754 (no fused multiply-add, no
/// reassociation) and maths goes through `libm`, so results are the same bits on every target.
pub trait Scalar:
    Copy
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
    + Zeroed
    + 'static
{
    /// 1.
    const ONE: Self;
    /// The largest finite value (`f32::MAX`, `f64::MAX`, [`Q16::LARGEST`](crate::Q16::LARGEST));
    /// its negation is the most negative one. A conversion that clamps instead of saturating
    /// ([`params::convert`](crate::params::convert)) gives it.
    const LARGEST: Self;
    /// The number format, as saved in a parameter image.
    const FORMAT: Format;
    /// The accumulator of dot products: `Self` for floats (each product and sum rounded in
    /// `Self`, in index order), a wider integer for fixed point (rounded once).
    type Acc: Copy;
    /// The accumulator's zero.
    const ACC_ZERO: Self::Acc;

    /// `acc + a * b` in the accumulator.
    fn mul_acc(acc: Self::Acc, a: Self, b: Self) -> Self::Acc;
    /// The accumulated value, rounded to `Self`.
    fn from_acc(acc: Self::Acc) -> Self;
    /// The nearest value to `v` (saturating where the type has a limited range).
    fn from_f64(v: f64) -> Self;
    /// This value as an `f64` (exact for `f32`, `f64` and fixed point).
    fn to_f64(self) -> f64;
    /// The nearest value to the count `n`.
    fn from_usize(n: usize) -> Self;
    /// True for a usable value: not NaN or infinite (floats), not saturated (fixed point).
    fn is_finite(self) -> bool;
    /// The absolute value.
    fn abs(self) -> Self;
    /// The square root, correctly rounded (NaN or an error value below zero).
    fn sqrt(self) -> Self;
    /// The raw bits, widened to `u64` (`f32::to_bits`, `f64::to_bits`).
    fn to_bits(self) -> u64;
    /// The value with these raw bits (the low [`Format::bytes`] bytes are used).
    fn from_bits(bits: u64) -> Self;

    /// A running test that every value seen is finite: start from [`Scalar::PROBE`], fold
    /// each value in with [`Scalar::probe`], and ask [`Scalar::probe_ok`] at the end. For
    /// floats it is the sum of `x * 0` (zero for a finite `x`, NaN for an infinite or NaN
    /// one): no branch, and one instruction per value where the hardware has an unfused
    /// multiply-add (the Cortex-M4F's `vmla`). Only whether the probe is zero matters, so
    /// its sums may run in any order (several partial probes, vector lanes).
    type Probe: Copy;
    /// The probe before any value.
    const PROBE: Self::Probe;
    /// The probe after one more value.
    fn probe(probe: Self::Probe, x: Self) -> Self::Probe;
    /// True if every value folded into the probe was finite.
    fn probe_ok(probe: Self::Probe) -> bool;

    /// True when a value that is not finite makes every `+`, `-` and `*` it is an operand of
    /// not finite (floats: NaN and infinities propagate). False for fixed point, where a rail
    /// times a small number is an ordinary number: code that checks only results must then
    /// check the operands too. The checks that depend on it are `if !T::NON_FINITE_PROPAGATES`
    /// branches, which compile to nothing for floats.
    const NON_FINITE_PROPAGATES: bool;

    /// The probe after one parameter update `new = old - lr * grad`: `new` folded in, and
    /// `grad` too unless [`Scalar::NON_FINITE_PROPAGATES`] (for floats a NaN or infinite
    /// `grad` always makes `new` NaN or infinite, so only `new` is folded in: no extra
    /// instruction).
    #[inline(always)]
    fn probe_update(probe: Self::Probe, new: Self, grad: Self) -> Self::Probe {
        let probe = Self::probe(probe, new);
        if Self::NON_FINITE_PROPAGATES {
            probe
        } else {
            Self::probe(probe, grad)
        }
    }

    /// Whether element-wise code over short tensors is written out per tensor shape: true for
    /// floats, whose operations are an instruction or two (an optimizer's update is inlined
    /// into each tensor's walk, where the length is a constant, and unrolled; an activation's
    /// backward runs three values per loop turn); false for fixed point, whose saturating
    /// multiply is dozens of bytes of code, written once (one out-of-line update loop for
    /// every tensor of every shape, one plain loop per activation) to keep a
    /// microcontroller's flash small. The same values either way.
    const UNROLL: bool = true;

    /// `self * rhs`, written out where it is called where the number type can: for the hot
    /// loops of many products (the SGD update's, through
    /// [`Nearest`](crate::optimizer::Nearest), `Linear`'s weight gradients), where a number
    /// type whose product is otherwise one out-of-line copy ([`Q16`](crate::Q16) on a
    /// microcontroller; on the Cortex-M0 it stays that call) would pay a call per product.
    /// The same value as `self * rhs`.
    #[inline(always)]
    fn mul_in_line(self, rhs: Self) -> Self {
        self * rhs
    }

    /// `self * rhs` rounded at random, for stochastic rounding
    /// ([`Stochastic`](crate::optimizer::Stochastic)): in fixed point the exact product is
    /// rounded up with a probability equal to the fraction of a unit it is rounded off by,
    /// drawn from the low 16 bits of `random`, so the expected result is the exact product.
    /// Floating point rounds to nearest (`self * rhs`) and ignores `random`.
    #[inline(always)]
    fn mul_random(self, rhs: Self, random: u32) -> Self {
        let _ = random;
        self * rhs
    }

    /// The one-sample forward pass of a narrow `Linear` (fewer than 8 inputs or 4 outputs),
    /// `W x + b`: each output `from_acc` of [`Scalar::mul_acc`] summed from
    /// [`Scalar::ACC_ZERO`] in index order, plus the bias. A type with a faster way to the
    /// same bits overrides it ([`Q16`](crate::Q16): 32-bit sums on the Cortex-M0).
    #[inline(always)]
    fn linear_forward<const IN: usize, const OUT: usize>(
        w: &[[Self; IN]; OUT],
        b: &[Self; OUT],
        x: &[Self; IN],
    ) -> [Self; OUT] {
        crate::layer::linear::sample::narrow_forward(w, b, x)
    }

    /// The one-sample backward pass of a narrow `Linear`: adds `dy x^T` into `gw` and `dy`
    /// into `gb`, and returns `W^T dy`, each input gradient summed over the outputs in index
    /// order as in [`Scalar::linear_forward`]. Overridden only for the same bits.
    #[inline(always)]
    fn linear_backward<const IN: usize, const OUT: usize>(
        w: &[[Self; IN]; OUT],
        x: &[Self; IN],
        dy: &[Self; OUT],
        gw: &mut [[Self; IN]; OUT],
        gb: &mut [Self; OUT],
    ) -> [Self; IN] {
        crate::layer::linear::sample::narrow_backward(w, x, dy, gw, gb)
    }

    /// The input gradient alone of a narrow `Linear`, `W^T dy`, as in
    /// [`Scalar::linear_backward`].
    #[inline(always)]
    fn linear_backward_input<const IN: usize, const OUT: usize>(
        w: &[[Self; IN]; OUT],
        dy: &[Self; OUT],
    ) -> [Self; IN] {
        crate::layer::linear::sample::narrow_backward_input(w, dy)
    }

    /// The larger of two values (the first if they compare equal or are unordered).
    #[inline(always)]
    fn max(self, other: Self) -> Self {
        if other > self {
            other
        } else {
            self
        }
    }

    /// The smaller of two values (the first if they compare equal or are unordered).
    #[inline(always)]
    fn min(self, other: Self) -> Self {
        if other < self {
            other
        } else {
            self
        }
    }
}

/// A number format, as recorded in a parameter image.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Format {
    /// IEEE 754 binary32.
    F32,
    /// IEEE 754 binary64.
    F64,
    /// Signed fixed point with 16 integer and 16 fraction bits.
    Q16_16,
}

impl Format {
    /// The format's name: `f32`, `f64`, `q16.16`.
    pub const fn name(self) -> &'static str {
        match self {
            Format::F32 => "f32",
            Format::F64 => "f64",
            Format::Q16_16 => "q16.16",
        }
    }

    /// The format's code in a parameter image.
    pub const fn code(self) -> u8 {
        match self {
            Format::F32 => 1,
            Format::F64 => 2,
            Format::Q16_16 => 3,
        }
    }

    /// The format with this image code.
    pub const fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(Format::F32),
            2 => Some(Format::F64),
            3 => Some(Format::Q16_16),
            _ => None,
        }
    }

    /// Bytes per value.
    pub const fn bytes(self) -> usize {
        match self {
            Format::F32 | Format::Q16_16 => 4,
            Format::F64 => 8,
        }
    }
}

impl Display for Format {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

macro_rules! impl_float_scalar {
    ($t:ty, $format:expr, $sqrt:path, $bits:ty) => {
        impl Scalar for $t {
            const ONE: Self = 1.0;
            const LARGEST: Self = <$t>::MAX;
            const FORMAT: Format = $format;
            type Acc = $t;
            const ACC_ZERO: Self = 0.0;
            type Probe = $t;
            const PROBE: Self = 0.0;
            const NON_FINITE_PROPAGATES: bool = true;

            #[inline(always)]
            fn probe(probe: Self, x: Self) -> Self {
                probe + x * 0.0
            }
            #[inline(always)]
            fn probe_ok(probe: Self) -> bool {
                probe == 0.0
            }

            #[inline(always)]
            fn mul_acc(acc: Self, a: Self, b: Self) -> Self {
                acc + a * b
            }
            #[inline(always)]
            fn from_acc(acc: Self) -> Self {
                acc
            }
            #[inline(always)]
            fn from_f64(v: f64) -> Self {
                v as $t
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn from_usize(n: usize) -> Self {
                n as $t
            }
            #[inline(always)]
            fn is_finite(self) -> bool {
                <$t>::is_finite(self)
            }
            #[inline(always)]
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
            #[inline(always)]
            fn sqrt(self) -> Self {
                $sqrt(self)
            }
            #[inline(always)]
            fn to_bits(self) -> u64 {
                u64::from(<$t>::to_bits(self))
            }
            #[inline(always)]
            fn from_bits(bits: u64) -> Self {
                // Truncation keeps the low bytes, which hold the value.
                <$t>::from_bits(bits as $bits)
            }
        }
    };
}

impl_float_scalar!(f32, Format::F32, libm::sqrtf, u32);
impl_float_scalar!(f64, Format::F64, libm::sqrt, u64);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_round_trip_through_their_codes() {
        for f in [Format::F32, Format::F64, Format::Q16_16] {
            assert_eq!(Format::from_code(f.code()), Some(f));
        }
        assert_eq!(Format::from_code(0), None);
        assert_eq!(<f32 as Scalar>::FORMAT.bytes(), 4);
        assert_eq!(<f64 as Scalar>::FORMAT.bytes(), 8);
    }

    #[test]
    fn bits_round_trip() {
        for v in [0.0f32, -0.0, 1.5, f32::MIN_POSITIVE, f32::MAX] {
            assert_eq!(
                <f32 as Scalar>::from_bits(Scalar::to_bits(v)).to_bits(),
                v.to_bits()
            );
        }
        let v = -1.25e-300f64;
        assert_eq!(<f64 as Scalar>::from_bits(Scalar::to_bits(v)), v);
    }

    #[test]
    fn probe_finds_every_non_finite_value() {
        let fold = |xs: &[f32]| f32::probe_ok(xs.iter().fold(f32::PROBE, |p, x| f32::probe(p, *x)));
        assert!(fold(&[]));
        assert!(fold(&[
            0.0,
            -0.0,
            f32::MAX,
            -f32::MAX,
            f32::MIN_POSITIVE,
            1e-45
        ]));
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            assert!(!fold(&[1.0, bad, 2.0]), "{bad}");
            assert!(!fold(&[bad]), "{bad}");
        }
    }

    #[test]
    fn max_and_min_keep_the_first_on_ties() {
        assert_eq!(Scalar::max(1.0f32, 2.0), 2.0);
        assert_eq!(Scalar::min(1.0f32, 2.0), 1.0);
        assert_eq!(Scalar::max(0.0f64, -0.0).to_bits(), 0.0f64.to_bits());
    }
}
