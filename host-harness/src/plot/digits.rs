//! The figure a user looks at first after training a digits classifier: the learning curves
//! on top, the test confusion matrix and misclassified test digits below.
//!
//! The inputs are plain numbers ([`DigitsReport`]), so that any training loop can fill them.

use anyhow::{bail, Context as _};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::{confusion, drawing, images, learning, text_style};

/// Classes: the digits 0 to 9.
pub(super) const CLASSES: usize = 10;
/// Pixels of a digit: 8 x 8, row-major.
pub(super) const PIXELS: usize = 64;
/// The largest grey level of a pixel.
pub(super) const MAX_LEVEL: u8 = 16;
/// Misclassified digits drawn at most (the first ones of [`DigitsReport::misclassified`]).
pub const SHOWN: usize = 12;

/// Font size of a panel's title (plotters' size: the SVG's is 1.24 times smaller).
pub(super) const PANEL_FONT: f64 = 24.0;
/// Font size of axis titles and labels in cells.
pub(super) const TEXT_FONT: f64 = 19.0;
/// Font size of tick labels and legends.
pub(super) const TICK_FONT: f64 = 17.0;

/// Figure size in pixels.
const SIZE: (u32, u32) = (1200, 1010);
/// Height of the title band.
const TITLE_HEIGHT: u32 = 56;
/// Height of the row of learning curves.
const CURVES_HEIGHT: u32 = 410;

/// A test digit the classifier got wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Misclassified {
    /// Grey levels `0..=16`, row-major (as the `skipgrad-digits` data file stores them).
    pub pixels: [u8; PIXELS],
    /// The true class.
    pub truth: u8,
    /// The class predicted.
    pub predicted: u8,
}

/// What a digits training run shows: curves, the test confusion matrix and the test digits
/// it got wrong.
///
/// Points whose coordinates are not finite (a NaN loss) are left out of the curves, which
/// break there.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DigitsReport {
    /// The training loss of optimizer steps: `(step, loss)`, every step or every k-th,
    /// steps increasing.
    pub loss: Vec<(f64, f64)>,
    /// The accuracy on the training set after each epoch: `(epoch, fraction)`, each
    /// fraction in `0..=1`.
    pub train_accuracy: Vec<(f64, f64)>,
    /// The accuracy on the test set after each epoch, as
    /// [`train_accuracy`](Self::train_accuracy).
    pub test_accuracy: Vec<(f64, f64)>,
    /// Counts of test samples: row = true class, column = predicted class.
    pub confusion: [[u32; CLASSES]; CLASSES],
    /// The misclassified test digits, in the order to show them; the first [`SHOWN`] are
    /// drawn and the panel says how many there are.
    pub misclassified: Vec<Misclassified>,
}

impl DigitsReport {
    /// Refuses a fraction outside `0..=1` (NaN is left out of the curve, not refused) and a
    /// grey level above 16, naming what and where.
    fn check(&self) -> anyhow::Result<()> {
        for (name, curve) in [
            ("training", &self.train_accuracy),
            ("test", &self.test_accuracy),
        ] {
            if let Some((epoch, a)) = curve
                .iter()
                .find(|(_, a)| !(a.is_nan() || (0.0..=1.0).contains(a)))
            {
                bail!("the {name} accuracy at epoch {epoch} is {a}, not a fraction in 0..=1");
            }
        }
        for (i, digit) in self.misclassified.iter().enumerate() {
            if let Some((p, level)) = digit
                .pixels
                .iter()
                .enumerate()
                .find(|(_, &v)| v > MAX_LEVEL)
            {
                bail!(
                    "misclassified digit {i} (true {}, predicted {}): grey level {level} at pixel \
                     {p} is above {MAX_LEVEL}",
                    digit.truth,
                    digit.predicted
                );
            }
        }
        Ok(())
    }
}

/// The SVG of a digits training run, titled `title`: the training loss against optimizer
/// steps (log scale) and the training and test accuracy against epochs on top; below, the
/// test confusion matrix as a heat map with its counts (rows: true class, columns: predicted
/// class) and up to [`SHOWN`] misclassified test digits as 8 x 8 grey images labelled
/// "true 3, predicted 8".
///
/// An error, before anything is drawn, for an accuracy outside `0..=1` or a grey level above
/// 16; degenerate curves (empty, one point, NaN) and an empty confusion matrix are drawn as
/// such.
pub fn digits_report(title: &str, report: &DigitsReport) -> anyhow::Result<String> {
    report.check().context("the digits plot")?;
    let mut svg = String::new();
    draw(&mut svg, title, report)?;
    Ok(svg)
}

fn draw(svg: &mut String, title: &str, report: &DigitsReport) -> anyhow::Result<()> {
    let root = SVGBackend::with_string(svg, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(drawing)?;
    let (head, body) = root.split_vertically(TITLE_HEIGHT);
    let centre = (SIZE.0 / 2) as i32;
    let style = text_style(30.0, BLACK, HPos::Center, VPos::Center);
    head.draw(&Text::new(
        title,
        (centre, (TITLE_HEIGHT / 2) as i32 + 4),
        style,
    ))
    .map_err(drawing)?;
    let (curves, below) = body.split_vertically(CURVES_HEIGHT);
    let (loss, accuracy) = curves.split_horizontally(SIZE.0 / 2);
    learning::loss(&loss, &report.loss)?;
    learning::accuracy(&accuracy, &report.train_accuracy, &report.test_accuracy)?;
    let (matrix, digits) = below.split_horizontally(SIZE.0 / 2);
    confusion::heat_map(&matrix, &report.confusion)?;
    let tested = report
        .confusion
        .iter()
        .flatten()
        .map(|&c| u64::from(c))
        .sum();
    images::misclassified(&digits, &report.misclassified, tested)?;
    root.present().map_err(drawing)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::images::{grey, FRAME};

    /// Every `<text>` of `svg`: its position and its text.
    fn texts(svg: &str) -> Vec<((f64, f64), String)> {
        let attr = |tag: &str, name: &str| -> f64 {
            let tag = format!(" {tag}");
            let start = tag.find(&format!(" {name}=\"")).expect(name) + name.len() + 3;
            let len = tag[start..].find('"').expect("a closing quote");
            tag[start..start + len].parse().expect("a number")
        };
        svg.split("<text ")
            .skip(1)
            .map(|chunk| {
                let (tag, rest) = chunk.split_once('>').expect("a tag");
                let text = rest.split("</text>").next().expect("a text");
                ((attr(tag, "x"), attr(tag, "y")), text.trim().to_owned())
            })
            .collect()
    }

    fn digit(level: u8, truth: u8, predicted: u8) -> Misclassified {
        Misclassified {
            pixels: [level; PIXELS],
            truth,
            predicted,
        }
    }

    /// A report with a loss falling from 2.3, accuracies rising to 97.8% (test) and 100%
    /// (training), and a confusion matrix with 10 errors.
    fn report() -> DigitsReport {
        let mut confusion = [[0; CLASSES]; CLASSES];
        for (i, row) in confusion.iter_mut().enumerate() {
            row[i] = 44;
            row[(i + 3) % CLASSES] = 1;
        }
        DigitsReport {
            loss: (0..300)
                .map(|s| (f64::from(s), 2.3 * (-f64::from(s) / 40.0).exp()))
                .collect(),
            train_accuracy: (1..=10)
                .map(|e| (f64::from(e), 0.9 + 0.01 * f64::from(e)))
                .collect(),
            test_accuracy: (1..=10)
                .map(|e| (f64::from(e), 0.878 + 0.01 * f64::from(e)))
                .collect(),
            confusion,
            misclassified: (0..10).map(|i| digit(8, i, (i + 3) % 10)).collect(),
        }
    }

    #[test]
    fn every_count_is_written_in_its_cell_rows_true_columns_predicted() {
        // Count 1000 + 10 t + p at true class t, predicted p: each count appears once, and its
        // text moves right with p and down with t.
        let mut r = report();
        for (t, row) in r.confusion.iter_mut().enumerate() {
            for (p, c) in row.iter_mut().enumerate() {
                *c = (1000 + 10 * t + p) as u32;
            }
        }
        let svg = digits_report("counts", &r).expect("plot");
        let texts = texts(&svg);
        let at = |count: usize| {
            let found: Vec<_> = texts
                .iter()
                .filter(|(_, t)| *t == count.to_string())
                .collect();
            assert_eq!(
                found.len(),
                1,
                "count {count} written {} times",
                found.len()
            );
            found[0].0
        };
        for t in 0..CLASSES {
            for p in 0..CLASSES {
                let (x, y) = at(1000 + 10 * t + p);
                if p > 0 {
                    let left = at(1000 + 10 * t + p - 1);
                    assert!(
                        x > left.0 && y == left.1,
                        "({t}, {p}) is not right of ({t}, {})",
                        p - 1
                    );
                }
                if t > 0 {
                    let above = at(1000 + 10 * (t - 1) + p);
                    assert!(
                        y > above.1 && x == above.0,
                        "({t}, {p}) is not below ({}, {p})",
                        t - 1
                    );
                }
            }
        }
        // 10,495 of the 104,950 samples are on the diagonal.
        assert!(svg.contains("Test confusion matrix: 10495 of 104950 right (10.0%)"));
    }

    #[test]
    fn titles_axes_and_legends_are_written() {
        let svg = digits_report("Digits & more <test>", &report()).expect("plot");
        for text in [
            "Digits &amp; more &lt;test&gt;",
            "Training loss",
            "optimizer step",
            "loss (log scale)",
            "batch loss",
            "mean over 10 batches",
            "Accuracy after each epoch",
            "epoch",
            "accuracy",
            "training set (last 100.0%)",
            "test set (last 97.8%)",
            "Test confusion matrix: 440 of 450 right (97.8%)",
            "true class",
            "predicted class",
            "shade: share of the true class",
            "Misclassified test digits: 10 of 450",
        ] {
            assert!(svg.contains(text), "missing {text:?}");
        }
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    }

    #[test]
    fn misclassified_digits_are_drawn_labelled_and_counted() {
        // (digits, frames drawn, the panel's title or note)
        let cases = [
            (0, 0, "No test digit misclassified: all 450 right"),
            (1, 1, "Misclassified test digits: 1 of 450"),
            (SHOWN, SHOWN, "Misclassified test digits: 12 of 450"),
            (
                SHOWN + 3,
                SHOWN,
                "Misclassified test digits: 15 of 450, the first 12",
            ),
        ];
        for (n, frames, title) in cases {
            let mut r = report();
            r.misclassified = (0..n)
                .map(|i| digit(8, (i % 10) as u8, 9 - (i % 10) as u8))
                .collect();
            let svg = digits_report("digits", &r).expect("plot");
            assert!(svg.contains(title), "{n} digits: missing {title:?}");
            let frame = format!("stroke=\"{}\"", hex(FRAME));
            assert_eq!(svg.matches(&frame).count(), frames, "{n} digits: frames");
            // Every pixel of a shown digit is grey level 8.
            let pixel = format!("fill=\"{}\"", hex(grey(8)));
            assert_eq!(
                svg.matches(&pixel).count(),
                PIXELS * frames,
                "{n} digits: pixels"
            );
            let labels = texts(&svg)
                .into_iter()
                .filter(|(_, t)| t.contains(", predicted "))
                .map(|(_, t)| t)
                .collect::<Vec<_>>();
            let expected: Vec<String> = (0..frames)
                .map(|i| format!("true {}, predicted {}", i % 10, 9 - i % 10))
                .collect();
            assert_eq!(labels, expected, "{n} digits");
        }
    }

    fn hex(c: RGBColor) -> String {
        format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
    }

    #[test]
    fn degenerate_inputs_are_drawn() {
        type Case = (&'static str, fn(&mut DigitsReport), &'static [&'static str]);
        let cases: [Case; 8] = [
            (
                "nothing",
                |r| *r = DigitsReport::default(),
                &[
                    "no finite loss recorded",
                    "Test confusion matrix: no sample",
                    "No test digit misclassified",
                    "no accuracy recorded",
                ],
            ),
            (
                "a NaN loss",
                |r| r.loss[150].1 = f64::NAN,
                &["mean over 10 batches"],
            ),
            (
                "NaN and infinite losses",
                |r| {
                    r.loss[0].1 = f64::INFINITY;
                    r.loss[1].0 = f64::NAN;
                    r.loss[299].1 = f64::NEG_INFINITY;
                },
                &["batch loss"],
            ),
            (
                "every loss NaN",
                |r| r.loss.iter_mut().for_each(|p| p.1 = f64::NAN),
                &["no finite loss recorded"],
            ),
            (
                "zero losses",
                |r| r.loss.iter_mut().for_each(|p| p.1 = 0.0),
                &["batch loss"],
            ),
            (
                "one point each",
                |r| {
                    r.loss.truncate(1);
                    r.train_accuracy.truncate(1);
                    r.test_accuracy.truncate(1);
                },
                &["training set (last 91.0%)", "test set (last 88.8%)"],
            ),
            (
                "NaN accuracies",
                |r| {
                    r.train_accuracy.iter_mut().for_each(|p| p.1 = f64::NAN);
                    r.test_accuracy[3].1 = f64::NAN;
                },
                &["training set (no value)", "test set (last 97.8%)"],
            ),
            (
                "no sample of one class, none right",
                |r| {
                    r.confusion = [[0; CLASSES]; CLASSES];
                    r.confusion[2][7] = 5;
                },
                &["Test confusion matrix: 0 of 5 right (0.0%)"],
            ),
        ];
        for (name, change, texts) in cases {
            let mut r = report();
            change(&mut r);
            let svg = digits_report("degenerate", &r).unwrap_or_else(|e| panic!("{name}: {e:#}"));
            for text in texts {
                assert!(svg.contains(text), "{name}: missing {text:?}");
            }
            assert!(svg.trim_end().ends_with("</svg>"), "{name}");
            for bad in ["NaN", "inf"] {
                assert!(!svg.contains(bad), "{name}: {bad} in the SVG");
            }
        }
    }

    #[test]
    fn inputs_that_cannot_be_drawn_are_refused_by_name() {
        type Case = (fn(&mut DigitsReport), &'static str);
        let cases: [Case; 5] = [
            (|r| r.test_accuracy[4].1 = 1.5, "the test accuracy at epoch 5 is 1.5"),
            (|r| r.train_accuracy[0].1 = -0.25, "the training accuracy at epoch 1 is -0.25"),
            (|r| r.test_accuracy[9].1 = f64::INFINITY, "the test accuracy at epoch 10 is inf"),
            (|r| r.misclassified[3].pixels[17] = 17, "misclassified digit 3 (true 3, predicted 6): grey level 17 at pixel 17 is above 16"),
            (|r| r.misclassified[9].pixels[63] = u8::MAX, "grey level 255 at pixel 63"),
        ];
        for (change, message) in cases {
            let mut r = report();
            change(&mut r);
            let e = digits_report("bad", &r).expect_err(message);
            let text = format!("{e:#}");
            assert!(text.contains(message), "{text:?} lacks {message:?}");
            assert!(text.starts_with("the digits plot: "), "{text}");
        }
    }
}
