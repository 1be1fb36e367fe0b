//! The core's side of the reliability findings: hyperparameters that used to give an `Ok` step
//! with non-finite weights are refused where they are made, and a step whose update would not
//! be finite is refused with nothing changed. (The harness's side is
//! `host-harness/tests/reliability.rs`.)

use std::num::NonZeroUsize;

use skipgrad::{
    Adam, Buffers, Gelu, HyperError, Layer, Linear, Loss, Mse, Params, Residual, Sgd, SgdMomentum,
    StepError, TorchInit, Trainer, Zeroed,
};
use skipgrad_harness::gradcheck::flatten;

type Net = (
    Linear<f32, 2, 4>,
    Gelu,
    Residual<(Linear<f32, 4, 4>, Gelu)>,
    Linear<f32, 4, 1>,
);

/// Finding 1: each hyperparameter that gave `Ok` steps and then non-finite weights.
#[test]
fn hostile_hyperparameters_are_refused_where_they_are_made() {
    type A = Adam<f32, Net>;
    let cases: [(&str, Result<(), HyperError>, &str); 9] = [
        (
            "Sgd lr inf",
            Sgd::<f32>::new(f64::INFINITY).map(drop),
            "lr must be a finite number",
        ),
        (
            "Sgd lr NaN",
            Sgd::<f32>::new(f64::NAN).map(drop),
            "lr must be a finite number",
        ),
        (
            "Sgd lr 0",
            Sgd::<f32>::new(0.0).map(drop),
            "lr must be > 0, got 0.0",
        ),
        (
            "Sgd lr 1e-50",
            Sgd::<f32>::new(1e-50).map(drop),
            "lr 1e-50 rounds to zero in f32",
        ),
        (
            "SgdMomentum momentum NaN",
            SgdMomentum::<f32, Net>::new(0.1, f64::NAN).map(drop),
            "momentum must be a finite number",
        ),
        (
            "SgdMomentum momentum 1",
            SgdMomentum::<f32, Net>::new(0.1, 1.0).map(drop),
            "momentum must be in [0, 1), got 1.0",
        ),
        (
            "Adam beta1 1",
            A::new().with_betas(1.0, 0.999).map(drop),
            "beta1 must be in [0, 1), got 1.0",
        ),
        (
            "Adam eps 0",
            A::new().with_eps(0.0).map(drop),
            "eps must be > 0, got 0.0",
        ),
        (
            "Adam lr inf",
            A::new().with_lr(f64::INFINITY).map(drop),
            "lr must be a finite number",
        ),
    ];
    for (what, got, message) in cases {
        match got {
            Err(e) => assert_eq!(e.to_string(), message, "{what}"),
            Ok(()) => panic!("{what}: accepted"),
        }
    }
}

/// Finding 1: Adam at huge learning rates takes valid steps while it can, then refuses; every
/// weight and moment stays finite after each `Ok`, and a refusal changes nothing. (At 1e38
/// Adam's step size `lr / (1 - beta1)` is already infinite in f32, so every step is refused.)
#[test]
fn adam_at_huge_rates_never_leaves_a_non_finite_weight() -> Result<(), HyperError> {
    let xs = [[1.0, -1.0], [0.5, 2.0], [-1.5, 0.25], [2.0, 2.0]];
    let ys = [[1.0], [-1.0], [0.5], [0.0]];
    let (mut oks, mut refusals) = (0, 0);
    for lr in [1e38, 1e37, 1e36, 1e30] {
        let mut model: Net = Params::torch_init(&mut TorchInit::new(3));
        let mut buffers = Buffers::<Net, [f32; 2]>::ZERO;
        let mut trainer = Trainer::new(&mut model, &mut buffers, Adam::new().with_lr(lr)?, Mse);
        for _ in 0..20 {
            let before = flatten(trainer.model());
            let moments = |t: &Trainer<'_, Net, [f32; 2], Adam<f32, Net>, Mse>| {
                let o = t.optimizer();
                (
                    flatten(o.first_moment()),
                    flatten(o.second_moment()),
                    o.steps(),
                )
            };
            let state_before = moments(&trainer);
            match trainer.step(&xs, &ys) {
                Ok(loss) => {
                    oks += 1;
                    assert!(loss.is_finite(), "lr {lr:e}");
                    assert!(trainer.model().all_finite(), "lr {lr:e}");
                    assert!(trainer.optimizer().first_moment().all_finite());
                    assert!(trainer.optimizer().second_moment().all_finite());
                }
                Err(e) => {
                    refusals += 1;
                    assert!(
                        matches!(
                            e,
                            StepError::NonFiniteLoss
                                | StepError::NonFiniteGradient
                                | StepError::NonFiniteUpdate
                        ),
                        "{e:?}"
                    );
                    assert_eq!(flatten(trainer.model()), before, "lr {lr:e}");
                    assert_eq!(moments(&trainer), state_before, "lr {lr:e}");
                }
            }
        }
    }
    eprintln!("huge Adam rates: {oks} steps taken, {refusals} refused");
    assert!(oks > 0 && refusals > 0, "{oks} taken, {refusals} refused");
    Ok(())
}

/// Finding 8: the gradient of a batch mean takes a non-zero term count (zero does not
/// type-check), and the largest count gives a finite, tiny gradient.
#[test]
fn mse_gradient_term_counts() {
    let (y, t) = ([3.0f32], [1.0f32]);
    assert_eq!(Mse.gradient(&y, &t, NonZeroUsize::MIN), [4.0]);
    let g = Mse.gradient(&y, &t, NonZeroUsize::MAX);
    assert!(g[0].is_finite() && g[0] > 0.0 && g[0] < 1e-18, "{g:?}");
    assert_eq!(NonZeroUsize::new(0), None);
}

/// Gradients are model-shaped: the trainable count is the parameter count for this network
/// (nothing frozen), so the checks above see every value.
#[test]
fn every_parameter_has_a_gradient() {
    assert_eq!(
        <Net as Params<f32>>::TRAINABLE,
        <<Net as Layer>::Grads as Params<f32>>::LEN
    );
}
