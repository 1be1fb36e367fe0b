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

/// Prints `minimal <label> 0x<v>` and a newline.
pub fn print_word(label: &[u8], v: u32) {
    print_prefixed(b"minimal ", label, v);
}

/// Prints `<prefix><label> 0x<v>` and a newline.
#[inline(never)]
pub fn print_prefixed(prefix: &[u8], label: &[u8], v: u32) {
    semihosting::write(prefix);
    semihosting::write(label);
    // ` 0x`, the eight digits, a newline.
    let mut hex = *b" 0x00000000\n";
    let (_, rest) = hex.split_at_mut(3);
    if let Some((digits, _)) = rest.split_first_chunk_mut::<8>() {
        write_digits(v, digits);
    }
    semihosting::write(&hex);
}
