//! The default network and the network that fine-tunes only its head.
//!
//! [`Net`] is `skipgrad train`'s network shape for the digits (an input layer, `D` blocks, an
//! output layer, as an `nn.Sequential`) with 64 inputs, one block of width 32 with a shortcut,
//! and 10 logits: 3,466 parameters, 13,864 bytes in `f32`. Its tensors are named as PyTorch
//! names `tools/skipgrad_digits.py`'s `network()`: `0.0.weight`, `0.0.bias`, `1.0.0.weight`,
//! `1.0.0.bias`, `2.weight`, `2.bias`.
//!
//! [`HeadTuned`] is the same network with its input layer and block borrowed and frozen
//! ([`NoGrad`]: no gradient, no cache, no optimizer state; on a device they stay in flash)
//! and only the head trained. Its tensors have the same names and shapes, so its
//! [device image](skipgrad::image) is [`Net`]'s.

use skipgrad::{Linear, NoGrad, Relu, Residual, Scalar};

use crate::file::{CLASSES, PIXELS};

/// The hidden width.
pub const HIDDEN: usize = 32;
/// Hidden blocks.
pub const DEPTH: usize = 1;

/// The input layer: `nn.Sequential(nn.Linear(64, 32), activation)`.
pub type InputLayer<A = Relu, T = f32> = (Linear<T, PIXELS, HIDDEN>, A);
/// A hidden block with a shortcut: `x + activation(nn.Linear(32, 32)(x))`.
pub type Block<A = Relu, T = f32> = Residual<(Linear<T, HIDDEN, HIDDEN>, A)>;
/// The hidden blocks.
pub type Blocks<A = Relu, T = f32> = [Block<A, T>; DEPTH];
/// The output layer: 10 logits.
pub type Head<T = f32> = Linear<T, HIDDEN, CLASSES>;
/// The network: input layer, blocks, head.
pub type Net<A = Relu, T = f32> = (InputLayer<A, T>, Blocks<A, T>, Head<T>);
/// The network with its input layer and blocks borrowed from a trained [`Net`] and frozen:
/// only the head trains.
pub type HeadTuned<'a, A = Relu, T = f32> = (
    NoGrad<&'a InputLayer<A, T>>,
    NoGrad<&'a Blocks<A, T>>,
    Head<T>,
);

/// `net` with its front borrowed and frozen and a copy of its head to train.
pub fn head_tuned<A: Copy, T: Scalar>(net: &Net<A, T>) -> HeadTuned<'_, A, T> {
    (NoGrad(&net.0), NoGrad(&net.1), net.2)
}
