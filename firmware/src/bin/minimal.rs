//! The minimal trainer: trains the notebook network (with shortcuts) for a fixed number of
//! guarded SGD steps through the core's `Trainer`, and reports a few hex words and its exit
//! status, so that its footprint is the library's and not that of float formatting. Also
//! measures peak stack (painting) and the instructions per training step (a timer around the
//! loop of steps, see `timer`).
//!
//! The model, its gradients and its cache are statics, as firmware usually keeps them: the
//! model's initial weights are in `.data` (copied from flash at reset), the buffers in `.bss`
//! (their zero value is a constant, so no `unsafe` initialiser is needed).
#![no_std]
#![no_main]

use core::ptr::addr_of_mut;

use skipgrad::Zeroed;
use skipgrad_firmware::{hex, semihosting, stack, timer};
use skipgrad_notebook::minimal::{self, MinimalOutcome, Model, ModelBuffers, MINIMAL_STEPS};
use skipgrad_notebook::network::INITIAL_WITH_SHORTCUT;

static mut MODEL: Model = INITIAL_WITH_SHORTCUT;
static mut BUFFERS: ModelBuffers = ModelBuffers::ZERO;

#[cfg_attr(target_arch = "arm", cortex_m_rt::entry)]
#[cfg_attr(target_arch = "riscv32", riscv_rt::entry)]
fn main() -> ! {
    // SAFETY: `main` runs once, on one core, without interrupts: these are the only
    // references to the statics.
    let (model, buffers) = unsafe { (&mut *addr_of_mut!(MODEL), &mut *addr_of_mut!(BUFFERS)) };
    stack::paint();
    let result = run(model, buffers);
    let peak = stack::peak_bytes();
    let calibration = timer::calibration_ticks();
    #[cfg(feature = "panic-canary")]
    {
        let words = [1u32, 2, 3];
        hex::print_word(b"canary", words[core::hint::black_box(3usize)]);
    }
    let Some((outcome, ticks)) = result else {
        semihosting::exit(false)
    };
    let words = [
        (&b"steps"[..], MINIMAL_STEPS),
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
fn run(model: &mut Model, buffers: &mut ModelBuffers) -> Option<(MinimalOutcome, u32)> {
    let mut trainer = minimal::trainer(model, buffers)?;
    let (mut first, mut last) = (0.0f32, 0.0f32);
    timer::start();
    let t0 = timer::read();
    for i in 0..MINIMAL_STEPS {
        last = minimal::step(&mut trainer);
        if i == 0 {
            first = last;
        }
    }
    let t1 = timer::read();
    Some((
        MinimalOutcome::new(first, last, &trainer),
        timer::elapsed(t0, t1),
    ))
}
