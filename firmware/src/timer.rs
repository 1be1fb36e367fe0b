//! A counter that advances with executed instructions under QEMU's `-icount shift=0`.
//!
//! - Cortex-M: SysTick on the core clock, counting down from `0xFF_FFFF` and wrapping at 24
//!   bits. Under `-icount shift=0` QEMU's virtual clock advances 1 ns per instruction, so one
//!   tick is `1e9 / core clock` instructions (40 on mps2-an386 at 25 MHz).
//! - RISC-V: the `minstret` counter, which QEMU derives from the instruction count.
//!
//! [`calibration_ticks`] times a loop of a known number of instructions, so the ratio is
//! measured on every run rather than assumed.

/// Iterations of the calibration loop (two instructions each).
pub const CALIBRATION_ITERATIONS: u32 = 100_000;

#[cfg(target_arch = "arm")]
mod imp {
    const SYST_CSR: *mut u32 = 0xE000_E010 as *mut u32;
    const SYST_RVR: *mut u32 = 0xE000_E014 as *mut u32;
    const SYST_CVR: *mut u32 = 0xE000_E018 as *mut u32;

    pub fn start() {
        // SAFETY: the SysTick registers are always present on ARMv6-M/v7-M/v8-M; this sets a
        // 24-bit reload, clears the count and enables it on the core clock, no interrupt.
        unsafe {
            core::ptr::write_volatile(SYST_RVR, 0x00FF_FFFF);
            core::ptr::write_volatile(SYST_CVR, 0);
            core::ptr::write_volatile(SYST_CSR, 0b101);
        }
    }

    #[inline(always)]
    pub fn read() -> u32 {
        // SAFETY: reads the SysTick current value register.
        unsafe { core::ptr::read_volatile(SYST_CVR) }
    }

    #[inline(always)]
    pub fn elapsed(start: u32, end: u32) -> u32 {
        start.wrapping_sub(end) & 0x00FF_FFFF
    }

    #[inline(never)]
    pub fn count_down(n: u32) {
        // SAFETY: a register-only loop: `subs` + `bne`, two instructions per iteration.
        unsafe {
            core::arch::asm!(
                "2:",
                "subs r0, r0, #1",
                "bne 2b",
                inout("r0") n => _,
                options(nomem, nostack),
            );
        }
    }
}

#[cfg(target_arch = "riscv32")]
mod imp {
    pub fn start() {}

    #[inline(always)]
    pub fn read() -> u32 {
        let v: u32;
        // SAFETY: reads the retired-instruction counter.
        unsafe { core::arch::asm!("csrr {}, minstret", out(reg) v, options(nomem, nostack)) };
        v
    }

    #[inline(always)]
    pub fn elapsed(start: u32, end: u32) -> u32 {
        end.wrapping_sub(start)
    }

    #[inline(never)]
    pub fn count_down(n: u32) {
        // SAFETY: a register-only loop: `addi` + `bnez`, two instructions per iteration.
        unsafe {
            core::arch::asm!(
                "2:",
                "addi {0}, {0}, -1",
                "bnez {0}, 2b",
                inout(reg) n => _,
                options(nomem, nostack),
            );
        }
    }
}

/// Starts the counter.
pub fn start() {
    imp::start();
}

/// The current counter value.
#[inline(always)]
pub fn read() -> u32 {
    imp::read()
}

/// Ticks from `start` to `end` (two [`read`]s).
#[inline(always)]
pub fn elapsed(start: u32, end: u32) -> u32 {
    imp::elapsed(start, end)
}

/// Ticks taken by [`CALIBRATION_ITERATIONS`] iterations of a two-instruction loop.
pub fn calibration_ticks() -> u32 {
    let t0 = read();
    imp::count_down(CALIBRATION_ITERATIONS);
    let t1 = read();
    elapsed(t0, t1)
}
