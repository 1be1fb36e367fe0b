//! Every analytic gradient of the core against finite differences, on random shapes, weights
//! and inputs (see `skipgrad_harness::gradcheck` for the method and the error measure).
//!
//! Each property runs 256 cases by default (`PROPTEST_CASES=N` for more). A failing case is
//! shrunk and printed with its shape, its named weights, inputs and targets.

mod common;

use common::{
    assert_gradients, assert_gradients_with, assert_loss_gradients, away_from, case, config,
    layer_norm_config, torch_case, wide_case, Case, Identity,
};
use proptest::prelude::*;
use skipgrad::{
    BceWithLogits, CrossEntropy, Gelu, GeluErf, Huber, LayerNorm, LeakyRelu, Linear, Loss, Module,
    Mse, Relu, Residual, Sigmoid, Silu, Tanh, Zeroed,
};
use skipgrad_harness::notebook::{Plain, WithShortcut};

/// Twice PyTorch's initial weight range for a fan-in of `n`: `2 / sqrt(n)`.
fn scale(n: usize) -> f64 {
    2.0 / (n as f64).sqrt()
}

/// A case of a piecewise-linear activation with no input within 0.01 of its kink at 0.
fn kinked_case<M, const N: usize, const B: usize>(
    approx: fn(f64) -> f64,
) -> impl Strategy<Value = Case<M, N, N, B>>
where
    M: skipgrad::Params<f64> + Zeroed + Clone + 'static,
{
    wide_case::<M, N, B>(approx).prop_map(|mut c| {
        c.inputs
            .iter_mut()
            .flatten()
            .for_each(|x| *x = away_from(0.0, 0.01, *x));
        c
    })
}

/// Logits in `±10` and a class index for each of `B` samples.
fn logits_and_classes<const N: usize, const B: usize>(
) -> impl Strategy<Value = ([[f64; N]; B], [usize; B])> {
    (
        proptest::array::uniform::<_, B>(proptest::array::uniform::<_, N>(-10.0..10.0f64)),
        proptest::array::uniform::<_, B>(0..N),
    )
}

/// Logits in `±10` and probabilities (a third of them exactly 0 or 1).
fn logits_and_probabilities<const N: usize, const B: usize>(
) -> impl Strategy<Value = ([[f64; N]; B], [[f64; N]; B])> {
    // A flat vector: an array of union strategies overflows a debug build's test stack.
    let p = prop_oneof![Just(0.0), Just(1.0), 0.0..=1.0f64];
    (
        proptest::array::uniform::<_, B>(proptest::array::uniform::<_, N>(-10.0..10.0f64)),
        proptest::collection::vec(p, N * B).prop_map(|v| {
            let mut t = [[0.0; N]; B];
            t.iter_mut().flatten().zip(v).for_each(|(t, v)| *t = v);
            t
        }),
    )
}

/// Predictions and targets in `±2` whose differences stay 0.01 away from Huber's kink at
/// `|y - t| = 1` (its second derivative jumps there).
fn huber_pairs<const N: usize, const B: usize>(
) -> impl Strategy<Value = ([[f64; N]; B], [[f64; N]; B])> {
    let row = || proptest::array::uniform::<_, N>(-2.0..2.0f64);
    (
        proptest::array::uniform::<_, B>(row()),
        proptest::array::uniform::<_, B>(row()),
    )
        .prop_map(|(y, mut t)| {
            for (y, t) in y.iter().flatten().zip(t.iter_mut().flatten()) {
                let d = y - *t;
                *t = y - d.signum() * away_from(1.0, 0.01, d.abs());
            }
            (y, t)
        })
}

macro_rules! size_properties {
    ($($module:ident: $n:literal),* $(,)?) => {$(
        mod $module {
            use super::*;

            const N: usize = $n;
            type Block = (Linear<f64, N, N>, Gelu);

            proptest! {
                #![proptest_config(config())]

                #[test]
                fn linear_square(c in case::<Linear<f64, N, N>, N, N, 3>(scale(N))) {
                    assert_gradients(&c)?;
                }

                #[test]
                fn linear_to_3(c in case::<Linear<f64, N, 3>, N, 3, 3>(scale(N))) {
                    assert_gradients(&c)?;
                }

                #[test]
                fn linear_from_3(c in case::<Linear<f64, 3, N>, 3, N, 3>(scale(3))) {
                    assert_gradients(&c)?;
                }

                /// Inputs in `±10` and a log-scale tail to `±10^4`: the saturated tails too
                /// (GELU is `x` far right and `0` far left).
                #[test]
                fn gelu(c in wide_case::<Gelu, N, 3>(|x| x.max(0.0))) {
                    assert_gradients(&c)?;
                }

                #[test]
                fn gelu_erf(c in wide_case::<GeluErf, N, 3>(|x| x.max(0.0))) {
                    assert_gradients(&c)?;
                }

                /// Inputs at least 0.01 from the kink at 0.
                #[test]
                fn relu(c in kinked_case::<Relu, N, 3>(|x| x.max(0.0))) {
                    assert_gradients(&c)?;
                }

                #[test]
                fn leaky_relu(c in kinked_case::<LeakyRelu, N, 3>(|x| x.max(0.01 * x))) {
                    assert_gradients(&c)?;
                }

                #[test]
                fn leaky_relu_steep(c in kinked_case::<LeakyRelu<-3, 2>, N, 3>(|x| x.max(-1.5 * x))) {
                    assert_gradients(&c)?;
                }

                #[test]
                fn sigmoid(c in wide_case::<Sigmoid, N, 3>(|_| 0.5)) {
                    assert_gradients(&c)?;
                }

                #[test]
                fn tanh(c in wide_case::<Tanh, N, 3>(|_| 0.0)) {
                    assert_gradients(&c)?;
                }

                #[test]
                fn silu(c in wide_case::<Silu, N, 3>(|x| x.max(0.0))) {
                    assert_gradients(&c)?;
                }

                /// Weights and shifts in `±2`, inputs in `±2` (equal inputs too, where the
                /// variance is 0); the checker's finer step (see `layer_norm_config`).
                #[test]
                fn layer_norm(c in case::<LayerNorm<f64, N>, N, N, 3>(2.0)) {
                    assert_gradients_with(&c, &layer_norm_config())?;
                }

                /// LayerNorm before each block, inside its shortcut.
                #[test]
                fn pre_norm_block(
                    c in case::<[Residual<(LayerNorm<f64, N>, Linear<f64, N, N>, Gelu)>; 2], N, N, 2>(
                        scale(N),
                    )
                ) {
                    assert_gradients_with(&c, &layer_norm_config())?;
                }

                #[test]
                fn cross_entropy((y, t) in logits_and_classes::<N, 5>()) {
                    assert_loss_gradients(&Identity, &CrossEntropy, &y, &t)?;
                }

                #[test]
                fn cross_entropy_after_a_layer(
                    (model, (x, t)) in (
                        case::<Linear<f64, N, N>, N, N, 1>(scale(N)).prop_map(|c| c.model),
                        logits_and_classes::<N, 3>(),
                    )
                ) {
                    assert_loss_gradients(&model, &CrossEntropy, &x, &t)?;
                }

                #[test]
                fn bce_with_logits((y, t) in logits_and_probabilities::<N, 5>()) {
                    assert_loss_gradients(&Identity, &BceWithLogits, &y, &t)?;
                }

                #[test]
                fn huber((y, t) in huber_pairs::<N, 5>()) {
                    assert_loss_gradients(&Identity, &Huber, &y, &t)?;
                }

                #[test]
                fn residual_block(c in case::<Residual<Block>, N, N, 3>(scale(N))) {
                    assert_gradients(&c)?;
                }

                #[test]
                fn residual_gelu(c in wide_case::<Residual<Gelu>, N, 3>(|x| x + x.max(0.0))) {
                    assert_gradients(&c)?;
                }

                #[test]
                fn mse_single_sample(c in case::<Identity, N, N, 1>(1.0)) {
                    assert_gradients(&c)?;
                    // The batch loss of one sample is the per-sample loss, bit for bit.
                    let [x] = c.inputs;
                    let [t] = c.targets;
                    prop_assert_eq!(
                        Mse.batch_loss(&c.inputs, &c.targets).to_bits(),
                        Mse.loss(&x, &t).to_bits()
                    );
                    let n = std::num::NonZeroUsize::new(N).unwrap_or(std::num::NonZeroUsize::MIN);
                    prop_assert_eq!(Mse.gradient(&x, &t, n), Mse.sample_gradient(&x, &t));
                }

                #[test]
                fn mse_batch(c in case::<Identity, N, N, 5>(1.0)) {
                    assert_gradients(&c)?;
                }

                #[test]
                fn tuple_sequence(
                    c in case::<(Linear<f64, N, N>, Gelu, Residual<Block>, Linear<f64, N, 2>), N, 2, 4>(
                        scale(N),
                    )
                ) {
                    assert_gradients(&c)?;
                }

                #[test]
                fn array_sequence(c in case::<[Residual<Block>; 3], N, N, 2>(scale(N))) {
                    assert_gradients(&c)?;
                }

                #[test]
                fn array_equals_tuple(c in case::<[Residual<Block>; 3], N, N, 1>(scale(N))) {
                    let arr = c.model;
                    let [a, b, d] = arr;
                    let tuple = (a, b, d);
                    let [x] = c.inputs;
                    let [dy] = c.targets;
                    let (mut ca, mut ct) = (Zeroed::ZERO, Zeroed::ZERO);
                    let ya = arr.forward(&x, &mut ca);
                    prop_assert_eq!(ya, tuple.forward(&x, &mut ct));
                    prop_assert_eq!(ya, arr.infer(&x));
                    prop_assert_eq!(ya, tuple.infer(&x));
                    let mut ga = <[Residual<Block>; 3]>::ZERO;
                    let mut gt = <(Residual<Block>, Residual<Block>, Residual<Block>)>::ZERO;
                    prop_assert_eq!(arr.backward(&ca, &dy, &mut ga), tuple.backward(&ct, &dy, &mut gt));
                    prop_assert_eq!(ga, [gt.0, gt.1, gt.2]);
                }
            }
        }
    )*};
}

size_properties!(n1: 1, n2: 2, n3: 3, n7: 7, n16: 16);

proptest! {
    #![proptest_config(config())]

    #[test]
    fn notebook_plain(c in case::<Plain<f64>, 3, 1, 4>(scale(3))) {
        assert_gradients(&c)?;
    }

    #[test]
    fn notebook_with_shortcut(c in case::<WithShortcut<f64>, 3, 1, 4>(scale(3))) {
        assert_gradients(&c)?;
    }

    #[test]
    fn notebook_plain_torch_init(c in torch_case::<Plain<f64>, 3, 1, 6>()) {
        assert_gradients(&c)?;
    }

    #[test]
    fn notebook_with_shortcut_torch_init(c in torch_case::<WithShortcut<f64>, 3, 1, 6>()) {
        assert_gradients(&c)?;
    }

    #[test]
    fn notebook_with_shortcut_single_sample(c in case::<WithShortcut<f64>, 3, 1, 1>(scale(3))) {
        assert_gradients(&c)?;
    }
}

/// The printed counterexample names the shape, every weight tensor, the inputs and targets.
#[test]
fn case_debug_is_readable() {
    let c: Case<(Linear<f64, 2, 1>, Gelu), 2, 1, 1> = Case {
        model: (Linear::new([[0.5, -1.0]], [0.25]), Gelu),
        inputs: [[1.0, 2.0]],
        targets: [[0.0]],
    };
    let text = format!("{c:?}");
    for want in [
        "shape: (Linear<f64, 2, 1>, Gelu) : [f64; 2] -> [f64; 1], batch of 1",
        "0.weight = [0.5, -1.0]",
        "0.bias = [0.25]",
        "inputs: [[1.0, 2.0]]",
        "targets: [[0.0]]",
    ] {
        assert!(text.contains(want), "{want:?} not in\n{text}");
    }
}

/// 256 cases by default, `PROPTEST_CASES` when it is set (proptest reads it in
/// `ProptestConfig::default()`, which `config()` returns unchanged).
#[test]
fn case_count_follows_proptest_cases() {
    let want = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
        .unwrap_or(256);
    assert_eq!(config().cases, want);
}
