//! Writing a digits file ([`file`](crate::file)'s format): a device's partition, say, or any
//! training and test set of 8 x 8 digits.
//!
//! [`write()`] checks every sample as [`Digits::parse`](crate::Digits::parse) would, counts
//! them, and fills the header and the CRC-32 from what it wrote, so its output always parses
//! back to the same samples, in the same order:
//!
//! ```
//! use skipgrad_digits::{writer, Digits};
//!
//! let digits = Digits::embedded()?;
//! // The first 100 training digits, with the whole test set.
//! let mut bytes = vec![0u8; writer::bytes(100, digits.test().len())];
//! let len = writer::write(digits.train().iter().take(100), digits.test().iter(), &mut bytes)?;
//! let part = Digits::parse(&bytes[..len])?;
//! assert_eq!(part.train().len(), 100);
//! assert_eq!(part.test(), digits.test());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use core::fmt;

use skipgrad::params::image::Crc32;

use crate::file::{
    CHECKSUM_BYTES, CLASSES, HEADER_BYTES, MAGIC, MAX_LEVEL, PIXELS, SAMPLE_BYTES, VERSION,
};
use crate::set::Sample;

/// Why a file could not be written. Nothing past the header is meaningful in `out` then.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum WriteError {
    /// A set with no sample, or more than a `u16` counts.
    Count {
        /// Training samples given.
        train: usize,
        /// Test samples given.
        test: usize,
    },
    /// The buffer is too short for the file.
    Buffer {
        /// The buffer's length.
        len: usize,
    },
    /// A grey level above [`MAX_LEVEL`].
    Pixel {
        /// The sample's position in the file (training samples first).
        sample: usize,
        /// The pixel (row-major).
        pixel: usize,
        /// Its value.
        value: u8,
    },
    /// A label that is not a class.
    Label {
        /// The sample's position in the file (training samples first).
        sample: usize,
        /// Its value.
        value: u8,
    },
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Count { train, test } => write!(
                f,
                "{train} training and {test} test samples; a digits file holds 1 to {} of each",
                u16::MAX
            ),
            Self::Buffer { len } => write!(f, "a buffer of {len} bytes is too short for the file"),
            Self::Pixel {
                sample,
                pixel,
                value,
            } => write!(
                f,
                "sample {sample}, pixel {pixel}: grey level {value} is above {MAX_LEVEL}"
            ),
            Self::Label { sample, value } => write!(
                f,
                "sample {sample}: label {value} is not a digit (0 to {})",
                CLASSES - 1
            ),
        }
    }
}

impl core::error::Error for WriteError {}

/// Bytes of a digits file of `train` training and `test` test samples (saturating).
pub const fn bytes(train: usize, test: usize) -> usize {
    HEADER_BYTES
        .saturating_add(train.saturating_add(test).saturating_mul(SAMPLE_BYTES))
        .saturating_add(CHECKSUM_BYTES)
}

/// Writes the digits file of the samples `train` and then `test` into the start of `out`;
/// returns its length, [`bytes`] of the two counts.
pub fn write<'s>(
    train: impl IntoIterator<Item = Sample<'s>>,
    test: impl IntoIterator<Item = Sample<'s>>,
    out: &mut [u8],
) -> Result<usize, WriteError> {
    let len = out.len();
    let Some((header, body)) = out.split_first_chunk_mut::<HEADER_BYTES>() else {
        return Err(WriteError::Buffer { len });
    };
    let mut at = 0;
    let n_train = samples(train, body, &mut at)?;
    let n_test = samples(test, body, &mut at)?;
    let (Ok(train16), Ok(test16), true, true) = (
        u16::try_from(n_train),
        u16::try_from(n_test),
        n_train > 0,
        n_test > 0,
    ) else {
        return Err(WriteError::Count {
            train: n_train,
            test: n_test,
        });
    };
    let fields: [u16; 6] = [VERSION, PIXELS as u16, CLASSES as u16, train16, test16, 0];
    header[..4].copy_from_slice(&MAGIC);
    for (dst, v) in header[4..].chunks_exact_mut(2).zip(fields) {
        dst.copy_from_slice(&v.to_le_bytes());
    }
    let end = HEADER_BYTES + at;
    let total = end + CHECKSUM_BYTES;
    let (Some(contents), true) = (out.get(..end), total <= len) else {
        return Err(WriteError::Buffer { len });
    };
    let crc = Crc32::of(contents).to_le_bytes();
    if let Some(dst) = out.get_mut(end..total) {
        dst.copy_from_slice(&crc);
    }
    Ok(total)
}

/// Writes `samples` into `body` from `*at` on, checking each; returns how many there were.
/// `*at` counts the samples written before (both sets), so errors name the file position.
fn samples<'s>(
    samples: impl IntoIterator<Item = Sample<'s>>,
    body: &mut [u8],
    at: &mut usize,
) -> Result<usize, WriteError> {
    let mut n = 0;
    for s in samples {
        let sample = *at / SAMPLE_BYTES;
        if let Some((pixel, &value)) = s.pixels.iter().enumerate().find(|(_, v)| **v > MAX_LEVEL) {
            return Err(WriteError::Pixel {
                sample,
                pixel,
                value,
            });
        }
        if usize::from(s.label) >= CLASSES {
            return Err(WriteError::Label {
                sample,
                value: s.label,
            });
        }
        let Some((pixels, label)) = body
            .get_mut(*at..*at + SAMPLE_BYTES)
            .and_then(|b| b.split_first_chunk_mut::<PIXELS>())
        else {
            return Err(WriteError::Buffer {
                len: HEADER_BYTES + body.len(),
            });
        };
        *pixels = *s.pixels;
        if let Some(l) = label.first_mut() {
            *l = s.label;
        }
        *at += SAMPLE_BYTES;
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Digits, EMBEDDED};

    #[test]
    fn the_committed_file_writes_itself() {
        let d = Digits::embedded().unwrap();
        let mut out = [0u8; 116_825];
        assert_eq!(bytes(d.train().len(), d.test().len()), EMBEDDED.len());
        let n = write(d.train().iter(), d.test().iter(), &mut out).unwrap();
        assert_eq!(&out[..n], EMBEDDED);
    }

    #[test]
    fn refusals() {
        let d = Digits::embedded().unwrap();
        let s = d.train().get(0).unwrap();
        let mut out = [0u8; 1024];
        let bad_pixel = {
            let mut p = *s.pixels;
            p[5] = 17;
            p
        };
        let pixel = Sample {
            pixels: &bad_pixel,
            label: 3,
        };
        let label = Sample {
            pixels: s.pixels,
            label: 10,
        };
        for (train, test, err) in [
            (&[][..], &[s][..], WriteError::Count { train: 0, test: 1 }),
            (&[s][..], &[][..], WriteError::Count { train: 1, test: 0 }),
            (
                &[s, pixel][..],
                &[s][..],
                WriteError::Pixel {
                    sample: 1,
                    pixel: 5,
                    value: 17,
                },
            ),
            (
                &[s][..],
                &[s, s, label][..],
                WriteError::Label {
                    sample: 3,
                    value: 10,
                },
            ),
        ] {
            assert_eq!(
                write(train.iter().copied(), test.iter().copied(), &mut out),
                Err(err)
            );
        }
        // Every buffer shorter than the file is refused; the exact length is enough.
        let need = bytes(2, 1);
        for len in 0..need {
            let r = write([s, s], [s], &mut out[..len]);
            assert_eq!(r, Err(WriteError::Buffer { len }), "{len}");
        }
        assert_eq!(write([s, s], [s], &mut out[..need]), Ok(need));
        let part = Digits::parse(&out[..need]).unwrap();
        assert_eq!(part.train().get(1), Some(s));
        assert_eq!(part.test().get(0), Some(s));
    }
}
