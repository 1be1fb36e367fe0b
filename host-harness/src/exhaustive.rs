//! Exhaustive scans of the `f32` activations, the machinery of `skipgrad exhaustive`
//! ([`crate::command::exhaustive`]) and `skipgrad exhaustive-gelu`
//! ([`crate::command::exhaustive_gelu`]): an activation's value and derivative over every
//! finite `f32` against an `f64` evaluation of the same formulas, and the notebook's GELU
//! with the core's `tanh` as well.
//!
//! [`scan_activation`] scans a row of the activation table, as a visitor of it
//! ([`ActivationKind::visit`]): for each finite input, the core type's
//! `value_and_derivative` in `f32` must be finite, and it is compared with the same type's
//! `value_and_derivative` in `f64` on the exact input, with the figures below. Each row's
//! bounds ([`ActivationKind::bounds`]) state the figure that is bounded for it: the error in
//! ulp where the function neither crosses zero nor cancels, the `mixed` error where it does.
//!
//! The rest of this page describes the GELU scan, whose figures are the same.
//!
//! For each finite input `x` (all 2^32 bit patterns minus the 2^24 NaNs and infinities),
//! the `f32` results `y = Gelu::value(x)`, `d = Gelu::derivative(x)` and `t = tanh(x)` (the
//! core's `Float::tanh`: its own polynomial `tanh`, or the `micromath` approximation) must be finite,
//! and each is compared with the same function evaluated in `f64` on the exact input
//! (`Gelu::value::<f64>(x as f64)` and so on, which uses the `f64` constants). Three error
//! figures are reported per function, each with the input bits where it is largest:
//!
//! - `ulp`: `|r32 - r64| / ulp(r32)`, the error in units in the last place of the `f32`
//!   result (`ulp(r) = 2^(e - 23)` for `r` in `[2^e, 2^(e+1))`, `2^-149` for zero and
//!   subnormals); also reported over the non-negative inputs alone (`ulp x>=0`).
//! - `abs`: `|r32 - r64|`.
//! - `mixed`: `|r32 - r64| / max(ulp(r32), 2^-24)`: ulp of the result, but never finer than
//!   the ulp of `0.5`. For results of magnitude at least `0.5` it is the ulp error; below
//!   that it is the absolute error in units of `2^-24 ~ 6e-8`.
//!
//! The `ulp` figure is unbounded in two places for reasons of the formula, not of the
//! implementation: where `1 + tanh(...)` cancels (the left tail, `x < -3`, where GELU is
//! tiny and `f32` rounding of `tanh` near `-1` leaves only a few significant bits), and where
//! the derivative crosses zero (`x ~ -0.7518`, where any absolute error is a huge relative
//! one). The `mixed` figure is the one that is bounded ([`VALUE_MIXED_BOUND`],
//! [`DERIVATIVE_MIXED_BOUND`]), and the sampled test and the exhaustive run both hold the
//! implementation to it.
//!
//! With the core's `micromath` feature, `tanh` is an approximation whose error is absolute,
//! not relative; the run then holds the absolute error of each function to
//! [`MICROMATH_TANH_ABS_BOUND`], [`MICROMATH_VALUE_ABS_BOUND`] and
//! [`MICROMATH_DERIVATIVE_ABS_BOUND`] (`host-harness/tests/micromath.rs` samples it in CI).

use skipgrad::layer::activation::ElementWise;
use skipgrad::{Float, Gelu};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

use crate::model::activation::{ActivationKind, Bound, Bounds, VisitActivation};

/// Bound on the `mixed` error of `Gelu::value::<f32>` over every finite `f32` (the core's `tanh`):
/// the exhaustive run measured 1.756, at `x = 1.1296183` (bits `0x3f909755`).
pub const VALUE_MIXED_BOUND: f64 = 2.0;
/// Bound on the `mixed` error of `Gelu::derivative::<f32>` over every finite `f32` (the
/// core's `tanh`): the exhaustive run measured 9.151, at `x = -5.157855` (bits `0xc0a50d26`), where
/// `tanh` is within a few ulp of `-1` and `1 - t^2` keeps almost no correct bits.
pub const DERIVATIVE_MIXED_BOUND: f64 = 10.0;
/// Bound on the `ulp` error of the core's `f32` `tanh`: the exhaustive run measured
/// 1.513 ulp, at `x = 0.5515215` (bits `0x3f0d3083`).
pub const TANH_ULP_BOUND: f64 = 1.6;

/// Bound on the absolute error of the core's `f32` `tanh` with the `micromath` feature, over
/// every finite `f32`: the exhaustive run (`--micromath --stride 1`) measured 1.060e-3, at
/// `x = -0.34657326` (bits `0xbeb1720d`); the bound is about 1.5 times that.
pub const MICROMATH_TANH_ABS_BOUND: f64 = 1.6e-3;
/// Bound on the absolute error of `Gelu::value::<f32>` with the `micromath` tanh: the
/// exhaustive run measured 3.215e-4, at `x = -0.8420353` (bits `0xbf578fa0`).
pub const MICROMATH_VALUE_ABS_BOUND: f64 = 4.8e-4;
/// Bound on the absolute error of `Gelu::derivative::<f32>` with the `micromath` tanh: the
/// exhaustive run measured 4.058e-4, at `x = -0.430788` (bits `0xbedc903f`).
pub const MICROMATH_DERIVATIVE_ABS_BOUND: f64 = 6.1e-4;

/// The worst case of one error figure.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct Worst {
    /// The largest error seen.
    pub error: f64,
    /// The input where it occurs, as `f32` bits.
    pub bits: u32,
    /// The `f32` result there.
    pub got: f32,
    /// The `f64` reference there.
    pub want: f64,
}

impl Worst {
    fn update(&mut self, error: f64, bits: u32, got: f32, want: f64) {
        if error > self.error {
            *self = Worst {
                error,
                bits,
                got,
                want,
            };
        }
    }

    fn merge(&mut self, other: &Worst) {
        if other.error > self.error || (other.error == self.error && other.bits < self.bits) {
            *self = *other;
        }
    }

    /// The input where the worst case occurs.
    pub fn input(&self) -> f32 {
        f32::from_bits(self.bits)
    }
}

/// The error figures of one function.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct FnStats {
    /// Error in ulp of the `f32` result.
    pub ulp: Worst,
    /// Error in ulp of the `f32` result over non-negative inputs only (`+0` to `f32::MAX`),
    /// where neither GELU nor its derivative cancels.
    pub ulp_nonnegative: Worst,
    /// Absolute error.
    pub abs: Worst,
    /// Error in units of `max(ulp(result), 2^-24)`.
    pub mixed: Worst,
    /// Number of inputs with a NaN or infinite `f32` result.
    pub non_finite: u64,
    /// The first such input, as bits.
    pub first_non_finite: Option<u32>,
}

/// `ulp(r)` for an `f32` value (see the module docs).
pub fn ulp(r: f32) -> f64 {
    let e = (r.to_bits() >> 23) & 0xff;
    if e == 0 {
        f64::from(f32::from_bits(1))
    } else {
        // 2^(e - 127 - 23), exact in f64.
        f64::from_bits(u64::from(e + 1023 - 127 - 23) << 52)
    }
}

/// `2^-24`, the ulp of `0.5` and the floor of the `mixed` figure.
const MIXED_FLOOR: f64 = 1.0 / 16_777_216.0;

impl FnStats {
    fn record(&mut self, bits: u32, got: f32, want: f64) {
        if !got.is_finite() {
            self.non_finite += 1;
            if self.first_non_finite.is_none() {
                self.first_non_finite = Some(bits);
            }
            return;
        }
        let err = (f64::from(got) - want).abs();
        let u = ulp(got);
        self.ulp.update(err / u, bits, got, want);
        if bits < 0x8000_0000 {
            self.ulp_nonnegative.update(err / u, bits, got, want);
        }
        self.abs.update(err, bits, got, want);
        self.mixed.update(err / u.max(MIXED_FLOOR), bits, got, want);
    }

    fn merge(&mut self, other: &FnStats) {
        self.ulp.merge(&other.ulp);
        self.ulp_nonnegative.merge(&other.ulp_nonnegative);
        self.abs.merge(&other.abs);
        self.mixed.merge(&other.mixed);
        self.non_finite += other.non_finite;
        self.first_non_finite = match (self.first_non_finite, other.first_non_finite) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
}

/// The result of a scan.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct Summary {
    /// Finite inputs checked.
    pub checked: u64,
    /// `Gelu::value`.
    pub value: FnStats,
    /// `Gelu::derivative`.
    pub derivative: FnStats,
    /// The core's `f32` `tanh`.
    pub tanh: FnStats,
}

impl Summary {
    /// Checks one input given by its bits; NaN and infinite inputs are skipped.
    pub fn check(&mut self, bits: u32) {
        let x = f32::from_bits(bits);
        if !x.is_finite() {
            return;
        }
        let x64 = f64::from(x);
        self.checked += 1;
        let (v, d) = Gelu.value_and_derivative(x);
        let (v64, d64) = Gelu.value_and_derivative(x64);
        self.value.record(bits, v, v64);
        self.derivative.record(bits, d, d64);
        self.tanh.record(bits, Float::tanh(x), Float::tanh(x64));
    }

    /// Merges the summary of another part of the range.
    pub fn merge(&mut self, other: &Summary) {
        self.checked += other.checked;
        self.value.merge(&other.value);
        self.derivative.merge(&other.derivative);
        self.tanh.merge(&other.tanh);
    }

    /// True if every result is finite and within the default build's bounds.
    pub fn within_bounds(&self) -> bool {
        self.all_finite()
            && self.value.mixed.error <= VALUE_MIXED_BOUND
            && self.derivative.mixed.error <= DERIVATIVE_MIXED_BOUND
            && self.tanh.ulp.error <= TANH_ULP_BOUND
    }

    /// True if every result is finite and within the `micromath` absolute bounds.
    pub fn within_micromath_bounds(&self) -> bool {
        self.all_finite()
            && self.value.abs.error <= MICROMATH_VALUE_ABS_BOUND
            && self.derivative.abs.error <= MICROMATH_DERIVATIVE_ABS_BOUND
            && self.tanh.abs.error <= MICROMATH_TANH_ABS_BOUND
    }

    /// True if no result is NaN or infinite.
    pub fn all_finite(&self) -> bool {
        self.value.non_finite + self.derivative.non_finite + self.tanh.non_finite == 0
    }
}

/// A summary that a scan fills input by input, and merges from the parts of the range.
pub trait Scan: Send {
    /// Checks one input given by its bits; NaN and infinite inputs are skipped.
    fn check(&mut self, bits: u32);
    /// Merges the summary of another part of the range.
    fn merge(&mut self, other: &Self);
}

impl Scan for Summary {
    fn check(&mut self, bits: u32) {
        Summary::check(self, bits);
    }

    fn merge(&mut self, other: &Self) {
        Summary::merge(self, other);
    }
}

/// Inputs `k * stride` for `k = 0, 1, ...` in `[lo, hi]` (both inclusive), into `s`.
pub fn scan_range_into<S: Scan>(s: &mut S, lo: u32, hi: u32, stride: u32) {
    let stride = stride.max(1);
    let first = lo.div_ceil(stride).saturating_mul(stride);
    let mut bits = u64::from(first);
    while bits <= u64::from(hi) {
        // `bits <= hi <= u32::MAX`, so the conversion is exact.
        s.check(bits as u32);
        bits += u64::from(stride);
    }
}

/// Every `stride`-th bit pattern of the whole `u32` range, on `threads` threads that take
/// chunks of 2^24 patterns from a shared counter (so both halves of the range, whose costs
/// differ, are spread over every thread); `fresh` makes each thread's empty summary.
pub fn scan_all_with<S: Scan>(fresh: impl Fn() -> S + Sync, stride: u32, threads: usize) -> S {
    const CHUNK_BITS: u32 = 24;
    const CHUNKS: u32 = 1 << (32 - CHUNK_BITS);
    let next = AtomicU32::new(0);
    let total = Mutex::new(fresh());
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| {
                let mut local = fresh();
                loop {
                    let c = next.fetch_add(1, Ordering::Relaxed);
                    if c >= CHUNKS {
                        break;
                    }
                    let lo = c << CHUNK_BITS;
                    let hi = lo | ((1 << CHUNK_BITS) - 1);
                    scan_range_into(&mut local, lo, hi, stride);
                }
                if let Ok(mut t) = total.lock() {
                    t.merge(&local);
                }
            });
        }
    });
    total.into_inner().unwrap_or_else(|e| e.into_inner())
}

/// Inputs `k * stride` for `k = 0, 1, ...` in `[lo, hi]` (both inclusive).
pub fn scan_range(lo: u32, hi: u32, stride: u32) -> Summary {
    let mut s = Summary::default();
    scan_range_into(&mut s, lo, hi, stride);
    s
}

/// Every `stride`-th bit pattern of the whole `u32` range, on `threads` threads.
pub fn scan_all(stride: u32, threads: usize) -> Summary {
    scan_all_with(Summary::default, stride, threads)
}

/// The figures of one activation: its value and its derivative.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct ActivationSummary {
    /// Finite inputs checked.
    pub checked: u64,
    /// The value.
    pub value: FnStats,
    /// The derivative.
    pub derivative: FnStats,
}

impl ActivationSummary {
    /// Merges the summary of another part of the range.
    pub fn merge(&mut self, other: &ActivationSummary) {
        self.checked += other.checked;
        self.value.merge(&other.value);
        self.derivative.merge(&other.derivative);
    }

    /// True if no value or derivative is NaN or infinite.
    pub fn all_finite(&self) -> bool {
        self.value.non_finite + self.derivative.non_finite == 0
    }

    /// True if every result is finite and within `bounds`.
    pub fn within(&self, bounds: &Bounds) -> bool {
        self.all_finite()
            && bounds.value.holds(&self.value)
            && bounds.derivative.holds(&self.derivative)
    }
}

/// An activation's scan: the function and its summary.
struct ActivationScan<A> {
    act: A,
    summary: ActivationSummary,
}

impl<A: ElementWise<f32> + ElementWise<f64> + Send> Scan for ActivationScan<A> {
    #[inline]
    fn check(&mut self, bits: u32) {
        let x = f32::from_bits(bits);
        if !x.is_finite() {
            return;
        }
        self.summary.checked += 1;
        let (v, d) = ElementWise::<f32>::value_and_derivative(&self.act, x);
        let (v64, d64) = ElementWise::<f64>::value_and_derivative(&self.act, f64::from(x));
        self.summary.value.record(bits, v, v64);
        self.summary.derivative.record(bits, d, d64);
    }

    fn merge(&mut self, other: &Self) {
        self.summary.merge(&other.summary);
    }
}

/// The scan of one activation, as a visitor of the activation table: `[lo, hi]` (every
/// `stride`-th pattern), or the whole range on `threads` threads when `range` is `None`.
struct ScanActivation {
    range: Option<(u32, u32)>,
    stride: u32,
    threads: usize,
}

impl VisitActivation for ScanActivation {
    type Output = ActivationSummary;

    fn visit<A>(self, act: A) -> ActivationSummary
    where
        A: ElementWise<f32> + ElementWise<f64> + Copy + Send + Sync + 'static,
    {
        let fresh = || ActivationScan {
            act,
            summary: ActivationSummary::default(),
        };
        match self.range {
            Some((lo, hi)) => {
                let mut s = fresh();
                scan_range_into(&mut s, lo, hi, self.stride);
                s.summary
            }
            None => scan_all_with(fresh, self.stride, self.threads).summary,
        }
    }
}

/// One activation over `[lo, hi]` (both inclusive), every `stride`-th pattern.
pub fn scan_activation_range(
    kind: ActivationKind,
    lo: u32,
    hi: u32,
    stride: u32,
) -> ActivationSummary {
    kind.visit(ScanActivation {
        range: Some((lo, hi)),
        stride,
        threads: 1,
    })
}

/// One activation over every `stride`-th pattern of the whole range, on `threads` threads.
pub fn scan_activation(kind: ActivationKind, stride: u32, threads: usize) -> ActivationSummary {
    kind.visit(ScanActivation {
        range: None,
        stride,
        threads,
    })
}

impl Bound {
    /// The bounded figure of `stats`.
    pub fn figure<'a>(&self, stats: &'a FnStats) -> &'a Worst {
        match self {
            Bound::Ulp(_) => &stats.ulp,
            Bound::Mixed(_) => &stats.mixed,
        }
    }

    /// True if `stats`'s figure is within the bound.
    pub fn holds(&self, stats: &FnStats) -> bool {
        self.figure(stats).error <= self.limit()
    }
}

/// One function's figures as text, one line per figure.
pub fn describe(name: &str, s: &FnStats) -> String {
    let line = |what: &str, w: &Worst, unit: &str| {
        format!(
            "  {what:<8} {:>12.4e} {unit:<10} at x = {:e} (bits 0x{:08x}): f32 {:e}, f64 {:e}\n",
            w.error,
            w.input(),
            w.bits,
            w.got,
            w.want
        )
    };
    format!(
        "{name}: {} non-finite results{}\n{}{}{}{}",
        s.non_finite,
        s.first_non_finite
            .map(|b| format!(" (first at bits 0x{b:08x})"))
            .unwrap_or_default(),
        line("ulp", &s.ulp, "ulp"),
        line("ulp x>=0", &s.ulp_nonnegative, "ulp"),
        line("abs", &s.abs, ""),
        line("mixed", &s.mixed, "units"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulp_table() {
        let cases: [(f32, f64); 6] = [
            (1.0, f64::from(f32::EPSILON)),
            (1.5, f64::from(f32::EPSILON)),
            (-0.5, f64::from(f32::EPSILON) / 2.0),
            (0.0, f64::from(f32::from_bits(1))),
            (f32::from_bits(5), f64::from(f32::from_bits(1))),
            (f32::MAX, 2f64.powi(104)),
        ];
        for (r, want) in cases {
            assert_eq!(ulp(r), want, "ulp({r:e})");
        }
    }

    #[test]
    fn scan_range_counts_only_finite_inputs() {
        // 0x7f80_0000 is +inf, above it NaNs.
        let s = scan_range(0x7f7f_fffe, 0x7f80_0002, 1);
        assert_eq!(s.checked, 2);
        let s = scan_range(0, 99, 10);
        assert_eq!(s.checked, 10);
    }

    #[test]
    fn threads_split_the_range_like_one_thread() {
        let a = scan_all(65_537, 1);
        let b = scan_all(65_537, 3);
        assert_eq!(a, b);
        assert!(a.checked > 60_000);
    }
}
