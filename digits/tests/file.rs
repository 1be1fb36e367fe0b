//! The committed data file, and hostile files: every field checked, a clear error, no panic.

use skipgrad::checksum::Crc32;
use skipgrad_digits::file::{HEADER_BYTES, SAMPLE_BYTES};
use skipgrad_digits::{Digits, FileError, CLASSES, EMBEDDED, TEST_SAMPLES, TRAIN_SAMPLES};

/// Samples of each class in each set: the stratified split keeps the classes in proportion
/// (`np.bincount` of `tools/skipgrad_digits.py`'s `load()`).
const TRAIN_CLASSES: [usize; CLASSES] = [133, 136, 133, 137, 136, 136, 136, 134, 131, 135];
const TEST_CLASSES: [usize; CLASSES] = [45, 46, 44, 46, 45, 46, 45, 45, 43, 45];

/// The first training sample and the last test sample, as scikit-learn's split orders them.
const FIRST_TRAIN: ([u8; 64], u8) = (
    [
        0, 0, 0, 10, 12, 15, 16, 13, 0, 0, 6, 15, 6, 4, 14, 9, 0, 0, 10, 6, 0, 3, 14, 2, 0, 1, 14,
        1, 0, 12, 6, 0, 0, 0, 3, 0, 5, 13, 0, 0, 0, 0, 0, 1, 13, 3, 0, 0, 0, 0, 0, 6, 13, 0, 0, 0,
        0, 0, 0, 14, 6, 0, 0, 0,
    ],
    7,
);
const LAST_TEST: ([u8; 64], u8) = (
    [
        0, 0, 0, 1, 9, 16, 9, 0, 0, 0, 1, 11, 13, 14, 12, 1, 0, 1, 15, 13, 4, 16, 16, 3, 0, 2, 16,
        16, 16, 15, 12, 0, 0, 0, 7, 8, 4, 14, 5, 0, 0, 0, 0, 0, 5, 14, 0, 0, 0, 0, 0, 0, 8, 9, 0,
        0, 0, 0, 0, 0, 12, 6, 0, 0,
    ],
    9,
);

fn counts(set: skipgrad_digits::Set<'_>) -> [usize; CLASSES] {
    let mut c = [0; CLASSES];
    set.iter().for_each(|s| c[s.class()] += 1);
    c
}

#[test]
fn the_committed_file_is_the_stratified_split() {
    let digits = Digits::embedded().expect("the committed file parses");
    let (train, test) = (digits.train(), digits.test());
    assert_eq!((train.len(), test.len()), (TRAIN_SAMPLES, TEST_SAMPLES));
    assert_eq!(EMBEDDED.len(), 116_825);
    assert_eq!(counts(train), TRAIN_CLASSES);
    assert_eq!(counts(test), TEST_CLASSES);
    let first = train.get(0).expect("a first sample");
    assert_eq!((*first.pixels, first.label), FIRST_TRAIN);
    let last = test.get(TEST_SAMPLES - 1).expect("a last sample");
    assert_eq!((*last.pixels, last.label), LAST_TEST);
    assert!(test.get(TEST_SAMPLES).is_none() && train.get(usize::MAX).is_none());
    assert_eq!(train.iter().len(), TRAIN_SAMPLES);
    assert!(train.iter().zip(0..).all(|(s, i)| train.get(i) == Some(s)));
    // Scaling is exact: level / 16 in f32 and f64.
    let x: [f32; 64] = first.input();
    let y: [f64; 64] = first.input();
    for ((p, a), b) in first.pixels.iter().zip(x).zip(y) {
        assert_eq!(a, f32::from(*p) / 16.0);
        assert_eq!(b, f64::from(*p) / 16.0);
    }
}

/// A small valid file: `train` and `test` samples with pixels and labels from a pattern.
fn file(train: u16, test: u16) -> Vec<u8> {
    let mut bytes = b"SKGD".to_vec();
    for v in [1u16, 64, 10, train, test, 0] {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    for i in 0..usize::from(train) + usize::from(test) {
        bytes.extend((0..64).map(|p| ((i * 7 + p) % 17) as u8));
        bytes.push((i % 10) as u8);
    }
    seal(bytes)
}

/// Appends the CRC of `bytes`.
fn seal(mut bytes: Vec<u8>) -> Vec<u8> {
    let crc = Crc32::of(&bytes);
    bytes.extend_from_slice(&crc.to_le_bytes());
    bytes
}

/// `bytes` without its CRC, changed by `f`, sealed again.
fn resealed(bytes: &[u8], f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut body = bytes[..bytes.len() - 4].to_vec();
    f(&mut body);
    seal(body)
}

#[test]
fn every_field_is_checked_with_a_clear_error() {
    let good = file(3, 2);
    let parsed = Digits::parse(&good).expect("a valid small file");
    assert_eq!((parsed.train().len(), parsed.test().len()), (3, 2));
    assert_eq!(parsed.test().get(1).map(|s| s.label), Some(4));
    let at = |sample: usize, offset: usize| HEADER_BYTES + sample * SAMPLE_BYTES + offset;
    let crc = u32::from_le_bytes(good[good.len() - 4..].try_into().unwrap());
    let mut flipped = good.clone();
    flipped[at(1, 5)] ^= 1;
    let cases: Vec<(Vec<u8>, FileError, &str)> = vec![
        (
            vec![],
            FileError::TooShort { len: 0 },
            "0 bytes is too short",
        ),
        (
            good[..19].to_vec(),
            FileError::TooShort { len: 19 },
            "too short",
        ),
        (
            resealed(&good, |b| b[0] = b'X'),
            FileError::Magic { found: *b"XKGD" },
            "not a digits file",
        ),
        (
            resealed(&good, |b| b[4] = 2),
            FileError::Version { found: 2 },
            "version 2",
        ),
        (
            resealed(&good, |b| b[6] = 63),
            FileError::Shape {
                pixels: 63,
                classes: 10,
                reserved: 0,
            },
            "63 pixels",
        ),
        (
            resealed(&good, |b| b[8] = 11),
            FileError::Shape {
                pixels: 64,
                classes: 11,
                reserved: 0,
            },
            "11 classes",
        ),
        (
            resealed(&good, |b| b[15] = 1),
            FileError::Shape {
                pixels: 64,
                classes: 10,
                reserved: 256,
            },
            "reserved field 256",
        ),
        (
            file(0, 2),
            FileError::Empty { train: 0, test: 2 },
            "0 training",
        ),
        (file(3, 0), FileError::Empty { train: 3, test: 0 }, "0 test"),
        (
            resealed(&good, |b| b[10] = 4),
            FileError::Length {
                expected: 16 + 6 * 65 + 4,
                found: good.len(),
            },
            "its header says",
        ),
        (
            resealed(&good, |b| b.push(0)),
            FileError::Length {
                expected: good.len(),
                found: good.len() + 1,
            },
            "bytes; its header says",
        ),
        (
            flipped.clone(),
            FileError::Checksum {
                stored: crc,
                computed: Crc32::of(&flipped[..flipped.len() - 4]),
            },
            "does not match its contents",
        ),
        (
            resealed(&good, |b| b[at(2, 63)] = 17),
            FileError::Pixel {
                sample: 2,
                pixel: 63,
                value: 17,
            },
            "sample 2, pixel 63: grey level 17 is above 16",
        ),
        (
            resealed(&good, |b| b[at(4, 64)] = 10),
            FileError::Label {
                sample: 4,
                value: 10,
            },
            "sample 4: label 10 is not a digit",
        ),
    ];
    for (bytes, want, message) in cases {
        let got = Digits::parse(&bytes);
        assert_eq!(got, Err(want), "{want}");
        let text = want.to_string();
        assert!(text.contains(message), "{text:?} should say {message:?}");
    }
}

/// Every truncation, extension and single-byte change of a valid file is refused (the CRC
/// catches what the fields do not), and nothing panics.
#[test]
fn truncated_extended_and_flipped_files_are_refused() {
    let good = file(4, 3);
    for len in 0..good.len() {
        assert!(Digits::parse(&good[..len]).is_err(), "truncated to {len}");
    }
    for extra in 1..=SAMPLE_BYTES + 1 {
        let mut long = good.clone();
        long.extend(std::iter::repeat_n(0u8, extra));
        assert!(Digits::parse(&long).is_err(), "extended by {extra}");
    }
    for i in 0..good.len() {
        for bit in 0..8 {
            let mut b = good.clone();
            b[i] ^= 1 << bit;
            assert!(Digits::parse(&b).is_err(), "byte {i} bit {bit}");
        }
    }
    // The committed file with one bit flipped far inside it.
    let mut big = EMBEDDED.to_vec();
    big[60_000] ^= 0x10;
    assert!(matches!(
        Digits::parse(&big),
        Err(FileError::Checksum { .. })
    ));
}
