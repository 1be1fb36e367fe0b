//! The benchmark's network trained with the batched kernels of [`kernels`](super::kernels):
//! the same step as skipgrad's `Trainer::step` (the same guards: finite inputs and targets,
//! a finite loss, an SGD update that is refused and undone if any new value is not finite).

use pulp::Simd;

use super::kernels::{backward_input, backward_weight, forward, forward_by_sample, Mac, PANEL};
use super::update;
use crate::config::LR;
use crate::problem::Problem;
use crate::Step;

/// Where the kernels run.
pub trait Dispatch: Copy + Send + Sync + 'static {
    /// The name in tables.
    const NAME: &'static str;
    /// Runs `op` with the best vector type for this CPU.
    fn run<Op: pulp::WithSimd>(self, op: Op) -> Op::Output;
}

/// `pulp`'s scalar fallback: one lane, what the kernels are on a microcontroller.
#[derive(Clone, Copy, Debug, Default)]
pub struct Scalar;

impl Dispatch for Scalar {
    const NAME: &'static str = "scalar";
    #[inline(always)]
    fn run<Op: pulp::WithSimd>(self, op: Op) -> Op::Output {
        op.with_simd(pulp::Scalar::new())
    }
}

/// `pulp`'s run-time dispatch: the kernels are compiled for AVX-512 (x86-64-v4), AVX2+FMA
/// (x86-64-v3) and scalar, and the best the CPU has is chosen when the step runs.
#[derive(Clone, Copy, Debug)]
pub struct Pulp(pub pulp::Arch);

impl Default for Pulp {
    fn default() -> Self {
        Self(pulp::Arch::new())
    }
}

impl Dispatch for Pulp {
    const NAME: &'static str = "pulp";
    #[inline(always)]
    fn run<Op: pulp::WithSimd>(self, op: Op) -> Op::Output {
        self.0.dispatch(op)
    }
}

/// AVX2 and FMA (x86-64-v3) only, for comparison with AVX-512.
#[derive(Clone, Copy, Debug)]
pub struct Avx2(pub pulp::x86::V3);

impl Default for Avx2 {
    fn default() -> Self {
        Self(pulp::x86::V3::try_new().expect("AVX2 and FMA"))
    }
}

impl Dispatch for Avx2 {
    const NAME: &'static str = "avx2";
    #[inline(always)]
    fn run<Op: pulp::WithSimd>(self, op: Op) -> Op::Output {
        let v3 = self.0;
        v3.vectorize(
            #[inline(always)]
            || op.with_simd(v3),
        )
    }
}

/// The network, its gradients and every buffer of a step, for width `W` and batch `B`.
pub struct Net<const W: usize, const B: usize> {
    w: [[[f32; W]; W]; 4],
    b: [[f32; W]; 4],
    hw: [[f32; W]; 1],
    hb: [f32; 1],
    gw: [[[f32; W]; W]; 4],
    gb: [[f32; W]; 4],
    ghw: [[f32; W]; 1],
    ghb: [f32; 1],
    x: [[f32; W]; B],
    t: [f32; B],
    /// The outputs of the hidden layers (the inputs of layers 1 to 4).
    a: [[[f32; W]; B]; 4],
    /// GELU's derivatives in the hidden layers.
    d: [[[f32; W]; B]; 4],
    y: [[f32; 1]; B],
    dh: [[f32; 1]; B],
    dzh: [[f32; 1]; B],
    dz: [[[f32; W]; B]; 2],
    panel: [[f32; PANEL]; W],
    xt: [[f32; B]; W],
}

impl<const W: usize, const B: usize> Net<W, B> {
    /// The problem's weights and batch, on the heap.
    pub fn new(p: &Problem) -> Box<Self> {
        let mut n = Box::new(Self {
            w: [[[0.0; W]; W]; 4],
            b: [[0.0; W]; 4],
            hw: [[0.0; W]; 1],
            hb: [0.0; 1],
            gw: [[[0.0; W]; W]; 4],
            gb: [[0.0; W]; 4],
            ghw: [[0.0; W]; 1],
            ghb: [0.0; 1],
            x: [[0.0; W]; B],
            t: [0.0; B],
            a: [[[0.0; W]; B]; 4],
            d: [[[0.0; W]; B]; 4],
            y: [[0.0; 1]; B],
            dh: [[0.0; 1]; B],
            dzh: [[0.0; 1]; B],
            dz: [[[0.0; W]; B]; 2],
            panel: [[0.0; PANEL]; W],
            xt: [[0.0; B]; W],
        });
        for l in 0..4 {
            let (w, b) = p.layer(l);
            n.w[l].as_flattened_mut().copy_from_slice(w);
            n.b[l].copy_from_slice(b);
        }
        let (w, b) = p.layer(4);
        n.hw.as_flattened_mut().copy_from_slice(w);
        n.hb.copy_from_slice(b);
        n.x.as_flattened_mut().copy_from_slice(&p.inputs);
        n.t.copy_from_slice(&p.targets);
        n
    }

    /// Every parameter in skipgrad's order.
    pub fn weights(&self) -> Vec<f32> {
        let mut out = Vec::new();
        for l in 0..4 {
            out.extend(self.w[l].as_flattened());
            out.extend(&self.b[l]);
        }
        out.extend(self.hw.as_flattened());
        out.extend(&self.hb);
        out
    }

    /// One guarded step; `None` if refused (nothing changed).
    #[inline(always)]
    pub fn step<S: Simd, M: Mac>(&mut self, simd: S) -> Option<f32> {
        if !self.x.as_flattened().iter().all(|v| v.is_finite())
            || !self.t.iter().all(|v| v.is_finite())
        {
            return None;
        }
        // Forward: across samples when the batch fills two vectors, else across outputs.
        let by_sample = B.is_multiple_of(2 * S::F32_LANES);
        for l in 0..4 {
            let (prev, cur) = self.a.split_at_mut(l);
            let x = if l == 0 { &self.x } else { &prev[l - 1] };
            if by_sample {
                forward_by_sample::<S, M, W, W, B>(
                    simd,
                    &self.w[l],
                    &self.b[l],
                    x,
                    &mut cur[0],
                    &mut self.d[l],
                    &mut self.xt,
                );
            } else {
                forward::<S, M, W, W, B>(
                    simd,
                    &self.w[l],
                    &self.b[l],
                    x,
                    &mut cur[0],
                    &mut self.d[l],
                    &mut self.panel,
                );
            }
        }
        if by_sample {
            forward_by_sample::<S, M, W, 1, B>(
                simd,
                &self.hw,
                &self.hb,
                &self.a[3],
                &mut self.y,
                &mut self.dh,
                &mut self.xt,
            );
        } else {
            super::head::forward::<S, M, W, B>(
                simd,
                &self.hw,
                &self.hb,
                &self.a[3],
                &mut self.y,
                &mut self.dh,
            );
        }
        // Mean squared error: the loss, and PyTorch's gradient `2 / B * (y - t)`, through the
        // head's GELU.
        let mut sum = 0.0f32;
        for (y, t) in self.y.iter().zip(&self.t) {
            let e = y[0] - *t;
            sum += e * e;
        }
        let loss = sum / B as f32;
        if !loss.is_finite() {
            return None;
        }
        let norm = 2.0 / B as f32;
        for ((g, y), (t, d)) in self
            .dzh
            .iter_mut()
            .zip(&self.y)
            .zip(self.t.iter().zip(&self.dh))
        {
            g[0] = norm * (y[0] - *t) * d[0];
        }
        // Backward.
        backward_weight::<S, M, W, 1, B>(simd, &self.dzh, &self.a[3], &mut self.ghw, &mut self.ghb);
        let [dz0, dz1] = &mut self.dz;
        backward_input::<S, M, W, 1, B>(simd, &self.hw, &self.dzh, &self.d[3], dz0);
        let (mut cur, mut next) = (dz0, dz1);
        for l in (0..4).rev() {
            let input = if l == 0 { &self.x } else { &self.a[l - 1] };
            backward_weight::<S, M, W, W, B>(simd, cur, input, &mut self.gw[l], &mut self.gb[l]);
            if l > 0 {
                backward_input::<S, M, W, W, B>(simd, &self.w[l], cur, &self.d[l - 1], next);
                core::mem::swap(&mut cur, &mut next);
            }
        }
        // The update, as a transaction.
        let mut probe = update::Probe::default();
        for l in 0..4 {
            update::step(
                simd,
                self.w[l].as_flattened_mut(),
                self.gw[l].as_flattened_mut(),
                LR,
                &mut probe,
            );
            update::step(simd, &mut self.b[l], &mut self.gb[l], LR, &mut probe);
        }
        update::step(
            simd,
            self.hw.as_flattened_mut(),
            self.ghw.as_flattened_mut(),
            LR,
            &mut probe,
        );
        update::step(simd, &mut self.hb, &mut self.ghb, LR, &mut probe);
        let ok = probe.ok();
        for l in 0..4 {
            update::finish(
                self.w[l].as_flattened_mut(),
                self.gw[l].as_flattened_mut(),
                ok,
            );
            update::finish(&mut self.b[l], &mut self.gb[l], ok);
        }
        update::finish(self.hw.as_flattened_mut(), self.ghw.as_flattened_mut(), ok);
        update::finish(&mut self.hb, &mut self.ghb, ok);
        ok.then_some(loss)
    }
}

/// The prototype's step: kernels with summation `M`, compiled as `D` says.
pub struct ProtoStep<const W: usize, const B: usize, M, D> {
    net: Box<Net<W, B>>,
    dispatch: D,
    mac: core::marker::PhantomData<M>,
}

impl<const W: usize, const B: usize, M: Mac, D: Dispatch + Default> ProtoStep<W, B, M, D> {
    /// Loads the problem.
    pub fn new(p: &Problem) -> Self {
        Self {
            net: Net::new(p),
            dispatch: D::default(),
            mac: core::marker::PhantomData,
        }
    }
}

struct StepOp<'a, const W: usize, const B: usize, M>(
    &'a mut Net<W, B>,
    core::marker::PhantomData<M>,
);

impl<const W: usize, const B: usize, M: Mac> pulp::WithSimd for StepOp<'_, W, B, M> {
    type Output = Option<f32>;
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) -> Option<f32> {
        self.0.step::<S, M>(simd)
    }
}

impl<const W: usize, const B: usize, M: Mac, D: Dispatch> Step for ProtoStep<W, B, M, D> {
    #[inline(never)]
    fn step(&mut self) -> f32 {
        let op = StepOp::<W, B, M>(&mut self.net, core::marker::PhantomData);
        self.dispatch.run(op).expect("a finite step")
    }

    fn weights(&self) -> Vec<f32> {
        self.net.weights()
    }
}
