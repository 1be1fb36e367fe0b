//! The fully connected layer `y = W x + b`.

mod sample;

use super::module::Module;
use crate::number::Scalar;
use crate::params::{Init, Layer, Params};
use crate::zeroed::Zeroed;

/// A fully connected layer, `y = W x + b`, laid out as PyTorch's `nn.Linear(IN, OUT)`.
///
/// `weight` is `[[T; IN]; OUT]`: row `j` holds the weights of output `j` (row-major, the
/// layout of `nn.Linear.weight`). Each output is a dot product summed from zero in index
/// order in [`Scalar::Acc`] (for floats: rounded after every operation, no fused
/// multiply-add), then the bias is added.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Linear<T, const IN: usize, const OUT: usize> {
    /// Weights, `weight[out][in]`.
    pub weight: [[T; IN]; OUT],
    /// Biases, one per output.
    pub bias: [T; OUT],
}

impl<T: Scalar, const IN: usize, const OUT: usize> Linear<T, IN, OUT> {
    /// A layer with the given weights and biases.
    pub const fn new(weight: [[T; IN]; OUT], bias: [T; OUT]) -> Self {
        Self { weight, bias }
    }
}

impl<T: Scalar, const IN: usize, const OUT: usize> Zeroed for Linear<T, IN, OUT> {
    const ZERO: Self = Self {
        weight: [[T::ZERO; IN]; OUT],
        bias: [T::ZERO; OUT],
    };
}

impl<T: Scalar, const IN: usize, const OUT: usize> Layer for Linear<T, IN, OUT> {
    type Grads = Self;
}

impl<T: Scalar, const IN: usize, const OUT: usize> Params<T> for Linear<T, IN, OUT> {
    crate::params!(T;
        tensor weight: Init::LinearWeight { fan_in: IN },
        tensor bias: Init::LinearBias { fan_in: IN },
    );
}

impl<T: Scalar, const IN: usize, const OUT: usize> Module<[T; IN]> for Linear<T, IN, OUT> {
    type Output = [T; OUT];
    /// The input, for the weight gradient.
    type Cache = [T; IN];

    #[inline]
    fn forward(&self, x: &[T; IN], cache: &mut [T; IN]) -> [T; OUT] {
        *cache = *x;
        sample::forward(&self.weight, &self.bias, x)
    }

    #[inline]
    fn infer(&self, x: &[T; IN]) -> [T; OUT] {
        sample::forward(&self.weight, &self.bias, x)
    }

    #[inline]
    fn backward(&self, x: &[T; IN], dy: &[T; OUT], grads: &mut Self) -> [T; IN] {
        sample::backward(&self.weight, x, dy, &mut grads.weight, &mut grads.bias)
    }

    #[inline]
    fn backward_input(&self, _: &[T; IN], dy: &[T; OUT]) -> [T; IN] {
        sample::backward_input(&self.weight, dy)
    }

    #[inline]
    fn backward_params(&self, x: &[T; IN], dy: &[T; OUT], grads: &mut Self) {
        sample::backward_params(x, dy, &mut grads.weight, &mut grads.bias);
    }
}

crate::batch_by_sample!(impl[T: Scalar, const IN: usize, const OUT: usize] Linear<T, IN, OUT>, [T; IN]);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Batch, BatchModule};

    fn layer() -> Linear<f64, 3, 2> {
        Linear::new([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.25]], [0.5, -0.5])
    }

    #[test]
    fn forward_table() {
        let cases: [([f64; 3], [f64; 2]); 3] = [
            ([0.0, 0.0, 0.0], [0.5, -0.5]),
            ([1.0, 0.0, -1.0], [-1.5, -1.75]),
            ([2.0, 4.0, 8.0], [34.5, 1.5]),
        ];
        for (x, want) in cases {
            assert_eq!(layer().infer(&x), want, "x = {x:?}");
        }
    }

    #[test]
    fn backward_accumulates_outer_product_and_transpose() {
        let l = layer();
        let mut cache = Zeroed::ZERO;
        let x = [1.0, 2.0, -1.0];
        l.forward(&x, &mut cache);
        let mut g = Linear::ZERO;
        let dx = l.backward(&cache, &[1.0, 2.0], &mut g);
        assert_eq!(dx, [1.0 - 2.0, 2.0 + 1.0, 3.0 + 0.5]);
        assert_eq!(l.backward_input(&cache, &[1.0, 2.0]), dx);
        assert_eq!(g.weight, [[1.0, 2.0, -1.0], [2.0, 4.0, -2.0]]);
        assert_eq!(g.bias, [1.0, 2.0]);
        // A second sample adds to what is there.
        l.backward(&cache, &[1.0, 0.0], &mut g);
        assert_eq!(g.weight, [[2.0, 4.0, -2.0], [2.0, 4.0, -2.0]]);
        assert_eq!(g.bias, [2.0, 2.0]);
    }

    /// A batch is its samples, in order: outputs, input gradients and accumulated parameter
    /// gradients are the same bits.
    #[test]
    fn batch_equals_samples_in_order() {
        let l = Linear::<f32, 3, 2>::new([[0.3, -1.7, 2.1], [1e-3, 0.5, -0.25]], [0.1, -0.2]);
        let xs = [[1.0, 2.0, -1.0], [0.3, -0.7, 5.0], [1e3, 1e-3, 2.0]];
        let dys = [[1.0, 2.0], [-0.5, 0.25], [3.0, -1e-2]];
        let mut cache = Zeroed::ZERO;
        let y = l.forward_batch(&Batch(xs), &mut cache);
        let mut gb = Linear::ZERO;
        let dxb = l.backward_batch(&cache, &Batch(dys), &mut gb);
        let mut gs = Linear::ZERO;
        for ((x, dy), (yb, dxb)) in xs.iter().zip(&dys).zip(y.0.iter().zip(&dxb.0)) {
            let mut c = [0.0; 3];
            assert_eq!(l.forward(x, &mut c), *yb);
            assert_eq!(l.backward(&c, dy, &mut gs), *dxb);
        }
        assert_eq!(gb, gs);
    }

    #[test]
    fn tensors_are_weight_then_bias_row_major() {
        let l = layer();
        let mut seen = [0.0; 8];
        assert!(l.store_flat(&mut seen).is_ok());
        assert_eq!(<Linear<f64, 3, 2> as Params<f64>>::LEN, 8);
        assert_eq!(seen, [1.0, 2.0, 3.0, -1.0, 0.5, 0.25, 0.5, -0.5]);
    }
}
