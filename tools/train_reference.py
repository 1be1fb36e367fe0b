#!/usr/bin/env python3
"""Writes tests/fixtures/train-sin-reference.json: the loss curves of `skipgrad train`'s
network trained in PyTorch, for the calibration runs of the training issue.

The network is `skipgrad train`'s: nn.Linear(1, 16) + GELU, 8 blocks of nn.Linear(16, 16) +
GELU (with or without the shortcut `x + block(x)`), nn.Linear(16, 1); the notebook's tanh
GELU in float32; `torch.manual_seed(0)` before construction. The task: sin(x) at
torch.linspace(-pi, pi, 64), full batch, nn.MSELoss, 2000 steps of SGD (lr 0.01) or Adam
(lr 1e-3). The loss is recorded before the update of every 10th step, then after the last
update, as `skipgrad train --json` records it.

Run from the repository root:  python3 tools/train_reference.py
"""

import json
import math
import pathlib
import time

import torch

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "train-sin-reference.json"
WIDTH, DEPTH, STEPS, EVERY, SEED = 16, 8, 2000, 10, 0


class Gelu(torch.nn.Module):
    """The seed notebook's GELU (tanh approximation, constants in float32)."""

    def forward(self, x):
        c = torch.sqrt(torch.tensor(2.0 / torch.pi))
        return 0.5 * x * (1 + torch.tanh(c * (x + 0.044715 * torch.pow(x, 3))))


class Block(torch.nn.Module):
    def __init__(self, width, shortcut):
        super().__init__()
        self.layer = torch.nn.Sequential(torch.nn.Linear(width, width), Gelu())
        self.shortcut = shortcut

    def forward(self, x):
        y = self.layer(x)
        return x + y if self.shortcut else y


def network(shortcut):
    return torch.nn.Sequential(
        torch.nn.Linear(1, WIDTH),
        Gelu(),
        *[Block(WIDTH, shortcut) for _ in range(DEPTH)],
        torch.nn.Linear(WIDTH, 1),
    )


def run(optimizer, lr, shortcut):
    torch.manual_seed(SEED)
    model = network(shortcut)
    x = torch.linspace(-math.pi, math.pi, 64).unsqueeze(1)
    y = torch.sin(x)
    if optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=lr)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = torch.nn.MSELoss()
    losses = []
    start = time.perf_counter()
    for step in range(STEPS):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        if step % EVERY == 0:
            losses.append(loss.item())
    with torch.no_grad():
        final = loss_fn(model(x), y).item()
    seconds = time.perf_counter() - start
    losses.append(final)
    return {
        "optimizer": optimizer,
        "lr": lr,
        "shortcut": shortcut,
        "final_loss": final,
        "losses": losses,
        "seconds": round(seconds, 2),
    }


def main():
    torch.set_num_threads(1)
    runs = [
        run(opt, lr, shortcut)
        for opt, lr in [("sgd", 0.01), ("adam", 1e-3)]
        for shortcut in [True, False]
    ]
    for r in runs:
        print(r["optimizer"], r["shortcut"], r["losses"][0], "->", r["final_loss"], f'{r["seconds"]} s')
    out = {
        "torch_version": torch.__version__,
        "task": "sin",
        "depth": DEPTH,
        "width": WIDTH,
        "steps": STEPS,
        "every": EVERY,
        "seed": SEED,
        "runs": runs,
    }
    OUT.write_text(json.dumps(out) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
