//! `skipgrad convert IN OUT --network NAME`: a safetensors file to the device image of a
//! network type, or a device image back to safetensors.
//!
//! The direction follows the input: a file starting with the image's magic (`SKGI`) is a
//! device image and becomes safetensors (PyTorch's names, `F32`); anything else is read as
//! safetensors (checked as [`crate::safetensors`] describes) and becomes a device image
//! ([`skipgrad::params::image`]). Either way every value is kept bit for bit (`F16`, `BF16` and `F64`
//! inputs are converted as `load_state_dict` would convert them to `float32`).

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
                .map_err(|e| anyhow::anyhow!(describe_image_error::<M>(&e, prefix)))
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
    args.network()?.visit(Convert { bytes })
}

/// Runs `skipgrad convert`.
pub fn run(args: &ConvertArgs) -> anyhow::Result<()> {
    let network = args.network.network()?;
    let bytes =
        std::fs::read(&args.input).with_context(|| format!("reading {}", args.input.display()))?;
    let c = convert(&bytes, &args.network)
        .with_context(|| format!("converting {}", args.input.display()))?;
    std::fs::write(&args.output, &c.bytes)
        .with_context(|| format!("writing {}", args.output.display()))?;
    let what = if c.to_image {
        "device image"
    } else {
        "safetensors file"
    };
    let line = format!(
        "{} -> {} ({what}, {} bytes): {} parameters of {}\n",
        args.input.display(),
        args.output.display(),
        c.bytes.len(),
        c.parameters,
        network.describe()
    );
    crate::output::write(format_args!("{line}"))
}
