//! The host harness of `skipgrad`: reproduces the seed notebook on a desktop, checks
//! gradients, and trains small models. Each subcommand of the `skipgrad` binary is a module
//! here, so its logic is testable without running the binary.
#![forbid(unsafe_code)]
#![deny(missing_docs, rust_2018_idioms, clippy::print_stdout)]

pub mod activation;
pub mod atomic;
pub mod baseline;
pub mod convert;
pub mod escape;
pub mod exhaustive;
pub mod exhaustive_q16;
pub mod flags;
pub mod gradcheck;
pub mod gradcheck_cmd;
pub mod import;
pub mod input;
pub mod loss;
pub mod network;
pub mod networks;
pub mod notebook;
pub mod number;
pub mod output;
pub mod plan;
pub mod plot;
pub mod rate;
pub mod safetensors;
pub mod seed;
pub mod task;
pub mod train;
pub mod usage;
pub mod weights;
