#!/usr/bin/env python3
"""Writes digits/data/digits.skgd: scikit-learn's handwritten digits (8x8 images, grey levels
0 to 16, 1,797 samples, 10 classes), split once into training and test sets, in the compact
format that the `skipgrad-digits` crate reads (`digits/src/file.rs`).

The split is scikit-learn's `train_test_split(X, y, test_size=0.25, stratify=y,
random_state=0)`: 1,347 training and 450 test samples, each class in both sets in proportion.
It is the split on which `tools/digits_sklearn.py` times `MLPClassifier`.

The file, little-endian:

    offset  size  field
         0     4  magic b"SKGD"
         4     2  format version (1)
         6     2  pixels per sample (64)
         8     2  classes (10)
        10     2  training samples (1347)
        12     2  test samples (450)
        14     2  zero (reserved)
        16  65*N  the samples, training set first, each 64 pixels (bytes 0..=16, row-major)
                  and its label (a byte 0..=9)
     16+65N    4  CRC-32 (zlib's) of every byte before it

The data: "Optical Recognition of Handwritten Digits" (E. Alpaydin, C. Kaynak, 1998), UCI
Machine Learning Repository, https://doi.org/10.24432/C50P49, licensed CC BY 4.0; the copy
that scikit-learn ships (`sklearn.datasets.load_digits`, the repository's test set).

Run from the repository root:  python3 tools/digits_export.py [--check]
With --check it writes nothing and exits 1 if the committed file differs from what it would
write.
"""

import pathlib
import struct
import sys
import zlib

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "digits" / "data" / "digits.skgd"
MAGIC = b"SKGD"
VERSION = 1
PIXELS = 64
CLASSES = 10
SEED = 0
TEST_SIZE = 0.25


def split():
    """The split, as arrays: (x_train, x_test, y_train, y_test), pixels as integers 0..=16."""
    digits = load_digits()
    x = digits.data.astype(np.int64)
    y = digits.target.astype(np.int64)
    return train_test_split(x, y, test_size=TEST_SIZE, stratify=y, random_state=SEED)


def encode(x_train, x_test, y_train, y_test):
    """The file's bytes."""
    header = struct.pack(
        "<4sHHHHHH", MAGIC, VERSION, PIXELS, CLASSES, len(x_train), len(x_test), 0
    )
    body = bytearray(header)
    for xs, ys in ((x_train, y_train), (x_test, y_test)):
        for x, y in zip(xs, ys):
            assert x.shape == (PIXELS,) and x.min() >= 0 and x.max() <= 16 and 0 <= y < CLASSES
            body += bytes(int(v) for v in x)
            body.append(int(y))
    body += struct.pack("<I", zlib.crc32(bytes(body)))
    return bytes(body)


def main():
    data = encode(*split())
    if sys.argv[1:] == ["--check"]:
        same = OUT.exists() and OUT.read_bytes() == data
        print(f"{OUT}: {'current' if same else 'DIFFERS from the export'}")
        sys.exit(0 if same else 1)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(data)
    print(f"wrote {OUT}: {len(data)} bytes, crc32 {zlib.crc32(data[:-4]):08x}")


if __name__ == "__main__":
    main()
