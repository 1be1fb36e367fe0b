//! The notebook's point, in `train`'s network and in every number type: without shortcuts
//! the gradients vanish toward the first layer, with them they do not. `train` reports each
//! weight's mean |grad| at the first step (`"gradients"` in `--json`); the run is the
//! default one (sin, 8 blocks of width 16, seed 0), one step.

use std::process::Command;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_skipgrad");

/// `(name, mean |grad|, zeros, count)` of each weight at the first step.
fn gradients(number: &str, shortcut: bool) -> Vec<(String, f64, u64, u64)> {
    let mut args = vec!["train", "--json", "--steps", "1", "--number", number];
    if !shortcut {
        args.push("--no-shortcut");
    }
    let out = Command::new(BIN)
        .args(&args)
        .output()
        .expect("run the skipgrad binary");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    v["gradients"]
        .as_array()
        .expect("gradients")
        .iter()
        .map(|g| {
            (
                g["name"].as_str().expect("name").to_owned(),
                g["mean_abs_grad"].as_f64().expect("mean"),
                g["zeros"].as_u64().expect("zeros"),
                g["count"].as_u64().expect("count"),
            )
        })
        .collect()
}

/// The first layer's mean |grad| without shortcuts is at most this fraction of the one
/// with shortcuts, in f32 and in q16.16: measured 8.6e-6 in f32 (4.5151e-6 against
/// 5.2525e-1) and 0 in q16.16, the bound 1.5 times the f32 figure.
const VANISHED: f64 = 1.3e-5;

#[test]
fn without_shortcuts_the_first_layers_gradient_vanishes_in_q16_as_in_f32() {
    let mut first = Vec::new();
    for number in ["f32", "q16.16"] {
        let with = gradients(number, true);
        let without = gradients(number, false);
        let names: Vec<&str> = with.iter().map(|g| g.0.as_str()).collect();
        assert_eq!(names.len(), 10, "{names:?}");
        assert_eq!(names.first(), Some(&"0.0.weight"));
        assert_eq!(names.last(), Some(&"2.weight"));
        assert!(without.iter().map(|g| &g.0).eq(with.iter().map(|g| &g.0)));
        for (w, wo) in with.iter().zip(&without) {
            println!(
                "{number} {:>12}: with {:.4e} ({} of {} zero), without {:.4e} ({} of {} zero)",
                w.0, w.1, w.2, w.3, wo.1, wo.2, wo.3
            );
        }
        let (w0, wo0) = (with[0].1, without[0].1);
        println!("{number}: first layer without / with = {:.3e}", wo0 / w0);
        assert!(
            w0 > 0.0,
            "{number}: the first layer has no gradient with shortcuts"
        );
        assert!(
            wo0 < VANISHED * w0,
            "{number}: without shortcuts {wo0:e}, with {w0:e}"
        );
        // With shortcuts, the first layer's gradient is not the smallest by far: within a
        // factor of 10 of the output layer's, as in the notebook's table.
        let head = with.last().map_or(0.0, |g| g.1);
        assert!(
            w0 > 0.1 * head,
            "{number}: with shortcuts {w0:e}, head {head:e}"
        );
        if number == "q16.16" {
            // In fixed point the vanishing is total: every gradient of the first layer is
            // below half a unit (2^-17) and rounds to exactly 0.
            assert_eq!(without[0].2, without[0].3, "{number}: {:?}", without[0]);
        }
        first.push((w0, wo0));
    }
    // Fixed point shows what floating point shows: with shortcuts the same gradient within
    // 1% (its values are rounded to units of 2^-16); without, gradients of the same tiny
    // size or zero.
    let [(f32_with, f32_without), (q16_with, q16_without)] = first[..] else {
        panic!("two number types");
    };
    assert!(
        (q16_with - f32_with).abs() < 0.01 * f32_with,
        "{q16_with:e} against {f32_with:e}"
    );
    assert!(q16_without < 2.0 * f32_without + 2.0f64.powi(-16));
}
