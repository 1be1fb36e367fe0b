//! The notebook's experiment: one forward/backward pass of each network on one sample, and
//! the mean |grad| of each layer's weight.

use skipgrad::{Float, Loss, Module, Mse, ParamName, Params, TorchInit, UniformFormula, Zeroed};

use crate::network::{Plain, WithShortcut, INPUT, PREFIX, SEED, TARGET};

/// What the experiment runs on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Experiment {
    /// `torch.manual_seed` value.
    pub seed: u64,
    /// The sample.
    pub input: [f32; 3],
    /// The target.
    pub target: f32,
    /// PyTorch's uniform formula for the initial weights.
    pub formula: UniformFormula,
}

impl Default for Experiment {
    /// The notebook's: seed 123, sample `[1, 0, -1]`, target 0, the float32 formula.
    fn default() -> Self {
        Self {
            seed: SEED,
            input: INPUT,
            target: TARGET[0],
            formula: UniformFormula::Float32,
        }
    }
}

/// The gradients of both networks, in `f32`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Gradients {
    /// `model_without_shortcut`'s.
    pub without_shortcut: Plain<f32>,
    /// `model_with_shortcut`'s.
    pub with_shortcut: WithShortcut<f32>,
}

impl Experiment {
    /// Both networks initialised from the seed, and their gradients on the sample.
    pub fn run(&self) -> Gradients {
        let plain: Plain<f32> = Params::torch_init(&mut self.init());
        let skip: WithShortcut<f32> = Params::torch_init(&mut self.init());
        Gradients {
            without_shortcut: gradients(&plain, &self.input, self.target),
            with_shortcut: gradients(&skip, &self.input, self.target),
        }
    }

    /// The generator after `torch.manual_seed(seed)`, with the experiment's formula.
    pub fn init(&self) -> TorchInit {
        TorchInit::with_formula(self.seed, self.formula)
    }
}

/// One forward/backward pass of `model` with the MSE loss on one sample, as the notebook's
/// `loss.backward()`.
pub fn gradients<T: Float, M>(model: &M, input: &[T; 3], target: T) -> M::Grads
where
    M: Module<[T; 3], Output = [T; 1]>,
{
    let mut cache = M::Cache::ZERO;
    let mut grads = M::Grads::ZERO;
    let y = model.forward(input, &mut cache);
    model.backward(&cache, &Mse.sample_gradient(&y, &[target]), &mut grads);
    grads
}

/// Calls `f` with the PyTorch name (`layers.0.0.weight`) and the mean |grad| of every weight
/// tensor, in order: `grad.abs().mean()`, summed in order and divided by the count, in `T`.
pub fn weight_means<T: Float, G: Params<T>>(grads: &G, mut f: impl FnMut(&ParamName, T)) {
    let mut name = ParamName::with_prefix(PREFIX);
    skipgrad::params::visit_named_under(grads, &mut name, &mut |name, _, t: &[T]| {
        if name.as_str().ends_with("weight") {
            let mut sum = T::ZERO;
            t.iter().for_each(|g| sum += g.abs());
            f(name, sum / T::from_usize(t.len()));
        }
    });
}
