//! What the scenarios that return a network to the host share (`roundtrip`, `roundtrip-q16`,
//! `digits-adapt`): a report line's exact bits, and the returned weights written as
//! safetensors, read back to the same weights, with a JSON of the run beside them.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use skipgrad::{Params, Zeroed};
use skipgrad_harness::safetensors;

/// The bits of a report line `<label> <decimal> 0x<bits>`.
pub fn line_bits(lines: &[String], label: &str) -> anyhow::Result<u32> {
    lines
        .iter()
        .find_map(|l| match l.split_whitespace().collect::<Vec<_>>()[..] {
            [l, _, bits] if l == label => crate::report::hex_word(bits).ok(),
            _ => None,
        })
        .with_context(|| format!("no `{label} <decimal> 0x<bits>` line"))
}

/// The returned weights of one run, as the host writes them.
pub struct Returned<'a> {
    /// The target the weights came from (for messages).
    pub triple: &'a str,
    /// The file names under the output directory: `<stem>.safetensors` and `<stem>.json`.
    pub stem: &'a str,
    /// The tensors' name prefix (PyTorch's module path), or `""`.
    pub prefix: &'a str,
    /// The safetensors file's `__metadata__`.
    pub metadata: &'a [(&'a str, &'a str)],
}

impl Returned<'_> {
    /// Writes `net` as `<stem>.safetensors` under `out_dir`, after reading the bytes back
    /// into a second network and comparing the weights, and `json` as `<stem>.json`; returns
    /// the safetensors file's path.
    pub fn write<M: Params<f32> + Zeroed>(
        &self,
        net: &M,
        out_dir: &Path,
        json: &serde_json::Value,
    ) -> anyhow::Result<PathBuf> {
        let triple = self.triple;
        let st = safetensors::write(net, self.prefix, self.metadata);
        let mut back: Box<M> = Box::new(M::ZERO);
        safetensors::load(&mut *back, &st, self.prefix)
            .context("re-reading the returned safetensors")?;
        anyhow::ensure!(
            back.weights_hash() == net.weights_hash(),
            "{triple}: the returned safetensors do not hold the device's weights"
        );
        std::fs::create_dir_all(out_dir)
            .with_context(|| format!("creating {}", out_dir.display()))?;
        let path = out_dir.join(format!("{}.safetensors", self.stem));
        std::fs::write(&path, &st).with_context(|| format!("writing {}", path.display()))?;
        let json_path = out_dir.join(format!("{}.json", self.stem));
        std::fs::write(&json_path, json.to_string() + "\n")
            .with_context(|| format!("writing {}", json_path.display()))?;
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_bits_reads_the_labelled_line_only() {
        let lines: Vec<String> = ["output 0.5 0x3f000000", "loss 0.25 0x3e800000", "loss x"]
            .map(str::to_owned)
            .to_vec();
        assert_eq!(line_bits(&lines, "loss").ok(), Some(0x3e80_0000));
        assert_eq!(line_bits(&lines, "output").ok(), Some(0x3f00_0000));
        assert!(line_bits(&lines, "missing").is_err());
    }
}
