//! `skipgrad exhaustive`: an activation's `f32` value and derivative over every finite `f32`,
//! against an `f64` evaluation of the same formulas; `skipgrad exhaustive-gelu`: the same for
//! the notebook's GELU, with the core's `tanh` as well.
//!
//! `skipgrad exhaustive --activation NAME|all` runs [`ActivationKind`]s: for each finite
//! input, the core type's `value_and_derivative` in `f32` must be finite, and it is compared
//! with the same type's `value_and_derivative` in `f64` on the exact input, with the figures
//! below. Each activation's bounds ([`bounds`]) state the figure that is bounded for it: the
//! error in ulp where the function neither crosses zero nor cancels, the `mixed` error where
//! it does. With `--json` it prints one object, `{"stride": .., "threads": .., "activations":
//! [{"activation": .., "seconds": .., "bounds": .., "summary": ..}, ...]}`, as every command's
//! `--json` prints one object.
//!
//! The rest of this page describes `exhaustive-gelu`, whose figures are the same.
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
use skipgrad::{Float, Gelu, GeluErf, LeakyRelu, Relu, Sigmoid, Silu, Tanh};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

use crate::activation::ActivationKind;

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

/// Flags of `skipgrad exhaustive-gelu`.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct ExhaustiveArgs {
    /// Require the core's `micromath` tanh (build with `--features micromath`); its absolute
    /// error bounds are then enforced instead of the default build's.
    #[arg(long)]
    pub micromath: bool,
    /// Threads, stride and output.
    #[command(flatten)]
    pub scan: crate::flags::Scan,
}

/// Which activations `skipgrad exhaustive` runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Selection {
    /// Every activation, one after another.
    All,
    /// One.
    One(ActivationKind),
}

impl Selection {
    /// The activations selected.
    pub fn kinds(self) -> Vec<ActivationKind> {
        match self {
            Selection::All => ActivationKind::ALL.to_vec(),
            Selection::One(k) => vec![k],
        }
    }
}

fn parse_selection(s: &str) -> Result<Selection, String> {
    use clap::ValueEnum;
    if s == "all" {
        return Ok(Selection::All);
    }
    ActivationKind::from_str(s, false)
        .map(Selection::One)
        .map_err(|_| {
            let names: Vec<&str> = ActivationKind::ALL.iter().map(|k| k.name()).collect();
            format!("expected all, {}", names.join(", "))
        })
}

/// Flags of `skipgrad exhaustive`.
#[derive(Clone, Debug, clap::Args)]
pub struct ActivationArgs {
    /// The activation: gelu-tanh, gelu, relu, leaky-relu, sigmoid, tanh, silu, or all.
    #[arg(long, value_parser = parse_selection)]
    pub activation: Selection,
    /// Threads, stride and output.
    #[command(flatten)]
    pub scan: crate::flags::Scan,
}

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

/// Scans `[lo, hi]` (every `stride`-th pattern) for one activation, or the whole range on
/// `threads` threads when `range` is `None`.
fn scan_generic<A>(
    act: A,
    range: Option<(u32, u32)>,
    stride: u32,
    threads: usize,
) -> ActivationSummary
where
    A: ElementWise<f32> + ElementWise<f64> + Copy + Send + Sync,
{
    let fresh = || ActivationScan {
        act,
        summary: ActivationSummary::default(),
    };
    match range {
        Some((lo, hi)) => {
            let mut s = fresh();
            scan_range_into(&mut s, lo, hi, stride);
            s.summary
        }
        None => scan_all_with(fresh, stride, threads).summary,
    }
}

fn scan_kind(
    kind: ActivationKind,
    range: Option<(u32, u32)>,
    stride: u32,
    threads: usize,
) -> ActivationSummary {
    match kind {
        ActivationKind::GeluTanh => scan_generic(Gelu, range, stride, threads),
        ActivationKind::Gelu => scan_generic(GeluErf, range, stride, threads),
        ActivationKind::Relu => scan_generic(Relu, range, stride, threads),
        ActivationKind::LeakyRelu => scan_generic(LeakyRelu::<1, 100>, range, stride, threads),
        ActivationKind::Sigmoid => scan_generic(Sigmoid, range, stride, threads),
        ActivationKind::Tanh => scan_generic(Tanh, range, stride, threads),
        ActivationKind::Silu => scan_generic(Silu, range, stride, threads),
    }
}

/// One activation over `[lo, hi]` (both inclusive), every `stride`-th pattern.
pub fn scan_activation_range(
    kind: ActivationKind,
    lo: u32,
    hi: u32,
    stride: u32,
) -> ActivationSummary {
    scan_kind(kind, Some((lo, hi)), stride, 1)
}

/// One activation over every `stride`-th pattern of the whole range, on `threads` threads.
pub fn scan_activation(kind: ActivationKind, stride: u32, threads: usize) -> ActivationSummary {
    scan_kind(kind, None, stride, threads)
}

/// The figure an activation's bound applies to, and the bound.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Bound {
    /// Error in ulp of the `f32` result: for functions that neither cross zero nor cancel.
    Ulp(f64),
    /// Error in units of `max(ulp(result), 2^-24)`: where the function crosses zero or
    /// cancels (see the module docs).
    Mixed(f64),
}

impl Bound {
    /// The bounded figure of `stats`.
    pub fn figure<'a>(&self, stats: &'a FnStats) -> &'a Worst {
        match self {
            Bound::Ulp(_) => &stats.ulp,
            Bound::Mixed(_) => &stats.mixed,
        }
    }

    /// The bound.
    pub fn limit(&self) -> f64 {
        match self {
            Bound::Ulp(b) | Bound::Mixed(b) => *b,
        }
    }

    /// The unit, as printed.
    pub fn unit(&self) -> &'static str {
        match self {
            Bound::Ulp(_) => "ulp",
            Bound::Mixed(_) => "units",
        }
    }

    /// True if `stats`'s figure is within the bound.
    pub fn holds(&self, stats: &FnStats) -> bool {
        self.figure(stats).error <= self.limit()
    }
}

/// An activation's bounds over every finite `f32`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bounds {
    /// On the value.
    pub value: Bound,
    /// On the derivative.
    pub derivative: Bound,
}

/// The bounds each activation's run is held to, about 1.5 times the worst error measured.
///
/// The notebook's GELU (`gelu-tanh`) and the `tanh` value keep `exhaustive-gelu`'s bounds,
/// measured over every finite `f32`. The others were measured over every finite `f32` too
/// (`skipgrad exhaustive --activation all`, 4,278,190,080 inputs each, every value and
/// derivative finite; 987 s on 2 cores), worst error (unit) at input:
///
/// | activation | value | derivative |
/// |---|---|---|
/// | `gelu` | 1.630 mixed at `0x3f921497` | 1.912 mixed at `0x3f3c3e48` |
/// | `relu` | 0 ulp | 0 ulp |
/// | `leaky-relu` | 0.840 ulp at `0xc2b55566` | 0.240 ulp (the `f32` slope) |
/// | `sigmoid` | 2.402 ulp at `0xc085088d` | 4.616 ulp at `0x405bc0fc` |
/// | `tanh` | 1.513 ulp at `0x3f0d3083` | 2.232 mixed at `0x3f5ebd74` |
/// | `silu` | 1.494 mixed at `0x41000247` | 3.024 mixed at `0x3fa1009d` |
///
/// Mixed units where the function crosses zero (GELU, SiLU, their derivatives) or cancels
/// (`1 - tanh^2` near saturation); ulp elsewhere. `host-harness/tests/cli.rs` runs a sample
/// of every activation against these bounds in CI.
pub fn bounds(kind: ActivationKind) -> Bounds {
    let (value, derivative) = match kind {
        ActivationKind::GeluTanh => (
            Bound::Mixed(VALUE_MIXED_BOUND),
            Bound::Mixed(DERIVATIVE_MIXED_BOUND),
        ),
        ActivationKind::Gelu => (Bound::Mixed(2.4), Bound::Mixed(2.7)),
        ActivationKind::Relu => (Bound::Ulp(0.0), Bound::Ulp(0.0)),
        ActivationKind::LeakyRelu => (Bound::Ulp(1.3), Bound::Ulp(0.36)),
        ActivationKind::Sigmoid => (Bound::Ulp(3.6), Bound::Ulp(6.7)),
        ActivationKind::Tanh => (Bound::Ulp(TANH_ULP_BOUND), Bound::Mixed(3.4)),
        ActivationKind::Silu => (Bound::Mixed(2.3), Bound::Mixed(4.5)),
    };
    Bounds { value, derivative }
}

fn describe(name: &str, s: &FnStats) -> String {
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

/// Runs `skipgrad exhaustive`.
pub fn run_activations(args: &ActivationArgs) -> anyhow::Result<()> {
    if cfg!(feature = "micromath") {
        crate::usage_bail!(
            "exhaustive holds the default build's bounds; a build with the micromath feature \
             has its own: exhaustive-gelu --micromath"
        );
    }
    let threads = args.scan.threads();
    let mut json = Vec::new();
    let mut over = Vec::new();
    for kind in args.activation.kinds() {
        let start = std::time::Instant::now();
        let s = scan_activation(kind, args.scan.stride, threads);
        let secs = start.elapsed().as_secs_f64();
        let b = bounds(kind);
        if !s.within(&b) {
            over.push(kind.name());
        }
        if args.scan.json {
            json.push(serde_json::json!({
                "activation": kind.name(),
                "seconds": secs,
                "bounds": {
                    "value": {"unit": b.value.unit(), "bound": b.value.limit()},
                    "derivative": {"unit": b.derivative.unit(), "bound": b.derivative.limit()},
                },
                "summary": s,
            }));
            continue;
        }
        crate::outln!(
            "f32 {} over {} finite inputs (every {}. bit pattern), {} threads, {:.1} s",
            kind.name(),
            s.checked,
            args.scan.stride,
            threads,
            secs
        );
        crate::out!("{}", describe("value", &s.value));
        crate::out!("{}", describe("derivative", &s.derivative));
        let figure = |bound: &Bound, stats: &FnStats| {
            let w = bound.figure(stats);
            format!(
                "{:.4} {} (bound {}) at x = {:e} (bits 0x{:08x})",
                w.error,
                bound.unit(),
                bound.limit(),
                w.input(),
                w.bits
            )
        };
        crate::outln!(
            "bounded: value {}; derivative {}\n",
            figure(&b.value, &s.value),
            figure(&b.derivative, &s.derivative)
        );
    }
    if args.scan.json {
        // One object, as every --json prints.
        crate::outln!(
            "{}",
            serde_json::json!({
                "stride": args.scan.stride,
                "threads": threads,
                "activations": json,
            })
        );
    }
    if !over.is_empty() {
        anyhow::bail!(
            "non-finite results or an error figure over its stated bound: {}",
            over.join(", ")
        );
    }
    Ok(())
}

/// Runs `skipgrad exhaustive-gelu`.
pub fn run(args: &ExhaustiveArgs) -> anyhow::Result<()> {
    let micromath = cfg!(feature = "micromath");
    if args.micromath && !micromath {
        crate::usage_bail!(
            "--micromath needs a harness built with the micromath feature: \
             cargo run --release --features micromath -- exhaustive-gelu --micromath"
        );
    }
    let threads = args.scan.threads();
    let start = std::time::Instant::now();
    let s = scan_all(args.scan.stride, threads);
    let secs = start.elapsed().as_secs_f64();
    if args.scan.json {
        crate::outln!(
            "{}",
            serde_json::json!({
                "tanh": if micromath { "micromath" } else { "core" },
                "stride": args.scan.stride,
                "threads": threads,
                "seconds": secs,
                "summary": s,
            })
        );
    } else {
        crate::outln!(
            "f32 GELU over {} finite inputs (every {}. bit pattern), tanh: {}, {} threads, {:.1} s",
            s.checked,
            args.scan.stride,
            if micromath {
                "micromath"
            } else {
                "core f32 tanh"
            },
            threads,
            secs
        );
        crate::out!("{}", describe("value", &s.value));
        crate::out!("{}", describe("derivative", &s.derivative));
        crate::out!("{}", describe("tanh", &s.tanh));
        if micromath {
            crate::outln!(
                "bounds (abs): value <= {MICROMATH_VALUE_ABS_BOUND:e}, derivative <= \
                 {MICROMATH_DERIVATIVE_ABS_BOUND:e}, tanh <= {MICROMATH_TANH_ABS_BOUND:e}"
            );
        } else {
            crate::outln!(
                "bounds (mixed units): value <= {VALUE_MIXED_BOUND}, derivative <= \
                 {DERIVATIVE_MIXED_BOUND}; tanh <= {TANH_ULP_BOUND} ulp"
            );
        }
    }
    let non_finite = s.value.non_finite + s.derivative.non_finite + s.tanh.non_finite;
    if non_finite > 0 {
        anyhow::bail!("{non_finite} non-finite results");
    }
    let within = if micromath {
        s.within_micromath_bounds()
    } else {
        s.within_bounds()
    };
    if !within {
        anyhow::bail!("an error figure exceeds its stated bound");
    }
    Ok(())
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
