//! The SGD update as skipgrad's `Sgd` does it (`p = p - lr * g`, the old value kept in the
//! gradient's slot, a probe that turns NaN if a new value is not finite), with the probe in
//! lanes: the probe's bits do not matter, only whether it is zero, so its sums can run in any
//! order and the loop vectorises. Then [`finish`] zeroes the gradients, or puts the old
//! values back.

// `x - x` is the probe: zero for a finite `x`, NaN otherwise.
#![allow(clippy::eq_op)]

use pulp::Simd;

/// The finiteness probe: a vector of running sums and a scalar one for the tails.
#[derive(Clone, Copy, Debug, Default)]
pub struct Probe {
    lanes: [f32; 16],
    tail: f32,
}

impl Probe {
    /// Whether every value folded in was finite.
    #[inline(always)]
    pub fn ok(&self) -> bool {
        self.tail == 0.0 && self.lanes.iter().all(|p| *p == 0.0)
    }
}

/// `p = p - lr * g` over one tensor, keeping each old `p` in `g`.
#[inline(always)]
pub fn step<S: Simd>(s: S, p: &mut [f32], g: &mut [f32], lr: f32, probe: &mut Probe) {
    let l = S::F32_LANES;
    let mut acc = S::as_simd_f32s(&probe.lanes[..l]).0[0];
    let (pv, p_rest) = S::as_mut_simd_f32s(p);
    let (gv, g_rest) = S::as_mut_simd_f32s(g);
    let lr_v = s.splat_f32s(lr);
    for (p, g) in pv.iter_mut().zip(gv.iter_mut()) {
        let old = *p;
        let new = s.sub_f32s(old, s.mul_f32s(lr_v, *g));
        acc = s.add_f32s(acc, s.sub_f32s(new, new));
        *p = new;
        *g = old;
    }
    S::as_mut_simd_f32s(&mut probe.lanes[..l]).0[0] = acc;
    for (p, g) in p_rest.iter_mut().zip(g_rest) {
        let old = *p;
        *p = old - lr * *g;
        probe.tail += *p - *p;
        *g = old;
    }
}

/// After every tensor's [`step`]: zero the gradients if the update is kept, else put the
/// old values back first.
#[inline(always)]
pub fn finish(p: &mut [f32], g: &mut [f32], keep: bool) {
    if !keep {
        p.copy_from_slice(g);
    }
    g.fill(0.0);
}
