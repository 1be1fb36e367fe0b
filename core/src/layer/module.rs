//! The layer trait: forward into a caller-owned cache, analytic backward from it.

use crate::data::Data;
use crate::params::Params;
use crate::zeroed::Zeroed;

/// A differentiable function of an input of type `X` (`[f32; 3]`, or a [`Batch`](crate::Batch)).
///
/// The shape of every input, output and cache is part of the type, so connecting blocks of
/// mismatched sizes is a compile error. Gradients are a value of the layer's gradient type
/// [`Layer::Grads`](crate::Layer::Grads) (the layer's own type unless part of it is frozen), and the caller owns
/// every buffer: nothing here allocates.
///
/// ```
/// use skipgrad::{Gelu, Linear, Module, Zeroed};
///
/// type Block = (Linear<f32, 3, 2>, Gelu);
/// let block = Block::ZERO;
/// let mut cache = <Block as Module<[f32; 3]>>::Cache::ZERO;
/// let y: [f32; 2] = block.forward(&[1.0, 0.0, -1.0], &mut cache);
/// let mut grads = Block::ZERO;
/// let dx: [f32; 3] = block.backward(&cache, &[1.0, 1.0], &mut grads);
/// # let _ = (y, dx);
/// ```
pub trait Module<X: Data>: Params<X::Scalar> {
    /// The output type, for example `[f32; OUT]`.
    type Output: Data<Scalar = X::Scalar>;
    /// What `forward` records for `backward` (a layer's input, an activation's derivative).
    type Cache: Zeroed;

    /// Computes the output and records in `cache` what `backward` needs.
    fn forward(&self, x: &X, cache: &mut Self::Cache) -> Self::Output;

    /// Computes the output without recording anything (inference).
    #[inline]
    fn infer(&self, x: &X) -> Self::Output {
        let mut cache = Self::Cache::ZERO;
        self.forward(x, &mut cache)
    }

    /// Given the gradient of the loss with respect to the output (`dy`) and the cache filled
    /// by the matching `forward`, **adds** the parameter gradients into `grads` and returns
    /// the gradient with respect to the input.
    ///
    /// Gradients accumulate, so a batch is several forward/backward pairs into one `grads`.
    fn backward(&self, cache: &Self::Cache, dy: &Self::Output, grads: &mut Self::Grads) -> X;

    /// The gradient with respect to the input alone, for a layer whose parameters are not
    /// trained ([`Frozen`](crate::Frozen)).
    ///
    /// The default runs [`backward`](Module::backward) into a zeroed gradient value on the
    /// stack; layers with parameters override it to skip their parameter gradients.
    #[inline]
    fn backward_input(&self, cache: &Self::Cache, dy: &Self::Output) -> X {
        let mut grads = Self::Grads::ZERO;
        self.backward(cache, dy, &mut grads)
    }

    /// The parameter gradients alone: adds into `grads` what [`backward`](Module::backward)
    /// adds, without computing the input gradient. A [`Trainer`](crate::Trainer) calls it on
    /// the whole model, whose input gradient nobody uses, so the first layer skips its
    /// `W^T dy` and frozen front layers skip their backward pass entirely.
    ///
    /// The default runs `backward` and drops the input gradient; layers override it where
    /// that saves work, and sequences pass it on to their first block.
    #[inline]
    fn backward_params(&self, cache: &Self::Cache, dy: &Self::Output, grads: &mut Self::Grads) {
        let _ = self.backward(cache, dy, grads);
    }
}
