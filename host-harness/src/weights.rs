//! `train --load FILE` and `train --save FILE`: a training run's initial weights from a
//! safetensors file (instead of `torch.manual_seed`'s), and its trained weights to one.
//!
//! The names are those of `train`'s network as an `nn.Sequential` (see
//! [`crate::networks`]); a saved file loads into that PyTorch module with
//! `load_state_dict(strict=True)`.

use std::path::PathBuf;

use anyhow::Context as _;
use skipgrad::Params;

/// Where a training run takes its initial weights from and saves its trained ones to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Weights {
    /// The bytes of a safetensors file (`--load`), read before training.
    pub initial: Option<Vec<u8>>,
    /// Where to write the trained weights (`--save`).
    pub save: Option<PathBuf>,
}

impl Weights {
    /// Reads `--load`'s file.
    pub fn new(load: Option<&PathBuf>, save: Option<&PathBuf>) -> anyhow::Result<Self> {
        let initial = load
            .map(|p| std::fs::read(p).with_context(|| format!("reading --load {}", p.display())))
            .transpose()?;
        Ok(Self {
            initial,
            save: save.cloned(),
        })
    }

    /// The same initial weights, saving nothing (the compared run of `--plot`).
    pub fn load_only(&self) -> Self {
        Self {
            initial: self.initial.clone(),
            save: None,
        }
    }

    /// Replaces `model`'s weights with the file's, if there is one.
    pub fn load_into<M: Params<f32>>(&self, model: &mut M) -> anyhow::Result<()> {
        if let Some(bytes) = &self.initial {
            crate::safetensors::load(model, bytes, "").context("--load")?;
        }
        Ok(())
    }

    /// Writes `model`'s weights, if `--save` was given.
    pub fn save_from<M: Params<f32>>(&self, model: &M) -> anyhow::Result<()> {
        if let Some(path) = &self.save {
            std::fs::write(path, crate::safetensors::write(model, "", &[]))
                .with_context(|| format!("writing --save {}", path.display()))?;
        }
        Ok(())
    }
}
