//! The optimizers against PyTorch: `tests/fixtures/optimizers.json`, written by
//! `tools/optimizer_fixture.py` from `torch.optim.SGD`, `torch.optim.Adam` and
//! `torch.nn.utils.clip_grad_norm_` on an `nn.Linear(3, 2)`, five steps per config, in
//! float32 and float64.

use serde_json::Value;
use skipgrad::{clip_grad_norm, Adam, Float, Linear, Optimizer, Params, Sgd, SgdMomentum};
use skipgrad_harness::gradcheck::{flatten, load as load_into};

type Net<T> = Linear<T, 3, 2>;

/// Relative agreement required with PyTorch over the seven configurations, in `f32`
/// (PyTorch fuses some multiply-adds, we do not): measured 1.01e-7 (the test prints it), the
/// bound about 1.5 times that.
const TOL_F32: f64 = 1.5e-7;
/// The same in `f64`: measured 2.43e-16, the bound about 1.5 times that.
const TOL_F64: f64 = 3.6e-16;
/// Clipping against `clip_grad_norm_`, in `f32` (the norm and every clipped element):
/// measured 1.61e-7 (the test prints it), the bound about 1.5 times that. The norm is a
/// scaled sum of squares (it cannot overflow before the true norm does), which rounds
/// differently from PyTorch's plain one: 1.29e-7 and 2.20e-16 with the plain sum.
const CLIP_TOL_F32: f64 = 2.4e-7;
/// Clipping in `f64`: measured 3.87e-16.
const CLIP_TOL_F64: f64 = 5.8e-16;

fn fixture() -> Value {
    serde_json::from_str(include_str!("../fixtures/optimizers.json")).expect("valid JSON")
}

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

/// Loads 8 values (weight row-major, then bias) into a `Linear<T, 3, 2>`.
fn load<T: Float>(values: &[f64]) -> Net<T> {
    assert_eq!(values.len(), <Net<T> as Params<T>>::LEN);
    let mut net = <Net<T> as skipgrad::Zeroed>::ZERO;
    assert_eq!(load_into(&mut net, values), values.len());
    net
}

fn flat<T: Float>(net: &Net<T>) -> Vec<f64> {
    flatten(net).iter().map(|v| v.to_f64()).collect()
}

/// The largest relative difference `|got - want| / scale`, with `scale` the element's
/// magnitude (`|want|`, or larger where given: see [`check`]).
fn worst_relative(got: &[f64], want: &[f64], scale: &[f64]) -> f64 {
    assert_eq!(got.len(), want.len());
    got.iter()
        .zip(want)
        .zip(scale)
        .map(|((g, w), s)| (g - w).abs() / s.max(w.abs()))
        .fold(0.0, f64::max)
}

fn optimizer<T: Float>(cfg: &Value) -> Box<dyn Optimizer<T, Net<T>>> {
    let get = |k: &str, default: f64| cfg.get(k).and_then(Value::as_f64).unwrap_or(default);
    let built: Result<Box<dyn Optimizer<T, Net<T>>>, skipgrad::HyperError> =
        match cfg["optimizer"].as_str().expect("optimizer") {
            "sgd" => {
                let (lr, wd) = (get("lr", f64::NAN), get("weight_decay", 0.0));
                let momentum = get("momentum", 0.0);
                if momentum == 0.0 {
                    Sgd::new(lr)
                        .and_then(|s| s.with_weight_decay(wd))
                        .map(|s| Box::new(s) as Box<dyn Optimizer<T, Net<T>>>)
                } else {
                    SgdMomentum::new(lr, momentum)
                        .and_then(|s| s.with_dampening(get("dampening", 0.0)))
                        .and_then(|s| s.with_weight_decay(wd))
                        .map(|s| Box::new(s) as Box<dyn Optimizer<T, Net<T>>>)
                }
            }
            "adam" => {
                let mut adam = Ok(Adam::new());
                if let Some(lr) = cfg.get("lr").and_then(Value::as_f64) {
                    adam = adam.and_then(|a| a.with_lr(lr));
                }
                if let Some(b) = cfg.get("betas") {
                    let b = numbers(b);
                    adam = adam.and_then(|a| a.with_betas(b[0], b[1]));
                }
                adam.and_then(|a| a.with_eps(get("eps", 1e-8)))
                    .and_then(|a| a.with_weight_decay(get("weight_decay", 0.0)))
                    .map(|a| Box::new(a) as Box<dyn Optimizer<T, Net<T>>>)
            }
            other => panic!("unknown optimizer {other}"),
        };
    built.expect("the fixture's hyperparameters are valid")
}

/// Runs every config's five steps, comparing after each.
///
/// The error of a parameter is taken relative to the largest magnitude it has had so far
/// (initial value included): a step that cancels a parameter of 1e-2 down to 1e-4 keeps the
/// absolute rounding error of the larger value, which is not an error of the optimizer.
fn check<T: Float>(dtype: &str, tol: f64) {
    let fx = fixture();
    let configs = fx["optimizers"].as_array().expect("configs");
    assert_eq!(configs.len(), 7);
    let mut worst = 0.0f64;
    for cfg in configs {
        let name = cfg["name"].as_str().expect("name");
        let case = &cfg[dtype];
        let initial = numbers(&case["initial"]);
        let mut scale: Vec<f64> = initial.iter().map(|v| v.abs()).collect();
        let mut net: Net<T> = load(&initial);
        let mut opt = optimizer::<T>(cfg);
        let grads = case["grads"].as_array().expect("grads");
        let expected = case["expected"].as_array().expect("expected");
        assert_eq!(grads.len(), 5);
        for (step, (g, want)) in grads.iter().zip(expected).enumerate() {
            assert!(opt.update(&mut net, &mut load(&numbers(g))).is_ok());
            let want = numbers(want);
            let err = worst_relative(&flat(&net), &want, &scale);
            scale
                .iter_mut()
                .zip(&want)
                .for_each(|(s, w)| *s = s.max(w.abs()));
            assert!(
                err <= tol,
                "{name} ({dtype}), step {}: relative error {err:e} > {tol:e}",
                step + 1
            );
            worst = worst.max(err);
        }
    }
    eprintln!("{dtype}: worst relative error against PyTorch {worst:e}");
}

#[test]
fn optimizers_match_pytorch_f32() {
    check::<f32>("f32", TOL_F32);
}

#[test]
fn optimizers_match_pytorch_f64() {
    check::<f64>("f64", TOL_F64);
}

fn check_clip<T: Float>(dtype: &str, tol: f64) {
    let fx = fixture();
    let cases = fx["clip"][dtype].as_array().expect("clip cases");
    assert_eq!(cases.len(), 3);
    let mut worst = 0.0f64;
    for case in cases {
        let max_norm = case["max_norm"].as_f64().expect("max_norm");
        let mut g: Net<T> = load(&numbers(&case["grads"]));
        let norm = clip_grad_norm(&mut g, T::from_f64(max_norm)).to_f64();
        let want = case["norm"].as_f64().expect("norm");
        let norm_err = (norm - want).abs() / want;
        assert!(norm_err <= tol, "{norm} vs {want}: {norm_err:e}");
        let clipped = numbers(&case["clipped"]);
        let err = worst_relative(&flat(&g), &clipped, &clipped);
        assert!(err <= tol, "max_norm {max_norm} ({dtype}): {err:e}");
        worst = worst.max(err).max(norm_err);
    }
    eprintln!("clipping ({dtype}): worst relative error against PyTorch {worst:e}");
}

#[test]
fn clipping_matches_pytorch() {
    check_clip::<f32>("f32", CLIP_TOL_F32);
    check_clip::<f64>("f64", CLIP_TOL_F64);
}
