//! The digits story on a Raspberry Pi Pico 2 (RP2350, Cortex-M33 at 150 MHz): the host-trained
//! network in flash adapts to a drifted sensor, and the defmt log over RTT shows the accuracy
//! rise and the time per adaptation step (the DWT's cycle counter, checked against the
//! RP2350's microsecond timer). The green LED is on while it adapts, then blinks slowly when
//! the run met its goal and is the host's bit for bit, quickly otherwise.
//!
//! `cargo run --release` in this directory flashes it through a debug probe (see
//! `README.md`, also for the UF2 path without a probe).
#![no_std]
#![no_main]

use cortex_m::peripheral::DWT;
use defmt::{info, unwrap};
use defmt_rtt as _;
use embedded_hal::delay::DelayNs;
use embedded_hal::digital::OutputPin;
use panic_probe as _;
use rp235x_hal as hal;
use skipgrad_board_story::Board;

/// The RP2350's boot ROM runs an image only with a block holding an IMAGE_DEF item in the
/// first 4 KiB of flash (`memory.x` puts this section right after the vector table): an Arm,
/// Secure-mode executable.
#[link_section = ".start_block"]
#[used]
pub static IMAGE_DEF: hal::block::ImageDef = hal::block::ImageDef::secure_exe();

/// The Pico 2's crystal.
const XTAL_FREQ_HZ: u32 = 12_000_000;

/// The system clock rp235x-hal's `init_clocks_and_plls` sets, which the cycle counter counts.
const SYSTEM_CLOCK_HZ: u32 = 150_000_000;

/// The Pico 2 for the story: the cycle counter and the microsecond timer.
struct Pico2 {
    timer: hal::Timer<hal::timer::CopyableTimer0>,
}

impl Board for Pico2 {
    const CLOCK_HZ: u32 = SYSTEM_CLOCK_HZ;

    fn cycles(&mut self) -> u32 {
        DWT::cycle_count()
    }

    fn micros(&mut self) -> Option<u64> {
        Some(self.timer.get_counter().ticks())
    }
}

#[hal::entry]
fn main() -> ! {
    let mut pac = unwrap!(hal::pac::Peripherals::take());
    let mut core = unwrap!(cortex_m::Peripherals::take());
    let mut watchdog = hal::Watchdog::new(pac.WATCHDOG);
    let clocks = unwrap!(hal::clocks::init_clocks_and_plls(
        XTAL_FREQ_HZ,
        pac.XOSC,
        pac.CLOCKS,
        pac.PLL_SYS,
        pac.PLL_USB,
        &mut pac.RESETS,
        &mut watchdog,
    )
    .ok());
    let system_hz = hal::Clock::freq(&clocks.system_clock).to_Hz();
    info!(
        "skipgrad on a Raspberry Pi Pico 2: RP2350, Cortex-M33 at {} MHz",
        system_hz / 1_000_000
    );
    if system_hz != SYSTEM_CLOCK_HZ {
        defmt::warn!(
            "the system clock is not {} Hz: the microseconds below are off",
            SYSTEM_CLOCK_HZ
        );
    }
    core.DCB.enable_trace();
    core.DWT.enable_cycle_counter();
    if !DWT::has_cycle_counter() {
        defmt::warn!("this core has no cycle counter: compare with the timer's microseconds");
    }

    let timer = hal::Timer::new_timer0(pac.TIMER0, &mut pac.RESETS, &clocks);
    let sio = hal::Sio::new(pac.SIO);
    let pins = hal::gpio::Pins::new(
        pac.IO_BANK0,
        pac.PADS_BANK0,
        sio.gpio_bank0,
        &mut pac.RESETS,
    );
    let mut led = pins.gpio25.into_push_pull_output();
    let mut delay = timer;

    let _ = led.set_high();
    let outcome = skipgrad_board_story::run(&mut Pico2 { timer });
    let _ = led.set_low();
    info!(
        "done: {} -> {} of {} drifted test digits right, {=f32} us per adaptation step",
        outcome.before, outcome.after, outcome.test, outcome.step_us
    );
    let half_period_ms = if outcome.ok() { 500 } else { 100 };
    loop {
        let _ = led.set_high();
        delay.delay_ms(half_period_ms);
        let _ = led.set_low();
        delay.delay_ms(half_period_ms);
    }
}

/// What `picotool info` shows about the image.
#[link_section = ".bi_entries"]
#[used]
pub static PICOTOOL_ENTRIES: [hal::binary_info::EntryAddr; 4] = [
    hal::binary_info::rp_cargo_bin_name!(),
    hal::binary_info::rp_cargo_version!(),
    hal::binary_info::rp_program_description!(
        c"skipgrad: a digits network adapts to a drifted sensor on the chip"
    ),
    hal::binary_info::rp_program_build_attribute!(),
];
