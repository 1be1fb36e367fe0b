//! The guarded training step as a transaction, through the public `Trainer::step`:
//!
//! - after `Ok`, every weight and every optimizer state value is finite;
//! - after `Err`, the model and the whole optimizer state (buffers, moments, step count,
//!   flags, hyperparameters) are unchanged bit for bit, and the gradients are zero;
//! - a clean batch always steps, exactly as forward/backward + `Optimizer::update`.
//!
//! Every optimizer (SGD with its one-pass update, momentum, Adam), with and without clipping,
//! from warmed-up state (non-zero buffers and moments). Poisoned weights reach both the loss
//! and the gradient refusal for every optimizer, and the test fails if one is never seen.

mod guard;

use std::cell::RefCell;
use std::collections::BTreeMap;

use guard::Inspect;
use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use skipgrad::{
    Adam, Buffers, Gelu, Layer, Linear, Loss, Module, Mse, NonFiniteUpdate, Optimizer, Params,
    Residual, Sgd, SgdMomentum, StepError, TorchInit, Trainer, Zeroed,
};
use skipgrad_harness::gradcheck::flatten;

type Net = (
    Linear<f32, 2, 4>,
    Gelu,
    Residual<(Linear<f32, 4, 4>, Gelu)>,
    Linear<f32, 4, 1>,
);
const B: usize = 4;
type Xs = [[f32; 2]; B];
type Ys = [[f32; 1]; B];

/// The three optimizers behind one type, so one property covers them all.
#[derive(Clone)]
enum Opt {
    Sgd(Sgd<f32>),
    Momentum(SgdMomentum<f32, Net>),
    Adam(Box<Adam<f32, Net>>),
}

const KINDS: [&str; 3] = ["Sgd", "SgdMomentum", "Adam"];

impl Opt {
    fn new(kind: u8) -> Self {
        Self::with(kind, 0.05, 1e-3, 0.9).expect("valid hyperparameters")
    }

    fn with(kind: u8, lr: f64, wd: f64, momentum: f64) -> Result<Self, skipgrad::HyperError> {
        Ok(match kind % 3 {
            0 => Opt::Sgd(Sgd::new(lr)?.with_weight_decay(wd)?),
            1 => Opt::Momentum(SgdMomentum::new(lr, momentum)?.with_weight_decay(wd)?),
            _ => Opt::Adam(Box::new(Adam::new().with_lr(lr)?.with_weight_decay(wd)?)),
        })
    }
}

impl Inspect for Opt {
    /// Every bit of the optimizer's state and hyperparameters.
    fn bits(&self) -> Vec<u64> {
        match self {
            Opt::Sgd(s) => vec![
                u64::from(s.lr().to_bits()),
                u64::from(s.weight_decay().to_bits()),
            ],
            Opt::Momentum(s) => {
                let mut b = bits(s.buffer());
                b.push(u64::from(s.started()));
                let (lr, m, d, wd) = s.hyperparameters();
                b.extend([lr, m, d, wd].map(|v| u64::from(v.to_bits())));
                b
            }
            Opt::Adam(a) => {
                let mut b = bits(a.first_moment());
                b.extend(bits(a.second_moment()));
                b.push(u64::from(a.steps()));
                let (lr, b1, b2, eps, wd) = a.hyperparameters();
                b.extend([lr, b1, b2, eps, wd].map(f64::to_bits));
                b
            }
        }
    }

    /// True if every state value is finite.
    fn state_finite(&self) -> bool {
        match self {
            Opt::Sgd(_) => true,
            Opt::Momentum(s) => s.buffer().all_finite(),
            Opt::Adam(a) => a.first_moment().all_finite() && a.second_moment().all_finite(),
        }
    }
}

impl Optimizer<f32, Net> for Opt {
    fn update(&mut self, model: &mut Net, grads: &mut Net) -> Result<(), NonFiniteUpdate> {
        match self {
            Opt::Sgd(o) => o.update(model, grads),
            Opt::Momentum(o) => o.update(model, grads),
            Opt::Adam(o) => o.update(model, grads),
        }
    }
}

fn bits<M: Params<f32>>(m: &M) -> Vec<u64> {
    guard::bits::<f32, M>(m)
}

type Run = guard::Run<f32, Net, Opt, 2>;

fn batch() -> impl Strategy<Value = (Xs, Ys)> {
    (
        prop::array::uniform4(prop::array::uniform2(-3.0f32..3.0)),
        prop::array::uniform4(prop::array::uniform1(-2.0f32..2.0)),
    )
}

fn bad_value() -> impl Strategy<Value = f32> {
    prop_oneof![Just(f32::NAN), Just(f32::INFINITY), Just(f32::NEG_INFINITY)]
}

/// What the step must answer for a model and a batch, worked out independently: the batch
/// loss and gradients sample by sample in f32, then the loss check and the gradient check (with
/// clipping, the norm computed in f64 must fit an f32). `Ok` means the gradients are valid; the
/// optimizer may still refuse an update it cannot write finitely.
fn expected(model: &Net, xs: &Xs, ys: &Ys, clip: Option<f64>) -> Result<f32, StepError> {
    let mut grads = <Net as Layer>::Grads::ZERO;
    let mut outputs = [[0.0f32; 1]; B];
    let terms = std::num::NonZeroUsize::new(B).expect("B > 0");
    for ((x, t), out) in xs.iter().zip(ys).zip(&mut outputs) {
        let mut c = Zeroed::ZERO;
        let y = model.forward(x, &mut c);
        model.backward(&c, &Mse.gradient(&y, t, terms), &mut grads);
        *out = y;
    }
    let loss = Mse.batch_loss(&outputs, ys);
    let values = flatten(&grads);
    let norm = values
        .iter()
        .map(|g| f64::from(*g).powi(2))
        .sum::<f64>()
        .sqrt();
    if !loss.is_finite() {
        Err(StepError::NonFiniteLoss)
    } else if !values.iter().all(|g| g.is_finite())
        || (clip.is_some() && norm > f64::from(f32::MAX))
    {
        Err(StepError::NonFiniteGradient)
    } else {
        Ok(loss)
    }
}

/// How a parameter is poisoned.
#[derive(Clone, Copy, Debug)]
enum Poison {
    /// NaN or an infinity in any parameter: the output, and so the loss, is not finite.
    NonFinite(f32),
    /// `±3e38` in any parameter: the loss overflows, or (a GELU turns the unit off) the
    /// step may be valid.
    Huge(f32),
    /// A huge value (`1e20` to `1e38`) in the first layer, and the head's weights scaled down
    /// by `1e-30`: the hidden activations are huge, the prediction stays moderate, and the
    /// head's gradients (activation x output gradient) overflow.
    HugeQuietHead(f32),
}

fn poison_strategy() -> impl Strategy<Value = Poison> {
    let sign = prop_oneof![Just(1.0f32), Just(-1.0f32)];
    prop_oneof![
        bad_value().prop_map(Poison::NonFinite),
        sign.clone().prop_map(|s| Poison::Huge(s * 3e38)),
        (sign, 20.0f32..38.0).prop_map(|(s, e)| Poison::HugeQuietHead(s * 10f32.powf(e))),
    ]
}

/// The first layer's parameter count: its 8 weights and 4 biases come first.
const FIRST_LAYER: usize = 2 * 4 + 4;

/// One poisoned-weights case: returns the step's error (`None` for a step taken) after
/// checking it against [`expected`] and everything a refusal promises.
fn check_poisoned(
    seed: u64,
    kind: u8,
    warmup: usize,
    (xs, ys): (Xs, Ys),
    site: usize,
    how: Poison,
    clip: Option<f64>,
) -> Result<Option<StepError>, TestCaseError> {
    let mut run = Run::new(seed, Opt::new(kind), clip);
    run.warm_up(warmup, &xs, &ys);
    let mut values = flatten(&run.model);
    let len = values.len();
    match how {
        Poison::NonFinite(v) | Poison::Huge(v) => values[site % len] = v,
        Poison::HugeQuietHead(v) => {
            values[site % FIRST_LAYER] = v;
            let head = len - 5;
            values[head..head + 4].iter_mut().for_each(|w| *w *= 1e-30);
        }
    }
    prop_assert!(run.model.load_flat(&values).is_ok());
    let want = expected(&run.model, &xs, &ys, clip);
    if let Poison::NonFinite(_) = how {
        prop_assert_eq!(want, Err(StepError::NonFiniteLoss));
    }
    let before = run.snapshot();
    prop_assert!(run.grads_zero(), "gradients not zero on entry");
    let got = run.step(&xs, &ys);
    match (want, got) {
        (Ok(loss), Ok(got)) => {
            prop_assert_eq!(got.to_bits(), loss.to_bits());
            prop_assert!(run.model.all_finite() && run.opt.state_finite());
            prop_assert!(run.grads_zero());
            Ok(None)
        }
        (Ok(_), Err(StepError::NonFiniteUpdate)) => {
            run.assert_unchanged(&before)?;
            Ok(Some(StepError::NonFiniteUpdate))
        }
        (Err(e), Err(g)) if e == g => {
            run.assert_unchanged(&before)?;
            Ok(Some(e))
        }
        (want, got) => Err(TestCaseError::fail(format!(
            "expected {want:?}, got {got:?}"
        ))),
    }
}

/// Poisoned weights, in a warmed-up model, for every optimizer, with and without clipping:
/// each refusal changes nothing, and both the loss and the gradient refusal are seen for each
/// optimizer.
#[test]
fn poisoned_weights_change_nothing() {
    let cases = ProptestConfig::default().cases.max(512);
    let mut runner = TestRunner::new(ProptestConfig::with_cases(cases));
    let seen: RefCell<BTreeMap<(usize, String), u32>> = RefCell::default();
    let strategy = (
        any::<u64>(),
        0u8..3,
        1usize..4,
        batch(),
        any::<usize>(),
        poison_strategy(),
        prop::option::of(0.1f64..10.0),
    );
    let result = runner.run(&strategy, |(seed, kind, warmup, data, site, how, clip)| {
        let outcome = check_poisoned(seed, kind, warmup, data, site, how, clip)?;
        let name = outcome.map_or_else(|| "stepped".to_owned(), |e| format!("{e:?}"));
        *seen
            .borrow_mut()
            .entry((usize::from(kind), name))
            .or_default() += 1;
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let seen = seen.into_inner();
    eprintln!("outcomes (optimizer, result): {seen:?}");
    for (kind, name) in KINDS.iter().enumerate() {
        for e in [StepError::NonFiniteLoss, StepError::NonFiniteGradient] {
            let n = seen.get(&(kind, format!("{e:?}"))).copied().unwrap_or(0);
            assert!(n > 0, "{name}: no case reached {e:?} ({seen:?})");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// One NaN or infinity, in an input or a target, anywhere in the batch: refused with the
    /// matching error, nothing changed.
    #[test]
    fn poisoned_batch_changes_nothing(
        seed in any::<u64>(),
        kind in 0u8..3,
        warmup in 0usize..3,
        (xs, ys) in batch(),
        in_target in any::<bool>(),
        sample in 0usize..B,
        feature in 0usize..2,
        bad in bad_value(),
        clip in prop::option::of(0.1f64..10.0),
    ) {
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
        run.assert_unchanged(&before)?;
    }

    /// A clean batch always steps, and the step is exactly: gradients of the batch loss, then
    /// the optimizer.
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
        let got = run.step(&xs, &ys);
        prop_assert!(got.is_ok_and(f32::is_finite), "{:?}", got);

        let mut ref_grads = Net::ZERO;
        let terms = std::num::NonZeroUsize::new(B).expect("B > 0");
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

    /// Huge but finite weights: the hidden activations are 1e38..3e38 and a tiny output
    /// weight brings the prediction back to 0.2..6, so the loss is finite, but the output
    /// weight's gradient (the sum over 4 samples of activation x output gradient, each output
    /// gradient at least 2 in magnitude and of the same sign) overflows: refused as a
    /// non-finite gradient, from warmed-up optimizer state, with and without clipping.
    #[test]
    fn overflowing_gradients_change_nothing(
        kind in 0u8..3,
        w1 in prop::array::uniform2(1e29f32..1.5e29),
        w2 in prop::array::uniform2(1e-39f32..1e-38),
        xs in prop::array::uniform4(prop::array::uniform2(5e8f32..1e9)),
        ys in prop::array::uniform4(prop::array::uniform1(10.0f32..20.0)),
        clip in prop::option::of(0.1f64..10.0),
    ) {
        type Chain = (Linear<f32, 2, 2>, Linear<f32, 2, 1>);
        #[derive(Clone)]
        enum ChainOpt { Sgd(Sgd<f32>), Momentum(SgdMomentum<f32, Chain>), Adam(Adam<f32, Chain>) }
        impl Optimizer<f32, Chain> for ChainOpt {
            fn update(&mut self, model: &mut Chain, grads: &mut Chain) -> Result<(), NonFiniteUpdate> {
                match self {
                    ChainOpt::Sgd(o) => o.update(model, grads),
                    ChainOpt::Momentum(o) => o.update(model, grads),
                    ChainOpt::Adam(o) => o.update(model, grads),
                }
            }
        }
        let opt = match kind {
            0 => ChainOpt::Sgd(Sgd::new(0.1).expect("valid")),
            1 => ChainOpt::Momentum(SgdMomentum::new(0.1, 0.9).expect("valid")),
            _ => ChainOpt::Adam(Adam::new()),
        };
        let state = |o: &ChainOpt| match o {
            ChainOpt::Sgd(_) => Vec::new(),
            ChainOpt::Momentum(o) => { let mut b = bits(o.buffer()); b.push(u64::from(o.started())); b }
            ChainOpt::Adam(o) => { let mut b = bits(o.first_moment()); b.extend(bits(o.second_moment())); b.push(u64::from(o.steps())); b }
        };
        // Warm up on a benign batch, so that the optimizer state is not zero.
        let mut model: Chain = Params::torch_init(&mut TorchInit::new(1));
        let mut buffers = Buffers::<Chain, [f32; 2]>::ZERO;
        let mut opt = opt;
        {
            let mut t = Trainer::new(&mut model, &mut buffers, &mut opt, Mse);
            prop_assert!(t.step(&[[1.0, -1.0]; 4], &[[0.5]; 4]).is_ok());
        }
        // Both hidden units see the same huge activation, positive inputs only.
        model = (Linear::new([w1, w1], [0.0; 2]), Linear::new([w2], [0.0]));
        let (before, state_before) = (bits(&model), state(&opt));
        let got = {
            let t = Trainer::new(&mut model, &mut buffers, &mut opt, Mse);
            match clip {
                None => { let mut t = t; t.step(&xs, &ys) }
                Some(c) => t.with_max_grad_norm(c).expect("valid").step(&xs, &ys),
            }
        };
        prop_assert_eq!(got, Err(StepError::NonFiniteGradient));
        prop_assert_eq!(bits(&model), before);
        prop_assert_eq!(state(&opt), state_before);
        prop_assert!(bits(buffers.grads()).iter().all(|b| *b == 0));
    }

    /// Random hyperparameters (learning rates up to 1e38, any momentum and weight decay),
    /// weights scaled up to near overflow and hostile batches (huge, tiny, subnormal values),
    /// through every optimizer with and without clipping: after `Ok`, every weight and state
    /// value is finite; after `Err`, nothing changed.
    #[test]
    fn hostile_steps_keep_the_transaction(
        seed in any::<u64>(),
        kind in 0u8..3,
        lr_exp in -8.0f64..38.0,
        wd in prop_oneof![Just(0.0f64), 0.0f64..10.0],
        momentum in 0.0f64..0.999,
        weight_scale_exp in 0.0f32..37.0,
        xs in prop::array::uniform4(prop::array::uniform2(prop_oneof![-1e38f32..1e38, -3.0f32..3.0, Just(1e-45f32), Just(0.0f32)])),
        ys in prop::array::uniform4(prop::array::uniform1(prop_oneof![-1e38f32..1e38, -3.0f32..3.0])),
        clip in prop::option::of(0.0f64..1e30),
        steps in 1usize..4,
    ) {
        let lr = 10f64.powf(lr_exp);
        let opt = Opt::with(kind, lr, wd, momentum).expect("valid hyperparameters");
        let mut run = Run::new(seed, opt, clip);
        let scale = 10f32.powf(weight_scale_exp);
        let values: Vec<f32> = flatten(&run.model).iter().map(|v| v * scale).collect();
        prop_assert!(run.model.load_flat(&values).is_ok());
        for _ in 0..steps {
            let before = run.snapshot();
            match run.step(&xs, &ys) {
                Ok(_) => {
                    prop_assert!(run.model.all_finite(), "a weight is not finite after Ok");
                    prop_assert!(run.opt.state_finite(), "a state value is not finite after Ok");
                    prop_assert!(run.grads_zero());
                }
                Err(_) => run.assert_unchanged(&before)?,
            }
        }
    }
}

/// Gradients are zero between steps by construction: `Buffers` start at zero, and a trainer
/// only hands out a read-only view.
#[test]
fn fresh_buffers_hold_zero_gradients() {
    let buffers = Buffers::<Net, [f32; 2]>::ZERO;
    assert!(bits(buffers.grads()).iter().all(|b| *b == 0));
    assert_eq!(
        <Net as Params<f32>>::TRAINABLE,
        <<Net as Layer>::Grads as Params<f32>>::LEN
    );
}
