//! The digits story on a BBC micro:bit v2 (nRF52833, Cortex-M4F at 64 MHz).
//!
//! The LED matrix shows an arrow to button A. Press it: the host-trained network in flash
//! adapts to a drifted sensor, one step per digit of the stream, and the matrix shows the
//! digit it predicts for the sample it is about to learn from (every [`SHOW_EVERY`]th
//! sample, for [`SHOW_MS`] ms; the four corners light up when that prediction is wrong).
//! At the end it shows a tick when the run met its goal and is the host's bit for bit, a
//! cross otherwise; button A runs it again from the flashed network. The defmt log over
//! RTT shows the accuracy rise and the time per adaptation step (the DWT's cycle counter,
//! checked against the TIMER1 peripheral's microseconds).
//!
//! `cargo run --release` in this directory flashes it through the board's own debug probe
//! (see `README.md`).
#![no_std]
#![no_main]

mod font;

use cortex_m::peripheral::DWT;
use defmt::{info, unwrap};
use defmt_rtt as _;
use embedded_hal::digital::InputPin;
use microbit::display::blocking::Display;
use microbit::gpio::BTN_A;
use microbit::hal::{self, pac};
use panic_probe as _;
use skipgrad_board_story::Board;

/// Every this many steps the matrix shows the prediction for the next sample.
const SHOW_EVERY: usize = 10;
/// For this long (the steps in between run at full speed).
const SHOW_MS: u32 = 150;
/// How long the matrix shows an image between two looks at button A.
const POLL_MS: u32 = 30;

/// The micro:bit for the story.
struct MicrobitV2 {
    display: Display,
    /// Paces the display's row scanning.
    delay: hal::Timer<pac::TIMER0>,
    /// Free-running at 1 MHz from `ready`: the check of the cycle counter.
    clock: hal::Timer<pac::TIMER1>,
    button_a: BTN_A,
    /// What the matrix shows while waiting for button A.
    waiting: font::Image,
}

impl MicrobitV2 {
    /// Shows `image` until button A is pressed and released.
    fn until_button_a(&mut self, image: font::Image) {
        while !self.button_a.is_low().unwrap_or(false) {
            self.display.show(&mut self.delay, image, POLL_MS);
        }
        while self.button_a.is_low().unwrap_or(false) {
            self.display.show(&mut self.delay, image, POLL_MS);
        }
        self.display.clear();
    }
}

impl Board for MicrobitV2 {
    // The nRF52833's CPU always runs at 64 MHz.
    const CLOCK_HZ: u32 = 64_000_000;

    fn cycles(&mut self) -> u32 {
        DWT::cycle_count()
    }

    fn micros(&mut self) -> Option<u64> {
        Some(u64::from(self.clock.read()))
    }

    fn ready(&mut self) {
        info!("press button A to adapt");
        self.until_button_a(self.waiting);
        // 1 MHz, 32 bits: it wraps after 71 minutes, far beyond a run.
        self.clock.start(u32::MAX);
    }

    fn predicted(&mut self, position: usize, digit: usize, label: usize) {
        if position % SHOW_EVERY == 0 {
            if let Some(image) = font::digit(digit, digit != label) {
                self.display.show(&mut self.delay, image, SHOW_MS);
            }
        }
    }
}

#[cortex_m_rt::entry]
fn main() -> ! {
    let board = unwrap!(microbit::Board::take());
    // The crystal, for timers as accurate as the cycle counter (the CPU runs at 64 MHz on
    // either oscillator).
    let _clocks = hal::Clocks::new(board.CLOCK).enable_ext_hfosc();
    // Code and the flashed network are read through the flash's instruction cache, off at
    // reset.
    board.NVMC.icachecnf.write(|w| w.cacheen().enabled());
    let (mut dcb, mut dwt) = (board.DCB, board.DWT);
    dcb.enable_trace();
    dwt.enable_cycle_counter();
    info!("skipgrad on a BBC micro:bit v2: nRF52833, Cortex-M4F at 64 MHz");

    let mut microbit = MicrobitV2 {
        display: Display::new(board.display_pins),
        delay: hal::Timer::new(board.TIMER0),
        clock: hal::Timer::new(board.TIMER1),
        button_a: board.buttons.button_a,
        waiting: font::PRESS_A,
    };
    loop {
        let outcome = skipgrad_board_story::run(&mut microbit);
        info!(
            "done: {} -> {} of {} drifted test digits right, {=f32} us per adaptation step; button A runs it again",
            outcome.before, outcome.after, outcome.test, outcome.step_us
        );
        microbit.waiting = if outcome.ok() {
            font::TICK
        } else {
            font::CROSS
        };
    }
}
