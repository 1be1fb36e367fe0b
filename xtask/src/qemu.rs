//! Running a firmware ELF under QEMU with a wall-clock limit.

use std::io::Read as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;

use crate::targets::Target;

/// The longest a single QEMU run may take.
const TIME_LIMIT: Duration = Duration::from_secs(120);

/// What a run printed and how it ended.
#[derive(Debug)]
pub struct Run {
    /// Standard output (the firmware's semihosting console).
    pub stdout: String,
    /// Standard error (QEMU's own messages).
    pub stderr: String,
    /// True when QEMU exited with status 0 (the firmware reported success).
    pub success: bool,
}

/// Runs `elf` on the target's machine; with `icount`, QEMU advances its clock by exactly one
/// nanosecond per instruction (`-icount shift=0`), so timers count instructions.
pub fn run(target: &Target, elf: &std::path::Path, icount: bool) -> anyhow::Result<Run> {
    run_with(target, elf, icount, &[], None)
}

/// [`run`] with a semihosting command line (`args`, the program's name first; no word may
/// hold a comma or a space) and, with `dir`, QEMU's working directory (where the firmware's
/// semihosting opens files).
pub fn run_with(
    target: &Target,
    elf: &std::path::Path,
    icount: bool,
    args: &[&str],
    dir: Option<&std::path::Path>,
) -> anyhow::Result<Run> {
    let mut semihosting = String::from("enable=on,target=native");
    for arg in args {
        anyhow::ensure!(
            !arg.is_empty() && !arg.contains([',', ' ']),
            "semihosting argument {arg:?} is empty or holds a comma or a space"
        );
        semihosting.push_str(",arg=");
        semihosting.push_str(arg);
    }
    let mut cmd = Command::new(target.qemu);
    if let Some(dir) = dir {
        cmd.current_dir(dir);
    }
    cmd.args(target.qemu_args)
        .args([
            "-machine",
            target.machine,
            "-nographic",
            "-monitor",
            "none",
            "-serial",
            "none",
        ])
        .args(["-semihosting-config", &semihosting]);
    if icount {
        cmd.args(["-icount", "shift=0"]);
    }
    cmd.arg("-kernel").arg(elf);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().with_context(|| {
        format!(
            "starting {} (Debian package {})",
            target.qemu, target.qemu_package
        )
    })?;
    let mut out = child.stdout.take().context("QEMU's stdout")?;
    let mut err = child.stderr.take().context("QEMU's stderr")?;
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        out.read_to_string(&mut s).map(|_| s)
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        err.read_to_string(&mut s).map(|_| s)
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if start.elapsed() > TIME_LIMIT {
            child.kill()?;
            child.wait()?;
            anyhow::bail!(
                "{} on {} did not finish within {} s",
                elf.display(),
                target.machine,
                TIME_LIMIT.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = out_reader
        .join()
        .map_err(|_| anyhow::anyhow!("stdout reader"))??;
    let stderr = err_reader
        .join()
        .map_err(|_| anyhow::anyhow!("stderr reader"))??;
    Ok(Run {
        stdout,
        stderr,
        success: status.success(),
    })
}
