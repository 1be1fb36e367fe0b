#!/usr/bin/env python3
"""The sweep behind the digits default (README, "Handwritten digits"): the default network in
PyTorch, trained as `tools/digits_reference.py` trains it (same data, initialisation and
batch order), for a few activations, learning rates, batch sizes and epoch counts, each from
seeds 0 to 7; prints the test accuracy of every seed, their mean and minimum, and the Adam
steps each run takes (what dominates skipgrad's time on the host).

Run from the repository root (a few minutes, 1 thread):  python3 tools/digits_sweep.py
"""

import pathlib
import sys

import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import skipgrad_digits as sd  # noqa: E402

SEEDS = range(8)
# (activation, learning rate, batch, epochs); the first is the default.
CONFIGS = [
    (torch.nn.ReLU, 1e-2, 32, 30),
    (torch.nn.ReLU, 1e-2, 16, 40),
    (torch.nn.GELU, 1e-2, 16, 40),
    (torch.nn.ReLU, 2e-2, 32, 40),
    (torch.nn.ReLU, 5e-3, 32, 40),
    (torch.nn.ReLU, 1e-2, 64, 40),
]


def run(xt, yt, xs, ys, act, lr, batch, epochs, seed):
    torch.manual_seed(seed)
    net = sd.network(act=act)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    for order in sd.epoch_orders(len(xt), epochs, seed):
        for k in range(len(xt) // batch):
            idx = order[k * batch:(k + 1) * batch]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(net(xt[idx]), yt[idx]).backward()
            opt.step()
    with torch.no_grad():
        return (net(xs).argmax(1) == ys).float().mean().item()


def main():
    torch.set_num_threads(1)
    x_train, y_train, x_test, y_test = sd.load()
    data = (torch.tensor(sd.scale(x_train)), torch.tensor(y_train),
            torch.tensor(sd.scale(x_test)), torch.tensor(y_test))
    print("| activation | lr | batch | epochs | Adam steps | seeds 0-7 | mean | min |")
    print("|---|---:|---:|---:|---:|---|---:|---:|")
    for act, lr, batch, epochs in CONFIGS:
        accs = [run(*data, act, lr, batch, epochs, s) for s in SEEDS]
        steps = epochs * (len(x_train) // batch)
        print(f"| {act.__name__} | {lr:g} | {batch} | {epochs} | {steps} | "
              f"{' '.join(f'{100 * a:.1f}' for a in accs)} | {100 * sum(accs) / len(accs):.2f} | "
              f"{100 * min(accs):.1f} |", flush=True)


if __name__ == "__main__":
    main()
