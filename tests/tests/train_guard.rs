//! The guarded training step under bad data: a batch with a NaN or an infinity anywhere, or
//! gradients that overflow, is refused and leaves the model and the optimizer bit for bit as
//! they were; a clean batch always steps, exactly as forward/backward + `Optimizer::step`.

use proptest::prelude::*;
use skipgrad::{
    train_step, Adam, Gelu, Linear, Module, Optimizer, Params, Residual, Sgd, SgdMomentum,
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
enum Opt {
    Sgd(Sgd<f32>),
    Momentum(SgdMomentum<f32, Net>),
    Adam(Adam<f32, Net>),
}

impl Opt {
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

impl Optimizer<f32, Net> for Opt {
    fn step(&mut self, model: &mut Net, grads: &Net) {
        match self {
            Opt::Sgd(o) => o.step(model, grads),
            Opt::Momentum(o) => o.step(model, grads),
            Opt::Adam(o) => o.step(model, grads),
        }
    }
}

fn bits<M: Params<f32>>(m: &M) -> Vec<u64> {
    let mut out = Vec::new();
    m.for_each_tensor(&mut |t| out.extend(t.iter().map(|v| u64::from(v.to_bits()))));
    out
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
) -> (Net, Net, Cache, Opt) {
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
        #[derive(Clone)]
        enum ChainOpt { Sgd(Sgd<f32>), Momentum(SgdMomentum<f32, Chain>), Adam(Adam<f32, Chain>) }
        impl Optimizer<f32, Chain> for ChainOpt {
            fn step(&mut self, model: &mut Chain, grads: &Chain) {
                match self {
                    ChainOpt::Sgd(o) => o.step(model, grads),
                    ChainOpt::Momentum(o) => o.step(model, grads),
                    ChainOpt::Adam(o) => o.step(model, grads),
                }
            }
        }
        let mut opt = match kind {
            0 => ChainOpt::Sgd(Sgd::new(0.1)),
            1 => ChainOpt::Momentum(SgdMomentum::new(0.1, 0.9)),
            _ => ChainOpt::Adam(Adam::new()),
        };
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
        let untouched = match &opt {
            ChainOpt::Sgd(_) => true,
            ChainOpt::Momentum(o) => !o.started() && bits(o.buffer()) == bits(&Chain::zeroed()),
            ChainOpt::Adam(o) => o.steps() == 0 && bits(o.first_moment()) == bits(&Chain::zeroed()),
        };
        prop_assert!(untouched);
    }
}
