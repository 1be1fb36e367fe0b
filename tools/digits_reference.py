#!/usr/bin/env python3
"""Writes tests/fixtures/digits-reference.json: the default digits run in PyTorch, for
`digits/tests/reference.rs`, which holds skipgrad's run to it.

The same network (`skipgrad_digits.network()`: Linear(64, 32) + ReLU, one block
x + ReLU(Linear(32, 32)(x)), Linear(32, 10)), initialised by `torch.manual_seed(SEED)` and
then constructing the module; the same data (the committed digits/data/digits.skgd, pixels /
16); the same mini-batches (SplitMix64 and a Fisher-Yates shuffle per epoch, full batches
only); cross-entropy and torch.optim.Adam with PyTorch's defaults but the learning rate. It
records the loss of the first 10 steps (before each update), every epoch's test accuracy, the
final test accuracy and confusion matrix (rows: true class, columns: predicted), and the
time of the run (single-threaded).

Run from the repository root:  python3 tools/digits_reference.py
"""

import json
import pathlib
import sys
import time

import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import skipgrad_digits as sd  # noqa: E402

OUT = sd.ROOT / "tests" / "fixtures" / "digits-reference.json"
# skipgrad_digits::train::defaults
SEED, LEARNING_RATE, BATCH, EPOCHS = 0, 1e-2, 32, 30
FIRST = 10


def main():
    torch.set_num_threads(1)
    start = time.perf_counter()
    x_train, y_train, x_test, y_test = sd.load()
    xt, yt = torch.tensor(sd.scale(x_train)), torch.tensor(y_train)
    xs, ys = torch.tensor(sd.scale(x_test)), torch.tensor(y_test)
    torch.manual_seed(SEED)
    net = sd.network()
    opt = torch.optim.Adam(net.parameters(), lr=LEARNING_RATE)
    losses, accuracies = [], []
    for order in sd.epoch_orders(len(xt), EPOCHS, SEED):
        for k in range(len(xt) // BATCH):
            idx = order[k * BATCH:(k + 1) * BATCH]
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(net(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
            if len(losses) < FIRST:
                losses.append(loss.item())
        with torch.no_grad():
            accuracies.append((net(xs).argmax(1) == ys).float().mean().item())
    with torch.no_grad():
        predicted = net(xs).argmax(1)
    seconds = time.perf_counter() - start
    confusion = [[0] * sd.CLASSES for _ in range(sd.CLASSES)]
    for t, p in zip(ys.tolist(), predicted.tolist()):
        confusion[t][p] += 1
    correct = sum(confusion[i][i] for i in range(sd.CLASSES))
    out = {
        "torch_version": torch.__version__,
        "seed": SEED,
        "learning_rate": LEARNING_RATE,
        "batch": BATCH,
        "epochs": EPOCHS,
        "steps": EPOCHS * (len(xt) // BATCH),
        "first_losses": losses,
        "epoch_test_accuracy": accuracies,
        "test_accuracy": correct / len(ys),
        "confusion": confusion,
        "seconds": round(seconds, 3),
    }
    OUT.write_text(json.dumps(out) + "\n")
    print(f"first losses {losses[:3]} ...; test accuracy {out['test_accuracy']:.4f} "
          f"({correct} of {len(ys)}); {seconds:.2f} s (torch {torch.__version__}, 1 thread)")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
