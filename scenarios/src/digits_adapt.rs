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
//! [`SCENARIO_Q16`] is the head-only adaptation in Q16.16 fixed point, as a core without an
//! FPU (the Cortex-M0) runs it in integer arithmetic: [`TRAINED_Q16`] is [`TRAINED`]
//! quantised at build time (`skipgrad_digits::network::convert`, to nearest; a NaN or a
//! saturated value fails the build), and the head trains with Q16 SGD whose updates are
//! rounded stochastically ([`Q16_LEARNING_RATE`], [`Q16_ROUNDING_SEED`]). The three run one
//! piece of code, generic over the number type. The fixed-point run's goal is the same, and
//! `cargo xtask mcu` also holds its accuracy after adaptation within [`RECOVERY_POINTS`] of
//! the `f32` run's.
//!
//! `cargo xtask mcu` compares the report with the host's bit for bit, checks the goal, decodes
//! the image and writes the adapted weights as safetensors (`target/digits-adapt/`), which
//! `tools/digits_adapt_check.py` loads into PyTorch to reproduce the drifted accuracy.

use core::fmt::{self, Write};

use skipgrad::{
    Buffers, CrossEntropy, Layer, Module, Optimizer, Params, Relu, Scalar, Sgd, StepError,
    Stochastic, Trainer, Zeroed, Q16,
};
use skipgrad_digits::adapt::adapt;
use skipgrad_digits::metrics::{self, Confusion};
use skipgrad_digits::network::{head_tuned, Head};
use skipgrad_digits::{Digits, Domain, HeadTuned, Net, Set, CLASSES, PIXELS};

use crate::meter::Meter;
use crate::report::Report;
use crate::scenario::Scenario;

mod trained {
    use skipgrad::{Linear, Relu, Residual, Q16};
    use skipgrad_digits::Net;
    include!(concat!(env!("OUT_DIR"), "/trained.rs"));
    include!(concat!(env!("OUT_DIR"), "/trained_q16.rs"));
}

pub use trained::{TRAINED, TRAINED_Q16};

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
/// SGD's learning rate for the head in Q16.16 (held as 0.00500488..., 328 units of 2^-16):
/// the best of the rates `examples/digits_q16_sweep.rs` compares, as in `f32`.
pub const Q16_LEARNING_RATE: f64 = 0.005;
/// The seed of the Q16.16 SGD's stochastic rounding of its updates.
pub const Q16_ROUNDING_SEED: u32 = 1;
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
pub const HEAD_MODEL_BYTES: usize = head_model_bytes::<f32>();
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

/// Head-only adaptation in Q16.16.
pub const SCENARIO_Q16: Scenario = Scenario {
    name: "digits-adapt-q16",
    number: "q16.16",
    model_bytes: head_model_bytes::<Q16>(),
    run: run_q16,
};

/// RAM of the head-only adaptation in the number type `T` (see [`HEAD_MODEL_BYTES`]).
pub const fn head_model_bytes<T: Scalar>() -> usize {
    core::mem::size_of::<Head<T>>()
        + core::mem::size_of::<Buffers<HeadTuned<'static, Relu, T>, [T; PIXELS]>>()
}

/// Head-only adaptation (see the [module](self)).
pub fn run(out: &mut dyn Write, meter: &mut dyn Meter) -> Result<bool, fmt::Error> {
    let mut model = head_tuned(&TRAINED);
    let sgd = optimizer(HEAD_LEARNING_RATE);
    adapt_and_report(out, meter, SCENARIO.name, &TRAINED, &mut model, sgd)
}

/// Adaptation of every layer.
pub fn run_full(out: &mut dyn Write, meter: &mut dyn Meter) -> Result<bool, fmt::Error> {
    let mut model: Net = TRAINED;
    let sgd = optimizer(FULL_LEARNING_RATE);
    adapt_and_report(out, meter, FULL.name, &TRAINED, &mut model, sgd)
}

/// Head-only adaptation in Q16.16.
pub fn run_q16(out: &mut dyn Write, meter: &mut dyn Meter) -> Result<bool, fmt::Error> {
    let mut model = head_model_q16();
    let sgd = optimizer_q16();
    adapt_and_report(out, meter, SCENARIO_Q16.name, &TRAINED_Q16, &mut model, sgd)
}

/// The optimizer: plain SGD, no state.
pub fn optimizer(lr: f64) -> Option<Sgd<f32>> {
    Sgd::new(lr).ok()
}

/// The optimizer of [`SCENARIO_Q16`]: plain SGD in Q16.16 at [`Q16_LEARNING_RATE`], its
/// updates rounded stochastically (a product `lr * g` below half a unit would round to zero
/// every time with rounding to nearest; the generator's one word is its only state).
pub fn optimizer_q16() -> Option<Sgd<Q16, Stochastic>> {
    Some(
        Sgd::new(Q16_LEARNING_RATE)
            .ok()?
            .with_stochastic_rounding(Q16_ROUNDING_SEED),
    )
}

/// Steps `0..STEPS` of the stream on `trainer`, adding each window's losses into `sums`.
pub fn adapt_steps<M, T, O>(
    trainer: &mut Trainer<'_, M, [T; PIXELS], O, CrossEntropy>,
    stream: Set<'_>,
    positions: core::ops::Range<usize>,
    sums: &mut [T],
) -> Result<(), StepError>
where
    T: Scalar,
    M: Module<[T; PIXELS], Output = [T; CLASSES]>,
    O: Optimizer<T, M>,
    CrossEntropy: skipgrad::Loss<[T; CLASSES], Target = usize>,
{
    adapt(trainer, stream, DOMAIN, positions, |position, loss| {
        if let Some(s) = sums.get_mut(position / LOSS_WINDOW) {
            *s += loss;
        }
    })
    .map_err(|e| e.error)
}

/// The common run, in any number type `T`: accuracy before, the timed adaptation of
/// `model` (made from `trained`) with `sgd`, accuracy after, the image.
fn adapt_and_report<M, T, O>(
    out: &mut dyn Write,
    meter: &mut dyn Meter,
    name: &'static str,
    trained: &Net<Relu, T>,
    model: &mut M,
    sgd: Option<O>,
) -> Result<bool, fmt::Error>
where
    T: Scalar,
    Net<Relu, T>: Params<T>,
    M: Module<[T; PIXELS], Output = [T; CLASSES]> + Params<T>,
    <M as Layer>::Grads: Params<T>,
    O: Optimizer<T, M>,
    CrossEntropy: skipgrad::Loss<[T; CLASSES], Target = usize>,
{
    let mut report = Report::begin(out, name)?;
    let Ok(digits) = Digits::embedded() else {
        report.line(format_args!("data refused"))?;
        report.end()?;
        return Ok(false);
    };
    let (stream, test) = (digits.train(), digits.test());
    report.word("trained_hash", trained.weights_hash().into())?;
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

    let Some(sgd) = sgd else {
        report.line(format_args!("optimizer refused"))?;
        report.end()?;
        return Ok(false);
    };
    let mut buffers = Buffers::<M, [T; PIXELS]>::ZERO;
    let mut trainer = Trainer::new(&mut *model, &mut buffers, sgd, CrossEntropy);
    let mut sums = [T::ZERO; STEPS.div_ceil(LOSS_WINDOW)];
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
        let mean = *sum / T::from_usize(end - start);
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
pub fn write_image<M: Params<T>, T: Scalar>(
    report: &mut Report<'_>,
    model: &M,
) -> Result<(), fmt::Error> {
    let mut lines = HexLines {
        report,
        line: [0; HEX_LINE_BYTES],
        filled: 0,
        offset: 0,
    };
    skipgrad::params::image::write::<M, T, _>(model, &mut lines).map_err(|_| fmt::Error)?;
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
    crate::roundtrip::hex_image(lines)
}

/// The model as this scenario adapts it (for the host's adaptation curve): [`TRAINED`]'s
/// front borrowed, its head copied.
pub fn head_model() -> HeadTuned<'static> {
    head_tuned(&TRAINED)
}

/// The model as [`SCENARIO_Q16`] adapts it: [`TRAINED_Q16`]'s front borrowed, its head
/// copied.
pub fn head_model_q16() -> HeadTuned<'static, Relu, Q16> {
    head_tuned(&TRAINED_Q16)
}

#[cfg(test)]
mod tests {
    use super::*;
    use skipgrad::params::image::Image;
    use skipgrad_digits::network::convert;

    /// A report, held whole (the image is about 28 KB of hex).
    type Text = heapless::String<{ 48 * 1024 }>;

    fn report(run: crate::scenario::Run) -> (bool, Text) {
        let mut text = Text::new();
        let ok = run(&mut text, &mut crate::NoMeter).expect("fits");
        (ok, text)
    }

    /// `metric <key> <value>`.
    fn metric(text: &str, key: &str) -> f64 {
        text.lines()
            .find_map(|l| {
                l.strip_prefix("metric ")?
                    .strip_prefix(key)?
                    .strip_prefix(' ')
            })
            .and_then(|v| v.parse().ok())
            .unwrap_or(f64::NAN)
    }

    /// The fixed-point adaptation on the host: the flashed Q16.16 network is the `f32` one
    /// quantised by the conversion the device could run (nothing saturated, each value at
    /// most half a unit away), the run meets its goal, its accuracy after adaptation is
    /// within [`RECOVERY_POINTS`] of the `f32` run's, and its image decodes to the adapted
    /// fixed-point network.
    #[test]
    fn q16_adaptation_recovers_within_three_points_of_f32() {
        let mut q = Net::<Relu, Q16>::ZERO;
        let summary = convert(&TRAINED, &mut q).expect("quantises");
        assert_eq!(q, TRAINED_Q16);
        assert_eq!(summary.saturated, 0);
        assert!(summary.max_error <= 0.5 / 65536.0, "{summary:?}");

        let (ok, text) = report(run_q16);
        assert!(ok, "{text}");
        let (ok32, text32) = report(run);
        assert!(ok32, "{text32}");
        let (unshifted, before, after) = (
            metric(&text, "accuracy_unshifted"),
            metric(&text, "accuracy_before"),
            metric(&text, "accuracy_after"),
        );
        let after32 = metric(&text32, "accuracy_after");
        assert!(recovered(unshifted, after), "{unshifted} {after}");
        assert!(recovered(after32, after), "q16 {after}, f32 {after32}");
        assert!(before < after - 0.1, "{before} {after}");

        let bytes: [u8; Image::<Net<Relu, Q16>, Q16>::SIZE] =
            crate::roundtrip::hex_image(text.lines()).expect("an image");
        let mut adapted = Net::<Relu, Q16>::ZERO;
        skipgrad::params::image::load(&mut adapted, &bytes).expect("a Q16 image");
        let hash = text
            .lines()
            .find_map(|l| l.strip_prefix("weights_hash 0x"))
            .and_then(|h| u32::from_str_radix(h, 16).ok());
        assert_eq!(hash, Some(adapted.weights_hash()));
        assert_eq!((adapted.0, adapted.1), (TRAINED_Q16.0, TRAINED_Q16.1));
        assert_ne!(adapted.2, TRAINED_Q16.2);
        // The image records its number type: it is refused as an f32 network.
        let mut float: Net = Net::ZERO;
        assert!(skipgrad::params::image::load(&mut float, &bytes).is_err());
    }
}
