//! The digits file: a header, the samples a byte a pixel, and a CRC-32.
//!
//! | offset | bytes | field |
//! |---:|---:|---|
//! | 0 | 4 | magic `SKGD` |
//! | 4 | 2 | format version, [`VERSION`] |
//! | 6 | 2 | pixels per sample, [`PIXELS`] |
//! | 8 | 2 | classes, [`CLASSES`] |
//! | 10 | 2 | training samples |
//! | 12 | 2 | test samples |
//! | 14 | 2 | zero (reserved) |
//! | 16 | 65 per sample | the training samples, then the test samples: 64 grey levels `0..=16` (row-major 8 x 8), then the label `0..=9` |
//! | end - 4 | 4 | CRC-32 (zlib's, [`Crc32`]) of every byte before it |
//!
//! Numbers are little-endian. `tools/digits_export.py` writes the committed file
//! ([`EMBEDDED`]); a partition of it (a device's own samples, say) is the same format with
//! other counts. [`Digits::parse`] checks every field, the length, the checksum, every pixel
//! and every label before it returns, and says what did not match.

use core::fmt;

use skipgrad::params::image::Crc32;

use crate::set::Set;

/// The file's first four bytes.
pub const MAGIC: [u8; 4] = *b"SKGD";
/// The format version this crate reads.
pub const VERSION: u16 = 1;
/// Pixels per sample: 8 x 8.
pub const PIXELS: usize = 64;
/// Classes: the digits 0 to 9.
pub const CLASSES: usize = 10;
/// The largest grey level.
pub const MAX_LEVEL: u8 = 16;
/// Bytes of the header.
pub const HEADER_BYTES: usize = 16;
/// Bytes of one sample: its pixels and its label.
pub const SAMPLE_BYTES: usize = PIXELS + 1;
/// Bytes of the checksum.
pub const CHECKSUM_BYTES: usize = 4;

/// The committed data set (`digits/data/digits.skgd`): scikit-learn's 1,797 digits, split
/// into [`TRAIN_SAMPLES`] training and [`TEST_SAMPLES`] test samples. Parse it with
/// [`Digits::embedded`].
pub static EMBEDDED: &[u8] = include_bytes!("../data/digits.skgd");
/// Training samples in [`EMBEDDED`].
pub const TRAIN_SAMPLES: usize = 1347;
/// Test samples in [`EMBEDDED`].
pub const TEST_SAMPLES: usize = 450;

/// Why a digits file was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum FileError {
    /// Shorter than a header and a checksum.
    TooShort {
        /// The file's length.
        len: usize,
    },
    /// The first four bytes are not [`MAGIC`].
    Magic {
        /// The bytes found.
        found: [u8; 4],
    },
    /// A format version this crate does not read.
    Version {
        /// The version found.
        found: u16,
    },
    /// Pixels per sample or classes other than 64 and 10, or a reserved field not zero.
    Shape {
        /// Pixels per sample.
        pixels: u16,
        /// Classes.
        classes: u16,
        /// The reserved field.
        reserved: u16,
    },
    /// No training or no test sample.
    Empty {
        /// Training samples.
        train: u16,
        /// Test samples.
        test: u16,
    },
    /// The length is not the header's, the samples' and the checksum's.
    Length {
        /// The length the header implies.
        expected: usize,
        /// The file's length.
        found: usize,
    },
    /// The checksum does not match the contents.
    Checksum {
        /// The checksum stored in the file.
        stored: u32,
        /// The checksum of the contents.
        computed: u32,
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

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::TooShort { len } => write!(
                f,
                "{len} bytes is too short for a digits file (header and checksum: {} bytes)",
                HEADER_BYTES + CHECKSUM_BYTES
            ),
            Self::Magic { found } => write!(
                f,
                "not a digits file: magic {:02x?}, expected {:02x?} (\"SKGD\")",
                found, MAGIC
            ),
            Self::Version { found } => write!(
                f,
                "digits file version {found}; this build reads version {VERSION}"
            ),
            Self::Shape {
                pixels,
                classes,
                reserved,
            } => write!(
                f,
                "digits file of {pixels} pixels and {classes} classes (reserved field \
                 {reserved}); expected {PIXELS} pixels, {CLASSES} classes and 0"
            ),
            Self::Empty { train, test } => write!(
                f,
                "digits file with {train} training and {test} test samples; both sets need \
                 at least one"
            ),
            Self::Length { expected, found } => write!(
                f,
                "digits file of {found} bytes; its header says {expected}"
            ),
            Self::Checksum { stored, computed } => write!(
                f,
                "digits file checksum 0x{stored:08x} does not match its contents (0x{computed:08x})"
            ),
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

impl core::error::Error for FileError {}

/// A checked digits file: its training and test sets, borrowed from the bytes (nothing is
/// copied; on a device the samples stay in flash).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Digits<'a> {
    train: Set<'a>,
    test: Set<'a>,
}

/// A little-endian `u16` at `at` (0 past the end, which the length check rules out first).
fn u16_at(bytes: &[u8], at: usize) -> u16 {
    match bytes.get(at..at + 2) {
        Some(&[a, b]) => u16::from_le_bytes([a, b]),
        _ => 0,
    }
}

impl<'a> Digits<'a> {
    /// Checks `bytes` (see the [module](self) for the format) and returns its two sets.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, FileError> {
        let len = bytes.len();
        let (Some((header, _)), Some((contents, stored)), true) = (
            bytes.split_first_chunk::<HEADER_BYTES>(),
            bytes.split_last_chunk::<CHECKSUM_BYTES>(),
            len >= HEADER_BYTES + CHECKSUM_BYTES,
        ) else {
            return Err(FileError::TooShort { len });
        };
        let magic = [header[0], header[1], header[2], header[3]];
        if magic != MAGIC {
            return Err(FileError::Magic { found: magic });
        }
        let version = u16_at(header, 4);
        if version != VERSION {
            return Err(FileError::Version { found: version });
        }
        let (pixels, classes, reserved) =
            (u16_at(header, 6), u16_at(header, 8), u16_at(header, 14));
        if usize::from(pixels) != PIXELS || usize::from(classes) != CLASSES || reserved != 0 {
            return Err(FileError::Shape {
                pixels,
                classes,
                reserved,
            });
        }
        let (train, test) = (u16_at(header, 10), u16_at(header, 12));
        if train == 0 || test == 0 {
            return Err(FileError::Empty { train, test });
        }
        let (n_train, n_test) = (usize::from(train), usize::from(test));
        let expected = HEADER_BYTES + (n_train + n_test) * SAMPLE_BYTES + CHECKSUM_BYTES;
        if len != expected {
            return Err(FileError::Length {
                expected,
                found: len,
            });
        }
        let stored = u32::from_le_bytes(*stored);
        let computed = Crc32::of(contents);
        if stored != computed {
            return Err(FileError::Checksum { stored, computed });
        }
        let samples = contents.get(HEADER_BYTES..).unwrap_or_default();
        for (sample, bytes) in samples.chunks_exact(SAMPLE_BYTES).enumerate() {
            let (pixels, label) = bytes.split_at(PIXELS.min(bytes.len()));
            if let Some((pixel, &value)) = pixels.iter().enumerate().find(|(_, v)| **v > MAX_LEVEL)
            {
                return Err(FileError::Pixel {
                    sample,
                    pixel,
                    value,
                });
            }
            if let Some(&value) = label.first().filter(|v| usize::from(**v) >= CLASSES) {
                return Err(FileError::Label { sample, value });
            }
        }
        let (train_bytes, test_bytes) =
            samples.split_at((n_train * SAMPLE_BYTES).min(samples.len()));
        Ok(Self {
            train: Set::new(train_bytes),
            test: Set::new(test_bytes),
        })
    }

    /// The committed data set, [`EMBEDDED`], checked.
    pub fn embedded() -> Result<Digits<'static>, FileError> {
        Digits::parse(EMBEDDED)
    }

    /// The training set.
    pub fn train(&self) -> Set<'a> {
        self.train
    }

    /// The test set.
    pub fn test(&self) -> Set<'a> {
        self.test
    }
}
