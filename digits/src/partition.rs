//! A fleet's partitions of a training set: which device owns each sample, deliberately not
//! identically distributed.
//!
//! Device `k` favours three digits, `3k`, `3k + 1` and `3k + 2` (mod 10, [`favoured`]). Of
//! every digit's samples, [`Skew::share_percent`] (70% by default) go to the devices that
//! favour it, in turn, and the rest to the other devices, in turn; a digit that every device
//! favours, or none, is dealt to all of them in turn. Each digit's samples are dealt in an
//! order shuffled with [`SplitMix64`] and a Fisher-Yates shuffle ([`Skew::seed`]), so the
//! split is the same on every machine. Every sample goes to exactly one device.
//!
//! With 8 devices and the committed 1,347 training digits each device holds 138 to 194
//! samples, 65% to 73% of them of its three digits (each of them 17% to 27% of the device's
//! samples, against 3% to 6% for each other digit). This is what devices in the field see: a meter's display or a
//! keypad's door code shows some digits far more than others, and a postcode reader in one
//! region sees that region's codes; none sees the whole distribution, and each sees every
//! digit a little.
//!
//! ```
//! use skipgrad_digits::partition::{self, Skew};
//! use skipgrad_digits::Digits;
//!
//! let digits = Digits::embedded()?;
//! let mut owners = vec![0u16; digits.train().len()];
//! let mut scratch = vec![0u16; digits.train().len()];
//! partition::owners(digits.train(), 8, Skew::DEFAULT, &mut owners, &mut scratch)?;
//! // Device 0 owns mostly zeros, ones and twos.
//! let mine: Vec<u8> = digits.train().iter().zip(&owners)
//!     .filter(|&(_, &o)| o == 0)
//!     .map(|(s, _)| s.label)
//!     .collect();
//! let favoured = mine.iter().filter(|&&label| label <= 2).count();
//! assert!(favoured * 100 > mine.len() * 64);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use core::fmt;

use crate::file::CLASSES;
use crate::order::SplitMix64;
use crate::set::Set;

/// Digits each device favours.
pub const FAVOURED: usize = 3;
/// The most devices a partition has.
pub const MAX_DEVICES: usize = 1024;

/// How skewed the partition is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Skew {
    /// The share, in percent, of a digit's samples dealt to the devices that favour it.
    pub share_percent: u32,
    /// Seeds the order in which each digit's samples are dealt.
    pub seed: u64,
}

impl Skew {
    /// 70% to the favouring devices, seed 23.
    pub const DEFAULT: Self = Self {
        share_percent: 70,
        seed: 23,
    };
}

/// Why a partition could not be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum PartitionError {
    /// No device, or more than [`MAX_DEVICES`].
    Devices {
        /// The devices asked for.
        devices: usize,
    },
    /// A share above 100%.
    Share {
        /// The share asked for.
        percent: u32,
    },
    /// `owners` or `scratch` is shorter than the set (or the set longer than a `u16` counts).
    Buffer {
        /// Samples in the set.
        samples: usize,
    },
}

impl fmt::Display for PartitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Devices { devices } => {
                write!(f, "{devices} devices; a partition has 1 to {MAX_DEVICES}")
            }
            Self::Share { percent } => write!(f, "a share of {percent}% is above 100%"),
            Self::Buffer { samples } => write!(
                f,
                "the buffers are shorter than the set's {samples} samples (at most 65,535)"
            ),
        }
    }
}

impl core::error::Error for PartitionError {}

/// Whether device `device` favours digit `class`: `class` is `3 * device + j` mod 10 for a
/// `j` below [`FAVOURED`].
pub const fn favoured(device: usize, class: usize) -> bool {
    let first = (device % CLASSES) * FAVOURED % CLASSES;
    (class + CLASSES - first) % CLASSES < FAVOURED
}

/// Sets `owners[i]` to the device that owns training sample `i` of `set` (see the
/// [module](self)); `scratch` is space for one digit's sample indices. Both need at least
/// `set.len()` entries.
pub fn owners(
    set: Set<'_>,
    devices: usize,
    skew: Skew,
    owners: &mut [u16],
    scratch: &mut [u16],
) -> Result<(), PartitionError> {
    if devices == 0 || devices > MAX_DEVICES {
        return Err(PartitionError::Devices { devices });
    }
    if skew.share_percent > 100 {
        return Err(PartitionError::Share {
            percent: skew.share_percent,
        });
    }
    let samples = set.len();
    let (Some(owners), Some(scratch), true) = (
        owners.get_mut(..samples),
        scratch.get_mut(..samples),
        samples <= usize::from(u16::MAX),
    ) else {
        return Err(PartitionError::Buffer { samples });
    };
    let mut rng = SplitMix64::new(skew.seed);
    for class in 0..CLASSES {
        // This digit's samples, in the file's order, then shuffled.
        let mut m = 0;
        for (i, s) in set.iter().enumerate() {
            if s.class() == class {
                if let Some(slot) = scratch.get_mut(m) {
                    *slot = i as u16;
                }
                m += 1;
            }
        }
        let mine = scratch.get_mut(..m).unwrap_or_default();
        for i in (1..m).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            mine.swap(i, j.min(i));
        }
        let fans = (0..devices).filter(|&k| favoured(k, class)).count();
        let (major, everyone) = if fans == 0 || fans == devices {
            (m, true)
        } else {
            ((m * skew.share_percent as usize + 50) / 100, false)
        };
        for (n, &i) in mine.iter().enumerate() {
            let device = if everyone {
                n % devices
            } else if n < major {
                nth(devices, n % fans, |k| favoured(k, class))
            } else {
                nth(devices, (n - major) % (devices - fans), |k| {
                    !favoured(k, class)
                })
            };
            if let Some(o) = owners.get_mut(usize::from(i)) {
                *o = device as u16;
            }
        }
    }
    Ok(())
}

/// The `n`-th device (from 0) below `devices` for which `pick` holds (0 if none).
fn nth(devices: usize, n: usize, pick: impl Fn(usize) -> bool) -> usize {
    (0..devices).filter(|&k| pick(k)).nth(n).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Digits;

    fn histogram(devices: usize) -> ([[usize; CLASSES]; 8], [u16; 1347]) {
        let d = Digits::embedded().unwrap();
        let mut owners = [u16::MAX; 1347];
        let mut scratch = [0u16; 1347];
        super::owners(d.train(), devices, Skew::DEFAULT, &mut owners, &mut scratch).unwrap();
        let mut h = [[0; CLASSES]; 8];
        for (s, &o) in d.train().iter().zip(&owners) {
            h[usize::from(o)][s.class()] += 1;
        }
        (h, owners)
    }

    #[test]
    fn favoured_digits() {
        let table: [(usize, [usize; 3]); 5] = [
            (0, [0, 1, 2]),
            (1, [3, 4, 5]),
            (3, [9, 0, 1]),
            (7, [1, 2, 3]),
            (10, [0, 1, 2]),
        ];
        for (device, digits) in table {
            let mine: heapless::Vec<usize, 10> =
                (0..CLASSES).filter(|&c| favoured(device, c)).collect();
            let mut want = digits;
            want.sort();
            assert_eq!(mine.as_slice(), &want, "device {device}");
        }
    }

    /// Eight devices: every sample owned once, about 70% of a digit with the devices that
    /// favour it, 138 to 194 samples each, 65% to 73% of them favoured.
    #[test]
    fn eight_devices_are_skewed() {
        let (h, owners) = histogram(8);
        assert!(owners.iter().all(|&o| o < 8));
        let d = Digits::embedded().unwrap();
        let mut per_class = [0; CLASSES];
        d.train().iter().for_each(|s| per_class[s.class()] += 1);
        for c in 0..CLASSES {
            let total: usize = h.iter().map(|r| r[c]).sum();
            assert_eq!(total, per_class[c]);
            let fav: usize = (0..8).filter(|&k| favoured(k, c)).map(|k| h[k][c]).sum();
            if (0..8).any(|k| favoured(k, c)) {
                assert_eq!(fav, (per_class[c] * 70 + 50) / 100, "digit {c}");
            }
        }
        for (k, row) in h.iter().enumerate() {
            let n: usize = row.iter().sum();
            let fav: usize = (0..CLASSES)
                .filter(|&c| favoured(k, c))
                .map(|c| row[c])
                .sum();
            assert!((138..=194).contains(&n), "device {k}: {n}");
            assert!(
                fav * 100 >= n * 64 && fav * 100 <= n * 74,
                "device {k}: {fav} of {n}"
            );
            assert!(
                row.iter().all(|&v| v > 0),
                "device {k} sees every digit: {row:?}"
            );
        }
    }

    #[test]
    fn deterministic_and_seeded() {
        assert_eq!(histogram(8).1, histogram(8).1);
        let d = Digits::embedded().unwrap();
        let (mut a, mut s) = ([0u16; 1347], [0u16; 1347]);
        let other = Skew {
            seed: 24,
            ..Skew::DEFAULT
        };
        owners(d.train(), 8, other, &mut a, &mut s).unwrap();
        assert_ne!(a, histogram(8).1);
    }

    #[test]
    fn refusals() {
        let d = Digits::embedded().unwrap();
        let (mut a, mut s) = ([0u16; 1347], [0u16; 1347]);
        for (devices, skew, err) in [
            (0, Skew::DEFAULT, PartitionError::Devices { devices: 0 }),
            (
                1025,
                Skew::DEFAULT,
                PartitionError::Devices { devices: 1025 },
            ),
            (
                2,
                Skew {
                    share_percent: 101,
                    seed: 0,
                },
                PartitionError::Share { percent: 101 },
            ),
        ] {
            assert_eq!(owners(d.train(), devices, skew, &mut a, &mut s), Err(err));
        }
        assert_eq!(
            owners(d.train(), 2, Skew::DEFAULT, &mut a[..1346], &mut s),
            Err(PartitionError::Buffer { samples: 1347 })
        );
        // One device owns everything.
        owners(d.train(), 1, Skew::DEFAULT, &mut a, &mut s).unwrap();
        assert!(a.iter().all(|&o| o == 0));
    }
}
