//! Stochastic gradient descent, with and without momentum.

use super::Optimizer;
use crate::params::Params;
use crate::scalar::Scalar;

/// Plain SGD: `p -= lr * (g + weight_decay * p)`.
///
/// Holds two scalars and no buffer (`size_of::<Sgd<f32>>() == 8`), and its step is one
/// multiply-add per parameter in `T` (no `f64` maths, no division): the optimizer for a
/// microcontroller. It is `torch.optim.SGD(params, lr, weight_decay=wd)` (momentum 0), with
/// PyTorch's order of operations: `g = g + wd * p` (skipped when `wd == 0`), then
/// `p = p + (-lr) * g`, each rounded in `T`.
///
/// ```
/// use skipgrad::{Linear, Optimizer, Sgd};
///
/// let mut model = Linear::<f32, 1, 1>::new([[1.0]], [0.0]);
/// let grads = Linear::<f32, 1, 1>::new([[0.5]], [-1.0]);
/// let mut sgd = Sgd::new(0.1);
/// sgd.step(&mut model, &grads);
/// assert_eq!((model.weight, model.bias), ([[0.95]], [0.1]));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sgd<T> {
    /// Learning rate.
    pub lr: T,
    /// L2 penalty added to the gradient (`weight_decay` in PyTorch); 0 disables it.
    pub weight_decay: T,
}

impl<T: Scalar> Sgd<T> {
    /// SGD with learning rate `lr`, no weight decay.
    pub fn new(lr: T) -> Self {
        Self {
            lr,
            weight_decay: T::ZERO,
        }
    }

    /// The same optimizer with weight decay `weight_decay`.
    pub fn with_weight_decay(self, weight_decay: T) -> Self {
        Self {
            weight_decay,
            ..self
        }
    }

    /// SGD with momentum `momentum` (and no dampening), keeping this learning rate and weight
    /// decay. The momentum buffer is a value of the model's type `M`.
    pub fn with_momentum<M: Params<T>>(self, momentum: T) -> SgdMomentum<T, M> {
        SgdMomentum {
            lr: self.lr,
            weight_decay: self.weight_decay,
            momentum,
            dampening: T::ZERO,
            buffer: M::zeroed(),
            started: false,
        }
    }
}

impl<T: Scalar, M: Params<T>> Optimizer<T, M> for Sgd<T> {
    #[inline]
    fn step(&mut self, model: &mut M, grads: &M) {
        let lr = self.lr;
        let wd = self.weight_decay;
        if wd == T::ZERO {
            model.zip2(grads, &mut |p, g| {
                for (p, g) in p.iter_mut().zip(g) {
                    *p -= lr * *g;
                }
            });
        } else {
            model.zip2(grads, &mut |p, g| {
                for (p, g) in p.iter_mut().zip(g) {
                    let g = *g + wd * *p;
                    *p -= lr * g;
                }
            });
        }
    }

    #[inline]
    fn step_and_zero(&mut self, model: &mut M, grads: &mut M) {
        let lr = self.lr;
        let wd = self.weight_decay;
        if wd == T::ZERO {
            model.zip2_mut(grads, &mut |p, g| update_and_zero(p, g, lr));
        } else {
            model.zip2_mut(grads, &mut |p, g| {
                for (p, g) in p.iter_mut().zip(g) {
                    let d = *g + wd * *p;
                    *p -= lr * d;
                    *g = T::ZERO;
                }
            });
        }
    }
}

/// `p -= lr * g; g = 0` over one tensor, three elements at a time written out: compilers
/// optimising for size keep a loop of three elements as a loop.
#[inline(always)]
fn update_and_zero<T: Scalar>(p: &mut [T], g: &mut [T], lr: T) {
    let update = |p: &mut T, g: &mut T| {
        *p -= lr * *g;
        *g = T::ZERO;
    };
    let (p3, p_rest) = p.as_chunks_mut::<3>();
    let (g3, g_rest) = g.as_chunks_mut::<3>();
    for ([p0, p1, p2], [g0, g1, g2]) in p3.iter_mut().zip(g3) {
        update(p0, g0);
        update(p1, g1);
        update(p2, g2);
    }
    for (p, g) in p_rest.iter_mut().zip(g_rest) {
        update(p, g);
    }
}

/// SGD with momentum: PyTorch's `torch.optim.SGD(params, lr, momentum, dampening,
/// weight_decay)` (not Nesterov).
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
/// the two agree for dampening 0 and within an ulp otherwise). The buffer is a value of the
/// model's type, so the state costs `size_of::<M>()` plus four scalars and a flag.
#[derive(Clone, Debug, PartialEq)]
pub struct SgdMomentum<T, M> {
    /// Learning rate.
    pub lr: T,
    /// L2 penalty added to the gradient; 0 disables it.
    pub weight_decay: T,
    /// Momentum factor.
    pub momentum: T,
    /// Dampening of the gradient's share of the buffer (PyTorch's `dampening`, default 0).
    pub dampening: T,
    buffer: M,
    started: bool,
}

impl<T: Scalar, M: Params<T>> SgdMomentum<T, M> {
    /// SGD with learning rate `lr` and momentum `momentum`, no dampening or weight decay.
    pub fn new(lr: T, momentum: T) -> Self {
        Sgd::new(lr).with_momentum(momentum)
    }

    /// The same optimizer with dampening `dampening`.
    pub fn with_dampening(self, dampening: T) -> Self {
        Self { dampening, ..self }
    }

    /// The same optimizer with weight decay `weight_decay`.
    pub fn with_weight_decay(self, weight_decay: T) -> Self {
        Self {
            weight_decay,
            ..self
        }
    }

    /// The momentum buffer (all zero before the first step).
    pub fn buffer(&self) -> &M {
        &self.buffer
    }

    /// True once a step has filled the buffer.
    pub fn started(&self) -> bool {
        self.started
    }

    /// Forgets the buffer: the next step starts again from `buf = g`.
    pub fn reset(&mut self) {
        self.buffer = M::zeroed();
        self.started = false;
    }
}

impl<T: Scalar, M: Params<T>> Optimizer<T, M> for SgdMomentum<T, M> {
    #[inline]
    fn step(&mut self, model: &mut M, grads: &M) {
        if self.momentum == T::ZERO {
            Sgd {
                lr: self.lr,
                weight_decay: self.weight_decay,
            }
            .step(model, grads);
            return;
        }
        let (lr, wd, mom) = (self.lr, self.weight_decay, self.momentum);
        let keep = T::ONE - self.dampening;
        let started = self.started;
        model.zip3(grads, &mut self.buffer, &mut |p, g, buf| {
            for ((p, g), b) in p.iter_mut().zip(g).zip(buf.iter_mut()) {
                let g = if wd == T::ZERO { *g } else { *g + wd * *p };
                *b = if started { *b * mom + keep * g } else { g };
                *p -= lr * *b;
            }
        });
        self.started = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::module::Zeroed;
    use crate::Linear;

    type Net = Linear<f64, 2, 1>;

    fn net(w0: f64, w1: f64, b: f64) -> Net {
        Linear::new([[w0, w1]], [b])
    }

    fn close(a: &Net, b: &Net) -> bool {
        let mut ok = true;
        let mut a = *a;
        a.zip2(b, &mut |x, y| {
            for (x, y) in x.iter().zip(y) {
                ok &= (x - y).abs() <= 1e-15 * y.abs().max(1.0);
            }
        });
        ok
    }

    /// One plain step, worked by hand: `p - lr * (g + wd * p)`.
    #[test]
    fn plain_step_table() {
        // (lr, wd, params, grads, expected)
        let cases = [
            (
                0.1,
                0.0,
                net(1.0, -2.0, 0.5),
                net(0.5, 1.0, -1.0),
                net(0.95, -2.1, 0.6),
            ),
            // g' = (0.5 + 0.1, 1 - 0.2, -1 + 0.05) = (0.6, 0.8, -0.95)
            (
                0.1,
                0.1,
                net(1.0, -2.0, 0.5),
                net(0.5, 1.0, -1.0),
                net(0.94, -2.08, 0.595),
            ),
            (
                0.5,
                0.0,
                net(0.0, 0.0, 0.0),
                net(2.0, -4.0, 0.0),
                net(-1.0, 2.0, 0.0),
            ),
        ];
        for (lr, wd, mut p, g, want) in cases {
            Sgd::new(lr).with_weight_decay(wd).step(&mut p, &g);
            assert!(close(&p, &want), "lr {lr} wd {wd}: {p:?} != {want:?}");
        }
    }

    /// Three momentum steps with constant gradient `g`: buffers `g`, `1.9 g`, `2.71 g`
    /// (momentum 0.9), so the parameter moves by `lr * (1 + 1.9 + 2.71) g`.
    #[test]
    fn momentum_accumulates_as_documented() {
        let g = net(1.0, -2.0, 0.5);
        let mut p = net(0.0, 0.0, 0.0);
        let mut opt = SgdMomentum::new(0.1, 0.9);
        assert!(!opt.started());
        let mut moved = 0.0;
        for buf in [1.0, 1.9, 2.71] {
            opt.step(&mut p, &g);
            moved += 0.1 * buf;
            assert!(close(opt.buffer(), &net(buf, -2.0 * buf, 0.5 * buf)));
            assert!(close(&p, &net(-moved, 2.0 * moved, -0.5 * moved)), "{p:?}");
        }
        assert!(opt.started());
        opt.reset();
        assert!(!opt.started() && *opt.buffer() == Net::zeroed());
    }

    /// Dampening scales the gradient's share after the first step only; weight decay is
    /// added before the buffer.
    #[test]
    fn dampening_and_weight_decay() {
        let mut p = net(1.0, 1.0, 1.0);
        let g = net(0.0, 0.0, 0.0);
        let mut opt = SgdMomentum::new(0.5, 0.5)
            .with_dampening(0.5)
            .with_weight_decay(0.2);
        // Step 1: g' = 0.2, buf = 0.2, p = 1 - 0.1 = 0.9.
        opt.step(&mut p, &g);
        assert!(close(&p, &net(0.9, 0.9, 0.9)));
        // Step 2: g' = 0.18, buf = 0.5 * 0.2 + 0.5 * 0.18 = 0.19, p = 0.9 - 0.095 = 0.805.
        opt.step(&mut p, &g);
        assert!(close(&p, &net(0.805, 0.805, 0.805)), "{p:?}");
        assert!(close(opt.buffer(), &net(0.19, 0.19, 0.19)));
    }

    #[test]
    fn zero_momentum_is_plain_sgd_and_keeps_no_buffer() {
        let g = net(1.0, 2.0, 3.0);
        let mut a = net(1.0, 1.0, 1.0);
        let mut b = a;
        let mut opt = SgdMomentum::new(0.1, 0.0).with_dampening(0.3);
        opt.step(&mut a, &g);
        Sgd::new(0.1).step(&mut b, &g);
        assert_eq!(a, b);
        assert!(*opt.buffer() == Net::zeroed() && !opt.started());
    }

    /// The fused update clears the gradients and moves the parameters exactly as `step`
    /// followed by `zero` does, through every container (tuple, `Residual`, array, `Gelu`).
    #[test]
    fn step_and_zero_is_step_then_zero_bit_for_bit() {
        use crate::{Gelu, Residual};
        type Deep = (
            Residual<(Linear<f32, 2, 2>, Gelu)>,
            [Linear<f32, 2, 2>; 2],
            Linear<f32, 2, 1>,
        );
        let model: Deep = crate::Params::torch_init(&mut crate::TorchInit::new(3));
        let grads: Deep = crate::Params::torch_init(&mut crate::TorchInit::new(4));
        // (lr, weight decay)
        for (lr, wd) in [(0.1f32, 0.0f32), (0.5, 0.01), (0.0, 0.0)] {
            let mut sgd = Sgd::new(lr).with_weight_decay(wd);
            let (mut want, mut fused, mut g) = (model, model, grads);
            sgd.step(&mut want, &grads);
            sgd.step_and_zero(&mut fused, &mut g);
            assert_eq!(fused, want, "lr {lr} wd {wd}");
            assert_eq!(g, Deep::zeroed(), "lr {lr} wd {wd}: gradients not cleared");
        }
    }

    /// Optimizers without their own `step_and_zero` get `step` then `zero`.
    #[test]
    fn default_step_and_zero_clears_after_the_step() {
        let g = net(1.0, -2.0, 0.5);
        let (mut a, mut b) = (net(1.0, 1.0, 1.0), net(1.0, 1.0, 1.0));
        let mut opt_a = SgdMomentum::new(0.1, 0.9);
        let mut opt_b = opt_a.clone();
        for _ in 0..3 {
            let mut gb = g;
            opt_a.step(&mut a, &g);
            opt_b.step_and_zero(&mut b, &mut gb);
            assert_eq!(a, b);
            assert_eq!(gb, Net::zeroed());
        }
    }

    #[test]
    fn plain_sgd_stores_no_buffer() {
        assert_eq!(core::mem::size_of::<Sgd<f32>>(), 8);
        assert_eq!(core::mem::size_of::<Sgd<f64>>(), 16);
    }
}
