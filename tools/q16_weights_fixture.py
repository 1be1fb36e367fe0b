#!/usr/bin/env python3
"""Writes tests/fixtures/weights/notebook-q16.json: the Q16.16 bits of PyTorch's notebook
weights (tests/fixtures/weights/notebook.safetensors, F32, and notebook-f64.safetensors, F64,
both written by tools/weights_fixture.py), computed independently of skipgrad, for
`tests/tests/weights.rs`, which holds `skipgrad::params::convert` and the harness's loader to
them bit for bit.

Each value is widened to float64 (exact for float32 and float64), multiplied by 65536 (exact:
a power of two) and rounded to the nearest integer with ties to even (`np.rint`), which is
Q16.16's rounding; the result must lie within the finite Q16.16 values, +-(2^31 - 2). The
bits are the signed 32-bit integers, per tensor in the file's row-major order.

Run from the repository root:  python3 tools/q16_weights_fixture.py [--check]
With --check it writes nothing and exits 1 if the committed bits differ from what it would
write.
"""

import json
import pathlib
import sys

import numpy as np
from safetensors.numpy import load_file

ROOT = pathlib.Path(__file__).resolve().parent.parent
DIR = ROOT / "tests" / "fixtures" / "weights"
OUT = DIR / "notebook-q16.json"
# Q16.16's largest finite value in bits: the rails (2^31 - 1 and below) are its "NaN".
LARGEST = 2**31 - 2


def quantise(path):
    """Every tensor of a safetensors file as Q16.16 bits, and the figures of the rounding."""
    tensors = load_file(path)
    bits, worst, ties = {}, 0.0, 0
    for name in sorted(tensors):
        x = tensors[name].astype(np.float64).ravel()
        scaled = x * 65536.0
        q = np.rint(scaled)
        if np.any(np.abs(q) > LARGEST):
            sys.exit(f"{path}: tensor {name} has a value beyond Q16.16's range")
        ties += int(np.sum(np.abs(scaled - np.trunc(scaled)) == 0.5))
        worst = max(worst, float(np.max(np.abs(q / 65536.0 - x))))
        bits[name] = [int(v) for v in q.astype(np.int64)]
    return {"bits": bits, "max_error": worst, "ties": ties}


def main():
    data = {
        "rounding": "np.rint(x.astype(np.float64) * 65536): nearest, ties to even",
        "numpy_version": np.__version__,
        "files": {
            "notebook.safetensors": quantise(DIR / "notebook.safetensors"),
            "notebook-f64.safetensors": quantise(DIR / "notebook-f64.safetensors"),
        },
    }
    text = json.dumps(data, indent=1) + "\n"
    if "--check" in sys.argv[1:]:
        if json.loads(OUT.read_text())["files"] != data["files"]:
            print(f"{OUT} differs from what tools/q16_weights_fixture.py writes")
            sys.exit(1)
        print(f"{OUT} is up to date")
        return
    OUT.write_text(text)
    for file, q in data["files"].items():
        print(f"{file}: {sum(len(b) for b in q['bits'].values())} values, "
              f"largest error {q['max_error']:.3e}, {q['ties']} ties")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
