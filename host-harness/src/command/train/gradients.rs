//! The first step's gradients: what the notebook shows (each weight's mean |grad| through
//! the depth of the network), for every network `train` builds and in its own number type.
//!
//! [`FirstGradients`] wraps the run's optimizer and reads the gradients the trainer hands to
//! its first update: those of the first batch's mean loss at the initial weights, exactly as
//! the run computed them (in `q16.16`, in fixed point, where a gradient below half a unit is
//! zero). The training run is not changed by it.

use skipgrad::params::{self, Ref};
use skipgrad::{NonFiniteUpdate, Optimizer, Params, Scalar};

/// One weight tensor's gradient at the first step.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct WeightGradient {
    /// Its name, as `train --save` names it (`0.0.weight`, `1.3.0.weight`, `2.weight`).
    pub name: String,
    /// The mean of the absolute values, each converted exactly to `f64` and summed in `f64`.
    pub mean_abs_grad: f64,
    /// How many of its gradients are exactly zero (in fixed point: below half a unit).
    pub zeros: usize,
    /// How many gradients it has.
    pub count: usize,
}

/// The mean |grad| of every weight tensor of `grads` (a gradient value of the model `M`),
/// in registration order.
pub fn weight_gradients<T: Scalar, M: Params<T>>(grads: &M::Grads) -> Vec<WeightGradient> {
    let mut names = Vec::new();
    params::visit_shapes::<M, T, _>(|name, _| names.push(name.to_string()));
    let mut names = names.into_iter();
    let mut rows = Vec::new();
    params::zip_grads::<M, Ref, T, _>(grads, |_, values| {
        let name = names.next().unwrap_or_default();
        if name.ends_with("weight") {
            let sum: f64 = values.iter().map(|g| g.to_f64().abs()).sum();
            rows.push(WeightGradient {
                name,
                mean_abs_grad: sum / values.len().max(1) as f64,
                zeros: values.iter().filter(|g| **g == T::ZERO).count(),
                count: values.len(),
            });
        }
    });
    rows
}

/// An optimizer that records the gradients of its first update, then updates as `inner`.
pub struct FirstGradients<O> {
    /// The run's optimizer.
    pub inner: O,
    /// The first update's gradients, once it was called.
    pub first: Option<Vec<WeightGradient>>,
}

impl<O> FirstGradients<O> {
    /// `inner`, recording.
    pub fn new(inner: O) -> Self {
        Self { inner, first: None }
    }
}

impl<T: Scalar, M: Params<T>, O: Optimizer<T, M>> Optimizer<T, M> for FirstGradients<O> {
    fn update(&mut self, model: &mut M, grads: &mut M::Grads) -> Result<(), NonFiniteUpdate> {
        if self.first.is_none() {
            self.first = Some(weight_gradients::<T, M>(grads));
        }
        self.inner.update(model, grads)
    }
}

/// The gradients as text: one line per weight, `columns` side by side (each titled), the
/// count of zero gradients where there are any.
pub fn table(columns: &[(&str, &[WeightGradient])]) -> String {
    let Some((_, first)) = columns.first() else {
        return String::new();
    };
    let width = first.iter().map(|r| r.name.len()).max().unwrap_or(0);
    let mut text = format!(
        "first step's gradients (mean |grad| of each weight{}):\n{:width$}",
        if columns
            .iter()
            .any(|(_, rows)| rows.iter().any(|r| r.zeros > 0))
        {
            "; zero: gradients that are exactly 0"
        } else {
            ""
        },
        ""
    );
    for (title, _) in columns {
        text += &format!("  {title:>28}");
    }
    text.push('\n');
    for (i, row) in first.iter().enumerate() {
        text += &format!("{:width$}", row.name);
        for (_, rows) in columns {
            let cell = rows.get(i).map_or_else(String::new, |r| {
                if r.zeros > 0 {
                    format!("{:.4e} ({} of {} zero)", r.mean_abs_grad, r.zeros, r.count)
                } else {
                    format!("{:.4e}", r.mean_abs_grad)
                }
            });
            text += &format!("  {cell:>28}");
        }
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use skipgrad::{Linear, Q16};

    #[test]
    fn means_zeros_and_the_table() {
        type M = (Linear<Q16, 2, 2>, Linear<Q16, 2, 1>);
        let q = Q16::from_f64;
        let grads: M = (
            Linear::new([[q(0.5), q(-0.25)], [Q16::ZERO, q(1.0)]], [q(9.0); 2]),
            Linear::new([[Q16::ZERO, Q16::ZERO]], [q(3.0)]),
        );
        let rows = weight_gradients::<Q16, M>(&grads);
        assert_eq!(
            rows,
            [
                WeightGradient {
                    name: "0.weight".into(),
                    mean_abs_grad: 0.4375,
                    zeros: 1,
                    count: 4
                },
                WeightGradient {
                    name: "1.weight".into(),
                    mean_abs_grad: 0.0,
                    zeros: 2,
                    count: 2
                },
            ]
        );
        let text = table(&[("a", &rows), ("b", &rows[..1])]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert!(lines[0].ends_with("zero: gradients that are exactly 0):"));
        assert!(lines[2].starts_with("0.weight") && lines[2].contains("4.3750e-1 (1 of 4 zero)"));
        assert!(lines[3].contains("0.0000e0 (2 of 2 zero)"), "{text}");
    }
}
