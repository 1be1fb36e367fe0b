//! The notebook's GELU: the tanh approximation.

use super::{ElementWise, LANES};
use crate::number::Float;

/// The tanh approximation of GELU, exactly as the seed notebook writes it (PyTorch's
/// `nn.GELU(approximate='tanh')`):
///
/// `gelu(x) = 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3)))`
///
/// evaluated left to right in `T` (`x^3` as `x * x * x`, `0.5 * x` first), with `sqrt(2/pi)`
/// as PyTorch computes it (`2/pi` rounded to `T`, then square-rooted in `T`). For the exact
/// GELU of `nn.GELU()`, see `GeluErf`.
///
/// Over every finite `f32` (measured by `skipgrad exhaustive-gelu` against the same formula in
/// `f64`): never NaN or infinite, value and derivative; the value is within 1.76 units of
/// `max(ulp(result), 2^-24)` (worst at `x = 1.1296183`), the derivative within 9.15 (worst at
/// `x = -5.157855`, where `tanh` is within a few ulp of `-1`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Gelu;

crate::activation!(Gelu);

impl Gelu {
    /// `sqrt(2/pi)`: `sqrtf(f32(2/pi))` in `f32`, the correctly rounded value in `f64`.
    #[inline(always)]
    fn sqrt_2_over_pi<T: Float>() -> T {
        T::literal(0.797_884_5, 0.797_884_560_802_865_4)
    }

    /// The cubic coefficient, rounded to `T`.
    #[inline(always)]
    fn coeff<T: Float>() -> T {
        T::literal(0.044_715, 0.044_715)
    }

    /// The argument of the tanh, `sqrt(2/pi) * (x + 0.044715 * x^3)`.
    #[inline(always)]
    fn inner<T: Float>(x: T) -> T {
        Self::sqrt_2_over_pi::<T>() * (x + Self::coeff::<T>() * (x * x * x))
    }

    #[inline(always)]
    fn inner_tanh<T: Float>(x: T) -> T {
        Self::inner(x).tanh()
    }

    /// `gelu(x)` from `t`, the tanh above: `0.5 * x * (1 + t)`.
    #[inline(always)]
    fn value_from_tanh<T: Float>(x: T, t: T) -> T {
        T::literal(0.5, 0.5) * x * (T::ONE + t)
    }

    /// `d gelu(x) / dx` from `t`, the tanh above:
    ///
    /// `0.5 * (1 + t) + 0.5 * x * (1 - t^2) * sqrt(2/pi) * (1 + 3 * 0.044715 * x^2)`.
    /// Once `tanh` has saturated (`1 - t^2 == 0`) the second term is exactly zero, so an
    /// overflowing `x^2` never meets a zero (`inf * 0`).
    #[inline(always)]
    fn derivative_from_tanh<T: Float>(x: T, t: T) -> T {
        let sech2 = T::ONE - t * t;
        let slope = if sech2 == T::ZERO {
            T::ZERO
        } else {
            Self::slope(x, sech2)
        };
        T::literal(0.5, 0.5) * (T::ONE + t) + slope
    }

    /// The derivative's second term, `0.5 * x * sech2 * sqrt(2/pi) * (1 + 3 * 0.044715 * x^2)`,
    /// whether or not `tanh` has saturated.
    #[inline(always)]
    fn slope<T: Float>(x: T, sech2: T) -> T {
        let three_a = T::literal(3.0, 3.0) * Self::coeff::<T>();
        T::literal(0.5, 0.5)
            * x
            * sech2
            * Self::sqrt_2_over_pi::<T>()
            * (T::ONE + three_a * (x * x))
    }

    /// `d gelu(x) / dx`.
    #[inline(always)]
    pub fn derivative<T: Float>(x: T) -> T {
        Self::derivative_from_tanh(x, Self::inner_tanh(x))
    }
}

impl<T: Float> ElementWise<T> for Gelu {
    #[inline(always)]
    fn value(&self, x: T) -> T {
        Self::value_from_tanh(x, Self::inner_tanh(x))
    }

    #[inline(always)]
    fn value_and_derivative(&self, x: T) -> (T, T) {
        let t = Self::inner_tanh(x);
        (
            Self::value_from_tanh(x, t),
            Self::derivative_from_tanh(x, t),
        )
    }

    /// The same operations, lane by lane, with [`Float::tanh_lanes`] and the derivative's
    /// branch as a select: the same bits as [`value_and_derivative`](Self::value_and_derivative)
    /// (tested over every 257th `f32` pattern and around the edges of `tanh`'s formulas).
    #[inline(always)]
    fn value_and_derivative_lanes(&self, x: [T; LANES]) -> ([T; LANES], [T; LANES]) {
        let t = T::tanh_lanes(x.map(Self::inner));
        let (mut v, mut d) = (x, x);
        for (((v, d), x), t) in v.iter_mut().zip(&mut d).zip(&x).zip(&t) {
            let (x, t) = (*x, *t);
            *v = Self::value_from_tanh(x, t);
            // `derivative_from_tanh` with its branch as a select: the slope is computed in
            // every lane and dropped where `tanh` has saturated.
            let sech2 = T::ONE - t * t;
            let slope = Self::slope(x, sech2);
            let slope = if sech2 == T::ZERO { T::ZERO } else { slope };
            *d = T::literal(0.5, 0.5) * (T::ONE + t) + slope;
        }
        (v, d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Batch, Flat};
    use crate::layer::{BatchModule, Module};
    use crate::zeroed::Zeroed;

    #[test]
    fn sqrt_2_over_pi_matches_torch_construction() {
        // torch.sqrt(torch.tensor(2.0 / torch.pi)): f64 division, rounded to f32, sqrt in f32.
        let c32 = libm::sqrtf((2.0f64 / core::f64::consts::PI) as f32);
        assert_eq!(c32.to_bits(), Gelu::sqrt_2_over_pi::<f32>().to_bits());
        let c64 = libm::sqrt(2.0f64 / core::f64::consts::PI);
        assert_eq!(c64.to_bits(), Gelu::sqrt_2_over_pi::<f64>().to_bits());
    }

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
            let got = Gelu.value(x);
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
            let fd = (Gelu.value(x + h) - Gelu.value(x - h)) / (2.0 * h);
            let d = Gelu::derivative(x);
            assert!((d - fd).abs() <= 1e-8, "x = {x}: {d} vs {fd}");
        }
    }

    /// A batch's GELU (16 lanes at a time, with the `dispatch` feature in the best
    /// instruction set of this CPU) gives the bits of the samples one by one, value and
    /// derivative: every 257th `f32` pattern (both signs, subnormals, infinities and NaN among
    /// them), every pattern whose `tanh` argument lies near the edges of `tanh`'s formulas
    /// (0.55 and 9.02: `|x|` in [0.68, 0.70] and [5.15, 5.17]), and a remainder after the
    /// lanes in each batch (70 values: 4 groups of 16 and 6 one by one).
    #[test]
    fn batch_gives_the_per_sample_bits() {
        let around = |lo: f32, hi: f32| {
            (lo.to_bits()..=hi.to_bits()).flat_map(|b| [f32::from_bits(b), -f32::from_bits(b)])
        };
        let xs = crate::number::every_257th()
            .chain(around(0.68, 0.70))
            .chain(around(5.15, 5.17));
        let checked = crate::number::for_lanes(xs, |x: [f32; 70]| {
            let batch: Batch<[f32; 7], 10> = Batch(core::array::from_fn(|s| {
                core::array::from_fn(|i| x.get(7 * s + i).copied().unwrap_or(0.0))
            }));
            let mut cache = Batch::ZERO;
            let y = Gelu.forward_batch(&batch, &mut cache);
            for ((x, y), d) in batch.values().iter().zip(y.values()).zip(cache.values()) {
                let (wv, wd) = Gelu.value_and_derivative(*x);
                assert_eq!(y.to_bits(), wv.to_bits(), "gelu({x:e})");
                assert_eq!(d.to_bits(), wd.to_bits(), "gelu'({x:e})");
            }
            let dy = Batch([[0.75; 7]; 10]);
            let dx = Gelu.backward_batch(&cache, &dy, &mut Gelu);
            for (dx, d) in dx.values().iter().zip(cache.values()) {
                assert_eq!(dx.to_bits(), (0.75 * *d).to_bits());
            }
        });
        assert!(checked > 17_000_000, "{checked}");
    }

    /// The same for `f64` (GELU's lanes through `libm`'s `tanh` one by one), over a sweep of
    /// magnitudes of both signs.
    #[test]
    fn batch_gives_the_per_sample_bits_f64() {
        let x: [[f64; 9]; 4] = core::array::from_fn(|s| {
            core::array::from_fn(|i| {
                (-1f64).powi(i as i32) * 1.7f64.powi(9 * s as i32 + i as i32 - 18)
            })
        });
        let mut cache = Batch::ZERO;
        let y = Gelu.forward_batch(&Batch(x), &mut cache);
        for ((x, y), d) in x.as_flattened().iter().zip(y.values()).zip(cache.values()) {
            let (wv, wd) = Gelu.value_and_derivative(*x);
            assert_eq!(
                (y.to_bits(), d.to_bits()),
                (wv.to_bits(), wd.to_bits()),
                "{x:e}"
            );
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
            let (v, d) = Gelu.value_and_derivative(x);
            assert!(v.is_finite() && d.is_finite(), "x = {x}: {v}, {d}");
        }
        assert_eq!(Gelu::derivative(f32::MAX), 1.0);
        assert_eq!(Gelu::derivative(-f32::MAX), 0.0);
        assert_eq!(Gelu.value(-f32::MAX), 0.0);
        for x in [f64::MAX, -f64::MAX, 1e200, -1e200] {
            let (v, d) = Gelu.value_and_derivative(x);
            assert!(v.is_finite() && d.is_finite(), "x = {x}: {v}, {d}");
        }
    }
}
