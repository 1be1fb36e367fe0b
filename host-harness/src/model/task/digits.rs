//! `digits`: handwritten 8 x 8 digits, from the `skipgrad-digits` crate's committed file or
//! from another file of its format (`--data FILE`, a device's partition say), 64 inputs
//! (`pixels / 16`) and 10 outputs: one logit per class for cross-entropy, a one-hot target
//! per class for the losses with a number per output.
//!
//! Everything the task does is the digits crate's, so host training is written once: the
//! defaults ([`skipgrad_digits::defaults`]: ReLU, cross-entropy, Adam at lr 1e-2, 30 epochs
//! of mini-batches of 32, seed 0, one block of width 32 with a shortcut), the training loop
//! ([`skipgrad_digits::train::train`]: a Fisher-Yates shuffle per epoch, the last samples of
//! each epoch's order left out) and the figures on the test set (accuracy and confusion
//! matrix, [`skipgrad_digits::metrics`]). With the defaults the trained network is the
//! committed `digits/data/trained.skgi`, bit for bit.

use skipgrad::{Module, Optimizer, Scalar, Trainer};
use skipgrad_digits::train::{defaults, Observer, TrainError};
use skipgrad_digits::{metrics, network, Confusion, Domain, Set, CLASSES, PIXELS};

use super::{
    Data, EpochAccuracy, Evaluation, Labels, Misclassified, Record, Refused, Schedule, TaskData,
    TaskRow, TaskType, Test, Truth,
};
use crate::model::activation::ActivationKind;
use crate::model::dispatch::{self, Visit};
use crate::model::loss::{ClassLoss, LossKind, PointLoss, Targets, TaskLoss};
use crate::model::network::Network;
use crate::model::number::TrainNumber;
use crate::model::optimizer::OptimizerKind;
use crate::model::shape::Menu;
use crate::model::Model;

/// Samples per mini-batch.
pub const BATCH: usize = defaults::BATCH;
/// The most misclassified test digits an evaluation keeps.
pub const MISCLASSIFIED: usize = 24;

/// The task.
pub struct Digits;

impl TaskType for Digits {
    const ROW: TaskRow = TaskRow {
        inputs: PIXELS,
        labels: Labels::Classes(CLASSES),
        menu: Menu::Digits,
        depth: network::DEPTH,
        width: network::HIDDEN,
        activation: ActivationKind::Relu,
        loss: LossKind::CrossEntropy,
        optimizer: OptimizerKind::Adam,
        lr: defaults::LEARNING_RATE,
        schedule: Schedule::Epochs(defaults::EPOCHS),
        seed: defaults::SEED,
        reads_data: true,
    };

    fn networks<T: TrainNumber, V: Visit>(model: &Model, v: V) -> V::Output {
        match model.loss().targets() {
            Targets::Class => dispatch::shapes::<T, V, Self, ClassLoss, PIXELS, CLASSES>(model, v),
            Targets::Values | Targets::Probabilities => {
                dispatch::shapes::<T, V, Self, PointLoss, PIXELS, CLASSES>(model, v)
            }
        }
    }
}

/// The digits of a run: its file's, or the committed ones.
fn digits<'a>(data: &Data<'a>) -> anyhow::Result<skipgrad_digits::Digits<'a>> {
    Ok(match data {
        Data::Digits(d) => *d,
        Data::Generated => skipgrad_digits::Digits::embedded()?,
    })
}

/// The digits crate's observer, telling a [`Record`].
struct Observe<'r, 'd, T> {
    record: &'r mut dyn Record<T>,
    train: Set<'d>,
    test: Set<'d>,
}

impl<T, M> Observer<M, T> for Observe<'_, '_, T>
where
    T: Scalar,
    M: Module<[T; PIXELS], Output = [T; CLASSES]>,
{
    fn step(&mut self, _: u32, step: usize, loss: T) {
        self.record.step(step, loss);
    }

    fn epoch(&mut self, epoch: u32, model: &M) {
        if self.record.wants_epochs() {
            let accuracy = EpochAccuracy {
                train: metrics::evaluate(model, self.train, Domain::Original).accuracy(),
                test: metrics::evaluate(model, self.test, Domain::Original).accuracy(),
            };
            self.record.epoch(epoch, accuracy);
        }
    }
}

impl TaskData<PIXELS, CLASSES> for Digits {
    fn fit<T, M, L, Opt>(
        data: &Data<'_>,
        trainer: &mut Trainer<'_, M, [T; PIXELS], Opt, L>,
        schedule: Schedule,
        seed: u64,
        record: &mut dyn Record<T>,
    ) -> anyhow::Result<()>
    where
        T: TrainNumber,
        M: Network<T, PIXELS, CLASSES>,
        L: TaskLoss<T, CLASSES>,
        Opt: Optimizer<T, M>,
    {
        let digits = digits(data)?;
        let set = digits.train();
        let mut order = vec![0u16; set.len()];
        let schedule = skipgrad_digits::Schedule::<BATCH> {
            epochs: schedule.epochs(),
            seed,
        };
        let mut observe = Observe {
            record,
            train: set,
            test: digits.test(),
        };
        match skipgrad_digits::train::train(trainer, set, schedule, &mut order, &mut observe) {
            Ok(_) => Ok(()),
            Err(TrainError::Step { epoch, step, error }) => Err(Refused {
                step,
                epoch: Some(epoch),
                error,
            }
            .into()),
            Err(e) => Err(anyhow::anyhow!("the training set: {e}")),
        }
    }

    fn evaluate<T, M, L>(data: &Data<'_>, model: &M, loss: &L) -> anyhow::Result<Evaluation>
    where
        T: TrainNumber,
        M: Network<T, PIXELS, CLASSES>,
        L: TaskLoss<T, CLASSES>,
    {
        let digits = digits(data)?;
        let train = digits.train();
        let mut sum = 0.0;
        for s in train.iter() {
            let y = model.infer(&s.input());
            sum += loss.loss(&y, &L::target(Truth::Class(s.class()))).to_f64();
        }
        let final_loss = sum / train.len().max(1) as f64;
        if !final_loss.is_finite() {
            anyhow::bail!(
                "training diverged: the final loss is {}; a smaller --lr may help",
                final_loss as f32
            );
        }
        let mut confusion = Confusion::ZERO;
        let mut misclassified = Vec::new();
        for (index, s) in digits.test().iter().enumerate() {
            let predicted = metrics::predict(&model.infer(&s.input::<T>()));
            confusion.add(s.class(), predicted);
            if predicted != s.class() && misclassified.len() < MISCLASSIFIED {
                misclassified.push(Misclassified {
                    index,
                    pixels: s.pixels.to_vec(),
                    truth: s.class(),
                    predicted,
                });
            }
        }
        Ok(Evaluation {
            final_loss,
            accuracy: None,
            test: Some(Test {
                accuracy: confusion.accuracy(),
                confusion: confusion.counts().iter().map(|r| r.to_vec()).collect(),
                misclassified,
            }),
        })
    }

    fn sample(data: &Data<'_>, index: usize) -> anyhow::Result<Option<([f32; PIXELS], Truth)>> {
        Ok(digits(data)?
            .train()
            .get(index)
            .map(|s| (s.input(), Truth::Class(s.class()))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The row's defaults are the digits crate's.
    #[test]
    fn defaults_are_the_digits_crates() {
        let row = Digits::ROW;
        assert_eq!(row.lr, defaults::LEARNING_RATE);
        assert_eq!(row.schedule, Schedule::Epochs(defaults::EPOCHS));
        assert_eq!((row.depth, row.width), (network::DEPTH, network::HIDDEN));
        assert!(row.menu.contains(row.depth, row.width));
        assert_eq!(row.outputs(LossKind::Mse), CLASSES);
        assert_eq!(row.outputs(LossKind::CrossEntropy), CLASSES);
    }
}
