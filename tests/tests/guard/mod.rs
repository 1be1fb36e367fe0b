//! What the float and the fixed-point guard properties (`train_guard.rs`,
//! `train_guard_q16.rs`) share: a model stepped through a fresh `Trainer`, and the snapshot
//! of every bit a refused step must leave as it was.
#![allow(dead_code)]

use proptest::prelude::*;
use skipgrad::{
    Buffers, Module, Mse, Optimizer, Params, Scalar, StepError, TorchInit, Trainer, Zeroed,
};

/// An optimizer under test, seen from outside: every bit of its state and hyperparameters,
/// and whether every state value is finite.
pub trait Inspect {
    /// Every bit of the state and the hyperparameters, in a fixed order.
    fn bits(&self) -> Vec<u64>;
    /// True if every state value is finite (in fixed point: no rail).
    fn state_finite(&self) -> bool;
}

/// Every parameter of `m` as bits, in registration order.
pub fn bits<T: Scalar, M: Params<T>>(m: &M) -> Vec<u64> {
    let mut out = vec![T::ZERO; M::LEN];
    m.store_flat(&mut out).expect("M::LEN values");
    out.into_iter().map(Scalar::to_bits).collect()
}

/// A model, its buffers and an optimizer, stepped through a fresh `Trainer` each time (as a
/// device would between samples), with or without clipping. `I` inputs, `O` outputs, MSE.
pub struct Run<T: Scalar, Net: Module<[T; I]>, Opt, const I: usize> {
    pub model: Net,
    pub buffers: Buffers<Net, [T; I]>,
    pub opt: Opt,
    pub clip: Option<f64>,
}

impl<T, Net, Opt, const I: usize, const O: usize> Run<T, Net, Opt, I>
where
    T: Scalar,
    Net: Module<[T; I], Output = [T; O]> + Params<T> + Zeroed,
    Net::Grads: Params<T>,
    Opt: Optimizer<T, Net> + Inspect,
{
    /// PyTorch's initialisation from `seed`, zero buffers.
    pub fn new(seed: u64, opt: Opt, clip: Option<f64>) -> Self {
        Self {
            model: Params::torch_init(&mut TorchInit::new(seed)),
            buffers: Buffers::ZERO,
            opt,
            clip,
        }
    }

    /// One guarded step of a batch of `K`.
    pub fn step<const K: usize>(
        &mut self,
        xs: &[[T; I]; K],
        ys: &[[T; O]; K],
    ) -> Result<T, StepError> {
        let trainer = Trainer::new(&mut self.model, &mut self.buffers, &mut self.opt, Mse);
        match self.clip {
            None => {
                let mut t = trainer;
                t.step(xs, ys)
            }
            Some(c) => trainer
                .with_max_grad_norm(c)
                .expect("valid norm")
                .step(xs, ys),
        }
    }

    /// `steps` clean steps, each of which must be taken (non-zero buffers and moments).
    pub fn warm_up<const K: usize>(&mut self, steps: usize, xs: &[[T; I]; K], ys: &[[T; O]; K]) {
        for _ in 0..steps {
            let r = self.step(xs, ys);
            assert!(r.is_ok(), "clean warm-up step refused: {r:?}");
        }
    }

    /// `(model bits, optimizer bits)`.
    pub fn snapshot(&self) -> (Vec<u64>, Vec<u64>) {
        (bits(&self.model), self.opt.bits())
    }

    /// True if every gradient is zero, as the trainer promises after every call.
    pub fn grads_zero(&self) -> bool {
        bits::<T, _>(self.buffers.grads()).iter().all(|b| *b == 0)
    }

    /// Asserts the refusal promise: the model and the optimizer state as they were in
    /// `before`, and the gradients zero.
    pub fn assert_unchanged(&self, before: &(Vec<u64>, Vec<u64>)) -> Result<(), TestCaseError> {
        let now = self.snapshot();
        prop_assert!(now.0 == before.0, "model changed");
        prop_assert!(now.1 == before.1, "optimizer state changed");
        prop_assert!(self.grads_zero(), "gradients left behind");
        Ok(())
    }
}
