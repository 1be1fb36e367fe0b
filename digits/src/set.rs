//! A set of samples, borrowed from a checked [`Digits`](crate::Digits) file.

use skipgrad::Scalar;

use crate::file::{PIXELS, SAMPLE_BYTES};

/// The grey levels of one 8 x 8 image, row-major, each `0..=16`.
pub type Pixels = [u8; PIXELS];

/// One sample: an image and its label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sample<'a> {
    /// The grey levels, each `0..=16` (checked when the file was parsed).
    pub pixels: &'a Pixels,
    /// The digit, `0..=9` (likewise).
    pub label: u8,
}

impl Sample<'_> {
    /// The network's input: every grey level divided by 16, as scikit-learn users scale it
    /// (`X / 16`). Exact in `f32`, `f64` and `Q16` (every level is a multiple of 2^-4).
    pub fn input<T: Scalar>(&self) -> [T; PIXELS] {
        scale(self.pixels)
    }

    /// The label as a class index.
    pub fn class(&self) -> usize {
        usize::from(self.label)
    }
}

/// Grey levels divided by 16, exactly (see [`Sample::input`]).
///
/// Each level times 1/16 in `T`: a level (at most 255), 1/16 and their product (at most 8
/// significant bits, a multiple of 2^-4 below 16) are exact in `f32`, `f64` and `Q16`, so
/// this is `f64::from(p) / 16.0` rounded to `T`, bit for bit, without the `f64` division,
/// which a microcontroller without a double-precision unit runs in software (about 13,000
/// instructions per image on a Cortex-M4F, a sixth of a training step of the default network).
pub fn scale<T: Scalar>(pixels: &Pixels) -> [T; PIXELS] {
    let sixteenth = T::from_f64(1.0 / 16.0);
    pixels.map(|p| T::from_usize(usize::from(p)).mul_in_line(sixteenth))
}

/// Samples stored back to back as in the file, [`SAMPLE_BYTES`] each (only
/// [`Digits::parse`](crate::Digits::parse) makes one, after checking every byte).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Set<'a> {
    bytes: &'a [u8],
}

impl<'a> Set<'a> {
    /// The samples in `bytes` (a whole number of checked samples).
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }

    /// The number of samples.
    pub fn len(&self) -> usize {
        self.bytes.len() / SAMPLE_BYTES
    }

    /// True if the set has no sample (a parsed file's sets never are).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sample `i`, or `None` past the end.
    pub fn get(&self, i: usize) -> Option<Sample<'a>> {
        let start = i.checked_mul(SAMPLE_BYTES)?;
        let bytes = self.bytes.get(start..start.checked_add(SAMPLE_BYTES)?)?;
        let (pixels, label) = bytes.split_first_chunk::<PIXELS>()?;
        Some(Sample {
            pixels,
            label: *label.first()?,
        })
    }

    /// Every sample, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Sample<'a>> + 'a {
        self.bytes.chunks_exact(SAMPLE_BYTES).map(|bytes| {
            let (pixels, label) = bytes
                .split_first_chunk::<PIXELS>()
                .unwrap_or((&[0; PIXELS], &[]));
            Sample {
                pixels,
                label: label.first().copied().unwrap_or(0),
            }
        })
    }
}

#[cfg(test)]
mod scale_tests {
    use super::*;
    use skipgrad::Q16;

    /// Every byte a pixel can hold scales to `f64::from(p) / 16.0` rounded to the type, bit
    /// for bit, in every number type.
    #[test]
    fn scale_is_the_exact_division_for_every_level() {
        fn check<T: Scalar>() {
            for start in (0..=255u8).step_by(PIXELS) {
                let pixels: Pixels = core::array::from_fn(|i| start.wrapping_add(i as u8));
                let got = scale::<T>(&pixels);
                for (p, g) in pixels.iter().zip(got) {
                    let want = T::from_f64(f64::from(*p) / 16.0);
                    assert_eq!(g.to_bits(), want.to_bits(), "level {p}");
                    assert_eq!(g.to_f64(), f64::from(*p) / 16.0, "level {p} is exact");
                }
            }
        }
        check::<f32>();
        check::<f64>();
        check::<Q16>();
    }
}
