//! GELU over lanes, for the kernels' epilogues.
//!
//! [`value_and_derivative`] is skipgrad's own code. [`lanes`] is the same arithmetic over
//! `pulp`'s vectors, the branches of the core's `f32` tanh turned into selects: every lane
//! computes all three of tanh's formulas and keeps the one the scalar code would have
//! taken, which gives the same bits (tested against skipgrad's over a sweep of `f32`
//! patterns below, in every instruction set this machine has).
//! [`value_and_derivative_branchless`] is the same in scalar Rust.

use pulp::Simd;
use skipgrad::layer::activation::ElementWise;
use skipgrad::Gelu;

/// skipgrad's GELU value and derivative.
#[inline(always)]
pub fn value_and_derivative(x: f32) -> (f32, f32) {
    Gelu.value_and_derivative(x)
}

const SQRT_2_OVER_PI: f32 = 0.797_884_5;
const COEFF: f32 = 0.044_715;

const LN2_HI: f32 = 0.69311523;
const LN2_LO: f32 = 3.1946183e-05;
const C0: f32 = -0.3333333;
const C1: f32 = 0.13333125;
const C2: f32 = -0.053914096;
const C3: f32 = 0.021343194;
const C4: f32 = -0.0066781812;
const E1: f32 = 1.0;
const E2: f32 = 0.5;
const E3: f32 = 0.16666456;
const E4: f32 = 0.04166628;
const E5: f32 = 0.008371909;
const E6: f32 = 0.0013944595;

/// The core's `f32` tanh without branches.
#[inline(always)]
pub fn tanh_branchless(x: f32) -> f32 {
    let a = x.abs();
    let z = a * a;
    let p = (((C4 * z + C3) * z + C2) * z + C1) * z + C0;
    let small = a + (a * z) * p;
    let y = a + a;
    // The scalar code only takes this path for a < 9.02 (k <= 26); clamping keeps the other
    // lanes' exponent in range and does not change the lanes that use it.
    let k = ((y * core::f32::consts::LOG2_E + 0.5) as i32).clamp(0, 64);
    let kf = k as f32;
    let r = (y - kf * LN2_HI) - kf * LN2_LO;
    let e = (((((E6 * r + E5) * r + E4) * r + E3) * r + E2) * r + E1) * r + 1.0;
    let scale = f32::from_bits(((k + 127) as u32) << 23);
    let mid = 1.0 - 2.0 / (e * scale + 1.0);
    // NaN: |x|, whose sign `copysign` restores, so NaN comes back as the same bits.
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

/// skipgrad's GELU value and derivative, written for vectorisation (the same bits).
#[inline(always)]
pub fn value_and_derivative_branchless(x: f32) -> (f32, f32) {
    let t = tanh_branchless(SQRT_2_OVER_PI * (x + COEFF * (x * x * x)));
    let value = 0.5 * x * (1.0 + t);
    let sech2 = 1.0 - t * t;
    let three_a = 3.0 * COEFF;
    let slope = 0.5 * x * sech2 * SQRT_2_OVER_PI * (1.0 + three_a * (x * x));
    let slope = if sech2 == 0.0 { 0.0 } else { slope };
    (value, 0.5 * (1.0 + t) + slope)
}

/// The core's `f32` tanh over lanes.
#[inline(always)]
pub fn tanh_lanes<S: Simd>(s: S, x: S::f32s) -> S::f32s {
    let c = |v: f32| s.splat_f32s(v);
    let (add, mul, sub) = (
        |a, b| s.add_f32s(a, b),
        |a, b| s.mul_f32s(a, b),
        |a, b| s.sub_f32s(a, b),
    );
    let a = s.abs_f32s(x);
    let z = mul(a, a);
    let p = add(
        mul(
            add(mul(add(mul(add(mul(c(C4), z), c(C3)), z), c(C2)), z), c(C1)),
            z,
        ),
        c(C0),
    );
    let small = add(a, mul(mul(a, z), p));
    let y = add(a, a);
    // k = trunc(y log2(e) + 0.5), exactly, for the lanes that use it (0.5 < v < 27): the
    // nearest integer by adding 2^23, minus one where that rounded up. Capped so that the
    // other lanes' exponent stays in range.
    let v = s.min_f32s(add(mul(y, c(core::f32::consts::LOG2_E)), c(0.5)), c(64.0));
    let big = add(v, c(8_388_608.0));
    let nearest = sub(big, c(8_388_608.0));
    let up = s.greater_than_f32s(nearest, v);
    let kf = s.select_f32s(up, sub(nearest, c(1.0)), nearest);
    let r = sub(sub(y, mul(kf, c(LN2_HI))), mul(kf, c(LN2_LO)));
    let e = add(mul(r, c(E6)), c(E5));
    let e = add(mul(e, r), c(E4));
    let e = add(mul(e, r), c(E3));
    let e = add(mul(e, r), c(E2));
    let e = add(mul(e, r), c(E1));
    let e = add(mul(e, r), c(1.0));
    // 2^k: k sits in the low bits of kf + 2^23; shifted into the exponent, plus 127 there.
    let kbits = s.transmute_u32s_f32s(add(kf, c(8_388_608.0)));
    let scale = s.add_u32s(
        s.wrapping_dyn_shl_u32s(kbits, s.splat_u32s(23)),
        s.splat_u32s(0x3F80_0000),
    );
    let scale = s.transmute_f32s_u32s(scale);
    let mid = sub(c(1.0), s.div_f32s(c(2.0), add(mul(e, scale), c(1.0))));
    let large = s.select_f32s(s.equal_f32s(a, a), c(1.0), a);
    let t = s.select_f32s(s.less_than_f32s(a, c(9.02)), mid, large);
    let t = s.select_f32s(s.less_than_f32s(a, c(0.55)), small, t);
    // copysign(t, x)
    let sign = c(-0.0);
    s.or_f32s(s.and_f32s(t, s.not_f32s(sign)), s.and_f32s(x, sign))
}

/// GELU's values and derivatives over lanes: skipgrad's bits.
#[inline(always)]
pub fn lanes<S: Simd>(s: S, x: S::f32s) -> (S::f32s, S::f32s) {
    let c = |v: f32| s.splat_f32s(v);
    let (add, mul, sub) = (
        |a, b| s.add_f32s(a, b),
        |a, b| s.mul_f32s(a, b),
        |a, b| s.sub_f32s(a, b),
    );
    let cube = mul(mul(x, x), x);
    let t = tanh_lanes(s, mul(c(SQRT_2_OVER_PI), add(x, mul(c(COEFF), cube))));
    let half_x = mul(c(0.5), x);
    let one_t = add(c(1.0), t);
    let value = mul(half_x, one_t);
    let sech2 = sub(c(1.0), mul(t, t));
    let slope = mul(
        mul(mul(half_x, sech2), c(SQRT_2_OVER_PI)),
        add(c(1.0), mul(c(3.0 * COEFF), mul(x, x))),
    );
    let slope = s.select_f32s(s.equal_f32s(sech2, c(0.0)), c(0.0), slope);
    (value, add(mul(c(0.5), one_t), slope))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The branchless code gives skipgrad's bits, value and derivative, over every 257th
    /// `f32` pattern (both signs, subnormals, infinities and NaN included) and around the
    /// branch points.
    #[test]
    fn branchless_gelu_is_skipgrads() {
        let mut checked = 0u64;
        let mut check = |x: f32| {
            let (v, d) = value_and_derivative(x);
            let (bv, bd) = value_and_derivative_branchless(x);
            assert_eq!(
                v.to_bits(),
                bv.to_bits(),
                "value at {x:e} ({:#x})",
                x.to_bits()
            );
            assert_eq!(
                d.to_bits(),
                bd.to_bits(),
                "derivative at {x:e} ({:#x})",
                x.to_bits()
            );
            checked += 1;
        };
        for bits in (0..=u32::MAX).step_by(257) {
            check(f32::from_bits(bits));
        }
        for edge in [0.55f32, 9.02] {
            let e = edge.to_bits();
            for bits in e - 4096..e + 4096 {
                for s in [1.0, -1.0] {
                    let t = f32::from_bits(bits) * s;
                    // Inputs of GELU whose tanh argument is near the edge.
                    check(t);
                    check(t / SQRT_2_OVER_PI);
                }
            }
        }
        for x in [
            0.0,
            -0.0,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            f32::MAX,
            f32::MIN,
        ] {
            check(x);
        }
        assert!(checked > 16_000_000);
    }

    /// The vector GELU gives skipgrad's bits in every instruction set this CPU has (and in
    /// pulp's scalar fallback).
    #[test]
    fn vector_gelu_is_skipgrads() {
        use pulp::WithSimd;
        struct Check;
        impl pulp::WithSimd for Check {
            type Output = u64;
            #[inline(always)]
            fn with_simd<S: Simd>(self, s: S) -> u64 {
                let l = S::F32_LANES;
                let mut xs: Vec<f32> = (0..=u32::MAX).step_by(263).map(f32::from_bits).collect();
                xs.extend([
                    0.0,
                    -0.0,
                    f32::INFINITY,
                    f32::NEG_INFINITY,
                    f32::NAN,
                    0.55,
                    9.02,
                    -9.02,
                ]);
                for e in [0.55f32, 9.02] {
                    let e = e.to_bits();
                    xs.extend((e - 2048..e + 2048).map(|b| f32::from_bits(b) / SQRT_2_OVER_PI));
                }
                while !xs.len().is_multiple_of(l) {
                    xs.push(1.0);
                }
                let mut n = 0;
                for chunk in xs.chunks_exact(l) {
                    let (v, d) = lanes(s, S::as_simd_f32s(chunk).0[0]);
                    let (mut vs, mut ds) = (vec![0.0f32; l], vec![0.0f32; l]);
                    S::as_mut_simd_f32s(&mut vs).0[0] = v;
                    S::as_mut_simd_f32s(&mut ds).0[0] = d;
                    for ((x, v), d) in chunk.iter().zip(&vs).zip(&ds) {
                        let (wv, wd) = value_and_derivative(*x);
                        assert_eq!(
                            wv.to_bits(),
                            v.to_bits(),
                            "value at {x:e} ({:#x})",
                            x.to_bits()
                        );
                        assert_eq!(
                            wd.to_bits(),
                            d.to_bits(),
                            "derivative at {x:e} ({:#x})",
                            x.to_bits()
                        );
                        n += 1;
                    }
                }
                n
            }
        }
        assert!(pulp::Arch::new().dispatch(Check) > 16_000_000);
        assert!(Check.with_simd(pulp::Scalar::new()) > 16_000_000);
        #[cfg(target_arch = "x86_64")]
        if let Some(v3) = pulp::x86::V3::try_new() {
            assert!(Check.with_simd(v3) > 16_000_000);
        }
    }
}
