//! `digits-adapt`: a network trained on the host adapts on the device to a domain it was not
//! trained on, the story of the handwritten digits (`skipgrad-digits`).
//!
//! The host trains the default digits network ([`skipgrad_digits::Net`], 64-32, a 32-32 block
//! with a shortcut, 10 logits) on the original training digits; its device image
//! (`digits/data/trained.skgi`) becomes the `static` [`TRAINED`] at build time, in flash. The
//! device's sensor has drifted ([`Domain::DEVICE`]: every grey level 4 of 16 higher, clipped),
//! so the network sees digits unlike those it was trained on. On the device the scenario:
//!
//! 1. checks the data set in flash ([`Digits::embedded`]: every byte and the CRC);
//! 2. measures the test accuracy of [`TRAINED`] on the original test digits and on the
//!    drifted ones (the drifted evaluation is timed: `inference_instructions`);
//! 3. fine-tunes on a stream of labelled drifted samples kept in flash (the training digits,
//!    each once, [`STEPS`] in all), one SGD step per sample: only the head, whose copy and
//!    gradients are the only trained state in RAM, while the input layer and the block stay
//!    in flash as borrowed, frozen layers without gradient, cache or optimizer state
//!    ([`HeadTuned`]); the first [`TIMED_STEPS`] are timed;
//! 4. measures the drifted and the original test accuracy again, and prints the adapted
//!    network as a device image in hex (`image <offset> <hex>` lines), streamed, so the
//!    device needs no image buffer.
//!
//! It succeeds when the drifted accuracy after adaptation is within [`RECOVERY_POINTS`] of
//! the original accuracy (the goal of the digits issue). [`FULL`] does the same with every
//! layer trained, a copy of the whole network in RAM: it needs about 28 KB and runs on the
//! targets that have it (not the 16 KB Cortex-M0).
//!
//! `cargo xtask mcu` compares the report with the host's bit for bit, checks the goal, decodes
//! the image and writes the adapted weights as safetensors (`target/digits-adapt/`), which
//! `tools/digits_adapt_check.py` loads into PyTorch to reproduce the drifted accuracy.

use core::fmt::{self, Write};

use skipgrad::{
    Buffers, CrossEntropy, Layer, Module, Optimizer, Params, Sgd, StepError, Trainer, Zeroed,
};
use skipgrad_digits::adapt::adapt;
use skipgrad_digits::metrics::{self, Confusion};
use skipgrad_digits::network::{head_tuned, Head};
use skipgrad_digits::{Digits, Domain, HeadTuned, Net, Set, PIXELS};

use crate::meter::Meter;
use crate::report::Report;
use crate::scenario::Scenario;

mod trained {
    use skipgrad::{Linear, Relu, Residual};
    use skipgrad_digits::Net;
    include!(concat!(env!("OUT_DIR"), "/trained.rs"));
}

pub use trained::TRAINED;

/// The domain the device adapts to.
pub const DOMAIN: Domain = Domain::DEVICE;
/// Adaptation steps: every training digit once, in the file's order.
pub const STEPS: usize = skipgrad_digits::TRAIN_SAMPLES;
/// Adaptation steps timed (the first ones): the timer wraps after about 1e9 instructions on
/// Cortex-M, and one step takes about a million on the Cortex-M0.
pub const TIMED_STEPS: usize = 100;
/// SGD's learning rate when only the head trains.
pub const HEAD_LEARNING_RATE: f64 = 0.005;
/// SGD's learning rate when every layer trains.
pub const FULL_LEARNING_RATE: f64 = 0.002;
/// The goal: the drifted accuracy after adaptation at most this many points (of 100) below
/// the original accuracy.
pub const RECOVERY_POINTS: f64 = 3.0;
/// The mean loss is reported over windows of this many steps.
pub const LOSS_WINDOW: usize = 100;
/// Bytes per `image` line of the report.
pub const HEX_LINE_BYTES: usize = 32;
/// Bytes of the returned image: the whole network (its frozen part included).
pub const IMAGE_BYTES: usize = skipgrad::Image::<Net, f32>::SIZE;

/// RAM of the head-only adaptation: the head's copy, its gradients and the forward cache
/// (SGD keeps no state; the frozen layers stay in flash).
pub const HEAD_MODEL_BYTES: usize = core::mem::size_of::<Head>()
    + core::mem::size_of::<Buffers<HeadTuned<'static>, [f32; PIXELS]>>();
/// RAM when every layer trains: a copy of the network, its gradients and the cache.
pub const FULL_MODEL_BYTES: usize =
    core::mem::size_of::<Net>() + core::mem::size_of::<Buffers<Net, [f32; PIXELS]>>();

/// The scenario: only the head trains.
pub const SCENARIO: Scenario = Scenario {
    name: "digits-adapt",
    number: "f32",
    model_bytes: HEAD_MODEL_BYTES,
    run,
};

/// The same with every layer trained.
pub const FULL: Scenario = Scenario {
    name: "digits-adapt-full",
    number: "f32",
    model_bytes: FULL_MODEL_BYTES,
    run: run_full,
};

/// Head-only adaptation (see the [module](self)).
pub fn run(out: &mut dyn Write, meter: &mut dyn Meter) -> Result<bool, fmt::Error> {
    let mut model = head_tuned(&TRAINED);
    adapt_and_report(out, meter, SCENARIO.name, &mut model, HEAD_LEARNING_RATE)
}

/// Adaptation of every layer.
pub fn run_full(out: &mut dyn Write, meter: &mut dyn Meter) -> Result<bool, fmt::Error> {
    let mut model: Net = TRAINED;
    adapt_and_report(out, meter, FULL.name, &mut model, FULL_LEARNING_RATE)
}

/// The optimizer: plain SGD, no state.
pub fn optimizer(lr: f64) -> Option<Sgd<f32>> {
    Sgd::new(lr).ok()
}

/// Steps `0..STEPS` of the stream on `trainer`, adding each window's losses into `sums`.
pub fn adapt_steps<M, O>(
    trainer: &mut Trainer<'_, M, [f32; PIXELS], O, CrossEntropy>,
    stream: Set<'_>,
    positions: core::ops::Range<usize>,
    sums: &mut [f32],
) -> Result<(), StepError>
where
    M: Module<[f32; PIXELS], Output = [f32; 10]>,
    O: Optimizer<f32, M>,
{
    adapt(trainer, stream, DOMAIN, positions, |position, loss| {
        if let Some(s) = sums.get_mut(position / LOSS_WINDOW) {
            *s += loss;
        }
    })
    .map_err(|e| e.error)
}

/// The common run: accuracy before, the timed adaptation, accuracy after, the image.
fn adapt_and_report<M>(
    out: &mut dyn Write,
    meter: &mut dyn Meter,
    name: &'static str,
    model: &mut M,
    lr: f64,
) -> Result<bool, fmt::Error>
where
    M: Module<[f32; PIXELS], Output = [f32; 10]> + Params<f32>,
    <M as Layer>::Grads: Params<f32>,
{
    let mut report = Report::begin(out, name)?;
    let Ok(digits) = Digits::embedded() else {
        report.line(format_args!("data refused"))?;
        report.end()?;
        return Ok(false);
    };
    let (stream, test) = (digits.train(), digits.test());
    report.word("trained_hash", TRAINED.weights_hash().into())?;
    // Each matrix is printed and dropped at once, only its accuracy kept: four live matrices
    // would take 1.6 KB of stack.
    let unshifted = counts(
        &mut report,
        "unshifted",
        &metrics::evaluate(&*model, test, Domain::Original),
    )?;
    meter.start_other();
    let before = metrics::evaluate(&*model, test, DOMAIN);
    meter.stop_other("inference", test.len() as u32);
    let before = counts(&mut report, "before", &before)?;

    let Some(sgd) = optimizer(lr) else {
        return Ok(false);
    };
    let mut buffers = Buffers::<M, [f32; PIXELS]>::ZERO;
    let mut trainer = Trainer::new(&mut *model, &mut buffers, sgd, CrossEntropy);
    let mut sums = [0.0f32; STEPS.div_ceil(LOSS_WINDOW)];
    meter.start();
    let timed = adapt_steps(&mut trainer, stream, 0..TIMED_STEPS, &mut sums);
    meter.stop(TIMED_STEPS as u32);
    let adapted =
        timed.and_then(|()| adapt_steps(&mut trainer, stream, TIMED_STEPS..STEPS, &mut sums));
    if let Err(e) = adapted {
        report.line(format_args!("step refused: {e}"))?;
    }
    for (i, sum) in sums.iter().enumerate() {
        let (start, end) = (i * LOSS_WINDOW, ((i + 1) * LOSS_WINDOW).min(STEPS));
        let mean = *sum / (end - start) as f32;
        report.value(format_args!("mean_loss {start}..{end}"), mean)?;
    }
    let after = counts(
        &mut report,
        "after",
        &metrics::evaluate(&*model, test, DOMAIN),
    )?;
    let unshifted_after = counts(
        &mut report,
        "unshifted_after",
        &metrics::evaluate(&*model, test, Domain::Original),
    )?;
    report.word("weights_hash", model.weights_hash().into())?;
    let streamed = write_image(&mut report, &*model);
    report.line(format_args!("image_written {}", streamed.is_ok()))?;
    report.metric("accuracy_unshifted", unshifted)?;
    report.metric("accuracy_before", before)?;
    report.metric("accuracy_after", after)?;
    report.metric("accuracy_unshifted_after", unshifted_after)?;
    report.metric("adaptation_steps", STEPS as f64)?;
    report.end()?;
    Ok(adapted.is_ok() && streamed.is_ok() && recovered(unshifted, after))
}

/// The goal: the accuracy `after` adaptation within [`RECOVERY_POINTS`] of the accuracy on
/// the original digits, `unshifted` (fractions).
pub fn recovered(unshifted: f64, after: f64) -> bool {
    after * 100.0 >= unshifted * 100.0 - RECOVERY_POINTS
}

/// `correct_<what> 0x<count>` and `confusion_<what> <row> <counts>` lines; returns the
/// accuracy.
fn counts(report: &mut Report<'_>, what: &str, c: &Confusion) -> Result<f64, fmt::Error> {
    report.word(format_args!("correct_{what}"), c.correct().into())?;
    for (i, row) in c.counts().iter().enumerate() {
        report.line(format_args!("confusion_{what} {i} {row:?}"))?;
    }
    Ok(c.accuracy())
}

/// Streams the image of `model` into `image` lines of the report (also the `fleet-client`'s
/// returned model).
pub fn write_image<M: Params<f32>>(report: &mut Report<'_>, model: &M) -> Result<(), fmt::Error> {
    let mut lines = HexLines {
        report,
        line: [0; HEX_LINE_BYTES],
        filled: 0,
        offset: 0,
    };
    skipgrad::params::image::write(model, &mut lines).map_err(|_| fmt::Error)?;
    lines.flush_line()
}

/// An `embedded-io` writer that prints what it is given as `image <offset> <hex>` lines of
/// [`HEX_LINE_BYTES`].
struct HexLines<'r, 'o> {
    report: &'r mut Report<'o>,
    line: [u8; HEX_LINE_BYTES],
    filled: usize,
    offset: usize,
}

impl HexLines<'_, '_> {
    fn flush_line(&mut self) -> fmt::Result {
        let bytes = self.line.get(..self.filled).unwrap_or_default();
        if !bytes.is_empty() {
            crate::roundtrip::write_hex(self.report, self.offset, bytes)?;
        }
        self.offset += self.filled;
        self.filled = 0;
        Ok(())
    }
}

impl embedded_io::ErrorType for HexLines<'_, '_> {
    type Error = embedded_io::ErrorKind;
}

impl embedded_io::Write for HexLines<'_, '_> {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        let Some((&b, _)) = buf.split_first() else {
            return Ok(0);
        };
        if let Some(slot) = self.line.get_mut(self.filled) {
            *slot = b;
            self.filled += 1;
        }
        if self.filled == HEX_LINE_BYTES {
            self.flush_line()
                .map_err(|_| embedded_io::ErrorKind::Other)?;
        }
        Ok(1)
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// The image in a report's `image` lines, in order (`None` if a line is malformed, out of
/// order, or the image is not [`IMAGE_BYTES`] long).
pub fn image_from_lines<'l>(lines: impl IntoIterator<Item = &'l str>) -> Option<[u8; IMAGE_BYTES]> {
    let mut out = [0u8; IMAGE_BYTES];
    let mut at = 0;
    for line in lines {
        let Some(rest) = line.strip_prefix("image ") else {
            continue;
        };
        let (offset, hex) = rest.split_once(' ')?;
        if usize::from_str_radix(offset, 16).ok()? != at || hex.len() % 2 != 0 {
            return None;
        }
        for pair in hex.as_bytes().chunks(2) {
            let text = core::str::from_utf8(pair).ok()?;
            *out.get_mut(at)? = u8::from_str_radix(text, 16).ok()?;
            at += 1;
        }
    }
    (at == IMAGE_BYTES).then_some(out)
}

/// The model as this scenario adapts it (for the host's adaptation curve): [`TRAINED`]'s
/// front borrowed, its head copied.
pub fn head_model() -> HeadTuned<'static> {
    head_tuned(&TRAINED)
}
