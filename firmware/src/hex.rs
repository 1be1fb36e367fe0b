//! Words printed as hexadecimal without `core::fmt` (whose float and integer formatting would
//! cost flash that the minimal trainer is meant to leave out).

use crate::semihosting;

/// The eight lowercase hex digits of `v`, most significant first, into `out`.
fn write_digits(mut v: u32, out: &mut [u8; 8]) {
    for d in out.iter_mut().rev() {
        // `& 0xf` keeps the nibble below 16.
        let n = (v & 0xf) as u8;
        *d = if n < 10 { b'0' + n } else { b'a' + (n - 10) };
        v >>= 4;
    }
}

/// Prints `<prefix><label> 0x<v>` and a newline.
#[inline(never)]
pub fn print_prefixed(prefix: &[u8], label: &[u8], v: u32) {
    semihosting::write(prefix);
    print_words(label, &[v]);
}

/// Prints `<label>`, then ` 0x<v>` for each word, and a newline: one line, one label, for
/// many words.
#[inline(never)]
pub fn print_words(label: &[u8], words: &[u32]) {
    semihosting::write(label);
    for &v in words {
        let mut digits = [0; 8];
        write_digits(v, &mut digits);
        semihosting::write(b" 0x");
        semihosting::write(&digits);
    }
    semihosting::write(b"\n");
}
