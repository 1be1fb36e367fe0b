//! Float weights into `q16.16` as a user runs it: `convert --number q16.16` and `train
//! --number q16.16 --load`, their per-tensor reports (text and JSON), the refusal of a value
//! beyond the range (exit 1, nothing written), `--saturate` (a usage error with a device
//! image), and an image of another number type.

mod common;

use common::{arg, fails, fixture, ok, scratch, stderr, stdout};
use serde_json::Value;
use skipgrad::{Params, Zeroed};
use skipgrad_harness::notebook::{WithShortcut, PREFIX};
use skipgrad_harness::safetensors;

/// Half a unit of Q16.16.
const HALF: f64 = 0.5 / 65536.0;

/// The notebook's weights with two values beyond Q16.16's range, as a safetensors file.
fn saturating_file(path: &std::path::Path) {
    let bytes = std::fs::read(fixture("notebook.safetensors")).expect("the fixture");
    let mut net = WithShortcut::<f32>::ZERO;
    safetensors::load(&mut net, &bytes, PREFIX).expect("loads");
    net.1 .0 .0.weight[0][2] = 40000.0;
    net.4 .0.bias[0] = -1e6;
    std::fs::write(path, safetensors::write(&net, PREFIX, &[])).expect("written");
}

#[test]
fn convert_quantises_the_notebook_with_a_report() {
    let dir = scratch("quantise-convert");
    let image = dir.join("nb-q16.skgi");
    let back = dir.join("back.safetensors");
    let st = fixture("notebook.safetensors");
    let out = ok(&[
        "convert",
        arg(&st),
        arg(&image),
        "--network",
        "notebook",
        "--number",
        "q16.16",
    ]);
    assert!(out.stdout.is_empty());
    let text = stderr(&out);
    assert!(
        text.contains("52 values into q16.16 (rounded to nearest, ties to even): 0 saturated, 0 flushed to zero"),
        "{text}"
    );
    assert!(text.contains("  layers.0.0.weight "), "{text}");
    assert_eq!(text.lines().count(), 2 + 1 + 10, "{text}");
    // Back to safetensors (F64, exact): every value within half a unit of PyTorch's.
    ok(&[
        "convert",
        arg(&image),
        arg(&back),
        "--network",
        "notebook",
        "--number",
        "q16.16",
    ]);
    let (mut a, mut b) = (WithShortcut::<f64>::ZERO, WithShortcut::<f64>::ZERO);
    safetensors::load(&mut a, &std::fs::read(&st).expect("read"), PREFIX).expect("loads");
    safetensors::load(&mut b, &std::fs::read(&back).expect("read"), PREFIX).expect("loads");
    let (mut fa, mut fb) = (vec![0.0; 52], vec![0.0; 52]);
    a.store_flat(&mut fa).expect("52");
    b.store_flat(&mut fb).expect("52");
    let worst = fa
        .iter()
        .zip(&fb)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max);
    assert!(worst <= HALF && worst > 0.0, "{worst}");
    // --json: one object on standard error.
    let out = ok(&[
        "convert",
        arg(&st),
        arg(&image),
        "--network",
        "notebook",
        "--number",
        "q16.16",
        "--json",
    ]);
    let v: Value = serde_json::from_str(&stderr(&out)).expect("one JSON object");
    assert_eq!(v["conversion"]["number"], "q16.16");
    assert_eq!(v["conversion"]["saturated"], 0);
    assert_eq!(
        v["conversion"]["tensors"].as_array().map(Vec::len),
        Some(10)
    );
    assert_eq!(v["conversion"]["tensors"][0]["name"], "layers.0.0.weight");
    assert_eq!(v["to"], "image");
}

#[test]
fn saturation_is_refused_unless_asked_for() {
    let dir = scratch("quantise-saturate");
    let file = dir.join("big.safetensors");
    saturating_file(&file);
    let image = dir.join("big.skgi");
    let args = [
        "convert",
        arg(&file),
        arg(&image),
        "--network",
        "notebook",
        "--number",
        "q16.16",
    ];
    fails(
        &args,
        1,
        "tensor `layers.1.0.weight`: element 2 is 40000, beyond the range of q16.16",
    );
    fails(
        &args,
        1,
        "`layers.1.0.weight` 1, `layers.4.0.bias` 1. --saturate",
    );
    assert!(!image.exists());
    let mut with = args.to_vec();
    with.push("--saturate");
    let text = stderr(&ok(&with));
    assert!(
        text.contains("2 saturated (clamped to the largest value of their sign)"),
        "{text}"
    );
    assert!(image.exists());
    // In f32 the same file loads exactly.
    let text = stderr(&ok(&[
        "convert",
        arg(&file),
        arg(&image),
        "--network",
        "notebook",
    ]));
    assert!(text.contains("52 values into f32, each exactly"), "{text}");
}

/// A device image converts back bit for bit: `--saturate` with one is a usage error, not
/// ignored, and an image of another number type says which `--number` to pass.
#[test]
fn image_inputs_refuse_saturate_and_name_their_number() {
    let dir = scratch("quantise-image-in");
    let image = dir.join("nb-q16.skgi");
    let back = dir.join("back.safetensors");
    let q16 = ["--network", "notebook", "--number", "q16.16"];
    let st = fixture("notebook.safetensors");
    ok(&[&["convert", arg(&st), arg(&image)][..], &q16[..]].concat());
    let out = fails(
        &[
            &["convert", arg(&image), arg(&back)][..],
            &q16[..],
            &["--saturate"],
        ]
        .concat(),
        2,
        "--saturate applies to a safetensors input; IN is a device image (SKGI)",
    );
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    assert!(!back.exists());
    // Without --number the notebook's network is f32: the message names the image's type.
    fails(
        &["convert", arg(&image), arg(&back), "--network", "notebook"],
        1,
        "image of q16.16 values, the model is f32 (pass --number q16.16)",
    );
    // With a --number that is not the image's, no hint: the flag was given.
    let out = fails(
        &[
            "convert",
            arg(&image),
            arg(&back),
            "--network",
            "notebook",
            "--number",
            "f64",
        ],
        1,
        "image of q16.16 values, the model is f64",
    );
    assert!(!stderr(&out).contains("pass --number"), "{}", stderr(&out));
    assert!(!back.exists());
    ok(&[&["convert", arg(&image), arg(&back)][..], &q16[..]].concat());
    assert!(back.exists());
}

/// `import` reads the notebook's file through the same conversion as `convert`: an `F64`
/// value beyond `f32`'s range gets the same message from both.
#[test]
fn import_refuses_a_value_beyond_f32_as_convert_does() {
    let dir = scratch("quantise-import-big");
    let bytes = std::fs::read(fixture("notebook-f64.safetensors")).expect("the fixture");
    let mut net = WithShortcut::<f64>::ZERO;
    safetensors::load(&mut net, &bytes, PREFIX).expect("loads");
    net.2 .0 .0.bias[1] = 1e300;
    let big = dir.join("big-f64.safetensors");
    std::fs::write(&big, safetensors::write(&net, PREFIX, &[])).expect("written");
    let message = "tensor `layers.2.0.bias`: element 1 is 1e300, beyond the range of f32 \
                   (largest 3.4028234663852886e38); 1 value(s) are, in 1 tensor(s): \
                   `layers.2.0.bias` 1.";
    fails(&["import", arg(&big)], 1, message);
    fails(
        &["convert", arg(&big), arg(&dir.join("big.skgi"))],
        1,
        message,
    );
    assert!(!dir.join("big.skgi").exists());
}

#[test]
fn train_loads_float_weights_into_q16_with_a_report() {
    let dir = scratch("quantise-train");
    let start = dir.join("start.safetensors");
    let saved = dir.join("trained.safetensors");
    let shape = ["train", "--depth", "2", "--width", "8", "--steps", "3"];
    // Float weights: train's own, saved in f32.
    ok(&[&shape[..], &["--save", arg(&start)]].concat());
    let q16 = [&shape[..], &["--number", "q16.16", "--load", arg(&start)]].concat();
    let text = stdout(&ok(&q16));
    assert!(
        text.contains("values into q16.16 (rounded to nearest"),
        "{text}"
    );
    assert!(text.contains("  0.0.weight "), "{text}");
    let json = [&q16[..], &["--json", "--save", arg(&saved)]].concat();
    let v: Value = serde_json::from_str(&stdout(&ok(&json))).expect("JSON");
    assert_eq!(v["load"]["number"], "q16.16");
    assert_eq!(v["load"]["saturated"], 0);
    assert!(v["load"]["max_error"].as_f64().is_some_and(|e| e <= HALF));
    assert!(saved.exists());
    // An f32 run of an F32 file: exact, one line.
    let f32_run = [&shape[..], &["--load", arg(&start)]].concat();
    assert!(stdout(&ok(&f32_run)).contains("values into f32, each exactly"));
    // --saturate needs --load.
    fails(&[&shape[..], &["--saturate"]].concat(), 2, "--load");
}

#[test]
fn train_refuses_saturating_weights_and_writes_nothing() {
    let dir = scratch("quantise-train-big");
    let big = dir.join("big.safetensors");
    let saved = dir.join("never.safetensors");
    let train = |extra: &[&str]| {
        let mut net: skipgrad_harness::model::network::BlockNet<f32, 1, 8, 2, 1> =
            Params::torch_init(&mut skipgrad::TorchInit::new(0));
        // Beyond the range, clamped with --saturate to -LARGEST: a first-layer unit (its
        // weight 0, so its input stays -LARGEST) that GELU turns off. A clamped head bias
        // would saturate the loss, which the trainer refuses.
        net.0 .0.weight[0][0] = 0.0;
        net.0 .0.bias[0] = -50000.0;
        std::fs::write(&big, safetensors::write(&net, "", &[])).expect("written");
        let mut args = vec![
            "train",
            "--depth",
            "2",
            "--width",
            "8",
            "--steps",
            "1",
            "--number",
            "q16.16",
            "--load",
            arg(&big),
            "--save",
            arg(&saved),
        ];
        args.extend_from_slice(extra);
        args.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let args = train(&[]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    fails(
        &args,
        1,
        "tensor `0.0.bias`: element 0 is -50000, beyond the range of q16.16",
    );
    assert!(!saved.exists());
    let args = train(&["--saturate", "--json"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let v: Value = serde_json::from_str(&stdout(&ok(&args))).expect("JSON");
    assert_eq!(v["load"]["saturated"], 1);
    assert_eq!(v["load"]["saturation"], "clamp");
}
