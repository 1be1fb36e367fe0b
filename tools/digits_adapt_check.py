#!/usr/bin/env python3
"""Checks the weights a device adapted (`cargo xtask mcu` writes target/digits-adapt/): each
safetensors file loads into the default digits network in PyTorch with
load_state_dict(strict=True), and the model classifies the drifted test digits (grey levels
+4, clipped at 16) exactly as the device reported: the same count right, so the same
accuracy. The original test digits are checked the same way. `digits-adapt-q16`'s file holds
its Q16.16 weights converted to float32 (exactly: every value is below 256); PyTorch
classifies with them in float32.

Run from the repository root after `cargo xtask mcu`:
    python3 tools/digits_adapt_check.py [DIR]
"""

import json
import pathlib
import sys

import torch
from safetensors.torch import load_file

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import skipgrad_digits as sd  # noqa: E402


def main():
    out = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else sd.ROOT / "target" / "digits-adapt"
    files = sorted(out.glob("*.json"))
    if not files:
        print(f"no device results in {out}: run `cargo xtask mcu` first")
        sys.exit(1)
    _, _, x_test, y_test = sd.load()
    ys = torch.tensor(y_test)
    failed = False
    for path in files:
        device = json.loads(path.read_text())
        model = sd.network()
        result = model.load_state_dict(load_file(path.with_suffix(".safetensors")), strict=True)
        print(f"{device['scenario']} ({device['target_triple']}), torch {torch.__version__}: "
              f"load_state_dict(strict=True): {result}")
        offset = device["domain"]["offset"]
        for what, pixels, key in [
            (f"drifted (+{offset})", sd.offset(x_test, offset), "correct_after"),
            ("original", x_test, "correct_unshifted_after"),
        ]:
            with torch.no_grad():
                predicted = model(torch.tensor(sd.scale(pixels))).argmax(1)
            correct = int((predicted == ys).sum())
            ok = correct == device[key]
            failed |= not ok
            print(f"  {what} test digits: PyTorch {correct} of {len(ys)} right "
                  f"({correct / len(ys):.4f}), device {device[key]} "
                  f"({device[key] / len(ys):.4f}): {'equal' if ok else 'DIFFERENT'}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
