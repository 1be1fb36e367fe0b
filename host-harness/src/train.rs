//! `skipgrad train`: fits a deep MLP, with or without shortcuts, on a small generated task
//! with the core's guarded training step.
//!
//! The network is an input layer `(Linear<I, W>, Gelu)`, `D` blocks
//! `Residual<(Linear<W, W>, Gelu)>` (or plain `(Linear<W, W>, Gelu)` with `--no-shortcut`),
//! and an output layer `Linear<W, 1>`, initialised as `torch.manual_seed(seed)` followed by
//! constructing the same `nn.Module` in PyTorch 2.15 would ([`UniformFormula::Float64`]).
//! Training is full batch, MSE loss, in the number type of `--number` (`f32` by default,
//! `f64`, or the core's `Q16` fixed point, see [`crate::number`]), and deterministic: the same
//! flags give the same loss curve bit for bit. Losses are reported as `f32` (exact for
//! `q16.16` losses below 256).
//!
//! Depth and width are const generics, so each shape is compiled separately; the menu
//! ([`DEPTHS`] x [`WIDTHS`]) is kept small for compile time.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use skipgrad::{
    Buffers, Gelu, Linear, Module, Mse, NonFiniteUpdate, Optimizer, Params, Residual, Scalar, Sgd,
    Stochastic, TorchInit, Trainer, UniformFormula, Zeroed, Q16,
};

use crate::number::{Number, TrainNumber};
use crate::plot;
use crate::task::{self, Dataset, Task};

/// Depths (number of blocks) compiled into the binary.
pub const DEPTHS: [usize; 4] = [2, 4, 8, 16];
/// Widths compiled into the binary.
pub const WIDTHS: [usize; 2] = [8, 16];
/// Mixed into `--seed` to seed stochastic rounding's generator.
const ROUNDING_SEED: u32 = 0x5eed_0d17;
/// Runs at least this long show a progress bar (on a terminal, without `--json`).
const PROGRESS_MIN_STEPS: usize = 200;

/// One hidden block: `nn.Sequential(nn.Linear(W, W), GELU())`.
pub type Block<T, const W: usize> = (Linear<T, W, W>, Gelu);
/// The network: input layer, `D` blocks `B`, output layer.
pub type Net<T, const I: usize, const W: usize, const D: usize, B> =
    ((Linear<T, I, W>, Gelu), [B; D], Linear<T, W, 1>);
/// The network with shortcuts around every block.
pub type ResidualNet<T, const I: usize, const W: usize, const D: usize> =
    Net<T, I, W, D, Residual<Block<T, W>>>;
/// The network without shortcuts.
pub type PlainNet<T, const I: usize, const W: usize, const D: usize> = Net<T, I, W, D, Block<T, W>>;

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
    #[arg(long, default_value_t = 8)]
    pub depth: usize,
    /// Width of the hidden blocks: 8 or 16.
    #[arg(long, default_value_t = 16)]
    pub width: usize,
    /// Optimizer steps (full batch each).
    #[arg(long, default_value_t = 2000)]
    pub steps: usize,
    /// The optimizer.
    #[arg(long, value_enum, default_value_t = OptimizerKind::Sgd)]
    pub optimizer: OptimizerKind,
    /// Learning rate [default: 0.01 for sgd, 1e-3 for adam].
    #[arg(long, allow_negative_numbers = true)]
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
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Record the loss every this many steps (JSON `losses` and the plot): the loss after
    /// 0, N, 2N, ... updates, then after the last one.
    #[arg(long, default_value_t = 10)]
    pub every: usize,
    /// Also train the other variant (with/without shortcuts) and write an SVG plot of both
    /// loss curves to this file.
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
    /// Print one JSON object {"task", "steps", "final_loss", "losses", ...} and nothing else
    /// on stdout.
    #[arg(long)]
    pub json: bool,
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
    /// Checks the flags and resolves defaults.
    pub fn config(&self) -> anyhow::Result<Config> {
        if !DEPTHS.contains(&self.depth) || !WIDTHS.contains(&self.width) {
            crate::usage_bail!(
                "unsupported shape: depth {}, width {}; the compiled shapes are {}",
                self.depth,
                self.width,
                menu()
            );
        }
        let lr = self.lr.unwrap_or(self.optimizer.default_lr());
        if !(lr.is_finite() && lr > 0.0) {
            crate::usage_bail!("--lr must be a positive number, got {lr}");
        }
        if self.steps == 0 {
            crate::usage_bail!("--steps must be at least 1");
        }
        if self.every == 0 {
            crate::usage_bail!("--every must be at least 1");
        }
        let rounding = self
            .rounding
            .unwrap_or(RoundingKind::default_for(self.number));
        if rounding == RoundingKind::Stochastic && self.number != Number::Q16 {
            crate::usage_bail!(
                "--rounding stochastic is for --number q16.16 (floating point rounds to nearest)"
            );
        }
        if rounding == RoundingKind::Stochastic && self.optimizer != OptimizerKind::Sgd {
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
        })
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

/// Trains one network on one dataset.
fn fit<T, M, const I: usize, const B: usize>(
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
    let opt = match (cfg.optimizer, cfg.rounding) {
        (OptimizerKind::Sgd, RoundingKind::Nearest) => AnyOptimizer::Sgd(Sgd::new(cfg.lr)?),
        (OptimizerKind::Sgd, RoundingKind::Stochastic) => AnyOptimizer::Stochastic(
            Sgd::new(cfg.lr)?.with_stochastic_rounding(ROUNDING_SEED ^ cfg.seed as u32),
        ),
        (OptimizerKind::Adam, _) => AnyOptimizer::Other(T::adam::<M>(cfg.lr)?),
    };
    let mut trainer = Trainer::new(&mut *model, &mut *buffers, opt, Mse);
    let mut losses = Vec::with_capacity(cfg.steps / cfg.every + 2);
    let mut at_steps = Vec::with_capacity(cfg.steps / cfg.every + 2);
    for step in 0..cfg.steps {
        let loss = trainer.step(&inputs, &targets).with_context(|| {
            format!(
                "step {step} refused (the model and optimizer keep their last good state); \
                 a smaller --lr may help"
            )
        })?;
        if step % cfg.every == 0 {
            losses.push(loss.to_f64() as f32);
            at_steps.push(step);
        }
        progress.inc(1);
    }
    drop(trainer);
    let outputs = inputs.map(|x| model.infer(&x));
    let final_loss = T::final_loss(&outputs, &targets) as f32;
    if !final_loss.is_finite() || !outputs.iter().all(|y| y[0].is_finite()) {
        bail!("training diverged: the final loss is {final_loss}; a smaller --lr may help");
    }
    losses.push(final_loss);
    at_steps.push(cfg.steps);
    let outputs = outputs.map(|y| [y[0].to_f64() as f32]);
    let accuracy = (cfg.task == Task::Moons).then(|| task::accuracy(&outputs, &data.targets));
    Ok(Curve {
        losses,
        at_steps,
        final_loss,
        accuracy,
    })
}

/// Trains one shape on the configured task and variant, in the number type `T`.
fn fit_shape<T: TrainNumber, const D: usize, const W: usize>(
    cfg: &Config,
    progress: &ProgressBar,
) -> anyhow::Result<Curve>
where
    Gelu: skipgrad::activation::ElementWise<T>,
{
    match (cfg.task, cfg.shortcut) {
        (Task::Sin, true) => fit::<T, ResidualNet<T, 1, W, D>, 1, _>(&task::sin(), cfg, progress),
        (Task::Sin, false) => fit::<T, PlainNet<T, 1, W, D>, 1, _>(&task::sin(), cfg, progress),
        (Task::Moons, true) => {
            fit::<T, ResidualNet<T, 2, W, D>, 2, _>(&task::moons(), cfg, progress)
        }
        (Task::Moons, false) => fit::<T, PlainNet<T, 2, W, D>, 2, _>(&task::moons(), cfg, progress),
    }
}

/// Trains one shape in the configured number type.
fn fit_number<const D: usize, const W: usize>(
    cfg: &Config,
    progress: &ProgressBar,
) -> anyhow::Result<Curve> {
    match cfg.number {
        Number::F32 => fit_shape::<f32, D, W>(cfg, progress),
        Number::F64 => fit_shape::<f64, D, W>(cfg, progress),
        Number::Q16 => fit_shape::<Q16, D, W>(cfg, progress),
    }
}

/// Runs one training run; `progress` is advanced once per step.
pub fn train(cfg: &Config, progress: &ProgressBar) -> anyhow::Result<Curve> {
    match (cfg.depth, cfg.width) {
        (2, 8) => fit_number::<2, 8>(cfg, progress),
        (2, 16) => fit_number::<2, 16>(cfg, progress),
        (4, 8) => fit_number::<4, 8>(cfg, progress),
        (4, 16) => fit_number::<4, 16>(cfg, progress),
        (8, 8) => fit_number::<8, 8>(cfg, progress),
        (8, 16) => fit_number::<8, 16>(cfg, progress),
        (16, 8) => fit_number::<16, 8>(cfg, progress),
        (16, 16) => fit_number::<16, 16>(cfg, progress),
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
    lr: f64,
    seed: u64,
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
}

fn variant(shortcut: bool) -> &'static str {
    if shortcut {
        "with shortcuts"
    } else {
        "without shortcuts"
    }
}

/// The plot's title for a run.
pub fn plot_title(cfg: &Config) -> String {
    let task = match cfg.task {
        Task::Sin => "sin(x), 64 points",
        Task::Moons => "two moons, 128 points",
    };
    format!(
        "{task}: {} blocks of width {}, {} lr {}, seed {}",
        cfg.depth,
        cfg.width,
        cfg.optimizer.title(),
        cfg.lr,
        cfg.seed
    )
}

/// Writes the loss curves of both variants to `path`.
pub fn write_plot(
    path: &std::path::Path,
    cfg: &Config,
    a: (&Config, &Curve),
    b: (&Config, &Curve),
) -> anyhow::Result<()> {
    let series = [a, b].map(|(c, curve)| plot::Series {
        label: format!(
            "{} (final loss {:.2e})",
            variant(c.shortcut),
            curve.final_loss
        ),
        points: curve
            .at_steps
            .iter()
            .zip(&curve.losses)
            .map(|(s, l)| (*s as f64, f64::from(*l)))
            .collect(),
    });
    plot::loss_curves(path, &plot_title(cfg), &series)
}

/// Runs `skipgrad train`.
pub fn run(args: &TrainArgs) -> anyhow::Result<()> {
    let cfg = args.config()?;
    let other = Config {
        shortcut: !cfg.shortcut,
        ..cfg
    };
    let runs = if args.plot.is_some() { 2 } else { 1 };
    let progress = progress_bar(cfg.steps * runs, args.json)?;
    let start = Instant::now();
    let curve = train(&cfg, &progress)?;
    let compared = match &args.plot {
        Some(_) => Some(train(&other, &progress)?),
        None => None,
    };
    let seconds = start.elapsed().as_secs_f64();
    progress.finish_and_clear();
    if let (Some(path), Some(c)) = (&args.plot, &compared) {
        // Shortcut curve first, so colours and legend order do not depend on the flags.
        let (first, second) = if cfg.shortcut {
            ((&cfg, &curve), (&other, c))
        } else {
            ((&other, c), (&cfg, &curve))
        };
        write_plot(path, &cfg, first, second)
            .with_context(|| format!("writing the plot to {}", path.display()))?;
    }

    if args.json {
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
            lr: cfg.lr,
            seed: cfg.seed,
            accuracy: curve.accuracy,
            compared: compared.as_ref().map(|c| Compared {
                shortcut: other.shortcut,
                final_loss: c.final_loss,
                losses: &c.losses,
            }),
        };
        println!("{}", serde_json::to_string(&report)?);
        return Ok(());
    }

    println!(
        "{}, {} (rounding {}), {} steps of {} (lr {}), seed {}, {} blocks of width {}",
        cfg.task.name(),
        cfg.number.name(),
        cfg.rounding.name(),
        cfg.steps,
        cfg.optimizer.name(),
        cfg.lr,
        cfg.seed,
        cfg.depth,
        cfg.width
    );
    let mut lines = vec![(&cfg, &curve)];
    if let Some(c) = &compared {
        lines.push((&other, c));
    }
    for (c, curve) in lines {
        let first = curve.losses.first().copied().unwrap_or(f32::NAN);
        let acc = curve
            .accuracy
            .map(|a| format!(", accuracy {:.1}%", 100.0 * a))
            .unwrap_or_default();
        println!(
            "{:>18}: loss {first:.4e} -> final loss {:.4e}{acc}",
            variant(c.shortcut),
            curve.final_loss
        );
    }
    println!("trained in {seconds:.2} s");
    if let Some(path) = &args.plot {
        println!("plot: {}", path.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
            plot: None,
            json: false,
        }
    }

    #[test]
    fn every_menu_shape_is_compiled() {
        for d in DEPTHS {
            for w in WIDTHS {
                let cfg = args(d, w).config().expect("on the menu");
                for task in [Task::Sin, Task::Moons] {
                    for shortcut in [true, false] {
                        let c = Config {
                            task,
                            shortcut,
                            ..cfg
                        };
                        let curve = train(&c, &ProgressBar::hidden()).expect("trains");
                        assert_eq!(curve.at_steps, [0, 1, 2, 3]);
                    }
                }
            }
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
