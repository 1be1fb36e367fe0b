//! SVG plots: loss curves of `skipgrad train --plot`, the gradient bar chart of
//! `skipgrad seed --plot`, and the digits classifier's figure ([`digits_report`]: learning
//! curves, confusion heat map, misclassified digits).
//!
//! Each plot is drawn into a string; the command writes it atomically
//! ([`crate::atomic`]), so a failed plot never leaves a half-written file.
//!
//! Text is left to the SVG viewer's fonts (plotters' SVG backend with no font features), so
//! nothing here needs system font libraries.

use anyhow::anyhow;
use plotters::coord::combinators::IntoLogRange;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::notebook::Tables;

mod confusion;
mod digits;
mod images;
mod learning;

pub use digits::{digits_report, DigitsReport, Misclassified, SHOWN};

/// Plot size in pixels.
const SIZE: (u32, u32) = (960, 600);
/// Line colours, in series order (colour-blind safe: blue, orange, green, purple).
const COLOURS: [RGBColor; 4] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
];
/// The smallest value drawn on a log axis (zeros are clamped to it).
const LOG_FLOOR: f64 = 1e-12;

/// A part of an SVG figure, in pixels from its top left corner.
type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

/// Sans-serif text of plotters' `size` (the SVG's font size is 1.24 times smaller) in
/// `colour`, anchored at `(h, v)`.
fn text_style(size: f64, colour: RGBColor, h: HPos, v: VPos) -> TextStyle<'static> {
    TextStyle {
        font: ("sans-serif", size).into(),
        color: colour.to_backend_color(),
        pos: Pos::new(h, v),
    }
}

/// A drawing error as the commands report it.
fn drawing(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("plotting: {e}")
}

/// One curve: a legend label and its `(x, y)` points.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Legend text.
    pub label: String,
    /// Points, `x` increasing.
    pub points: Vec<(f64, f64)>,
}

/// A log-scale range covering `values` with some margin, in whole decades.
fn log_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .map(|v| v.max(LOG_FLOOR))
        .fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() {
        return (0.1, 10.0);
    }
    let lo = 10f64.powf(lo.log10().floor());
    let hi = 10f64.powf(hi.log10().ceil()).max(lo * 10.0);
    // A hair wider than the decades, so that rounding in the axis' tick computation cannot
    // drop the end labels.
    (lo * (1.0 - 1e-9), hi * (1.0 + 1e-9))
}

/// The SVG of `series` as lines on a log-scale y axis, labelled `y_desc`, against optimizer
/// steps.
pub fn loss_curves(title: &str, y_desc: &str, series: &[Series]) -> anyhow::Result<String> {
    let mut svg = String::new();
    draw_loss_curves(&mut svg, title, y_desc, series)?;
    Ok(svg)
}

fn draw_loss_curves(
    svg: &mut String,
    title: &str,
    y_desc: &str,
    series: &[Series],
) -> anyhow::Result<()> {
    let x_max = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .fold(1.0f64, f64::max);
    let (y_lo, y_hi) = log_range(series.iter().flat_map(|s| s.points.iter().map(|p| p.1)));
    let root = SVGBackend::with_string(svg, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(drawing)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 24))
        .margin(20)
        .x_label_area_size(56)
        .y_label_area_size(90)
        .build_cartesian_2d(0f64..x_max, (y_lo..y_hi).log_scale())
        .map_err(drawing)?;
    chart
        .configure_mesh()
        .x_desc("optimizer step")
        .y_desc(y_desc)
        .axis_desc_style(("sans-serif", 18))
        .label_style(("sans-serif", 15))
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y:.0e}"))
        .draw()
        .map_err(drawing)?;
    for (s, colour) in series.iter().zip(COLOURS.iter().cycle()) {
        let style = colour.stroke_width(3);
        let points = s.points.iter().map(|&(x, y)| (x, y.max(LOG_FLOOR)));
        chart
            .draw_series(LineSeries::new(points, style))
            .map_err(drawing)?
            .label(&s.label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 28, y)], style));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font(("sans-serif", 17))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .margin(12)
        .draw()
        .map_err(drawing)?;
    root.present().map_err(drawing)?;
    Ok(())
}

/// The SVG of the seed notebook's per-layer mean |grad| tables as grouped bars on a log
/// scale: one group per weight, without shortcuts and with shortcuts side by side, each bar
/// labelled with its value.
pub fn gradient_bars(tables: &Tables) -> anyhow::Result<String> {
    let mut svg = String::new();
    draw_gradient_bars(&mut svg, tables)?;
    Ok(svg)
}

fn draw_gradient_bars(svg: &mut String, tables: &Tables) -> anyhow::Result<()> {
    let groups: Vec<(&str, [f64; 2])> = tables
        .without_shortcut
        .iter()
        .zip(&tables.with_shortcut)
        .map(|(a, b)| (a.name.as_str(), [a.mean_abs_grad, b.mean_abs_grad]))
        .collect();
    let (lo, y_hi) = log_range(groups.iter().flat_map(|g| g.1));
    // One more decade below the smallest value, so that every bar has a visible height.
    let y_lo = lo / 10.0;
    // Each group spans 6 units: two bars of 2 units and a gap of 2; the group's label sits at
    // its centre (6i + 2), between its bars, and each value above its bar's centre.
    let width = 6 * groups.len() as i32;
    let root = SVGBackend::with_string(svg, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(drawing)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Seed notebook: mean |gradient| of each layer's weight",
            ("sans-serif", 24),
        )
        .margin(20)
        .x_label_area_size(56)
        .y_label_area_size(90)
        .build_cartesian_2d(-2i32..width, (y_lo..y_hi).log_scale())
        .map_err(drawing)?;
    let names: Vec<String> = groups.iter().map(|g| g.0.to_owned()).collect();
    let label = move |x: &i32| {
        if x.rem_euclid(6) == 2 {
            names.get((x / 6) as usize).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    };
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels((width + 3) as usize)
        .x_label_formatter(&label)
        .x_desc("layer (PyTorch parameter name), input side on the left")
        .y_desc("mean |grad| of the weight (log scale)")
        .axis_desc_style(("sans-serif", 18))
        .label_style(("sans-serif", 15))
        .y_label_formatter(&|y| format!("{y:.0e}"))
        .draw()
        .map_err(drawing)?;
    let variants = [
        ("without shortcut", COLOURS[1]),
        ("with shortcut", COLOURS[0]),
    ];
    let value_style = TextStyle::from(("sans-serif", 14))
        .pos(Pos::new(HPos::Center, VPos::Bottom))
        .color(&BLACK);
    for (v, (name, colour)) in variants.into_iter().enumerate() {
        let bars = groups.iter().enumerate().map(move |(i, g)| {
            let x = 6 * i as i32 + 2 * v as i32;
            let value = g.1.get(v).copied().unwrap_or(y_lo).max(y_lo);
            Rectangle::new([(x, y_lo), (x + 2, value)], colour.filled())
        });
        chart
            .draw_series(bars)
            .map_err(drawing)?
            .label(name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 7), (x + 18, y + 7)], colour.filled()));
        let style = value_style.clone();
        let values = groups.iter().enumerate().map(move |(i, g)| {
            let x = 6 * i as i32 + 2 * v as i32 + 1;
            let value = g.1.get(v).copied().unwrap_or(y_lo).max(y_lo);
            EmptyElement::at((x, value)) + Text::new(format!("{value:.1e}"), (0, -4), style.clone())
        });
        chart.draw_series(values).map_err(drawing)?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font(("sans-serif", 17))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .margin(12)
        .draw()
        .map_err(drawing)?;
    root.present().map_err(drawing)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_range_covers_whole_decades() {
        let close = |(a, b): (f64, f64), (c, d): (f64, f64)| {
            assert!(
                (a / c - 1.0).abs() < 1e-8 && (b / d - 1.0).abs() < 1e-8,
                "{a}..{b}"
            );
            assert!(a <= c && b >= d, "{a}..{b} does not cover {c}..{d}");
        };
        close(log_range([0.49, 6e-5].into_iter()), (1e-5, 1.0));
        close(log_range([2.0].into_iter()), (1.0, 10.0));
        close(log_range([0.0, 1.0].into_iter()), (LOG_FLOOR, 1.0));
        assert_eq!(log_range([f64::NAN].into_iter()), (0.1, 10.0));
    }

    #[test]
    fn draws_a_loss_plot_with_title_axes_and_legend() {
        let series = [Series {
            label: "with shortcuts".into(),
            points: vec![(0.0, 1.6), (10.0, 0.1), (20.0, 6e-5)],
        }];
        let svg = loss_curves("a title", "training loss (MSE, log scale)", &series).expect("plot");
        for text in [
            "a title",
            "optimizer step",
            "training loss",
            "with shortcuts",
            "<polyline",
        ] {
            assert!(svg.contains(text), "missing {text}");
        }
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    }

    #[test]
    fn draws_the_gradient_bar_chart() {
        let tables = crate::notebook::run(&crate::notebook::Experiment::default());
        let svg = gradient_bars(&tables).expect("plot");
        // Both legends, every layer name, and the notebook's smallest and largest values.
        for text in [
            "without shortcut",
            "with shortcut",
            "layers.0.0.weight",
            "layers.4.0.weight",
            "log scale",
            "1.2e-4",
            "1.3e0",
        ] {
            assert!(svg.contains(text), "missing {text}");
        }
        // Five bars and one legend swatch per variant.
        for colour in ["#0072B2", "#E69F00"] {
            assert_eq!(
                svg.matches(&format!("fill=\"{colour}\"")).count(),
                6,
                "{colour}"
            );
        }
    }
}
