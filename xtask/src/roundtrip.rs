//! The round trip of PyTorch's weights through the device (`skipgrad_scenarios::roundtrip`):
//!
//! - before building: `skipgrad convert`'s device image of PyTorch's file
//!   (`tests/fixtures/weights/notebook.safetensors`) equals the image the firmware flashes;
//! - after each run: the image the device printed (the fine-tuned network and its optimizer's
//!   state, in hex) loads with the core's checks, and becomes safetensors again
//!   (`target/roundtrip/returned.safetensors`, with `returned.json`: the sample and the
//!   device's output and loss), which the harness's loader reads back to the same bits.
//!   `tools/roundtrip_check.py` loads that file into PyTorch with `strict=True`.
//!
//! The device's report equals the host's line for line (the host runs the same steps), so
//! the returned weights are checked bit for bit against the host's.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use skipgrad::params::image;
use skipgrad::Zeroed;
use skipgrad_harness::command::convert;
use skipgrad_harness::model::{NetworkArgs, NetworkName};
use skipgrad_notebook::network::{INPUT, PREFIX, TARGET};
use skipgrad_scenarios::roundtrip::{self, Model, IMAGE};

use crate::returned::{self, Returned};

/// PyTorch's file, imported, is the image the firmware flashes.
pub fn check_import(root: &Path) -> anyhow::Result<()> {
    let path = root.join("tests/fixtures/weights/notebook.safetensors");
    let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    let args = NetworkArgs {
        network: NetworkName::Notebook,
        ..NetworkArgs::default()
    };
    let converted = convert::convert(&bytes, &args, skipgrad::params::Saturation::Refuse)?;
    anyhow::ensure!(
        converted.to_image && converted.bytes == IMAGE,
        "the firmware's image (tests/fixtures/weights/notebook.skgi) is not `skipgrad convert` \
         of {}",
        path.display()
    );
    Ok(())
}

/// The value of a report line `<label> <decimal> 0x<bits>`, exactly.
fn value(lines: &[String], label: &str) -> anyhow::Result<f32> {
    returned::line_bits(lines, label).map(f32::from_bits)
}

/// Decodes the device's returned image and writes it as safetensors under `out_dir`; returns
/// the safetensors file's path.
pub fn returned(triple: &str, lines: &[String], out_dir: &Path) -> anyhow::Result<PathBuf> {
    let bytes = roundtrip::image_from_lines(lines.iter().map(String::as_str))
        .with_context(|| format!("{triple}: the returned image's lines"))?;
    let mut model = Model::ZERO;
    let mut opt = roundtrip::optimizer().context("the optimizer")?;
    image::load_with(&mut model, &mut opt, &bytes)
        .map_err(|e| anyhow::anyhow!("{triple}: the returned image: {e}"))?;
    let json = serde_json::json!({
        "network": "notebook (with shortcuts)",
        "target_triple": triple,
        "steps": roundtrip::STEPS,
        "input": INPUT.map(f64::from),
        "target": f64::from(TARGET[0]),
        "output": f64::from(value(lines, "output")?),
        "loss": f64::from(value(lines, "loss")?),
    });
    Returned {
        triple,
        stem: "returned",
        prefix: PREFIX,
        metadata: &[("skipgrad", "roundtrip")],
    }
    .write(&model, out_dir, &json)
}

#[cfg(test)]
mod tests {
    use super::*;
    use skipgrad_harness::safetensors;

    /// The host's own report goes through the same checks the device's does.
    #[test]
    fn the_host_round_trip_returns_pytorch_names() {
        let root = crate::mcu::workspace_root().expect("root");
        check_import(&root).expect("the flashed image is the imported file");
        let mut text = String::new();
        let ok = (roundtrip::SCENARIO.run)(&mut text, &mut skipgrad_scenarios::NoMeter)
            .expect("formats");
        assert!(ok, "{text}");
        let lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let dir = root.join("target/roundtrip-test");
        let path = returned("host", &lines, &dir).expect("returned");
        let file = std::fs::read(&path).expect("written");
        let parsed = safetensors::File::parse(&file).expect("parses");
        assert_eq!(parsed.entries.len(), 10);
        assert!(parsed.entry("layers.4.0.bias").is_some());
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("returned.json")).expect("json"))
                .expect("valid");
        assert_eq!(
            json["output"].as_f64(),
            Some(f64::from(value(&lines, "output").unwrap()))
        );
        let mut broken = lines.clone();
        if let Some(l) = broken.iter_mut().find(|l| l.starts_with("image 0020")) {
            l.replace_range(11..13, "ff");
        }
        assert!(returned("host", &broken, &dir).is_err());
    }
}
