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
            let mut acc = T::ZERO;
            for (w, xi) in wj.iter().zip(x) {
                acc += *w * *xi;
            }
            *yj = acc + *bj;
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
            for (((w, gw), xi), dxi) in wj.iter().zip(gwj.iter_mut()).zip(x).zip(dx.iter_mut()) {
                *gw += *dyj * *xi;
                *dxi += *w * *dyj;
            }
        }
        dx
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
