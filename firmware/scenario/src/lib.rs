//! The notebook run that the firmware performs on a microcontroller and the host repeats to
//! check it bit for bit: the network, the sample, the training step and the printed report.
//!
//! Everything here is `no_std` and allocation-free; output goes to any [`core::fmt::Write`]
//! (semihosting on the device, a `String` on the host), so both sides print the same text and
//! comparing the two texts compares every printed bit.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use core::fmt::{self, Write};

use skipgrad::{
    Gelu, Linear, Module, Mse, Optimizer, ParamName, Params, Residual, Sgd, TorchInit, Zeroed,
};

include!("network.rs");
include!(concat!(env!("OUT_DIR"), "/initial.rs"));

/// The notebook's sample.
pub const INPUT: [f32; 3] = [1.0, 0.0, -1.0];
/// The notebook's target.
pub const TARGET: [f32; 1] = [0.0];
/// SGD learning rate of the on-device training.
pub const LEARNING_RATE: f32 = 0.1;
/// The demo trains until the loss falls below this value.
pub const LOSS_THRESHOLD: f32 = 1e-4;
/// The demo gives up (and fails) after this many steps.
pub const MAX_STEPS: u32 = 200;
/// The number of SGD steps of the minimal trainer.
pub const MINIMAL_STEPS: u32 = 100;

/// The cache of a network on the notebook's input.
pub type Cache<M> = <M as Module<[f32; 3]>>::Cache;

/// The bytes the trained model itself needs: parameters, gradients and caches of
/// [`WithShortcut`] (what any trainer of this network must hold).
pub const MODEL_BYTES: usize =
    2 * core::mem::size_of::<WithShortcut>() + core::mem::size_of::<Cache<WithShortcut>>();

/// [`WithShortcut`] with its initial weights, the same as
/// `Params::torch_init(&mut TorchInit::new(SEED))` ([`INITIAL_WITH_SHORTCUT`]).
#[inline]
pub fn initial_with_shortcut() -> WithShortcut {
    INITIAL_WITH_SHORTCUT
}

/// One SGD step on the notebook's sample: forward, MSE loss, backward, then the core's
/// [`Sgd`] update `p -= lr * g` (PyTorch's `SGD` without momentum or weight decay) fused with
/// zeroing the gradients ([`Optimizer::step_and_zero`]).
///
/// `grads` must be zero on entry (as [`Zeroed::zeroed`] makes it), and is zero again on
/// return, ready for the next step. Returns the loss before the update.
#[inline]
pub fn train_step<M>(net: &mut M, grads: &mut M, cache: &mut Cache<M>, lr: f32) -> f32
where
    M: Module<[f32; 3], Output = [f32; 1]> + Params<f32>,
{
    let y = net.forward(&INPUT, cache);
    let loss = Mse::loss(&y, &TARGET);
    let dy = Mse::gradient(&y, &TARGET);
    net.backward(cache, &dy, grads);
    Sgd::new(lr).step_and_zero(net, grads);
    loss
}

/// FNV-1a over the bits of every parameter, in registration order: one word that changes
/// if any bit of any weight does.
pub fn weights_hash<M: Params<f32>>(net: &M) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    net.for_each_tensor(&mut |t| h = hash_tensor(h, t));
    h
}

/// One tensor's share of [`weights_hash`]. Not inlined: the model calls it once per tensor,
/// and one shared copy keeps the minimal trainer's flash small.
#[inline(never)]
fn hash_tensor(mut h: u32, t: &[f32]) -> u32 {
    for v in t {
        for byte in v.to_bits().to_le_bytes() {
            h = (h ^ u32::from(byte)).wrapping_mul(0x0100_0193);
        }
    }
    h
}

/// What the minimal trainer reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MinimalOutcome {
    /// Bits of the loss of the first step.
    pub first_loss_bits: u32,
    /// Bits of the loss of the last step.
    pub last_loss_bits: u32,
    /// [`weights_hash`] of the trained network.
    pub weights_hash: u32,
}

impl MinimalOutcome {
    /// True when training made progress: the last loss is finite and below the first.
    pub fn trained(&self) -> bool {
        let (first, last) = (
            f32::from_bits(self.first_loss_bits),
            f32::from_bits(self.last_loss_bits),
        );
        last.is_finite() && last < first
    }
}

/// The minimal trainer's run: [`MINIMAL_STEPS`] SGD steps from the initial weights.
/// The device runs the same loop (between two timer reads); the host calls this.
pub fn minimal_run() -> MinimalOutcome {
    let mut net = initial_with_shortcut();
    let mut grads = WithShortcut::zeroed();
    let mut cache = Cache::<WithShortcut>::zeroed();
    let first = train_step(&mut net, &mut grads, &mut cache, LEARNING_RATE);
    let mut last = first;
    for _ in 1..MINIMAL_STEPS {
        last = train_step(&mut net, &mut grads, &mut cache, LEARNING_RATE);
    }
    MinimalOutcome {
        first_loss_bits: first.to_bits(),
        last_loss_bits: last.to_bits(),
        weights_hash: weights_hash(&net),
    }
}

/// The first line of the demo's report.
pub const DEMO_BEGIN: &str = "skipgrad-demo begin";
/// The last line of the demo's report.
pub const DEMO_END: &str = "skipgrad-demo end";

/// How the demo ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DemoOutcome {
    /// Steps taken before the loss fell below [`LOSS_THRESHOLD`] (or [`MAX_STEPS`]).
    pub steps: u32,
    /// True when the loss fell below the threshold.
    pub reached: bool,
}

/// The full demo: builds both networks with `TorchInit::new(SEED)`, prints the notebook's
/// per-layer mean |grad| table for each (decimal and f32 bits), then trains the shortcut
/// network with SGD until the loss falls below [`LOSS_THRESHOLD`], printing every loss and
/// the final weights as f32 bits.
pub fn demo(out: &mut impl Write) -> Result<DemoOutcome, fmt::Error> {
    writeln!(out, "{DEMO_BEGIN}")?;
    let plain: Plain = Params::torch_init(&mut TorchInit::new(SEED));
    grad_table(out, "without_shortcut", &plain)?;
    let mut net: WithShortcut = Params::torch_init(&mut TorchInit::new(SEED));
    grad_table(out, "with_shortcut", &net)?;

    let mut grads = WithShortcut::zeroed();
    let mut cache = Cache::<WithShortcut>::zeroed();
    let mut outcome = DemoOutcome {
        steps: 0,
        reached: false,
    };
    while outcome.steps < MAX_STEPS {
        let loss = train_step(&mut net, &mut grads, &mut cache, LEARNING_RATE);
        writeln!(
            out,
            "loss {} {} 0x{:08x}",
            outcome.steps,
            loss,
            loss.to_bits()
        )?;
        outcome.steps += 1;
        if loss < LOSS_THRESHOLD {
            outcome.reached = true;
            break;
        }
    }
    writeln!(
        out,
        "trained steps={} reached={} threshold={}",
        outcome.steps, outcome.reached, LOSS_THRESHOLD
    )?;
    let mut result = Ok(());
    net.visit_named(&mut ParamName::with_prefix("layers"), &mut |name, t| {
        if result.is_ok() {
            result = write_bits(out, name.as_str(), t);
        }
    });
    result?;
    writeln!(out, "{DEMO_END}")?;
    Ok(outcome)
}

/// Prints one network's table: `grad <variant> <name> <mean |grad|> 0x<bits>` per weight,
/// the mean computed as the notebook does (`grad.abs().mean()`: summed in order, divided by
/// the count, in f32).
fn grad_table<M>(out: &mut impl Write, variant: &str, net: &M) -> fmt::Result
where
    M: Module<[f32; 3], Output = [f32; 1]> + Params<f32>,
{
    let mut cache = Cache::<M>::zeroed();
    let mut grads = M::zeroed();
    let y = net.forward(&INPUT, &mut cache);
    net.backward(&cache, &Mse::gradient(&y, &TARGET), &mut grads);
    let mut result = Ok(());
    grads.visit_named(&mut ParamName::with_prefix("layers"), &mut |name, t| {
        if result.is_ok() && name.as_str().ends_with("weight") {
            let sum = t.iter().fold(0.0f32, |s, g| s + g.abs());
            let mean = sum / t.len() as f32;
            result = writeln!(
                out,
                "grad {variant} {} {} 0x{:08x}",
                name.as_str(),
                mean,
                mean.to_bits()
            );
        }
    });
    result
}

fn write_bits(out: &mut impl Write, name: &str, t: &[f32]) -> fmt::Result {
    write!(out, "weight {name}")?;
    for v in t {
        write!(out, " 0x{:08x}", v.to_bits())?;
    }
    writeln!(out)
}
