//! The training run of a scenario, written once: `N` guarded steps on one batch, every step's
//! loss kept (NaN for a step the trainer refused), the steps timed by the scenario's
//! [`Meter`]; and the usual start of one, a model from `torch.manual_seed(seed)` trained with
//! Adam.

use skipgrad::{
    Adam, Buffers, Data, Layer, Loss, Module, Optimizer, Params, TorchInit, Trainer, Zeroed,
};

use crate::meter::Meter;

/// `N` guarded steps of `trainer` on the batch `(inputs, targets)`, timed by `meter`: each
/// step's loss into `losses`, NaN for a step the trainer refused (the model is then
/// unchanged).
#[inline(always)]
pub fn steps<M, X, O, L, const B: usize, const N: usize>(
    trainer: &mut Trainer<'_, M, X, O, L>,
    inputs: &[X; B],
    targets: &[L::Target; B],
    losses: &mut [f32; N],
    meter: &mut dyn Meter,
) where
    M: Module<X>,
    X: Data<Scalar = f32>,
    O: Optimizer<f32, M>,
    L: Loss<M::Output>,
{
    meter.start();
    for loss in losses.iter_mut() {
        *loss = trainer.step(inputs, targets).unwrap_or(f32::NAN);
    }
    meter.stop(N as u32);
}

/// Trains a fresh `M`, initialised as `torch.manual_seed(seed)` and PyTorch's constructors
/// would, with Adam at the learning rate `lr` and `loss`: [`steps`] on the batch. Then hands
/// the trained model and every step's loss to `then` (in place: nothing is copied out), and
/// returns what it returns; `None` if Adam refuses the rate.
#[inline(always)]
pub fn adam<M, X, L, R, const B: usize, const N: usize>(
    seed: u64,
    lr: f64,
    loss: L,
    inputs: &[X; B],
    targets: &[L::Target; B],
    meter: &mut dyn Meter,
    then: impl FnOnce(&M, &[f32; N]) -> R,
) -> Option<R>
where
    M: Module<X> + Zeroed,
    X: Data<Scalar = f32>,
    L: Loss<M::Output>,
    Adam<f32, <M as Layer>::Grads>: Optimizer<f32, M>,
{
    let mut model: M = Params::torch_init(&mut TorchInit::new(seed));
    let mut buffers = Buffers::<M, X>::ZERO;
    let adam = Adam::new().with_lr(lr).ok()?;
    let mut trainer = Trainer::new(&mut model, &mut buffers, adam, loss);
    let mut losses = [0.0f32; N];
    steps(&mut trainer, inputs, targets, &mut losses, meter);
    Some(then(trainer.model(), &losses))
}
