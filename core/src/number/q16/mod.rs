//! [`Q16`]: signed Q16.16 fixed point, the core's number type for cores without an FPU.
//!
//! A `Q16` is an `i32` counting units of `2^-16`: 16 integer bits (with the sign) and 16
//! fraction bits, so values from about -32768 to 32768 in steps of `1.53e-5`. It implements
//! [`Scalar`], so `Linear`, `Residual`, tuples and arrays, `Mse`, `Huber`, `Sgd`,
//! `SgdMomentum`, `Relu` and `LeakyRelu` work with it unchanged, and it has its own `Gelu`,
//! `Tanh` and `Sigmoid` (piecewise cubic tables, see [`activation`]) and its own
//! [`CrossEntropy`](crate::CrossEntropy) (a log-softmax in integer arithmetic; its error
//! bounds are in its docs). It is not a [`Float`](crate::Float): `Adam`, `GeluErf`, `Silu`,
//! `BceWithLogits` and the other parts that need `exp`, `ln` or `erf` of any argument do not
//! compile for it.
//!
//! # Saturation is the fixed-point NaN
//!
//! Every operation saturates instead of wrapping: a result beyond the range becomes the
//! largest value of its sign, a *rail*. The rails are `i32::MAX` ([`Q16::MAX`]) and
//! `-i32::MAX` ([`Q16::MIN`]) (and `i32::MIN`, which only [`Q16::from_bits`] can make), and
//! [`Scalar::is_finite`] is false for them: a saturated value is not usable, as NaN is not.
//! Negation maps a rail to a rail. [`Trainer::step`](crate::Trainer::step) therefore refuses
//! a step with a saturated input, target, loss, parameter gradient or update, and changes
//! nothing, as it does for NaN in floating point.
//!
//! Unlike NaN, a rail is not contagious: `Q16::MAX * 0.5` is an ordinary number. A value that
//! saturates inside a forward or backward pass is caught where it makes the loss, a parameter
//! gradient or an update saturate (a saturated input of `Gelu`, `Tanh` or `Sigmoid` gives a
//! saturated value and derivative, so it reaches them).
//!
//! # Rounding
//!
//! - `a * b` is the exact 64-bit product rounded to the nearest unit (halves up), saturated.
//! - `a / b` is rounded to the nearest unit (halves away from zero), saturated; `x / 0` is
//!   the rail of `x`'s sign (`0 / 0`: [`Q16::MAX`]).
//! - Dot products ([`Scalar::Acc`] is `i64`) add exact products and round once at the end:
//!   a `Linear` layer's output does not depend on the order or the overflow of partial sums.
//!   The accumulator saturates at `±(2^63 - 1)`, which takes at least three products of values
//!   near the rails.
//! - Conversions from `f64` and `f32` round to nearest (ties to even) and saturate (NaN and
//!   infinities give rails); to `f64` is exact.

pub mod activation;
mod cross_entropy;
mod cubic;
mod exp_ln;
mod linear;
mod tables;
mod wide;

use core::fmt;
use core::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use crate::number::{Format, Scalar};
use crate::zeroed::Zeroed;

/// True if a measured figure is `stated` to its four decimals: the figures the docs and
/// README quote are held by the tests that measure them.
#[cfg(test)]
fn is_stated(figure: f64, stated: f64) -> bool {
    (figure - stated).abs() <= 0.5e-4
}

/// Signed Q16.16 fixed point: an `i32` in units of `2^-16`, saturating (see the [module
/// docs](self)).
///
/// ```
/// use skipgrad::{Q16, Scalar};
///
/// let a = Q16::from_f64(1.5);
/// assert_eq!(a.to_bits(), 0x0001_8000);
/// assert_eq!((a * a).to_f64(), 2.25);
/// assert_eq!(Q16::from_f64(0.1).to_f64(), 6554.0 / 65536.0);
/// // Overflow saturates, and a saturated value is not finite.
/// let big = Q16::from_f64(30000.0);
/// assert!(!(big + big).is_finite());
/// assert_eq!(big + big, Q16::MAX);
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(transparent)]
pub struct Q16(i32);

impl Q16 {
    /// Fraction bits.
    pub const FRAC_BITS: u32 = 16;
    /// 0.
    pub const ZERO: Self = Self(0);
    /// 1.
    pub const ONE: Self = Self(1 << 16);
    /// One unit, `2^-16`, the smallest positive value.
    pub const UNIT: Self = Self(1);
    /// The positive rail (saturated, not finite): `i32::MAX` units.
    pub const MAX: Self = Self(i32::MAX);
    /// The negative rail (saturated, not finite): `-i32::MAX` units.
    pub const MIN: Self = Self(-i32::MAX);
    /// The largest finite value, `32767.99997`.
    pub const LARGEST: Self = Self(i32::MAX - 1);

    /// The value with these raw bits (units of `2^-16`).
    #[inline(always)]
    pub const fn from_bits(bits: i32) -> Self {
        Self(bits)
    }

    /// The raw bits (units of `2^-16`).
    #[inline(always)]
    pub const fn to_bits(self) -> i32 {
        self.0
    }

    /// The nearest value to `v` (ties to even), saturating; NaN gives [`Q16::MAX`].
    ///
    /// Integer arithmetic on the bits of `v`, so it is exact, usable in `const` items and
    /// needs no floating-point code on a core without an FPU.
    pub const fn from_f64(v: f64) -> Self {
        let bits = v.to_bits();
        let negative = bits >> 63 == 1;
        let exponent = ((bits >> 52) & 0x7ff) as i32;
        let fraction = bits & ((1 << 52) - 1);
        if exponent == 0x7ff {
            return if fraction != 0 || !negative {
                Self::MAX
            } else {
                Self::MIN
            };
        }
        // |v| = m 2^(e - 1075), so |v| 2^16 = m 2^(e - 1059).
        let (m, e) = if exponent == 0 {
            (fraction, 1)
        } else {
            (fraction | 1 << 52, exponent)
        };
        let shift = 1059 - e;
        let magnitude: u64 = if shift <= 21 {
            // m >= 2^52 and shift <= 21 give at least 2^31 units: out of range.
            u64::MAX
        } else if shift >= 64 {
            0
        } else {
            let q = m >> shift;
            let rest = m & ((1 << shift) - 1);
            let half = 1 << (shift - 1);
            if rest > half || (rest == half && q & 1 == 1) {
                q + 1
            } else {
                q
            }
        };
        if magnitude >= i32::MAX as u64 {
            if negative {
                Self::MIN
            } else {
                Self::MAX
            }
        } else if negative {
            Self(-(magnitude as i32))
        } else {
            Self(magnitude as i32)
        }
    }

    /// The nearest value to `v` (ties to even), saturating; NaN gives [`Q16::MAX`].
    pub const fn from_f32(v: f32) -> Self {
        Self::from_f64(v as f64)
    }

    /// This value as an `f64`, exactly.
    #[inline]
    pub fn to_f64(self) -> f64 {
        f64::from(self.0) / 65536.0
    }

    /// The nearest `f32` to this value.
    #[inline]
    pub fn to_f32(self) -> f32 {
        self.to_f64() as f32
    }

    /// True unless the value is a rail (saturated).
    #[inline(always)]
    pub const fn is_finite(self) -> bool {
        // The rails are i32::MAX, -i32::MAX and i32::MIN: the three values this maps to
        // u32::MAX - 2 and above.
        (self.0.wrapping_sub(i32::MIN + 2) as u32) < u32::MAX - 2
    }

    /// `v` clamped to the range: out-of-range values become rails.
    #[inline(always)]
    const fn saturate(v: i64) -> Self {
        if v >= i32::MAX as i64 {
            Self::MAX
        } else if v <= -(i32::MAX as i64) {
            Self::MIN
        } else {
            Self(v as i32)
        }
    }

    /// `v >> 16`, saturated ([`Q16::saturate`]), for `|v| < 2^63`. The common case, `v >> 16`
    /// at least `2^16` away from the rails (the top word of `v` in `[-2^15 + 1, 2^15 - 1)`),
    /// costs one comparison of that word instead of two 64-bit ones.
    #[inline(always)]
    fn round_shift(v: i64) -> Self {
        let high = (v >> 32) as i32;
        if (high.wrapping_add(0x7fff) as u32) < 0xfffe {
            Self((v >> 16) as i32)
        } else {
            Self::saturate_shifted(v)
        }
    }

    /// `saturate(v >> 16)`: [`Q16::round_shift`]'s rare case, out of line (one copy instead
    /// of two 64-bit comparisons at every product and sum).
    #[cold]
    #[inline(never)]
    fn saturate_shifted(v: i64) -> Self {
        Self::saturate(v >> 16)
    }

    /// The product rounded to the nearest unit (halves up), saturated. On the Cortex-M0,
    /// operands below 128 take a 32-bit path with three multiplications (the same bits), and
    /// the others [`Q16::mul_round_wide`], out of line.
    ///
    /// On a microcontroller (`target_os = "none"`) the whole product is one copy, out of
    /// line: a call at every product instead of its code written out at each (the minimal
    /// trainer on the Cortex-M0: 240 B less flash for 324 more instructions per step; on the
    /// Cortex-M4F 236 B less for 316 more, with the update's loop keeping its products in
    /// line, [`Q16::mul_round_in_line`], which alone saves 448 instructions for 48 B). On a
    /// host, in line.
    #[cfg_attr(target_os = "none", inline(never))]
    #[cfg_attr(not(target_os = "none"), inline(always))]
    fn mul_round(self, rhs: Self) -> Self {
        #[cfg(all(target_arch = "arm", not(target_feature = "v7")))]
        {
            match wide::if_small(self.0, rhs.0, wide::rounded_small) {
                Some(v) => Self(v),
                None => self.mul_round_wide(rhs),
            }
        }
        #[cfg(not(all(target_arch = "arm", not(target_feature = "v7"))))]
        {
            self.mul_round_wide(rhs)
        }
    }

    /// [`Q16::mul_round`] written out where it is called (except on the Cortex-M0, whose
    /// product is one out-of-line copy everywhere): for the hot loops of many products, where
    /// a call per product costs more instructions than its bytes save, through
    /// [`Scalar::mul_in_line`] (the optimizer's update, `Linear`'s weight gradients, the
    /// digits' pixel scaling).
    #[inline(always)]
    fn mul_round_in_line(self, rhs: Self) -> Self {
        #[cfg(all(target_arch = "arm", not(target_feature = "v7")))]
        {
            self.mul_round(rhs)
        }
        #[cfg(not(all(target_arch = "arm", not(target_feature = "v7"))))]
        {
            self.mul_round_wide(rhs)
        }
    }

    /// [`Q16::mul_round`] from the exact 64-bit product. On the Cortex-M0 (four 32-bit
    /// multiplications and their carries, about 90 bytes of code) one copy, out of line, for
    /// every product of operands beyond 128, which training rarely meets; elsewhere one
    /// `smull` or `mul`, in line.
    #[cfg_attr(all(target_arch = "arm", not(target_feature = "v7")), inline(never))]
    #[cfg_attr(
        not(all(target_arch = "arm", not(target_feature = "v7"))),
        inline(always)
    )]
    fn mul_round_wide(self, rhs: Self) -> Self {
        Self::round_shift(wide::product(self.0, rhs.0) + 0x8000)
    }

    /// The quotient rounded to the nearest unit (halves away from zero), saturated. A zero
    /// divisor gives the rail of the dividend's sign, and `0 / 0` gives [`Q16::MAX`], as NaN
    /// does in [`Q16::from_f64`].
    #[inline]
    fn div_round(self, rhs: Self) -> Self {
        let n = i64::from(self.0) << 16;
        let d = i64::from(rhs.0);
        if d == 0 {
            return if self.0 < 0 { Self::MIN } else { Self::MAX };
        }
        let half = d.abs() / 2;
        let q = if (n < 0) == (d < 0) {
            (n.abs() + half) / d.abs()
        } else {
            -((n.abs() + half) / d.abs())
        };
        Self::saturate(q)
    }

    /// The square root, rounded down to a unit; the negative rail below zero.
    fn sqrt_floor(self) -> Self {
        if self.0 < 0 {
            return Self::MIN;
        }
        // sqrt(v 2^-16) 2^16 = sqrt(v 2^16): the integer square root of a 48-bit number.
        let n = (self.0 as u64) << 16;
        let mut root = 0u64;
        let mut bit = 1u64 << 46;
        let mut rest = n;
        while bit > rest {
            bit >>= 2;
        }
        while bit != 0 {
            if rest >= root + bit {
                rest -= root + bit;
                root = (root >> 1) + bit;
            } else {
                root >>= 1;
            }
            bit >>= 2;
        }
        Self(root as i32)
    }
}

impl fmt::Debug for Q16 {
    /// As the Rust expression that makes it: `Q16::from_bits(6554)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Q16::from_bits({})", self.0)
    }
}

impl fmt::Display for Q16 {
    /// The exact value in decimal (`0.100006103515625`); rails print as `+sat` and `-sat`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_finite() {
            fmt::Display::fmt(&self.to_f64(), f)
        } else if self.0 > 0 {
            f.write_str("+sat")
        } else {
            f.write_str("-sat")
        }
    }
}

impl Zeroed for Q16 {
    const ZERO: Self = Self(0);
}

impl Add for Q16 {
    type Output = Self;
    #[inline(always)]
    fn add(self, rhs: Self) -> Self {
        Self(self.0.saturating_add(rhs.0))
    }
}

impl Sub for Q16 {
    type Output = Self;
    #[inline(always)]
    fn sub(self, rhs: Self) -> Self {
        Self(self.0.saturating_sub(rhs.0))
    }
}

impl Mul for Q16 {
    type Output = Self;
    #[inline(always)]
    fn mul(self, rhs: Self) -> Self {
        self.mul_round(rhs)
    }
}

impl Div for Q16 {
    type Output = Self;
    #[inline]
    fn div(self, rhs: Self) -> Self {
        self.div_round(rhs)
    }
}

impl Neg for Q16 {
    type Output = Self;
    #[inline(always)]
    fn neg(self) -> Self {
        Self(self.0.saturating_neg())
    }
}

macro_rules! assign_ops {
    ($($trait:ident $method:ident $op:tt),*) => {
        $(impl $trait for Q16 {
            #[inline(always)]
            fn $method(&mut self, rhs: Self) {
                *self = *self $op rhs;
            }
        })*
    };
}

assign_ops!(AddAssign add_assign +, SubAssign sub_assign -, MulAssign mul_assign *, DivAssign div_assign /);

impl Scalar for Q16 {
    const ONE: Self = Self(1 << 16);
    const LARGEST: Self = Q16::LARGEST;
    const FORMAT: Format = Format::Q16_16;
    /// Exact products (32 fraction bits), summed with saturation.
    type Acc = i64;
    const ACC_ZERO: i64 = 0;
    /// True while every value seen was finite.
    type Probe = bool;
    const PROBE: bool = true;
    /// A rail is not contagious: `Q16::MAX * 0.5` is an ordinary number.
    const NON_FINITE_PROPAGATES: bool = false;
    /// A saturating product is large: element-wise code is written once.
    const UNROLL: bool = false;

    #[inline(always)]
    fn mul_in_line(self, rhs: Self) -> Self {
        self.mul_round_in_line(rhs)
    }

    #[inline(always)]
    fn mul_acc(acc: i64, a: Self, b: Self) -> i64 {
        #[cfg(all(target_arch = "arm", not(target_feature = "v7")))]
        if let Some(p) = wide::if_small(a.0, b.0, wide::product_small) {
            return acc.saturating_add(p);
        }
        acc.saturating_add(wide::product(a.0, b.0))
    }
    #[inline(always)]
    fn from_acc(acc: i64) -> Self {
        Self::round_shift(acc.saturating_add(0x8000))
    }
    /// 32-bit sums on the Cortex-M0, sums without saturation elsewhere, where the operands
    /// allow (`core/src/number/q16/linear.rs`).
    #[inline(always)]
    fn linear_forward<const IN: usize, const OUT: usize>(
        w: &[[Self; IN]; OUT],
        b: &[Self; OUT],
        x: &[Self; IN],
    ) -> [Self; OUT] {
        linear::forward(w, b, x)
    }
    #[inline(always)]
    fn linear_backward<const IN: usize, const OUT: usize>(
        w: &[[Self; IN]; OUT],
        x: &[Self; IN],
        dy: &[Self; OUT],
        gw: &mut [[Self; IN]; OUT],
        gb: &mut [Self; OUT],
    ) -> [Self; IN] {
        linear::backward(w, x, dy, gw, gb)
    }
    #[inline(always)]
    fn linear_backward_input<const IN: usize, const OUT: usize>(
        w: &[[Self; IN]; OUT],
        dy: &[Self; OUT],
    ) -> [Self; IN] {
        linear::backward_input(w, dy)
    }
    #[inline]
    fn from_f64(v: f64) -> Self {
        Q16::from_f64(v)
    }
    #[inline]
    fn to_f64(self) -> f64 {
        Q16::to_f64(self)
    }
    #[inline]
    fn from_usize(n: usize) -> Self {
        if n >= 1 << 15 {
            Self::MAX
        } else {
            Self((n as i32) << 16)
        }
    }
    #[inline(always)]
    fn is_finite(self) -> bool {
        Q16::is_finite(self)
    }
    #[inline(always)]
    fn abs(self) -> Self {
        Self(self.0.saturating_abs())
    }
    /// Rounded down to a unit; the negative rail below zero.
    #[inline]
    fn sqrt(self) -> Self {
        self.sqrt_floor()
    }
    #[inline(always)]
    fn to_bits(self) -> u64 {
        u64::from(self.0 as u32)
    }
    #[inline(always)]
    fn from_bits(bits: u64) -> Self {
        Self(bits as u32 as i32)
    }
    /// The exact product plus `random`'s low 16 bits, shifted down: rounded up with
    /// probability equal to the discarded fraction.
    #[inline(always)]
    fn mul_random(self, rhs: Self, random: u32) -> Self {
        Self::saturate((wide::product(self.0, rhs.0) + i64::from(random & 0xffff)) >> 16)
    }
    #[inline(always)]
    fn probe(probe: bool, x: Self) -> bool {
        probe & x.is_finite()
    }
    #[inline(always)]
    fn probe_ok(probe: bool) -> bool {
        probe
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(v: f64) -> Q16 {
        Q16::from_f64(v)
    }

    #[test]
    fn conversions_table() {
        // (input, raw bits)
        let cases: [(f64, i32); 16] = [
            (0.0, 0),
            (-0.0, 0),
            (1.0, 65536),
            (-1.5, -98304),
            (0.1, 6554),
            (1.0 / 131072.0, 0),         // half a unit: ties to even (0)
            (3.0 / 131072.0, 2),         // one and a half units: to even (2)
            (1.0 / 131072.0 + 1e-12, 1), // just above half a unit
            (-3.0 / 131072.0, -2),
            (5e-324, 0),
            (32767.99997, 2147483646),
            (32767.999999, i32::MAX), // rounds to the rail
            (1e9, i32::MAX),
            (-1e9, -i32::MAX),
            (f64::INFINITY, i32::MAX),
            (f64::NEG_INFINITY, -i32::MAX),
        ];
        for (v, bits) in cases {
            assert_eq!(q(v).to_bits(), bits, "{v}");
        }
        assert_eq!(q(f64::NAN), Q16::MAX);
        assert_eq!(Q16::from_f32(0.1).to_bits(), 6554);
        assert_eq!(Q16::from_f32(-1.25).to_f32(), -1.25);
        const TENTH: Q16 = Q16::from_f64(0.1);
        assert_eq!(TENTH.to_bits(), 6554);
        for bits in [0, 1, -1, 6554, i32::MAX - 1, -i32::MAX + 1] {
            let v = Q16(bits);
            assert_eq!(q(v.to_f64()), v, "round trip {bits}");
        }
    }

    #[test]
    fn rails_are_not_finite_and_negation_keeps_them() {
        for (bits, finite) in [
            (0, true),
            (i32::MAX - 1, true),
            (-i32::MAX + 1, true),
            (i32::MAX, false),
            (-i32::MAX, false),
            (i32::MIN, false),
        ] {
            assert_eq!(Q16(bits).is_finite(), finite, "{bits}");
            assert_eq!((-Q16(bits)).is_finite(), finite, "-{bits}");
        }
        assert_eq!(Q16::LARGEST + Q16::UNIT, Q16::MAX);
        assert_eq!(Q16::MIN - Q16::UNIT, Q16(i32::MIN));
        assert!(!Scalar::abs(Q16(i32::MIN)).is_finite());
    }

    #[test]
    fn arithmetic_table() {
        // (a, b, a * b, a / b)
        let cases: [(f64, f64, f64, f64); 6] = [
            (1.5, 2.0, 3.0, 0.75),
            (-1.5, 2.0, -3.0, -0.75),
            (0.5, -0.25, -0.125, -2.0),
            (300.0, 300.0, f64::INFINITY, 1.0),
            (-300.0, 300.0, f64::NEG_INFINITY, -1.0),
            (1.0, 3.0, 3.0, 21845.0 / 65536.0),
        ];
        for (a, b, p, d) in cases {
            assert_eq!(q(a) * q(b), q(p), "{a} * {b}");
            assert_eq!(q(a).mul_in_line(q(b)), q(p), "{a} * {b} in line");
            assert_eq!(q(a) / q(b), q(d), "{a} / {b}");
        }
        for (a, b) in [(Q16(3), q(0.5)), (Q16(-1), q(0.5)), (Q16::MIN, Q16::ONE)] {
            assert_eq!(a.mul_in_line(b), a * b, "{a:?} * {b:?}");
        }
        // Products round to nearest, halves up: 1.5 units * 0.5 = 0.75 units -> 1.
        assert_eq!(Q16(3) * q(0.5), Q16(2));
        assert_eq!(Q16(1) * q(0.5), Q16(1));
        assert_eq!(Q16(-1) * q(0.5), Q16(0));
        assert_eq!(q(2.0) / q(3.0), Q16(43691));
        assert_eq!(q(-2.0) / q(3.0), Q16(-43691));
        assert_eq!(q(1.0) / Q16::ZERO, Q16::MAX);
        assert_eq!(q(-1.0) / Q16::ZERO, Q16::MIN);
        assert_eq!(Q16::ZERO / Q16::ZERO, Q16::MAX);
        assert_eq!(Q16::MAX + Q16::ONE, Q16::MAX);
        assert_eq!(q(-20000.0) - q(20000.0), Q16(i32::MIN));
    }

    #[test]
    fn dot_products_round_once() {
        // Three products of 0.4 units each: 1.2 units summed exactly, not 0 + 0 + 0.
        let (a, b) = (Q16(4), q(0.1));
        let mut acc = Q16::ACC_ZERO;
        for _ in 0..3 {
            acc = Q16::mul_acc(acc, a, b);
        }
        assert_eq!(Q16::from_acc(acc), Q16(1));
        assert_eq!(a * b + a * b + a * b, Q16(0));
        // Partial sums beyond the range come back: 30000 * 2 - 30000 * 2 + 1.
        let (big, two) = (q(30000.0), q(2.0));
        let acc = Q16::mul_acc(Q16::mul_acc(0, big, two), -big, two);
        assert_eq!(
            Q16::from_acc(Q16::mul_acc(acc, Q16::ONE, Q16::ONE)),
            Q16::ONE
        );
        assert_eq!(Q16::from_acc(Q16::mul_acc(0, big, two)), Q16::MAX);
        assert_eq!(Q16::from_acc(i64::MIN), Q16::MIN);
    }

    /// Stochastic rounding: 0.25 units times 1, over every 16-bit random value, rounds up
    /// exactly a quarter of the time; exact products never move.
    #[test]
    fn random_rounding_is_unbiased() {
        let (a, b) = (Q16(1), q(0.25));
        let ups = (0..1u32 << 16)
            .filter(|r| a.mul_random(b, *r) == Q16(1))
            .count();
        assert_eq!(ups, 1 << 14);
        let down = (0..1u32 << 16)
            .filter(|r| (-a).mul_random(b, *r) == Q16(0))
            .count();
        assert_eq!(down, 3 << 14);
        for r in [0, 1, 0xffff, u32::MAX] {
            assert_eq!(q(1.5).mul_random(q(2.0), r), q(3.0));
        }
        assert_eq!(q(300.0).mul_random(q(300.0), 7), Q16::MAX);
        assert_eq!(1.5f32.mul_random(0.1, 12345), 1.5f32 * 0.1);
    }

    #[test]
    fn sqrt_table() {
        for (v, want) in [
            (0.0, 0.0),
            (1.0, 1.0),
            (4.0, 2.0),
            (2.25, 1.5),
            (32767.0, 181.01657),
        ] {
            let got = Scalar::sqrt(q(v)).to_f64();
            assert!((got - want).abs() < 2.0 / 65536.0, "sqrt {v}: {got}");
        }
        assert_eq!(Scalar::sqrt(q(2.0)).to_bits(), 92681); // floor(sqrt(2) 2^16)
        assert_eq!(Scalar::sqrt(q(-1.0)), Q16::MIN);
        // Rounded down exactly, over every 4,099th value, the powers of two and the largest:
        // r^2 <= v 2^16 < (r + 1)^2.
        let powers = (0..31).map(|k| 1i32 << k);
        for v in (0..=i32::MAX).step_by(4099).chain(powers).chain([i32::MAX]) {
            let n = (v as u64) << 16;
            let r = Scalar::sqrt(Q16(v)).to_bits() as u64;
            assert!(
                r * r <= n && n < (r + 1) * (r + 1),
                "sqrt of {v} units: {r}"
            );
        }
    }

    #[test]
    fn probe_and_bits() {
        let fold = |xs: &[Q16]| Q16::probe_ok(xs.iter().fold(Q16::PROBE, |p, x| Q16::probe(p, *x)));
        assert!(fold(&[Q16::ZERO, Q16::LARGEST, -Q16::LARGEST]));
        for rail in [Q16::MAX, Q16::MIN, Q16(i32::MIN)] {
            assert!(!fold(&[Q16::ONE, rail, Q16::ONE]));
        }
        for v in [Q16(-1), Q16::MAX, Q16(i32::MIN), Q16(12345)] {
            assert_eq!(<Q16 as Scalar>::from_bits(Scalar::to_bits(v)), v);
        }
        assert_eq!(Scalar::to_bits(Q16(-1)), 0xffff_ffff);
        assert_eq!(<Q16 as Scalar>::from_usize(3), q(3.0));
        assert_eq!(<Q16 as Scalar>::from_usize(1 << 15), Q16::MAX);
    }

    #[test]
    fn formatting() {
        use core::fmt::Write as _;
        let show = |args: core::fmt::Arguments<'_>| {
            let mut s = heapless::String::<64>::new();
            s.write_fmt(args).map(|()| s)
        };
        assert_eq!(
            show(format_args!("{:?}", q(0.1))).as_deref(),
            Ok("Q16::from_bits(6554)")
        );
        assert_eq!(
            show(format_args!("{}", q(0.1))).as_deref(),
            Ok("0.100006103515625")
        );
        assert_eq!(
            show(format_args!("{} {}", Q16::MAX, Q16::MIN)).as_deref(),
            Ok("+sat -sat")
        );
    }
}
