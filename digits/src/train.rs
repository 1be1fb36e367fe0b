//! Training on a set: epochs of shuffled mini-batches through the core's [`Trainer`].
//!
//! Each epoch shuffles the set ([`order`](crate::order)) and cuts the order into
//! `n / B` full batches of `B` samples; the last `n % B` samples of each epoch's order are
//! left out (PyTorch's `drop_last=True`; a different few every epoch). Every batch is one
//! guarded [`Trainer::step`]: a refused step ends the run with its error, the model and the
//! optimizer as they were before it.
//!
//! This is the loop of `skipgrad train --task digits`, of the committed host-trained image
//! (`digits/data/trained.skgi`), and of `tools/digits_reference.py` in PyTorch.

use core::fmt;

use skipgrad::{
    Adam, Buffers, Clip, CrossEntropy, HyperError, Layer, Loss, Module, Optimizer, Params, Scalar,
    StepError, TorchInit, Trainer, UniformFormula,
};

use crate::file::{CLASSES, PIXELS};
use crate::order::{shuffle, SplitMix64};
use crate::set::Set;

/// The default hyperparameters (README, "Handwritten digits", says how they were chosen).
pub mod defaults {
    use super::*;
    use crate::network::Net;

    /// The seed of the initial weights (`torch.manual_seed`) and of the batch order.
    pub const SEED: u64 = 0;
    /// Adam's learning rate.
    pub const LEARNING_RATE: f64 = 1e-2;
    /// Samples per mini-batch.
    pub const BATCH: usize = 32;
    /// Passes over the training set.
    pub const EPOCHS: u32 = 30;

    /// [`Net`] as `torch.manual_seed(seed)` and constructing the module initialise it in
    /// PyTorch 2.15 (`UniformFormula::Float64`, as `skipgrad train` initialises).
    pub fn initial(seed: u64) -> Net {
        Params::torch_init(&mut TorchInit::with_formula(seed, UniformFormula::Float64))
    }

    /// The default optimizer of [`Net`].
    pub type Optimizer = Adam<f32, <Net as Layer>::Grads>;

    /// The default optimizer: Adam with PyTorch's defaults and [`LEARNING_RATE`].
    pub fn optimizer() -> Result<Optimizer, HyperError> {
        Adam::new().with_lr(LEARNING_RATE)
    }

    /// The default run: trains `net` (from [`initial`]) on `set` with [`optimizer`] and
    /// [`Schedule::DEFAULT`], using the caller's `buffers`, optimizer state and `order`
    /// (at least the set's length). The committed host-trained image is this function's
    /// result for [`SEED`] on the committed training set.
    pub fn run(
        net: &mut Net,
        buffers: &mut Buffers<Net, [f32; PIXELS]>,
        adam: &mut Optimizer,
        set: Set<'_>,
        order: &mut [u16],
        observer: &mut impl Observer<Net, f32>,
    ) -> Result<Summary<f32>, TrainError> {
        let mut trainer = Trainer::new(net, buffers, adam, CrossEntropy);
        super::train(&mut trainer, set, Schedule::DEFAULT, order, observer)
    }
}

/// A class index as the target type of a loss: the index itself (cross-entropy), or a
/// one-hot vector (MSE on logits, for number types without `exp`).
pub trait ClassTarget: Copy {
    /// The target of class `class`.
    fn from_class(class: usize) -> Self;
}

impl ClassTarget for usize {
    fn from_class(class: usize) -> Self {
        class
    }
}

impl<T: Scalar, const N: usize> ClassTarget for [T; N] {
    fn from_class(class: usize) -> Self {
        core::array::from_fn(|i| if i == class { T::ONE } else { T::ZERO })
    }
}

/// How long to train, in batches of `B`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule<const B: usize> {
    /// Passes over the set.
    pub epochs: u32,
    /// Seeds the batch order.
    pub seed: u64,
}

impl Schedule<{ defaults::BATCH }> {
    /// [`defaults::EPOCHS`] epochs of [`defaults::BATCH`], seeded with [`defaults::SEED`].
    pub const DEFAULT: Self = Self {
        epochs: defaults::EPOCHS,
        seed: defaults::SEED,
    };
}

impl<const B: usize> Schedule<B> {
    /// Steps of one epoch over `samples` samples.
    pub const fn steps_per_epoch(samples: usize) -> usize {
        samples / B
    }
}

/// Sees a run as it goes: every step's loss, and the model after every epoch. Both do
/// nothing by default; `()` observes nothing.
pub trait Observer<M, T> {
    /// After step `step` (counted from 0 over the run) of epoch `epoch`, whose batch loss
    /// before the update was `loss`.
    fn step(&mut self, epoch: u32, step: usize, loss: T) {
        let _ = (epoch, step, loss);
    }

    /// After epoch `epoch` (from 0), with the model as trained so far.
    fn epoch(&mut self, epoch: u32, model: &M) {
        let _ = (epoch, model);
    }
}

impl<M, T> Observer<M, T> for () {}

/// A finished run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary<T> {
    /// Steps taken.
    pub steps: usize,
    /// The loss of the last batch, before its update.
    pub last_loss: T,
}

/// Why a run stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum TrainError {
    /// The order buffer is shorter than the set.
    OrderBuffer {
        /// Samples in the set.
        samples: usize,
        /// The buffer's length.
        len: usize,
    },
    /// The set has fewer samples than a batch (or more than a `u16` counts), so an epoch
    /// would take no step.
    SetSize {
        /// Samples in the set.
        samples: usize,
        /// The batch size.
        batch: usize,
    },
    /// A step was refused; the model and the optimizer are as they were before it.
    Step {
        /// The epoch, from 0.
        epoch: u32,
        /// The step, from 0 over the run.
        step: usize,
        /// Why.
        error: StepError,
    },
}

impl fmt::Display for TrainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::OrderBuffer { samples, len } => write!(
                f,
                "the order buffer holds {len} indices; the set has {samples} samples"
            ),
            Self::SetSize { samples, batch } => write!(
                f,
                "a set of {samples} samples cannot be cut into batches of {batch} (at least \
                 one batch and at most 65,535 samples)"
            ),
            Self::Step { epoch, step, error } => write!(
                f,
                "step {step} (epoch {epoch}) refused: {error}; the model and the optimizer \
                 keep their last good state"
            ),
        }
    }
}

impl core::error::Error for TrainError {}

/// Trains `trainer`'s model on `set` for `schedule.epochs` epochs of shuffled mini-batches
/// of `B` samples (see the [module](self)), calling `observer` after every step and epoch.
/// `order` is scratch space for the sample order, at least `set.len()` long.
pub fn train<M, T, O, L, C, const B: usize>(
    trainer: &mut Trainer<'_, M, [T; PIXELS], O, L, C>,
    set: Set<'_>,
    schedule: Schedule<B>,
    order: &mut [u16],
    observer: &mut impl Observer<M, T>,
) -> Result<Summary<T>, TrainError>
where
    M: Module<[T; PIXELS], Output = [T; CLASSES]>,
    T: Scalar,
    O: Optimizer<T, M>,
    L: Loss<[T; CLASSES]>,
    L::Target: ClassTarget,
    C: Clip<T>,
{
    let samples = set.len();
    if samples < B.max(1) || samples > usize::from(u16::MAX) {
        return Err(TrainError::SetSize { samples, batch: B });
    }
    let len = order.len();
    let Some(order) = order.get_mut(..samples) else {
        return Err(TrainError::OrderBuffer { samples, len });
    };
    let mut rng = SplitMix64::new(schedule.seed);
    let mut summary = Summary {
        steps: 0,
        last_loss: T::ZERO,
    };
    for epoch in 0..schedule.epochs {
        shuffle(&mut rng, order);
        for batch in order.chunks_exact(B) {
            let mut inputs = [[T::ZERO; PIXELS]; B];
            let mut targets = [L::Target::from_class(0); B];
            for ((x, t), &i) in inputs.iter_mut().zip(&mut targets).zip(batch) {
                if let Some(s) = set.get(usize::from(i)) {
                    (*x, *t) = (s.input(), L::Target::from_class(s.class()));
                }
            }
            let step = summary.steps;
            let loss = trainer
                .step(&inputs, &targets)
                .map_err(|error| TrainError::Step { epoch, step, error })?;
            observer.step(epoch, step, loss);
            summary = Summary {
                steps: step + 1,
                last_loss: loss,
            };
        }
        observer.epoch(epoch, trainer.model());
    }
    Ok(summary)
}
