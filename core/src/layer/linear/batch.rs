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

/// Whether a layer with `inputs` inputs runs a batch of `batch` samples through these
/// kernels (else sample by sample).
pub const fn batched(inputs: usize, batch: usize) -> bool {
    inputs >= COLS && batch >= LANES
}

/// `y[s] = W x[s] + b` for every sample.
#[inline(always)]
pub fn forward<T: Scalar, const IN: usize, const OUT: usize, const B: usize>(
    w: &[[T; IN]; OUT],
    b: &[T; OUT],
    x: &[[T; IN]; B],
    y: &mut [[T; OUT]; B],
) {
    // The batch transposed: `xt[k]` holds input `k` of every sample.
    let mut xt = [[T::ZERO; B]; IN];
    for (s, xs) in x.iter().enumerate() {
        for (row, v) in xt.iter_mut().zip(xs) {
            if let Some(t) = row.get_mut(s) {
                *t = *v;
            }
        }
    }
    let (w4, w_rest) = w.as_chunks::<ROWS>();
    let (b4, b_rest) = b.as_chunks::<ROWS>();
    let (y8, y_rest) = y.as_chunks_mut::<LANES>();
    for (c, ys) in y8.iter_mut().enumerate() {
        for (r, (rows, bs)) in w4.iter().zip(b4).enumerate() {
            let acc = dot_rows_lanes(rows, &xt, c);
            for (j, y) in ys.iter_mut().enumerate() {
                let Some(out) = y.as_chunks_mut::<ROWS>().0.get_mut(r) else {
                    continue;
                };
                for ((o, a), b) in out.iter_mut().zip(&acc).zip(bs) {
                    if let Some(a) = a.get(j) {
                        *o = T::from_acc(*a) + *b;
                    }
                }
            }
        }
        let head = OUT - w_rest.len();
        for (r, (row, b)) in w_rest.iter().zip(b_rest).enumerate() {
            let acc = dot_row_lanes(row, &xt, c);
            for (y, a) in ys.iter_mut().zip(acc) {
                if let Some(o) = y.get_mut(head + r) {
                    *o = T::from_acc(a) + *b;
                }
            }
        }
    }
    let head = B - y_rest.len();
    for (y, x) in y_rest.iter_mut().zip(x.iter().skip(head)) {
        *y = sample::forward(w, b, x);
    }
}

/// Adds `dy[s] x[s]^T` of every sample into `gw` and `dy[s]` into `gb`, in sample order.
#[inline(always)]
pub fn backward_params<T: Scalar, const IN: usize, const OUT: usize, const B: usize>(
    x: &[[T; IN]; B],
    dy: &[[T; OUT]; B],
    gw: &mut [[T; IN]; OUT],
    gb: &mut [T; OUT],
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
                let (Some(xs), Some(ds)) = (chunk(x, c), dy.as_chunks::<ROWS>().0.get(r)) else {
                    continue;
                };
                for (a, d) in acc.iter_mut().zip(ds) {
                    outer_lanes(*d, xs, a);
                }
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
    for dy in dy {
        for (g, d) in gb.iter_mut().zip(dy) {
            *g += *d;
        }
    }
}

/// The input gradients `dx[s] = W^T dy[s]` of every sample.
#[inline(always)]
pub fn backward_input<T: Scalar, const IN: usize, const OUT: usize, const B: usize>(
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

/// Input gradients `head..IN` of one sample, one sum after another.
#[inline(always)]
fn tail_input<T: Scalar, const IN: usize, const OUT: usize>(
    w: &[[T; IN]; OUT],
    dy: &[T; OUT],
    head: usize,
    dx: &mut [T],
) {
    let mut acc = [T::ACC_ZERO; COLS];
    let Some(acc) = acc.get_mut(..dx.len()) else {
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

/// The sums `w_r . x[s]` of [`ROWS`] rows for the [`LANES`] samples of block `c`, each from
/// zero in index order: `xt` is the batch transposed.
#[inline(always)]
fn dot_rows_lanes<T: Scalar, const IN: usize, const B: usize>(
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

/// [`dot_rows_lanes`] for one row.
#[inline(always)]
fn dot_row_lanes<T: Scalar, const IN: usize, const B: usize>(
    row: &[T; IN],
    xt: &[[T; B]; IN],
    c: usize,
) -> [T::Acc; LANES] {
    let mut acc = [T::ACC_ZERO; LANES];
    for (x, w) in xt.iter().zip(row) {
        if let Some(x) = chunk::<T, LANES, B>(x, c) {
            mul_acc_lanes(*w, x, &mut acc);
        }
    }
    acc
}

/// `acc[j] + w * x[j]` for each lane.
#[inline(always)]
fn mul_acc_lanes<T: Scalar>(w: T, x: &[T; LANES], acc: &mut [T::Acc; LANES]) {
    for (a, x) in acc.iter_mut().zip(x) {
        *a = T::mul_acc(*a, w, *x);
    }
}

/// One output's share of the input gradient over one block: `dx[j] + w[j] * d`.
#[inline(always)]
fn transpose_lanes<T: Scalar>(d: T, w: &[T; COLS], dx: &mut [T::Acc; COLS]) {
    for (a, w) in dx.iter_mut().zip(w) {
        *a = T::mul_acc(*a, *w, d);
    }
}

/// One output's share of the weight gradient over one block: `gw[j] + d * x[j]`.
#[inline(always)]
fn outer_lanes<T: Scalar>(d: T, x: &[T; COLS], gw: &mut [T; COLS]) {
    for (g, x) in gw.iter_mut().zip(x) {
        *g += d * *x;
    }
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

    /// Every shape and batch size, with and without remainders after the tiles: the batch
    /// kernels give the per-sample kernels' bits (outputs, input gradients, and parameter
    /// gradients accumulated over the batch in sample order, onto gradients already there).
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
            let mut want_dx = [[0.0; IN]; B];
            let mut y = [[0.0; OUT]; B];
            forward(&w, &b, &x, &mut y);
            for (s, ((x, dy), (y, dx))) in x
                .iter()
                .zip(&dy)
                .zip(y.iter().zip(&mut want_dx))
                .enumerate()
            {
                let want = sample::forward(&w, &b, x);
                assert_eq!(bits(*y), bits(want), "{IN}x{OUT}, batch {B}: forward {s}");
                *dx = sample::backward(&w, x, dy, &mut gw, &mut gb);
            }
            let mut dx = [[0.0; IN]; B];
            backward_input(&w, &dy, &mut dx);
            assert_eq!(dx.map(bits), want_dx.map(bits), "{IN}x{OUT}, batch {B}: dx");
            let (mut got_w, mut got_b) = (g0, gb0);
            backward_params(&x, &dy, &mut got_w, &mut got_b);
            assert_eq!(got_w.map(bits), gw.map(bits), "{IN}x{OUT}, batch {B}: gw");
            assert_eq!(bits(got_b), bits(gb), "{IN}x{OUT}, batch {B}: gb");
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
        assert!(batched(8, 16) && !batched(7, 32) && !batched(64, 15));
    }
}
