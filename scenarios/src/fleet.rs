//! `fleet-client`: one round of federated learning on a device (`fleet/`, the Flower fleet).
//!
//! The device receives the fleet's global model as a [device image](skipgrad::params::image)
//! and its own partition of the digits (a [`Digits`] file: its training samples, and a test
//! set), trains the default network ([`Net`]) on the partition exactly as
//! `skipgrad train --task digits --data PARTITION --load GLOBAL` does on the host (Adam with the
//! round's learning rate, [`defaults::BATCH`] samples a batch, the round's epochs and batch-order
//! seed, through [`train::train`]), and returns the trained network as an image, printed in
//! hex (`image <offset> <hex>` lines, as `digits-adapt` prints it).
//!
//! The firmware (`firmware/src/bin/fleet-client.rs`) reads the job from its semihosting
//! command line ([`Job::parse`]: `fleet-client GLOBAL PARTITION EPOCHS SEED LR`) and the two
//! files through semihosting, so one binary serves every round: nothing is rebuilt per round.
//! The host runs the same [`run`] (`cargo xtask mcu` compares the two bit for bit).
//!
//! The report, between `skipgrad-fleet-client begin` and `end`:
//!
//! ```text
//! job <epochs> <seed> <lr>           the job as parsed
//! global_hash 0x...                  weights_hash of the global model received
//! samples 0x...                      training samples in the partition
//! steps 0x...                        training steps taken
//! last_loss <decimal> 0x<bits>       the loss of the last batch, before its update
//! correct_test 0x...                 test samples classified right after training
//! weights_hash 0x...                 weights_hash of the trained model
//! image <offset> <hex>               the trained model's image, 32 bytes a line
//! image_written true
//! ```
//!
//! A job that cannot run prints `refused <reason>` instead and fails (the firmware exits with
//! status 1): a malformed command line, an image that does not load (every check of
//! [`image::load`]), a partition that does not parse (every check of [`Digits::parse`]), more
//! training samples than [`MAX_TRAIN`], or a refused training step.

use core::fmt::{self, Write};

use skipgrad::params::image;
use skipgrad::{Adam, Buffers, CrossEntropy, Params, Trainer, Zeroed};
use skipgrad_digits::metrics;
use skipgrad_digits::train::{self, defaults, Schedule};
use skipgrad_digits::{Digits, Domain, Net, PIXELS};

use crate::digits_adapt::write_image;
use crate::report::Report;

/// The report's name (and the firmware binary's).
pub const NAME: &str = "fleet-client";
/// The most training samples a partition may hold on the device (the order buffer's length).
pub const MAX_TRAIN: usize = 2048;
/// The most test samples a partition may hold on the device.
pub const MAX_TEST: usize = 512;
/// The largest partition file the device reads: [`MAX_TRAIN`] and [`MAX_TEST`] samples.
pub const MAX_PARTITION_BYTES: usize = skipgrad_digits::file::HEADER_BYTES
    + (MAX_TRAIN + MAX_TEST) * skipgrad_digits::file::SAMPLE_BYTES
    + skipgrad_digits::file::CHECKSUM_BYTES;
/// Bytes of the global model's image (and of the returned one).
pub const IMAGE_BYTES: usize = crate::digits_adapt::IMAGE_BYTES;
/// The longest command line the device reads.
pub const MAX_CMDLINE: usize = 512;

/// One round's job, from the command line `fleet-client GLOBAL PARTITION EPOCHS SEED LR`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Job<'a> {
    /// The global model's image file.
    pub global: &'a str,
    /// The partition file.
    pub partition: &'a str,
    /// Passes over the partition's training samples (at least 1).
    pub epochs: u32,
    /// Seeds the batch order.
    pub seed: u64,
    /// Adam's learning rate.
    pub lr: f64,
}

/// Why a command line was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum JobError {
    /// Not the program and five words.
    Words {
        /// The words found (the program included).
        found: usize,
    },
    /// A number that does not parse, or epochs of 0.
    Number {
        /// Which (`epochs`, `seed`, `lr`).
        what: &'static str,
    },
}

impl fmt::Display for JobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Words { found } => write!(
                f,
                "the command line has {found} words; expected `fleet-client GLOBAL PARTITION \
                 EPOCHS SEED LR`"
            ),
            Self::Number { what } => write!(
                f,
                "{what} is not a number the device takes (epochs: 1 or more; seed: 0 to \
                 2^64 - 1; lr: a decimal number)"
            ),
        }
    }
}

impl<'a> Job<'a> {
    /// Parses `fleet-client GLOBAL PARTITION EPOCHS SEED LR` (words separated by spaces; file
    /// names without spaces).
    pub fn parse(cmdline: &'a str) -> Result<Self, JobError> {
        let mut words = cmdline.split_ascii_whitespace();
        let found = cmdline.split_ascii_whitespace().count();
        let (Some(_), Some(global), Some(partition), Some(epochs), Some(seed), Some(lr), None) = (
            words.next(),
            words.next(),
            words.next(),
            words.next(),
            words.next(),
            words.next(),
            words.next(),
        ) else {
            return Err(JobError::Words { found });
        };
        let number = |what| JobError::Number { what };
        Ok(Self {
            global,
            partition,
            epochs: epochs
                .parse()
                .ok()
                .filter(|e| *e > 0)
                .ok_or(number("epochs"))?,
            seed: seed.parse().map_err(|_| number("seed"))?,
            lr: lr.parse().map_err(|_| number("lr"))?,
        })
    }
}

/// Runs `job` on the contents of its two files and writes the report to `out`; `Ok(true)`
/// when the round trained and its image was written (the firmware's exit status).
///
/// Needs about 64 KB of stack besides the caller's buffers: the model, its gradients and
/// caches, Adam's two moments and the order buffer.
pub fn run(
    out: &mut dyn Write,
    job: &Job<'_>,
    global: &[u8],
    partition: &[u8],
) -> Result<bool, fmt::Error> {
    let mut report = Report::begin(out, NAME)?;
    report.line(format_args!("job {} {} {}", job.epochs, job.seed, job.lr))?;
    let ok = match round(&mut report, job, global, partition) {
        Ok(()) => true,
        Err(refusal) => {
            report.line(format_args!("refused {refusal}"))?;
            false
        }
    };
    report.end()?;
    Ok(ok)
}

/// The report of a job refused before it could run (a command line or a file the device
/// could not read): the markers and one `refused <reason>` line.
pub fn refuse(out: &mut dyn Write, reason: fmt::Arguments<'_>) -> fmt::Result {
    let mut report = Report::begin(out, NAME)?;
    report.line(format_args!("refused {reason}"))?;
    report.end()
}

/// Why a round did not run (or its report could not be written).
enum Refusal {
    Image(image::ImageError),
    Data(skipgrad_digits::FileError),
    TooMany { train: usize, test: usize },
    Hyper(skipgrad::HyperError),
    Train(train::TrainError),
    Output,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Image(e) => write!(f, "the global model: {e}"),
            Self::Data(e) => write!(f, "the partition: {e}"),
            Self::TooMany { train, test } => write!(
                f,
                "the partition has {train} training and {test} test samples; the device takes \
                 at most {MAX_TRAIN} and {MAX_TEST}"
            ),
            Self::Hyper(e) => write!(f, "the learning rate: {e}"),
            Self::Train(e) => write!(f, "training: {e}"),
            Self::Output => write!(f, "the report could not be written"),
        }
    }
}

impl From<fmt::Error> for Refusal {
    fn from(_: fmt::Error) -> Self {
        Self::Output
    }
}

/// The round itself: load, train, evaluate, return.
fn round(
    report: &mut Report<'_>,
    job: &Job<'_>,
    global: &[u8],
    partition: &[u8],
) -> Result<(), Refusal> {
    let mut net = Net::ZERO;
    image::load(&mut net, global).map_err(Refusal::Image)?;
    report.word("global_hash", net.weights_hash().into())?;
    let digits = Digits::parse(partition).map_err(Refusal::Data)?;
    let (set, test) = (digits.train(), digits.test());
    if set.len() > MAX_TRAIN || test.len() > MAX_TEST {
        return Err(Refusal::TooMany {
            train: set.len(),
            test: test.len(),
        });
    }
    report.word("samples", set.len() as u64)?;
    let mut adam: defaults::Optimizer = Adam::new().with_lr(job.lr).map_err(Refusal::Hyper)?;
    let mut buffers = Buffers::<Net, [f32; PIXELS]>::ZERO;
    let mut order = [0u16; MAX_TRAIN];
    let schedule = Schedule::<{ defaults::BATCH }> {
        epochs: job.epochs,
        seed: job.seed,
    };
    let mut trainer = Trainer::new(&mut net, &mut buffers, &mut adam, CrossEntropy);
    let summary =
        train::train(&mut trainer, set, schedule, &mut order, &mut ()).map_err(Refusal::Train)?;
    report.word("steps", summary.steps as u64)?;
    report.value("last_loss", summary.last_loss)?;
    let correct = metrics::evaluate(&net, test, Domain::Original).correct();
    report.word("correct_test", correct.into())?;
    report.word("weights_hash", net.weights_hash().into())?;
    let written = write_image(report, &net).is_ok();
    report.line(format_args!("image_written {written}"))?;
    if written {
        Ok(())
    } else {
        Err(Refusal::Output)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines() {
        let job = Job::parse("fleet-client g.skgi p.skgd 8 3 0.0123").unwrap();
        assert_eq!(
            job,
            Job {
                global: "g.skgi",
                partition: "p.skgd",
                epochs: 8,
                seed: 3,
                lr: 0.0123
            }
        );
        for (line, err) in [
            ("fleet-client g p 8 3", JobError::Words { found: 5 }),
            ("fleet-client g p 8 3 0.1 x", JobError::Words { found: 7 }),
            ("", JobError::Words { found: 0 }),
            ("f g p 0 3 0.1", JobError::Number { what: "epochs" }),
            ("f g p -1 3 0.1", JobError::Number { what: "epochs" }),
            ("f g p 1 x 0.1", JobError::Number { what: "seed" }),
            ("f g p 1 3 lr", JobError::Number { what: "lr" }),
        ] {
            assert_eq!(Job::parse(line), Err(err), "{line}");
        }
    }
}
