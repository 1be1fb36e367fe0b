//! The subcommands of the `skipgrad` binary, one module each: its flags (a `clap::Args`
//! struct) and its `run`.
//!
//! - [`seed`]: the notebook's gradient tables.
//! - [`train`]: trains a model spec's network on its task.
//! - [`gradcheck`]: analytic gradients against finite differences.
//! - [`exhaustive`], [`exhaustive_gelu`], [`exhaustive_q16`]: activations over every input.
//! - [`import`]: the notebook's experiment on a PyTorch file's weights.
//! - [`convert`]: safetensors to a device image, or back.

pub mod convert;
pub mod exhaustive;
pub mod exhaustive_gelu;
pub mod exhaustive_q16;
pub mod gradcheck;
pub mod import;
pub mod seed;
pub mod train;
