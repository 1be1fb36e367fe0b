//! `cargo xtask callgrind`: instructions per SGD step on the host, counted by valgrind's
//! callgrind, for the core and for the same step written by hand with plain arrays
//! (`host-harness/examples/step_count.rs`; README, "Zero-cost abstractions").
//!
//! Each variant runs twice, with [`SHORT`] and [`LONG`] steps; the difference of the two
//! instruction totals divided by the difference of the step counts is the cost of one step,
//! with start-up and initialisation cancelled out. Callgrind counts executed instructions
//! exactly, so the figures repeat from run to run on the same build.

use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::Context as _;

use crate::toolchain;

/// Steps of the short run.
pub const SHORT: u64 = 1_000;
/// Steps of the long run.
pub const LONG: u64 = 101_000;
/// The variants of `step_count`, in report order.
pub const VARIANTS: [&str; 3] = ["skipgrad", "hand", "hand-cached-tanh"];

/// Builds the example, counts every variant and prints one line per variant.
pub fn run(root: &Path) -> anyhow::Result<()> {
    toolchain::require("valgrind", "valgrind")?;
    let status = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .current_dir(root)
        .args([
            "build",
            "--release",
            "-p",
            "skipgrad-harness",
            "--example",
            "step_count",
        ])
        .stdin(Stdio::null())
        .status()
        .context("running cargo build")?;
    anyhow::ensure!(status.success(), "building the step_count example failed");
    let exe = root.join("target/release/examples/step_count");
    let out_dir = root.join("target/callgrind");
    std::fs::create_dir_all(&out_dir).context("creating target/callgrind")?;
    println!(
        "instructions per SGD step of the notebook network (callgrind, {LONG} - {SHORT} steps):"
    );
    for variant in VARIANTS {
        let short = count(&exe, &out_dir, variant, SHORT)?;
        let long = count(&exe, &out_dir, variant, LONG)?;
        anyhow::ensure!(
            long > short,
            "{variant}: the long run counted no more than the short one"
        );
        let per_step = (long - short) as f64 / (LONG - SHORT) as f64;
        println!("{variant:<18} {per_step:>8.1}");
    }
    Ok(())
}

/// Total instructions callgrind counts for `step_count VARIANT STEPS`.
fn count(exe: &Path, out_dir: &Path, variant: &str, steps: u64) -> anyhow::Result<u64> {
    let file = out_dir.join(format!("callgrind.{variant}.{steps}"));
    let out = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", file.display()))
        .arg(exe)
        .args([variant, &steps.to_string()])
        .stdin(Stdio::null())
        .output()
        .context("running valgrind")?;
    anyhow::ensure!(
        out.status.success(),
        "valgrind {variant} {steps} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text =
        std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
    totals(&text).with_context(|| format!("no instruction total in {}", file.display()))
}

/// The `totals:` (or `summary:`) line of a callgrind output file: instructions executed.
pub fn totals(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| {
            l.strip_prefix("totals:")
                .or_else(|| l.strip_prefix("summary:"))
        })
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_are_read_from_either_line() {
        assert_eq!(totals("events: Ir\nsummary: 1234\n"), Some(1234));
        assert_eq!(totals("fl=x\ntotals: 99 7\n"), Some(99));
        assert_eq!(totals("events: Ir\n"), None);
    }
}
