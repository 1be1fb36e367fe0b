//! The Flower fleet's device client (`skipgrad_scenarios::fleet`): one round of training on
//! the job and files the host gives it through semihosting.
#![no_std]
#![no_main]

#[cfg_attr(target_arch = "arm", cortex_m_rt::entry)]
#[cfg_attr(target_arch = "riscv32", riscv_rt::entry)]
fn main() -> ! {
    skipgrad_firmware::fleet::run()
}
