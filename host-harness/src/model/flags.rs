//! The flags that name a model, shared by `train`, `convert` and `import`: [`ModelArgs`]
//! (each optional, resolved against the task's defaults by [`Model::new`]) and, for the
//! commands that also read the notebook's weights, [`NetworkArgs`].

use super::{ActivationKind, LossKind, Model, NormKind, Number, Task};

/// The flags of a model. Each is optional: the task's row gives the defaults.
#[derive(Clone, Debug, Default, PartialEq, Eq, clap::Args)]
pub struct ModelArgs {
    /// The task (its data, and so the network's inputs and outputs) [default: sin].
    #[arg(long, value_enum)]
    pub task: Option<Task>,
    /// Hidden blocks: 2, 4, 8 or 16 for sin and moons [default: 8], 1 for digits.
    #[arg(long, allow_hyphen_values = true, value_parser = crate::flags::count)]
    pub depth: Option<usize>,
    /// Width of the hidden blocks: 8 or 16 for sin and moons [default: 16], 32 for digits.
    #[arg(long, allow_hyphen_values = true, value_parser = crate::flags::count)]
    pub width: Option<usize>,
    /// The activation after every hidden Linear (and the input layer's) [default: gelu-tanh;
    /// relu for digits].
    #[arg(long, value_enum)]
    pub activation: Option<ActivationKind>,
    /// The loss (cross-entropy and bce need class labels: moons or digits) [default: mse;
    /// cross-entropy for digits].
    #[arg(long, value_enum)]
    pub loss: Option<LossKind>,
    /// `layer`: a LayerNorm first in each hidden block, inside its shortcut [default: none].
    #[arg(long, value_enum)]
    pub norm: Option<NormKind>,
    /// The plain network (no shortcut connections).
    #[arg(long)]
    pub no_shortcut: bool,
    /// The number type [default: f32].
    #[arg(long, value_enum)]
    pub number: Option<Number>,
}

impl ModelArgs {
    /// The model these flags name, checked ([`Model::new`]).
    pub fn model(&self) -> anyhow::Result<Model> {
        Model::new(self)
    }

    /// The flags that were given, as `--task`, `--depth`, ...
    pub fn given(&self) -> Vec<&'static str> {
        [
            ("--task", self.task.is_some()),
            ("--depth", self.depth.is_some()),
            ("--width", self.width.is_some()),
            ("--activation", self.activation.is_some()),
            ("--loss", self.loss.is_some()),
            ("--norm", self.norm.is_some()),
            ("--no-shortcut", self.no_shortcut),
            ("--number", self.number.is_some()),
        ]
        .iter()
        .filter(|(_, given)| *given)
        .map(|(flag, _)| *flag)
        .collect()
    }
}

/// The network types' names on the command line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum NetworkName {
    /// The notebook's network (in --number's type: f32 by default).
    #[default]
    Notebook,
    /// `train`'s network (with the model flags: --task, --depth, --width, --activation,
    /// --loss, --norm, --no-shortcut, --number).
    Train,
}

/// Flags naming a network: the notebook's, or one `train` builds. The model flags belong to
/// `--network train`: given with the notebook's network, they are a usage error rather than
/// ignored, but for `--number`, the type the notebook's network is held in.
#[derive(Clone, Debug, Default, PartialEq, Eq, clap::Args)]
pub struct NetworkArgs {
    /// The network type.
    #[arg(long, value_enum, default_value_t = NetworkName::Notebook)]
    pub network: NetworkName,
    /// For `--network train`: the model.
    #[command(flatten)]
    pub model: ModelArgs,
}

/// Which network a command reads or writes the weights of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Which {
    /// The notebook's 3-3-3-3-3-1 network (`model_with_shortcut` and
    /// `model_without_shortcut`: the same tensors), in a number type (`f32` unless
    /// `--number` says otherwise).
    Notebook(Number),
    /// A network `train` builds and saves.
    Model(Model),
}

impl NetworkArgs {
    /// The network these flags name (a usage error for a model `train` cannot build, or for
    /// model flags given with the notebook's network).
    pub fn network(&self) -> anyhow::Result<Which> {
        match self.network {
            NetworkName::Notebook => {
                let given: Vec<&str> = self
                    .model
                    .given()
                    .into_iter()
                    .filter(|f| *f != "--number")
                    .collect();
                if !given.is_empty() {
                    crate::usage_bail!(
                        "{} describe --network train; the notebook's network has one shape \
                         (add --network train to use train's weights)",
                        given.join(", ")
                    );
                }
                Ok(Which::Notebook(self.model.number.unwrap_or_default()))
            }
            NetworkName::Train => Ok(Which::Model(self.model.model()?)),
        }
    }
}

impl Which {
    /// A short description, e.g. `train's network (sin, 8 blocks of width 16, 1 output)`.
    pub fn describe(&self) -> String {
        match self {
            Which::Notebook(Number::F32) => "the notebook's network".into(),
            Which::Notebook(n) => format!("the notebook's network in {n}"),
            Which::Model(m) => m.describe(),
        }
    }
}
