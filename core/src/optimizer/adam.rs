//! Adam, as `torch.optim.Adam` computes it.

use super::Optimizer;
use crate::params::Params;
use crate::scalar::Scalar;

/// Adam (`torch.optim.Adam`, `amsgrad=False`, L2 weight decay), with PyTorch's defaults:
/// `lr = 1e-3`, `betas = (0.9, 0.999)`, `eps = 1e-8`, `weight_decay = 0`.
///
/// Hyperparameters are `f64`, as PyTorch's Python floats are. At step `t` (counting from 1)
/// the scalars are computed in `f64` and rounded once to `T`, and the per-parameter update
/// follows PyTorch's single-tensor order, each operation rounded in `T`:
///
/// ```text
/// bc1 = 1 - beta1^t,  bc2 = 1 - beta2^t                        (f64)
/// g     = g + weight_decay * p                                  (skipped when 0)
/// m     = lerp(m, g, 1 - beta1)                                 (m + w * (g - m) for w < 0.5)
/// v     = v * beta2 + ((1 - beta2) * g) * g
/// denom = sqrt(v) / T(sqrt(bc2)) + eps
/// p     = p + (T(-lr / bc1) * m) / denom
/// ```
///
/// The state is two values of the model's type (`m`, `v`) and a `u32` step count. It
/// differs from PyTorch by rounding only: PyTorch's vectorised kernels fuse some
/// multiply-adds, and its step count is a float32 tensor (exact below 2^24 steps).
///
/// ```
/// use skipgrad::{Adam, Linear, Optimizer};
///
/// let mut model = Linear::<f64, 1, 1>::new([[1.0]], [0.0]);
/// let grads = Linear::<f64, 1, 1>::new([[0.5]], [-2.0]);
/// let mut adam = Adam::new();
/// adam.step(&mut model, &grads);
/// // The first step of Adam moves each parameter by about lr against its gradient's sign.
/// assert!((model.weight[0][0] - (1.0 - 1e-3)).abs() < 1e-10);
/// assert!((model.bias[0] - 1e-3).abs() < 1e-10);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Adam<T, M> {
    /// Learning rate (default `1e-3`).
    pub lr: f64,
    /// Decay of the first moment (default `0.9`).
    pub beta1: f64,
    /// Decay of the second moment (default `0.999`).
    pub beta2: f64,
    /// Added to the denominator (default `1e-8`).
    pub eps: f64,
    /// L2 penalty added to the gradient (default 0).
    pub weight_decay: f64,
    m: M,
    v: M,
    steps: u32,
    _scalar: core::marker::PhantomData<T>,
}

impl<T: Scalar, M: Params<T>> Default for Adam<T, M> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Scalar, M: Params<T>> Adam<T, M> {
    /// Adam with PyTorch's defaults and zeroed state.
    pub fn new() -> Self {
        Self {
            lr: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
            m: M::zeroed(),
            v: M::zeroed(),
            steps: 0,
            _scalar: core::marker::PhantomData,
        }
    }

    /// The same optimizer with learning rate `lr`.
    pub fn with_lr(self, lr: f64) -> Self {
        Self { lr, ..self }
    }

    /// The same optimizer with moment decays `beta1`, `beta2`.
    pub fn with_betas(self, beta1: f64, beta2: f64) -> Self {
        Self {
            beta1,
            beta2,
            ..self
        }
    }

    /// The same optimizer with denominator term `eps`.
    pub fn with_eps(self, eps: f64) -> Self {
        Self { eps, ..self }
    }

    /// The same optimizer with weight decay `weight_decay`.
    pub fn with_weight_decay(self, weight_decay: f64) -> Self {
        Self {
            weight_decay,
            ..self
        }
    }

    /// The first moment (`exp_avg`).
    pub fn first_moment(&self) -> &M {
        &self.m
    }

    /// The second moment (`exp_avg_sq`).
    pub fn second_moment(&self) -> &M {
        &self.v
    }

    /// Steps taken so far.
    pub fn steps(&self) -> u32 {
        self.steps
    }

    /// Forgets the moments and the step count.
    pub fn reset(&mut self) {
        self.m = M::zeroed();
        self.v = M::zeroed();
        self.steps = 0;
    }
}

/// `torch.lerp(start, end, weight)` on the CPU: two formulas, chosen by `|weight| < 0.5`.
#[inline(always)]
fn lerp<T: Scalar>(start: T, end: T, weight: T, small: bool) -> T {
    if small {
        start + weight * (end - start)
    } else {
        end - (end - start) * (T::ONE - weight)
    }
}

impl<T: Scalar, M: Params<T>> Optimizer<T, M> for Adam<T, M> {
    fn step(&mut self, model: &mut M, grads: &M) {
        self.steps = self.steps.saturating_add(1);
        let t = f64::from(self.steps);
        let bc1 = 1.0 - libm::pow(self.beta1, t);
        let bc2 = 1.0 - libm::pow(self.beta2, t);
        let neg_step_size = T::from_f64(-(self.lr / bc1));
        let bc2_sqrt = T::from_f64(libm::sqrt(bc2));
        let w1 = T::from_f64(1.0 - self.beta1);
        let small = w1.abs() < T::HALF;
        let b2 = T::from_f64(self.beta2);
        let w2 = T::from_f64(1.0 - self.beta2);
        let eps = T::from_f64(self.eps);
        let wd = T::from_f64(self.weight_decay);
        model.zip4(grads, &mut self.m, &mut self.v, &mut |p, g, m, v| {
            for (((p, g), m), v) in p.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
                let g = if wd == T::ZERO { *g } else { *g + wd * *p };
                *m = lerp(*m, g, w1, small);
                *v = *v * b2 + w2 * g * g;
                let denom = v.sqrt() / bc2_sqrt + eps;
                *p += neg_step_size * *m / denom;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::module::Zeroed;
    use crate::Linear;

    type Net = Linear<f64, 1, 1>;

    fn net(w: f64, b: f64) -> Net {
        Linear::new([[w]], [b])
    }

    /// Adam's documented rule, written out for one scalar in f64.
    fn by_hand(p0: f64, grads: &[f64], lr: f64, b1: f64, b2: f64, eps: f64, wd: f64) -> f64 {
        let (mut p, mut m, mut v) = (p0, 0.0, 0.0);
        for (i, g) in grads.iter().enumerate() {
            let t = (i + 1) as f64;
            let g = g + wd * p;
            m = b1 * m + (1.0 - b1) * g;
            v = b2 * v + (1.0 - b2) * g * g;
            let m_hat = m / (1.0 - b1.powf(t));
            let v_hat = v / (1.0 - b2.powf(t));
            // PyTorch adds eps to sqrt(v) / sqrt(bc2), that is to sqrt(v_hat).
            p -= lr * m_hat / (v_hat.sqrt() + eps);
        }
        p
    }

    #[test]
    fn first_step_moves_by_lr_against_the_sign() {
        // With m = (1-b1) g and v = (1-b2) g^2, the bias-corrected step is
        // lr * g / (|g| + eps).
        for g in [1e-3, 0.5, -2.0, 100.0] {
            let mut p = net(1.0, -1.0);
            let mut adam = Adam::new();
            adam.step(&mut p, &net(g, -g));
            let want = 1e-3 * g / (g.abs() + 1e-8);
            assert!(
                (1.0 - p.weight[0][0] - want).abs() < 1e-15,
                "g = {g}: {p:?}"
            );
            assert!((-1.0 - p.bias[0] + want).abs() < 1e-15, "g = {g}: {p:?}");
        }
    }

    #[test]
    fn several_steps_match_the_documented_rule() {
        let grads = [0.3, -0.1, 0.7, 0.05, -1.5];
        // (lr, beta1, beta2, eps, weight_decay)
        let configs = [
            (1e-3, 0.9, 0.999, 1e-8, 0.0),
            (0.05, 0.8, 0.99, 1e-6, 0.01),
            (0.1, 0.3, 0.9, 1e-3, 0.5),
        ];
        for (lr, b1, b2, eps, wd) in configs {
            let mut adam = Adam::new()
                .with_lr(lr)
                .with_betas(b1, b2)
                .with_eps(eps)
                .with_weight_decay(wd);
            let mut p = net(0.4, 0.4);
            for g in grads {
                adam.step(&mut p, &net(g, g));
            }
            let want = by_hand(0.4, &grads, lr, b1, b2, eps, wd);
            let got = p.weight[0][0];
            assert!(
                (got - want).abs() <= 1e-12 * want.abs(),
                "{lr} {b1} {b2} {eps} {wd}: {got} vs {want}"
            );
            assert_eq!(adam.steps(), 5);
        }
    }

    #[test]
    fn reset_clears_state() {
        let mut adam: Adam<f64, Net> = Adam::new();
        adam.step(&mut net(1.0, 1.0), &net(1.0, 1.0));
        assert_ne!(*adam.first_moment(), Net::zeroed());
        adam.reset();
        assert_eq!(adam.steps(), 0);
        assert_eq!(*adam.first_moment(), Net::zeroed());
        assert_eq!(*adam.second_moment(), Net::zeroed());
    }

    #[test]
    fn lerp_formulas_agree() {
        for w in [0.1, 0.49, 0.5, 0.7] {
            let a = lerp(2.0f64, -1.0, w, w < 0.5);
            assert!((a - (2.0 - 3.0 * w)).abs() < 1e-15);
        }
    }
}
