//! The seed fixture (`tests/fixtures/seed-123-parameters.json`, a copy of the reference
//! PyTorch run): initial parameters under both uniform formulas, the gradient tables they
//! yield, and PyTorch's parameter names and order.

use std::collections::BTreeMap;

use serde_json::Value;
use skipgrad::params::{visit_named_mut_under, visit_named_under};
use skipgrad::{Module, ParamName, Params, Residual, TorchInit, UniformFormula, Zeroed};
use skipgrad_harness::notebook::{
    self, Experiment, Plain, WithShortcut, NOTEBOOK_BOUND, PREFIX, PYTORCH_2_15_BOUND,
};

/// Parameters by PyTorch name, flattened row-major, as float32.
type NamedParams = BTreeMap<String, Vec<f32>>;

fn fixture() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/seed-123-parameters.json"
    );
    let text = std::fs::read_to_string(path).expect("read the fixture");
    serde_json::from_str(&text).expect("parse the fixture")
}

fn flatten(v: &Value, out: &mut Vec<f32>) {
    match v {
        Value::Array(items) => items.iter().for_each(|i| flatten(i, out)),
        Value::Number(n) => {
            let wide = n.as_f64().expect("a number");
            let v = wide as f32;
            // The fixture prints float32 values through float64: the cast must be exact.
            assert_eq!(f64::from(v), wide, "{wide} is not a float32 value");
            out.push(v);
        }
        other => panic!("unexpected {other}"),
    }
}

fn fixture_params(key: &str) -> NamedParams {
    let f = fixture();
    let obj = f[key].as_object().expect("an object of parameters");
    obj.iter()
        .map(|(name, v)| {
            let mut flat = Vec::new();
            flatten(v, &mut flat);
            (name.clone(), flat)
        })
        .collect()
}

fn named<M: Params<f32>>(m: &M) -> Vec<(String, Vec<f32>)> {
    let mut out = Vec::new();
    visit_named_under(
        m,
        &mut ParamName::with_prefix(PREFIX),
        &mut |name, _, t: &[f32]| {
            out.push((name.as_str().to_owned(), t.to_vec()));
        },
    );
    out
}

fn bits_of<M: Params<f32>>(m: &M) -> Vec<u32> {
    bits(&skipgrad_harness::gradcheck::flatten(m))
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// PyTorch's `named_parameters()` of the notebook's model (both variants).
const TORCH_NAMES: [&str; 10] = [
    "layers.0.0.weight",
    "layers.0.0.bias",
    "layers.1.0.weight",
    "layers.1.0.bias",
    "layers.2.0.weight",
    "layers.2.0.bias",
    "layers.3.0.weight",
    "layers.3.0.bias",
    "layers.4.0.weight",
    "layers.4.0.bias",
];

const FORMULAS: [(UniformFormula, &str); 2] = [
    (UniformFormula::Float32, "float32_uniform"),
    (UniformFormula::Float64, "float64_uniform"),
];

fn init_matches_fixture<M: Params<f32> + Zeroed>() {
    for (formula, key) in FORMULAS {
        let want = fixture_params(key);
        let model: M = Params::torch_init(&mut TorchInit::with_formula(123, formula));
        let got = named(&model);
        assert_eq!(got.len(), want.len(), "{key}: number of tensors");
        for (name, values) in &got {
            let w = want
                .get(name)
                .unwrap_or_else(|| panic!("{key}: {name} not in the fixture"));
            assert_eq!(bits(values), bits(w), "{key}: {name}");
        }
    }
}

#[test]
fn torch_init_reproduces_every_parameter_bit_for_bit() {
    init_matches_fixture::<Plain<f32>>();
    init_matches_fixture::<WithShortcut<f32>>();
}

#[test]
fn the_two_formulas_really_differ_somewhere() {
    // Otherwise the test above would not tell the formulas apart.
    let a = fixture_params("float32_uniform");
    let b = fixture_params("float64_uniform");
    let differing: usize = a
        .iter()
        .map(|(name, v)| {
            v.iter()
                .zip(&b[name])
                .filter(|(x, y)| x.to_bits() != y.to_bits())
                .count()
        })
        .sum();
    assert!(differing > 0);
}

/// Loading the fixture by name through `visit_named_mut` gives the same model, bit for bit,
/// as `TorchInit`, and fills every tensor exactly once.
#[test]
fn loading_the_fixture_by_name_equals_torch_init() {
    for (formula, key) in FORMULAS {
        let want = fixture_params(key);
        let mut loaded = WithShortcut::<f32>::ZERO;
        let mut filled = 0;
        visit_named_mut_under(
            &mut loaded,
            &mut ParamName::with_prefix(PREFIX),
            &mut |name, _, t: &mut [f32]| {
                let src = &want[name.as_str()];
                assert_eq!(src.len(), t.len(), "{}", name.as_str());
                t.copy_from_slice(src);
                filled += 1;
            },
        );
        assert_eq!(filled, want.len());
        let init: WithShortcut<f32> =
            Params::torch_init(&mut TorchInit::with_formula(123, formula));
        let (a, b) = (bits_of(&loaded), bits_of(&init));
        assert_eq!(a, b, "{key}");
        assert_eq!(a.len(), <WithShortcut<f32> as Params<f32>>::LEN);
    }
}

fn reference_means(key: &str, table: &str) -> Vec<f64> {
    fixture()[key][table]
        .as_array()
        .expect("an array of means")
        .iter()
        .map(|v| v.as_f64().expect("a number"))
        .collect()
}

/// The worst relative error of the harness's table against the fixture's.
fn worst_relative_error(formula: UniformFormula, key: &str) -> f64 {
    let t = notebook::run(&Experiment {
        formula,
        ..Experiment::default()
    });
    let mut worst: f64 = 0.0;
    for (table, rows) in [
        ("without_shortcut", &t.without_shortcut),
        ("with_shortcut", &t.with_shortcut),
    ] {
        let want = reference_means(key, table);
        assert_eq!(rows.len(), want.len(), "{key}.{table}");
        for (row, w) in rows.iter().zip(&want) {
            let rel = (row.mean_abs_grad - w).abs() / w.abs();
            eprintln!(
                "{key}.{table} {}: {} vs {w} (relative error {rel:.3e})",
                row.name, row.mean_abs_grad
            );
            worst = worst.max(rel);
        }
    }
    eprintln!("{key}: worst relative error {worst:.3e}");
    worst
}

#[test]
fn gradients_match_the_notebook() {
    let worst = worst_relative_error(UniformFormula::Float32, "seed_notebook_gradients");
    assert!(
        worst <= NOTEBOOK_BOUND,
        "worst relative error {worst:e} > {NOTEBOOK_BOUND:e}"
    );
}

#[test]
fn gradients_match_pytorch_2_15() {
    let worst = worst_relative_error(UniformFormula::Float64, "pytorch_2_15_gradients");
    assert!(
        worst <= PYTORCH_2_15_BOUND,
        "worst relative error {worst:e} > {PYTORCH_2_15_BOUND:e}"
    );
}

#[test]
fn named_parameters_are_pytorchs_order() {
    let plain: Vec<String> = named(&Plain::<f32>::ZERO)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    let skip: Vec<String> = named(&WithShortcut::<f32>::ZERO)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(plain, TORCH_NAMES);
    assert_eq!(skip, TORCH_NAMES);
    // The f64 model names its tensors the same way.
    let mut n64 = Vec::new();
    visit_named_under(
        &Plain::<f64>::ZERO,
        &mut ParamName::with_prefix(PREFIX),
        &mut |n, _, _: &[f64]| n64.push(n.as_str().to_owned()),
    );
    assert_eq!(n64, TORCH_NAMES);
}

// Type-level facts about the notebook's networks, checked by the compiler.
const PLAIN_LEN: usize = <Plain<f32> as Params<f32>>::LEN;
const _: () = assert!(PLAIN_LEN == 4 * (3 * 3 + 3) + (3 + 1));
const _: () = assert!(<WithShortcut<f32> as Params<f32>>::LEN == PLAIN_LEN);
const _: () = assert!(<Plain<f64> as Params<f64>>::LEN == PLAIN_LEN);

type PlainCache = <Plain<f32> as Module<[f32; 3]>>::Cache;
type SkipCache = <WithShortcut<f32> as Module<[f32; 3]>>::Cache;

#[test]
fn models_and_caches_are_exactly_their_numbers() {
    use std::mem::size_of;
    assert_eq!(PLAIN_LEN, 52);
    // A model is its parameters and nothing else: no pointers, no lengths, no padding.
    assert_eq!(size_of::<Plain<f32>>(), 52 * 4);
    assert_eq!(size_of::<WithShortcut<f32>>(), 52 * 4);
    assert_eq!(size_of::<Plain<f64>>(), 52 * 8);
    assert_eq!(size_of::<skipgrad::Gelu>(), 0);
    assert_eq!(
        size_of::<Residual<notebook::Layer<f32, 3, 3>>>(),
        size_of::<notebook::Layer<f32, 3, 3>>()
    );
    // The cache holds each Linear's input and each GELU's derivative at its input:
    // 4 * (3 + 3) + (3 + 1) = 28 scalars; a shortcut records nothing extra.
    assert_eq!(size_of::<PlainCache>(), 28 * 4);
    assert_eq!(size_of::<SkipCache>(), 28 * 4);
}

/// Bound on the relative difference of the `f32` tables from the same experiment in `f64`:
/// measured 2.37e-7 (the test prints it), the bound about 1.5 times that.
const F32_VS_F64_BOUND: f64 = 3.5e-7;

#[test]
fn f64_model_agrees_with_f32_tables_to_float32_precision() {
    // The same experiment in f64 (weights widened from the same float32 draws) differs from
    // the f32 run only by float32 rounding: a cross-check that does not use the fixture.
    let e = Experiment::default();
    let t32 = notebook::run(&e);
    let plain: Plain<f64> = Params::torch_init(&mut TorchInit::new(e.seed));
    let skip: WithShortcut<f64> = Params::torch_init(&mut TorchInit::new(e.seed));
    let x = e.input.map(f64::from);
    let t = f64::from(e.target);
    let mut worst: f64 = 0.0;
    for (rows32, rows64) in [
        (
            &t32.without_shortcut,
            notebook::weight_rows(&notebook::gradients(&plain, &x, t)),
        ),
        (
            &t32.with_shortcut,
            notebook::weight_rows(&notebook::gradients(&skip, &x, t)),
        ),
    ] {
        for (a, b) in rows32.iter().zip(&rows64) {
            assert_eq!(a.name, b.name);
            let rel = (a.mean_abs_grad - b.mean_abs_grad).abs() / b.mean_abs_grad;
            worst = worst.max(rel);
            assert!(
                rel <= F32_VS_F64_BOUND,
                "{}: {} vs {}",
                a.name,
                a.mean_abs_grad,
                b.mean_abs_grad
            );
        }
    }
    eprintln!("f32 tables against f64: worst relative difference {worst:.3e}");
}
