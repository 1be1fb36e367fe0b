//! A whole batch through [`Linear`](super::Linear): matrix-matrix products, every sum in the
//! per-sample kernels' order.
//!
//! [`sample`](super::sample) runs one matrix-vector product per sample, and each sum is a
//! chain the compiler may not reorder: one multiply-add after another. Over a batch the
//! independent sums are many, and these kernels keep a tile of them side by side, so the
//! compiler vectorises across the tile (SSE2's four lanes in a default x86-64 build, eight or
//! sixteen with `-C target-cpu=native`) and each weight or input is loaded once per tile:
//!
//! - **forward**: [`ROWS`] outputs of [`LANES`] samples. The batch is transposed once into a
//!   scratch of `IN x B` values (on the stack, the size of the batch's input), so that the
//!   samples of one input are contiguous; each weight is broadcast across the samples.
//! - **input gradient** `W^T dy`: [`ROWS`] samples of [`COLS`] inputs; rows of `W` are
//!   contiguous, each `dy` broadcast. No packing.
//! - **weight and bias gradients** `dy x^T`: [`ROWS`] outputs of [`COLS`] inputs kept in
//!   registers while the samples pass, in order. No packing.
//!
//! Where the vectors hold 16 `f32` (AVX-512, told by [`dispatch`](crate::layer::dispatch)),
//! those tiles are 4 to 8 sums of one or half a vector, too few to keep two adders busy
//! (each sum waits for its previous add), so the kernels take wide tiles there: the forward
//! pass [`WIDE_ROWS`] outputs of [`WIDE_SAMPLES`] samples (12 vectors of sums) for batches of
//! at least [`WIDE_SAMPLES`], the backward kernels [`ROWS`] samples or rows of [`WIDE_COLS`]
//! inputs (16 vectors) for layers whose inputs are a multiple of [`WIDE_COLS`]. At
//! `256 x 5 - 1`, batch 32, the step took 0.72 to 1.22 ms with them against 1.34 to 1.50 ms
//! without (`bench/README.md`).
//!
//! **The same bits as the samples one by one**, on every instruction set and vector width:
//! every output and every input gradient is summed from zero in index order in
//! [`Scalar::Acc`] (`acc + w * x`, each product and sum rounded, no fused multiply-add), then
//! rounded to `T` (and the bias added), and every weight and bias gradient gets one
//! `g + d * x` per sample, in sample order. A tile changes which sums run side by side, never
//! the order within one. Samples and inputs left over after the tiles take the per-sample
//! kernels or a one-row tile, in the same order.
//!
//! A layer takes these kernels when it has at least [`COLS`] inputs and the batch at least
//! [`LANES`] samples ([`batched`]): a constant, so each layer compiles to one path.

use super::sample::{self, COLS, ROWS};
use crate::number::Scalar;

/// Samples summed side by side by the forward pass.
pub const LANES: usize = 16;

/// The wide tiles, where the instruction set's vectors hold 16 `f32` (AVX-512): the outputs
/// of the forward pass's tile ([`WIDE_SAMPLES`] samples each: 12 vectors of sums)...
pub const WIDE_ROWS: usize = 6;
/// ... its samples ...
pub const WIDE_SAMPLES: usize = 32;
/// ... and the inputs of the backward kernels' tiles ([`ROWS`] samples or rows of them: 16
/// vectors of sums), for layers whose inputs are a multiple of it.
pub const WIDE_COLS: usize = 64;

/// Whether a layer with `inputs` inputs runs a batch of `batch` samples through these
/// kernels (else sample by sample).
pub const fn batched(inputs: usize, batch: usize) -> bool {
    inputs >= COLS && batch >= LANES
}

/// Whether the wide tiles fit: the instruction set's vectors (of `lanes` `f32`) hold
/// [`LANES`] sums of `T` (`f32` under AVX-512; not `f64` or `Q16`'s 64-bit sums, whose wide
/// tiles would need twice the registers there are).
const fn wide<T: Scalar>(lanes: usize) -> bool {
    lanes * size_of::<f32>() >= LANES * size_of::<T::Acc>()
}

/// `y[s] = W x[s] + b` for every sample; `lanes`: see [`dispatch`](crate::layer::dispatch).
#[inline(always)]
pub fn forward<T: Scalar, const IN: usize, const OUT: usize, const B: usize>(
    lanes: usize,
    w: &[[T; IN]; OUT],
    b: &[T; OUT],
    x: &[[T; IN]; B],
    y: &mut [[T; OUT]; B],
) {
    if wide::<T>(lanes) && B >= WIDE_SAMPLES {
        forward_tiles::<T, IN, OUT, B, WIDE_ROWS, 2, WIDE_SAMPLES>(w, b, x, y, dot_6_rows);
    } else {
        let dot = |rows: &_, xt: &_, c| dot_4_rows(rows, xt, c).map(|a| [a]);
        forward_tiles::<T, IN, OUT, B, ROWS, 1, LANES>(w, b, x, y, dot);
    }
}

/// [`forward`] in tiles of `R` outputs of `S` samples (`H` blocks of [`LANES`]), each summed
/// by `dot` (rows after the tiles one by one, samples after the tiles sample by sample).
#[inline(always)]
fn forward_tiles<
    T: Scalar,
    const IN: usize,
    const OUT: usize,
    const B: usize,
    const R: usize,
    const H: usize,
    const S: usize,
>(
    w: &[[T; IN]; OUT],
    b: &[T; OUT],
    x: &[[T; IN]; B],
    y: &mut [[T; OUT]; B],
    dot: impl Fn(&[[T; IN]; R], &[[T; B]; IN], usize) -> [[[T::Acc; LANES]; H]; R],
) {
    const { assert!(S == H * LANES) };
    // The batch transposed: `xt[k]` holds input `k` of every sample.
    let mut xt = [[T::ZERO; B]; IN];
    for (s, xs) in x.iter().enumerate() {
        for (row, v) in xt.iter_mut().zip(xs) {
            if let Some(t) = row.get_mut(s) {
                *t = *v;
            }
        }
    }
    let (wr, w_rest) = w.as_chunks::<R>();
    let (br, b_rest) = b.as_chunks::<R>();
    let (ys, y_rest) = y.as_chunks_mut::<S>();
    for (c, ys) in ys.iter_mut().enumerate() {
        for (r, (rows, bs)) in wr.iter().zip(br).enumerate() {
            let acc = dot(rows, &xt, c);
            for (j, y) in ys.iter_mut().enumerate() {
                let Some(out) = y.as_chunks_mut::<R>().0.get_mut(r) else {
                    continue;
                };
                for ((o, a), b) in out.iter_mut().zip(&acc).zip(bs) {
                    if let Some(a) = a.as_flattened().get(j) {
                        *o = T::from_acc(*a) + *b;
                    }
                }
            }
        }
        let head = OUT - w_rest.len();
        for (r, (row, b)) in w_rest.iter().zip(b_rest).enumerate() {
            let acc = dot_row::<T, IN, B, H>(row, &xt, c);
            for (y, a) in ys.iter_mut().zip(acc.as_flattened()) {
                if let Some(o) = y.get_mut(head + r) {
                    *o = T::from_acc(*a) + *b;
                }
            }
        }
    }
    let head = B - y_rest.len();
    for (y, x) in y_rest.iter_mut().zip(x.iter().skip(head)) {
        *y = sample::forward(w, b, x);
    }
}

/// Adds `dy[s] x[s]^T` of every sample into `gw` and `dy[s]` into `gb`, in sample order;
/// `lanes`: see [`dispatch`](crate::layer::dispatch).
#[inline(always)]
pub fn backward_params<T: Scalar, const IN: usize, const OUT: usize, const B: usize>(
    lanes: usize,
    x: &[[T; IN]; B],
    dy: &[[T; OUT]; B],
    gw: &mut [[T; IN]; OUT],
    gb: &mut [T; OUT],
) {
    if wide::<T>(lanes) && IN.is_multiple_of(WIDE_COLS) {
        backward_params_wide(x, dy, gw);
    } else {
        backward_params_tiles(x, dy, gw);
    }
    for dy in dy {
        for (g, d) in gb.iter_mut().zip(dy) {
            *g += *d;
        }
    }
}

/// The weight gradients of [`backward_params`] in tiles of [`ROWS`] rows of [`COLS`] inputs,
/// kept in registers while the samples pass in order.
#[inline(always)]
fn backward_params_tiles<T: Scalar, const IN: usize, const OUT: usize, const B: usize>(
    x: &[[T; IN]; B],
    dy: &[[T; OUT]; B],
    gw: &mut [[T; IN]; OUT],
) {
    let (g4, g_rest) = gw.as_chunks_mut::<ROWS>();
    for (r, rows) in g4.iter_mut().enumerate() {
        let [g0, g1, g2, g3] = rows;
        let (c0, t0) = g0.as_chunks_mut::<COLS>();
        let (c1, t1) = g1.as_chunks_mut::<COLS>();
        let (c2, t2) = g2.as_chunks_mut::<COLS>();
        let (c3, t3) = g3.as_chunks_mut::<COLS>();
        for (c, (((g0, g1), g2), g3)) in c0.iter_mut().zip(c1).zip(c2).zip(c3).enumerate() {
            let mut acc = [*g0, *g1, *g2, *g3];
            for (x, dy) in x.iter().zip(dy) {
                let (Some(xs), Some([d0, d1, d2, d3])) =
                    (chunk(x, c), dy.as_chunks::<ROWS>().0.get(r))
                else {
                    continue;
                };
                let [a0, a1, a2, a3] = &mut acc;
                outer_lanes(*d0, xs, a0);
                outer_lanes(*d1, xs, a1);
                outer_lanes(*d2, xs, a2);
                outer_lanes(*d3, xs, a3);
            }
            [*g0, *g1, *g2, *g3] = acc;
        }
        let head = IN - t0.len();
        for (x, dy) in x.iter().zip(dy) {
            let (Some(xs), Some([d0, d1, d2, d3])) =
                (x.get(head..), dy.as_chunks::<ROWS>().0.get(r))
            else {
                continue;
            };
            sample::outer(*d0, xs, t0);
            sample::outer(*d1, xs, t1);
            sample::outer(*d2, xs, t2);
            sample::outer(*d3, xs, t3);
        }
    }
    let first = OUT - g_rest.len();
    for (r, g) in g_rest.iter_mut().enumerate() {
        let (cs, tail) = g.as_chunks_mut::<COLS>();
        for (c, g) in cs.iter_mut().enumerate() {
            let mut acc = *g;
            for (x, dy) in x.iter().zip(dy) {
                if let (Some(xs), Some(d)) = (chunk(x, c), dy.get(first + r)) {
                    outer_lanes(*d, xs, &mut acc);
                }
            }
            *g = acc;
        }
        let head = IN - tail.len();
        for (x, dy) in x.iter().zip(dy) {
            if let (Some(xs), Some(d)) = (x.get(head..), dy.get(first + r)) {
                sample::outer(*d, xs, tail);
            }
        }
    }
}

/// [`backward_params_tiles`] in tiles of [`ROWS`] rows of [`WIDE_COLS`] inputs (four blocks of
/// [`LANES`]), for layers whose inputs are a multiple of [`WIDE_COLS`].
#[inline(always)]
fn backward_params_wide<T: Scalar, const IN: usize, const OUT: usize, const B: usize>(
    x: &[[T; IN]; B],
    dy: &[[T; OUT]; B],
    gw: &mut [[T; IN]; OUT],
) {
    let (g4, g_rest) = gw.as_chunks_mut::<ROWS>();
    for (r, [g0, g1, g2, g3]) in g4.iter_mut().enumerate() {
        for c in 0..IN / WIDE_COLS {
            let (Some(q0), Some(q1), Some(q2), Some(q3)) = (
                blocks_mut(g0, c),
                blocks_mut(g1, c),
                blocks_mut(g2, c),
                blocks_mut(g3, c),
            ) else {
                continue;
            };
            let mut acc = [*q0, *q1, *q2, *q3];
            for (x, dy) in x.iter().zip(dy) {
                let (Some(xs), Some([d0, d1, d2, d3])) =
                    (blocks(x, c), dy.as_chunks::<ROWS>().0.get(r))
                else {
                    continue;
                };
                let [a0, a1, a2, a3] = &mut acc;
                outer_blocks(*d0, xs, a0);
                outer_blocks(*d1, xs, a1);
                outer_blocks(*d2, xs, a2);
                outer_blocks(*d3, xs, a3);
            }
            [*q0, *q1, *q2, *q3] = acc;
        }
    }
    let first = OUT - g_rest.len();
    for (r, g) in g_rest.iter_mut().enumerate() {
        for c in 0..IN / WIDE_COLS {
            let Some(q) = blocks_mut(g, c) else {
                continue;
            };
            let mut acc = *q;
            for (x, dy) in x.iter().zip(dy) {
                if let (Some(xs), Some(d)) = (blocks(x, c), dy.get(first + r)) {
                    outer_blocks(*d, xs, &mut acc);
                }
            }
            *q = acc;
        }
    }
}

/// The input gradients `dx[s] = W^T dy[s]` of every sample; `lanes`: see
/// [`dispatch`](crate::layer::dispatch).
#[inline(always)]
pub fn backward_input<T: Scalar, const IN: usize, const OUT: usize, const B: usize>(
    lanes: usize,
    w: &[[T; IN]; OUT],
    dy: &[[T; OUT]; B],
    dx: &mut [[T; IN]; B],
) {
    if wide::<T>(lanes) && IN.is_multiple_of(WIDE_COLS) {
        backward_input_wide(w, dy, dx);
    } else {
        backward_input_tiles(w, dy, dx);
    }
}

/// [`backward_input`] in tiles of [`ROWS`] samples of [`COLS`] inputs; rows of `W` are
/// contiguous, each `dy` broadcast.
#[inline(always)]
fn backward_input_tiles<T: Scalar, const IN: usize, const OUT: usize, const B: usize>(
    w: &[[T; IN]; OUT],
    dy: &[[T; OUT]; B],
    dx: &mut [[T; IN]; B],
) {
    let (dy4, dy_rest) = dy.as_chunks::<ROWS>();
    let (dx4, dx_rest) = dx.as_chunks_mut::<ROWS>();
    for (ds, xs) in dy4.iter().zip(dx4) {
        let [d0, d1, d2, d3] = ds;
        let [x0, x1, x2, x3] = xs;
        let (c0, t0) = x0.as_chunks_mut::<COLS>();
        let (c1, t1) = x1.as_chunks_mut::<COLS>();
        let (c2, t2) = x2.as_chunks_mut::<COLS>();
        let (c3, t3) = x3.as_chunks_mut::<COLS>();
        for (c, (((x0, x1), x2), x3)) in c0.iter_mut().zip(c1).zip(c2).zip(c3).enumerate() {
            let mut acc = [[T::ACC_ZERO; COLS]; ROWS];
            for ((((w, d0), d1), d2), d3) in w.iter().zip(d0).zip(d1).zip(d2).zip(d3) {
                let Some(w) = chunk(w, c) else {
                    continue;
                };
                let [a0, a1, a2, a3] = &mut acc;
                transpose_lanes(*d0, w, a0);
                transpose_lanes(*d1, w, a1);
                transpose_lanes(*d2, w, a2);
                transpose_lanes(*d3, w, a3);
            }
            let [a0, a1, a2, a3] = acc;
            *x0 = a0.map(T::from_acc);
            *x1 = a1.map(T::from_acc);
            *x2 = a2.map(T::from_acc);
            *x3 = a3.map(T::from_acc);
        }
        let head = IN - t0.len();
        for (d, t) in [(d0, t0), (d1, t1), (d2, t2), (d3, t3)] {
            tail_input(w, d, head, t);
        }
    }
    for (d, x) in dy_rest.iter().zip(dx_rest) {
        *x = sample::backward_input(w, d);
    }
}

/// [`backward_input_tiles`] in tiles of [`ROWS`] samples of [`WIDE_COLS`] inputs (four blocks
/// of [`LANES`]), for layers whose inputs are a multiple of [`WIDE_COLS`].
#[inline(always)]
fn backward_input_wide<T: Scalar, const IN: usize, const OUT: usize, const B: usize>(
    w: &[[T; IN]; OUT],
    dy: &[[T; OUT]; B],
    dx: &mut [[T; IN]; B],
) {
    let (dy4, dy_rest) = dy.as_chunks::<ROWS>();
    let (dx4, dx_rest) = dx.as_chunks_mut::<ROWS>();
    for ([d0, d1, d2, d3], [x0, x1, x2, x3]) in dy4.iter().zip(dx4) {
        for c in 0..IN / WIDE_COLS {
            let mut acc = [[[T::ACC_ZERO; LANES]; 4]; ROWS];
            for ((((w, d0), d1), d2), d3) in w.iter().zip(d0).zip(d1).zip(d2).zip(d3) {
                let Some(w) = blocks(w, c) else {
                    continue;
                };
                let [a0, a1, a2, a3] = &mut acc;
                transpose_blocks(*d0, w, a0);
                transpose_blocks(*d1, w, a1);
                transpose_blocks(*d2, w, a2);
                transpose_blocks(*d3, w, a3);
            }
            for (x, a) in [&mut *x0, &mut *x1, &mut *x2, &mut *x3]
                .into_iter()
                .zip(acc)
            {
                if let Some(x) = blocks_mut(x, c) {
                    *x = a.map(|a| a.map(T::from_acc));
                }
            }
        }
    }
    for (d, x) in dy_rest.iter().zip(dx_rest) {
        *x = sample::backward_input(w, d);
    }
}

/// Input gradients `head..IN` of one sample (fewer than [`COLS`]), one sum after another.
#[inline(always)]
fn tail_input<T: Scalar, const IN: usize, const OUT: usize>(
    w: &[[T; IN]; OUT],
    dy: &[T; OUT],
    head: usize,
    dx: &mut [T],
) {
    let mut acc = [T::ACC_ZERO; COLS];
    let Some(acc) = acc.get_mut(..dx.len()).filter(|a| !a.is_empty()) else {
        return;
    };
    for (w, d) in w.iter().zip(dy) {
        if let Some(w) = w.get(head..) {
            sample::transpose(*d, w, acc);
        }
    }
    for (x, a) in dx.iter_mut().zip(acc) {
        *x = T::from_acc(*a);
    }
}

/// Block `c` of `N` values of a row.
#[inline(always)]
fn chunk<T, const N: usize, const L: usize>(row: &[T; L], c: usize) -> Option<&[T; N]> {
    row.as_chunks::<N>().0.get(c)
}

/// Block `c` of `H` blocks of [`LANES`] values of a row: a wide tile's values, as blocks of
/// one vector each. Written as blocks (and the blocks' operations written out) because the
/// compiler unrolls a loop of [`LANES`] early enough to keep the sums in registers, but
/// vectorised a loop of [`WIDE_COLS`] late, with every sum on the stack.
#[inline(always)]
fn blocks<T, const H: usize, const L: usize>(row: &[T; L], c: usize) -> Option<&[[T; LANES]; H]> {
    row.as_chunks::<LANES>().0.get(c * H..)?.first_chunk::<H>()
}

/// [`blocks`], mutably.
#[inline(always)]
fn blocks_mut<T, const H: usize, const L: usize>(
    row: &mut [T; L],
    c: usize,
) -> Option<&mut [[T; LANES]; H]> {
    row.as_chunks_mut::<LANES>()
        .0
        .get_mut(c * H..)?
        .first_chunk_mut::<H>()
}

/// The sums `w_r . x[s]` of [`ROWS`] rows for the [`LANES`] samples of block `c`, each from
/// zero in index order: `xt` is the batch transposed. The rows are written out: as a loop
/// over a constant number of rows, the compiler vectorised across the rows, with a gather
/// and a scatter per input, instead of across the samples.
#[inline(always)]
fn dot_4_rows<T: Scalar, const IN: usize, const B: usize>(
    rows: &[[T; IN]; ROWS],
    xt: &[[T; B]; IN],
    c: usize,
) -> [[T::Acc; LANES]; ROWS] {
    let [r0, r1, r2, r3] = rows;
    let mut acc = [[T::ACC_ZERO; LANES]; ROWS];
    for ((((x, w0), w1), w2), w3) in xt.iter().zip(r0).zip(r1).zip(r2).zip(r3) {
        let Some(x) = chunk::<T, LANES, B>(x, c) else {
            continue;
        };
        let [a0, a1, a2, a3] = &mut acc;
        mul_acc_lanes(*w0, x, a0);
        mul_acc_lanes(*w1, x, a1);
        mul_acc_lanes(*w2, x, a2);
        mul_acc_lanes(*w3, x, a3);
    }
    acc
}

/// [`dot_4_rows`] for [`WIDE_ROWS`] rows of [`WIDE_SAMPLES`] samples (two blocks of
/// [`LANES`]).
#[inline(always)]
fn dot_6_rows<T: Scalar, const IN: usize, const B: usize>(
    rows: &[[T; IN]; WIDE_ROWS],
    xt: &[[T; B]; IN],
    c: usize,
) -> [[[T::Acc; LANES]; 2]; WIDE_ROWS] {
    let [r0, r1, r2, r3, r4, r5] = rows;
    let mut acc = [[[T::ACC_ZERO; LANES]; 2]; WIDE_ROWS];
    let ws = xt.iter().zip(r0).zip(r1).zip(r2).zip(r3).zip(r4).zip(r5);
    for ((((((x, w0), w1), w2), w3), w4), w5) in ws {
        let Some([x0, x1]) = blocks::<T, 2, B>(x, c) else {
            continue;
        };
        let [[a00, a01], [a10, a11], [a20, a21], [a30, a31], [a40, a41], [a50, a51]] = &mut acc;
        mul_acc_lanes(*w0, x0, a00);
        mul_acc_lanes(*w0, x1, a01);
        mul_acc_lanes(*w1, x0, a10);
        mul_acc_lanes(*w1, x1, a11);
        mul_acc_lanes(*w2, x0, a20);
        mul_acc_lanes(*w2, x1, a21);
        mul_acc_lanes(*w3, x0, a30);
        mul_acc_lanes(*w3, x1, a31);
        mul_acc_lanes(*w4, x0, a40);
        mul_acc_lanes(*w4, x1, a41);
        mul_acc_lanes(*w5, x0, a50);
        mul_acc_lanes(*w5, x1, a51);
    }
    acc
}

/// The sums of one row for the `H` blocks of [`LANES`] samples of block `c`.
#[inline(always)]
fn dot_row<T: Scalar, const IN: usize, const B: usize, const H: usize>(
    row: &[T; IN],
    xt: &[[T; B]; IN],
    c: usize,
) -> [[T::Acc; LANES]; H] {
    let mut acc = [[T::ACC_ZERO; LANES]; H];
    for (x, w) in xt.iter().zip(row) {
        if let Some(x) = blocks::<T, H, B>(x, c) {
            for (a, x) in acc.iter_mut().zip(x) {
                mul_acc_lanes(*w, x, a);
            }
        }
    }
    acc
}

/// `acc[j] + w * x[j]` for each lane.
#[inline(always)]
fn mul_acc_lanes<T: Scalar, const S: usize>(w: T, x: &[T; S], acc: &mut [T::Acc; S]) {
    for (a, x) in acc.iter_mut().zip(x) {
        *a = T::mul_acc(*a, w, *x);
    }
}

/// One output's share of the input gradient over one block: `dx[j] + w[j] * d`.
#[inline(always)]
fn transpose_lanes<T: Scalar, const C: usize>(d: T, w: &[T; C], dx: &mut [T::Acc; C]) {
    for (a, w) in dx.iter_mut().zip(w) {
        *a = T::mul_acc(*a, *w, d);
    }
}

/// [`transpose_lanes`] over four blocks, written out.
#[inline(always)]
fn transpose_blocks<T: Scalar>(d: T, w: &[[T; LANES]; 4], dx: &mut [[T::Acc; LANES]; 4]) {
    let ([w0, w1, w2, w3], [a0, a1, a2, a3]) = (w, dx);
    transpose_lanes(d, w0, a0);
    transpose_lanes(d, w1, a1);
    transpose_lanes(d, w2, a2);
    transpose_lanes(d, w3, a3);
}

/// One output's share of the weight gradient over one block: `gw[j] + d * x[j]`.
#[inline(always)]
fn outer_lanes<T: Scalar, const C: usize>(d: T, x: &[T; C], gw: &mut [T; C]) {
    for (g, x) in gw.iter_mut().zip(x) {
        *g += d.mul_in_line(*x);
    }
}

/// [`outer_lanes`] over four blocks, written out.
#[inline(always)]
fn outer_blocks<T: Scalar>(d: T, x: &[[T; LANES]; 4], gw: &mut [[T; LANES]; 4]) {
    let ([x0, x1, x2, x3], [g0, g1, g2, g3]) = (x, gw);
    outer_lanes(d, x0, g0);
    outer_lanes(d, x1, g1);
    outer_lanes(d, x2, g2);
    outer_lanes(d, x3, g3);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A value whose sums round differently in another order, from a position and a seed.
    fn value(i: usize, seed: f32) -> f32 {
        let k = i as f32 + seed;
        (seed * k).sin() * 10f32.powi(i as i32 % 5 - 2) + 1e-3 * k
    }

    fn bits<const N: usize>(v: [f32; N]) -> [u32; N] {
        v.map(f32::to_bits)
    }

    /// Every shape and batch size, with and without remainders after the tiles, in the
    /// narrow tiles (4 or 8 lanes) and the wide ones (16): the batch kernels give the
    /// per-sample kernels' bits (outputs, input gradients, and parameter gradients accumulated
    /// over the batch in sample order, onto gradients already there).
    #[test]
    fn every_shape_gives_the_per_sample_bits() {
        fn check<const IN: usize, const OUT: usize, const B: usize>() {
            let w: [[f32; IN]; OUT] =
                core::array::from_fn(|j| core::array::from_fn(|i| value(i * OUT + j, 0.7)));
            let b: [f32; OUT] = core::array::from_fn(|j| value(j, 1.9));
            let x: [[f32; IN]; B] =
                core::array::from_fn(|s| core::array::from_fn(|i| value(i + 3 * s, 1.3)));
            let dy: [[f32; OUT]; B] =
                core::array::from_fn(|s| core::array::from_fn(|j| value(j + 5 * s, -2.1)));
            let g0: [[f32; IN]; OUT] =
                core::array::from_fn(|j| core::array::from_fn(|i| value(i + j, 0.3)));
            let gb0: [f32; OUT] = core::array::from_fn(|j| value(j, 0.9));

            let (mut gw, mut gb) = (g0, gb0);
            let mut want_y = [[0.0; OUT]; B];
            let mut want_dx = [[0.0; IN]; B];
            for (s, (x, dy)) in x.iter().zip(&dy).enumerate() {
                if let (Some(y), Some(dx)) = (want_y.get_mut(s), want_dx.get_mut(s)) {
                    *y = sample::forward(&w, &b, x);
                    *dx = sample::backward(&w, x, dy, &mut gw, &mut gb);
                }
            }
            for lanes in [4, 8, 16] {
                let mut y = [[0.0; OUT]; B];
                forward(lanes, &w, &b, &x, &mut y);
                assert_eq!(
                    y.map(bits),
                    want_y.map(bits),
                    "{IN}x{OUT}, batch {B}, {lanes}: y"
                );
                let mut dx = [[0.0; IN]; B];
                backward_input(lanes, &w, &dy, &mut dx);
                assert_eq!(
                    dx.map(bits),
                    want_dx.map(bits),
                    "{IN}x{OUT}, batch {B}, {lanes}: dx"
                );
                let (mut got_w, mut got_b) = (g0, gb0);
                backward_params(lanes, &x, &dy, &mut got_w, &mut got_b);
                assert_eq!(
                    got_w.map(bits),
                    gw.map(bits),
                    "{IN}x{OUT}, batch {B}, {lanes}: gw"
                );
                assert_eq!(bits(got_b), bits(gb), "{IN}x{OUT}, batch {B}, {lanes}: gb");
            }
        }
        check::<8, 4, 8>();
        check::<8, 1, 8>();
        check::<9, 5, 9>();
        check::<17, 7, 13>();
        check::<23, 13, 16>();
        check::<32, 10, 17>();
        check::<64, 32, 32>();
        check::<65, 3, 35>();
        check::<16, 16, 3>();
        check::<3, 3, 8>();
        // The wide tiles with their remainders: rows after the 6-row tiles, samples after the
        // 32-sample tiles, inputs past a multiple of 64 (narrow tiles) and exactly 128.
        check::<64, 13, 33>();
        check::<128, 7, 40>();
        check::<128, 1, 32>();
        check::<71, 6, 64>();
        check::<192, 17, 37>();
        assert!(batched(8, 16) && !batched(7, 32) && !batched(64, 15));
    }
}
