#!/usr/bin/env python3
"""Writes tests/fixtures/weights/: PyTorch weights as safetensors, and what PyTorch computes
with them, for skipgrad's loaders (`skipgrad import`, `train --load`, `convert`).

For each network: PyTorch builds it from a seed, trains it for a few steps (so the weights
are PyTorch's, not an initialisation skipgrad reproduces), saves its state_dict with
`safetensors.torch.save_file`, and records one sample, the output, the MSE loss and the
gradient of every tensor, in float32 (`<name>.json`).

- notebook: the notebook's 3-3-3-3-3-1 network; both variants (with and without shortcuts)
  take the same file, as in the notebook, and both are recorded. The same weights are also
  saved as F64, F16 and BF16 with the float32 values PyTorch converts them to
  (`tensor.float()`, as load_state_dict copies them into a float32 model).
- train: `skipgrad train`'s network (sin, 2 blocks of width 8, with shortcuts).
- train-norm: the same shape with a LayerNorm before each block (inside its shortcut) and
  SiLU activations.

Run from the repository root:  python3 tools/weights_fixture.py
"""

import json
import math
import pathlib
import sys

import torch
from safetensors.torch import save_file

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import skipgrad_torch as st  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "weights"


def pretrain(model, inputs, targets, steps, lr):
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(inputs), targets).backward()
        opt.step()


def record(model, x, t):
    """Output, loss and every gradient of one forward/backward pass, in float32."""
    model.zero_grad()
    y = model(x)
    loss = torch.nn.functional.mse_loss(y, t)
    loss.backward()
    return {
        "output": [float(v) for v in y.detach().flatten()],
        "loss": float(loss.detach()),
        "gradients": {n: [float(v) for v in p.grad.flatten()] for n, p in model.named_parameters()},
    }


def floats(sd):
    return {n: [float(v) for v in t.flatten()] for n, t in sd.items()}


def notebook():
    torch.manual_seed(2024)
    inputs = torch.randn(8, 3)
    targets = torch.randn(8, 1)
    model = st.Notebook(use_shortcut=True)
    pretrain(model, inputs, targets, steps=5, lr=0.1)
    sd = {n: t.detach().clone().contiguous() for n, t in model.state_dict().items()}
    save_file(sd, OUT / "notebook.safetensors")
    x = torch.tensor([[1.0, 0.0, -1.0]])
    t = torch.tensor([[0.0]])
    out = {"input": [1.0, 0.0, -1.0], "target": 0.0, "weights": floats(sd)}
    for key, shortcut in [("with_shortcut", True), ("without_shortcut", False)]:
        m = st.Notebook(use_shortcut=shortcut)
        m.load_state_dict(sd, strict=True)
        out[key] = record(m, x, t)
    widened = {}
    for dtype, name in [(torch.float64, "f64"), (torch.float16, "f16"), (torch.bfloat16, "bf16")]:
        # F64: the float32 weights widened plus a perturbation below float32's resolution,
        # so that the loader has to round.
        if dtype == torch.float64:
            cast = {n: (v.double() * (1 + 2.0**-30)).contiguous() for n, v in sd.items()}
        else:
            cast = {n: v.to(dtype).contiguous() for n, v in sd.items()}
        save_file(cast, OUT / f"notebook-{name}.safetensors")
        widened[name] = floats({n: v.float() for n, v in cast.items()})
    out["as_float32"] = widened
    return out


def train(norm):
    torch.manual_seed(7 if norm else 3)
    act = torch.nn.SiLU if norm else st.Gelu
    model = st.train_net(1, 8, 2, shortcut=True, norm=norm, act=act)
    xs = torch.linspace(-math.pi, math.pi, 64).unsqueeze(1)
    pretrain(model, xs, torch.sin(xs), steps=20, lr=0.05)
    sd = {n: t.detach().clone().contiguous() for n, t in model.state_dict().items()}
    name = "train-norm" if norm else "train"
    save_file(sd, OUT / f"{name}.safetensors")
    x = torch.tensor([[0.5]])
    t = torch.sin(x)
    return name, {
        "input": [0.5],
        "target": float(t),
        "weights": floats(sd),
        "result": record(model, x, t),
    }


def main():
    torch.set_num_threads(1)
    OUT.mkdir(parents=True, exist_ok=True)
    fixtures = {"notebook": notebook()}
    for norm in [False, True]:
        name, data = train(norm)
        fixtures[name] = data
    for name, data in fixtures.items():
        data["torch_version"] = torch.__version__
        (OUT / f"{name}.json").write_text(json.dumps(data) + "\n")
        print(f"wrote {OUT / (name + '.json')}")


if __name__ == "__main__":
    main()
