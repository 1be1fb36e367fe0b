//! The `fleet-client` binary: one round of the Flower fleet's learning on the device
//! (`skipgrad_scenarios::fleet`), its job and both files read from the host through
//! semihosting, so that one binary serves every round.
//!
//! The host runs it as
//!
//! ```sh
//! qemu-system-arm -cpu cortex-m4 -machine mps2-an386 -nographic -monitor none -serial none \
//!     -semihosting-config enable=on,target=native,arg=fleet-client,arg=global.skgi,arg=part.skgd,arg=8,arg=1,arg=0.02 \
//!     -kernel fleet-client
//! ```
//!
//! in the directory that holds the two files, and reads the trained model's image from the
//! report's `image` lines.

use skipgrad_scenarios::fleet::{self, Job, IMAGE_BYTES, MAX_CMDLINE, MAX_PARTITION_BYTES};

use crate::semihosting::{self, Console};
use crate::stack;

/// Stack the round needs: the two file buffers, the command line, and the training state
/// (model, gradients and caches, Adam's moments, the order buffer) with a margin.
const NEEDED: usize = MAX_PARTITION_BYTES + IMAGE_BYTES + MAX_CMDLINE + 128 * 1024;

/// Runs the round and exits: status 0 when the trained model was returned.
pub fn run() -> ! {
    let mut console = Console::open();
    let free = stack::free_bytes();
    let ok = if free < NEEDED {
        let _ = fleet::refuse(
            &mut console,
            format_args!("{free} bytes of free RAM; the round needs {NEEDED}"),
        );
        false
    } else {
        round(&mut console)
    };
    semihosting::exit(ok)
}

/// Reads the job and its files into buffers on the stack and runs it.
#[inline(never)]
fn round(console: &mut Console) -> bool {
    let mut cmdline = [0u8; MAX_CMDLINE];
    let Some(line) = semihosting::command_line(&mut cmdline) else {
        let _ = fleet::refuse(
            console,
            format_args!("no command line of at most {MAX_CMDLINE} bytes"),
        );
        return false;
    };
    let job = match Job::parse(line) {
        Ok(job) => job,
        Err(e) => {
            let _ = fleet::refuse(console, format_args!("{e}"));
            return false;
        }
    };
    // One byte more than an image: a longer file is read far enough to be refused by length.
    let mut global = [0u8; IMAGE_BYTES + 1];
    let mut partition = [0u8; MAX_PARTITION_BYTES];
    let files = semihosting::read_file(job.global, &mut global)
        .map_err(|e| (job.global, e))
        .and_then(|g| {
            semihosting::read_file(job.partition, &mut partition)
                .map(|p| (g, p))
                .map_err(|e| (job.partition, e))
        });
    match files {
        Ok((g, p)) => fleet::run(
            console,
            &job,
            global.get(..g).unwrap_or_default(),
            partition.get(..p).unwrap_or_default(),
        )
        .unwrap_or(false),
        Err((name, e)) => {
            let _ = fleet::refuse(console, format_args!("reading {name}: {e}"));
            false
        }
    }
}
