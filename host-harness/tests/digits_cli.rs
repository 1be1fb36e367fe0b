//! `skipgrad train --task digits` as a user runs it: the default classifier reaches the
//! accuracy README claims, reports its confusion matrix, saves the weights the device image
//! in `digits/data/trained.skgi` holds (bit for bit), draws its figure, and refuses a bad
//! data file without writing anything.

mod common;

use std::path::Path;

use common::{fails, ok, scratch, stdout};
use serde_json::Value;

/// The committed device image of the default run.
fn trained_image() -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../digits/data/trained.skgi");
    std::fs::read(path).expect("the committed trained image")
}

#[test]
fn the_default_run_reaches_its_accuracy_and_saves_the_committed_weights() {
    let dir = scratch("digits_default");
    let saved = dir.join("digits.safetensors").display().to_string();
    let image = dir.join("digits.skgi").display().to_string();
    let plot = dir.join("digits.svg").display().to_string();
    let out = ok(&[
        "train", "--task", "digits", "--json", "--save", &saved, "--plot", &plot,
    ]);
    let json: Value = serde_json::from_str(&stdout(&out)).expect("one JSON object");
    assert_eq!(json["task"], "digits");
    assert_eq!(json["epochs"], 30);
    let accuracy = json["test_accuracy"].as_f64().expect("a fraction");
    // 440 of 450 (97.78%), as PyTorch on the same network, data and initialisation.
    assert!(accuracy >= 0.97, "test accuracy {accuracy}");
    let confusion = json["confusion"].as_array().expect("rows");
    assert_eq!(confusion.len(), 10);
    let mut total = 0;
    let mut right = 0;
    for (i, row) in confusion.iter().enumerate() {
        let row = row.as_array().expect("a row");
        assert_eq!(row.len(), 10);
        for (j, c) in row.iter().enumerate() {
            let c = c.as_u64().expect("a count");
            total += c;
            if i == j {
                right += c;
            }
        }
    }
    assert_eq!(total, 450, "the test set");
    assert_eq!(right as f64 / total as f64, accuracy);
    // Training and test accuracy after every epoch, for the figure.
    let epochs = json["epoch_accuracy"].as_array().expect("per epoch");
    assert_eq!(epochs.len(), 30);
    assert_eq!(epochs[29]["test"].as_f64(), Some(accuracy));

    ok(&[
        "convert",
        &saved,
        &image,
        "--network",
        "train",
        "--task",
        "digits",
    ]);
    assert!(
        std::fs::read(&image).expect("the image") == trained_image(),
        "the saved weights are not the committed trained image"
    );
    let svg = std::fs::read_to_string(&plot).expect("the plot");
    assert!(svg.starts_with("<svg"), "{}", &svg[..svg.len().min(80)]);
    assert!(svg.contains("predicted"), "no misclassified digits drawn");
}

#[test]
fn text_output_has_the_accuracy_and_the_confusion_matrix() {
    let out = ok(&["train", "--task", "digits", "--epochs", "2"]);
    let text = stdout(&out);
    assert!(text.contains("test accuracy"), "{text}");
    assert!(text.contains("confusion matrix"), "{text}");
    assert_eq!(
        text.lines()
            .filter(|l| l.split_whitespace().count() == 10
                && l.split_whitespace().all(|w| w.parse::<u32>().is_ok()))
            .count(),
        10,
        "{text}"
    );
}

#[test]
fn a_bad_data_file_is_refused_and_nothing_is_written() {
    let dir = scratch("digits_bad_data");
    let data = dir.join("bad.skgd");
    let saved = dir.join("w.safetensors");
    let mut bytes =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../digits/data/digits.skgd"))
            .expect("the committed digits");
    // One pixel changed: the checksum no longer matches.
    let last = bytes.len() - 5;
    bytes[last] ^= 1;
    std::fs::write(&data, &bytes).expect("written");
    fails(
        &[
            "train",
            "--task",
            "digits",
            "--data",
            data.to_str().expect("UTF-8"),
            "--save",
            saved.to_str().expect("UTF-8"),
        ],
        1,
        "bad.skgd",
    );
    assert!(!saved.exists(), "a refused run wrote --save");
    fails(
        &[
            "train",
            "--task",
            "sin",
            "--data",
            data.to_str().expect("UTF-8"),
        ],
        2,
        "--data",
    );
    fails(
        &["train", "--task", "digits", "--steps", "5"],
        2,
        "--epochs",
    );
}
