//! What flows between layers: one sample (`[T; N]`) or a [`Batch`] of them.

use crate::layer::Batch;
use crate::number::Scalar;
use crate::zeroed::Zeroed;

/// A value a layer takes or produces: a sample `[T; N]`, or a [`Batch`] of samples.
pub trait Data: Copy + Zeroed {
    /// The number type of its values.
    type Scalar: Scalar;

    /// True if no value is NaN or infinite (or saturated, for fixed point).
    fn all_finite(&self) -> bool;
}

/// [`Data`] stored as one contiguous run of values, so element-wise layers (activations,
/// shortcuts) treat a sample and a batch alike.
pub trait Flat: Data {
    /// The number of values.
    const LEN: usize;
    /// Every value, in order.
    fn values(&self) -> &[Self::Scalar];
    /// Every value, mutably.
    fn values_mut(&mut self) -> &mut [Self::Scalar];
}

impl<T: Scalar, const N: usize> Data for [T; N] {
    type Scalar = T;

    #[inline]
    fn all_finite(&self) -> bool {
        self.iter().all(|v| v.is_finite())
    }
}

impl<T: Scalar, const N: usize> Flat for [T; N] {
    const LEN: usize = N;

    #[inline(always)]
    fn values(&self) -> &[T] {
        self
    }

    #[inline(always)]
    fn values_mut(&mut self) -> &mut [T] {
        self
    }
}

impl<X: Data, const B: usize> Data for Batch<X, B> {
    type Scalar = X::Scalar;

    #[inline]
    fn all_finite(&self) -> bool {
        self.0.iter().all(Data::all_finite)
    }
}

impl<T: Scalar, const N: usize, const B: usize> Flat for Batch<[T; N], B> {
    const LEN: usize = N * B;

    #[inline(always)]
    fn values(&self) -> &[T] {
        self.0.as_flattened()
    }

    #[inline(always)]
    fn values_mut(&mut self) -> &mut [T] {
        self.0.as_flattened_mut()
    }
}
