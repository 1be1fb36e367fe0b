//! Plain stochastic gradient descent.

use super::hyper::{self, HyperError, Range};
use super::rounding::{Nearest, Rounding, Stochastic};
use super::{NonFiniteUpdate, Optimizer};
use crate::number::Scalar;
use crate::params::image::{State, StateKind};
use crate::params::{zip_trainable, Mut, Params, Ref};
use crate::zeroed::Zeroed;

/// Plain SGD: `p -= lr * (g + weight_decay * p)`.
///
/// Holds two scalars and no buffer (`size_of::<Sgd<f32>>() == 8`), and its step is one
/// multiply-add per parameter in `T`: the optimizer for a microcontroller. It is
/// `torch.optim.SGD(params, lr, weight_decay=wd)` (momentum 0), with PyTorch's order of
/// operations: `g = g + wd * p` (skipped when `wd == 0`), then `p = p + (-lr) * g`, each
/// rounded in `T`.
///
/// ```
/// use skipgrad::{Linear, Optimizer, Sgd};
///
/// let mut model = Linear::<f32, 1, 1>::new([[1.0]], [0.0]);
/// let mut grads = Linear::<f32, 1, 1>::new([[0.5]], [-1.0]);
/// let mut sgd = Sgd::new(0.1)?;
/// sgd.update(&mut model, &mut grads)?;
/// assert_eq!((model.weight, model.bias), ([[0.95]], [0.1]));
/// assert_eq!(grads.bias, [0.0]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// `R` is how `lr * g` is rounded: [`Nearest`] (zero-sized, the default), or [`Stochastic`]
/// (`with_stochastic_rounding`), which keeps updates below the resolution of a fixed-point
/// type from vanishing (see [`rounding`](super::rounding)).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sgd<T, R = Nearest> {
    pub(crate) lr: T,
    pub(crate) weight_decay: T,
    pub(crate) rounding: R,
}

impl<T: Scalar> Sgd<T> {
    /// SGD with learning rate `lr` (finite, `> 0`, neither zero nor beyond the range of `T`
    /// once rounded to it), no weight decay.
    pub fn new(lr: f64) -> Result<Self, HyperError> {
        Ok(Self {
            lr: hyper::check("lr", lr, Range::Positive)?,
            weight_decay: T::ZERO,
            rounding: Nearest,
        })
    }

    /// The same optimizer rounding `lr * g` at random ([`Stochastic`]) from a generator
    /// seeded with `seed`.
    pub fn with_stochastic_rounding(self, seed: u32) -> Sgd<T, Stochastic> {
        Sgd {
            lr: self.lr,
            weight_decay: self.weight_decay,
            rounding: Stochastic::new(seed),
        }
    }
}

impl<T: Scalar, R: Rounding> Sgd<T, R> {
    /// The same optimizer with weight decay `weight_decay` (finite, `>= 0`).
    pub fn with_weight_decay(self, weight_decay: f64) -> Result<Self, HyperError> {
        Ok(Self {
            weight_decay: hyper::check("weight_decay", weight_decay, Range::NonNegative)?,
            ..self
        })
    }

    /// The learning rate.
    pub fn lr(&self) -> T {
        self.lr
    }

    /// The weight decay.
    pub fn weight_decay(&self) -> T {
        self.weight_decay
    }

    /// The rounding (and its generator's state).
    pub fn rounding(&self) -> &R {
        &self.rounding
    }
}

/// In a parameter [image](crate::params::image): nothing (SGD with rounding to nearest keeps no
/// state), so its image is the model's alone. Stochastic rounding's generator is not saved.
impl<T: Scalar, M: Params<T>> State<T, M> for Sgd<T> {
    const KIND: StateKind = StateKind::None;
}

impl<T: Scalar, M: Params<T>, R: Rounding> Optimizer<T, M> for Sgd<T, R> {
    /// One pass: each new value is written in place and the old one is kept in its
    /// gradient's slot; if any new value is not finite (a gradient that is not, or an update
    /// that overflows), a second pass puts the old values back, exactly, and the update is
    /// refused with nothing changed (the rounding's generator too).
    #[inline]
    fn update(&mut self, model: &mut M, grads: &mut M::Grads) -> Result<(), NonFiniteUpdate> {
        // The generator is copied, and stored back only if the update is kept: no pointer
        // into `self` escapes into the walk, so the compiler still sees `lr` and `wd` as
        // constants of the caller's optimizer.
        let (lr, wd, mut rounding) = (self.lr, self.weight_decay, self.rounding);
        if wd != T::ZERO {
            // In fixed point, decay could bring a saturated gradient back into range: the
            // gradients as they came are checked first (nothing for floats, where a NaN or
            // infinite gradient stays so).
            if !T::NON_FINITE_PROPAGATES && !M::grads_finite(grads) {
                return Err(NonFiniteUpdate);
            }
            // `g + wd * p` first, in place: the gradients are scratch space.
            zip_trainable::<Ref, Mut, M, T, _>(&*model, &mut *grads, |_, p, g| decay(wd, p, g));
        }
        let mut probe = T::PROBE;
        // The closure is inlined into each layer's walk, where the tensor's length is a
        // constant: a 3-wide layer then steps in straight-line code. Left to the compiler, it
        // can stay one out-of-line loop over any length (a division by 3 and two loops per
        // tensor: ~200 more instructions per step of the Cortex-M4F's f32 minimal trainer).
        zip_trainable::<Mut, Mut, M, T, _>(
            &mut *model,
            &mut *grads,
            #[inline(always)]
            |_, p, g| step_keeping_old(p, g, lr, &mut rounding, &mut probe),
        );
        if T::probe_ok(probe) {
            *grads = M::Grads::ZERO;
            self.rounding = rounding;
            Ok(())
        } else {
            undo(model, grads);
            Err(NonFiniteUpdate)
        }
    }
}

/// Puts back the old values that [`step_keeping_old`] kept in the gradients' slots.
#[cold]
#[inline(never)]
fn undo<T: Scalar, M: Params<T>>(model: &mut M, kept: &M::Grads) {
    zip_trainable::<Mut, Ref, M, T, _>(model, kept, |_, p, old| {
        p.iter_mut().zip(old).for_each(|(p, old)| *p = *old);
    });
}

/// `p -= lr * g` over one tensor, keeping each old `p` in its `g`'s slot and folding every
/// new value (and, in fixed point, every gradient: [`Scalar::probe_update`]) into the probe.
/// Three elements per loop turn, written out: compilers optimising for size keep a loop of
/// three elements as a loop.
#[inline(always)]
fn step_keeping_old<T: Scalar, R: Rounding>(
    p: &mut [T],
    g: &mut [T],
    lr: T,
    rounding: &mut R,
    probe: &mut T::Probe,
) {
    // The probe in a local for the tensor's loop: through the pointer, every store to `p` or
    // `g` could alias it, and it would be loaded and stored once per element.
    let mut folded = *probe;
    let mut step = |p: &mut T, g: &mut T| {
        let old = *p;
        *p = old - rounding.product(lr, *g);
        folded = T::probe_update(folded, *p, *g);
        *g = old;
    };
    let (p3, p_rest) = p.as_chunks_mut::<3>();
    let (g3, g_rest) = g.as_chunks_mut::<3>();
    for ([p0, p1, p2], [g0, g1, g2]) in p3.iter_mut().zip(g3) {
        step(p0, g0);
        step(p1, g1);
        step(p2, g2);
    }
    for (p, g) in p_rest.iter_mut().zip(g_rest) {
        step(p, g);
    }
    *probe = folded;
}

/// `g += wd * p` over one tensor. Out of line: one shared copy, called for each tensor, keeps
/// a microcontroller's flash small when weight decay is not used.
#[inline(never)]
fn decay<T: Scalar>(wd: T, p: &[T], g: &mut [T]) {
    for (p, g) in p.iter().zip(g.iter_mut()) {
        *g += wd * *p;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Linear, Zeroed};

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

    /// One plain step, worked by hand: `p - lr * (g + wd * p)`.
    #[test]
    fn plain_step_table() -> Result<(), HyperError> {
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
        for (lr, wd, mut p, mut g, want) in cases {
            let result = Sgd::new(lr)?.with_weight_decay(wd)?.update(&mut p, &mut g);
            assert_eq!(result, Ok(()));
            assert!(close(&p, &want), "lr {lr} wd {wd}: {p:?} != {want:?}");
            assert_eq!(g, Net::ZERO, "gradients cleared");
        }
        Ok(())
    }

    /// An update that would overflow is refused and writes nothing.
    #[test]
    fn overflowing_update_is_refused() -> Result<(), HyperError> {
        for wd in [0.0, 0.5] {
            let mut p = Linear::<f32, 2, 1>::new([[1.0, 3e38]], [0.0]);
            let mut g = Linear::<f32, 2, 1>::new([[1.0, -1e38]], [1.0]);
            let (p0, g0) = (p, g);
            let got = Sgd::new(10.0)?
                .with_weight_decay(wd)?
                .update(&mut p, &mut g);
            assert_eq!(got, Err(NonFiniteUpdate), "wd {wd}");
            assert_eq!(p, p0, "wd {wd}");
            // A non-finite gradient is refused the same way.
            let mut g = Linear::<f32, 2, 1>::new([[1.0, f32::NAN]], [1.0]);
            let got = Sgd::new(1e-3)?
                .with_weight_decay(wd)?
                .update(&mut p, &mut g);
            assert_eq!(got, Err(NonFiniteUpdate), "wd {wd}");
            assert_eq!(p, p0, "wd {wd}");
            let _ = g0;
        }
        Ok(())
    }

    #[test]
    fn constructors_validate() {
        assert!(Sgd::<f32>::new(f64::NAN).is_err());
        assert!(Sgd::<f32>::new(0.0).is_err());
        assert!(Sgd::<f32>::new(-0.1).is_err());
        assert!(Sgd::<f32>::new(1e-50).is_err());
        assert!(Sgd::<f64>::new(1e-50).is_ok());
        assert!(Sgd::<f32>::new(0.1)
            .and_then(|s| s.with_weight_decay(-1.0))
            .is_err());
    }

    /// The fused update clears the gradients and moves the parameters exactly as the plain
    /// loop does, through every container (tuple, `Residual`, array, `Gelu`).
    #[test]
    fn update_is_the_plain_loop_bit_for_bit() -> Result<(), HyperError> {
        use crate::{Gelu, Residual, TorchInit};
        type Deep = (
            Residual<(Linear<f32, 2, 2>, Gelu)>,
            [Linear<f32, 2, 2>; 2],
            Linear<f32, 2, 1>,
        );
        let model: Deep = crate::Params::torch_init(&mut TorchInit::new(3));
        let grads: Deep = crate::Params::torch_init(&mut TorchInit::new(4));
        for (lr, wd) in [(0.1f32, 0.0f32), (0.5, 0.01)] {
            let (mut fused, mut g) = (model, grads);
            let result = Sgd::new(f64::from(lr))?
                .with_weight_decay(f64::from(wd))?
                .update(&mut fused, &mut g);
            assert_eq!(result, Ok(()));
            let (mut want, mut gw) = ([0.0f32; 21], [0.0f32; 21]);
            let mut got = [0.0f32; 21];
            let ok = model.store_flat(&mut want).is_ok()
                && grads.store_flat(&mut gw).is_ok()
                && fused.store_flat(&mut got).is_ok();
            assert!(ok);
            for (p, g) in want.iter_mut().zip(&gw) {
                let d = if wd == 0.0 { *g } else { *g + wd * *p };
                *p -= lr * d;
            }
            assert_eq!(
                got.map(f32::to_bits),
                want.map(f32::to_bits),
                "lr {lr} wd {wd}"
            );
            assert_eq!(g, Deep::ZERO, "lr {lr} wd {wd}: gradients not cleared");
        }
        Ok(())
    }

    #[test]
    fn plain_sgd_stores_no_buffer() {
        assert_eq!(core::mem::size_of::<Sgd<f32>>(), 8);
        assert_eq!(core::mem::size_of::<Sgd<f64>>(), 16);
        assert_eq!(core::mem::size_of::<Sgd<crate::Q16, Stochastic>>(), 12);
    }

    /// Stochastic rounding: in floating point the same as to nearest; a refused update puts
    /// the generator back too.
    #[test]
    fn stochastic_rounding_is_a_transaction() -> Result<(), HyperError> {
        use crate::Q16;
        let (p0, g0) = (net(1.0, -2.0, 0.5), net(0.5, 1.0, -1.0));
        let (mut a, mut b) = (p0, p0);
        assert_eq!(Sgd::new(0.1)?.update(&mut a, &mut g0.clone()), Ok(()));
        let mut sgd = Sgd::new(0.1)?.with_stochastic_rounding(3);
        assert_eq!(sgd.update(&mut b, &mut g0.clone()), Ok(()));
        assert_eq!(a, b);
        type Q = Linear<Q16, 1, 1>;
        let q = |w: f64, b: f64| Q::new([[Q16::from_f64(w)]], [Q16::from_f64(b)]);
        let mut sgd = Sgd::new(0.01)?.with_stochastic_rounding(3);
        let mut p = q(1.0, 1.0);
        assert_eq!(sgd.update(&mut p, &mut q(0.001, 0.5)), Ok(()));
        let (p1, s1) = (p, sgd);
        let mut g = q(0.25, 0.0);
        g.bias[0] = Q16::MAX;
        assert_eq!(sgd.update(&mut p, &mut g), Err(NonFiniteUpdate));
        assert_eq!((p, sgd), (p1, s1));
        Ok(())
    }
}
