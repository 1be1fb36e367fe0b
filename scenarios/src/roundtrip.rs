//! `roundtrip`: PyTorch's weights on the device and back. The notebook's network starts from
//! weights trained in PyTorch (`tests/fixtures/weights/notebook.safetensors`), imported into
//! a device image (`notebook.skgi`) that the build script turns into a `static`
//! ([`IMPORTED`]) and also flashes as it is ([`IMAGE`]). On the device the scenario:
//!
//! 1. loads the image ([`skipgrad::params::image::load`], timed: `image_load_instructions`) and checks
//!    that it equals the static bit for bit;
//! 2. fine-tunes the network for [`STEPS`] steps of SGD with momentum on four samples;
//! 3. saves the network and the optimizer's state in one image and prints it in hex
//!    (`image <offset> <hex>` lines), with the output and the loss on the notebook's sample;
//! 4. loads that image into a fresh network and optimizer, which must equal the trained ones.
//!
//! `cargo xtask mcu` compares the report with the host's bit for bit, decodes the printed
//! image, and writes the trained weights as safetensors (`target/roundtrip/`), which
//! `tools/roundtrip_check.py` loads into PyTorch with `strict=True`.

use core::fmt::{self, Write};

use skipgrad::params::image::{self, Image};
use skipgrad::{Buffers, Module, Mse, Params, SgdMomentum, Trainer, Zeroed};
use skipgrad_notebook::network::{INPUT, TARGET};
use skipgrad_notebook::WithShortcut;

use crate::fit;
use crate::meter::Meter;
use crate::report::Report;
use crate::scenario::Scenario;

mod imported {
    use skipgrad::{Gelu, Linear, Residual};
    use skipgrad_notebook::WithShortcut;
    include!(concat!(env!("OUT_DIR"), "/imported.rs"));
}

pub use imported::{IMAGE, IMPORTED};

/// The network.
pub type Model = WithShortcut<f32>;
/// The optimizer, whose state the returned image carries.
pub type Opt = SgdMomentum<f32, Model>;
/// The returned image: the network and the optimizer's state.
pub type Returned = Image<Model, f32, Opt>;

/// Fine-tuning steps, each on the whole batch.
pub const STEPS: u32 = 20;
/// Learning rate and momentum.
pub const LEARNING_RATE: f64 = 0.05;
/// Momentum.
pub const MOMENTUM: f64 = 0.9;
/// Times the image is loaded while the load is timed.
pub const LOADS: u32 = 10;
/// Bytes per `image` line of the report.
pub const HEX_LINE_BYTES: usize = 32;

/// The fine-tuning batch: the notebook's sample and three more.
pub const INPUTS: [[f32; 3]; 4] = [INPUT, [0.5, -0.5, 0.25], [-1.0, 1.0, 0.0], [0.2, 0.3, -0.4]];
/// Its targets.
pub const TARGETS: [[f32; 1]; 4] = [TARGET, [0.3], [-0.2], [0.1]];

/// The scenario.
pub const SCENARIO: Scenario = Scenario {
    name: "roundtrip",
    number: "f32",
    model_bytes: crate::scenario::model_bytes::<Model, [f32; 3]>(1),
    run,
};

/// The optimizer of the fine-tuning.
pub fn optimizer() -> Option<Opt> {
    Opt::new(LEARNING_RATE, MOMENTUM).ok()
}

/// Runs the round trip; succeeds when the image loaded equal to the static, the loss fell,
/// and the returned image loaded back equal to the trained network and optimizer.
pub fn run(out: &mut dyn Write, meter: &mut dyn Meter) -> Result<bool, fmt::Error> {
    let mut report = Report::begin(out, SCENARIO.name)?;
    let mut net = Model::ZERO;
    let mut loaded = Ok(());
    meter.start_other();
    for _ in 0..LOADS {
        loaded = image::load(&mut net, &IMAGE);
    }
    meter.stop_other("image_load", LOADS);
    let flashed =
        loaded.is_ok() && net == IMPORTED && net.weights_hash() == IMPORTED.weights_hash();
    report.word("image_bytes", IMAGE.len() as u64)?;
    report.word("imported_hash", IMPORTED.weights_hash().into())?;
    report.word("loaded_hash", net.weights_hash().into())?;
    report.line(format_args!("loaded_equals_flashed {flashed}"))?;
    report.metric("image_bytes", IMAGE.len() as f64)?;
    report.value("output_before", net.infer(&INPUT)[0])?;

    let Some(opt) = optimizer() else {
        return Ok(false);
    };
    let mut buffers = Buffers::<Model, [f32; 3]>::ZERO;
    let mut trainer = Trainer::new(&mut net, &mut buffers, opt, Mse);
    let mut losses = [0.0f32; STEPS as usize];
    fit::steps(&mut trainer, &INPUTS, &TARGETS, &mut losses, meter);
    let last = report.losses(&"", &losses, 5)?;
    let first = losses.first().copied().unwrap_or(f32::NAN);

    let mut returned = [0u8; Returned::SIZE];
    let saved = image::save_with(trainer.model(), trainer.optimizer(), &mut returned).is_ok();
    for (i, chunk) in returned.chunks(HEX_LINE_BYTES).enumerate() {
        write_hex(&mut report, i * HEX_LINE_BYTES, chunk)?;
    }
    let y = trainer.model().infer(&INPUT);
    report.value("output", y[0])?;
    report.value("loss", skipgrad::Loss::loss(&Mse, &y, &TARGET))?;
    report.metric("final_loss", f64::from(last))?;

    let (mut resumed, mut resumed_opt) = (Model::ZERO, optimizer().ok_or(fmt::Error)?);
    let reloaded = image::load_with(&mut resumed, &mut resumed_opt, &returned).is_ok()
        && resumed == *trainer.model()
        && resumed_opt == *trainer.optimizer();
    report.line(format_args!("returned_image_reloads {reloaded}"))?;
    report.end()?;
    Ok(flashed && saved && reloaded && last < first)
}

/// `image <offset> <hex>`: one line of the returned image.
pub(crate) fn write_hex(report: &mut Report<'_>, offset: usize, bytes: &[u8]) -> fmt::Result {
    struct Hex<'b>(&'b [u8]);
    impl fmt::Display for Hex<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
        }
    }
    report.line(format_args!("image {offset:04x} {}", Hex(bytes)))
}

/// The image in a report's `image` lines, in order (`None` if a line is malformed or out of
/// order).
pub fn image_from_lines<'l>(
    lines: impl IntoIterator<Item = &'l str>,
) -> Option<[u8; Returned::SIZE]> {
    hex_image(lines)
}

/// The `N` bytes of a report's `image` lines, in order (`None` if a line is malformed or out
/// of order, or the lines hold another number of bytes).
pub fn hex_image<'l, const N: usize>(lines: impl IntoIterator<Item = &'l str>) -> Option<[u8; N]> {
    let mut out = [0u8; N];
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
    (at == N).then_some(out)
}
