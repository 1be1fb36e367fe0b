//! skipgrad through its public API: `Trainer::step` on one `Batch`, the model `Batched`.

use skipgrad::{Batch, Batched, Buffers, Gelu, Linear, Mse, Params, Sgd, Trainer, Zeroed};

use crate::config::LR;
use crate::problem::Problem;
use crate::Step;

/// `Linear(I, O)` then GELU.
pub type Layer<const I: usize, const O: usize> = (Linear<f32, I, O>, Gelu);

/// The benchmark's network: four `Linear(W, W)` and a `Linear(W, 1)`, GELU after each.
pub type Mlp<const W: usize> = (
    Layer<W, W>,
    Layer<W, W>,
    Layer<W, W>,
    Layer<W, W>,
    Layer<W, 1>,
);

type Model<const W: usize> = Batched<Mlp<W>>;
type Input<const W: usize, const B: usize> = Batch<[f32; W], B>;

/// skipgrad's step, state on the heap (the width-256 model is 1 MB).
pub struct SkipgradStep<const W: usize, const B: usize> {
    model: Box<Model<W>>,
    buffers: Box<Buffers<Model<W>, Input<W, B>>>,
    sgd: Sgd<f32>,
    x: Box<[Input<W, B>; 1]>,
    t: Box<[Batch<[f32; 1], B>; 1]>,
}

impl<const W: usize, const B: usize> SkipgradStep<W, B> {
    /// Loads the problem's weights and batch.
    pub fn new(p: &Problem) -> Self {
        assert_eq!((p.config.width, p.config.batch), (W, B));
        let mut model = Box::new(Model::<W>::ZERO);
        model.load_flat(&p.params).expect("parameter count");
        let mut x = Box::new([Batch([[0.0; W]; B])]);
        for (s, v) in x[0].0.iter_mut().zip(p.inputs.chunks_exact(W)) {
            s.copy_from_slice(v);
        }
        let mut t = Box::new([Batch([[0.0; 1]; B])]);
        for (s, v) in t[0].0.iter_mut().zip(&p.targets) {
            s[0] = *v;
        }
        Self {
            model,
            buffers: Box::new(Buffers::ZERO),
            sgd: Sgd::new(f64::from(LR)).expect("learning rate"),
            x,
            t,
        }
    }
}

impl<const W: usize, const B: usize> Step for SkipgradStep<W, B> {
    #[inline(never)]
    fn step(&mut self) -> f32 {
        let mut trainer = Trainer::new(&mut *self.model, &mut *self.buffers, self.sgd, Mse);
        trainer.step(&self.x, &self.t).expect("a finite step")
    }

    fn weights(&self) -> Vec<f32> {
        let mut out = vec![0.0; <Model<W> as Params<f32>>::LEN];
        self.model.store_flat(&mut out).expect("parameter count");
        out
    }
}

/// skipgrad for the problem's sizes.
pub fn build(p: &Problem) -> Box<dyn Step> {
    crate::with_sizes!(p.config, |W, B| Box::new(SkipgradStep::<W, B>::new(p)))
}
