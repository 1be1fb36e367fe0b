//! The run: accuracy before, the adaptation step by step, accuracy after, the check against
//! the host.

use defmt::{error, info, warn};
use skipgrad::{Buffers, CrossEntropy, Module, Params, Trainer, Zeroed};
use skipgrad_digits::metrics::{self, predict, Confusion};
use skipgrad_digits::set::scale;
use skipgrad_digits::{Digits, Domain, PIXELS};
use skipgrad_scenarios::digits_adapt::{
    self, DOMAIN, HEAD_LEARNING_RATE, LOSS_WINDOW, STEPS, TIMED_STEPS, TRAINED,
};

use crate::board::Board;
use crate::host::{HOST, WINDOWS};
use crate::timing::StepTimes;

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Outcome {
    /// Test digits (each accuracy is a count of them).
    pub test: u32,
    /// Original test digits classified right before adaptation.
    pub unshifted: u32,
    /// Drifted test digits classified right before adaptation.
    pub before: u32,
    /// Drifted test digits classified right after adaptation.
    pub after: u32,
    /// Every step of the stream taken (none refused).
    pub adapted: bool,
    /// The goal of the scenario: the drifted accuracy after adaptation within
    /// [`RECOVERY_POINTS`](digits_adapt::RECOVERY_POINTS) of the original one.
    pub recovered: bool,
    /// Every figure checked against the host's report equal, bit for bit.
    pub identical: bool,
    /// Mean microseconds of the first [`TIMED_STEPS`] steps.
    pub step_us: f32,
}

impl Outcome {
    /// Nothing run: the data set in flash was refused.
    const REFUSED: Self = Self {
        test: 0,
        unshifted: 0,
        before: 0,
        after: 0,
        adapted: false,
        recovered: false,
        identical: false,
        step_us: 0.0,
    };

    /// The run adapted, met the goal and is the host's bit for bit.
    pub fn ok(&self) -> bool {
        self.adapted && self.recovered && self.identical
    }
}

/// Runs the story on `board` from the flashed network (every call starts afresh) and logs it.
pub fn run<B: Board>(board: &mut B) -> Outcome {
    let digits = match Digits::embedded() {
        Ok(digits) => digits,
        Err(e) => {
            error!("the data set in flash is refused: {}", e);
            return Outcome::REFUSED;
        }
    };
    let (stream, test) = (digits.train(), digits.test());
    let mut identical = true;
    let trained_hash = TRAINED.weights_hash();
    identical &= same("flashed weights hash", trained_hash, HOST.trained_hash);

    let mut model = digits_adapt::head_model();
    let unshifted = metrics::evaluate(&model, test, Domain::Original);
    let before = metrics::evaluate(&model, test, DOMAIN);
    identical &= same(
        "original digits right before",
        unshifted.correct(),
        HOST.correct_unshifted,
    );
    identical &= same(
        "drifted digits right before",
        before.correct(),
        HOST.correct_before,
    );
    info!(
        "before adaptation: {=f32}% of the original test digits right, {=f32}% of the drifted ones ({} digits)",
        percent(&unshifted),
        percent(&before),
        test.len()
    );

    board.ready();
    info!(
        "adapting: {} steps, one drifted training digit each, only the head trained (SGD, lr {=f64})",
        STEPS, HEAD_LEARNING_RATE
    );
    let Some(sgd) = digits_adapt::optimizer(HEAD_LEARNING_RATE) else {
        error!("SGD refused the learning rate");
        return Outcome::REFUSED;
    };
    let mut buffers = Buffers::ZERO;
    let mut trainer = Trainer::new(&mut model, &mut buffers, sgd, CrossEntropy);
    let mut sums = [0.0f32; WINDOWS];
    let mut times = StepTimes::NONE;
    let mut right = 0u32;
    let mut adapted = true;
    for position in 0..STEPS {
        let sample = position
            .checked_rem(stream.len())
            .and_then(|i| stream.get(i));
        if let Some(sample) = sample {
            let x: [f32; PIXELS] = scale(&DOMAIN.apply(sample.pixels));
            let digit = predict(&trainer.model().infer(&x));
            right += u32::from(digit == sample.class());
            board.predicted(position, digit, sample.class());
        }
        let (t0, m0) = (board.cycles(), board.micros());
        let step =
            digits_adapt::adapt_steps(&mut trainer, stream, position..position + 1, &mut sums);
        let cycles = board.cycles().wrapping_sub(t0);
        let micros = board.micros().zip(m0).map(|(m1, m0)| m1.wrapping_sub(m0));
        times.add(position, cycles, micros);
        if let Err(e) = step {
            error!("step {} refused: {}", position, e);
            adapted = false;
            break;
        }
        let end = position + 1;
        if end % LOSS_WINDOW == 0 || end == STEPS {
            let window = position / LOSS_WINDOW;
            let start = window * LOSS_WINDOW;
            let mean = sums.get(window).copied().unwrap_or(f32::NAN) / (end - start) as f32;
            let host = HOST.mean_loss_bits.get(window).copied().unwrap_or(0);
            identical &= mean.to_bits() == host;
            info!(
                "steps {}..{}: mean loss {=f32}{}, {} of {} predicted right before the step",
                start,
                end,
                mean,
                if mean.to_bits() == host {
                    " (the host's bits)"
                } else {
                    " (NOT the host's bits)"
                },
                right,
                end - start
            );
            right = 0;
        }
    }

    let (after, unshifted_after) = (
        metrics::evaluate(&model, test, DOMAIN),
        metrics::evaluate(&model, test, Domain::Original),
    );
    info!(
        "after adaptation: {=f32}% of the drifted test digits right (before: {=f32}%), {=f32}% of the original ones",
        percent(&after),
        percent(&before),
        percent(&unshifted_after)
    );
    identical &= same(
        "drifted digits right after",
        after.correct(),
        HOST.correct_after,
    );
    identical &= same(
        "original digits right after",
        unshifted_after.correct(),
        HOST.correct_unshifted_after,
    );
    identical &= same(
        "adapted weights hash",
        model.weights_hash(),
        HOST.weights_hash,
    );

    let clock = B::CLOCK_HZ;
    if !times.counted() {
        warn!("the cycle counter did not advance: the times below are not measured");
    }
    let step_us = times.first_mean_us(clock);
    let (mean, min, max) = times.all_us(clock);
    info!(
        "time per adaptation step: {=f32} us (mean of the first {} steps, {=f32} cycles at {} MHz); every step: mean {=f32} us, min {=f32} us, max {=f32} us",
        step_us,
        TIMED_STEPS.min(times.steps() as usize),
        times.first_mean_cycles(),
        clock / 1_000_000,
        mean,
        min,
        max
    );
    if let Some(timer) = times.total_timer_us() {
        info!(
            "the {} steps took {} us by the timer peripheral, {=f32} us by the cycle counter",
            times.steps(),
            timer,
            times.total_us(clock)
        );
    }

    let recovered = digits_adapt::recovered(unshifted.accuracy(), after.accuracy());
    if !recovered {
        warn!(
            "the goal is missed: the drifted accuracy is more than {=f64} points below the original",
            digits_adapt::RECOVERY_POINTS
        );
    }
    if identical {
        info!("bit-identical to the host's digits-adapt report (the run `cargo xtask mcu` checks under QEMU)");
    } else {
        error!("NOT bit-identical to the host's digits-adapt report");
    }
    Outcome {
        test: test.len() as u32,
        unshifted: unshifted.correct(),
        before: before.correct(),
        after: after.correct(),
        adapted,
        recovered,
        identical,
        step_us,
    }
}

/// Whether the board's `value` is the host's; logs the difference if not.
fn same(what: &str, value: u32, host: u32) -> bool {
    if value != host {
        error!(
            "{=str}: {=u32:#x} on the board, {=u32:#x} on the host",
            what, value, host
        );
    }
    value == host
}

/// The accuracy in percent.
fn percent(c: &Confusion) -> f32 {
    (c.accuracy() * 100.0) as f32
}
