//! The fully connected layer `y = W x + b`.

use crate::init::TorchInit;
use crate::module::{Module, Zeroed};
use crate::name::ParamName;
use crate::params::Params;
use crate::scalar::Scalar;

/// A fully connected layer, `y = W x + b`, laid out as PyTorch's `nn.Linear(IN, OUT)`.
///
/// `weight` is `[[T; IN]; OUT]`: row `j` holds the weights of output `j` (row-major, the
/// layout of `nn.Linear.weight`). Each output is a sequential dot product, then the bias.
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

    /// Number of scalar parameters, `IN * OUT + OUT`.
    pub const PARAMS: usize = IN * OUT + OUT;
}

impl<T: Scalar, const IN: usize, const OUT: usize> Zeroed for Linear<T, IN, OUT> {
    #[inline(always)]
    fn zeroed() -> Self {
        Self {
            weight: [[T::ZERO; IN]; OUT],
            bias: [T::ZERO; OUT],
        }
    }
}

impl<T: Scalar, const IN: usize, const OUT: usize> Module<[T; IN]> for Linear<T, IN, OUT> {
    type Output = [T; OUT];
    /// The input, for the weight gradient.
    type Cache = [T; IN];

    #[inline]
    fn forward(&self, x: &[T; IN], cache: &mut [T; IN]) -> [T; OUT] {
        *cache = *x;
        self.infer(x)
    }

    #[inline]
    fn infer(&self, x: &[T; IN]) -> [T; OUT] {
        let mut y = [T::ZERO; OUT];
        for ((yj, wj), bj) in y.iter_mut().zip(&self.weight).zip(&self.bias) {
            *yj = dot(wj, x) + *bj;
        }
        y
    }

    #[inline]
    fn backward(&self, x: &[T; IN], dy: &[T; OUT], grads: &mut Self) -> [T; IN] {
        let mut dx = [T::ZERO; IN];
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
        dx
    }
}

// The two kernels below go three elements per loop turn, written out: compilers optimising
// for size (opt-level "s") never unroll a loop, and a 3-wide layer then runs straight-line
// code. The order of every sum is the plain loop's, so the results are the same bits.

/// `w . x`, summed from zero in index order.
#[inline(always)]
fn dot<T: Scalar>(w: &[T], x: &[T]) -> T {
    let (w3, w_rest) = w.as_chunks::<3>();
    let (x3, x_rest) = x.as_chunks::<3>();
    let mut acc = T::ZERO;
    for ([w0, w1, w2], [x0, x1, x2]) in w3.iter().zip(x3) {
        acc += *w0 * *x0;
        acc += *w1 * *x1;
        acc += *w2 * *x2;
    }
    for (w, x) in w_rest.iter().zip(x_rest) {
        acc += *w * *x;
    }
    acc
}

/// One output's share of the backward pass: `gw += d * x` and `dx += w * d`, element-wise.
#[inline(always)]
fn outer_and_transpose<T: Scalar>(d: T, w: &[T], x: &[T], gw: &mut [T], dx: &mut [T]) {
    let step = |w: &T, x: &T, gw: &mut T, dx: &mut T| {
        *gw += d * *x;
        *dx += *w * d;
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

impl<T: Scalar, const IN: usize, const OUT: usize> Params<T> for Linear<T, IN, OUT> {
    const LEN: usize = IN * OUT + OUT;

    #[inline]
    fn for_each_tensor(&self, f: &mut impl FnMut(&[T])) {
        f(self.weight.as_flattened());
        f(&self.bias);
    }

    #[inline]
    fn for_each_tensor_mut(&mut self, f: &mut impl FnMut(&mut [T])) {
        f(self.weight.as_flattened_mut());
        f(&mut self.bias);
    }

    fn visit_named(&self, name: &mut ParamName, f: &mut impl FnMut(&ParamName, &[T])) {
        let len = name.push("weight");
        f(name, self.weight.as_flattened());
        name.restore(len);
        name.push("bias");
        f(name, &self.bias);
        name.restore(len);
    }

    fn visit_named_mut(&mut self, name: &mut ParamName, f: &mut impl FnMut(&ParamName, &mut [T])) {
        let len = name.push("weight");
        f(name, self.weight.as_flattened_mut());
        name.restore(len);
        name.push("bias");
        f(name, &mut self.bias);
        name.restore(len);
    }

    #[inline]
    fn zip2(&mut self, a: &Self, f: &mut impl FnMut(&mut [T], &[T])) {
        f(self.weight.as_flattened_mut(), a.weight.as_flattened());
        f(&mut self.bias, &a.bias);
    }

    #[inline]
    fn zip2_mut(&mut self, a: &mut Self, f: &mut impl FnMut(&mut [T], &mut [T])) {
        f(self.weight.as_flattened_mut(), a.weight.as_flattened_mut());
        f(&mut self.bias, &mut a.bias);
    }

    #[inline]
    fn zip3(&mut self, a: &Self, b: &mut Self, f: &mut impl FnMut(&mut [T], &[T], &mut [T])) {
        f(
            self.weight.as_flattened_mut(),
            a.weight.as_flattened(),
            b.weight.as_flattened_mut(),
        );
        f(&mut self.bias, &a.bias, &mut b.bias);
    }

    #[inline]
    fn zip4(
        &mut self,
        a: &Self,
        b: &mut Self,
        c: &mut Self,
        f: &mut impl FnMut(&mut [T], &[T], &mut [T], &mut [T]),
    ) {
        f(
            self.weight.as_flattened_mut(),
            a.weight.as_flattened(),
            b.weight.as_flattened_mut(),
            c.weight.as_flattened_mut(),
        );
        f(&mut self.bias, &a.bias, &mut b.bias, &mut c.bias);
    }

    fn reset_parameters(&mut self, init: &mut TorchInit) {
        let (w_bound, b_bound) = TorchInit::linear_bounds(IN);
        for w in self.weight.as_flattened_mut() {
            *w = T::from_f32(init.uniform(w_bound));
        }
        for b in self.bias.iter_mut() {
            *b = T::from_f32(init.uniform(b_bound));
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
            if let (Some(g), Some(v)) = (gw.get_mut(..n), dx.get_mut(..n)) {
                outer_and_transpose(d, w, x, g, v);
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
        }
        assert_eq!(checked, 9);
    }

    #[test]
    fn backward_accumulates_outer_product_and_transpose() {
        let l = layer();
        let mut cache = Zeroed::zeroed();
        let x = [1.0, 2.0, -1.0];
        l.forward(&x, &mut cache);
        let mut g = Linear::zeroed();
        let dx = l.backward(&cache, &[1.0, 2.0], &mut g);
        assert_eq!(dx, [1.0 - 2.0, 2.0 + 1.0, 3.0 + 0.5]);
        assert_eq!(g.weight, [[1.0, 2.0, -1.0], [2.0, 4.0, -2.0]]);
        assert_eq!(g.bias, [1.0, 2.0]);
        // A second sample adds to what is there.
        l.backward(&cache, &[1.0, 0.0], &mut g);
        assert_eq!(g.weight, [[2.0, 4.0, -2.0], [2.0, 4.0, -2.0]]);
        assert_eq!(g.bias, [2.0, 2.0]);
    }

    #[test]
    fn tensors_are_weight_then_bias_row_major() {
        let l = layer();
        let mut seen = [0.0; 8];
        let mut k = 0;
        l.for_each_tensor(&mut |t| {
            for (s, v) in seen.iter_mut().skip(k).zip(t) {
                *s = *v;
            }
            k += t.len();
        });
        assert_eq!(k, <Linear<f64, 3, 2> as Params<f64>>::LEN);
        assert_eq!(seen, [1.0, 2.0, 3.0, -1.0, 0.5, 0.25, 0.5, -0.5]);
    }
}
