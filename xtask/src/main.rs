//! Project automation, run as `cargo xtask <command>` (the alias is in `.cargo/config.toml`).
//!
//! - `cargo xtask mcu [--json]`: builds the firmware for every emulated microcontroller, runs
//!   it under QEMU, checks that the device's gradients, losses and weights equal the host's
//!   bit for bit, checks that the Cortex-M4F trainer has no panic path and meets its stated
//!   goals (`goals.rs`), checks the demo's gradient table against the notebook, and prints
//!   the footprint table (Markdown, or one JSON array with `--json`).

mod elf;
mod goals;
mod mcu;
mod qemu;
mod targets;
mod toolchain;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask mcu [--json]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("mcu") => match args.get(1..).unwrap_or_default() {
            [] => mcu::run(false),
            [flag] if flag == "--json" => mcu::run(true),
            other => Err(anyhow::anyhow!(
                "unknown argument(s) {other:?} for `mcu`\n{USAGE}"
            )),
        },
        Some(other) => Err(anyhow::anyhow!("unknown command `{other}`\n{USAGE}")),
        None => Err(anyhow::anyhow!("no command given\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
