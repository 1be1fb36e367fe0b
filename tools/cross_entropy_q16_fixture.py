#!/usr/bin/env python3
"""Writes core/src/number/q16/cross_entropy/fixture.rs: PyTorch's cross-entropy on logits that
are Q16.16 numbers, for the core's Q16.16 `CrossEntropy` (`core/src/number/q16/cross_entropy.rs`,
whose tests hold its results within their stated bounds of these).

Each case is a set of logits quantised to Q16.16 (written as raw bits, value = bits / 65536,
exact in float64), a class index, and `torch.nn.functional.cross_entropy` of those exact
values in float64 (reduction='mean') with its autograd gradient with respect to the logits:

- one sample of 2, 3, 10 (the digits network's logits) and 16 logits: all equal (the sum of
  exponentials is exactly N), one class far ahead or behind (up to 30 apart, past the 22 at
  which the core's exponential is 0), a unit apart, logits near the ends of the range
  (+-30000, where only their differences matter), a loss of 32000 (finite, near the top of
  the range), and random logits at scales from 0.01 to 30 with random targets;
- batches of 4 samples of 10 logits (the mean over the batch: each gradient is divided by 4).

Run from the repository root:  python3 tools/cross_entropy_q16_fixture.py [--check]
With --check it writes nothing and exits 1 if the committed file differs from what it would
write. Needs PyTorch and numpy; the Rust tests do not.
"""

import pathlib
import sys

import numpy as np
import torch
import torch.nn.functional as F

OUT = (
    pathlib.Path(__file__).resolve().parent.parent
    / "core/src/number/q16/cross_entropy/fixture.rs"
)
LARGEST = 2**31 - 2  # Q16::LARGEST in raw units


def quantise(values):
    """Raw Q16.16 bits of each value, rounded to nearest, within the finite range."""
    bits = np.rint(np.asarray(values, dtype=np.float64) * 65536.0).astype(np.int64)
    assert np.all(np.abs(bits) <= LARGEST), values
    return [int(b) for b in bits]


def torch_case(bits, targets):
    """cross_entropy (mean) of the logits bits / 65536 and its gradient, float64."""
    y = torch.tensor(bits, dtype=torch.float64) / 65536.0
    y.requires_grad_(True)
    loss = F.cross_entropy(y, torch.tensor(targets))
    loss.backward()
    return loss.item(), y.grad.tolist()


def one(bits, target):
    loss, grad = torch_case([bits], [target])
    return bits, target, loss, grad[0]


def samples(n, rng):
    cases = [one([0] * n, 0), one([0] * n, n - 1)]
    for d in [2.0**-16, 0.5, 3.0, 10.0, 21.9, 22.1, 30.0]:
        ahead = [0.0] * n
        ahead[0] = d
        cases.append(one(quantise(ahead), 0))
        cases.append(one(quantise(ahead), n - 1))
    for base in [30000.0, -30000.0]:
        cases.append(one(quantise(base + rng.normal(0.0, 2.0, n)), int(rng.integers(n))))
    far = [16000.0] + [-16000.0] * (n - 1)
    cases.append(one(quantise(far), n - 1))
    for scale in [0.01, 0.3, 1.0, 3.0, 10.0, 30.0]:
        for _ in range(4):
            cases.append(one(quantise(rng.normal(0.0, scale, n)), int(rng.integers(n))))
    return cases


def batches(rng):
    cases = []
    for scale in [0.1, 1.0, 3.0, 10.0, 30.0]:
        bits = [quantise(rng.normal(0.0, scale, 10)) for _ in range(4)]
        targets = [int(t) for t in rng.integers(10, size=4)]
        loss, grad = torch_case(bits, targets)
        cases.append((bits, targets, loss, grad))
    return cases


def f(v):
    """A float64 as a Rust literal that parses to the same bits."""
    r = repr(float(v))
    return r if ("." in r or "e" in r) else r + ".0"


def ints(xs):
    return "[" + ", ".join(str(x) for x in xs) + "]"


def floats(xs):
    return "[" + ", ".join(f(x) for x in xs) + "]"


def render():
    rng = np.random.default_rng(22)
    lines = [
        "//! PyTorch's cross-entropy on Q16.16 logits, written by",
        "//! `tools/cross_entropy_q16_fixture.py` (do not edit by hand; run it again).",
        f"//! PyTorch {torch.__version__.split('+')[0]}, float64: `F.cross_entropy` of the exact logits (raw",
        "//! Q16.16 bits / 65536) and its autograd gradient, `reduction='mean'`.",
        "",
        "/// One sample: logits (raw bits), class index, loss, gradient.",
        "pub(super) type Case<const N: usize> = ([i32; N], usize, f64, [f64; N]);",
        "",
        "/// A batch of 4 samples of 10 logits: logits, class indices, mean loss, gradients.",
        "pub(super) type BatchCase = ([[i32; 10]; 4], [usize; 4], f64, [[f64; 10]; 4]);",
        "",
    ]
    for name, n in [("TWO", 2), ("THREE", 3), ("TEN", 10), ("SIXTEEN", 16)]:
        cases = samples(n, rng)
        lines.append(f"pub(super) const {name}: [Case<{n}>; {len(cases)}] = [")
        for bits, target, loss, grad in cases:
            lines.append(f"    ({ints(bits)}, {target}, {f(loss)}, {floats(grad)}),")
        lines.append("];")
        lines.append("")
    cases = batches(rng)
    lines.append(f"pub(super) const BATCHES: [BatchCase; {len(cases)}] = [")
    for bits, targets, loss, grad in cases:
        lines.append("    (")
        lines.append("        [" + ", ".join(ints(b) for b in bits) + "],")
        lines.append(f"        {ints(targets)},")
        lines.append(f"        {f(loss)},")
        lines.append("        [" + ", ".join(floats(g) for g in grad) + "],")
        lines.append("    ),")
    lines.append("];")
    return "\n".join(lines) + "\n"


def main():
    text = render()
    if sys.argv[1:] == ["--check"]:
        same = OUT.exists() and OUT.read_text() == text
        print(f"{OUT}: {'current' if same else 'DIFFERS from what the script writes'}")
        sys.exit(0 if same else 1)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
