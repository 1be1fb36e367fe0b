//! A safetensors file's weights into a model of any number type, with a report of every
//! tensor (`train --load`, `convert`, `import`).
//!
//! The file is read into the same network in `f64` ([`crate::safetensors::load`]: every check
//! of a hostile file, and every dtype widened exactly), and the core converts that model into
//! the run's number type ([`skipgrad::params::convert`]): each value rounded to the nearest
//! value of the type, ties to even, so at most half a step away (`2^-17` in `q16.16`, half an
//! ulp in `f32`; an `F32` file into `f32` is kept bit for bit). Every tensor's conversion is
//! reported ([`Report`]: values saturated, nonzero values flushed to zero, the largest error
//! and the largest magnitude), as text ([`Report::text`]) and JSON.
//!
//! A value beyond the type's range (in `q16.16` one beyond `32768 - 3 * 2^-17` in magnitude,
//! half-way between the largest value and the rail: the half-way value itself rounds to even
//! and stays in range; in `f32` one from `2^128 - 2^103` in magnitude, from an `F64` file)
//! refuses the file, naming the first such value and every tensor
//! that has one, unless [`Saturation::Clamp`] (`--saturate`) loads each as the largest value
//! of its sign; either way the report counts them. Nothing is loaded unless all of it passed.

use std::fmt::Write as _;

use skipgrad::params::{self, ConvertError, Params, Saturation, Shown};
use skipgrad::{Scalar, Zeroed};

use crate::escape::escaped;
use crate::safetensors::full_name;

/// How values are rounded, as the report says it.
pub const ROUNDING: &str = "nearest, ties to even";

/// One tensor's conversion.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct TensorLine {
    /// Its PyTorch name.
    pub name: String,
    /// Its number of values.
    pub values: usize,
    /// Values beyond the number type's range (clamped with `--saturate`).
    pub saturated: usize,
    /// Nonzero values that became zero.
    pub flushed: usize,
    /// The largest |converted - value| over the values in range.
    pub max_error: f64,
    /// The largest |value|.
    pub max_abs: f64,
}

/// A file's conversion into a model's number type.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Report {
    /// The number type the values were converted to (`f32`, `f64`, `q16.16`).
    pub number: &'static str,
    /// How values were rounded ([`ROUNDING`]).
    pub rounding: &'static str,
    /// What is done with a value beyond the range: `refuse` or `clamp`.
    pub saturation: &'static str,
    /// Values converted.
    pub values: usize,
    /// Values beyond the range, clamped.
    pub saturated: usize,
    /// Nonzero values that became zero.
    pub flushed: usize,
    /// The largest error over every value in range.
    pub max_error: f64,
    /// Every tensor, in registration order.
    pub tensors: Vec<TensorLine>,
}

/// The saturation policy of a command's `--saturate` flag: clamp when given, refuse
/// otherwise.
pub fn saturation(saturate: bool) -> Saturation {
    if saturate {
        Saturation::Clamp
    } else {
        Saturation::Refuse
    }
}

impl Report {
    /// True if every value was kept exactly.
    pub fn is_exact(&self) -> bool {
        self.max_error == 0.0 && self.saturated == 0 && self.flushed == 0
    }

    /// The report as text: one line for the whole (`what` names the file), then, unless every
    /// value was kept exactly, one line per tensor.
    pub fn text(&self, what: &str) -> String {
        if self.is_exact() {
            return format!(
                "{what}: {} values into {}, each exactly\n",
                self.values, self.number
            );
        }
        let mut out = format!(
            "{what}: {} values into {} (rounded to {}): {} saturated{}, {} flushed to zero, \
             largest error {:.3e}\n",
            self.values,
            self.number,
            self.rounding,
            self.saturated,
            if self.saturated > 0 {
                " (clamped to the largest value of their sign)"
            } else {
                ""
            },
            self.flushed,
            self.max_error
        );
        let width = self
            .tensors
            .iter()
            .map(|t| escaped(&t.name).to_string().chars().count())
            .max()
            .unwrap_or(0)
            .max("tensor".len());
        let _ = writeln!(
            out,
            "  {:<width$} {:>7} {:>9} {:>7} {:>11} {:>12}",
            "tensor", "values", "saturated", "flushed", "max |error|", "max |value|"
        );
        for t in &self.tensors {
            let _ = writeln!(
                out,
                "  {:<width$} {:>7} {:>9} {:>7} {:>11.3e} {:>12.4}",
                // A string: `Escaped` writes its characters and ignores the width.
                escaped(&t.name).to_string(),
                t.values,
                t.saturated,
                t.flushed,
                t.max_error,
                Shown(t.max_abs)
            );
        }
        out
    }
}

/// The message of a refused conversion into `T`, naming tensors from `lines`.
fn describe<T: Scalar>(e: &ConvertError, lines: &[TensorLine]) -> String {
    let name = |i: usize| {
        lines
            .get(i)
            .map(|l| format!("`{}`", escaped(&l.name)))
            .unwrap_or_else(|| format!("#{i}"))
    };
    let number = T::FORMAT.name();
    match *e {
        ConvertError::Saturated {
            tensor,
            element,
            value,
            count,
        } => {
            let tensors: Vec<String> = lines
                .iter()
                .filter(|l| l.saturated > 0)
                .map(|l| format!("`{}` {}", escaped(&l.name), l.saturated))
                .collect();
            format!(
                "tensor {}: element {element} is {}, beyond the range of {number} \
                 (largest {}); {count} value(s) are, in {} tensor(s): {}. --saturate loads \
                 each as the largest value of its sign",
                name(tensor),
                Shown(value),
                Shown(T::LARGEST.to_f64()),
                tensors.len(),
                tensors.join(", ")
            )
        }
        ConvertError::NonFinite { tensor, element } => {
            format!("tensor {}: element {element} is not finite", name(tensor))
        }
        ConvertError::Mismatch { tensor } => {
            format!(
                "tensor {}: an internal disagreement between the f64 and {number} networks \
                 (the tensor is named or shaped differently in the two)",
                name(tensor)
            )
        }
        _ => e.to_string(),
    }
}

/// Loads `model` (in `T`) from a safetensors file whose names are the model's under
/// `prefix`, through `W`, the same network in `f64`: checked, converted and reported as the
/// [module](self) says. On an error the model is unchanged.
pub fn load<W, T, M>(
    model: &mut M,
    bytes: &[u8],
    prefix: &str,
    saturation: Saturation,
) -> anyhow::Result<Report>
where
    W: Params<f64> + Zeroed,
    T: Scalar,
    M: Params<T>,
{
    let mut wide = Box::new(W::ZERO);
    crate::safetensors::load(&mut *wide, bytes, prefix)?;
    let mut tensors = Vec::new();
    let converted = params::convert::<f64, T, W, M>(&*wide, model, saturation, |name, r| {
        tensors.push(TensorLine {
            name: full_name(prefix, name.as_str()),
            values: r.len,
            saturated: r.saturated,
            flushed: r.flushed,
            max_error: r.max_error,
            max_abs: r.max_abs,
        });
    });
    let summary = converted.map_err(|e| anyhow::anyhow!(describe::<T>(&e, &tensors)))?;
    Ok(Report {
        number: T::FORMAT.name(),
        rounding: ROUNDING,
        saturation: saturation.name(),
        values: summary.values,
        saturated: summary.saturated,
        flushed: summary.flushed,
        max_error: summary.max_error,
        tensors,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use skipgrad::{Linear, Q16};

    type Net<T> = (Linear<T, 2, 3>, Linear<T, 3, 1>);

    fn file(weights: [[f32; 2]; 3], head: f32) -> Vec<u8> {
        let net: Net<f32> = (
            Linear::new(weights, [0.5, -0.25, 1e-7]),
            Linear::new([[1.0, 2.0, head]], [0.0]),
        );
        crate::safetensors::write(&net, "m", &[])
    }

    #[test]
    fn quantises_with_a_report_and_refuses_saturation() {
        let bytes = file([[0.1, 0.2], [40000.0, -0.3], [0.4, -1e6]], 3.0);
        let mut q = Net::<Q16>::ZERO;
        let e = load::<Net<f64>, Q16, _>(&mut q, &bytes, "m", Saturation::Refuse)
            .expect_err("saturates")
            .to_string();
        assert_eq!(
            e,
            "tensor `m.0.weight`: element 2 is 40000, beyond the range of q16.16 (largest \
             32767.999969482422); 2 value(s) are, in 1 tensor(s): `m.0.weight` 2. --saturate \
             loads each as the largest value of its sign"
        );
        assert_eq!(q, Net::ZERO);
        let r = load::<Net<f64>, Q16, _>(&mut q, &bytes, "m", Saturation::Clamp).expect("loads");
        assert_eq!((r.values, r.saturated, r.flushed), (13, 2, 1));
        assert_eq!(r.tensors.len(), 4);
        assert_eq!(r.tensors[0].name, "m.0.weight");
        assert_eq!((r.tensors[0].saturated, r.tensors[1].flushed), (2, 1));
        assert_eq!(q.0.weight[1][0], Q16::LARGEST);
        assert_eq!(q.0.weight[2][1], -Q16::LARGEST);
        assert!(r.max_error <= 0.5 / 65536.0 && r.max_error > 0.0);
        let text = r.text("--load w");
        assert!(
            text.starts_with(
                "--load w: 13 values into q16.16 (rounded to nearest, ties to even): 2 \
                 saturated (clamped to the largest value of their sign), 1 flushed to zero"
            ),
            "{text}"
        );
        assert_eq!(text.lines().count(), 6, "{text}");
        // The table's columns line up: every line as wide as its header.
        let widths: Vec<usize> = text.lines().skip(1).map(|l| l.chars().count()).collect();
        assert!(widths.iter().all(|w| *w == widths[0]), "{text}");
    }

    #[test]
    fn float_files_into_f32_are_exact() {
        let bytes = file([[0.1, 0.2], [3.0, -0.3], [0.4, -1e6]], 3.0);
        let mut f = Net::<f32>::ZERO;
        let r = load::<Net<f64>, f32, _>(&mut f, &bytes, "m", Saturation::Refuse).expect("loads");
        assert!(r.is_exact());
        assert_eq!(f.0.weight[2][1], -1e6);
        assert_eq!(f.0.bias[2], 1e-7);
        assert_eq!(r.text("w"), "w: 13 values into f32, each exactly\n");
    }

    /// Huge values print in scientific notation: in the refusal, and in the table.
    #[test]
    fn huge_values_print_in_scientific_notation() {
        let mut wide: Net<f64> = Net::ZERO;
        wide.0.weight[1][1] = -1e300;
        let bytes = crate::safetensors::write(&wide, "m", &[]);
        let mut f = Net::<f32>::ZERO;
        let e = load::<Net<f64>, f32, _>(&mut f, &bytes, "m", Saturation::Refuse)
            .expect_err("saturates")
            .to_string();
        assert_eq!(
            e,
            "tensor `m.0.weight`: element 3 is -1e300, beyond the range of f32 (largest \
             3.4028234663852886e38); 1 value(s) are, in 1 tensor(s): `m.0.weight` 1. \
             --saturate loads each as the largest value of its sign"
        );
        let r = load::<Net<f64>, f32, _>(&mut f, &bytes, "m", saturation(true)).expect("loads");
        assert_eq!(f.0.weight[1][1], -f32::MAX);
        assert_eq!(r.saturation, "clamp");
        let text = r.text("w");
        assert!(text.contains(" 1.0000e300\n"), "{text}");
    }
}
