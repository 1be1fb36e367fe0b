//! The floor: the same step written by hand with plain fixed-size arrays, one sample at a
//! time, each sum in index order. It uses skipgrad's GELU (value and derivative) so that it
//! does the same arithmetic: it must give skipgrad's losses and weights bit for bit.

// Index loops over the arrays' sizes, as the floor's user would write them.
#![allow(clippy::needless_range_loop)]

use skipgrad::layer::activation::ElementWise;
use skipgrad::Gelu;

use crate::config::LR;
use crate::problem::Problem;
use crate::Step;

/// A dense layer: `w[out][in]`, `b[out]`.
#[derive(Clone, Copy)]
struct Dense<const I: usize, const O: usize> {
    w: [[f32; I]; O],
    b: [f32; O],
}

impl<const I: usize, const O: usize> Dense<I, O> {
    const ZERO: Self = Self {
        w: [[0.0; I]; O],
        b: [0.0; O],
    };

    fn load(&mut self, w: &[f32], b: &[f32]) {
        for (row, v) in self.w.iter_mut().zip(w.chunks_exact(I)) {
            row.copy_from_slice(v);
        }
        self.b.copy_from_slice(b);
    }

    fn store(&self, out: &mut Vec<f32>) {
        out.extend(self.w.iter().flatten());
        out.extend(&self.b);
    }

    /// `gelu(W x + b)`, and GELU's derivative into `d`.
    #[inline(always)]
    fn forward(&self, x: &[f32; I], d: &mut [f32; O]) -> [f32; O] {
        let mut y = [0.0; O];
        for o in 0..O {
            let mut z = 0.0;
            for i in 0..I {
                z += self.w[o][i] * x[i];
            }
            (y[o], d[o]) = Gelu.value_and_derivative(z + self.b[o]);
        }
        y
    }

    /// Accumulates the gradients of one sample (`dz` the gradient before GELU) into `g` and
    /// returns the input gradient if asked.
    #[inline(always)]
    fn backward(&self, x: &[f32; I], dz: &[f32; O], g: &mut Self, dx: Option<&mut [f32; I]>) {
        for o in 0..O {
            g.b[o] += dz[o];
            for i in 0..I {
                g.w[o][i] += dz[o] * x[i];
            }
        }
        if let Some(dx) = dx {
            *dx = [0.0; I];
            for o in 0..O {
                for i in 0..I {
                    dx[i] += self.w[o][i] * dz[o];
                }
            }
        }
    }

    /// `p -= lr * g`, then `g = 0`.
    #[inline(always)]
    fn update(&mut self, g: &mut Self) {
        for (w, g) in self.w.iter_mut().flatten().zip(g.w.iter_mut().flatten()) {
            *w -= LR * *g;
            *g = 0.0;
        }
        for (b, g) in self.b.iter_mut().zip(g.b.iter_mut()) {
            *b -= LR * *g;
            *g = 0.0;
        }
    }
}

/// The network, its gradients, and per sample the inputs and GELU derivatives of each layer.
struct Net<const W: usize, const B: usize> {
    hidden: [Dense<W, W>; 4],
    head: Dense<W, 1>,
    g_hidden: [Dense<W, W>; 4],
    g_head: Dense<W, 1>,
    /// `a[b][l]`: the input of layer `l` for sample `b` (layer 4 is the head).
    a: [[[f32; W]; 5]; B],
    /// GELU's derivatives of the hidden layers.
    d: [[[f32; W]; 4]; B],
    d_head: [[f32; 1]; B],
    x: [[f32; W]; B],
    t: [f32; B],
}

/// The floor's step, on the heap.
pub struct FloorStep<const W: usize, const B: usize>(Box<Net<W, B>>);

impl<const W: usize, const B: usize> FloorStep<W, B> {
    /// Loads the problem's weights and batch.
    pub fn new(p: &Problem) -> Self {
        let mut n = Box::new(Net {
            hidden: [Dense::ZERO; 4],
            head: Dense::ZERO,
            g_hidden: [Dense::ZERO; 4],
            g_head: Dense::ZERO,
            a: [[[0.0; W]; 5]; B],
            d: [[[0.0; W]; 4]; B],
            d_head: [[0.0; 1]; B],
            x: [[0.0; W]; B],
            t: [0.0; B],
        });
        for (l, layer) in n.hidden.iter_mut().enumerate() {
            let (w, b) = p.layer(l);
            layer.load(w, b);
        }
        let (w, b) = p.layer(4);
        n.head.load(w, b);
        for (s, v) in n.x.iter_mut().zip(p.inputs.chunks_exact(W)) {
            s.copy_from_slice(v);
        }
        n.t.copy_from_slice(&p.targets);
        Self(n)
    }
}

impl<const W: usize, const B: usize> Step for FloorStep<W, B> {
    #[inline(never)]
    fn step(&mut self) -> f32 {
        let n = &mut *self.0;
        let mut y = [0.0f32; B];
        for s in 0..B {
            let mut a = n.x[s];
            for l in 0..4 {
                n.a[s][l] = a;
                a = n.hidden[l].forward(&a, &mut n.d[s][l]);
            }
            n.a[s][4] = a;
            y[s] = n.head.forward(&a, &mut n.d_head[s])[0];
        }
        // Mean squared error over the batch, PyTorch's gradient `2 / B * (y - t)`.
        let mut sum = 0.0;
        for s in 0..B {
            let e = y[s] - n.t[s];
            sum += e * e;
        }
        let norm = 2.0 / B as f32;
        for s in 0..B {
            let dz = [norm * (y[s] - n.t[s]) * n.d_head[s][0]];
            let mut da = [0.0; W];
            n.head
                .backward(&n.a[s][4], &dz, &mut n.g_head, Some(&mut da));
            for l in (0..4).rev() {
                let mut dz = da;
                for (g, d) in dz.iter_mut().zip(&n.d[s][l]) {
                    *g *= *d;
                }
                let dx = if l > 0 { Some(&mut da) } else { None };
                n.hidden[l].backward(&n.a[s][l], &dz, &mut n.g_hidden[l], dx);
            }
        }
        for (p, g) in n.hidden.iter_mut().zip(n.g_hidden.iter_mut()) {
            p.update(g);
        }
        n.head.update(&mut n.g_head);
        sum / B as f32
    }

    fn weights(&self) -> Vec<f32> {
        let mut out = Vec::new();
        for l in &self.0.hidden {
            l.store(&mut out);
        }
        self.0.head.store(&mut out);
        out
    }
}

/// The floor for the problem's sizes.
pub fn build(p: &Problem) -> Box<dyn Step> {
    crate::with_sizes!(p.config, |W, B| Box::new(FloorStep::<W, B>::new(p)))
}
