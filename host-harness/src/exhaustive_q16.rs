//! The exhaustive scan of `skipgrad exhaustive-q16` ([`crate::command::exhaustive_q16`]): the Q16.16 [`Gelu`] (tanh approximation), [`Tanh`] and
//! [`Sigmoid`], value and derivative, over every representable input, against the `f64`
//! formulas evaluated on the exact input.
//!
//! Every `i32` bit pattern `b` (or every `STRIDE`-th, `b = k * STRIDE` as a `u32`) is the
//! input `x = Q16::from_bits(b)`; the three rails (`i32::MAX`, `-i32::MAX`, `i32::MIN`) are not
//! finite and are skipped, so a full run checks `2^32 - 3` inputs. For each, the core's
//! `ElementWise<Q16>::value_and_derivative` is compared with, at `x.to_f64()` (exact):
//!
//! - `Gelu`: `0.5 x (1 + t)` with `t = tanh(sqrt(2/pi) (x + 0.044715 x^3))`, and its exact
//!   derivative `0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2)`;
//! - `Tanh`: `tanh x` and `1 - tanh^2 x`;
//! - `Sigmoid`: `s = 1 / (1 + e^-x)` and `s (1 - s)`.
//!
//! The error is `|q.to_f64() - exact| * 65536`, in units of `2^-16` (half a unit is the least
//! a rounded result can promise). The worst error of each function and part is reported with
//! its input. Results that are rails are counted: for a finite input every one of these
//! bounded functions must give a finite value and derivative. `value` must also equal the
//! first half of `value_and_derivative` (counted as mismatches). The run exits with an error
//! (status 1) if any result is a rail, any value disagrees, or any figure is over its bound
//! ([`GELU_VALUE_BOUND`] and the others), which are the measured figures of the table in the
//! core's `q16::activation` docs rounded up slightly.

use skipgrad::layer::activation::ElementWise;
use skipgrad::{Gelu, Sigmoid, Tanh, Q16};

use crate::exhaustive::{scan_all_with, scan_range_into, Scan};

// The full run (`skipgrad exhaustive-q16`, 2^32 - 3 inputs, 172 s on 2 cores, 2026-11-29)
// measured the figures quoted below, worst input in brackets; each bound is the figure
// rounded up slightly, since the run covers every input and the figure cannot grow unseen.

/// Bound on the error of the Q16 `Gelu` value, in units of `2^-16`: measured 0.8292 (at bits
/// `0x00003ff6`, x = 0.24985).
pub const GELU_VALUE_BOUND: f64 = 0.85;
/// Bound on the error of the Q16 `Gelu` derivative, in units of `2^-16`: measured 0.8272 (at
/// bits `0x0000bf99`, x = 0.74843).
pub const GELU_DERIVATIVE_BOUND: f64 = 0.85;
/// Bound on the error of the Q16 `Tanh` value, in units of `2^-16`: measured 0.9340 (at bits
/// `0x00007563`, x = 0.45854).
pub const TANH_VALUE_BOUND: f64 = 0.95;
/// Bound on the error of the Q16 `Tanh` derivative (`1 - t^2` from the rounded value), in
/// units of `2^-16`: measured 1.7176 (at bits `0x00034991`, x = 3.28737).
pub const TANH_DERIVATIVE_BOUND: f64 = 1.75;
/// Bound on the error of the Q16 `Sigmoid` value, in units of `2^-16`: measured 0.8841 (at
/// bits `0xfffe9707`, x = -1.41005).
pub const SIGMOID_VALUE_BOUND: f64 = 0.9;
/// Bound on the error of the Q16 `Sigmoid` derivative (`(1 - s) s` from the rounded value),
/// in units of `2^-16`: measured 1.2270 (at bits `0x0002fc3f`, x = 2.98534).
pub const SIGMOID_DERIVATIVE_BOUND: f64 = 1.25;

/// The functions, in the order they are reported.
pub const FUNCTIONS: [&str; 3] = ["gelu-tanh", "tanh", "sigmoid"];

/// The bounds of [`FUNCTIONS`], value and derivative, in units of `2^-16`.
pub const BOUNDS: [(f64, f64); 3] = [
    (GELU_VALUE_BOUND, GELU_DERIVATIVE_BOUND),
    (TANH_VALUE_BOUND, TANH_DERIVATIVE_BOUND),
    (SIGMOID_VALUE_BOUND, SIGMOID_DERIVATIVE_BOUND),
];

/// The worst error of one function's value or derivative.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct Worst {
    /// The largest error seen, in units of `2^-16`.
    pub error: f64,
    /// The input where it occurs, as Q16.16 bits.
    pub bits: i32,
    /// The Q16.16 result there, as a number.
    pub got: f64,
    /// The `f64` reference there.
    pub want: f64,
}

impl Worst {
    #[inline]
    fn update(&mut self, error: f64, bits: i32, got: f64, want: f64) {
        if error > self.error {
            *self = Worst {
                error,
                bits,
                got,
                want,
            };
        }
    }

    /// The larger, and of equal errors the one first in scan order (as `u32` bits), so the
    /// result does not depend on the threads.
    fn merge(&mut self, other: &Worst) {
        if other.error > self.error
            || (other.error == self.error && (other.bits as u32) < (self.bits as u32))
        {
            *self = *other;
        }
    }

    /// The input where the worst case occurs.
    pub fn input(&self) -> f64 {
        Q16::from_bits(self.bits).to_f64()
    }
}

/// One function's figures.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct FnStats {
    /// The value.
    pub value: Worst,
    /// The derivative.
    pub derivative: Worst,
    /// Results (value or derivative) that are rails.
    pub rails: u64,
    /// The first input with such a result, as bits.
    pub first_rail: Option<i32>,
    /// Inputs where `value` differs from `value_and_derivative`'s value.
    pub mismatches: u64,
}

impl FnStats {
    #[inline]
    fn record<A: ElementWise<Q16>>(&mut self, act: &A, x: Q16, want: (f64, f64)) {
        let (v, d) = act.value_and_derivative(x);
        let bits = x.to_bits();
        if act.value(x) != v {
            self.mismatches += 1;
        }
        let rails = u64::from(!v.is_finite()) + u64::from(!d.is_finite());
        if rails > 0 {
            self.rails += rails;
            if self.first_rail.is_none() {
                self.first_rail = Some(bits);
            }
        }
        let (v, d) = (v.to_f64(), d.to_f64());
        self.value
            .update((v - want.0).abs() * 65536.0, bits, v, want.0);
        self.derivative
            .update((d - want.1).abs() * 65536.0, bits, d, want.1);
    }

    fn merge(&mut self, other: &FnStats) {
        self.value.merge(&other.value);
        self.derivative.merge(&other.derivative);
        self.rails += other.rails;
        self.mismatches += other.mismatches;
        self.first_rail = match (self.first_rail, other.first_rail) {
            (Some(a), Some(b)) => Some(if (a as u32) < (b as u32) { a } else { b }),
            (a, b) => a.or(b),
        };
    }

    /// True if no result is a rail, `value` agrees, and both figures are within `bounds`.
    pub fn within(&self, bounds: (f64, f64)) -> bool {
        self.rails == 0
            && self.mismatches == 0
            && self.value.error <= bounds.0
            && self.derivative.error <= bounds.1
    }
}

/// The result of a scan.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct Summary {
    /// Finite inputs checked.
    pub checked: u64,
    /// `Gelu` (tanh approximation).
    pub gelu: FnStats,
    /// `Tanh`.
    pub tanh: FnStats,
    /// `Sigmoid`.
    pub sigmoid: FnStats,
}

/// `sqrt(2/pi)`.
const SQRT_2_OVER_PI: f64 = 0.797_884_560_802_865_4;

/// The `f64` tanh-GELU and its exact derivative at `x`.
pub fn gelu64(x: f64) -> (f64, f64) {
    let t = (SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)).tanh();
    (
        0.5 * x * (1.0 + t),
        0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * SQRT_2_OVER_PI * (1.0 + 3.0 * 0.044715 * x * x),
    )
}

/// `tanh x` and `1 - tanh^2 x` in `f64`.
pub fn tanh64(x: f64) -> (f64, f64) {
    let t = x.tanh();
    (t, 1.0 - t * t)
}

/// The sigmoid and `s (1 - s)` in `f64`.
pub fn sigmoid64(x: f64) -> (f64, f64) {
    let s = 1.0 / (1.0 + (-x).exp());
    (s, s * (1.0 - s))
}

impl Summary {
    /// Checks the input with these bits; the rails are skipped.
    #[inline]
    pub fn check(&mut self, bits: i32) {
        let x = Q16::from_bits(bits);
        if !x.is_finite() {
            return;
        }
        self.checked += 1;
        let xf = x.to_f64();
        self.gelu.record(&Gelu, x, gelu64(xf));
        self.tanh.record(&Tanh, x, tanh64(xf));
        self.sigmoid.record(&Sigmoid, x, sigmoid64(xf));
    }

    /// The functions' figures in the order of [`FUNCTIONS`].
    pub fn functions(&self) -> [&FnStats; 3] {
        [&self.gelu, &self.tanh, &self.sigmoid]
    }

    /// True if every function is within its [`BOUNDS`] and gives no rail.
    pub fn within_bounds(&self) -> bool {
        self.functions()
            .iter()
            .zip(BOUNDS)
            .all(|(f, b)| f.within(b))
    }
}

impl Scan for Summary {
    #[inline]
    fn check(&mut self, bits: u32) {
        Summary::check(self, bits as i32);
    }

    fn merge(&mut self, other: &Self) {
        self.checked += other.checked;
        self.gelu.merge(&other.gelu);
        self.tanh.merge(&other.tanh);
        self.sigmoid.merge(&other.sigmoid);
    }
}

/// Inputs whose bits, as `u32`, are `k * stride` in `[lo, hi]` (both inclusive).
pub fn scan_range(lo: u32, hi: u32, stride: u32) -> Summary {
    let mut s = Summary::default();
    scan_range_into(&mut s, lo, hi, stride);
    s
}

/// Every `stride`-th bit pattern of the whole range, on `threads` threads.
pub fn scan_all(stride: u32, threads: usize) -> Summary {
    scan_all_with(Summary::default, stride, threads)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rails_are_skipped() {
        // 0x7fff_fffe is the largest finite value, 0x7fff_ffff a rail; 0x8000_0000 and
        // 0x8000_0001 are rails, 0x8000_0002 finite.
        let s = scan_range(0x7fff_fffe, 0x8000_0002, 1);
        assert_eq!(s.checked, 2);
        assert!(s.within_bounds(), "{s:?}");
    }

    #[test]
    fn threads_split_the_range_like_one_thread() {
        let a = scan_all(65_537, 1);
        let b = scan_all(65_537, 3);
        assert_eq!(a, b);
        assert_eq!(a.checked, 65_536);
    }
}
