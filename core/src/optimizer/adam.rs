//! Adam, as `torch.optim.Adam` computes it.

use super::hyper::{self, HyperError, Range};
use super::{transact, NonFiniteUpdate, Optimizer, Pass};
use crate::number::Float;
use crate::params::image::{State, StateKind};
use crate::params::{Mut, Params};
use crate::zeroed::Zeroed;

/// Adam (`torch.optim.Adam`, `amsgrad=False`, L2 weight decay), with PyTorch's defaults:
/// `lr = 1e-3`, `betas = (0.9, 0.999)`, `eps = 1e-8`, `weight_decay = 0`. Floating point only:
/// a fixed-point model cannot use it (it does not compile).
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
/// The state is two values of the model's gradient type `G` (`m`, `v`) and a `u32` step
/// count. It differs from PyTorch by rounding only: PyTorch's vectorised kernels fuse some
/// multiply-adds, and its step count is a float32 tensor (exact below 2^24 steps).
///
/// ```
/// use skipgrad::{Adam, Linear, Optimizer};
///
/// let mut model = Linear::<f64, 1, 1>::new([[1.0]], [0.0]);
/// let mut grads = Linear::<f64, 1, 1>::new([[0.5]], [-2.0]);
/// let mut adam = Adam::new();
/// adam.update(&mut model, &mut grads)?;
/// // The first step of Adam moves each parameter by about lr against its gradient's sign.
/// assert!((model.weight[0][0] - (1.0 - 1e-3)).abs() < 1e-10);
/// assert!((model.bias[0] - 1e-3).abs() < 1e-10);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Adam<T, G> {
    lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
    m: G,
    v: G,
    steps: u32,
    _scalar: core::marker::PhantomData<T>,
}

impl<T: Float, G: Zeroed> Default for Adam<T, G> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Float, G: Zeroed> Adam<T, G> {
    /// Adam with PyTorch's defaults and zeroed state.
    pub fn new() -> Self {
        Self {
            lr: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
            m: G::ZERO,
            v: G::ZERO,
            steps: 0,
            _scalar: core::marker::PhantomData,
        }
    }

    /// The same optimizer with learning rate `lr` (finite, `> 0`, neither zero nor beyond the
    /// range of `T` once rounded to it).
    pub fn with_lr(self, lr: f64) -> Result<Self, HyperError> {
        hyper::check::<T>("lr", lr, Range::Positive)?;
        Ok(Self { lr, ..self })
    }

    /// The same optimizer with moment decays `beta1`, `beta2` (each in `[0, 1)`).
    pub fn with_betas(self, beta1: f64, beta2: f64) -> Result<Self, HyperError> {
        hyper::check::<T>("beta1", beta1, Range::UnitOpen)?;
        hyper::check::<T>("beta2", beta2, Range::UnitOpen)?;
        Ok(Self {
            beta1,
            beta2,
            ..self
        })
    }

    /// The same optimizer with denominator term `eps` (finite, `> 0`, not zero in `T`: with
    /// `eps = 0` a parameter whose gradient is always zero would divide zero by zero).
    pub fn with_eps(self, eps: f64) -> Result<Self, HyperError> {
        hyper::check::<T>("eps", eps, Range::Positive)?;
        Ok(Self { eps, ..self })
    }

    /// The same optimizer with weight decay `weight_decay` (finite, `>= 0`).
    pub fn with_weight_decay(self, weight_decay: f64) -> Result<Self, HyperError> {
        hyper::check::<T>("weight_decay", weight_decay, Range::NonNegative)?;
        Ok(Self {
            weight_decay,
            ..self
        })
    }

    /// The hyperparameters `(lr, beta1, beta2, eps, weight_decay)`.
    pub fn hyperparameters(&self) -> (f64, f64, f64, f64, f64) {
        (self.lr, self.beta1, self.beta2, self.eps, self.weight_decay)
    }

    /// The first moment (`exp_avg`).
    pub fn first_moment(&self) -> &G {
        &self.m
    }

    /// The second moment (`exp_avg_sq`).
    pub fn second_moment(&self) -> &G {
        &self.v
    }

    /// Steps taken so far.
    pub fn steps(&self) -> u32 {
        self.steps
    }

    /// Forgets the moments and the step count.
    pub fn reset(&mut self) {
        self.m = G::ZERO;
        self.v = G::ZERO;
        self.steps = 0;
    }
}

/// `torch.lerp(start, end, weight)` on the CPU: two formulas, chosen by `|weight| < 0.5`.
#[inline(always)]
fn lerp<T: Float>(start: T, end: T, weight: T, small: bool) -> T {
    if small {
        start + weight * (end - start)
    } else {
        end - (end - start) * (T::ONE - weight)
    }
}

impl<T: Float, M: Params<T>> Optimizer<T, M> for Adam<T, M::Grads> {
    fn update(&mut self, model: &mut M, grads: &mut M::Grads) -> Result<(), NonFiniteUpdate> {
        let steps = self.steps.saturating_add(1);
        let t = f64::from(steps);
        let bc1 = 1.0 - libm::pow(self.beta1, t);
        let bc2 = 1.0 - libm::pow(self.beta2, t);
        let neg_step_size = T::from_f64(-(self.lr / bc1));
        let bc2_sqrt = T::from_f64(libm::sqrt(bc2));
        let w1 = T::from_f64(1.0 - self.beta1);
        let small = w1.abs() < T::literal(0.5, 0.5);
        let b2 = T::from_f64(self.beta2);
        let w2 = T::from_f64(1.0 - self.beta2);
        let eps = T::from_f64(self.eps);
        let wd = T::from_f64(self.weight_decay);
        let rule = |p: T, g: T, m: T, v: T| {
            let g = if wd == T::ZERO { g } else { g + wd * p };
            let m = lerp(m, g, w1, small);
            let v = v * b2 + w2 * g * g;
            let denom = v.sqrt() / bc2_sqrt + eps;
            (p + neg_step_size * m / denom, m, v)
        };
        transact::<T, M, (Mut, Mut), _>(
            model,
            grads,
            (&mut self.m, &mut self.v),
            |pass, p, (g, (m, v))| {
                let mut ok = true;
                for (((p, g), m), v) in p
                    .iter_mut()
                    .zip(g.iter_mut())
                    .zip(m.iter_mut())
                    .zip(v.iter_mut())
                {
                    let (p2, m2, v2) = rule(*p, *g, *m, *v);
                    match pass {
                        Pass::Check => ok &= p2.is_finite() & m2.is_finite() & v2.is_finite(),
                        Pass::Write => (*p, *m, *v, *g) = (p2, m2, v2, T::ZERO),
                    }
                }
                ok
            },
        )?;
        self.steps = steps;
        Ok(())
    }
}

/// In a parameter [image](crate::params::image): the first moment, the second moment (never
/// negative), then the step count.
impl<T: Float, M: Params<T>> State<T, M> for Adam<T, M::Grads> {
    const KIND: StateKind = StateKind::Adam;
    const BUFFERS: usize = 2;
    const HAS_COUNTER: bool = true;

    fn buffer(&self, index: usize) -> Option<&M::Grads> {
        match index {
            0 => Some(&self.m),
            1 => Some(&self.v),
            _ => None,
        }
    }

    fn buffer_mut(&mut self, index: usize) -> Option<&mut M::Grads> {
        match index {
            0 => Some(&mut self.m),
            1 => Some(&mut self.v),
            _ => None,
        }
    }

    fn counter(&self) -> u32 {
        self.steps
    }

    fn set_counter(&mut self, counter: u32) {
        self.steps = counter;
    }

    fn value_valid(buffer: usize, value: T) -> bool {
        value.is_finite() && (buffer == 0 || value >= T::ZERO)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
            assert_eq!(adam.update(&mut p, &mut net(g, -g)), Ok(()));
            let want = 1e-3 * g / (g.abs() + 1e-8);
            assert!(
                (1.0 - p.weight[0][0] - want).abs() < 1e-15,
                "g = {g}: {p:?}"
            );
            assert!((-1.0 - p.bias[0] + want).abs() < 1e-15, "g = {g}: {p:?}");
        }
    }

    #[test]
    fn several_steps_match_the_documented_rule() -> Result<(), HyperError> {
        let grads = [0.3, -0.1, 0.7, 0.05, -1.5];
        // (lr, beta1, beta2, eps, weight_decay)
        let configs = [
            (1e-3, 0.9, 0.999, 1e-8, 0.0),
            (0.05, 0.8, 0.99, 1e-6, 0.01),
            (0.1, 0.3, 0.9, 1e-3, 0.5),
        ];
        for (lr, b1, b2, eps, wd) in configs {
            let mut adam = Adam::new()
                .with_lr(lr)?
                .with_betas(b1, b2)?
                .with_eps(eps)?
                .with_weight_decay(wd)?;
            let mut p = net(0.4, 0.4);
            for g in grads {
                assert_eq!(adam.update(&mut p, &mut net(g, g)), Ok(()));
            }
            let want = by_hand(0.4, &grads, lr, b1, b2, eps, wd);
            let got = p.weight[0][0];
            assert!(
                (got - want).abs() <= 1e-12 * want.abs(),
                "{lr} {b1} {b2} {eps} {wd}: {got} vs {want}"
            );
            assert_eq!(adam.steps(), 5);
        }
        Ok(())
    }

    #[test]
    fn reset_clears_state() {
        let mut adam: Adam<f64, Net> = Adam::new();
        assert_eq!(adam.update(&mut net(1.0, 1.0), &mut net(1.0, 1.0)), Ok(()));
        assert_ne!(*adam.first_moment(), Net::ZERO);
        adam.reset();
        assert_eq!(adam.steps(), 0);
        assert_eq!(*adam.first_moment(), Net::ZERO);
        assert_eq!(*adam.second_moment(), Net::ZERO);
    }

    /// An update whose second moment would overflow is refused: parameters, moments, step
    /// count and gradients unchanged.
    #[test]
    fn refused_update_changes_nothing() {
        let mut adam: Adam<f32, Linear<f32, 1, 1>> = Adam::new();
        let mut p = Linear::<f32, 1, 1>::new([[1.0]], [1.0]);
        assert_eq!(
            adam.update(&mut p, &mut Linear::new([[1.0]], [1.0])),
            Ok(())
        );
        let (p0, a0) = (p, adam.clone());
        // (1 - beta2) * g * g overflows f32: v would be inf (and p would not move, so only v
        // shows it).
        let mut g = Linear::<f32, 1, 1>::new([[1e30]], [0.0]);
        assert_eq!(adam.update(&mut p, &mut g), Err(NonFiniteUpdate));
        assert_eq!((p, &adam), (p0, &a0));
        assert_eq!(g.weight, [[1e30]]);
    }

    #[test]
    fn constructors_validate() {
        type A = Adam<f32, Net>;
        assert!(A::new().with_lr(1e38).is_ok());
        assert!(A::new().with_lr(1e-50).is_err());
        assert!(A::new().with_betas(1.0, 0.999).is_err());
        assert!(A::new().with_betas(0.9, f64::NAN).is_err());
        assert!(A::new().with_eps(0.0).is_err());
        assert!(A::new().with_weight_decay(-1e-3).is_err());
    }

    #[test]
    fn lerp_formulas_agree() {
        for w in [0.1, 0.49, 0.5, 0.7] {
            let a = lerp(2.0f64, -1.0, w, w < 0.5);
            assert!((a - (2.0 - 3.0 * w)).abs() < 1e-15);
        }
    }
}
