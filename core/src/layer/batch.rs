//! Batches: `B` samples through a layer in one call.
//!
//! A layer's [`Module`] takes one sample. [`BatchModule`] runs `B` of them at once, which lets
//! a layer use kernels that share work across the batch (matrix-matrix products), and
//! [`Batched`] presents a model in batch mode as an ordinary [`Module`] of
//! [`Batch`] inputs, so a [`Trainer`](crate::Trainer) trains it like any other. Keeping the
//! two traits apart keeps every single-sample call unambiguous: `net.backward(..)` has one
//! input type.
//!
//! Every layer of the core implements `BatchModule`. Today each runs its samples one by one,
//! in order, so a batch gives the same bits as its samples do, gradients accumulated in
//! sample order.

use crate::data::Data;
use crate::layer::Module;
use crate::number::Scalar;
use crate::params::{Layer, Params, Walk};
use crate::zeroed::Zeroed;

/// `B` samples of type `X`: `Batch<[f32; 64], 32>`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Batch<X, const B: usize>(pub [X; B]);

impl<X: Zeroed, const B: usize> Zeroed for Batch<X, B> {
    const ZERO: Self = Batch([X::ZERO; B]);
}

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
}

/// A model in batch mode: a [`Module`] of [`Batch`] inputs, through the model's
/// [`BatchModule`]. Its parameters are the model's (same names, same gradient type).
///
/// ```
/// use skipgrad::{Batch, Batched, Gelu, Linear, Module, Zeroed};
///
/// let net = Batched((Linear::<f32, 2, 3>::new([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [0.0; 3]), Gelu));
/// let y = net.infer(&Batch([[1.0, 2.0], [-1.0, 0.5]]));
/// assert_eq!(y.0[1], net.0.infer(&[-1.0, 0.5]));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Batched<M>(pub M);

impl<M: Zeroed> Zeroed for Batched<M> {
    const ZERO: Self = Batched(M::ZERO);
}

impl<M: Layer> Layer for Batched<M> {
    type Grads = M::Grads;
}

impl<T: Scalar, M: Params<T>> Params<T> for Batched<M> {
    const LEN: usize = M::LEN;
    const TRAINABLE: usize = M::TRAINABLE;

    fn walk<W: Walk<Self, T>>(w: &mut W) {
        w.child(None, |b| &b.0, |b| &mut b.0, |g| g, |g| g);
    }
}

impl<X: Data, const B: usize, M: BatchModule<X, B>> Module<Batch<X, B>> for Batched<M> {
    type Output = Batch<M::Output, B>;
    type Cache = M::BatchCache;

    #[inline]
    fn forward(&self, x: &Batch<X, B>, cache: &mut M::BatchCache) -> Batch<M::Output, B> {
        self.0.forward_batch(x, cache)
    }

    #[inline]
    fn infer(&self, x: &Batch<X, B>) -> Batch<M::Output, B> {
        self.0.infer_batch(x)
    }

    #[inline]
    fn backward(
        &self,
        cache: &M::BatchCache,
        dy: &Batch<M::Output, B>,
        grads: &mut M::Grads,
    ) -> Batch<X, B> {
        self.0.backward_batch(cache, dy, grads)
    }

    #[inline]
    fn backward_input(&self, cache: &M::BatchCache, dy: &Batch<M::Output, B>) -> Batch<X, B> {
        self.0.backward_batch_input(cache, dy)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Flat;
    use crate::layer::Linear;

    #[test]
    fn a_batch_is_finite_when_every_sample_is() {
        let ok = Batch([[1.0f32, -2.0], [3.0, 0.0]]);
        assert!(ok.all_finite());
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            let mut b = ok;
            b.0[1][0] = bad;
            assert!(!b.all_finite(), "{bad}");
        }
    }

    #[test]
    fn a_batch_is_its_samples_in_order() {
        assert_eq!(<Batch<[f32; 3], 2> as Flat>::LEN, 6);
        let b = Batch([[1.0f32, 2.0, 3.0], [4.0, 5.0, 6.0]]);
        assert_eq!(b.values(), &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    }

    /// `Batched` adds no name segment and no tensor: it walks its layer.
    #[test]
    fn batched_walks_its_layer() {
        type L = Linear<f32, 2, 1>;
        let l = L::new([[0.5, -1.5]], [0.25]);
        let b = Batched(l);
        assert_eq!(<Batched<L> as Params<f32>>::LEN, 3);
        assert_eq!(b.weights_hash(), l.weights_hash());
        assert_eq!(
            <Batched<L> as Params<f32>>::shape_hash(),
            <L as Params<f32>>::shape_hash()
        );
        let want = ["weight", "bias"];
        let mut n = 0;
        crate::params::visit_shapes::<Batched<L>, f32, _>(|name, _| {
            assert_eq!(Some(&name.as_str()), want.get(n));
            n += 1;
        });
        assert_eq!(n, 2);
    }
}
