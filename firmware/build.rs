//! Puts the memory layout of the target's QEMU machine (`memory/<machine>.x`) where the
//! runtime crate's `link.x` includes it as `memory.x`.

use std::path::PathBuf;

fn main() {
    let target = std::env::var("TARGET").unwrap_or_default();
    let layout = match target.as_str() {
        "thumbv6m-none-eabi" => "microbit.x",
        "thumbv7em-none-eabihf" | "thumbv7em-none-eabi" => "mps2-an386.x",
        "thumbv8m.main-none-eabihf" | "thumbv8m.main-none-eabi" => "mps2-an505.x",
        "riscv32imac-unknown-none-elf" => "riscv-virt.x",
        // Host builds (e.g. `cargo check` without a target) link nothing.
        _ => return,
    };
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR is set"));
    let src = PathBuf::from("memory").join(layout);
    std::fs::copy(&src, out.join("memory.x")).expect("copying the memory layout");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed={}", src.display());
    println!("cargo:rerun-if-changed=build.rs");
}
