//! Optimizers: update a model's trainable parameters from its gradients, as a transaction.
//!
//! An optimizer's state (a momentum buffer, Adam's moments) is a value of the model's
//! gradient type, so an update is an element-wise rule zipped over the model's trainable
//! tensors, the gradients and the state ([`zip_trainable`](crate::params::zip_trainable)).
//! Nothing allocates, and the state's size is known at compile time.
//!
//! Every update is a transaction: if any new parameter or state value would be NaN or
//! infinite, the update is refused and the parameters and the state are exactly as they were,
//! so after an `Ok` every parameter and state value is finite and after an `Err` nothing
//! changed. [`transact`] checks every new value before writing any; [`Sgd`], which has no
//! state, computes each new value once into its gradient's slot, then copies them into the
//! model and clears the gradients in a second pass only if all of them are finite (on a host,
//! floats: each new value in place and the old one into its gradient's slot, then the
//! gradients cleared, the old values put back first if one is not).
//!
//! - [`Sgd`]: plain SGD with optional weight decay. It stores two scalars and no buffer, the
//!   choice for a microcontroller; optionally with stochastic rounding of its updates
//!   ([`rounding`]), for fixed point.
//! - [`SgdMomentum`]: SGD with momentum and dampening; one buffer.
//! - [`Adam`]: Adam with PyTorch's defaults; two buffers and a step count.
//!
//! Each follows the order of operations of PyTorch's single-tensor (CPU) implementation of
//! `torch.optim.SGD` / `torch.optim.Adam`, so the same parameters and gradients give the same
//! update up to rounding (`tests/tests/optimizers.rs` compares them with PyTorch to 1.5e-7
//! relative in `f32` and 3.6e-16 in `f64`).

mod adam;
pub(crate) mod hyper;
mod momentum;
pub mod rounding;
mod sgd;

pub use adam::Adam;
pub use hyper::HyperError;
pub use momentum::SgdMomentum;
pub use rounding::{Nearest, Rounding, Stochastic};
pub use sgd::Sgd;

use crate::number::Scalar;
use crate::params::{self, Mut, Params, View};

/// Updates the trainable parameters of a model `M` from its gradients.
pub trait Optimizer<T: Scalar, M: Params<T>> {
    /// Applies one update to `model` from `grads` and the optimizer's state, then sets
    /// `grads` to zero (PyTorch's `optimizer.step(); optimizer.zero_grad()`).
    ///
    /// A transaction: if any gradient, new parameter or new state value is NaN or infinite
    /// (or saturated), the update is refused and the model and the state are exactly as they
    /// were. The gradients' values are then unspecified (an optimizer may use them as scratch
    /// space): clear them before the next backward pass, as [`Trainer`](crate::Trainer) does.
    fn update(&mut self, model: &mut M, grads: &mut M::Grads) -> Result<(), NonFiniteUpdate>;
}

/// An update refused because a gradient, or a new parameter or state value, would not be
/// finite. The model and the optimizer's state are unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct NonFiniteUpdate;

impl core::fmt::Display for NonFiniteUpdate {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("a gradient or the update it gives is not finite")
    }
}

impl core::error::Error for NonFiniteUpdate {}

impl<T: Scalar, M: Params<T>, O: Optimizer<T, M>> Optimizer<T, M> for &mut O {
    #[inline]
    fn update(&mut self, model: &mut M, grads: &mut M::Grads) -> Result<(), NonFiniteUpdate> {
        (**self).update(model, grads)
    }
}

/// Which pass of a [`transact`]ion a kernel runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pass {
    /// Compute every new value and report whether all are finite; write nothing.
    Check,
    /// Write the new values (the same ones) and clear the gradients.
    Write,
}

/// Runs an optimizer's `kernel` over every trainable tensor of `model` beside the same tensor
/// of `grads` and `state` (views of values of the model's gradient type), twice: a
/// [`Pass::Check`] over every tensor, and only if every tensor passed, a [`Pass::Write`].
///
/// The kernel must compute the same values in both passes and write only in the second.
#[inline(always)]
pub fn transact<'a, T, M, V, F>(
    model: &'a mut M,
    grads: &'a mut M::Grads,
    mut state: V::Of<'a, M::Grads>,
    mut kernel: F,
) -> Result<(), NonFiniteUpdate>
where
    T: Scalar,
    M: Params<T>,
    V: View,
    F: for<'s> FnMut(Pass, &'s mut [T], (&'s mut [T], V::Slices<'s, T>)) -> bool,
{
    let mut ok = true;
    {
        let state = V::reborrow(&mut state);
        params::zip_trainable::<Mut, (Mut, V), M, T, _>(
            &mut *model,
            (&mut *grads, state),
            |_, p, o| {
                ok &= kernel(Pass::Check, p, o);
            },
        );
    }
    if !ok {
        return Err(NonFiniteUpdate);
    }
    params::zip_trainable::<Mut, (Mut, V), M, T, _>(model, (grads, state), |_, p, o| {
        kernel(Pass::Write, p, o);
    });
    Ok(())
}
