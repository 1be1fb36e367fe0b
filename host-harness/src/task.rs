//! The small learning tasks `skipgrad train` fits, generated deterministically.
//!
//! - `sin`: `y = sin(x)` on 64 evenly spaced points of `[-pi, pi]` (endpoints included, as
//!   `torch.linspace(-pi, pi, 64)`), a regression whose targets have mean square 0.49, so a
//!   network that only learns the mean stalls at a loss of about 0.49.
//! - `moons`: the two interleaving half circles of scikit-learn's `make_moons`, 64 points
//!   each, with uniform noise in `[-0.1, 0.1]` from a fixed SplitMix64 stream; targets are the
//!   labels 0 and 1: regressed (MSE, Huber: accuracy thresholds the output at 0.5), as the
//!   probability of class 1 for BCE (the logit's sign), or as class indices for cross-entropy
//!   (the larger of two logits).
//!
//! Every value is computed in `f64` with `libm` and rounded once to `f32`, so the data are the
//! same bits on every platform.

use std::f64::consts::PI;

/// Which task to fit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    /// `sin(x)` on 64 points of `[-pi, pi]` (1 input, 1 output).
    Sin,
    /// Two moons, 128 points (2 inputs, 1 output: the label 0 or 1).
    Moons,
}

impl Task {
    /// The name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Task::Sin => "sin",
            Task::Moons => "moons",
        }
    }
}

/// A full batch of `B` samples with `I` inputs and `O` targets each.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset<const I: usize, const O: usize, const B: usize> {
    /// Inputs.
    pub inputs: [[f32; I]; B],
    /// Targets.
    pub targets: [[f32; O]; B],
}

/// Points in the `sin` task.
pub const SIN_POINTS: usize = 64;
/// Points in the `moons` task (half per moon).
pub const MOONS_POINTS: usize = 128;
/// Seed of the noise stream of the `moons` task.
const MOONS_NOISE_SEED: u64 = 0x0005_EED0_F300_E500;
/// Half-width of the uniform noise added to each coordinate of the `moons` task.
const MOONS_NOISE: f64 = 0.1;

/// `sin(x)` at 64 evenly spaced points from `-pi` to `pi`.
pub fn sin() -> Dataset<1, 1, SIN_POINTS> {
    let last = (SIN_POINTS - 1) as f64;
    let xs: [f64; SIN_POINTS] = std::array::from_fn(|i| -PI + 2.0 * PI * (i as f64) / last);
    Dataset {
        inputs: xs.map(|x| [x as f32]),
        targets: xs.map(|x| [libm::sin(f64::from(x as f32)) as f32]),
    }
}

/// Two moons: the upper half circle of radius 1 around the origin (label 0) and the lower
/// one around `(1, 0.5)` (label 1), 64 points each at evenly spaced angles, with noise.
pub fn moons() -> Dataset<2, 1, MOONS_POINTS> {
    let half = MOONS_POINTS / 2;
    let mut rng = SplitMix64(MOONS_NOISE_SEED);
    let mut noise = move || (rng.next_unit() * 2.0 - 1.0) * MOONS_NOISE;
    let mut inputs = [[0.0f32; 2]; MOONS_POINTS];
    let mut targets = [[0.0f32; 1]; MOONS_POINTS];
    for (i, (x, t)) in inputs.iter_mut().zip(targets.iter_mut()).enumerate() {
        let k = i % half;
        let angle = PI * (k as f64) / ((half - 1) as f64);
        let (c, s) = (libm::cos(angle), libm::sin(angle));
        let (px, py, label) = if i < half {
            (c, s, 0.0)
        } else {
            (1.0 - c, 0.5 - s, 1.0)
        };
        *x = [(px + noise()) as f32, (py + noise()) as f32];
        *t = [label];
    }
    Dataset { inputs, targets }
}

/// The fraction of outputs on the right side of `threshold` (0.5 for a regressed label, 0
/// for a logit), for the `moons` task's labels 0 and 1.
pub fn accuracy<const B: usize>(
    outputs: &[[f32; 1]; B],
    targets: &[[f32; 1]; B],
    threshold: f32,
) -> f64 {
    let right = outputs
        .iter()
        .zip(targets)
        .filter(|(y, t)| (y[0] >= threshold) == (t[0] >= 0.5))
        .count();
    right as f64 / B as f64
}

/// The labels 0 and 1 as class indices.
pub fn classes<const B: usize>(targets: &[[f32; 1]; B]) -> [usize; B] {
    targets.map(|t| usize::from(t[0] >= 0.5))
}

/// The fraction of samples whose largest logit is their class's (ties: the first, as
/// `torch.argmax`).
pub fn argmax_accuracy<const C: usize, const B: usize>(
    logits: &[[f32; C]; B],
    classes: &[usize; B],
) -> f64 {
    let argmax = |l: &[f32; C]| {
        l.iter()
            .enumerate()
            .fold((0, f32::NEG_INFINITY), |best, (i, v)| {
                if *v > best.1 {
                    (i, *v)
                } else {
                    best
                }
            })
            .0
    };
    let right = logits
        .iter()
        .zip(classes)
        .filter(|(l, c)| argmax(l) == **c)
        .count();
    right as f64 / B as f64
}

/// SplitMix64 (Steele, Lea and Flood): a tiny, well-mixed, fixed stream for the noise.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`, 53 bits.
    fn next_unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sin_spans_minus_pi_to_pi() {
        let d = sin();
        assert_eq!(d.inputs[0][0], -std::f32::consts::PI);
        assert_eq!(d.inputs[SIN_POINTS - 1][0], std::f32::consts::PI);
        // Mean square of the targets: the loss of predicting 0 everywhere.
        let ms: f64 = d
            .targets
            .iter()
            .map(|t| f64::from(t[0]).powi(2))
            .sum::<f64>()
            / 64.0;
        assert!((ms - 0.492).abs() < 1e-3, "{ms}");
        for (x, t) in d.inputs.iter().zip(&d.targets) {
            assert!((f64::from(t[0]) - f64::from(x[0]).sin()).abs() < 1e-7);
        }
    }

    #[test]
    fn moons_are_balanced_noisy_and_fixed() {
        let d = moons();
        assert_eq!(d, moons());
        let ones = d.targets.iter().filter(|t| t[0] == 1.0).count();
        assert_eq!(ones, MOONS_POINTS / 2);
        // Every point is within the noise of its moon's circle.
        for (x, t) in d.inputs.iter().zip(&d.targets) {
            let (cx, cy) = if t[0] == 0.0 { (0.0, 0.0) } else { (1.0, 0.5) };
            let r = (f64::from(x[0]) - cx).hypot(f64::from(x[1]) - cy);
            assert!(
                (r - 1.0).abs() <= 0.1 * 2f64.sqrt() + 1e-6,
                "{x:?}: r = {r}"
            );
        }
    }

    #[test]
    fn splitmix_reference_values() {
        // First outputs for seed 1234567, from the reference implementation.
        let mut r = SplitMix64(1_234_567);
        assert_eq!(r.next_u64(), 6_457_827_717_110_365_317);
        assert_eq!(r.next_u64(), 3_203_168_211_198_807_973);
    }

    #[test]
    fn accuracy_thresholds() {
        let y = [[0.6], [0.4], [0.5], [-1.0]];
        let t = [[1.0], [0.0], [0.0], [1.0]];
        assert_eq!(accuracy(&y, &t, 0.5), 0.5);
        assert_eq!(accuracy(&y, &t, 0.0), 0.25);
        assert_eq!(accuracy(&y, &t, -2.0), 0.5);
        assert_eq!(classes(&t), [1, 0, 0, 1]);
        let logits = [[0.0, 1.0], [2.0, -1.0], [0.5, 0.5], [3.0, 3.5]];
        assert_eq!(argmax_accuracy(&logits, &[1, 0, 1, 1]), 0.75);
    }
}
