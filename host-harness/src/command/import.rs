//! `skipgrad import FILE`: the notebook's experiment on the weights of a PyTorch file instead
//! of `torch.manual_seed`'s, for the notebook's network or any network `train` saves.
//!
//! The file is a `state_dict` saved with `safetensors.torch.save_file`: of the notebook's
//! model (names `layers.0.0.weight` ... `layers.4.0.bias`), or, with `--network train` and
//! the model flags ([`ModelArgs`](crate::model::ModelArgs)), of `train`'s network (a visitor
//! of the model dispatch). Both networks, with and without shortcuts, take the same
//! weights, as in the notebook, and run one forward/backward pass on the sample (`--input`,
//! `--target`; for `train`'s network by default the task's first training sample and its
//! truth) with the model's loss. The text output is `seed`'s tables (the mean |grad| of
//! every weight), then the output and the loss of each network; `--json` prints `seed
//! --json`'s object plus `"output"` and `"loss"`, each `{"without_shortcut": ..,
//! "with_shortcut": ..}` (the values widened exactly to `f64`; for `train`'s network an
//! output is an array, one value per output).

use std::path::PathBuf;

use anyhow::Context as _;
use skipgrad::params::{self, Ref, Saturation};
use skipgrad::{Layer, Loss, Module, Mse, Params, Scalar, Zeroed};
use skipgrad_notebook::table::{write_line, WITHOUT_CAPTION, WITH_CAPTION};

use super::seed::parse_finite_f32;
use crate::conversion;
use crate::model::flags::Which;
use crate::model::loss::TaskLoss;
use crate::model::network::Network;
use crate::model::task::{Data, Labels, TaskData, Truth};
use crate::model::{Family, Model, NetworkArgs, TrainNumber, Visit};
use crate::notebook::{self, GradRow, Gradients, Plain, Tables, WithShortcut, PREFIX};

/// The notebook's sample and target.
const NOTEBOOK_SAMPLE: ([f32; 3], f32) = ([1.0, 0.0, -1.0], 0.0);

/// Flags of `skipgrad import`.
#[derive(Clone, Debug, PartialEq, clap::Args)]
pub struct ImportArgs {
    /// A safetensors file of the network's `state_dict`.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The network the weights belong to.
    #[command(flatten)]
    pub network: NetworkArgs,
    /// The sample: comma-separated finite numbers, one per input [default: 1,0,-1 for the
    /// notebook's network; the task's first training sample for train's].
    #[arg(long, value_name = "A,B,..", allow_hyphen_values = true, value_parser = parse_sample)]
    pub input: Option<Sample>,
    /// The target: a finite number, or for a task with class labels a class index
    /// [default: 0 for the notebook's network; the sample's truth for train's].
    #[arg(long, value_name = "T", allow_hyphen_values = true, value_parser = parse_finite_f32)]
    pub target: Option<f32>,
    /// Print one JSON object instead of the tables.
    #[arg(long)]
    pub json: bool,
}

/// A sample as typed: finite `f32` values.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample(pub Vec<f32>);

/// Parses `a,b,...` into finite `f32` values.
fn parse_sample(s: &str) -> Result<Sample, String> {
    s.split(',')
        .map(parse_finite_f32)
        .collect::<Result<_, _>>()
        .map(Sample)
}

/// The sample as `I` values (a usage error for another count).
fn sample<const I: usize>(s: &Sample) -> anyhow::Result<[f32; I]> {
    match <[f32; I]>::try_from(s.0.as_slice()) {
        Ok(x) => Ok(x),
        Err(_) => crate::usage_bail!(
            "--input: expected {I} comma-separated numbers (e.g. `1,0,-1`), got {}",
            s.0.len()
        ),
    }
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

/// Loads `bytes` into both notebook networks and runs the experiment on the sample. The file
/// is read as every file is ([`crate::conversion`]): exactly in `f64`, then rounded into
/// `f32` (an `F32` file bit for bit), a value beyond `f32`'s range refused.
pub fn experiment(bytes: &[u8], input: &[f32; 3], target: f32) -> anyhow::Result<Imported> {
    let mut plain = Plain::<f32>::ZERO;
    conversion::load::<Plain<f64>, f32, _>(&mut plain, bytes, PREFIX, Saturation::Refuse)?;
    let mut skip = WithShortcut::<f32>::ZERO;
    conversion::load::<WithShortcut<f64>, f32, _>(&mut skip, bytes, PREFIX, Saturation::Refuse)?;
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

/// What `import` computes for one of `train`'s networks: both variants' gradient tables,
/// outputs and losses.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportedModel {
    /// The mean |grad| of every weight, both variants.
    pub tables: Tables,
    /// Both networks' outputs on the sample.
    pub output: (Vec<f64>, Vec<f64>),
    /// Both networks' losses.
    pub loss: Pair,
}

/// The JSON object of `--json` for one of `train`'s networks.
#[derive(serde::Serialize)]
struct ModelReport<'a> {
    #[serde(flatten)]
    tables: &'a Tables,
    output: Outputs<'a>,
    loss: Pair,
}

#[derive(serde::Serialize)]
struct Outputs<'a> {
    without_shortcut: &'a [f64],
    with_shortcut: &'a [f64],
}

/// The mean |grad| of every weight tensor of `grads` (of the model `M`), summed in order and
/// divided by the count, in `T`, as the notebook computes it.
fn weight_means<T: Scalar, M: Params<T>>(grads: &M::Grads) -> Vec<GradRow> {
    let mut names = Vec::new();
    params::visit_shapes::<M, T, _>(|name, _| names.push(name.to_string()));
    let mut rows = Vec::new();
    let mut names = names.into_iter();
    params::zip_grads::<M, Ref, T, _>(grads, |_, values| {
        let name = names.next().unwrap_or_default();
        if name.ends_with("weight") {
            let mut sum = T::ZERO;
            values.iter().for_each(|g| sum += g.abs());
            rows.push(GradRow {
                name,
                mean_abs_grad: (sum / T::from_usize(values.len().max(1))).to_f64(),
            });
        }
    });
    rows
}

/// The experiment on one of `train`'s networks, as a visitor of the model dispatch.
struct Experiment<'a> {
    bytes: &'a [u8],
    input: Option<&'a Sample>,
    target: Option<f32>,
}

impl Experiment<'_> {
    /// The sample's truth: the `--target` as a value (regression) or a class (labels).
    fn truth(&self, model: &Model, default: Option<Truth>) -> anyhow::Result<Truth> {
        let Some(t) = self.target else {
            return match default {
                Some(truth) => Ok(truth),
                None => crate::usage_bail!("--input needs a --target"),
            };
        };
        match model.task().row().labels {
            Labels::Values => Ok(Truth::Value(t)),
            Labels::Classes(n) if t >= 0.0 && t.fract() == 0.0 && (t as usize) < n => {
                Ok(Truth::Class(t as usize))
            }
            Labels::Classes(n) => crate::usage_bail!(
                "--target {t}: --task {} is labelled with classes, 0 to {}",
                model.task(),
                n - 1
            ),
        }
    }
}

impl Visit for Experiment<'_> {
    type Output = anyhow::Result<ImportedModel>;

    fn visit<T, M, L, D, F, const I: usize, const O: usize>(self, model: &Model) -> Self::Output
    where
        T: TrainNumber,
        M: Network<T, I, O>,
        L: TaskLoss<T, O>,
        D: TaskData<I, O>,
        F: Family<I, O>,
    {
        let first = D::sample(&Data::Generated, 0)?;
        let (x, truth) = match self.input {
            Some(s) => (sample::<I>(s)?, self.truth(model, None)?),
            None => match first {
                Some((x, truth)) => (x, self.truth(model, Some(truth))?),
                None => crate::usage_bail!("the task has no sample: give --input and --target"),
            },
        };
        let mut net = Box::new(M::ZERO);
        // Rounded into the number type; a value beyond its range is refused.
        conversion::load::<F::Net<f64>, T, M>(&mut *net, self.bytes, "", Saturation::Refuse)?;
        let x: [T; I] = x.map(|v| T::from_f64(f64::from(v)));
        let loss = L::new(model.loss());
        let target = L::target(truth);
        let mut pass = |shortcut: bool| {
            net.configure(model.activation(), shortcut);
            let mut cache = Box::new(<M as Module<[T; I]>>::Cache::ZERO);
            let mut grads = Box::new(<M as Layer>::Grads::ZERO);
            let y = net.forward(&x, &mut cache);
            let l = loss.loss(&y, &target);
            net.backward(&cache, &loss.sample_gradient(&y, &target), &mut grads);
            (
                weight_means::<T, M>(&grads),
                y.map(T::to_f64).to_vec(),
                l.to_f64(),
            )
        };
        let (rows0, y0, l0) = pass(false);
        let (rows1, y1, l1) = pass(true);
        Ok(ImportedModel {
            tables: Tables {
                without_shortcut: rows0,
                with_shortcut: rows1,
            },
            output: (y0, y1),
            loss: Pair {
                without_shortcut: l0,
                with_shortcut: l1,
            },
        })
    }
}

/// Loads `bytes` into both variants of `model`'s network and runs the experiment on the
/// sample (`input`, `target`; by default the task's first training sample).
pub fn experiment_on(
    model: &Model,
    bytes: &[u8],
    input: Option<&Sample>,
    target: Option<f32>,
) -> anyhow::Result<ImportedModel> {
    model.dispatch(Experiment {
        bytes,
        input,
        target,
    })
}

/// The JSON object for one of `train`'s networks (no trailing newline).
pub fn render_model_json(r: &ImportedModel) -> anyhow::Result<String> {
    serde_json::to_string(&ModelReport {
        tables: &r.tables,
        output: Outputs {
            without_shortcut: &r.output.0,
            with_shortcut: &r.output.1,
        },
        loss: r.loss,
    })
    .context("serialising the report")
}

/// The tables, then the outputs and losses, for one of `train`'s networks.
pub fn render_model_plain(r: &ImportedModel) -> String {
    use crate::notebook::python_repr as repr;
    let mut text = String::new();
    for (caption, rows) in [
        (WITHOUT_CAPTION, &r.tables.without_shortcut),
        (WITH_CAPTION, &r.tables.with_shortcut),
    ] {
        if !text.is_empty() {
            text.push('\n');
        }
        text += caption;
        text.push('\n');
        for row in rows {
            let _ = write_line(&mut text, &row.name, row.mean_abs_grad);
        }
    }
    let list = |v: &[f64]| v.iter().map(|y| repr(*y)).collect::<Vec<_>>().join(", ");
    text.push_str(&format!(
        "\noutput: without shortcut [{}], with shortcut [{}]\nloss: without shortcut {}, with shortcut {}\n",
        list(&r.output.0),
        list(&r.output.1),
        repr(r.loss.without_shortcut),
        repr(r.loss.with_shortcut),
    ));
    text
}

/// Runs `skipgrad import`.
pub fn run(args: &ImportArgs) -> anyhow::Result<()> {
    let network = args.network.network()?;
    let bytes = crate::input::read_safetensors(&args.file)
        .with_context(|| format!("reading {}", args.file.display()))?;
    // The weights are the file's: they share the blame with the sample.
    let hint = format!(
        "the weights of {} with this sample (--input, --target) are too large for the \
         number type",
        args.file.display()
    );
    let text = match network {
        Which::Notebook(number) if number != crate::model::Number::F32 => crate::usage_bail!(
            "import runs the notebook's experiment in f32; --number {number} is for --network \
             train (convert takes the notebook's network in {number})"
        ),
        Which::Notebook(_) => {
            let (mut input, mut target) = NOTEBOOK_SAMPLE;
            if let Some(s) = &args.input {
                input = sample::<3>(s)?;
            }
            if let Some(t) = args.target {
                target = t;
            }
            let r = experiment(&bytes, &input, target)
                .with_context(|| format!("loading {}", args.file.display()))?;
            let hint = hint.replace("the number type", "float32");
            crate::command::seed::check_finite(&notebook::tables(&r.gradients), &hint)?;
            let finite = [r.output, r.loss]
                .iter()
                .all(|p| p.without_shortcut.is_finite() && p.with_shortcut.is_finite());
            anyhow::ensure!(finite, "the output or the loss overflowed float32: {hint}");
            if args.json {
                render_json(&r)? + "\n"
            } else {
                render_plain(&r)
            }
        }
        Which::Model(model) => {
            let r = experiment_on(&model, &bytes, args.input.as_ref(), args.target)
                .with_context(|| format!("loading {}", args.file.display()))?;
            crate::command::seed::check_finite(&r.tables, &hint)?;
            let finite = r.output.0.iter().chain(&r.output.1).all(|y| y.is_finite())
                && r.loss.without_shortcut.is_finite()
                && r.loss.with_shortcut.is_finite();
            anyhow::ensure!(finite, "the output or the loss overflowed: {hint}");
            if args.json {
                render_model_json(&r)? + "\n"
            } else {
                render_model_plain(&r)
            }
        }
    };
    crate::output::write(format_args!("{text}"))
}
