//! How far the committed host-trained network falls in each candidate domain of the device,
//! and how far adapting on the device's stream brings it back: the measurement behind
//! `Domain::DEVICE` (README, "Handwritten digits").
//!
//! For each domain: the test accuracy of `digits/data/trained.skgi` on the test digits seen
//! in that domain, then after one pass over the training digits seen in it (1,347 SGD steps
//! of one sample, lr 0.005) with only the head trained, and with every layer trained (lr
//! 0.002), as the `digits-adapt` scenarios do.
//!
//! ```sh
//! cargo run --release -p skipgrad-digits --example digits_domains
//! ```

use skipgrad::{image, Buffers, CrossEntropy, Module, Params, Sgd, Trainer, Zeroed};
use skipgrad_digits::adapt::adapt;
use skipgrad_digits::metrics::evaluate;
use skipgrad_digits::network::head_tuned;
use skipgrad_digits::{Digits, Domain, Net, PIXELS};

/// The adaptation of the `digits-adapt` scenarios: one pass, one sample per SGD step.
fn adapted<M>(model: &mut M, lr: f64, digits: &Digits<'_>, domain: Domain) -> f64
where
    M: Module<[f32; PIXELS], Output = [f32; 10]> + Params<f32>,
{
    let mut buffers = Box::new(Buffers::<M, [f32; PIXELS]>::ZERO);
    let Ok(sgd) = Sgd::new(lr) else {
        return f64::NAN;
    };
    let mut trainer = Trainer::new(model, &mut *buffers, sgd, CrossEntropy);
    let train = digits.train();
    if adapt(&mut trainer, train, domain, 0..train.len(), |_, _| {}).is_err() {
        return f64::NAN;
    }
    evaluate(trainer.model(), digits.test(), domain).accuracy()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let digits = Digits::embedded()?;
    let bytes = include_bytes!("../data/trained.skgi");
    let mut net: Box<Net> = Box::new(Zeroed::ZERO);
    image::load(&mut *net, bytes).map_err(|e| e.to_string())?;
    println!("| domain | before | head trained | every layer trained |");
    println!("|---|---:|---:|---:|");
    let domains = [
        ("original", Domain::Original),
        ("offset +2", Domain::Offset(2)),
        ("offset +4 (the device's)", Domain::DEVICE),
        ("offset +6", Domain::Offset(6)),
        ("1 pixel right", Domain::Translate { right: 1, down: 0 }),
        ("1 pixel down", Domain::Translate { right: 0, down: 1 }),
    ];
    for (name, domain) in domains {
        let before = evaluate(&*net, digits.test(), domain).accuracy();
        let head = adapted(&mut head_tuned(&net), 0.005, &digits, domain);
        let full = adapted(&mut *net.clone(), 0.002, &digits, domain);
        println!(
            "| {name} | {:.1}% | {:.1}% | {:.1}% |",
            before * 100.0,
            head * 100.0,
            full * 100.0
        );
    }
    Ok(())
}
