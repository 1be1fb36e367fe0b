//! A guarded training step: forward, MSE loss, backward, optional clipping and an optimizer
//! step, refused as a whole when the sample or the gradients are not finite.
//!
//! # Memory
//!
//! A training loop owns exactly four values, all fixed-size and caller-owned: the model `M`,
//! its gradients (another `M`), one sample's forward cache (`M::Cache`, reused for every
//! sample of the batch) and the optimizer. Besides them, [`train_step`] keeps a few scalars
//! and one sample's output and output gradient (`2 * O` scalars) on the stack, and `forward`
//! and `backward` pass layer-width arrays between layers by value (stack temporaries, no
//! heap, nothing kept between calls).
//!
//! For the seed notebook's network (`Plain<f32>` / `WithShortcut<f32>` in the harness: 52
//! parameters, 4 x `Linear<3, 3>` + `Linear<3, 1>`, GELU after each), measured with
//! `size_of` in `tests/tests/memory.rs`:
//!
//! | value                                  | bytes |
//! |----------------------------------------|------:|
//! | model (52 x f32)                       |   208 |
//! | gradients                              |   208 |
//! | cache (inputs + GELU derivatives)       |   112 |
//! | [`Sgd`](crate::Sgd) state              |     8 |
//! | [`SgdMomentum`](crate::SgdMomentum)    |   228 |
//! | [`Adam`](crate::Adam)                  |   464 |
//! | total with `Sgd` / momentum / Adam     | 536 / 756 / 992 |
//!
//! The same for both variants: a shortcut adds no parameters and no cache.

use crate::clip::{scale_to_norm, valid_max_norm};
use crate::loss::Mse;
use crate::module::Module;
use crate::optimizer::Optimizer;
use crate::params::Params;
use crate::scalar::Scalar;

/// Why [`train_step`] refused a step. The model and the optimizer are unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepError {
    /// An input of the batch is NaN or infinite.
    NonFiniteInput,
    /// A target of the batch is NaN or infinite.
    NonFiniteTarget,
    /// The loss is NaN or infinite (the model's output overflowed, or a parameter is not
    /// finite).
    NonFiniteLoss,
    /// A gradient is NaN or infinite, or the gradients' sum of squares overflows.
    NonFiniteGradient,
    /// The clipping norm is NaN or negative.
    InvalidMaxNorm,
}

impl core::fmt::Display for StepError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::NonFiniteInput => "non-finite input in the batch",
            Self::NonFiniteTarget => "non-finite target in the batch",
            Self::NonFiniteLoss => "non-finite loss",
            Self::NonFiniteGradient => "non-finite gradient (or its norm overflows)",
            Self::InvalidMaxNorm => "the clipping norm is NaN or negative",
        })
    }
}

impl core::error::Error for StepError {}

/// One guarded training step on a batch of `B` samples, with the MSE loss.
///
/// In order:
/// 1. checks `max_grad_norm` and that every input and target is finite;
/// 2. (`grads` is zero on entry, see below);
/// 3. for each sample: `forward` into `cache`, adds its squared error to the loss, and
///    `backward` with its share of the batch gradient ([`Mse::gradient_in_batch`]), so `grads`
///    ends as the gradient of the mean loss over the batch;
/// 4. checks that the loss is finite, and that the gradients' sum of squares is finite (one
///    pass: finite exactly when every gradient is finite and no square overflows);
/// 5. clips the gradients to the global norm `max_grad_norm`, if given (see
///    [`clip_grad_norm`](crate::clip_grad_norm));
/// 6. lets `optimizer` update `model` and clear `grads`
///    ([`Optimizer::step_and_zero`]: one pass for [`Sgd`](crate::Sgd)).
///
/// Returns the batch loss before the update (equal to [`Mse::batch_loss`] of the outputs,
/// bit for bit). On any error, `model` and `optimizer` are exactly as they were; `cache` is
/// scratch space and may have changed.
///
/// `grads` must be zero on entry, as [`Zeroed::zeroed`](crate::Zeroed::zeroed) makes it: the
/// step accumulates into it without clearing it first. Every call leaves it zero again, on
/// success and on every error, so a loop of `train_step` calls needs nothing else; after
/// using `grads` for anything else (your own `backward`), call [`Params::zero`] first. The step itself is not checked: a
/// learning rate large enough to overflow a parameter shows as
/// [`StepError::NonFiniteLoss`] on the next step.
///
/// An empty batch (`B == 0`) does not compile.
///
/// ```
/// use skipgrad::{train_step, Gelu, Linear, Module, Params, Sgd, StepError, TorchInit, Zeroed};
///
/// type Net = (Linear<f32, 1, 4>, Gelu, Linear<f32, 4, 1>);
/// let mut model: Net = Params::torch_init(&mut TorchInit::new(0));
/// let mut grads = Net::zeroed();
/// let mut cache = <Net as Module<[f32; 1]>>::Cache::zeroed();
/// let mut sgd = Sgd::new(0.1);
///
/// let xs = [[-1.0], [0.0], [1.0]];
/// let ys = [[1.0], [0.0], [1.0]];
/// let first = train_step(&mut model, &mut grads, &mut cache, &mut sgd, &xs, &ys, None);
/// assert!(first.is_ok());
///
/// let before = model;
/// let bad = [[-1.0], [f32::NAN], [1.0]];
/// let refused = train_step(&mut model, &mut grads, &mut cache, &mut sgd, &bad, &ys, None);
/// assert_eq!(refused, Err(StepError::NonFiniteInput));
/// assert_eq!(model, before);
/// ```
pub fn train_step<T, M, Opt, const I: usize, const O: usize, const B: usize>(
    model: &mut M,
    grads: &mut M,
    cache: &mut M::Cache,
    optimizer: &mut Opt,
    inputs: &[[T; I]; B],
    targets: &[[T; O]; B],
    max_grad_norm: Option<T>,
) -> Result<T, StepError>
where
    T: Scalar,
    M: Module<[T; I], Output = [T; O]> + Params<T>,
    Opt: Optimizer<T, M>,
{
    const { assert!(B > 0, "a training batch needs at least one sample") };
    if let Some(max) = max_grad_norm {
        if !valid_max_norm(max) {
            return Err(StepError::InvalidMaxNorm);
        }
    }
    if !inputs.iter().flatten().all(|x| x.is_finite()) {
        return Err(StepError::NonFiniteInput);
    }
    if !targets.iter().flatten().all(|x| x.is_finite()) {
        return Err(StepError::NonFiniteTarget);
    }

    let mut sum_sq = T::ZERO;
    for (x, t) in inputs.iter().zip(targets) {
        let y = model.forward(x, cache);
        for (y, t) in y.iter().zip(t) {
            let d = *y - *t;
            sum_sq += d * d;
        }
        let dy = Mse::gradient_in_batch(&y, t, B);
        model.backward(cache, &dy, grads);
    }
    let loss = sum_sq / T::from_usize(B * O);
    if !loss.is_finite() {
        grads.zero();
        return Err(StepError::NonFiniteLoss);
    }

    let grad_sq = grads.sum_of_squares();
    if !grad_sq.is_finite() {
        grads.zero();
        return Err(StepError::NonFiniteGradient);
    }
    if let Some(max) = max_grad_norm {
        scale_to_norm(grads, grad_sq.sqrt(), max);
    }
    optimizer.step_and_zero(model, grads);
    Ok(loss)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Gelu, Linear, Sgd, SgdMomentum, TorchInit, Zeroed};

    type Net = (Linear<f32, 2, 3>, Gelu, Linear<f32, 3, 1>);
    type Cache = <Net as Module<[f32; 2]>>::Cache;

    fn fresh() -> (Net, Net, Cache) {
        (
            Params::torch_init(&mut TorchInit::new(7)),
            Net::zeroed(),
            Cache::zeroed(),
        )
    }

    const XS: [[f32; 2]; 3] = [[0.5, -1.0], [1.0, 2.0], [-0.3, 0.1]];
    const YS: [[f32; 1]; 3] = [[1.0], [-1.0], [0.25]];

    /// An optimizer that keeps the gradients it is given and leaves the model alone.
    struct Record(Net);

    impl Optimizer<f32, Net> for Record {
        fn step(&mut self, _model: &mut Net, grads: &Net) {
            self.0 = *grads;
        }
    }

    #[test]
    fn loss_and_gradients_are_the_batch_mean() {
        let (mut model, mut grads, mut cache) = fresh();
        let start = model;
        let mut seen = Record(Net::zeroed());
        let loss = train_step(
            &mut model, &mut grads, &mut cache, &mut seen, &XS, &YS, None,
        );
        let ys = XS.map(|x| start.infer(&x));
        assert_eq!(loss, Ok(Mse::batch_loss(&ys, &YS)));
        // Reference gradients: sample by sample, each with its share of the batch loss.
        let mut want = Net::zeroed();
        for (x, t) in XS.iter().zip(&YS) {
            let mut c = Cache::zeroed();
            let y = start.forward(x, &mut c);
            start.backward(&c, &Mse::gradient_in_batch(&y, t, 3), &mut want);
        }
        assert_eq!(seen.0, want);
        assert_eq!(model, start);
        // The step leaves the gradients cleared for the next one, which then sees the same.
        assert_eq!(grads, Net::zeroed());
        let again = train_step(
            &mut model, &mut grads, &mut cache, &mut seen, &XS, &YS, None,
        );
        assert_eq!((again, seen.0), (loss, want));
    }

    #[test]
    fn refusals_table() {
        let nan = f32::NAN;
        let inf = f32::INFINITY;
        // (inputs, targets, model weight override, max norm, expected error)
        type Case = (
            [[f32; 2]; 3],
            [[f32; 1]; 3],
            Option<f32>,
            Option<f32>,
            StepError,
        );
        let cases: [Case; 6] = [
            (
                [[nan, 0.0], [1.0, 2.0], [0.0, 0.0]],
                YS,
                None,
                None,
                StepError::NonFiniteInput,
            ),
            (
                XS,
                [[1.0], [-inf], [0.0]],
                None,
                None,
                StepError::NonFiniteTarget,
            ),
            (XS, YS, Some(inf), None, StepError::NonFiniteLoss),
            // Huge but finite weights: the output overflows.
            (XS, YS, Some(3e38), None, StepError::NonFiniteLoss),
            (XS, YS, None, Some(nan), StepError::InvalidMaxNorm),
            (XS, YS, None, Some(-1.0), StepError::InvalidMaxNorm),
        ];
        for (xs, ys, w, max, err) in cases {
            let (mut model, mut grads, mut cache) = fresh();
            if let Some(w) = w {
                model.2.weight = [[w; 3]];
            }
            let before = model;
            let mut opt = SgdMomentum::new(0.1, 0.9);
            let got = train_step(&mut model, &mut grads, &mut cache, &mut opt, &xs, &ys, max);
            assert_eq!(got, Err(err));
            assert_eq!(model, before, "model changed on {err}");
            assert_eq!(grads, Net::zeroed(), "gradients left behind on {err}");
            assert!(!opt.started());
        }
    }

    /// A finite loss whose gradient overflows: a huge hidden activation meets a tiny
    /// output weight.
    #[test]
    fn overflowing_gradient_is_refused() {
        type Chain = (Linear<f32, 1, 1>, Linear<f32, 1, 1>);
        let mut model: Chain = (Linear::new([[1e30]], [0.0]), Linear::new([[1e-38]], [0.0]));
        let before = model;
        let mut grads = Chain::zeroed();
        let mut cache = Zeroed::zeroed();
        let mut opt = Sgd::new(0.1);
        // h = 3e38 (finite), y = 3, dy = 2 * (3 - 0) = 6, d(w2) = 6 * 3e38 = inf.
        let got = train_step(
            &mut model,
            &mut grads,
            &mut cache,
            &mut opt,
            &[[3e8]],
            &[[0.0]],
            None,
        );
        assert_eq!(got, Err(StepError::NonFiniteGradient));
        assert_eq!(model, before);
        assert_eq!(grads, Chain::zeroed());
    }

    #[test]
    fn clipping_bounds_the_update() {
        let (mut model, mut grads, mut cache) = fresh();
        let start = model;
        let mut opt = Sgd::new(1.0);
        let loss = train_step(
            &mut model,
            &mut grads,
            &mut cache,
            &mut opt,
            &XS,
            &YS,
            Some(1e-3),
        );
        assert!(loss.is_ok_and(|l| l > 0.0), "{loss:?}");
        // With lr 1, the update is the clipped gradient: its norm is at most 1e-3.
        let mut moved = model;
        moved.zip2(&start, &mut |a, b| {
            a.iter_mut().zip(b).for_each(|(a, b)| *a -= *b);
        });
        let norm = moved.sum_of_squares().sqrt();
        assert!(norm <= 1.0001e-3 && norm > 0.9e-3, "{norm}");
    }
}
