//! The digits story on a board, `no_std`: the host-trained network in flash adapts to the
//! device's drifted sensor, step by step, with the `digits-adapt` scenario's own code.
//!
//! [`run`] is what both board examples (`boards/pico2`, `boards/microbit-v2`) call. It runs the
//! adaptation that `cargo xtask mcu` checks under QEMU on the Cortex-M4F and Cortex-M33,
//! bit for bit against the host: the same functions of
//! [`skipgrad_scenarios::digits_adapt`] ([`head_model`](skipgrad_scenarios::digits_adapt::head_model),
//! [`optimizer`](skipgrad_scenarios::digits_adapt::optimizer),
//! [`adapt_steps`](skipgrad_scenarios::digits_adapt::adapt_steps)), the same
//! flashed network ([`TRAINED`](skipgrad_scenarios::digits_adapt::TRAINED)) and data, the
//! same steps in the same order. It takes them one at a time, so that it can time each with
//! the board's cycle counter and show the board's prediction between them, and logs with
//! `defmt`:
//!
//! - the accuracy on the original and the drifted test digits, before and after;
//! - the time per adaptation step in microseconds ([`timing`]);
//! - every window's mean loss and how many samples of the stream the network classified right
//!   before it learned from them;
//! - whether the run is the host's bit for bit: the hashes of the flashed and the adapted
//!   weights, the counts and every window's mean loss against [`HOST`], the host's report
//!   computed by `build.rs` when the board was built.
//!
//! A board implements [`Board`]: its cycle counter and clock, and what it does when the
//! network is ready to adapt and before each step.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs, rust_2018_idioms, unused_must_use)]

pub mod board;
pub mod host;
pub mod story;
pub mod timing;

pub use board::Board;
pub use host::{Host, HOST};
pub use story::{run, Outcome};
