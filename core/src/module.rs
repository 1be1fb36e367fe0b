//! The layer trait: forward into a caller-owned cache, analytic backward from it.

/// A value that has an all-zero state: parameters, gradients, caches and optimizer state.
///
/// Unlike `Default`, it is implemented for arrays of any length.
pub trait Zeroed: Sized {
    /// The all-zero value.
    fn zeroed() -> Self;
}

impl Zeroed for () {
    #[inline(always)]
    fn zeroed() -> Self {}
}

macro_rules! zeroed_scalar {
    ($($t:ty),*) => {$(
        impl Zeroed for $t {
            #[inline(always)]
            fn zeroed() -> Self {
                0.0
            }
        }
    )*};
}
zeroed_scalar!(f32, f64);

impl<M: Zeroed, const K: usize> Zeroed for [M; K] {
    #[inline(always)]
    fn zeroed() -> Self {
        [(); K].map(|()| M::zeroed())
    }
}

/// A differentiable function of an input of type `X` (for example `[f32; 3]`).
///
/// The shape of every input, output and cache is part of the type, so connecting blocks of
/// mismatched sizes is a compile error. The gradient of a model is a value of the model's own
/// type (`grads: &mut Self`), and the caller owns every buffer: nothing here allocates.
///
/// ```
/// use skipgrad::{Gelu, Linear, Module, Zeroed};
///
/// let block = (Linear::<f32, 3, 2>::zeroed(), Gelu);
/// let mut cache = <(Linear<f32, 3, 2>, Gelu) as Module<[f32; 3]>>::Cache::zeroed();
/// let y: [f32; 2] = block.forward(&[1.0, 0.0, -1.0], &mut cache);
/// let mut grads = Zeroed::zeroed();
/// let dx: [f32; 3] = block.backward(&cache, &[1.0, 1.0], &mut grads);
/// # let _ = (y, dx);
/// ```
pub trait Module<X>: Sized {
    /// The output type, for example `[f32; OUT]`.
    type Output;
    /// What `forward` records for `backward` (a layer's input, an activation's derivative).
    type Cache: Zeroed;

    /// Computes the output and records in `cache` what `backward` needs.
    fn forward(&self, x: &X, cache: &mut Self::Cache) -> Self::Output;

    /// Computes the output without recording anything (inference).
    #[inline]
    fn infer(&self, x: &X) -> Self::Output {
        let mut cache = Self::Cache::zeroed();
        self.forward(x, &mut cache)
    }

    /// Given the gradient of the loss with respect to the output (`dy`) and the cache filled
    /// by the matching `forward`, **adds** the parameter gradients into `grads` and returns
    /// the gradient with respect to the input.
    ///
    /// Gradients accumulate, so a batch is several forward/backward pairs into one `grads`.
    fn backward(&self, cache: &Self::Cache, dy: &Self::Output, grads: &mut Self) -> X;
}
