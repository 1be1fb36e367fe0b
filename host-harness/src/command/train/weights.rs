//! `train --load FILE` and `train --save FILE`: a training run's initial weights from a
//! safetensors file (instead of `torch.manual_seed`'s), and its trained weights to one.
//!
//! The names are those of `train`'s network as an `nn.Sequential` (see
//! [`crate::model::network`]); a saved file loads into that PyTorch module with
//! `load_state_dict(strict=True)`. In `f32` a file's values are kept bit for bit; in `f64`
//! they are widened exactly and saved as `F64`; in `q16.16` each is rounded to the nearest
//! value of the type (one beyond its range is refused, with the tensor named) and saved as
//! `F64`, exactly. The file to load is read before training, with the
//! limits of [`crate::input`]; the trained weights are returned as bytes, and `train` writes
//! them only once every run has succeeded.

use std::path::Path;

use anyhow::Context as _;
use skipgrad::{Params, Scalar};

/// Where a training run takes its initial weights from, and whether it returns its trained
/// ones.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Weights {
    /// The bytes of a safetensors file (`--load`), read before training.
    pub initial: Option<Vec<u8>>,
    /// Whether the trained weights are wanted (`--save`).
    pub save: bool,
}

impl Weights {
    /// Reads `--load`'s file (a device image is refused with a message that says so).
    pub fn new(load: Option<&Path>, save: bool) -> anyhow::Result<Self> {
        let initial = load
            .map(|p| {
                crate::input::read_safetensors(p)
                    .with_context(|| format!("reading --load {}", p.display()))
            })
            .transpose()?;
        Ok(Self { initial, save })
    }

    /// The same initial weights, saving nothing (the compared run of `--plot`).
    pub fn load_only(&self) -> Self {
        Self {
            initial: self.initial.clone(),
            save: false,
        }
    }

    /// Replaces `model`'s weights with the file's, if there is one.
    pub fn load_into<T: Scalar, M: Params<T>>(&self, model: &mut M) -> anyhow::Result<()> {
        if let Some(bytes) = &self.initial {
            crate::safetensors::load(model, bytes, "").context("--load")?;
        }
        Ok(())
    }

    /// `model`'s weights as a safetensors file, if `--save` was given.
    pub fn saved<T: Scalar, M: Params<T>>(&self, model: &M) -> Option<Vec<u8>> {
        self.save.then(|| crate::safetensors::write(model, "", &[]))
    }
}
