//! `train --lr` judged in the run's own number type: the rate is checked once, before
//! training, by the optimizer's constructor in that type (`Sgd::<T>::new`,
//! `Adam::<T, _>::with_lr`), and reported as that type holds it.
//!
//! - A rate that rounds to zero in the type (`--number q16.16 --lr 1e-6`), or beyond its
//!   range (`--lr 3.5e38` in `f32`, `--lr 40000` in `q16.16`), is the core's `HyperError`
//!   and a usage error (exit status 2) in one format, `--lr 1e-6 rounds to zero in q16.16`.
//!   `--number f64` takes what `f64` holds (`--lr 1e-300`).
//! - The rate used is the type's nearest value. In `q16.16` that can be far from the
//!   request (`--lr 2.2e-5` is one unit, `1.52587890625e-5`), so a rate whose value in the
//!   type differs from the request by more than [`RATE_TOLERANCE`] (1%, relative) is a usage
//!   error that names the nearest rates the type holds. Within the tolerance the run trains
//!   with the type's value, and `--json`'s `"lr"` and the text report that value
//!   (`"lr_requested"` is the flag's).
//! - `--optimizer adam` needs a floating-point type; with `q16.16` it is refused here, before
//!   any other flag is blamed.

use std::fmt;

use skipgrad::{Adam, Float, HyperError, Linear, Scalar, Sgd, Q16};

use super::number::Number;
use super::optimizer::OptimizerKind;

/// The largest relative difference accepted between the requested rate and the value the
/// number type holds: 1%. In `f32` and `f64` a normal rate is always within 2^-24 of it; in
/// `q16.16` (units of 2^-16) every rate from about 7.6e-4 up is within 1%, and smaller ones
/// only where they are close to a whole number of units.
pub const RATE_TOLERANCE: f64 = 0.01;

/// A learning rate as a run uses it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rate {
    /// As requested (`--lr`, or the optimizer's default).
    pub requested: f64,
    /// As the number type holds it (widened to `f64`, exactly).
    pub used: f64,
    /// The number type.
    pub number: Number,
}

/// The rate `lr` as `T` holds it (the optimizer's own check), and the value of `T` next to it
/// on the request's side.
fn held<T: Scalar>(lr: f64, check: Result<(), HyperError>) -> anyhow::Result<(f64, f64)> {
    if let Err(e) = check {
        crate::usage_bail!("--{e}");
    }
    let t = T::from_f64(lr);
    let step: i64 = if t.to_f64() < lr { 1 } else { -1 };
    let next = T::from_bits(t.to_bits().wrapping_add_signed(step));
    Ok((t.to_f64(), next.to_f64()))
}

fn sgd<T: Scalar>(lr: f64) -> anyhow::Result<(f64, f64)> {
    held::<T>(lr, Sgd::<T>::new(lr).map(drop))
}

fn adam<T: Float>(lr: f64) -> anyhow::Result<(f64, f64)> {
    held::<T>(lr, Adam::<T, Linear<T, 1, 1>>::new().with_lr(lr).map(drop))
}

impl Rate {
    /// Checks `lr` for `optimizer` in `number` (see the [module](self)).
    pub fn check(number: Number, optimizer: OptimizerKind, lr: f64) -> anyhow::Result<Self> {
        let (used, next) = match (number, optimizer) {
            (Number::F32, OptimizerKind::Sgd) => sgd::<f32>(lr)?,
            (Number::F64, OptimizerKind::Sgd) => sgd::<f64>(lr)?,
            (Number::Q16, OptimizerKind::Sgd) => sgd::<Q16>(lr)?,
            (Number::F32, OptimizerKind::Adam) => adam::<f32>(lr)?,
            (Number::F64, OptimizerKind::Adam) => adam::<f64>(lr)?,
            (Number::Q16, OptimizerKind::Adam) => crate::usage_bail!(
                "--optimizer adam needs a floating-point --number (f32 or f64): its square \
                 root and division of tiny moments do not fit q16.16"
            ),
        };
        let rate = Self {
            requested: lr,
            used,
            number,
        };
        let off = rate.relative_difference();
        if off > RATE_TOLERANCE {
            // The type's values on either side of the request (exactly, as `f64`), the
            // positive ones.
            let (low, high) = if used < next {
                (used, next)
            } else {
                (next, used)
            };
            let nearest = [low, high]
                .iter()
                .filter(|v| **v > 0.0)
                .map(|v| format!("{v:?}"))
                .collect::<Vec<_>>()
                .join(" or ");
            crate::usage_bail!(
                "--lr {lr:?} is {used:?} in {}, {:.1}% from the request (at most {}% is \
                 accepted): choose a rate {} holds, such as {nearest}",
                number.name(),
                100.0 * off,
                100.0 * RATE_TOLERANCE,
                number.name(),
            );
        }
        Ok(rate)
    }

    /// `|used - requested| / requested`.
    pub fn relative_difference(&self) -> f64 {
        (self.used - self.requested).abs() / self.requested
    }
}

/// The rate used, in the shortest form that reads back to the same value of its type
/// (`0.01` for `f32`'s nearest value to 0.01, `1.52587890625e-5` for one unit of `q16.16`).
impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.number {
            Number::F32 => write!(f, "{:?}", self.used as f32),
            Number::F64 | Number::Q16 => write!(f, "{:?}", self.used),
        }
    }
}

/// The rate used, as a JSON number in its type's shortest form (see [`Display`](fmt::Display)).
impl serde::Serialize for Rate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.number {
            Number::F32 => s.serialize_f32(self.used as f32),
            Number::F64 | Number::Q16 => s.serialize_f64(self.used),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        use Number::{F32, F64, Q16 as Q};
        use OptimizerKind::{Adam as A, Sgd as S};
        // (number, optimizer, lr, the rate used as shown, or the error's text)
        let cases: [(Number, OptimizerKind, f64, Result<&str, &str>); 16] = [
            (F32, S, 0.01, Ok("0.01")),
            (F64, S, 0.01, Ok("0.01")),
            (Q, S, 0.01, Ok("0.0099945068359375")),
            (F32, A, 1e-3, Ok("0.001")),
            (F64, S, 1e-300, Ok("1e-300")),
            (Q, S, 1.52587890625e-5, Ok("1.52587890625e-5")),
            (F32, S, 1e-50, Err("--lr 1e-50 rounds to zero in f32")),
            (
                F32,
                S,
                3.5e38,
                Err("--lr 3.5e38 is beyond the range of f32"),
            ),
            (F32, A, 1e39, Err("--lr 1e39 is beyond the range of f32")),
            (Q, S, 1e-6, Err("--lr 1e-6 rounds to zero in q16.16")),
            (
                Q,
                S,
                40000.0,
                Err("--lr 40000.0 is beyond the range of q16.16"),
            ),
            (F32, S, -0.5, Err("--lr must be > 0, got -0.5")),
            (
                Q,
                S,
                2.2e-5,
                Err(
                    "--lr 2.2e-5 is 1.52587890625e-5 in q16.16, 30.6% from the request (at \
                     most 1% is accepted): choose a rate q16.16 holds, such as \
                     1.52587890625e-5 or 3.0517578125e-5",
                ),
            ),
            (Q, S, 7.7e-6, Err("98.2% from the request")),
            (
                Q,
                A,
                1e-3,
                Err("--optimizer adam needs a floating-point --number"),
            ),
            // A subnormal f32 rate more than 1% from the request.
            (
                F32,
                S,
                1e-45,
                Err("--lr 1e-45 is 1.401298464324817e-45 in f32, 40.1% from the request"),
            ),
        ];
        for (number, optimizer, lr, want) in cases {
            let got = Rate::check(number, optimizer, lr);
            match want {
                Ok(shown) => {
                    let rate = got.unwrap_or_else(|e| panic!("{number:?} {lr}: {e}"));
                    assert_eq!(rate.to_string(), shown, "{number:?} {lr}");
                    assert!(rate.relative_difference() <= RATE_TOLERANCE);
                    // The JSON number is the same value (serde_json may write it without
                    // an exponent).
                    let json = serde_json::to_string(&rate).expect("serialises");
                    assert_eq!(
                        json.parse::<f64>().ok(),
                        shown.parse::<f64>().ok(),
                        "{number:?} {lr}: {json}"
                    );
                }
                Err(needle) => {
                    let e = got.expect_err("refused");
                    assert_eq!(crate::usage::exit_status(&e), 2, "{e}");
                    assert!(e.to_string().contains(needle), "{number:?} {lr}: {e}");
                }
            }
        }
        // Zero is not offered as a rate.
        let e = Rate::check(Q, S, 7.7e-6).expect_err("refused").to_string();
        assert!(e.ends_with("such as 1.52587890625e-5"), "{e}");
    }
}
