//! The notebook's experiment on the host: the networks, gradients and printed tables of the
//! `no_std` [`skipgrad_notebook`] crate (shared with the firmware), as rows for JSON and plots.

use skipgrad::{Float, Params};
pub use skipgrad_notebook::experiment::{gradients, weight_means, Experiment, Gradients};
pub use skipgrad_notebook::network::{Layer, Plain, WithShortcut, PREFIX};
use skipgrad_notebook::repr::PyRepr;
pub use skipgrad_notebook::table::{NOTEBOOK_BOUND, PYTORCH_2_15_BOUND};

/// One row of the notebook's table.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct GradRow {
    /// PyTorch name, e.g. `layers.0.0.weight`.
    pub name: String,
    /// Mean absolute gradient of that weight.
    pub mean_abs_grad: f64,
}

/// Both tables.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Tables {
    /// `model_without_shortcut`.
    pub without_shortcut: Vec<GradRow>,
    /// `model_with_shortcut`.
    pub with_shortcut: Vec<GradRow>,
}

/// The mean |grad| of every weight tensor, named as PyTorch names it.
pub fn weight_rows<T: Float, G: Params<T>>(grads: &G) -> Vec<GradRow> {
    let mut rows = Vec::new();
    weight_means(grads, |name, mean| {
        rows.push(GradRow {
            name: name.as_str().to_owned(),
            mean_abs_grad: mean.to_f64(),
        });
    });
    rows
}

/// The rows of both tables.
pub fn tables(g: &Gradients) -> Tables {
    Tables {
        without_shortcut: weight_rows(&g.without_shortcut),
        with_shortcut: weight_rows(&g.with_shortcut),
    }
}

/// Runs the notebook's experiment in `f32`: both networks from the same seed.
pub fn run(e: &Experiment) -> Tables {
    tables(&e.run())
}

/// Both tables as the notebook prints them (the text a device prints too).
pub fn render_plain(g: &Gradients) -> String {
    let mut text = String::new();
    // Writing to a String cannot fail.
    let _ = skipgrad_notebook::table::write_tables(&mut text, g);
    text
}

/// Python's `repr` of `x` ([`PyRepr`]).
pub fn python_repr(x: f64) -> String {
    PyRepr(x).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg_attr(
        feature = "micromath",
        ignore = "micromath's approximate tanh is not PyTorch's"
    )]
    fn default_experiment_prints_the_notebook_rows() {
        let g = Experiment::default().run();
        let t = tables(&g);
        let names: Vec<&str> = t.without_shortcut.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "layers.0.0.weight",
                "layers.1.0.weight",
                "layers.2.0.weight",
                "layers.3.0.weight",
                "layers.4.0.weight"
            ]
        );
        let text = render_plain(&g);
        assert_eq!(text.lines().count(), 13);
        assert!(text.contains("\nlayers.0.0.weight has gradient mean of 0.22169"));
        assert_eq!(python_repr(1e-5), "1e-05");
    }
}
