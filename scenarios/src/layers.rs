//! `layers`: the core's layers beyond the notebook's, trained on the device. A `Linear` stem,
//! a block with a shortcut around `LayerNorm`, `Linear` and GELU, and a `Linear` head learn
//! XOR from its four samples with Adam, as one batch per step.

use core::fmt::{self, Write};

use skipgrad::{Gelu, LayerNorm, Linear, Mse, Params, Residual};

use crate::fit;
use crate::meter::Meter;
use crate::report::Report;
use crate::scenario::Scenario;

/// The network: 2 -> 4, a pre-norm residual block of width 4, 4 -> 1.
pub type Net = (
    Linear<f32, 2, 4>,
    Residual<(LayerNorm<f32, 4>, Linear<f32, 4, 4>, Gelu)>,
    Linear<f32, 4, 1>,
);

/// XOR's four inputs.
pub const INPUTS: [[f32; 2]; 4] = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]];
/// XOR's four targets.
pub const TARGETS: [[f32; 1]; 4] = [[0.0], [1.0], [1.0], [0.0]];
/// The `torch.manual_seed` the network is initialised from.
pub const SEED: u64 = 7;
/// Adam's learning rate.
pub const LEARNING_RATE: f64 = 0.02;
/// Training steps, each on the whole batch of four.
pub const STEPS: u32 = 150;
/// The run succeeds when the final loss is below this.
pub const LOSS_GOAL: f32 = 1e-3;

/// The scenario.
pub const SCENARIO: Scenario = Scenario {
    name: "layers",
    number: "f32",
    model_bytes: crate::scenario::model_bytes::<Net, [f32; 2]>(2),
    run,
};

/// Trains [`Net`] for [`STEPS`] steps and reports every tenth loss, the final loss and the
/// final weights' hash; succeeds when the final loss is below [`LOSS_GOAL`].
pub fn run(out: &mut dyn Write, meter: &mut dyn Meter) -> Result<bool, fmt::Error> {
    let mut report = Report::begin(out, SCENARIO.name)?;
    let fitted = fit::adam::<Net, _, _, _, 4, { STEPS as usize }>(
        SEED,
        LEARNING_RATE,
        Mse,
        &INPUTS,
        &TARGETS,
        meter,
        |model, losses| {
            let last = report.losses(&"", losses, 10)?;
            report.word("weights_hash", model.weights_hash().into())?;
            Ok(last)
        },
    );
    let Some(last) = fitted.transpose()? else {
        return Ok(false);
    };
    report.metric("final_loss", f64::from(last))?;
    report.end()?;
    Ok(last < LOSS_GOAL)
}
