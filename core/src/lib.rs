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
pub mod init;
pub mod linear;
pub mod loss;
pub mod module;
pub mod name;
pub mod params;
pub mod residual;
pub mod scalar;
pub mod sequential;

pub use activation::Gelu;
pub use init::{TorchInit, UniformFormula};
pub use linear::Linear;
pub use loss::Mse;
pub use module::{Module, Zeroed};
pub use name::ParamName;
pub use params::Params;
pub use residual::Residual;
pub use scalar::Scalar;
