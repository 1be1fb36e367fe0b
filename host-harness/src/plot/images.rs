//! Misclassified digits as 8 x 8 grey images, each labelled with its true and predicted
//! class ("true 3, predicted 8"). Grey level 0 is white and 16 black, as scikit-learn's
//! examples show the digits (`cmap="gray_r"`).

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::digits::{Misclassified, MAX_LEVEL, PANEL_FONT, SHOWN, TEXT_FONT, TICK_FONT};
use super::{drawing, text_style, Area};

/// Images in a row.
const COLUMNS: usize = 4;
/// Screen pixels per image pixel.
const SCALE: i32 = 12;
/// Pixels on a side of an image.
const SIDE: usize = 8;
/// The frame around each image (a grey no grey level maps to).
pub(super) const FRAME: RGBColor = RGBColor(90, 90, 90);

/// The colour of grey level `level` (`0..=16`; higher levels are black).
pub(super) fn grey(level: u8) -> RGBColor {
    let level = f64::from(level.min(MAX_LEVEL)) / f64::from(MAX_LEVEL);
    let v = (255.0 * (1.0 - level)).round() as u8;
    RGBColor(v, v, v)
}

/// The label under a digit.
pub(super) fn label(digit: &Misclassified) -> String {
    format!("true {}, predicted {}", digit.truth, digit.predicted)
}

/// The panel's title: how many digits are wrong and how many are shown.
fn title(wrong: usize, tested: u64) -> String {
    let of = if tested > 0 {
        format!(" of {tested}")
    } else {
        String::new()
    };
    if wrong > SHOWN {
        format!("Misclassified test digits: {wrong}{of}, the first {SHOWN}")
    } else {
        format!("Misclassified test digits: {wrong}{of}")
    }
}

/// Draws the first [`SHOWN`] of `digits` in rows of [`COLUMNS`], or says that none is wrong;
/// `tested` is the number of test samples.
pub(super) fn misclassified(
    area: &Area<'_>,
    digits: &[Misclassified],
    tested: u64,
) -> anyhow::Result<()> {
    let (width, height) = area.dim_in_pixel();
    let (width, height) = (width as i32, height as i32);
    area.draw(&Text::new(
        title(digits.len(), tested),
        (width / 2, 14),
        text_style(PANEL_FONT, BLACK, HPos::Center, VPos::Top),
    ))
    .map_err(drawing)?;
    if digits.is_empty() {
        let note = if tested > 0 {
            format!("No test digit misclassified: all {tested} right")
        } else {
            "No test digit misclassified".to_owned()
        };
        area.draw(&Text::new(
            note,
            (width / 2, height / 2),
            text_style(TEXT_FONT, BLACK, HPos::Center, VPos::Center),
        ))
        .map_err(drawing)?;
        return Ok(());
    }
    let side = SCALE * SIDE as i32;
    let cell = (width - 40) / COLUMNS as i32;
    let row_height = side + 48;
    let x_start = (width - cell * COLUMNS as i32) / 2;
    for (i, digit) in digits.iter().take(SHOWN).enumerate() {
        let centre = x_start + cell * (i % COLUMNS) as i32 + cell / 2;
        let (x0, y0) = (centre - side / 2, 62 + row_height * (i / COLUMNS) as i32);
        // Level 0 is the white background.
        for (p, &level) in digit.pixels.iter().enumerate().filter(|(_, &v)| v > 0) {
            let x = x0 + SCALE * (p % SIDE) as i32;
            let y = y0 + SCALE * (p / SIDE) as i32;
            area.draw(&Rectangle::new(
                [(x, y), (x + SCALE, y + SCALE)],
                grey(level).filled(),
            ))
            .map_err(drawing)?;
        }
        area.draw(&Rectangle::new(
            [(x0, y0), (x0 + side, y0 + side)],
            FRAME.stroke_width(1),
        ))
        .map_err(drawing)?;
        area.draw(&Text::new(
            label(digit),
            (centre, y0 + side + 8),
            text_style(TICK_FONT, BLACK, HPos::Center, VPos::Top),
        ))
        .map_err(drawing)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grey_levels_run_from_white_to_black() {
        let cases = [
            (0, 255),
            (1, 239),
            (8, 128),
            (12, 64),
            (15, 16),
            (16, 0),
            (17, 0),
            (255, 0),
        ];
        for (level, v) in cases {
            assert_eq!(grey(level), RGBColor(v, v, v), "level {level}");
        }
        assert!((0..=MAX_LEVEL).all(|l| grey(l) != FRAME));
    }

    #[test]
    fn titles_say_how_many_are_shown() {
        let cases = [
            (0, 450, "Misclassified test digits: 0 of 450"),
            (3, 0, "Misclassified test digits: 3"),
            (SHOWN, 450, "Misclassified test digits: 12 of 450"),
            (
                SHOWN + 1,
                450,
                "Misclassified test digits: 13 of 450, the first 12",
            ),
        ];
        for (wrong, tested, want) in cases {
            assert_eq!(title(wrong, tested), want);
        }
    }
}
