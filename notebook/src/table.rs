//! The notebook's gradient tables, as it prints them.
//!
//! ```text
//! without shortcut:
//! layers.0.0.weight has gradient mean of 0.00020173590746708214
//! ...
//!
//! with shortcut:
//! layers.0.0.weight has gradient mean of 0.22169792652130127
//! ...
//! ```

use core::fmt::{self, Write};

use skipgrad::{Float, Params};

use crate::experiment::{weight_means, Gradients};
use crate::repr::PyRepr;

/// Bound on the relative error of the default tables (`float32-uniform`, seed 123, the
/// notebook's sample) against the numbers the notebook printed
/// (`tests/fixtures/seed-123-parameters.json`). Measured: 2.697e-7 (`layers.4.0.weight` with
/// shortcuts; `tests/tests/fixture.rs` prints it); the bound is about 1.5 times that. The host
/// tests and `cargo xtask mcu` (the device's table) hold to it.
pub const NOTEBOOK_BOUND: f64 = 4e-7;

/// Bound on the relative error of the `float64-uniform` tables (seed 123, the notebook's
/// sample) against PyTorch 2.15. Measured: 4.033e-7 (`layers.0.0.weight` with shortcuts;
/// `tests/tests/fixture.rs` prints it); the bound is about 1.5 times that.
pub const PYTORCH_2_15_BOUND: f64 = 6e-7;

/// The caption before the table of the network without shortcuts.
pub const WITHOUT_CAPTION: &str = "without shortcut:";
/// The caption before the table of the network with shortcuts.
pub const WITH_CAPTION: &str = "with shortcut:";

/// One line per weight: `f"{name} has gradient mean of {value}"`, the value as Python's
/// `repr` of the `f64` widening of the mean.
pub fn write_table<T: Float, G: Params<T>>(out: &mut impl Write, grads: &G) -> fmt::Result {
    let mut result = Ok(());
    weight_means(grads, |name, mean| {
        if result.is_ok() {
            result = write_line(out, name.as_str(), mean.to_f64());
        }
    });
    result
}

/// One line of the table.
pub fn write_line(out: &mut impl Write, name: &str, mean: f64) -> fmt::Result {
    writeln!(out, "{name} has gradient mean of {}", PyRepr(mean))
}

/// Both tables, each after its caption, with a blank line between them.
pub fn write_tables(out: &mut impl Write, g: &Gradients) -> fmt::Result {
    writeln!(out, "{WITHOUT_CAPTION}")?;
    write_table(out, &g.without_shortcut)?;
    writeln!(out)?;
    writeln!(out, "{WITH_CAPTION}")?;
    write_table(out, &g.with_shortcut)
}
