//! `skipgrad convert IN OUT --network NAME`: a safetensors file to the device image of a
//! network type, or a device image back to safetensors.
//!
//! The direction follows the input: a file starting with the image's magic (`SKGI`) is a
//! device image and becomes safetensors (PyTorch's names, `F32`); anything else is read as
//! safetensors (checked as [`crate::safetensors`] describes) and becomes a device image
//! ([`skipgrad::params::image`]). Either way every value is kept bit for bit (`F16`, `BF16` and `F64`
//! inputs are converted as `load_state_dict` would convert them to `float32`).
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
use skipgrad::params::{self, Params};
use skipgrad::Zeroed;

use crate::networks::{NetworkArgs, Visit};

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
}

/// What a conversion made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Converted {
    /// The output file's bytes.
    pub bytes: Vec<u8>,
    /// True when the output is a device image.
    pub to_image: bool,
    /// The model's parameter count.
    pub parameters: usize,
}

/// An image error with the tensor it is about named, for the model `M`.
pub fn describe_image_error<M: Params<f32>>(e: &ImageError, prefix: &str) -> String {
    describe_image_error_of::<M>(e, prefix, None)
}

/// [`describe_image_error`], where a length error is about a file of `size` bytes (or of more
/// than the image's size, when `size` is `None` and the bytes were read up to one past it).
fn describe_image_error_of<M: Params<f32>>(
    e: &ImageError,
    prefix: &str,
    size: Option<u64>,
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
        params::tensor_name::<M, f32>(i)
            .map(|n| crate::safetensors::full_name(prefix, n.as_str()))
            .unwrap_or_else(|| format!("#{i}"))
    };
    match *e {
        ImageError::NonFinite { tensor, element } => {
            format!("tensor `{}`: element {element} is not finite", name(tensor))
        }
        _ => e.to_string(),
    }
}

struct Convert<'a> {
    bytes: &'a [u8],
    /// The input file's size, where known.
    size: Option<u64>,
}

impl Visit for Convert<'_> {
    type Output = anyhow::Result<Converted>;

    fn visit<M: Params<f32> + Zeroed + Clone + PartialEq + 'static>(
        self,
        prefix: &'static str,
    ) -> Self::Output {
        let mut model = Box::new(M::ZERO);
        if self.bytes.starts_with(&MAGIC) {
            image::load(&mut *model, self.bytes)
                .map_err(|e| anyhow::anyhow!(describe_image_error_of::<M>(&e, prefix, self.size)))
                .context("reading the device image")?;
            Ok(Converted {
                bytes: crate::safetensors::write(&*model, prefix, &[]),
                to_image: false,
                parameters: M::LEN,
            })
        } else {
            crate::safetensors::load(&mut *model, self.bytes, prefix)
                .context("reading the safetensors file")?;
            let mut out = vec![0u8; Image::<M, f32>::SIZE];
            image::save(&*model, &mut out)?;
            Ok(Converted {
                bytes: out,
                to_image: true,
                parameters: M::LEN,
            })
        }
    }
}

/// Converts `bytes` for the network `args` names.
pub fn convert(bytes: &[u8], args: &NetworkArgs) -> anyhow::Result<Converted> {
    args.network()?.visit(Convert { bytes, size: None })
}

/// The size of a network's device image.
struct ImageSize;

impl Visit for ImageSize {
    type Output = usize;
    fn visit<M: Params<f32> + Zeroed + Clone + PartialEq + 'static>(
        self,
        _: &'static str,
    ) -> usize {
        Image::<M, f32>::SIZE
    }
}

/// Runs `skipgrad convert`.
pub fn run(args: &ConvertArgs) -> anyhow::Result<()> {
    let network = args.network.network()?;
    crate::plan::Plan::new()
        .input("IN", &args.input)
        .output("OUT", &args.output)
        .check()?;
    let read = crate::input::read(&args.input, network.visit(ImageSize))
        .with_context(|| format!("reading {}", args.input.display()))?;
    let (bytes, size) = match &read {
        crate::input::Weights::Safetensors(bytes) => (bytes, None),
        crate::input::Weights::Image { bytes, size } => (bytes, *size),
    };
    let c = network
        .visit(Convert { bytes, size })
        .with_context(|| format!("converting {}", args.input.display()))?;
    crate::atomic::write(&args.output, &c.bytes)
        .with_context(|| format!("writing {}", args.output.display()))?;
    let what = if c.to_image {
        "device image"
    } else {
        "safetensors file"
    };
    // On standard error: standard output may be the output itself.
    let line = format!(
        "{} -> {} ({what}, {} bytes): {} parameters of {}\n",
        args.input.display(),
        args.output.display(),
        c.bytes.len(),
        c.parameters,
        network.describe()
    );
    std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes())
        .context("writing to standard error")
}
