//! The hyperbolic tangent.

use super::{ElementWise, LANES};
use crate::number::Float;

/// `nn.Tanh`: `t = tanh(x)`, derivative `1 - t^2`.
///
/// In `f32` the core's own `tanh` ([`Float::tanh`], within 1.51 ulp over every finite input,
/// exactly ±1 beyond |x| = 9.02), so both are finite for every finite input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tanh;

crate::activation!(Tanh);

impl<T: Float> ElementWise<T> for Tanh {
    #[inline(always)]
    fn value(&self, x: T) -> T {
        x.tanh()
    }

    #[inline(always)]
    fn value_and_derivative(&self, x: T) -> (T, T) {
        let t = x.tanh();
        (t, T::ONE - t * t)
    }

    /// Through [`Float::tanh_lanes`]: the same bits as one by one.
    #[inline(always)]
    fn value_and_derivative_lanes(&self, x: [T; LANES]) -> ([T; LANES], [T; LANES]) {
        let t = T::tanh_lanes(x);
        let mut d = t;
        for d in &mut d {
            *d = T::ONE - *d * *d;
        }
        (t, d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Batch, Flat};
    use crate::layer::BatchModule;
    use crate::zeroed::Zeroed;

    #[test]
    fn table_and_extremes() {
        assert_eq!(Tanh.value_and_derivative(0.0f64), (0.0, 1.0));
        let (v, d) = Tanh.value_and_derivative(0.5f64);
        assert!((v - 0.462_117_157_260_009_8).abs() < 1e-16);
        assert!((d - 0.786_447_732_965_927_4).abs() < 1e-15);
        assert_eq!(Tanh.value_and_derivative(-f32::MAX), (-1.0, 0.0));
    }

    /// A batch (16 lanes at a time, with the `dispatch` feature in the best instruction set
    /// of this CPU) gives the bits of the samples one by one, over every 65,537th `f32`
    /// pattern and around the edges of `tanh`'s formulas; `tanh_lanes` itself is tested
    /// over far more inputs next to `tanh`.
    #[test]
    fn batch_gives_the_per_sample_bits() {
        let edges = [0.55f32, 9.02]
            .map(f32::to_bits)
            .into_iter()
            .flat_map(|e| (e - 64..e + 64).flat_map(|b| [f32::from_bits(b), -f32::from_bits(b)]));
        let xs = (0..=u32::MAX)
            .step_by(65_537)
            .map(f32::from_bits)
            .chain(edges);
        let checked = crate::number::for_lanes(xs, |x: [f32; 35]| {
            let batch = Batch::<[f32; 35], 1>([x]);
            let mut cache = Batch::ZERO;
            let y = Tanh.forward_batch(&batch, &mut cache);
            for ((x, y), d) in x.iter().zip(y.values()).zip(cache.values()) {
                let (wv, wd) = Tanh.value_and_derivative(*x);
                assert_eq!(
                    (y.to_bits(), d.to_bits()),
                    (wv.to_bits(), wd.to_bits()),
                    "{x:e}"
                );
            }
        });
        assert!(checked > 65_000, "{checked}");
    }
}
