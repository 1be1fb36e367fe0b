"""Writes core/src/number/q16/tables.rs: the piecewise cubic tables of the Q16.16 activations,
and of the exponential and logarithm of the Q16.16 cross-entropy.

Each function f is tabulated for a >= 0 on [0, limit) in segments of 2^shift raw units
(raw = value * 2^16). On a segment starting at a0, with t = a - a0 in [0, 2^shift),

    p = c3
    p = c2 + ((p * t) >> shift)
    p = c1 + ((p * t) >> shift)
    p = c0 + ((p * t) >> shift)
    f(a) ~ (p + 2^(extra - 1)) >> extra        (raw units)

in 32-bit integers (every product p * t fits in an i32: checked below), with `extra` guard
bits. A *fine* table (the cross-entropy's `EXP_NEG` and `LN_1P`) skips the last rounding: its
result is p itself, in units of 2^-(16 + extra), and its error is measured at that resolution
(and reported in units of 2^-16, as every other table's). The coefficients are a weighted least-squares cubic (iteratively reweighted towards the
minimax fit) rounded to integers, then c0 and c1 nudged by a few units to the pair with the
smallest maximum error over every input of the segment, evaluated exactly as the core does.

Beside the tables it writes two constants of the cross-entropy, correctly rounded:
EXP_NEG_INTEGER[n] = round(e^-n 2^30) for n = 0..21 (e^-22 2^30 rounds to 0), and
LN_2 = round(ln(2) 2^26).

Run: python3 tools/q16_tables.py  (numpy only; about a minute). It prints the worst error of
each table over every input below its limit, in units of 2^-16, against the float64 formula.
"""

import math
import pathlib
import sys

import numpy as np

C = math.sqrt(2.0 / math.pi)
A = 0.044715


def gelu(x):
    return 0.5 * x * (1.0 + np.tanh(C * (x + A * x * x * x)))


def gelu_derivative(x):
    t = np.tanh(C * (x + A * x * x * x))
    return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * C * (1.0 + 3.0 * A * x * x)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def exp_neg(x):
    return np.exp(-x)


# (Rust name, function, limit (value), shift, extra guard bits, fine, what it is)
TABLES = [
    ("GELU", gelu, 5.0, 14, 2, False, "GELU (tanh approximation) for x >= 0"),
    ("GELU_DERIVATIVE", gelu_derivative, 5.0, 14, 3, False, "its derivative for x >= 0"),
    ("TANH", np.tanh, 6.5, 14, 3, False, "tanh for x >= 0"),
    ("SIGMOID", sigmoid, 12.0, 15, 2, False, "the logistic sigmoid for x >= 0"),
    ("EXP_NEG", exp_neg, 1.0, 13, 5, True, "e^-x for x in [0, 1), fine (no last rounding)"),
    ("LN_1P", np.log1p, 1.0, 13, 5, True, "ln(1 + x) for x in [0, 1), fine (no last rounding)"),
]


def evaluate(cs, t, shift, extra, fine):
    p = np.full(t.shape, cs[3], dtype=np.int64)
    worst = 0
    for k in (2, 1, 0):
        prod = p * t
        worst = max(worst, int(np.abs(prod).max()))
        p = cs[k] + (prod >> shift)
    if fine:
        return p, worst
    return (p + (1 << (extra - 1))) >> extra, worst


def fit(f, limit, shift, extra, fine):
    width = 1 << shift
    n = int(math.ceil(limit * 65536 / width))
    t = np.arange(width, dtype=np.int64)
    tau = t / width
    segments, worst_err, worst_prod = [], 0.0, 0
    for i in range(n):
        ref = f((i * width + t) / 65536.0) * 65536.0
        y = ref * (1 << extra)
        if fine:
            ref = y
        w = np.ones(width)
        for _ in range(8):
            c = np.polynomial.polynomial.polyfit(tau, y, 3, w=np.sqrt(w))
            # In t's raw units: c_k / width^k, scaled so that Horner's shifts undo it.
            e = np.abs(np.polynomial.polynomial.polyval(tau, c) - y)
            w = w * (e / e.max() + 1e-3)
            w /= w.sum()
        base = np.round(c).astype(np.int64)
        best = None
        for d0 in range(-3, 4):
            for d1 in range(-2, 3):
                cs = base.copy()
                cs[0] += d0
                cs[1] += d1
                r, prod = evaluate(cs, t, shift, extra, fine)
                err = float(np.abs(r - ref).max())
                if best is None or err < best[0]:
                    best = (err, cs, prod)
        err, cs, prod = best
        assert prod < 2**31, f"segment {i}: a product needs {math.log2(prod):.2f} bits"
        # The core packs a segment in 10 bytes (`Cubic` in cubic.rs): c0 in 32 bits, c1 in
        # 19 and c3 in 13 (one word), c2 in 16.
        assert -(2**18) <= int(cs[1]) < 2**18, f"segment {i}: c1 needs more than 19 bits: {cs}"
        assert -(2**15) <= int(cs[2]) < 2**15, f"segment {i}: c2 needs more than 16 bits: {cs}"
        assert -(2**12) <= int(cs[3]) < 2**12, f"segment {i}: c3 needs more than 13 bits: {cs}"
        if fine:
            err /= 1 << extra
        segments.append(cs)
        worst_err, worst_prod = max(worst_err, err), max(worst_prod, prod)
    return segments, worst_err, worst_prod


def round_exact(v):
    """v (a float64 below 2^31, so within 2^-22 of the real number) rounded to an integer;
    asserts that it is not so close to a half that the float64 error could matter."""
    assert abs(v % 1.0 - 0.5) > 1e-5, v
    return int(round(v))


def main():
    out = pathlib.Path(__file__).resolve().parent.parent / "core/src/number/q16/tables.rs"
    lines = [
        "//! The piecewise cubic tables of the Q16.16 activations, written by",
        "//! `tools/q16_tables.py` (do not edit by hand; run it again).",
        "//!",
        "//! Each table covers `a >= 0` below its limit; see [`super::cubic`] for the evaluation.",
        "",
        "use super::cubic::{Cubic, Table};",
        "",
    ]
    for name, f, limit, shift, extra, fine, what in TABLES:
        segments, err, prod = fit(f, limit, shift, extra, fine)
        print(
            f"{name}: {len(segments)} segments of {2**shift / 65536} on [0, {limit}), "
            f"extra {extra}: worst error {err:.4f} units, largest product 2^{math.log2(prod):.3f}",
            file=sys.stderr,
        )
        lines.append(f"/// {what}: {len(segments)} segments of width {2**shift / 65536} on")
        lines.append(
            f"/// `[0, {limit})`; worst error over every input below the limit {err:.4f} units"
        )
        lines.append("/// of `2^-16` (as the generator measured it).")
        lines.append(f"pub(super) const {name}: Table = Table {{")
        lines.append(f"    shift: {shift},")
        lines.append(f"    extra: {extra},")
        lines.append("    segments: &[")
        for cs in segments:
            lines.append(f"        Cubic::new({cs[0]}, {cs[1]}, {cs[2]}, {cs[3]}),")
        lines.append("    ],")
        lines.append("};")
        lines.append("")
    exp_neg_integer = [round_exact(math.exp(-n) * 2**30) for n in range(22)]
    assert round_exact(math.exp(-22) * 2**30) == 0
    lines.append("/// `round(e^-n 2^30)` for `n` = 0 to 21 (`e^-22 2^30` rounds to 0): the integer part of")
    lines.append("/// the cross-entropy's exponential.")
    lines.append("pub(super) const EXP_NEG_INTEGER: [i32; 22] = [")
    # Wrapped as rustfmt wraps an array of short numbers (100 columns).
    row = "   "
    for v in exp_neg_integer:
        if len(row) + len(f" {v},") > 100:
            lines.append(row)
            row = "   "
        row += f" {v},"
    lines.append(row)
    lines.append("];")
    lines.append("")
    lines.append("/// `round(ln(2) 2^26)`.")
    lines.append(f"pub(super) const LN_2: i32 = {round_exact(math.log(2) * 2**26)};")
    lines.append("")
    out.write_text("\n".join(lines).rstrip("\n") + "\n")
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
