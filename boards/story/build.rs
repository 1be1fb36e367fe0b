//! Runs the `digits-adapt` scenario on the host, as `cargo xtask mcu` does before it compares
//! the device's report with it, and writes the figures a board checks its own run against
//! (`host.rs` in `OUT_DIR`): the hashes of the flashed and of the adapted weights, the test
//! digits classified right before and after, and the mean loss of each window of steps, as
//! the report's exact bits.

use std::fmt::Write as _;

use skipgrad_scenarios::digits_adapt::{self, LOSS_WINDOW, STEPS};
use skipgrad_scenarios::NoMeter;

fn main() {
    // The scenario reads the committed network and data through its own build script and
    // `include_bytes!`: cargo reruns this one when `skipgrad-scenarios` is rebuilt.
    println!("cargo:rerun-if-changed=build.rs");
    let mut report = String::new();
    let met = (digits_adapt::SCENARIO.run)(&mut report, &mut NoMeter)
        .expect("the host's digits-adapt report");
    assert!(
        met,
        "the host's digits-adapt run missed its goal:\n{report}"
    );

    let word = |label: &str| -> u32 {
        let line = report
            .lines()
            .find_map(|l| l.strip_prefix(label)?.strip_prefix(" 0x"))
            .unwrap_or_else(|| panic!("no `{label}` line in the host's report"));
        u32::from_str_radix(line, 16).unwrap_or_else(|e| panic!("`{label} 0x{line}`: {e}"))
    };
    let windows = STEPS.div_ceil(LOSS_WINDOW);
    let losses: Vec<String> = report
        .lines()
        .filter_map(|l| l.strip_prefix("mean_loss "))
        .map(|l| {
            let bits = l.rsplit_once(" 0x").expect("a mean_loss line's bits").1;
            format!("0x{bits}")
        })
        .collect();
    assert_eq!(
        losses.len(),
        windows,
        "mean_loss lines in the host's report"
    );

    let mut src = String::new();
    writeln!(
        src,
        "/// The host's `digits-adapt` report, as `cargo xtask mcu` compares every device's \
         with.\npub const HOST: Host = Host {{\n    trained_hash: 0x{:08x},\n    \
         correct_unshifted: {},\n    correct_before: {},\n    correct_after: {},\n    \
         correct_unshifted_after: {},\n    weights_hash: 0x{:08x},\n    \
         mean_loss_bits: [{}],\n}};",
        word("trained_hash"),
        word("correct_unshifted"),
        word("correct_before"),
        word("correct_after"),
        word("correct_unshifted_after"),
        word("weights_hash"),
        losses.join(", ")
    )
    .expect("formatting host.rs");
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR is set"));
    std::fs::write(out.join("host.rs"), src).expect("writing host.rs");
}
