//! Handwritten digits for skipgrad, `no_std`, no allocation: the data, its split and the
//! loops that train on it, shared by the harness (`skipgrad train --task digits`), the tests
//! and the firmware (the `digits-adapt` device scenario).
//!
//! - [`file`](mod@file): the committed data set ([`EMBEDDED`]: scikit-learn's 1,797 8x8 digits, a byte
//!   a pixel, split 75/25 into [`TRAIN_SAMPLES`] and [`TEST_SAMPLES`], stratified, seed 0) and
//!   its checked parser, [`Digits::parse`].
//! - [`set`]: a [`Set`] of samples borrowed from the file; a [`Sample`]'s pixels scaled to
//!   `pixels / 16`, exactly.
//! - [`domain`]: the [`Domain`] a sample is seen in: as drawn, or as a drifted sensor
//!   ([`Domain::DEVICE`]) or a shifted one sees it.
//! - [`order`]: the seeded mini-batch order ([`SplitMix64`], a Fisher-Yates shuffle per
//!   epoch), bit for bit the Python scripts' (`tools/skipgrad_digits.py`).
//! - [`metrics`]: predictions, accuracy and the 10 x 10 [`Confusion`] matrix.
//! - [`network`]: the default network ([`Net`]: 64-32, a 32-32 block with a shortcut, 10
//!   logits) and the network that fine-tunes only its head ([`HeadTuned`]).
//! - [`train`]: epochs of shuffled mini-batches through the core's
//!   [`Trainer`](skipgrad::Trainer), and the default hyperparameters ([`defaults`]).
//! - [`adapt`]: learning from a stream of labelled samples, one step per sample.
//! - [`partition`]: a fleet's devices' shares of a training set, skewed by label.
//! - [`writer`]: a digits file of any training and test samples (a device's partition).
//!
//! ```
//! use skipgrad::{Adam, Buffers, CrossEntropy, Trainer, Zeroed};
//! use skipgrad_digits::{defaults, metrics, train, Digits, Domain, Net, Schedule};
//!
//! let digits = Digits::embedded()?;
//! let mut net: Net = defaults::initial(defaults::SEED);
//! let mut buffers = Box::new(Buffers::ZERO);
//! let mut adam = Box::new(Adam::new().with_lr(defaults::LEARNING_RATE)?);
//! let mut trainer = Trainer::new(&mut net, &mut buffers, &mut *adam, CrossEntropy);
//! let mut order = vec![0u16; digits.train().len()];
//! // One epoch of the default schedule.
//! let schedule = Schedule::<{ defaults::BATCH }> { epochs: 1, ..Schedule::DEFAULT };
//! train::train(&mut trainer, digits.train(), schedule, &mut order, &mut ())?;
//! let confusion = metrics::evaluate(trainer.model(), digits.test(), Domain::Original);
//! assert!(confusion.accuracy() > 0.8);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs, rust_2018_idioms, unused_must_use)]
#![warn(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
#![cfg_attr(
    test,
    allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)
)]

pub mod adapt;
pub mod domain;
pub mod file;
pub mod metrics;
pub mod network;
pub mod order;
pub mod partition;
pub mod set;
pub mod train;
pub mod writer;

pub use domain::Domain;
pub use file::{Digits, FileError, CLASSES, EMBEDDED, PIXELS, TEST_SAMPLES, TRAIN_SAMPLES};
pub use metrics::Confusion;
pub use network::{HeadTuned, Net};
pub use order::SplitMix64;
pub use set::{Sample, Set};
pub use train::{defaults, ClassTarget, Schedule, TrainError};

/// With the `defmt` feature, the crate's errors are `defmt::Format` (a build check).
#[cfg(feature = "defmt")]
const _: () = {
    const fn format<T: defmt::Format>() {}
    format::<FileError>();
    format::<adapt::AdaptError>();
    format::<TrainError>();
    format::<writer::WriteError>();
    format::<partition::PartitionError>();
};
