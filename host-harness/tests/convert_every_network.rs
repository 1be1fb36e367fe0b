//! Every network `train` saves becomes a device image with `convert` and comes back bit for
//! bit: one case per part (each activation, loss, normalisation, shortcut choice, task and
//! number type). Each case trains a step, saves, converts the file to an image and the image
//! back, and asserts the file that comes back is the saved one, byte for byte; converting it
//! again gives the same image. A case whose flags `convert` did not know would fail at the
//! first conversion (a missing or misshapen tensor), one whose number type it rounded would
//! fail the byte comparison.

mod common;

use common::{ok, scratch};
use skipgrad_harness::model::{ActivationKind, LossKind, NormKind, Number, Task};

/// The model flags of each case, beyond `--depth 2 --width 8` (digits keeps its own shape):
/// every row of every part's table (a new row is a new case without an edit here), and a few
/// combinations.
fn cases() -> Vec<Vec<&'static str>> {
    let mut cases: Vec<Vec<&str>> = Vec::new();
    for a in ActivationKind::ALL {
        cases.push(vec!["--activation", a.name()]);
    }
    // Two moons take every loss (a number per output, or classes).
    for l in LossKind::ALL {
        cases.push(vec!["--task", "moons", "--loss", l.name()]);
    }
    for n in NormKind::ALL {
        cases.push(vec!["--norm", n.name()]);
    }
    for n in Number::ALL {
        cases.push(vec!["--number", n.name()]);
    }
    for t in Task::ALL {
        cases.push(vec!["--task", t.name()]);
    }
    cases.push(vec!["--no-shortcut"]);
    cases.push(vec![
        "--number",
        "q16.16",
        "--norm",
        "layer",
        "--activation",
        "tanh",
    ]);
    cases.push(vec!["--task", "digits", "--loss", "mse", "--no-shortcut"]);
    cases.push(vec![
        "--task", "digits", "--norm", "layer", "--number", "f64",
    ]);
    cases
}

#[test]
fn every_network_train_saves_converts_both_ways() {
    let dir = scratch("convert_every_network");
    for (i, case) in cases().iter().enumerate() {
        let digits = case.contains(&"digits");
        let shape: &[&str] = if digits {
            &[]
        } else {
            &["--depth", "2", "--width", "8"]
        };
        let length: &[&str] = if digits {
            &["--epochs", "1"]
        } else {
            &["--steps", "3"]
        };
        let model: Vec<&str> = shape.iter().chain(case.iter()).copied().collect();
        let path = |name: &str| dir.join(format!("{i}-{name}")).display().to_string();
        let (saved, image, back, again) =
            (path("saved"), path("image"), path("back"), path("again"));
        let mut train = vec!["train", "--json", "--save", &saved];
        train.extend(length);
        train.extend(&model);
        ok(&train);
        let convert = |from: &str, to: &str| {
            let mut args = vec!["convert", from, to, "--network", "train"];
            args.extend(&model);
            ok(&args);
        };
        convert(&saved, &image);
        convert(&image, &back);
        convert(&back, &again);
        let read = |p: &str| std::fs::read(p).expect("the file was written");
        assert_eq!(&read(&image)[..4], b"SKGI", "{case:?}: not a device image");
        assert!(read(&saved) == read(&back), "{case:?}: the weights changed");
        assert!(read(&image) == read(&again), "{case:?}: the image changed");
    }
}

/// The converted image is the network's: with another part that changes the tensors, the
/// conversion is refused rather than misread.
#[test]
fn a_network_of_other_parts_is_refused() {
    let dir = scratch("convert_other_parts");
    let saved = dir.join("saved").display().to_string();
    let image = dir.join("image").display().to_string();
    ok(&[
        "train", "--json", "--steps", "1", "--depth", "2", "--width", "8", "--save", &saved,
    ]);
    common::fails(
        &[
            "convert",
            &saved,
            &image,
            "--network",
            "train",
            "--depth",
            "2",
            "--width",
            "8",
            "--norm",
            "layer",
        ],
        1,
        "tensor `1.0.0.weight` has shape [8, 8], the model's is [8]",
    );
    assert!(!std::path::Path::new(&image).exists());
}
