//! The minimal trainers: a fixed number of guarded SGD steps of a notebook network from its
//! initial weights, reported as a few words. The device runs [`step`]s between two timer
//! reads, with the model and its buffers in `static`s; the host calls [`run`].
//!
//! Three trainers ([`Minimal`]), one firmware binary each:
//!
//! - [`F32Shortcut`] (`minimal`): the notebook's network with shortcuts and GELU, in `f32`;
//! - [`Q16Shortcut`] (`minimal-q16`): the same network in Q16.16 fixed point;
//! - [`Q16Tanh`] (`minimal-q16-tanh`): a plain 3-3-3-3-3-1 network with tanh after every
//!   layer and no shortcuts (the shape of the C++ library tinymind's benchmark), in Q16.16.
//!
//! Each holds its network as [`Blocks`]: the four identical blocks as an array, which the
//! core walks in a loop (the same parameters, in the same order, as the notebook's tuple).
//! The fixed-point models start from the `f32` initial weights rounded to Q16.16
//! (`build.rs`).

use skipgrad::{
    Buffers, Linear, Module, Mse, Params, Residual, Scalar, Sgd, Tanh, Trainer, Zeroed, Q16,
};

use crate::demo::LEARNING_RATE;
use crate::network::{
    Layer, INITIAL_PLAIN_TANH_Q16, INITIAL_WITH_SHORTCUT, INITIAL_WITH_SHORTCUT_Q16, INPUT, TARGET,
};

/// The number of SGD steps of a minimal trainer.
pub const MINIMAL_STEPS: u32 = 100;

/// One minimal trainer: its model, number type and initial weights.
pub trait Minimal {
    /// The firmware binary's name.
    const NAME: &'static str;
    /// The number type, as the core names it (`f32`, `q16.16`).
    const NUMBER: &'static str;
    /// The number type.
    type Scalar: Scalar;
    /// The model.
    type Model: Module<[Self::Scalar; 3], Output = [Self::Scalar; 1]> + Params<Self::Scalar>;
    /// Its initial weights.
    const INITIAL: Self::Model;
    /// The loss reported for a refused step (NaN, or a rail in fixed point).
    const REFUSED: Self::Scalar;
    /// The notebook's sample in this number type, as the one-sample batch a step takes.
    ///
    /// A reference to a constant (promoted to a static in each impl), not an array: a
    /// generic `&[M::INPUT]` cannot be promoted, so each step would build the batch on the
    /// stack, and that costs the Cortex-M4F's f32 trainer ~200 instructions per step (the
    /// optimizer's per-tensor loop no longer inlines).
    const INPUTS: &'static [[Self::Scalar; 3]; 1];
    /// The notebook's target in this number type, likewise.
    const TARGETS: &'static [[Self::Scalar; 1]; 1];
}

/// The notebook's sample and target rounded to Q16.16 (exact: they are 1, 0, -1 and 0).
const INPUT_Q16: [Q16; 3] = [
    Q16::from_f32(INPUT[0]),
    Q16::from_f32(INPUT[1]),
    Q16::from_f32(INPUT[2]),
];
const TARGET_Q16: [Q16; 1] = [Q16::from_f32(TARGET[0])];

/// The notebook's network with shortcuts, `f32`.
pub struct F32Shortcut;
/// The notebook's network with shortcuts, Q16.16.
pub struct Q16Shortcut;
/// A plain tanh network of the notebook's shape, Q16.16.
pub struct Q16Tanh;

impl Minimal for F32Shortcut {
    const NAME: &'static str = "minimal";
    const NUMBER: &'static str = "f32";
    type Scalar = f32;
    type Model = Blocks<Residual<Layer<f32, 3, 3>>, Layer<f32, 3, 1>>;
    const INITIAL: Self::Model = blocks(INITIAL_WITH_SHORTCUT);
    const REFUSED: f32 = f32::NAN;
    const INPUTS: &'static [[f32; 3]; 1] = &[INPUT];
    const TARGETS: &'static [[f32; 1]; 1] = &[TARGET];
}

impl Minimal for Q16Shortcut {
    const NAME: &'static str = "minimal-q16";
    const NUMBER: &'static str = "q16.16";
    type Scalar = Q16;
    type Model = Blocks<Residual<Layer<Q16, 3, 3>>, Layer<Q16, 3, 1>>;
    const INITIAL: Self::Model = blocks(INITIAL_WITH_SHORTCUT_Q16);
    const REFUSED: Q16 = Q16::MAX;
    const INPUTS: &'static [[Q16; 3]; 1] = &[INPUT_Q16];
    const TARGETS: &'static [[Q16; 1]; 1] = &[TARGET_Q16];
}

impl Minimal for Q16Tanh {
    const NAME: &'static str = "minimal-q16-tanh";
    const NUMBER: &'static str = "q16.16";
    type Scalar = Q16;
    type Model = Blocks<(Linear<Q16, 3, 3>, Tanh), (Linear<Q16, 3, 1>, Tanh)>;
    const INITIAL: Self::Model = blocks(INITIAL_PLAIN_TANH_Q16);
    const REFUSED: Q16 = Q16::MAX;
    const INPUTS: &'static [[Q16; 3]; 1] = &[INPUT_Q16];
    const TARGETS: &'static [[Q16; 1]; 1] = &[TARGET_Q16];
}

/// A notebook network as a minimal trainer holds it: its four identical blocks as an array,
/// and its head. The same parameters in the same order as the notebook's tuple
/// ([`WithShortcut`](crate::network::WithShortcut), [`PlainTanh`](crate::network::PlainTanh)),
/// so the same bits and the same weights hash; the core walks an array in a loop, so each
/// pass (forward, backward, the update's stage and commit, the hash) calls a block from one
/// place instead of four. `minimal-q16` on the Cortex-M0: 344 B less flash for 71 more
/// instructions per step; the tuple keeps PyTorch's parameter names (`0.0.weight`...).
pub type Blocks<B, H> = ([B; 4], H);

/// `model`'s blocks as an array ([`Blocks`]).
pub const fn blocks<B: Copy, H: Copy>(model: (B, B, B, B, H)) -> Blocks<B, H> {
    ([model.0, model.1, model.2, model.3], model.4)
}

/// A minimal trainer's model.
pub type Model<M> = <M as Minimal>::Model;

/// Its buffers: gradients and the cache of one sample.
pub type ModelBuffers<M> = Buffers<Model<M>, [<M as Minimal>::Scalar; 3]>;

/// The trainer a minimal run uses: one sample per step, SGD, MSE.
pub type MinimalTrainer<'a, M> =
    Trainer<'a, Model<M>, [<M as Minimal>::Scalar; 3], Sgd<<M as Minimal>::Scalar>, Mse>;

/// The bytes the trained model itself needs: parameters, gradients and cache (what any
/// trainer of this network must hold).
pub const fn model_bytes<M: Minimal>() -> usize {
    core::mem::size_of::<Model<M>>() + core::mem::size_of::<ModelBuffers<M>>()
}

/// A trainer of `model` with SGD at [`LEARNING_RATE`].
pub fn trainer<'a, M: Minimal>(
    model: &'a mut Model<M>,
    buffers: &'a mut ModelBuffers<M>,
) -> Option<MinimalTrainer<'a, M>> {
    Some(Trainer::new(
        model,
        buffers,
        Sgd::new(LEARNING_RATE).ok()?,
        Mse,
    ))
}

/// One step on the notebook's sample: the loss, or [`Minimal::REFUSED`] if the step was
/// refused.
#[inline]
pub fn step<M: Minimal>(trainer: &mut MinimalTrainer<'_, M>) -> M::Scalar {
    trainer.step(M::INPUTS, M::TARGETS).unwrap_or(M::REFUSED)
}

/// What a minimal trainer reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MinimalOutcome {
    /// Bits of the loss of the first step.
    pub first_loss_bits: u32,
    /// Bits of the loss of the last step.
    pub last_loss_bits: u32,
    /// [`Params::weights_hash`] of the trained network.
    pub weights_hash: u32,
    /// True when training made progress: the last loss is finite and below the first.
    pub trained: bool,
}

impl MinimalOutcome {
    /// The report of a run whose first and last losses were `first` and `last`.
    pub fn new<M: Minimal>(
        first: M::Scalar,
        last: M::Scalar,
        trainer: &MinimalTrainer<'_, M>,
    ) -> Self {
        Self {
            // The loss's bits (4 bytes for f32 and Q16).
            first_loss_bits: first.to_bits() as u32,
            last_loss_bits: last.to_bits() as u32,
            weights_hash: trainer.model().weights_hash(),
            trained: last.is_finite() && last < first,
        }
    }
}

/// A minimal trainer's run on the host: [`MINIMAL_STEPS`] steps from the initial weights.
pub fn run<M: Minimal>() -> Option<MinimalOutcome> {
    let (mut model, mut buffers) = (M::INITIAL, ModelBuffers::<M>::ZERO);
    let mut trainer = trainer::<M>(&mut model, &mut buffers)?;
    let first = step::<M>(&mut trainer);
    let mut last = first;
    for _ in 1..MINIMAL_STEPS {
        last = step::<M>(&mut trainer);
    }
    Some(MinimalOutcome::new::<M>(first, last, &trainer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_minimal_trainer_trains_on_the_host() {
        for (name, outcome) in [
            (F32Shortcut::NAME, run::<F32Shortcut>()),
            (Q16Shortcut::NAME, run::<Q16Shortcut>()),
            (Q16Tanh::NAME, run::<Q16Tanh>()),
        ] {
            assert!(outcome.is_some_and(|o| o.trained), "{name}: {outcome:x?}");
        }
    }

    /// The weights hash after `MINIMAL_STEPS` steps of the minimal trainers' SGD from `model`.
    fn trained_hash<T, N>(mut model: N, input: [T; 3], target: [T; 1]) -> u32
    where
        T: Scalar,
        N: Module<[T; 3], Output = [T; 1]> + Params<T>,
    {
        let mut buffers = Buffers::<N, [T; 3]>::ZERO;
        let lr = Sgd::new(LEARNING_RATE).expect("the notebook's learning rate");
        let mut trainer = Trainer::new(&mut model, &mut buffers, lr, Mse);
        for _ in 0..MINIMAL_STEPS {
            assert!(trainer.step(&[input], &[target]).is_ok());
        }
        trainer.model().weights_hash()
    }

    /// [`Blocks`] holds the notebook's network: the same parameters in the same order as its
    /// tuple, so the same weights hash at the start and after the same steps.
    #[test]
    fn blocks_hold_the_notebook_networks() {
        let (x, t) = (INPUT_Q16, TARGET_Q16);
        let pairs = [
            (
                INITIAL_WITH_SHORTCUT.weights_hash(),
                blocks(INITIAL_WITH_SHORTCUT).weights_hash(),
                trained_hash(INITIAL_WITH_SHORTCUT, INPUT, TARGET),
                trained_hash(blocks(INITIAL_WITH_SHORTCUT), INPUT, TARGET),
            ),
            (
                INITIAL_WITH_SHORTCUT_Q16.weights_hash(),
                blocks(INITIAL_WITH_SHORTCUT_Q16).weights_hash(),
                trained_hash(INITIAL_WITH_SHORTCUT_Q16, x, t),
                trained_hash(blocks(INITIAL_WITH_SHORTCUT_Q16), x, t),
            ),
            (
                INITIAL_PLAIN_TANH_Q16.weights_hash(),
                blocks(INITIAL_PLAIN_TANH_Q16).weights_hash(),
                trained_hash(INITIAL_PLAIN_TANH_Q16, x, t),
                trained_hash(blocks(INITIAL_PLAIN_TANH_Q16), x, t),
            ),
        ];
        for (i, (tuple, array, tuple_trained, array_trained)) in pairs.into_iter().enumerate() {
            assert_eq!(tuple, array, "network {i}, initial");
            assert_eq!(tuple_trained, array_trained, "network {i}, trained");
            assert_ne!(tuple, tuple_trained, "network {i} trains");
        }
    }
}
