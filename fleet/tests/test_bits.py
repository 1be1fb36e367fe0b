"""The host client and the device client return the same bits: one round on the same
partition, from the same global model, through the harness (`skipgrad train --task digits`)
and through the firmware on the Cortex-M4F under QEMU, gives the same image byte for byte.

Needs the harness and the fleet's files (`fleet/run.sh` builds both; or `cargo build
--release -p skipgrad-harness` and `cargo xtask fleet --clients 8 --out target/fleet/data`)
and qemu-system-arm:

    SKIPGRAD=target/release/skipgrad python3 -m unittest fleet/tests/test_bits.py
"""

import json
import os
import pathlib
import subprocess
import sys
import tempfile
import unittest

FLEET = pathlib.Path(__file__).resolve().parents[1]
ROOT = FLEET.parent
sys.path.insert(0, str(FLEET))

from skipgrad_fleet import image, trainers  # noqa: E402

DATA = ROOT / "target" / "fleet" / "data"


def manifest():
    out = subprocess.run(
        ["cargo", "run", "--release", "-q", "-p", "xtask", "--", "fleet", "--clients", "8", "--out", str(DATA)],
        cwd=ROOT, check=True, stdout=subprocess.PIPE, text=True,
    ).stdout
    return json.loads(out)


class SameBits(unittest.TestCase):
    def test_host_and_device_agree(self):
        skipgrad = os.environ.get("SKIPGRAD", str(ROOT / "target" / "release" / "skipgrad"))
        m = manifest()
        trained = (ROOT / "digits" / "data" / "trained.skgi").read_bytes()
        initial = pathlib.Path(m["initial"]).read_bytes()
        with tempfile.TemporaryDirectory() as work:
            work = pathlib.Path(work)
            for name, start, k, epochs, seed in (("initial", initial, 0, 2, 1), ("trained", trained, 5, 1, 17)):
                with self.subTest(start=name, client=k):
                    part = m["partitions"][k]["path"]
                    host, report = trainers.host_round(skipgrad, part, start, epochs, 0.01, seed, work / f"host-{name}")
                    device, lines = trainers.device_round(m["elf"], part, start, epochs, 0.01, seed, work / f"device-{name}")
                    self.assertEqual(len(host), image.SIZE)
                    self.assertNotEqual(host, start)
                    self.assertEqual(host, device)
                    correct = int(next(l for l in lines if l.startswith("correct_test ")).split()[1], 16)
                    self.assertAlmostEqual(report["test_accuracy"], correct / 450, places=12)


if __name__ == "__main__":
    unittest.main()
