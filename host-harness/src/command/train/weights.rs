//! `train --load FILE` and `train --save FILE`: a training run's initial weights from a
//! safetensors file (instead of `torch.manual_seed`'s), and its trained weights to one.
//!
//! The names are those of `train`'s network as an `nn.Sequential` (see
//! [`crate::model::network`]); a saved file loads into that PyTorch module with
//! `load_state_dict(strict=True)`. A file's values are converted into the run's number type
//! by [`crate::conversion`], with a report of every tensor: in `f32` an `F32` file's values
//! are kept bit for bit; in `f64` they are widened exactly and saved as `F64`; in `q16.16`
//! each is rounded to the nearest value of the type, ties to even (at most `2^-17` away), and
//! saved as `F64`, exactly. A value beyond the type's range refuses the file unless
//! `--saturate` clamps it. The file to load is read before training, with the limits of
//! [`crate::input`]; the trained weights are returned as bytes, and `train` writes them only
//! once every run has succeeded.

use std::path::Path;

use anyhow::Context as _;
use skipgrad::params::Saturation;
use skipgrad::{Params, Scalar, Zeroed};

use crate::conversion::{self, Report};

/// Where a training run takes its initial weights from, and whether it returns its trained
/// ones.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Weights {
    /// The bytes of a safetensors file (`--load`), read before training.
    pub initial: Option<Vec<u8>>,
    /// Whether the trained weights are wanted (`--save`).
    pub save: bool,
    /// What loading does with a value beyond the run's number type (`--saturate`: clamp).
    pub saturation: Saturation,
}

impl Weights {
    /// Reads `--load`'s file (a device image is refused with a message that says so).
    pub fn new(load: Option<&Path>, save: bool, saturation: Saturation) -> anyhow::Result<Self> {
        let initial = load
            .map(|p| {
                crate::input::read_safetensors(p)
                    .with_context(|| format!("reading --load {}", p.display()))
            })
            .transpose()?;
        Ok(Self {
            initial,
            save,
            saturation,
        })
    }

    /// The same initial weights, saving nothing (the compared run of `--plot`).
    pub fn load_only(&self) -> Self {
        Self {
            initial: self.initial.clone(),
            save: false,
            saturation: self.saturation,
        }
    }

    /// Replaces `model`'s weights with the file's, if there is one, converted into `T`
    /// through `W`, the same network in `f64`; returns the conversion's report.
    pub fn load_into<W, T, M>(&self, model: &mut M) -> anyhow::Result<Option<Report>>
    where
        W: Params<f64> + Zeroed,
        T: Scalar,
        M: Params<T>,
    {
        self.initial
            .as_ref()
            .map(|bytes| {
                conversion::load::<W, T, M>(model, bytes, "", self.saturation).context("--load")
            })
            .transpose()
    }

    /// `model`'s weights as a safetensors file, if `--save` was given.
    pub fn saved<T: Scalar, M: Params<T>>(&self, model: &M) -> Option<Vec<u8>> {
        self.save.then(|| crate::safetensors::write(model, "", &[]))
    }
}
