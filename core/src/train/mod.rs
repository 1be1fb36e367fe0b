//! The guarded training step: forward, loss, backward, optional clipping and an optimizer
//! update, refused as a whole when the batch, the loss, the gradients or the update are not
//! finite.
//!
//! # Memory
//!
//! A [`Trainer`] owns exactly what training needs, all fixed-size: the model `M`, its
//! gradients ([`Layer::Grads`](crate::Layer::Grads): the model's own type, minus frozen parts), one forward cache
//! (reused for every sample of a batch), the optimizer (with its state) and the loss. Besides
//! them a step keeps a few scalars and one sample's output and output gradient on the stack,
//! and `forward` and `backward` pass layer-width arrays between layers by value (stack
//! temporaries, no heap, nothing kept between calls).
//!
//! For the seed notebook's network (52 parameters, 4 x `Linear<3, 3>` + `Linear<3, 1>`, GELU
//! after each), measured with `size_of` in `tests/tests/memory.rs`:
//!
//! | value                                  | bytes |
//! |----------------------------------------|------:|
//! | model (52 x f32)                       |   208 |
//! | gradients                              |   208 |
//! | cache (inputs + GELU derivatives)      |   112 |
//! | [`Sgd`](crate::Sgd) state              |     8 |
//! | [`SgdMomentum`](crate::SgdMomentum)    |   228 |
//! | [`Adam`](crate::Adam)                  |   464 |
//!
//! The same for both variants: a shortcut adds no parameters and no cache.

mod clip;

pub use clip::{clip_grad_norm, grad_norm};

use core::num::NonZeroUsize;

use crate::data::Data;
use crate::layer::Module;
use crate::loss::Loss;
use crate::number::Scalar;
use crate::optimizer::hyper::{self, HyperError, Range};
use crate::optimizer::Optimizer;
use crate::params::{self, Mut, Params};
use crate::zeroed::Zeroed;
use clip::{clip_factor, grads_norm};

/// Why [`Trainer::step`] refused a step. The model and the optimizer state are unchanged, bit
/// for bit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum StepError {
    /// An input of the batch is NaN or infinite (or saturated).
    NonFiniteInput {
        /// Its position in the batch.
        sample: usize,
    },
    /// A target of the batch is not one the loss accepts (NaN, infinite, a class index out
    /// of range).
    InvalidTarget {
        /// Its position in the batch.
        sample: usize,
    },
    /// The loss is NaN or infinite: the model's output overflowed, or a parameter is not
    /// finite.
    NonFiniteLoss,
    /// A gradient is NaN or infinite (or the gradients' norm overflows, when clipping).
    NonFiniteGradient,
    /// The gradients are finite but the update would make a parameter or an optimizer state
    /// value non-finite (too large a learning rate, for example).
    NonFiniteUpdate,
}

impl core::fmt::Display for StepError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::NonFiniteInput { sample } => write!(f, "non-finite input in sample {sample}"),
            Self::InvalidTarget { sample } => write!(f, "invalid target in sample {sample}"),
            Self::NonFiniteLoss => f.write_str("non-finite loss"),
            Self::NonFiniteGradient => f.write_str("non-finite gradient"),
            Self::NonFiniteUpdate => {
                f.write_str("the update would make a parameter or optimizer state non-finite")
            }
        }
    }
}

impl core::error::Error for StepError {}

/// What training a model `M` on inputs `X` needs besides the model and the optimizer: its
/// gradients and one forward cache (reused for every sample of a batch).
///
/// [`Buffers::ZERO`] is a constant, so the buffers can be a `static` on a device.
pub struct Buffers<M: Module<X>, X: Data> {
    grads: M::Grads,
    cache: M::Cache,
}

impl<M: Module<X>, X: Data> Zeroed for Buffers<M, X> {
    const ZERO: Self = Self {
        grads: M::Grads::ZERO,
        cache: M::Cache::ZERO,
    };
}

impl<M: Module<X>, X: Data> Buffers<M, X> {
    /// The gradients: all zero between steps.
    pub fn grads(&self) -> &M::Grads {
        &self.grads
    }
}

/// Trains a model `M` on inputs `X` with an optimizer `O` and a loss `L`, in guarded steps.
///
/// The caller owns every buffer: the trainer borrows the model and the [`Buffers`], and holds
/// the optimizer (or a `&mut` to it) and the loss.
///
/// ```
/// use skipgrad::{Buffers, Gelu, Linear, Mse, Params, Sgd, StepError, TorchInit, Trainer, Zeroed};
///
/// type Net = (Linear<f32, 1, 4>, Gelu, Linear<f32, 4, 1>);
/// let mut net: Net = Params::torch_init(&mut TorchInit::new(0));
/// let mut buffers = Buffers::ZERO;
/// let mut trainer = Trainer::new(&mut net, &mut buffers, Sgd::new(0.1)?, Mse);
///
/// let xs = [[-1.0], [0.0], [1.0]];
/// let ys = [[1.0], [0.0], [1.0]];
/// let first = trainer.step(&xs, &ys)?;
///
/// let before = *trainer.model();
/// let bad = [[-1.0], [f32::NAN], [1.0]];
/// assert_eq!(trainer.step(&bad, &ys), Err(StepError::NonFiniteInput { sample: 1 }));
/// assert_eq!(*trainer.model(), before);
/// assert!(trainer.step(&xs, &ys)? < first);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Trainer<'a, M, X, O, L, C = NoClip>
where
    M: Module<X>,
    X: Data,
{
    model: &'a mut M,
    buffers: &'a mut Buffers<M, X>,
    optimizer: O,
    loss: L,
    clip: C,
}

/// A [`Trainer`] that clips the gradients to a global norm.
pub type ClippingTrainer<'a, M, X, O, L> = Trainer<'a, M, X, O, L, ClipNorm<<X as Data>::Scalar>>;

/// How a [`Trainer`] treats the gradients before the update: [`NoClip`] or [`ClipNorm`].
/// A type parameter, so a trainer that does not clip has no clipping code.
pub trait Clip<T: Scalar> {
    /// Clips a gradient value of the model `M`; `Err` if its norm is not finite.
    fn clip<M: Params<T>>(&self, grads: &mut M::Grads) -> Result<(), StepError>;
}

/// No clipping (the default).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NoClip;

impl<T: Scalar> Clip<T> for NoClip {
    #[inline(always)]
    fn clip<M: Params<T>>(&self, _: &mut M::Grads) -> Result<(), StepError> {
        Ok(())
    }
}

/// Clipping to a global L2 norm, as `torch.nn.utils.clip_grad_norm_(params, max_norm)`
/// ([`clip_grad_norm`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClipNorm<T>(T);

impl<T: Scalar> ClipNorm<T> {
    /// The largest norm.
    pub fn max_norm(&self) -> T {
        self.0
    }
}

impl<T: Scalar> Clip<T> for ClipNorm<T> {
    #[inline]
    fn clip<M: Params<T>>(&self, grads: &mut M::Grads) -> Result<(), StepError> {
        let norm = grads_norm::<T, M>(grads);
        if !norm.is_finite() {
            return Err(StepError::NonFiniteGradient);
        }
        if let Some(coef) = clip_factor(norm, self.0) {
            params::zip_grads::<M, Mut, T, _>(grads, |_, t| {
                t.iter_mut().for_each(|g| *g *= coef);
            });
        }
        Ok(())
    }
}

impl<'a, M, X, O, L> Trainer<'a, M, X, O, L, NoClip>
where
    M: Module<X>,
    X: Data,
    O: Optimizer<X::Scalar, M>,
    L: Loss<M::Output>,
{
    /// A trainer of `model`, with `buffers` for its gradients and cache.
    ///
    /// The gradients in [`Buffers`] are zero whenever no step is running: they start at
    /// [`Buffers::ZERO`], only a trainer writes them, and every step leaves them zero.
    pub fn new(model: &'a mut M, buffers: &'a mut Buffers<M, X>, optimizer: O, loss: L) -> Self {
        Self {
            model,
            buffers,
            optimizer,
            loss,
            clip: NoClip,
        }
    }

    /// The same trainer, clipping the gradients to the global norm `max_norm` (finite,
    /// `>= 0`) before every update, as `torch.nn.utils.clip_grad_norm_` does.
    pub fn with_max_grad_norm(
        self,
        max_norm: f64,
    ) -> Result<ClippingTrainer<'a, M, X, O, L>, HyperError> {
        Ok(Trainer {
            clip: ClipNorm(hyper::check("max_grad_norm", max_norm, Range::NonNegative)?),
            model: self.model,
            buffers: self.buffers,
            optimizer: self.optimizer,
            loss: self.loss,
        })
    }
}

impl<M, X, O, L, C> Trainer<'_, M, X, O, L, C>
where
    M: Module<X>,
    X: Data,
    O: Optimizer<X::Scalar, M>,
    L: Loss<M::Output>,
    C: Clip<X::Scalar>,
{
    /// One guarded step on a batch of `K` samples. In order:
    ///
    /// 1. checks that every input is finite and every target is one the loss accepts;
    /// 2. for each sample: `forward` into the cache, adds the sample's loss terms, and
    ///    `backward` with its share of the gradient of the batch mean, so the gradients end
    ///    as those of the mean loss over the batch;
    /// 3. checks that the loss is finite;
    /// 4. if clipping: computes the gradients' norm ([`grad_norm`];
    ///    non-finite: [`StepError::NonFiniteGradient`]) and scales them;
    /// 5. lets the optimizer update the model as a transaction
    ///    ([`Optimizer::update`]): checked before it is written, which also checks every
    ///    gradient.
    ///
    /// Returns the batch loss before the update (equal to [`Loss::batch_loss`] of the
    /// outputs, bit for bit). On any error the model and the optimizer state are exactly as
    /// they were. The gradients are zero after every call, on success and on every error.
    ///
    /// An empty batch (`K == 0`) does not compile.
    pub fn step<const K: usize>(
        &mut self,
        inputs: &[X; K],
        targets: &[L::Target; K],
    ) -> Result<X::Scalar, StepError> {
        let terms = const { terms::<K>(L::TERMS) };
        if let Some(sample) = inputs.iter().position(|x| !x.all_finite()) {
            return Err(StepError::NonFiniteInput { sample });
        }
        if let Some(sample) = targets.iter().position(|t| !self.loss.accepts(t)) {
            return Err(StepError::InvalidTarget { sample });
        }

        let sum = self.accumulate(inputs, targets, terms);
        let loss = sum / X::Scalar::from_usize(terms.get());
        let grads = &mut self.buffers.grads;
        // The sum, not the mean, is checked: in fixed point a saturated sum divided by the
        // number of terms is an ordinary number. `sum / n` (n >= 1) is finite whenever
        // `sum` is, so for floats this is the loss's own check.
        let result = if !sum.is_finite() {
            Err(StepError::NonFiniteLoss)
        } else if let Err(e) = self.clip.clip::<M>(grads) {
            Err(e)
        } else if self.optimizer.update(self.model, grads).is_err() {
            Err(self.classify(inputs, targets, terms))
        } else {
            return Ok(loss);
        };
        self.clear_grads();
        result
    }

    /// Sets every gradient to zero after a refused step. Out of line and cold: one copy, off
    /// the path of a kept step.
    #[cold]
    #[inline(never)]
    fn clear_grads(&mut self) {
        M::zero_grads(&mut self.buffers.grads);
    }

    /// Forward and backward passes over the batch, accumulating the gradients of the mean
    /// loss; returns the sum of the loss terms. Out of line: the step and [`Self::classify`]
    /// share one copy.
    #[inline(never)]
    fn accumulate<const K: usize>(
        &mut self,
        inputs: &[X; K],
        targets: &[L::Target; K],
        terms: NonZeroUsize,
    ) -> X::Scalar {
        let Buffers { grads, cache } = &mut *self.buffers;
        let mut sum = X::Scalar::ZERO;
        for (x, t) in inputs.iter().zip(targets) {
            let y = self.model.forward(x, cache);
            sum += self.loss.sum(&y, t);
            let dy = self.loss.gradient(&y, t, terms);
            self.model.backward_params(cache, &dy, grads);
        }
        sum
    }

    /// Tells a refused update's cause: the optimizer left the model as it was but may have
    /// used the gradients as scratch space, so they are computed again (the same bits) and
    /// checked. Out of line: it is the rare path.
    #[cold]
    #[inline(never)]
    fn classify<const K: usize>(
        &mut self,
        inputs: &[X; K],
        targets: &[L::Target; K],
        terms: NonZeroUsize,
    ) -> StepError {
        self.clear_grads();
        self.accumulate(inputs, targets, terms);
        if M::grads_finite(&self.buffers.grads) {
            StepError::NonFiniteUpdate
        } else {
            StepError::NonFiniteGradient
        }
    }

    /// The model.
    pub fn model(&self) -> &M {
        self.model
    }

    /// The model, mutably (for loading weights between steps).
    pub fn model_mut(&mut self) -> &mut M {
        self.model
    }

    /// The optimizer and its state.
    pub fn optimizer(&self) -> &O {
        &self.optimizer
    }

    /// The optimizer, mutably (to reset its state, or load it).
    pub fn optimizer_mut(&mut self) -> &mut O {
        &mut self.optimizer
    }

    /// The loss.
    pub fn loss(&self) -> &L {
        &self.loss
    }

    /// The gradients: all zero between steps.
    pub fn grads(&self) -> &M::Grads {
        &self.buffers.grads
    }

    /// The clipping.
    pub fn clip(&self) -> &C {
        &self.clip
    }

    /// The optimizer, ending the borrows of the model and the buffers.
    pub fn into_optimizer(self) -> O {
        self.optimizer
    }
}

/// The number of terms in the mean over `K` samples of `per_sample` terms each: evaluated at
/// compile time (in a `const` block), so an empty batch or an overflowing count does not
/// compile; the panics below are compile errors, never run-time paths.
#[allow(clippy::panic)]
const fn terms<const K: usize>(per_sample: usize) -> NonZeroUsize {
    assert!(K > 0, "a training batch needs at least one sample");
    match K.checked_mul(per_sample) {
        Some(n) => match NonZeroUsize::new(n) {
            Some(n) => n,
            None => panic!("a loss needs at least one term per sample"),
        },
        None => panic!("the number of loss terms in the batch overflows usize"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        Gelu, HyperError, Linear, Mse, NonFiniteUpdate, Params, Sgd, SgdMomentum, TorchInit,
    };

    type Net = (Linear<f32, 2, 3>, Gelu, Linear<f32, 3, 1>);

    fn fresh() -> Net {
        Params::torch_init(&mut TorchInit::new(7))
    }

    const XS: [[f32; 2]; 3] = [[0.5, -1.0], [1.0, 2.0], [-0.3, 0.1]];
    const YS: [[f32; 1]; 3] = [[1.0], [-1.0], [0.25]];

    /// An optimizer that keeps the gradients it is given and leaves the model alone.
    struct Record(Net);

    impl Optimizer<f32, Net> for Record {
        fn update(&mut self, _: &mut Net, grads: &mut Net) -> Result<(), NonFiniteUpdate> {
            self.0 = *grads;
            grads.zero();
            Ok(())
        }
    }

    #[test]
    fn loss_and_gradients_are_the_batch_mean() {
        let start = fresh();
        let (mut model, mut buffers) = (start, Buffers::ZERO);
        let mut t = Trainer::new(&mut model, &mut buffers, Record(Net::ZERO), Mse);
        let loss = t.step(&XS, &YS);
        let ys = XS.map(|x| start.infer(&x));
        assert_eq!(loss, Ok(Mse.batch_loss(&ys, &YS)));
        // Reference gradients: sample by sample, each with its share of the batch loss.
        let mut want = Net::ZERO;
        let three = NonZeroUsize::new(3).unwrap_or(NonZeroUsize::MIN);
        for (x, y) in XS.iter().zip(&YS) {
            let mut c = Zeroed::ZERO;
            let out = start.forward(x, &mut c);
            start.backward(&c, &Mse.gradient(&out, y, three), &mut want);
        }
        assert_eq!(t.optimizer().0, want);
        assert_eq!(*t.model(), start);
        // The step leaves the gradients cleared for the next one, which then sees the same.
        assert_eq!(*t.grads(), Net::ZERO);
        let again = t.step(&XS, &YS);
        assert_eq!((again, t.optimizer().0), (loss, want));
    }

    #[test]
    fn refusals_table() -> Result<(), HyperError> {
        let nan = f32::NAN;
        let inf = f32::INFINITY;
        // (inputs, targets, model weight override, expected error)
        type Case = ([[f32; 2]; 3], [[f32; 1]; 3], Option<f32>, StepError);
        let cases: [Case; 4] = [
            (
                [[nan, 0.0], [1.0, 2.0], [0.0, 0.0]],
                YS,
                None,
                StepError::NonFiniteInput { sample: 0 },
            ),
            (
                XS,
                [[1.0], [-inf], [0.0]],
                None,
                StepError::InvalidTarget { sample: 1 },
            ),
            (XS, YS, Some(inf), StepError::NonFiniteLoss),
            // Huge but finite weights: the output overflows.
            (XS, YS, Some(3e38), StepError::NonFiniteLoss),
        ];
        for (xs, ys, w, err) in cases {
            let mut start = fresh();
            if let Some(w) = w {
                start.2.weight = [[w; 3]];
            }
            let (mut model, mut buffers) = (start, Buffers::ZERO);
            let mut t = Trainer::new(&mut model, &mut buffers, SgdMomentum::new(0.1, 0.9)?, Mse);
            let got = t.step(&xs, &ys);
            assert_eq!(got, Err(err));
            assert_eq!(*t.model(), start, "model changed on {err}");
            assert_eq!(*t.grads(), Net::ZERO, "gradients left behind on {err}");
            assert!(!t.optimizer().started());
        }
        Ok(())
    }

    /// A finite loss whose gradient overflows: a huge hidden activation meets a tiny output
    /// weight.
    #[test]
    fn overflowing_gradient_is_refused() -> Result<(), HyperError> {
        type Chain = (Linear<f32, 1, 1>, Linear<f32, 1, 1>);
        let start: Chain = (Linear::new([[1e30]], [0.0]), Linear::new([[1e-38]], [0.0]));
        // h = 3e38 (finite), y = 3, dy = 2 * (3 - 0) = 6, d(w2) = 6 * 3e38 = inf.
        let (mut model, mut buffers) = (start, Buffers::ZERO);
        let mut t = Trainer::new(&mut model, &mut buffers, Sgd::new(0.1)?, Mse);
        assert_eq!(
            t.step(&[[3e8]], &[[0.0]]),
            Err(StepError::NonFiniteGradient)
        );
        assert_eq!(*t.model(), start);
        assert_eq!(*t.grads(), Chain::ZERO);
        let mut t =
            Trainer::new(&mut model, &mut buffers, Sgd::new(0.1)?, Mse).with_max_grad_norm(1.0)?;
        assert_eq!(
            t.step(&[[3e8]], &[[0.0]]),
            Err(StepError::NonFiniteGradient)
        );
        assert_eq!(*t.model(), start);
        assert_eq!(*t.grads(), Chain::ZERO);
        Ok(())
    }

    /// Finite gradients whose update overflows a parameter: refused, nothing changed.
    #[test]
    fn overflowing_update_is_refused() -> Result<(), HyperError> {
        let start = fresh();
        let (mut model, mut buffers) = (start, Buffers::ZERO);
        let mut t = Trainer::new(&mut model, &mut buffers, Sgd::new(1e38)?, Mse);
        assert_eq!(t.step(&XS, &[[-1e3]; 3]), Err(StepError::NonFiniteUpdate));
        assert_eq!(*t.model(), start);
        assert_eq!(*t.grads(), Net::ZERO);
        Ok(())
    }

    /// In Q16.16 a rail is the NaN: a saturated input, target, loss or gradient norm is
    /// refused as a non-finite one, and changes nothing. The loss saturates in one sample of
    /// three: the rail must be refused before the mean would make it an ordinary number.
    #[test]
    fn q16_rails_are_refused() -> Result<(), HyperError> {
        use crate::Q16;
        type QNet = (Linear<Q16, 1, 2>, crate::Tanh, Linear<Q16, 2, 1>);
        let q = Q16::from_f64;
        let start: QNet = (
            Linear::new([[q(0.5)], [q(-0.25)]], [q(0.1), q(0.0)]),
            crate::Tanh,
            Linear::new([[q(0.75), q(-0.5)]], [q(0.0)]),
        );
        let xs = [[q(0.5)], [q(-1.0)], [q(2.0)]];
        let ys = [[q(0.25)], [q(0.0)], [q(-0.5)]];
        // A head whose output is about 200 for the first sample: 200^2 saturates.
        let mut loud = start;
        loud.2.bias = [q(200.0)];
        type Case = ([[Q16; 1]; 3], [[Q16; 1]; 3], QNet, StepError);
        let cases: [Case; 6] = [
            (
                [[q(0.5)], [Q16::MAX], [q(2.0)]],
                ys,
                start,
                StepError::NonFiniteInput { sample: 1 },
            ),
            (
                [[q(0.5)], [q(1.0)], [Q16::MIN]],
                ys,
                start,
                StepError::NonFiniteInput { sample: 2 },
            ),
            (
                [[Q16::from_bits(i32::MIN)], [q(1.0)], [q(1.0)]],
                ys,
                start,
                StepError::NonFiniteInput { sample: 0 },
            ),
            (
                xs,
                [[q(0.0)], [q(0.0)], [Q16::MAX]],
                start,
                StepError::InvalidTarget { sample: 2 },
            ),
            (xs, ys, loud, StepError::NonFiniteLoss),
            (
                [[q(0.5)], [q(-1.0)], [q(2.0)]],
                [[Q16::MIN]; 3],
                start,
                StepError::InvalidTarget { sample: 0 },
            ),
        ];
        for (xs, ys, model, err) in cases {
            for clip in [false, true] {
                let (mut m, mut buffers) = (model, Buffers::ZERO);
                let opt = SgdMomentum::new(0.01, 0.9)?;
                let got = if clip {
                    Trainer::new(&mut m, &mut buffers, opt, Mse)
                        .with_max_grad_norm(1.0)?
                        .step(&xs, &ys)
                } else {
                    Trainer::new(&mut m, &mut buffers, opt, Mse).step(&xs, &ys)
                };
                assert_eq!(got, Err(err), "clip {clip}");
                assert_eq!(m, model, "model changed on {err}");
                assert_eq!(*buffers.grads(), QNet::ZERO, "gradients left on {err}");
            }
        }
        // The same batch with the ordinary head steps, and its loss is finite.
        let (mut m, mut buffers) = (start, Buffers::ZERO);
        let mut t = Trainer::new(&mut m, &mut buffers, Sgd::new(0.01)?, Mse);
        assert!(t
            .step(&xs, &ys)
            .is_ok_and(|l| l.is_finite() && l > Q16::ZERO));
        // Every gradient finite but their norm a rail: the loss is 180^2 (finite), the
        // output gradient 360, and the first layer's weight gradients 360 x 0.75 x 0.99 x 110
        // and 360 x -0.5 x 110 (29,400 and -19,800; the norm is 35,450). Clipping refuses
        // the step; without clipping it is an ordinary one.
        let mut huge = start;
        huge.0.weight = [[q(0.0)], [q(0.0)]];
        huge.2.bias = [q(90.0)];
        let (x, y) = ([[q(110.0)]], [[q(-90.0)]]);
        let (mut m, mut buffers) = (huge, Buffers::ZERO);
        let got = Trainer::new(&mut m, &mut buffers, Sgd::new(1e-4)?, Mse)
            .with_max_grad_norm(1.0)?
            .step(&x, &y);
        assert_eq!(got, Err(StepError::NonFiniteGradient));
        assert_eq!((m, *buffers.grads()), (huge, QNet::ZERO));
        let got = Trainer::new(&mut m, &mut buffers, Sgd::new(1e-4)?, Mse).step(&x, &y);
        assert!(got.is_ok_and(|l| l.is_finite()), "{got:?}");
        Ok(())
    }

    #[test]
    fn clipping_bounds_the_update() -> Result<(), HyperError> {
        let start = fresh();
        let (mut model, mut buffers) = (start, Buffers::ZERO);
        let mut t =
            Trainer::new(&mut model, &mut buffers, Sgd::new(1.0)?, Mse).with_max_grad_norm(1e-3)?;
        let loss = t.step(&XS, &YS);
        assert!(loss.is_ok_and(|l| l > 0.0), "{loss:?}");
        // With lr 1, the update is the clipped gradient: its norm is at most 1e-3.
        let mut moved = *t.model();
        crate::params::zip::<(crate::params::Mut, crate::params::Ref), _, f32, _>(
            (&mut moved, &start),
            |_, (a, b)| a.iter_mut().zip(b).for_each(|(a, b)| *a -= *b),
        );
        let norm = crate::grad_norm(&moved);
        assert!(norm <= 1.0001e-3 && norm > 0.9e-3, "{norm}");
        let t = Trainer::new(&mut model, &mut buffers, Sgd::new(1.0)?, Mse);
        assert!(t.with_max_grad_norm(f64::NAN).is_err());
        Ok(())
    }
}
