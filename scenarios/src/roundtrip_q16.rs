//! `roundtrip-q16`: PyTorch's weights quantised to Q16.16, trained in fixed point on the
//! device, and exported back. The notebook's network starts from the weights trained in
//! PyTorch (`tests/fixtures/weights/notebook.safetensors`, flashed in `f32` as
//! [`IMPORTED`]). On the device the scenario:
//!
//! 1. quantises them to Q16.16 with the core's conversion ([`skipgrad::params::convert`],
//!    timed: `quantise_instructions`), prints every tensor's report (values saturated and
//!    flushed to zero, the largest error, exactly) and checks that the result equals
//!    [`QUANTISED`], the same conversion done by the build script;
//! 2. fine-tunes the fixed-point network for [`STEPS`] steps of SGD with momentum on the
//!    four samples of `roundtrip`, rounded to Q16.16;
//! 3. saves the network and the optimizer's state in one image and prints it in hex, with
//!    the output and the loss on the notebook's sample;
//! 4. loads that image into a fresh network and optimizer, which must equal the trained ones.
//!
//! `cargo xtask mcu` compares the report with the host's bit for bit, checks that
//! [`QUANTISED`] is what `skipgrad convert --network notebook --number q16.16` makes of
//! PyTorch's file, decodes the printed image, converts it back to `f32` with the core's
//! conversion and writes it as safetensors (`target/roundtrip-q16/`).

use core::fmt::{self, Write};

use skipgrad::params::image::{self, Image};
use skipgrad::params::{convert, tensor_name, Saturation, TensorReport};
use skipgrad::{Buffers, Module, Mse, Params, SgdMomentum, Trainer, Zeroed, Q16};
use skipgrad_notebook::network::{INPUT, PREFIX, TARGET};
use skipgrad_notebook::WithShortcut;

use crate::meter::Meter;
use crate::report::Report;
use crate::roundtrip::{self, write_hex, HEX_LINE_BYTES, IMPORTED};
use crate::scenario::Scenario;

mod quantised {
    use skipgrad::{Gelu, Linear, Residual, Q16};
    use skipgrad_notebook::WithShortcut;
    include!(concat!(env!("OUT_DIR"), "/quantised.rs"));
}

pub use quantised::QUANTISED;

/// The network, in Q16.16.
pub type Model = WithShortcut<Q16>;
/// The optimizer, whose state the returned image carries.
pub type Opt = SgdMomentum<Q16, Model>;
/// The returned image: the network and the optimizer's state.
pub type Returned = Image<Model, Q16, Opt>;

/// The network's tensors: five weights and five biases.
pub const TENSORS: usize = 10;
/// Fine-tuning steps, each on the whole batch.
pub const STEPS: u32 = 20;
/// Learning rate (held in Q16.16 as 0.04999...).
pub const LEARNING_RATE: f64 = 0.05;
/// Momentum.
pub const MOMENTUM: f64 = 0.9;

/// `roundtrip`'s fine-tuning batch, rounded to Q16.16.
pub const INPUTS: [[Q16; 3]; 4] = q16_rows(roundtrip::INPUTS);
/// Its targets.
pub const TARGETS: [[Q16; 1]; 4] = q16_rows(roundtrip::TARGETS);

/// Every value of `rows` rounded to Q16.16 (at compile time).
const fn q16_rows<const B: usize, const N: usize>(rows: [[f32; N]; B]) -> [[Q16; N]; B] {
    let mut out = [[Q16::ZERO; N]; B];
    let mut i = 0;
    while i < B {
        let mut j = 0;
        while j < N {
            out[i][j] = Q16::from_f32(rows[i][j]);
            j += 1;
        }
        i += 1;
    }
    out
}

/// The scenario.
pub const SCENARIO: Scenario = Scenario {
    name: "roundtrip-q16",
    number: "q16.16",
    model_bytes: crate::scenario::model_bytes::<Model, [Q16; 3]>(1),
    run,
};

/// The optimizer of the fine-tuning.
pub fn optimizer() -> Option<Opt> {
    Opt::new(LEARNING_RATE, MOMENTUM).ok()
}

/// Quantises the flashed `f32` weights into `net`, keeping every tensor's report.
pub fn quantise(
    net: &mut Model,
) -> Result<[TensorReport; TENSORS], skipgrad::params::ConvertError> {
    let mut reports = [TensorReport::default(); TENSORS];
    convert::<f32, Q16, _, _>(&IMPORTED, net, Saturation::Refuse, |_, r| {
        if let Some(slot) = reports.get_mut(r.index) {
            *slot = *r;
        }
    })?;
    Ok(reports)
}

/// Runs the scenario; succeeds when the quantised weights equal the build script's, the loss
/// fell, and the returned image loaded back equal to the trained network and optimizer.
pub fn run(out: &mut dyn Write, meter: &mut dyn Meter) -> Result<bool, fmt::Error> {
    let mut report = Report::begin(out, SCENARIO.name)?;
    let mut net = Model::ZERO;
    meter.start_other();
    let quantised = quantise(&mut net);
    meter.stop_other("quantise", 1);
    let Ok(reports) = quantised else {
        report.line(format_args!("quantised false"))?;
        report.end()?;
        return Ok(false);
    };
    let mut max_error = 0.0f64;
    for r in &reports {
        let name = tensor_name::<Model, Q16>(r.index).ok_or(fmt::Error)?;
        report.line(format_args!(
            "tensor {PREFIX}.{} values {} saturated {} flushed {} max_error {} 0x{:x}",
            name.as_str(),
            r.len,
            r.saturated,
            r.flushed,
            r.max_error,
            r.max_error.to_bits()
        ))?;
        max_error = max_error.max(r.max_error);
    }
    let built = net == QUANTISED;
    report.word("quantised_hash", net.weights_hash().into())?;
    report.line(format_args!("quantised_equals_built {built}"))?;
    report.metric("quantise_max_error", max_error)?;
    report.value("output_before", net.infer(&INPUT_Q16)[0])?;

    let Some(opt) = optimizer() else {
        report.line(format_args!("optimizer false"))?;
        report.end()?;
        return Ok(false);
    };
    let mut buffers = Buffers::<Model, [Q16; 3]>::ZERO;
    let mut trainer = Trainer::new(&mut net, &mut buffers, opt, Mse);
    let mut losses = [Q16::MAX; STEPS as usize];
    meter.start();
    for loss in losses.iter_mut() {
        *loss = trainer.step(&INPUTS, &TARGETS).unwrap_or(Q16::MAX);
    }
    meter.stop(STEPS);
    for (i, loss) in losses.iter().enumerate().step_by(5) {
        report.value(format_args!("loss {i}"), *loss)?;
    }
    let (first, last) = (
        losses.first().copied().unwrap_or(Q16::MAX),
        losses.last().copied().unwrap_or(Q16::MAX),
    );
    report.value("final_loss", last)?;

    let mut returned = [0u8; Returned::SIZE];
    let saved = image::save_with(trainer.model(), trainer.optimizer(), &mut returned).is_ok();
    for (i, chunk) in returned.chunks(HEX_LINE_BYTES).enumerate() {
        write_hex(&mut report, i * HEX_LINE_BYTES, chunk)?;
    }
    let y = trainer.model().infer(&INPUT_Q16);
    report.value("output", y[0])?;
    report.value("loss", skipgrad::Loss::loss(&Mse, &y, &TARGET_Q16))?;
    report.metric("final_loss", last.to_f64())?;

    let (mut resumed, mut resumed_opt) = (Model::ZERO, optimizer().ok_or(fmt::Error)?);
    let reloaded = image::load_with(&mut resumed, &mut resumed_opt, &returned).is_ok()
        && resumed == *trainer.model()
        && resumed_opt == *trainer.optimizer();
    report.line(format_args!("returned_image_reloads {reloaded}"))?;
    report.end()?;
    Ok(built && saved && reloaded && last.is_finite() && last < first)
}

/// The notebook's sample, in Q16.16 (exact: 1, 0, -1).
pub const INPUT_Q16: [Q16; 3] = q16_rows([INPUT])[0];
/// Its target (0).
pub const TARGET_Q16: [Q16; 1] = q16_rows([TARGET])[0];

/// The image in a report's `image` lines, in order (`None` if a line is malformed or out of
/// order).
pub fn image_from_lines<'l>(
    lines: impl IntoIterator<Item = &'l str>,
) -> Option<[u8; Returned::SIZE]> {
    roundtrip::hex_image(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scenario on the host: the conversion on the device's code path equals the build
    /// script's, nothing saturates, every tensor's error is at most half a unit, the loss
    /// falls and the returned image decodes to the trained network.
    #[test]
    fn quantises_trains_and_returns() {
        let mut net = Model::ZERO;
        let reports = quantise(&mut net).expect("quantises");
        assert_eq!(net, QUANTISED);
        for r in &reports {
            assert_eq!((r.saturated, r.non_finite), (0, 0), "{r:?}");
            assert!(r.max_error <= 0.5 / 65536.0, "{r:?}");
        }
        assert_eq!(reports.iter().map(|r| r.len).sum::<usize>(), 52);
        let mut text = heapless::String::<4096>::new();
        let ok = run(&mut text, &mut crate::NoMeter).expect("formats");
        assert!(ok, "{text}");
        assert!(text.contains("quantised_equals_built true"), "{text}");
        assert!(text.contains("returned_image_reloads true"), "{text}");
        let image: Option<[u8; Returned::SIZE]> = image_from_lines(text.lines());
        assert!(image.is_some(), "{text}");
    }
}
