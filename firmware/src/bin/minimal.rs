//! The minimal trainer of the notebook network with shortcuts (f32): see `skipgrad_firmware::minimal`.
#![no_std]
#![no_main]

use core::ptr::addr_of_mut;

use skipgrad::Zeroed;
use skipgrad_notebook::minimal::{F32Shortcut, Minimal, Model, ModelBuffers};

static mut MODEL: Model<F32Shortcut> = F32Shortcut::INITIAL;
static mut BUFFERS: ModelBuffers<F32Shortcut> = ModelBuffers::<F32Shortcut>::ZERO;

#[cfg_attr(target_arch = "arm", cortex_m_rt::entry)]
#[cfg_attr(target_arch = "riscv32", riscv_rt::entry)]
fn main() -> ! {
    // SAFETY: `main` runs once, on one core, without interrupts: these are the only
    // references to the statics.
    let (model, buffers) = unsafe { (&mut *addr_of_mut!(MODEL), &mut *addr_of_mut!(BUFFERS)) };
    skipgrad_firmware::minimal::run::<F32Shortcut>(model, buffers)
}
