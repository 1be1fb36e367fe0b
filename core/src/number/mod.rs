//! Number types: [`Scalar`], the arithmetic every layer, loss and optimizer needs; [`Float`],
//! the transcendental functions some need on top; and [`Q16`], signed Q16.16 fixed
//! point for cores without an FPU. `f32` and `f64` implement both traits.

mod float;
#[cfg(test)]
pub(crate) use float::tests::{every_257th, for_lanes};
pub mod q16;
mod scalar;

pub use float::Float;
pub use q16::Q16;
pub use scalar::{Format, Scalar};
