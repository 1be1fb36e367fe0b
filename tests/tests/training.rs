//! `skipgrad train`'s training runs against PyTorch: `tests/fixtures/train-sin-reference.json`,
//! written by `tools/train_reference.py`, holds the loss curves of the same network (same
//! initial weights, from `torch.manual_seed(0)`) trained in PyTorch for the issue's
//! calibration runs: sin(x) on 64 points, 8 blocks of width 16, 2000 full-batch steps of SGD
//! (lr 0.01) or Adam (lr 1e-3), with and without shortcuts.
//!
//! Both sides compute in float32 but sum in different orders, so the curves drift apart
//! slowly; the early curve agrees closely and the outcome (who trains, who stalls) exactly.

use serde_json::Value;
use skipgrad_harness::command::train::{train_quietly, Curve, TrainArgs};
use skipgrad_harness::model::{ModelArgs, OptimizerKind, Task};

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
    let cfg = TrainArgs {
        model: ModelArgs {
            no_shortcut: !shortcut,
            ..ModelArgs::default()
        },
        optimizer: Some(optimizer),
        lr: Some(optimizer.default_lr()),
        ..TrainArgs::default()
    }
    .config()
    .expect("a valid run");
    train_quietly(&cfg).expect("training runs")
}

fn relative(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

/// One calibration run's bounds on its relative difference from PyTorch, each about 1.5
/// times the figure measured for that run (the test prints the figures): the first loss (the
/// same initial weights and data, so float32 rounding only), the worst over the first 100
/// steps (losses 0, 10, ..., 100), and the final loss.
struct RunBounds {
    optimizer: &'static str,
    shortcut: bool,
    first: f64,
    early: f64,
    last: f64,
}

/// Measured with `cargo test --release -p skipgrad-tests --test training -- --nocapture`.
const RUN_BOUNDS: [RunBounds; 4] = [
    // Measured: first 7.41e-8, steps 0..=100 1.90e-6, final 4.18e-2 (6.11e-5 vs 5.87e-5).
    // SGD with shortcuts goes through a loss spike near step 110 whose exact timing
    // amplifies the rounding differences, hence the percent-level final difference.
    RunBounds {
        optimizer: "sgd",
        shortcut: true,
        first: 1.1e-7,
        early: 2.9e-6,
        last: 6.3e-2,
    },
    // Measured: first 1.21e-7, steps 0..=100 3.03e-7, final 6.06e-8 (both stall at 0.492).
    RunBounds {
        optimizer: "sgd",
        shortcut: false,
        first: 1.8e-7,
        early: 4.5e-7,
        last: 9.1e-8,
    },
    // Measured: first 7.41e-8, steps 0..=100 1.89e-6, final 4.52e-5 (2.09e-6 both).
    RunBounds {
        optimizer: "adam",
        shortcut: true,
        first: 1.1e-7,
        early: 2.8e-6,
        last: 6.8e-5,
    },
    // Measured: first 1.21e-7, steps 0..=100 4.15e-7, final 4.87e-4 (5.24e-6 vs 5.23e-6).
    RunBounds {
        optimizer: "adam",
        shortcut: false,
        first: 1.8e-7,
        early: 6.2e-7,
        last: 7.3e-4,
    },
];

#[test]
fn calibration_runs_match_pytorch() {
    let fx = reference();
    assert_eq!(
        (
            fx["depth"].as_u64(),
            fx["width"].as_u64(),
            fx["steps"].as_u64(),
            fx["every"].as_u64(),
        ),
        (Some(8), Some(16), Some(2000), Some(10))
    );
    let runs = fx["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), RUN_BOUNDS.len());
    for (r, bounds) in runs.iter().zip(&RUN_BOUNDS) {
        let name = r["optimizer"].as_str().expect("optimizer");
        let shortcut = r["shortcut"].as_bool().expect("shortcut");
        assert_eq!((name, shortcut), (bounds.optimizer, bounds.shortcut));
        let optimizer = match name {
            "sgd" => OptimizerKind::Sgd,
            "adam" => OptimizerKind::Adam,
            other => panic!("optimizer {other:?}"),
        };
        let want = numbers(&r["losses"]);
        let curve = run(optimizer, shortcut);
        let got: Vec<f64> = curve.losses.iter().map(|l| f64::from(*l)).collect();
        assert_eq!(got.len(), want.len());
        let label = format!("{name}, shortcut {shortcut}");

        let first = relative(got[0], want[0]);
        let early = got
            .iter()
            .zip(&want)
            .take(11)
            .map(|(g, w)| relative(*g, *w))
            .fold(0.0, f64::max);
        let (g, w) = (
            f64::from(curve.final_loss),
            r["final_loss"].as_f64().expect("final"),
        );
        let last = relative(g, w);
        eprintln!(
            "{label}: relative to PyTorch: first loss {first:.2e}, steps 0..=100 {early:.2e}, \
             final {last:.2e} ({g:.4e} vs {w:.4e})"
        );
        assert!(
            first <= bounds.first,
            "{label}: first loss {} vs {}: {first:e}",
            got[0],
            want[0]
        );
        assert!(
            early <= bounds.early,
            "{label}: steps 0..=100 differ by {early:e}"
        );
        assert!(
            last <= bounds.last,
            "{label}: final {g} vs PyTorch {w}: {last:e}"
        );
    }
}

/// The point, measured (the README's figures): with SGD the residual network falls
/// from 1.61 to 6.1e-5 and the plain one stalls at 0.492, the loss of predicting the mean;
/// Adam trains both, to 2.1e-6 and 5.2e-6. Each final loss is held within 1.5 times its
/// figure (and the stall above 0.49, so it is a stall).
#[test]
fn shortcuts_rescue_sgd_and_adam_rescues_the_plain_net() {
    let sgd_res = run(OptimizerKind::Sgd, true);
    let sgd_plain = run(OptimizerKind::Sgd, false).final_loss;
    let adam_res = run(OptimizerKind::Adam, true).final_loss;
    let adam_plain = run(OptimizerKind::Adam, false).final_loss;
    eprintln!(
        "final losses: sgd {:.3e} (from {:.3e}), sgd plain {sgd_plain:.4}, adam {adam_res:.3e}, \
         adam plain {adam_plain:.3e}",
        sgd_res.final_loss, sgd_res.losses[0]
    );
    assert!(
        (1.6..1.62).contains(&sgd_res.losses[0]),
        "{}",
        sgd_res.losses[0]
    );
    assert!(sgd_res.final_loss <= 1.5 * 6.1e-5, "{}", sgd_res.final_loss);
    assert!((0.49..=0.4925).contains(&sgd_plain), "{sgd_plain}");
    assert!(adam_res <= 1.5 * 2.1e-6, "{adam_res}");
    assert!(adam_plain <= 1.5 * 5.2e-6, "{adam_plain}");
}

#[test]
fn training_is_deterministic_bit_for_bit() {
    for task in [Task::Sin, Task::Moons] {
        for optimizer in [OptimizerKind::Sgd, OptimizerKind::Adam] {
            let cfg = TrainArgs {
                model: ModelArgs {
                    task: Some(task),
                    ..ModelArgs::default()
                },
                optimizer: Some(optimizer),
                lr: Some(optimizer.default_lr()),
                steps: Some(300),
                seed: Some(42),
                ..TrainArgs::default()
            }
            .config()
            .expect("a valid run");
            let bits = |c: &Curve| c.losses.iter().map(|l| l.to_bits()).collect::<Vec<_>>();
            let a = train_quietly(&cfg).expect("trains");
            let b = train_quietly(&cfg).expect("trains");
            assert_eq!(bits(&a), bits(&b), "{task:?} {optimizer:?}");
        }
    }
}
