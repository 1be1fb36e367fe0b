//! Plain stochastic gradient descent.

use super::hyper::{self, HyperError, Range};
use super::rounding::{Nearest, Rounding, Stochastic};
use super::{NonFiniteUpdate, Optimizer};
use crate::layer::dispatch;
use crate::number::Scalar;
use crate::params::image::{State, StateKind};
use crate::params::{zip_trainable, Mut, Params, Ref};

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
    /// Two passes, and the model is written only in the second:
    ///
    /// 1. **stage**: each new value `p - lr * g` is computed and written into its gradient's
    ///    slot (the gradient is not needed after it), and folded into a finiteness probe;
    /// 2. **commit**, only if every new value is finite: the new values are copied into the
    ///    model and the gradients cleared, in one pass.
    ///
    /// A refused update (a gradient that is not finite, or an update that overflows) has
    /// written nothing but the gradients, which the caller clears ([`Trainer`] does); the
    /// rounding's generator is left as it was.
    ///
    /// Against writing the model in place, keeping each old value in its gradient's slot to
    /// undo a refusal and clearing the gradients afterwards (three passes over the
    /// gradients), this stores each value once and clears the gradients in the pass that
    /// commits: on a Cortex-M4F about 7 instructions per parameter of a long tensor instead
    /// of 13. On a host (any target with an operating system) floats take that in-place form
    /// instead, with the probe in vector lanes (`update_in_place`): there the staged form's
    /// one chain of probe additions and its copy cost more than the stores it saves. Both
    /// give the same bits and the same transaction.
    ///
    /// [`Trainer`]: crate::Trainer
    #[inline]
    fn update(&mut self, model: &mut M, grads: &mut M::Grads) -> Result<(), NonFiniteUpdate> {
        self.update_with(model, grads, IN_PLACE)
    }
}

impl<T: Scalar, R: Rounding> Sgd<T, R> {
    /// [`Optimizer::update`], in place where `in_place` is true and the number type allows it
    /// (floats), staged otherwise. A constant where it is called ([`IN_PLACE`]); the tests
    /// call it with both, so a host checks the staged form a microcontroller runs.
    #[inline(always)]
    fn update_with<M: Params<T>>(
        &mut self,
        model: &mut M,
        grads: &mut M::Grads,
        in_place: bool,
    ) -> Result<(), NonFiniteUpdate> {
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
        if in_place && T::UNROLL && T::NON_FINITE_PROPAGATES {
            return self.update_in_place(model, grads, rounding);
        }
        let mut probe = T::PROBE;
        // The closure is inlined into each layer's walk, where the tensor's length is a
        // constant: a 3-wide layer then steps in straight-line code. Left to the compiler, it
        // can stay one out-of-line loop over any length (a division by 3 and two loops per
        // tensor: ~200 more instructions per step of the Cortex-M4F's f32 minimal trainer).
        zip_trainable::<Ref, Mut, M, T, _>(
            &*model,
            &mut *grads,
            #[inline(always)]
            |_, p, g| stage(p, g, lr, &mut rounding, &mut probe),
        );
        if !T::probe_ok(probe) {
            return Err(NonFiniteUpdate);
        }
        zip_trainable::<Mut, Mut, M, T, _>(
            model,
            grads,
            #[inline(always)]
            |_, p, g| commit(p, g),
        );
        self.rounding = rounding;
        Ok(())
    }

    /// The update of a host's floats ([`IN_PLACE`]), in two passes of which the second only
    /// clears the gradients when the update is kept:
    ///
    /// 1. **step**, in the best instruction set of the CPU (with the `dispatch` feature): each
    ///    parameter takes its new value `p - lr * g` in place and its old value goes into the
    ///    gradient's slot; the finiteness probe runs in [`LANES`] independent sums
    ///    ([`step_in_place`]), so the loop vectorises;
    /// 2. **finish**: if every new value is finite, the gradients are cleared (a `memset`);
    ///    otherwise the old values are copied back from the gradients' slots first, so a
    ///    refused update leaves the model exactly as it was.
    ///
    /// The same arithmetic per parameter as the staged update, in the same order, so the same
    /// bits; only the probe's sums run in another order, and only whether it is zero matters.
    #[inline(always)]
    fn update_in_place<M: Params<T>>(
        &mut self,
        model: &mut M,
        grads: &mut M::Grads,
        mut rounding: R,
    ) -> Result<(), NonFiniteUpdate> {
        let lr = self.lr;
        let mut probe = T::PROBE;
        zip_trainable::<Mut, Mut, M, T, _>(
            &mut *model,
            &mut *grads,
            #[inline(always)]
            |_, p, g| step_in_place(p, g, lr, &mut rounding, &mut probe),
        );
        let keep = T::probe_ok(probe);
        zip_trainable::<Mut, Mut, M, T, _>(model, grads, |_, p, g| {
            if !keep {
                p.copy_from_slice(g);
            }
            g.fill(T::ZERO);
        });
        if !keep {
            return Err(NonFiniteUpdate);
        }
        self.rounding = rounding;
        Ok(())
    }
}

/// Whether floats update in place ([`Sgd::update_in_place`]: the probe in vector lanes, the
/// old values kept in the gradients' slots, a refusal undone) rather than staged (the new
/// values into the gradients' slots, then copied into the model). On a host, where the
/// staged update's probe was one chain of dependent additions (four cycles per parameter on
/// x86-64) and its commit a copy as well as a clear. Not on a microcontroller
/// (`target_os = "none"`): there the staged update takes fewer instructions per parameter
/// (a store of the new value and a block copy, against a store of each of two values and a
/// block clear) and keeps one probe register, and its figures are the ones measured.
const IN_PLACE: bool = !cfg!(target_os = "none");

/// How many independent sums the in-place update's probe runs in: 16 `f32` fill one
/// AVX-512 vector (four SSE2 ones).
const LANES: usize = 16;

/// `p = p - lr * g` over one tensor, each old `p` kept in `g`, every new value folded into
/// `probe`: in blocks of [`LANES`] values, each lane of the block into its own partial probe
/// (`sum + new * 0`, zero while every value is finite, NaN from the first that is not: the
/// number type propagates non-finite values, [`Scalar::NON_FINITE_PROPAGATES`]), so the
/// compiler vectorises the block (with the `dispatch` feature in the best instruction set of
/// the CPU); the rest one by one. The partial probes are folded into `probe` at the end of
/// the tensor. A tensor of fewer than [`LANES`] values (a 3-wide layer) takes the plain loop
/// alone: no dispatch, no partial probes.
#[inline(always)]
fn step_in_place<T: Scalar, R: Rounding>(
    p: &mut [T],
    g: &mut [T],
    lr: T,
    rounding: &mut R,
    probe: &mut T::Probe,
) {
    let (p16, p_rest) = p.as_chunks_mut::<LANES>();
    let (g16, g_rest) = g.as_chunks_mut::<LANES>();
    let mut folded = *probe;
    if !p16.is_empty() {
        let mut lanes = dispatch::vectorized(
            #[inline(always)]
            |_| {
                let mut lanes = [T::ZERO; LANES];
                for (p, g) in p16.iter_mut().zip(g16) {
                    // A block at a time, as values: the compiler then loads and stores each
                    // block as vectors.
                    let old = *p;
                    let mut new = old;
                    for ((new, g), lane) in new.iter_mut().zip(&*g).zip(&mut lanes) {
                        *new -= rounding.product(lr, *g);
                        *lane += *new * T::ZERO;
                    }
                    *p = new;
                    *g = old;
                }
                lanes
            },
        );
        // By halves, so that the additions stay in vectors too.
        let mut width = LANES / 2;
        while width > 0 {
            let (low, high) = lanes.split_at_mut(width);
            for (l, h) in low.iter_mut().zip(&*high) {
                *l += *h;
            }
            width /= 2;
        }
        folded = T::probe(folded, lanes[0]);
    }
    for (p, g) in p_rest.iter_mut().zip(g_rest) {
        let old = *p;
        *p = old - rounding.product(lr, *g);
        *g = old;
        folded = T::probe(folded, *p);
    }
    *probe = folded;
}

/// Tensors of at least this many values step sixteen values per loop turn.
const LONG: usize = 16;

/// `g = p - lr * g` over one tensor: each gradient's slot receives its parameter's new value,
/// folded into the probe (with, in fixed point, the gradient: [`Scalar::probe_update`]).
///
/// Three elements per loop turn for a short tensor, sixteen for a long one, written out:
/// compilers optimising for size keep a loop of three elements as a loop, and the length is a
/// constant where this is inlined (each layer's walk), so only one of the two is compiled.
#[inline(always)]
fn stage<T: Scalar, R: Rounding>(
    p: &[T],
    g: &mut [T],
    lr: T,
    rounding: &mut R,
    probe: &mut T::Probe,
) {
    if !T::UNROLL {
        *probe = stage_out_of_line(p, g, lr, rounding, *probe);
        return;
    }
    // The probe in a local for the tensor's loop: through the pointer, every store to `g`
    // could alias it, and it would be loaded and stored once per element.
    let mut folded = *probe;
    let mut step = |p: &T, g: &mut T| {
        let new = *p - rounding.product(lr, *g);
        folded = T::probe_update(folded, new, *g);
        *g = new;
    };
    if p.len() >= LONG {
        let (p16, p_rest) = p.as_chunks::<LONG>();
        let (g16, g_rest) = g.as_chunks_mut::<LONG>();
        for (p, g) in p16.iter().zip(g16) {
            let [p0, p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11, p12, p13, p14, p15] = p;
            let [g0, g1, g2, g3, g4, g5, g6, g7, g8, g9, g10, g11, g12, g13, g14, g15] = g;
            step(p0, g0);
            step(p1, g1);
            step(p2, g2);
            step(p3, g3);
            step(p4, g4);
            step(p5, g5);
            step(p6, g6);
            step(p7, g7);
            step(p8, g8);
            step(p9, g9);
            step(p10, g10);
            step(p11, g11);
            step(p12, g12);
            step(p13, g13);
            step(p14, g14);
            step(p15, g15);
        }
        for (p, g) in p_rest.iter().zip(g_rest) {
            step(p, g);
        }
    } else {
        let (p3, p_rest) = p.as_chunks::<3>();
        let (g3, g_rest) = g.as_chunks_mut::<3>();
        for ([p0, p1, p2], [g0, g1, g2]) in p3.iter().zip(g3) {
            step(p0, g0);
            step(p1, g1);
            step(p2, g2);
        }
        for (p, g) in p_rest.iter().zip(g_rest) {
            step(p, g);
        }
    }
    *probe = folded;
}

/// [`stage`] as one loop over a tensor of any length, out of line: for a number type whose
/// update is large ([`Scalar::UNROLL`] false, fixed point), one copy for every tensor
/// of the model instead of one per tensor shape, unrolled.
#[inline(never)]
fn stage_out_of_line<T: Scalar, R: Rounding>(
    p: &[T],
    g: &mut [T],
    lr: T,
    rounding: &mut R,
    probe: T::Probe,
) -> T::Probe {
    let mut folded = probe;
    for (p, g) in p.iter().zip(g.iter_mut()) {
        let new = *p - rounding.product(lr, *g);
        folded = T::probe_update(folded, new, *g);
        *g = new;
    }
    folded
}

/// `p = g; g = 0` over one tensor: the staged new values into the model, the gradients
/// cleared, in one pass. A short tensor three values per loop turn, written out (as in
/// [`stage`]), a long one in [`commit_long`]; a short tensor of fixed point
/// ([`Scalar::UNROLL`] false) in [`commit_out_of_line`].
///
/// The zero is hidden from the optimiser (`black_box`, once per tensor), which would
/// otherwise turn the clearing into a call to `memset`: on a microcontroller a word-at-a-time
/// loop of 4 instructions per word, against one store here.
#[inline(always)]
fn commit<T: Scalar>(p: &mut [T], g: &mut [T]) {
    if p.len() >= LONG {
        return commit_long(p, g);
    }
    if !T::UNROLL {
        return commit_out_of_line(p, g);
    }
    let zero = core::hint::black_box(T::ZERO);
    let step = |p: &mut T, g: &mut T| {
        *p = *g;
        *g = zero;
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
}

/// [`commit`] for a long tensor, eight values per loop turn, copied as a block and cleared
/// from a block of zeros (on a Cortex-M each block is two `ldm` and two `stm`: 8 instructions
/// for 8 values against 12 with a store per zero). Out of line: one copy for every long
/// tensor.
#[inline(never)]
fn commit_long<T: Scalar>(p: &mut [T], g: &mut [T]) {
    let zero = core::hint::black_box(T::ZERO);
    let zeros = core::hint::black_box([T::ZERO; 8]);
    let (p8, p_rest) = p.as_chunks_mut::<8>();
    let (g8, g_rest) = g.as_chunks_mut::<8>();
    for (p, g) in p8.iter_mut().zip(g8) {
        *p = *g;
        *g = zeros;
    }
    for (p, g) in p_rest.iter_mut().zip(g_rest) {
        *p = *g;
        *g = zero;
    }
}

/// [`commit`] as one plain loop, out of line: for fixed point, one copy for every short
/// tensor, as [`stage_out_of_line`] for every tensor (on the Cortex-M4F the Q16 minimal trainer is 68 B smaller for
/// 189 more instructions per step than with each short tensor's commit written out).
#[inline(never)]
fn commit_out_of_line<T: Scalar>(p: &mut [T], g: &mut [T]) {
    let zero = core::hint::black_box(T::ZERO);
    for (p, g) in p.iter_mut().zip(g) {
        *p = *g;
        *g = zero;
    }
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

    /// Long tensors, in both forms of the update: staged (a microcontroller's: the
    /// sixteen-wide stage and the eight-wide commit, with remainders) and in place (a
    /// host's: the probe's lanes). Bit for bit the plain loop, and a non-finite value at any
    /// position, in a full block or in a remainder, is refused with the model exactly as it
    /// was.
    #[test]
    fn long_tensors_step_and_refuse_exactly() -> Result<(), HyperError> {
        use crate::TorchInit;
        // 20 weights (one stage block of sixteen and four more; two commit blocks of eight
        // and four more), 4 biases (the short loops), 24 weights (one stage block and eight
        // more; three commit blocks) and 6 biases, 36 weights (two stage blocks and four
        // more; four commit blocks and four more) and 6 biases.
        type Wide = (Linear<f32, 5, 4>, Linear<f32, 4, 6>, Linear<f32, 6, 6>);
        const N: usize = 96;
        let model: Wide = crate::Params::torch_init(&mut TorchInit::new(5));
        let grads: Wide = crate::Params::torch_init(&mut TorchInit::new(6));
        let (mut p0, mut g0) = ([0.0f32; N], [0.0f32; N]);
        assert!(model.store_flat(&mut p0).is_ok() && grads.store_flat(&mut g0).is_ok());
        for (wd, in_place) in [(0.0f32, false), (0.01, false), (0.0, true), (0.01, true)] {
            let sgd = Sgd::new(0.25)?.with_weight_decay(f64::from(wd))?;
            let (mut fused, mut g) = (model, grads);
            let kept = sgd.clone().update_with(&mut fused, &mut g, in_place);
            assert_eq!(kept, Ok(()));
            let mut got = [0.0f32; N];
            assert!(fused.store_flat(&mut got).is_ok());
            let mut want = p0;
            for (p, g) in want.iter_mut().zip(&g0) {
                let d = if wd == 0.0 { *g } else { *g + wd * *p };
                *p -= 0.25 * d;
            }
            let form = if in_place { "in place" } else { "staged" };
            assert_eq!(
                got.map(f32::to_bits),
                want.map(f32::to_bits),
                "wd {wd}, {form}"
            );
            assert_eq!(g, Wide::ZERO, "wd {wd}, {form}: gradients not cleared");
            for at in 0..N {
                for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
                    let mut flat = g0;
                    if let Some(v) = flat.get_mut(at) {
                        *v = bad;
                    }
                    let mut g = Wide::ZERO;
                    assert!(g.load_flat(&flat).is_ok());
                    let mut p = model;
                    let got = sgd.clone().update_with(&mut p, &mut g, in_place);
                    assert_eq!(got, Err(NonFiniteUpdate), "wd {wd}, {bad} at {at}");
                    let mut after = [0.0f32; N];
                    assert!(p.store_flat(&mut after).is_ok());
                    assert_eq!(
                        after.map(f32::to_bits),
                        p0.map(f32::to_bits),
                        "{bad} at {at}"
                    );
                }
            }
        }
        Ok(())
    }

    /// Tensors of several blocks of sixteen (the probe's lanes, folded by halves; and the
    /// staged form's blocks): bit for bit the plain loop in `f32` and `f64`, and a non-finite
    /// gradient or an overflowing update in any lane of any block, or in the rest, is refused
    /// with the model exactly as it was.
    #[test]
    fn probe_lanes_refuse_at_every_position() -> Result<(), HyperError> {
        fn check<T: Scalar>(bad: [T; 3], big: T, in_place: bool) -> Result<(), HyperError> {
            use crate::TorchInit;
            // 63 weights (three blocks and fifteen more), 9 biases.
            type Wide<T> = Linear<T, 7, 9>;
            const N: usize = 72;
            let model: Wide<T> = crate::Params::torch_init(&mut TorchInit::new(10));
            let grads: Wide<T> = crate::Params::torch_init(&mut TorchInit::new(11));
            let (mut p0, mut g0) = ([T::ZERO; N], [T::ZERO; N]);
            assert!(model.store_flat(&mut p0).is_ok() && grads.store_flat(&mut g0).is_ok());
            let mut sgd = Sgd::<T>::new(0.25)?;
            let (mut p, mut g) = (model, grads);
            assert_eq!(sgd.update_with(&mut p, &mut g, in_place), Ok(()));
            let mut got = [T::ZERO; N];
            assert!(p.store_flat(&mut got).is_ok());
            let mut want = p0;
            for (p, g) in want.iter_mut().zip(&g0) {
                *p -= sgd.lr() * *g;
            }
            assert_eq!(got.map(T::to_bits), want.map(T::to_bits));
            assert_eq!(g, Wide::<T>::ZERO);
            for at in 0..N {
                // Non-finite gradients, and a finite one whose update overflows.
                for (w, d) in bad
                    .map(|b| (None, b))
                    .into_iter()
                    .chain([(Some(big), -big)])
                {
                    let (mut pf, mut gf) = (p0, g0);
                    if let (Some(pv), Some(gv)) = (pf.get_mut(at), gf.get_mut(at)) {
                        *gv = d;
                        *pv = w.unwrap_or(*pv);
                    }
                    let (mut p, mut g) = (Wide::<T>::ZERO, Wide::<T>::ZERO);
                    assert!(p.load_flat(&pf).is_ok() && g.load_flat(&gf).is_ok());
                    let before = p;
                    let result = Sgd::<T>::new(4.0)?.update_with(&mut p, &mut g, in_place);
                    assert_eq!(result, Err(NonFiniteUpdate), "{d:?} at {at}");
                    let mut after = [T::ZERO; N];
                    assert!(p.store_flat(&mut after).is_ok());
                    assert_eq!(after.map(T::to_bits), pf.map(T::to_bits), "{d:?} at {at}");
                    assert_eq!(p, before);
                }
            }
            Ok(())
        }
        for in_place in [true, false] {
            check(
                [f32::NAN, f32::INFINITY, f32::NEG_INFINITY],
                f32::MAX,
                in_place,
            )?;
            check(
                [f64::NAN, f64::INFINITY, f64::NEG_INFINITY],
                f64::MAX,
                in_place,
            )?;
        }
        Ok(())
    }

    /// Fixed point takes the out-of-line loop (`Scalar::UNROLL` false): bit for bit the plain
    /// loop over short and long tensors, and a rail at any position, in a gradient or in the
    /// update it gives, is refused with the model exactly as it was.
    #[test]
    fn fixed_point_update_is_the_plain_loop_and_refuses_exactly() -> Result<(), HyperError> {
        use crate::{Residual, TorchInit, Q16};
        const { assert!(!<Q16 as Scalar>::UNROLL) };
        type Net = (
            Residual<Linear<Q16, 3, 3>>,
            Linear<Q16, 3, 6>,
            Linear<Q16, 6, 1>,
        );
        const N: usize = 12 + 24 + 7;
        let model: Net = crate::Params::torch_init(&mut TorchInit::new(8));
        let grads: Net = crate::Params::torch_init(&mut TorchInit::new(9));
        let (mut p0, mut g0) = ([Q16::ZERO; N], [Q16::ZERO; N]);
        assert!(model.store_flat(&mut p0).is_ok() && grads.store_flat(&mut g0).is_ok());
        let sgd = Sgd::<Q16>::new(0.25)?;
        let (mut stepped, mut g, mut once) = (model, grads, sgd);
        assert_eq!(once.update(&mut stepped, &mut g), Ok(()));
        let mut got = [Q16::ZERO; N];
        assert!(stepped.store_flat(&mut got).is_ok());
        let mut want = p0;
        for (p, g) in want.iter_mut().zip(&g0) {
            *p -= sgd.lr() * *g;
        }
        assert_eq!(got, want);
        assert_eq!(g, Net::ZERO, "gradients cleared");
        let big = Q16::from_f64(30_000.0);
        for at in 0..N {
            // (weight, gradient) at `at`: a saturated gradient, and updates that saturate.
            for (w, d) in [
                (None, Q16::MAX),
                (None, Q16::MIN),
                (Some(-big), big),
                (Some(big), -big),
            ] {
                let (mut pf, mut gf) = (p0, g0);
                if let (Some(pv), Some(gv)) = (pf.get_mut(at), gf.get_mut(at)) {
                    *gv = d;
                    *pv = w.unwrap_or(*pv);
                }
                let (mut p, mut g) = (Net::ZERO, Net::ZERO);
                assert!(p.load_flat(&pf).is_ok() && g.load_flat(&gf).is_ok());
                let before = p;
                let result = Sgd::<Q16>::new(4.0)?.update(&mut p, &mut g);
                assert_eq!(result, Err(NonFiniteUpdate), "{d:?} at {at}");
                assert_eq!(p, before, "{d:?} at {at}");
            }
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
