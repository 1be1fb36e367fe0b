//! Stands in for `skipgrad train --task digits` where the harness does not have it yet: the
//! flags the fleet uses, the same training code ([`train::train`] with Adam at `--lr`, batches
//! of 32, `--epochs` epochs in an order seeded with `--seed`), safetensors in and out with the
//! harness's tensor names, and `--json`'s `"test_accuracy"` and `"confusion"`.
//!
//! ```sh
//! cargo build --release -p skipgrad-digits --example train_stand_in
//! SKIPGRAD=target/release/examples/train_stand_in fleet/run.sh
//! ```

use std::collections::BTreeMap;

use skipgrad::{Adam, Buffers, CrossEntropy, Params, Trainer, Zeroed as _};
use skipgrad_digits::train::{self, defaults, Schedule};
use skipgrad_digits::{metrics, Digits, Domain, Net};

/// Tensor names and shapes in registration order (the harness's names).
const TENSORS: [(&str, &[usize]); 6] = [
    ("0.0.weight", &[32, 64]),
    ("0.0.bias", &[32]),
    ("1.0.0.weight", &[32, 32]),
    ("1.0.0.bias", &[32]),
    ("2.weight", &[10, 32]),
    ("2.bias", &[10]),
];

fn load(path: &str) -> Result<Vec<f32>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    let n = u64::from_le_bytes(bytes.get(..8).ok_or("too short")?.try_into().unwrap()) as usize;
    let header: BTreeMap<String, serde_json::Value> =
        serde_json::from_slice(bytes.get(8..8 + n).ok_or("header past the end")?)
            .map_err(|e| format!("{path}: {e}"))?;
    let data = &bytes[8 + n..];
    let mut flat = Vec::new();
    for (name, shape) in TENSORS {
        let t = header
            .get(name)
            .ok_or(format!("{path}: no tensor {name}"))?;
        let offsets = &t["data_offsets"];
        let (a, b) = (
            offsets[0].as_u64().unwrap_or(0) as usize,
            offsets[1].as_u64().unwrap_or(0) as usize,
        );
        let want: Vec<serde_json::Value> = shape.iter().map(|&s| s.into()).collect();
        if t["dtype"] != "F32"
            || t["shape"] != serde_json::Value::from(want)
            || b - a != 4 * shape.iter().product::<usize>()
        {
            return Err(format!("{path}: {name} is not F32 of shape {shape:?}"));
        }
        let raw = data
            .get(a..b)
            .ok_or(format!("{path}: {name} past the end"))?;
        flat.extend(
            raw.chunks_exact(4)
                .map(|c| f32::from_le_bytes(c.try_into().unwrap())),
        );
    }
    Ok(flat)
}

fn save(path: &str, flat: &[f32]) -> Result<(), String> {
    let (mut header, mut data, mut at) = (serde_json::Map::new(), Vec::new(), 0usize);
    for (name, shape) in TENSORS {
        let n: usize = shape.iter().product();
        header.insert(
            name.into(),
            serde_json::json!({"dtype": "F32", "shape": shape, "data_offsets": [4 * at, 4 * (at + n)]}),
        );
        flat[at..at + n]
            .iter()
            .for_each(|v| data.extend(v.to_le_bytes()));
        at += n;
    }
    let mut text = serde_json::to_vec(&header).map_err(|e| e.to_string())?;
    text.resize(text.len().div_ceil(8) * 8, b' ');
    let mut out = (text.len() as u64).to_le_bytes().to_vec();
    out.extend(text);
    out.extend(data);
    std::fs::write(path, out).map_err(|e| format!("{path}: {e}"))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help") {
        println!("train_stand_in train --task digits --data FILE --load IN --save OUT --epochs N --lr X --seed S --json");
        return Ok(());
    }
    let flag = |name: &str| -> Result<&str, String> {
        let i = args
            .iter()
            .position(|a| a == name)
            .ok_or(format!("{name} is needed"))?;
        args.get(i + 1)
            .map(String::as_str)
            .ok_or(format!("{name} needs a value"))
    };
    if args.first().map(String::as_str) != Some("train") || flag("--task")? != "digits" {
        return Err("usage: train --task digits ...".into());
    }
    let bytes = std::fs::read(flag("--data")?)?;
    let digits = Digits::parse(&bytes)?;
    let mut net: Box<Net> = Box::new(defaults::initial(defaults::SEED));
    net.load_flat(&load(flag("--load")?)?)
        .map_err(|e| format!("{e:?}"))?;
    let mut buffers = Box::new(Buffers::ZERO);
    let mut adam: Box<defaults::Optimizer> = Box::new(Adam::new().with_lr(flag("--lr")?.parse()?)?);
    let schedule = Schedule::<{ defaults::BATCH }> {
        epochs: flag("--epochs")?.parse()?,
        seed: flag("--seed")?.parse()?,
    };
    let mut order = vec![0u16; digits.train().len()];
    let mut trainer = Trainer::new(&mut *net, &mut *buffers, &mut *adam, CrossEntropy);
    train::train(&mut trainer, digits.train(), schedule, &mut order, &mut ())?;
    let mut flat = vec![0f32; <Net as Params<f32>>::LEN];
    net.store_flat(&mut flat).map_err(|e| format!("{e:?}"))?;
    save(flag("--save")?, &flat)?;
    let confusion = metrics::evaluate(&*net, digits.test(), Domain::Original);
    let rows: Vec<Vec<u32>> = confusion.counts().iter().map(|r| r.to_vec()).collect();
    println!(
        "{}",
        serde_json::json!({"test_accuracy": confusion.accuracy(), "confusion": rows})
    );
    Ok(())
}
