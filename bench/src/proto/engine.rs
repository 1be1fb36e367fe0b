//! The same step with the three matrix products of each layer done by a GEMM crate (`gemm`,
//! `matrixmultiply`), the element-wise parts by this
//! prototype's dispatched kernels. Their products add in their own order, with FMA: not
//! skipgrad's bits.

// `x - x` is the update's probe: zero for a finite `x`, NaN otherwise.
#![allow(clippy::eq_op)]

use pulp::Simd;

use super::gelu;
use super::net::{Dispatch, Pulp};
use crate::config::LR;
use crate::problem::Problem;
use crate::Step;

/// A matrix in a slice: (data, row stride, column stride).
pub type Mat<'a> = (&'a [f32], usize, usize);
/// A mutable matrix in a slice: (data, row stride, column stride).
pub type MatMut<'a> = (&'a mut [f32], usize, usize);

/// `c = a b` (`acc`: `c += a b`).
pub trait Engine: Copy + Default + 'static {
    /// The name in tables.
    const NAME: &'static str;
    /// The product of an `m x k` and a `k x n` matrix.
    #[allow(clippy::too_many_arguments)]
    fn gemm(m: usize, n: usize, k: usize, acc: bool, c: MatMut<'_>, a: Mat<'_>, b: Mat<'_>);
}

/// Checks that every element a product touches is in its slice.
fn fits(len: usize, rows: usize, cols: usize, rs: usize, cs: usize) {
    assert!(
        rows == 0 || cols == 0 || (rows - 1) * rs + (cols - 1) * cs < len,
        "matrix out of its slice"
    );
}

/// `gemm` 0.19 (what candle uses), one thread.
#[derive(Clone, Copy, Debug, Default)]
pub struct Gemm;

impl Engine for Gemm {
    const NAME: &'static str = "gemm";
    fn gemm(m: usize, n: usize, k: usize, acc: bool, c: MatMut<'_>, a: Mat<'_>, b: Mat<'_>) {
        fits(c.0.len(), m, n, c.1, c.2);
        fits(a.0.len(), m, k, a.1, a.2);
        fits(b.0.len(), k, n, b.1, b.2);
        // SAFETY: every element is in its slice (checked above); `c` does not alias `a` or `b`.
        unsafe {
            gemm::gemm(
                m,
                n,
                k,
                c.0.as_mut_ptr(),
                c.2 as isize,
                c.1 as isize,
                acc,
                a.0.as_ptr(),
                a.2 as isize,
                a.1 as isize,
                b.0.as_ptr(),
                b.2 as isize,
                b.1 as isize,
                1.0,
                1.0,
                false,
                false,
                false,
                gemm::Parallelism::None,
            );
        }
    }
}

/// `matrixmultiply` 0.3, one thread.
#[derive(Clone, Copy, Debug, Default)]
pub struct MatrixMultiply;

impl Engine for MatrixMultiply {
    const NAME: &'static str = "matrixmultiply";
    fn gemm(m: usize, n: usize, k: usize, acc: bool, c: MatMut<'_>, a: Mat<'_>, b: Mat<'_>) {
        fits(c.0.len(), m, n, c.1, c.2);
        fits(a.0.len(), m, k, a.1, a.2);
        fits(b.0.len(), k, n, b.1, b.2);
        // SAFETY: as for `Gemm`.
        unsafe {
            matrixmultiply::sgemm(
                m,
                k,
                n,
                1.0,
                a.0.as_ptr(),
                a.1 as isize,
                a.2 as isize,
                b.0.as_ptr(),
                b.1 as isize,
                b.2 as isize,
                if acc { 1.0 } else { 0.0 },
                c.0.as_mut_ptr(),
                c.1 as isize,
                c.2 as isize,
            );
        }
    }
}

/// The network of [`net::Net`](super::net::Net) in flat vectors, trained with engine `E`.
pub struct EngineStep<E> {
    width: usize,
    batch: usize,
    /// Per layer: weight (`o x i`), bias, their gradients.
    w: Vec<Vec<f32>>,
    b: Vec<Vec<f32>>,
    gw: Vec<Vec<f32>>,
    gb: Vec<Vec<f32>>,
    /// `a[0]` the batch, `a[l]` the output of layer `l - 1` (`batch x width`).
    a: Vec<Vec<f32>>,
    d: Vec<Vec<f32>>,
    t: Vec<f32>,
    y: Vec<f32>,
    dz: Vec<f32>,
    da: Vec<f32>,
    dispatch: Pulp,
    engine: core::marker::PhantomData<E>,
}

impl<E: Engine> EngineStep<E> {
    /// Loads the problem.
    pub fn new(p: &Problem) -> Self {
        let (mut w, mut b) = (Vec::new(), Vec::new());
        for l in 0..5 {
            let (pw, pb) = p.layer(l);
            w.push(pw.to_vec());
            b.push(pb.to_vec());
        }
        let (wd, bs) = (p.config.width, p.config.batch);
        let mut a = vec![p.inputs.clone()];
        a.extend((0..4).map(|_| vec![0.0; bs * wd]));
        Self {
            width: wd,
            batch: bs,
            gw: w.iter().map(|v| vec![0.0; v.len()]).collect(),
            gb: b.iter().map(|v| vec![0.0; v.len()]).collect(),
            w,
            b,
            a,
            d: (0..4)
                .map(|_| vec![0.0; bs * wd])
                .chain([vec![0.0; bs]])
                .collect(),
            t: p.targets.clone(),
            y: vec![0.0; bs],
            dz: vec![0.0; bs * wd],
            da: vec![0.0; bs * wd],
            dispatch: Pulp::default(),
            engine: core::marker::PhantomData,
        }
    }
}

/// `y = gelu(z + bias)` row by row, `d` the derivative.
#[inline(always)]
fn bias_gelu<S: Simd>(s: S, z: &mut [f32], d: &mut [f32], bias: &[f32]) {
    let l = S::F32_LANES;
    for (zr, dr) in z
        .chunks_exact_mut(bias.len())
        .zip(d.chunks_exact_mut(bias.len()))
    {
        let mut o = 0;
        while o + l <= bias.len() {
            let v = s.add_f32s(
                S::as_simd_f32s(&zr[o..o + l]).0[0],
                S::as_simd_f32s(&bias[o..o + l]).0[0],
            );
            let (gv, gd) = gelu::lanes(s, v);
            S::as_mut_simd_f32s(&mut zr[o..o + l]).0[0] = gv;
            S::as_mut_simd_f32s(&mut dr[o..o + l]).0[0] = gd;
            o += l;
        }
        for o in o..bias.len() {
            (zr[o], dr[o]) = gelu::value_and_derivative(zr[o] + bias[o]);
        }
    }
}

/// `bias_gelu` compiled for the dispatched instruction set.
type Act<'a> = &'a dyn Fn(&mut [f32], &mut [f32], &[f32]);

struct Elementwise<F>(F);

impl<R, F: FnOnce(Act<'_>) -> R> pulp::WithSimd for Elementwise<F> {
    type Output = R;
    #[inline(always)]
    fn with_simd<S: Simd>(self, s: S) -> R {
        (self.0)(&|z: &mut [f32], d: &mut [f32], bias: &[f32]| bias_gelu(s, z, d, bias))
    }
}

impl<E: Engine> Step for EngineStep<E> {
    #[inline(never)]
    fn step(&mut self) -> f32 {
        let (wd, bs) = (self.width, self.batch);
        let dispatch = self.dispatch;
        let s = self;
        dispatch.run(Elementwise(|act: Act<'_>| {
            // Forward: z = x w^T, then bias and GELU.
            for l in 0..4 {
                let (prev, next) = s.a.split_at_mut(l + 1);
                E::gemm(
                    bs,
                    wd,
                    wd,
                    false,
                    (&mut next[0], wd, 1),
                    (&prev[l], wd, 1),
                    (&s.w[l], 1, wd),
                );
                act(&mut next[0], &mut s.d[l], &s.b[l]);
            }
            E::gemm(
                bs,
                1,
                wd,
                false,
                (&mut s.y, 1, 1),
                (&s.a[4], wd, 1),
                (&s.w[4], 1, 1),
            );
            act(&mut s.y, &mut s.d[4], &s.b[4]);
            let mut sum = 0.0f32;
            for (y, t) in s.y.iter().zip(&s.t) {
                sum += (y - t) * (y - t);
            }
            let norm = 2.0 / bs as f32;
            for ((dz, y), (t, d)) in s.dz.iter_mut().zip(&s.y).zip(s.t.iter().zip(&s.d[4])) {
                *dz = norm * (y - t) * d;
            }
            // Backward, from the head (o = 1) down.
            let mut o = 1;
            for l in (0..5).rev() {
                // g += dz^T a (o x i), gb += column sums of dz.
                E::gemm(
                    o,
                    wd,
                    bs,
                    true,
                    (&mut s.gw[l], wd, 1),
                    (&s.dz[..bs * o], 1, o),
                    (&s.a[l], wd, 1),
                );
                for row in s.dz[..bs * o].chunks_exact(o) {
                    for (g, v) in s.gb[l].iter_mut().zip(row) {
                        *g += v;
                    }
                }
                if l > 0 {
                    // da = dz w (b x i), times the previous GELU's derivative.
                    E::gemm(
                        bs,
                        wd,
                        o,
                        false,
                        (&mut s.da, wd, 1),
                        (&s.dz[..bs * o], o, 1),
                        (&s.w[l], wd, 1),
                    );
                    for ((dz, da), d) in s.dz.iter_mut().zip(&s.da).zip(&s.d[l - 1]) {
                        *dz = da * d;
                    }
                }
                o = wd;
            }
            // SGD, refused as a whole if a new value is not finite.
            let mut probe = 0.0f32;
            for (w, g) in
                s.w.iter_mut()
                    .chain(s.b.iter_mut())
                    .zip(s.gw.iter_mut().chain(s.gb.iter_mut()))
            {
                for (w, g) in w.iter_mut().zip(g.iter_mut()) {
                    let old = *w;
                    *w = old - LR * *g;
                    probe += *w - *w;
                    *g = old;
                }
            }
            assert!(probe == 0.0, "a finite step");
            for g in s.gw.iter_mut().chain(s.gb.iter_mut()) {
                g.fill(0.0);
            }
            sum / bs as f32
        }))
    }

    fn weights(&self) -> Vec<f32> {
        let mut out = Vec::new();
        for (w, b) in self.w.iter().zip(&self.b) {
            out.extend(w);
            out.extend(b);
        }
        out
    }
}
