#!/usr/bin/env python3
"""Checks that `skipgrad train --save FILE` writes weights PyTorch takes: the file loads into
`skipgrad train`'s network (tools/skipgrad_torch.py) with load_state_dict(strict=True), and
the loaded network's MSE on the task's data is the loss `train --json` reported.

Run from the repository root:
  cargo run --release -- train --depth 2 --width 8 --steps 50 --save /tmp/t.safetensors --json > /tmp/t.json
  python3 tools/train_save_check.py /tmp/t.safetensors /tmp/t.json
"""

import json
import math
import pathlib
import sys

import torch
from safetensors.torch import load_file

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import skipgrad_torch as st  # noqa: E402


def main():
    weights, report = pathlib.Path(sys.argv[1]), json.loads(pathlib.Path(sys.argv[2]).read_text())
    assert report["task"] == "sin", "this check computes the sin task's data"
    model = st.train_net(1, report["width"], report["depth"], shortcut=report["shortcut"])
    result = model.load_state_dict(load_file(weights), strict=True)
    print(f"torch {torch.__version__}: load_state_dict(strict=True): {result}")
    x = torch.linspace(-math.pi, math.pi, 64, dtype=torch.float64).float().unsqueeze(1)
    y = torch.sin(x.double()).float()
    with torch.no_grad():
        loss = float(torch.nn.functional.mse_loss(model(x), y))
    theirs = report["final_loss"]
    err = abs(loss - theirs) / abs(theirs)
    print(f"final loss: PyTorch {loss!r}, skipgrad {theirs!r}, relative error {err:.3e}")
    sys.exit(0 if err <= 1e-5 else 1)


if __name__ == "__main__":
    main()
