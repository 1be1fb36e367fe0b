//! The fully connected layer `y = W x + b`.

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

impl<T: Scalar, const IN: usize, const OUT: usize> Linear<T, IN, OUT> {
    #[inline(always)]
    fn apply(&self, x: &[T; IN]) -> [T; OUT] {
        let mut y = [T::ZERO; OUT];
        for ((yj, wj), bj) in y.iter_mut().zip(&self.weight).zip(&self.bias) {
            *yj = T::from_acc(dot(wj, x)) + *bj;
        }
        y
    }

    /// Adds one sample's parameter gradients into `grads` (if given) and returns its input
    /// gradient `W^T dy`.
    #[inline(always)]
    fn gradients(&self, x: &[T; IN], dy: &[T; OUT], grads: Option<&mut Self>) -> [T; IN] {
        let mut dx = [T::ACC_ZERO; IN];
        match grads {
            Some(grads) => {
                for (((wj, gwj), gbj), dyj) in self
                    .weight
                    .iter()
                    .zip(grads.weight.iter_mut())
                    .zip(grads.bias.iter_mut())
                    .zip(dy)
                {
                    *gbj += *dyj;
                    outer_and_transpose(*dyj, wj, x, gwj, &mut dx);
                }
            }
            None => {
                for (wj, dyj) in self.weight.iter().zip(dy) {
                    transpose(*dyj, wj, &mut dx);
                }
            }
        }
        dx.map(T::from_acc)
    }
}

impl<T: Scalar, const IN: usize, const OUT: usize> Module<[T; IN]> for Linear<T, IN, OUT> {
    type Output = [T; OUT];
    /// The input, for the weight gradient.
    type Cache = [T; IN];

    #[inline]
    fn forward(&self, x: &[T; IN], cache: &mut [T; IN]) -> [T; OUT] {
        *cache = *x;
        self.apply(x)
    }

    #[inline]
    fn infer(&self, x: &[T; IN]) -> [T; OUT] {
        self.apply(x)
    }

    #[inline]
    fn backward(&self, x: &[T; IN], dy: &[T; OUT], grads: &mut Self) -> [T; IN] {
        self.gradients(x, dy, Some(grads))
    }

    #[inline]
    fn backward_input(&self, x: &[T; IN], dy: &[T; OUT]) -> [T; IN] {
        self.gradients(x, dy, None)
    }
}

crate::batch_by_sample!(impl[T: Scalar, const IN: usize, const OUT: usize] Linear<T, IN, OUT>, [T; IN]);

// The kernels below go three elements per loop turn, written out: compilers optimising for
// size (opt-level "s") never unroll a loop, and a 3-wide layer then runs straight-line code.
// The order of every sum is the plain loop's, so the results are the same bits.

/// `w . x`, summed from zero in index order in the accumulator.
#[inline(always)]
fn dot<T: Scalar>(w: &[T], x: &[T]) -> T::Acc {
    let (w3, w_rest) = w.as_chunks::<3>();
    let (x3, x_rest) = x.as_chunks::<3>();
    let mut acc = T::ACC_ZERO;
    for ([w0, w1, w2], [x0, x1, x2]) in w3.iter().zip(x3) {
        acc = T::mul_acc(acc, *w0, *x0);
        acc = T::mul_acc(acc, *w1, *x1);
        acc = T::mul_acc(acc, *w2, *x2);
    }
    for (w, x) in w_rest.iter().zip(x_rest) {
        acc = T::mul_acc(acc, *w, *x);
    }
    acc
}

/// One output's share of the backward pass: `gw += d * x` and `dx += w * d`, element-wise.
#[inline(always)]
fn outer_and_transpose<T: Scalar>(d: T, w: &[T], x: &[T], gw: &mut [T], dx: &mut [T::Acc]) {
    let step = |w: &T, x: &T, gw: &mut T, dx: &mut T::Acc| {
        *gw += d * *x;
        *dx = T::mul_acc(*dx, *w, d);
    };
    let (w3, w_rest) = w.as_chunks::<3>();
    let (x3, x_rest) = x.as_chunks::<3>();
    let (gw3, gw_rest) = gw.as_chunks_mut::<3>();
    let (dx3, dx_rest) = dx.as_chunks_mut::<3>();
    for ((([w0, w1, w2], [x0, x1, x2]), [g0, g1, g2]), [d0, d1, d2]) in
        w3.iter().zip(x3).zip(gw3).zip(dx3)
    {
        step(w0, x0, g0, d0);
        step(w1, x1, g1, d1);
        step(w2, x2, g2, d2);
    }
    for (((w, x), gw), dx) in w_rest.iter().zip(x_rest).zip(gw_rest).zip(dx_rest) {
        step(w, x, gw, dx);
    }
}

/// One output's share of the input gradient alone: `dx += w * d`.
#[inline(always)]
fn transpose<T: Scalar>(d: T, w: &[T], dx: &mut [T::Acc]) {
    for (w, dx) in w.iter().zip(dx) {
        *dx = T::mul_acc(*dx, *w, d);
    }
}

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

    /// Values whose sums round differently in another order.
    fn wobbly(n: usize, seed: f32) -> [f32; 8] {
        core::array::from_fn(|i| {
            let k = (i + n) as f32;
            (seed * k).sin() * 10f32.powi(i as i32 % 4 - 1) + 1e-3 * k
        })
    }

    /// The unrolled kernels give the plain in-order loop's bits for every length, with and
    /// without a remainder after the groups of three.
    #[test]
    fn kernels_match_the_plain_loops_bit_for_bit() {
        let mut checked = 0;
        for n in 0..=8 {
            let (w, x) = (wobbly(n, 0.7), wobbly(n, 1.3));
            let (Some(w), Some(x)) = (w.get(..n), x.get(..n)) else {
                continue;
            };
            let mut plain = 0.0f32;
            for (w, x) in w.iter().zip(x) {
                plain += *w * *x;
            }
            assert_eq!(dot(w, x).to_bits(), plain.to_bits(), "dot, n = {n}");

            let d = -0.37f32;
            let (mut gw, mut dx) = (wobbly(n, 2.1), wobbly(n, 2.9));
            let (mut gw_plain, mut dx_plain) = (gw, dx);
            let mut dx_only = dx;
            if let (Some(g), Some(v), Some(o)) =
                (gw.get_mut(..n), dx.get_mut(..n), dx_only.get_mut(..n))
            {
                outer_and_transpose(d, w, x, g, v);
                transpose(d, w, o);
                checked += 1;
            }
            for (((w, x), g), v) in w.iter().zip(x).zip(&mut gw_plain).zip(&mut dx_plain) {
                *g += d * *x;
                *v += *w * d;
            }
            assert_eq!(
                gw.map(f32::to_bits),
                gw_plain.map(f32::to_bits),
                "gw, n = {n}"
            );
            assert_eq!(
                dx.map(f32::to_bits),
                dx_plain.map(f32::to_bits),
                "dx, n = {n}"
            );
            assert_eq!(
                dx_only.map(f32::to_bits),
                dx_plain.map(f32::to_bits),
                "dx only, n = {n}"
            );
        }
        assert_eq!(checked, 9);
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
