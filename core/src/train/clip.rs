//! Gradient clipping by global norm, as `torch.nn.utils.clip_grad_norm_`.

use crate::number::Scalar;
use crate::params::{self, Params, Ref};

/// The global L2 norm of every value of `grads`, in one pass, without overflow or underflow
/// wherever the norm itself is representable.
///
/// It keeps a running scale (the largest magnitude so far) and a sum of squares relative to
/// it, as the reference BLAS `nrm2` does: `norm = scale * sqrt(ssq)`. It is NaN if any value
/// is NaN and infinite if any value is infinite or the norm exceeds the largest finite value.
/// Plain IEEE operations in a fixed order: the same bits on every target.
pub fn grad_norm<T: Scalar, G: Params<T>>(grads: &G) -> T {
    let mut n = Nrm2::new();
    params::zip::<Ref, _, T, _>(grads, |_, t| n.add(t));
    n.norm()
}

/// [`grad_norm`] of a value of the gradient type of `M`, walking `M`'s declaration.
pub fn grads_norm<T: Scalar, M: Params<T>>(grads: &M::Grads) -> T {
    let mut n = Nrm2::new();
    params::zip_grads::<M, Ref, T, _>(grads, |_, t| n.add(t));
    n.norm()
}

/// The running state of a scaled sum of squares.
struct Nrm2<T> {
    scale: T,
    ssq: T,
    bad: Option<T>,
}

impl<T: Scalar> Nrm2<T> {
    fn new() -> Self {
        Self {
            scale: T::ZERO,
            ssq: T::ONE,
            bad: None,
        }
    }

    fn add(&mut self, values: &[T]) {
        for x in values {
            if !x.is_finite() {
                self.bad = self.bad.or(Some(x.abs()));
            } else if *x != T::ZERO {
                let a = x.abs();
                if self.scale < a {
                    let r = self.scale / a;
                    self.ssq = T::ONE + self.ssq * r * r;
                    self.scale = a;
                } else {
                    let r = a / self.scale;
                    self.ssq += r * r;
                }
            }
        }
    }

    /// The norm; a NaN or an infinity met on the way is the norm, as it would be in PyTorch.
    fn norm(self) -> T {
        self.bad.unwrap_or(self.scale * self.ssq.sqrt())
    }
}

/// The term PyTorch adds to the norm before dividing (`max_norm / (norm + 1e-6)`).
const NORM_EPS: f64 = 1e-6;

/// Scales `grads` so that their global L2 norm is at most `max_norm`, and returns the norm
/// before clipping ([`grad_norm`]), as `torch.nn.utils.clip_grad_norm_(params, max_norm)` does.
///
/// When `max_norm / (norm + 1e-6) < 1` every gradient is multiplied by that factor; otherwise
/// nothing changes (PyTorch multiplies by exactly 1). A non-finite norm leaves `grads`
/// untouched and is returned as is, for the caller to reject (PyTorch would multiply by NaN).
/// A NaN or negative `max_norm` also leaves `grads` untouched.
///
/// ```
/// use skipgrad::{clip_grad_norm, Linear};
///
/// let mut g = Linear::<f32, 1, 1>::new([[3.0]], [4.0]);
/// let norm = clip_grad_norm(&mut g, 1.0);
/// assert_eq!(norm, 5.0);
/// assert!((g.weight[0][0] - 0.6).abs() < 1e-6 && (g.bias[0] - 0.8).abs() < 1e-6);
/// ```
pub fn clip_grad_norm<T: Scalar, G: Params<T>>(grads: &mut G, max_norm: T) -> T {
    let norm = grad_norm(grads);
    if let Some(coef) = clip_factor(norm, max_norm) {
        grads.scale(coef);
    }
    norm
}

/// The factor that brings a gradient of norm `norm` to at most `max_norm`, if it is below 1.
pub(crate) fn clip_factor<T: Scalar>(norm: T, max_norm: T) -> Option<T> {
    let valid_max = max_norm
        .partial_cmp(&T::ZERO)
        .is_some_and(core::cmp::Ordering::is_ge);
    if !norm.is_finite() || !valid_max {
        return None;
    }
    let coef = max_norm / (norm + T::from_f64(NORM_EPS));
    (coef < T::ONE).then_some(coef)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Linear;

    type Net = Linear<f64, 2, 1>;

    fn net(a: f64, b: f64, c: f64) -> Net {
        Linear::new([[a, b]], [c])
    }

    #[test]
    fn clip_table() {
        // (grads, max_norm, returned norm, grads after)
        let f = 2.0 / (3.0 + 1e-6);
        let cases = [
            // norm 3 > 2: scaled by 2 / (3 + 1e-6).
            (net(1.0, 2.0, 2.0), 2.0, 3.0, net(f, 2.0 * f, 2.0 * f)),
            // norm 3 < 10: untouched.
            (net(1.0, 2.0, 2.0), 10.0, 3.0, net(1.0, 2.0, 2.0)),
            // zero gradients: untouched, norm 0.
            (net(0.0, 0.0, 0.0), 1.0, 0.0, net(0.0, 0.0, 0.0)),
            // max_norm 0 zeroes the gradients.
            (net(1.0, 2.0, 2.0), 0.0, 3.0, net(0.0, 0.0, 0.0)),
        ];
        for (mut g, max, norm, want) in cases {
            let got = clip_grad_norm(&mut g, max);
            assert_eq!(got, norm);
            let (mut a, mut b) = ([0.0; 3], [0.0; 3]);
            assert!(g.store_flat(&mut a).is_ok() && want.store_flat(&mut b).is_ok());
            assert!(
                a.iter().zip(&b).all(|(a, b)| (a - b).abs() <= 1e-15),
                "{g:?} vs {want:?}"
            );
        }
    }

    #[test]
    fn non_finite_norm_leaves_grads_alone() {
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let mut g = net(1.0, bad, 2.0);
            let before = g;
            let norm = clip_grad_norm(&mut g, 1.0);
            assert!(!norm.is_finite());
            assert_eq!(g.weight[0][0].to_bits(), before.weight[0][0].to_bits());
            assert_eq!(g.bias, before.bias);
        }
        let mut g = net(1.0, 2.0, 2.0);
        clip_grad_norm(&mut g, f64::NAN);
        assert_eq!(g, net(1.0, 2.0, 2.0));
        clip_grad_norm(&mut g, -1.0);
        assert_eq!(g, net(1.0, 2.0, 2.0));
    }

    /// Values whose squares overflow (or underflow) still give their norm.
    #[test]
    fn norm_does_not_overflow_or_underflow() {
        let big = Linear::<f32, 2, 1>::new([[1.1e19, 1.1e19]], [1.1e19]);
        let norm = grad_norm(&big);
        let want = 1.1e19f64 * 3f64.sqrt();
        assert!((f64::from(norm) - want).abs() <= 1e-6 * want, "{norm}");
        let tiny = Linear::<f32, 2, 1>::new([[3e-30, 4e-30]], [0.0]);
        assert!((grad_norm(&tiny) - 5e-30).abs() <= 1e-36);
        // A norm beyond f32's range is infinite, and clipping leaves the values alone.
        let mut huge = Linear::<f32, 2, 1>::new([[3e38, 3e38]], [0.0]);
        assert_eq!(clip_grad_norm(&mut huge, 1.0), f32::INFINITY);
        assert_eq!(huge.weight, [[3e38, 3e38]]);
        // Clipping what naive squares could not: every gradient 1.1e19, norm clipped to 1.
        let mut g = big;
        clip_grad_norm(&mut g, 1.0);
        let clipped = grad_norm(&g);
        assert!((clipped - 1.0).abs() < 1e-6, "{clipped}");
    }
}
