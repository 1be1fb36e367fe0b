//! Layer normalisation, as `nn.LayerNorm(N)`.

use super::module::Module;
use crate::number::Scalar;
use crate::params::{Init, Layer, Params};
use crate::zeroed::Zeroed;

/// `nn.LayerNorm(N)`: normalises each sample to zero mean and unit variance, then scales and
/// shifts it by learnable `weight` and `bias` (initialised to ones and zeros).
///
/// ```text
/// mean = sum(x) / N
/// var  = sum((x - mean)^2) / N            (biased, as PyTorch)
/// rstd = 1 / sqrt(var + eps)              (eps = 1e-5)
/// y    = (x - mean) * rstd * weight + bias
/// ```
///
/// Sums run in index order in `T`. For any finite input the output and the gradients are
/// finite: `var + eps >= eps > 0`, so `rstd <= 1 / sqrt(eps)`, and `(x - mean) * rstd` is at
/// most `sqrt(N)` in magnitude; an input large enough for its squares to overflow is divided
/// by its largest magnitude first (see `normalise`), which leaves the result unchanged up to
/// rounding.
///
/// The cache holds the normalised input and `rstd` (`N + 1` scalars).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LayerNorm<T, const N: usize> {
    /// The scale `gamma`, one per feature.
    pub weight: [T; N],
    /// The shift `beta`, one per feature.
    pub bias: [T; N],
}

impl<T: Scalar, const N: usize> LayerNorm<T, N> {
    /// `eps` as `nn.LayerNorm`'s default.
    pub const EPS: f64 = 1e-5;

    /// A layer with the given scale and shift.
    pub const fn new(weight: [T; N], bias: [T; N]) -> Self {
        Self { weight, bias }
    }

    /// `(x - mean) * rstd` and `rstd`.
    ///
    /// An input whose squares could overflow (`max|x|^2 * N` not finite) is first divided by
    /// `max|x|`, which leaves the result unchanged up to rounding (`eps` becomes `eps /
    /// max|x|^2`, negligible there), so the output stays finite for every finite input.
    #[inline]
    fn normalise(x: &[T; N]) -> ([T; N], T) {
        let n = T::from_usize(N);
        let mut m = T::ZERO;
        x.iter().for_each(|v| m = m.max(v.abs()));
        let mut xs = *x;
        let mut eps = T::from_f64(Self::EPS);
        let mut unscale = T::ONE;
        if !(m * m * n).is_finite() {
            xs.iter_mut().for_each(|v| *v /= m);
            eps = eps / m / m;
            unscale = T::ONE / m;
        }
        let mut sum = T::ZERO;
        xs.iter().for_each(|v| sum += *v);
        let mean = sum / n;
        let mut ss = T::ZERO;
        xs.iter().for_each(|v| {
            let d = *v - mean;
            ss += d * d;
        });
        let den = ss / n + eps;
        // den is 0 only when every input is equal (and eps underflowed): then x - mean is 0.
        let rstd = if den > T::ZERO {
            T::ONE / den.sqrt()
        } else {
            T::ZERO
        };
        xs.iter_mut().for_each(|v| *v = (*v - mean) * rstd);
        (xs, rstd * unscale)
    }

    #[inline]
    fn affine(&self, xhat: &[T; N]) -> [T; N] {
        let mut y = *xhat;
        for ((y, w), b) in y.iter_mut().zip(&self.weight).zip(&self.bias) {
            *y = *y * *w + *b;
        }
        y
    }

    /// The input gradient, and the parameter gradients into `grads` if given.
    #[inline]
    fn gradients(&self, cache: &([T; N], T), dy: &[T; N], grads: Option<&mut Self>) -> [T; N] {
        let (xhat, rstd) = (&cache.0, cache.1);
        if let Some(g) = grads {
            for (((gw, gb), dy), xh) in g.weight.iter_mut().zip(g.bias.iter_mut()).zip(dy).zip(xhat)
            {
                *gw += *dy * *xh;
                *gb += *dy;
            }
        }
        // dxhat = dy * weight; dx = rstd / N * (N dxhat - sum(dxhat) - xhat sum(dxhat xhat)).
        let mut dxhat = *dy;
        dxhat
            .iter_mut()
            .zip(&self.weight)
            .for_each(|(d, w)| *d *= *w);
        let (mut s1, mut s2) = (T::ZERO, T::ZERO);
        for (d, xh) in dxhat.iter().zip(xhat) {
            s1 += *d;
            s2 += *d * *xh;
        }
        let n = T::from_usize(N);
        let k = rstd / n;
        let mut dx = dxhat;
        for (dx, xh) in dx.iter_mut().zip(xhat) {
            *dx = k * (n * *dx - s1 - *xh * s2);
        }
        dx
    }
}

impl<T: Scalar, const N: usize> Zeroed for LayerNorm<T, N> {
    const ZERO: Self = Self {
        weight: [T::ZERO; N],
        bias: [T::ZERO; N],
    };
}

impl<T: Scalar, const N: usize> Layer for LayerNorm<T, N> {
    type Grads = Self;
}

impl<T: Scalar, const N: usize> Params<T> for LayerNorm<T, N> {
    crate::params!(T; tensor weight: Init::Ones, tensor bias: Init::Zeros);
}

impl<T: Scalar, const N: usize> Module<[T; N]> for LayerNorm<T, N> {
    type Output = [T; N];
    /// The normalised input and `1 / sqrt(var + eps)`.
    type Cache = ([T; N], T);

    #[inline]
    fn forward(&self, x: &[T; N], cache: &mut ([T; N], T)) -> [T; N] {
        *cache = Self::normalise(x);
        self.affine(&cache.0)
    }

    #[inline]
    fn infer(&self, x: &[T; N]) -> [T; N] {
        self.affine(&Self::normalise(x).0)
    }

    #[inline]
    fn backward(&self, cache: &([T; N], T), dy: &[T; N], grads: &mut Self) -> [T; N] {
        self.gradients(cache, dy, Some(grads))
    }

    #[inline]
    fn backward_input(&self, cache: &([T; N], T), dy: &[T; N]) -> [T; N] {
        self.gradients(cache, dy, None)
    }
}

crate::batch_by_sample!(impl[T: Scalar, const N: usize] LayerNorm<T, N>, [T; N]);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_then_scales_and_shifts() {
        let ln = LayerNorm::<f64, 4>::new([1.0, 2.0, 1.0, 1.0], [0.0, 0.0, 1.0, 0.0]);
        let y = ln.infer(&[1.0, 2.0, 3.0, 4.0]);
        // mean 2.5, var 1.25, rstd 1 / sqrt(1.25 + 1e-5).
        let r = 1.0 / (1.25f64 + 1e-5).sqrt();
        let want = [-1.5 * r, -0.5 * r * 2.0, 0.5 * r + 1.0, 1.5 * r];
        for (g, w) in y.iter().zip(&want) {
            assert!((g - w).abs() < 1e-15, "{y:?} vs {want:?}");
        }
    }

    /// Extreme inputs stay finite and normalise as moderate ones do.
    #[test]
    fn extreme_inputs_stay_finite() {
        let ln = LayerNorm::<f32, 3>::new([1.0; 3], [0.5, -0.5, 0.25]);
        let cases: [[f32; 3]; 5] = [
            [3e38, -3e38, 1.0],
            [3e38, 3e38, -3e38],
            [f32::MAX, f32::MAX, f32::MAX],
            [1e-45, 0.0, -1e-45],
            [1e20, 2e20, 3e20],
        ];
        for x in cases {
            let mut c = Zeroed::ZERO;
            let y = ln.forward(&x, &mut c);
            assert!(y.iter().all(|v| v.is_finite()), "{x:?}: {y:?}");
            let mut g = LayerNorm::ZERO;
            let dx = ln.backward(&c, &[1.0, -1.0, 2.0], &mut g);
            assert!(dx.iter().all(|v| v.is_finite()), "{x:?}: {dx:?}");
            assert!(
                g.weight.iter().chain(&g.bias).all(|v| v.is_finite()),
                "{x:?}"
            );
        }
        // Scale invariance where eps is negligible: 1e20 * (1, 2, 3) normalises as (1, 2, 3)
        // does (without eps).
        let y = ln.infer(&[1e20, 2e20, 3e20]);
        let r = (2.0f32 / 3.0).sqrt();
        let want = [-1.0 / r + 0.5, -0.5, 1.0 / r + 0.25];
        for (g, w) in y.iter().zip(&want) {
            assert!((g - w).abs() < 1e-6, "{y:?} vs {want:?}");
        }
    }

    /// Just past the threshold where the squares (`m^2 * N`) overflow but `m^2` does not, the
    /// inputs are rescaled and still normalise to ±1 (unscaled, the variance is infinite and
    /// the output collapses to the bias).
    #[test]
    fn rescales_exactly_where_the_sum_of_squares_would_overflow() {
        let ln = LayerNorm::<f32, 2>::new([1.0; 2], [0.0; 2]);
        for m in [1.5e19f32, 1.31e19, 1.844e19] {
            assert!((m * m).is_finite() && !(m * m * 2.0).is_finite(), "{m}");
            let y = ln.infer(&[m, -m]);
            for (g, w) in y.iter().zip(&[1.0f32, -1.0]) {
                assert!((g - w).abs() < 1e-6, "{m}: {y:?}");
            }
        }
    }

    /// `LEN` is what the walk declares: a scale and a shift of `N` each.
    #[test]
    fn len_is_the_walked_tensors() {
        let mut walked = 0;
        crate::params::visit_shapes::<LayerNorm<f32, 3>, f32, _>(|_, t| walked += t.len());
        assert_eq!(walked, 6);
        assert_eq!(<LayerNorm<f32, 3> as Params<f32>>::LEN, walked);
    }

    #[test]
    fn initialised_as_pytorch() {
        let ln: LayerNorm<f32, 3> = Params::torch_init(&mut crate::TorchInit::new(0));
        assert_eq!((ln.weight, ln.bias), ([1.0; 3], [0.0; 3]));
    }
}
