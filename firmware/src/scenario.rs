//! Running a device scenario: its report over semihosting, then its measurements, then its
//! exit status.
//!
//! After the report's end marker the runner prints `measure <key> 0x<word>` lines, which
//! `cargo xtask mcu` reads: `peak_stack` (bytes), `steps` and `step_ticks` (the timer ticks
//! of the scenario's timed steps, see [`timer`]), and `calibration_ticks`. The tick count
//! wraps at 2^24 ticks on Cortex-M, so a scenario times at most about 6.7e8 instructions.

use skipgrad_scenarios::{Meter, Scenario};

use crate::semihosting::{self, Console};
use crate::{hex, stack, timer};

/// The device's meter: the timer read around the scenario's timed steps.
#[derive(Default)]
struct TimerMeter {
    start: u32,
    ticks: u32,
    steps: u32,
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
    semihosting::exit(ok)
}

/// The scenario's report; its frame and everything it calls is what the stack measurement
/// sees.
#[inline(never)]
fn report(scenario: &Scenario, meter: &mut TimerMeter) -> bool {
    let mut console = Console::open();
    (scenario.run)(&mut console, meter).unwrap_or(false)
}
