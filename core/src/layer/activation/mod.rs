//! Activations: element-wise layers, each a zero-sized type with its value and derivative
//! side by side: [`Gelu`] (the notebook's tanh approximation), [`GeluErf`] (exact), [`Relu`],
//! [`LeakyRelu`], [`Sigmoid`], [`Tanh`] and [`Silu`].
//!
//! An activation implements [`ElementWise`] (the function and its derivative) and invokes
//! [`activation!`](crate::activation!) for the rest: it then works on any sample `[T; N]` and
//! any [`Batch`](crate::Batch), caches its derivative in `forward`, has no parameters, and
//! its backward pass is one multiplication per element. A complete new activation:
//!
//! ```
//! use skipgrad::layer::activation::ElementWise;
//! use skipgrad::{Float, Module};
//!
//! /// Softplus, `ln(1 + e^x)`.
//! #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
//! pub struct Softplus;
//!
//! impl<T: Float> ElementWise<T> for Softplus {
//!     fn value(&self, x: T) -> T {
//!         x.exp().ln_1p()
//!     }
//!     fn value_and_derivative(&self, x: T) -> (T, T) {
//!         let e = x.exp();
//!         (e.ln_1p(), e / (T::ONE + e))
//!     }
//! }
//!
//! skipgrad::activation!(Softplus);
//!
//! assert_eq!(Softplus.infer(&[0.0f64])[0], 2f64.ln());
//! ```

mod gelu;
mod gelu_erf;
mod leaky_relu;
mod relu;
mod sigmoid;
mod silu;
mod tanh;

pub use gelu::Gelu;
pub use gelu_erf::GeluErf;
pub use leaky_relu::LeakyRelu;
pub use relu::Relu;
pub use sigmoid::Sigmoid;
pub use silu::Silu;
pub use tanh::Tanh;

use crate::data::Flat;
use crate::layer::dispatch;
use crate::number::Scalar;

/// The inputs [`ElementWise::value_and_derivative_lanes`] takes at once.
pub const LANES: usize = 16;

/// An element-wise function and its derivative.
pub trait ElementWise<T: Scalar> {
    /// The function at `x`.
    fn value(&self, x: T) -> T;
    /// The function and its derivative at `x`, sharing what they have in common.
    fn value_and_derivative(&self, x: T) -> (T, T);

    /// [`value_and_derivative`](Self::value_and_derivative) of [`LANES`] inputs, the same bits
    /// as one by one. A batch's forward pass calls it; the default runs the inputs one by
    /// one, and a function whose scalar code branches ([`Gelu`], [`Tanh`]) overrides it with
    /// the branches as selects, which the compiler vectorises across the lanes.
    #[inline(always)]
    fn value_and_derivative_lanes(&self, x: [T; LANES]) -> ([T; LANES], [T; LANES]) {
        let (mut v, mut d) = (x, x);
        for ((v, d), x) in v.iter_mut().zip(&mut d).zip(&x) {
            (*v, *d) = self.value_and_derivative(*x);
        }
        (v, d)
    }
}

/// Implements [`Zeroed`](crate::Zeroed), [`Params`](crate::Params) (no tensors) and
/// [`Module`](crate::Module) for every [`Flat`] input (a sample or a batch) for a unit struct
/// that implements [`ElementWise`]: `activation!(Name)`, or for a unit struct with const
/// generic parameters `activation!(impl[const N: i32] Name<N>)`. A type that is not a unit
/// struct (an enum choosing the function at run time) names its zero value:
/// `activation!(Choice = Choice::Relu)`.
///
/// The module's cache is the derivative at each input (computed with the value in
/// `forward`), and `backward` multiplies the output gradient by it. A batch of samples
/// (`BatchModule`) runs as one run of values, [`LANES`] at a time
/// ([`ElementWise::value_and_derivative_lanes`]), with the `dispatch` feature in the best
/// instruction set the CPU has: the same bits as sample by sample.
#[macro_export]
macro_rules! activation {
    ($name:ident) => {
        $crate::activation!(impl[] $name = Self);
    };
    ($name:ident = $zero:expr) => {
        $crate::activation!(impl[] $name = $zero);
    };
    (impl[$(const $g:ident : $gt:ty),*] $name:ty) => {
        $crate::activation!(impl[$(const $g: $gt),*] $name = Self);
    };
    (impl[$(const $g:ident : $gt:ty),*] $name:ty = $zero:expr) => {
        impl<$(const $g: $gt),*> $crate::Zeroed for $name {
            const ZERO: Self = $zero;
        }

        impl<$(const $g: $gt),*> $crate::Layer for $name {
            type Grads = Self;
        }

        impl<T: $crate::Scalar $(, const $g: $gt)*> $crate::Params<T> for $name {
            $crate::params!(T;);
        }

        impl<X: $crate::Flat $(, const $g: $gt)*> $crate::Module<X> for $name
        where
            $name: $crate::layer::activation::ElementWise<X::Scalar>,
        {
            type Output = X;
            type Cache = X;

            #[inline]
            fn forward(&self, x: &X, cache: &mut X) -> X {
                $crate::layer::activation::forward(self, x, cache)
            }

            #[inline]
            fn infer(&self, x: &X) -> X {
                $crate::layer::activation::infer(self, x)
            }

            #[inline]
            fn backward(&self, derivative: &X, dy: &X, _: &mut Self) -> X {
                $crate::layer::activation::backward(derivative, dy)
            }

            #[inline]
            fn backward_input(&self, derivative: &X, dy: &X) -> X {
                $crate::layer::activation::backward(derivative, dy)
            }
            #[inline]
            fn backward_params(&self, _: &X, _: &X, _: &mut Self) {}
        }

        impl<X: $crate::Flat $(, const $g: $gt)*, const B: usize> $crate::BatchModule<X, B>
            for $name
        where
            $name: $crate::layer::activation::ElementWise<X::Scalar>,
            $crate::Batch<X, B>: $crate::Flat<Scalar = X::Scalar>,
        {
            /// The derivative at every input of the batch.
            type BatchCache = $crate::Batch<X, B>;

            #[inline]
            fn forward_batch(
                &self,
                x: &$crate::Batch<X, B>,
                cache: &mut $crate::Batch<X, B>,
            ) -> $crate::Batch<X, B> {
                $crate::layer::activation::forward_batch(self, x, cache)
            }

            #[inline]
            fn infer_batch(&self, x: &$crate::Batch<X, B>) -> $crate::Batch<X, B> {
                $crate::layer::activation::infer(self, x)
            }

            #[inline]
            fn backward_batch(
                &self,
                derivative: &$crate::Batch<X, B>,
                dy: &$crate::Batch<X, B>,
                _: &mut Self,
            ) -> $crate::Batch<X, B> {
                $crate::layer::activation::backward_batch(derivative, dy)
            }

            #[inline]
            fn backward_batch_input(
                &self,
                derivative: &$crate::Batch<X, B>,
                dy: &$crate::Batch<X, B>,
            ) -> $crate::Batch<X, B> {
                $crate::layer::activation::backward_batch(derivative, dy)
            }

            #[inline]
            fn backward_batch_params(
                &self,
                _: &$crate::Batch<X, B>,
                _: &$crate::Batch<X, B>,
                _: &mut Self,
            ) {
            }
        }
    };
}

/// `forward` of an element-wise layer: the values, and the derivatives into `cache`.
#[inline(always)]
pub fn forward<X: Flat, A: ElementWise<X::Scalar>>(act: &A, x: &X, cache: &mut X) -> X {
    let mut y = *x;
    for (v, d) in y.values_mut().iter_mut().zip(cache.values_mut()) {
        (*v, *d) = act.value_and_derivative(*v);
    }
    y
}

/// `forward` of an element-wise layer over a batch (any [`Flat`] value): the values and the
/// derivatives into `cache`, [`LANES`] at a time, then the rest one by one; with the
/// `dispatch` feature in the best instruction set of the CPU. The same bits as [`forward`].
#[inline(always)]
pub fn forward_batch<X: Flat, A: ElementWise<X::Scalar>>(act: &A, x: &X, cache: &mut X) -> X {
    let mut y = *x;
    dispatch::vectorized(
        #[inline(always)]
        |_| {
            let (y16, y_rest) = y.values_mut().as_chunks_mut::<LANES>();
            let (d16, d_rest) = cache.values_mut().as_chunks_mut::<LANES>();
            for (y, d) in y16.iter_mut().zip(d16) {
                (*y, *d) = act.value_and_derivative_lanes(*y);
            }
            for (y, d) in y_rest.iter_mut().zip(d_rest) {
                (*y, *d) = act.value_and_derivative(*y);
            }
        },
    );
    y
}

/// `backward` of an element-wise layer over a batch: `dx = dy * derivative`, element by
/// element, with the `dispatch` feature in the best instruction set of the CPU.
#[inline(always)]
pub fn backward_batch<X: Flat>(derivative: &X, dy: &X) -> X {
    let mut dx = *dy;
    dispatch::vectorized(
        #[inline(always)]
        |_| times(dx.values_mut(), derivative.values()),
    );
    dx
}

/// `infer` of an element-wise layer: the values only.
#[inline(always)]
pub fn infer<X: Flat, A: ElementWise<X::Scalar>>(act: &A, x: &X) -> X {
    let mut y = *x;
    y.values_mut().iter_mut().for_each(|v| *v = act.value(*v));
    y
}

/// `backward` of an element-wise layer: `dx = dy * derivative`, element by element.
#[inline(always)]
pub fn backward<X: Flat>(derivative: &X, dy: &X) -> X {
    let mut dx = *dy;
    if !<X::Scalar as Scalar>::UNROLL {
        // Fixed point: one multiplication written once, in a plain loop.
        times(dx.values_mut(), derivative.values());
        return dx;
    }
    // Three elements per loop turn, written out: compilers optimising for size never unroll
    // a loop, and a 3-wide layer then runs straight-line code.
    let (d3, d_rest) = dx.values_mut().as_chunks_mut::<3>();
    let (g3, g_rest) = derivative.values().as_chunks::<3>();
    for ([d0, d1, d2], [g0, g1, g2]) in d3.iter_mut().zip(g3) {
        *d0 *= *g0;
        *d1 *= *g1;
        *d2 *= *g2;
    }
    times(d_rest, g_rest);
    dx
}

/// `d *= g`, element by element, in a plain loop.
#[inline(always)]
fn times<T: Scalar>(d: &mut [T], g: &[T]) {
    for (d, g) in d.iter_mut().zip(g) {
        *d *= *g;
    }
}
