//! The default run against PyTorch (`tools/digits_reference.py`,
//! `tests/fixtures/digits-reference.json`), and the committed host-trained image against the
//! default run: one training run serves both tests.

use std::sync::OnceLock;

use skipgrad::image::{self, Image};
use skipgrad::{Buffers, Zeroed as _};
use skipgrad_digits::train::{defaults, Observer, Summary};
use skipgrad_digits::{metrics, Confusion, Digits, Domain, Net};

/// First losses: relative error bound against PyTorch.
const LOSS_BOUND: f64 = 1e-5;
/// Test accuracy: at most this far from PyTorch's.
const ACCURACY_BOUND: f64 = 0.01;
/// The goal of the digits issue, for the default run.
const ACCURACY_GOAL: f64 = 0.97;
/// Steps whose losses the fixture holds.
const FIRST: usize = 10;

struct Run {
    net: Box<Net>,
    summary: Summary<f32>,
    first_losses: Vec<f32>,
    confusion: Confusion,
}

struct First(Vec<f32>);

impl Observer<Net, f32> for First {
    fn step(&mut self, _: u32, _: usize, loss: f32) {
        if self.0.len() < FIRST {
            self.0.push(loss);
        }
    }
}

/// The default run, once for the whole test binary.
fn run() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        let digits = Digits::embedded().expect("the committed data");
        let mut net = Box::new(defaults::initial(defaults::SEED));
        let mut buffers = Box::new(Buffers::ZERO);
        let mut adam = Box::new(defaults::optimizer().expect("the default learning rate"));
        let mut order = vec![0u16; digits.train().len()];
        let mut first = First(Vec::new());
        let summary = defaults::run(
            &mut net,
            &mut buffers,
            &mut adam,
            digits.train(),
            &mut order,
            &mut first,
        )
        .expect("the default run trains");
        let confusion = metrics::evaluate(&*net, digits.test(), Domain::Original);
        Run {
            net,
            summary,
            first_losses: first.0,
            confusion,
        }
    })
}

fn fixture() -> serde_json::Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/digits-reference.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("the fixture")).expect("JSON")
}

#[test]
fn the_default_run_matches_pytorch() {
    let f = fixture();
    // The fixture was made with today's defaults.
    assert_eq!(f["seed"].as_u64(), Some(defaults::SEED));
    assert_eq!(f["learning_rate"].as_f64(), Some(defaults::LEARNING_RATE));
    assert_eq!(f["batch"].as_u64(), Some(defaults::BATCH as u64));
    assert_eq!(f["epochs"].as_u64(), Some(u64::from(defaults::EPOCHS)));
    let run = run();
    assert_eq!(f["steps"].as_u64(), Some(run.summary.steps as u64));

    let theirs: Vec<f64> = f["first_losses"]
        .as_array()
        .expect("losses")
        .iter()
        .map(|v| v.as_f64().expect("a number"))
        .collect();
    assert_eq!((theirs.len(), run.first_losses.len()), (FIRST, FIRST));
    let worst = run
        .first_losses
        .iter()
        .zip(&theirs)
        .map(|(ours, theirs)| (f64::from(*ours) - theirs).abs() / theirs.abs())
        .fold(0.0, f64::max);
    let (ours, theirs) = (
        run.confusion.accuracy(),
        f["test_accuracy"].as_f64().expect("accuracy"),
    );
    eprintln!(
        "first {FIRST} losses: worst relative error {worst:.3e} (bound {LOSS_BOUND:e}); test \
         accuracy {ours:.4} (PyTorch {theirs:.4}, bound {ACCURACY_BOUND})\n{}",
        run.confusion
    );
    assert!(worst <= LOSS_BOUND, "{worst:e}");
    assert!(
        (ours - theirs).abs() <= ACCURACY_BOUND,
        "{ours} vs {theirs}"
    );
    assert!(ours >= ACCURACY_GOAL, "{ours}");
    assert_eq!(
        run.confusion.total() as usize,
        skipgrad_digits::TEST_SAMPLES
    );
    assert!(run.summary.last_loss.is_finite());
}

#[test]
fn the_committed_image_is_the_default_run() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/trained.skgi");
    let committed = std::fs::read(path).expect("digits/data/trained.skgi");
    let mut ours = vec![0u8; Image::<Net, f32>::SIZE];
    image::save(&*run().net, &mut ours).expect("saves");
    assert!(
        committed == ours,
        "digits/data/trained.skgi is not the default run's network: regenerate it with \
         `cargo run --release -p skipgrad-digits --example digits_train -- --save \
         digits/data/trained.skgi`"
    );
}
