//! One training step of a small MLP, timed in skipgrad and its peers.
//!
//! Every implementation runs the same step on the same weights and batch: forward, mean
//! squared error, backward and plain SGD (lr 1e-3) on a network of five `Linear` layers,
//! each followed by the tanh approximation of GELU (the seed notebook's network, scaled):
//! `Linear(W, W)` four times, then `Linear(W, 1)`. [`config::CONFIGS`] lists the four sizes.
//!
//! - [`peers::skipgrad`]: the public `Trainer::step`, the batch as one `Batch` through
//!   `Batched`.
//! - [`peers::floor`]: the same arithmetic written by hand with plain fixed-size arrays.
//! - [`peers::dfdx`] and [`peers::candle`]: the libraries as their documentation uses them.
//! - `pytorch_step.py` (beside this crate's manifest): PyTorch with one thread.
//! - [`proto`]: prototypes of batched kernels for the core (see README.md).
//!
//! [`check`] makes sure each of them computes the same step before anything is timed.

pub mod check;
pub mod config;
pub mod peak;
pub mod peers;
pub mod problem;
pub mod proto;
pub mod report;

/// One implementation of the training step, holding its own weights, batch and buffers.
pub trait Step {
    /// One step on the batch: returns the loss before the update.
    fn step(&mut self) -> f32;
    /// The weights in skipgrad's order: per layer the weight (`[out][in]`, row-major), then
    /// the bias.
    fn weights(&self) -> Vec<f32>;
}

/// Every implementation that runs `config`: the peers, then the prototypes.
pub fn implementations(config: &config::Config) -> Vec<peers::Implementation> {
    let mut all = peers::peers();
    if proto::applies(config) {
        all.extend(proto::prototypes());
    }
    all
}

/// Makes the process single-threaded for the peers that use rayon (dfdx, candle): call first
/// in `main`, before any thread exists.
pub fn one_thread() {
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        std::env::set_var("RAYON_NUM_THREADS", "1");
    }
}
