//! Stochastic gradient descent with momentum.

use super::hyper::{self, HyperError, Range};
use super::{transact, NonFiniteUpdate, Optimizer, Pass, Sgd};
use crate::number::Scalar;
use crate::params::image::{State, StateKind};
use crate::params::{Mut, Params};
use crate::zeroed::Zeroed;

/// SGD with momentum: PyTorch's `torch.optim.SGD(params, lr, momentum, dampening,
/// weight_decay)` (not Nesterov). `G` is the model's gradient type, which the buffer has.
///
/// Per parameter, in PyTorch's order, each operation rounded in `T`:
///
/// ```text
/// g   = g + weight_decay * p                  (skipped when weight_decay == 0)
/// buf = g                                     (first step)
/// buf = momentum * buf + (1 - dampening) * g  (later steps)
/// p   = p - lr * buf
/// ```
///
/// With `momentum == 0` it behaves as [`Sgd`] and leaves the buffer untouched, as PyTorch
/// does. `1 - dampening` is computed in `T` (PyTorch computes it in `f64` and rounds once;
/// the two agree for dampening 0 and within an ulp otherwise).
#[derive(Clone, Debug, PartialEq)]
pub struct SgdMomentum<T, G> {
    lr: T,
    weight_decay: T,
    momentum: T,
    dampening: T,
    buffer: G,
    started: bool,
}

impl<T: Scalar, G: Zeroed> SgdMomentum<T, G> {
    /// SGD with learning rate `lr` (finite, `> 0`) and momentum `momentum` (in `[0, 1)`), no
    /// dampening or weight decay.
    pub fn new(lr: f64, momentum: f64) -> Result<Self, HyperError> {
        Ok(Self {
            lr: hyper::check("lr", lr, Range::Positive)?,
            weight_decay: T::ZERO,
            momentum: hyper::check("momentum", momentum, Range::UnitOpen)?,
            dampening: T::ZERO,
            buffer: G::ZERO,
            started: false,
        })
    }

    /// The same optimizer with dampening `dampening` (in `[0, 1]`).
    pub fn with_dampening(self, dampening: f64) -> Result<Self, HyperError> {
        Ok(Self {
            dampening: hyper::check("dampening", dampening, Range::Unit)?,
            ..self
        })
    }

    /// The same optimizer with weight decay `weight_decay` (finite, `>= 0`).
    pub fn with_weight_decay(self, weight_decay: f64) -> Result<Self, HyperError> {
        Ok(Self {
            weight_decay: hyper::check("weight_decay", weight_decay, Range::NonNegative)?,
            ..self
        })
    }

    /// The hyperparameters `(lr, momentum, dampening, weight_decay)`.
    pub fn hyperparameters(&self) -> (T, T, T, T) {
        (self.lr, self.momentum, self.dampening, self.weight_decay)
    }

    /// The momentum buffer (all zero before the first step).
    pub fn buffer(&self) -> &G {
        &self.buffer
    }

    /// True once a step has filled the buffer.
    pub fn started(&self) -> bool {
        self.started
    }

    /// Forgets the buffer: the next step starts again from `buf = g`.
    pub fn reset(&mut self) {
        self.buffer = G::ZERO;
        self.started = false;
    }
}

impl<T: Scalar, M: Params<T>> Optimizer<T, M> for SgdMomentum<T, M::Grads> {
    #[inline]
    fn update(&mut self, model: &mut M, grads: &mut M::Grads) -> Result<(), NonFiniteUpdate> {
        let (lr, wd, mom) = (self.lr, self.weight_decay, self.momentum);
        if mom == T::ZERO {
            let mut sgd = Sgd {
                lr,
                weight_decay: wd,
                rounding: super::Nearest,
            };
            return sgd.update(model, grads);
        }
        let keep = T::ONE - self.dampening;
        let started = self.started;
        let rule = |p: T, g: T, b: T| {
            let g = if wd == T::ZERO { g } else { g + wd * p };
            let b = if started { b * mom + keep * g } else { g };
            (p - lr * b, b)
        };
        transact::<T, M, Mut, _>(model, grads, &mut self.buffer, |pass, p, (g, buf)| {
            let mut ok = true;
            for ((p, g), b) in p.iter_mut().zip(g.iter_mut()).zip(buf.iter_mut()) {
                let (p2, b2) = rule(*p, *g, *b);
                match pass {
                    // In fixed point the gradient too: a saturated one need not saturate
                    // the buffer or the parameter (for floats it would, and this is free).
                    Pass::Check => {
                        ok &= p2.is_finite()
                            & b2.is_finite()
                            & (T::NON_FINITE_PROPAGATES || g.is_finite());
                    }
                    Pass::Write => (*p, *b, *g) = (p2, b2, T::ZERO),
                }
            }
            ok
        })?;
        self.started = true;
        Ok(())
    }
}

/// In a parameter [image](crate::params::image): the buffer, then whether it started (0 or 1).
impl<T: Scalar, M: Params<T>> State<T, M> for SgdMomentum<T, M::Grads> {
    const KIND: StateKind = StateKind::SgdMomentum;
    const BUFFERS: usize = 1;
    const HAS_COUNTER: bool = true;

    fn buffer(&self, index: usize) -> Option<&M::Grads> {
        (index == 0).then_some(&self.buffer)
    }

    fn buffer_mut(&mut self, index: usize) -> Option<&mut M::Grads> {
        (index == 0).then_some(&mut self.buffer)
    }

    fn counter(&self) -> u32 {
        u32::from(self.started)
    }

    fn set_counter(&mut self, counter: u32) {
        self.started = counter != 0;
    }

    fn counter_valid(counter: u32) -> bool {
        counter <= 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Linear;

    type Net = Linear<f64, 2, 1>;

    fn net(w0: f64, w1: f64, b: f64) -> Net {
        Linear::new([[w0, w1]], [b])
    }

    fn close(a: &Net, b: &Net) -> bool {
        let (mut x, mut y) = ([0.0; 3], [0.0; 3]);
        a.store_flat(&mut x).is_ok()
            && b.store_flat(&mut y).is_ok()
            && x.iter()
                .zip(&y)
                .all(|(x, y)| (x - y).abs() <= 1e-15 * y.abs().max(1.0))
    }

    /// Three momentum steps with constant gradient `g`: buffers `g`, `1.9 g`, `2.71 g`
    /// (momentum 0.9), so the parameter moves by `lr * (1 + 1.9 + 2.71) g`.
    #[test]
    fn momentum_accumulates_as_documented() -> Result<(), HyperError> {
        let g = net(1.0, -2.0, 0.5);
        let mut p = net(0.0, 0.0, 0.0);
        let mut opt = SgdMomentum::<f64, Net>::new(0.1, 0.9)?;
        assert!(!opt.started());
        let mut moved = 0.0;
        for buf in [1.0, 1.9, 2.71] {
            let mut gs = g;
            assert_eq!(opt.update(&mut p, &mut gs), Ok(()));
            assert_eq!(gs, Net::ZERO);
            moved += 0.1 * buf;
            assert!(close(opt.buffer(), &net(buf, -2.0 * buf, 0.5 * buf)));
            assert!(close(&p, &net(-moved, 2.0 * moved, -0.5 * moved)), "{p:?}");
        }
        assert!(opt.started());
        opt.reset();
        assert!(!opt.started() && *opt.buffer() == Net::ZERO);
        Ok(())
    }

    /// Dampening scales the gradient's share after the first step only; weight decay is
    /// added before the buffer.
    #[test]
    fn dampening_and_weight_decay() -> Result<(), HyperError> {
        let mut p = net(1.0, 1.0, 1.0);
        let mut opt = SgdMomentum::<f64, Net>::new(0.5, 0.5)?
            .with_dampening(0.5)?
            .with_weight_decay(0.2)?;
        let mut zero = Net::ZERO;
        // Step 1: g' = 0.2, buf = 0.2, p = 1 - 0.1 = 0.9.
        assert_eq!(opt.update(&mut p, &mut zero), Ok(()));
        assert!(close(&p, &net(0.9, 0.9, 0.9)));
        // Step 2: g' = 0.18, buf = 0.5 * 0.2 + 0.5 * 0.18 = 0.19, p = 0.9 - 0.095 = 0.805.
        assert_eq!(opt.update(&mut p, &mut zero), Ok(()));
        assert!(close(&p, &net(0.805, 0.805, 0.805)), "{p:?}");
        assert!(close(opt.buffer(), &net(0.19, 0.19, 0.19)));
        Ok(())
    }

    #[test]
    fn zero_momentum_is_plain_sgd_and_keeps_no_buffer() -> Result<(), HyperError> {
        let g = net(1.0, 2.0, 3.0);
        let (mut a, mut b) = (net(1.0, 1.0, 1.0), net(1.0, 1.0, 1.0));
        let mut opt = SgdMomentum::<f64, Net>::new(0.1, 0.0)?.with_dampening(0.3)?;
        assert_eq!(opt.update(&mut a, &mut g.clone()), Ok(()));
        assert_eq!(Sgd::new(0.1)?.update(&mut b, &mut g.clone()), Ok(()));
        assert_eq!(a, b);
        assert!(*opt.buffer() == Net::ZERO && !opt.started());
        Ok(())
    }

    /// A refused update leaves the parameters, the buffer, the flag and the gradients alone.
    #[test]
    fn refused_update_changes_nothing() -> Result<(), HyperError> {
        let mut opt = SgdMomentum::<f32, Linear<f32, 1, 1>>::new(0.5, 0.9)?;
        let mut p = Linear::<f32, 1, 1>::new([[1.0]], [1.0]);
        assert_eq!(opt.update(&mut p, &mut Linear::new([[1.0]], [1.0])), Ok(()));
        let (p0, o0) = (p, opt.clone());
        let mut g = Linear::<f32, 1, 1>::new([[3e38]], [f32::NAN]);
        let g0 = g;
        assert_eq!(opt.update(&mut p, &mut g), Err(NonFiniteUpdate));
        assert_eq!(p, p0);
        assert_eq!(opt, o0);
        assert_eq!(g.weight, g0.weight);
        // Finite gradients whose update overflows the parameter.
        let mut opt = SgdMomentum::<f32, Linear<f32, 1, 1>>::new(10.0, 0.9)?;
        let mut g = Linear::<f32, 1, 1>::new([[3e38]], [0.0]);
        assert_eq!(opt.update(&mut p, &mut g), Err(NonFiniteUpdate));
        assert_eq!(p, p0);
        assert!(!opt.started());
        Ok(())
    }

    #[test]
    fn constructors_validate() {
        type O = SgdMomentum<f32, Net>;
        assert!(O::new(0.1, 1.0).is_err());
        assert!(O::new(0.1, -0.1).is_err());
        assert!(O::new(0.1, f64::NAN).is_err());
        assert!(O::new(f64::INFINITY, 0.9).is_err());
        assert!(O::new(0.1, 0.9)
            .and_then(|o| o.with_dampening(1.5))
            .is_err());
    }
}
