//! `skipgrad import`, `convert` and `train --load/--save` as a user runs them: the output,
//! the files they write, and exit status 2 for bad flags, 1 for a bad file, never a panic.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use skipgrad::{Params, Zeroed};
use skipgrad_harness::notebook::{WithShortcut, PREFIX};
use skipgrad_harness::safetensors;

const BIN: &str = env!("CARGO_BIN_EXE_skipgrad");

fn skipgrad(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("run the skipgrad binary")
}

fn fixture(name: &str) -> String {
    format!(
        "{}/../tests/fixtures/weights/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// A fresh directory for one test's files.
fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

fn ok(args: &[&str]) -> String {
    let out = skipgrad(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{args:?} failed: {stderr}");
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// Runs `args`, which must fail with `code` and a message containing `needle` (and no panic).
fn fails(args: &[&str], code: i32, needle: &str) {
    let out = skipgrad(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
    assert!(stderr.contains(needle), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
}

#[test]
#[cfg_attr(
    feature = "micromath",
    ignore = "micromath's approximate tanh is not PyTorch's"
)]
fn import_prints_seeds_object_with_outputs_and_losses() {
    let file = fixture("notebook.safetensors");
    let text = ok(&["import", &file, "--json"]);
    let v: Value = serde_json::from_str(&text).expect("one JSON object");
    let want: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("notebook.json")).expect("the fixture"),
    )
    .expect("JSON");
    for key in ["without_shortcut", "with_shortcut"] {
        assert_eq!(v[key].as_array().map(Vec::len), Some(5), "{key}");
        // PyTorch's float32 output and loss, bit for bit.
        assert_eq!(v["output"][key], want[key]["output"][0], "{key}");
        assert_eq!(v["loss"][key], want[key]["loss"], "{key}");
    }
    let plain = ok(&["import", &file, "--input", "-1,0.5,2", "--target", "0.25"]);
    assert!(plain.contains("with shortcut:\n"), "{plain}");
    assert!(plain.contains("\noutput: without shortcut "), "{plain}");
    assert!(plain.contains("\nloss: without shortcut "), "{plain}");
}

#[test]
fn import_refuses_bad_files_and_flags() {
    let missing = fixture("no-such-file.safetensors");
    fails(&["import", &missing], 1, "reading");
    // train's file has none of the notebook's names.
    fails(
        &["import", &fixture("train.safetensors")],
        1,
        "tensor `layers.0.0.weight` is missing",
    );
    fails(
        &["import", &fixture("notebook.skgi")],
        1,
        "is a device image",
    );
    fails(
        &["import", &fixture("notebook.safetensors"), "--input", "1,2"],
        2,
        "expected 3",
    );
}

#[test]
fn convert_round_trips_and_refuses() {
    let dir = scratch("convert");
    let image = dir.join("nb.skgi");
    let back = dir.join("nb.safetensors");
    let (image, back) = (image.to_str().unwrap(), back.to_str().unwrap());
    let st = fixture("notebook.safetensors");
    // The summary is on standard error: standard output may be the output file.
    let out = skipgrad(&["convert", &st, image, "--network", "notebook"]);
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("device image, 232 bytes"), "{text}");
    assert_eq!(
        std::fs::read(image).unwrap(),
        std::fs::read(fixture("notebook.skgi")).unwrap()
    );
    ok(&["convert", image, back]);
    let (mut a, mut b) = (WithShortcut::<f32>::ZERO, WithShortcut::<f32>::ZERO);
    safetensors::load(&mut a, &std::fs::read(back).unwrap(), PREFIX).expect("loads");
    safetensors::load(&mut b, &std::fs::read(&st).unwrap(), PREFIX).expect("loads");
    assert_eq!(a.weights_hash(), b.weights_hash());
    fails(
        &["convert", &st, image, "--network", "train", "--depth", "3"],
        2,
        "unsupported shape",
    );
    fails(
        &["convert", &st, image, "--network", "train"],
        1,
        "tensor `0.0.weight` is missing",
    );
    fails(
        &[
            "convert",
            image,
            back,
            "--network",
            "train",
            "--depth",
            "2",
            "--width",
            "8",
        ],
        1,
        "parameters",
    );
    let nowhere = dir.join("no/such/dir/x.skgi");
    // Found before anything is read: a usage error.
    fails(&["convert", &st, nowhere.to_str().unwrap()], 2, "OUT");
}

#[test]
fn train_saves_and_loads_its_weights() {
    let dir = scratch("train");
    let saved = dir.join("trained.safetensors");
    let saved = saved.to_str().unwrap();
    let shape = ["--depth", "2", "--width", "8", "--json"];
    let run = |extra: &[&str]| -> Value {
        let args: Vec<&str> = ["train"]
            .iter()
            .chain(&shape)
            .chain(extra)
            .copied()
            .collect();
        serde_json::from_str(&ok(&args)).expect("JSON")
    };
    let first = run(&["--steps", "5", "--save", saved]);
    // Loading the trained weights starts where the first run ended.
    let resumed = run(&["--steps", "1", "--load", saved]);
    assert_eq!(resumed["losses"][0], first["final_loss"]);
    // PyTorch's weights for the same shape (tools/weights_fixture.py).
    let torch = run(&["--steps", "1", "--load", &fixture("train.safetensors")]);
    assert_ne!(torch["losses"][0], first["losses"][0]);
    fails(
        &[
            "train",
            "--steps",
            "1",
            "--load",
            &fixture("train.safetensors"),
        ],
        1,
        "tensor `0.0.weight` has shape [8, 1], the model's is [16, 1]",
    );
    fails(
        &[
            "train",
            "--steps",
            "1",
            "--load",
            &fixture("notebook.safetensors"),
        ],
        1,
        "tensor `0.0.weight` is missing",
    );
    fails(
        &[
            "train",
            "--steps",
            "1",
            "--load",
            &fixture("missing.safetensors"),
        ],
        1,
        "reading --load",
    );
}
