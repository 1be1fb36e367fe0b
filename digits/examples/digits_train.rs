//! Trains the default digits network with the default hyperparameters and prints the test
//! accuracy, the confusion matrix, the first losses and the wall time of the whole run;
//! `--save FILE` writes the trained network's device image (the committed
//! `digits/data/trained.skgi` is this command's output).
//!
//! ```sh
//! cargo run --release -p skipgrad-digits --example digits_train [-- --save digits/data/trained.skgi]
//! ```

use std::time::Instant;

use skipgrad::image::{self, Image};
use skipgrad::{Buffers, Zeroed as _};
use skipgrad_digits::train::{defaults, Observer};
use skipgrad_digits::{metrics, Digits, Domain, Net};

/// Records every step's loss.
struct Losses(Vec<f32>);

impl Observer<Net, f32> for Losses {
    fn step(&mut self, _: u32, _: usize, loss: f32) {
        self.0.push(loss);
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let save = match args.as_slice() {
        [] => None,
        [flag, path] if flag == "--save" => Some(path.clone()),
        _ => return Err("usage: digits_train [--save FILE]".into()),
    };
    let start = Instant::now();
    let digits = Digits::embedded()?;
    let mut net = Box::new(defaults::initial(defaults::SEED));
    let mut buffers = Box::new(Buffers::ZERO);
    let mut adam = Box::new(defaults::optimizer()?);
    let mut order = vec![0u16; digits.train().len()];
    let mut losses = Losses(Vec::new());
    let summary = defaults::run(
        &mut net,
        &mut buffers,
        &mut adam,
        digits.train(),
        &mut order,
        &mut losses,
    )?;
    let trained = Instant::now();
    let confusion = metrics::evaluate(&*net, digits.test(), Domain::Original);
    let total = start.elapsed();
    println!(
        "{} steps ({} epochs of {}), lr {}, seed {}: last batch loss {}",
        summary.steps,
        defaults::EPOCHS,
        defaults::BATCH,
        defaults::LEARNING_RATE,
        defaults::SEED,
        summary.last_loss
    );
    println!("first losses: {:?}", &losses.0[..10.min(losses.0.len())]);
    println!(
        "test accuracy {:.4} ({} of {})",
        confusion.accuracy(),
        confusion.correct(),
        confusion.total()
    );
    print!("{confusion}");
    println!(
        "training {:.3} s, whole run {:.3} s",
        (trained - start).as_secs_f64(),
        total.as_secs_f64()
    );
    if let Some(path) = save {
        let mut bytes = vec![0u8; Image::<Net, f32>::SIZE];
        image::save(&*net, &mut bytes).map_err(|e| format!("{e}"))?;
        std::fs::write(&path, &bytes)?;
        println!("wrote {path} ({} bytes)", bytes.len());
    }
    Ok(())
}
