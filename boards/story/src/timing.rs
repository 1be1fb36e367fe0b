//! Time per adaptation step, from the board's cycle counter, in microseconds.
//!
//! `cargo xtask mcu` reports the mean instructions of the scenario's first
//! [`TIMED_STEPS`] steps under QEMU; [`StepTimes::first_mean_us`] is the same mean on the
//! board, in time, ready to compare with the README's estimate from those instructions and the
//! board's clock.

use skipgrad_scenarios::digits_adapt::TIMED_STEPS;

/// Cycles of the steps taken so far (and the timer peripheral's microseconds, where the board
/// has one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StepTimes {
    first: u64,
    all: u64,
    min: u32,
    max: u32,
    steps: u32,
    micros: Option<u64>,
}

impl Default for StepTimes {
    fn default() -> Self {
        Self::NONE
    }
}

impl StepTimes {
    /// No step timed.
    pub const NONE: Self = Self {
        first: 0,
        all: 0,
        min: u32::MAX,
        max: 0,
        steps: 0,
        micros: Some(0),
    };

    /// Adds step `position`, which took `cycles`, and `micros` by the timer peripheral (`None`
    /// for a board without one: then no total is kept).
    pub fn add(&mut self, position: usize, cycles: u32, micros: Option<u64>) {
        if position < TIMED_STEPS {
            self.first += u64::from(cycles);
        }
        self.all += u64::from(cycles);
        self.min = self.min.min(cycles);
        self.max = self.max.max(cycles);
        self.steps += 1;
        self.micros = self.micros.zip(micros).map(|(a, b)| a + b);
    }

    /// Whether the cycle counter advanced at all over the steps (a core without one, or a
    /// counter left off, reads the same value every time).
    pub fn counted(&self) -> bool {
        self.all > 0
    }

    /// Steps timed.
    pub fn steps(&self) -> u32 {
        self.steps
    }

    /// Mean cycles of the first [`TIMED_STEPS`] steps (those `cargo xtask mcu` counts
    /// instructions of).
    pub fn first_mean_cycles(&self) -> f32 {
        self.first as f32 / self.steps.min(TIMED_STEPS as u32).max(1) as f32
    }

    /// [`first_mean_cycles`](Self::first_mean_cycles) in microseconds at `clock_hz`.
    pub fn first_mean_us(&self, clock_hz: u32) -> f32 {
        us(self.first_mean_cycles(), clock_hz)
    }

    /// Mean, fewest and most cycles of a step, over every step, in microseconds at
    /// `clock_hz`.
    pub fn all_us(&self, clock_hz: u32) -> (f32, f32, f32) {
        let mean = self.all as f32 / self.steps.max(1) as f32;
        let min = if self.steps == 0 { 0 } else { self.min };
        (
            us(mean, clock_hz),
            us(min as f32, clock_hz),
            us(self.max as f32, clock_hz),
        )
    }

    /// Every step's cycles added up, in microseconds at `clock_hz`.
    pub fn total_us(&self, clock_hz: u32) -> f32 {
        us(self.all as f32, clock_hz)
    }

    /// Every step's microseconds by the timer peripheral, added up (`None` without one).
    pub fn total_timer_us(&self) -> Option<u64> {
        self.micros.filter(|_| self.steps > 0)
    }
}

/// `cycles` at `clock_hz`, in microseconds.
fn us(cycles: f32, clock_hz: u32) -> f32 {
    cycles * 1e6 / clock_hz as f32
}
