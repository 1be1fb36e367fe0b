//! The type-level checks of the core and the README's examples, as doc tests: their own
//! crate, so that building them builds only the core.
//!
//! The doc tests below are the type-level checks: each mistake that must not compile is
//! shown next to its correct twin, which differs only by the mistake and does compile (so a
//! `compile_fail` test cannot pass for an unrelated reason, such as a typo). Each
//! `compile_fail` test also pins the error code it must fail with (rustdoc checks it):
//! `E0599` where a method's trait bounds are not met (a shape that has no `Module` impl),
//! `E0308` where a value has the wrong type.
//!
//! A shortcut around a layer whose input and output sizes differ (the notebook's 3 -> 1
//! head) is rejected:
//!
//! ```compile_fail,E0599
//! use skipgrad::{Gelu, Linear, Module, Residual, Zeroed};
//! let head = Residual((Linear::<f32, 3, 1>::ZERO, Gelu));
//! let _ = head.infer(&[1.0, 0.0, -1.0]);
//! ```
//!
//! ```
//! use skipgrad::{Gelu, Linear, Module, Residual, Zeroed};
//! let block = Residual((Linear::<f32, 3, 3>::ZERO, Gelu));
//! let _ = block.infer(&[1.0, 0.0, -1.0]);
//! ```
//!
//! The notebook's network with a shortcut on every layer, including the head, is rejected
//! as a whole:
//!
//! ```compile_fail,E0599
//! use skipgrad::{Gelu, Linear, Module, Residual, Zeroed};
//! type Layer<const I: usize, const O: usize> = (Linear<f32, I, O>, Gelu);
//! type AllShortcuts = (
//!     Residual<Layer<3, 3>>,
//!     Residual<Layer<3, 3>>,
//!     Residual<Layer<3, 3>>,
//!     Residual<Layer<3, 3>>,
//!     Residual<Layer<3, 1>>,
//! );
//! let _ = AllShortcuts::ZERO.infer(&[1.0, 0.0, -1.0]);
//! ```
//!
//! ```
//! use skipgrad::{Gelu, Linear, Module, Residual, Zeroed};
//! type Layer<const I: usize, const O: usize> = (Linear<f32, I, O>, Gelu);
//! type WithShortcut = (
//!     Residual<Layer<3, 3>>,
//!     Residual<Layer<3, 3>>,
//!     Residual<Layer<3, 3>>,
//!     Residual<Layer<3, 3>>,
//!     Layer<3, 1>,
//! );
//! let _ = WithShortcut::ZERO.infer(&[1.0, 0.0, -1.0]);
//! ```
//!
//! Chaining layers whose sizes do not meet is rejected:
//!
//! ```compile_fail,E0599
//! use skipgrad::{Linear, Module, Zeroed};
//! let net = (Linear::<f32, 3, 2>::ZERO, Linear::<f32, 3, 1>::ZERO);
//! let _ = net.infer(&[1.0, 0.0, -1.0]);
//! ```
//!
//! ```
//! use skipgrad::{Linear, Module, Zeroed};
//! let net = (Linear::<f32, 3, 2>::ZERO, Linear::<f32, 2, 1>::ZERO);
//! let _ = net.infer(&[1.0, 0.0, -1.0]);
//! ```
//!
//! An input of the wrong size is rejected:
//!
//! ```compile_fail,E0308
//! use skipgrad::{Linear, Module, Zeroed};
//! let _ = Linear::<f32, 3, 1>::ZERO.infer(&[1.0, 0.0]);
//! ```
//!
//! ```
//! use skipgrad::{Linear, Module, Zeroed};
//! let _ = Linear::<f32, 3, 1>::ZERO.infer(&[1.0, 0.0, -1.0]);
//! ```
//!
//! Gradients must have the model's own type (here: the plain network's gradients cannot
//! receive the shortcut network's backward pass, though both hold 52 numbers):
//!
//! ```compile_fail,E0308
//! use skipgrad::{Gelu, Linear, Module, Residual, Zeroed};
//! type Layer<const I: usize, const O: usize> = (Linear<f32, I, O>, Gelu);
//! type Plain = (Layer<3, 3>, Layer<3, 3>, Layer<3, 3>, Layer<3, 3>, Layer<3, 1>);
//! type WithShortcut = (
//!     Residual<Layer<3, 3>>,
//!     Residual<Layer<3, 3>>,
//!     Residual<Layer<3, 3>>,
//!     Residual<Layer<3, 3>>,
//!     Layer<3, 1>,
//! );
//! let net = WithShortcut::ZERO;
//! let mut cache = Zeroed::ZERO;
//! let y = net.forward(&[1.0, 0.0, -1.0], &mut cache);
//! let mut grads = Plain::ZERO;
//! net.backward(&cache, &y, &mut grads);
//! ```
//!
//! ```
//! use skipgrad::{Gelu, Linear, Module, Residual, Zeroed};
//! type Layer<const I: usize, const O: usize> = (Linear<f32, I, O>, Gelu);
//! type WithShortcut = (
//!     Residual<Layer<3, 3>>,
//!     Residual<Layer<3, 3>>,
//!     Residual<Layer<3, 3>>,
//!     Residual<Layer<3, 3>>,
//!     Layer<3, 1>,
//! );
//! let net = WithShortcut::ZERO;
//! let mut cache = Zeroed::ZERO;
//! let y = net.forward(&[1.0, 0.0, -1.0], &mut cache);
//! let mut grads = WithShortcut::ZERO;
//! net.backward(&cache, &y, &mut grads);
//! ```

/// The repository's README: its Rust examples run as doc tests, so they stay true.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct Readme;
