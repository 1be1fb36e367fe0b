//! The learning curves of the digits figure: the training loss against optimizer steps (log
//! scale), and the training and test accuracy against epochs.

use plotters::coord::combinators::IntoLogRange;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::digits::{PANEL_FONT, TEXT_FONT, TICK_FONT};
use super::{drawing, log_range, text_style, Area, COLOURS, LOG_FLOOR};

/// Loss curves of this many points or more are also drawn as means of blocks of points.
const SMOOTH_FROM: usize = 60;
/// Blocks the mean loss curve has at most.
const BLOCKS: usize = 30;
/// Accuracy curves of at most this many points mark every point.
const MARK_UP_TO: usize = 60;
/// The test curve and the mean loss (blue), the training curve (orange), each step's loss
/// (sky blue): Okabe and Ito's colour-blind safe palette.
const TEST: RGBColor = COLOURS[0];
const TRAIN: RGBColor = COLOURS[1];
const RAW: RGBColor = RGBColor(86, 180, 233);

/// The runs of consecutive points with finite coordinates: a curve breaks where a point is
/// NaN or infinite.
pub(super) fn finite_runs(points: &[(f64, f64)]) -> Vec<&[(f64, f64)]> {
    points
        .split(|(x, y)| !(x.is_finite() && y.is_finite()))
        .filter(|run| !run.is_empty())
        .collect()
}

/// The mean of each block of `width` consecutive points, over its finite points, placed at
/// their mean `x`; NaN for a block with none (which breaks the curve).
fn block_means(points: &[(f64, f64)], width: usize) -> Vec<(f64, f64)> {
    points
        .chunks(width.max(1))
        .map(|block| {
            let finite = || block.iter().filter(|(x, y)| x.is_finite() && y.is_finite());
            let n = finite().count() as f64;
            let (sx, sy) = finite().fold((0.0, 0.0), |(sx, sy), (x, y)| (sx + x, sy + y));
            if n == 0.0 {
                (f64::NAN, f64::NAN)
            } else {
                (sx / n, sy / n)
            }
        })
        .collect()
}

/// A range covering the finite `values`, widened by 1 on each side when narrower than 1;
/// `0..1` when there are none.
fn span(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() {
        (0.0, 1.0)
    } else if hi - lo < 1.0 {
        (lo - 1.0, hi + 1.0)
    } else {
        (lo, hi)
    }
}

/// Tick labels for whole numbers on `lo..hi`: one per unit, at most 11.
fn whole_labels((lo, hi): (f64, f64)) -> usize {
    ((hi - lo).ceil() as usize + 1).clamp(2, 11)
}

/// The legend's text for the last finite value of `curve`.
fn last_percent(curve: &[(f64, f64)]) -> String {
    curve
        .iter()
        .rev()
        .find(|(x, y)| x.is_finite() && y.is_finite())
        .map(|(_, y)| format!("last {:.1}%", 100.0 * y))
        .unwrap_or_else(|| "no value".to_owned())
}

/// Draws `points` (`(step, loss)`) on a log scale: every point thin, and for long curves the
/// mean of blocks of points bold.
pub(super) fn loss(area: &Area<'_>, points: &[(f64, f64)]) -> anyhow::Result<()> {
    let runs = finite_runs(points);
    let finite = || runs.iter().flat_map(|run| run.iter());
    let x = span(finite().map(|p| p.0));
    let (y_lo, y_hi) = log_range(finite().map(|p| p.1));
    // At least two decades: plotters labels every tick of a single decade.
    let y_lo = if y_hi / y_lo < 99.0 {
        y_lo / 10.0
    } else {
        y_lo
    };
    let mut chart = ChartBuilder::on(area)
        .caption("Training loss", ("sans-serif", PANEL_FONT))
        .margin(14)
        .margin_right(28)
        .x_label_area_size(56)
        .y_label_area_size(78)
        .build_cartesian_2d(x.0..x.1, (y_lo..y_hi).log_scale())
        .map_err(drawing)?;
    chart
        .configure_mesh()
        .x_labels(whole_labels(x))
        .x_max_light_lines(4)
        .y_max_light_lines(1)
        .x_desc("optimizer step")
        .y_desc("loss (log scale)")
        .axis_desc_style(("sans-serif", TEXT_FONT))
        .label_style(("sans-serif", TICK_FONT))
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y:.0e}"))
        .draw()
        .map_err(drawing)?;
    if runs.is_empty() {
        let style = text_style(TEXT_FONT, BLACK, HPos::Center, VPos::Center);
        let middle = ((x.0 + x.1) / 2.0, (y_lo * y_hi).sqrt());
        chart
            .plotting_area()
            .draw(&Text::new("no finite loss recorded", middle, style))
            .map_err(drawing)?;
        return Ok(());
    }
    let floor = |&(x, y): &(f64, f64)| (x, y.max(LOG_FLOOR));
    let thin = RAW.stroke_width(1);
    for (i, run) in runs.iter().enumerate() {
        let series = chart
            .draw_series(LineSeries::new(run.iter().map(floor), thin))
            .map_err(drawing)?;
        if i == 0 {
            series
                .label("batch loss")
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 28, y)], thin));
        }
        if let [point] = run {
            chart
                .draw_series([Circle::new(floor(point), 3, RAW.filled())])
                .map_err(drawing)?;
        }
    }
    if points.len() >= SMOOTH_FROM {
        let width = points.len().div_ceil(BLOCKS);
        let means = block_means(points, width);
        let bold = TEST.stroke_width(3);
        for (i, run) in finite_runs(&means).into_iter().enumerate() {
            let series = chart
                .draw_series(LineSeries::new(run.iter().map(floor), bold))
                .map_err(drawing)?;
            if i == 0 {
                series
                    .label(format!("mean over {width} batches"))
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 28, y)], bold));
            }
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font(("sans-serif", TICK_FONT))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .margin(10)
        .draw()
        .map_err(drawing)?;
    Ok(())
}

/// Draws the training and test accuracy (`(epoch, fraction)`) in percent, the y axis from
/// a whole 5% at least 2 points below the lowest value to 100%.
pub(super) fn accuracy(
    area: &Area<'_>,
    train: &[(f64, f64)],
    test: &[(f64, f64)],
) -> anyhow::Result<()> {
    let finite = || {
        train
            .iter()
            .chain(test)
            .filter(|(x, y)| x.is_finite() && y.is_finite())
    };
    let x = span(finite().map(|p| p.0));
    let lowest = finite().map(|p| p.1).fold(1.0, f64::min);
    // Room below the lowest point, whose marker the legend would cover at the frame.
    let y_lo = (((lowest - 0.02) * 20.0).floor() / 20.0).clamp(0.0, 0.95);
    // A little room above 100%, so that a curve at 100% is not drawn on the frame.
    let y_hi = 1.0 + (1.0 - y_lo) * 0.03;
    let y_labels = (((1.0 - y_lo) / 0.05).round() as usize + 1).min(11);
    let mut chart = ChartBuilder::on(area)
        .caption("Accuracy after each epoch", ("sans-serif", PANEL_FONT))
        .margin(14)
        .margin_right(28)
        .x_label_area_size(56)
        .y_label_area_size(78)
        .build_cartesian_2d(x.0..x.1, y_lo..y_hi)
        .map_err(drawing)?;
    chart
        .configure_mesh()
        .x_labels(whole_labels(x))
        .y_labels(y_labels)
        .max_light_lines(4)
        .x_desc("epoch")
        .y_desc("accuracy")
        .axis_desc_style(("sans-serif", TEXT_FONT))
        .label_style(("sans-serif", TICK_FONT))
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{:.0}%", 100.0 * y))
        .draw()
        .map_err(drawing)?;
    let curves = [
        (
            format!("training set ({})", last_percent(train)),
            train,
            TRAIN,
            true,
        ),
        (
            format!("test set ({})", last_percent(test)),
            test,
            TEST,
            false,
        ),
    ];
    if finite().next().is_none() {
        let style = text_style(TEXT_FONT, BLACK, HPos::Center, VPos::Center);
        let middle = ((x.0 + x.1) / 2.0, (y_lo + y_hi) / 2.0);
        chart
            .plotting_area()
            .draw(&Text::new("no accuracy recorded", middle, style))
            .map_err(drawing)?;
        return Ok(());
    }
    for (label, curve, colour, dashed) in curves {
        let line = colour.stroke_width(3);
        let mut runs = finite_runs(curve);
        if runs.is_empty() {
            // Drawn empty, for its legend entry.
            runs.push(&[]);
        }
        for (i, run) in runs.into_iter().enumerate() {
            let series = if dashed {
                chart.draw_series(DashedLineSeries::new(run.iter().copied(), 10, 6, line))
            } else {
                chart.draw_series(LineSeries::new(run.iter().copied(), line))
            }
            .map_err(drawing)?;
            if i == 0 {
                let dash = if dashed { 10 } else { 28 };
                series.label(label.clone()).legend(move |(x, y)| {
                    DashedPathElement::new([(x, y), (x + 28, y)], dash, 6, line)
                });
            }
            if curve.len() <= MARK_UP_TO {
                chart
                    .draw_series(run.iter().map(|&p| Circle::new(p, 4, colour.filled())))
                    .map_err(drawing)?;
            }
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .label_font(("sans-serif", TICK_FONT))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .margin(10)
        .draw()
        .map_err(drawing)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAN: f64 = f64::NAN;

    type Points = &'static [(f64, f64)];

    /// Equal, NaN equal to NaN.
    fn same(a: &[(f64, f64)], b: &[(f64, f64)]) -> bool {
        let eq = |x: f64, y: f64| x == y || (x.is_nan() && y.is_nan());
        a.len() == b.len() && a.iter().zip(b).all(|(p, q)| eq(p.0, q.0) && eq(p.1, q.1))
    }

    #[test]
    fn curves_break_at_points_that_are_not_finite() {
        let cases: [(Points, &[Points]); 5] = [
            (&[], &[]),
            (&[(0.0, 1.0)], &[&[(0.0, 1.0)]]),
            (
                &[(0.0, NAN), (1.0, 1.0), (2.0, 0.5)],
                &[&[(1.0, 1.0), (2.0, 0.5)]],
            ),
            (
                &[(0.0, 1.0), (NAN, 2.0), (2.0, f64::INFINITY), (3.0, 0.5)],
                &[&[(0.0, 1.0)], &[(3.0, 0.5)]],
            ),
            (&[(0.0, NAN), (1.0, f64::NEG_INFINITY)], &[]),
        ];
        for (points, runs) in cases {
            assert_eq!(finite_runs(points), runs, "{points:?}");
        }
    }

    #[test]
    fn block_means_skip_points_that_are_not_finite() {
        let points = [
            (0.0, 1.0),
            (1.0, 3.0),
            (2.0, NAN),
            (3.0, 5.0),
            (4.0, NAN),
            (5.0, NAN),
            (6.0, 8.0),
        ];
        // A block with no finite point is a NaN point, which breaks the curve.
        let cases: [(usize, Points); 4] = [
            (
                1,
                &[
                    (0.0, 1.0),
                    (1.0, 3.0),
                    (NAN, NAN),
                    (3.0, 5.0),
                    (NAN, NAN),
                    (NAN, NAN),
                    (6.0, 8.0),
                ],
            ),
            (2, &[(0.5, 2.0), (3.0, 5.0), (NAN, NAN), (6.0, 8.0)]),
            (3, &[(0.5, 2.0), (3.0, 5.0), (6.0, 8.0)]),
            (7, &[(2.5, 4.25)]),
        ];
        for (width, means) in cases {
            assert!(
                same(&block_means(&points, width), means),
                "width {width}: {:?}",
                block_means(&points, width)
            );
        }
        assert!(block_means(&[], 3).is_empty());
    }

    #[test]
    fn spans_are_at_least_one_wide() {
        let cases: [(&[f64], (f64, f64)); 5] = [
            (&[], (0.0, 1.0)),
            (&[NAN, f64::INFINITY], (0.0, 1.0)),
            (&[5.0], (4.0, 6.0)),
            (&[1.0, 1.5], (0.0, 2.5)),
            (&[1.0, NAN, 30.0, 2.0], (1.0, 30.0)),
        ];
        for (values, want) in cases {
            assert_eq!(span(values.iter().copied()), want, "{values:?}");
        }
        assert_eq!(whole_labels((1.0, 30.0)), 11);
        assert_eq!(whole_labels((4.0, 6.0)), 3);
        assert_eq!(
            last_percent(&[(1.0, 0.5), (2.0, 0.9781), (3.0, NAN)]),
            "last 97.8%"
        );
        assert_eq!(last_percent(&[(1.0, NAN)]), "no value");
    }
}
