"""The handwritten digits as the `skipgrad-digits` crate reads and serves them, for the digits
scripts: the committed file (`digits/data/digits.skgd`), pixels / 16 in float32, the seeded
mini-batch order (SplitMix64 and a Fisher-Yates shuffle per epoch), the device's domain shift,
and the default network in PyTorch. Every function here is the Rust crate's, bit for bit.
"""

import pathlib
import struct
import sys
import zlib

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import skipgrad_torch as st  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
FILE = ROOT / "digits" / "data" / "digits.skgd"
PIXELS, CLASSES, SIDE = 64, 10, 8
MASK = (1 << 64) - 1


def load(path=FILE):
    """(x_train, y_train, x_test, y_test): pixels as uint8 0..=16 of shape (n, 64), labels as
    int64, checked as the crate checks them."""
    data = pathlib.Path(path).read_bytes()
    magic, version, pixels, classes, n_train, n_test, zero = struct.unpack_from("<4sHHHHHH", data)
    assert (magic, version, pixels, classes, zero) == (b"SKGD", 1, PIXELS, CLASSES, 0), path
    n = n_train + n_test
    assert len(data) == 16 + 65 * n + 4, "length"
    assert struct.unpack_from("<I", data, len(data) - 4)[0] == zlib.crc32(data[:-4]), "crc"
    rows = np.frombuffer(data, dtype=np.uint8, count=65 * n, offset=16).reshape(n, 65)
    x, y = rows[:, :PIXELS], rows[:, PIXELS].astype(np.int64)
    assert x.max() <= 16 and y.max() < CLASSES
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


def scale(pixels):
    """Pixels / 16 in float32 (exact: every grey level is a multiple of 2^-4)."""
    return pixels.astype(np.float32) / np.float32(16.0)


class SplitMix64:
    """Steele, Lea and Flood's SplitMix64, the crate's `SplitMix64`."""

    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def below(self, n):
        """A draw in [0, n): the next output modulo n."""
        return self.next() % n


def epoch_orders(n, epochs, seed):
    """The sample order of every epoch: each the identity shuffled by Fisher-Yates (from the
    last position down, j = below(i + 1)), one generator for the whole run."""
    rng = SplitMix64(seed)
    for _ in range(epochs):
        order = list(range(n))
        for i in range(n - 1, 0, -1):
            j = rng.below(i + 1)
            order[i], order[j] = order[j], order[i]
        yield order


def batches(n, batch, epochs, seed):
    """The mini-batches of a run, as index lists: each epoch's order cut into full batches
    of `batch` (the last `n % batch` samples of each epoch's order are left out)."""
    for order in epoch_orders(n, epochs, seed):
        for k in range(n // batch):
            yield order[k * batch:(k + 1) * batch]


def offset(pixels, by=4):
    """The device's domain (the crate's `Domain::Offset`, `Domain::DEVICE` with 4): every grey
    level raised by `by`, clipped at 16."""
    return np.minimum(pixels.astype(np.int64) + by, 16).astype(np.uint8)


def shift(pixels, dx=1, dy=0):
    """Each image moved `dx` pixels right and `dy` down, the uncovered border blank (the
    crate's `Domain::Translate`)."""
    img = pixels.reshape(-1, SIDE, SIDE)
    out = np.zeros_like(img)
    h, w = SIDE - abs(dy), SIDE - abs(dx)
    sy, sx = max(-dy, 0), max(-dx, 0)
    ty, tx = max(dy, 0), max(dx, 0)
    out[:, ty:ty + h, tx:tx + w] = img[:, sy:sy + h, sx:sx + w]
    return out.reshape(-1, PIXELS)


def network(hidden=32, depth=1, act=None):
    """The default network: nn.Sequential(nn.Sequential(Linear(64, H), act), nn.Sequential
    of `depth` Residual(Linear(H, H), act), Linear(H, 10)), named as skipgrad names it."""
    import torch

    act = act or torch.nn.ReLU

    def block():
        return st.Residual(torch.nn.Linear(hidden, hidden), act())

    return torch.nn.Sequential(
        torch.nn.Sequential(torch.nn.Linear(PIXELS, hidden), act()),
        torch.nn.Sequential(*[block() for _ in range(depth)]),
        torch.nn.Linear(hidden, CLASSES),
    )
