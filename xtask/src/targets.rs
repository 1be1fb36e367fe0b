//! The emulated microcontrollers: target triple, QEMU machine and command line.

/// One bare-metal target and the QEMU machine that runs it.
#[derive(Clone, Copy, Debug)]
pub struct Target {
    /// Rust target triple.
    pub triple: &'static str,
    /// Human-readable core.
    pub core: &'static str,
    /// QEMU `-machine`.
    pub machine: &'static str,
    /// The QEMU system emulator.
    pub qemu: &'static str,
    /// The Debian package that ships it.
    pub qemu_package: &'static str,
    /// Arguments before `-kernel ELF` (besides the machine and semihosting).
    pub qemu_args: &'static [&'static str],
    /// Whether the instruction count per training step is reported for this target.
    pub count_instructions: bool,
    /// Whether the no-panic proof build is made for this target.
    pub prove_no_panic: bool,
    /// RAM of the QEMU machine (`firmware/memory/<machine>.x`): a scenario whose model needs
    /// more is not run on this target.
    pub ram_bytes: u64,
}

/// Every target `cargo xtask mcu` runs, in report order.
pub const TARGETS: &[Target] = &[
    Target {
        triple: "thumbv6m-none-eabi",
        core: "Cortex-M0",
        machine: "microbit",
        qemu: "qemu-system-arm",
        qemu_package: "qemu-system-arm",
        qemu_args: &["-cpu", "cortex-m0"],
        count_instructions: true,
        prove_no_panic: false,
        ram_bytes: 16 * 1024,
    },
    Target {
        triple: "thumbv7em-none-eabihf",
        core: "Cortex-M4F",
        machine: "mps2-an386",
        qemu: "qemu-system-arm",
        qemu_package: "qemu-system-arm",
        qemu_args: &["-cpu", "cortex-m4"],
        count_instructions: true,
        prove_no_panic: true,
        ram_bytes: 4 * 1024 * 1024,
    },
    Target {
        triple: "thumbv8m.main-none-eabihf",
        core: "Cortex-M33",
        machine: "mps2-an505",
        qemu: "qemu-system-arm",
        qemu_package: "qemu-system-arm",
        qemu_args: &["-cpu", "cortex-m33"],
        count_instructions: true,
        prove_no_panic: false,
        ram_bytes: 2 * 1024 * 1024,
    },
    Target {
        triple: "riscv32imac-unknown-none-elf",
        core: "RV32IMAC",
        machine: "virt",
        qemu: "qemu-system-riscv32",
        qemu_package: "qemu-system-misc",
        qemu_args: &["-bios", "none"],
        count_instructions: true,
        prove_no_panic: false,
        ram_bytes: 2 * 1024 * 1024,
    },
];
