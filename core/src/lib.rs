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

pub mod data;
pub mod layer;
pub mod loss;
pub mod number;
pub mod optimizer;
pub mod params;
pub mod train;
pub mod zeroed;

pub use data::{Batch, Data, Flat};
pub use layer::activation::{Gelu, GeluErf, LeakyRelu, Relu, Sigmoid, Silu, Tanh};
pub use layer::{BatchModule, Batched, Frozen, LayerNorm, Linear, Module, NoGrad, Residual};
pub use loss::{BceWithLogits, CrossEntropy, Huber, Loss, Mse};
pub use number::{Float, Format, Scalar, Q16};
pub use optimizer::{Adam, HyperError, NonFiniteUpdate, Optimizer, Sgd, SgdMomentum, Stochastic};
pub use params::image::{Image, ImageError};
pub use params::{Layer, ParamName, Params, TorchInit, UniformFormula};
pub use train::{
    clip_grad_norm, grad_norm, Buffers, Clip, ClipNorm, ClippingTrainer, NoClip, StepError, Trainer,
};
pub use zeroed::Zeroed;

/// With the `defmt` feature, every error of the core, and every enum an error carries, is
/// `defmt::Format`: a build check.
#[cfg(feature = "defmt")]
const _: () = {
    const fn format<T: defmt::Format>() {}
    format::<StepError>();
    format::<HyperError>();
    format::<NonFiniteUpdate>();
    format::<ImageError>();
    format::<params::image::WriteError<()>>();
    format::<params::image::StateKind>();
    format::<params::LengthMismatch>();
    format::<params::ConvertError>();
    format::<params::Saturation>();
    format::<params::TensorReport>();
    format::<params::Summary>();
    format::<Format>();
};
