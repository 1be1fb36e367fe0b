//! Shortcut (residual) connections: `y = x + block(x)`.

use super::batch::BatchModule;
use super::module::Module;
use crate::data::{Batch, Flat};
use crate::number::Scalar;
use crate::params::{Layer, Params};
use crate::zeroed::Zeroed;

/// Adds a block's input to its output: `y = x + block(x)`.
///
/// It only type-checks when the block's output has the type of its input (`[T; N]` to
/// `[T; N]`), so the notebook's runtime test `x.shape == layer_output.shape` is a compile-time
/// fact here:
///
/// ```compile_fail,E0599
/// use skipgrad::{Linear, Module, Residual, Zeroed};
/// // A 3 -> 1 layer cannot have a shortcut: this does not compile.
/// let r = Residual(Linear::<f32, 3, 1>::ZERO);
/// let _ = r.infer(&[1.0, 2.0, 3.0]);
/// ```
///
/// Its twin, a 3 -> 3 layer, differs only by the layer's size and compiles:
///
/// ```
/// use skipgrad::{Linear, Module, Residual, Zeroed};
/// let r = Residual(Linear::<f32, 3, 3>::ZERO);
/// let _ = r.infer(&[1.0, 2.0, 3.0]);
/// ```
///
/// The wrapper adds no name segment: `Residual((Linear, Gelu))` names its weight `0.weight`,
/// as the notebook's model (whose shortcut is not a module) does.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Residual<M>(pub M);

impl<M: Zeroed> Zeroed for Residual<M> {
    const ZERO: Self = Residual(M::ZERO);
}

impl<M: Layer> Layer for Residual<M> {
    type Grads = Residual<M::Grads>;
}

impl<T: Scalar, M: Params<T>> Params<T> for Residual<M> {
    crate::params!(T; child 0);
}

/// `backward_params` keeps its default (the whole backward pass, input gradient dropped): an
/// override would give a model's first block its own copy of the code that its sibling blocks
/// share (on the notebook's network, 120 bytes of Cortex-M4F flash), to save work only when a
/// model starts with a shortcut.
impl<X: Flat, M: Module<X, Output = X>> Module<X> for Residual<M> {
    type Output = X;
    type Cache = M::Cache;

    fn forward(&self, x: &X, cache: &mut M::Cache) -> X {
        let mut y = self.0.forward(x, cache);
        add_shortcut(y.values_mut(), x.values());
        y
    }

    #[inline]
    fn infer(&self, x: &X) -> X {
        let mut y = self.0.infer(x);
        add_shortcut(y.values_mut(), x.values());
        y
    }

    fn backward(&self, cache: &M::Cache, dy: &X, grads: &mut Residual<M::Grads>) -> X {
        let mut dx = self.0.backward(cache, dy, &mut grads.0);
        add_shortcut(dx.values_mut(), dy.values());
        dx
    }

    #[inline]
    fn backward_input(&self, cache: &M::Cache, dy: &X) -> X {
        let mut dx = self.0.backward_input(cache, dy);
        add_shortcut(dx.values_mut(), dy.values());
        dx
    }
}

impl<X: Flat, const B: usize, M: BatchModule<X, B, Output = X>> BatchModule<X, B> for Residual<M> {
    type BatchCache = M::BatchCache;

    #[inline]
    fn forward_batch(&self, x: &Batch<X, B>, cache: &mut M::BatchCache) -> Batch<X, B> {
        let mut y = self.0.forward_batch(x, cache);
        add_shortcuts(&mut y, x);
        y
    }

    #[inline]
    fn infer_batch(&self, x: &Batch<X, B>) -> Batch<X, B> {
        let mut y = self.0.infer_batch(x);
        add_shortcuts(&mut y, x);
        y
    }

    #[inline]
    fn backward_batch(
        &self,
        cache: &M::BatchCache,
        dy: &Batch<X, B>,
        grads: &mut Residual<M::Grads>,
    ) -> Batch<X, B> {
        let mut dx = self.0.backward_batch(cache, dy, &mut grads.0);
        add_shortcuts(&mut dx, dy);
        dx
    }

    #[inline]
    fn backward_batch_input(&self, cache: &M::BatchCache, dy: &Batch<X, B>) -> Batch<X, B> {
        let mut dx = self.0.backward_batch_input(cache, dy);
        add_shortcuts(&mut dx, dy);
        dx
    }
}

/// `y = x + y` for every sample of a batch.
#[inline(always)]
fn add_shortcuts<X: Flat, const B: usize>(y: &mut Batch<X, B>, x: &Batch<X, B>) {
    for (y, x) in y.0.iter_mut().zip(&x.0) {
        add_shortcut(y.values_mut(), x.values());
    }
}

/// `y = x + y`, element-wise, three elements per loop turn written out (compilers optimising
/// for size never unroll a loop; a 3-wide block then runs straight-line code).
#[inline(always)]
fn add_shortcut<T: Scalar>(y: &mut [T], x: &[T]) {
    let (y3, y_rest) = y.as_chunks_mut::<3>();
    let (x3, x_rest) = x.as_chunks::<3>();
    for ([y0, y1, y2], [x0, x1, x2]) in y3.iter_mut().zip(x3) {
        *y0 = *x0 + *y0;
        *y1 = *x1 + *y1;
        *y2 = *x2 + *y2;
    }
    for (y, x) in y_rest.iter_mut().zip(x_rest) {
        *y = *x + *y;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Linear;

    /// The unrolled sum covers every element, with and without a remainder after the
    /// groups of three.
    #[test]
    fn add_shortcut_covers_every_length() {
        let mut checked = 0;
        for n in 0..=7 {
            let mut y: [f64; 7] = core::array::from_fn(|i| i as f64);
            let x: [f64; 7] = core::array::from_fn(|i| 100.0 * (i + 1) as f64);
            if let (Some(y), Some(x)) = (y.get_mut(..n), x.get(..n)) {
                add_shortcut(y, x);
            }
            let want: [f64; 7] = core::array::from_fn(|i| {
                if i < n {
                    101.0 * i as f64 + 100.0
                } else {
                    i as f64
                }
            });
            assert_eq!(y, want, "n = {n}");
            checked += 1;
        }
        assert_eq!(checked, 8);
    }

    #[test]
    fn adds_input_and_passes_gradient_through() {
        let r = Residual(Linear::<f64, 2, 2>::new(
            [[2.0, 0.0], [0.0, 3.0]],
            [1.0, 1.0],
        ));
        let mut cache = Zeroed::ZERO;
        let y = r.forward(&[1.0, 2.0], &mut cache);
        assert_eq!(y, [1.0 + 3.0, 2.0 + 7.0]);
        assert_eq!(r.infer(&[1.0, 2.0]), y);
        let mut g = Residual::ZERO;
        let dx = r.backward(&cache, &[1.0, 1.0], &mut g);
        assert_eq!(dx, [1.0 + 2.0, 1.0 + 3.0]);
        assert_eq!(r.backward_input(&cache, &[1.0, 1.0]), dx);
        assert_eq!(g.0.weight, [[1.0, 2.0], [1.0, 2.0]]);
    }
}
