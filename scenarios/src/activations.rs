//! `activations`: every activation of the core in one network, trained on the device as a
//! classifier with cross-entropy. A `Linear` stem with ReLU, five shortcut blocks of
//! `Linear` + LeakyReLU, sigmoid, tanh, SiLU and exact GELU, and a head of two logits learn
//! XOR's two classes with Adam, as one batch per step.

use core::fmt::{self, Write};

use skipgrad::{
    CrossEntropy, GeluErf, LeakyRelu, Linear, Module, Params, Relu, Residual, Sigmoid, Silu, Tanh,
};

use crate::fit;
use crate::meter::Meter;
use crate::report::Report;
use crate::scenario::Scenario;

/// A block of width 4 with a shortcut around `Linear` and the activation `A`.
type Block<A> = Residual<(Linear<f32, 4, 4>, A)>;

/// The network: 2 -> 4 (ReLU), five blocks of width 4, 4 -> 2 logits.
pub type Net = (
    (Linear<f32, 2, 4>, Relu),
    Block<LeakyRelu>,
    Block<Sigmoid>,
    Block<Tanh>,
    Block<Silu>,
    Block<GeluErf>,
    Linear<f32, 4, 2>,
);

/// XOR's four inputs.
pub const INPUTS: [[f32; 2]; 4] = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]];
/// XOR's classes.
pub const CLASSES: [usize; 4] = [0, 1, 1, 0];
/// The `torch.manual_seed` the network is initialised from.
pub const SEED: u64 = 11;
/// Adam's learning rate.
pub const LEARNING_RATE: f64 = 0.02;
/// Training steps, each on the whole batch of four.
pub const STEPS: u32 = 150;
/// The run succeeds when the final loss is below this and every input is classified right.
pub const LOSS_GOAL: f32 = 0.05;

/// The scenario.
pub const SCENARIO: Scenario = Scenario {
    name: "activations",
    number: "f32",
    model_bytes: crate::scenario::model_bytes::<Net, [f32; 2]>(2),
    run,
};

/// Trains [`Net`] for [`STEPS`] steps and reports every tenth loss, the final loss, the
/// final logits and weights' hash; succeeds when the loss is below [`LOSS_GOAL`] and every
/// input's larger logit is its class.
pub fn run(out: &mut dyn Write, meter: &mut dyn Meter) -> Result<bool, fmt::Error> {
    let mut report = Report::begin(out, SCENARIO.name)?;
    let fitted = fit::adam::<Net, _, _, _, 4, { STEPS as usize }>(
        SEED,
        LEARNING_RATE,
        CrossEntropy,
        &INPUTS,
        &CLASSES,
        meter,
        |model, losses| {
            let last = report.losses(&"", losses, 10)?;
            let mut right = 0;
            for (i, (x, class)) in INPUTS.iter().zip(CLASSES).enumerate() {
                let [a, b] = model.infer(x);
                report.value(format_args!("logit {i} 0"), a)?;
                report.value(format_args!("logit {i} 1"), b)?;
                right += usize::from(usize::from(b > a) == class);
            }
            report.word("weights_hash", model.weights_hash().into())?;
            Ok((last, right))
        },
    );
    let Some((last, right)) = fitted.transpose()? else {
        return Ok(false);
    };
    report.metric("final_loss", f64::from(last))?;
    report.metric("accuracy", right as f64 / INPUTS.len() as f64)?;
    report.end()?;
    Ok(last < LOSS_GOAL && right == INPUTS.len())
}
