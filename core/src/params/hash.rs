//! FNV-1a, 32 bits: the hash of weights and of model shapes (names and sizes).
//!
//! Small, table-free and the same on every target; not a cryptographic hash.

/// A running FNV-1a (32-bit) hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fnv1a(u32);

impl Default for Fnv1a {
    fn default() -> Self {
        Self::new()
    }
}

impl Fnv1a {
    /// The hash of nothing (the FNV offset basis).
    pub const fn new() -> Self {
        Self(0x811c_9dc5)
    }

    /// Adds bytes.
    #[inline]
    pub fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u32::from(*b)).wrapping_mul(0x0100_0193);
        }
    }

    /// Adds the low `n` bytes of `value`, little-endian.
    #[inline]
    pub fn write_le(&mut self, value: u64, n: usize) {
        let bytes = value.to_le_bytes();
        self.write(bytes.get(..n).unwrap_or(&bytes));
    }

    /// The hash so far.
    pub const fn finish(self) -> u32 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_values() {
        // FNV-1a 32 test vectors (Fowler, Noll, Vo).
        let cases: [(&[u8], u32); 3] = [
            (b"", 0x811c_9dc5),
            (b"a", 0xe40c_292c),
            (b"foobar", 0xbf9c_f968),
        ];
        for (input, want) in cases {
            let mut h = Fnv1a::new();
            h.write(input);
            assert_eq!(h.finish(), want, "{input:?}");
        }
        let mut h = Fnv1a::new();
        h.write_le(0x0062_616f_6f66, 3);
        let mut want = Fnv1a::new();
        want.write(b"foo");
        assert_eq!(h, want);
    }
}
