//! `losses`: the losses beyond MSE on the device. One small network (2 -> 4, tanh, 4 -> 1)
//! learns XOR twice from the same initial weights with Adam: as a classifier with binary
//! cross-entropy on its logit, then as a regression with the Huber loss.

use core::fmt::{self, Write};

use skipgrad::{BceWithLogits, Huber, Linear, Loss, Module, Params, Tanh};

use crate::fit;
use crate::meter::{Meter, NoMeter};
use crate::report::Report;
use crate::scenario::Scenario;

/// The network: 2 -> 4, tanh, 4 -> 1.
pub type Net = (Linear<f32, 2, 4>, Tanh, Linear<f32, 4, 1>);

/// XOR's four inputs.
pub const INPUTS: [[f32; 2]; 4] = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]];
/// XOR's targets: the probability of class 1 for BCE, the value for Huber.
pub const TARGETS: [[f32; 1]; 4] = [[0.0], [1.0], [1.0], [0.0]];
/// The `torch.manual_seed` the network is initialised from.
pub const SEED: u64 = 5;
/// Adam's learning rate.
pub const LEARNING_RATE: f64 = 0.05;
/// Training steps per loss, each on the whole batch of four.
pub const STEPS: u32 = 120;
/// Each run succeeds when its final loss is below its goal: BCE, Huber.
pub const LOSS_GOALS: [f32; 2] = [0.05, 1e-3];

/// The scenario.
pub const SCENARIO: Scenario = Scenario {
    name: "losses",
    number: "f32",
    model_bytes: crate::scenario::model_bytes::<Net, [f32; 2]>(2),
    run,
};

/// One training run with `loss`: every tenth loss, the final loss, the outputs and the
/// weights' hash, under `name`. Returns the final loss.
fn train<L: Loss<[f32; 1], Target = [f32; 1]>>(
    report: &mut Report<'_>,
    name: &str,
    loss: L,
) -> Result<f32, fmt::Error> {
    // The scenario times both runs whole (see `run`), not each run's steps.
    let fitted = fit::adam::<Net, _, _, _, 4, { STEPS as usize }>(
        SEED,
        LEARNING_RATE,
        loss,
        &INPUTS,
        &TARGETS,
        &mut NoMeter,
        |model, losses| {
            let last = report.losses(&format_args!("{name} "), losses, 10)?;
            for (i, x) in INPUTS.iter().enumerate() {
                report.value(format_args!("{name} output {i}"), model.infer(x)[0])?;
            }
            report.word(
                format_args!("{name} weights_hash"),
                model.weights_hash().into(),
            )?;
            Ok(last)
        },
    );
    Ok(fitted.transpose()?.unwrap_or(f32::NAN))
}

/// Trains [`Net`] with [`BceWithLogits`], then again from the same weights with [`Huber`];
/// succeeds when both final losses are below their [`LOSS_GOALS`]. The timed steps are both
/// runs' (`2 * STEPS`).
pub fn run(out: &mut dyn Write, meter: &mut dyn Meter) -> Result<bool, fmt::Error> {
    let mut report = Report::begin(out, SCENARIO.name)?;
    meter.start();
    let bce = train(&mut report, "bce", BceWithLogits)?;
    let huber = train(&mut report, "huber", Huber)?;
    meter.stop(2 * STEPS);
    report.metric("bce_final_loss", f64::from(bce))?;
    report.metric("huber_final_loss", f64::from(huber))?;
    report.end()?;
    Ok(bce < LOSS_GOALS[0] && huber < LOSS_GOALS[1])
}
