//! A model in batch mode: [`Batched`].

use super::batch::BatchModule;
use super::module::Module;
use crate::data::{Batch, Data};
use crate::number::Scalar;
use crate::params::{Child, Layer, Params};
use crate::zeroed::Zeroed;

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
    // The gradient type is the model's own: the child is reached in it as a whole.
    crate::params!(T; child (Child::trained(
        |b: &Self| &b.0,
        |b: &mut Self| &mut b.0,
        |g: &M::Grads| g,
        |g: &mut M::Grads| g,
    )));
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

    #[inline]
    fn backward_params(
        &self,
        cache: &M::BatchCache,
        dy: &Batch<M::Output, B>,
        grads: &mut M::Grads,
    ) {
        self.0.backward_batch_params(cache, dy, grads);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layer::Linear;

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
