//! The fully connected layer `y = W x + b`.

mod batch;
pub(crate) mod sample;

use super::batch::BatchModule;
use super::dispatch;
use super::module::Module;
use crate::data::Batch;
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

/// A batch through matrix-matrix kernels (tiles of independent sums side by side, each sum in
/// the per-sample order) when the layer has at least 8 inputs and the batch at least 16
/// samples, else sample by sample: the same bits either way. With the `dispatch` feature the
/// kernels run in the best instruction set the CPU has (AVX2 or AVX-512 on x86), with the same
/// bits again.
impl<T: Scalar, const IN: usize, const OUT: usize, const B: usize> BatchModule<[T; IN], B>
    for Linear<T, IN, OUT>
{
    /// The inputs, for the weight gradient.
    type BatchCache = [[T; IN]; B];

    #[inline]
    fn forward_batch(&self, x: &Batch<[T; IN], B>, cache: &mut [[T; IN]; B]) -> Batch<[T; OUT], B> {
        *cache = x.0;
        self.infer_batch(x)
    }

    #[inline]
    fn infer_batch(&self, x: &Batch<[T; IN], B>) -> Batch<[T; OUT], B> {
        if batch::batched(IN, B) {
            let mut y = Batch::<[T; OUT], B>::ZERO;
            dispatch::vectorized(
                #[inline(always)]
                |lanes| batch::forward(lanes, &self.weight, &self.bias, &x.0, &mut y.0),
            );
            y
        } else {
            Batch(x.0.map(|x| sample::forward(&self.weight, &self.bias, &x)))
        }
    }

    #[inline]
    fn backward_batch(
        &self,
        cache: &[[T; IN]; B],
        dy: &Batch<[T; OUT], B>,
        grads: &mut Self,
    ) -> Batch<[T; IN], B> {
        if batch::batched(IN, B) {
            self.backward_batch_params(cache, dy, grads);
            self.backward_batch_input(cache, dy)
        } else {
            crate::layer::backward_by_sample(self, cache, dy, grads)
        }
    }

    #[inline]
    fn backward_batch_input(
        &self,
        cache: &[[T; IN]; B],
        dy: &Batch<[T; OUT], B>,
    ) -> Batch<[T; IN], B> {
        if batch::batched(IN, B) {
            let mut dx = Batch::<[T; IN], B>::ZERO;
            dispatch::vectorized(
                #[inline(always)]
                |lanes| batch::backward_input(lanes, &self.weight, &dy.0, &mut dx.0),
            );
            dx
        } else {
            crate::layer::backward_input_by_sample(self, cache, dy)
        }
    }

    #[inline]
    fn backward_batch_params(
        &self,
        cache: &[[T; IN]; B],
        dy: &Batch<[T; OUT], B>,
        grads: &mut Self,
    ) {
        if batch::batched(IN, B) {
            dispatch::vectorized(
                #[inline(always)]
                |lanes| {
                    batch::backward_params(lanes, cache, &dy.0, &mut grads.weight, &mut grads.bias);
                },
            );
        } else {
            crate::layer::backward_params_by_sample(self, cache, dy, grads);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    /// A batch through the matrix-matrix kernels (a layer of at least 8 inputs, a batch of
    /// at least 16 samples, with remainders after the tiles) is its samples in order too,
    /// through every batch method.
    #[test]
    fn batched_kernels_equal_samples_in_order() {
        const B: usize = 19;
        let value = |i: usize, seed: f32| {
            let k = i as f32 + seed;
            (seed * k).sin() * 10f32.powi(i as i32 % 5 - 2) + 1e-3 * k
        };
        let l = Linear::<f32, 9, 6>::new(
            core::array::from_fn(|j| core::array::from_fn(|i| value(i * 6 + j, 0.7))),
            core::array::from_fn(|j| value(j, 1.9)),
        );
        assert!(batch::batched(9, B));
        let xs: [[f32; 9]; B] =
            core::array::from_fn(|s| core::array::from_fn(|i| value(i + 3 * s, 1.3)));
        let dys: [[f32; 6]; B] =
            core::array::from_fn(|s| core::array::from_fn(|j| value(j + 5 * s, -2.1)));
        let mut cache = Zeroed::ZERO;
        let y = l.forward_batch(&Batch(xs), &mut cache);
        assert_eq!(l.infer_batch(&Batch(xs)), y);
        let mut gb = Linear::ZERO;
        let dxb = l.backward_batch(&cache, &Batch(dys), &mut gb);
        assert_eq!(l.backward_batch_input(&cache, &Batch(dys)), dxb);
        let mut gp = Linear::ZERO;
        l.backward_batch_params(&cache, &Batch(dys), &mut gp);
        let mut gs = Linear::ZERO;
        for ((x, dy), (yb, dxb)) in xs.iter().zip(&dys).zip(y.0.iter().zip(&dxb.0)) {
            let mut c = [0.0; 9];
            assert_eq!(l.forward(x, &mut c).map(f32::to_bits), yb.map(f32::to_bits));
            let dx = l.backward(&c, dy, &mut gs);
            assert_eq!(dx.map(f32::to_bits), dxb.map(f32::to_bits));
        }
        let bits = |g: &Linear<f32, 9, 6>| {
            (
                g.weight.map(|r| r.map(f32::to_bits)),
                g.bias.map(f32::to_bits),
            )
        };
        assert_eq!(bits(&gb), bits(&gs));
        assert_eq!(bits(&gp), bits(&gs));
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
