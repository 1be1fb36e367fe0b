//! Semihosting: console output and exit status through the debugger (here QEMU's
//! `-semihosting-config enable=on,target=native`).
//!
//! The ARM and RISC-V semihosting specifications share operation numbers and argument blocks;
//! only the trap differs (`bkpt 0xab`, or RISC-V's `slli x0, x0, 0x1f; ebreak; srai x0, x0, 7`).

use core::fmt;

const SYS_OPEN: usize = 0x01;
const SYS_WRITE: usize = 0x05;
const SYS_EXIT: usize = 0x18;
/// `ADP_Stopped_ApplicationExit`: QEMU exits with status 0.
const ADP_STOPPED_APPLICATION_EXIT: usize = 0x20026;
/// `ADP_Stopped_RunTimeErrorUnknown`: QEMU exits with status 1.
const ADP_STOPPED_RUN_TIME_ERROR_UNKNOWN: usize = 0x20023;
/// `SYS_OPEN` mode `"w"`.
const MODE_WRITE: usize = 4;

/// One semihosting call: operation `op`, argument `arg` (a value or a pointer to a block).
#[inline(never)]
fn call(op: usize, arg: usize) -> usize {
    let ret: usize;
    // SAFETY: the semihosting trap reads only the argument block that `arg` points to (a live
    // local of the caller) and writes only the return register.
    #[cfg(target_arch = "arm")]
    unsafe {
        core::arch::asm!("bkpt #0xab", inout("r0") op => ret, in("r1") arg, options(nostack));
    }
    // SAFETY: as above.
    #[cfg(target_arch = "riscv32")]
    unsafe {
        core::arch::asm!(
            ".balign 16",
            ".option push",
            ".option norvc",
            "slli x0, x0, 0x1f",
            "ebreak",
            "srai x0, x0, 0x7",
            ".option pop",
            inout("a0") op => ret,
            in("a1") arg,
            options(nostack),
        );
    }
    ret
}

/// Opens the host's console (`":tt"` for writing) and returns its handle.
fn console_handle() -> usize {
    let name = b":tt\0";
    let block = [name.as_ptr() as usize, MODE_WRITE, 3];
    call(SYS_OPEN, block.as_ptr() as usize)
}

/// Writes bytes to the host's standard output.
pub fn write(bytes: &[u8]) {
    let block = [console_handle(), bytes.as_ptr() as usize, bytes.len()];
    call(SYS_WRITE, block.as_ptr() as usize);
}

/// Ends the program: QEMU exits with status 0 when `success`, 1 otherwise.
pub fn exit(success: bool) -> ! {
    let reason = if success {
        ADP_STOPPED_APPLICATION_EXIT
    } else {
        ADP_STOPPED_RUN_TIME_ERROR_UNKNOWN
    };
    call(SYS_EXIT, reason);
    #[allow(clippy::empty_loop)]
    loop {}
}

/// The host console as a [`fmt::Write`], opened once.
pub struct Console {
    handle: usize,
}

impl Console {
    /// Opens the console.
    pub fn open() -> Self {
        Self {
            handle: console_handle(),
        }
    }
}

impl fmt::Write for Console {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let block = [self.handle, s.as_ptr() as usize, s.len()];
        // SYS_WRITE returns the number of bytes *not* written.
        if call(SYS_WRITE, block.as_ptr() as usize) == 0 {
            Ok(())
        } else {
            Err(fmt::Error)
        }
    }
}
