//! LeakyReLU.

use super::ElementWise;
use crate::number::Scalar;

/// `nn.LeakyReLU(negative_slope)`: `x` for `x > 0`, `slope * x` elsewhere, with
/// `slope = NUM / DEN` (default `1 / 100`, PyTorch's 0.01) computed in `f64` and rounded to
/// the number type, as PyTorch rounds its `double` slope. The slope is part of the type, so
/// the layer stays zero-sized: `LeakyRelu<1, 5>` is `nn.LeakyReLU(0.2)`.
///
/// The value is one rounding from exact (`slope * x`), the derivative exact; finite for every
/// finite input when `|slope| <= 1`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LeakyRelu<const NUM: i32 = 1, const DEN: u32 = 100>;

crate::activation!(impl[const NUM: i32, const DEN: u32] LeakyRelu<NUM, DEN>);

impl<const NUM: i32, const DEN: u32> LeakyRelu<NUM, DEN> {
    /// The negative slope, in `f64`.
    pub const SLOPE: f64 = {
        assert!(DEN > 0, "LeakyRelu: the slope's denominator is zero");
        NUM as f64 / DEN as f64
    };
}

impl<T: Scalar, const NUM: i32, const DEN: u32> ElementWise<T> for LeakyRelu<NUM, DEN> {
    #[inline(always)]
    fn value(&self, x: T) -> T {
        if x > T::ZERO {
            x
        } else {
            x * T::from_f64(Self::SLOPE)
        }
    }

    #[inline(always)]
    fn value_and_derivative(&self, x: T) -> (T, T) {
        if x > T::ZERO {
            (x, T::ONE)
        } else {
            let slope = T::from_f64(Self::SLOPE);
            (x * slope, slope)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases: [(f32, f32, f32); 4] = [
            (-2.0, -0.02, 0.01),
            (0.0, 0.0, 0.01),
            (3.0, 3.0, 1.0),
            (-f32::MAX, -f32::MAX * 0.01, 0.01),
        ];
        for (x, v, d) in cases {
            assert_eq!(
                LeakyRelu::<1, 100>.value_and_derivative(x),
                (v, d),
                "x = {x}"
            );
        }
        assert_eq!(LeakyRelu::<1, 5>.value(-1.0f64), -0.2);
        for (x, _, _) in cases {
            assert_eq!(
                LeakyRelu::<1, 100>.value(x),
                LeakyRelu::<1, 100>.value_and_derivative(x).0,
                "x = {x}"
            );
        }
        assert_eq!(<LeakyRelu>::SLOPE, 0.01);
    }
}
