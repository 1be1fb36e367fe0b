//! `skipgrad exhaustive --activation NAME|all`: rows of the activation table, each scanned
//! over every finite `f32` ([`crate::exhaustive::scan_activation`], a visitor of the table):
//! the value and the derivative in `f32` must be finite and within the row's bounds
//! ([`ActivationKind::bounds`]) of the same function in `f64` on the exact input. With
//! `--json` it prints one object, `{"stride": .., "threads": .., "activations":
//! [{"activation": .., "seconds": .., "bounds": .., "summary": ..}, ...]}`, as every
//! command's `--json` prints one object.

use crate::exhaustive::{describe, scan_activation, FnStats};
use crate::model::activation::{ActivationKind, Bound};

/// Which activations `skipgrad exhaustive` runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Selection {
    /// Every activation, one after another.
    All,
    /// One.
    One(ActivationKind),
}

impl Selection {
    /// The activations selected.
    pub fn kinds(self) -> Vec<ActivationKind> {
        match self {
            Selection::All => ActivationKind::ALL.to_vec(),
            Selection::One(k) => vec![k],
        }
    }
}

fn parse_selection(s: &str) -> Result<Selection, String> {
    if s == "all" {
        return Ok(Selection::All);
    }
    ActivationKind::from_name(s)
        .map(Selection::One)
        .ok_or_else(|| {
            let names: Vec<&str> = ActivationKind::ALL.iter().map(|k| k.name()).collect();
            format!("expected all, {}", names.join(", "))
        })
}

/// Flags of `skipgrad exhaustive`.
#[derive(Clone, Debug, clap::Args)]
pub struct ActivationArgs {
    /// The activation: a name of --activation (gelu-tanh, relu, ...), or all.
    #[arg(long, value_parser = parse_selection)]
    pub activation: Selection,
    /// Threads, stride and output.
    #[command(flatten)]
    pub scan: crate::flags::Scan,
}

/// Runs `skipgrad exhaustive`.
pub fn run(args: &ActivationArgs) -> anyhow::Result<()> {
    if cfg!(feature = "micromath") {
        crate::usage_bail!(
            "exhaustive holds the default build's bounds; a build with the micromath feature \
             has its own: exhaustive-gelu --micromath"
        );
    }
    let threads = args.scan.threads();
    let mut json = Vec::new();
    let mut over = Vec::new();
    for kind in args.activation.kinds() {
        let start = std::time::Instant::now();
        let s = scan_activation(kind, args.scan.stride, threads);
        let secs = start.elapsed().as_secs_f64();
        let b = kind.bounds();
        if !s.within(&b) {
            over.push(kind.name());
        }
        if args.scan.json {
            json.push(serde_json::json!({
                "activation": kind.name(),
                "seconds": secs,
                "bounds": {
                    "value": {"unit": b.value.unit(), "bound": b.value.limit()},
                    "derivative": {"unit": b.derivative.unit(), "bound": b.derivative.limit()},
                },
                "summary": s,
            }));
            continue;
        }
        crate::outln!(
            "f32 {} over {} finite inputs (every {}. bit pattern), {} threads, {:.1} s",
            kind.name(),
            s.checked,
            args.scan.stride,
            threads,
            secs
        );
        crate::out!("{}", describe("value", &s.value));
        crate::out!("{}", describe("derivative", &s.derivative));
        let figure = |bound: &Bound, stats: &FnStats| {
            let w = bound.figure(stats);
            format!(
                "{:.4} {} (bound {}) at x = {:e} (bits 0x{:08x})",
                w.error,
                bound.unit(),
                bound.limit(),
                w.input(),
                w.bits
            )
        };
        crate::outln!(
            "bounded: value {}; derivative {}\n",
            figure(&b.value, &s.value),
            figure(&b.derivative, &s.derivative)
        );
    }
    if args.scan.json {
        // One object, as every --json prints.
        crate::outln!(
            "{}",
            serde_json::json!({
                "stride": args.scan.stride,
                "threads": threads,
                "activations": json,
            })
        );
    }
    if !over.is_empty() {
        anyhow::bail!(
            "non-finite results or an error figure over its stated bound: {}",
            over.join(", ")
        );
    }
    Ok(())
}
