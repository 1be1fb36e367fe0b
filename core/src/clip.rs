//! Gradient clipping by global norm, as `torch.nn.utils.clip_grad_norm_`.

use crate::params::Params;
use crate::scalar::Scalar;

/// The term PyTorch adds to the norm before dividing (`max_norm / (norm + 1e-6)`).
const NORM_EPS: f64 = 1e-6;

/// Scales `grads` so that their global L2 norm is at most `max_norm`, and returns the norm
/// before clipping, as `torch.nn.utils.clip_grad_norm_(params, max_norm)` does.
///
/// The norm is `sqrt(grads.sum_of_squares())`, summed in `T` in registration order: it equals
/// PyTorch's (a norm of per-tensor norms) up to rounding, within a few ulp of `T` for models
/// of a few thousand parameters. When `max_norm / (norm + 1e-6) < 1` every gradient is
/// multiplied by that factor; otherwise nothing changes (PyTorch multiplies by exactly 1).
///
/// A non-finite norm (a non-finite gradient, or a sum of squares that overflows) leaves
/// `grads` untouched and is returned as is, for the caller to reject: unlike PyTorch, which
/// would multiply by NaN. A NaN or negative `max_norm` also leaves `grads` untouched.
///
/// ```
/// use skipgrad::{clip_grad_norm, Linear};
///
/// let mut g = Linear::<f32, 1, 1>::new([[3.0]], [4.0]);
/// let norm = clip_grad_norm(&mut g, 1.0);
/// assert_eq!(norm, 5.0);
/// assert!((g.weight[0][0] - 0.6).abs() < 1e-6 && (g.bias[0] - 0.8).abs() < 1e-6);
/// ```
pub fn clip_grad_norm<T: Scalar, M: Params<T>>(grads: &mut M, max_norm: T) -> T {
    let norm = grads.sum_of_squares().sqrt();
    scale_to_norm(grads, norm, max_norm);
    norm
}

/// Applies the clipping factor for a norm already computed (`norm = sqrt(sum_of_squares)`).
pub(crate) fn scale_to_norm<T: Scalar, M: Params<T>>(grads: &mut M, norm: T, max_norm: T) {
    if !norm.is_finite() || !valid_max_norm(max_norm) {
        return;
    }
    let coef = max_norm / (norm + T::from_f64(NORM_EPS));
    if coef < T::ONE {
        grads.scale(coef);
    }
}

/// True when `max_norm` is a usable clipping norm: not NaN, not negative.
pub(crate) fn valid_max_norm<T: Scalar>(max_norm: T) -> bool {
    max_norm
        .partial_cmp(&T::ZERO)
        .is_some_and(core::cmp::Ordering::is_ge)
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
            let mut ok = true;
            g.zip2(&want, &mut |a, b| {
                for (a, b) in a.iter().zip(b) {
                    ok &= (a - b).abs() <= 1e-15;
                }
            });
            assert!(ok, "{g:?} vs {want:?}");
        }
    }

    #[test]
    fn non_finite_norm_leaves_grads_alone() {
        for bad in [f64::NAN, f64::INFINITY, 1e200] {
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
}
