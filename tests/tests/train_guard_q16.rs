//! The guarded training step in Q16.16 fixed point, on par with `train_guard.rs`'s float
//! properties: a rail (a saturated value) is the fixed-point NaN, and the trainer refuses it
//! wherever it appears, as a transaction.
//!
//! - after `Ok`, every weight and every optimizer state value is finite (no rail), and the
//!   loss is the one worked out independently, bit for bit;
//! - after `Err`, the model and the whole optimizer state (the momentum buffer, its started
//!   flag, the stochastic rounding's generator, the hyperparameters) are unchanged bit for
//!   bit, and the gradients are zero;
//! - a clean batch always steps, exactly as forward/backward + `Optimizer::update`.
//!
//! Every optimizer that accepts `Q16` (`Sgd` rounding to nearest, `Sgd` with stochastic
//! rounding, `SgdMomentum`), with and without weight decay and clipping, from warmed-up state.
//! Saturated weights (each of the three rails, the largest finite values, a huge first layer
//! behind a quiet head), saturated inputs and targets, gradients and gradient norms that
//! saturate, and updates that saturate (learning rates up to 30,000). Each refusal is counted
//! per optimizer, and the test fails if one of them is never reached.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::num::NonZeroUsize;

use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use skipgrad::params::image::{self, Image};
use skipgrad::params::{self as walk, Ref};
use skipgrad::{
    Buffers, Gelu, HyperError, Layer, Linear, Loss, Module, Mse, NonFiniteUpdate, Optimizer,
    Params, Residual, Scalar, Sgd, SgdMomentum, StepError, Stochastic, Tanh, TorchInit, Trainer,
    Zeroed, Q16,
};

/// Every parameter of `m`, in registration order.
fn flatten<M: Params<Q16>>(m: &M) -> Vec<Q16> {
    let mut out = vec![Q16::ZERO; M::LEN];
    m.store_flat(&mut out).expect("M::LEN values");
    out
}

/// Every value of a gradient value of the model `M`, in registration order.
fn flatten_grads<M: Params<Q16>>(grads: &M::Grads) -> Vec<Q16> {
    let mut out = Vec::with_capacity(M::TRAINABLE);
    walk::zip_grads::<M, Ref, Q16, _>(grads, |_, t| out.extend_from_slice(t));
    out
}

type Net = (
    Linear<Q16, 2, 4>,
    Gelu,
    Residual<(Linear<Q16, 4, 4>, Tanh)>,
    Linear<Q16, 4, 1>,
);
const B: usize = 4;
type Xs = [[Q16; 2]; B];
type Ys = [[Q16; 1]; B];

/// The three optimizers that accept `Q16`, behind one type.
#[derive(Clone)]
enum Opt {
    Sgd(Sgd<Q16>),
    Stochastic(Sgd<Q16, Stochastic>),
    Momentum(SgdMomentum<Q16, Net>),
}

const KINDS: [&str; 3] = ["Sgd", "Sgd (stochastic rounding)", "SgdMomentum"];

impl Opt {
    fn new(kind: u8) -> Self {
        Self::with(kind, 0.05, 1e-3, 0.9, 7).expect("valid hyperparameters")
    }

    fn with(kind: u8, lr: f64, wd: f64, momentum: f64, seed: u32) -> Result<Self, HyperError> {
        Ok(match kind % 3 {
            0 => Opt::Sgd(Sgd::new(lr)?.with_weight_decay(wd)?),
            1 => Opt::Stochastic(
                Sgd::new(lr)?
                    .with_stochastic_rounding(seed)
                    .with_weight_decay(wd)?,
            ),
            _ => Opt::Momentum(SgdMomentum::new(lr, momentum)?.with_weight_decay(wd)?),
        })
    }

    /// Every bit of the optimizer's state and hyperparameters.
    fn bits(&self) -> Vec<u64> {
        match self {
            Opt::Sgd(s) => vec![Scalar::to_bits(s.lr()), Scalar::to_bits(s.weight_decay())],
            Opt::Stochastic(s) => vec![
                Scalar::to_bits(s.lr()),
                Scalar::to_bits(s.weight_decay()),
                u64::from(s.rounding().state()),
            ],
            Opt::Momentum(s) => {
                let mut b = bits(s.buffer());
                b.push(u64::from(s.started()));
                let (lr, m, d, wd) = s.hyperparameters();
                b.extend([lr, m, d, wd].map(Scalar::to_bits));
                b
            }
        }
    }

    /// True if every state value is finite (no rail).
    fn state_finite(&self) -> bool {
        match self {
            Opt::Sgd(_) | Opt::Stochastic(_) => true,
            Opt::Momentum(s) => s.buffer().all_finite(),
        }
    }
}

impl Optimizer<Q16, Net> for Opt {
    fn update(&mut self, model: &mut Net, grads: &mut Net) -> Result<(), NonFiniteUpdate> {
        match self {
            Opt::Sgd(o) => o.update(model, grads),
            Opt::Stochastic(o) => o.update(model, grads),
            Opt::Momentum(o) => o.update(model, grads),
        }
    }
}

fn bits<M: Params<Q16>>(m: &M) -> Vec<u64> {
    flatten(m).iter().map(|v| Scalar::to_bits(*v)).collect()
}

/// A model, its buffers and an optimizer, stepped through a fresh `Trainer` each time.
struct Run {
    model: Net,
    buffers: Buffers<Net, [Q16; 2]>,
    opt: Opt,
    clip: Option<f64>,
}

impl Run {
    fn new(seed: u64, opt: Opt, clip: Option<f64>) -> Self {
        Self {
            model: Params::torch_init(&mut TorchInit::new(seed)),
            buffers: Buffers::ZERO,
            opt,
            clip,
        }
    }

    fn step(&mut self, xs: &Xs, ys: &Ys) -> Result<Q16, StepError> {
        let trainer = Trainer::new(&mut self.model, &mut self.buffers, &mut self.opt, Mse);
        match self.clip {
            None => {
                let mut t = trainer;
                t.step(xs, ys)
            }
            Some(c) => trainer
                .with_max_grad_norm(c)
                .expect("valid norm")
                .step(xs, ys),
        }
    }

    fn warm_up(&mut self, steps: usize, xs: &Xs, ys: &Ys) {
        for _ in 0..steps {
            let r = self.step(xs, ys);
            assert!(r.is_ok(), "clean warm-up step refused: {r:?}");
        }
    }

    /// `(model bits, optimizer bits)`.
    fn snapshot(&self) -> (Vec<u64>, Vec<u64>) {
        (bits(&self.model), self.opt.bits())
    }

    fn grads_zero(&self) -> bool {
        bits(self.buffers.grads()).iter().all(|b| *b == 0)
    }
}

fn q16(range: std::ops::Range<f64>) -> impl Strategy<Value = Q16> {
    range.prop_map(Q16::from_f64)
}

fn batch() -> impl Strategy<Value = (Xs, Ys)> {
    (
        prop::array::uniform4(prop::array::uniform2(q16(-3.0..3.0))),
        prop::array::uniform4(prop::array::uniform1(q16(-2.0..2.0))),
    )
}

/// The three rails: `Q16::MAX`, `Q16::MIN` and `i32::MIN` units.
fn rail() -> impl Strategy<Value = Q16> {
    prop_oneof![
        Just(Q16::MAX),
        Just(Q16::MIN),
        Just(Q16::from_bits(i32::MIN))
    ]
}

/// Asserts the refusal promise: the model and the optimizer state as they were, gradients zero.
fn assert_unchanged(run: &Run, before: &(Vec<u64>, Vec<u64>)) -> Result<(), TestCaseError> {
    let now = run.snapshot();
    prop_assert!(now.0 == before.0, "model changed");
    prop_assert!(now.1 == before.1, "optimizer state changed");
    prop_assert!(run.grads_zero(), "gradients left behind");
    Ok(())
}

/// What the step must answer, worked out sample by sample: the sum of the loss terms (a
/// rail in it is a saturated loss, whatever the mean would make of it), every gradient
/// (a rail in one is a saturated gradient) and, with clipping, the gradients' norm in `f64`
/// (beyond the largest `Q16` it saturates). `Ok` means the gradients are valid; the
/// optimizer may still refuse an update it cannot write without saturating.
struct Expected {
    result: Result<Q16, StepError>,
    /// Clipping, and the norm within 1% of the largest `Q16`: the norm's own rounding
    /// decides whether it saturates, so `Ok` and a refused gradient are both right.
    borderline: bool,
}

fn expected(model: &Net, xs: &Xs, ys: &Ys, clip: Option<f64>) -> Expected {
    let mut grads = <Net as Layer>::Grads::ZERO;
    let terms = NonZeroUsize::new(B).expect("B > 0");
    let mut sum = Q16::ZERO;
    for (x, t) in xs.iter().zip(ys) {
        let mut c = Zeroed::ZERO;
        let y = model.forward(x, &mut c);
        let d = y[0] - t[0];
        sum += d * d;
        model.backward(&c, &Mse.gradient(&y, t, terms), &mut grads);
    }
    let values = flatten_grads::<Net>(&grads);
    let norm = values
        .iter()
        .map(|g| g.to_f64().powi(2))
        .sum::<f64>()
        .sqrt();
    let largest = Q16::LARGEST.to_f64();
    let result = if !sum.is_finite() {
        Err(StepError::NonFiniteLoss)
    } else if !values.iter().all(|g| g.is_finite()) || (clip.is_some() && norm > largest) {
        Err(StepError::NonFiniteGradient)
    } else {
        Ok(sum / Q16::from_f64(B as f64))
    };
    let borderline =
        clip.is_some() && result.is_ok_or_gradient() && (norm - largest).abs() < 0.01 * largest;
    Expected { result, borderline }
}

trait OkOrGradient {
    fn is_ok_or_gradient(&self) -> bool;
}

impl OkOrGradient for Result<Q16, StepError> {
    fn is_ok_or_gradient(&self) -> bool {
        matches!(self, Ok(_) | Err(StepError::NonFiniteGradient))
    }
}

/// How a parameter is poisoned.
#[derive(Clone, Copy, Debug)]
enum Poison {
    /// A rail in any parameter.
    Rail(Q16),
    /// The largest finite value (or its negative) in any parameter: the loss saturates, or a
    /// unit turned off hides it, or the update pushes it onto the rail.
    Largest(Q16),
    /// A huge first-layer parameter (1,000 to 32,767) and a head of a few units: the hidden
    /// activations are huge or saturated, the prediction stays moderate, and the head's
    /// gradients saturate.
    HugeQuietHead(Q16),
}

fn poison_strategy() -> impl Strategy<Value = Poison> {
    let sign = prop_oneof![Just(1.0f64), Just(-1.0f64)];
    prop_oneof![
        rail().prop_map(Poison::Rail),
        sign.clone()
            .prop_map(|s| Poison::Largest(Q16::from_f64(s * Q16::LARGEST.to_f64()))),
        (sign, 1000.0f64..32767.0).prop_map(|(s, v)| Poison::HugeQuietHead(Q16::from_f64(s * v))),
    ]
}

/// The first layer's parameter count: its 8 weights and 4 biases come first.
const FIRST_LAYER: usize = 2 * 4 + 4;

/// One poisoned case: an optimizer of `kind` with learning rate `lr`, warmed up on a clean
/// batch, then a poisoned parameter and a step. Returns the step's outcome after checking it
/// against [`expected`] and everything a refusal promises.
fn check_poisoned(
    (seed, kind, lr, warmup): (u64, u8, f64, usize),
    (xs, ys): (Xs, Ys),
    site: usize,
    how: Poison,
    clip: Option<f64>,
) -> Result<Result<(), StepError>, TestCaseError> {
    let mut run = Run::new(seed, Opt::new(kind), clip);
    run.warm_up(warmup, &xs, &ys);
    // The learning rate the poisoned step runs with, the warmed-up state carried over (the
    // momentum buffer through a parameter image, as a device would resume).
    run.opt = match &run.opt {
        Opt::Sgd(_) => Opt::with(kind, lr, 1e-3, 0.9, 0).expect("valid"),
        Opt::Stochastic(o) => Opt::with(kind, lr, 1e-3, 0.9, o.rounding().state()).expect("valid"),
        Opt::Momentum(o) => {
            let mut fresh = SgdMomentum::new(lr, 0.9)
                .expect("valid")
                .with_weight_decay(1e-3)
                .expect("valid");
            let mut image = vec![0u8; Image::<Net, Q16, SgdMomentum<Q16, Net>>::SIZE];
            prop_assert!(image::save_with(&run.model, o, &mut image).is_ok());
            let mut model = run.model;
            prop_assert!(image::load_with(&mut model, &mut fresh, &image).is_ok());
            prop_assert_eq!(bits(fresh.buffer()), bits(o.buffer()));
            Opt::Momentum(fresh)
        }
    };
    let mut values = flatten(&run.model);
    let len = values.len();
    match how {
        Poison::Rail(v) | Poison::Largest(v) => values[site % len] = v,
        Poison::HugeQuietHead(v) => {
            values[site % FIRST_LAYER] = v;
            let head = len - 5;
            for (i, w) in values[head..head + 4].iter_mut().enumerate() {
                *w = Q16::from_bits([3, -2, 1, -3][(i + site) % 4]);
            }
        }
    }
    prop_assert!(run.model.load_flat(&values).is_ok());
    let want = expected(&run.model, &xs, &ys, clip);
    let before = run.snapshot();
    prop_assert!(run.grads_zero(), "gradients not zero on entry");
    let got = run.step(&xs, &ys);
    match (want.result, got) {
        (Ok(loss), Ok(got)) | (Err(StepError::NonFiniteGradient), Ok(got @ loss))
            if want.borderline || want.result.is_ok() =>
        {
            prop_assert_eq!(got, loss);
            prop_assert!(run.model.all_finite(), "a weight saturated after Ok");
            prop_assert!(run.opt.state_finite(), "a state value saturated after Ok");
            prop_assert!(run.grads_zero());
            Ok(Ok(()))
        }
        (Ok(_), Err(e @ StepError::NonFiniteUpdate)) => {
            assert_unchanged(&run, &before)?;
            Ok(Err(e))
        }
        (Ok(_), Err(e @ StepError::NonFiniteGradient)) if want.borderline => {
            assert_unchanged(&run, &before)?;
            Ok(Err(e))
        }
        (Err(e), Err(g)) if e == g => {
            assert_unchanged(&run, &before)?;
            Ok(Err(e))
        }
        (want, got) => Err(TestCaseError::fail(format!(
            "expected {want:?}, got {got:?}"
        ))),
    }
}

/// A name for an outcome, to count it.
fn outcome_name(r: Result<(), StepError>) -> String {
    r.map_or_else(|e| format!("{e:?}"), |()| "stepped".to_owned())
}

/// Runs `cases` cases of a property that returns each case's optimizer kind and outcome,
/// and returns how often each `(kind, outcome)` was seen.
fn counted<S: Strategy>(
    cases: u32,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(u8, Result<(), StepError>), TestCaseError>,
) -> BTreeMap<(usize, String), u32> {
    let mut runner = TestRunner::new(ProptestConfig::with_cases(cases));
    let seen: RefCell<BTreeMap<(usize, String), u32>> = RefCell::default();
    let result = runner.run(&strategy, |v| {
        let (kind, outcome) = test(v)?;
        *seen
            .borrow_mut()
            .entry((usize::from(kind), outcome_name(outcome)))
            .or_default() += 1;
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    seen.into_inner()
}

/// Asserts that every optimizer reached each of `errors`.
fn assert_reached(seen: &BTreeMap<(usize, String), u32>, errors: &[StepError]) {
    for (kind, name) in KINDS.iter().enumerate() {
        for e in errors {
            let n = seen.get(&(kind, format!("{e:?}"))).copied().unwrap_or(0);
            assert!(n > 0, "{name}: no case reached {e:?} ({seen:?})");
        }
    }
}

/// Saturated and near-saturated parameters in a warmed-up model, for every optimizer, with
/// and without clipping, at learning rates from 0.05 to 30,000: each refusal changes nothing,
/// and the loss, the gradient and the update refusals are each seen for each optimizer.
#[test]
fn saturated_weights_change_nothing() {
    let cases = ProptestConfig::default().cases.max(768);
    let strategy = (
        (
            any::<u64>(),
            0u8..3,
            prop_oneof![Just(0.05f64), 1.0f64..30000.0],
            1usize..4,
        ),
        batch(),
        any::<usize>(),
        poison_strategy(),
        prop::option::of(0.1f64..10.0),
    );
    let seen = counted(cases, strategy, |(run, data, site, how, clip)| {
        Ok((run.1, check_poisoned(run, data, site, how, clip)?))
    });
    eprintln!("outcomes (optimizer, result): {seen:?}");
    assert_reached(
        &seen,
        &[
            StepError::NonFiniteLoss,
            StepError::NonFiniteGradient,
            StepError::NonFiniteUpdate,
        ],
    );
}

/// A rail in an input or a target, anywhere in the batch: refused with the matching error,
/// nothing changed; both refusals are seen for each optimizer.
#[test]
fn saturated_batch_changes_nothing() {
    let strategy = (
        (any::<u64>(), 0u8..3, 0usize..3),
        batch(),
        (any::<bool>(), 0usize..B, 0usize..2),
        rail(),
        prop::option::of(0.1f64..10.0),
    );
    let seen = counted(
        512,
        strategy,
        |((seed, kind, warmup), (xs, ys), (in_target, sample, feature), bad, clip)| {
            let mut run = Run::new(seed, Opt::new(kind), clip);
            run.warm_up(warmup, &xs, &ys);
            let before = run.snapshot();
            let (mut xs, mut ys) = (xs, ys);
            let want = if in_target {
                ys[sample][0] = bad;
                StepError::InvalidTarget { sample }
            } else {
                xs[sample][feature] = bad;
                StepError::NonFiniteInput { sample }
            };
            prop_assert_eq!(run.step(&xs, &ys), Err(want));
            assert_unchanged(&run, &before)?;
            let name = if in_target {
                StepError::InvalidTarget { sample: 0 }
            } else {
                StepError::NonFiniteInput { sample: 0 }
            };
            Ok((kind, Err(name)))
        },
    );
    assert_reached(
        &seen,
        &[
            StepError::NonFiniteInput { sample: 0 },
            StepError::InvalidTarget { sample: 0 },
        ],
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// A clean batch always steps, and the step is exactly: gradients of the batch loss, then
    /// the optimizer (the stochastic rounding's generator included).
    #[test]
    fn clean_batch_always_steps(
        seed in any::<u64>(),
        kind in 0u8..3,
        warmup in 0usize..3,
        (xs, ys) in batch(),
    ) {
        let mut run = Run::new(seed, Opt::new(kind), None);
        run.warm_up(warmup, &xs, &ys);
        let (mut ref_model, mut ref_opt) = (run.model, run.opt.clone());
        let want = expected(&ref_model, &xs, &ys, None).result;
        let got = run.step(&xs, &ys);
        prop_assert_eq!(got, want);

        let mut ref_grads = Net::ZERO;
        let terms = NonZeroUsize::new(B).expect("B > 0");
        for (x, t) in xs.iter().zip(&ys) {
            let mut c = Zeroed::ZERO;
            let y = ref_model.forward(x, &mut c);
            ref_model.backward(&c, &Mse.gradient(&y, t, terms), &mut ref_grads);
        }
        prop_assert!(ref_opt.update(&mut ref_model, &mut ref_grads).is_ok());
        prop_assert_eq!(bits(&run.model), bits(&ref_model));
        prop_assert_eq!(run.opt.bits(), ref_opt.bits());
        prop_assert!(run.grads_zero());
    }

    /// Random hyperparameters (learning rates from one unit to 30,000, any momentum and
    /// weight decay), weights scaled up to the rails and hostile batches (values up to the
    /// largest finite one, single units, zero), through every optimizer with and without
    /// clipping: after `Ok`, every weight and state value is finite; after `Err`, nothing
    /// changed.
    #[test]
    fn hostile_steps_keep_the_transaction(
        seed in any::<u64>(),
        kind in 0u8..3,
        lr_exp in -4.5f64..4.47,
        wd in prop_oneof![Just(0.0f64), 0.0f64..10.0],
        momentum in 0.0f64..0.999,
        rng in any::<u32>(),
        scale in prop_oneof![Just(1.0f64), 1.0f64..30000.0],
        xs in prop::array::uniform4(prop::array::uniform2(prop_oneof![
            q16(-32767.0..32767.0), q16(-3.0..3.0), Just(Q16::UNIT), Just(Q16::ZERO), Just(Q16::LARGEST)
        ])),
        ys in prop::array::uniform4(prop::array::uniform1(prop_oneof![q16(-32767.0..32767.0), q16(-3.0..3.0)])),
        clip in prop::option::of(0.0f64..30000.0),
        steps in 1usize..4,
    ) {
        let lr = 10f64.powf(lr_exp);
        let opt = Opt::with(kind, lr, wd, momentum, rng).expect("valid hyperparameters");
        let mut run = Run::new(seed, opt, clip);
        let s = Q16::from_f64(scale);
        let values: Vec<Q16> = flatten(&run.model).iter().map(|v| *v * s).collect();
        prop_assert!(run.model.load_flat(&values).is_ok());
        for _ in 0..steps {
            let before = run.snapshot();
            match run.step(&xs, &ys) {
                Ok(loss) => {
                    prop_assert!(loss.is_finite());
                    prop_assert!(run.model.all_finite(), "a weight saturated after Ok");
                    prop_assert!(run.opt.state_finite(), "a state value saturated after Ok");
                    prop_assert!(run.grads_zero());
                }
                Err(_) => assert_unchanged(&run, &before)?,
            }
        }
    }
}
