//! Before anything is timed: does an implementation compute skipgrad's step?
//!
//! Each implementation runs [`STEPS`] steps from the problem's weights. Its losses must be
//! within [`LOSS_RTOL`] of skipgrad's, and its weights after the steps must have moved as
//! skipgrad's did: `|w - w_skipgrad| <= UPDATE_RTOL * |w_skipgrad - w_0|` (Euclidean norms
//! over all parameters), which checks the gradients and the update themselves, not only the
//! forward pass. Implementations written to skipgrad's summation order must match bit for bit.

use crate::problem::Problem;
use crate::Step;

/// Steps run by the check.
pub const STEPS: usize = 3;
/// Relative tolerance on each loss (f32 sums in another order, another GELU code).
pub const LOSS_RTOL: f64 = 1e-5;
/// Tolerance on the weights, relative to how far skipgrad's moved in [`STEPS`] steps.
pub const UPDATE_RTOL: f64 = 1e-3;

/// Losses of the first steps and the weights after them.
#[derive(Clone, Debug, PartialEq)]
pub struct Trace {
    /// The loss of each step, before its update.
    pub losses: Vec<f32>,
    /// The weights after the steps.
    pub weights: Vec<f32>,
}

impl Trace {
    /// Runs [`STEPS`] steps of `imp`.
    pub fn of(imp: &mut dyn Step) -> Self {
        let losses = (0..STEPS).map(|_| imp.step()).collect();
        Self {
            losses,
            weights: imp.weights(),
        }
    }
}

/// How far one implementation is from skipgrad.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Agreement {
    /// The largest relative difference of a loss.
    pub loss: f64,
    /// `|w - w_skipgrad| / |w_skipgrad - w_0|`.
    pub update: f64,
    /// Every loss and weight is the same bits.
    pub bit_identical: bool,
}

impl Agreement {
    /// Compares `got` with skipgrad's `want`, both from `p`'s weights.
    pub fn of(p: &Problem, want: &Trace, got: &Trace) -> Self {
        assert_eq!(got.weights.len(), p.params.len(), "parameter count");
        let loss = want
            .losses
            .iter()
            .zip(&got.losses)
            .map(|(a, b)| ((f64::from(*a) - f64::from(*b)) / f64::from(*a)).abs())
            .fold(0.0, f64::max);
        let norm = |a: &[f32], b: &[f32]| {
            a.iter()
                .zip(b)
                .map(|(a, b)| (f64::from(*a) - f64::from(*b)).powi(2))
                .sum::<f64>()
                .sqrt()
        };
        let moved = norm(&want.weights, &p.params);
        let update = norm(&got.weights, &want.weights) / moved;
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        let bit_identical =
            bits(&want.losses) == bits(&got.losses) && bits(&want.weights) == bits(&got.weights);
        Self {
            loss,
            update,
            bit_identical,
        }
    }

    /// `Err` with a message unless within the tolerances (and bit-identical if `exact`).
    pub fn verdict(&self, exact: bool) -> Result<(), String> {
        if exact && !self.bit_identical {
            return Err(format!("not bit-identical to skipgrad ({self:?})"));
        }
        if !(self.loss <= LOSS_RTOL && self.update <= UPDATE_RTOL) {
            return Err(format!(
                "losses {:.2e} from skipgrad's (tolerance {LOSS_RTOL:e}), weights {:.2e} of the update (tolerance {UPDATE_RTOL:e})",
                self.loss, self.update
            ));
        }
        Ok(())
    }
}

/// Every implementation that runs `config` (skipgrad itself first), with its agreement.
pub fn all(config: crate::config::Config) -> Vec<(crate::peers::Implementation, Agreement)> {
    let p = Problem::new(config);
    let want = Trace::of(&mut *crate::peers::skipgrad::build(&p));
    crate::implementations(&config)
        .into_iter()
        .map(|imp| {
            let got = Trace::of(&mut *(imp.build)(&p));
            let a = Agreement::of(&p, &want, &got);
            (imp, a)
        })
        .collect()
}
