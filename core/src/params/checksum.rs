//! CRC-32, the checksum of a parameter [image](crate::params::image).
//!
//! The IEEE 802.3 CRC-32 (reflected polynomial `0xEDB88320`, initial value and final XOR
//! `0xFFFFFFFF`): the checksum of zlib, PNG, gzip and Ethernet, so any tool can verify an
//! image (`zlib.crc32` in Python). Unlike a hash such as FNV-1a, a CRC gives guarantees for
//! the errors storage and serial links make: it detects every error burst up to 32 bits long
//! and every error of up to three flipped bits in an image of up to 11 KiB (Hamming distance
//! 4 up to 91,607 bits), and it can be computed as the bytes stream past, so a writer appends
//! it at the end. It is not a defence against deliberate tampering.
//!
//! The implementation takes four bits per table step, with a 16-entry table (64 bytes of
//! flash) built at compile time: two table steps per byte.

/// The remainders of the 16 four-bit values.
const TABLE: [u32; 16] = table();

/// Evaluated at compile time (`TABLE` is a constant): an index out of range would be a
/// compile error, never a run-time path.
#[allow(clippy::indexing_slicing)]
const fn table() -> [u32; 16] {
    let mut t = [0u32; 16];
    let mut i = 0;
    while i < 16 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 4 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0xEDB8_8320
            } else {
                c >> 1
            };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
}

/// A running CRC-32.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Crc32(u32);

impl Default for Crc32 {
    fn default() -> Self {
        Self::new()
    }
}

impl Crc32 {
    /// The CRC of nothing so far.
    pub const fn new() -> Self {
        Self(0xFFFF_FFFF)
    }

    /// Adds bytes.
    #[inline]
    pub fn write(&mut self, bytes: &[u8]) {
        let mut c = self.0;
        for b in bytes {
            c ^= u32::from(*b);
            // `& 15` keeps the index below 16: the lookups cannot miss.
            c = (c >> 4) ^ TABLE.get((c & 15) as usize).copied().unwrap_or(0);
            c = (c >> 4) ^ TABLE.get((c & 15) as usize).copied().unwrap_or(0);
        }
        self.0 = c;
    }

    /// The checksum of the bytes so far.
    pub const fn finish(self) -> u32 {
        !self.0
    }

    /// The checksum of `bytes`.
    pub fn of(bytes: &[u8]) -> u32 {
        let mut c = Self::new();
        c.write(bytes);
        c.finish()
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// The bitwise definition, one bit at a time.
    fn bitwise(bytes: &[u8]) -> u32 {
        let mut c = 0xFFFF_FFFFu32;
        for b in bytes {
            c ^= u32::from(*b);
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    (c >> 1) ^ 0xEDB8_8320
                } else {
                    c >> 1
                };
            }
        }
        !c
    }

    #[test]
    fn check_values() {
        // The CRC catalogue's check value, and zlib.crc32 of a few strings.
        let cases: [(&[u8], u32); 4] = [
            (b"", 0),
            (b"123456789", 0xCBF4_3926),
            (b"a", 0xE8B7_BE43),
            (b"The quick brown fox jumps over the lazy dog", 0x414F_A339),
        ];
        for (input, want) in cases {
            assert_eq!(Crc32::of(input), want, "{input:?}");
            assert_eq!(bitwise(input), want, "{input:?}");
        }
    }

    #[test]
    fn streaming_equals_one_shot_and_the_definition() {
        let bytes: [u8; 200] = core::array::from_fn(|i| (i * 37 + 11) as u8);
        for split in [0, 1, 7, 100, 200] {
            let mut c = Crc32::new();
            c.write(&bytes[..split]);
            c.write(&bytes[split..]);
            assert_eq!(c.finish(), Crc32::of(&bytes));
        }
        assert_eq!(Crc32::of(&bytes), bitwise(&bytes));
    }

    #[test]
    fn detects_every_single_and_double_bit_flip() {
        let bytes: [u8; 24] = core::array::from_fn(|i| (i * 91 + 5) as u8);
        let good = Crc32::of(&bytes);
        let bits = bytes.len() * 8;
        for i in 0..bits {
            for j in i..bits {
                let mut b = bytes;
                b[i / 8] ^= 1 << (i % 8);
                if j != i {
                    b[j / 8] ^= 1 << (j % 8);
                }
                assert_ne!(Crc32::of(&b), good, "bits {i}, {j}");
            }
        }
    }
}
