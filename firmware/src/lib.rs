//! Device support for the skipgrad firmware: semihosting output, exit, command line and host
//! files, stack painting, and a timer for counting instructions under QEMU. Shared by the `demo` and the minimal
//! trainers' binaries (the notebook's runs, from `skipgrad-notebook`, see [`minimal`]) and by one binary per device scenario of
//! `skipgrad-scenarios` ([`scenario::run`]), and the Flower fleet's device client
//! ([`fleet::run`]).
//!
//! Targets: Cortex-M (`thumbv6m`, `thumbv7em`, `thumbv8m.main`) and RISC-V (`riscv32imac`).
#![no_std]
#![deny(missing_docs)]

pub mod fleet;
pub mod hex;
pub mod minimal;
pub mod scenario;
pub mod semihosting;
pub mod stack;
pub mod timer;

#[cfg(not(feature = "prove-no-panic"))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    semihosting::write(b"panic\n");
    semihosting::exit(false)
}

#[cfg(feature = "prove-no-panic")]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    extern "C" {
        // Deliberately never defined: linking fails if any panic path survives optimisation.
        fn skipgrad_a_panic_path_is_reachable() -> !;
    }
    // SAFETY: never runs; the symbol does not exist, so a binary containing this call does not
    // link.
    unsafe { skipgrad_a_panic_path_is_reachable() }
}
