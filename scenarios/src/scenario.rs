//! One device scenario: its name, number type and run function.

use core::fmt::{self, Write};

use skipgrad::{Buffers, Data, Module};

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

/// [`Scenario::model_bytes`] of a model `M` trained on inputs `X` with an optimizer that keeps
/// `states` model-sized buffers (Adam 2, momentum 1): the parameters, the [`Buffers`]
/// (gradients and caches) and the optimizer's state.
pub const fn model_bytes<M: Module<X>, X: Data>(states: usize) -> usize {
    (1 + states) * core::mem::size_of::<M>() + core::mem::size_of::<Buffers<M, X>>()
}
