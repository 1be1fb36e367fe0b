//! LayerNorm and the losses at extreme magnitudes: inputs drawn uniformly over the bit
//! patterns of every finite `f32` and `f64` (so every exponent, subnormals and zeros, both
//! signs, as likely as each other), at the sizes the gradient properties use.
//!
//! - `LayerNorm`: output, input gradient and parameter gradients finite for every finite
//!   input (output gradients in `±2`).
//! - Losses: the gradient finite for every finite prediction and accepted target; the loss
//!   never NaN, and finite whenever its exact value is representable with room to spare
//!   (every magnitude at most `MAX / (4 N)`); beyond that it may be `+inf`, which a trainer
//!   refuses as `StepError::NonFiniteLoss`.
//!
//! 256 cases per property (`PROPTEST_CASES=N` for more).

mod common;

use common::config;
use proptest::prelude::*;
use skipgrad::{BceWithLogits, CrossEntropy, Float, Huber, LayerNorm, Loss, Module, Zeroed};

/// Every finite value of a float type, uniform over its bit patterns.
trait AnyFinite: Float {
    fn any_finite() -> BoxedStrategy<Self>;
    const MAX: Self;
}

impl AnyFinite for f32 {
    fn any_finite() -> BoxedStrategy<f32> {
        any::<u32>()
            .prop_map(f32::from_bits)
            .prop_filter("finite", |x| x.is_finite())
            .boxed()
    }
    const MAX: f32 = f32::MAX;
}

impl AnyFinite for f64 {
    fn any_finite() -> BoxedStrategy<f64> {
        any::<u64>()
            .prop_map(f64::from_bits)
            .prop_filter("finite", |x| x.is_finite())
            .boxed()
    }
    const MAX: f64 = f64::MAX;
}

fn rows<T: AnyFinite, const N: usize, const B: usize>() -> impl Strategy<Value = [[T; N]; B]> {
    proptest::collection::vec(T::any_finite(), N * B).prop_map(|v| {
        let mut out = [[T::ZERO; N]; B];
        out.iter_mut().flatten().zip(v).for_each(|(o, v)| *o = v);
        out
    })
}

/// Magnitudes at most `MAX / (4 N)`: the loss's exact value is then representable.
fn moderate<T: AnyFinite, const N: usize>(values: &[T]) -> bool {
    let limit = T::MAX / T::from_usize(4 * N);
    values.iter().all(|v| v.abs() <= limit)
}

fn layer_norm<T: AnyFinite, const N: usize>(
    x: &[[T; N]; 3],
    w: &[T; N],
    b: &[T; N],
    dy: &[[f64; N]; 3],
) -> Result<(), TestCaseError> {
    let ln = LayerNorm::new(*w, *b);
    let mut grads = LayerNorm::<T, N>::ZERO;
    for (x, dy) in x.iter().zip(dy) {
        let mut cache = Zeroed::ZERO;
        let y = ln.forward(x, &mut cache);
        prop_assert!(y.iter().all(|v| v.is_finite()), "{x:?} -> {y:?}");
        prop_assert_eq!(y, ln.infer(x));
        let dx = ln.backward(&cache, &dy.map(T::from_f64), &mut grads);
        prop_assert!(dx.iter().all(|v| v.is_finite()), "{x:?}: dx {dx:?}");
    }
    prop_assert!(
        grads
            .weight
            .iter()
            .chain(&grads.bias)
            .all(|v| v.is_finite()),
        "{x:?}: {grads:?}"
    );
    Ok(())
}

fn cross_entropy<T: AnyFinite, const N: usize>(y: &[T; N], t: usize) -> Result<(), TestCaseError> {
    let g = CrossEntropy.sample_gradient(y, &t);
    prop_assert!(g.iter().all(|v| v.is_finite()), "{y:?}, {t}: {g:?}");
    let l = CrossEntropy.loss(y, &t);
    prop_assert!(l >= T::ZERO, "{y:?}, {t}: {l}");
    if moderate::<T, N>(y) {
        prop_assert!(l.is_finite(), "{y:?}, {t}: {l}");
    }
    Ok(())
}

fn bce<T: AnyFinite, const N: usize>(y: &[T; N], t: &[T; N]) -> Result<(), TestCaseError> {
    let g = BceWithLogits.sample_gradient(y, t);
    prop_assert!(g.iter().all(|v| v.is_finite()), "{y:?}, {t:?}: {g:?}");
    let l = BceWithLogits.loss(y, t);
    prop_assert!(l >= T::ZERO, "{y:?}, {t:?}: {l}");
    if moderate::<T, N>(y) {
        prop_assert!(l.is_finite(), "{y:?}, {t:?}: {l}");
    }
    Ok(())
}

fn huber<T: AnyFinite, const N: usize>(y: &[T; N], t: &[T; N]) -> Result<(), TestCaseError> {
    let g = Huber.sample_gradient(y, t);
    prop_assert!(g.iter().all(|v| v.is_finite()), "{y:?}, {t:?}: {g:?}");
    let l = Huber.loss(y, t);
    prop_assert!(l >= T::ZERO, "{y:?}, {t:?}: {l}");
    if moderate::<T, N>(y) && moderate::<T, N>(t) {
        prop_assert!(l.is_finite(), "{y:?}, {t:?}: {l}");
    }
    Ok(())
}

macro_rules! extremes {
    ($($module:ident: $t:ty, $n:literal),* $(,)?) => {$(
        mod $module {
            use super::*;

            const N: usize = $n;

            proptest! {
                #![proptest_config(config())]

                #[test]
                fn layer_norm_is_finite(
                    x in rows::<$t, N, 3>(),
                    wb in rows::<$t, N, 2>(),
                    dy in proptest::array::uniform::<_, 3>(
                        proptest::array::uniform::<_, N>(-2.0..2.0f64),
                    ),
                ) {
                    // Moderate scale and shift: an extreme weight times a normalised value
                    // of up to sqrt(N) may overflow, as it would in any number type.
                    let [w, b] = wb.map(|r| r.map(|v| v.max(-4.0).min(4.0)));
                    layer_norm::<$t, N>(&x, &w, &b, &dy)?;
                }

                #[test]
                fn cross_entropy_is_stable(y in rows::<$t, N, 1>(), t in 0..N) {
                    cross_entropy::<$t, N>(&y[0], t)?;
                }

                #[test]
                fn bce_with_logits_is_stable(
                    y in rows::<$t, N, 1>(),
                    t in proptest::array::uniform::<_, N>(
                        prop_oneof![Just(0.0), Just(1.0), 0.0..=1.0f64],
                    ),
                ) {
                    bce::<$t, N>(&y[0], &t.map(<$t as skipgrad::Scalar>::from_f64))?;
                }

                #[test]
                fn huber_is_stable(yt in rows::<$t, N, 2>()) {
                    huber::<$t, N>(&yt[0], &yt[1])?;
                }
            }
        }
    )*};
}

extremes!(
    f32_n1: f32, 1,
    f32_n2: f32, 2,
    f32_n3: f32, 3,
    f32_n7: f32, 7,
    f32_n16: f32, 16,
    f64_n1: f64, 1,
    f64_n2: f64, 2,
    f64_n3: f64, 3,
    f64_n7: f64, 7,
    f64_n16: f64, 16,
);

/// The bounds of the statements above are attained: an input just past them overflows the
/// loss to `+inf`, never to NaN, while the gradient stays finite.
#[test]
fn overflow_is_infinity_not_nan() {
    let max = f32::MAX;
    assert_eq!(CrossEntropy.loss(&[max, -max], &1), f32::INFINITY);
    assert_eq!(Huber.loss(&[max, max], &[-max, -max]), f32::INFINITY);
    assert_eq!(BceWithLogits.loss(&[max, max], &[0.0, 0.0]), f32::INFINITY);
    let g = CrossEntropy.sample_gradient(&[max, -max], &1);
    assert_eq!(g, [1.0, -1.0]);
}
