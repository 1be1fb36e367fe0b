//! Optimizers: update a model from a gradient value of the model's own type.
//!
//! An optimizer's state (a momentum buffer, Adam's moments) is also a value of the model's
//! type, so an update is an element-wise function zipped over the model, the gradients and
//! the state with [`Params::zip2`], [`Params::zip3`] or [`Params::zip4`]. Nothing allocates,
//! and the state's size is known at compile time (`size_of::<Adam<f32, Net>>()`).
//!
//! - [`Sgd`]: plain SGD with optional weight decay. It stores two scalars and no buffer, the
//!   choice for a microcontroller.
//! - [`SgdMomentum`]: SGD with momentum and dampening; one model-sized buffer.
//! - [`Adam`]: Adam with PyTorch's defaults; two model-sized buffers and a step count.
//!
//! Each follows the order of operations of PyTorch's single-tensor (CPU) implementation of
//! `torch.optim.SGD` / `torch.optim.Adam`, so the same parameters and gradients give the same
//! update up to rounding (PyTorch's vectorised kernels fuse some multiply-adds; the tests in
//! `tests/tests/optimizers.rs` compare against PyTorch to 1.5e-7 relative in `f32` and
//! 3.6e-16 in `f64`).

mod adam;
mod sgd;

pub use adam::Adam;
pub use sgd::{Sgd, SgdMomentum};

use crate::params::Params;
use crate::scalar::Scalar;

/// Updates a model `M` from its gradients, a value of the same type.
///
/// `step` never allocates and never panics. It does not check its inputs: non-finite
/// gradients propagate into the model and the state. Use
/// [`train_step`](crate::train::train_step), which checks them first, when the data can be
/// bad.
pub trait Optimizer<T: Scalar, M: Params<T>> {
    /// Applies one update to `model` using `grads` (and the optimizer's own state).
    fn step(&mut self, model: &mut M, grads: &M);

    /// [`step`](Optimizer::step), then sets `grads` to zero, ready for the next step's
    /// accumulation (PyTorch's `optimizer.step(); optimizer.zero_grad()`). The update is
    /// the same as `step`'s, bit for bit.
    ///
    /// The default does exactly that, in two passes; [`Sgd`] overrides it with one pass
    /// that updates each parameter and clears its gradient together.
    #[inline]
    fn step_and_zero(&mut self, model: &mut M, grads: &mut M) {
        self.step(model, grads);
        grads.zero();
    }
}
