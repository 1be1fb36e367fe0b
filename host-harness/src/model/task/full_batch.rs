//! Full-batch training, the loop of the generated tasks: every step is one guarded
//! [`Trainer::step`] on all `K` samples, and the figures are taken on the same samples.

use skipgrad::{Optimizer, Trainer};

use super::{Evaluation, Record, Refused, Truth};
use crate::model::loss::TaskLoss;
use crate::model::network::Network;
use crate::model::number::TrainNumber;

/// `K` samples of `I` inputs each, and their truths, as the task generates them (`f32`).
pub struct Batch<const I: usize, const K: usize> {
    /// The inputs.
    pub inputs: [[f32; I]; K],
    /// The truths.
    pub truths: [Truth; K],
}

impl<const I: usize, const K: usize> Batch<I, K> {
    /// The inputs in `T` (each `f32` converted, exactly where `T` holds it).
    fn inputs<T: TrainNumber>(&self) -> [[T; I]; K] {
        self.inputs.map(|x| x.map(|v| T::from_f64(f64::from(v))))
    }

    /// `steps` steps on the whole batch.
    pub fn fit<T, M, L, Opt, const O: usize>(
        &self,
        trainer: &mut Trainer<'_, M, [T; I], Opt, L>,
        steps: usize,
        record: &mut dyn Record<T>,
    ) -> anyhow::Result<()>
    where
        T: TrainNumber,
        M: Network<T, I, O>,
        L: TaskLoss<T, O>,
        Opt: Optimizer<T, M>,
    {
        let inputs = Box::new(self.inputs::<T>());
        let targets = Box::new(self.truths.map(L::target));
        for step in 0..steps {
            let loss = trainer.step(&inputs, &targets).map_err(|error| Refused {
                step,
                epoch: None,
                error,
            })?;
            record.step(step, loss);
        }
        Ok(())
    }

    /// The loss of the whole batch (as [`TrainNumber::final_loss`] reports it) and, for a
    /// classifier, the fraction of the samples classified right; an error if an output is
    /// not finite.
    pub fn evaluate<T, M, L, const O: usize>(
        &self,
        model: &M,
        loss: &L,
    ) -> anyhow::Result<Evaluation>
    where
        T: TrainNumber,
        M: Network<T, I, O>,
        L: TaskLoss<T, O>,
    {
        let outputs = Box::new(self.inputs::<T>().map(|x| model.infer(&x)));
        let final_loss = T::final_loss(loss, &outputs, &self.truths);
        if !final_loss.is_finite() {
            anyhow::bail!(
                "training diverged: the final loss is {}; a smaller --lr may help",
                final_loss as f32
            );
        }
        if !outputs.iter().flatten().all(|y| y.is_finite()) {
            anyhow::bail!("training diverged: an output is not finite; a smaller --lr may help");
        }
        let right = outputs
            .iter()
            .zip(&self.truths)
            .filter(|(y, t)| matches!(t, Truth::Class(c) if loss.predict(y) == *c))
            .count();
        let classifies = self.truths.iter().any(|t| matches!(t, Truth::Class(_)));
        Ok(Evaluation {
            final_loss,
            accuracy: classifies.then(|| right as f64 / K as f64),
            test: None,
        })
    }

    /// Sample `index`.
    pub fn sample(&self, index: usize) -> Option<([f32; I], Truth)> {
        Some((*self.inputs.get(index)?, *self.truths.get(index)?))
    }
}
