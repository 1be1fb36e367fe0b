//! dfdx 0.13 on its CPU device, as its examples train: `forward_mut` on a traced batch,
//! `mse_loss`, `backward`, `Sgd::update`, `zero_grads`.

use dfdx::optim::{Sgd, SgdConfig};
use dfdx::prelude::*;

use crate::config::LR;
use crate::problem::Problem;
use crate::Step;

type Mlp<const W: usize> = (
    (Linear<W, W>, FastGeLU),
    (Linear<W, W>, FastGeLU),
    (Linear<W, W>, FastGeLU),
    (Linear<W, W>, FastGeLU),
    (Linear<W, 1>, FastGeLU),
);
type Built<const W: usize> = <Mlp<W> as BuildOnDevice<Cpu, f32>>::Built;

/// dfdx's step.
pub struct DfdxStep<const W: usize, const B: usize> {
    model: Built<W>,
    grads: Option<Gradients<f32, Cpu>>,
    sgd: Sgd<Built<W>, f32, Cpu>,
    x: Tensor<Rank2<B, W>, f32, Cpu>,
    t: Tensor<Rank2<B, 1>, f32, Cpu>,
}

fn load<const I: usize, const O: usize>(
    l: &mut modules::Linear<I, O, f32, Cpu>,
    p: &Problem,
    n: usize,
) {
    let (w, b) = p.layer(n);
    l.weight.copy_from(w);
    l.bias.copy_from(b);
}

fn store<const I: usize, const O: usize>(l: &modules::Linear<I, O, f32, Cpu>, out: &mut Vec<f32>) {
    out.extend(l.weight.as_vec());
    out.extend(l.bias.as_vec());
}

impl<const W: usize, const B: usize> DfdxStep<W, B> {
    /// Loads the problem's weights and batch.
    pub fn new(p: &Problem) -> Self {
        let dev = Cpu::default();
        let mut model = dev.build_module::<Mlp<W>, f32>();
        load(&mut model.0 .0, p, 0);
        load(&mut model.1 .0, p, 1);
        load(&mut model.2 .0, p, 2);
        load(&mut model.3 .0, p, 3);
        load(&mut model.4 .0, p, 4);
        let grads = Some(model.alloc_grads());
        let sgd = Sgd::new(
            &model,
            SgdConfig {
                lr: f64::from(LR),
                momentum: None,
                weight_decay: None,
            },
        );
        let mut x = dev.zeros::<Rank2<B, W>>();
        x.copy_from(&p.inputs);
        let mut t = dev.zeros::<Rank2<B, 1>>();
        t.copy_from(&p.targets);
        Self {
            model,
            grads,
            sgd,
            x,
            t,
        }
    }
}

impl<const W: usize, const B: usize> Step for DfdxStep<W, B> {
    #[inline(never)]
    fn step(&mut self) -> f32 {
        let grads = self.grads.take().expect("gradients");
        let y = self.model.forward_mut(self.x.clone().traced(grads));
        let loss = mse_loss(y, self.t.clone());
        let value = loss.array();
        let mut grads = loss.backward();
        self.sgd
            .update(&mut self.model, &grads)
            .expect("every parameter has a gradient");
        self.model.zero_grads(&mut grads);
        self.grads = Some(grads);
        value
    }

    fn weights(&self) -> Vec<f32> {
        let mut out = Vec::new();
        store(&self.model.0 .0, &mut out);
        store(&self.model.1 .0, &mut out);
        store(&self.model.2 .0, &mut out);
        store(&self.model.3 .0, &mut out);
        store(&self.model.4 .0, &mut out);
        out
    }
}

/// dfdx for the problem's sizes.
pub fn build(p: &Problem) -> Box<dyn Step> {
    crate::with_sizes!(p.config, |W, B| Box::new(DfdxStep::<W, B>::new(p)))
}
