//! What flows between layers: one sample (`[T; N]`) or a [`Batch`] of them.

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

/// `B` samples of type `X`: `Batch<[f32; 64], 32>`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Batch<X, const B: usize>(pub [X; B]);

impl<X: Zeroed, const B: usize> Zeroed for Batch<X, B> {
    const ZERO: Self = Batch([X::ZERO; B]);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_is_finite_when_every_sample_is() {
        let ok = Batch([[1.0f32, -2.0], [3.0, 0.0]]);
        assert!(ok.all_finite());
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            let mut b = ok;
            b.0[1][0] = bad;
            assert!(!b.all_finite(), "{bad}");
        }
    }

    #[test]
    fn a_batch_is_its_samples_in_order() {
        assert_eq!(<Batch<[f32; 3], 2> as Flat>::LEN, 6);
        let b = Batch([[1.0f32, 2.0, 3.0], [4.0, 5.0, 6.0]]);
        assert_eq!(b.values(), &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    }
}
