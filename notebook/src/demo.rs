//! The device demo: the notebook's gradient tables, then training the shortcut network with
//! the core's guarded [`Trainer`] until the loss falls below a threshold, every loss and the
//! final weights printed exactly.

use core::fmt::{self, Write};

use skipgrad::{params, Buffers, Mse, Params, Sgd, TorchInit, Trainer, Zeroed};

use crate::experiment::Experiment;
use crate::network::{WithShortcut, INPUT, PREFIX, SEED, TARGET};
use crate::repr::PyRepr;
use crate::table::write_tables;

/// SGD learning rate of the on-device training.
pub const LEARNING_RATE: f64 = 0.1;
/// The demo trains until the loss falls below this value.
pub const LOSS_THRESHOLD: f32 = 1e-4;
/// The demo gives up (and fails) after this many steps.
pub const MAX_STEPS: u32 = 200;
/// The first line of the demo's report.
pub const DEMO_BEGIN: &str = "skipgrad-demo begin";
/// The last line of the demo's report.
pub const DEMO_END: &str = "skipgrad-demo end";

/// How the demo ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DemoOutcome {
    /// Steps taken before the loss fell below [`LOSS_THRESHOLD`] (or [`MAX_STEPS`]).
    pub steps: u32,
    /// True when the loss fell below the threshold.
    pub reached: bool,
}

/// The full demo: builds both networks with `TorchInit::new(SEED)` and prints the notebook's
/// tables ([`write_tables`], the text `skipgrad seed` prints), then trains the shortcut
/// network with SGD on the notebook's sample until the loss falls below [`LOSS_THRESHOLD`],
/// printing every loss and then every final weight as f32 bits.
pub fn demo(out: &mut impl Write) -> Result<DemoOutcome, fmt::Error> {
    writeln!(out, "{DEMO_BEGIN}")?;
    write_tables(out, &Experiment::default().run())?;

    let mut net: WithShortcut<f32> = Params::torch_init(&mut TorchInit::new(SEED));
    let mut buffers = Buffers::ZERO;
    let sgd = Sgd::new(LEARNING_RATE).map_err(|_| fmt::Error)?;
    let mut trainer = Trainer::new(&mut net, &mut buffers, sgd, Mse);
    let mut outcome = DemoOutcome {
        steps: 0,
        reached: false,
    };
    while outcome.steps < MAX_STEPS {
        let loss = match trainer.step(&[INPUT], &[TARGET]) {
            Ok(loss) => loss,
            Err(e) => {
                writeln!(out, "step {} refused: {e}", outcome.steps)?;
                break;
            }
        };
        writeln!(out, "loss {} {}", outcome.steps, PyRepr(f64::from(loss)))?;
        outcome.steps += 1;
        if loss < LOSS_THRESHOLD {
            outcome.reached = true;
            break;
        }
    }
    writeln!(
        out,
        "trained steps={} reached={} threshold={}",
        outcome.steps, outcome.reached, LOSS_THRESHOLD
    )?;
    let mut result = Ok(());
    let mut name = skipgrad::ParamName::with_prefix(PREFIX);
    params::visit_named_under(trainer.model(), &mut name, &mut |name, _, t: &[f32]| {
        if result.is_ok() {
            result = write_bits(out, name.as_str(), t);
        }
    });
    result?;
    writeln!(out, "{DEMO_END}")?;
    Ok(outcome)
}

fn write_bits(out: &mut impl Write, name: &str, t: &[f32]) -> fmt::Result {
    write!(out, "weight {name}")?;
    for v in t {
        write!(out, " 0x{:08x}", v.to_bits())?;
    }
    writeln!(out)
}
