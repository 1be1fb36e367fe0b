//! The host's `digits-adapt` report, the figures a board checks its own run against.
//!
//! `build.rs` runs [`digits_adapt::SCENARIO`](skipgrad_scenarios::digits_adapt::SCENARIO) on
//! the host when the board is built, as `cargo xtask mcu` does before it compares a device's
//! report with it, and keeps these lines of the report.

/// Figures of the host's report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Host {
    /// `trained_hash`: the flashed network's weights.
    pub trained_hash: u32,
    /// `correct_unshifted`: original test digits classified right before adaptation.
    pub correct_unshifted: u32,
    /// `correct_before`: drifted test digits classified right before adaptation.
    pub correct_before: u32,
    /// `correct_after`: drifted test digits classified right after adaptation.
    pub correct_after: u32,
    /// `correct_unshifted_after`: original test digits classified right after adaptation.
    pub correct_unshifted_after: u32,
    /// `weights_hash`: the adapted network's weights.
    pub weights_hash: u32,
    /// The bits of each `mean_loss <start>..<end>` line, one per window of
    /// [`LOSS_WINDOW`](skipgrad_scenarios::digits_adapt::LOSS_WINDOW) steps.
    pub mean_loss_bits: [u32; WINDOWS],
}

/// Windows of [`LOSS_WINDOW`](skipgrad_scenarios::digits_adapt::LOSS_WINDOW) steps in the
/// stream.
pub const WINDOWS: usize =
    skipgrad_scenarios::digits_adapt::STEPS.div_ceil(skipgrad_scenarios::digits_adapt::LOSS_WINDOW);

include!(concat!(env!("OUT_DIR"), "/host.rs"));
