//! The exact 64-bit product of two 32-bit integers, the one multiplication of [`Q16`](super::Q16).
//!
//! Cores with a 32 x 32 -> 64 multiply (Cortex-M3 and up: `smull`; RV32IM: `mul` and `mulh`)
//! compute it in one or two instructions from `i64::from(a) * i64::from(b)`. The Cortex-M0
//! has only a 32-bit `muls`, and the compiler would call a 64 x 64 -> 64 routine for the same
//! expression; [`by_halves`] builds the product from four 16 x 16 products instead. Both are
//! exact, so every target computes the same bits (`tests` below compares them).

/// `a * b`, exactly.
#[inline(always)]
pub(super) fn product(a: i32, b: i32) -> i64 {
    #[cfg(all(target_arch = "arm", not(target_feature = "v7")))]
    {
        by_halves(a, b)
    }
    #[cfg(not(all(target_arch = "arm", not(target_feature = "v7"))))]
    {
        i64::from(a) * i64::from(b)
    }
}

/// `a * b`, exactly, from four 32-bit multiplications of 16-bit halves:
/// `a = ah 2^16 + al` with `ah = a >> 16` signed and `al` in `[0, 2^16)`, so
/// `a b = ah bh 2^32 + (ah bl + al bh) 2^16 + al bl`, and no partial product overflows 32 bits.
///
/// Out of line on the Cortex-M0: one copy of its 70 bytes serves every product of operands
/// beyond the 32-bit paths, which training rarely meets.
#[cfg_attr(
    not(all(target_arch = "arm", not(target_feature = "v7"))),
    allow(dead_code)
)]
#[cfg_attr(all(target_arch = "arm", not(target_feature = "v7")), inline(never))]
pub(super) fn by_halves(a: i32, b: i32) -> i64 {
    let (ah, al) = (a >> 16, a & 0xffff);
    let (bh, bl) = (b >> 16, b & 0xffff);
    // |ah bh| <= 2^30; ah bl and al bh lie in [-2^15 (2^16 - 1), (2^15 - 1)(2^16 - 1)].
    let high = ah.wrapping_mul(bh);
    let middle = i64::from(ah.wrapping_mul(bl)) + i64::from(al.wrapping_mul(bh));
    // al bl < 2^32 as an unsigned product.
    let low = (al as u32).wrapping_mul(bl as u32);
    (i64::from(high) << 32) + (middle << 16) + i64::from(low)
}

/// `(a b + 2^15) >> 16` for `|a|, |b| < 2^23` (values below 128), in 32-bit arithmetic with
/// three multiplications: with `a = ah 2^16 + al`, `b = bh 2^16 + bl` (`al`, `bl` in
/// `[0, 2^16)`), `a b / 2^16 = ah b + al bh + al bl / 2^16`, and the first two terms are
/// exact integers, so only `al bl` is rounded. Every partial result fits in 32 bits: `|ah b| <
/// 2^30`, `|al bh| < 2^23`, and `al bl + 2^15 < 2^32`.
#[cfg_attr(
    not(all(target_arch = "arm", not(target_feature = "v7"))),
    allow(dead_code)
)]
#[inline(always)]
pub(super) fn rounded_small(a: i32, b: i32) -> i32 {
    let (ah, al) = (a >> 16, (a & 0xffff) as u32);
    let (bh, bl) = (b >> 16, (b & 0xffff) as u32);
    let low = ((al * bl + 0x8000) >> 16) as i32;
    ah.wrapping_mul(b)
        .wrapping_add((al as i32).wrapping_mul(bh))
        .wrapping_add(low)
}

/// `a b`, exactly, for `|a|, |b| < 2^23`: `(ah b + al bh) 2^16 + al bl`, where the first sum
/// fits in 32 bits (`< 2^31`) and `al bl` in 32 unsigned bits; three 32-bit multiplications.
#[cfg_attr(
    not(all(target_arch = "arm", not(target_feature = "v7"))),
    allow(dead_code)
)]
#[inline(always)]
pub(super) fn product_small(a: i32, b: i32) -> i64 {
    let (ah, al) = (a >> 16, (a & 0xffff) as u32);
    let (bh, bl) = (b >> 16, (b & 0xffff) as u32);
    let high = ah
        .wrapping_mul(b)
        .wrapping_add((al as i32).wrapping_mul(bh));
    (i64::from(high) << 16) + i64::from(al * bl)
}

/// `path(a, b)` if both operands are small ([`small`]), else `None`: the Cortex-M0's choice
/// between a 32-bit path ([`rounded_small`], [`product_small`]) and the 64-bit product.
/// Compiled on every target so that the host's tests check the choice the M0 makes.
#[cfg_attr(
    not(all(target_arch = "arm", not(target_feature = "v7"))),
    allow(dead_code)
)]
#[inline(always)]
pub(super) fn if_small<R>(a: i32, b: i32, path: impl FnOnce(i32, i32) -> R) -> Option<R> {
    if small(a) & small(b) {
        Some(path(a, b))
    } else {
        None
    }
}

/// True if `|v| < 2^23`, the range of [`rounded_small`].
#[cfg_attr(
    not(all(target_arch = "arm", not(target_feature = "v7"))),
    allow(dead_code)
)]
#[inline(always)]
pub(super) fn small(v: i32) -> bool {
    (v.wrapping_add(1 << 23) as u32) < 1 << 24
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halves_equal_the_wide_product() {
        let edges = [
            0,
            1,
            -1,
            0xffff,
            0x1_0000,
            -0x1_0000,
            0x7fff_ffff,
            -0x7fff_ffff,
            i32::MIN,
            0x1234_5678,
            -0x0fed_cba9,
            0x8000,
            -0x8000,
        ];
        for a in edges {
            for b in edges {
                assert_eq!(by_halves(a, b), i64::from(a) * i64::from(b), "{a} * {b}");
            }
        }
        // A deterministic sweep of pseudo-random pairs (xorshift).
        let mut s = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..200_000 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let (a, b) = (s as i32, (s >> 32) as i32);
            assert_eq!(by_halves(a, b), i64::from(a) * i64::from(b), "{a} * {b}");
            assert_eq!(product(a, b), i64::from(a) * i64::from(b));
            let (a, b) = (a >> 9, b >> 9);
            assert!(small(a) && small(b));
            let want = (i64::from(a) * i64::from(b) + 0x8000) >> 16;
            assert_eq!(i64::from(rounded_small(a, b)), want, "{a} * {b}");
            assert_eq!(
                product_small(a, b),
                i64::from(a) * i64::from(b),
                "{a} * {b}"
            );
        }
        for (v, is_small) in [
            (0, true),
            ((1 << 23) - 1, true),
            (-(1 << 23) + 1, true),
            (1 << 23, false),
            (-(1 << 23), true),
            (i32::MIN, false),
            (i32::MAX, false),
        ] {
            assert_eq!(small(v), is_small, "{v}");
        }
    }

    /// The Cortex-M0's choice of path, at and beyond the edge of the small range: both
    /// operands small, one of them, neither.
    #[test]
    fn the_small_path_is_taken_exactly_when_both_operands_are_small() {
        let (edge, beyond) = ((1 << 23) - 1, 1 << 23);
        for (a, b, taken) in [
            (edge, edge, true),
            (-edge, edge, true),
            (3, -5, true),
            (beyond, 3, false),
            (3, beyond, false),
            (-beyond - 1, 2, false),
            (beyond, beyond, false),
            (i32::MIN, i32::MAX, false),
        ] {
            let exact = i64::from(a) * i64::from(b);
            let rounded = ((exact + 0x8000) >> 16) as i32;
            let got = (if_small(a, b, rounded_small), if_small(a, b, product_small));
            let want = (taken.then_some(rounded), taken.then_some(exact));
            assert_eq!(got, want, "{a} * {b}");
        }
    }
}
