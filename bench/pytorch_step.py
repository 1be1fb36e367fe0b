#!/usr/bin/env python3
"""One training step of the benchmark's network in PyTorch, on one thread.

Usage: python3 pytorch_step.py DIR [--quick]

DIR holds `config-N.bin`, written by `cargo run --release -- export DIR` (the `report`
command writes them to target/problems): the weights, the batch, and the losses and weights
of skipgrad's first steps. For each configuration the script builds the same network
(`nn.Linear` + `nn.GELU(approximate="tanh")`, four `Linear(W, W)` and a `Linear(W, 1)`),
loads the weights, checks that its first steps agree with skipgrad's (losses within 1e-5
relative, weights within 1e-3 of the update, as the Rust check), then times the step
(`zero_grad`, forward, `MSELoss`, `backward`, `SGD.step`, `loss.item()`) and prints one JSON
line per configuration: the median over samples of the mean step time of each sample, and
the overall mean, in nanoseconds.
"""

import json
import statistics
import struct
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

torch.set_num_threads(1)
torch.set_num_interop_threads(1)

LR = 1e-3
LOSS_RTOL = 1e-5
UPDATE_RTOL = 1e-3


def read(path):
    data = path.read_bytes()
    cid, width, batch = struct.unpack_from("<3I", data, 0)
    at = 12
    sizes = [(width, width)] * 4 + [(width, 1)]
    nparams = sum(i * o + o for i, o in sizes)

    def floats(n):
        nonlocal at
        v = np.frombuffer(data, dtype="<f4", count=n, offset=at).copy()
        at += 4 * n
        return v

    params = floats(nparams)
    inputs = floats(batch * width).reshape(batch, width)
    targets = floats(batch).reshape(batch, 1)
    (steps,) = struct.unpack_from("<I", data, at)
    at += 4
    losses = floats(steps)
    after = floats(nparams)
    assert at == len(data), f"{path}: {len(data) - at} bytes left over"
    return cid, sizes, params, inputs, targets, losses, after


def build(sizes, params):
    layers = []
    at = 0
    for i, o in sizes:
        lin = nn.Linear(i, o)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(params[at : at + i * o].reshape(o, i)))
            at += i * o
            lin.bias.copy_(torch.from_numpy(params[at : at + o]))
            at += o
        layers += [lin, nn.GELU(approximate="tanh")]
    return nn.Sequential(*layers)


def flat(model):
    return np.concatenate([p.detach().numpy().ravel() for p in model.parameters()])


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    quick = "--quick" in sys.argv[2:]
    for path in sorted(Path(sys.argv[1]).glob("config-*.bin")):
        cid, sizes, params, inputs, targets, want_losses, want_after = read(path)
        model = build(sizes, params)
        opt = torch.optim.SGD(model.parameters(), lr=LR)
        mse = nn.MSELoss()
        x = torch.from_numpy(inputs)
        t = torch.from_numpy(targets)

        def step():
            opt.zero_grad()
            loss = mse(model(x), t)
            loss.backward()
            opt.step()
            return loss.item()

        losses = [step() for _ in want_losses]
        loss_err = max(abs(a - b) / abs(a) for a, b in zip(want_losses.astype(float), losses))
        moved = np.linalg.norm(want_after.astype(float) - params)
        update_err = np.linalg.norm(flat(model).astype(float) - want_after) / moved
        if not (loss_err <= LOSS_RTOL and update_err <= UPDATE_RTOL):
            sys.exit(
                f"config {cid}: PyTorch does not compute skipgrad's step: losses {loss_err:.2e} "
                f"(tolerance {LOSS_RTOL}), weights {update_err:.2e} of the update (tolerance {UPDATE_RTOL})"
            )
        # Warm up, then size a sample to about 50 ms (10 ms when quick).
        target = 0.01 if quick else 0.05
        t0 = time.perf_counter()
        n = 0
        while time.perf_counter() - t0 < (0.3 if quick else 1.0):
            step()
            n += 1
        per = (time.perf_counter() - t0) / n
        steps = max(1, int(target / per))
        samples = []
        for _ in range(20 if quick else 50):
            t0 = time.perf_counter()
            for _ in range(steps):
                step()
            samples.append((time.perf_counter() - t0) / steps)
        print(
            json.dumps(
                {
                    "config": cid,
                    "median_ns": statistics.median(samples) * 1e9,
                    "mean_ns": statistics.fmean(samples) * 1e9,
                    "loss_rtol": loss_err,
                    "update_rtol": update_err,
                    "torch": torch.__version__,
                    "threads": torch.get_num_threads(),
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
