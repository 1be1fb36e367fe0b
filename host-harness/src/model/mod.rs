//! The model spec: what a run trains, a file holds and a command dispatches on, checked once
//! against what exists before any work.
//!
//! - A [`Model`] is a task (and so the network's inputs and outputs), a shape (hidden
//!   blocks and their width), the parts (activation, loss, normalisation, shortcuts) and a
//!   number type. [`ModelArgs::model`] resolves the flags against the task's defaults and
//!   checks that the shape is compiled, that every part exists in the number type and that
//!   the loss suits the task's labels.
//! - A [`Spec`] is a model and its optimizer: the optimizer, its learning rate judged in the
//!   model's own number type ([`Rate`]) and SGD's rounding.
//! - [`Model::dispatch`] turns a model into its concrete types, once, for a
//!   [`Visit`]or: `train`, `convert` and `import` are visitors, and `exhaustive` visits the
//!   activation table ([`ActivationKind::visit`]).
//!
//! Each part is declared once, as a row of its table: [`activation`], [`loss`], [`norm`],
//! [`number`], [`optimizer`] and [`task`]; a row yields its command-line name, its title and
//! its core type. The tables are built by the macros of `table.rs`.

pub mod activation;
pub mod dispatch;
pub mod flags;
pub mod loss;
pub mod network;
pub mod norm;
pub mod number;
pub mod optimizer;
pub mod rate;
pub mod shape;
pub(crate) mod table;
pub mod task;

pub use activation::ActivationKind;
pub use dispatch::{Family, Visit};
pub use flags::{ModelArgs, NetworkArgs, NetworkName, Which};
pub use loss::LossKind;
pub use norm::NormKind;
pub use number::{Number, TrainNumber};
pub use optimizer::{OptimizerKind, RoundingKind};
pub use rate::Rate;
pub use task::Task;

/// A network a run trains and a file holds, checked against what the binary has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Model {
    task: Task,
    depth: usize,
    width: usize,
    activation: ActivationKind,
    loss: LossKind,
    norm: NormKind,
    shortcut: bool,
    number: Number,
}

/// A `Model`'s parts, as requested.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Parts {
    /// The activation.
    pub activation: ActivationKind,
    /// The loss.
    pub loss: LossKind,
    /// The normalisation.
    pub norm: NormKind,
}

/// `"--name"` and the flag's value, or that it is the task's default.
fn flag(name: &str, value: &str, given: bool, task: Task) -> String {
    if given {
        format!("--{name} {value}")
    } else {
        format!("--{name} {value} (the default of --task {task})")
    }
}

impl Model {
    /// The model of these flags, each resolved against the task's defaults and checked
    /// (see the [module](self)); every refusal is a usage error that names the flag.
    pub fn new(args: &ModelArgs) -> anyhow::Result<Self> {
        let task = args.task.unwrap_or_default();
        let row = task.row();
        let (depth, width) = (
            args.depth.unwrap_or(row.depth),
            args.width.unwrap_or(row.width),
        );
        if !row.menu.contains(depth, width) {
            crate::usage_bail!(
                "unsupported shape: depth {depth}, width {width}; the compiled shapes of \
                 --task {task} are {}",
                row.menu.describe()
            );
        }
        let number = args.number.unwrap_or_default();
        let activation = args.activation.unwrap_or(row.activation);
        if !activation.exists_in(number) {
            let has: Vec<&str> = ActivationKind::ALL
                .iter()
                .filter(|a| a.exists_in(number))
                .map(|a| a.name())
                .collect();
            crate::usage_bail!(
                "{} does not exist in {number}; the activations of {number} are {}",
                flag(
                    "activation",
                    activation.name(),
                    args.activation.is_some(),
                    task
                ),
                has.join(", ")
            );
        }
        let loss = args.loss.unwrap_or(row.loss);
        if loss.classifies() && row.labels == task::Labels::Values {
            let labelled: Vec<&str> = Task::ALL
                .iter()
                .filter(|t| t.row().labels != task::Labels::Values)
                .map(|t| t.name())
                .collect();
            let regress: Vec<&str> = LossKind::ALL
                .iter()
                .filter(|l| !l.classifies())
                .map(|l| l.name())
                .collect();
            crate::usage_bail!(
                "--loss {loss} trains a classifier on class labels: --task {task} has none (its \
                 targets are real numbers); use --task {}, or --loss {}",
                labelled.join(" or "),
                regress.join(" or ")
            );
        }
        if !loss.exists_in(number) {
            let has: Vec<&str> = LossKind::ALL
                .iter()
                .filter(|l| l.exists_in(number))
                .map(|l| l.name())
                .collect();
            crate::usage_bail!(
                "{} does not exist in {number}; the losses of {number} are {}",
                flag("loss", loss.name(), args.loss.is_some(), task),
                has.join(", ")
            );
        }
        Ok(Self {
            task,
            depth,
            width,
            activation,
            loss,
            norm: args.norm.unwrap_or_default(),
            shortcut: !args.no_shortcut,
            number,
        })
    }

    /// The task.
    pub fn task(&self) -> Task {
        self.task
    }

    /// Hidden blocks.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Hidden width.
    pub fn width(&self) -> usize {
        self.width
    }

    /// The activation.
    pub fn activation(&self) -> ActivationKind {
        self.activation
    }

    /// The loss.
    pub fn loss(&self) -> LossKind {
        self.loss
    }

    /// The normalisation.
    pub fn norm(&self) -> NormKind {
        self.norm
    }

    /// The activation, loss and normalisation.
    pub fn parts(&self) -> Parts {
        Parts {
            activation: self.activation,
            loss: self.loss,
            norm: self.norm,
        }
    }

    /// Shortcuts around the hidden blocks.
    pub fn shortcut(&self) -> bool {
        self.shortcut
    }

    /// The number type.
    pub fn number(&self) -> Number {
        self.number
    }

    /// The same model with or without shortcuts (the same tensors).
    pub fn with_shortcut(self, shortcut: bool) -> Self {
        Self { shortcut, ..self }
    }

    /// The network's outputs.
    pub fn outputs(&self) -> usize {
        self.task.row().outputs(self.loss)
    }

    /// `8 blocks of width 16` (`1 block of width 32`).
    pub fn shape_text(&self) -> String {
        let blocks = if self.depth == 1 { "block" } else { "blocks" };
        format!("{} {blocks} of width {}", self.depth, self.width)
    }

    /// A short description of the network, e.g. `train's network (moons, 2 blocks of width
    /// 8, LayerNorm, 2 outputs)`: what its tensors depend on.
    pub fn describe(&self) -> String {
        let mut text = format!("train's network ({}, {}", self.task, self.shape_text());
        if self.norm != NormKind::default() {
            text += &format!(", {}", self.norm.title());
        }
        let outputs = self.outputs();
        text += &format!(", {outputs} output{}", if outputs == 1 { "" } else { "s" });
        if self.number != Number::default() {
            text += &format!(", {}", self.number);
        }
        text + ")"
    }
}

/// The optimizer of a run: its kind, its learning rate as the model's number type holds it,
/// and SGD's rounding.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OptimizerSpec {
    /// The optimizer.
    pub kind: OptimizerKind,
    /// The learning rate, requested and held.
    pub rate: Rate,
    /// The rounding of SGD's updates.
    pub rounding: RoundingKind,
}

/// A model and its optimizer, checked together: what `train` runs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spec {
    model: Model,
    optimizer: OptimizerSpec,
}

impl Spec {
    /// Checks the optimizer flags for `model` (see the [module](self)): the optimizer against
    /// the number type, the rate in that type ([`Rate::check`]), then the rounding. Only a
    /// `rounding` that was given is blamed; the default suits the number type.
    pub fn new(
        model: Model,
        optimizer: Option<OptimizerKind>,
        lr: Option<f64>,
        rounding: Option<RoundingKind>,
    ) -> anyhow::Result<Self> {
        let (task, number) = (model.task, model.number);
        let row = task.row();
        let kind = optimizer.unwrap_or(row.optimizer);
        if optimizer.is_none() && !kind.numbers().contains(&number) {
            crate::usage_bail!(
                "{} does not exist in {number}: give --optimizer sgd",
                flag("optimizer", kind.name(), false, task)
            );
        }
        let rate = Rate::check(number, kind, lr.unwrap_or(row.default_lr(kind)))?;
        if rounding == Some(RoundingKind::Stochastic) && number.is_float() {
            crate::usage_bail!(
                "--rounding stochastic is for --number q16.16 (floating point rounds to nearest)"
            );
        }
        if rounding == Some(RoundingKind::Stochastic) && kind != OptimizerKind::Sgd {
            crate::usage_bail!("--rounding stochastic is an option of --optimizer sgd");
        }
        Ok(Self {
            model,
            optimizer: OptimizerSpec {
                kind,
                rate,
                rounding: rounding.unwrap_or(RoundingKind::default_for(number)),
            },
        })
    }

    /// The model.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The optimizer.
    pub fn optimizer(&self) -> &OptimizerSpec {
        &self.optimizer
    }

    /// The same spec with or without shortcuts.
    pub fn with_shortcut(self, shortcut: bool) -> Self {
        Self {
            model: self.model.with_shortcut(shortcut),
            ..self
        }
    }
}
