//! The minimal trainer: trains the notebook network (with shortcuts) for a fixed number of SGD
//! steps and reports a few hex words and its exit status, so that its footprint is the
//! library's and not that of float formatting. Also measures peak stack (painting) and the
//! instructions per training step (a timer around the loop of steps, see `timer`).
#![no_std]
#![no_main]

use skipgrad::Zeroed;
use skipgrad_firmware::{hex, semihosting, stack, timer};
use skipgrad_scenario::{self as scenario, Cache, MinimalOutcome, WithShortcut};

#[cfg_attr(target_arch = "arm", cortex_m_rt::entry)]
#[cfg_attr(target_arch = "riscv32", riscv_rt::entry)]
fn main() -> ! {
    stack::paint();
    let (outcome, ticks) = run();
    let peak = stack::peak_bytes();
    let calibration = timer::calibration_ticks();
    #[cfg(feature = "panic-canary")]
    {
        let words = [1u32, 2, 3];
        hex::print_word(b"canary", words[core::hint::black_box(3usize)]);
    }
    hex::print_word(b"minimal steps", scenario::MINIMAL_STEPS);
    hex::print_word(b"minimal first_loss", outcome.first_loss_bits);
    hex::print_word(b"minimal last_loss", outcome.last_loss_bits);
    hex::print_word(b"minimal weights_hash", outcome.weights_hash);
    hex::print_word(b"minimal peak_stack", peak);
    hex::print_word(b"minimal step_ticks", ticks);
    hex::print_word(b"minimal calibration_ticks", calibration);
    semihosting::exit(outcome.trained())
}

/// The run whose stack is measured: the model, its gradients and caches live in this frame.
#[inline(never)]
fn run() -> (MinimalOutcome, u32) {
    let mut net = scenario::initial_with_shortcut();
    let mut grads = WithShortcut::zeroed();
    let mut cache = Cache::<WithShortcut>::zeroed();
    let (mut first, mut last) = (0.0f32, 0.0f32);
    timer::start();
    let t0 = timer::read();
    for i in 0..scenario::MINIMAL_STEPS {
        last = scenario::train_step(&mut net, &mut grads, &mut cache, scenario::LEARNING_RATE);
        if i == 0 {
            first = last;
        }
    }
    let t1 = timer::read();
    let outcome = MinimalOutcome {
        first_loss_bits: first.to_bits(),
        last_loss_bits: last.to_bits(),
        weights_hash: scenario::weights_hash(&net),
    };
    (outcome, timer::elapsed(t0, t1))
}
