//! The one-sample kernels of a narrow `Linear` in Q16.16 ([`Scalar::linear_forward`],
//! [`Scalar::linear_backward`], [`Scalar::linear_backward_input`]): the generic kernels' bits
//! (every dot product summed exactly and rounded once), without the saturating 64-bit
//! accumulator wherever the operands' magnitudes prove that no sum can reach its rails.
//!
//! - **Cortex-M0** (a 32-bit `muls`, no 64-bit product): when every weight, input and output
//!   gradient of the layer lies in `[-2^B, 2^B)`, with `B` from the length of the sums
//!   ([`split_bits`]: 22 for the notebook's sums of three, values below 64), each sum is kept
//!   exactly in two 32-bit words ([`Split`]), three 32-bit multiplications a product.
//! - **Everywhere else** (`smull`/`smlal` on the Cortex-M4F, a 64-bit multiply on hosts): when
//!   one side of every product (the input in the forward pass, the output gradient in the
//!   backward pass) lies in `[-2^B, 2^B)` with `B = 31 - ceil(log2 n)` for sums of `n`
//!   ([`wide_bits`]), no partial sum of exact products can leave the `i64` range, so the
//!   products are added without saturation (one `smlal` each) and rounded once.
//!
//! Otherwise (a value near the rails) the generic kernels run, so the bits never depend on
//! which path was taken; `tests` compares both over random and extreme layers.

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

/// The magnitudes of `values` folded together: below `2^b` exactly when each value is.
#[inline(always)]
fn magnitudes(m: u32, values: &[Q16]) -> u32 {
    values.iter().fold(m, |m, v| m | magnitude(*v))
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
/// B) < 2^63`. 0 when no `B` works (no kernel then).
pub(super) const fn wide_bits(n: usize) -> u32 {
    31_u32.saturating_sub(ceil_log2(n))
}

/// The largest `B` from 16 to 23 such that [`Split`] sums `n` products of values in
/// `[-2^B, 2^B)` without overflow and with a result that is not a rail: each product adds at
/// most `2^(2B-16) + 2^B + 2^16` to `high` (see [`Split::mul_acc`]) and the rounding of `low`
/// adds at most `n`, so `n (2^(2B-16) + 2^B + 2^16 + 1) < 2^31 - 1` is required, and `low`
/// must hold `n` times `2^16 - 1` plus `2^15`. 0 when no `B` works (no kernel then).
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

/// An exact sum of products `high 2^16 + low` in two 32-bit words, for operands below
/// `2^23` ([`split_bits`] bounds how many).
#[derive(Clone, Copy)]
struct Split {
    high: i32,
    low: u32,
}

impl Split {
    const ZERO: Self = Self { high: 0, low: 0 };

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

    /// The sum rounded to the nearest unit (halves up): `high + ((low + 2^15) >> 16)`.
    #[inline(always)]
    fn rounded(self) -> Q16 {
        Q16(self
            .high
            .wrapping_add((self.low.wrapping_add(0x8000) >> 16) as i32))
    }
}

/// Whether this target takes the [`Split`] kernels (the Cortex-M0) rather than the wide ones.
const SPLIT: bool = cfg!(all(target_arch = "arm", not(target_feature = "v7")));

/// `W x + b`, each output rounded once (see the [module docs](self)).
#[inline(always)]
pub(super) fn forward<const IN: usize, const OUT: usize>(
    w: &[[Q16; IN]; OUT],
    b: &[Q16; OUT],
    x: &[Q16; IN],
) -> [Q16; OUT] {
    if SPLIT {
        if split_fits(const { split_bits(IN) }, w, x, &[]) {
            return sum_forward(Split::ZERO, w, b, x);
        }
    } else if below(const { wide_bits(IN) }, x) {
        return sum_forward(Wide(0), w, b, x);
    }
    exact_forward(w, b, x)
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
    if SPLIT {
        if split_fits(const { split_bits(OUT) }, w, x, dy) {
            return sum_backward(Split::ZERO, w, x, dy, gw, gb);
        }
    } else if below(const { wide_bits(OUT) }, dy) {
        return sum_backward(Wide(0), w, x, dy, gw, gb);
    }
    exact_backward(w, x, dy, gw, gb)
}

/// `W^T dy` alone (see [`backward`]).
#[inline(always)]
pub(super) fn backward_input<const IN: usize, const OUT: usize>(
    w: &[[Q16; IN]; OUT],
    dy: &[Q16; OUT],
) -> [Q16; IN] {
    if SPLIT {
        if split_fits(const { split_bits(OUT) }, w, dy, &[]) {
            return sum_backward_input(Split::ZERO, w, dy);
        }
    } else if below(const { wide_bits(OUT) }, dy) {
        return sum_backward_input(Wide(0), w, dy);
    }
    exact_columns(w, dy)
}

// The exact kernels, for values near the rails: the generic kernels' sums (the same bits),
// as small as they can be, since they almost never run: one strided dot product over the
// flattened weights for the rows and the columns alike, one out-of-line multiply-accumulate,
// one copy for every shape.

/// `acc + a b`, saturated: [`Scalar::mul_acc`]'s bits, out of line, without its 32-bit path
/// for small operands (the exact product either way).
#[inline(never)]
fn exact_mul_acc(acc: i64, a: Q16, b: Q16) -> i64 {
    acc.saturating_add(wide::product(a.to_bits(), b.to_bits()))
}

/// `from_acc(sum_i w[start + i step] x[i])`, summed in index order with the generic
/// kernels' saturating accumulator: a row of `W` (`step` 1) or a column (`step` the row
/// length). A position past the weights counts as 0 (none is, for a layer's own shape).
#[inline(never)]
fn exact_dot(w: &[Q16], start: usize, step: usize, x: &[Q16]) -> Q16 {
    let mut acc = 0;
    let mut at = start;
    for x in x {
        acc = exact_mul_acc(acc, w.get(at).copied().unwrap_or(Q16::ZERO), *x);
        at = at.wrapping_add(step);
    }
    <Q16 as Scalar>::from_acc(acc)
}

/// `gw += d x`, element-wise, each product rounded as `Q16::mul` rounds it.
#[inline(never)]
fn exact_outer(d: Q16, x: &[Q16], gw: &mut [Q16]) {
    for (g, x) in gw.iter_mut().zip(x) {
        *g += d * *x;
    }
}

#[inline(always)]
fn exact_forward<const IN: usize, const OUT: usize>(
    w: &[[Q16; IN]; OUT],
    b: &[Q16; OUT],
    x: &[Q16; IN],
) -> [Q16; OUT] {
    let mut y = *b;
    for (o, y) in y.iter_mut().enumerate() {
        *y = exact_dot(w.as_flattened(), o.wrapping_mul(IN), 1, x) + *y;
    }
    y
}

/// `W^T dy`: input gradient `k` is column `k` of `W` against `dy`.
#[inline(always)]
fn exact_columns<const IN: usize, const OUT: usize>(
    w: &[[Q16; IN]; OUT],
    dy: &[Q16; OUT],
) -> [Q16; IN] {
    let mut dx = [Q16::ZERO; IN];
    for (k, dx) in dx.iter_mut().enumerate() {
        *dx = exact_dot(w.as_flattened(), k, IN, dy);
    }
    dx
}

#[inline(always)]
fn exact_backward<const IN: usize, const OUT: usize>(
    w: &[[Q16; IN]; OUT],
    x: &[Q16; IN],
    dy: &[Q16; OUT],
    gw: &mut [[Q16; IN]; OUT],
    gb: &mut [Q16; OUT],
) -> [Q16; IN] {
    for ((g, gb), d) in gw.iter_mut().zip(gb.iter_mut()).zip(dy) {
        *gb += *d;
        exact_outer(*d, x, g);
    }
    exact_columns(w, dy)
}

// The Cortex-M0's kernels, for values that `split_fits`.

/// Every weight and the values of `u` and `v` in `[-2^bits, 2^bits)`, and `bits` not 0.
#[inline(always)]
fn split_fits<const IN: usize, const OUT: usize>(
    bits: u32,
    w: &[[Q16; IN]; OUT],
    u: &[Q16],
    v: &[Q16],
) -> bool {
    let m = w
        .iter()
        .fold(magnitudes(magnitudes(0, u), v), |m, w| magnitudes(m, w));
    bits != 0 && m >> bits == 0
}

/// A dot product's exact sum, as a kernel keeps it: [`Split`] on the Cortex-M0, [`Wide`]
/// elsewhere. Both give the generic kernels' bits for the values their bounds admit.
trait Sum: Copy {
    /// `self + a b`, exactly.
    fn mul_acc(self, a: Q16, b: Q16) -> Self;
    /// The sum rounded once to the nearest unit.
    fn rounded(self) -> Q16;
    /// `a b` rounded, as `Q16::mul` rounds it (a weight gradient's term).
    fn product(a: Q16, b: Q16) -> Q16;
}

impl Sum for Split {
    #[inline(always)]
    fn mul_acc(self, a: Q16, b: Q16) -> Self {
        Split::mul_acc(self, a, b)
    }

    #[inline(always)]
    fn rounded(self) -> Q16 {
        Split::rounded(self)
    }

    /// `split_bits` is at most 23, so `a b` takes the 32-bit rounded product of `Q16::mul`
    /// (the same bits).
    #[inline(always)]
    fn product(a: Q16, b: Q16) -> Q16 {
        Q16(wide::rounded_small(a.to_bits(), b.to_bits()))
    }
}

/// An exact sum of 64-bit products, for sums [`wide_bits`] bounds.
#[derive(Clone, Copy)]
struct Wide(i64);

impl Sum for Wide {
    #[inline(always)]
    fn mul_acc(self, a: Q16, b: Q16) -> Self {
        Wide(self.0.wrapping_add(wide::product(a.to_bits(), b.to_bits())))
    }

    #[inline(always)]
    fn rounded(self) -> Q16 {
        round(self.0)
    }

    #[inline(always)]
    fn product(a: Q16, b: Q16) -> Q16 {
        a * b
    }
}

/// `W x + b`, each output's sum from `zero`.
#[inline(always)]
fn sum_forward<A: Sum, const IN: usize, const OUT: usize>(
    zero: A,
    w: &[[Q16; IN]; OUT],
    b: &[Q16; OUT],
    x: &[Q16; IN],
) -> [Q16; OUT] {
    let mut y = *b;
    for (y, w) in y.iter_mut().zip(w) {
        let s = w.iter().zip(x).fold(zero, |s, (w, x)| s.mul_acc(*w, *x));
        *y = s.rounded() + *y;
    }
    y
}

/// Adds `dy x^T` into `gw` and `dy` into `gb`, returns `W^T dy`, each sum from `zero`.
#[inline(always)]
fn sum_backward<A: Sum, const IN: usize, const OUT: usize>(
    zero: A,
    w: &[[Q16; IN]; OUT],
    x: &[Q16; IN],
    dy: &[Q16; OUT],
    gw: &mut [[Q16; IN]; OUT],
    gb: &mut [Q16; OUT],
) -> [Q16; IN] {
    for ((g, gb), d) in gw.iter_mut().zip(gb.iter_mut()).zip(dy) {
        *gb += *d;
        for (g, x) in g.iter_mut().zip(x) {
            *g += A::product(*d, *x);
        }
    }
    sum_backward_input(zero, w, dy)
}

/// Input gradient `k` is the dot product of column `k` of `W` with `dy`, from `zero`.
#[inline(always)]
fn sum_backward_input<A: Sum, const IN: usize, const OUT: usize>(
    zero: A,
    w: &[[Q16; IN]; OUT],
    dy: &[Q16; OUT],
) -> [Q16; IN] {
    let mut dx = [Q16::ZERO; IN];
    for (k, dx) in dx.iter_mut().enumerate() {
        let s = w.iter().zip(dy).fold(zero, |s, (row, d)| {
            s.mul_acc(row.get(k).copied().unwrap_or(Q16::ZERO), *d)
        });
        *dx = s.rounded();
    }
    dx
}

// The other targets' kernels, for values `below` the bound on one side of every product.

/// Every value in `[-2^bits, 2^bits)`, and `bits` not 0.
#[inline(always)]
fn below(bits: u32, values: &[Q16]) -> bool {
    bits != 0 && magnitudes(0, values) >> bits == 0
}

/// An exact sum of products, rounded once, for `|acc| < 2^62`.
#[inline(always)]
fn round(acc: i64) -> Q16 {
    Q16::round_shift(acc.wrapping_add(0x8000))
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

    /// The kernels of an `IN x OUT` layer against the generic ones over `rounds` random
    /// layers, bit for bit; returns how often each fast kernel took the layer (it must
    /// sometimes, and the dispatched kernels always give the generic bits).
    fn check<const IN: usize, const OUT: usize>(rounds: usize, seed: u64) -> [usize; 6] {
        let mut v = Values(seed);
        let mut taken = [0; 6];
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

            let (split_in, split_out) = (split_bits(IN), split_bits(OUT));
            if split_fits(split_in, &w, &x, &[]) {
                assert_eq!(
                    sum_forward(Split::ZERO, &w, &b, &x),
                    want_y,
                    "{IN}x{OUT} split forward"
                );
                taken[0] += 1;
            }
            if below(wide_bits(IN), &x) {
                assert_eq!(
                    sum_forward(Wide(0), &w, &b, &x),
                    want_y,
                    "{IN}x{OUT} wide forward"
                );
                taken[1] += 1;
            }
            if split_fits(split_out, &w, &dy, &[]) {
                assert_eq!(
                    sum_backward_input(Split::ZERO, &w, &dy),
                    want_dx,
                    "{IN}x{OUT} split input"
                );
                taken[2] += 1;
            }
            if below(wide_bits(OUT), &dy) {
                assert_eq!(
                    sum_backward_input(Wide(0), &w, &dy),
                    want_dx,
                    "{IN}x{OUT} wide input"
                );
                taken[3] += 1;
            }
            if split_fits(split_out, &w, &x, &dy) {
                let mut g = g0;
                let dx = sum_backward(Split::ZERO, &w, &x, &dy, &mut g.0, &mut g.1);
                assert_eq!((dx, g), (want_dx, want), "{IN}x{OUT} split backward");
                taken[4] += 1;
            }
            if below(wide_bits(OUT), &dy) {
                let mut g = g0;
                let dx = sum_backward(Wide(0), &w, &x, &dy, &mut g.0, &mut g.1);
                assert_eq!((dx, g), (want_dx, want), "{IN}x{OUT} wide backward");
                taken[5] += 1;
            }
        }
        taken
    }

    /// Every narrow shape the tests reach, both kernels (on every target: they are plain
    /// integer code), bit for bit with the generic kernels; each kernel takes a share of
    /// the layers and refuses the others.
    #[test]
    fn kernels_give_the_generic_bits() {
        let mut all = [0; 6];
        for (i, taken) in [
            check::<3, 3>(20_000, 1),
            check::<3, 1>(20_000, 2),
            check::<1, 3>(20_000, 3),
            check::<2, 5>(10_000, 4),
            check::<7, 3>(10_000, 5),
            check::<5, 1>(10_000, 6),
        ]
        .into_iter()
        .enumerate()
        {
            for (a, t) in all.iter_mut().zip(taken) {
                *a += t;
            }
            assert!(taken.iter().all(|t| *t > 0), "shape {i}: {taken:?}");
        }
        // Taken for some layers and refused for others (the rails and wide values).
        assert!(all.iter().all(|t| *t < 90_000), "{all:?}");
    }

    /// A single product in the wide kernels reaches the top of the i64 range and stays
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
        let big = [Q16(i32::MIN)];
        assert!(below(wide_bits(1), &big));
        assert_eq!(sum_forward(Wide(0), &[big], &[Q16::ZERO], &big), [Q16::MAX]);
        let edge = [Q16(-(1 << 23))];
        assert!(split_fits(split_bits(1), &[edge], &edge, &[]));
        assert!(!split_fits(split_bits(1), &[edge], &[Q16(1 << 23)], &[]));
        assert_eq!(
            sum_forward(Split::ZERO, &[edge], &[Q16::ZERO], &edge),
            [Q16(1 << 30)]
        );
    }
}
