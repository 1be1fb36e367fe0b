//! The implementations of the step, each behind [`Step`](crate::Step).

pub mod candle;
pub mod dfdx;
pub mod floor;
pub mod skipgrad;

use crate::config::Config;
use crate::problem::Problem;
use crate::Step;

/// Runs `$body` with `$w` and `$b` bound as consts to the configuration's width and batch.
#[macro_export]
macro_rules! with_sizes {
    ($config:expr, |$w:ident, $b:ident| $body:expr) => {
        match ($config.width, $config.batch) {
            (3, 1) => {
                const $w: usize = 3;
                const $b: usize = 1;
                $body
            }
            (64, 1) => {
                const $w: usize = 64;
                const $b: usize = 1;
                $body
            }
            (64, 32) => {
                const $w: usize = 64;
                const $b: usize = 32;
                $body
            }
            (256, 32) => {
                const $w: usize = 256;
                const $b: usize = 32;
                $body
            }
            (w, b) => panic!("no sizes {w} x {b}"),
        }
    };
}

/// An implementation: its name in the tables and how to build it for a problem.
pub struct Implementation {
    /// The name in tables and in criterion's output.
    pub name: &'static str,
    /// Whether it must give skipgrad's losses and weights bit for bit.
    pub bit_identical: bool,
    /// Builds it, ready to step.
    pub build: fn(&Problem) -> Box<dyn Step>,
}

/// The peers of the table, skipgrad first.
pub fn peers() -> Vec<Implementation> {
    vec![
        Implementation {
            name: "skipgrad",
            bit_identical: true,
            build: skipgrad::build,
        },
        Implementation {
            name: "floor",
            bit_identical: true,
            build: floor::build,
        },
        Implementation {
            name: "dfdx",
            bit_identical: false,
            build: dfdx::build,
        },
        Implementation {
            name: "candle",
            bit_identical: false,
            build: candle::build,
        },
    ]
}

/// Whether `config` is one of the sizes [`with_sizes!`] knows.
pub fn known(config: &Config) -> bool {
    crate::config::CONFIGS.contains(config)
}
