//! Batches: `B` samples through a layer in one call.
//!
//! A layer's [`Module`] takes one sample. [`BatchModule`] runs `B` of them at once, which lets
//! a layer use kernels that share work across the batch (matrix-matrix products), and
//! [`Batched`](super::Batched) presents a model in batch mode as an ordinary [`Module`] of
//! [`Batch`] inputs, so a [`Trainer`](crate::Trainer) trains it like any other. Keeping the
//! two traits apart keeps every single-sample call unambiguous: `net.backward(..)` has one
//! input type.
//!
//! Every layer of the core implements `BatchModule`, and a batch gives the same bits as its
//! samples one by one, gradients accumulated in sample order. `Linear` runs a batch as tiled
//! matrix products and the activations as one run of values in lanes (each sum and each
//! value computed as for one sample); the other layers run the samples one by one, in order.

use super::Module;
use crate::data::{Batch, Data};
use crate::zeroed::Zeroed;

/// A layer that runs a whole [`Batch`] in one call.
///
/// The output, cache and input gradient are those of the whole batch; parameter gradients
/// are accumulated over it, as `B` single-sample `backward` calls would.
pub trait BatchModule<X: Data, const B: usize>: Module<X> {
    /// What `forward_batch` records for `backward_batch`.
    type BatchCache: Zeroed;

    /// The outputs of every sample, recording the cache.
    fn forward_batch(
        &self,
        x: &Batch<X, B>,
        cache: &mut Self::BatchCache,
    ) -> Batch<Self::Output, B>;

    /// The outputs of every sample (inference).
    #[inline]
    fn infer_batch(&self, x: &Batch<X, B>) -> Batch<Self::Output, B> {
        let mut cache = Self::BatchCache::ZERO;
        self.forward_batch(x, &mut cache)
    }

    /// Adds the parameter gradients of the whole batch into `grads` and returns the input
    /// gradient of every sample.
    fn backward_batch(
        &self,
        cache: &Self::BatchCache,
        dy: &Batch<Self::Output, B>,
        grads: &mut Self::Grads,
    ) -> Batch<X, B>;

    /// The input gradients alone (see [`Module::backward_input`]).
    #[inline]
    fn backward_batch_input(
        &self,
        cache: &Self::BatchCache,
        dy: &Batch<Self::Output, B>,
    ) -> Batch<X, B> {
        let mut grads = Self::Grads::ZERO;
        self.backward_batch(cache, dy, &mut grads)
    }

    /// The parameter gradients alone (see [`Module::backward_params`]).
    #[inline]
    fn backward_batch_params(
        &self,
        cache: &Self::BatchCache,
        dy: &Batch<Self::Output, B>,
        grads: &mut Self::Grads,
    ) {
        let _ = self.backward_batch(cache, dy, grads);
    }
}

/// `BatchModule` for a layer whose batch cache is its single-sample cache per sample, running
/// the samples one by one: the implementation of every leaf layer of the core until it has
/// a kernel of its own.
#[macro_export]
macro_rules! batch_by_sample {
    (impl[$($g:tt)*] $layer:ty, $x:ty $(, where [$($w:tt)*])?) => {
        impl<$($g)*, const B: usize> $crate::BatchModule<$x, B> for $layer $(where $($w)*)? {
            type BatchCache = [<Self as $crate::Module<$x>>::Cache; B];

            #[inline]
            fn forward_batch(
                &self,
                x: &$crate::Batch<$x, B>,
                cache: &mut Self::BatchCache,
            ) -> $crate::Batch<<Self as $crate::Module<$x>>::Output, B> {
                $crate::layer::forward_by_sample(self, x, cache)
            }

            #[inline]
            fn infer_batch(&self, x: &$crate::Batch<$x, B>) -> $crate::Batch<<Self as $crate::Module<$x>>::Output, B> {
                $crate::Batch(x.0.map(|x| $crate::Module::<$x>::infer(self, &x)))
            }

            #[inline]
            fn backward_batch(
                &self,
                cache: &Self::BatchCache,
                dy: &$crate::Batch<<Self as $crate::Module<$x>>::Output, B>,
                grads: &mut <Self as $crate::Layer>::Grads,
            ) -> $crate::Batch<$x, B> {
                $crate::layer::backward_by_sample(self, cache, dy, grads)
            }

            #[inline]
            fn backward_batch_input(
                &self,
                cache: &Self::BatchCache,
                dy: &$crate::Batch<<Self as $crate::Module<$x>>::Output, B>,
            ) -> $crate::Batch<$x, B> {
                $crate::layer::backward_input_by_sample(self, cache, dy)
            }

            #[inline]
            fn backward_batch_params(
                &self,
                cache: &Self::BatchCache,
                dy: &$crate::Batch<<Self as $crate::Module<$x>>::Output, B>,
                grads: &mut <Self as $crate::Layer>::Grads,
            ) {
                $crate::layer::backward_params_by_sample(self, cache, dy, grads)
            }
        }
    };
}

/// `forward` of each sample in order, each into its own cache.
#[inline(always)]
pub fn forward_by_sample<X: Data, M: Module<X>, const B: usize>(
    m: &M,
    x: &Batch<X, B>,
    cache: &mut [M::Cache; B],
) -> Batch<M::Output, B> {
    let mut y = Batch::<M::Output, B>::ZERO;
    for ((y, x), c) in y.0.iter_mut().zip(&x.0).zip(cache.iter_mut()) {
        *y = m.forward(x, c);
    }
    y
}

/// `backward` of each sample in order, accumulating the parameter gradients.
#[inline(always)]
pub fn backward_by_sample<X: Data, M: Module<X>, const B: usize>(
    m: &M,
    cache: &[M::Cache; B],
    dy: &Batch<M::Output, B>,
    grads: &mut M::Grads,
) -> Batch<X, B> {
    let mut dx = Batch::<X, B>::ZERO;
    for ((dx, c), dy) in dx.0.iter_mut().zip(cache).zip(&dy.0) {
        *dx = m.backward(c, dy, grads);
    }
    dx
}

/// `backward_input` of each sample in order.
#[inline(always)]
pub fn backward_input_by_sample<X: Data, M: Module<X>, const B: usize>(
    m: &M,
    cache: &[M::Cache; B],
    dy: &Batch<M::Output, B>,
) -> Batch<X, B> {
    let mut dx = Batch::<X, B>::ZERO;
    for ((dx, c), dy) in dx.0.iter_mut().zip(cache).zip(&dy.0) {
        *dx = m.backward_input(c, dy);
    }
    dx
}

/// `backward_params` of each sample in order, accumulating the parameter gradients.
#[inline(always)]
pub fn backward_params_by_sample<X: Data, M: Module<X>, const B: usize>(
    m: &M,
    cache: &[M::Cache; B],
    dy: &Batch<M::Output, B>,
    grads: &mut M::Grads,
) {
    for (c, dy) in cache.iter().zip(&dy.0) {
        m.backward_params(c, dy, grads);
    }
}
