//! Python's `repr(float)`, without allocation: how the notebook prints its numbers.

use core::fmt::{self, Write};

/// Formats an `f64` as Python's `repr(x)` (and so an f-string) does: the shortest digits that
/// round-trip, positional when the decimal exponent is in `-4..16` (with a `.0` added to
/// integral values), scientific otherwise (`1e-05`, `1.5e+16`); `nan`, `inf`, `-inf`.
///
/// Rust's `{}` gives the same digits but never switches to scientific notation, so a mean
/// below `1e-4` would print differently from the notebook. The digits identify the `f64`
/// exactly (and an `f32` widened to it), so comparing printed values compares bits.
///
/// ```
/// use skipgrad_notebook::repr::PyRepr;
/// assert_eq!(format!("{}", PyRepr(1e-5)), "1e-05");
/// assert_eq!(format!("{}", PyRepr(0.00020173590746708214)), "0.00020173590746708214");
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PyRepr(pub f64);

impl fmt::Display for PyRepr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let x = self.0;
        if x.is_nan() {
            return f.write_str("nan");
        }
        if x.is_infinite() {
            return f.write_str(if x > 0.0 { "inf" } else { "-inf" });
        }
        // Shortest round-trip digits, e.g. "-2.0173590746708214e-4" or "0e0" (at most 24
        // characters for an f64).
        let mut sci = heapless::String::<32>::new();
        write!(sci, "{x:e}")?;
        let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
        let (sign, mantissa) = match mantissa.strip_prefix('-') {
            Some(m) => ("-", m),
            None => ("", mantissa),
        };
        let mut digits = heapless::String::<24>::new();
        for c in mantissa.chars().filter(|c| *c != '.') {
            digits.push(c).map_err(|_| fmt::Error)?;
        }
        let digits = digits.as_str();
        // x = 0.DIGITS * 10^decpt, as CPython's float formatting counts it.
        let decpt = exp.parse::<i32>().unwrap_or(0) + 1;
        let n = digits.len() as i32;
        f.write_str(sign)?;
        if decpt <= -4 || decpt > 16 {
            let (first, rest) = digits.split_at_checked(1).unwrap_or((digits, ""));
            f.write_str(first)?;
            if !rest.is_empty() {
                write!(f, ".{rest}")?;
            }
            let e = decpt - 1;
            let esign = if e < 0 { '-' } else { '+' };
            write!(f, "e{esign}{:02}", e.unsigned_abs())
        } else if decpt <= 0 {
            f.write_str("0.")?;
            for _ in 0..decpt.unsigned_abs() {
                f.write_char('0')?;
            }
            f.write_str(digits)
        } else if decpt >= n {
            f.write_str(digits)?;
            for _ in 0..(decpt - n) {
                f.write_char('0')?;
            }
            f.write_str(".0")
        } else {
            let (int, frac) = digits
                .split_at_checked(decpt as usize)
                .unwrap_or((digits, ""));
            write!(f, "{int}.{frac}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_repr_table() {
        // Right-hand sides printed by CPython's repr().
        let cases: [(f64, &str); 19] = [
            (1e-5, "1e-05"),
            (1.5e-5, "1.5e-05"),
            (0.0001, "0.0001"),
            (9.999999999999999e-5, "9.999999999999999e-05"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (1.0, "1.0"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (123456789012345678.0, "1.2345678901234568e+17"),
            (2.5e-10, "2.5e-10"),
            (0.00020173590746708214, "0.00020173590746708214"),
            (1e22, "1e+22"),
            (f64::MAX, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
            (1234.5, "1234.5"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "nan"),
        ];
        for (x, want) in cases {
            let mut got = heapless::String::<32>::new();
            assert!(write!(got, "{}", PyRepr(x)).is_ok());
            assert_eq!(got.as_str(), want, "{x:e}");
        }
    }
}
