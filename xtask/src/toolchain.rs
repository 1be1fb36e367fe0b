//! Choosing how to build for a bare-metal target, and checking the tools are there.
//!
//! A target installed with rustup (`rustup target list --installed`) is built with the
//! ordinary `cargo`. Otherwise Debian's Rust builds `core` from source: `/usr/bin/cargo` with
//! `/usr/bin/rustc`, `RUSTC_BOOTSTRAP=1` and `-Zbuild-std=core` (packages `rustc-web`,
//! `cargo-web`, `rust-web-src`). Nothing is installed here: a missing tool is an error that
//! names its package.

use std::path::Path;
use std::process::Command;

/// How to invoke cargo for one target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Toolchain {
    /// rustup's toolchain, with the target's standard library installed.
    Rustup,
    /// Debian's Rust, building `core` from source.
    DebianBuildStd,
}

/// The Debian packages of Debian's Rust with its library sources.
pub const DEBIAN_RUST_PACKAGES: &str = "rustc-web cargo-web rust-web-src";
const DEBIAN_RUST_SRC: &str = "/usr/lib/rustlib/src/rust/library";

/// The targets rustup has installed (empty without rustup).
pub fn rustup_targets() -> Vec<String> {
    Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .map(|l| l.trim().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Picks the toolchain for `triple`, or explains what to install.
pub fn choose(triple: &str, installed: &[String]) -> anyhow::Result<Toolchain> {
    if installed.iter().any(|t| t == triple) {
        return Ok(Toolchain::Rustup);
    }
    let debian = Path::new("/usr/bin/cargo").exists()
        && Path::new("/usr/bin/rustc").exists()
        && Path::new(DEBIAN_RUST_SRC).is_dir();
    if debian {
        Ok(Toolchain::DebianBuildStd)
    } else {
        anyhow::bail!(
            "no toolchain for {triple}: either `rustup target add {triple}`, or install \
             Debian's Rust with its sources (apt-get install {DEBIAN_RUST_PACKAGES})"
        )
    }
}

/// Checks that `program` is on `PATH`, naming the Debian package that ships it otherwise.
pub fn require(program: &str, package: &str) -> anyhow::Result<()> {
    let found = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
        .unwrap_or(false);
    if found {
        Ok(())
    } else {
        anyhow::bail!(
            "`{program}` not found: install the Debian package `{package}` \
             (apt-get install {package})"
        )
    }
}

/// A `cargo build` command for the firmware in `dir`, for every target in `triples` at once
/// (one cargo run shares the host-side build scripts and overlaps the targets' builds).
pub fn cargo_build(
    toolchain: &Toolchain,
    dir: &Path,
    triples: &[&str],
    target_dir: &Path,
) -> Command {
    let mut cmd = match toolchain {
        Toolchain::Rustup => {
            Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        }
        Toolchain::DebianBuildStd => {
            let mut cmd = Command::new("/usr/bin/cargo");
            cmd.env("RUSTC", "/usr/bin/rustc")
                .env("RUSTC_BOOTSTRAP", "1");
            cmd
        }
    };
    cmd.current_dir(dir)
        .args(["build", "--release", "--target-dir"])
        .arg(target_dir);
    for triple in triples {
        cmd.args(["--target", triple]);
    }
    if *toolchain == Toolchain::DebianBuildStd {
        cmd.arg("-Zbuild-std=core");
    }
    // The outer `cargo run` may point this at the host build; the firmware has its own.
    cmd.env_remove("CARGO_TARGET_DIR");
    cmd
}
