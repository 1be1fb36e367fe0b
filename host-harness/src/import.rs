//! `skipgrad import FILE`: the notebook's experiment on the weights of a PyTorch file instead
//! of `torch.manual_seed`'s.
//!
//! The file is a `state_dict` of the notebook's model saved with
//! `safetensors.torch.save_file` (names `layers.0.0.weight` ... `layers.4.0.bias`). Both
//! networks, with and without shortcuts, take the same weights, as in the notebook, and run
//! one forward/backward pass on the sample. The text output is `seed`'s tables, then the
//! output and the loss of each network; `--json` prints `seed --json`'s object plus
//! `"output"` and `"loss"`, each `{"without_shortcut": .., "with_shortcut": ..}` (the `f32`
//! values, widened exactly to `f64`).

use std::path::PathBuf;

use anyhow::Context as _;
use skipgrad::{Loss, Module, Mse, Zeroed};

use crate::notebook::{self, Gradients, Plain, Tables, WithShortcut, PREFIX};
use crate::seed::{parse_finite_f32, parse_input};

/// Flags of `skipgrad import`.
#[derive(Clone, Debug, PartialEq, clap::Args)]
pub struct ImportArgs {
    /// A safetensors file of the notebook model's `state_dict`.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The sample: three comma-separated finite numbers.
    #[arg(long, value_name = "A,B,C", default_value = "1,0,-1", allow_hyphen_values = true, value_parser = parse_input)]
    pub input: [f32; 3],
    /// The regression target, a finite number.
    #[arg(long, value_name = "T", default_value = "0", allow_hyphen_values = true, value_parser = parse_finite_f32)]
    pub target: f32,
    /// Print one JSON object instead of the tables.
    #[arg(long)]
    pub json: bool,
}

/// One value per network.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Pair {
    /// The network without shortcuts.
    pub without_shortcut: f64,
    /// The network with shortcuts.
    pub with_shortcut: f64,
}

/// What `import` computes.
#[derive(Clone, Debug, PartialEq)]
pub struct Imported {
    /// Both networks' gradients.
    pub gradients: Gradients,
    /// Both networks' output on the sample.
    pub output: Pair,
    /// Both networks' MSE loss.
    pub loss: Pair,
}

/// The JSON object of `--json`.
#[derive(serde::Serialize)]
struct Report<'a> {
    #[serde(flatten)]
    tables: &'a Tables,
    output: Pair,
    loss: Pair,
}

/// One forward/backward pass: the output, the loss and the gradients.
fn pass<M>(model: &M, input: &[f32; 3], target: f32) -> (f32, f32, M::Grads)
where
    M: Module<[f32; 3], Output = [f32; 1]>,
{
    let mut cache = M::Cache::ZERO;
    let mut grads = M::Grads::ZERO;
    let y = model.forward(input, &mut cache);
    let loss = Mse.loss(&y, &[target]);
    model.backward(&cache, &Mse.sample_gradient(&y, &[target]), &mut grads);
    (y[0], loss, grads)
}

/// Loads `bytes` into both notebook networks and runs the experiment on the sample.
pub fn experiment(bytes: &[u8], input: &[f32; 3], target: f32) -> anyhow::Result<Imported> {
    let mut plain = Plain::<f32>::ZERO;
    crate::safetensors::load(&mut plain, bytes, PREFIX)?;
    let mut skip = WithShortcut::<f32>::ZERO;
    crate::safetensors::load(&mut skip, bytes, PREFIX)?;
    let (y0, l0, g0) = pass(&plain, input, target);
    let (y1, l1, g1) = pass(&skip, input, target);
    Ok(Imported {
        gradients: Gradients {
            without_shortcut: g0,
            with_shortcut: g1,
        },
        output: Pair {
            without_shortcut: f64::from(y0),
            with_shortcut: f64::from(y1),
        },
        loss: Pair {
            without_shortcut: f64::from(l0),
            with_shortcut: f64::from(l1),
        },
    })
}

/// The JSON object (no trailing newline).
pub fn render_json(r: &Imported) -> anyhow::Result<String> {
    let tables = notebook::tables(&r.gradients);
    serde_json::to_string(&Report {
        tables: &tables,
        output: r.output,
        loss: r.loss,
    })
    .context("serialising the report")
}

/// The tables, then the outputs and losses.
pub fn render_plain(r: &Imported) -> String {
    use crate::notebook::python_repr as repr;
    let mut text = notebook::render_plain(&r.gradients);
    text.push_str(&format!(
        "\noutput: without shortcut {}, with shortcut {}\nloss: without shortcut {}, with shortcut {}\n",
        repr(r.output.without_shortcut),
        repr(r.output.with_shortcut),
        repr(r.loss.without_shortcut),
        repr(r.loss.with_shortcut),
    ));
    text
}

/// Runs `skipgrad import`.
pub fn run(args: &ImportArgs) -> anyhow::Result<()> {
    let bytes =
        std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    anyhow::ensure!(
        !bytes.starts_with(&skipgrad::params::image::MAGIC),
        "{} is a device image, not safetensors: `skipgrad convert` turns it into safetensors",
        args.file.display()
    );
    let r = experiment(&bytes, &args.input, args.target)
        .with_context(|| format!("loading {}", args.file.display()))?;
    crate::seed::check_finite(&notebook::tables(&r.gradients))?;
    let finite = [r.output, r.loss]
        .iter()
        .all(|p| p.without_shortcut.is_finite() && p.with_shortcut.is_finite());
    anyhow::ensure!(finite, "the output or the loss overflowed float32");
    let text = if args.json {
        render_json(&r)? + "\n"
    } else {
        render_plain(&r)
    };
    crate::output::write(format_args!("{text}"))
}
