//! Validating hyperparameters where they are made.

use crate::number::Scalar;

/// A hyperparameter an optimizer or a trainer cannot work with. Nothing was built.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum HyperError {
    /// NaN or infinite.
    NotFinite {
        /// The hyperparameter (`lr`, `momentum`, ...).
        name: &'static str,
    },
    /// Outside the range the method is defined on.
    OutOfRange {
        /// The hyperparameter.
        name: &'static str,
        /// The value given.
        value: f64,
        /// The accepted range, as text (`> 0`, `[0, 1)`).
        range: &'static str,
    },
    /// Non-zero, but zero once rounded to the model's number type, so it would do nothing.
    RoundsToZero {
        /// The hyperparameter.
        name: &'static str,
        /// The value given.
        value: f64,
        /// The model's number type (`f32`, `q16.16`).
        format: &'static str,
    },
    /// Finite, but not once rounded to the model's number type: infinite in floating point,
    /// a rail (saturated) in fixed point, so every update would overflow.
    Overflows {
        /// The hyperparameter.
        name: &'static str,
        /// The value given.
        value: f64,
        /// The model's number type.
        format: &'static str,
    },
}

impl core::fmt::Display for HyperError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::NotFinite { name } => write!(f, "{name} must be a finite number"),
            Self::OutOfRange { name, value, range } => {
                write!(f, "{name} must be {range}, got {value:?}")
            }
            Self::RoundsToZero {
                name,
                value,
                format,
            } => write!(f, "{name} {value:?} rounds to zero in {format}"),
            Self::Overflows {
                name,
                value,
                format,
            } => write!(f, "{name} {value:?} is beyond the range of {format}"),
        }
    }
}

impl core::error::Error for HyperError {}

/// Where a hyperparameter must lie.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Range {
    /// `> 0`.
    Positive,
    /// `>= 0`.
    NonNegative,
    /// `[0, 1)`.
    UnitOpen,
    /// `[0, 1]`.
    Unit,
}

impl Range {
    fn contains(self, v: f64) -> bool {
        match self {
            Range::Positive => v > 0.0,
            Range::NonNegative => v >= 0.0,
            Range::UnitOpen => (0.0..1.0).contains(&v),
            Range::Unit => (0.0..=1.0).contains(&v),
        }
    }

    fn text(self) -> &'static str {
        match self {
            Range::Positive => "> 0",
            Range::NonNegative => ">= 0",
            Range::UnitOpen => "in [0, 1)",
            Range::Unit => "in [0, 1]",
        }
    }
}

/// Checks `value` and returns it in `T`: finite, in `range`, not a non-zero value that
/// rounds to zero in `T`, and finite in `T` (not rounded to an infinity or a rail).
pub(crate) fn check<T: Scalar>(
    name: &'static str,
    value: f64,
    range: Range,
) -> Result<T, HyperError> {
    if !value.is_finite() {
        return Err(HyperError::NotFinite { name });
    }
    if !range.contains(value) {
        return Err(HyperError::OutOfRange {
            name,
            value,
            range: range.text(),
        });
    }
    let rounded = T::from_f64(value);
    if value != 0.0 && rounded == T::ZERO {
        return Err(HyperError::RoundsToZero {
            name,
            value,
            format: T::FORMAT.name(),
        });
    }
    if !rounded.is_finite() {
        return Err(HyperError::Overflows {
            name,
            value,
            format: T::FORMAT.name(),
        });
    }
    Ok(rounded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_table() {
        let cases: [(f64, Range, Option<f32>); 10] = [
            (0.1, Range::Positive, Some(0.1)),
            (0.0, Range::Positive, None),
            (-1.0, Range::NonNegative, None),
            (0.0, Range::NonNegative, Some(0.0)),
            (f64::NAN, Range::NonNegative, None),
            (f64::INFINITY, Range::Positive, None),
            (1.0, Range::UnitOpen, None),
            (1.0, Range::Unit, Some(1.0)),
            (1e-50, Range::Positive, None),
            (1e-40, Range::Positive, Some(1e-40)),
        ];
        for (v, range, want) in cases {
            assert_eq!(check::<f32>("x", v, range).ok(), want, "{v} {range:?}");
        }
        assert_eq!(
            check::<f32>("lr", 1e-50, Range::Positive),
            Err(HyperError::RoundsToZero {
                name: "lr",
                value: 1e-50,
                format: "f32"
            })
        );
        assert!(check::<f64>("lr", 1e-50, Range::Positive).is_ok());
    }

    /// A finite value that is infinite, or a rail, in the model's number type.
    #[test]
    fn overflow_table() {
        let overflows = |value, format| {
            Err(HyperError::Overflows {
                name: "lr",
                value,
                format,
            })
        };
        assert_eq!(
            check::<f32>("lr", 3.5e38, Range::Positive),
            overflows(3.5e38, "f32")
        );
        assert_eq!(
            check::<f32>("lr", 1e39, Range::Positive),
            overflows(1e39, "f32")
        );
        assert_eq!(check::<f32>("lr", 3.4e38, Range::Positive), Ok(3.4e38));
        assert_eq!(check::<f64>("lr", 1e300, Range::Positive), Ok(1e300));
        assert_eq!(
            check::<crate::Q16>("lr", 40000.0, Range::Positive),
            Err(HyperError::Overflows {
                name: "lr",
                value: 40000.0,
                format: "q16.16"
            })
        );
        assert_eq!(
            check::<crate::Q16>("lr", 32767.0, Range::Positive),
            Ok(crate::Q16::from_f64(32767.0))
        );
        let mut text = heapless::String::<64>::new();
        let e = HyperError::Overflows {
            name: "lr",
            value: 40000.0,
            format: "q16.16",
        };
        let _ = core::fmt::Write::write_fmt(&mut text, format_args!("{e}"));
        assert_eq!(text, "lr 40000.0 is beyond the range of q16.16");
    }
}
