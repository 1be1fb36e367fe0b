//! `cargo xtask uf2 ELF [OUT]`: a Raspberry Pi Pico 2 firmware (`boards/pico2`) as a UF2 file,
//! which the RP2350's boot ROM writes to flash when it is copied to the USB drive the board
//! shows with BOOTSEL held: the way to flash it without a debug probe, and without picotool.
//!
//! The ELF's loadable bytes go into UF2 blocks at their load addresses (`p_paddr`: `.data` is
//! stored in flash and copied to RAM at start-up), one block per 256-byte page of flash that
//! holds any of them, the rest of a page zero. Each block is the UF2 format's 512 bytes:
//! the two start magic numbers, the flags (`0x2000`: a family ID is present), the page's
//! address, 256 (its payload), the block's number and the file's count of blocks, the family
//! `rp2350-arm-s` (`0xe48bff59`: an Arm image in Secure mode, what rp235x-hal's
//! `ImageDef::secure_exe()` declares), the payload, zeros, and the end magic number.
//!
//! Before writing, it checks what the boot ROM needs to run the image: a 32-bit
//! little-endian Arm ELF whose loadable segments do not overlap and lie in the Pico 2's
//! 4 MiB of flash, with a block holding an `IMAGE_DEF` item for an Arm RP2350 executable
//! starting in the first 4 KiB of flash. Anything else is refused with what is wrong, and
//! the file is read no further than [`MAX_ELF_BYTES`]. The output is written atomically (as
//! the harness writes its files, `skipgrad_harness::atomic`): a failed conversion leaves
//! what was there before. It goes next to the ELF (`<ELF>.uf2`) unless `OUT` is given, and
//! must not be the ELF.
//!
//! Not handled: the RP2350 A2's erratum RP2350-E10 (a UF2 copied to a board whose flash
//! already holds a partition table may be written into a partition); picotool works around
//! it with `--abs-block`. A Pico 2 as shipped has no partition table.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use object::elf::{FileHeader32, EM_ARM, PT_LOAD};
use object::read::elf::{FileHeader as _, ProgramHeader as _};
use object::LittleEndian;

/// The RP2350's flash, as the Pico 2 has it: 4 MiB from `0x1000_0000`.
pub const FLASH: std::ops::Range<u32> = 0x1000_0000..0x1040_0000;
/// The boot ROM looks for the image's first block this far into flash.
pub const BOOT_WINDOW: u32 = 4096;
/// UF2 family ID `rp2350-arm-s`.
pub const RP2350_ARM_S: u32 = 0xe48b_ff59;
/// Bytes of flash per UF2 block.
pub const PAGE: usize = 256;
/// The largest ELF read (the Pico 2 example's, with its debug information, is about 2.3 MB).
pub const MAX_ELF_BYTES: u64 = 64 << 20;

const UF2_MAGIC_START0: u32 = 0x0A32_4655;
const UF2_MAGIC_START1: u32 = 0x9E5D_5157;
const UF2_MAGIC_END: u32 = 0x0AB1_6F30;
const UF2_FLAG_FAMILY_ID: u32 = 0x0000_2000;
const UF2_BLOCK: usize = 512;
/// The header: eight words before the payload.
const UF2_HEADER: usize = 32;

const BLOCK_START: u32 = 0xffff_ded3;
const BLOCK_END: u32 = 0xab12_3579;
const ITEM_IMAGE_TYPE: u8 = 0x42;
const ITEM_LAST: u8 = 0x7f;

/// Pages of flash: address (a multiple of [`PAGE`]) to contents (zero where the ELF has
/// nothing).
pub type Pages = BTreeMap<u32, [u8; PAGE]>;

/// The page holding `address`.
const fn page_of(address: u32) -> u32 {
    address & !(PAGE as u32 - 1)
}

/// Runs the command with its arguments (after `uf2`).
pub fn command(args: &[String]) -> anyhow::Result<()> {
    let (elf, out) = match args {
        [elf] => (PathBuf::from(elf), PathBuf::from(format!("{elf}.uf2"))),
        [elf, out] => (PathBuf::from(elf), PathBuf::from(out)),
        _ => anyhow::bail!("usage: cargo xtask uf2 ELF [OUT]"),
    };
    let summary = convert(&elf, &out)?;
    eprintln!("{summary}");
    Ok(())
}

/// Converts the ELF at `elf` into a UF2 file at `out`, and says what it wrote.
pub fn convert(elf: &Path, out: &Path) -> anyhow::Result<String> {
    skipgrad_harness::plan::Plan::new()
        .input("ELF", elf)
        .output("OUT", out)
        .check()?;
    let pages = pages_of_elf(elf)?;
    let block = boot_block(&pages).with_context(|| {
        format!(
            "{}: the RP2350's boot ROM would not run it (is it the Pico 2's firmware?)",
            elf.display()
        )
    })?;
    let uf2 = uf2(&pages, RP2350_ARM_S);
    skipgrad_harness::atomic::write(out, &uf2)
        .with_context(|| format!("writing {} (nothing was written)", out.display()))?;
    let first = pages.keys().next().copied().unwrap_or(FLASH.start);
    let last = pages.keys().next_back().copied().unwrap_or(FLASH.start);
    Ok(format!(
        "{}: {} blocks of {PAGE} B, family rp2350-arm-s, flash 0x{first:08x}..0x{:08x}, \
         IMAGE_DEF block at 0x{block:08x}",
        out.display(),
        pages.len(),
        u64::from(last) + PAGE as u64,
    ))
}

/// The loadable bytes of the ELF at `path`, as pages of the Pico 2's flash.
pub fn pages_of_elf(path: &Path) -> anyhow::Result<Pages> {
    let bytes = read_bounded(path, MAX_ELF_BYTES)?;
    pages_of(&bytes).with_context(|| format!("{}", path.display()))
}

/// The file at `path`, if it has at most `limit` bytes: a larger file (or an endless one,
/// `/dev/zero`) is refused after `limit + 1` bytes.
fn read_bounded(path: &Path, limit: u64) -> anyhow::Result<Vec<u8>> {
    let file = std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .with_context(|| format!("reading {}", path.display()))?;
    anyhow::ensure!(
        bytes.len() as u64 <= limit,
        "{}: larger than {limit} bytes, not a firmware ELF",
        path.display()
    );
    Ok(bytes)
}

/// The loadable bytes of an ELF (32-bit, little-endian, Arm), as pages of the Pico 2's flash.
pub fn pages_of(elf: &[u8]) -> anyhow::Result<Pages> {
    let header = FileHeader32::<LittleEndian>::parse(elf)
        .context("not a 32-bit ELF (or its header is cut short)")?;
    let endian = header
        .endian()
        .context("not a little-endian ELF, as the RP2350's Arm cores run")?;
    let machine = header.e_machine(endian);
    anyhow::ensure!(
        machine == EM_ARM,
        "an ELF for machine {machine}, not Arm ({EM_ARM}): the RP2350's Arm cores cannot run it"
    );
    let segments = header
        .program_headers(endian, elf)
        .context("its program headers are outside the file")?;
    let mut loads: Vec<(u32, u32, &[u8])> = Vec::new();
    for segment in segments {
        if segment.p_type(endian) != PT_LOAD || segment.p_filesz(endian) == 0 {
            continue;
        }
        let data = segment
            .data(endian, elf)
            .map_err(|()| anyhow::anyhow!("a segment's bytes are outside the file"))?;
        let start = segment.p_paddr(endian);
        let end = u32::try_from(data.len())
            .ok()
            .and_then(|len| start.checked_add(len))
            .context("a segment ends past 4 GiB")?;
        anyhow::ensure!(
            FLASH.start <= start && end <= FLASH.end,
            "bytes to load at 0x{start:08x}..0x{end:08x}, outside the Pico 2's flash \
             (0x{:08x}..0x{:08x})",
            FLASH.start,
            FLASH.end
        );
        loads.push((start, end, data));
    }
    anyhow::ensure!(
        !loads.is_empty(),
        "nothing to load (no PT_LOAD segment with bytes)"
    );
    loads.sort_unstable_by_key(|&(start, _, _)| start);
    for pair in loads.windows(2) {
        if let [(a, a_end, _), (b, b_end, _)] = *pair {
            anyhow::ensure!(
                a_end <= b,
                "segments overlap: 0x{a:08x}..0x{a_end:08x} and 0x{b:08x}..0x{b_end:08x}"
            );
        }
    }
    let mut pages = Pages::new();
    for (start, _, data) in loads {
        for (address, &byte) in (start..).zip(data) {
            let page = pages.entry(page_of(address)).or_insert([0; PAGE]);
            if let Some(b) = page.get_mut(address as usize % PAGE) {
                *b = byte;
            }
        }
    }
    Ok(pages)
}

/// The address of the first block the boot ROM finds (a start marker at a word boundary in
/// the first [`BOOT_WINDOW`] bytes of flash, then items up to the last-item marker, a link,
/// the end marker), if it holds an `IMAGE_DEF` for an Arm executable on the RP2350.
pub fn boot_block(pages: &Pages) -> anyhow::Result<u32> {
    let word = |address: u32| -> Option<u32> {
        let page = pages.get(&page_of(address))?;
        let at = address as usize % PAGE;
        Some(u32::from_le_bytes(page.get(at..at + 4)?.try_into().ok()?))
    };
    let start = (FLASH.start..FLASH.start + BOOT_WINDOW)
        .step_by(4)
        .find(|&a| word(a) == Some(BLOCK_START))
        .with_context(|| {
            format!(
                "no block start marker (0x{BLOCK_START:08x}) in the first {BOOT_WINDOW} \
                 bytes of flash"
            )
        })?;
    let mut at = start + 4;
    let mut image_type = None;
    loop {
        let header = word(at).context("the block runs past the image")?;
        let [kind, b1, b2, b3] = header.to_le_bytes();
        if kind & 0x7f == ITEM_LAST {
            break;
        }
        // Bit 7 of the type: a two-byte size; otherwise a one-byte size. In words, header
        // included.
        let words = if kind & 0x80 != 0 {
            u32::from(u16::from_le_bytes([b1, b2]))
        } else {
            u32::from(b1)
        };
        anyhow::ensure!(words > 0, "an item of size 0 at 0x{at:08x}");
        if kind == ITEM_IMAGE_TYPE {
            // A one-word item: its flags are the header's upper half.
            image_type = Some(u16::from_le_bytes([b2, b3]));
        }
        at = at
            .checked_add(4 * words)
            .context("the block runs past the image")?;
    }
    // The last item, then the link to the next block, then the end marker.
    anyhow::ensure!(
        at.checked_add(8).and_then(word) == Some(BLOCK_END),
        "the block at 0x{start:08x} has no end marker (0x{BLOCK_END:08x}) after its items"
    );
    let flags = image_type.with_context(|| {
        format!("the block at 0x{start:08x} has no IMAGE_DEF (image type item)")
    })?;
    // Image type flags: bits 0-3 the type (1: executable), 8-10 the CPU (0: Arm), 12-14 the
    // chip (1: RP2350).
    let (kind, cpu, chip) = (flags & 0xf, (flags >> 8) & 0x7, (flags >> 12) & 0x7);
    anyhow::ensure!(
        kind == 1 && cpu == 0 && chip == 1,
        "the IMAGE_DEF at 0x{start:08x} (flags 0x{flags:04x}) is not an Arm executable for \
         the RP2350"
    );
    Ok(start)
}

/// `pages` as a UF2 file of the family `family`: one 512-byte block per page, numbered from
/// 0, each carrying the count of blocks.
pub fn uf2(pages: &Pages, family: u32) -> Vec<u8> {
    // At most 2^24 pages fit in 4 GiB of addresses: the count fits a u32.
    let count = pages.len() as u32;
    let mut out = Vec::with_capacity(pages.len() * UF2_BLOCK);
    for (number, (&address, page)) in (0u32..).zip(pages) {
        for word in [
            UF2_MAGIC_START0,
            UF2_MAGIC_START1,
            UF2_FLAG_FAMILY_ID,
            address,
            PAGE as u32,
            number,
            count,
            family,
        ] {
            out.extend_from_slice(&word.to_le_bytes());
        }
        out.extend_from_slice(page);
        out.resize(out.len() + UF2_BLOCK - UF2_HEADER - PAGE - 4, 0);
        out.extend_from_slice(&UF2_MAGIC_END.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Pico 2 firmware's boot block as built (`llvm-objdump -s -j .start_block`): the
    /// start marker, the image type item (executable, Secure, Arm, RP2350), the last item,
    /// the link (0: itself), the end marker.
    const PICO2_BLOCK: [u32; 5] = [0xffff_ded3, 0x1021_0142, 0x0000_01ff, 0, 0xab12_3579];

    fn words(words: &[u32]) -> Vec<u8> {
        words.iter().flat_map(|w| w.to_le_bytes()).collect()
    }

    fn pages_with(at: u32, w: &[u32]) -> Pages {
        let mut pages = Pages::new();
        for (address, byte) in (at..).zip(words(w)) {
            pages.entry(page_of(address)).or_insert([0; PAGE])[address as usize % PAGE] = byte;
        }
        pages
    }

    /// One program header: type, physical (load) and virtual address, the bytes in the file,
    /// and the size in memory.
    struct Segment {
        kind: u32,
        paddr: u32,
        vaddr: u32,
        data: Vec<u8>,
        memsz: u32,
    }

    fn load(paddr: u32, data: Vec<u8>) -> Segment {
        Segment {
            kind: PT_LOAD,
            paddr,
            vaddr: paddr,
            memsz: data.len() as u32,
            data,
        }
    }

    /// A 32-bit little-endian ELF written by hand: the header, the program headers, then
    /// each segment's bytes in order (the last segment's bytes end the file).
    fn elf(machine: u16, segments: &[Segment]) -> Vec<u8> {
        let phoff = 52u32;
        let mut offset = phoff + 32 * segments.len() as u32;
        let mut out = vec![0x7f, b'E', b'L', b'F', 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        out.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
        out.extend_from_slice(&machine.to_le_bytes());
        out.extend(words(&[1, FLASH.start + 0x139, phoff, 0, 0x0500_0400]));
        for half in [52u16, 32, segments.len() as u16, 40, 0, 0] {
            out.extend_from_slice(&half.to_le_bytes());
        }
        assert_eq!(out.len(), 52);
        for s in segments {
            let filesz = s.data.len() as u32;
            out.extend(words(&[
                s.kind, offset, s.vaddr, s.paddr, filesz, s.memsz, 4, 4,
            ]));
            offset += filesz;
        }
        for s in segments {
            out.extend_from_slice(&s.data);
        }
        out
    }

    /// A firmware in miniature, laid out as the Pico 2 example's: a vector table and the boot
    /// block at 0x10000110, code, `.data` stored in flash for RAM (crossing a page boundary),
    /// `.bss` (nothing to load) and a stack segment.
    fn tiny_firmware() -> (Vec<u8>, Vec<(u32, Vec<u8>)>) {
        let vectors: Vec<u8> = (0..0x110u32).map(|i| (i * 7 + 1) as u8).collect();
        let start = [vectors, words(&PICO2_BLOCK)].concat();
        let text: Vec<u8> = (0..0x30u32).map(|i| 0x80 | i as u8).collect();
        let data: Vec<u8> = (1..=0x20u8).collect();
        let mut data_segment = load(FLASH.start + 0x1f0, data.clone());
        data_segment.vaddr = 0x2000_0000;
        let segments = [
            load(FLASH.start, start.clone()),
            load(FLASH.start + 0x140, text.clone()),
            Segment {
                kind: PT_LOAD,
                paddr: 0x2000_0020,
                vaddr: 0x2000_0020,
                data: vec![],
                memsz: 0x400,
            },
            Segment {
                kind: 0x6474_e551, // PT_GNU_STACK
                paddr: 0,
                vaddr: 0,
                data: vec![],
                memsz: 0,
            },
            data_segment,
        ];
        let expected = vec![
            (FLASH.start, start),
            (FLASH.start + 0x140, text),
            (FLASH.start + 0x1f0, data),
        ];
        (elf(EM_ARM, &segments), expected)
    }

    /// A UF2 file read back, checking every field of every block as a board's boot ROM
    /// would: the flash it writes, address to byte.
    fn decode(uf2: &[u8], family: u32) -> BTreeMap<u32, u8> {
        assert_eq!(uf2.len() % UF2_BLOCK, 0, "whole 512-byte blocks");
        let count = uf2.len() / UF2_BLOCK;
        let mut flash = BTreeMap::new();
        for (number, block) in uf2.chunks_exact(UF2_BLOCK).enumerate() {
            let word = |i: usize| u32::from_le_bytes(block[4 * i..4 * i + 4].try_into().unwrap());
            assert_eq!(
                (word(0), word(1)),
                (0x0A32_4655, 0x9E5D_5157),
                "start magic"
            );
            assert_eq!(word(2), 0x2000, "flags: family ID present, nothing else");
            let address = word(3);
            assert_eq!(address % 256, 0, "a page-aligned address");
            assert_eq!(word(4), 256, "payload size");
            assert_eq!(word(5) as usize, number, "block number");
            assert_eq!(word(6) as usize, count, "count of blocks");
            assert_eq!(word(7), family);
            assert_eq!(word(127), 0x0AB1_6F30, "end magic");
            assert!(block[32 + 256..508].iter().all(|&b| b == 0), "padding");
            for (a, &byte) in (address..).zip(&block[32..32 + 256]) {
                assert!(flash.insert(a, byte).is_none(), "0x{a:08x} written twice");
            }
        }
        flash
    }

    #[test]
    fn a_firmware_becomes_the_blocks_the_boot_rom_writes() {
        let (elf, expected) = tiny_firmware();
        let pages = pages_of(&elf).unwrap();
        // 0x10000000..0x10000124, 0x10000140..0x10000170, 0x100001f0..0x10000210: three pages.
        assert_eq!(
            pages.keys().copied().collect::<Vec<_>>(),
            [FLASH.start, FLASH.start + 0x100, FLASH.start + 0x200]
        );
        assert_eq!(boot_block(&pages).unwrap(), FLASH.start + 0x110);
        let flash = decode(&uf2(&pages, RP2350_ARM_S), RP2350_ARM_S);
        assert_eq!(flash.len(), 3 * 256);
        let mut loaded = BTreeMap::new();
        for (start, bytes) in &expected {
            loaded.extend((*start..).zip(bytes.iter().copied()));
        }
        for (address, byte) in flash {
            // The ELF's bytes at their load addresses (`.data` at 0x100001f0, not in RAM),
            // zero in the gaps.
            assert_eq!(
                byte,
                loaded.get(&address).copied().unwrap_or(0),
                "0x{address:08x}"
            );
        }
    }

    #[test]
    fn refuses_a_cut_short_elf() {
        let (elf, _) = tiny_firmware();
        // In the ELF header, in the program headers, in the last segment's bytes.
        for len in [0, 4, 16, 51, 52 + 20, 52 + 5 * 32 - 1, elf.len() - 1] {
            let e = pages_of(&elf[..len]).unwrap_err();
            assert!(
                format!("{e:#}").contains("outside the file")
                    || format!("{e:#}").contains("cut short"),
                "{len}: {e:#}"
            );
        }
        assert!(pages_of(&elf).is_ok());
    }

    #[test]
    fn refuses_what_is_not_a_firmware_for_the_pico_2() {
        let block = words(&PICO2_BLOCK);
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            (
                "text",
                b"not an elf, at least 52 bytes long ..................".to_vec(),
                "not a 32-bit ELF",
            ),
            (
                "RISC-V",
                elf(243, &[load(FLASH.start, block.clone())]),
                "machine 243",
            ),
            (
                "in RAM",
                elf(EM_ARM, &[load(0x2000_0000, block.clone())]),
                "outside the Pico 2's flash",
            ),
            (
                "past the flash",
                elf(EM_ARM, &[load(FLASH.end - 8, block.clone())]),
                "outside",
            ),
            (
                "past 4 GiB",
                elf(EM_ARM, &[load(0xffff_fff0, vec![0; 0x20])]),
                "past 4 GiB",
            ),
            (
                "overlap",
                elf(
                    EM_ARM,
                    &[
                        load(FLASH.start + 0x10, vec![1; 8]),
                        load(FLASH.start, block.clone()),
                    ],
                ),
                "overlap",
            ),
            ("nothing to load", elf(EM_ARM, &[]), "nothing to load"),
        ];
        for (name, bytes, message) in cases {
            let e = pages_of(&bytes).unwrap_err();
            assert!(format!("{e:#}").contains(message), "{name}: {e:#}");
        }
        let mut big_endian = elf(EM_ARM, &[load(FLASH.start, block.clone())]);
        big_endian[5] = 2;
        assert!(pages_of(&big_endian).is_err());
        let mut elf64 = elf(EM_ARM, &[load(FLASH.start, block)]);
        elf64[4] = 2;
        assert!(pages_of(&elf64).is_err());
    }

    #[test]
    fn boot_block_table() {
        let start = FLASH.start + 0x110;
        assert_eq!(boot_block(&pages_with(start, &PICO2_BLOCK)).unwrap(), start);
        // The last word boundary the boot ROM looks at.
        let last = FLASH.start + BOOT_WINDOW - 4;
        assert_eq!(boot_block(&pages_with(last, &PICO2_BLOCK)).unwrap(), last);
        // Past the first 4 KiB: the boot ROM does not look there.
        assert!(boot_block(&pages_with(FLASH.start + 4096, &PICO2_BLOCK)).is_err());
        // No end marker.
        assert!(boot_block(&pages_with(start, &PICO2_BLOCK[..4])).is_err());
        // Image types the RP2350's Arm cores do not run: RISC-V (CPU 1), RP2040 (chip 0), a
        // data image (type 2).
        for item in [0x1121_0142, 0x0021_0142, 0x1022_0142] {
            let mut block = PICO2_BLOCK;
            block[1] = item;
            assert!(boot_block(&pages_with(start, &block)).is_err(), "{item:x}");
        }
        // A block without an image type item (only the last item).
        let bare = [0xffff_ded3, 0x0000_00ff, 0, 0xab12_3579];
        assert!(boot_block(&pages_with(start, &bare)).is_err());
        // An item of size 0 would loop for ever.
        let mut zero = PICO2_BLOCK;
        zero[1] = 0x1021_0042;
        assert!(boot_block(&pages_with(start, &zero)).is_err());
        // An item whose size runs past the image.
        let mut long = PICO2_BLOCK;
        long[1] = 0x00ff_ff82;
        assert!(boot_block(&pages_with(start, &long)).is_err());
    }

    #[test]
    fn uf2_blocks() {
        let mut pages = pages_with(FLASH.start, &[1, 2, 3]);
        pages.insert(FLASH.start + 0x1000, [7; PAGE]);
        let out = uf2(&pages, RP2350_ARM_S);
        assert_eq!(out.len(), 2 * UF2_BLOCK);
        let flash = decode(&out, RP2350_ARM_S);
        assert_eq!(flash.get(&FLASH.start), Some(&1));
        assert_eq!(flash.get(&(FLASH.start + 4)), Some(&2));
        assert_eq!(flash.get(&(FLASH.start + 12)), Some(&0));
        assert_eq!(flash.get(&(FLASH.start + 0x10ff)), Some(&7));
        assert_eq!(
            flash.get(&(FLASH.start + 0x100)),
            None,
            "no block for an empty page"
        );
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-uf2-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn the_command_writes_the_file_or_nothing() {
        let dir = scratch("command");
        let (firmware, _) = tiny_firmware();
        let elf = dir.join("firmware");
        let out = dir.join("firmware.uf2");
        std::fs::write(&elf, &firmware).unwrap();
        let summary = convert(&elf, &out).unwrap();
        assert!(summary.contains("3 blocks"), "{summary}");
        assert_eq!(
            std::fs::read(&out).unwrap(),
            uf2(&pages_of(&firmware).unwrap(), RP2350_ARM_S)
        );
        // The default output is next to the ELF.
        std::fs::remove_file(&out).unwrap();
        command(&[elf.display().to_string()]).unwrap();
        assert!(out.exists());

        // A refused input leaves the output as it was, and no temporary file.
        std::fs::write(&out, b"kept").unwrap();
        let text = dir.join("notes.txt");
        std::fs::write(&text, b"not a firmware").unwrap();
        assert!(convert(&text, &out).is_err());
        let mut cut = firmware.clone();
        cut.truncate(firmware.len() - 1);
        std::fs::write(&text, &cut).unwrap();
        assert!(convert(&text, &out).is_err());
        assert_eq!(std::fs::read(&out).unwrap(), b"kept");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 3);

        // The output must not be the input, however it is spelled.
        let same = dir.join(".").join("firmware");
        let e = convert(&elf, &same).unwrap_err();
        assert!(format!("{e:#}").contains("is the input"), "{e:#}");
        assert_eq!(std::fs::read(&elf).unwrap(), firmware);

        // A missing input, a bad argument count.
        assert!(convert(&dir.join("missing"), &out).is_err());
        assert!(command(&[]).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn reads_no_further_than_the_limit() {
        let dir = scratch("limit");
        let file = dir.join("big");
        std::fs::write(&file, [0u8; 21]).unwrap();
        assert!(read_bounded(&file, 21).is_ok());
        let e = read_bounded(&file, 20).unwrap_err();
        assert!(format!("{e:#}").contains("larger than 20 bytes"), "{e:#}");
        let _ = std::fs::remove_dir_all(&dir);
        #[cfg(unix)]
        {
            let e = read_bounded(Path::new("/dev/zero"), 1000).unwrap_err();
            assert!(format!("{e:#}").contains("larger than"), "{e:#}");
        }
    }
}
