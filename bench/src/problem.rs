//! The weights and batch every implementation starts from.

use skipgrad::params::Init;
use skipgrad::{TorchInit, UniformFormula};

use crate::config::Config;

/// The seed of `torch.manual_seed` for the initial weights.
pub const SEED: u64 = 21;

/// Initial weights, inputs and targets of one configuration, as flat `f32` vectors.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    /// The configuration.
    pub config: Config,
    /// Every parameter in skipgrad's order (per layer: weight `[out][in]`, then bias): the
    /// values of `torch.manual_seed(SEED)` then building the network's `nn.Linear` layers in
    /// order, as PyTorch 2.15 draws them.
    pub params: Vec<f32>,
    /// `batch x width` inputs, sample-major, multiples of 2^-10 in `[-1, 1)`.
    pub inputs: Vec<f32>,
    /// `batch` targets, multiples of 2^-10 in `[-0.5, 0.5)`.
    pub targets: Vec<f32>,
}

impl Problem {
    /// The problem of `config`.
    pub fn new(config: Config) -> Self {
        let mut init = TorchInit::with_formula(SEED, UniformFormula::Float64);
        let mut params = Vec::with_capacity(config.params());
        for (i, o) in config.layers() {
            let mut w = vec![0.0f32; i * o];
            init.fill(Init::LinearWeight { fan_in: i }, &mut w);
            let mut b = vec![0.0f32; o];
            init.fill(Init::LinearBias { fan_in: i }, &mut b);
            params.extend(w);
            params.extend(b);
        }
        let mut state = 0x2101_u64 ^ config.id as u64;
        let mut next = |scale: f32| {
            // splitmix64: exact small integers, so the values are the same in every language.
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            ((z >> 53) as i32 - 1024) as f32 * (scale / 1024.0)
        };
        let inputs = (0..config.batch * config.width)
            .map(|_| next(1.0))
            .collect();
        let targets = (0..config.batch).map(|_| next(0.5)).collect();
        Self {
            config,
            params,
            inputs,
            targets,
        }
    }

    /// The parameters of layer `n` as `(weight, bias)` slices.
    pub fn layer(&self, n: usize) -> (&[f32], &[f32]) {
        let mut at = 0;
        for (k, (i, o)) in self.config.layers().into_iter().enumerate() {
            if k == n {
                return (
                    &self.params[at..at + i * o],
                    &self.params[at + i * o..at + i * o + o],
                );
            }
            at += i * o + o;
        }
        panic!("no layer {n}");
    }

    /// Writes the problem for the PyTorch script: little-endian `u32` width and batch, then
    /// the `f32` parameters, inputs and targets, then `u32` step count, the losses of
    /// skipgrad's first steps and its weights after them.
    pub fn to_bytes(&self, losses: &[f32], after: &[f32]) -> Vec<u8> {
        let mut out = Vec::new();
        let u = |out: &mut Vec<u8>, v: usize| out.extend((v as u32).to_le_bytes());
        u(&mut out, self.config.id);
        u(&mut out, self.config.width);
        u(&mut out, self.config.batch);
        for v in self.params.iter().chain(&self.inputs).chain(&self.targets) {
            out.extend(v.to_le_bytes());
        }
        u(&mut out, losses.len());
        for v in losses.iter().chain(after) {
            out.extend(v.to_le_bytes());
        }
        out
    }
}
