//! What `train` shows: the text, the JSON object of `--json` and the SVG of `--plot`, and
//! the writing of the outputs (`Outcome::write`, then `Outcome::print`).

use std::path::Path;

use anyhow::Context as _;

use super::config::{Config, TrainArgs};
use super::fit::{Curve, Trained};
use super::gradients::{self, WeightGradient};
use crate::model::task::{EpochAccuracy, Schedule, Test};
use crate::model::{Model, Parts, Rate};
use crate::plot;

/// The JSON object printed by `--json`.
#[derive(serde::Serialize)]
struct Report<'a> {
    task: &'static str,
    number: &'static str,
    rounding: &'static str,
    /// Steps taken (full batch, or mini-batches over every epoch).
    steps: usize,
    /// For digits: the passes over the training set.
    #[serde(skip_serializing_if = "Option::is_none")]
    epochs: Option<u32>,
    /// For digits: samples per mini-batch.
    #[serde(skip_serializing_if = "Option::is_none")]
    batch: Option<usize>,
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
    /// For digits: the fraction of the test set classified right.
    #[serde(skip_serializing_if = "Option::is_none")]
    test_accuracy: Option<f64>,
    /// For digits: the test set's confusion matrix, rows = true class, columns = predicted.
    #[serde(skip_serializing_if = "Option::is_none")]
    confusion: Option<&'a [Vec<u32>]>,
    /// For digits with `--plot`: the training and test accuracy after each epoch.
    #[serde(skip_serializing_if = "<[EpochAccuracy]>::is_empty")]
    epoch_accuracy: &'a [EpochAccuracy],
    /// Each weight's gradient at the first step (before any update).
    gradients: &'a [WeightGradient],
    /// With `--plot` on sin and moons: the other variant's curve.
    #[serde(skip_serializing_if = "Option::is_none")]
    compared: Option<Compared<'a>>,
    /// With `--load`: how the file's values converted into the number type, per tensor.
    #[serde(skip_serializing_if = "Option::is_none")]
    load: Option<&'a crate::conversion::Report>,
}

#[derive(serde::Serialize)]
struct Compared<'a> {
    shortcut: bool,
    final_loss: f32,
    losses: &'a [f32],
    #[serde(skip_serializing_if = "Option::is_none")]
    accuracy: Option<f64>,
    gradients: &'a [WeightGradient],
}

fn variant(shortcut: bool) -> &'static str {
    if shortcut {
        "with shortcuts"
    } else {
        "without shortcuts"
    }
}

/// The run's name for a refusal: `the run with shortcuts`.
pub(super) fn run_name(shortcut: bool) -> String {
    format!("the run {}", variant(shortcut))
}

/// The compared run's name for a refusal.
pub(super) fn compared_name(shortcut: bool) -> String {
    format!(
        "the compared run {} (for --plot); nothing was written",
        variant(shortcut)
    )
}

/// The parts that differ from the notebook's, as `", SiLU, cross-entropy, LayerNorm"`
/// (empty for the notebook's).
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
        let n = parts.norm;
        out += &if title {
            format!(", {}", n.title())
        } else {
            format!(", norm {}", n.name())
        };
    }
    out
}

/// `2000 steps` or `30 epochs of 32 (1260 steps)`.
fn schedule_text(cfg: &Config, steps: usize) -> String {
    match cfg.schedule {
        Schedule::Steps(n) => format!("{n} steps"),
        Schedule::Epochs(e) => format!(
            "{e} epochs of {} ({steps} steps)",
            crate::model::task::digits::BATCH
        ),
    }
}

/// The plot's title for a run.
pub fn plot_title(cfg: &Config) -> String {
    let model = cfg.model();
    let o = cfg.spec.optimizer();
    format!(
        "{}: {}, {} lr {}, seed {}{}",
        model.task().title(),
        model.shape_text(),
        o.kind.title(),
        rate_text(&o.rate),
        cfg.seed,
        parts_note(&model.parts(), true)
    )
}

/// The rate used, and the request where it reads differently (`0.0099945068359375,
/// requested 0.01` in `q16.16`; `0.01` in `f32`).
fn rate_text(rate: &Rate) -> String {
    if rate.to_string() != format!("{:?}", rate.requested) {
        format!("{rate}, requested {:?}", rate.requested)
    } else {
        rate.to_string()
    }
}

/// `", accuracy 98.4%"`, or nothing.
fn accuracy_note(curve: &Curve) -> String {
    curve
        .accuracy
        .map(|a| format!(", accuracy {:.1}%", 100.0 * a))
        .unwrap_or_default()
}

/// A curve as plot points.
fn points(curve: &Curve) -> Vec<(f64, f64)> {
    curve
        .at_steps
        .iter()
        .zip(&curve.losses)
        .map(|(s, l)| (*s as f64, f64::from(*l)))
        .collect()
}

/// The SVG plot of both variants' loss curves.
pub fn plot_svg(cfg: &Config, a: (&Model, &Curve), b: (&Model, &Curve)) -> anyhow::Result<String> {
    let series = [a, b].map(|(m, curve)| plot::Series {
        label: format!(
            "{} (final loss {:.2e}{})",
            variant(m.shortcut()),
            curve.final_loss,
            accuracy_note(curve)
        ),
        points: points(curve),
    });
    let y_desc = format!("training loss ({}, log scale)", cfg.model().loss().title());
    plot::loss_curves(&plot_title(cfg), &y_desc, &series)
}

/// The SVG plot of one run: for a task with a test set (digits), its figure
/// ([`plot::digits_report`]: loss, accuracies per epoch, confusion matrix, misclassified
/// digits); otherwise its loss curve.
fn single_plot_svg(cfg: &Config, curve: &Curve) -> anyhow::Result<String> {
    if let Some(test) = &curve.test {
        return digits_plot_svg(cfg, curve, test);
    }
    let series = [plot::Series {
        label: format!(
            "{} (final loss {:.2e})",
            variant(cfg.model().shortcut()),
            curve.final_loss
        ),
        points: points(curve),
    }];
    let y_desc = format!("training loss ({}, log scale)", cfg.model().loss().title());
    plot::loss_curves(&plot_title(cfg), &y_desc, &series)
}

/// The digits figure of a run with a test set.
fn digits_plot_svg(cfg: &Config, curve: &Curve, test: &Test) -> anyhow::Result<String> {
    let mut report = plot::DigitsReport::default();
    // Every recorded mini-batch loss; the last point is the whole training set's loss, not
    // a step's, and is left out.
    let steps = curve.losses.len().saturating_sub(1);
    report.loss = points(curve).into_iter().take(steps).collect();
    for (epoch, a) in (1u32..).zip(&curve.epoch_accuracy) {
        report.train_accuracy.push((f64::from(epoch), a.train));
        report.test_accuracy.push((f64::from(epoch), a.test));
    }
    for (row, counts) in report.confusion.iter_mut().zip(&test.confusion) {
        for (cell, &count) in row.iter_mut().zip(counts) {
            *cell = count;
        }
    }
    for m in &test.misclassified {
        let pixels = <[u8; skipgrad_digits::PIXELS]>::try_from(m.pixels.as_slice())
            .context("a misclassified digit is not 8 x 8")?;
        report.misclassified.push(plot::Misclassified {
            pixels,
            truth: u8::try_from(m.truth).context("a class above 255")?,
            predicted: u8::try_from(m.predicted).context("a class above 255")?,
        });
    }
    let title = format!(
        "{}, test accuracy {:.2}%",
        plot_title(cfg),
        100.0 * test.accuracy
    );
    plot::digits_report(&title, &report)
}

/// The test figures as text: the accuracy and the confusion matrix.
fn test_text(test: &Test) -> String {
    let right: u32 = test
        .confusion
        .iter()
        .enumerate()
        .map(|(i, row)| row.get(i).copied().unwrap_or(0))
        .sum();
    let total: u32 = test.confusion.iter().flatten().sum();
    let mut text = format!(
        "test accuracy {:.2}% ({right} of {total})\nconfusion matrix (rows: true class, \
         columns: predicted):\n",
        100.0 * test.accuracy
    );
    for row in &test.confusion {
        let cells: Vec<String> = row.iter().map(|c| format!("{c:3}")).collect();
        text += &cells.join(" ");
        text.push('\n');
    }
    text
}

/// What a finished `train` command has: the requested run, and with `--plot` on sin and
/// moons the other variant's curve.
pub(super) struct Outcome<'a> {
    pub cfg: &'a Config,
    pub other: &'a Config,
    pub trained: &'a Trained,
    pub compared: Option<&'a Curve>,
    pub seconds: f64,
    /// `--load`'s file, if one was given.
    pub load: Option<&'a Path>,
}

impl Outcome<'_> {
    /// Writes `--save` and then `--plot`, each atomically, stopping at the first failure.
    pub fn write(&self, args: &TrainArgs) -> anyhow::Result<()> {
        if let (Some(path), Some(bytes)) = (&args.save, &self.trained.weights) {
            crate::atomic::write(path, bytes)
                .with_context(|| format!("writing --save {}", path.display()))?;
        }
        if let Some(path) = &args.plot {
            let svg = match self.compared {
                Some(c) => {
                    // Shortcut curve first, so colours and legend order do not depend on the
                    // flags.
                    let mine = (self.cfg.model(), &self.trained.curve);
                    let theirs = (self.other.model(), c);
                    let (first, second) = if self.cfg.model().shortcut() {
                        (mine, theirs)
                    } else {
                        (theirs, mine)
                    };
                    plot_svg(self.cfg, first, second)?
                }
                None => single_plot_svg(self.cfg, &self.trained.curve)?,
            };
            crate::atomic::write(path, svg.as_bytes())
                .with_context(|| format!("writing --plot {}", path.display()))?;
        }
        Ok(())
    }

    /// Prints the results: one JSON object with `json`, else the text (after `--load`'s
    /// report, if a file was loaded); `plot` is where the plot was written, if it was.
    pub fn print(&self, json: bool, plot: Option<&Path>) -> anyhow::Result<()> {
        let (cfg, other, curve) = (self.cfg, self.other, &self.trained.curve);
        let model = cfg.model();
        let o = cfg.spec.optimizer();
        let steps = curve.at_steps.last().copied().unwrap_or(0);
        if json {
            let epochs = match cfg.schedule {
                Schedule::Epochs(e) => Some(e),
                Schedule::Steps(_) => None,
            };
            let report = Report {
                task: model.task().name(),
                number: model.number().name(),
                rounding: o.rounding.name(),
                steps,
                epochs,
                batch: epochs.map(|_| crate::model::task::digits::BATCH),
                final_loss: curve.final_loss,
                losses: &curve.losses,
                every: cfg.every,
                depth: model.depth(),
                width: model.width(),
                shortcut: model.shortcut(),
                optimizer: o.kind.name(),
                lr: o.rate,
                lr_requested: o.rate.requested,
                seed: cfg.seed,
                activation: model.activation().name(),
                loss: model.loss().name(),
                norm: model.norm().name(),
                accuracy: curve.accuracy,
                test_accuracy: curve.test.as_ref().map(|t| t.accuracy),
                confusion: curve.test.as_ref().map(|t| t.confusion.as_slice()),
                epoch_accuracy: &curve.epoch_accuracy,
                gradients: &curve.gradients,
                compared: self.compared.map(|c| Compared {
                    shortcut: other.model().shortcut(),
                    final_loss: c.final_loss,
                    losses: &c.losses,
                    accuracy: c.accuracy,
                    gradients: &c.gradients,
                }),
                load: self.trained.loaded.as_ref(),
            };
            crate::outln!("{}", serde_json::to_string(&report)?);
            return Ok(());
        }
        if let Some(loaded) = &self.trained.loaded {
            let what = match self.load {
                Some(p) => format!("--load {}", p.display()),
                None => "--load".into(),
            };
            crate::out!("{}", loaded.text(&what));
        }
        crate::outln!(
            "{}, {} (rounding {}), {} of {} (lr {}), seed {}, {}{}",
            model.task().name(),
            model.number().name(),
            o.rounding.name(),
            schedule_text(cfg, steps),
            o.kind.name(),
            rate_text(&o.rate),
            cfg.seed,
            model.shape_text(),
            parts_note(&model.parts(), false)
        );
        let mut lines = vec![(cfg.model(), curve)];
        if let Some(c) = self.compared {
            lines.push((other.model(), c));
        }
        let columns: Vec<(&str, &[WeightGradient])> = lines
            .iter()
            .map(|(m, c)| (variant(m.shortcut()), c.gradients.as_slice()))
            .collect();
        let gradient_table = gradients::table(&columns);
        for (m, curve) in lines {
            let first = curve.losses.first().copied().unwrap_or(f32::NAN);
            crate::outln!(
                "{:>18}: loss {first:.4e} -> final loss {:.4e}{}",
                variant(m.shortcut()),
                curve.final_loss,
                accuracy_note(curve)
            );
        }
        crate::out!("{gradient_table}");
        if let Some(test) = &curve.test {
            crate::out!("{}", test_text(test));
        }
        crate::outln!("trained in {:.2} s", self.seconds);
        if let Some(path) = plot {
            crate::outln!("plot: {}", path.display());
        }
        Ok(())
    }
}
