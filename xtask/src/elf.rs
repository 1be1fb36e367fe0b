//! Section sizes of a firmware ELF, read with the `object` crate (no binutils needed).

use anyhow::Context as _;
use object::{Object as _, ObjectSection as _};

/// The sizes the footprint table reports, in bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sizes {
    /// `.text`
    pub text: u64,
    /// `.rodata`
    pub rodata: u64,
    /// `.data` (initialised RAM, stored in flash too)
    pub data: u64,
    /// `.bss`
    pub bss: u64,
}

impl Sizes {
    /// Flash: `.text + .rodata + .data` (the vector table and start-up sections excluded).
    pub fn flash(&self) -> u64 {
        self.text + self.rodata + self.data
    }

    /// Static RAM: `.data + .bss`.
    pub fn static_ram(&self) -> u64 {
        self.data + self.bss
    }
}

/// Reads the section sizes of the ELF at `path`.
pub fn sizes(path: &std::path::Path) -> anyhow::Result<Sizes> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let file =
        object::File::parse(&*bytes).with_context(|| format!("parsing {}", path.display()))?;
    let mut s = Sizes::default();
    for section in file.sections() {
        let size = section.size();
        match section.name().unwrap_or("") {
            ".text" => s.text += size,
            ".rodata" => s.rodata += size,
            ".data" => s.data += size,
            ".bss" => s.bss += size,
            _ => {}
        }
    }
    Ok(s)
}
