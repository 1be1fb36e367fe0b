#!/usr/bin/env python3
"""FedAvg over the fleet's partitions without Flower, to choose rounds and local epochs: each
`RxE` argument runs R rounds of E local epochs, the clients in turn on the host with the
harness, averaged as the server averages (float64, weighted by samples, rounded once), and
prints the global test accuracy after every round. The same bits as `fleet/run.sh` with the
same arguments and `--device-clients 0` (the device trains the same bits as the host).

    python3 fleet/sweep.py 20x2 10x4 8x5 [--clients 8]

Needs the fleet's files (`cargo xtask fleet --clients N --out target/fleet/data`) and the
harness (`SKIPGRAD`, default target/release/skipgrad).
"""

import argparse
import os
import pathlib
import sys
import tempfile

import numpy as np

FLEET = pathlib.Path(__file__).resolve().parent
ROOT = FLEET.parent
sys.path.insert(0, str(FLEET))

from skipgrad_fleet import digits, image, network, trainers  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", help="RxE: R rounds of E local epochs")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--data", default=str(ROOT / "target" / "fleet" / "data"))
    args = parser.parse_args()
    skipgrad = os.environ.get("SKIPGRAD", str(ROOT / "target" / "release" / "skipgrad"))
    data = pathlib.Path(args.data)
    _, _, test_x, test_y = digits.read(data / "all.skgd")
    parts = [data / f"part-{k}.skgd" for k in range(args.clients)]
    samples = [len(digits.read(p)[1]) for p in parts]
    with tempfile.TemporaryDirectory() as work:
        for run in args.runs:
            rounds, epochs = (int(v) for v in run.split("x"))
            model, accuracies = (data / "initial.skgi").read_bytes(), []
            for r in range(1, rounds + 1):
                total = 0
                for p, n in zip(parts, samples):
                    trained, _ = trainers.host_round(skipgrad, p, model, epochs, args.lr, r, work)
                    total = total + network.flat(image.decode(trained)).astype(np.float64) * n
                model = image.encode(network.unflat((total / sum(samples)).astype(np.float32)))
                accuracies.append(network.correct(image.decode(model), test_x, test_y) / len(test_y))
            print(f"{rounds} rounds of {epochs} epochs: " + " ".join(f"{a:.4f}" for a in accuracies), flush=True)


if __name__ == "__main__":
    main()
