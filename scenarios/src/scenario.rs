//! One device scenario: its name, number type and run function.

use core::fmt::{self, Write};

use crate::meter::Meter;

/// A scenario's run: writes its report to `out` and times its training steps with `meter`;
/// `Ok(true)` when it met its own goal (the firmware's exit status).
pub type Run = fn(out: &mut dyn Write, meter: &mut dyn Meter) -> Result<bool, fmt::Error>;

/// A device scenario.
#[derive(Clone, Copy, Debug)]
pub struct Scenario {
    /// The scenario's name: its report markers (`skipgrad-<name> begin`), its firmware
    /// binary and its `"scenario"` in `cargo xtask mcu --json`.
    pub name: &'static str,
    /// The number type it trains in (`"f32"`, `"q16.16"`): `"number"` in the JSON.
    pub number: &'static str,
    /// Bytes of the trained model: parameters, gradients, caches and optimizer state.
    pub model_bytes: usize,
    /// Writes the report.
    pub run: Run,
}
