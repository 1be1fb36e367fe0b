//! `skipgrad train`: trains a model spec's network on its task with the core's guarded
//! training step.
//!
//! - [`config`]: the flags and the run they describe, checked before any work.
//! - [`fit`]: one training run, as a visitor of the model dispatch.
//! - [`gradients`]: each weight's gradient at the first step, as the notebook shows them.
//! - [`report`]: the text, the JSON and the plot, and the writing of the outputs.
//! - [`weights`]: `--load` and `--save`.
//!
//! The network ([`crate::model::network`]) is an input layer `(Linear<I, W>, activation)`,
//! `D` blocks `(Linear<W, W>, activation)` with shortcuts (or without, `--no-shortcut`),
//! each after a `LayerNorm` with `--norm layer`, and an output layer `Linear<W, O>`. It is
//! initialised as `torch.manual_seed(seed)` followed by constructing the same `nn.Module`
//! in PyTorch 2.15 would (`UniformFormula::Float64`). Training is deterministic: the same
//! flags give the same loss curve bit for bit. `sin` and `moons` train full batch, and the
//! default flags (tanh-GELU, MSE, no normalisation) train the network of the notebook's
//! book; `digits` trains the digits crate's default network with its defaults, in epochs of
//! mini-batches, and reports the test accuracy and the confusion matrix. Every number type
//! trains every part the core has in it (`--number q16.16` has no exp: no GELU (erf), SiLU,
//! BCE, cross-entropy or Adam); losses are reported as `f32`.

pub mod config;
pub mod fit;
pub mod gradients;
pub mod report;
pub mod weights;

use std::io::IsTerminal;
use std::time::Instant;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub use config::{Config, TrainArgs, MAX_RECORDED, MAX_STEPS};
pub use fit::{Curve, Fit, Trained};
use report::Outcome;
pub use weights::Weights;

use crate::model::task::Data;

/// Runs at least this long show a progress bar (on a terminal, without `--json`).
const PROGRESS_MIN_STEPS: usize = 200;
/// The largest digits file `--data` reads: 65,535 training and 65,535 test samples.
const MAX_DATA_BYTES: u64 = 16 + 2 * 65_535 * 65 + 4;

/// Runs one training run on the task's own data; `progress` is advanced once per step.
pub fn train(cfg: &Config, progress: &ProgressBar) -> anyhow::Result<Curve> {
    train_with(cfg, &Data::Generated, &Weights::default(), progress).map(|t| t.curve)
}

/// Runs one training run without a progress bar.
pub fn train_quietly(cfg: &Config) -> anyhow::Result<Curve> {
    train(cfg, &ProgressBar::hidden())
}

/// Runs one training run on `data` from the initial weights of `w` (if any); the trained
/// weights are returned as a safetensors file if `w` asks for them. Nothing is written.
pub fn train_with(
    cfg: &Config,
    data: &Data<'_>,
    w: &Weights,
    progress: &ProgressBar,
) -> anyhow::Result<Trained> {
    cfg.model().dispatch(Fit {
        cfg,
        data,
        weights: w,
        progress,
        epoch_accuracy: false,
    })
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

/// Reads and checks `--data` (a digits file), before any work.
fn read_data(args: &TrainArgs) -> anyhow::Result<Option<Vec<u8>>> {
    let Some(path) = &args.data else {
        return Ok(None);
    };
    let bytes = crate::input::read_bounded(path, MAX_DATA_BYTES)
        .with_context(|| format!("reading --data {}", path.display()))?;
    skipgrad_digits::Digits::parse(&bytes)
        .map_err(anyhow::Error::new)
        .with_context(|| format!("reading --data {}", path.display()))?;
    Ok(Some(bytes))
}

/// Runs `skipgrad train`.
///
/// Every flag ([`TrainArgs::config`]) and every path ([`TrainArgs::plan`]) is judged before
/// the first step, and `--data` and `--load` are read and checked. The outputs are written
/// only after every run succeeded, each atomically ([`crate::atomic`]); if a write still
/// fails, the results are printed before the error. A failing run is named in the error;
/// when the compared run of `--plot` fails, the requested run's results are printed and
/// nothing is written.
pub fn run(args: &TrainArgs) -> anyhow::Result<()> {
    let cfg = args.config()?;
    args.plan().check()?;
    let bytes = read_data(args)?;
    let data = match &bytes {
        Some(b) => Data::Digits(skipgrad_digits::Digits::parse(b)?),
        None if cfg.task().row().reads_data => Data::Digits(skipgrad_digits::Digits::embedded()?),
        None => Data::Generated,
    };
    let samples = match data {
        Data::Digits(d) => d.train().len(),
        Data::Generated => 0,
    };
    let steps = cfg.steps(samples)?;
    let saturation = crate::conversion::saturation(args.saturate);
    let weights = Weights::new(args.load.as_deref(), args.save.is_some(), saturation)?;
    let other = cfg.with_shortcut(!cfg.model().shortcut());
    // The generated tasks' plot compares both variants; the digits' shows the run.
    let compare = args.plot.is_some() && !cfg.task().row().reads_data;
    let runs = if compare { 2 } else { 1 };
    let progress = progress_bar(steps * runs, args.json)?;
    let start = Instant::now();
    let fit = Fit {
        cfg: &cfg,
        data: &data,
        weights: &weights,
        progress: &progress,
        epoch_accuracy: args.plot.is_some(),
    };
    let trained = cfg
        .model()
        .dispatch(fit)
        .with_context(|| report::run_name(cfg.model().shortcut()))?;
    let compared = compare.then(|| {
        let load_only = weights.load_only();
        other.model().dispatch(Fit {
            cfg: &other,
            data: &data,
            weights: &load_only,
            progress: &progress,
            epoch_accuracy: false,
        })
    });
    progress.finish_and_clear();
    let mut outcome = Outcome {
        cfg: &cfg,
        other: &other,
        trained: &trained,
        compared: None,
        seconds: start.elapsed().as_secs_f64(),
        load: args.load.as_deref(),
    };
    match compared {
        Some(Err(e)) => {
            outcome.print(args.json, None)?;
            Err(e.context(report::compared_name(other.model().shortcut())))
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
