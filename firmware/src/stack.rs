//! Peak stack use, measured by painting the free stack with a pattern before a run and finding
//! the lowest overwritten word after it.

/// The painting pattern.
const PAINT: u32 = 0xa5a5_5a5a;
/// Reported when the stack grew over all the free RAM that was painted.
pub const OUT_OF_RANGE: u32 = u32::MAX;

extern "C" {
    /// Top of the stack (defined by `cortex-m-rt` and `riscv-rt`).
    static _stack_start: u32;
    /// Start of the free RAM below the stack (likewise).
    static __sheap: u32;
}

fn stack_top() -> usize {
    // Only the address of the linker symbol is taken (no read).
    core::ptr::addr_of!(_stack_start) as usize
}

/// The start of the free RAM below the stack: all of it is painted.
fn painted_bottom() -> usize {
    // Only the address of the linker symbol is taken (no read).
    core::ptr::addr_of!(__sheap) as usize
}

#[inline(always)]
fn stack_pointer() -> usize {
    let sp: usize;
    // SAFETY: reads the stack pointer register only.
    #[cfg(target_arch = "arm")]
    unsafe {
        core::arch::asm!("mov {}, sp", out(reg) sp, options(nomem, nostack, preserves_flags));
    }
    // SAFETY: as above.
    #[cfg(target_arch = "riscv32")]
    unsafe {
        core::arch::asm!("mv {}, sp", out(reg) sp, options(nomem, nostack, preserves_flags));
    }
    sp
}

/// Bytes of free RAM between the stack pointer and the end of the static data: how deep the
/// caller's callees may grow the stack.
#[inline(never)]
pub fn free_bytes() -> usize {
    stack_pointer().saturating_sub(painted_bottom())
}

/// Bytes left unpainted below the stack pointer read in [`paint`]: the compiler may push
/// `paint`'s own frame after that read (shrink-wrapping).
const MARGIN: usize = 64;

/// Fills the unused stack below the caller's frame with the pattern.
#[inline(never)]
pub fn paint() {
    let end = (stack_pointer() & !3).saturating_sub(MARGIN);
    let mut p = painted_bottom();
    while p < end {
        // SAFETY: `[painted_bottom, sp - MARGIN)` is free stack RAM below every live frame
        // (this function's own frame included).
        unsafe { core::ptr::write_volatile(p as *mut u32, PAINT) };
        p += 4;
    }
}

/// Bytes of stack used since [`paint`], counted from the top of the stack (so the frames
/// that were live at painting time are included).
#[inline(never)]
pub fn peak_bytes() -> u32 {
    let bottom = painted_bottom();
    let mut p = bottom;
    // SAFETY: reads words of RAM inside the painted window.
    while p < stack_top() && unsafe { core::ptr::read_volatile(p as *const u32) } == PAINT {
        p += 4;
    }
    if p == bottom {
        OUT_OF_RANGE
    } else {
        (stack_top() - p) as u32
    }
}
