//! The seed notebook's experiment, `no_std` and allocation-free, shared by the host harness,
//! the firmware and `cargo xtask mcu`: the networks ([`network`]), one forward/backward pass
//! and the per-layer gradient tables in the notebook's words ([`table`], [`repr`]), and the
//! two training runs a device performs ([`demo`], [`minimal`]) through the core's
//! [`Trainer`](skipgrad::Trainer).
//!
//! Output goes to any [`core::fmt::Write`] (semihosting on a device, a `String` on the host),
//! so both sides print the same text, and comparing the texts compares every printed bit.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs, rust_2018_idioms)]

pub mod demo;
pub mod experiment;
pub mod minimal;
pub mod repr;
pub mod table;

/// The notebook's networks and seed.
pub mod network {
    use skipgrad::{Gelu, Linear, Residual, Tanh, Q16};

    include!("network.rs");
    include!(concat!(env!("OUT_DIR"), "/initial.rs"));

    /// The notebook's sample.
    pub const INPUT: [f32; 3] = [1.0, 0.0, -1.0];
    /// The notebook's target.
    pub const TARGET: [f32; 1] = [0.0];
    /// The name PyTorch gives the notebook's module list.
    pub const PREFIX: &str = "layers";
}

pub use network::{Plain, PlainTanh, WithShortcut, INPUT, PREFIX, SEED, TARGET};
