//! candle on its CPU device: `candle_nn::Linear` layers over `Var`s, `gelu` (the tanh
//! approximation), the mean of the squared error, and `candle_nn::SGD::backward_step`.

use candle_core::{Device, Tensor, Var};
use candle_nn::{Linear, Module, Optimizer, SGD};

use crate::config::LR;
use crate::problem::Problem;
use crate::Step;

/// candle's step.
pub struct CandleStep {
    vars: Vec<Var>,
    layers: Vec<Linear>,
    sgd: SGD,
    x: Tensor,
    t: Tensor,
}

impl CandleStep {
    /// Loads the problem's weights and batch.
    pub fn new(p: &Problem) -> candle_core::Result<Self> {
        let dev = Device::Cpu;
        let mut vars = Vec::new();
        let mut layers = Vec::new();
        for (n, (i, o)) in p.config.layers().into_iter().enumerate() {
            let (w, b) = p.layer(n);
            let w = Var::from_slice(w, (o, i), &dev)?;
            let b = Var::from_slice(b, o, &dev)?;
            layers.push(Linear::new(
                w.as_tensor().clone(),
                Some(b.as_tensor().clone()),
            ));
            vars.push(w);
            vars.push(b);
        }
        let sgd = SGD::new(vars.clone(), f64::from(LR))?;
        let (b, w) = (p.config.batch, p.config.width);
        let x = Tensor::from_slice(&p.inputs, (b, w), &dev)?;
        let t = Tensor::from_slice(&p.targets, (b, 1), &dev)?;
        Ok(Self {
            vars,
            layers,
            sgd,
            x,
            t,
        })
    }

    fn try_step(&mut self) -> candle_core::Result<f32> {
        let mut h = self.x.clone();
        for l in &self.layers {
            h = l.forward(&h)?.gelu()?;
        }
        let loss = (h - &self.t)?.sqr()?.mean_all()?;
        let value = loss.to_scalar::<f32>()?;
        self.sgd.backward_step(&loss)?;
        Ok(value)
    }
}

impl Step for CandleStep {
    #[inline(never)]
    fn step(&mut self) -> f32 {
        self.try_step().expect("candle step")
    }

    fn weights(&self) -> Vec<f32> {
        let mut out = Vec::new();
        for v in &self.vars {
            out.extend(
                v.as_tensor()
                    .flatten_all()
                    .and_then(|t| t.to_vec1::<f32>())
                    .expect("weights"),
            );
        }
        out
    }
}

/// candle for the problem.
pub fn build(p: &Problem) -> Box<dyn Step> {
    Box::new(CandleStep::new(p).expect("candle model"))
}
