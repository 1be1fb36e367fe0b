#!/usr/bin/env python3
"""Checks the weights a device returned (`cargo xtask mcu` writes target/roundtrip/): the
safetensors file loads into the notebook's PyTorch model with load_state_dict(strict=True),
and the model reproduces the device's output and loss on the sample to 1e-6 relative.

Run from the repository root after `cargo xtask mcu`:  python3 tools/roundtrip_check.py [DIR]
"""

import json
import pathlib
import sys

import torch
from safetensors.torch import load_file

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import skipgrad_torch as st  # noqa: E402

BOUND = 1e-6


def main():
    root = pathlib.Path(__file__).resolve().parent.parent
    out = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else root / "target" / "roundtrip"
    device = json.loads((out / "returned.json").read_text())
    state = load_file(out / "returned.safetensors")
    model = st.Notebook(use_shortcut=True)
    result = model.load_state_dict(state, strict=True)
    print(f"torch {torch.__version__}: load_state_dict(strict=True): {result}")
    x = torch.tensor([device["input"]], dtype=torch.float32)
    t = torch.tensor([[device["target"]]], dtype=torch.float32)
    with torch.no_grad():
        y = model(x)
        loss = torch.nn.functional.mse_loss(y, t)
    failed = False
    for what, ours, theirs in [("output", float(y), device["output"]), ("loss", float(loss), device["loss"])]:
        err = abs(ours - theirs) / abs(theirs) if theirs != 0 else abs(ours)
        ok = err <= BOUND
        failed |= not ok
        print(f"{what}: PyTorch {ours!r}, device ({device['target_triple']}) {theirs!r}, "
              f"relative error {err:.3e} ({'ok' if ok else 'OVER'} {BOUND:g})")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
