//! The core's `micromath` `tanh` (build with `--features micromath`; CI runs `cargo test
//! --release -p skipgrad-harness --features micromath --lib --test micromath`): a sampled
//! version of `skipgrad exhaustive-gelu --micromath`, held to the absolute error bounds of
//! `skipgrad_harness::exhaustive`, plus every input where micromath 2.1's `exp` made the
//! formula NaN before `tanh` saturated.
#![cfg(feature = "micromath")]

use skipgrad_harness::exhaustive::{
    scan_all, scan_range, Summary, MICROMATH_DERIVATIVE_ABS_BOUND, MICROMATH_TANH_ABS_BOUND,
    MICROMATH_VALUE_ABS_BOUND,
};

fn assert_within_bounds(s: &Summary) {
    eprintln!(
        "micromath abs errors: tanh {:.4e}, value {:.4e}, derivative {:.4e} over {} inputs",
        s.tanh.abs.error, s.value.abs.error, s.derivative.abs.error, s.checked
    );
    assert!(s.all_finite(), "{s:#?}");
    assert!(
        s.tanh.abs.error <= MICROMATH_TANH_ABS_BOUND,
        "{:#?}",
        s.tanh
    );
    assert!(
        s.value.abs.error <= MICROMATH_VALUE_ABS_BOUND,
        "{:#?}",
        s.value
    );
    assert!(
        s.derivative.abs.error <= MICROMATH_DERIVATIVE_ABS_BOUND,
        "{:#?}",
        s.derivative
    );
    assert!(s.within_micromath_bounds());
}

#[test]
fn every_1021st_pattern() {
    let s = scan_all(1021, 2);
    assert_eq!(s.checked, 4_190_196);
    assert_within_bounds(&s);
}

/// Every pattern of `±[10.0, 10.1]` and `±[44.3, 44.8]` (where the unsaturated formula gave
/// NaN), of `±[9.4, 9.6]` (the saturation threshold), and the worst tanh input of the
/// exhaustive run with its neighbours.
#[test]
fn former_nan_ranges_and_the_worst_neighbourhood() {
    let mut s = Summary::default();
    for (lo, hi) in [(10.0f32, 10.1f32), (44.3, 44.8), (9.4, 9.6)] {
        s.merge(&scan_range(lo.to_bits(), hi.to_bits(), 1));
        s.merge(&scan_range((-lo).to_bits(), (-hi).to_bits(), 1));
    }
    s.merge(&scan_range(
        WORST_TANH - (1 << 12),
        WORST_TANH + (1 << 12),
        1,
    ));
    assert_within_bounds(&s);
}

/// The input of the largest tanh error over every finite `f32` (the exhaustive run).
const WORST_TANH: u32 = 0xbeb1_720d;
