#!/usr/bin/env python3
"""Where a firmware ELF's flash goes: its sections, as `cargo xtask mcu` counts them (flash =
.text + .rodata + .data), and every symbol by size, with the section it lives in.

    python3 tools/flash_breakdown.py ELF [--top N]

Reads the ELF with LLVM's `llvm-size -A`, `llvm-objdump -h` and `llvm-nm -S -C --size-sort`
(Debian package `llvm`; `llvm-nm` demangles Rust names). Nested generic arguments are shortened to `<..>` and paths to
their last word (see `shorten`); `--full` prints the full names.
"""

import argparse
import re
import subprocess
import sys

def shorten(name: str) -> str:
    """Generic arguments nested in generic arguments become `<..>`, and paths keep their last
    word: `<skipgrad::layer::Residual<(Linear<Q16, 3, 3>, Gelu)> as Module<[Q16; 3]>>::backward`
    becomes `<Residual<..> as Module<..>>::backward`."""
    out, depth = [], 0
    for ch in name:
        if ch == "<":
            depth += 1
            if depth == 2:
                out.append("<..>")
            elif depth < 2:
                out.append(ch)
        elif ch == ">":
            depth = max(0, depth - 1)
            if depth < 1:
                out.append(ch)
        elif depth < 2:
            out.append(ch)
    return re.sub(r"(?:[A-Za-z_][A-Za-z0-9_]*::)+(?=[A-Za-z_])", "", "".join(out))


def run(*cmd: str) -> str:
    try:
        return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        sys.exit(f"error: {' '.join(cmd)}: {e}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("elf")
    p.add_argument("--top", type=int, default=25, help="symbols to list (default 25)")
    p.add_argument("--full", action="store_true", help="full demangled names")
    a = p.parse_args()

    sections = {}
    for line in run("llvm-size", "-A", a.elf).splitlines():
        f = line.split()
        if len(f) >= 2 and f[0] in (".text", ".rodata", ".data", ".bss"):
            sections[f[0]] = int(f[1])
    flash = sum(sections.get(s, 0) for s in (".text", ".rodata", ".data"))
    print(f"flash {flash} B = " + " + ".join(
        f"{s} {sections.get(s, 0)}" for s in (".text", ".rodata", ".data")
    ) + f"; .bss {sections.get('.bss', 0)} B")

    # Section of every symbol, by address (the vector table is outside the flash figure).
    ranges = []
    for line in run("llvm-objdump", "-h", a.elf).splitlines():
        f = line.split()
        if len(f) >= 4 and f[0].isdigit() and f[1].startswith("."):
            ranges.append((f[1], int(f[3], 16), int(f[2], 16)))

    def section_of(address: int, size: int) -> str:
        for name, start, length in ranges:
            if start <= address and address + size <= start + length and length > 0:
                return name
        return "?"

    symbols = []
    for line in run("llvm-nm", "-S", "-C", "--size-sort", a.elf).splitlines():
        m = re.match(r"^([0-9a-f]+) ([0-9a-f]+) (\w) (.*)$", line)
        if not m:
            continue
        address, size, name = int(m.group(1), 16), int(m.group(2), 16), m.group(4)
        if size == 0:
            continue
        symbols.append((size, section_of(address, size), name if a.full else shorten(name)))
    symbols.sort(key=lambda s: -s[0])
    print(f"{'bytes':>6}  {'section':<14} symbol")
    for size, section, name in symbols[: a.top]:
        print(f"{size:>6}  {section:<14} {name}")
    for section in (".text", ".rodata", ".data"):
        named = sum(size for size, sec, _ in symbols if sec == section)
        listed = sum(size for size, sec, _ in symbols[: a.top] if sec == section)
        if named > listed:
            print(f"{named - listed:>6}  {section:<14} the section's other named symbols")
        if sections.get(section, 0) > named:
            print(
                f"{sections[section] - named:>6}  {section:<14} without a symbol "
                "(constants, tables, padding)"
            )


if __name__ == "__main__":
    main()
