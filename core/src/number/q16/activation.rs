//! [`Gelu`], [`Tanh`] and [`Sigmoid`] in Q16.16: piecewise cubic tables (`tables.rs`, written
//! by `tools/q16_tables.py`) evaluated in 32-bit integer arithmetic, with the functions'
//! symmetries for negative inputs and their exact limits beyond the tables.
//!
//! Over every representable input (all 2^32 bit patterns but the three rails, measured by
//! `skipgrad exhaustive-q16` against the `f64` formulas evaluated on the exact input), the
//! error in units of `2^-16` is at most:
//!
//! | function | value | derivative | table (segments x width, range) | flash |
//! |---|---:|---:|---|---:|
//! | `Gelu` (tanh approximation) | 0.829 | 0.827 | 20 x 0.25 on `[0, 5)`, value and derivative | 400 B |
//! | `Tanh` | 0.934 | 1.718 | 26 x 0.25 on `[0, 6.5)` | 260 B |
//! | `Sigmoid` | 0.884 | 1.227 | 24 x 0.5 on `[0, 12)` | 240 B |
//!
//! (Half a unit is the least any rounded result can promise.) The derivatives of `Tanh` and
//! `Sigmoid` are computed from the value, as PyTorch does (`1 - t^2`, `(1 - s) s`), so they
//! carry its error. A saturated input (a rail) gives a saturated value and derivative.

use super::cubic::Table;
use super::tables::{GELU, GELU_DERIVATIVE, SIGMOID, TANH};
use super::Q16;
use crate::layer::activation::{ElementWise, Gelu, Sigmoid, Tanh};

const ONE: i32 = 1 << 16;

/// The table's value at `|x|`, or `beyond` past its end.
#[inline(always)]
fn at(table: &Table, a: i32, beyond: i32) -> i32 {
    table.eval(a).unwrap_or(beyond)
}

/// A saturated input's value and derivative.
#[inline(always)]
fn saturated(x: Q16) -> (Q16, Q16) {
    (x, Q16::MAX)
}

impl Gelu {
    /// GELU at a finite `x`, from the table of `gelu(|x|)` and `gelu(-a) = gelu(a) - a`;
    /// `gelu(x) = x` from 5 on (the exact value rounds to `x` there).
    #[inline(always)]
    fn q16_value(r: i32) -> i32 {
        let a = r.abs();
        let v = at(&GELU, a, a);
        if r < 0 {
            v - a
        } else {
            v
        }
    }
}

impl ElementWise<Q16> for Gelu {
    #[inline(always)]
    fn value(&self, x: Q16) -> Q16 {
        if !x.is_finite() {
            return x;
        }
        Q16(Self::q16_value(x.0))
    }

    /// The derivative from its own table, and `gelu'(-a) = 1 - gelu'(a)`. Out of line: one
    /// copy for every layer (two table evaluations are about 100 bytes of code).
    #[inline(never)]
    fn value_and_derivative(&self, x: Q16) -> (Q16, Q16) {
        if !x.is_finite() {
            return saturated(x);
        }
        let a = x.0.abs();
        let d = at(&GELU_DERIVATIVE, a, ONE);
        let d = if x.0 < 0 { ONE - d } else { d };
        (Q16(Self::q16_value(x.0)), Q16(d))
    }
}

impl Tanh {
    /// tanh at a finite `x`: odd, and exactly `±1` from 6.5 on.
    #[inline(always)]
    fn q16_value(r: i32) -> Q16 {
        let t = at(&TANH, r.abs(), ONE);
        Q16(if r < 0 { -t } else { t })
    }
}

impl ElementWise<Q16> for Tanh {
    #[inline(always)]
    fn value(&self, x: Q16) -> Q16 {
        if !x.is_finite() {
            return x;
        }
        Self::q16_value(x.0)
    }

    /// `1 - t^2`, rounded. Out of line, as [`Gelu`]'s.
    #[inline(never)]
    fn value_and_derivative(&self, x: Q16) -> (Q16, Q16) {
        if !x.is_finite() {
            return saturated(x);
        }
        let t = Self::q16_value(x.0);
        (t, Q16::ONE - t * t)
    }
}

impl Sigmoid {
    /// The sigmoid at a finite `x`: `s(-a) = 1 - s(a)`, exactly 1 from 12 on.
    #[inline(always)]
    fn q16_value(r: i32) -> Q16 {
        let s = at(&SIGMOID, r.abs(), ONE);
        Q16(if r < 0 { ONE - s } else { s })
    }
}

impl ElementWise<Q16> for Sigmoid {
    #[inline(always)]
    fn value(&self, x: Q16) -> Q16 {
        if !x.is_finite() {
            return x;
        }
        Self::q16_value(x.0)
    }

    /// `(1 - s) s`, rounded, PyTorch's order. Out of line, as [`Gelu`]'s.
    #[inline(never)]
    fn value_and_derivative(&self, x: Q16) -> (Q16, Q16) {
        if !x.is_finite() {
            return saturated(x);
        }
        let s = Self::q16_value(x.0);
        (s, (Q16::ONE - s) * s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(v: f64) -> Q16 {
        Q16::from_f64(v)
    }

    /// Units of 2^-16 between a result and a reference.
    fn units(got: Q16, want: f64) -> f64 {
        (got.to_f64() - want).abs() * 65536.0
    }

    fn gelu64(x: f64) -> (f64, f64) {
        let c = libm::sqrt(2.0 / core::f64::consts::PI);
        let t = libm::tanh(c * (x + 0.044715 * x * x * x));
        (
            0.5 * x * (1.0 + t),
            0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * c * (1.0 + 3.0 * 0.044715 * x * x),
        )
    }

    /// A sweep over [-40, 40] in steps of about 1/300 (not aligned with the segments): the
    /// bounds of the module table, which the exhaustive command measured.
    #[test]
    fn close_to_the_f64_formulas() {
        let (mut worst_v, mut worst_d) = (0.0f64, 0.0f64);
        for i in -12_000..=12_000 {
            let x = q(f64::from(i) / 300.3);
            let xf = x.to_f64();
            let (v, d) = Gelu.value_and_derivative(x);
            assert_eq!(v, Gelu.value(x));
            let (want_v, want_d) = gelu64(xf);
            worst_v = worst_v.max(units(v, want_v));
            worst_d = worst_d.max(units(d, want_d));
            let (t, dt) = Tanh.value_and_derivative(x);
            assert_eq!(t, Tanh.value(x));
            let tf = libm::tanh(xf);
            assert!(
                units(t, tf) <= 0.94 && units(dt, 1.0 - tf * tf) <= 2.5,
                "tanh {xf}"
            );
            let (s, ds) = Sigmoid.value_and_derivative(x);
            assert_eq!(s, Sigmoid.value(x));
            let sf = 1.0 / (1.0 + libm::exp(-xf));
            assert!(
                units(s, sf) <= 0.89 && units(ds, sf * (1.0 - sf)) <= 1.5,
                "sigmoid {xf}"
            );
        }
        assert!(worst_v <= 0.83 && worst_d <= 0.83, "{worst_v} {worst_d}");
    }

    #[test]
    fn limits_and_rails() {
        let cases: [(Q16, Q16, Q16); 6] = [
            (Q16::ZERO, Q16::ZERO, q(0.5)),
            (q(5.0), q(5.0), Q16::ONE),
            (q(-5.0), Q16::ZERO, Q16::ZERO),
            (Q16::LARGEST, Q16::LARGEST, Q16::ONE),
            (-Q16::LARGEST, Q16::ZERO, Q16::ZERO),
            (Q16::MIN, Q16::MIN, Q16::MAX),
        ];
        for (x, v, d) in cases {
            assert_eq!(Gelu.value_and_derivative(x), (v, d), "{x:?}");
        }
        assert_eq!(Tanh.value_and_derivative(q(7.0)), (Q16::ONE, Q16::ZERO));
        assert_eq!(Tanh.value_and_derivative(q(-7.0)), (-Q16::ONE, Q16::ZERO));
        assert_eq!(
            Sigmoid.value_and_derivative(q(-13.0)),
            (Q16::ZERO, Q16::ZERO)
        );
        for act in [Tanh.value(Q16::MAX), Sigmoid.value(Q16::MAX)] {
            assert!(!act.is_finite());
        }
        assert!(!Sigmoid.value_and_derivative(Q16::MIN).1.is_finite());
    }
}
