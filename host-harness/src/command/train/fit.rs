//! The fit: one training run of a [`Config`], as a visitor of the model dispatch. It builds
//! the network (`torch.manual_seed`'s weights, or `--load`'s), sets its activation and
//! shortcuts, builds the optimizer in the model's number type, hands the trainer to the
//! task's own loop ([`TaskData::fit`]: full batch, or the digits crate's epochs), records
//! the loss every `every` steps, and takes the task's figures ([`TaskData::evaluate`]).
//! Nothing is written: the trained weights come back as bytes.

use indicatif::ProgressBar;
use skipgrad::{Buffers, Scalar, StepError, TorchInit, Trainer, UniformFormula, Zeroed};

use super::config::Config;
use super::gradients::{FirstGradients, WeightGradient};
use super::weights::Weights;
use crate::conversion::Report;
use crate::model::loss::TaskLoss;
use crate::model::network::Network;
use crate::model::optimizer::RunOptimizer;
use crate::model::task::{Data, EpochAccuracy, Record, Refused, TaskData, Test};
use crate::model::{Family, Model, TrainNumber, Visit};

/// The result of one training run.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Curve {
    /// The loss of step 0, `every`, `2 * every`, ... (each before its update; full batch,
    /// or the step's mini-batch), and the final loss.
    pub losses: Vec<f32>,
    /// The steps at which `losses` were taken (updates done before each); the last is the
    /// run's step count.
    pub at_steps: Vec<usize>,
    /// The loss on the whole training set after the last update (for `q16.16` computed in
    /// `f64` from the model's outputs, see [`TrainNumber::final_loss`]).
    pub final_loss: f32,
    /// For `moons`: the fraction of points classified right after training.
    pub accuracy: Option<f64>,
    /// For `digits`: the test set's figures after training.
    pub test: Option<Test>,
    /// For `digits` with `--plot`: the training and test accuracy after each epoch.
    pub epoch_accuracy: Vec<EpochAccuracy>,
    /// Each weight's gradient at the first step (before any update).
    pub gradients: Vec<WeightGradient>,
}

/// A finished training run: its curve, and its trained weights as a safetensors file when
/// they are to be saved ([`Weights::save`]). Nothing is written until the command decides.
#[derive(Clone, Debug, PartialEq)]
pub struct Trained {
    /// The loss curve and the figures.
    pub curve: Curve,
    /// The trained weights' safetensors bytes, if asked for.
    pub weights: Option<Vec<u8>>,
    /// How `--load`'s file converted into the run's number type, if one was loaded.
    pub loaded: Option<Report>,
}

/// Why step `n` was refused and what may help: a smaller rate only where the rate had a
/// part in it (an update that overflows, or a loss or gradient after updates); before any
/// update, the starting weights (`loaded`: those of `--load`) overflow on the task.
fn refusal(e: &Refused, loaded: bool) -> String {
    let hint = match e.error {
        StepError::NonFiniteLoss | StepError::NonFiniteGradient if e.step == 0 => {
            if loaded {
                "before any update, so the weights of --load overflow on this task"
            } else {
                "before any update, so the initial weights overflow on this task"
            }
        }
        StepError::NonFiniteInput { .. } | StepError::InvalidTarget { .. } => {
            "the task's data is not usable"
        }
        _ => "a smaller --lr may help",
    };
    format!("{e} (the model and optimizer keep their last good state); {hint}")
}

/// Records the loss every `every` steps (as `f32`), the accuracies after every epoch if
/// asked, and advances the progress bar.
struct Recorder<'a> {
    every: usize,
    steps: usize,
    losses: Vec<f32>,
    at_steps: Vec<usize>,
    epochs: Option<Vec<EpochAccuracy>>,
    progress: &'a ProgressBar,
}

impl<T: Scalar> Record<T> for Recorder<'_> {
    fn step(&mut self, step: usize, loss: T) {
        self.steps = step + 1;
        if step.is_multiple_of(self.every) {
            self.losses.push(loss.to_f64() as f32);
            self.at_steps.push(step);
        }
        self.progress.inc(1);
    }

    fn wants_epochs(&self) -> bool {
        self.epochs.is_some()
    }

    fn epoch(&mut self, _: u32, accuracy: EpochAccuracy) {
        if let Some(e) = &mut self.epochs {
            e.push(accuracy);
        }
    }
}

/// The fit, as a visitor of [`Model::dispatch`].
pub struct Fit<'a> {
    /// The run.
    pub cfg: &'a Config,
    /// Its samples.
    pub data: &'a Data<'a>,
    /// Its initial weights, and whether to return the trained ones.
    pub weights: &'a Weights,
    /// Advanced once per step.
    pub progress: &'a ProgressBar,
    /// Whether to record the accuracies after every epoch (for the plot).
    pub epoch_accuracy: bool,
}

impl Visit for Fit<'_> {
    type Output = anyhow::Result<Trained>;

    fn visit<T, M, L, D, F, const I: usize, const O: usize>(self, model: &Model) -> Self::Output
    where
        T: TrainNumber,
        M: Network<T, I, O>,
        L: TaskLoss<T, O>,
        D: TaskData<I, O>,
        F: Family<I, O>,
    {
        let cfg = self.cfg;
        let mut init = TorchInit::with_formula(cfg.seed, UniformFormula::Float64);
        let mut net: Box<M> = Box::new(M::torch_init(&mut init));
        let loaded = self.weights.load_into::<F::Net<f64>, T, M>(&mut *net)?;
        net.configure(model.activation(), model.shortcut());
        let mut buffers: Box<Buffers<M, [T; I]>> = Box::new(Buffers::ZERO);
        let optimizer = FirstGradients::new(RunOptimizer::<T, M>::new(&cfg.spec, cfg.seed)?);
        let loss = L::new(model.loss());
        let mut trainer = Trainer::new(&mut *net, &mut *buffers, optimizer, loss);
        let mut record = Recorder {
            every: cfg.every,
            steps: 0,
            losses: Vec::new(),
            at_steps: Vec::new(),
            epochs: self.epoch_accuracy.then(Vec::new),
            progress: self.progress,
        };
        let from_file = loaded.is_some();
        D::fit(self.data, &mut trainer, cfg.schedule, cfg.seed, &mut record).map_err(|e| {
            match e.downcast_ref::<Refused>() {
                Some(r) => anyhow::anyhow!(refusal(r, from_file)),
                None => e,
            }
        })?;
        let gradients = trainer.into_optimizer().first.unwrap_or_default();
        let evaluation = D::evaluate(self.data, &*net, &loss)?;
        let final_loss = evaluation.final_loss as f32;
        let Recorder {
            steps,
            mut losses,
            mut at_steps,
            epochs,
            ..
        } = record;
        losses.push(final_loss);
        at_steps.push(steps);
        Ok(Trained {
            curve: Curve {
                losses,
                at_steps,
                final_loss,
                accuracy: evaluation.accuracy,
                test: evaluation.test,
                epoch_accuracy: epochs.unwrap_or_default(),
                gradients,
            },
            weights: self.weights.saved(&*net),
            loaded,
        })
    }
}
