//! How [`Sgd`](super::Sgd) rounds `lr * g`: to nearest ([`Nearest`], the default) or at
//! random ([`Stochastic`]), so that updates smaller than the number type's resolution do not
//! vanish.
//!
//! In Q16.16 fixed point a unit is `2^-16 ~ 1.5e-5`. With SGD at lr 0.01 any gradient below
//! `7.6e-4` gives an update below half a unit, which rounds to nothing: the weight never moves,
//! however many steps agree on the direction. Stochastic rounding rounds `lr * g` up with a
//! probability equal to the fraction it would lose, so the expected update is the exact one
//! and small gradients still move the weights over many steps. In floating point the
//! rounding is to nearest either way (see [`Scalar::mul_random`]).

use crate::number::Scalar;

/// The rounding of an optimizer's `lr * g`.
pub trait Rounding: Copy {
    /// `lr * g`, rounded.
    fn product<T: Scalar>(&mut self, lr: T, g: T) -> T;
}

/// Round to nearest: `lr * g` in the number type. Zero-sized.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Nearest;

impl Rounding for Nearest {
    #[inline(always)]
    fn product<T: Scalar>(&mut self, lr: T, g: T) -> T {
        lr.mul_in_line(g)
    }
}

/// Stochastic rounding with a seeded generator (xorshift32, one 32-bit word of state): the
/// same seed gives the same updates, bit for bit, on every target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stochastic {
    state: u32,
}

impl Stochastic {
    /// A generator from `seed` (0 is replaced by a fixed non-zero word: xorshift's state must
    /// not be zero).
    pub const fn new(seed: u32) -> Self {
        Self {
            state: if seed == 0 { 0x2545_f491 } else { seed },
        }
    }

    /// The generator's state.
    pub const fn state(&self) -> u32 {
        self.state
    }

    /// The next 32 random bits (Marsaglia's xorshift32, shifts 13, 17, 5).
    #[inline(always)]
    pub fn next_u32(&mut self) -> u32 {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.state = x;
        x
    }
}

impl Rounding for Stochastic {
    #[inline(always)]
    fn product<T: Scalar>(&mut self, lr: T, g: T) -> T {
        lr.mul_random(g, self.next_u32())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Q16;

    #[test]
    fn xorshift_sequence_and_zero_seed() {
        // Marsaglia's xorshift32 from 1: 270369, 67634689, 2647435461.
        let mut r = Stochastic::new(1);
        assert_eq!(
            [r.next_u32(), r.next_u32(), r.next_u32()],
            [270369, 67634689, 2647435461]
        );
        assert_ne!(Stochastic::new(0).state(), 0);
    }

    /// A third of a unit, a thousand times: to nearest it is always lost, at random it adds
    /// up to about a thousand thirds.
    #[test]
    fn small_products_survive_only_at_random() {
        let (lr, g) = (Q16::from_f64(0.01), Q16::from_bits(33));
        let mut nearest = Nearest;
        let mut random = Stochastic::new(7);
        let (mut a, mut b) = (Q16::ZERO, Q16::ZERO);
        for _ in 0..1000 {
            a += nearest.product(lr, g);
            b += random.product(lr, g);
        }
        assert_eq!(a, Q16::ZERO);
        // Exact: 1000 * 655 * 33 / 65536 = 329.8 units.
        assert!((300..360).contains(&b.to_bits()), "{b:?}");
    }
}
