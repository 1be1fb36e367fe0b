//! `skipgrad gradcheck`: the gradient checker on the notebook's networks and a deep residual
//! network.

use crate::gradcheck::{self, Config, Report, TensorReport, BOUND};
use crate::notebook::{Plain, WithShortcut, PREFIX};
use skipgrad::{Gelu, Linear, Params, Residual, TorchInit};

/// A residual block of width 8.
pub type DeepBlock = Residual<(Linear<f64, 8, 8>, Gelu)>;

/// The deep network: an input layer 3 -> 8, eight residual blocks of width 8, an output
/// layer 8 -> 1.
pub type Deep = ((Linear<f64, 3, 8>, Gelu), [DeepBlock; 8], Linear<f64, 8, 1>);

/// Flags of `skipgrad gradcheck`.
#[derive(Clone, Debug, clap::Args)]
pub struct GradcheckArgs {
    /// Print only `{"max_rel_error": ..., "checked": N, "tensors": [...]}` on stdout.
    #[arg(long)]
    pub json: bool,
    /// `torch.manual_seed` value for the networks' initial weights.
    #[arg(long, default_value_t = 123, allow_hyphen_values = true, value_parser = crate::flags::seed)]
    pub seed: u64,
}

impl Default for GradcheckArgs {
    fn default() -> Self {
        Self {
            json: false,
            seed: 123,
        }
    }
}

/// The batch every network is checked on: the notebook's sample (`[1, 0, -1]`, target 0)
/// and three more.
pub const INPUTS: [[f64; 3]; 4] = [
    [1.0, 0.0, -1.0],
    [0.5, -1.5, 2.0],
    [-2.0, 0.75, 0.25],
    [0.1, 0.2, -0.3],
];

/// Targets of [`INPUTS`].
pub const TARGETS: [[f64; 1]; 4] = [[0.0], [1.0], [-0.5], [0.25]];

/// Checks one network and renames its tensors `network:name`.
fn check_named<M>(network: &str, model: &M, prefix: &str) -> Report
where
    M: skipgrad::Module<[f64; 3], Output = [f64; 1]> + Clone,
{
    let mut r = gradcheck::check(model, &INPUTS, &TARGETS, prefix, &Config::default());
    for t in r.tensors.iter_mut() {
        t.name = format!("{network}:{}", t.name);
    }
    r
}

/// Checks the three networks, initialised from `seed`, and merges the reports.
pub fn check_all(seed: u64) -> Report {
    let plain: Plain<f64> = Params::torch_init(&mut TorchInit::new(seed));
    let skip: WithShortcut<f64> = Params::torch_init(&mut TorchInit::new(seed));
    let deep: Deep = Params::torch_init(&mut TorchInit::new(seed));
    let reports = [
        check_named("without_shortcut", &plain, PREFIX),
        check_named("with_shortcut", &skip, PREFIX),
        check_named("deep", &deep, ""),
    ];
    let mut tensors: Vec<TensorReport> = Vec::new();
    let mut checked = 0;
    for r in &reports {
        checked += r.checked;
        tensors.extend(r.tensors.iter().cloned());
    }
    Report {
        max_rel_error: tensors.iter().map(|t| t.max_rel_error).fold(0.0, f64::max),
        checked,
        loss: reports.iter().map(|r| r.loss).sum(),
        tensors,
    }
}

/// The `--json` document, in the documented key order.
#[derive(Debug, serde::Serialize)]
struct JsonReport<'a> {
    max_rel_error: f64,
    checked: usize,
    tensors: Vec<JsonTensor<'a>>,
}

#[derive(Debug, serde::Serialize)]
struct JsonTensor<'a> {
    name: &'a str,
    max_rel_error: f64,
}

/// The `--json` document: `{"max_rel_error": ..., "checked": N, "tensors": [{"name": ...,
/// "max_rel_error": ...}]}`, keys in that order.
pub fn to_json(r: &Report) -> String {
    let doc = JsonReport {
        max_rel_error: r.max_rel_error,
        checked: r.checked,
        tensors: r
            .tensors
            .iter()
            .map(|t| JsonTensor {
                name: &t.name,
                max_rel_error: t.max_rel_error,
            })
            .collect(),
    };
    // Plain structs of numbers and strings always serialise.
    serde_json::to_string(&doc).unwrap_or_default()
}

/// The human-readable table.
pub fn to_table(r: &Report) -> String {
    let mut s = format!(
        "{:<40} {:>5} {:>12} {:>24} {:>24}\n",
        "tensor", "len", "max rel err", "analytic (worst)", "finite difference"
    );
    for t in &r.tensors {
        s.push_str(&format!(
            "{:<40} {:>5} {:>12.3e} {:>24.16e} {:>24.16e}\n",
            t.name, t.len, t.max_rel_error, t.analytic, t.numeric
        ));
    }
    s.push_str(&format!(
        "worst relative error {:.3e} over {} elements (bound {:.0e}): {}\n",
        r.max_rel_error,
        r.checked,
        BOUND,
        if r.passes(BOUND) { "ok" } else { "FAILED" }
    ));
    s
}

/// Runs `skipgrad gradcheck`: fails (non-zero exit) if any element exceeds [`BOUND`].
pub fn run(args: &GradcheckArgs) -> anyhow::Result<()> {
    let r = check_all(args.seed);
    if args.json {
        crate::outln!("{}", to_json(&r));
    } else {
        crate::out!("{}", to_table(&r));
    }
    if r.passes(BOUND) {
        Ok(())
    } else {
        let worst = r
            .tensors
            .iter()
            .filter(|t| t.max_rel_error > BOUND)
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>();
        anyhow::bail!(
            "worst relative error {:.3e} exceeds {BOUND:.0e} in {}",
            r.max_rel_error,
            worst.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worst error of `skipgrad gradcheck` (seed 123) that README quotes: measured
    /// 1.34e-9 over 757 elements (the test prints it); the bound is about 1.5 times that.
    /// The run is `f64` arithmetic with `libm`, the same on every platform.
    const SEED_123_WORST: f64 = 2.0e-9;

    #[test]
    fn all_networks_pass_and_every_tensor_is_listed() {
        let r = check_all(123);
        eprintln!(
            "gradcheck seed 123: worst error {:.3e} over {} elements",
            r.max_rel_error, r.checked
        );
        assert!(r.passes(BOUND), "{}", to_table(&r));
        assert!(r.passes(SEED_123_WORST), "{}", to_table(&r));
        assert_eq!(r.checked, 757);
        // Plain and with-shortcut: 5 layers of weight + bias, plus input; deep: 10 linear
        // layers of weight + bias, plus input.
        assert_eq!(r.tensors.len(), 11 + 11 + 21);
        assert_eq!(
            r.checked,
            2 * (<Plain<f64> as Params<f64>>::LEN + 12) + <Deep as Params<f64>>::LEN + 12
        );
        assert_eq!(r.tensors[0].name, "without_shortcut:layers.0.0.weight");
        assert_eq!(r.tensors[22].name, "deep:0.0.weight");
        assert_eq!(r.tensors[24].name, "deep:1.0.0.weight");
    }

    #[test]
    fn json_has_exactly_the_documented_keys_in_order() {
        let r = check_all(7);
        let text = to_json(&r);
        assert!(text.starts_with("{\"max_rel_error\":"), "{text}");
        let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        let keys: Vec<&str> = v
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        assert_eq!(keys.len(), 3, "{text}");
        assert!(
            text.find("\"checked\"") < text.find("\"tensors\""),
            "{text}"
        );
        assert_eq!(v["checked"], r.checked);
        let parsed = v["max_rel_error"].as_f64().unwrap_or(f64::NAN);
        assert!((parsed - r.max_rel_error).abs() <= 1e-15 * r.max_rel_error);
        assert_eq!(v["tensors"].as_array().map(Vec::len), Some(r.tensors.len()));
        assert_eq!(
            v["tensors"][0].as_object().map(|o| o.len()),
            Some(2),
            "{text}"
        );
        assert_eq!(
            v["tensors"][0]["name"],
            "without_shortcut:layers.0.0.weight"
        );
    }
}
