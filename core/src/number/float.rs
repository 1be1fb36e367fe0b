//! The floating-point functions some layers need on top of [`Scalar`]: [`Float`].

use crate::number::Scalar;

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
    /// `f64` uses `libm`'s `tanh`. `f32` uses the core's own: within 1.52 ulp of the exact
    /// value over every finite `f32` (worst at `x = 0.5515215`; measured by
    /// `skipgrad exhaustive-gelu`), smaller and
    /// faster than `libm`'s `tanhf` (within 2.19 ulp). With the `micromath` feature, `f32` computes
    /// `1 - 2 / (exp(2x) + 1)` with micromath's `exp` instead: faster on cores without an FPU,
    /// but approximate, with an absolute error of up to about 1.1e-3 (sampled over one in 1021
    /// finite `f32` patterns by `skipgrad exhaustive-gelu --micromath --stride 1021`).
    fn tanh(self) -> Self;
    /// [`tanh`](Float::tanh) of every lane: the same bits as one by one.
    ///
    /// `f32`'s (without `micromath`) has no branches, so that the compiler vectorises it over
    /// the lanes: every lane computes both of the formulas of [`tanh`](Float::tanh) and keeps
    /// the one `tanh` would take (tested bit for bit over every 257th `f32` pattern and all
    /// around the formulas' edges). The others call `tanh` lane by lane.
    #[inline(always)]
    fn tanh_lanes<const L: usize>(x: [Self; L]) -> [Self; L] {
        let mut t = x;
        for t in &mut t {
            *t = t.tanh();
        }
        t
    }
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
    (
        $t:ty, $pick:ident, $tanh:path, $exp:path, $ln:path, $ln_1p:path, $erf:path
        $(, lanes: $tanh_lanes:path)?
    ) => {
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
            $(
                #[inline(always)]
                fn tanh_lanes<const L: usize>(x: [Self; L]) -> [Self; L] {
                    $tanh_lanes(x)
                }
            )?
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
    libm::erff,
    lanes: tanh_f32_lanes
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

/// The core's own `f32` hyperbolic tangent: two short polynomials, no table (unused with
/// `micromath`, whose tanh replaces it).
#[cfg(not(feature = "micromath"))]
mod tanh {
    /// `tanh(x)` in `f32`, within 1.52 ulp of the exact value over every finite `f32` (1.513
    /// at `x = 0.5515215`, bits `0x3f0d3083`, where the second formula starts; measured by
    /// `skipgrad exhaustive-gelu`), in `[-1, 1]` for every input and odd
    /// (`tanh(-x) == -tanh(x)`, bit for bit).
    ///
    /// - `|x| < 0.55`: `x + x^3 P(x^2)`, `P` of degree 4, fitted to `(tanh(x)/x - 1) / x^2`.
    /// - `0.55 <= |x| < 9.02`: `1 - 2 / (e^(2|x|) + 1)`, with `e^y = 2^k e^r`, `k` the nearest
    ///   integer to `y / ln 2`, `r = y - k ln 2` in two parts (Cody and Waite), and `e^r` by a
    ///   polynomial of degree 6 fitted on `|r| <= ln(2)/2`.
    /// - `|x| >= 9.02`: `±1`, which is `tanh(x)` rounded to `f32` there.
    ///
    /// Smaller and faster than `libm`'s `tanhf` (no `expm1f`), and more accurate (`tanhf` is
    /// within 2.19 ulp).
    // Out of line on bare metal (one copy in flash for every activation that calls it),
    // inlined where code size is cheap.
    #[cfg_attr(target_os = "none", inline(never))]
    #[cfg_attr(not(target_os = "none"), inline)]
    pub(super) fn tanh_f32(x: f32) -> f32 {
        let a = x.abs();
        let t = if a < 0.55 {
            let z = a * a;
            let p = (((C4 * z + C3) * z + C2) * z + C1) * z + C0;
            a + (a * z) * p
        } else if a < 9.02 {
            let y = a + a;
            // y > 0: truncating y / ln 2 + 0.5 rounds to the nearest integer (k <= 26).
            let k = (y * core::f32::consts::LOG2_E + 0.5) as i32;
            let kf = k as f32;
            let r = (y - kf * LN2_HI) - kf * LN2_LO;
            let e = (((((E6 * r + E5) * r + E4) * r + E3) * r + E2) * r + E1) * r + E0;
            // 2^k, exact: k is in 1..=26, so k + 127 is a normal exponent.
            let scale = f32::from_bits(((k + 127) as u32) << 23);
            1.0 - 2.0 / (e * scale + 1.0)
        } else if a.is_nan() {
            return x;
        } else {
            1.0
        };
        t.copysign(x)
    }

    /// [`tanh_f32`] of every lane without branches, the same bits: each lane computes both
    /// formulas and keeps the one `tanh_f32` takes, so the compiler vectorises the loop.
    #[inline(always)]
    pub(super) fn tanh_f32_lanes<const L: usize>(x: [f32; L]) -> [f32; L] {
        let mut t = x;
        for t in &mut t {
            *t = branch_free(*t);
        }
        t
    }

    /// [`tanh_f32`] with its branches as selects.
    #[inline(always)]
    fn branch_free(x: f32) -> f32 {
        /// 2^23: adding it rounds a smaller non-negative value to an integer.
        const TWO_23: f32 = 8_388_608.0;
        let a = x.abs();
        let z = a * a;
        let p = (((C4 * z + C3) * z + C2) * z + C1) * z + C0;
        let small = a + (a * z) * p;
        let y = a + a;
        // `k`, as `tanh_f32` truncates it, without a conversion to an integer: `v + 2^23`
        // rounds `v` to the nearest integer, one less where that rounded up. Capped at 64
        // (and NaN to 64), so that 2^k stays finite in the lanes that do not keep `mid`.
        let v = y * core::f32::consts::LOG2_E + 0.5;
        let v = if v < 64.0 { v } else { 64.0 };
        let nearest = (v + TWO_23) - TWO_23;
        let kf = if nearest > v { nearest - 1.0 } else { nearest };
        let r = (y - kf * LN2_HI) - kf * LN2_LO;
        let e = (((((E6 * r + E5) * r + E4) * r + E3) * r + E2) * r + E1) * r + E0;
        // 2^k: `k` is the low bits of `kf + 2^23`, shifted into the exponent, plus 127 there.
        let scale = f32::from_bits(((kf + TWO_23).to_bits() << 23).wrapping_add(0x3F80_0000));
        let mid = 1.0 - 2.0 / (e * scale + 1.0);
        // NaN: `|x|`, whose sign `copysign` restores, so that NaN comes back as `x`'s bits.
        let large = if a.is_nan() { a } else { 1.0 };
        let t = if a < 0.55 {
            small
        } else if a < 9.02 {
            mid
        } else {
            large
        };
        t.copysign(x)
    }

    const LN2_HI: f32 = 0.69311523;
    const LN2_LO: f32 = 3.1946183e-05;
    const C0: f32 = -0.3333333;
    const C1: f32 = 0.13333125;
    const C2: f32 = -0.053914096;
    const C3: f32 = 0.021343194;
    const C4: f32 = -0.0066781812;
    const E0: f32 = 1.0;
    const E1: f32 = 1.0;
    const E2: f32 = 0.5;
    const E3: f32 = 0.16666456;
    const E4: f32 = 0.04166628;
    const E5: f32 = 0.008371909;
    const E6: f32 = 0.0013944595;
}

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
    tanh::tanh_f32(x)
}

#[cfg(not(feature = "micromath"))]
#[inline(always)]
fn tanh_f32_lanes<const L: usize>(x: [f32; L]) -> [f32; L] {
    tanh::tanh_f32_lanes(x)
}

#[cfg(feature = "micromath")]
#[inline(always)]
fn tanh_f32_lanes<const L: usize>(x: [f32; L]) -> [f32; L] {
    x.map(tanh_f32)
}

/// Beyond this magnitude the `micromath` tanh returns exactly `±1`: micromath 2.1's `exp`
/// returns a NaN pattern when its exponent lands on 128 (`x` in about `[10.06, 10.09]` and
/// `[44.36, 44.71]`), and the correctly rounded `f32` tanh is `±1` from about 9.01 on.
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The inputs where micromath 2.1's `exp` gave NaN inside `tanh` (`x` in about
    /// `[10.06, 10.09]` and `[44.36, 44.71]`), and the edges of the saturation: finite and in
    /// `[-1, 1]` in every build.
    #[test]
    fn tanh_is_finite_where_micromath_exp_was_not() {
        let mut x = 10.0f32;
        while x <= 45.0 {
            let t = Float::tanh(x);
            assert!(t.is_finite() && t <= 1.0, "tanh({x}) = {t}");
            x += 1.0 / 1024.0;
        }
        for x in [9.49f32, 9.5, 9.51] {
            assert!((Float::tanh(x) - 1.0f32).abs() < 1e-6, "tanh({x})");
        }
        assert!(Float::tanh(f32::NAN).is_nan());
    }

    /// `tanh_lanes` gives `tanh`'s bits in every lane: over every 257th `f32` pattern (both
    /// signs, subnormals, infinities and NaN among them) and every pattern within 4,096 of the
    /// formulas' edges, 0.55 and 9.02.
    #[test]
    fn tanh_lanes_is_tanh_bit_for_bit() {
        let edges = [0.55f32, 9.02].map(f32::to_bits).into_iter().flat_map(|e| {
            (e - 4096..e + 4096).flat_map(|b| [f32::from_bits(b), -f32::from_bits(b)])
        });
        let checked = for_lanes(every_257th().chain(edges), |x: [f32; 16]| {
            for (x, t) in x.iter().zip(f32::tanh_lanes(x)) {
                let want = Float::tanh(*x);
                assert_eq!(
                    t.to_bits(),
                    want.to_bits(),
                    "tanh({x:e}) = {want:e}, lanes {t:e}"
                );
            }
        });
        assert!(checked > 16_000_000, "{checked}");
    }

    /// Every 257th `f32` pattern (both signs, subnormals, infinities and NaNs among them),
    /// then the values a sweep must not miss: both zeros, both infinities, both signs of NaN
    /// and the largest finite values.
    pub(crate) fn every_257th() -> impl Iterator<Item = f32> {
        (0..=u32::MAX).step_by(257).map(f32::from_bits).chain([
            0.0,
            -0.0,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            -f32::NAN,
            f32::MAX,
            f32::MIN,
        ])
    }

    /// Runs `f` over `xs` in groups of `L` (the last padded with ones); the number of groups
    /// times `L`.
    pub(crate) fn for_lanes<const L: usize>(
        xs: impl Iterator<Item = f32>,
        mut f: impl FnMut([f32; L]),
    ) -> usize {
        let (mut lanes, mut n, mut groups) = ([1.0f32; L], 0, 0);
        for x in xs {
            if let Some(l) = lanes.get_mut(n) {
                *l = x;
            }
            n += 1;
            if n == L {
                f(lanes);
                (lanes, n, groups) = ([1.0; L], 0, groups + 1);
            }
        }
        if n > 0 {
            f(lanes);
            groups += 1;
        }
        groups * L
    }

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
