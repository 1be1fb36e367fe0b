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
pub mod batch;
pub mod checksum;
pub mod clip;
pub mod data;
pub mod float;
pub mod frozen;
pub mod hash;
pub mod image;
pub mod init;
pub mod layer_norm;
pub mod linear;
pub mod loss;
pub mod module;
pub mod name;
pub mod optimizer;
pub mod params;
pub mod q16;
pub mod residual;
pub mod scalar;
pub mod sequential;
pub mod train;
pub mod walk;
pub mod zeroed;

pub use activation::{Gelu, GeluErf, LeakyRelu, Relu, Sigmoid, Silu, Tanh};
pub use batch::{Batch, BatchModule, Batched};
pub use clip::{clip_grad_norm, grad_norm};
pub use data::{Data, Flat};
pub use float::Float;
pub use frozen::{Frozen, NoGrad};
pub use image::{Image, ImageError};
pub use init::{TorchInit, UniformFormula};
pub use layer_norm::LayerNorm;
pub use linear::Linear;
pub use loss::{BceWithLogits, CrossEntropy, Huber, Loss, Mse};
pub use module::Module;
pub use name::ParamName;
pub use optimizer::{Adam, HyperError, NonFiniteUpdate, Optimizer, Sgd, SgdMomentum, Stochastic};
pub use params::{Layer, Params};
pub use q16::Q16;
pub use residual::Residual;
pub use scalar::{Format, Scalar};
pub use train::{Buffers, Clip, ClipNorm, ClippingTrainer, NoClip, StepError, Trainer};
pub use zeroed::Zeroed;
