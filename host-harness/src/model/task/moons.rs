//! `moons`: the two interleaving half circles of scikit-learn's `make_moons`, 64 points
//! each, with uniform noise in `[-0.1, 0.1]` from a fixed SplitMix64 stream; the truths are
//! the labels 0 and 1. A loss with a number per output regresses the label on one output
//! (MSE, Huber: accuracy thresholds the output at 0.5) or takes it as the probability of
//! class 1 (BCE: the logit's sign); cross-entropy takes it as a class index on two logits
//! (the larger). Trained full batch.
//!
//! Every value is computed in `f64` with `libm` and rounded once to `f32`, so the data are the
//! same bits on every platform.

use std::f64::consts::PI;

use skipgrad::{Optimizer, Trainer};
use skipgrad_digits::SplitMix64;

use super::full_batch::Batch;
use super::{Data, Evaluation, Labels, Record, Schedule, TaskData, TaskRow, TaskType, Truth};
use crate::model::activation::ActivationKind;
use crate::model::dispatch::{self, Visit};
use crate::model::loss::{ClassLoss, LossKind, PointLoss, Targets, TaskLoss};
use crate::model::network::Network;
use crate::model::number::TrainNumber;
use crate::model::optimizer::OptimizerKind;
use crate::model::shape::Menu;
use crate::model::Model;

/// Points in the task (half per moon).
pub const POINTS: usize = 128;
/// Seed of the noise stream.
const NOISE_SEED: u64 = 0x0005_EED0_F300_E500;
/// Half-width of the uniform noise added to each coordinate.
const NOISE: f64 = 0.1;

/// The task.
pub struct Moons;

impl TaskType for Moons {
    const ROW: TaskRow = TaskRow {
        inputs: 2,
        labels: Labels::Classes(2),
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
        match model.loss().targets() {
            Targets::Class => dispatch::shapes::<T, V, Self, ClassLoss, 2, 2>(model, v),
            Targets::Values | Targets::Probabilities => {
                dispatch::shapes::<T, V, Self, PointLoss, 2, 1>(model, v)
            }
        }
    }
}

/// Uniform in `[0, 1)`, 53 bits.
fn unit(rng: &mut SplitMix64) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Two moons: the upper half circle of radius 1 around the origin (label 0) and the lower
/// one around `(1, 0.5)` (label 1), 64 points each at evenly spaced angles, with noise.
pub fn data() -> Batch<2, POINTS> {
    let half = POINTS / 2;
    let mut rng = SplitMix64::new(NOISE_SEED);
    let mut noise = move || (unit(&mut rng) * 2.0 - 1.0) * NOISE;
    let mut inputs = [[0.0f32; 2]; POINTS];
    let mut truths = [Truth::Class(0); POINTS];
    for (i, (x, t)) in inputs.iter_mut().zip(truths.iter_mut()).enumerate() {
        let k = i % half;
        let angle = PI * (k as f64) / ((half - 1) as f64);
        let (c, s) = (libm::cos(angle), libm::sin(angle));
        let (px, py, label) = if i < half {
            (c, s, 0)
        } else {
            (1.0 - c, 0.5 - s, 1)
        };
        *x = [(px + noise()) as f32, (py + noise()) as f32];
        *t = Truth::Class(label);
    }
    Batch { inputs, truths }
}

/// The task with `O` outputs: 1 (a label per point) or 2 (a logit per class).
macro_rules! moons_with {
    ($o:literal) => {
        impl TaskData<2, $o> for Moons {
            fn fit<T, M, L, Opt>(
                _: &Data<'_>,
                trainer: &mut Trainer<'_, M, [T; 2], Opt, L>,
                schedule: Schedule,
                _: u64,
                record: &mut dyn Record<T>,
            ) -> anyhow::Result<()>
            where
                T: TrainNumber,
                M: Network<T, 2, $o>,
                L: TaskLoss<T, $o>,
                Opt: Optimizer<T, M>,
            {
                data().fit(trainer, schedule.steps(), record)
            }

            fn evaluate<T, M, L>(_: &Data<'_>, model: &M, loss: &L) -> anyhow::Result<Evaluation>
            where
                T: TrainNumber,
                M: Network<T, 2, $o>,
                L: TaskLoss<T, $o>,
            {
                data().evaluate(model, loss)
            }

            fn sample(_: &Data<'_>, index: usize) -> anyhow::Result<Option<([f32; 2], Truth)>> {
                Ok(data().sample(index))
            }
        }
    };
}

moons_with!(1);
moons_with!(2);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moons_are_balanced_noisy_and_fixed() {
        let d = data();
        assert_eq!(d.inputs, data().inputs);
        assert_eq!(d.truths, data().truths);
        let ones = d.truths.iter().filter(|t| **t == Truth::Class(1)).count();
        assert_eq!(ones, POINTS / 2);
        // Every point is within the noise of its moon's circle.
        for (x, t) in d.inputs.iter().zip(&d.truths) {
            let (cx, cy) = if *t == Truth::Class(0) {
                (0.0, 0.0)
            } else {
                (1.0, 0.5)
            };
            let r = (f64::from(x[0]) - cx).hypot(f64::from(x[1]) - cy);
            assert!(
                (r - 1.0).abs() <= 0.1 * 2f64.sqrt() + 1e-6,
                "{x:?}: r = {r}"
            );
        }
    }

    #[test]
    fn splitmix_reference_values() {
        // First outputs for seed 1234567, from the reference implementation.
        let mut r = SplitMix64::new(1_234_567);
        assert_eq!(r.next_u64(), 6_457_827_717_110_365_317);
        assert_eq!(r.next_u64(), 3_203_168_211_198_807_973);
    }
}
