//! The guarded training step under bad data and bad weights, through the public
//! [`train_step`] with each optimizer's own `step_and_zero` (so `Sgd`'s fused update runs,
//! as it does for users):
//!
//! - a batch with a NaN or an infinity anywhere is refused before anything is computed;
//! - a warmed-up model with a poisoned parameter (NaN, an infinity, or a huge finite value
//!   that overflows the loss or the gradients) is refused with `NonFiniteLoss` or
//!   `NonFiniteGradient`, each seen for every optimizer;
//! - a refusal leaves the model and the whole optimizer state (momentum buffer and its flag,
//!   Adam's two moments and step count, every hyperparameter) bit for bit as they were, and
//!   the gradients zero;
//! - a clean batch always steps, exactly as forward/backward + `Optimizer::step`.

use std::cell::RefCell;
use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use skipgrad::{
    train_step, Adam, Gelu, Linear, Module, Mse, Optimizer, Params, Residual, Sgd, SgdMomentum,
    StepError, TorchInit, Zeroed,
};

type Net = (
    Linear<f32, 2, 4>,
    Gelu,
    Residual<(Linear<f32, 4, 4>, Gelu)>,
    Linear<f32, 4, 1>,
);
type Cache = <Net as Module<[f32; 2]>>::Cache;
const B: usize = 4;

/// The three optimizers behind one type, so one property covers them all.
#[derive(Clone)]
enum Opt<M> {
    Sgd(Sgd<f32>),
    Momentum(SgdMomentum<f32, M>),
    Adam(Adam<f32, M>),
}

const KINDS: [&str; 3] = ["Sgd", "SgdMomentum", "Adam"];

impl<M: Params<f32>> Opt<M> {
    fn new(kind: u8) -> Self {
        match kind % 3 {
            0 => Opt::Sgd(Sgd::new(0.05).with_weight_decay(1e-3)),
            1 => Opt::Momentum(SgdMomentum::new(0.05, 0.9).with_weight_decay(1e-3)),
            _ => Opt::Adam(Adam::new().with_lr(1e-2)),
        }
    }

    /// Every bit of the optimizer's state and hyperparameters.
    fn bits(&self) -> Vec<u64> {
        match self {
            Opt::Sgd(s) => vec![
                u64::from(s.lr.to_bits()),
                u64::from(s.weight_decay.to_bits()),
            ],
            Opt::Momentum(s) => {
                let mut b = bits(s.buffer());
                b.push(u64::from(s.started()));
                b.extend(
                    [s.lr, s.momentum, s.dampening, s.weight_decay].map(|v| u64::from(v.to_bits())),
                );
                b
            }
            Opt::Adam(a) => {
                let mut b = bits(a.first_moment());
                b.extend(bits(a.second_moment()));
                b.push(u64::from(a.steps()));
                b.extend([a.lr, a.beta1, a.beta2, a.eps, a.weight_decay].map(f64::to_bits));
                b
            }
        }
    }
}

/// Forwards both `step` and `step_and_zero`, so `train_step` runs each optimizer's own fused
/// path (`Sgd` overrides it), not the trait's default.
impl<M: Params<f32>> Optimizer<f32, M> for Opt<M> {
    fn step(&mut self, model: &mut M, grads: &M) {
        match self {
            Opt::Sgd(o) => o.step(model, grads),
            Opt::Momentum(o) => o.step(model, grads),
            Opt::Adam(o) => o.step(model, grads),
        }
    }

    fn step_and_zero(&mut self, model: &mut M, grads: &mut M) {
        match self {
            Opt::Sgd(o) => o.step_and_zero(model, grads),
            Opt::Momentum(o) => o.step_and_zero(model, grads),
            Opt::Adam(o) => o.step_and_zero(model, grads),
        }
    }
}

fn bits<M: Params<f32>>(m: &M) -> Vec<u64> {
    let mut out = Vec::new();
    m.for_each_tensor(&mut |t| out.extend(t.iter().map(|v| u64::from(v.to_bits()))));
    out
}

/// True when every gradient is exactly `+0.0`.
fn all_zero<M: Params<f32>>(g: &M) -> bool {
    bits(g).iter().all(|b| *b == 0)
}

fn batch() -> impl Strategy<Value = ([[f32; 2]; B], [[f32; 1]; B])> {
    (
        prop::array::uniform4(prop::array::uniform2(-3.0f32..3.0)),
        prop::array::uniform4(prop::array::uniform1(-2.0f32..2.0)),
    )
}

fn bad_value() -> impl Strategy<Value = f32> {
    prop_oneof![Just(f32::NAN), Just(f32::INFINITY), Just(f32::NEG_INFINITY)]
}

/// A model after `warmup` clean steps, so that the optimizer state is not all zero.
fn warmed_up(
    seed: u64,
    kind: u8,
    warmup: usize,
    xs: &[[f32; 2]; B],
    ys: &[[f32; 1]; B],
) -> (Net, Net, Cache, Opt<Net>) {
    let mut model: Net = Params::torch_init(&mut TorchInit::new(seed));
    let mut grads = Net::zeroed();
    let mut cache = Cache::zeroed();
    let mut opt = Opt::new(kind);
    for _ in 0..warmup {
        let r = train_step(&mut model, &mut grads, &mut cache, &mut opt, xs, ys, None);
        assert!(r.is_ok(), "clean warm-up step refused: {r:?}");
    }
    (model, grads, cache, opt)
}

/// Sets the `index`-th parameter (in registration order) to `value`.
fn poison<M: Params<f32>>(model: &mut M, index: usize, value: f32) {
    let mut i = 0;
    model.for_each_tensor_mut(&mut |t| {
        for v in t.iter_mut() {
            if i == index {
                *v = value;
            }
            i += 1;
        }
    });
}

/// What `train_step` must answer for this model and batch, worked out independently: the
/// batch loss and gradients sample by sample, then the two checks in order.
fn expected(model: &Net, xs: &[[f32; 2]; B], ys: &[[f32; 1]; B]) -> Result<f32, StepError> {
    let mut grads = Net::zeroed();
    let mut outputs = [[0.0f32; 1]; B];
    for ((x, t), out) in xs.iter().zip(ys).zip(&mut outputs) {
        let mut c = Cache::zeroed();
        let y = model.forward(x, &mut c);
        model.backward(&c, &Mse::gradient_in_batch(&y, t, B), &mut grads);
        *out = y;
    }
    let loss = Mse::batch_loss(&outputs, ys);
    let mut squares = 0.0f32;
    grads.for_each_tensor(&mut |t| t.iter().for_each(|g| squares += g * g));
    if !loss.is_finite() {
        Err(StepError::NonFiniteLoss)
    } else if !squares.is_finite() {
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
    /// `±3e38` in any parameter: the loss overflows, or (a unit GELU turns off) the step
    /// is valid.
    Huge(f32),
    /// A huge value (`1e20` to `3e38`) in the first layer, and the head's weights scaled down
    /// by `1e-30`: the hidden activations are huge, the prediction stays small, and the
    /// head's gradients (activation x output gradient) overflow when squared.
    HugeQuietHead(f32),
}

fn poison_strategy() -> impl Strategy<Value = Poison> {
    let sign = prop_oneof![Just(1.0f32), Just(-1.0f32)];
    prop_oneof![
        bad_value().prop_map(Poison::NonFinite),
        sign.clone().prop_map(|s| Poison::Huge(s * 3e38)),
        (sign, 20.0f32..38.4).prop_map(|(s, e)| Poison::HugeQuietHead(s * 10f32.powf(e))),
    ]
}

/// The first layer's parameter count: its 8 weights and 4 biases come first.
const FIRST_LAYER: usize = 2 * 4 + 4;

/// One poisoned-weights case: returns the error `train_step` gave (`None` for a valid step)
/// after checking everything the refusal promises.
fn check_poisoned(
    seed: u64,
    kind: u8,
    warmup: usize,
    (xs, ys): ([[f32; 2]; B], [[f32; 1]; B]),
    site: usize,
    how: Poison,
    clip: Option<f32>,
) -> Result<Option<StepError>, TestCaseError> {
    let (mut model, mut grads, mut cache, mut opt) = warmed_up(seed, kind, warmup, &xs, &ys);
    match how {
        Poison::NonFinite(v) | Poison::Huge(v) => poison(&mut model, site % Net::LEN, v),
        Poison::HugeQuietHead(v) => {
            poison(&mut model, site % FIRST_LAYER, v);
            for row in &mut model.3.weight {
                row.iter_mut().for_each(|w| *w *= 1e-30);
            }
        }
    }
    let want = expected(&model, &xs, &ys);
    if let Poison::NonFinite(_) = how {
        prop_assert_eq!(want, Err(StepError::NonFiniteLoss));
    }
    let (model_before, opt_before) = (bits(&model), opt.bits());
    prop_assert!(all_zero(&grads), "gradients not zero on entry");
    let got = train_step(&mut model, &mut grads, &mut cache, &mut opt, &xs, &ys, clip);
    prop_assert!(all_zero(&grads), "gradients not zero after {:?}", got);
    match want {
        Ok(loss) => {
            prop_assert_eq!(got.map(f32::to_bits), Ok(loss.to_bits()));
            Ok(None)
        }
        Err(e) => {
            prop_assert_eq!(got, Err(e));
            prop_assert_eq!(bits(&model), model_before, "model changed on {:?}", e);
            prop_assert_eq!(opt.bits(), opt_before, "optimizer state changed on {:?}", e);
            Ok(Some(e))
        }
    }
}

/// Poisoned weights, in a warmed-up model, for every optimizer: each refusal changes nothing,
/// and both the loss and the gradient refusal are seen for each optimizer.
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
        prop::option::of(0.1f32..10.0),
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
        clip in prop::option::of(0.1f32..10.0),
    ) {
        let (mut model, mut grads, mut cache, mut opt) = warmed_up(seed, kind, warmup, &xs, &ys);
        let (model_before, opt_before) = (bits(&model), opt.bits());
        let (mut xs, mut ys) = (xs, ys);
        let want = if in_target {
            ys[sample][0] = bad;
            StepError::NonFiniteTarget
        } else {
            xs[sample][feature] = bad;
            StepError::NonFiniteInput
        };
        let got = train_step(&mut model, &mut grads, &mut cache, &mut opt, &xs, &ys, clip);
        prop_assert_eq!(got, Err(want));
        prop_assert_eq!(bits(&model), model_before);
        prop_assert_eq!(opt.bits(), opt_before);
        prop_assert!(all_zero(&grads));
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
        let (mut model, mut grads, mut cache, mut opt) = warmed_up(seed, kind, warmup, &xs, &ys);
        let (mut ref_model, mut ref_opt) = (model, opt.clone());
        let got = train_step(&mut model, &mut grads, &mut cache, &mut opt, &xs, &ys, None);
        prop_assert!(got.is_ok_and(f32::is_finite), "{:?}", got);

        let mut ref_grads = Net::zeroed();
        for (x, t) in xs.iter().zip(&ys) {
            let mut c = Cache::zeroed();
            let y = ref_model.forward(x, &mut c);
            ref_model.backward(&c, &skipgrad::Mse::gradient_in_batch(&y, t, B), &mut ref_grads);
        }
        ref_opt.step(&mut ref_model, &ref_grads);
        prop_assert_eq!(bits(&model), bits(&ref_model));
        prop_assert_eq!(opt.bits(), ref_opt.bits());
        prop_assert!(all_zero(&grads));
        prop_assert_ne!(bits(&model), bits(&warmed_up(seed, kind, warmup, &xs, &ys).0));
    }

    /// Huge but finite weights: the hidden activations are 1e38..3e38 and a tiny output
    /// weight brings the prediction back to 0.2..6, so the loss is finite, but the output
    /// weight's gradient (the sum over 4 samples of activation x output gradient, each output
    /// gradient at least 2 in magnitude and of the same sign) overflows.
    #[test]
    fn overflowing_gradients_change_nothing(
        kind in 0u8..3,
        w1 in prop::array::uniform2(1e29f32..1.5e29),
        w2 in prop::array::uniform2(1e-39f32..1e-38),
        xs in prop::array::uniform4(prop::array::uniform2(5e8f32..1e9)),
        ys in prop::array::uniform4(prop::array::uniform1(10.0f32..20.0)),
    ) {
        type Chain = (Linear<f32, 2, 2>, Linear<f32, 2, 1>);
        let mut opt = Opt::<Chain>::new(kind);
        // Both hidden units see the same huge activation, positive inputs only.
        let mut model: Chain = (
            Linear::new([w1, w1], [0.0; 2]),
            Linear::new([w2], [0.0]),
        );
        let before = bits(&model);
        let mut grads = Chain::zeroed();
        let mut cache = Zeroed::zeroed();
        let got = train_step(&mut model, &mut grads, &mut cache, &mut opt, &xs, &ys, None);
        prop_assert_eq!(got, Err(StepError::NonFiniteGradient));
        prop_assert_eq!(bits(&model), before);
        prop_assert_eq!(opt.bits(), Opt::<Chain>::new(kind).bits());
        prop_assert!(all_zero(&grads));
    }
}
