//! PyTorch-compatible initialisation: the same initial weights as `torch.manual_seed(s)`
//! followed by constructing the `nn.Linear` layers.

use crate::number::Scalar;

/// How PyTorch initialises a tensor when its module is constructed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Init {
    /// `nn.Linear.weight`: `kaiming_uniform_(a = sqrt(5))` for a fan-in of `fan_in`.
    LinearWeight {
        /// The layer's input size.
        fan_in: usize,
    },
    /// `nn.Linear.bias`: `U(-1/sqrt(fan_in), 1/sqrt(fan_in))`.
    LinearBias {
        /// The layer's input size.
        fan_in: usize,
    },
    /// All ones (`nn.LayerNorm.weight`).
    Ones,
    /// All zeros (`nn.LayerNorm.bias`).
    Zeros,
}

/// How `uniform_(from, to)` turns a 24-bit draw `x` in `[0, 1)` into a float32 value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum UniformFormula {
    /// `x * (to - from) + from` in float32, two roundings: the PyTorch that produced the seed
    /// notebook. The default.
    #[default]
    Float32,
    /// The same expression in float64, rounded once to float32: PyTorch 2.15.
    Float64,
}

/// PyTorch's CPU generator and `nn.Linear` initialisation, reproduced bit for bit.
///
/// - `torch.manual_seed(seed)` is MT19937 `init_genrand` with the low 32 bits of the seed.
/// - Each element takes one 32-bit draw `v`; `x = (v & 0xFFFFFF) * 2^-24`.
/// - `nn.Linear(fan_in, fan_out)` fills the weight (row-major) with `kaiming_uniform_(a =
///   sqrt(5))`, then the bias with `U(-1/sqrt(fan_in), 1/sqrt(fan_in))`; bounds in float64,
///   then cast to float32.
///
/// Values are float32, as PyTorch's default dtype; an `f64` model receives them widened.
#[derive(Clone, Debug)]
pub struct TorchInit {
    mt: rand_mt::Mt,
    formula: UniformFormula,
}

impl TorchInit {
    /// The generator after `torch.manual_seed(seed)`, with the notebook's float32 formula.
    pub fn new(seed: u64) -> Self {
        Self::with_formula(seed, UniformFormula::Float32)
    }

    /// The generator after `torch.manual_seed(seed)`, with the given uniform formula.
    pub fn with_formula(seed: u64, formula: UniformFormula) -> Self {
        // PyTorch's mt19937 keeps `seed & 0xffffffff` as its 32-bit seed.
        Self {
            mt: rand_mt::Mt::new(seed as u32),
            formula,
        }
    }

    /// The formula in use.
    pub fn formula(&self) -> UniformFormula {
        self.formula
    }

    /// The next raw 32-bit output of the MT19937 stream.
    pub fn next_u32(&mut self) -> u32 {
        self.mt.next_u32()
    }

    /// One draw from `U(-bound, bound)`, as `tensor.uniform_(-bound, bound)` makes each
    /// element.
    pub fn uniform(&mut self, bound: f32) -> f32 {
        let (from, to) = (-bound, bound);
        // Exact: a 24-bit integer times a power of two.
        let x = (self.next_u32() & 0x00FF_FFFF) as f32 * (1.0 / 16_777_216.0);
        match self.formula {
            UniformFormula::Float32 => x * (to - from) + from,
            UniformFormula::Float64 => {
                let (x, from, to) = (f64::from(x), f64::from(from), f64::from(to));
                (x * (to - from) + from) as f32
            }
        }
    }

    /// Fills `values` as PyTorch initialises a tensor declared with `init`: uniform draws for
    /// `nn.Linear`'s weight and bias (one 32-bit draw per value, in order), ones or zeros
    /// without drawing (`nn.LayerNorm`). Values are float32, widened or converted to `T`.
    pub fn fill<T: Scalar>(&mut self, init: Init, values: &mut [T]) {
        let bound = match init {
            Init::LinearWeight { fan_in } => Self::linear_bounds(fan_in).0,
            Init::LinearBias { fan_in } => Self::linear_bounds(fan_in).1,
            Init::Ones => return values.fill(T::ONE),
            Init::Zeros => return values.fill(T::ZERO),
        };
        for v in values {
            *v = T::from_f64(f64::from(self.uniform(bound)));
        }
    }

    /// The float32 bounds `(weight, bias)` of `nn.Linear(fan_in, _)`:
    /// `kaiming_uniform_(a = sqrt(5))` gives `sqrt(3) * gain / sqrt(fan_in)` with
    /// `gain = sqrt(2 / (1 + a^2))`; the bias bound is `1 / sqrt(fan_in)`. Both are computed
    /// in float64 in PyTorch's order and then rounded to float32. A zero `fan_in` gives zero
    /// bounds.
    pub fn linear_bounds(fan_in: usize) -> (f32, f32) {
        if fan_in == 0 {
            return (0.0, 0.0);
        }
        let fan = fan_in as f64;
        let a = libm::sqrt(5.0);
        let gain = libm::sqrt(2.0 / (1.0 + a * a));
        let std = gain / libm::sqrt(fan);
        let w = libm::sqrt(3.0) * std;
        let b = 1.0 / libm::sqrt(fan);
        (w as f32, b as f32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mt19937_stream_matches_torch_manual_seed_123() {
        let mut init = TorchInit::new(123);
        let first = [init.next_u32(), init.next_u32(), init.next_u32()];
        assert_eq!(first, [2_991_312_382, 3_062_119_789, 1_228_959_102]);
    }

    #[test]
    fn seed_uses_low_32_bits() {
        let mut a = TorchInit::new(123);
        let mut b = TorchInit::new((1 << 32) + 123);
        assert_eq!(a.next_u32(), b.next_u32());
    }

    #[test]
    fn bounds_for_fan_in_3() {
        let (w, b) = TorchInit::linear_bounds(3);
        // Both are 1/sqrt(3) mathematically; check the float32 values.
        assert_eq!(w, (1.0f64 / 3.0f64.sqrt()) as f32);
        assert_eq!(b, (1.0f64 / 3.0f64.sqrt()) as f32);
        assert_eq!(TorchInit::linear_bounds(0), (0.0, 0.0));
    }

    #[test]
    fn first_weight_of_the_notebook() {
        // layers.0.0.weight[0][0] after torch.manual_seed(123), both formulas.
        let (w, _) = TorchInit::linear_bounds(3);
        let mut a = TorchInit::new(123);
        assert_eq!(f64::from(a.uniform(w)), -0.235_429_644_584_655_76);
        let mut b = TorchInit::with_formula(123, UniformFormula::Float64);
        assert_eq!(f64::from(b.uniform(w)), -0.235_429_644_584_655_76);
    }
}
