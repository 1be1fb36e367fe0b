#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs, rust_2018_idioms, unused_must_use)]
#![warn(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

pub mod activation;
pub mod clip;
pub mod init;
pub mod linear;
pub mod loss;
pub mod module;
pub mod name;
pub mod optimizer;
pub mod params;
pub mod residual;
pub mod scalar;
pub mod sequential;
pub mod train;

pub use activation::Gelu;
pub use clip::clip_grad_norm;
pub use init::{TorchInit, UniformFormula};
pub use linear::Linear;
pub use loss::Mse;
pub use module::{Module, Zeroed};
pub use name::ParamName;
pub use optimizer::{Adam, Optimizer, Sgd, SgdMomentum};
pub use params::Params;
pub use residual::Residual;
pub use scalar::Scalar;
pub use train::{train_step, StepError};
