//! The seed notebook's experiment: a 3-3-3-3-3-1 MLP of Linear + GELU blocks, with and
//! without shortcuts, one forward/backward pass on one sample, and the mean |grad| of each
//! layer's weight.

use skipgrad::{
    Gelu, Linear, Module, Mse, ParamName, Params, Residual, Scalar, TorchInit, UniformFormula,
    Zeroed,
};

/// One layer of the notebook: `nn.Sequential(nn.Linear(I, O), GELU())`.
pub type Layer<T, const I: usize, const O: usize> = (Linear<T, I, O>, Gelu);

/// The notebook's network without shortcuts.
pub type Plain<T> = (
    Layer<T, 3, 3>,
    Layer<T, 3, 3>,
    Layer<T, 3, 3>,
    Layer<T, 3, 3>,
    Layer<T, 3, 1>,
);

/// The notebook's network with shortcuts: the last layer (3 -> 1) has none, because its
/// input and output shapes differ, exactly as the notebook's runtime test decides.
pub type WithShortcut<T> = (
    Residual<Layer<T, 3, 3>>,
    Residual<Layer<T, 3, 3>>,
    Residual<Layer<T, 3, 3>>,
    Residual<Layer<T, 3, 3>>,
    Layer<T, 3, 1>,
);

/// The name PyTorch gives the notebook's module list.
pub const PREFIX: &str = "layers";

/// One row of the notebook's table.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct GradRow {
    /// PyTorch name, e.g. `layers.0.0.weight`.
    pub name: String,
    /// Mean absolute gradient of that weight.
    pub mean_abs_grad: f64,
}

/// Inputs of the experiment.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Experiment {
    /// `torch.manual_seed` value.
    pub seed: u64,
    /// The sample.
    pub input: [f32; 3],
    /// The target.
    pub target: f32,
    /// PyTorch's uniform formula.
    pub formula: UniformFormula,
}

impl Default for Experiment {
    fn default() -> Self {
        Self {
            seed: 123,
            input: [1.0, 0.0, -1.0],
            target: 0.0,
            formula: UniformFormula::Float32,
        }
    }
}

/// Both tables.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Tables {
    /// `model_without_shortcut`.
    pub without_shortcut: Vec<GradRow>,
    /// `model_with_shortcut`.
    pub with_shortcut: Vec<GradRow>,
}

/// Gradients of one network after the notebook's forward/backward pass.
pub fn gradients<T: Scalar, M>(model: &M, input: &[T; 3], target: T) -> M
where
    M: Module<[T; 3], Output = [T; 1]> + Params<T>,
{
    let mut cache = M::Cache::zeroed();
    let mut grads = M::zeroed();
    let y = model.forward(input, &mut cache);
    let dy = Mse::gradient(&y, &[target]);
    model.backward(&cache, &dy, &mut grads);
    grads
}

/// The mean |grad| of every weight tensor, named as PyTorch names it (computed in `T`,
/// summed in order, then divided by the count, as `grad.abs().mean()`).
pub fn weight_rows<T: Scalar, M: Params<T>>(grads: &M) -> Vec<GradRow> {
    let mut rows = Vec::new();
    grads.visit_named(&mut ParamName::with_prefix(PREFIX), &mut |name, t| {
        if name.as_str().ends_with("weight") {
            let mut sum = T::ZERO;
            t.iter().for_each(|g| sum += g.abs());
            let mean = sum / T::from_usize(t.len());
            rows.push(GradRow {
                name: name.as_str().to_owned(),
                mean_abs_grad: mean.to_f64(),
            });
        }
    });
    rows
}

/// Runs the notebook's experiment in `f32`: both networks from the same seed.
pub fn run(e: &Experiment) -> Tables {
    let plain: Plain<f32> = Params::torch_init(&mut TorchInit::with_formula(e.seed, e.formula));
    let skip: WithShortcut<f32> =
        Params::torch_init(&mut TorchInit::with_formula(e.seed, e.formula));
    Tables {
        without_shortcut: weight_rows(&gradients(&plain, &e.input, e.target)),
        with_shortcut: weight_rows(&gradients(&skip, &e.input, e.target)),
    }
}

/// The table as the notebook prints it.
pub fn print_table(rows: &[GradRow]) -> String {
    rows.iter()
        .map(|r| format!("{} has gradient mean of {}\n", r.name, r.mean_abs_grad))
        .collect()
}
