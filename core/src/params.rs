//! Walking a model's parameters: names, element-wise updates, and zips of model-shaped values.
//!
//! A model, its gradients and an optimizer's state are all values of the model's type, so an
//! optimizer is an element-wise function zipped over them tensor by tensor.

use crate::init::TorchInit;
use crate::module::Zeroed;
use crate::name::ParamName;
use crate::scalar::Scalar;

/// A model whose parameters can be visited in PyTorch's registration order.
///
/// Leaves ([`Linear`](crate::Linear)) hand out each tensor as one flat slice (weights are
/// `[[T; IN]; OUT]`, flattened row-major); containers forward to their children in order.
pub trait Params<T: Scalar>: Zeroed {
    /// The number of scalar parameters.
    const LEN: usize;

    /// Calls `f` on every parameter tensor, in registration order.
    fn for_each_tensor(&self, f: &mut impl FnMut(&[T]));

    /// Calls `f` on every parameter tensor, mutably, in registration order.
    fn for_each_tensor_mut(&mut self, f: &mut impl FnMut(&mut [T]));

    /// Calls `f` with each tensor's PyTorch name (`layers.0.0.weight`) under `name`.
    fn visit_named(&self, name: &mut ParamName, f: &mut impl FnMut(&ParamName, &[T]));

    /// Calls `f` with each tensor's PyTorch name, mutably (for loading saved parameters).
    fn visit_named_mut(&mut self, name: &mut ParamName, f: &mut impl FnMut(&ParamName, &mut [T]));

    /// Zips `self` with one other value of the same shape, tensor by tensor.
    fn zip2(&mut self, a: &Self, f: &mut impl FnMut(&mut [T], &[T]));

    /// Zips `self` with two other values of the same shape (for example gradients and a
    /// momentum buffer), tensor by tensor.
    fn zip3(&mut self, a: &Self, b: &mut Self, f: &mut impl FnMut(&mut [T], &[T], &mut [T]));

    /// Zips `self` with three other values of the same shape (for example gradients and
    /// Adam's two moments), tensor by tensor.
    fn zip4(
        &mut self,
        a: &Self,
        b: &mut Self,
        c: &mut Self,
        f: &mut impl FnMut(&mut [T], &[T], &mut [T], &mut [T]),
    );

    /// Zips `self` with one other value of the same shape, both mutable, tensor by tensor
    /// (for example an optimizer that updates the model and clears the gradients in one pass).
    ///
    /// The default goes through [`Params::zip3`] with a zeroed stand-in for its read-only
    /// argument, so it keeps one extra model on the stack; every layer and container of this
    /// crate overrides it without the stand-in.
    #[inline]
    fn zip2_mut(&mut self, a: &mut Self, f: &mut impl FnMut(&mut [T], &mut [T])) {
        self.zip3(&Self::zeroed(), a, &mut |s, _, a| f(s, a));
    }

    /// Re-initialises every parameter as PyTorch does at construction, drawing from `init`
    /// in PyTorch's order (for `nn.Linear`: the weight row by row, then the bias).
    fn reset_parameters(&mut self, init: &mut TorchInit);

    /// Sets every parameter to zero (`optimizer.zero_grad()` on a gradient value).
    #[inline]
    fn zero(&mut self) {
        self.for_each_tensor_mut(&mut |t| t.fill(T::ZERO));
    }

    /// Multiplies every parameter by `factor`.
    #[inline]
    fn scale(&mut self, factor: T) {
        self.for_each_tensor_mut(&mut |t| t.iter_mut().for_each(|v| *v *= factor));
    }

    /// Adds `other` element-wise (accumulating gradients).
    #[inline]
    fn add_assign(&mut self, other: &Self) {
        self.zip2(other, &mut |a, b| {
            a.iter_mut().zip(b).for_each(|(a, b)| *a += *b);
        });
    }

    /// The sum of squares of every parameter, accumulated in `T`, in registration order.
    ///
    /// Finite exactly when every element is finite and no square overflows, which makes it a
    /// one-pass check before an optimizer step.
    #[inline]
    fn sum_of_squares(&self) -> T {
        let mut acc = T::ZERO;
        self.for_each_tensor(&mut |t| t.iter().for_each(|v| acc += *v * *v));
        acc
    }

    /// True if no parameter is NaN or infinite.
    #[inline]
    fn all_finite(&self) -> bool {
        let mut ok = true;
        self.for_each_tensor(&mut |t| ok &= t.iter().all(|v| v.is_finite()));
        ok
    }

    /// A fresh model initialised as `torch.manual_seed(seed)` followed by constructing the
    /// PyTorch model would be (see [`TorchInit`]).
    #[inline]
    fn torch_init(init: &mut TorchInit) -> Self {
        let mut m = Self::zeroed();
        m.reset_parameters(init);
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Linear;

    /// A container that implements only the required methods, so it gets the provided
    /// `zip2_mut`.
    #[derive(Clone, Copy, Debug, PartialEq)]
    struct Wrap(Linear<f64, 2, 1>);

    impl Zeroed for Wrap {
        fn zeroed() -> Self {
            Wrap(Linear::zeroed())
        }
    }

    impl Params<f64> for Wrap {
        const LEN: usize = 3;
        fn for_each_tensor(&self, f: &mut impl FnMut(&[f64])) {
            self.0.for_each_tensor(f)
        }
        fn for_each_tensor_mut(&mut self, f: &mut impl FnMut(&mut [f64])) {
            self.0.for_each_tensor_mut(f)
        }
        fn visit_named(&self, name: &mut ParamName, f: &mut impl FnMut(&ParamName, &[f64])) {
            self.0.visit_named(name, f)
        }
        fn visit_named_mut(
            &mut self,
            name: &mut ParamName,
            f: &mut impl FnMut(&ParamName, &mut [f64]),
        ) {
            self.0.visit_named_mut(name, f)
        }
        fn zip2(&mut self, a: &Self, f: &mut impl FnMut(&mut [f64], &[f64])) {
            self.0.zip2(&a.0, f)
        }
        fn zip3(
            &mut self,
            a: &Self,
            b: &mut Self,
            f: &mut impl FnMut(&mut [f64], &[f64], &mut [f64]),
        ) {
            self.0.zip3(&a.0, &mut b.0, f)
        }
        fn zip4(
            &mut self,
            a: &Self,
            b: &mut Self,
            c: &mut Self,
            f: &mut impl FnMut(&mut [f64], &[f64], &mut [f64], &mut [f64]),
        ) {
            self.0.zip4(&a.0, &mut b.0, &mut c.0, f)
        }
        fn reset_parameters(&mut self, init: &mut TorchInit) {
            self.0.reset_parameters(init)
        }
    }

    /// `zip2_mut` (provided and overridden) hands out matching tensors, both writable.
    #[test]
    fn zip2_mut_swaps_tensor_by_tensor() {
        let (a, b) = (
            Linear::<f64, 2, 1>::new([[1.0, 2.0]], [3.0]),
            Linear::<f64, 2, 1>::new([[-1.0, -2.0]], [-3.0]),
        );
        let swap = &mut |x: &mut [f64], y: &mut [f64]| x.swap_with_slice(y);
        // (through the provided default, through Linear's override)
        let (mut wa, mut wb) = (Wrap(a), Wrap(b));
        wa.zip2_mut(&mut wb, swap);
        let (mut la, mut lb) = (a, b);
        la.zip2_mut(&mut lb, swap);
        for (x, y) in [(wa.0, wb.0), (la, lb)] {
            assert_eq!((x, y), (b, a));
        }
    }
}
