//! Trains the default digits network (`skipgrad_digits::defaults::run`: 64-32-[32-32]-10
//! ReLU, Adam lr 1e-2, batches of 32, 30 epochs, seed 0) and draws the figure of
//! `skipgrad train --task digits --plot`: the loss of every step, the training and test
//! accuracy after every epoch, the test confusion matrix and the misclassified test digits.
//! The committed `docs/digits-train.svg` is this command's output:
//!
//! ```sh
//! cargo run --release -p skipgrad-harness --example digits_plot [-- docs/digits-train.svg]
//! ```

use std::path::PathBuf;

use skipgrad::{Buffers, Module as _, Zeroed as _};
use skipgrad_digits::metrics::{evaluate, predict};
use skipgrad_digits::train::{defaults, Observer};
use skipgrad_digits::{Digits, Domain, Net, Set};
use skipgrad_harness::atomic;
use skipgrad_harness::plot::{digits_report, DigitsReport, Misclassified};

/// Records every step's loss and both accuracies after every epoch.
struct Record<'a> {
    train: Set<'a>,
    test: Set<'a>,
    report: DigitsReport,
}

impl Observer<Net, f32> for Record<'_> {
    fn step(&mut self, _: u32, step: usize, loss: f32) {
        self.report.loss.push((step as f64, f64::from(loss)));
    }

    fn epoch(&mut self, epoch: u32, model: &Net) {
        let x = f64::from(epoch + 1);
        let train = evaluate(model, self.train, Domain::Original).accuracy();
        let test = evaluate(model, self.test, Domain::Original).accuracy();
        self.report.train_accuracy.push((x, train));
        self.report.test_accuracy.push((x, test));
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = match args.as_slice() {
        [] => PathBuf::from("docs/digits-train.svg"),
        [path] => PathBuf::from(path),
        _ => return Err("usage: digits_plot [FILE]".into()),
    };
    let digits = Digits::embedded()?;
    let mut net = Box::new(defaults::initial(defaults::SEED));
    let mut buffers = Box::new(Buffers::ZERO);
    let mut adam = Box::new(defaults::optimizer()?);
    let mut order = vec![0u16; digits.train().len()];
    let mut record = Record {
        train: digits.train(),
        test: digits.test(),
        report: DigitsReport::default(),
    };
    defaults::run(
        &mut net,
        &mut buffers,
        &mut adam,
        digits.train(),
        &mut order,
        &mut record,
    )?;
    let mut report = record.report;
    let confusion = evaluate(&*net, digits.test(), Domain::Original);
    report.confusion = *confusion.counts();
    for sample in digits.test().iter() {
        let predicted = predict(&net.infer(&sample.input::<f32>()));
        if predicted != sample.class() {
            report.misclassified.push(Misclassified {
                pixels: *sample.pixels,
                truth: sample.label,
                predicted: predicted as u8,
            });
        }
    }
    let title = format!(
        "Handwritten digits: 64-32-[32-32]-10 ReLU, Adam lr {}, batch {}, {} epochs",
        defaults::LEARNING_RATE,
        defaults::BATCH,
        defaults::EPOCHS
    );
    let svg = digits_report(&title, &report)?;
    atomic::write(&path, svg.as_bytes())?;
    println!(
        "test accuracy {:.4} ({} of {}), {} misclassified: wrote {}",
        confusion.accuracy(),
        confusion.correct(),
        confusion.total(),
        report.misclassified.len(),
        path.display()
    );
    Ok(())
}
