//! `skipgrad seed`: the notebook's per-layer gradient tables.
//!
//! Plain output is the notebook's wording, one caption line before each table:
//!
//! ```text
//! without shortcut:
//! layers.0.0.weight has gradient mean of 0.00020173590746708214
//! ...
//!
//! with shortcut:
//! layers.0.0.weight has gradient mean of 0.22169792652130127
//! ...
//! ```
//!
//! `--json` prints one object, `{"without_shortcut":[{"name":..,"mean_abs_grad":..},..],
//! "with_shortcut":[..]}`, and nothing else.

use anyhow::Context;
use skipgrad::UniformFormula;

use crate::notebook::{self, Experiment, Gradients, Tables};

pub use skipgrad_notebook::table::{WITHOUT_CAPTION, WITH_CAPTION};

/// PyTorch's formula for `uniform_`, as the command line spells it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum InitFormula {
    /// `x * (to - from) + from` in float32: the PyTorch of the seed notebook.
    #[default]
    Float32Uniform,
    /// The same expression in float64, rounded once: PyTorch 2.15.
    Float64Uniform,
}

impl From<InitFormula> for UniformFormula {
    fn from(f: InitFormula) -> Self {
        match f {
            InitFormula::Float32Uniform => UniformFormula::Float32,
            InitFormula::Float64Uniform => UniformFormula::Float64,
        }
    }
}

/// Flags of `skipgrad seed`. [`Default`] gives the same values as no flags at all.
#[derive(Clone, Debug, PartialEq, clap::Args)]
pub struct SeedArgs {
    /// The `torch.manual_seed` value (PyTorch's generator keeps its low 32 bits).
    #[arg(
        long,
        value_name = "N",
        default_value_t = 123,
        allow_hyphen_values = true,
        value_parser = crate::flags::seed
    )]
    pub seed: u64,

    /// The sample: three comma-separated finite numbers, e.g. `--input -1,0,1`.
    #[arg(
        long,
        value_name = "A,B,C",
        default_value = "1,0,-1",
        allow_hyphen_values = true,
        value_parser = parse_input
    )]
    pub input: [f32; 3],

    /// The regression target, a finite number.
    #[arg(
        long,
        value_name = "T",
        default_value = "0",
        allow_hyphen_values = true,
        value_parser = parse_finite_f32
    )]
    pub target: f32,

    /// PyTorch's uniform formula for the initial weights.
    #[arg(long, value_enum, value_name = "FORMULA", default_value_t = InitFormula::Float32Uniform)]
    pub init: InitFormula,

    /// Print one JSON object instead of the tables.
    #[arg(long)]
    pub json: bool,

    /// Also draw both tables as an SVG bar chart (log scale) in this file.
    #[arg(long, value_name = "FILE")]
    pub plot: Option<std::path::PathBuf>,
}

impl Default for SeedArgs {
    fn default() -> Self {
        let e = Experiment::default();
        Self {
            seed: e.seed,
            input: e.input,
            target: e.target,
            init: InitFormula::default(),
            json: false,
            plot: None,
        }
    }
}

impl SeedArgs {
    /// The experiment these flags describe.
    pub fn experiment(&self) -> Experiment {
        Experiment {
            seed: self.seed,
            input: self.input,
            target: self.target,
            formula: self.init.into(),
        }
    }
}

/// Parses one finite `f32` the way `torch.tensor([v])` would receive it from Python: the
/// text is read as a float64 and then rounded once to float32. NaN, infinities and values
/// outside float32's range are rejected.
pub fn parse_finite_f32(s: &str) -> Result<f32, String> {
    let t = s.trim();
    let wide: f64 = t.parse().map_err(|_| format!("`{t}` is not a number"))?;
    if !wide.is_finite() {
        return Err(format!(
            "`{t}` is not finite (NaN and infinities are rejected)"
        ));
    }
    let v = wide as f32;
    if !v.is_finite() {
        return Err(format!("`{t}` is outside the range of float32"));
    }
    Ok(v)
}

/// Parses `a,b,c` into the notebook's three-element sample.
pub fn parse_input(s: &str) -> Result<[f32; 3], String> {
    let parts: Vec<&str> = s.split(',').collect();
    let [a, b, c] = parts.as_slice() else {
        return Err(format!(
            "expected 3 comma-separated numbers (e.g. `1,0,-1`), got {}",
            parts.len()
        ));
    };
    Ok([
        parse_finite_f32(a)?,
        parse_finite_f32(b)?,
        parse_finite_f32(c)?,
    ])
}

/// The two tables as plain text: a caption line before each, a blank line between them.
pub fn render_plain(g: &Gradients) -> String {
    notebook::render_plain(g)
}

/// The two tables as one JSON object (no trailing newline).
pub fn render_json(t: &Tables) -> anyhow::Result<String> {
    serde_json::to_string(t).context("serialising the tables")
}

/// Fails if a gradient overflowed float32: the tables would print `inf`/`NaN` (and JSON has
/// no number for them), so a clear error is more useful; `hint` says what to change.
pub(crate) fn check_finite(t: &Tables, hint: &str) -> anyhow::Result<()> {
    let bad = t
        .without_shortcut
        .iter()
        .map(|r| ("without shortcut", r))
        .chain(t.with_shortcut.iter().map(|r| ("with shortcut", r)))
        .find(|(_, r)| !r.mean_abs_grad.is_finite());
    match bad {
        Some((which, r)) => anyhow::bail!(
            "the mean |grad| of {} ({which}) is {}: float32 overflowed; {hint}",
            r.name,
            r.mean_abs_grad
        ),
        None => Ok(()),
    }
}

/// Runs `skipgrad seed`.
pub fn run(args: &SeedArgs) -> anyhow::Result<()> {
    crate::plan::Plan::new()
        .maybe_output("--plot", args.plot.as_ref())
        .check()?;
    let gradients = args.experiment().run();
    let tables = notebook::tables(&gradients);
    check_finite(&tables, "use a smaller input or target")?;
    if let Some(path) = &args.plot {
        let svg = crate::plot::gradient_bars(&tables)?;
        crate::atomic::write(path, svg.as_bytes())
            .with_context(|| format!("writing --plot {}", path.display()))?;
    }
    let text = if args.json {
        render_json(&tables)? + "\n"
    } else {
        render_plain(&gradients)
    };
    crate::out!("{text}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        args: SeedArgs,
    }

    fn parse(argv: &[&str]) -> Result<SeedArgs, clap::Error> {
        Cli::try_parse_from(std::iter::once("seed").chain(argv.iter().copied())).map(|c| c.args)
    }

    #[test]
    fn no_flags_equals_default() {
        assert_eq!(parse(&[]).unwrap(), SeedArgs::default());
        assert_eq!(SeedArgs::default().experiment(), Experiment::default());
    }

    #[test]
    fn accepted_flags() {
        let d = SeedArgs::default();
        let cases: [(&[&str], SeedArgs); 7] = [
            (
                &["--input", "-1,0,1"],
                SeedArgs {
                    input: [-1.0, 0.0, 1.0],
                    ..d.clone()
                },
            ),
            (
                &["--input=-1,0,1"],
                SeedArgs {
                    input: [-1.0, 0.0, 1.0],
                    ..d.clone()
                },
            ),
            (
                &["--target", "-0.5"],
                SeedArgs {
                    target: -0.5,
                    ..d.clone()
                },
            ),
            (
                &["--target", "-1e-3", "--seed", "7"],
                SeedArgs {
                    target: -1e-3,
                    seed: 7,
                    ..d.clone()
                },
            ),
            (
                &["--input", " 2, -3.5 ,1e2"],
                SeedArgs {
                    input: [2.0, -3.5, 100.0],
                    ..d.clone()
                },
            ),
            (
                &["--init", "float64-uniform"],
                SeedArgs {
                    init: InitFormula::Float64Uniform,
                    ..d.clone()
                },
            ),
            (
                &["--json"],
                SeedArgs {
                    json: true,
                    ..d.clone()
                },
            ),
        ];
        for (argv, want) in cases {
            let got = parse(argv).unwrap_or_else(|e| panic!("{argv:?}: {e}"));
            assert_eq!(got, want, "{argv:?}");
        }
    }

    #[test]
    fn rejected_flags() {
        let cases: [(&[&str], &str); 10] = [
            (&["--input", "1,2"], "expected 3 comma-separated numbers"),
            (
                &["--input", "1,2,3,4"],
                "expected 3 comma-separated numbers",
            ),
            (&["--input", "1,x,3"], "`x` is not a number"),
            (&["--input", "1,,3"], "`` is not a number"),
            (&["--input", "1,NaN,3"], "not finite"),
            (&["--input", "inf,0,0"], "not finite"),
            (&["--target", "nan"], "not finite"),
            (&["--target", "1e39"], "outside the range of float32"),
            (&["--init", "float16-uniform"], "float32-uniform"),
            (&["--seed", "-1"], "--seed"),
        ];
        for (argv, want) in cases {
            let e = parse(argv).expect_err(&format!("{argv:?} should be rejected"));
            let msg = e.to_string();
            assert!(msg.contains(want), "{argv:?}: {msg}");
        }
    }

    #[test]
    fn text_is_parsed_as_float64_then_rounded() {
        // 1 + 2^-24 + 2^-60 rounds up to 1 + 2^-23 directly in f32, but Python first
        // rounds it to the f64 1 + 2^-24, a tie that f32 rounds to even (1.0).
        let s = "1.000000059604644776257986737988403547205962240695953369140625";
        assert_eq!(parse_finite_f32(s), Ok(1.0));
    }

    #[test]
    #[cfg_attr(
        feature = "micromath",
        ignore = "micromath's approximate tanh is not PyTorch's"
    )]
    fn plain_output_has_captions_and_rows() {
        let text = render_plain(&Experiment::default().run());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2 + 5 + 1 + 5);
        assert_eq!(lines[0], WITHOUT_CAPTION);
        assert_eq!(lines[6], "");
        assert_eq!(lines[7], WITH_CAPTION);
        assert!(lines[1].starts_with("layers.0.0.weight has gradient mean of 0.000201735"));
        assert!(lines[12].starts_with("layers.4.0.weight has gradient mean of 1.32585"));
    }

    #[test]
    fn overflow_is_an_error() {
        let e = Experiment {
            input: [3e38, 3e38, 3e38],
            ..Experiment::default()
        };
        let t = notebook::run(&e);
        let err = check_finite(&t, "a hint").expect_err("overflow must be reported");
        assert!(
            err.to_string().ends_with("float32 overflowed; a hint"),
            "{err}"
        );
    }
}
