//! Layers that are not trained: [`Frozen`], [`NoGrad`], and a borrowed `&M`.
//!
//! Their gradient type is `()`: they take no gradient memory and no optimizer state, and
//! optimizers never visit them. They are still named, saved and hashed with the rest of the
//! model.
//!
//! | layer          | trained | gradient flows to the layers before it | cache        | where the weights live |
//! |----------------|---------|-----------------------------------------|--------------|------------------------|
//! | `M`            | yes     | yes                                     | `M`'s        | in the model           |
//! | `Frozen<M>`    | no      | yes                                     | `M`'s        | in the model           |
//! | `&M`           | no      | yes                                     | `M`'s        | anywhere (a `static` in flash) |
//! | `NoGrad<M>`    | no      | no (`torch.no_grad()`)                  | none         | in the model (`NoGrad<&M>`: anywhere) |
//!
//! Fine-tuning the last layers of a network on a microcontroller: the frozen front in flash,
//! only the head in RAM, and no cache for the front:
//!
//! ```
//! use skipgrad::{Gelu, Linear, Module, NoGrad, Params, Zeroed};
//!
//! type Front = (Linear<f32, 4, 8>, Gelu);
//! static FRONT: Front = (Linear::ZERO, Gelu);
//! type Head = Linear<f32, 8, 2>;
//!
//! let net: (NoGrad<&'static Front>, Head) = (NoGrad(&FRONT), Head::ZERO);
//! // Gradients and optimizer state cover the head only.
//! assert_eq!(<(NoGrad<&Front>, Head) as Params<f32>>::TRAINABLE, 8 * 2 + 2);
//! assert_eq!(<(NoGrad<&Front>, Head) as Params<f32>>::LEN, 4 * 8 + 8 + 8 * 2 + 2);
//! let grads: ((), Head) = Zeroed::ZERO;
//! # let _ = (net, grads);
//! ```

use super::batch::BatchModule;
use super::module::Module;
use crate::data::{Batch, Data};
use crate::number::Scalar;
use crate::params::{Child, Layer, Params};
use crate::zeroed::Zeroed;

/// A layer whose parameters are not trained; the gradient still flows through it to the
/// layers before it (PyTorch's `requires_grad_(False)` on its parameters).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Frozen<M>(pub M);

impl<M: Zeroed> Zeroed for Frozen<M> {
    const ZERO: Self = Frozen(M::ZERO);
}

impl<M: Layer> Layer for Frozen<M> {
    type Grads = ();
}

impl<T: Scalar, M: Params<T>> Params<T> for Frozen<M> {
    crate::params!(T; frozen 0);
}

impl<X: Data, M: Module<X>> Module<X> for Frozen<M> {
    type Output = M::Output;
    type Cache = M::Cache;

    #[inline]
    fn forward(&self, x: &X, cache: &mut M::Cache) -> M::Output {
        self.0.forward(x, cache)
    }

    #[inline]
    fn infer(&self, x: &X) -> M::Output {
        self.0.infer(x)
    }

    #[inline]
    fn backward(&self, cache: &M::Cache, dy: &M::Output, _: &mut ()) -> X {
        self.0.backward_input(cache, dy)
    }

    #[inline]
    fn backward_input(&self, cache: &M::Cache, dy: &M::Output) -> X {
        self.0.backward_input(cache, dy)
    }
    /// Nothing: no parameter is trained here, and no input gradient is wanted.
    #[inline]
    fn backward_params(&self, _: &M::Cache, _: &M::Output, _: &mut ()) {}
}

impl<X: Data, const B: usize, M: BatchModule<X, B>> BatchModule<X, B> for Frozen<M> {
    type BatchCache = M::BatchCache;

    #[inline]
    fn forward_batch(&self, x: &Batch<X, B>, cache: &mut M::BatchCache) -> Batch<M::Output, B> {
        self.0.forward_batch(x, cache)
    }

    #[inline]
    fn infer_batch(&self, x: &Batch<X, B>) -> Batch<M::Output, B> {
        self.0.infer_batch(x)
    }

    #[inline]
    fn backward_batch(
        &self,
        cache: &M::BatchCache,
        dy: &Batch<M::Output, B>,
        _: &mut (),
    ) -> Batch<X, B> {
        self.0.backward_batch_input(cache, dy)
    }

    #[inline]
    fn backward_batch_input(&self, cache: &M::BatchCache, dy: &Batch<M::Output, B>) -> Batch<X, B> {
        self.0.backward_batch_input(cache, dy)
    }
    #[inline]
    fn backward_batch_params(&self, _: &M::BatchCache, _: &Batch<M::Output, B>, _: &mut ()) {}
}

/// A layer run in inference mode inside a trained model (PyTorch's `with torch.no_grad():`):
/// not trained, no cache, and no gradient reaches the layers before it (its input gradient
/// is zero). The front of a network that only fine-tunes its last layers.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct NoGrad<M>(pub M);

impl<M: Zeroed> Zeroed for NoGrad<M> {
    const ZERO: Self = NoGrad(M::ZERO);
}

impl<M: Layer> Layer for NoGrad<M> {
    type Grads = ();
}

impl<T: Scalar, M: Params<T>> Params<T> for NoGrad<M> {
    crate::params!(T; frozen 0);
}

impl<X: Data, M: Module<X>> Module<X> for NoGrad<M> {
    type Output = M::Output;
    type Cache = ();

    #[inline]
    fn forward(&self, x: &X, _: &mut ()) -> M::Output {
        self.0.infer(x)
    }

    #[inline]
    fn infer(&self, x: &X) -> M::Output {
        self.0.infer(x)
    }

    #[inline]
    fn backward(&self, _: &(), _: &M::Output, _: &mut ()) -> X {
        X::ZERO
    }

    #[inline]
    fn backward_input(&self, _: &(), _: &M::Output) -> X {
        X::ZERO
    }
    #[inline]
    fn backward_params(&self, _: &(), _: &M::Output, _: &mut ()) {}
}

impl<X: Data, const B: usize, M: BatchModule<X, B>> BatchModule<X, B> for NoGrad<M> {
    type BatchCache = ();

    #[inline]
    fn forward_batch(&self, x: &Batch<X, B>, _: &mut ()) -> Batch<M::Output, B> {
        self.0.infer_batch(x)
    }

    #[inline]
    fn infer_batch(&self, x: &Batch<X, B>) -> Batch<M::Output, B> {
        self.0.infer_batch(x)
    }

    #[inline]
    fn backward_batch(&self, _: &(), _: &Batch<M::Output, B>, _: &mut ()) -> Batch<X, B> {
        Batch::ZERO
    }

    #[inline]
    fn backward_batch_input(&self, _: &(), _: &Batch<M::Output, B>) -> Batch<X, B> {
        Batch::ZERO
    }
    #[inline]
    fn backward_batch_params(&self, _: &(), _: &Batch<M::Output, B>, _: &mut ()) {}
}

/// A borrowed layer is a frozen layer: it can live anywhere, a `static` in flash included.
impl<M: Layer> Layer for &M {
    type Grads = ();
}

impl<T: Scalar, M: Params<T>> Params<T> for &M {
    crate::params!(T; child (Child::lent(|m: &Self| *m)));
}

impl<X: Data, M: Module<X>> Module<X> for &M {
    type Output = M::Output;
    type Cache = M::Cache;

    #[inline]
    fn forward(&self, x: &X, cache: &mut M::Cache) -> M::Output {
        (**self).forward(x, cache)
    }

    #[inline]
    fn infer(&self, x: &X) -> M::Output {
        (**self).infer(x)
    }

    #[inline]
    fn backward(&self, cache: &M::Cache, dy: &M::Output, _: &mut ()) -> X {
        (**self).backward_input(cache, dy)
    }

    #[inline]
    fn backward_input(&self, cache: &M::Cache, dy: &M::Output) -> X {
        (**self).backward_input(cache, dy)
    }
    #[inline]
    fn backward_params(&self, _: &M::Cache, _: &M::Output, _: &mut ()) {}
}

impl<X: Data, const B: usize, M: BatchModule<X, B>> BatchModule<X, B> for &M {
    type BatchCache = M::BatchCache;

    #[inline]
    fn forward_batch(&self, x: &Batch<X, B>, cache: &mut M::BatchCache) -> Batch<M::Output, B> {
        (**self).forward_batch(x, cache)
    }

    #[inline]
    fn infer_batch(&self, x: &Batch<X, B>) -> Batch<M::Output, B> {
        (**self).infer_batch(x)
    }

    #[inline]
    fn backward_batch(
        &self,
        cache: &M::BatchCache,
        dy: &Batch<M::Output, B>,
        _: &mut (),
    ) -> Batch<X, B> {
        (**self).backward_batch_input(cache, dy)
    }

    #[inline]
    fn backward_batch_input(&self, cache: &M::BatchCache, dy: &Batch<M::Output, B>) -> Batch<X, B> {
        (**self).backward_batch_input(cache, dy)
    }
    #[inline]
    fn backward_batch_params(&self, _: &M::BatchCache, _: &Batch<M::Output, B>, _: &mut ()) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Gelu, Linear, TorchInit};

    type Block = (Linear<f64, 3, 3>, Gelu);
    type Net<A> = (A, Linear<f64, 3, 1>);

    fn parts() -> (Block, Linear<f64, 3, 1>) {
        let mut init = TorchInit::new(5);
        (Params::torch_init(&mut init), Params::torch_init(&mut init))
    }

    /// Frozen and borrowed layers pass the same input gradient as the trained layer, and
    /// the head's gradients are the same bits; the frozen part gets none.
    #[test]
    fn frozen_and_borrowed_pass_the_gradient_through() {
        let (block, head) = parts();
        let x = [0.5, -1.0, 2.0];
        let dy = [1.5];
        let full: Net<Block> = (block, head);
        let mut c = Zeroed::ZERO;
        full.forward(&x, &mut c);
        let mut g = Net::<Block>::ZERO;
        let dx = full.backward(&c, &dy, &mut g);

        let frozen: Net<Frozen<Block>> = (Frozen(block), head);
        let mut cf = Zeroed::ZERO;
        frozen.forward(&x, &mut cf);
        let mut gf: ((), Linear<f64, 3, 1>) = Zeroed::ZERO;
        assert_eq!(frozen.backward(&cf, &dy, &mut gf), dx);
        assert_eq!(gf.1, g.1);

        let lent: Net<&Block> = (&block, head);
        let mut cl = Zeroed::ZERO;
        lent.forward(&x, &mut cl);
        let mut gl: ((), Linear<f64, 3, 1>) = Zeroed::ZERO;
        assert_eq!(lent.backward(&cl, &dy, &mut gl), dx);
        assert_eq!(gl.1, g.1);
        assert_eq!(<Net<&Block> as Params<f64>>::TRAINABLE, 4);
        assert_eq!(<Net<&Block> as Params<f64>>::LEN, 16);
    }

    /// `NoGrad` keeps no cache and stops the gradient; the head trains the same.
    #[test]
    fn no_grad_stops_the_gradient() {
        let (block, head) = parts();
        let x = [0.5, -1.0, 2.0];
        let net: Net<NoGrad<&Block>> = (NoGrad(&block), head);
        let mut c: ((), [f64; 3]) = Zeroed::ZERO;
        let y = net.forward(&x, &mut c);
        assert_eq!(y, (block, head).infer(&x));
        let mut g: ((), Linear<f64, 3, 1>) = Zeroed::ZERO;
        assert_eq!(net.backward(&c, &[1.0], &mut g), [0.0; 3]);
        let mut want = Linear::ZERO;
        head.backward(&block.infer(&x), &[1.0], &mut want);
        assert_eq!(g.1, want);
    }

    /// Walks: names and saves include frozen and borrowed tensors; writes skip the borrowed.
    #[test]
    fn walks_see_frozen_and_borrowed_tensors() {
        let (block, head) = parts();
        let mut names = heapless::Vec::<heapless::String<16>, 8>::new();
        crate::params::visit_named(&(Frozen(block), (&block, head)), |name, _, _: &[f64]| {
            let _ = names.push(heapless::String::try_from(name.as_str()).unwrap_or_default());
        });
        let names = names.iter().map(|s| s.as_str());
        assert!(names.eq([
            "0.0.weight",
            "0.0.bias",
            "1.0.0.weight",
            "1.0.0.bias",
            "1.1.weight",
            "1.1.bias"
        ]));

        let mut model = (Frozen(block), (&block, head));
        let mut flat = [0.0; 12 + 12 + 4];
        assert!(model.store_flat(&mut flat).is_ok());
        let saved = flat;
        flat.iter_mut().for_each(|v| *v += 1.0);
        assert!(model.load_flat(&flat).is_ok());
        // The frozen block and the head were written; the borrowed block was not.
        assert_eq!(model.0 .0 .0.weight[0][0], saved[0] + 1.0);
        assert_eq!(model.1 .1.bias[0], saved[27] + 1.0);
        assert_eq!(*model.1 .0, block);
    }
}
