//! The one-sample kernels of a narrow `Linear` in Q16.16 ([`Scalar::linear_forward`],
//! [`Scalar::linear_backward`], [`Scalar::linear_backward_input`]): the generic kernels' bits
//! (every dot product summed exactly and rounded once, in a saturating 64-bit accumulator),
//! without that accumulator's saturation or its 64-bit products wherever the operands'
//! magnitudes prove that no sum can reach its rails.
//!
//! Every dot product is summed in one pass, product by product ([`dot`]):
//!
//! - **Cortex-M0** (a 32-bit `muls`, no 64-bit product): while both operands of each product
//!   lie in `[-2^B, 2^B)`, with `B` from the length of the sum ([`split_bits`]: 22 for the
//!   notebook's sums of three, values below 64), the sum is kept exactly in two 32-bit words
//!   ([`Split`]), three 32-bit multiplications a product.
//! - **Everywhere else** (`smull`/`smlal` on the Cortex-M4F, a 64-bit multiply on hosts):
//!   while the second operand of each product (the input in the forward pass, the output
//!   gradient in the backward pass) lies in `[-2^B, 2^B)` with `B = 31 - ceil(log2 n)` for
//!   sums of `n` ([`wide_bits`]), no partial sum of exact products can leave the `i64` range,
//!   so the products are added without saturation (one `smlal` each).
//!
//! The first product that does not fit (a value near the rails) sends the whole dot product
//! to the generic kernels' saturating sum ([`exact_dot`], out of line, one copy for every
//! shape), so the bits never depend on which path was taken; `tests` compares the kernels
//! with the generic ones over random and extreme layers, with the large product at every
//! position of a sum.
//!
//! A sum of one product (a layer with one input or one output) is the rounded product
//! itself, `Q16 * Q16`, the same bits as the generic sum: on the Cortex-M0 a call to its one
//! out-of-line copy instead of a fast sum written out for one term.
//!
//! One path for every value: a value near the rails costs a call, not a second copy of the
//! layer's loops. Outside the Cortex-M0 each row and column is summed by one out-of-line
//! function for every layer ([`strided_dot`]), a call per dot product: on the Cortex-M4F the
//! minimal trainer is 140 B smaller for 505 more instructions per step. On the M0, whose
//! fast sum is larger per product, each kernel keeps its loop (the call would cost it about
//! 1,150 instructions per step). The weight gradients' products are written out in line
//! ([`Scalar::mul_in_line`], as every `Linear` kernel's): on the M4F 80 B for 230 fewer
//! instructions per step.

use super::{wide, Q16};
#[cfg(test)]
use crate::layer::linear::sample;
use crate::number::Scalar;

/// `|v|`, or `|v| - 1` for negative `v`: below `2^b` exactly when `v` is in `[-2^b, 2^b)`.
#[inline(always)]
fn magnitude(v: Q16) -> u32 {
    let v = v.to_bits();
    (v ^ (v >> 31)) as u32
}

/// `ceil(log2 n)` (0 for `n <= 1`).
const fn ceil_log2(n: usize) -> u32 {
    if n <= 1 {
        0
    } else {
        usize::BITS - (n - 1).leading_zeros()
    }
}

/// The largest `B` (at most 31) such that `n` products `a b` with `a` a 32-bit integer and
/// `|b| <= 2^B` sum within `i64` with each partial sum: `n 2^31 2^B <= 2^(31 + ceil(log2 n) +
/// B) < 2^63`. 0 when no `B` works (no fast sum then).
pub(super) const fn wide_bits(n: usize) -> u32 {
    31_u32.saturating_sub(ceil_log2(n))
}

/// The largest `B` from 16 to 23 such that [`Split`] sums `n` products of values in
/// `[-2^B, 2^B)` without overflow and with a result that is not a rail: each product adds at
/// most `2^(2B-16) + 2^B + 2^16` to `high` (see [`Split::mul_acc`]) and the rounding of `low`
/// adds at most `n`, so `n (2^(2B-16) + 2^B + 2^16 + 1) < 2^31 - 1` is required, and `low`
/// must hold `n` times `2^16 - 1` plus `2^15`. 0 when no `B` works (no fast sum then).
pub(super) const fn split_bits(n: usize) -> u32 {
    if n == 0 || n >= 1 << 15 {
        return 0;
    }
    let mut b = 23;
    while b >= 16 {
        let per = (1u64 << (2 * b - 16)) + (1u64 << b) + (1u64 << 16) + 1;
        if (n as u64) * per < (1u64 << 31) - 1 {
            return b;
        }
        b -= 1;
    }
    0
}

/// A dot product's exact sum while its products fit, as a kernel keeps it: [`Split`] on the
/// Cortex-M0, [`Wide`] elsewhere.
trait Sum: Copy {
    /// Whether this is [`Split`] (bounded by [`split_bits`]) rather than [`Wide`]
    /// ([`wide_bits`]).
    const SPLIT: bool;
    /// The empty sum.
    const ZERO: Self;
    /// Whether `a b` may be added to a sum of fewer than `n` such products, where `bits` is
    /// the bound for `n` ([`split_bits`] or [`wide_bits`]).
    fn fits(bits: u32, a: Q16, b: Q16) -> bool;
    /// `self + a b`, exactly.
    fn mul_acc(self, a: Q16, b: Q16) -> Self;
    /// The sum rounded once to the nearest unit, as `from_acc` rounds the generic kernels'
    /// accumulator.
    fn rounded(self) -> Q16;
}

/// An exact sum of products `high 2^16 + low` in two 32-bit words, for operands below
/// `2^23` ([`split_bits`] bounds how many).
#[derive(Clone, Copy)]
#[cfg_attr(
    not(any(test, all(target_arch = "arm", not(target_feature = "v7")))),
    allow(dead_code)
)]
struct Split {
    high: i32,
    low: u32,
}

impl Sum for Split {
    const SPLIT: bool = true;
    const ZERO: Self = Self { high: 0, low: 0 };

    /// Both operands in `[-2^bits, 2^bits)`.
    #[inline(always)]
    fn fits(bits: u32, a: Q16, b: Q16) -> bool {
        (magnitude(a) | magnitude(b)) >> bits == 0
    }

    /// Adds `a b`: with `a = ah 2^16 + al`, `b = bh 2^16 + bl` (`al`, `bl` in `[0, 2^16)`) and
    /// `p = al bl` (below `2^32` unsigned), `a b = (ah b + al bh + (p >> 16)) 2^16 + (p &
    /// 0xffff)`. For `a`, `b` in `[-2^B, 2^B)`: `|ah b| <= 2^(2B-16)`, `|al bh| < 2^B`.
    #[inline(always)]
    fn mul_acc(self, a: Q16, b: Q16) -> Self {
        let (a, b) = (a.to_bits(), b.to_bits());
        let (ah, al) = (a >> 16, (a & 0xffff) as u32);
        let bh = b >> 16;
        let p = al.wrapping_mul((b & 0xffff) as u32);
        Self {
            high: self
                .high
                .wrapping_add(ah.wrapping_mul(b))
                .wrapping_add((al as i32).wrapping_mul(bh))
                .wrapping_add((p >> 16) as i32),
            low: self.low.wrapping_add(p & 0xffff),
        }
    }

    /// `high + ((low + 2^15) >> 16)`.
    #[inline(always)]
    fn rounded(self) -> Q16 {
        Q16(self
            .high
            .wrapping_add((self.low.wrapping_add(0x8000) >> 16) as i32))
    }
}

/// An exact sum of 64-bit products, for sums [`wide_bits`] bounds.
#[derive(Clone, Copy)]
#[cfg_attr(
    all(not(test), target_arch = "arm", not(target_feature = "v7")),
    allow(dead_code)
)]
struct Wide(i64);

impl Sum for Wide {
    const SPLIT: bool = false;
    const ZERO: Self = Wide(0);

    /// The second operand in `[-2^bits, 2^bits)`.
    #[inline(always)]
    fn fits(bits: u32, _: Q16, b: Q16) -> bool {
        magnitude(b) >> bits == 0
    }

    #[inline(always)]
    fn mul_acc(self, a: Q16, b: Q16) -> Self {
        Wide(self.0.wrapping_add(wide::product(a.to_bits(), b.to_bits())))
    }

    /// `|self| < 2^62` here, so adding half a unit cannot saturate.
    #[inline(always)]
    fn rounded(self) -> Q16 {
        Q16::round_shift(self.0.wrapping_add(0x8000))
    }
}

/// The fast sum of this target: [`Split`] on the Cortex-M0 (no 64-bit product), [`Wide`]
/// elsewhere.
#[cfg(all(target_arch = "arm", not(target_feature = "v7")))]
type Fast = Split;
#[cfg(not(all(target_arch = "arm", not(target_feature = "v7"))))]
type Fast = Wide;

/// `sum_i a_i b_i` over `pairs` (`n` of them, `bits` their bound), rounded once, in the
/// fast sum `A`; `None` at the first product that does not fit (the caller then takes the
/// generic kernels' saturating sum of them all, [`exact_dot`]).
#[inline(always)]
fn dot<A: Sum>(bits: u32, pairs: impl Iterator<Item = (Q16, Q16)>) -> Option<Q16> {
    let mut s = A::ZERO;
    for (a, b) in pairs {
        if bits == 0 || !A::fits(bits, a, b) {
            return None;
        }
        s = s.mul_acc(a, b);
    }
    Some(s.rounded())
}

/// `from_acc(sum_i w[start + i step] x[i])`, summed in index order with the generic kernels'
/// saturating accumulator: a row of `W` (`step` 1) or a column (`step` the row length) that
/// a fast sum could not take. A position past the weights counts as 0 (none is, for a
/// layer's own shape).
#[inline(never)]
fn exact_dot(w: &[Q16], start: usize, step: usize, x: &[Q16]) -> Q16 {
    let mut acc = 0i64;
    let mut at = start;
    for x in x {
        let w = w.get(at).copied().unwrap_or(Q16::ZERO);
        acc = acc.saturating_add(wide::product(w.to_bits(), x.to_bits()));
        at = at.wrapping_add(step);
    }
    <Q16 as Scalar>::from_acc(acc)
}

/// Row `o` of `W`, `r`, against `x` (a single term: the product).
#[inline(always)]
fn row<A: Sum, const IN: usize, const OUT: usize>(
    w: &[[Q16; IN]; OUT],
    o: usize,
    r: &[Q16; IN],
    x: &[Q16; IN],
) -> Q16 {
    if let ([w], [x]) = (r.as_slice(), x.as_slice()) {
        return *w * *x;
    }
    let bits = const { fast_bits::<A>(IN) };
    if A::SPLIT {
        return dot::<A>(bits, r.iter().copied().zip(x.iter().copied()))
            .unwrap_or_else(|| exact_dot(w.as_flattened(), o.wrapping_mul(IN), 1, x));
    }
    strided_dot::<A>(bits, w.as_flattened(), o.wrapping_mul(IN), 1, x)
}

/// Column `k` of `W` against `dy` (a single term: the product).
#[inline(always)]
fn column<A: Sum, const IN: usize, const OUT: usize>(
    w: &[[Q16; IN]; OUT],
    k: usize,
    dy: &[Q16; OUT],
) -> Q16 {
    if let ([r], [d]) = (w.as_slice(), dy.as_slice()) {
        return r.get(k).copied().unwrap_or(Q16::ZERO) * *d;
    }
    let bits = const { fast_bits::<A>(OUT) };
    if A::SPLIT {
        let column = w.iter().map(|r| r.get(k).copied().unwrap_or(Q16::ZERO));
        return dot::<A>(bits, column.zip(dy.iter().copied()))
            .unwrap_or_else(|| exact_dot(w.as_flattened(), k, IN, dy));
    }
    strided_dot::<A>(bits, w.as_flattened(), k, IN, dy)
}

/// `from_acc(sum_i w[start + i step] x[i])`, a row of `W` (`step` 1) or a column (`step` the
/// row length): in the fast sum `A` while its products fit (`bits` its bound, see [`dot`]),
/// else in the generic saturating sum ([`exact_dot`]). Out of line: one copy for every row
/// and column of every layer on a microcontroller (`target_os = "none"`), a call per dot
/// product instead of its loop written out at each; in line on a host. A position past the
/// weights counts as 0 (none is, for a layer's own shape).
#[cfg_attr(target_os = "none", inline(never))]
#[cfg_attr(not(target_os = "none"), inline(always))]
fn strided_dot<A: Sum>(bits: u32, w: &[Q16], start: usize, step: usize, x: &[Q16]) -> Q16 {
    let pairs = x.iter().scan(start, |at, x| {
        let w = w.get(*at).copied().unwrap_or(Q16::ZERO);
        *at = at.wrapping_add(step);
        Some((w, *x))
    });
    dot::<A>(bits, pairs).unwrap_or_else(|| exact_dot(w, start, step, x))
}

/// The bound of the fast sum `A` for sums of `n` products.
const fn fast_bits<A: Sum>(n: usize) -> u32 {
    if A::SPLIT {
        split_bits(n)
    } else {
        wide_bits(n)
    }
}

/// `W x + b`, each output rounded once (see the [module docs](self)).
#[inline(always)]
pub(super) fn forward<const IN: usize, const OUT: usize>(
    w: &[[Q16; IN]; OUT],
    b: &[Q16; OUT],
    x: &[Q16; IN],
) -> [Q16; OUT] {
    sum_forward::<Fast, IN, OUT>(w, b, x)
}

/// Adds `dy x^T` into `gw` and `dy` into `gb`, returns `W^T dy` (see the [module docs](self)).
#[inline(always)]
pub(super) fn backward<const IN: usize, const OUT: usize>(
    w: &[[Q16; IN]; OUT],
    x: &[Q16; IN],
    dy: &[Q16; OUT],
    gw: &mut [[Q16; IN]; OUT],
    gb: &mut [Q16; OUT],
) -> [Q16; IN] {
    for ((g, gb), d) in gw.iter_mut().zip(gb.iter_mut()).zip(dy) {
        *gb += *d;
        for (g, x) in g.iter_mut().zip(x) {
            *g += d.mul_in_line(*x);
        }
    }
    backward_input(w, dy)
}

/// `W^T dy` alone (see [`backward`]).
#[inline(always)]
pub(super) fn backward_input<const IN: usize, const OUT: usize>(
    w: &[[Q16; IN]; OUT],
    dy: &[Q16; OUT],
) -> [Q16; IN] {
    sum_backward_input::<Fast, IN, OUT>(w, dy)
}

/// `W x + b` from the fast sum `A`.
#[inline(always)]
fn sum_forward<A: Sum, const IN: usize, const OUT: usize>(
    w: &[[Q16; IN]; OUT],
    b: &[Q16; OUT],
    x: &[Q16; IN],
) -> [Q16; OUT] {
    let mut y = *b;
    for (o, (y, r)) in y.iter_mut().zip(w).enumerate() {
        *y = row::<A, IN, OUT>(w, o, r, x) + *y;
    }
    y
}

/// `W^T dy` from the fast sum `A`.
#[inline(always)]
fn sum_backward_input<A: Sum, const IN: usize, const OUT: usize>(
    w: &[[Q16; IN]; OUT],
    dy: &[Q16; OUT],
) -> [Q16; IN] {
    let mut dx = [Q16::ZERO; IN];
    for (k, dx) in dx.iter_mut().enumerate() {
        *dx = column::<A, IN, OUT>(w, k, dy);
    }
    dx
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic xorshift source of raw values: mostly below the kernels' bounds, some
    /// at them, some near the rails.
    struct Values(u64);

    impl Values {
        fn next(&mut self) -> Q16 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            let r = self.0 as i32;
            let v = match (self.0 >> 40) % 64 {
                0 => r, // anywhere, rails included
                1 => match r & 3 {
                    0 => i32::MIN,
                    1 => -i32::MAX,
                    2 => i32::MAX,
                    _ => i32::MAX - 1,
                },
                2 => -(1 << 22) + (r & 1), // the M0 bound of sums of 3
                3 => (1 << 22) - 1 - (r & 1),
                4 => -(1 << 29) + (r & 1), // the wide bound of sums of 3
                5 => (1 << 29) - (r & 1),
                6 => r >> 2,
                _ => r >> (11 + (self.0 >> 50) % 12), // ordinary values
            };
            Q16(v)
        }

        fn array<const N: usize>(&mut self) -> [Q16; N] {
            core::array::from_fn(|_| self.next())
        }
    }

    /// The fast sum `A` of `pairs` against the generic sum `want`: equal when it takes
    /// them; counts each outcome in `fast` (taken, handed over).
    fn fast<A: Sum>(
        bits: u32,
        pairs: impl Iterator<Item = (Q16, Q16)>,
        want: Q16,
        fast: &mut [usize; 2],
    ) {
        match dot::<A>(bits, pairs) {
            Some(v) => {
                assert_eq!(v, want);
                fast[0] += 1;
            }
            None => fast[1] += 1,
        }
    }

    /// Both fast sums of an `IN x OUT` layer (on every target: they are plain integer
    /// code) and the dispatched kernels against the generic ones over `rounds` random
    /// layers, bit for bit; returns, per fast sum and pass (split rows, wide rows, split
    /// columns, wide columns), how many dot products it took and how many it handed over.
    fn check<const IN: usize, const OUT: usize>(rounds: usize, seed: u64) -> [[usize; 2]; 4] {
        let mut v = Values(seed);
        let mut at = [[0; 2]; 4];
        for _ in 0..rounds {
            let w: [[Q16; IN]; OUT] = core::array::from_fn(|_| v.array());
            let (b, x, dy) = (v.array::<OUT>(), v.array::<IN>(), v.array::<OUT>());
            let g0: ([[Q16; IN]; OUT], [Q16; OUT]) =
                (core::array::from_fn(|_| v.array()), v.array());

            let want_y = sample::narrow_forward(&w, &b, &x);
            let mut want = g0;
            let want_dx = sample::narrow_backward(&w, &x, &dy, &mut want.0, &mut want.1);
            assert_eq!(sample::narrow_backward_input(&w, &dy), want_dx);

            // Through `Scalar`'s hooks, as the layers call them.
            assert_eq!(
                Q16::linear_forward(&w, &b, &x),
                want_y,
                "{IN}x{OUT} forward"
            );
            let mut got = g0;
            let dx = Q16::linear_backward(&w, &x, &dy, &mut got.0, &mut got.1);
            assert_eq!(dx, want_dx, "{IN}x{OUT} backward");
            assert_eq!(got, want, "{IN}x{OUT} gradients");
            let dx = Q16::linear_backward_input(&w, &dy);
            assert_eq!(dx, want_dx, "{IN}x{OUT} input");

            // Both kernels, whatever the values.
            let y = sum_forward::<Split, IN, OUT>(&w, &b, &x);
            assert_eq!(y, want_y, "{IN}x{OUT} split forward");
            let y = sum_forward::<Wide, IN, OUT>(&w, &b, &x);
            assert_eq!(y, want_y, "{IN}x{OUT} wide forward");
            let dx = sum_backward_input::<Split, IN, OUT>(&w, &dy);
            assert_eq!(dx, want_dx, "{IN}x{OUT} split input");
            let dx = sum_backward_input::<Wide, IN, OUT>(&w, &dy);
            assert_eq!(dx, want_dx, "{IN}x{OUT} wide input");

            // Each fast sum alone: the generic sum's bits whenever it takes a dot product.
            let [split_rows, wide_rows, split_columns, wide_columns] = &mut at;
            let generic = |pairs: &mut dyn Iterator<Item = (Q16, Q16)>| {
                Q16::from_acc(pairs.fold(0, |acc, (a, b)| Q16::mul_acc(acc, a, b)))
            };
            for r in &w {
                let pairs = || r.iter().copied().zip(x.iter().copied());
                let want = generic(&mut pairs());
                fast::<Split>(split_bits(IN), pairs(), want, split_rows);
                fast::<Wide>(wide_bits(IN), pairs(), want, wide_rows);
            }
            for k in 0..IN {
                let column = move |r: &[Q16; IN]| r.get(k).copied().unwrap_or(Q16::ZERO);
                let pairs = || w.iter().map(column).zip(dy.iter().copied());
                let want = generic(&mut pairs());
                fast::<Split>(split_bits(OUT), pairs(), want, split_columns);
                fast::<Wide>(wide_bits(OUT), pairs(), want, wide_columns);
            }
        }
        at
    }

    /// Every narrow shape the tests reach, bit for bit with the generic kernels; each fast
    /// sum takes dot products, and hands the others over.
    #[test]
    fn kernels_give_the_generic_bits() {
        for (i, (n, at)) in [
            ((3, 3), check::<3, 3>(20_000, 1)),
            ((3, 1), check::<3, 1>(20_000, 2)),
            ((1, 3), check::<1, 3>(20_000, 3)),
            ((2, 5), check::<2, 5>(10_000, 4)),
            ((7, 3), check::<7, 3>(10_000, 5)),
            ((5, 1), check::<5, 1>(10_000, 6)),
        ]
        .into_iter()
        .enumerate()
        {
            for (k, [taken, handed]) in at.iter().enumerate() {
                // Dot products are taken, and some handed over, except by the wide
                // sum of single products, which takes every value.
                let single_wide = k % 2 == 1 && if k < 2 { n.0 } else { n.1 } == 1;
                assert!(*taken > 0, "shape {i}, sum {k}: {at:?}");
                assert_eq!(*handed > 0, !single_wide, "shape {i}, sum {k}: {at:?}");
            }
        }
    }

    /// The hand-over at each position of a sum of 3 (and none): the one large product
    /// is first, second or third, or there is none; with the products before it at the
    /// top of the fast range, at the rails, and cancelling. Whichever product hands the
    /// dot product over, the generic sum of all of them is the result.
    #[test]
    fn a_hand_over_anywhere_gives_the_generic_sum() {
        let small = Q16((1 << 22) - 1);
        let neg = Q16(-(1 << 22));
        let big = Q16(1 << 30);
        let rail = Q16(i32::MIN);
        for (a, b) in [
            ([small, small, small], [small, small, big]),
            ([small, small, small], [small, big, neg]),
            ([small, neg, small], [big, small, small]),
            ([big, small, neg], [small, small, small]),
            ([small, small, rail], [neg, small, rail]),
            ([rail, rail, rail], [rail, rail, neg]),
            ([small, neg, small], [small, small, small]),
            ([Q16::UNIT, Q16::UNIT, Q16::UNIT], [big, big, big]),
        ] {
            let want = Q16::from_acc(
                a.iter()
                    .zip(&b)
                    .fold(0, |acc, (a, b)| Q16::mul_acc(acc, *a, *b)),
            );
            let w = [a];
            assert_eq!(
                sum_forward::<Split, 3, 1>(&w, &[Q16::ZERO], &b),
                [want],
                "{a:?} {b:?}"
            );
            assert_eq!(
                sum_forward::<Wide, 3, 1>(&w, &[Q16::ZERO], &b),
                [want],
                "{a:?} {b:?}"
            );
            let w = a.map(|a| [a]);
            assert_eq!(
                sum_backward_input::<Split, 1, 3>(&w, &b),
                [want],
                "{a:?} {b:?}"
            );
            assert_eq!(
                sum_backward_input::<Wide, 1, 3>(&w, &b),
                [want],
                "{a:?} {b:?}"
            );
        }
    }

    /// A single product in the wide sum reaches the top of the i64 range and stays
    /// exact; the bounds are the ones the module docs state.
    #[test]
    fn bounds_table() {
        for (n, wide, split) in [
            (1, 31, 23),
            (2, 30, 22),
            (3, 29, 22),
            (4, 29, 22),
            (8, 28, 21),
            (64, 25, 20),
            (10_000, 17, 16),
            (1 << 14, 17, 0),
        ] {
            assert_eq!((wide_bits(n), split_bits(n)), (wide, split), "n = {n}");
        }
        // Every width where the split bound steps down, and the one before it.
        for (n, bits) in [
            (7, 22),
            (8, 21),
            (31, 21),
            (32, 20),
            (120, 20),
            (121, 19),
            (448, 19),
            (449, 18),
            (1_560, 18),
            (1_561, 17),
            (4_681, 17),
            (4_682, 16),
            (10_922, 16),
            (10_923, 0),
        ] {
            assert_eq!(split_bits(n), bits, "n = {n}");
        }
        // Each kernel's bound for its sums: the split bound on the Cortex-M0, else the wide.
        for (n, split, wide) in [(1, 23, 31), (3, 22, 29), (9, 21, 27)] {
            assert_eq!(fast_bits::<Split>(n), split, "n = {n}");
            assert_eq!(fast_bits::<Wide>(n), wide, "n = {n}");
        }
        let big = Q16(i32::MIN);
        assert!(Wide::fits(wide_bits(1), big, big));
        assert_eq!(Wide::ZERO.mul_acc(big, big).rounded(), Q16::MAX);
        let edge = Q16(-(1 << 23));
        assert!(Split::fits(split_bits(1), edge, edge));
        assert!(!Split::fits(split_bits(1), edge, Q16(1 << 23)));
        assert_eq!(Split::ZERO.mul_acc(edge, edge).rounded(), Q16(1 << 30));
        let (low, high) = (Q16(0x1_8000), Q16(-0x1_7fff));
        assert_eq!(Split::ZERO.mul_acc(low, Q16(1 << 16)).rounded(), low);
        assert_eq!(Split::ZERO.mul_acc(low, Q16::UNIT).rounded(), Q16(2));
        assert_eq!(Split::ZERO.mul_acc(low, Q16(0x8000)).rounded(), Q16(0xc000));
        assert_eq!(Split::ZERO.mul_acc(high, Q16(1)).rounded(), Q16(-1));
        assert_eq!(
            Split::ZERO.mul_acc(high, Q16(0x8000)).rounded(),
            Q16(-0xbfff)
        );
    }
}
