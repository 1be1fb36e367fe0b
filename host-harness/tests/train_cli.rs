//! `skipgrad train` as a user runs it: JSON shape, bit-for-bit determinism, the plot, and
//! errors for bad flags.

use std::process::{Command, Output};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_skipgrad");

fn skipgrad(args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("train")
        .args(args)
        .output()
        .expect("run the skipgrad binary")
}

fn json_of(args: &[&str]) -> (String, Value) {
    let out = skipgrad(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{args:?} failed: {stderr}");
    assert!(stderr.is_empty(), "{args:?} wrote to stderr: {stderr}");
    let text = String::from_utf8(out.stdout).expect("UTF-8 output");
    let value = serde_json::from_str(&text).expect("one JSON object on stdout");
    (text, value)
}

#[test]
fn json_is_one_object_with_the_curve() {
    let (text, v) = json_of(&[
        "--json", "--depth", "2", "--width", "8", "--steps", "35", "--every", "10",
    ]);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert_eq!(v["task"], "sin");
    assert_eq!(v["steps"], 35);
    assert_eq!(v["every"], 10);
    assert_eq!(v["shortcut"], true);
    assert_eq!(v["optimizer"], "sgd");
    assert_eq!(v["lr"], 0.01);
    // Losses after 0, 10, 20, 30 and 35 updates; the last is the final loss.
    let losses = v["losses"].as_array().expect("losses");
    assert_eq!(losses.len(), 5);
    assert_eq!(losses[4], v["final_loss"]);
    assert!(losses
        .iter()
        .all(|l| l.as_f64().is_some_and(f64::is_finite)));
}

#[test]
fn same_seed_same_curve_bit_for_bit() {
    for extra in [
        &["--task", "sin", "--optimizer", "sgd"][..],
        &["--task", "moons", "--optimizer", "adam", "--no-shortcut"][..],
    ] {
        let mut args = vec!["--json", "--steps", "150", "--seed", "7"];
        args.extend_from_slice(extra);
        let (a, _) = json_of(&args);
        let (b, _) = json_of(&args);
        assert_eq!(a, b, "{args:?}");
        // And the seed matters.
        args[4] = "8";
        let (c, _) = json_of(&args);
        assert_ne!(a, c, "{args:?}");
    }
}

#[test]
fn plot_compares_both_variants() {
    let dir = std::env::temp_dir().join(format!("skipgrad-train-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("curves.svg");
    let path_str = path.to_str().expect("UTF-8 path");
    let (_, v) = json_of(&[
        "--json", "--depth", "4", "--width", "8", "--steps", "60", "--plot", path_str,
    ]);
    assert_eq!(v["compared"]["shortcut"], false);
    assert!(v["compared"]["losses"]
        .as_array()
        .is_some_and(|l| l.len() == 7));
    let svg = std::fs::read_to_string(&path).expect("the plot was written");
    for text in [
        "with shortcuts",
        "without shortcuts",
        "optimizer step",
        "training loss (MSE, log scale)",
        "4 blocks of width 8",
    ] {
        assert!(svg.contains(text), "the plot lacks {text:?}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Every bad flag exits with status 2, whether clap rejects it or the command's own checks do.
#[test]
fn bad_flags_exit_2_with_a_clear_message() {
    let cases: [(&[&str], &str); 8] = [
        (&["--depth", "3"], "depth {2, 4, 8, 16} x width {8, 16}"),
        (&["--width", "32"], "depth {2, 4, 8, 16} x width {8, 16}"),
        (&["--lr", "-1"], "--lr must be > 0, got -1.0"),
        (&["--steps", "0"], "'--steps <STEPS>': must be at least 1"),
        (&["--task", "xor"], "invalid value 'xor'"),
        (&["--every", "0"], "'--every <EVERY>': must be at least 1"),
        (&["--lr", "nan"], "'--lr <LR>': must be a finite number"),
        (&["--optimizer", "rmsprop"], "invalid value 'rmsprop'"),
    ];
    for (args, message) in cases {
        let out = skipgrad(args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.stdout.is_empty(), "{args:?} printed to stdout");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
}

#[test]
fn a_diverging_run_is_an_error_not_a_nan_curve() {
    let out = skipgrad(&[
        "--steps", "200", "--lr", "1e6", "--depth", "2", "--width", "8",
    ]);
    // A runtime failure, not a usage error.
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("refused") || stderr.contains("diverged"),
        "{stderr}"
    );
}
