//! `sin`: `y = sin(x)` on 64 evenly spaced points of `[-pi, pi]` (endpoints included, as
//! `torch.linspace(-pi, pi, 64)`), a regression whose targets have mean square 0.49, so a
//! network that only learns the mean stalls at a loss of about 0.49. Trained full batch.
//!
//! Every value is computed in `f64` with `libm` and rounded once to `f32`, so the data are the
//! same bits on every platform.

use std::f64::consts::PI;

use skipgrad::{Optimizer, Trainer};

use super::full_batch::Batch;
use super::{Data, Evaluation, Labels, Record, Schedule, TaskData, TaskRow, TaskType, Truth};
use crate::model::activation::ActivationKind;
use crate::model::dispatch::{self, Visit};
use crate::model::loss::{LossKind, PointLoss, TaskLoss};
use crate::model::network::Network;
use crate::model::number::TrainNumber;
use crate::model::optimizer::OptimizerKind;
use crate::model::shape::Menu;
use crate::model::Model;

/// Points in the task.
pub const POINTS: usize = 64;

/// The task.
pub struct Sin;

impl TaskType for Sin {
    const ROW: TaskRow = TaskRow {
        inputs: 1,
        labels: Labels::Values,
        menu: Menu::Deep,
        depth: 8,
        width: 16,
        activation: ActivationKind::GeluTanh,
        loss: LossKind::Mse,
        optimizer: OptimizerKind::Sgd,
        lr: 0.01,
        schedule: Schedule::Steps(2000),
        seed: 0,
        reads_data: false,
    };

    fn networks<T: TrainNumber, V: Visit>(model: &Model, v: V) -> V::Output {
        dispatch::shapes::<T, V, Self, PointLoss, 1, 1>(model, v)
    }
}

/// `sin(x)` at 64 evenly spaced points from `-pi` to `pi`.
pub fn data() -> Batch<1, POINTS> {
    let last = (POINTS - 1) as f64;
    let xs: [f64; POINTS] = std::array::from_fn(|i| -PI + 2.0 * PI * (i as f64) / last);
    Batch {
        inputs: xs.map(|x| [x as f32]),
        truths: xs.map(|x| Truth::Value(libm::sin(f64::from(x as f32)) as f32)),
    }
}

impl TaskData<1, 1> for Sin {
    fn fit<T, M, L, Opt>(
        _: &Data<'_>,
        trainer: &mut Trainer<'_, M, [T; 1], Opt, L>,
        schedule: Schedule,
        _: u64,
        record: &mut dyn Record<T>,
    ) -> anyhow::Result<()>
    where
        T: TrainNumber,
        M: Network<T, 1, 1>,
        L: TaskLoss<T, 1>,
        Opt: Optimizer<T, M>,
    {
        data().fit(trainer, schedule.steps(), record)
    }

    fn evaluate<T, M, L>(_: &Data<'_>, model: &M, loss: &L) -> anyhow::Result<Evaluation>
    where
        T: TrainNumber,
        M: Network<T, 1, 1>,
        L: TaskLoss<T, 1>,
    {
        data().evaluate(model, loss)
    }

    fn sample(_: &Data<'_>, index: usize) -> anyhow::Result<Option<([f32; 1], Truth)>> {
        Ok(data().sample(index))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sin_spans_minus_pi_to_pi() {
        let d = data();
        assert_eq!(d.inputs[0][0], -std::f32::consts::PI);
        assert_eq!(d.inputs[POINTS - 1][0], std::f32::consts::PI);
        let value = |t: &Truth| match t {
            Truth::Value(v) => f64::from(*v),
            Truth::Class(_) => f64::NAN,
        };
        // Mean square of the targets: the loss of predicting 0 everywhere.
        let ms: f64 = d.truths.iter().map(|t| value(t).powi(2)).sum::<f64>() / 64.0;
        assert!((ms - 0.492).abs() < 1e-3, "{ms}");
        for (x, t) in d.inputs.iter().zip(&d.truths) {
            assert!((value(t) - f64::from(x[0]).sin()).abs() < 1e-7);
        }
    }
}
