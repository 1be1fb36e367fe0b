//! ReLU.

use super::ElementWise;
use crate::number::Scalar;

/// `nn.ReLU`: `max(x, 0)`; the derivative is 1 for `x > 0` and 0 elsewhere (0 at `x = 0`, as
/// PyTorch). Exact in every number type: no rounding, finite for every finite input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Relu;

crate::activation!(Relu);

impl<T: Scalar> ElementWise<T> for Relu {
    #[inline(always)]
    fn value(&self, x: T) -> T {
        if x > T::ZERO {
            x
        } else {
            T::ZERO
        }
    }

    #[inline(always)]
    fn value_and_derivative(&self, x: T) -> (T, T) {
        if x > T::ZERO {
            (x, T::ONE)
        } else {
            (T::ZERO, T::ZERO)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases: [(f32, f32, f32); 5] = [
            (-2.0, 0.0, 0.0),
            (-0.0, 0.0, 0.0),
            (0.0, 0.0, 0.0),
            (1.5, 1.5, 1.0),
            (f32::MAX, f32::MAX, 1.0),
        ];
        for (x, v, d) in cases {
            assert_eq!(Relu.value_and_derivative(x), (v, d), "x = {x}");
            assert_eq!(Relu.value(x), v);
        }
    }
}
