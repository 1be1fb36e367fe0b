//! The minimal trainer: trains the notebook network (with shortcuts) for a fixed number of SGD
//! steps and reports a few hex words and its exit status, so that its footprint is the
//! library's and not that of float formatting. Also measures peak stack (painting) and the
//! instructions per training step (a timer around the loop of steps, see `timer`).
//!
//! The model, its gradients and its cache are statics, as firmware usually keeps them: the
//! model's initial weights are in `.data` (copied from flash at reset), the gradients and the
//! cache in `.bss`.
#![no_std]
#![no_main]

use core::mem::MaybeUninit;
use core::ptr::addr_of_mut;

use skipgrad_firmware::{hex, semihosting, stack, timer};
use skipgrad_scenario::{self as scenario, Cache, MinimalOutcome, WithShortcut};

static mut NET: WithShortcut = scenario::INITIAL_WITH_SHORTCUT;
// SAFETY: both types are nested arrays of `f32`, for which all-zero bytes are 0.0.
static mut GRADS: WithShortcut = unsafe { MaybeUninit::zeroed().assume_init() };
// SAFETY: as above.
static mut CACHE: Cache<WithShortcut> = unsafe { MaybeUninit::zeroed().assume_init() };

#[cfg_attr(target_arch = "arm", cortex_m_rt::entry)]
#[cfg_attr(target_arch = "riscv32", riscv_rt::entry)]
fn main() -> ! {
    // SAFETY: `main` runs once, on one core, without interrupts: these are the only
    // references to the statics.
    let (net, grads, cache) = unsafe {
        (
            &mut *addr_of_mut!(NET),
            &mut *addr_of_mut!(GRADS),
            &mut *addr_of_mut!(CACHE),
        )
    };
    stack::paint();
    let (outcome, ticks) = run(net, grads, cache);
    let peak = stack::peak_bytes();
    let calibration = timer::calibration_ticks();
    #[cfg(feature = "panic-canary")]
    {
        let words = [1u32, 2, 3];
        hex::print_word(b"canary", words[core::hint::black_box(3usize)]);
    }
    let words = [
        (&b"steps"[..], scenario::MINIMAL_STEPS),
        (b"first_loss", outcome.first_loss_bits),
        (b"last_loss", outcome.last_loss_bits),
        (b"weights_hash", outcome.weights_hash),
        (b"peak_stack", peak),
        (b"step_ticks", ticks),
        (b"calibration_ticks", calibration),
    ];
    for (label, word) in words {
        hex::print_word(label, word);
    }
    semihosting::exit(outcome.trained())
}

/// The training loop, timed; its frame and everything it calls is what the stack
/// measurement sees.
#[inline(never)]
fn run(
    net: &mut WithShortcut,
    grads: &mut WithShortcut,
    cache: &mut Cache<WithShortcut>,
) -> (MinimalOutcome, u32) {
    let (mut first, mut last) = (0.0f32, 0.0f32);
    timer::start();
    let t0 = timer::read();
    for i in 0..scenario::MINIMAL_STEPS {
        last = scenario::train_step(net, grads, cache, scenario::LEARNING_RATE);
        if i == 0 {
            first = last;
        }
    }
    let t1 = timer::read();
    let outcome = MinimalOutcome {
        first_loss_bits: first.to_bits(),
        last_loss_bits: last.to_bits(),
        weights_hash: scenario::weights_hash(net),
    };
    (outcome, timer::elapsed(t0, t1))
}
