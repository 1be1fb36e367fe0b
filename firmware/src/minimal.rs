//! A minimal trainer on the device: trains a notebook network for a fixed number of guarded
//! SGD steps through the core's `Trainer` (`skipgrad_notebook::minimal`), and reports one
//! line, `minimal` and seven hex words, and its exit status, so that its footprint is the
//! library's and not that of float formatting. Also measures peak stack (painting) and the
//! instructions per training step (a timer around the loop of steps, see [`timer`]).
//!
//! Each binary (`minimal`, `minimal-q16`, `minimal-q16-tanh`) keeps its model, gradients and
//! cache in statics, as firmware usually does: the initial weights in `.data` (copied from
//! flash at reset), the buffers in `.bss` (their zero value is a constant, so no `unsafe`
//! initialiser is needed), and calls [`run`].

use skipgrad_notebook::minimal::{
    self, Minimal, MinimalOutcome, Model, ModelBuffers, MINIMAL_STEPS,
};

use crate::{hex, semihosting, stack, timer};

/// Trains `model` with `buffers`, prints the words and exits.
pub fn run<M: Minimal>(model: &mut Model<M>, buffers: &mut ModelBuffers<M>) -> ! {
    stack::paint();
    let result = train::<M>(model, buffers);
    let peak = stack::peak_bytes();
    let calibration = timer::calibration_ticks();
    #[cfg(feature = "panic-canary")]
    {
        let words = [1u32, 2, 3];
        hex::print_words(b"minimal canary", &[words[core::hint::black_box(3usize)]]);
    }
    let Some((outcome, ticks)) = result else {
        semihosting::exit(false)
    };
    // One line, in the order of xtask's `MinimalWords::KEYS`.
    hex::print_words(
        b"minimal",
        &[
            MINIMAL_STEPS,
            outcome.first_loss_bits,
            outcome.last_loss_bits,
            outcome.weights_hash,
            peak,
            ticks,
            calibration,
        ],
    );
    semihosting::exit(outcome.trained)
}

/// The training loop, timed; its frame and everything it calls is what the stack
/// measurement sees.
#[inline(never)]
fn train<M: Minimal>(
    model: &mut Model<M>,
    buffers: &mut ModelBuffers<M>,
) -> Option<(MinimalOutcome, u32)> {
    let mut trainer = minimal::trainer::<M>(model, buffers)?;
    let (mut first, mut last) = (M::REFUSED, M::REFUSED);
    timer::start();
    let t0 = timer::read();
    for i in 0..MINIMAL_STEPS {
        last = minimal::step::<M>(&mut trainer);
        if i == 0 {
            first = last;
        }
    }
    let t1 = timer::read();
    Some((
        MinimalOutcome::new::<M>(first, last, &trainer),
        timer::elapsed(t0, t1),
    ))
}
