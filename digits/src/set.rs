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
pub fn scale<T: Scalar>(pixels: &Pixels) -> [T; PIXELS] {
    pixels.map(|p| T::from_f64(f64::from(p) / 16.0))
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
