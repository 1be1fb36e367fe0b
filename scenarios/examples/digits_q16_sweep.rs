//! How `digits-adapt-q16`'s learning rate and rounding were chosen: the head-only adaptation
//! in Q16.16 at several learning rates, with SGD's updates rounded to nearest and
//! stochastically, each beside the `f32` adaptation at the same rate, stepped in lockstep.
//!
//! ```sh
//! cargo run --release -p skipgrad-scenarios --example digits_q16_sweep
//! ```
//!
//! Columns: the drifted and the original test accuracy after adaptation (Q16.16, then
//! `f32`); the mean distance of the adapted head's weights from `f32`'s; and of the weight
//! updates that are not zero in `f32`, the share that is zero in Q16.16 (an update `lr * g`
//! below half a unit, 2^-17, which rounding to nearest always drops).

use skipgrad::{Buffers, CrossEntropy, Optimizer, Relu, Scalar, Sgd, Trainer, Zeroed, Q16};
use skipgrad_digits::metrics::evaluate;
use skipgrad_digits::network::{Head, HIDDEN};
use skipgrad_digits::{Digits, Domain, HeadTuned, CLASSES, PIXELS};
use skipgrad_scenarios::digits_adapt::{
    adapt_steps, head_model, head_model_q16, optimizer, DOMAIN, LOSS_WINDOW, Q16_ROUNDING_SEED,
    STEPS,
};

type Q16Head = HeadTuned<'static, Relu, Q16>;

/// One row: the Q16.16 run with `sgd` and the `f32` run at `lr`.
fn row<O: Optimizer<Q16, Q16Head>>(label: &str, lr: f64, sgd: O, digits: &Digits<'_>) {
    let (mut fixed, mut float) = (head_model_q16(), head_model());
    let mut fixed_buffers = Box::new(Buffers::<Q16Head, [Q16; PIXELS]>::ZERO);
    let mut float_buffers = Box::new(Buffers::<HeadTuned<'static>, [f32; PIXELS]>::ZERO);
    let mut q = Trainer::new(&mut fixed, &mut *fixed_buffers, sgd, CrossEntropy);
    let f32_sgd = optimizer(lr).expect("the rate");
    let mut f = Trainer::new(&mut float, &mut *float_buffers, f32_sgd, CrossEntropy);
    let windows = STEPS.div_ceil(LOSS_WINDOW);
    let (mut q_sums, mut f_sums) = (vec![Q16::ZERO; windows], vec![0.0f32; windows]);
    let (mut moved, mut dropped) = (0u64, 0u64);
    for position in 0..STEPS {
        let (q_before, f_before) = (q.model().2, f.model().2);
        adapt_steps(&mut q, digits.train(), position..position + 1, &mut q_sums)
            .expect("a Q16 step");
        adapt_steps(&mut f, digits.train(), position..position + 1, &mut f_sums)
            .expect("an f32 step");
        let pairs = weights(&q.model().2).zip(weights(&q_before));
        for ((qa, qb), (fa, fb)) in pairs.zip(weights(&f.model().2).zip(weights(&f_before))) {
            if fa != fb {
                moved += 1;
                dropped += u64::from(qa == qb);
            }
        }
    }
    let distance = weights(&q.model().2)
        .zip(weights(&f.model().2))
        .map(|(a, b)| (a - b).abs())
        .sum::<f64>()
        / (HIDDEN * CLASSES) as f64;
    let accuracy = |drifted: f64, original: f64| format!("{drifted:.4} / {original:.4}");
    println!(
        "| {label} | {lr} | {} | {} | {distance:.2e} | {:.1}% |",
        accuracy(
            evaluate(q.model(), digits.test(), DOMAIN).accuracy(),
            evaluate(q.model(), digits.test(), Domain::Original).accuracy()
        ),
        accuracy(
            evaluate(f.model(), digits.test(), DOMAIN).accuracy(),
            evaluate(f.model(), digits.test(), Domain::Original).accuracy()
        ),
        100.0 * dropped as f64 / moved as f64
    );
}

/// The head's weights, as `f64`.
fn weights<T: Scalar>(head: &Head<T>) -> impl Iterator<Item = f64> + '_ {
    head.weight.iter().flatten().map(|w| w.to_f64())
}

fn main() {
    let digits = Digits::embedded().expect("the data");
    println!(
        "| rounding | lr | Q16.16 after: drifted / original | f32 after | head weights from f32 (mean) \
         | updates dropped |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for lr in [0.002, 0.005, 0.01] {
        let sgd = Sgd::<Q16>::new(lr).expect("the rate");
        row("nearest", lr, sgd, &digits);
        let seed = Q16_ROUNDING_SEED;
        row(
            &format!("stochastic (seed {seed})"),
            lr,
            sgd.with_stochastic_rounding(seed),
            &digits,
        );
    }
}
