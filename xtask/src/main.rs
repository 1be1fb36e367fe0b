//! Project automation, run as `cargo xtask <command>` (the alias is in `.cargo/config.toml`).
//!
//! - `cargo xtask mcu [--json]`: builds the firmware for every emulated microcontroller, runs
//!   it under QEMU, checks that the device's gradients, losses and weights equal the host's
//!   bit for bit, checks that the Cortex-M4F trainer has no panic path and meets its stated
//!   goals (`goals.rs`), checks the demo's gradient table against the notebook, runs every
//!   device scenario of `skipgrad-scenarios` the same way, and prints the footprint tables
//!   (Markdown, or one JSON array with `--json`: one object per scenario and target).
//! - `cargo xtask digits-curve`: the `digits-adapt` scenarios' adaptation curves, computed on
//!   the host by the scenarios' code, drawn as `docs/digits-adapt.svg`.
//! - `cargo xtask fleet --clients N --out DIR`: the Flower fleet's files (each device's
//!   partition of the digits, the initial model) and its device client built for the
//!   Cortex-M4F, for `fleet/run.sh`; prints them as one JSON object.
//! - `cargo xtask callgrind`: instructions per SGD step on the host, under valgrind's
//!   callgrind, for the core and for the hand-written step.
//! - `cargo xtask uf2 ELF [OUT]`: the Raspberry Pi Pico 2 example's firmware as a UF2 file
//!   (for the RP2350's USB drive), after checking its boot block.
//! - `cargo xtask mutants [--workspace-tests] [FILE...]`: mutation testing of the core with
//!   cargo-mutants, and its caught / missed / unviable / timeout counts.

mod callgrind;
mod digits;
mod elf;
mod fleet;
mod goals;
mod mcu;
mod mutants;
mod qemu;
mod report;
mod returned;
mod roundtrip;
mod roundtrip_q16;
mod scenarios;
mod table;
mod targets;
mod toolchain;
mod uf2;

use std::process::ExitCode;

const USAGE: &str =
    "usage: cargo xtask mcu [--json] | digits-curve | fleet --clients N --out DIR | callgrind | mutants [--workspace-tests] [FILE...] | uf2 ELF [OUT]";

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
        Some("digits-curve") => match args.get(1..).unwrap_or_default() {
            [] => mcu::workspace_root().and_then(|root| digits::curve_command(&root)),
            other => Err(anyhow::anyhow!(
                "unknown argument(s) {other:?} for `digits-curve`\n{USAGE}"
            )),
        },
        Some("fleet") => mcu::workspace_root()
            .and_then(|root| fleet::command(&root, args.get(1..).unwrap_or_default())),
        Some("callgrind") => match args.get(1..).unwrap_or_default() {
            [] => mcu::workspace_root().and_then(|root| callgrind::run(&root)),
            other => Err(anyhow::anyhow!(
                "unknown argument(s) {other:?} for `callgrind`\n{USAGE}"
            )),
        },
        Some("uf2") => uf2::command(args.get(1..).unwrap_or_default()),
        Some("mutants") => mcu::workspace_root()
            .and_then(|root| mutants::run(&root, args.get(1..).unwrap_or_default())),
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
