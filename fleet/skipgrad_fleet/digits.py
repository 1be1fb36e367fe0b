"""skipgrad's digits files (`SKGD`, `skipgrad_digits::file`), read and checked as
`Digits::parse` checks them. The fleet's files are written by `cargo xtask fleet` with the
digits crate's own writer (`skipgrad_digits::writer`); the server reads the test set from one
to measure the global model.
"""

import struct
import zlib

import numpy as np

MAGIC, VERSION, PIXELS, CLASSES = b"SKGD", 1, 64, 10
HEADER_BYTES, SAMPLE_BYTES = 16, 65


class DigitsError(ValueError):
    """A file that is not a digits file: the message says why."""


def read(path):
    """(train_pixels, train_labels, test_pixels, test_labels) of a digits file, checked as
    `Digits::parse` checks it: pixels uint8 (n x 64, 0..=16), labels uint8 (0..=9)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < HEADER_BYTES + 4:
        raise DigitsError(f"{path}: {len(data)} bytes is too short")
    magic, version, pixels, classes, n_train, n_test, zero = struct.unpack_from("<4sHHHHHH", data)
    if (magic, version, pixels, classes, zero) != (MAGIC, VERSION, PIXELS, CLASSES, 0):
        raise DigitsError(f"{path}: not a version-{VERSION} digits file of {PIXELS} pixels and {CLASSES} classes")
    n = n_train + n_test
    if len(data) != HEADER_BYTES + SAMPLE_BYTES * n + 4:
        raise DigitsError(f"{path}: {len(data)} bytes; its header says {HEADER_BYTES + SAMPLE_BYTES * n + 4}")
    if struct.unpack_from("<I", data, len(data) - 4)[0] != zlib.crc32(data[:-4]):
        raise DigitsError(f"{path}: bad checksum")
    rows = np.frombuffer(data, dtype=np.uint8, count=SAMPLE_BYTES * n, offset=HEADER_BYTES).reshape(n, SAMPLE_BYTES)
    x, y = rows[:, :PIXELS], rows[:, PIXELS]
    if n and (x.max() > 16 or y.max() >= CLASSES):
        raise DigitsError(f"{path}: a grey level above 16 or a label above 9")
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


def histogram(labels):
    """Samples of each digit."""
    return [int(v) for v in np.bincount(np.asarray(labels, dtype=np.int64), minlength=CLASSES)]
