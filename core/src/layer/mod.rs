//! Layers: [`Module`] (forward into a caller-owned cache, analytic backward from it) and
//! [`BatchModule`] (a whole batch in one call), and every layer of the core.
//!
//! - [`Linear`] and [`LayerNorm`], the layers with parameters;
//! - [`activation`]: element-wise layers without parameters;
//! - [`Residual`] (a shortcut around a block), tuples and arrays of blocks (sequences);
//! - [`Frozen`], [`NoGrad`] and a borrowed `&M`: parts that are not trained;
//! - [`Batched`]: a model in batch mode, as a module of batches.
//!
//! Each declares its parameters once, in its [`Params`](crate::Params) walk.

pub mod activation;
mod batch;
mod batched;
pub(crate) mod dispatch;
mod frozen;
mod layer_norm;
pub(crate) mod linear;
mod module;
mod residual;
mod sequential;

pub use batch::{
    backward_by_sample, backward_input_by_sample, backward_params_by_sample, forward_by_sample,
    BatchModule,
};
pub use batched::Batched;
pub use frozen::{Frozen, NoGrad};
pub use layer_norm::LayerNorm;
pub use linear::Linear;
pub use module::Module;
pub use residual::Residual;
