//! The full demo: the notebook's gradient tables for both networks, then training with the
//! core's guarded step until the loss falls below the threshold, printed over semihosting.
#![no_std]
#![no_main]

use skipgrad_firmware::semihosting::{self, Console};

#[cfg_attr(target_arch = "arm", cortex_m_rt::entry)]
#[cfg_attr(target_arch = "riscv32", riscv_rt::entry)]
fn main() -> ! {
    let mut console = Console::open();
    let reached = skipgrad_notebook::demo::demo(&mut console).is_ok_and(|o| o.reached);
    semihosting::exit(reached)
}
