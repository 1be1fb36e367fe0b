//! The minimal trainer of a plain 3-3-3-3-3-1 tanh network (Q16.16 fixed point): see `skipgrad_firmware::minimal`.
#![no_std]
#![no_main]

use core::ptr::addr_of_mut;

use skipgrad::Zeroed;
use skipgrad_notebook::minimal::{Minimal, Model, ModelBuffers, Q16Tanh};

static mut MODEL: Model<Q16Tanh> = Q16Tanh::INITIAL;
static mut BUFFERS: ModelBuffers<Q16Tanh> = ModelBuffers::<Q16Tanh>::ZERO;

#[cfg_attr(target_arch = "arm", cortex_m_rt::entry)]
#[cfg_attr(target_arch = "riscv32", riscv_rt::entry)]
fn main() -> ! {
    // SAFETY: `main` runs once, on one core, without interrupts: these are the only
    // references to the statics.
    let (model, buffers) = unsafe { (&mut *addr_of_mut!(MODEL), &mut *addr_of_mut!(BUFFERS)) };
    skipgrad_firmware::minimal::run::<Q16Tanh>(model, buffers)
}
