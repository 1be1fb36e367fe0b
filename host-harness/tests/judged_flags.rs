//! Flags judged in the run's own number type, once, before training, with one message
//! format and exit status 2; and messages that point at what is wrong (items 5 to 9 of the
//! reliability review).

mod common;

use std::fs;

use common::{arg, fails, fixture, ok, scratch, stderr, stdout};
use serde_json::Value;
use skipgrad::{Params, Zeroed};
use skipgrad_harness::model::network::BlockNet;
use skipgrad_harness::notebook::{WithShortcut, PREFIX};
use skipgrad_harness::safetensors;

const SHAPE: [&str; 6] = ["--depth", "2", "--width", "8", "--steps", "2"];

fn train(extra: &[&str]) -> Vec<String> {
    ["train"]
        .iter()
        .chain(&SHAPE)
        .chain(extra)
        .map(|s| (*s).to_owned())
        .collect()
}

fn json(extra: &[&str]) -> Value {
    let args = train(&[extra, &["--json"]].concat());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    serde_json::from_slice(&ok(&args).stdout).expect("one JSON object")
}

/// Items 5, 7 and 8: a rate that rounds to zero, or beyond the range, of the run's number
/// type is a usage error before training, in one format; `f64` takes what `f64` holds.
#[test]
fn rates_are_judged_in_the_runs_number_type() {
    let cases: [(&[&str], &str); 7] = [
        (
            &["--number", "q16.16", "--lr", "1e-6"],
            "error: --lr 1e-6 rounds to zero in q16.16",
        ),
        (
            &["--lr", "1e-50"],
            "error: --lr 1e-50 rounds to zero in f32",
        ),
        (
            &["--lr", "3.5e38"],
            "error: --lr 3.5e38 is beyond the range of f32",
        ),
        (
            &["--number", "q16.16", "--lr", "40000"],
            "error: --lr 40000.0 is beyond the range of q16.16",
        ),
        (
            &["--optimizer", "adam", "--lr", "1e39"],
            "error: --lr 1e39 is beyond the range of f32",
        ),
        (
            &["--number", "f64", "--lr", "1e-330"],
            "'--lr <LR>': 1e-330 rounds to zero in f64",
        ),
        (
            &["--number", "f64", "--optimizer", "adam", "--lr", "2e308"],
            "must be a finite number",
        ),
    ];
    for (extra, message) in cases {
        let args = train(extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = fails(&args, 2, message);
        assert!(out.stdout.is_empty(), "{args:?} trained");
    }
    // Item 8: 1e-300 is a rate of f64.
    let v = json(&["--number", "f64", "--lr", "1e-300"]);
    assert_eq!(v["lr"], 1e-300);
    assert_eq!(v["number"], "f64");
}

/// Item 6: the rate is reported as the number type holds it; one that q16.16 holds more
/// than 1% away from the request is refused with the nearest rates it holds.
#[test]
fn the_rate_is_reported_as_represented() {
    let v = json(&["--number", "q16.16", "--lr", "0.01"]);
    assert_eq!(v["lr"], 0.0099945068359375);
    assert_eq!(v["lr_requested"], 0.01);
    let v = json(&[
        "--number",
        "q16.16",
        "--rounding",
        "nearest",
        "--lr",
        "1.52587890625e-5",
    ]);
    assert_eq!(v["lr"], 1.52587890625e-5);
    let v = json(&["--lr", "0.01"]);
    assert_eq!(
        v["lr"], 0.01,
        "f32's nearest value to 0.01, written as f32's shortest"
    );
    for (lr, off) in [("7.7e-6", "98.2%"), ("2.2e-5", "30.6%")] {
        let args = train(&["--number", "q16.16", "--rounding", "nearest", "--lr", lr]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = fails(
            &args,
            2,
            &format!("--lr {lr} is 1.52587890625e-5 in q16.16, {off} from the request"),
        );
        assert!(stderr(&out).contains("such as 1.52587890625e-5"));
    }
    let text = ok(&[
        "train", "--number", "q16.16", "--depth", "2", "--width", "8", "--steps", "1",
    ]);
    assert!(
        stdout(&text).contains("(lr 0.0099945068359375, requested 0.01)"),
        "{}",
        stdout(&text)
    );
}

/// Item 9: each message blames what is wrong.
#[test]
fn messages_point_at_what_is_wrong() {
    // Adam in fixed point: the optimizer, not the --rounding that was not given.
    let out = fails(
        &["train", "--number", "q16.16", "--optimizer", "adam"],
        2,
        "--optimizer adam needs a floating-point --number",
    );
    assert!(!stderr(&out).contains("--rounding"), "{}", stderr(&out));
    // A device image given to --load is named as one.
    let out = fails(
        &["train", "--load", arg(&fixture("notebook.skgi"))],
        1,
        "it is a device image (SKGI), not safetensors",
    );
    assert!(!stderr(&out).contains("header length"), "{}", stderr(&out));
    // convert's numeric flags read negative numbers, and refuse shape flags that would be
    // ignored.
    let nb = fixture("notebook.safetensors");
    let nb = arg(&nb);
    fails(
        &[
            "convert",
            nb,
            "x.skgi",
            "--network",
            "train",
            "--depth",
            "-1",
        ],
        2,
        "'--depth <DEPTH>': must not be negative",
    );
    fails(
        &["convert", nb, "x.skgi", "--depth", "3", "--width", "5"],
        2,
        "--depth, --width describe --network train",
    );
    fails(
        &["convert", nb, "x.skgi", "--task", "moons"],
        2,
        "--task describe --network train",
    );
    assert!(!std::path::Path::new("x.skgi").exists());
}

/// Item 9: weights that overflow float32 are blamed, not the sample or the rate.
#[test]
fn overflowing_weights_are_blamed() {
    let dir = scratch("judged-flags-big-weights");
    // The notebook's network with every weight f32::MAX: import blames the file's weights.
    let mut nb = WithShortcut::<f32>::ZERO;
    let len = <WithShortcut<f32> as Params<f32>>::LEN;
    nb.load_flat(&vec![f32::MAX; len])
        .expect("one value per parameter");
    let big_nb = dir.join("big-notebook.safetensors");
    fs::write(&big_nb, safetensors::write(&nb, PREFIX, &[])).expect("writes");
    let out = fails(&["import", arg(&big_nb)], 1, "float32");
    let err = stderr(&out);
    assert!(
        err.contains("the weights of") && !err.contains("use a smaller input or target"),
        "{err}"
    );
    // train's network with huge weights: refused before any update, and no smaller --lr can
    // help.
    type Small = BlockNet<f32, 1, 8, 2, 1>;
    let mut net = Small::ZERO;
    net.load_flat(&vec![3e38; <Small as Params<f32>>::LEN])
        .expect("one value per parameter");
    let big = dir.join("big-train.safetensors");
    fs::write(&big, safetensors::write(&net, "", &[])).expect("writes");
    let out = fails(
        &[
            "train",
            "--depth",
            "2",
            "--width",
            "8",
            "--steps",
            "3",
            "--load",
            arg(&big),
        ],
        1,
        "step 0 refused",
    );
    let err = stderr(&out);
    assert!(
        err.contains("before any update, so the weights of --load overflow"),
        "{err}"
    );
    assert!(!err.contains("smaller --lr"), "{err}");
}
