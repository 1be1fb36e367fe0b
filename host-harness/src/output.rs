//! Standard output that reports its failures: a closed pipe (`skipgrad train | head -1`) or a
//! full disk (`> /dev/full`) is an error with a message and exit status 1, never a panic
//! (`println!` panics on both). Every command prints through [`outln!`](crate::outln) and
//! [`out!`](crate::out), and clippy's `print_stdout` lint keeps `println!` out of the harness.

use std::fmt;
use std::io::Write as _;

use anyhow::Context as _;

/// Writes `args` to standard output and flushes it.
pub fn write(args: fmt::Arguments<'_>) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_fmt(args)
        .and_then(|()| out.flush())
        .context("writing to standard output")
}

/// `print!` that returns an error from the enclosing function instead of panicking.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::write(format_args!($($arg)*))?
    };
}

/// `println!` that returns an error from the enclosing function instead of panicking.
#[macro_export]
macro_rules! outln {
    () => {
        $crate::output::write(format_args!("\n"))?
    };
    ($($arg:tt)*) => {
        $crate::output::write(format_args!("{}\n", format_args!($($arg)*)))?
    };
}
