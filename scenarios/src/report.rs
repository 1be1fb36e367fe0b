//! A scenario's report: lines between two markers, compared bit for bit between the device
//! and the host. Numbers are printed in decimal and as their exact bits.

use core::fmt::{self, Write};

use skipgrad::Scalar;

/// Writes a scenario's report: `skipgrad-<name> begin`, the scenario's lines, then
/// `skipgrad-<name> end` (written by [`Report::end`]).
///
/// `metric <key> <value>` lines become keys of the scenario's object in
/// `cargo xtask mcu --json` (the value is a decimal number).
pub struct Report<'a> {
    out: &'a mut dyn Write,
    name: &'static str,
}

impl<'a> Report<'a> {
    /// Writes the begin marker of scenario `name`.
    pub fn begin(out: &'a mut dyn Write, name: &'static str) -> Result<Self, fmt::Error> {
        writeln!(out, "skipgrad-{name} begin")?;
        Ok(Self { out, name })
    }

    /// `<label> <decimal> 0x<bits>`: a number, exactly.
    pub fn value<T: Scalar>(&mut self, label: impl fmt::Display, v: T) -> fmt::Result {
        writeln!(self.out, "{label} {} 0x{:x}", v.to_f64(), v.to_bits())
    }

    /// `<label> 0x<word>`: a hash or a count.
    pub fn word(&mut self, label: impl fmt::Display, v: u64) -> fmt::Result {
        writeln!(self.out, "{label} 0x{v:x}")
    }

    /// `metric <key> <value>`: a figure for the JSON report.
    pub fn metric(&mut self, key: &str, v: f64) -> fmt::Result {
        writeln!(self.out, "metric {key} {v}")
    }

    /// `<prefix>loss <i>` for every `every`-th of a run's `losses` (the loss before update
    /// `i`), then `<prefix>final_loss`; returns the last loss (NaN for none).
    pub fn losses(
        &mut self,
        prefix: &dyn fmt::Display,
        losses: &[f32],
        every: usize,
    ) -> Result<f32, fmt::Error> {
        for (i, loss) in losses.iter().enumerate().step_by(every) {
            self.value(format_args!("{prefix}loss {i}"), *loss)?;
        }
        let last = losses.last().copied().unwrap_or(f32::NAN);
        self.value(format_args!("{prefix}final_loss"), last)?;
        Ok(last)
    }

    /// Any other line.
    pub fn line(&mut self, args: fmt::Arguments<'_>) -> fmt::Result {
        self.out.write_fmt(args)?;
        self.out.write_char('\n')
    }

    /// Writes the end marker.
    pub fn end(self) -> fmt::Result {
        writeln!(self.out, "skipgrad-{} end", self.name)
    }
}
