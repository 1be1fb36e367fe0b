//! Images for the 5 x 5 LED matrix: the digits 0 to 9 in a 3 x 5 font, centred, and the
//! symbols the example shows. A row is 5 LEDs, left to right, `1` lit; the first row is the
//! top (the edge away from the edge connector).

/// A 5 x 5 image, as the display driver takes it.
pub type Image = [[u8; 5]; 5];

/// A 3 x 5 glyph: five rows of three bits, the high bit the left column.
type Glyph = [u8; 5];

const GLYPHS: [Glyph; 10] = [
    [0b111, 0b101, 0b101, 0b101, 0b111], // 0
    [0b010, 0b110, 0b010, 0b010, 0b111], // 1
    [0b111, 0b001, 0b111, 0b100, 0b111], // 2
    [0b111, 0b001, 0b111, 0b001, 0b111], // 3
    [0b101, 0b101, 0b111, 0b001, 0b001], // 4
    [0b111, 0b100, 0b111, 0b001, 0b111], // 5
    [0b111, 0b100, 0b111, 0b101, 0b111], // 6
    [0b111, 0b001, 0b010, 0b010, 0b010], // 7
    [0b111, 0b101, 0b111, 0b101, 0b111], // 8
    [0b111, 0b101, 0b111, 0b001, 0b111], // 9
];

/// `digit` (0 to 9) in columns 1 to 3; with `marked`, the four corners lit too. `None` for
/// anything else.
pub fn digit(digit: usize, marked: bool) -> Option<Image> {
    let glyph = GLYPHS.get(digit)?;
    let mut image = [[0u8; 5]; 5];
    for (row, bits) in image.iter_mut().zip(glyph) {
        for (col, led) in row.iter_mut().enumerate().skip(1).take(3) {
            *led = (bits >> (3 - col)) & 1;
        }
    }
    if marked {
        for (row, col) in [(0, 0), (0, 4), (4, 0), (4, 4)] {
            if let Some(led) = image.get_mut(row).and_then(|r| r.get_mut(col)) {
                *led = 1;
            }
        }
    }
    Some(image)
}

/// An arrow to button A, on the left of the matrix: press it to start.
pub const PRESS_A: Image = [
    [0, 0, 1, 0, 0],
    [0, 1, 0, 0, 0],
    [1, 1, 1, 1, 1],
    [0, 1, 0, 0, 0],
    [0, 0, 1, 0, 0],
];

/// A tick: the run met its goal and is the host's bit for bit.
pub const TICK: Image = [
    [0, 0, 0, 0, 0],
    [0, 0, 0, 0, 1],
    [0, 0, 0, 1, 0],
    [1, 0, 1, 0, 0],
    [0, 1, 0, 0, 0],
];

/// A cross: it did not.
pub const CROSS: Image = [
    [1, 0, 0, 0, 1],
    [0, 1, 0, 1, 0],
    [0, 0, 1, 0, 0],
    [0, 1, 0, 1, 0],
    [1, 0, 0, 0, 1],
];
