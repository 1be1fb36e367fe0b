//! Activations: zero-sized layers with their value and derivative side by side.

use crate::init::TorchInit;
use crate::module::{Module, Zeroed};
use crate::name::ParamName;
use crate::params::Params;
use crate::scalar::Scalar;

/// The tanh approximation of GELU, exactly as the seed notebook writes it:
///
/// `gelu(x) = 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3)))`
///
/// evaluated left to right in `T` (`x^3` as `x * x * x`, `0.5 * x` first). It has no
/// parameters and works on any `[T; N]`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Gelu;

impl Gelu {
    /// `gelu(x)`. Finite for every finite `x`: when `x^3` overflows, `tanh` saturates to
    /// ±1 and the result is `x` or `0` (within rounding).
    #[inline(always)]
    pub fn value<T: Scalar>(x: T) -> T {
        let t = Self::inner_tanh(x);
        T::HALF * x * (T::ONE + t)
    }

    /// `d gelu(x) / dx` of the same formula:
    ///
    /// `0.5 * (1 + t) + 0.5 * x * (1 - t^2) * sqrt(2/pi) * (1 + 3 * 0.044715 * x^2)`,
    /// with `t` the tanh above. Finite for every finite `x`: once `tanh` has saturated
    /// (`1 - t^2 == 0`) the second term is exactly zero, so an overflowing `x^2` never meets
    /// a zero (`inf * 0`).
    #[inline(always)]
    pub fn derivative<T: Scalar>(x: T) -> T {
        let t = Self::inner_tanh(x);
        Self::derivative_from_tanh(x, t)
    }

    /// The value and the derivative together, sharing one `tanh`.
    #[inline(always)]
    pub fn value_and_derivative<T: Scalar>(x: T) -> (T, T) {
        let t = Self::inner_tanh(x);
        (T::HALF * x * (T::ONE + t), Self::derivative_from_tanh(x, t))
    }

    #[inline(always)]
    fn inner_tanh<T: Scalar>(x: T) -> T {
        (T::SQRT_2_OVER_PI * (x + T::GELU_COEFF * (x * x * x))).tanh()
    }

    #[inline(always)]
    fn derivative_from_tanh<T: Scalar>(x: T, t: T) -> T {
        let sech2 = T::ONE - t * t;
        let slope = if sech2 == T::ZERO {
            T::ZERO
        } else {
            let three_a = T::from_f64(3.0) * T::GELU_COEFF;
            T::HALF * x * sech2 * T::SQRT_2_OVER_PI * (T::ONE + three_a * (x * x))
        };
        T::HALF * (T::ONE + t) + slope
    }
}

impl Zeroed for Gelu {
    #[inline(always)]
    fn zeroed() -> Self {
        Gelu
    }
}

impl<T: Scalar, const N: usize> Module<[T; N]> for Gelu {
    type Output = [T; N];
    /// The derivative at each input, computed by `forward` with the value
    /// ([`Gelu::value_and_derivative`]), so a training step evaluates one `tanh` per element
    /// instead of two. Same size as the input, and the same bits as computing the derivative
    /// from the input in `backward`.
    type Cache = [T; N];

    #[inline]
    fn forward(&self, x: &[T; N], cache: &mut [T; N]) -> [T; N] {
        let mut y = *x;
        for (v, d) in y.iter_mut().zip(cache.iter_mut()) {
            (*v, *d) = Self::value_and_derivative(*v);
        }
        y
    }

    #[inline]
    fn infer(&self, x: &[T; N]) -> [T; N] {
        let mut y = *x;
        y.iter_mut().for_each(|v| *v = Self::value(*v));
        y
    }

    #[inline]
    fn backward(&self, derivative: &[T; N], dy: &[T; N], _grads: &mut Self) -> [T; N] {
        let mut dx = *dy;
        // Three elements per loop turn, written out: compilers optimising for size never
        // unroll a loop, and a 3-wide layer then runs straight-line code.
        let (d3, d_rest) = dx.as_chunks_mut::<3>();
        let (g3, g_rest) = derivative.as_chunks::<3>();
        for ([d0, d1, d2], [g0, g1, g2]) in d3.iter_mut().zip(g3) {
            *d0 *= *g0;
            *d1 *= *g1;
            *d2 *= *g2;
        }
        for (d, g) in d_rest.iter_mut().zip(g_rest) {
            *d *= *g;
        }
        dx
    }
}

impl<T: Scalar> Params<T> for Gelu {
    const LEN: usize = 0;
    #[inline(always)]
    fn for_each_tensor(&self, _f: &mut impl FnMut(&[T])) {}
    #[inline(always)]
    fn for_each_tensor_mut(&mut self, _f: &mut impl FnMut(&mut [T])) {}
    #[inline(always)]
    fn visit_named(&self, _name: &mut ParamName, _f: &mut impl FnMut(&ParamName, &[T])) {}
    #[inline(always)]
    fn visit_named_mut(&mut self, _: &mut ParamName, _: &mut impl FnMut(&ParamName, &mut [T])) {}
    #[inline(always)]
    fn zip2(&mut self, _a: &Self, _f: &mut impl FnMut(&mut [T], &[T])) {}
    #[inline(always)]
    fn zip2_mut(&mut self, _a: &mut Self, _f: &mut impl FnMut(&mut [T], &mut [T])) {}
    #[inline(always)]
    fn zip3(&mut self, _a: &Self, _b: &mut Self, _f: &mut impl FnMut(&mut [T], &[T], &mut [T])) {}
    #[inline(always)]
    fn zip4(
        &mut self,
        _a: &Self,
        _b: &mut Self,
        _c: &mut Self,
        _f: &mut impl FnMut(&mut [T], &[T], &mut [T], &mut [T]),
    ) {
    }
    #[inline(always)]
    fn reset_parameters(&mut self, _init: &mut TorchInit) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `backward` multiplies every element by its cached derivative, for widths with and
    /// without a remainder after the groups of three.
    #[test]
    fn backward_scales_every_element() {
        fn check<const N: usize>() {
            let x: [f32; N] = core::array::from_fn(|i| i as f32 * 0.75 - 2.0);
            let dy: [f32; N] = core::array::from_fn(|i| 1.5 - i as f32 * 0.25);
            let mut cache = [0.0; N];
            Gelu.forward(&x, &mut cache);
            let dx = Gelu.backward(&cache, &dy, &mut Gelu);
            for ((d, x), dy) in dx.iter().zip(&x).zip(&dy) {
                assert_eq!(
                    d.to_bits(),
                    (*dy * Gelu::derivative(*x)).to_bits(),
                    "N = {N}"
                );
            }
        }
        check::<1>();
        check::<2>();
        check::<3>();
        check::<4>();
        check::<7>();
    }

    /// Values of the same formula computed independently (Python, float64).
    #[test]
    fn value_table_f64() {
        let cases: [(f64, f64); 6] = [
            (0.0, 0.0),
            (1.0, 0.841_191_990_608_276_8),
            (-1.0, -0.158_808_009_391_723_24),
            (2.0, 1.954_597_694_087_775),
            (-3.0, -0.003_637_392_081_772_994_3),
            (0.5, 0.345_714_009_825_143_94),
        ];
        for (x, want) in cases {
            let got = Gelu::value(x);
            assert!(
                (got - want).abs() <= 1e-15,
                "gelu({x}) = {got}, want {want}"
            );
        }
    }

    #[test]
    fn derivative_matches_central_difference() {
        for i in -60..=60 {
            let x = f64::from(i) * 0.1;
            let h = 1e-6;
            let fd = (Gelu::value(x + h) - Gelu::value(x - h)) / (2.0 * h);
            let d = Gelu::derivative(x);
            assert!((d - fd).abs() <= 1e-8, "x = {x}: {d} vs {fd}");
        }
    }

    #[test]
    fn finite_at_the_extremes() {
        for x in [
            f32::MAX,
            -f32::MAX,
            1e20,
            -1e20,
            1e13,
            -1e13,
            f32::MIN_POSITIVE,
        ] {
            let (v, d) = Gelu::value_and_derivative(x);
            assert!(v.is_finite() && d.is_finite(), "x = {x}: {v}, {d}");
        }
        assert_eq!(Gelu::derivative(f32::MAX), 1.0);
        assert_eq!(Gelu::derivative(-f32::MAX), 0.0);
        assert_eq!(Gelu::value(-f32::MAX), 0.0);
        for x in [f64::MAX, -f64::MAX, 1e200, -1e200] {
            let (v, d) = Gelu::value_and_derivative(x);
            assert!(v.is_finite() && d.is_finite(), "x = {x}: {v}, {d}");
        }
    }
}
