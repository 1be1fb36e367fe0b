//! The `digits-adapt-q16` scenario (`skipgrad_scenarios::digits_adapt::SCENARIO_Q16`) on the
//! device.
#![no_std]
#![no_main]

#[cfg_attr(target_arch = "arm", cortex_m_rt::entry)]
#[cfg_attr(target_arch = "riscv32", riscv_rt::entry)]
fn main() -> ! {
    skipgrad_firmware::scenario::run(&skipgrad_scenarios::digits_adapt::SCENARIO_Q16)
}
