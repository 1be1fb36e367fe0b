//! `skipgrad convert IN OUT --network NAME`: a safetensors file to the device image of a
//! network type, or a device image back to safetensors.
//!
//! The network is the notebook's, or any network `train` builds and saves
//! (`--network train` with the model flags of [`ModelArgs`](crate::model::ModelArgs):
//! `--task`, `--depth`, `--width`, `--activation`, `--loss`, `--norm`, `--no-shortcut`,
//! `--number`): a visitor of the model dispatch. Activation and shortcuts do not change a
//! network's tensors; the task, the shape, the normalisation, the loss (one logit per
//! class, or one output) and the number type do. The notebook's network takes `--number`
//! too. In `f64` and `q16.16` the image holds that type's values, written back to
//! safetensors as `F64`, exactly.
//!
//! The direction follows the input: a file starting with the image's magic (`SKGI`) is a
//! device image and becomes safetensors (PyTorch's names; `F32` from `f32`, `F64`
//! otherwise), every value kept bit for bit; anything else is read as safetensors (checked
//! as [`crate::safetensors`] describes), converted into the number type by
//! [`crate::conversion`] (each value rounded to the nearest, ties to even: an `F32` file
//! into `f32` is kept bit for bit, `F16`, `BF16` and `F64` are converted as
//! `load_state_dict` would convert them to `float32`) and becomes a device image
//! ([`skipgrad::params::image`]). The conversion's report goes to standard error: one line
//! when every value was kept exactly, and one line per tensor otherwise (values saturated,
//! flushed to zero, the largest error). A value beyond the number type's range refuses the
//! file, naming every tensor that has one, unless `--saturate` clamps it; `--saturate` with a
//! device image, which converts back bit for bit, is a usage error rather than ignored. An
//! image of another number type than the network's is refused, and when `--number` was not
//! given the message says which to pass.
//!
//! Before anything is read, the output is checked ([`crate::plan`]): `convert A A`, or an
//! output in a directory that does not exist, is a usage error. The input is read with the
//! limits of [`crate::input`] (an image no further than one byte past the network's image
//! size), and the output is written atomically ([`crate::atomic`]): a failed conversion
//! leaves an existing output as it was. The one-line summary goes to standard error, so
//! that `convert IN /dev/stdout` prints the converted bytes alone.

use std::path::PathBuf;

use anyhow::Context as _;
use skipgrad::params::image::{self, Image, ImageError, MAGIC};
use skipgrad::params::{self, Params, Saturation};
use skipgrad::Format;
use skipgrad::{Scalar, Zeroed};

use crate::conversion::{self, Report};
use crate::model::number::VisitNumber;

use crate::model::flags::Which;
use crate::model::loss::TaskLoss;
use crate::model::network::Network;
use crate::model::task::TaskData;
use crate::model::{Family, Model, NetworkArgs, TrainNumber, Visit};
use crate::notebook::{WithShortcut, PREFIX};

/// Flags of `skipgrad convert`.
#[derive(Clone, Debug, PartialEq, clap::Args)]
pub struct ConvertArgs {
    /// The file to convert: safetensors, or a device image (`SKGI`).
    #[arg(value_name = "IN")]
    pub input: PathBuf,
    /// Where to write the converted file.
    #[arg(value_name = "OUT")]
    pub output: PathBuf,
    /// The network the weights belong to.
    #[command(flatten)]
    pub network: NetworkArgs,
    /// From safetensors: convert a value beyond --number's range to the largest value of its
    /// sign (counted in the report) instead of refusing the file. A usage error with a device
    /// image, which converts back bit for bit.
    #[arg(long)]
    pub saturate: bool,
    /// Print the summary and the conversion's report as one JSON object (on standard error,
    /// as the text, so that OUT may be standard output).
    #[arg(long)]
    pub json: bool,
}

/// What a conversion made.
#[derive(Clone, Debug, PartialEq)]
pub struct Converted {
    /// The output file's bytes.
    pub bytes: Vec<u8>,
    /// True when the output is a device image.
    pub to_image: bool,
    /// The model's parameter count.
    pub parameters: usize,
    /// From safetensors: how the values converted into the number type.
    pub report: Option<Report>,
}

/// An image error with the tensor it is about named, for the model `M` in `T`, where a
/// length error is about a file of `size` bytes (or of more than the image's size, when
/// `size` is `None` and the bytes were read up to one past it). An image of another number
/// type says which `--number` to pass, unless `number_given` (the flag was given).
pub fn describe_image_error<T: Scalar, M: Params<T>>(
    e: &ImageError,
    prefix: &str,
    size: Option<u64>,
    number_given: bool,
) -> String {
    if let ImageError::Length { expected, found } = *e {
        if found > expected {
            let has = size.map_or_else(|| format!("more than {expected}"), |s| s.to_string());
            return format!(
                "the file has {has} bytes, an image of this network is {expected} bytes"
            );
        }
    }
    let name = |i: usize| {
        params::tensor_name::<M, T>(i)
            .map(|n| crate::safetensors::full_name(prefix, n.as_str()))
            .unwrap_or_else(|| format!("#{i}"))
    };
    match *e {
        ImageError::NonFinite { tensor, element } => {
            format!("tensor `{}`: element {element} is not finite", name(tensor))
        }
        ImageError::Format { found, .. } if !number_given => match Format::from_code(found) {
            Some(format) => format!("{e} (pass --number {format})"),
            None => e.to_string(),
        },
        _ => e.to_string(),
    }
}

/// Converts `bytes` for the model `M` in `T`, whose tensors are named under `prefix`, with
/// `W`, the same model in `f64`, to read safetensors through.
fn convert_as<W, T, M>(c: Convert<'_>, prefix: &str) -> anyhow::Result<Converted>
where
    W: Params<f64> + Zeroed,
    T: Scalar,
    M: Params<T> + Zeroed,
{
    let Convert {
        bytes,
        size,
        saturation,
        number_given,
    } = c;
    let mut model = Box::new(M::ZERO);
    if bytes.starts_with(&MAGIC) {
        if saturation == Saturation::Clamp {
            crate::usage_bail!(
                "--saturate applies to a safetensors input; IN is a device image (SKGI), \
                 converted back bit for bit"
            );
        }
        image::load(&mut *model, bytes)
            .map_err(|e| {
                anyhow::anyhow!(describe_image_error::<T, M>(&e, prefix, size, number_given))
            })
            .context("reading the device image")?;
        Ok(Converted {
            bytes: crate::safetensors::write(&*model, prefix, &[]),
            to_image: false,
            parameters: M::LEN,
            report: None,
        })
    } else {
        let report = conversion::load::<W, T, M>(&mut model, bytes, prefix, saturation)
            .context("reading the safetensors file")?;
        let mut out = vec![0u8; Image::<M, T>::SIZE];
        image::save(&*model, &mut out)?;
        Ok(Converted {
            bytes: out,
            to_image: true,
            parameters: M::LEN,
            report: Some(report),
        })
    }
}

/// The conversion, as a visitor of the model dispatch (and, for the notebook's network, of
/// the number types).
struct Convert<'a> {
    bytes: &'a [u8],
    /// The input file's size, where known.
    size: Option<u64>,
    saturation: Saturation,
    /// Whether `--number` was given.
    number_given: bool,
}

impl Visit for Convert<'_> {
    type Output = anyhow::Result<Converted>;

    fn visit<T, M, L, D, F, const I: usize, const O: usize>(self, _: &Model) -> Self::Output
    where
        T: TrainNumber,
        M: Network<T, I, O>,
        L: TaskLoss<T, O>,
        D: TaskData<I, O>,
        F: Family<I, O>,
    {
        convert_as::<F::Net<f64>, T, M>(self, "")
    }
}

impl VisitNumber for Convert<'_> {
    type Output = anyhow::Result<Converted>;

    fn visit<T: TrainNumber>(self) -> Self::Output {
        convert_as::<WithShortcut<f64>, T, WithShortcut<T>>(self, PREFIX)
    }
}

impl Convert<'_> {
    fn run(self, network: &Which) -> anyhow::Result<Converted> {
        match network {
            Which::Notebook(number) => number.visit(self),
            Which::Model(model) => model.dispatch(self),
        }
    }
}

/// Converts `bytes` for the network `args` names, refusing a value beyond its number type's
/// range ([`Saturation::Refuse`]) or clamping it (a usage error for a device image).
pub fn convert(
    bytes: &[u8],
    args: &NetworkArgs,
    saturation: Saturation,
) -> anyhow::Result<Converted> {
    Convert {
        bytes,
        size: None,
        saturation,
        number_given: args.model.number.is_some(),
    }
    .run(&args.network()?)
}

/// The size of a network's device image.
struct ImageSize;

impl Visit for ImageSize {
    type Output = usize;

    fn visit<T, M, L, D, F, const I: usize, const O: usize>(self, _: &Model) -> usize
    where
        T: TrainNumber,
        M: Network<T, I, O>,
        L: TaskLoss<T, O>,
        D: TaskData<I, O>,
        F: Family<I, O>,
    {
        Image::<M, T>::SIZE
    }
}

impl VisitNumber for ImageSize {
    type Output = usize;

    fn visit<T: TrainNumber>(self) -> usize {
        Image::<WithShortcut<T>, T>::SIZE
    }
}

/// The size of `network`'s device image.
pub fn image_size(network: &Which) -> usize {
    match network {
        Which::Notebook(number) => number.visit(ImageSize),
        Which::Model(model) => model.dispatch(ImageSize),
    }
}

/// Runs `skipgrad convert`.
pub fn run(args: &ConvertArgs) -> anyhow::Result<()> {
    let network = args.network.network()?;
    crate::plan::Plan::new()
        .input("IN", &args.input)
        .output("OUT", &args.output)
        .check()?;
    let read = crate::input::read(&args.input, image_size(&network))
        .with_context(|| format!("reading {}", args.input.display()))?;
    let (bytes, size) = match &read {
        crate::input::Weights::Safetensors(bytes) => (bytes, None),
        crate::input::Weights::Image { bytes, size } => (bytes, *size),
    };
    let c = Convert {
        bytes,
        size,
        saturation: conversion::saturation(args.saturate),
        number_given: args.network.model.number.is_some(),
    }
    .run(&network)
    .with_context(|| format!("converting {}", args.input.display()))?;
    crate::atomic::write(&args.output, &c.bytes)
        .with_context(|| format!("writing {}", args.output.display()))?;
    let what = if c.to_image {
        "device image"
    } else {
        "safetensors file"
    };
    // On standard error: standard output may be the output itself.
    let text = if args.json {
        let summary = Summary {
            input: args.input.display().to_string(),
            output: args.output.display().to_string(),
            to: if c.to_image { "image" } else { "safetensors" },
            bytes: c.bytes.len(),
            parameters: c.parameters,
            network: network.describe(),
            conversion: c.report.as_ref(),
        };
        serde_json::to_string(&summary)? + "\n"
    } else {
        let mut text = format!(
            "{} -> {} ({what}, {} bytes): {} parameters of {}\n",
            args.input.display(),
            args.output.display(),
            c.bytes.len(),
            c.parameters,
            network.describe()
        );
        if let Some(r) = &c.report {
            text += &r.text(&args.input.display().to_string());
        }
        text
    };
    std::io::Write::write_all(&mut std::io::stderr(), text.as_bytes())
        .context("writing to standard error")
}

/// `convert --json`'s object.
#[derive(serde::Serialize)]
struct Summary<'a> {
    input: String,
    output: String,
    /// `image` or `safetensors`.
    to: &'static str,
    bytes: usize,
    parameters: usize,
    network: String,
    /// From safetensors: the conversion into the number type, per tensor.
    #[serde(skip_serializing_if = "Option::is_none")]
    conversion: Option<&'a Report>,
}
