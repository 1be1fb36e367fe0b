//! `skipgrad train`'s training runs against PyTorch: `tests/fixtures/train-sin-reference.json`,
//! written by `tools/train_reference.py`, holds the loss curves of the same network (same
//! initial weights, from `torch.manual_seed(0)`) trained in PyTorch for the issue's
//! calibration runs: sin(x) on 64 points, 8 blocks of width 16, 2000 full-batch steps of SGD
//! (lr 0.01) or Adam (lr 1e-3), with and without shortcuts.
//!
//! Both sides compute in float32 but sum in different orders, so the curves drift apart
//! slowly; the early curve agrees closely and the outcome (who trains, who stalls) exactly.

use serde_json::Value;
use skipgrad_harness::task::Task;
use skipgrad_harness::train::{train_quietly, Config, Curve, OptimizerKind};

fn reference() -> Value {
    serde_json::from_str(include_str!("../fixtures/train-sin-reference.json")).expect("JSON")
}

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

fn run(optimizer: OptimizerKind, shortcut: bool) -> Curve {
    let cfg = Config {
        optimizer,
        lr: optimizer.default_lr(),
        shortcut,
        ..Config::default()
    };
    train_quietly(&cfg).expect("training runs")
}

fn relative(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

#[test]
fn calibration_runs_match_pytorch() {
    let fx = reference();
    assert_eq!(
        (
            fx["depth"].as_u64(),
            fx["width"].as_u64(),
            fx["steps"].as_u64()
        ),
        (Some(8), Some(16), Some(2000))
    );
    for r in fx["runs"].as_array().expect("runs") {
        let optimizer = match r["optimizer"].as_str() {
            Some("sgd") => OptimizerKind::Sgd,
            Some("adam") => OptimizerKind::Adam,
            other => panic!("optimizer {other:?}"),
        };
        let shortcut = r["shortcut"].as_bool().expect("shortcut");
        let want = numbers(&r["losses"]);
        let curve = run(optimizer, shortcut);
        let got: Vec<f64> = curve.losses.iter().map(|l| f64::from(*l)).collect();
        assert_eq!(got.len(), want.len());
        let label = format!("{optimizer:?}, shortcut {shortcut}");

        // The same initial weights and data: the first loss agrees to float32 rounding.
        assert!(
            relative(got[0], want[0]) < 1e-6,
            "{label}: {} vs {}",
            got[0],
            want[0]
        );
        // The first 100 steps stay within 1e-5 (measured: 2e-6 at worst). Later, SGD with
        // shortcuts goes through a loss spike near step 110 whose exact timing amplifies the
        // rounding differences, so only the outcome is compared.
        for (i, (g, w)) in got.iter().zip(&want).take(11).enumerate() {
            assert!(
                relative(*g, *w) < 1e-5,
                "{label}, step {}: {g} vs {w}",
                10 * i
            );
        }
        // The end: within 20% (measured: 4% for SGD with shortcuts, 0.05% or less otherwise),
        // which still separates the outcomes by orders of magnitude.
        let (g, w) = (
            f64::from(curve.final_loss),
            r["final_loss"].as_f64().expect("final"),
        );
        assert!(relative(g, w) < 0.2, "{label}: final {g} vs PyTorch {w}");
        eprintln!("{label}: final loss {g:.4e}, PyTorch {w:.4e}");
    }
}

/// The point, measured: with SGD the residual network trains and the plain one
/// stalls at the loss of predicting the mean (0.49); Adam trains both.
#[test]
fn shortcuts_rescue_sgd_and_adam_rescues_the_plain_net() {
    let sgd_res = run(OptimizerKind::Sgd, true).final_loss;
    let sgd_plain = run(OptimizerKind::Sgd, false).final_loss;
    let adam_res = run(OptimizerKind::Adam, true).final_loss;
    let adam_plain = run(OptimizerKind::Adam, false).final_loss;
    assert!(sgd_res < 1e-4, "{sgd_res}");
    assert!((0.48..0.50).contains(&sgd_plain), "{sgd_plain}");
    assert!(
        adam_res < 1e-5 && adam_plain < 1e-5,
        "{adam_res} {adam_plain}"
    );
}

#[test]
fn training_is_deterministic_bit_for_bit() {
    for task in [Task::Sin, Task::Moons] {
        for optimizer in [OptimizerKind::Sgd, OptimizerKind::Adam] {
            let cfg = Config {
                task,
                optimizer,
                lr: optimizer.default_lr(),
                steps: 300,
                seed: 42,
                ..Config::default()
            };
            let bits = |c: &Curve| c.losses.iter().map(|l| l.to_bits()).collect::<Vec<_>>();
            let a = train_quietly(&cfg).expect("trains");
            let b = train_quietly(&cfg).expect("trains");
            assert_eq!(bits(&a), bits(&b), "{task:?} {optimizer:?}");
        }
    }
}
