//! The confusion matrix as a heat map: a row per true class, a column per predicted class,
//! each cell's count written in it.
//!
//! Right answers (the diagonal) are blue, wrong ones vermillion (Okabe and Ito's
//! colour-blind safe pair), both shaded by the cell's share of its true class: wrong cells
//! start at a visible tint and darken with the square root of their share, so that a single
//! error among 45 stands out. Empty cells are white with a grey 0.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
use plotters::style::FontTransform;

use super::digits::{CLASSES, PANEL_FONT, TEXT_FONT, TICK_FONT};
use super::{drawing, text_style, Area};

/// Right answers.
const RIGHT: RGBColor = RGBColor(0, 114, 178);
/// Wrong answers.
const WRONG: RGBColor = RGBColor(213, 94, 0);
/// The count of an empty cell.
const ZERO_TEXT: RGBColor = RGBColor(150, 150, 150);
/// Lines between cells.
const GRID: RGBColor = RGBColor(215, 215, 215);
/// The lightest shade of a wrong cell.
const WRONG_TINT: f64 = 0.35;
/// Shades darker than this carry white text.
const DARK: f64 = 0.6;

/// `colour` at strength `t` (0: white, 1: the colour).
fn shade(colour: RGBColor, t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0);
    let mix = |c: u8| (255.0 + (f64::from(c) - 255.0) * t).round() as u8;
    RGBColor(mix(colour.0), mix(colour.1), mix(colour.2))
}

/// The fill of a cell holding `count` of its row's `row_total` samples, and its text colour.
pub(super) fn cell_colours(count: u32, row_total: u64, diagonal: bool) -> (RGBColor, RGBColor) {
    if count == 0 || row_total == 0 {
        return (WHITE, ZERO_TEXT);
    }
    let share = f64::from(count) / row_total as f64;
    let (colour, t) = if diagonal {
        (RIGHT, share)
    } else {
        (WRONG, WRONG_TINT + (1.0 - WRONG_TINT) * share.sqrt())
    };
    (shade(colour, t), if t > DARK { WHITE } else { BLACK })
}

/// The panel's title: what was counted and the accuracy.
pub(super) fn title(counts: &[[u32; CLASSES]; CLASSES]) -> String {
    let total: u64 = counts.iter().flatten().map(|&c| u64::from(c)).sum();
    let right: u64 = (0..CLASSES).map(|i| u64::from(counts[i][i])).sum();
    match total {
        0 => "Test confusion matrix: no sample".to_owned(),
        n => format!(
            "Test confusion matrix: {right} of {n} right ({:.1}%)",
            100.0 * right as f64 / n as f64
        ),
    }
}

/// Draws `counts` (row: true class, column: predicted class) into `area`.
pub(super) fn heat_map(area: &Area<'_>, counts: &[[u32; CLASSES]; CLASSES]) -> anyhow::Result<()> {
    let (width, height) = area.dim_in_pixel();
    let (width, height) = (width as i32, height as i32);
    // Room for the title above; tick labels, axis titles and the key around the grid.
    let cell = ((width - 170) / CLASSES as i32)
        .min((height - 150) / CLASSES as i32)
        .max(8);
    let side = cell * CLASSES as i32;
    let x0 = (width - side) / 2 + 22;
    let y0 = 52;
    area.draw(&Text::new(
        title(counts),
        (width / 2, 14),
        text_style(PANEL_FONT, BLACK, HPos::Center, VPos::Top),
    ))
    .map_err(drawing)?;
    for (t, row) in counts.iter().enumerate() {
        let row_total: u64 = row.iter().map(|&c| u64::from(c)).sum();
        let y = y0 + cell * t as i32;
        for (p, &count) in row.iter().enumerate() {
            let x = x0 + cell * p as i32;
            let (fill, ink) = cell_colours(count, row_total, t == p);
            area.draw(&Rectangle::new(
                [(x, y), (x + cell, y + cell)],
                fill.filled(),
            ))
            .map_err(drawing)?;
            let digits = count.to_string().len() as f64;
            let size = TEXT_FONT * (3.0 / digits).min(1.0);
            area.draw(&Text::new(
                count.to_string(),
                (x + cell / 2, y + cell / 2),
                text_style(size, ink, HPos::Center, VPos::Center),
            ))
            .map_err(drawing)?;
        }
    }
    for i in 1..CLASSES as i32 {
        let at = cell * i;
        for line in [
            [(x0 + at, y0), (x0 + at, y0 + side)],
            [(x0, y0 + at), (x0 + side, y0 + at)],
        ] {
            area.draw(&PathElement::new(line, GRID.stroke_width(1)))
                .map_err(drawing)?;
        }
    }
    area.draw(&Rectangle::new(
        [(x0, y0), (x0 + side, y0 + side)],
        BLACK.stroke_width(1),
    ))
    .map_err(drawing)?;
    for class in 0..CLASSES {
        let middle = cell * class as i32 + cell / 2;
        area.draw(&Text::new(
            class.to_string(),
            (x0 - 10, y0 + middle),
            text_style(TICK_FONT, BLACK, HPos::Right, VPos::Center),
        ))
        .map_err(drawing)?;
        area.draw(&Text::new(
            class.to_string(),
            (x0 + middle, y0 + side + 8),
            text_style(TICK_FONT, BLACK, HPos::Center, VPos::Top),
        ))
        .map_err(drawing)?;
    }
    area.draw(&Text::new(
        "true class",
        (x0 - 42, y0 + side / 2),
        text_style(TEXT_FONT, BLACK, HPos::Center, VPos::Center)
            .transform(FontTransform::Rotate270),
    ))
    .map_err(drawing)?;
    area.draw(&Text::new(
        "predicted class",
        (x0 + side / 2, y0 + side + 34),
        text_style(TEXT_FONT, BLACK, HPos::Center, VPos::Top),
    ))
    .map_err(drawing)?;
    key(area, (x0, y0 + side + 68), side)
}

/// The key under the grid: what the two colours and their shades mean.
fn key(area: &Area<'_>, (x0, y): (i32, i32), side: i32) -> anyhow::Result<()> {
    let style = text_style(TICK_FONT, BLACK, HPos::Left, VPos::Center);
    // An estimate of the text's width (the viewer picks the font).
    let width = |text: &str| (7.6 * text.len() as f64) as i32;
    let swatches = [(RIGHT, "right"), (WRONG, "wrong")];
    let note = "shade: share of the true class";
    let total = swatches
        .iter()
        .map(|(_, l)| 22 + width(l) + 26)
        .sum::<i32>()
        + width(note);
    let mut x = x0 + (side - total) / 2;
    for (colour, label) in swatches {
        area.draw(&Rectangle::new(
            [(x, y - 8), (x + 16, y + 8)],
            colour.filled(),
        ))
        .map_err(drawing)?;
        area.draw(&Text::new(label, (x + 22, y), style.clone()))
            .map_err(drawing)?;
        x += 22 + width(label) + 26;
    }
    area.draw(&Text::new(note, (x, y), style))
        .map_err(drawing)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_shaded_by_their_share_of_the_true_class() {
        let light_right = shade(RIGHT, 0.5);
        let one_in_45 = shade(
            WRONG,
            WRONG_TINT + (1.0 - WRONG_TINT) * (1.0f64 / 45.0).sqrt(),
        );
        // (count, row total, diagonal) -> (fill, text)
        let cases = [
            ((0, 45, true), (WHITE, ZERO_TEXT)),
            ((0, 45, false), (WHITE, ZERO_TEXT)),
            ((0, 0, true), (WHITE, ZERO_TEXT)),
            ((45, 45, true), (RIGHT, WHITE)),
            ((20, 40, true), (light_right, BLACK)),
            ((1, 45, false), (one_in_45, BLACK)),
            ((45, 45, false), (WRONG, WHITE)),
            ((u32::MAX, u64::from(u32::MAX), true), (RIGHT, WHITE)),
        ];
        for ((count, total, diagonal), want) in cases {
            assert_eq!(
                cell_colours(count, total, diagonal),
                want,
                "{count} of {total}"
            );
        }
        assert_eq!(shade(WRONG, 0.0), WHITE);
        assert_eq!(light_right, RGBColor(128, 185, 217));
        // A single error among 45 is visibly tinted.
        assert!(one_in_45.1 < 200, "{one_in_45:?}");
    }

    #[test]
    fn titles_count_the_diagonal() {
        let mut counts = [[0; CLASSES]; CLASSES];
        assert_eq!(title(&counts), "Test confusion matrix: no sample");
        counts[3][3] = 2;
        counts[3][5] = 1;
        counts[9][9] = u32::MAX;
        assert_eq!(
            title(&counts),
            "Test confusion matrix: 4294967297 of 4294967298 right (100.0%)"
        );
    }
}
