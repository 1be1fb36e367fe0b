//! PyTorch's weights in skipgrad: the fixtures of `tools/weights_fixture.py` (PyTorch 2.15)
//! loaded by name, and the output, loss and every gradient PyTorch computed with them matched
//! to [`BOUND`] relative (gradients normwise per tensor); F64, F16 and BF16 files converted as
//! `load_state_dict` converts them; the committed device image equal to `skipgrad convert`'s;
//! and the weights quantised to Q16.16 equal to numpy's rounding
//! (`tools/q16_weights_fixture.py`).

use serde_json::Value;
use skipgrad::params::Saturation;
use skipgrad::{Gelu, LayerNorm, Linear, Loss, Module, Mse, Params, Residual, Silu, Zeroed, Q16};
use skipgrad_harness::command::{convert, import};
use skipgrad_harness::conversion;
use skipgrad_harness::model::{NetworkArgs, NetworkName};
use skipgrad_harness::notebook::{Plain, WithShortcut, PREFIX};
use skipgrad_harness::safetensors;

/// Relative error allowed against PyTorch, within the 1e-6: about 1.5 times the worst
/// measured (printed by `matches_pytorch` with `--nocapture`): 4.07e-7, the gradients of
/// `train-norm` (normwise: max |a - b| / max |b| over a tensor; element by element the worst
/// is 5.9e-5, on an element 10^4 times smaller than its tensor's largest). Outputs and losses
/// measured 0: the same bits as PyTorch's.
const BOUND: f64 = 6.1e-7;

fn dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/weights")
}

fn file(name: &str) -> Vec<u8> {
    std::fs::read(dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn json(name: &str) -> Value {
    serde_json::from_slice(&file(name)).expect("valid JSON")
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("an array")
        .iter()
        .map(|x| x.as_f64().expect("a number"))
        .collect()
}

/// The worst relative error of `got` against `want`, |a - b| / |b| (exact zeros must match
/// exactly).
fn worst(got: &[f64], want: &[f64]) -> f64 {
    assert_eq!(got.len(), want.len());
    got.iter()
        .zip(want)
        .map(|(a, b)| {
            if *b == 0.0 {
                if *a == 0.0 {
                    0.0
                } else {
                    f64::INFINITY
                }
            } else {
                (a - b).abs() / b.abs()
            }
        })
        .fold(0.0, f64::max)
}

/// The normwise relative error of a tensor: max |a - b| / max |b|.
fn normwise(got: &[f64], want: &[f64]) -> f64 {
    let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let diff = got
        .iter()
        .zip(want)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    if scale == 0.0 {
        diff
    } else {
        diff / scale
    }
}

/// Every tensor of `grads` (named under `prefix`) against the fixture's gradients: the worst
/// normwise relative error of a tensor (max |a - b| / max |b|), and, for the record, the worst
/// element-wise one.
fn grads_error<G: Params<f32>>(grads: &G, prefix: &str, want: &Value) -> f64 {
    let mut e = 0.0f64;
    let mut elementwise = 0.0f64;
    let mut n = 0;
    skipgrad::params::visit_named(grads, |name, _, t: &[f32]| {
        let full = safetensors::full_name(prefix, name.as_str());
        let got: Vec<f64> = t.iter().map(|v| f64::from(*v)).collect();
        let w = floats(&want[&full]);
        e = e.max(normwise(&got, &w));
        elementwise = elementwise.max(worst(&got, &w));
        n += 1;
    });
    assert_eq!(n, want.as_object().expect("an object").len());
    eprintln!("  (element-wise worst {elementwise:.3e})");
    e
}

fn flat<M: Params<f32>>(m: &M) -> Vec<f32> {
    let mut v = vec![0.0; M::LEN];
    m.store_flat(&mut v).expect("LEN values");
    v
}

/// The fixture's weights, in the model's order, as f32.
fn fixture_weights<M: Params<f32>>(weights: &Value, prefix: &str) -> Vec<f32> {
    safetensors::declared::<M, f32>(prefix)
        .iter()
        .flat_map(|(name, _)| floats(&weights[name]))
        .map(|v| v as f32)
        .collect()
}

/// One forward/backward pass on one sample: output, loss, gradients.
fn pass<M: Module<[f32; I], Output = [f32; 1]>, const I: usize>(
    m: &M,
    x: [f32; I],
    t: f32,
) -> (f32, f32, M::Grads) {
    let mut cache = M::Cache::ZERO;
    let mut grads = M::Grads::ZERO;
    let y = m.forward(&x, &mut cache);
    m.backward(&cache, &Mse.sample_gradient(&y, &[t]), &mut grads);
    (y[0], Mse.loss(&y, &[t]), grads)
}

#[test]
fn matches_pytorch() {
    let nb = json("notebook.json");
    let bytes = file("notebook.safetensors");
    let r = import::experiment(&bytes, &[1.0, 0.0, -1.0], 0.0).expect("loads");
    let mut report = Vec::new();
    let mut check = |what: &str, e: f64| {
        report.push(format!("{what}: {e:.3e}"));
        assert!(e <= BOUND, "{what}: relative error {e:e} over {BOUND:e}");
    };
    for (key, output, loss) in [
        (
            "with_shortcut",
            r.output.with_shortcut,
            r.loss.with_shortcut,
        ),
        (
            "without_shortcut",
            r.output.without_shortcut,
            r.loss.without_shortcut,
        ),
    ] {
        check(
            &format!("notebook {key} output"),
            worst(&[output], &floats(&nb[key]["output"])),
        );
        let want = nb[key]["loss"].as_f64().expect("a number");
        check(&format!("notebook {key} loss"), worst(&[loss], &[want]));
    }
    check(
        "notebook with_shortcut gradients",
        grads_error(
            &r.gradients.with_shortcut,
            PREFIX,
            &nb["with_shortcut"]["gradients"],
        ),
    );
    check(
        "notebook without_shortcut gradients",
        grads_error(
            &r.gradients.without_shortcut,
            PREFIX,
            &nb["without_shortcut"]["gradients"],
        ),
    );

    // train's network, and the same shape with LayerNorm and SiLU.
    type Train = skipgrad_harness::model::network::BlockNet<f32, 1, 8, 2, 1>;
    type Norm = (
        (Linear<f32, 1, 8>, Silu),
        [Residual<(LayerNorm<f32, 8>, Linear<f32, 8, 8>, Silu)>; 2],
        Linear<f32, 8, 1>,
    );
    fn run<M>(name: &str, check: &mut dyn FnMut(&str, f64))
    where
        M: Module<[f32; 1], Output = [f32; 1]> + Zeroed,
        M::Grads: Params<f32>,
    {
        let fx = json(&format!("{name}.json"));
        let mut m = M::ZERO;
        safetensors::load(&mut m, &file(&format!("{name}.safetensors")), "").expect("loads");
        assert_eq!(
            flat(&m),
            fixture_weights::<M>(&fx["weights"], ""),
            "{name}: weights"
        );
        let x = floats(&fx["input"])[0] as f32;
        let t = fx["target"].as_f64().expect("target") as f32;
        let (y, loss, grads) = pass(&m, [x], t);
        let want = &fx["result"];
        check(
            &format!("{name} output"),
            worst(&[f64::from(y)], &floats(&want["output"])),
        );
        check(
            &format!("{name} loss"),
            worst(&[f64::from(loss)], &[want["loss"].as_f64().expect("loss")]),
        );
        check(
            &format!("{name} gradients"),
            grads_error(&grads, "", &want["gradients"]),
        );
    }
    run::<Train>("train", &mut check);
    run::<Norm>("train-norm", &mut check);
    eprintln!(
        "against PyTorch 2.15 (bound {BOUND:e}):\n  {}",
        report.join("\n  ")
    );
    let _ = Gelu;
}

/// The weights themselves are PyTorch's bits; F64 files are rounded and F16 and BF16 files
/// widened as `tensor.float()` does.
#[test]
fn dtypes_convert_as_pytorch_does() {
    let nb = json("notebook.json");
    let mut m = WithShortcut::<f32>::ZERO;
    safetensors::load(&mut m, &file("notebook.safetensors"), PREFIX).expect("F32");
    let want = fixture_weights::<WithShortcut<f32>>(&nb["weights"], PREFIX);
    assert_eq!(flat(&m), want);
    for dtype in ["f64", "f16", "bf16"] {
        let mut m = WithShortcut::<f32>::ZERO;
        let name = format!("notebook-{dtype}.safetensors");
        safetensors::load(&mut m, &file(&name), PREFIX).expect(&name);
        let want = fixture_weights::<WithShortcut<f32>>(&nb["as_float32"][dtype], PREFIX);
        let got: Vec<u32> = flat(&m).iter().map(|v| v.to_bits()).collect();
        let want: Vec<u32> = want.iter().map(|v| v.to_bits()).collect();
        assert_eq!(got, want, "{name}");
    }
    // The plain network takes the same file.
    let mut p = Plain::<f32>::ZERO;
    safetensors::load(&mut p, &file("notebook.safetensors"), PREFIX).expect("plain");
    assert_eq!(flat(&p), flat(&m));
}

/// The committed device image is `skipgrad convert`'s output for PyTorch's file, and
/// converting it back gives the same weights.
#[test]
fn committed_image_is_the_converted_file() {
    let args = NetworkArgs {
        network: NetworkName::Notebook,
        ..NetworkArgs::default()
    };
    let c = convert::convert(&file("notebook.safetensors"), &args, Saturation::Refuse)
        .expect("converts");
    assert!(c.to_image);
    assert_eq!(
        c.bytes,
        file("notebook.skgi"),
        "run `skipgrad convert` again"
    );
    assert_eq!(
        c.bytes.len(),
        skipgrad::Image::<WithShortcut<f32>, f32>::SIZE
    );
    let back = convert::convert(&c.bytes, &args, Saturation::Refuse).expect("converts back");
    assert!(!back.to_image);
    let (mut a, mut b) = (WithShortcut::<f32>::ZERO, WithShortcut::<f32>::ZERO);
    safetensors::load(&mut a, &back.bytes, PREFIX).expect("loads");
    safetensors::load(&mut b, &file("notebook.safetensors"), PREFIX).expect("loads");
    assert_eq!(a, b);
}

/// A tensor's name and its Q16.16 bits, for every tensor of a model in registration order.
fn q16_bits(m: &WithShortcut<Q16>) -> Vec<(String, Vec<i64>)> {
    let mut out = Vec::new();
    skipgrad::params::visit_named(m, |name, _, v: &[Q16]| {
        let bits = v.iter().map(|q| i64::from(q.to_bits())).collect();
        out.push((safetensors::full_name(PREFIX, name.as_str()), bits));
    });
    out
}

/// PyTorch's notebook weights in Q16.16 are the bits numpy computes, independently of
/// skipgrad (`tools/q16_weights_fixture.py`: `np.rint(x.astype(np.float64) * 65536)`,
/// nearest, ties to even): `params::convert` from the `f32` network, and the harness's loader
/// (the file read in `f64`, then converted) from the F32 and the F64 file; the largest error
/// is numpy's too.
#[test]
fn quantised_weights_are_numpys_rounding() {
    let fx = json("notebook-q16.json");
    let want = |file: &str| -> Vec<(String, Vec<i64>)> {
        let bits = fx["files"][file]["bits"].as_object().expect("an object");
        let mut v: Vec<(String, Vec<i64>)> = bits
            .iter()
            .map(|(name, b)| {
                let b = b.as_array().expect("an array");
                (
                    name.clone(),
                    b.iter().map(|x| x.as_i64().expect("an integer")).collect(),
                )
            })
            .collect();
        // The model's order: the fixture's is sorted by name.
        let order = safetensors::declared::<WithShortcut<Q16>, Q16>(PREFIX);
        v.sort_by_key(|(name, _)| order.iter().position(|(n, _)| n == name));
        v
    };
    let max_error = |file: &str| fx["files"][file]["max_error"].as_f64().expect("a number");

    let mut float = WithShortcut::<f32>::ZERO;
    safetensors::load(&mut float, &file("notebook.safetensors"), PREFIX).expect("F32");
    let mut q = WithShortcut::<Q16>::ZERO;
    let s =
        skipgrad::params::convert::<f32, Q16, _, _>(&float, &mut q, Saturation::Refuse, |_, _| {})
            .expect("in range");
    assert_eq!(q16_bits(&q), want("notebook.safetensors"));
    assert_eq!((s.values, s.saturated, s.flushed), (52, 0, 0));
    assert_eq!(s.max_error, max_error("notebook.safetensors"));

    for name in ["notebook.safetensors", "notebook-f64.safetensors"] {
        let mut q = WithShortcut::<Q16>::ZERO;
        let r = conversion::load::<WithShortcut<f64>, Q16, _>(
            &mut q,
            &file(name),
            PREFIX,
            Saturation::Refuse,
        )
        .expect(name);
        assert_eq!(q16_bits(&q), want(name), "{name}");
        assert_eq!((r.values, r.saturated, r.flushed), (52, 0, 0), "{name}");
        assert_eq!(r.max_error, max_error(name), "{name}");
    }
}
