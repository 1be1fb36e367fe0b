//! The minimal trainer: a fixed number of guarded SGD steps of the shortcut network from its
//! initial weights, reported as a few words. The device runs [`step`]s between two timer
//! reads, with the model and its buffers in `static`s; the host calls [`run`].

use skipgrad::{Buffers, Mse, Params, Sgd, Trainer, Zeroed};

use crate::demo::LEARNING_RATE;
use crate::network::{WithShortcut, INITIAL_WITH_SHORTCUT, INPUT, TARGET};

/// The number of SGD steps of the minimal trainer.
pub const MINIMAL_STEPS: u32 = 100;

/// The model the minimal run trains.
pub type Model = WithShortcut<f32>;

/// Its buffers: gradients and the cache of one sample.
pub type ModelBuffers = Buffers<Model, [f32; 3]>;

/// The trainer the minimal run uses: the shortcut network, one sample per step, SGD, MSE.
pub type MinimalTrainer<'a> = Trainer<'a, Model, [f32; 3], Sgd<f32>, Mse>;

/// The bytes the trained model itself needs: parameters, gradients and cache of
/// [`WithShortcut`] (what any trainer of this network must hold).
pub const MODEL_BYTES: usize = core::mem::size_of::<Model>() + core::mem::size_of::<ModelBuffers>();

/// A trainer of `model` with SGD at [`LEARNING_RATE`].
pub fn trainer<'a>(
    model: &'a mut Model,
    buffers: &'a mut ModelBuffers,
) -> Option<MinimalTrainer<'a>> {
    Some(Trainer::new(
        model,
        buffers,
        Sgd::new(LEARNING_RATE).ok()?,
        Mse,
    ))
}

/// One step on the notebook's sample: the loss, or NaN if the step was refused.
#[inline]
pub fn step(trainer: &mut MinimalTrainer<'_>) -> f32 {
    trainer.step(&[INPUT], &[TARGET]).unwrap_or(f32::NAN)
}

/// What the minimal trainer reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MinimalOutcome {
    /// Bits of the loss of the first step.
    pub first_loss_bits: u32,
    /// Bits of the loss of the last step.
    pub last_loss_bits: u32,
    /// [`Params::weights_hash`] of the trained network.
    pub weights_hash: u32,
}

impl MinimalOutcome {
    /// The report of a run whose first and last losses were `first` and `last`.
    pub fn new(first: f32, last: f32, trainer: &MinimalTrainer<'_>) -> Self {
        Self {
            first_loss_bits: first.to_bits(),
            last_loss_bits: last.to_bits(),
            weights_hash: trainer.model().weights_hash(),
        }
    }

    /// True when training made progress: the last loss is finite and below the first.
    pub fn trained(&self) -> bool {
        let (first, last) = (
            f32::from_bits(self.first_loss_bits),
            f32::from_bits(self.last_loss_bits),
        );
        last.is_finite() && last < first
    }
}

/// The minimal trainer's run on the host: [`MINIMAL_STEPS`] steps from the initial weights.
pub fn run() -> Option<MinimalOutcome> {
    let (mut model, mut buffers) = (INITIAL_WITH_SHORTCUT, ModelBuffers::ZERO);
    let mut trainer = trainer(&mut model, &mut buffers)?;
    let first = step(&mut trainer);
    let mut last = first;
    for _ in 1..MINIMAL_STEPS {
        last = step(&mut trainer);
    }
    Some(MinimalOutcome::new(first, last, &trainer))
}
