//! The `Linear(W, 1)` head's forward pass: one output per sample, too narrow for the panel
//! kernel. The samples' sums run side by side (independent chains), each in index order.

use pulp::Simd;

use super::gelu;
use super::kernels::Mac;

/// `y[b] = gelu(sum_k w[0][k] x[b][k] + bias)`, `d[b]` GELU's derivative.
#[inline(always)]
pub fn forward<S: Simd, M: Mac, const I: usize, const B: usize>(
    _: S,
    w: &[[f32; I]; 1],
    bias: &[f32; 1],
    x: &[[f32; I]; B],
    y: &mut [[f32; 1]; B],
    d: &mut [[f32; 1]; B],
) {
    let mut acc = [0.0f32; B];
    for (k, w) in w[0].iter().enumerate() {
        for (a, x) in acc.iter_mut().zip(x) {
            *a = M::mac1(*a, *w, x[k]);
        }
    }
    for ((a, y), d) in acc.iter().zip(y).zip(d) {
        (y[0], d[0]) = gelu::value_and_derivative(*a + bias[0]);
    }
}
