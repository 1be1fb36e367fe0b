//! Batched `Linear` kernels as blocked matrix products, in safe Rust over `pulp`'s portable
//! vector type `S::f32s` (16 lanes under AVX-512, 8 under AVX2, 4 under SSE2, 1 in pulp's
//! scalar fallback).
//!
//! Each kernel keeps a block of independent outputs in vector registers and runs the sum of
//! every output in index order, so it vectorises across outputs, never across a sum. With
//! [`Exact`] every output is then the same bits as skipgrad's sample-by-sample kernels
//! (`acc + a * b`, rounded twice, from zero, in index order), whatever the vector width:
//! SSE2, AVX2, AVX-512, or one lane on a microcontroller. [`Fused`] uses a fused
//! multiply-add instead (one rounding): faster where the hardware has it, other bits.
//!
//! Layouts are the core's: a weight is `[[f32; I]; O]` (PyTorch's), a batch `[[f32; N]; B]`
//! (sample-major).
//!
//! - [`forward`]: `y[b][o] = gelu(sum_k w[o][k] x[b][k] + bias[o])`. Vectorised across `o`:
//!   a panel of [`NV`] vectors of rows of `w` is transposed once into a local buffer
//!   (`I x NV lanes`), then reused for every block of [`MB`] samples; each `x[b][k]` is
//!   broadcast. GELU and its derivative are the epilogue.
//! - [`backward_input`]: `dx[b][k] = (sum_o w[o][k] dz[b][o]) * dact[b][k]`. Vectorised
//!   across `k`: rows of `w` are contiguous, `dz[b][o]` is broadcast. No packing. The
//!   product with the previous GELU's derivative is the epilogue.
//! - [`backward_weight`]: `g[o][k] += sum_b dz[b][o] x[b][k]` (samples in order, from the
//!   gradient's value), `gb[o] += sum_b dz[b][o]`. Vectorised across `k`.

// Index loops over the blocks' constant sizes on purpose: they unroll fully and keep the
// accumulators in registers; iterator chains and `core::array::from_fn` did not (measured: the
// accumulators went to the stack and `from_fn` stayed an out-of-line call).
#![allow(clippy::needless_range_loop)]

use pulp::Simd;

use super::gelu;

/// How a product is added to an accumulator.
pub trait Mac: Copy + Send + Sync + 'static {
    /// The name in tables.
    const NAME: &'static str;
    /// `acc + a * b`, lane by lane.
    fn mac<S: Simd>(simd: S, acc: S::f32s, a: S::f32s, b: S::f32s) -> S::f32s;
    /// `acc + a * b`.
    fn mac1(acc: f32, a: f32, b: f32) -> f32;
}

/// `acc + a * b` rounded twice: skipgrad's order, the same bits everywhere.
#[derive(Clone, Copy, Debug)]
pub struct Exact;

impl Mac for Exact {
    const NAME: &'static str = "exact";
    #[inline(always)]
    fn mac<S: Simd>(simd: S, acc: S::f32s, a: S::f32s, b: S::f32s) -> S::f32s {
        simd.add_f32s(acc, simd.mul_f32s(a, b))
    }
    #[inline(always)]
    fn mac1(acc: f32, a: f32, b: f32) -> f32 {
        acc + a * b
    }
}

/// `a * b + acc` rounded once (a fused multiply-add).
#[derive(Clone, Copy, Debug)]
pub struct Fused;

impl Mac for Fused {
    const NAME: &'static str = "fused";
    #[inline(always)]
    fn mac<S: Simd>(simd: S, acc: S::f32s, a: S::f32s, b: S::f32s) -> S::f32s {
        simd.mul_add_f32s(a, b, acc)
    }
    #[inline(always)]
    fn mac1(acc: f32, a: f32, b: f32) -> f32 {
        a.mul_add(b, acc)
    }
}

/// Vectors of outputs per forward panel.
pub const NV: usize = 2;
/// Samples per forward block.
pub const MB: usize = 8;
/// Vectors of inputs per block of the backward kernels.
pub const KV: usize = 4;
/// Samples per block of `backward_input`, rows of `w` per block of `backward_weight`.
pub const RB: usize = 4;
/// The widest panel, in floats (four 16-lane vectors).
pub const PANEL: usize = 64;

#[inline(always)]
fn lanes<S: Simd>() -> usize {
    S::F32_LANES
}

#[inline(always)]
fn load<S: Simd>(s: &[f32], at: usize) -> S::f32s {
    S::as_simd_f32s(&s[at..at + lanes::<S>()]).0[0]
}

#[inline(always)]
fn store<S: Simd>(s: &mut [f32], at: usize, v: S::f32s) {
    S::as_mut_simd_f32s(&mut s[at..at + lanes::<S>()]).0[0] = v;
}

/// The forward pass of `Linear` then GELU over a batch: `y` the outputs, `d` GELU's
/// derivatives. `panel` is scratch space.
#[inline(always)]
pub fn forward<S: Simd, M: Mac, const I: usize, const O: usize, const B: usize>(
    simd: S,
    w: &[[f32; I]; O],
    bias: &[f32; O],
    x: &[[f32; I]; B],
    y: &mut [[f32; O]; B],
    d: &mut [[f32; O]; B],
    panel: &mut [[f32; PANEL]; I],
) {
    let nb = NV * lanes::<S>();
    assert!(
        nb <= PANEL && O.is_multiple_of(nb),
        "a width of whole panels"
    );
    for ob in (0..O).step_by(nb) {
        for j in 0..nb {
            for (p, w) in panel.iter_mut().zip(&w[ob + j]) {
                p[j] = *w;
            }
        }
        let mut bb = 0;
        while bb + MB <= B {
            forward_block::<S, M, I, O, B, MB>(simd, bias, x, y, d, panel, bb, ob);
            bb += MB;
        }
        while bb < B {
            forward_block::<S, M, I, O, B, 1>(simd, bias, x, y, d, panel, bb, ob);
            bb += 1;
        }
    }
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn forward_block<
    S: Simd,
    M: Mac,
    const I: usize,
    const O: usize,
    const B: usize,
    const R: usize,
>(
    simd: S,
    bias: &[f32; O],
    x: &[[f32; I]; B],
    y: &mut [[f32; O]; B],
    d: &mut [[f32; O]; B],
    panel: &[[f32; PANEL]; I],
    bb: usize,
    ob: usize,
) {
    let l = lanes::<S>();
    let zero = simd.splat_f32s(0.0);
    let mut acc = [[zero; NV]; R];
    for k in 0..I {
        let mut p = [zero; NV];
        for v in 0..NV {
            p[v] = load::<S>(&panel[k], v * l);
        }
        for r in 0..R {
            let s = simd.splat_f32s(x[bb + r][k]);
            for v in 0..NV {
                acc[r][v] = M::mac(simd, acc[r][v], p[v], s);
            }
        }
    }
    for (r, a) in acc.iter().enumerate() {
        for (v, a) in a.iter().enumerate() {
            let at = ob + v * l;
            let z = simd.add_f32s(*a, load::<S>(bias, at));
            let (gv, gd) = gelu::lanes(simd, z);
            store::<S>(&mut y[bb + r], at, gv);
            store::<S>(&mut d[bb + r], at, gd);
        }
    }
}

/// Rows of `w` per block of [`forward_by_sample`].
pub const OB: usize = 6;

/// The forward pass for a batch of whole pairs of vectors (`B` a multiple of twice the lane
/// count: 32 under AVX-512, 16 under AVX2): vectorised across samples. The batch is
/// transposed once into `xt` (`I x B`, cheaper than a panel of `w` when `B < O`), each
/// `w[o][k]` is broadcast, and the outputs are scattered back to `y[b][o]` after GELU.
#[inline(always)]
pub fn forward_by_sample<S: Simd, M: Mac, const I: usize, const O: usize, const B: usize>(
    simd: S,
    w: &[[f32; I]; O],
    bias: &[f32; O],
    x: &[[f32; I]; B],
    y: &mut [[f32; O]; B],
    d: &mut [[f32; O]; B],
    xt: &mut [[f32; B]; I],
) {
    let bv = 2 * lanes::<S>();
    assert!(B.is_multiple_of(bv), "a batch of whole pairs of vectors");
    for (b, xb) in x.iter().enumerate() {
        for (t, v) in xt.iter_mut().zip(xb) {
            t[b] = *v;
        }
    }
    for bb in (0..B).step_by(bv) {
        let mut ob = 0;
        while ob + OB <= O {
            forward_by_sample_block::<S, M, I, O, B, OB>(simd, w, bias, xt, y, d, ob, bb);
            ob += OB;
        }
        while ob < O {
            forward_by_sample_block::<S, M, I, O, B, 1>(simd, w, bias, xt, y, d, ob, bb);
            ob += 1;
        }
    }
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn forward_by_sample_block<
    S: Simd,
    M: Mac,
    const I: usize,
    const O: usize,
    const B: usize,
    const R: usize,
>(
    simd: S,
    w: &[[f32; I]; O],
    bias: &[f32; O],
    xt: &[[f32; B]; I],
    y: &mut [[f32; O]; B],
    d: &mut [[f32; O]; B],
    ob: usize,
    bb: usize,
) {
    let l = lanes::<S>();
    let zero = simd.splat_f32s(0.0);
    let mut acc = [[zero; 2]; R];
    for k in 0..I {
        let xv = [load::<S>(&xt[k], bb), load::<S>(&xt[k], bb + l)];
        for r in 0..R {
            let s = simd.splat_f32s(w[ob + r][k]);
            for v in 0..2 {
                acc[r][v] = M::mac(simd, acc[r][v], s, xv[v]);
            }
        }
    }
    let mut lane_v = [0.0f32; 64];
    let mut lane_d = [0.0f32; 64];
    for r in 0..R {
        for v in 0..2 {
            let z = simd.add_f32s(acc[r][v], simd.splat_f32s(bias[ob + r]));
            let (gv, gd) = gelu::lanes(simd, z);
            store::<S>(&mut lane_v, 0, gv);
            store::<S>(&mut lane_d, 0, gd);
            for i in 0..l {
                y[bb + v * l + i][ob + r] = lane_v[i];
                d[bb + v * l + i][ob + r] = lane_d[i];
            }
        }
    }
}

/// The input gradient through `Linear` and the previous layer's GELU:
/// `dx[b][k] = (sum_o w[o][k] dz[b][o]) * dact[b][k]`.
#[inline(always)]
pub fn backward_input<S: Simd, M: Mac, const I: usize, const O: usize, const B: usize>(
    simd: S,
    w: &[[f32; I]; O],
    dz: &[[f32; O]; B],
    dact: &[[f32; I]; B],
    dx: &mut [[f32; I]; B],
) {
    let kb = KV * lanes::<S>();
    assert!(I.is_multiple_of(kb), "a width of whole blocks");
    for k0 in (0..I).step_by(kb) {
        let mut bb = 0;
        while bb + RB <= B {
            backward_input_block::<S, M, I, O, B, RB>(simd, w, dz, dact, dx, bb, k0);
            bb += RB;
        }
        while bb < B {
            backward_input_block::<S, M, I, O, B, 1>(simd, w, dz, dact, dx, bb, k0);
            bb += 1;
        }
    }
}

#[inline(always)]
fn backward_input_block<
    S: Simd,
    M: Mac,
    const I: usize,
    const O: usize,
    const B: usize,
    const R: usize,
>(
    simd: S,
    w: &[[f32; I]; O],
    dz: &[[f32; O]; B],
    dact: &[[f32; I]; B],
    dx: &mut [[f32; I]; B],
    bb: usize,
    k0: usize,
) {
    let l = lanes::<S>();
    let zero = simd.splat_f32s(0.0);
    let mut acc = [[zero; KV]; R];
    for o in 0..O {
        let mut wv = [zero; KV];
        for v in 0..KV {
            wv[v] = load::<S>(&w[o], k0 + v * l);
        }
        for r in 0..R {
            let s = simd.splat_f32s(dz[bb + r][o]);
            for v in 0..KV {
                acc[r][v] = M::mac(simd, acc[r][v], wv[v], s);
            }
        }
    }
    for (r, a) in acc.iter().enumerate() {
        for (v, a) in a.iter().enumerate() {
            let at = k0 + v * l;
            let out = simd.mul_f32s(*a, load::<S>(&dact[bb + r], at));
            store::<S>(&mut dx[bb + r], at, out);
        }
    }
}

/// The weight and bias gradients, added to `g` and `gb` sample by sample in order.
#[inline(always)]
pub fn backward_weight<S: Simd, M: Mac, const I: usize, const O: usize, const B: usize>(
    simd: S,
    dz: &[[f32; O]; B],
    x: &[[f32; I]; B],
    g: &mut [[f32; I]; O],
    gb: &mut [f32; O],
) {
    let kb = KV * lanes::<S>();
    assert!(I.is_multiple_of(kb), "a width of whole blocks");
    let mut ob = 0;
    while ob + RB <= O {
        for k0 in (0..I).step_by(kb) {
            backward_weight_block::<S, M, I, O, B, RB>(simd, dz, x, g, ob, k0);
        }
        ob += RB;
    }
    while ob < O {
        for k0 in (0..I).step_by(kb) {
            backward_weight_block::<S, M, I, O, B, 1>(simd, dz, x, g, ob, k0);
        }
        ob += 1;
    }
    // The bias gradient: vectorised across outputs, samples in order.
    let l = lanes::<S>();
    let mut o = 0;
    while o + l <= O {
        let mut acc = load::<S>(gb, o);
        for dzb in dz {
            acc = simd.add_f32s(acc, load::<S>(dzb, o));
        }
        store::<S>(gb, o, acc);
        o += l;
    }
    for o in o..O {
        for dzb in dz {
            gb[o] += dzb[o];
        }
    }
}

#[inline(always)]
fn backward_weight_block<
    S: Simd,
    M: Mac,
    const I: usize,
    const O: usize,
    const B: usize,
    const R: usize,
>(
    simd: S,
    dz: &[[f32; O]; B],
    x: &[[f32; I]; B],
    g: &mut [[f32; I]; O],
    ob: usize,
    k0: usize,
) {
    let l = lanes::<S>();
    let zero = simd.splat_f32s(0.0);
    let mut acc = [[zero; KV]; R];
    for r in 0..R {
        for v in 0..KV {
            acc[r][v] = load::<S>(&g[ob + r], k0 + v * l);
        }
    }
    for b in 0..B {
        let mut xv = [zero; KV];
        for v in 0..KV {
            xv[v] = load::<S>(&x[b], k0 + v * l);
        }
        for r in 0..R {
            let s = simd.splat_f32s(dz[b][ob + r]);
            for v in 0..KV {
                acc[r][v] = M::mac(simd, acc[r][v], s, xv[v]);
            }
        }
    }
    for (r, a) in acc.iter().enumerate() {
        for (v, a) in a.iter().enumerate() {
            store::<S>(&mut g[ob + r], k0 + v * l, *a);
        }
    }
}
