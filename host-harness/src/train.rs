//! `skipgrad train`: fits a deep MLP, with or without shortcuts, on a small generated task
//! with the core's guarded training step.
//!
//! The network ([`crate::network`]) is an input layer `(Linear<I, W>, activation)`, `D`
//! blocks `(Linear<W, W>, activation)` with shortcuts (or without, `--no-shortcut`), each
//! after a `LayerNorm` with `--norm layer`, and an output layer `Linear<W, O>`: one output,
//! or two logits for `--loss cross-entropy`. It is initialised as `torch.manual_seed(seed)`
//! followed by constructing the same `nn.Module` in PyTorch 2.15 would
//! ([`UniformFormula::Float64`]). Training is full batch, in `f32`, and deterministic: the
//! same flags give the same loss curve bit for bit. The default flags (tanh-GELU, MSE, no
//! normalisation) train the network of the notebook's book.
//!
//! `--number f64` and `--number q16.16` (the core's `Q16` fixed point, see [`crate::number`])
//! train the default network (tanh-GELU, MSE, no normalisation) in that number type, from the
//! same initial weights; losses are reported as `f32` (exact for `q16.16` losses below 256).
//!
//! Depth, width, normalisation and the output count are const generics, so each
//! combination is compiled separately; the menu ([`DEPTHS`] x [`WIDTHS`]) is kept small for
//! compile time, and the activation, the shortcuts and the one-output losses are chosen at
//! run time in one compiled network each.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use skipgrad::{
    Buffers, CrossEntropy, Data, Gelu, Linear, Loss, Module, Mse, NonFiniteUpdate, Optimizer,
    Params, Residual, Scalar, Sgd, StepError, Stochastic, TorchInit, Trainer, UniformFormula,
    Zeroed, Q16,
};

use crate::flags;
use crate::loss::{LossKind, PointLoss};
use crate::network::{Block, Configure, Net, NormBlock, NormKind, Parts};
use crate::number::{Number, TrainNumber};
use crate::plan::Plan;
use crate::plot;
use crate::rate::Rate;
use crate::task::{self, Dataset, Task};
use crate::weights::Weights;

/// Depths (number of blocks) compiled into the binary.
pub const DEPTHS: [usize; 4] = [2, 4, 8, 16];
/// Widths compiled into the binary.
pub const WIDTHS: [usize; 2] = [8, 16];

/// A hidden block of the default network in any number type:
/// `nn.Sequential(nn.Linear(W, W), GELU())`.
pub type GeluBlock<T, const W: usize> = (Linear<T, W, W>, Gelu);
/// The default network in any number type: input layer, `D` blocks `B`, output layer.
pub type GeluNet<T, const I: usize, const W: usize, const D: usize, B> =
    ((Linear<T, I, W>, Gelu), [B; D], Linear<T, W, 1>);
/// `train`'s default network (tanh-GELU, shortcuts, no normalisation, one output) written
/// with the core's types: the same tensor names, initial weights and bits as
/// [`Net`]`<I, W, D, Block<W>, 1>` configured that way (tested in [`crate::network`]). The
/// commands that only load and save weights (`convert`, [`crate::networks`]) and
/// `--number f64|q16.16` use it.
pub type ResidualNet<T, const I: usize, const W: usize, const D: usize> =
    GeluNet<T, I, W, D, Residual<GeluBlock<T, W>>>;
/// The default network without shortcuts.
pub type PlainNet<T, const I: usize, const W: usize, const D: usize> =
    GeluNet<T, I, W, D, GeluBlock<T, W>>;
/// The most steps a run takes.
pub const MAX_STEPS: usize = 1_000_000_000;
/// The most losses a run records (`--steps / --every`), so the curve fits in memory.
pub const MAX_RECORDED: usize = 1_000_000;
/// Mixed into `--seed` to seed stochastic rounding's generator.
const ROUNDING_SEED: u32 = 0x5eed_0d17;
/// Runs at least this long show a progress bar (on a terminal, without `--json`).
const PROGRESS_MIN_STEPS: usize = 200;

/// The optimizer to train with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OptimizerKind {
    /// Plain SGD (default learning rate 0.01).
    Sgd,
    /// Adam with PyTorch's defaults (default learning rate 1e-3).
    Adam,
}

impl OptimizerKind {
    /// The learning rate used when `--lr` is not given.
    pub fn default_lr(self) -> f64 {
        match self {
            OptimizerKind::Sgd => 0.01,
            OptimizerKind::Adam => 1e-3,
        }
    }

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            OptimizerKind::Sgd => "sgd",
            OptimizerKind::Adam => "adam",
        }
    }

    /// The name as written in prose and plot titles.
    pub fn title(self) -> &'static str {
        match self {
            OptimizerKind::Sgd => "SGD",
            OptimizerKind::Adam => "Adam",
        }
    }
}

/// How SGD rounds its updates `lr * g` (the core's `optimizer::rounding`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RoundingKind {
    /// To nearest (the floating-point types' only choice).
    Nearest,
    /// At random, unbiased, from a generator seeded with `--seed` (the default for q16.16).
    Stochastic,
}

impl RoundingKind {
    /// The default for a number type: stochastic in fixed point, where updates below half a
    /// unit would vanish, to nearest in floating point.
    pub fn default_for(number: Number) -> Self {
        match number {
            Number::Q16 => RoundingKind::Stochastic,
            Number::F32 | Number::F64 => RoundingKind::Nearest,
        }
    }

    /// The name on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            RoundingKind::Nearest => "nearest",
            RoundingKind::Stochastic => "stochastic",
        }
    }
}

/// Flags of `skipgrad train`.
#[derive(Clone, Debug, clap::Args)]
pub struct TrainArgs {
    /// The task to fit.
    #[arg(long, value_enum, default_value_t = Task::Sin)]
    pub task: Task,
    /// Number of hidden blocks: 2, 4, 8 or 16.
    #[arg(long, default_value_t = 8, allow_hyphen_values = true, value_parser = flags::count)]
    pub depth: usize,
    /// Width of the hidden blocks: 8 or 16.
    #[arg(long, default_value_t = 16, allow_hyphen_values = true, value_parser = flags::count)]
    pub width: usize,
    /// Optimizer steps (full batch each), at most 1,000,000,000.
    #[arg(long, default_value_t = 2000, allow_hyphen_values = true, value_parser = flags::count)]
    pub steps: usize,
    /// The optimizer.
    #[arg(long, value_enum, default_value_t = OptimizerKind::Sgd)]
    pub optimizer: OptimizerKind,
    /// Learning rate [default: 0.01 for sgd, 1e-3 for adam].
    #[arg(long, allow_hyphen_values = true, value_parser = flags::finite)]
    pub lr: Option<f64>,
    /// Train the plain network (no shortcut connections).
    #[arg(long)]
    pub no_shortcut: bool,
    /// The number type to train in.
    #[arg(long, value_enum, default_value_t = Number::F32)]
    pub number: Number,
    /// How SGD rounds its updates [default: stochastic for q16.16, nearest otherwise].
    #[arg(long, value_enum)]
    pub rounding: Option<RoundingKind>,
    /// `torch.manual_seed` value for the initial weights.
    #[arg(long, default_value_t = 0, allow_hyphen_values = true, value_parser = flags::seed)]
    pub seed: u64,
    /// The activation, loss and normalisation.
    #[command(flatten)]
    pub parts: Parts,
    /// Record the loss every this many steps (JSON `losses` and the plot): the loss after
    /// 0, N, 2N, ... updates, then after the last one. At most 1,000,000 losses are
    /// recorded: `--steps / --every` must not exceed that.
    #[arg(long, default_value_t = 10, allow_hyphen_values = true, value_parser = flags::count)]
    pub every: usize,
    /// Also train the other variant (with/without shortcuts) and write an SVG plot of both
    /// loss curves to this file.
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
    /// Print one JSON object {"task", "steps", "final_loss", "losses", ...} and nothing else
    /// on stdout.
    #[arg(long)]
    pub json: bool,
    /// Start from the weights of this safetensors file (PyTorch's names) instead of
    /// `torch.manual_seed`'s.
    #[arg(long, value_name = "FILE")]
    pub load: Option<PathBuf>,
    /// Write the trained weights to this safetensors file.
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,
}

/// A validated training run.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Config {
    /// The task.
    pub task: Task,
    /// Hidden blocks.
    pub depth: usize,
    /// Hidden width.
    pub width: usize,
    /// Optimizer steps.
    pub steps: usize,
    /// The optimizer.
    pub optimizer: OptimizerKind,
    /// Learning rate.
    pub lr: f64,
    /// Shortcuts around the blocks.
    pub shortcut: bool,
    /// The number type.
    pub number: Number,
    /// The rounding of SGD's updates.
    pub rounding: RoundingKind,
    /// Initialisation seed.
    pub seed: u64,
    /// Loss recording interval.
    pub every: usize,
    /// The activation, loss and normalisation.
    pub parts: Parts,
}

impl Default for Config {
    /// The calibration run: sin, 8 blocks of width 16, SGD lr 0.01, 2000 steps.
    fn default() -> Self {
        Self {
            task: Task::Sin,
            depth: 8,
            width: 16,
            steps: 2000,
            optimizer: OptimizerKind::Sgd,
            lr: OptimizerKind::Sgd.default_lr(),
            shortcut: true,
            number: Number::F32,
            rounding: RoundingKind::Nearest,
            seed: 0,
            every: 10,
            parts: Parts::default(),
        }
    }
}

/// The compiled shapes, for error messages.
pub fn menu() -> String {
    let list = |v: &[usize]| {
        v.iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!("depth {{{}}} x width {{{}}}", list(&DEPTHS), list(&WIDTHS))
}

impl TrainArgs {
    /// Checks every flag and resolves the defaults, before any work: the shape, the counts,
    /// the number type against the network and the optimizer, the learning rate in the run's
    /// own number type ([`Rate::check`]), the loss against the task, and the rounding. Every
    /// refusal is a usage error (exit status 2) that names the flag.
    pub fn config(&self) -> anyhow::Result<Config> {
        if !DEPTHS.contains(&self.depth) || !WIDTHS.contains(&self.width) {
            crate::usage_bail!(
                "unsupported shape: depth {}, width {}; the compiled shapes are {}",
                self.depth,
                self.width,
                menu()
            );
        }
        if self.steps == 0 {
            crate::usage_bail!("--steps must be at least 1");
        }
        if self.steps > MAX_STEPS {
            crate::usage_bail!("--steps must be at most {MAX_STEPS}, got {}", self.steps);
        }
        if self.every == 0 {
            crate::usage_bail!("--every must be at least 1");
        }
        if self.steps / self.every > MAX_RECORDED {
            crate::usage_bail!(
                "--steps {} with --every {} would record {} losses; at most {MAX_RECORDED} \
                 (raise --every)",
                self.steps,
                self.every,
                self.steps / self.every
            );
        }
        if self.number != Number::F32 && self.parts != Parts::default() {
            crate::usage_bail!(
                "--number {} trains the default network: --activation gelu-tanh, --loss mse, \
                 --norm none",
                self.number.name()
            );
        }
        if self.number != Number::F32 && (self.load.is_some() || self.save.is_some()) {
            crate::usage_bail!(
                "--load and --save read and write float32 weights: use them with --number f32"
            );
        }
        // The optimizer against the number type, then the rate in that type.
        let lr = self.lr.unwrap_or(self.optimizer.default_lr());
        Rate::check(self.number, self.optimizer, lr)?;
        let loss = self.parts.loss;
        if loss.classifies() && self.task != Task::Moons {
            crate::usage_bail!(
                "--loss {} trains a classifier on class labels: --task {} has none (its \
                 targets are real numbers); use --task moons, or --loss mse or huber",
                loss.name(),
                self.task.name()
            );
        }
        // Only a --rounding that was given is blamed; the default suits the number type.
        let rounding = self
            .rounding
            .unwrap_or(RoundingKind::default_for(self.number));
        if self.rounding == Some(RoundingKind::Stochastic) && self.number != Number::Q16 {
            crate::usage_bail!(
                "--rounding stochastic is for --number q16.16 (floating point rounds to nearest)"
            );
        }
        if self.rounding == Some(RoundingKind::Stochastic) && self.optimizer != OptimizerKind::Sgd {
            crate::usage_bail!("--rounding stochastic is an option of --optimizer sgd");
        }
        Ok(Config {
            task: self.task,
            depth: self.depth,
            width: self.width,
            steps: self.steps,
            optimizer: self.optimizer,
            lr,
            shortcut: !self.no_shortcut,
            number: self.number,
            rounding,
            seed: self.seed,
            every: self.every,
            parts: self.parts,
        })
    }

    /// The files the run reads and writes, to be checked before the first step.
    pub fn plan(&self) -> Plan {
        Plan::new()
            .maybe_input("--load", self.load.as_ref())
            .maybe_output("--save", self.save.as_ref())
            .maybe_output("--plot", self.plot.as_ref())
    }
}

impl Config {
    /// The learning rate as the run's number type holds it (an error for a rate
    /// [`TrainArgs::config`] would refuse).
    pub fn rate(&self) -> anyhow::Result<Rate> {
        Rate::check(self.number, self.optimizer, self.lr)
    }
}

/// The result of one training run.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Curve {
    /// The full-batch loss after 0, `every`, `2 * every`, ... updates, and after the last.
    pub losses: Vec<f32>,
    /// The steps at which `losses` were taken (updates done before each).
    pub at_steps: Vec<usize>,
    /// The loss after the last update (for `q16.16`: computed in `f64` from the model's
    /// outputs, see [`TrainNumber::final_loss`]).
    pub final_loss: f32,
    /// For `moons`: the fraction of points classified right after training.
    pub accuracy: Option<f64>,
}

/// A finished training run: its curve, and its trained weights as a safetensors file when
/// they are to be saved ([`Weights::save`]). Nothing is written until the command decides.
#[derive(Clone, Debug, PartialEq)]
pub struct Trained {
    /// The loss curve.
    pub curve: Curve,
    /// The trained weights' safetensors bytes, if asked for.
    pub weights: Option<Vec<u8>>,
}

/// Either optimizer, as one type for the training loop (Adam only where the number type has
/// it).
enum AnyOptimizer<T, M> {
    Sgd(Sgd<T>),
    Stochastic(Sgd<T, Stochastic>),
    Other(Box<dyn Optimizer<T, M>>),
}

impl<T: Scalar, M: Params<T>> Optimizer<T, M> for AnyOptimizer<T, M> {
    fn update(&mut self, model: &mut M, grads: &mut M::Grads) -> Result<(), NonFiniteUpdate> {
        match self {
            AnyOptimizer::Sgd(o) => o.update(model, grads),
            AnyOptimizer::Stochastic(o) => o.update(model, grads),
            AnyOptimizer::Other(o) => o.update(model, grads),
        }
    }
}

/// The optimizer of a run, in the number type `T`.
fn optimizer<T: TrainNumber, M: Params<T> + 'static>(
    cfg: &Config,
) -> anyhow::Result<AnyOptimizer<T, M>> {
    Ok(match (cfg.optimizer, cfg.rounding) {
        (OptimizerKind::Sgd, RoundingKind::Nearest) => AnyOptimizer::Sgd(Sgd::new(cfg.lr)?),
        (OptimizerKind::Sgd, RoundingKind::Stochastic) => AnyOptimizer::Stochastic(
            Sgd::new(cfg.lr)?.with_stochastic_rounding(ROUNDING_SEED ^ cfg.seed as u32),
        ),
        (OptimizerKind::Adam, _) => AnyOptimizer::Other(T::adam::<M>(cfg.lr)?),
    })
}

/// Why step `n` was refused and what may help: a smaller rate only where the rate had a
/// part in it (an update that overflows, or a loss or gradient after updates); before any
/// update, the starting weights (`loaded`: those of `--load`) overflow on the task.
fn refusal(e: StepError, n: usize, loaded: bool) -> String {
    let hint = match e {
        StepError::NonFiniteLoss | StepError::NonFiniteGradient if n == 0 => {
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
    format!("step {n} refused: {e} (the model and optimizer keep their last good state); {hint}")
}

/// The training loop of every run: `cfg.steps` guarded steps, the loss recorded every
/// `cfg.every` of them (as `f32`), `progress` advanced once per step. `loaded` says whether
/// the weights came from `--load` (for the message of a refused step).
fn run_steps<T: Scalar>(
    cfg: &Config,
    progress: &ProgressBar,
    loaded: bool,
    mut step: impl FnMut() -> Result<T, StepError>,
) -> anyhow::Result<(Vec<f32>, Vec<usize>)> {
    let mut losses = Vec::with_capacity(cfg.steps / cfg.every + 2);
    let mut at_steps = Vec::with_capacity(cfg.steps / cfg.every + 2);
    for n in 0..cfg.steps {
        let loss = step().map_err(|e| anyhow::anyhow!(refusal(e, n, loaded)))?;
        if n % cfg.every == 0 {
            losses.push(loss.to_f64() as f32);
            at_steps.push(n);
        }
        progress.inc(1);
    }
    Ok((losses, at_steps))
}

/// The curve of a finished run: the recorded losses and the final one, which must be finite.
fn finish(
    (mut losses, mut at_steps): (Vec<f32>, Vec<usize>),
    final_loss: f32,
    cfg: &Config,
) -> anyhow::Result<Curve> {
    if !final_loss.is_finite() {
        bail!("training diverged: the final loss is {final_loss}; a smaller --lr may help");
    }
    losses.push(final_loss);
    at_steps.push(cfg.steps);
    Ok(Curve {
        losses,
        at_steps,
        final_loss,
        accuracy: None,
    })
}

/// Trains one `f32` network on one dataset with one loss; returns the curve (without
/// accuracy), the trained network's outputs, and its weights if they are to be saved.
fn fit<M, L, const I: usize, const B: usize>(
    inputs: &[[f32; I]; B],
    targets: &[L::Target; B],
    loss: L,
    cfg: &Config,
    weights: &Weights,
    progress: &ProgressBar,
) -> anyhow::Result<(Trained, Box<[M::Output; B]>)>
where
    M: Module<[f32; I]> + Zeroed + Configure + 'static,
    M::Output: Data<Scalar = f32>,
    L: Loss<M::Output> + Copy,
{
    let mut init = TorchInit::with_formula(cfg.seed, UniformFormula::Float64);
    let mut model: Box<M> = Box::new(M::torch_init(&mut init));
    weights.load_into(&mut *model)?;
    model.configure(cfg.parts.activation, cfg.shortcut);
    let mut buffers: Box<Buffers<M, [f32; I]>> = Box::new(Buffers::ZERO);
    let mut trainer = Trainer::new(&mut *model, &mut *buffers, optimizer(cfg)?, loss);
    let loaded = weights.initial.is_some();
    let recorded = run_steps(cfg, progress, loaded, || trainer.step(inputs, targets))?;
    drop(trainer);
    let outputs = Box::new(inputs.map(|x| model.infer(&x)));
    let curve = finish(recorded, loss.batch_loss(&outputs, targets), cfg)?;
    let weights = weights.saved(&*model);
    Ok((Trained { curve, weights }, outputs))
}

/// The loss of a one-output network.
fn point_loss(kind: LossKind) -> PointLoss {
    match kind {
        LossKind::Huber => PointLoss::Huber,
        LossKind::Bce => PointLoss::Bce,
        LossKind::Mse | LossKind::CrossEntropy => PointLoss::Mse,
    }
}

/// Trains the network with hidden blocks `Bk` on the configured task and loss: `sin` with
/// one output, `moons` with one output (labels as targets: MSE, Huber, BCE) or two logits
/// (cross-entropy, labels as class indices).
fn fit_blocks<const D: usize, const W: usize, Bk: 'static>(
    cfg: &Config,
    weights: &Weights,
    progress: &ProgressBar,
) -> anyhow::Result<Trained>
where
    Net<1, W, D, Bk, 1>: Module<[f32; 1], Output = [f32; 1]> + Zeroed + Configure,
    Net<2, W, D, Bk, 1>: Module<[f32; 2], Output = [f32; 1]> + Zeroed + Configure,
    Net<2, W, D, Bk, 2>: Module<[f32; 2], Output = [f32; 2]> + Zeroed + Configure,
{
    let loss = cfg.parts.loss;
    match (cfg.task, loss) {
        (Task::Sin, _) => {
            let d = task::sin();
            let (trained, _) = fit::<Net<1, W, D, Bk, 1>, _, 1, _>(
                &d.inputs,
                &d.targets,
                point_loss(loss),
                cfg,
                weights,
                progress,
            )?;
            Ok(trained)
        }
        (Task::Moons, LossKind::CrossEntropy) => {
            let d = task::moons();
            let classes = task::classes(&d.targets);
            let (mut trained, outputs) = fit::<Net<2, W, D, Bk, 2>, _, 2, _>(
                &d.inputs,
                &classes,
                CrossEntropy,
                cfg,
                weights,
                progress,
            )?;
            trained.curve.accuracy = Some(task::argmax_accuracy(&outputs, &classes));
            Ok(trained)
        }
        (Task::Moons, _) => {
            let d = task::moons();
            let (mut trained, outputs) = fit::<Net<2, W, D, Bk, 1>, _, 2, _>(
                &d.inputs,
                &d.targets,
                point_loss(loss),
                cfg,
                weights,
                progress,
            )?;
            // A logit is on the right side of 0, a regressed label of 0.5.
            let threshold = if loss == LossKind::Bce { 0.0 } else { 0.5 };
            trained.curve.accuracy = Some(task::accuracy(&outputs, &d.targets, threshold));
            Ok(trained)
        }
    }
}

/// The dataset in the number type `T` (each `f32` value converted, exactly where `T` holds
/// it).
fn convert<T: Scalar, const I: usize, const B: usize>(
    data: &Dataset<I, 1, B>,
) -> ([[T; I]; B], [[T; 1]; B]) {
    let to = |v: &f32| T::from_f64(f64::from(*v));
    (
        data.inputs.map(|x| x.each_ref().map(to)),
        data.targets.map(|y| y.each_ref().map(to)),
    )
}

/// Trains the default network `M` (MSE) in the number type `T` on one dataset.
fn fit_in<T, M, const I: usize, const B: usize>(
    data: &Dataset<I, 1, B>,
    cfg: &Config,
    progress: &ProgressBar,
) -> anyhow::Result<Curve>
where
    T: TrainNumber,
    M: Module<[T; I], Output = [T; 1]> + Zeroed + 'static,
{
    let (inputs, targets) = convert::<T, I, B>(data);
    let mut init = TorchInit::with_formula(cfg.seed, UniformFormula::Float64);
    let mut model: Box<M> = Box::new(M::torch_init(&mut init));
    let mut buffers: Box<Buffers<M, [T; I]>> = Box::new(Buffers::ZERO);
    let mut trainer = Trainer::new(&mut *model, &mut *buffers, optimizer(cfg)?, Mse);
    let recorded = run_steps(cfg, progress, false, || trainer.step(&inputs, &targets))?;
    drop(trainer);
    let outputs = inputs.map(|x| model.infer(&x));
    if !outputs.iter().all(|y| y[0].is_finite()) {
        bail!("training diverged: an output is not finite; a smaller --lr may help");
    }
    let mut curve = finish(recorded, T::final_loss(&outputs, &targets) as f32, cfg)?;
    let outputs = outputs.map(|y| [y[0].to_f64() as f32]);
    curve.accuracy =
        (cfg.task == Task::Moons).then(|| task::accuracy(&outputs, &data.targets, 0.5));
    Ok(curve)
}

/// Trains the default network of one shape in the number type `T`.
fn fit_shape_in<T: TrainNumber, const D: usize, const W: usize>(
    cfg: &Config,
    progress: &ProgressBar,
) -> anyhow::Result<Curve>
where
    Gelu: skipgrad::layer::activation::ElementWise<T>,
{
    match (cfg.task, cfg.shortcut) {
        (Task::Sin, true) => {
            fit_in::<T, ResidualNet<T, 1, W, D>, 1, _>(&task::sin(), cfg, progress)
        }
        (Task::Sin, false) => fit_in::<T, PlainNet<T, 1, W, D>, 1, _>(&task::sin(), cfg, progress),
        (Task::Moons, true) => {
            fit_in::<T, ResidualNet<T, 2, W, D>, 2, _>(&task::moons(), cfg, progress)
        }
        (Task::Moons, false) => {
            fit_in::<T, PlainNet<T, 2, W, D>, 2, _>(&task::moons(), cfg, progress)
        }
    }
}

/// Trains one shape: in `f32`, the network composed of the configured parts; in `f64` and
/// `q16.16`, the default network (whose weights are not saved: `--save` is for `f32`).
fn fit_shape<const D: usize, const W: usize>(
    cfg: &Config,
    w: &Weights,
    progress: &ProgressBar,
) -> anyhow::Result<Trained> {
    let curve = match (cfg.number, cfg.parts.norm) {
        (Number::F32, NormKind::None) => return fit_blocks::<D, W, Block<W>>(cfg, w, progress),
        (Number::F32, NormKind::Layer) => {
            return fit_blocks::<D, W, NormBlock<W>>(cfg, w, progress)
        }
        (Number::F64, _) => fit_shape_in::<f64, D, W>(cfg, progress)?,
        (Number::Q16, _) => fit_shape_in::<Q16, D, W>(cfg, progress)?,
    };
    Ok(Trained {
        curve,
        weights: None,
    })
}

/// Runs one training run; `progress` is advanced once per step.
pub fn train(cfg: &Config, progress: &ProgressBar) -> anyhow::Result<Curve> {
    train_with(cfg, &Weights::default(), progress).map(|t| t.curve)
}

/// Runs one training run from the initial weights of `w` (if any); the trained weights are
/// returned as a safetensors file if `w` asks for them. Nothing is written.
pub fn train_with(cfg: &Config, w: &Weights, progress: &ProgressBar) -> anyhow::Result<Trained> {
    match (cfg.depth, cfg.width) {
        (2, 8) => fit_shape::<2, 8>(cfg, w, progress),
        (2, 16) => fit_shape::<2, 16>(cfg, w, progress),
        (4, 8) => fit_shape::<4, 8>(cfg, w, progress),
        (4, 16) => fit_shape::<4, 16>(cfg, w, progress),
        (8, 8) => fit_shape::<8, 8>(cfg, w, progress),
        (8, 16) => fit_shape::<8, 16>(cfg, w, progress),
        (16, 8) => fit_shape::<16, 8>(cfg, w, progress),
        (16, 16) => fit_shape::<16, 16>(cfg, w, progress),
        (d, w) => bail!(
            "unsupported shape: depth {d}, width {w}; the compiled shapes are {}",
            menu()
        ),
    }
}

/// Runs one training run without a progress bar.
pub fn train_quietly(cfg: &Config) -> anyhow::Result<Curve> {
    train(cfg, &ProgressBar::hidden())
}

/// A progress bar on stderr for `total` steps, hidden unless stderr is a terminal, the run
/// is long and the output is not JSON.
fn progress_bar(total: usize, json: bool) -> anyhow::Result<ProgressBar> {
    if json || total < PROGRESS_MIN_STEPS || !std::io::stderr().is_terminal() {
        return Ok(ProgressBar::hidden());
    }
    let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} steps, {elapsed} (eta {eta})")?
            .progress_chars("=> "),
    );
    bar.set_message("training");
    Ok(bar)
}

/// The JSON object printed by `--json`.
#[derive(serde::Serialize)]
struct Report<'a> {
    task: &'static str,
    number: &'static str,
    rounding: &'static str,
    steps: usize,
    final_loss: f32,
    losses: &'a [f32],
    every: usize,
    depth: usize,
    width: usize,
    shortcut: bool,
    optimizer: &'static str,
    /// The rate as the number type holds it.
    lr: Rate,
    /// The rate as requested.
    lr_requested: f64,
    seed: u64,
    activation: &'static str,
    loss: &'static str,
    norm: &'static str,
    /// For `moons`: the fraction of the points classified right after training.
    #[serde(skip_serializing_if = "Option::is_none")]
    accuracy: Option<f64>,
    /// With `--plot`: the other variant's curve.
    #[serde(skip_serializing_if = "Option::is_none")]
    compared: Option<Compared<'a>>,
}

#[derive(serde::Serialize)]
struct Compared<'a> {
    shortcut: bool,
    final_loss: f32,
    losses: &'a [f32],
    #[serde(skip_serializing_if = "Option::is_none")]
    accuracy: Option<f64>,
}

fn variant(shortcut: bool) -> &'static str {
    if shortcut {
        "with shortcuts"
    } else {
        "without shortcuts"
    }
}

/// The parts that differ from the defaults, as `", SiLU, cross-entropy, LayerNorm"` (empty
/// for the defaults).
fn parts_note(parts: &Parts, title: bool) -> String {
    let d = Parts::default();
    let mut out = String::new();
    if parts.activation != d.activation {
        let a = parts.activation;
        out += &format!(", {}", if title { a.title() } else { a.name() });
    }
    if parts.loss != d.loss {
        let l = parts.loss;
        out += &format!(", {} loss", if title { l.title() } else { l.name() });
    }
    if parts.norm != d.norm {
        out += if title { ", LayerNorm" } else { ", norm layer" };
    }
    out
}

/// The plot's title for a run.
pub fn plot_title(cfg: &Config) -> String {
    let task = match cfg.task {
        Task::Sin => "sin(x), 64 points",
        Task::Moons => "two moons, 128 points",
    };
    format!(
        "{task}: {} blocks of width {}, {} lr {}, seed {}{}",
        cfg.depth,
        cfg.width,
        cfg.optimizer.title(),
        rate_text(cfg),
        cfg.seed,
        parts_note(&cfg.parts, true)
    )
}

/// The rate used, and the request where it reads differently (`0.0099945068359375,
/// requested 0.01` in `q16.16`; `0.01` in `f32`).
fn rate_text(cfg: &Config) -> String {
    match cfg.rate() {
        Ok(rate) if rate.to_string() != format!("{:?}", cfg.lr) => {
            format!("{rate}, requested {:?}", cfg.lr)
        }
        Ok(rate) => rate.to_string(),
        Err(_) => format!("{:?}", cfg.lr),
    }
}

/// `", accuracy 98.4%"`, or nothing.
fn accuracy_note(curve: &Curve) -> String {
    curve
        .accuracy
        .map(|a| format!(", accuracy {:.1}%", 100.0 * a))
        .unwrap_or_default()
}

/// The SVG plot of both variants' loss curves.
pub fn plot_svg(
    cfg: &Config,
    a: (&Config, &Curve),
    b: (&Config, &Curve),
) -> anyhow::Result<String> {
    let series = [a, b].map(|(c, curve)| plot::Series {
        label: format!(
            "{} (final loss {:.2e}{})",
            variant(c.shortcut),
            curve.final_loss,
            accuracy_note(curve)
        ),
        points: curve
            .at_steps
            .iter()
            .zip(&curve.losses)
            .map(|(s, l)| (*s as f64, f64::from(*l)))
            .collect(),
    });
    let y_desc = format!("training loss ({}, log scale)", cfg.parts.loss.title());
    plot::loss_curves(&plot_title(cfg), &y_desc, &series)
}

/// What a finished `train` command has: the requested run, and with `--plot` the other
/// variant's curve.
struct Outcome<'a> {
    cfg: &'a Config,
    other: &'a Config,
    trained: &'a Trained,
    compared: Option<&'a Curve>,
    seconds: f64,
}

impl Outcome<'_> {
    /// Writes `--save` and then `--plot`, each atomically, stopping at the first failure.
    fn write(&self, args: &TrainArgs) -> anyhow::Result<()> {
        if let (Some(path), Some(bytes)) = (&args.save, &self.trained.weights) {
            crate::atomic::write(path, bytes)
                .with_context(|| format!("writing --save {}", path.display()))?;
        }
        if let (Some(path), Some(c)) = (&args.plot, self.compared) {
            // Shortcut curve first, so colours and legend order do not depend on the flags.
            let (mine, theirs) = ((self.cfg, &self.trained.curve), (self.other, c));
            let (first, second) = if self.cfg.shortcut {
                (mine, theirs)
            } else {
                (theirs, mine)
            };
            let svg = plot_svg(self.cfg, first, second)?;
            crate::atomic::write(path, svg.as_bytes())
                .with_context(|| format!("writing --plot {}", path.display()))?;
        }
        Ok(())
    }

    /// Prints the results: one JSON object with `--json`, else the text; `plot` is where the
    /// plot was written, if it was.
    fn print(&self, json: bool, plot: Option<&Path>) -> anyhow::Result<()> {
        let (cfg, other, curve) = (self.cfg, self.other, &self.trained.curve);
        if json {
            let report = Report {
                task: cfg.task.name(),
                number: cfg.number.name(),
                rounding: cfg.rounding.name(),
                steps: cfg.steps,
                final_loss: curve.final_loss,
                losses: &curve.losses,
                every: cfg.every,
                depth: cfg.depth,
                width: cfg.width,
                shortcut: cfg.shortcut,
                optimizer: cfg.optimizer.name(),
                lr: cfg.rate()?,
                lr_requested: cfg.lr,
                seed: cfg.seed,
                activation: cfg.parts.activation.name(),
                loss: cfg.parts.loss.name(),
                norm: cfg.parts.norm.name(),
                accuracy: curve.accuracy,
                compared: self.compared.map(|c| Compared {
                    shortcut: other.shortcut,
                    final_loss: c.final_loss,
                    losses: &c.losses,
                    accuracy: c.accuracy,
                }),
            };
            crate::outln!("{}", serde_json::to_string(&report)?);
            return Ok(());
        }
        crate::outln!(
            "{}, {} (rounding {}), {} steps of {} (lr {}), seed {}, {} blocks of width {}{}",
            cfg.task.name(),
            cfg.number.name(),
            cfg.rounding.name(),
            cfg.steps,
            cfg.optimizer.name(),
            rate_text(cfg),
            cfg.seed,
            cfg.depth,
            cfg.width,
            parts_note(&cfg.parts, false)
        );
        let mut lines = vec![(cfg, curve)];
        if let Some(c) = self.compared {
            lines.push((other, c));
        }
        for (c, curve) in lines {
            let first = curve.losses.first().copied().unwrap_or(f32::NAN);
            crate::outln!(
                "{:>18}: loss {first:.4e} -> final loss {:.4e}{}",
                variant(c.shortcut),
                curve.final_loss,
                accuracy_note(curve)
            );
        }
        crate::outln!("trained in {:.2} s", self.seconds);
        if let Some(path) = plot {
            crate::outln!("plot: {}", path.display());
        }
        Ok(())
    }
}

/// Runs `skipgrad train`.
///
/// Every flag ([`TrainArgs::config`]) and every path ([`TrainArgs::plan`]) is judged before
/// the first step. The outputs are written only after every run succeeded, each atomically
/// ([`crate::atomic`]); if a write still fails, the results are printed before the error.
/// A failing run is named in the error; when the compared run of `--plot` fails, the
/// requested run's results are printed and nothing is written.
pub fn run(args: &TrainArgs) -> anyhow::Result<()> {
    let cfg = args.config()?;
    args.plan().check()?;
    let weights = Weights::new(args.load.as_deref(), args.save.is_some())?;
    let other = Config {
        shortcut: !cfg.shortcut,
        ..cfg
    };
    let runs = if args.plot.is_some() { 2 } else { 1 };
    let progress = progress_bar(cfg.steps * runs, args.json)?;
    let start = Instant::now();
    let trained = train_with(&cfg, &weights, &progress)
        .with_context(|| format!("the run {}", variant(cfg.shortcut)))?;
    let compared = args
        .plot
        .as_ref()
        .map(|_| train_with(&other, &weights.load_only(), &progress));
    progress.finish_and_clear();
    let mut outcome = Outcome {
        cfg: &cfg,
        other: &other,
        trained: &trained,
        compared: None,
        seconds: start.elapsed().as_secs_f64(),
    };
    match compared {
        Some(Err(e)) => {
            outcome.print(args.json, None)?;
            Err(e.context(format!(
                "the compared run {} (for --plot); nothing was written",
                variant(other.shortcut)
            )))
        }
        Some(Ok(c)) => {
            outcome.compared = Some(&c.curve);
            finish_command(args, &outcome)
        }
        None => finish_command(args, &outcome),
    }
}

/// Writes the outputs of a successful command, then prints its results, also when a write
/// failed (whose error is then returned).
fn finish_command(args: &TrainArgs, outcome: &Outcome<'_>) -> anyhow::Result<()> {
    let written = outcome.write(args);
    let plot = args.plot.as_deref().filter(|_| written.is_ok());
    outcome.print(args.json, plot)?;
    written
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::ActivationKind;

    fn args(depth: usize, width: usize) -> TrainArgs {
        TrainArgs {
            task: Task::Sin,
            depth,
            width,
            steps: 3,
            optimizer: OptimizerKind::Sgd,
            lr: None,
            no_shortcut: false,
            number: Number::F32,
            rounding: None,
            seed: 0,
            every: 1,
            parts: Parts::default(),
            plot: None,
            json: false,
            load: None,
            save: None,
        }
    }

    /// Every shape, task, loss, normalisation and variant trains (3 steps each); the
    /// activation is chosen at run time (one compiled network runs them all).
    #[test]
    fn every_menu_combination_is_compiled() {
        let losses = |task| match task {
            Task::Sin => vec![LossKind::Mse, LossKind::Huber],
            Task::Moons => vec![
                LossKind::Mse,
                LossKind::Huber,
                LossKind::Bce,
                LossKind::CrossEntropy,
            ],
        };
        for d in DEPTHS {
            for w in WIDTHS {
                let cfg = args(d, w).config().expect("on the menu");
                for task in [Task::Sin, Task::Moons] {
                    for loss in losses(task) {
                        for norm in [NormKind::None, NormKind::Layer] {
                            for shortcut in [true, false] {
                                let c = Config {
                                    task,
                                    shortcut,
                                    parts: Parts {
                                        loss,
                                        norm,
                                        ..cfg.parts
                                    },
                                    ..cfg
                                };
                                let curve = train(&c, &ProgressBar::hidden()).expect("trains");
                                assert_eq!(curve.at_steps, [0, 1, 2, 3]);
                                assert_eq!(curve.accuracy.is_some(), task == Task::Moons);
                            }
                        }
                    }
                }
            }
        }
        for activation in ActivationKind::ALL {
            let c = Config {
                parts: Parts {
                    activation,
                    ..Parts::default()
                },
                ..args(2, 8).config().expect("on the menu")
            };
            assert!(train(&c, &ProgressBar::hidden()).is_ok(), "{activation:?}");
        }
    }

    #[test]
    fn classifier_losses_need_labels() {
        for loss in [LossKind::CrossEntropy, LossKind::Bce] {
            let mut a = args(2, 8);
            a.parts.loss = loss;
            let err = a.config().expect_err("sin has no labels").to_string();
            assert!(err.contains("use --task moons"), "{err}");
            a.task = Task::Moons;
            assert!(a.config().is_ok());
        }
    }

    #[test]
    fn off_menu_shapes_are_refused_with_the_menu() {
        for (d, w) in [(3, 8), (8, 12), (0, 16), (32, 16)] {
            let err = args(d, w).config().expect_err("off the menu").to_string();
            assert!(err.contains("depth {2, 4, 8, 16} x width {8, 16}"), "{err}");
        }
    }

    #[test]
    fn bad_flags_are_refused() {
        let mut a = args(8, 16);
        for lr in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            a.lr = Some(lr);
            assert!(a.config().is_err(), "lr {lr}");
        }
        a.lr = None;
        a.steps = 0;
        assert!(a.config().is_err());
        a.steps = 1;
        a.every = 0;
        assert!(a.config().is_err());
    }

    #[test]
    fn checkpoints_include_the_last_step() {
        let cfg = Config {
            depth: 2,
            width: 8,
            steps: 25,
            ..Config::default()
        };
        let curve = train(&cfg, &ProgressBar::hidden()).expect("trains");
        assert_eq!(curve.at_steps, [0, 10, 20, 25]);
        assert_eq!(curve.losses.last(), Some(&curve.final_loss));
    }
}
