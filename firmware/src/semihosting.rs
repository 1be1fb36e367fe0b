//! Semihosting: console output, exit status, the command line and reading host files through
//! the debugger (here QEMU's `-semihosting-config enable=on,target=native`, whose `arg=`
//! options make the command line; files are opened relative to QEMU's working directory).
//!
//! The ARM and RISC-V semihosting specifications share operation numbers and argument blocks;
//! only the trap differs (`bkpt 0xab`, or RISC-V's `slli x0, x0, 0x1f; ebreak; srai x0, x0, 7`).

use core::fmt;

const SYS_OPEN: usize = 0x01;
const SYS_CLOSE: usize = 0x02;
const SYS_WRITE: usize = 0x05;
const SYS_READ: usize = 0x06;
const SYS_FLEN: usize = 0x0c;
const SYS_GET_CMDLINE: usize = 0x15;
const SYS_EXIT: usize = 0x18;
/// `ADP_Stopped_ApplicationExit`: QEMU exits with status 0.
const ADP_STOPPED_APPLICATION_EXIT: usize = 0x20026;
/// `ADP_Stopped_RunTimeErrorUnknown`: QEMU exits with status 1.
const ADP_STOPPED_RUN_TIME_ERROR_UNKNOWN: usize = 0x20023;
/// `SYS_OPEN` mode `"w"`.
const MODE_WRITE: usize = 4;
/// `SYS_OPEN` mode `"rb"`.
const MODE_READ_BINARY: usize = 1;
/// The longest file name [`read_file`] opens.
pub const MAX_PATH: usize = 255;

/// One semihosting call: operation `op`, argument `arg` (a value or a pointer to a block).
#[inline(never)]
fn call(op: usize, arg: usize) -> usize {
    let ret: usize;
    // SAFETY: the semihosting trap reads the argument block that `arg` points to (a live local
    // of the caller) and writes the return register and, for SYS_READ and SYS_GET_CMDLINE,
    // only the caller's buffer named in the block (and the block's length word), within the
    // length the block gives.
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

/// Why a host file could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadError {
    /// The name is empty or longer than [`MAX_PATH`] bytes.
    Name,
    /// The host could not open the file.
    Open,
    /// The host could not tell its length.
    Length,
    /// The file is longer than the buffer.
    TooLarge {
        /// The file's length.
        len: usize,
    },
    /// The host could not read all of it.
    Read,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Name => write!(f, "the file name is empty or longer than {MAX_PATH} bytes"),
            Self::Open => write!(f, "the host could not open it"),
            Self::Length => write!(f, "the host could not tell its length"),
            Self::TooLarge { len } => write!(f, "{len} bytes is more than the device reads"),
            Self::Read => write!(f, "the host could not read all of it"),
        }
    }
}

/// Reads the host file `name` (relative to the debugger's working directory) into the start of
/// `buf`; returns its length.
pub fn read_file(name: &str, buf: &mut [u8]) -> Result<usize, ReadError> {
    let mut path = [0u8; MAX_PATH + 1];
    let bytes = name.as_bytes();
    let Some(dst) = path.get_mut(..bytes.len()).filter(|_| !bytes.is_empty()) else {
        return Err(ReadError::Name);
    };
    dst.copy_from_slice(bytes);
    let block = [path.as_ptr() as usize, MODE_READ_BINARY, bytes.len()];
    let handle = call(SYS_OPEN, block.as_ptr() as usize);
    if handle == usize::MAX {
        return Err(ReadError::Open);
    }
    let result = read_open(handle, buf);
    let close = [handle];
    call(SYS_CLOSE, close.as_ptr() as usize);
    result
}

/// Reads the whole open file `handle` into the start of `buf`.
fn read_open(handle: usize, buf: &mut [u8]) -> Result<usize, ReadError> {
    let block = [handle];
    let len = call(SYS_FLEN, block.as_ptr() as usize);
    if len == usize::MAX {
        return Err(ReadError::Length);
    }
    let Some(dst) = buf.get_mut(..len) else {
        return Err(ReadError::TooLarge { len });
    };
    let block = [handle, dst.as_mut_ptr() as usize, len];
    // SYS_READ returns the number of bytes *not* read.
    if call(SYS_READ, block.as_ptr() as usize) == 0 {
        Ok(len)
    } else {
        Err(ReadError::Read)
    }
}

/// The command line the debugger gives the program (QEMU: its `-semihosting-config arg=`
/// words joined by spaces), read into `buf`; `None` if there is none, it does not fit or is
/// not UTF-8.
pub fn command_line(buf: &mut [u8]) -> Option<&str> {
    let mut block = [buf.as_mut_ptr() as usize, buf.len()];
    if call(SYS_GET_CMDLINE, block.as_mut_ptr() as usize) != 0 {
        return None;
    }
    // The host wrote the length of the line (without its NUL) into the block.
    let len = block[1];
    core::str::from_utf8(buf.get(..len)?).ok()
}
