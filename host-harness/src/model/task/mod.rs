//! The tasks a model learns (`--task`), one row each: the command-line name, the title and a
//! type that knows the task's data ([`TaskType`] for what the spec needs at run time,
//! [`TaskData`] for the network's widths, the training loop and the figures).
//!
//! - [`sin`]: `sin(x)` on 64 points, 1 input and 1 output, full batch.
//! - [`moons`]: two moons, 128 points, 2 inputs and 1 output (a label) or 2 logits, full
//!   batch.
//! - [`digits`]: handwritten digits (the `skipgrad-digits` crate's data, or a file of that
//!   format), 64 inputs and 10 outputs, epochs of mini-batches through the digits crate's
//!   own loop, test accuracy and the confusion matrix.
//!
//! A new task is its row below and its module: a type implementing both traits (its
//! defaults, its compiled shapes, its data and how a network trains on it).

pub mod digits;
mod full_batch;
pub mod moons;
pub mod sin;

use std::fmt;

use skipgrad::{Optimizer, StepError, Trainer};

use super::activation::ActivationKind;
use super::dispatch::Visit;
use super::loss::{LossKind, TaskLoss};
use super::network::Network;
use super::number::TrainNumber;
use super::optimizer::OptimizerKind;
use super::shape::Menu;
use super::table::choice;
use super::Model;

/// Declares the tasks from their rows (see the [module](self)).
macro_rules! tasks {
    ($( $(#[doc = $doc:literal])* $variant:ident = $cli:literal, $title:literal, $data:ty; )+) => {
        choice! {
            /// A task to learn.
            pub enum Task {
                $( $(#[doc = $doc])* $variant = $cli, $title; )+
            }
        }

        impl Task {
            /// What the model spec needs to know of the task.
            pub fn row(self) -> &'static TaskRow {
                match self {
                    $(Task::$variant => &<$data as TaskType>::ROW,)+
                }
            }

            /// Calls `v` with the networks of `model` (whose task this is) in `T`.
            pub(crate) fn networks<T: TrainNumber, V: Visit>(self, model: &Model, v: V) -> V::Output {
                match self {
                    $(Task::$variant => <$data as TaskType>::networks::<T, V>(model, v),)+
                }
            }
        }
    };
}

tasks! {
    /// sin(x) on 64 points of [-pi, pi] (1 input, 1 output).
    Sin = "sin", "sin(x), 64 points", sin::Sin;
    /// Two moons, 128 points (2 inputs; 1 output, or 2 logits for cross-entropy).
    Moons = "moons", "two moons, 128 points", moons::Moons;
    /// Handwritten 8x8 digits (64 inputs, 10 outputs): trained on the training set, tested
    /// on the test set.
    Digits = "digits", "handwritten digits", digits::Digits;
}

impl Default for Task {
    /// The notebook's kind of task.
    fn default() -> Self {
        Task::Sin
    }
}

/// What the truth of a sample is: a number (regression) or a class.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Truth {
    /// A real number (the target of the only output).
    Value(f32),
    /// A class index.
    Class(usize),
}

/// What a task's samples are labelled with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Labels {
    /// Real numbers: regression, no classes.
    Values,
    /// One of this many classes.
    Classes(usize),
}

/// How long a task trains by default, and in what unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Schedule {
    /// Full-batch steps.
    Steps(usize),
    /// Passes over the training set in shuffled mini-batches of [`digits::BATCH`].
    Epochs(u32),
}

impl Schedule {
    /// The full-batch steps (0 for a schedule in epochs).
    pub fn steps(self) -> usize {
        match self {
            Schedule::Steps(n) => n,
            Schedule::Epochs(_) => 0,
        }
    }

    /// The epochs (0 for a schedule in steps).
    pub fn epochs(self) -> u32 {
        match self {
            Schedule::Epochs(n) => n,
            Schedule::Steps(_) => 0,
        }
    }
}

/// The run-time facts of a task: its widths, labels, compiled shapes and defaults.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TaskRow {
    /// Inputs per sample.
    pub inputs: usize,
    /// What the samples are labelled with.
    pub labels: Labels,
    /// The compiled shapes.
    pub menu: Menu,
    /// The default hidden blocks.
    pub depth: usize,
    /// The default hidden width.
    pub width: usize,
    /// The default activation.
    pub activation: ActivationKind,
    /// The default loss.
    pub loss: LossKind,
    /// The default optimizer.
    pub optimizer: OptimizerKind,
    /// The default optimizer's default learning rate.
    pub lr: f64,
    /// The default schedule.
    pub schedule: Schedule,
    /// The default seed of the initial weights (and of the mini-batch order).
    pub seed: u64,
    /// True if the task reads its samples from a digits file (`--data`).
    pub reads_data: bool,
}

impl TaskRow {
    /// The outputs of the network for `loss`: one per class for a classifier with more than
    /// two classes or a class-index loss; one otherwise.
    pub fn outputs(&self, loss: LossKind) -> usize {
        match self.labels {
            Labels::Values => 1,
            Labels::Classes(n) if n > 2 || loss.targets() == super::loss::Targets::Class => n,
            Labels::Classes(_) => 1,
        }
    }

    /// The default learning rate of `optimizer` on this task.
    pub fn default_lr(&self, optimizer: OptimizerKind) -> f64 {
        if optimizer == self.optimizer {
            self.lr
        } else {
            optimizer.default_lr()
        }
    }
}

/// A task as the model spec sees it: its row, and the choice of its networks' widths.
pub trait TaskType: 'static {
    /// The task's run-time facts.
    const ROW: TaskRow;

    /// Calls `v` with `model`'s network in `T`, whose inputs and outputs the task knows.
    fn networks<T: TrainNumber, V: Visit>(model: &Model, v: V) -> V::Output;
}

/// The samples of a run: generated (sin, moons) or a digits file's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Data<'a> {
    /// Generated by the task itself.
    Generated,
    /// A checked digits file: its training and test sets.
    Digits(skipgrad_digits::Digits<'a>),
}

/// Sees a training run step by step.
pub trait Record<T> {
    /// Step `step` (from 0 over the run) was taken; `loss` is its batch's loss before the
    /// update.
    fn step(&mut self, step: usize, loss: T);

    /// True if [`Record::epoch`] wants the accuracies after every epoch (it costs a pass
    /// over the training and the test set).
    fn wants_epochs(&self) -> bool {
        false
    }

    /// Epoch `epoch` (from 0) ended with these accuracies on the training and the test set.
    fn epoch(&mut self, epoch: u32, accuracy: EpochAccuracy) {
        let _ = (epoch, accuracy);
    }
}

/// The accuracies after an epoch, as fractions.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct EpochAccuracy {
    /// On the training set.
    pub train: f64,
    /// On the test set.
    pub test: f64,
}

/// A step the core refused: the model and the optimizer keep their last good state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refused {
    /// The step, from 0 over the run.
    pub step: usize,
    /// Its epoch, where the run counts epochs.
    pub epoch: Option<u32>,
    /// Why.
    pub error: StepError,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.epoch {
            Some(epoch) => write!(
                f,
                "step {} (epoch {epoch}) refused: {}",
                self.step, self.error
            ),
            None => write!(f, "step {} refused: {}", self.step, self.error),
        }
    }
}

impl std::error::Error for Refused {}

/// A test digit the trained network got wrong.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Misclassified {
    /// Its position in the test set.
    pub index: usize,
    /// Its 8 x 8 grey levels (0 to 16), row-major.
    pub pixels: Vec<u8>,
    /// The true class.
    pub truth: usize,
    /// The predicted class.
    pub predicted: usize,
}

/// The figures on a held-out test set.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Test {
    /// The fraction classified right.
    pub accuracy: f64,
    /// Counts of (true class, predicted class): row = truth, column = prediction.
    pub confusion: Vec<Vec<u32>>,
    /// The first few test samples classified wrong, in order.
    pub misclassified: Vec<Misclassified>,
}

/// How a trained network does.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// The loss on the whole training set after the last update.
    pub final_loss: f64,
    /// For a classifier without a test set: the fraction of the training samples classified
    /// right.
    pub accuracy: Option<f64>,
    /// For a task with a test set: its figures.
    pub test: Option<Test>,
}

/// A task's data and training loop for networks from `I` inputs to `O` outputs.
pub trait TaskData<const I: usize, const O: usize>: 'static {
    /// Trains `trainer`'s network on `data` for `schedule` (`seed` orders the mini-batches,
    /// where there are any), telling `record` every step. A refused step ends the run with
    /// a [`Refused`] error.
    fn fit<T, M, L, Opt>(
        data: &Data<'_>,
        trainer: &mut Trainer<'_, M, [T; I], Opt, L>,
        schedule: Schedule,
        seed: u64,
        record: &mut dyn Record<T>,
    ) -> anyhow::Result<()>
    where
        T: TrainNumber,
        M: Network<T, I, O>,
        L: TaskLoss<T, O>,
        Opt: Optimizer<T, M>;

    /// How `model` does on `data` with `loss`.
    fn evaluate<T, M, L>(data: &Data<'_>, model: &M, loss: &L) -> anyhow::Result<Evaluation>
    where
        T: TrainNumber,
        M: Network<T, I, O>,
        L: TaskLoss<T, O>;

    /// Training sample `index` and its truth, if there is one.
    fn sample(data: &Data<'_>, index: usize) -> anyhow::Result<Option<([f32; I], Truth)>>;
}
