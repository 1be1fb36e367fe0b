//! Words printed as hexadecimal without `core::fmt` (whose float and integer formatting would
//! cost flash that the minimal trainer is meant to leave out).

use crate::semihosting;

/// The eight lowercase hex digits of `v`, most significant first.
pub fn digits(v: u32) -> [u8; 8] {
    let mut out = [0u8; 8];
    for (shift, d) in (0..8u32).rev().map(|i| i * 4).zip(out.iter_mut()) {
        // `& 0xf` keeps the nibble below 16.
        let n = ((v >> shift) & 0xf) as u8;
        *d = if n < 10 { b'0' + n } else { b'a' + (n - 10) };
    }
    out
}

/// Prints `minimal <label> 0x<v>` and a newline.
pub fn print_word(label: &[u8], v: u32) {
    print_prefixed(b"minimal ", label, v);
}

/// Prints `<prefix><label> 0x<v>` and a newline.
#[inline(never)]
pub fn print_prefixed(prefix: &[u8], label: &[u8], v: u32) {
    semihosting::write(prefix);
    semihosting::write(label);
    let mut hex = *b" 0x00000000\n";
    for (d, x) in hex.iter_mut().skip(3).zip(digits(v)) {
        *d = x;
    }
    semihosting::write(&hex);
}
