//! The minimal trainer of the notebook network with shortcuts (Q16.16 fixed point): see `skipgrad_firmware::minimal`.
#![no_std]
#![no_main]

use core::ptr::addr_of_mut;

use skipgrad::Zeroed;
use skipgrad_notebook::minimal::{Minimal, Model, ModelBuffers, Q16Shortcut};

static mut MODEL: Model<Q16Shortcut> = Q16Shortcut::INITIAL;
static mut BUFFERS: ModelBuffers<Q16Shortcut> = ModelBuffers::<Q16Shortcut>::ZERO;

#[cfg_attr(target_arch = "arm", cortex_m_rt::entry)]
#[cfg_attr(target_arch = "riscv32", riscv_rt::entry)]
fn main() -> ! {
    // SAFETY: `main` runs once, on one core, without interrupts: these are the only
    // references to the statics.
    let (model, buffers) = unsafe { (&mut *addr_of_mut!(MODEL), &mut *addr_of_mut!(BUFFERS)) };
    skipgrad_firmware::minimal::run::<Q16Shortcut>(model, buffers)
}
