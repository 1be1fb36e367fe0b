//! A sampled version of `skipgrad exhaustive-gelu`: about four million `f32` bit patterns
//! spread over the whole range, plus edge cases and the neighbourhoods of the worst cases the
//! exhaustive run found, held to the same bounds.
//!
//! The bounds are those of the default (libm) `tanh`; a build of the core with its
//! `micromath` feature has absolute error bounds instead, sampled by
//! `host-harness/tests/micromath.rs` and measured over every `f32` by
//! `skipgrad exhaustive-gelu --micromath`.

use skipgrad_harness::exhaustive::{
    scan_all, scan_range, Summary, DERIVATIVE_MIXED_BOUND, TANH_ULP_BOUND, VALUE_MIXED_BOUND,
};

fn assert_within_bounds(s: &Summary) {
    assert_eq!(s.value.non_finite, 0, "{s:#?}");
    assert_eq!(s.derivative.non_finite, 0, "{s:#?}");
    assert_eq!(s.tanh.non_finite, 0, "{s:#?}");
    assert!(s.value.mixed.error <= VALUE_MIXED_BOUND, "{:#?}", s.value);
    assert!(
        s.derivative.mixed.error <= DERIVATIVE_MIXED_BOUND,
        "{:#?}",
        s.derivative
    );
    assert!(s.tanh.ulp.error <= TANH_ULP_BOUND, "{:#?}", s.tanh);
    assert!(s.within_bounds());
}

#[test]
fn every_1021st_pattern() {
    // 1021 is prime, so the samples cover every exponent with varied mantissas.
    let s = scan_all(1021, 2);
    assert_eq!(s.checked, 4_190_196);
    assert_within_bounds(&s);
    // Non-negative inputs: GELU has no cancellation there, a few ulp at most. (The
    // derivative is at least 0.5 there, so its `mixed` figure above is already its ulp error.)
    assert!(s.value.ulp_nonnegative.error <= 4.0, "{:#?}", s.value);
}

#[test]
fn edge_cases() {
    let mut s = Summary::default();
    let edges: [u32; 14] = [
        0x0000_0000, // +0
        0x8000_0000, // -0
        0x0000_0001, // smallest subnormal
        0x8000_0001,
        0x007f_ffff, // largest subnormal
        0x0080_0000, // smallest normal
        0x8080_0000,
        0x3f80_0000, // 1
        0xbf80_0000, // -1
        0x7f7f_ffff, // f32::MAX
        0xff7f_ffff, // -f32::MAX
        0x7f80_0000, // +inf: skipped
        0xff80_0000, // -inf: skipped
        0x7fc0_0000, // NaN: skipped
    ];
    for bits in edges {
        s.check(bits);
    }
    assert_eq!(s.checked, 11);
    assert_within_bounds(&s);
}

/// Dense scans where the errors are largest: the derivative's zero crossing (`x ~ -0.7518`),
/// the left tail where `tanh` saturates (`x` in `[-6, -4.5]`), and the worst inputs of the
/// exhaustive run.
#[test]
fn worst_neighbourhoods() {
    let mut s = Summary::default();
    let around = |bits: u32, radius: u32| (bits - radius, bits + radius);
    let ranges = [
        around((-0.7518f32).to_bits(), 1 << 16),
        around(0xc0a5_0d26, 1 << 16), // derivative, x = -5.157855
        around(0x3f90_9755, 1 << 12), // value, x = 1.1296183
        around(0x3f0d_3083, 1 << 12), // tanh, x = 0.5515215
        around(0x4096_bf84, 1 << 12), // value, largest absolute error
    ];
    for (lo, hi) in ranges {
        s.merge(&scan_range(lo, hi, 1));
    }
    // x in [-6, -4.5], every 7th pattern.
    s.merge(&scan_range((-4.5f32).to_bits(), (-6.0f32).to_bits(), 7));
    assert_within_bounds(&s);
    // The worst derivative input of the exhaustive run is in the scan: the figure is attained.
    assert!(s.derivative.mixed.error > 9.0, "{:#?}", s.derivative);
}
