//! Shortcut (residual) connections: `y = x + block(x)`.

use crate::init::TorchInit;
use crate::module::{Module, Zeroed};
use crate::name::ParamName;
use crate::params::Params;
use crate::scalar::Scalar;

/// Adds a block's input to its output: `y = x + block(x)`.
///
/// It only type-checks when the block maps `[T; N]` to `[T; N]`, so the notebook's runtime
/// test `x.shape == layer_output.shape` is a compile-time fact here:
///
/// ```compile_fail,E0599
/// use skipgrad::{Linear, Module, Residual, Zeroed};
/// // A 3 -> 1 layer cannot have a shortcut: this does not compile.
/// let r = Residual(Linear::<f32, 3, 1>::zeroed());
/// let _ = r.infer(&[1.0, 2.0, 3.0]);
/// ```
///
/// Its twin, a 3 -> 3 layer, differs only by the layer's size and compiles:
///
/// ```
/// use skipgrad::{Linear, Module, Residual, Zeroed};
/// let r = Residual(Linear::<f32, 3, 3>::zeroed());
/// let _ = r.infer(&[1.0, 2.0, 3.0]);
/// ```
///
/// The wrapper adds no name segment: `Residual((Linear, Gelu))` names its weight `0.weight`,
/// as the notebook's model (whose shortcut is not a module) does.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Residual<M>(pub M);

impl<M: Zeroed> Zeroed for Residual<M> {
    #[inline(always)]
    fn zeroed() -> Self {
        Residual(M::zeroed())
    }
}

impl<T: Scalar, const N: usize, M: Module<[T; N], Output = [T; N]>> Module<[T; N]> for Residual<M> {
    type Output = [T; N];
    type Cache = M::Cache;

    #[inline]
    fn forward(&self, x: &[T; N], cache: &mut M::Cache) -> [T; N] {
        let mut y = self.0.forward(x, cache);
        add_shortcut(&mut y, x);
        y
    }

    #[inline]
    fn infer(&self, x: &[T; N]) -> [T; N] {
        let mut y = self.0.infer(x);
        y.iter_mut().zip(x).for_each(|(y, x)| *y = *x + *y);
        y
    }

    #[inline]
    fn backward(&self, cache: &M::Cache, dy: &[T; N], grads: &mut Self) -> [T; N] {
        let mut dx = self.0.backward(cache, dy, &mut grads.0);
        add_shortcut(&mut dx, dy);
        dx
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

impl<T: Scalar, M: Params<T>> Params<T> for Residual<M> {
    const LEN: usize = M::LEN;
    #[inline(always)]
    fn for_each_tensor(&self, f: &mut impl FnMut(&[T])) {
        self.0.for_each_tensor(f)
    }
    #[inline(always)]
    fn for_each_tensor_mut(&mut self, f: &mut impl FnMut(&mut [T])) {
        self.0.for_each_tensor_mut(f)
    }
    fn visit_named(&self, name: &mut ParamName, f: &mut impl FnMut(&ParamName, &[T])) {
        self.0.visit_named(name, f)
    }
    fn visit_named_mut(&mut self, name: &mut ParamName, f: &mut impl FnMut(&ParamName, &mut [T])) {
        self.0.visit_named_mut(name, f)
    }
    #[inline(always)]
    fn zip2(&mut self, a: &Self, f: &mut impl FnMut(&mut [T], &[T])) {
        self.0.zip2(&a.0, f)
    }
    #[inline(always)]
    fn zip2_mut(&mut self, a: &mut Self, f: &mut impl FnMut(&mut [T], &mut [T])) {
        self.0.zip2_mut(&mut a.0, f)
    }
    #[inline(always)]
    fn zip3(&mut self, a: &Self, b: &mut Self, f: &mut impl FnMut(&mut [T], &[T], &mut [T])) {
        self.0.zip3(&a.0, &mut b.0, f)
    }
    #[inline(always)]
    fn zip4(
        &mut self,
        a: &Self,
        b: &mut Self,
        c: &mut Self,
        f: &mut impl FnMut(&mut [T], &[T], &mut [T], &mut [T]),
    ) {
        self.0.zip4(&a.0, &mut b.0, &mut c.0, f)
    }
    fn reset_parameters(&mut self, init: &mut TorchInit) {
        self.0.reset_parameters(init)
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
        let mut cache = Zeroed::zeroed();
        let y = r.forward(&[1.0, 2.0], &mut cache);
        assert_eq!(y, [1.0 + 3.0, 2.0 + 7.0]);
        assert_eq!(r.infer(&[1.0, 2.0]), y);
        let mut g = Residual::zeroed();
        let dx = r.backward(&cache, &[1.0, 1.0], &mut g);
        assert_eq!(dx, [1.0 + 2.0, 1.0 + 3.0]);
        assert_eq!(g.0.weight, [[1.0, 2.0], [1.0, 2.0]]);
    }
}
