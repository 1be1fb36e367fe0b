//! `train`'s flags ([`TrainArgs`]) and the run they describe, checked before any work
//! ([`Config`]): the model spec ([`Spec`]: the network, its number type, the optimizer and
//! its rate in that type), how long to train, how often to record the loss, and the seed.

use std::path::PathBuf;

use crate::flags;
use crate::model::task::Schedule;
use crate::model::{Model, ModelArgs, OptimizerKind, RoundingKind, Spec, Task};
use crate::plan::Plan;

/// The most steps a run takes.
pub const MAX_STEPS: usize = 1_000_000_000;
/// The most losses a run records (`steps / every`), so the curve fits in memory.
pub const MAX_RECORDED: usize = 1_000_000;
/// The default of `--every`.
pub const DEFAULT_EVERY: usize = 10;
/// The most epochs a run takes.
pub const MAX_EPOCHS: usize = 1_000_000;

/// Flags of `skipgrad train`. The default is no flag given: the calibration run (sin, 8
/// blocks of width 16, SGD lr 0.01, 2000 steps).
#[derive(Clone, Debug, PartialEq, clap::Args)]
pub struct TrainArgs {
    /// The model: task, shape, parts and number type.
    #[command(flatten)]
    pub model: ModelArgs,
    /// Full-batch steps of sin and moons, at most 1,000,000,000 [default: 2000].
    #[arg(long, allow_hyphen_values = true, value_parser = flags::count)]
    pub steps: Option<usize>,
    /// Passes over the training set of digits, in shuffled mini-batches of 32, at most
    /// 1,000,000 [default: 30].
    #[arg(long, allow_hyphen_values = true, value_parser = flags::count)]
    pub epochs: Option<usize>,
    /// The optimizer [default: sgd; adam for digits].
    #[arg(long, value_enum)]
    pub optimizer: Option<OptimizerKind>,
    /// Learning rate [default: 0.01 for sgd, 1e-3 for adam; 1e-2 for adam on digits].
    #[arg(long, allow_hyphen_values = true, value_parser = flags::finite)]
    pub lr: Option<f64>,
    /// How SGD rounds its updates [default: stochastic for q16.16, nearest otherwise].
    #[arg(long, value_enum)]
    pub rounding: Option<RoundingKind>,
    /// `torch.manual_seed` value for the initial weights (and the seed of the digits'
    /// mini-batch order) [default: 0].
    #[arg(long, allow_hyphen_values = true, value_parser = flags::seed)]
    pub seed: Option<u64>,
    /// Record the loss every this many steps (JSON `losses` and the plot): the loss of
    /// step 0, N, 2N, ..., then the final one. At most 1,000,000 losses are recorded.
    #[arg(long, default_value_t = DEFAULT_EVERY, allow_hyphen_values = true, value_parser = flags::count)]
    pub every: usize,
    /// Write an SVG plot to this file: for sin and moons, the loss curves of both variants
    /// (with and without shortcuts; the other one is trained too); for digits, the run's
    /// curves.
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
    /// Print one JSON object {"task", "steps", "final_loss", "losses", ...} and nothing else
    /// on stdout.
    #[arg(long)]
    pub json: bool,
    /// Start from the weights of this safetensors file (PyTorch's names) instead of
    /// `torch.manual_seed`'s, each rounded to the nearest value of --number (ties to even),
    /// with a report of every tensor. A value beyond the number type's range refuses the
    /// file unless --saturate is given.
    #[arg(long, value_name = "FILE")]
    pub load: Option<PathBuf>,
    /// With --load: load a value beyond --number's range as the largest value of its sign
    /// (counted in the report) instead of refusing the file.
    #[arg(long, requires = "load")]
    pub saturate: bool,
    /// Write the trained weights to this safetensors file.
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,
    /// For digits: train and test on this digits file (SKGD: a training and a test set, for
    /// example one device's partition) [default: the committed digits].
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
}

impl Default for TrainArgs {
    fn default() -> Self {
        Self {
            model: ModelArgs::default(),
            steps: None,
            epochs: None,
            optimizer: None,
            lr: None,
            rounding: None,
            seed: None,
            every: DEFAULT_EVERY,
            plot: None,
            json: false,
            load: None,
            saturate: false,
            save: None,
            data: None,
        }
    }
}

/// A validated training run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Config {
    /// The model and its optimizer.
    pub spec: Spec,
    /// How long to train.
    pub schedule: Schedule,
    /// Loss recording interval, in steps.
    pub every: usize,
    /// Initialisation seed (and the mini-batch order's).
    pub seed: u64,
}

impl TrainArgs {
    /// Checks every flag and resolves the defaults, before any work: the model ([`Model::new`]:
    /// the shape, the parts in the number type, the loss against the task), the schedule and
    /// the counts, the optimizer and its rate in the model's own number type and the
    /// rounding ([`Spec::new`]). Every refusal is a usage error (exit status 2) that names
    /// the flag.
    pub fn config(&self) -> anyhow::Result<Config> {
        let model = self.model.model()?;
        let task = model.task();
        for (flag, value) in [
            ("--steps", self.steps),
            ("--epochs", self.epochs),
            ("--every", Some(self.every)),
        ] {
            if value == Some(0) {
                crate::usage_bail!("{flag} must be at least 1");
            }
        }
        let row = task.row();
        let schedule = match (row.schedule, self.steps, self.epochs) {
            (Schedule::Steps(_), _, Some(_)) => crate::usage_bail!(
                "--epochs counts passes of --task digits; --task {task} trains full batch: use \
                 --steps"
            ),
            (Schedule::Epochs(_), Some(_), _) => crate::usage_bail!(
                "--steps counts full-batch steps; --task {task} trains in mini-batches: use \
                 --epochs"
            ),
            (Schedule::Steps(n), steps, None) => Schedule::Steps(steps.unwrap_or(n)),
            (Schedule::Epochs(n), None, epochs) => match epochs {
                None => Schedule::Epochs(n),
                Some(e) if e > MAX_EPOCHS => {
                    crate::usage_bail!("--epochs must be at most {MAX_EPOCHS}, got {e}")
                }
                Some(e) => Schedule::Epochs(e as u32),
            },
        };
        if let Schedule::Steps(steps) = schedule {
            if steps > MAX_STEPS {
                crate::usage_bail!("--steps must be at most {MAX_STEPS}, got {steps}");
            }
            check_recorded(steps, self.every, "--steps")?;
        }
        if self.data.is_some() && !row.reads_data {
            crate::usage_bail!(
                "--data is a digits file for --task digits; --task {task} generates its data"
            );
        }
        let spec = Spec::new(model, self.optimizer, self.lr, self.rounding)?;
        Ok(Config {
            spec,
            schedule,
            every: self.every,
            seed: self.seed.unwrap_or(row.seed),
        })
    }

    /// The files the run reads and writes, to be checked before the first step.
    pub fn plan(&self) -> Plan {
        Plan::new()
            .maybe_input("--load", self.load.as_ref())
            .maybe_input("--data", self.data.as_ref())
            .maybe_output("--save", self.save.as_ref())
            .maybe_output("--plot", self.plot.as_ref())
    }
}

/// A usage error if `steps` with `every` would record more than [`MAX_RECORDED`] losses.
fn check_recorded(steps: usize, every: usize, what: &str) -> anyhow::Result<()> {
    if steps / every > MAX_RECORDED {
        crate::usage_bail!(
            "{what} {steps} with --every {every} would record {} losses; at most \
             {MAX_RECORDED} (raise --every)",
            steps / every
        );
    }
    Ok(())
}

impl Config {
    /// The model.
    pub fn model(&self) -> &Model {
        self.spec.model()
    }

    /// The task.
    pub fn task(&self) -> Task {
        self.model().task()
    }

    /// The steps of the run for a training set of `samples` samples (the epochs' steps for a
    /// schedule in epochs); a usage error beyond [`MAX_STEPS`] or [`MAX_RECORDED`] losses.
    pub fn steps(&self, samples: usize) -> anyhow::Result<usize> {
        match self.schedule {
            Schedule::Steps(steps) => Ok(steps),
            Schedule::Epochs(epochs) => {
                let per_epoch = samples / crate::model::task::digits::BATCH;
                let steps = per_epoch.saturating_mul(epochs as usize);
                if steps > MAX_STEPS {
                    crate::usage_bail!(
                        "--epochs {epochs} of {samples} samples would take {steps} steps; at \
                         most {MAX_STEPS}"
                    );
                }
                check_recorded(steps, self.every, "--epochs")?;
                Ok(steps)
            }
        }
    }

    /// The same run with or without shortcuts.
    pub fn with_shortcut(self, shortcut: bool) -> Self {
        Self {
            spec: self.spec.with_shortcut(shortcut),
            ..self
        }
    }
}
