//! PyTorch's weights quantised to Q16.16, trained on the device, exported back
//! (`skipgrad_scenarios::roundtrip_q16`):
//!
//! - before building: the weights the scenario starts from ([`QUANTISED`], the build script's
//!   conversion) are what `skipgrad convert --network notebook --number q16.16` makes of
//!   PyTorch's file (`tests/fixtures/weights/notebook.safetensors`), byte for byte as device
//!   images, with nothing saturated, and the bits numpy's rounding gives
//!   (`tests/fixtures/weights/notebook-q16.json`, written by `tools/q16_weights_fixture.py`);
//! - after each run: the image the device printed (the fine-tuned fixed-point network and its
//!   optimizer's state, in hex) loads with the core's checks, is converted back to `f32` by
//!   the core's conversion ([`skipgrad::params::convert`]: nothing saturates, each value at
//!   most half an `f32` ulp away, exact below 256) and written as safetensors
//!   (`target/roundtrip-q16/returned.safetensors`, `F32`, PyTorch's names, with
//!   `returned.json`), which the harness's loader reads back to the same bits.
//!
//! The device's report equals the host's line for line, so the returned weights are checked
//! bit for bit against the host's.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use skipgrad::params::{convert as renumber, image, Saturation};
use skipgrad::Zeroed;
use skipgrad_harness::command::convert;
use skipgrad_harness::model::{ModelArgs, NetworkArgs, NetworkName, Number};
use skipgrad_harness::notebook::WithShortcut;
use skipgrad_notebook::network::{INPUT, PREFIX, TARGET};
use skipgrad_scenarios::roundtrip_q16::{self, Model, QUANTISED};

use crate::returned::{self, Returned};

/// `skipgrad convert --network notebook --number q16.16` of PyTorch's file is the image of
/// the weights the scenario starts from, and they are numpy's rounding of PyTorch's values.
pub fn check_quantised(root: &Path) -> anyhow::Result<()> {
    check_numpy(root)?;
    let path = root.join("tests/fixtures/weights/notebook.safetensors");
    let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    let args = NetworkArgs {
        network: NetworkName::Notebook,
        model: ModelArgs {
            number: Some(Number::Q16),
            ..ModelArgs::default()
        },
    };
    let converted = convert::convert(&bytes, &args, Saturation::Refuse)?;
    let mut built = vec![0u8; image::Image::<Model, skipgrad::Q16>::SIZE];
    image::save(&QUANTISED, &mut built).map_err(|e| anyhow::anyhow!("{e}"))?;
    let report = converted.report.context("no conversion report")?;
    anyhow::ensure!(
        converted.to_image && converted.bytes == built && report.saturated == 0,
        "the weights roundtrip-q16 starts from are not `skipgrad convert --network notebook \
         --number q16.16` of {}",
        path.display()
    );
    Ok(())
}

/// [`QUANTISED`]'s bits are those of `tests/fixtures/weights/notebook-q16.json`: numpy's
/// `np.rint(x * 65536)` of PyTorch's `F32` values, tensor by tensor.
fn check_numpy(root: &Path) -> anyhow::Result<()> {
    let path = root.join("tests/fixtures/weights/notebook-q16.json");
    let text = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    let fixture: serde_json::Value =
        serde_json::from_slice(&text).with_context(|| format!("parsing {}", path.display()))?;
    let want = &fixture["files"]["notebook.safetensors"]["bits"];
    let mut tensors = 0;
    let mut differ = Vec::new();
    skipgrad::params::visit_named(&QUANTISED, |name, _, values: &[skipgrad::Q16]| {
        let full = format!("{PREFIX}.{}", name.as_str());
        let got: Vec<i64> = values.iter().map(|q| i64::from(q.to_bits())).collect();
        let expected: Option<Vec<i64>> = want[&full]
            .as_array()
            .map(|a| a.iter().filter_map(serde_json::Value::as_i64).collect());
        if expected.as_ref() != Some(&got) {
            differ.push(full);
        }
        tensors += 1;
    });
    let listed = want.as_object().map_or(0, serde_json::Map::len);
    anyhow::ensure!(
        differ.is_empty() && tensors == listed,
        "the weights roundtrip-q16 starts from are not numpy's rounding ({}): {}",
        path.display(),
        differ.join(", ")
    );
    Ok(())
}

/// The value of a report line `<label> <decimal> 0x<bits>` of a Q16.16 number, exactly.
fn value(lines: &[String], label: &str) -> anyhow::Result<f64> {
    returned::line_bits(lines, label).map(|bits| skipgrad::Q16::from_bits(bits as i32).to_f64())
}

/// Decodes the device's returned image, converts it to `f32` and writes it as safetensors
/// under `out_dir`; returns the safetensors file's path.
pub fn returned(triple: &str, lines: &[String], out_dir: &Path) -> anyhow::Result<PathBuf> {
    let bytes = roundtrip_q16::image_from_lines(lines.iter().map(String::as_str))
        .with_context(|| format!("{triple}: the returned image's lines"))?;
    let mut model = Model::ZERO;
    let mut opt = roundtrip_q16::optimizer().context("the optimizer")?;
    image::load_with(&mut model, &mut opt, &bytes)
        .map_err(|e| anyhow::anyhow!("{triple}: the returned image: {e}"))?;
    let mut float = WithShortcut::<f32>::ZERO;
    let mut max_error = 0.0f64;
    let summary =
        renumber::<skipgrad::Q16, f32, _, _>(&model, &mut float, Saturation::Refuse, |_, r| {
            // Half an ulp of f32 at the value, exact below 256.
            let bound = if r.max_abs < 256.0 {
                0.0
            } else {
                r.max_abs * f64::from(f32::EPSILON) / 2.0
            };
            max_error = max_error.max(r.max_error - bound);
        })
        .map_err(|e| anyhow::anyhow!("{triple}: the returned weights into f32: {e}"))?;
    anyhow::ensure!(
        summary.saturated == 0 && summary.flushed == 0 && max_error <= 0.0,
        "{triple}: the returned weights do not convert to f32 within half an ulp: {summary:?}"
    );
    let json = serde_json::json!({
        "network": "notebook (with shortcuts), trained in q16.16",
        "target_triple": triple,
        "steps": roundtrip_q16::STEPS,
        "input": INPUT.map(f64::from),
        "target": f64::from(TARGET[0]),
        "output": value(lines, "output")?,
        "loss": value(lines, "loss")?,
    });
    Returned {
        triple,
        stem: "returned",
        prefix: PREFIX,
        metadata: &[("skipgrad", "roundtrip-q16")],
    }
    .write(&float, out_dir, &json)
}

#[cfg(test)]
mod tests {
    use super::*;
    use skipgrad::Module;
    use skipgrad_harness::safetensors;

    /// The host's own run goes through the device's checks: PyTorch's weights quantised as
    /// `skipgrad convert` quantises them, trained, exported to safetensors that load back into
    /// the `f32` network with the same outputs as the fixed-point one, within the rounding.
    #[test]
    fn the_host_q16_round_trip_exports_pytorch_names() {
        let root = crate::mcu::workspace_root().expect("root");
        check_quantised(&root).expect("the quantised weights are convert's");
        let mut text = String::new();
        let ok = (roundtrip_q16::SCENARIO.run)(&mut text, &mut skipgrad_scenarios::NoMeter)
            .expect("formats");
        assert!(ok, "{text}");
        let lines: Vec<String> = text.lines().map(str::to_owned).collect();
        assert!(
            lines.iter().any(|l| l == "quantised_equals_built true"),
            "{text}"
        );
        let tensors: Vec<&String> = lines.iter().filter(|l| l.starts_with("tensor ")).collect();
        assert_eq!(tensors.len(), roundtrip_q16::TENSORS, "{text}");
        assert!(tensors[0].starts_with("tensor layers.0.0.weight values 9 saturated 0"));
        let dir = root.join("target/roundtrip-q16-test");
        let path = returned("host", &lines, &dir).expect("returned");
        let file = std::fs::read(&path).expect("written");
        let parsed = safetensors::File::parse(&file).expect("parses");
        assert_eq!(parsed.entries.len(), 10);
        assert!(parsed
            .entries
            .iter()
            .all(|e| e.dtype == safetensors::Dtype::F32));
        let mut float = WithShortcut::<f32>::ZERO;
        safetensors::load(&mut float, &file, PREFIX).expect("loads into the f32 network");
        let y = float.infer(&INPUT)[0];
        let want = value(&lines, "output").expect("output");
        assert!((f64::from(y) - want).abs() < 1e-3, "{y} against {want}");
        let mut broken = lines.clone();
        if let Some(l) = broken.iter_mut().find(|l| l.starts_with("image 0020")) {
            l.replace_range(11..13, "ff");
        }
        assert!(returned("host", &broken, &dir).is_err());
    }
}
