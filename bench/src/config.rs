//! The four configurations of issue 21.
//!
//! `3-3-3-3-3-1` is the notebook's network: the widths of the activations, input first, so
//! four `Linear(3, 3)` and one `Linear(3, 1)`. `64 x 5 - 1` and `256 x 5 - 1` are read the
//! same way (five widths of 64, then 1): four `Linear(W, W)` and a `Linear(W, 1)`, each
//! followed by GELU. This is also the reading under which the goal for config 4 (0.6
//! ms) is 85 GFLOP/s.

/// One benchmark configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// 1 to 4, as the issue numbers them.
    pub id: usize,
    /// The width of the input and of every hidden layer.
    pub width: usize,
    /// Samples per step.
    pub batch: usize,
}

/// The four configurations.
pub const CONFIGS: [Config; 4] = [
    Config {
        id: 1,
        width: 3,
        batch: 1,
    },
    Config {
        id: 2,
        width: 64,
        batch: 1,
    },
    Config {
        id: 3,
        width: 64,
        batch: 32,
    },
    Config {
        id: 4,
        width: 256,
        batch: 32,
    },
];

/// Hidden `Linear(W, W)` layers before the `Linear(W, 1)` head.
pub const HIDDEN: usize = 4;

/// The learning rate of every implementation.
pub const LR: f32 = 1e-3;

impl Config {
    /// `"3-3-3-3-3-1, batch 1"`.
    pub fn label(&self) -> String {
        let w = self.width;
        if w < 10 {
            format!("{w}-{w}-{w}-{w}-{w}-1, batch {}", self.batch)
        } else {
            format!("{w} x 5 - 1, batch {}", self.batch)
        }
    }

    /// The layers' `(in, out)` sizes.
    pub fn layers(&self) -> Vec<(usize, usize)> {
        let mut l = vec![(self.width, self.width); HIDDEN];
        l.push((self.width, 1));
        l
    }

    /// Parameters: weights and biases of every layer.
    pub fn params(&self) -> usize {
        self.layers().iter().map(|(i, o)| i * o + o).sum()
    }

    /// Floating-point operations of one step, by the usual rule for training a dense network:
    /// `6 B` per weight (a multiply and an add in each of the forward product, the weight
    /// gradient and the input gradient). It counts the first layer's input gradient, which
    /// no implementation needs, and leaves out the bias, activation, loss and update (`O(B O)`
    /// and `O(I O)`). For config 4 this is 50.4 MFLOP, so the 0.6 ms is 84 GFLOP/s.
    pub fn flops(&self) -> f64 {
        let weights: usize = self.layers().iter().map(|(i, o)| i * o).sum();
        6.0 * (self.batch * weights) as f64
    }
}
