//! The zero-cost baseline: the notebook network's SGD training step written by hand with
//! plain fixed-size arrays, next to the same step written with `skipgrad`.
//!
//! Both compute the same formula in the same operation order (sequential dot products,
//! the core's `f32` tanh, gradients accumulated into zeroed buffers, `p -= lr * g`), so after
//! any number of steps their weights are identical bit for bit (checked by the tests below)
//! and `benches/step.rs` compares only what the abstractions cost.
//!
//! The hand-written network has two backward passes: [`HandNet::step`] recomputes each
//! GELU's tanh from the cached pre-activation, the literal transcription of the formula, and
//! [`HandNet::step_cached_tanh`] reuses the tanh kept by the forward pass, as the core's
//! `Gelu` does by caching its derivative (half the `tanhf` calls). Both give the same bits.

use skipgrad::params::{self, Mut, Ref};
use skipgrad::{Float, Loss, Module, Mse, Params, Scalar};

use crate::notebook::WithShortcut;

/// The cache `skipgrad` keeps for the network with shortcuts.
pub type SkipCache<T> = <WithShortcut<T> as Module<[T; 3]>>::Cache;

/// One training step with `skipgrad`'s layers and walks, unguarded: forward, MSE gradient,
/// backward, plain SGD (`p -= lr * g` through [`params::zip`]), then the gradients are zeroed.
/// Returns the prediction made before the update. (The guarded step of
/// [`Trainer`](skipgrad::Trainer) is measured beside it by the benchmark.)
#[inline]
pub fn skipgrad_step<T: Float>(
    net: &mut WithShortcut<T>,
    grads: &mut WithShortcut<T>,
    cache: &mut SkipCache<T>,
    x: &[T; 3],
    target: T,
    lr: T,
) -> T {
    let y = net.forward(x, cache);
    let dy = Mse.sample_gradient(&y, &[target]);
    net.backward(cache, &dy, grads);
    params::zip::<(Mut, Ref), _, T, _>((&mut *net, &*grads), |_, (p, g)| {
        p.iter_mut().zip(g).for_each(|(p, g)| *p -= lr * *g);
    });
    grads.zero();
    y[0]
}

/// The notebook network with shortcuts as plain arrays: four residual `3 -> 3` blocks and a
/// `3 -> 1` head, PyTorch's row-major `weight[out][in]`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct HandNet {
    /// Weights of the four residual blocks.
    pub w: [[[f32; 3]; 3]; 4],
    /// Biases of the four residual blocks.
    pub b: [[f32; 3]; 4],
    /// Weight of the head (one row).
    pub w_out: [f32; 3],
    /// Bias of the head.
    pub b_out: f32,
}

/// What the hand-written backward pass needs: each block's input and pre-activation, and
/// the head's.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct HandCache {
    /// Input of each residual block.
    pub x: [[f32; 3]; 4],
    /// Pre-activation (`W x + b`) of each residual block.
    pub z: [[f32; 3]; 4],
    /// Input of the head.
    pub x_out: [f32; 3],
    /// Pre-activation of the head.
    pub z_out: f32,
    /// `tanh(sqrt(2/pi) * (z + 0.044715 z^3))` of each block's GELU.
    pub t: [[f32; 3]; 4],
    /// The same for the head's GELU.
    pub t_out: f32,
}

const SQRT_2_OVER_PI: f32 = 0.797_884_5;
const GELU_COEFF: f32 = 0.044_715;

#[inline(always)]
fn inner_tanh(x: f32) -> f32 {
    Float::tanh(SQRT_2_OVER_PI * (x + GELU_COEFF * (x * x * x)))
}

#[inline(always)]
fn gelu_from_tanh(x: f32, t: f32) -> f32 {
    0.5 * x * (1.0 + t)
}

#[inline(always)]
fn gelu_derivative(x: f32) -> f32 {
    gelu_derivative_from_tanh(x, inner_tanh(x))
}

#[inline(always)]
fn gelu_derivative_from_tanh(x: f32, t: f32) -> f32 {
    let sech2 = 1.0 - t * t;
    let slope = if sech2 == 0.0 {
        0.0
    } else {
        0.5 * x * sech2 * SQRT_2_OVER_PI * (1.0 + (3.0 * GELU_COEFF) * (x * x))
    };
    0.5 * (1.0 + t) + slope
}

#[inline(always)]
fn dot3(w: &[f32; 3], x: &[f32; 3]) -> f32 {
    0.0 + w[0] * x[0] + w[1] * x[1] + w[2] * x[2]
}

// Index loops over constant bounds are what "written by hand" means here.
#[allow(clippy::needless_range_loop)]
impl HandNet {
    /// Copies the parameters of a `skipgrad` model.
    pub fn from_model(m: &WithShortcut<f32>) -> Self {
        let blocks = [&m.0 .0 .0, &m.1 .0 .0, &m.2 .0 .0, &m.3 .0 .0];
        Self {
            w: blocks.map(|l| l.weight),
            b: blocks.map(|l| l.bias),
            w_out: m.4 .0.weight[0],
            b_out: m.4 .0.bias[0],
        }
    }

    /// The prediction, filling `cache`.
    #[inline]
    pub fn forward(&self, x: &[f32; 3], cache: &mut HandCache) -> f32 {
        let mut h = *x;
        for k in 0..4 {
            cache.x[k] = h;
            for j in 0..3 {
                cache.z[k][j] = dot3(&self.w[k][j], &cache.x[k]) + self.b[k][j];
            }
            for j in 0..3 {
                cache.t[k][j] = inner_tanh(cache.z[k][j]);
                h[j] = cache.x[k][j] + gelu_from_tanh(cache.z[k][j], cache.t[k][j]);
            }
        }
        cache.x_out = h;
        cache.z_out = dot3(&self.w_out, &h) + self.b_out;
        cache.t_out = inner_tanh(cache.z_out);
        gelu_from_tanh(cache.z_out, cache.t_out)
    }

    /// Adds the gradient of the loss into `g`, given `dy = dL/dy`. With `reuse_tanh`, each
    /// GELU derivative takes the tanh kept by `forward` instead of recomputing it.
    #[inline(always)]
    pub fn backward(&self, cache: &HandCache, dy: f32, g: &mut HandNet, reuse_tanh: bool) {
        let derivative = |z: f32, t: f32| {
            if reuse_tanh {
                gelu_derivative_from_tanh(z, t)
            } else {
                gelu_derivative(z)
            }
        };
        // Head: GELU, then the 3 -> 1 layer.
        let d = dy * derivative(cache.z_out, cache.t_out);
        g.b_out += d;
        let mut dh = [0.0f32; 3];
        for i in 0..3 {
            g.w_out[i] += d * cache.x_out[i];
            dh[i] += self.w_out[i] * d;
        }
        // Residual blocks, last to first: dx = dy + W^T (dy * gelu'(z)).
        for k in (0..4).rev() {
            let mut dz = dh;
            for j in 0..3 {
                dz[j] *= derivative(cache.z[k][j], cache.t[k][j]);
            }
            let mut dx = [0.0f32; 3];
            for j in 0..3 {
                g.b[k][j] += dz[j];
                for i in 0..3 {
                    g.w[k][j][i] += dz[j] * cache.x[k][i];
                    dx[i] += self.w[k][j][i] * dz[j];
                }
            }
            for i in 0..3 {
                dh[i] += dx[i];
            }
        }
    }

    /// One training step: forward, MSE gradient, backward into `g` (recomputing each tanh),
    /// `p -= lr * g`, then `g` is zeroed. Returns the prediction made before the update.
    #[inline]
    pub fn step(
        &mut self,
        g: &mut HandNet,
        cache: &mut HandCache,
        x: &[f32; 3],
        target: f32,
        lr: f32,
    ) -> f32 {
        self.step_impl(g, cache, x, target, lr, false)
    }

    /// [`HandNet::step`] with the backward pass reusing the forward pass's tanh values.
    #[inline]
    pub fn step_cached_tanh(
        &mut self,
        g: &mut HandNet,
        cache: &mut HandCache,
        x: &[f32; 3],
        target: f32,
        lr: f32,
    ) -> f32 {
        self.step_impl(g, cache, x, target, lr, true)
    }

    #[inline(always)]
    fn step_impl(
        &mut self,
        g: &mut HandNet,
        cache: &mut HandCache,
        x: &[f32; 3],
        target: f32,
        lr: f32,
        reuse_tanh: bool,
    ) -> f32 {
        let y = self.forward(x, cache);
        let dy = (2.0 / 1.0) * (y - target);
        self.backward(cache, dy, g, reuse_tanh);
        for k in 0..4 {
            for j in 0..3 {
                for i in 0..3 {
                    self.w[k][j][i] -= lr * g.w[k][j][i];
                }
            }
            for j in 0..3 {
                self.b[k][j] -= lr * g.b[k][j];
            }
        }
        for i in 0..3 {
            self.w_out[i] -= lr * g.w_out[i];
        }
        self.b_out -= lr * g.b_out;
        *g = HandNet::default();
        y
    }

    /// Every parameter in PyTorch's order (each block's weight then bias, then the head).
    pub fn flat(&self) -> Vec<f32> {
        let mut v = Vec::new();
        for k in 0..4 {
            v.extend(self.w[k].as_flattened());
            v.extend(&self.b[k]);
        }
        v.extend(&self.w_out);
        v.push(self.b_out);
        v
    }
}

/// Every parameter of a `skipgrad` model in registration order.
pub fn flat<T: Scalar, M: Params<T>>(m: &M) -> Vec<T> {
    crate::gradcheck::flatten(m)
}

/// The samples the benchmark cycles through: the notebook's input and a few others, with
/// targets.
pub const SAMPLES: [([f32; 3], f32); 4] = [
    ([1.0, 0.0, -1.0], 0.0),
    ([-1.0, 0.5, 2.0], 0.5),
    ([0.25, -2.0, 3.0], 1.5),
    ([2.0, 2.0, -0.5], -0.25),
];

/// The learning rate of the benchmark.
pub const LR: f32 = 0.01;

#[cfg(test)]
mod tests {
    use super::*;
    use skipgrad::{TorchInit, Zeroed};

    fn bits(v: &[f32]) -> Vec<u32> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    /// Runs `steps` steps both ways from the same initial weights; both must agree bit for
    /// bit on every prediction and every weight.
    fn both_ways(seed: u64, steps: usize) {
        let mut net: WithShortcut<f32> = Params::torch_init(&mut TorchInit::new(seed));
        let mut grads = WithShortcut::<f32>::ZERO;
        let mut cache = SkipCache::<f32>::ZERO;
        let mut hand = HandNet::from_model(&net);
        let mut cached = hand;
        let (mut hg, mut hc) = (HandNet::default(), HandCache::default());
        assert_eq!(bits(&hand.flat()), bits(&flat(&net)));
        for (s, (x, t)) in SAMPLES.iter().cycle().take(steps).enumerate() {
            let a = skipgrad_step(&mut net, &mut grads, &mut cache, x, *t, LR);
            let b = hand.step(&mut hg, &mut hc, x, *t, LR);
            let c = cached.step_cached_tanh(&mut hg, &mut hc, x, *t, LR);
            assert_eq!(a.to_bits(), b.to_bits(), "seed {seed}, step {s}");
            assert_eq!(a.to_bits(), c.to_bits(), "seed {seed}, step {s}");
        }
        assert_eq!(bits(&hand.flat()), bits(&flat(&net)), "seed {seed}");
        assert_eq!(bits(&cached.flat()), bits(&flat(&net)), "seed {seed}");
        // The weights moved: the comparison is not between two idle models.
        let start: WithShortcut<f32> = Params::torch_init(&mut TorchInit::new(seed));
        assert_ne!(bits(&flat(&start)), bits(&flat(&net)));
    }

    #[test]
    #[cfg_attr(
        feature = "micromath",
        ignore = "the hand-written step uses libm's tanhf"
    )]
    fn hand_written_step_is_bit_identical_to_skipgrad() {
        for seed in [123, 0, 7, 2024] {
            both_ways(seed, 1000);
        }
    }
}
