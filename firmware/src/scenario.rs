//! Running a device scenario: its report over semihosting, then its measurements, then its
//! exit status.
//!
//! After the report's end marker the runner prints `measure <key> 0x<word>` lines, which
//! `cargo xtask mcu` reads: `peak_stack` (bytes), `steps` and `step_ticks` (the timer ticks
//! of the scenario's timed steps, see [`timer`]), `calibration_ticks`, and for each other
//! thing the scenario timed (`Meter::stop_other`), `ticks_<key>` and `count_<key>`. The tick count
//! wraps at 2^24 ticks on Cortex-M, so a scenario times at most about 6.7e8 instructions.

use skipgrad_scenarios::{Meter, Scenario};

use crate::semihosting::{self, Console};
use crate::{hex, stack, timer};

/// At most this many other timings per scenario.
const OTHERS: usize = 2;

/// The device's meter: the timer read around the scenario's timed steps (and around up to
/// [`OTHERS`] other timed parts).
#[derive(Default)]
struct TimerMeter {
    start: u32,
    ticks: u32,
    steps: u32,
    other_start: u32,
    others: [Option<(&'static str, u32, u32)>; OTHERS],
}

impl Meter for TimerMeter {
    fn start(&mut self) {
        timer::start();
        self.start = timer::read();
    }

    fn stop(&mut self, steps: u32) {
        let end = timer::read();
        self.ticks = timer::elapsed(self.start, end);
        self.steps = steps;
    }

    fn start_other(&mut self) {
        timer::start();
        self.other_start = timer::read();
    }

    fn stop_other(&mut self, key: &'static str, count: u32) {
        let ticks = timer::elapsed(self.other_start, timer::read());
        if let Some(slot) = self.others.iter_mut().find(|s| s.is_none()) {
            *slot = Some((key, ticks, count));
        }
    }
}

/// Runs `scenario` on the device and exits with its status.
pub fn run(scenario: &Scenario) -> ! {
    stack::paint();
    let mut meter = TimerMeter::default();
    let ok = report(scenario, &mut meter);
    let peak = stack::peak_bytes();
    let calibration = timer::calibration_ticks();
    let words = [
        (&b"peak_stack"[..], peak),
        (b"steps", meter.steps),
        (b"step_ticks", meter.ticks),
        (b"calibration_ticks", calibration),
    ];
    for (label, word) in words {
        hex::print_prefixed(b"measure ", label, word);
    }
    for (key, ticks, count) in meter.others.iter().flatten() {
        hex::print_prefixed(b"measure ticks_", key.as_bytes(), *ticks);
        hex::print_prefixed(b"measure count_", key.as_bytes(), *count);
    }
    semihosting::exit(ok)
}

/// The scenario's report; its frame and everything it calls is what the stack measurement
/// sees.
#[inline(never)]
fn report(scenario: &Scenario, meter: &mut TimerMeter) -> bool {
    let mut console = Console::open();
    (scenario.run)(&mut console, meter).unwrap_or(false)
}
