//! The host harness of `skipgrad`: reproduces the seed notebook on a desktop, checks
//! gradients, and trains small models.
//!
//! - [`command`]: each subcommand of the `skipgrad` binary, so its logic is testable without
//!   running the binary.
//! - [`model`]: the model spec (task, shape, parts, number type, optimizer), the tables that
//!   declare each part once, and the one dispatch from a spec to its compiled network.
//! - Reading and writing: [`safetensors`], [`conversion`] (a file's weights into any number
//!   type, reported per tensor), [`input`] (bounded reads), [`plan`] (outputs
//!   checked before the work), [`atomic`] (outputs written atomically), [`output`]
//!   (standard output that reports its failures), [`escape`], [`usage`] (exit statuses),
//!   [`flags`] (numeric flags).
//! - The notebook and the proofs: [`notebook`], [`gradcheck`], [`exhaustive`],
//!   [`exhaustive_q16`], [`baseline`]; drawings: [`plot`].
#![forbid(unsafe_code)]
#![deny(missing_docs, rust_2018_idioms, clippy::print_stdout)]

pub mod atomic;
pub mod baseline;
pub mod command;
pub mod conversion;
pub mod escape;
pub mod exhaustive;
pub mod exhaustive_q16;
pub mod flags;
pub mod gradcheck;
pub mod input;
pub mod model;
pub mod notebook;
pub mod output;
pub mod plan;
pub mod plot;
pub mod safetensors;
pub mod usage;
