//! Device scenarios: training runs written once, `no_std`, that the firmware runs on each
//! microcontroller under QEMU and the host runs too. `cargo xtask mcu` compares the two
//! reports line by line, bit for bit, and measures each scenario's binary.
//!
//! A scenario is a [`Scenario`] in [`ALL`]: a name (also the firmware binary's name), the
//! number type it trains in, and a function that writes a [`Report`] and times its training
//! steps with a [`Meter`]; [`fit`] runs the steps (and starts a model trained with Adam).
//! Adding one is a module here, an entry in [`ALL`], and a three-line binary in
//! `firmware/src/bin/`.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs, rust_2018_idioms)]

pub mod activations;
pub mod digits_adapt;
pub mod fit;
pub mod fleet;
pub mod layers;
pub mod losses;
pub mod meter;
pub mod report;
pub mod roundtrip;
pub mod roundtrip_q16;
pub mod scenario;

pub use meter::{Meter, NoMeter};
pub use report::Report;
pub use scenario::Scenario;

/// Every scenario, in report order.
pub const ALL: &[Scenario] = &[
    layers::SCENARIO,
    activations::SCENARIO,
    losses::SCENARIO,
    roundtrip::SCENARIO,
    roundtrip_q16::SCENARIO,
    digits_adapt::SCENARIO,
    digits_adapt::FULL,
    digits_adapt::SCENARIO_Q16,
];
