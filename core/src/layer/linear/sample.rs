//! One sample through [`Linear`](super::Linear): matrix-vector products, every sum in index
//! order.
//!
//! Two families of kernels, chosen at compile time from the layer's shape (the choice is a
//! constant, so a layer compiles to one of them):
//!
//! - **narrow** (fewer than [`COLS`] inputs or [`ROWS`] outputs: the notebook's 3-wide
//!   layers): three elements per loop turn, written out. Compilers optimising for size
//!   (opt-level "s", the firmware's) never unroll a loop, and a 3-wide layer then runs
//!   straight-line code.
//! - **blocked** (the digits network's 64-32-32-10, and wider): register blocking. The
//!   forward pass sums [`ROWS`] outputs at once, so each input is loaded once for four
//!   outputs; the backward pass keeps [`COLS`] inputs and their input-gradient sums in
//!   registers while it walks the outputs, so each weight is loaded once for both of its
//!   products and each weight gradient is loaded, added to and stored once. Blocks are
//!   written out for the same reason as above. On a Cortex-M4F a multiply-accumulate then
//!   costs about 2.4 instructions in the forward pass (a load and a `vmla` per weight) and
//!   about 2.9 in the fused backward pass (against about 4.3 and 4 for the narrow kernels).
//!
//! Both give the same bits: every output and every input gradient is summed from zero in
//! index order in [`Scalar::Acc`] (`acc + w * x`, each product and sum rounded, no fused
//! multiply-add), and every weight gradient gets one `g + d * x` per sample. Blocking changes
//! which sums run side by side, never the order within one.

use crate::number::Scalar;

/// Outputs summed side by side by the blocked forward pass.
pub const ROWS: usize = 4;
/// Inputs kept in registers by the blocked kernels.
pub const COLS: usize = 8;

/// Whether a layer with `inputs` inputs and `outputs` outputs takes the blocked kernels.
pub const fn blocked(inputs: usize, outputs: usize) -> bool {
    inputs >= COLS && outputs >= ROWS
}

/// `W x + b`.
#[inline(always)]
pub fn forward<T: Scalar, const IN: usize, const OUT: usize>(
    w: &[[T; IN]; OUT],
    b: &[T; OUT],
    x: &[T; IN],
) -> [T; OUT] {
    if blocked(IN, OUT) {
        return forward_blocked(w, b, x);
    }
    T::linear_forward(w, b, x)
}

/// [`forward`] of a narrow layer, one multiply-accumulate at a time: the default of
/// [`Scalar::linear_forward`].
#[inline(always)]
pub fn narrow_forward<T: Scalar, const IN: usize, const OUT: usize>(
    w: &[[T; IN]; OUT],
    b: &[T; OUT],
    x: &[T; IN],
) -> [T; OUT] {
    let mut y = [T::ZERO; OUT];
    for ((y, w), b) in y.iter_mut().zip(w).zip(b) {
        *y = T::from_acc(dot(w, x)) + *b;
    }
    y
}

/// [`forward`] of a blocked layer. Out of line, like every blocked kernel: inlined into a
/// whole network's step, a layer's weights sit thousands of bytes from the model's start,
/// beyond the reach of a Cortex-M's load offsets (1,020 bytes for `vldr`), and the compiler
/// then computes and spills an address per weight (about twice the instructions per
/// multiply-accumulate of the first layer); called, the weights are a pointer of their own.
///
/// Only where floats are in hardware (`eabihf`: the Cortex-M4F and M33). Without an FPU
/// (the Cortex-M0, RV32IMAC) every product is a call into the float library, the loads'
/// reach does not matter, and the call costs more than it saves: out of line, the Cortex-M0's
/// digits adaptation step took 1,039,067 instructions, inlined 969,835 (same bits).
#[cfg_attr(target_abi = "eabihf", inline(never))]
#[cfg_attr(not(target_abi = "eabihf"), inline(always))]
fn forward_blocked<T: Scalar, const IN: usize, const OUT: usize>(
    w: &[[T; IN]; OUT],
    b: &[T; OUT],
    x: &[T; IN],
) -> [T; OUT] {
    let mut y = [T::ZERO; OUT];
    let (w4, w_rest) = w.as_chunks::<ROWS>();
    let (y4, y_rest) = y.as_chunks_mut::<ROWS>();
    let (b4, b_rest) = b.as_chunks::<ROWS>();
    for ((rows, ys), bs) in w4.iter().zip(y4).zip(b4) {
        for ((y, acc), b) in ys.iter_mut().zip(dot_rows(rows, x)).zip(bs) {
            *y = T::from_acc(acc) + *b;
        }
    }
    for ((y, w), b) in y_rest.iter_mut().zip(w_rest).zip(b_rest) {
        *y = T::from_acc(dot(w, x)) + *b;
    }
    y
}

/// The backward pass of one sample: adds `dy x^T` into `gw` and `dy` into `gb`, and returns
/// the input gradient `W^T dy`.
#[inline(always)]
pub fn backward<T: Scalar, const IN: usize, const OUT: usize>(
    w: &[[T; IN]; OUT],
    x: &[T; IN],
    dy: &[T; OUT],
    gw: &mut [[T; IN]; OUT],
    gb: &mut [T; OUT],
) -> [T; IN] {
    if blocked(IN, OUT) {
        return backward_blocked(w, x, dy, gw, gb);
    }
    T::linear_backward(w, x, dy, gw, gb)
}

/// [`backward`] of a narrow layer, one multiply-accumulate at a time: the default of
/// [`Scalar::linear_backward`].
#[inline(always)]
pub fn narrow_backward<T: Scalar, const IN: usize, const OUT: usize>(
    w: &[[T; IN]; OUT],
    x: &[T; IN],
    dy: &[T; OUT],
    gw: &mut [[T; IN]; OUT],
    gb: &mut [T; OUT],
) -> [T; IN] {
    let mut dx = [T::ACC_ZERO; IN];
    for (((w, g), gb), d) in w.iter().zip(gw.iter_mut()).zip(gb.iter_mut()).zip(dy) {
        *gb += *d;
        outer_and_transpose(*d, w, x, g, &mut dx);
    }
    dx.map(T::from_acc)
}

/// [`backward`] of a blocked layer, out of line where floats are in hardware (see
/// [`forward_blocked`]).
#[cfg_attr(target_abi = "eabihf", inline(never))]
#[cfg_attr(not(target_abi = "eabihf"), inline(always))]
fn backward_blocked<T: Scalar, const IN: usize, const OUT: usize>(
    w: &[[T; IN]; OUT],
    x: &[T; IN],
    dy: &[T; OUT],
    gw: &mut [[T; IN]; OUT],
    gb: &mut [T; OUT],
) -> [T; IN] {
    let mut dx = [T::ACC_ZERO; IN];
    let (x8, x_rest) = x.as_chunks::<COLS>();
    let (dx8, dx_rest) = dx.as_chunks_mut::<COLS>();
    for (c, (xs, dxs)) in x8.iter().zip(dx8).enumerate() {
        let mut acc = [T::ACC_ZERO; COLS];
        for ((w, g), d) in w.iter().zip(gw.iter_mut()).zip(dy) {
            let (Some(w), Some(g)) = (chunk(w, c), chunk_mut(g, c)) else {
                continue;
            };
            acc = outer_and_transpose_cols(*d, w, xs, g, acc);
        }
        *dxs = acc;
    }
    let head = IN - x_rest.len();
    for ((w, g), d) in w.iter().zip(gw.iter_mut()).zip(dy) {
        if let (Some(w), Some(g)) = (w.get(head..), g.get_mut(head..)) {
            outer_and_transpose(*d, w, x_rest, g, dx_rest);
        }
    }
    add_bias_gradient(gb, dy);
    dx.map(T::from_acc)
}

/// The input gradient alone, `W^T dy` (a layer whose parameters are not trained).
#[inline(always)]
pub fn backward_input<T: Scalar, const IN: usize, const OUT: usize>(
    w: &[[T; IN]; OUT],
    dy: &[T; OUT],
) -> [T; IN] {
    if blocked(IN, OUT) {
        return backward_input_blocked(w, dy);
    }
    T::linear_backward_input(w, dy)
}

/// [`backward_input`] of a narrow layer, one multiply-accumulate at a time: the default of
/// [`Scalar::linear_backward_input`].
#[inline(always)]
pub fn narrow_backward_input<T: Scalar, const IN: usize, const OUT: usize>(
    w: &[[T; IN]; OUT],
    dy: &[T; OUT],
) -> [T; IN] {
    let mut dx = [T::ACC_ZERO; IN];
    for (w, d) in w.iter().zip(dy) {
        transpose(*d, w, &mut dx);
    }
    dx.map(T::from_acc)
}

/// [`backward_input`] of a blocked layer, out of line (see [`forward_blocked`]).
#[cfg_attr(target_abi = "eabihf", inline(never))]
#[cfg_attr(not(target_abi = "eabihf"), inline(always))]
fn backward_input_blocked<T: Scalar, const IN: usize, const OUT: usize>(
    w: &[[T; IN]; OUT],
    dy: &[T; OUT],
) -> [T; IN] {
    let mut dx = [T::ACC_ZERO; IN];
    let (dx8, dx_rest) = dx.as_chunks_mut::<COLS>();
    for (c, dxs) in dx8.iter_mut().enumerate() {
        let mut acc = [T::ACC_ZERO; COLS];
        for (w, d) in w.iter().zip(dy) {
            if let Some(w) = chunk(w, c) {
                acc = transpose_cols(*d, w, acc);
            }
        }
        *dxs = acc;
    }
    let head = IN - dx_rest.len();
    for (w, d) in w.iter().zip(dy) {
        if let Some(w) = w.get(head..) {
            transpose(*d, w, dx_rest);
        }
    }
    dx.map(T::from_acc)
}

/// The parameter gradients alone: adds `dy x^T` into `gw` and `dy` into `gb` (the first layer
/// of a model, whose input gradient nobody uses).
#[inline(always)]
pub fn backward_params<T: Scalar, const IN: usize, const OUT: usize>(
    x: &[T; IN],
    dy: &[T; OUT],
    gw: &mut [[T; IN]; OUT],
    gb: &mut [T; OUT],
) {
    if blocked(IN, OUT) {
        return backward_params_blocked(x, dy, gw, gb);
    }
    for (g, d) in gw.iter_mut().zip(dy) {
        outer(*d, x, g);
    }
    add_bias_gradient(gb, dy);
}

/// [`backward_params`] of a blocked layer, out of line (see [`forward_blocked`]).
#[cfg_attr(target_abi = "eabihf", inline(never))]
#[cfg_attr(not(target_abi = "eabihf"), inline(always))]
fn backward_params_blocked<T: Scalar, const IN: usize, const OUT: usize>(
    x: &[T; IN],
    dy: &[T; OUT],
    gw: &mut [[T; IN]; OUT],
    gb: &mut [T; OUT],
) {
    let (x8, x_rest) = x.as_chunks::<COLS>();
    for (c, xs) in x8.iter().enumerate() {
        for (g, d) in gw.iter_mut().zip(dy) {
            if let Some(g) = chunk_mut(g, c) {
                outer_cols(*d, xs, g);
            }
        }
    }
    let head = IN - x_rest.len();
    for (g, d) in gw.iter_mut().zip(dy) {
        if let Some(g) = g.get_mut(head..) {
            outer(*d, x_rest, g);
        }
    }
    add_bias_gradient(gb, dy);
}

/// `gb += dy`.
#[inline(always)]
fn add_bias_gradient<T: Scalar>(gb: &mut [T], dy: &[T]) {
    for (g, d) in gb.iter_mut().zip(dy) {
        *g += *d;
    }
}

/// Block `c` of [`COLS`] values of a row.
#[inline(always)]
fn chunk<T, const IN: usize>(row: &[T; IN], c: usize) -> Option<&[T; COLS]> {
    row.as_chunks::<COLS>().0.get(c)
}

/// Block `c` of [`COLS`] values of a row, mutably.
#[inline(always)]
fn chunk_mut<T, const IN: usize>(row: &mut [T; IN], c: usize) -> Option<&mut [T; COLS]> {
    row.as_chunks_mut::<COLS>().0.get_mut(c)
}

// The narrow kernels: three elements per loop turn, written out.

/// `w . x`, summed from zero in index order in the accumulator.
#[inline(always)]
pub fn dot<T: Scalar>(w: &[T], x: &[T]) -> T::Acc {
    let (w3, w_rest) = w.as_chunks::<3>();
    let (x3, x_rest) = x.as_chunks::<3>();
    let mut acc = T::ACC_ZERO;
    for ([w0, w1, w2], [x0, x1, x2]) in w3.iter().zip(x3) {
        acc = T::mul_acc(acc, *w0, *x0);
        acc = T::mul_acc(acc, *w1, *x1);
        acc = T::mul_acc(acc, *w2, *x2);
    }
    for (w, x) in w_rest.iter().zip(x_rest) {
        acc = T::mul_acc(acc, *w, *x);
    }
    acc
}

/// One output's share of the backward pass: `gw += d * x` and `dx += w * d`, element-wise.
#[inline(always)]
pub fn outer_and_transpose<T: Scalar>(d: T, w: &[T], x: &[T], gw: &mut [T], dx: &mut [T::Acc]) {
    let step = |w: &T, x: &T, gw: &mut T, dx: &mut T::Acc| {
        *gw += d.mul_in_line(*x);
        *dx = T::mul_acc(*dx, *w, d);
    };
    let (w3, w_rest) = w.as_chunks::<3>();
    let (x3, x_rest) = x.as_chunks::<3>();
    let (gw3, gw_rest) = gw.as_chunks_mut::<3>();
    let (dx3, dx_rest) = dx.as_chunks_mut::<3>();
    for ((([w0, w1, w2], [x0, x1, x2]), [g0, g1, g2]), [d0, d1, d2]) in
        w3.iter().zip(x3).zip(gw3).zip(dx3)
    {
        step(w0, x0, g0, d0);
        step(w1, x1, g1, d1);
        step(w2, x2, g2, d2);
    }
    for (((w, x), gw), dx) in w_rest.iter().zip(x_rest).zip(gw_rest).zip(dx_rest) {
        step(w, x, gw, dx);
    }
}

/// One output's share of the input gradient alone: `dx += w * d`.
#[inline(always)]
pub fn transpose<T: Scalar>(d: T, w: &[T], dx: &mut [T::Acc]) {
    for (w, dx) in w.iter().zip(dx) {
        *dx = T::mul_acc(*dx, *w, d);
    }
}

/// One output's share of the weight gradient alone: `gw += d * x`.
#[inline(always)]
pub fn outer<T: Scalar>(d: T, x: &[T], gw: &mut [T]) {
    for (x, gw) in x.iter().zip(gw) {
        *gw += d.mul_in_line(*x);
    }
}

// The blocked kernels: one block of [`ROWS`] outputs or [`COLS`] inputs, written out.

/// The sums `w_r . x` of [`ROWS`] rows side by side, each from zero in index order.
#[inline(always)]
fn dot_rows<T: Scalar, const IN: usize>(rows: &[[T; IN]; ROWS], x: &[T; IN]) -> [T::Acc; ROWS] {
    let [r0, r1, r2, r3] = rows;
    let (x8, x_rest) = x.as_chunks::<COLS>();
    let (w0, t0) = r0.as_chunks::<COLS>();
    let (w1, t1) = r1.as_chunks::<COLS>();
    let (w2, t2) = r2.as_chunks::<COLS>();
    let (w3, t3) = r3.as_chunks::<COLS>();
    let [mut a0, mut a1, mut a2, mut a3] = [T::ACC_ZERO; ROWS];
    for ((((x, w0), w1), w2), w3) in x8.iter().zip(w0).zip(w1).zip(w2).zip(w3) {
        a0 = dot_cols(a0, w0, x);
        a1 = dot_cols(a1, w1, x);
        a2 = dot_cols(a2, w2, x);
        a3 = dot_cols(a3, w3, x);
    }
    for ((((x, w0), w1), w2), w3) in x_rest.iter().zip(t0).zip(t1).zip(t2).zip(t3) {
        a0 = T::mul_acc(a0, *w0, *x);
        a1 = T::mul_acc(a1, *w1, *x);
        a2 = T::mul_acc(a2, *w2, *x);
        a3 = T::mul_acc(a3, *w3, *x);
    }
    [a0, a1, a2, a3]
}

/// `acc + w . x` over one block, in index order.
#[inline(always)]
fn dot_cols<T: Scalar>(acc: T::Acc, w: &[T; COLS], x: &[T; COLS]) -> T::Acc {
    let [w0, w1, w2, w3, w4, w5, w6, w7] = *w;
    let [x0, x1, x2, x3, x4, x5, x6, x7] = *x;
    let acc = T::mul_acc(acc, w0, x0);
    let acc = T::mul_acc(acc, w1, x1);
    let acc = T::mul_acc(acc, w2, x2);
    let acc = T::mul_acc(acc, w3, x3);
    let acc = T::mul_acc(acc, w4, x4);
    let acc = T::mul_acc(acc, w5, x5);
    let acc = T::mul_acc(acc, w6, x6);
    T::mul_acc(acc, w7, x7)
}

/// One output's share of the backward pass over one block: `gw += d * x`, and the input
/// gradient's sums `dx + w * d`, returned.
#[inline(always)]
fn outer_and_transpose_cols<T: Scalar>(
    d: T,
    w: &[T; COLS],
    x: &[T; COLS],
    gw: &mut [T; COLS],
    dx: [T::Acc; COLS],
) -> [T::Acc; COLS] {
    outer_cols(d, x, gw);
    transpose_cols(d, w, dx)
}

/// One output's share of the input gradient over one block: `dx + w * d`.
#[inline(always)]
fn transpose_cols<T: Scalar>(d: T, w: &[T; COLS], dx: [T::Acc; COLS]) -> [T::Acc; COLS] {
    let [w0, w1, w2, w3, w4, w5, w6, w7] = *w;
    let [a0, a1, a2, a3, a4, a5, a6, a7] = dx;
    [
        T::mul_acc(a0, w0, d),
        T::mul_acc(a1, w1, d),
        T::mul_acc(a2, w2, d),
        T::mul_acc(a3, w3, d),
        T::mul_acc(a4, w4, d),
        T::mul_acc(a5, w5, d),
        T::mul_acc(a6, w6, d),
        T::mul_acc(a7, w7, d),
    ]
}

/// One output's share of the weight gradient over one block: `gw += d * x`.
#[inline(always)]
fn outer_cols<T: Scalar>(d: T, x: &[T; COLS], gw: &mut [T; COLS]) {
    let [x0, x1, x2, x3, x4, x5, x6, x7] = *x;
    let [g0, g1, g2, g3, g4, g5, g6, g7] = gw;
    *g0 += d.mul_in_line(x0);
    *g1 += d.mul_in_line(x1);
    *g2 += d.mul_in_line(x2);
    *g3 += d.mul_in_line(x3);
    *g4 += d.mul_in_line(x4);
    *g5 += d.mul_in_line(x5);
    *g6 += d.mul_in_line(x6);
    *g7 += d.mul_in_line(x7);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values whose sums round differently in another order.
    fn wobbly(n: usize, seed: f32) -> [f32; 8] {
        core::array::from_fn(|i| {
            let k = (i + n) as f32;
            (seed * k).sin() * 10f32.powi(i as i32 % 4 - 1) + 1e-3 * k
        })
    }

    /// The unrolled kernels give the plain in-order loop's bits for every length, with and
    /// without a remainder after the groups of three.
    #[test]
    fn kernels_match_the_plain_loops_bit_for_bit() {
        let mut checked = 0;
        for n in 0..=8 {
            let (w, x) = (wobbly(n, 0.7), wobbly(n, 1.3));
            let (Some(w), Some(x)) = (w.get(..n), x.get(..n)) else {
                continue;
            };
            let mut plain = 0.0f32;
            for (w, x) in w.iter().zip(x) {
                plain += *w * *x;
            }
            assert_eq!(dot(w, x).to_bits(), plain.to_bits(), "dot, n = {n}");

            let d = -0.37f32;
            let (mut gw, mut dx) = (wobbly(n, 2.1), wobbly(n, 2.9));
            let (mut gw_plain, mut dx_plain) = (gw, dx);
            let mut dx_only = dx;
            if let (Some(g), Some(v), Some(o)) =
                (gw.get_mut(..n), dx.get_mut(..n), dx_only.get_mut(..n))
            {
                outer_and_transpose(d, w, x, g, v);
                transpose(d, w, o);
                checked += 1;
            }
            for (((w, x), g), v) in w.iter().zip(x).zip(&mut gw_plain).zip(&mut dx_plain) {
                *g += d * *x;
                *v += *w * d;
            }
            assert_eq!(
                gw.map(f32::to_bits),
                gw_plain.map(f32::to_bits),
                "gw, n = {n}"
            );
            assert_eq!(
                dx.map(f32::to_bits),
                dx_plain.map(f32::to_bits),
                "dx, n = {n}"
            );
            assert_eq!(
                dx_only.map(f32::to_bits),
                dx_plain.map(f32::to_bits),
                "dx only, n = {n}"
            );
        }
        assert_eq!(checked, 9);
    }

    /// A value whose sums round differently in another order, from a position and a seed.
    fn value(i: usize, seed: f32) -> f32 {
        let k = i as f32 + seed;
        (seed * k).sin() * 10f32.powi(i as i32 % 5 - 2) + 1e-3 * k
    }

    /// The narrow kernels over whole rows: the reference the blocked ones must equal.
    fn reference<const IN: usize, const OUT: usize>(
        w: &[[f32; IN]; OUT],
        b: &[f32; OUT],
        x: &[f32; IN],
        dy: &[f32; OUT],
        g: &mut ([[f32; IN]; OUT], [f32; OUT]),
    ) -> ([f32; OUT], [f32; IN]) {
        let mut y = *b;
        for (y, w) in y.iter_mut().zip(w) {
            *y += dot(w, x);
        }
        let mut dx = [0.0; IN];
        for (((w, gw), gb), d) in w.iter().zip(g.0.iter_mut()).zip(g.1.iter_mut()).zip(dy) {
            *gb += *d;
            outer_and_transpose(*d, w, x, gw, &mut dx);
        }
        (y, dx)
    }

    fn bits<const N: usize>(v: [f32; N]) -> [u32; N] {
        v.map(f32::to_bits)
    }

    /// Runs the kernels of an `IN x OUT` layer (blocked or narrow, whichever the shape takes)
    /// against [`reference`] on two samples in a row (the second accumulates onto the first's
    /// gradients), every result compared bit for bit.
    fn check<const IN: usize, const OUT: usize>() {
        let w: [[f32; IN]; OUT] =
            core::array::from_fn(|j| core::array::from_fn(|i| value(i * OUT + j, 0.7)));
        let b: [f32; OUT] = core::array::from_fn(|j| value(j, 1.9));
        let zero = ([[0.0; IN]; OUT], [0.0; OUT]);
        let (mut want, mut got, mut params) = (zero, zero, zero);
        for seed in [1.3f32, -2.1] {
            let x: [f32; IN] = core::array::from_fn(|i| value(i, seed));
            let dy: [f32; OUT] = core::array::from_fn(|j| value(j, seed * 3.1));
            let (y, dx) = reference(&w, &b, &x, &dy, &mut want);
            assert_eq!(bits(forward(&w, &b, &x)), bits(y), "{IN}x{OUT} forward");
            let dx_got = backward(&w, &x, &dy, &mut got.0, &mut got.1);
            assert_eq!(bits(dx_got), bits(dx), "{IN}x{OUT} backward");
            assert_eq!(bits(backward_input(&w, &dy)), bits(dx), "{IN}x{OUT} input");
            backward_params(&x, &dy, &mut params.0, &mut params.1);
            for (name, g) in [("backward", &got), ("params", &params)] {
                assert_eq!(
                    g.0.map(bits),
                    want.0.map(bits),
                    "{IN}x{OUT} {name}: weight gradient"
                );
                assert_eq!(bits(g.1), bits(want.1), "{IN}x{OUT} {name}: bias");
            }
        }
    }

    /// The blocked kernels (and the narrow ones, whichever a shape takes) give the narrow
    /// kernels' bits for shapes with and without remainders after the blocks.
    #[test]
    fn every_shape_gives_the_narrow_kernels_bits() {
        check::<3, 3>();
        check::<3, 1>();
        check::<7, 9>();
        check::<8, 4>();
        check::<8, 3>();
        check::<9, 5>();
        check::<17, 7>();
        check::<23, 13>();
        check::<32, 10>();
        check::<64, 32>();
        assert!(blocked(64, 32) && blocked(8, 4) && !blocked(7, 9) && !blocked(8, 3));
    }

    /// Every width from 1 to 9 on either side, and widths around two and three blocks (every
    /// remainder of [`ROWS`] and [`COLS`] after one or more blocks), bit for bit.
    #[test]
    fn odd_widths_and_every_remainder_give_the_narrow_kernels_bits() {
        macro_rules! grid {
            ($($i:literal)*; $o:tt) => { $( grid!(@row $i; $o); )* };
            (@row $i:literal; [$($o:literal)*]) => { $( check::<$i, $o>(); )* };
        }
        grid!(1 2 3 4 5 6 7 8 9; [1 2 3 4 5 6 7 8 9]);
        grid!(15 16 17 18 19 20 21 22 23 24 25; [1 4 5 6 7 8 9 11 12 13]);
    }
}
