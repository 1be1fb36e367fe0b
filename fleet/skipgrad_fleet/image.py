"""skipgrad's device image of the digits network (`skipgrad::params::image`), as the server
checks every update and as clients encode theirs.

| bytes | field |
|---|---|
| 0..4 | magic `SKGI` |
| 4..6 | format version, 1 |
| 6 | number type, 1 (`f32`) |
| 7 | optimizer state, 0 (none) |
| 8..12 | parameter count, 3,466 |
| 12..16 | shape hash (FNV-1a over every tensor's name and sizes) |
| 16..20 | payload bytes, 13,864 |
| 20.. | the parameters in registration order, float32 little-endian |
| last 4 | CRC-32 (zlib's) of every byte before it |

`decode` makes every check `skipgrad::params::image::load` makes, in the same order, and
says which failed: an update that fails one is refused, never averaged.
"""

import struct
import zlib

import numpy as np

from . import network

MAGIC = b"SKGI"
VERSION = 1
FORMAT_F32 = 1
STATE_NONE = 0
HEADER_BYTES = 20
CHECKSUM_BYTES = 4
#: `Params::shape_hash` of `skipgrad_digits::Net` (the header of `digits/data/trained.skgi`).
SHAPE_HASH = 0x77DEA3F0
PAYLOAD_BYTES = 4 * network.PARAMETERS
#: Bytes of the network's image: 13,888 (`skipgrad::Image::<Net, f32>::SIZE`).
SIZE = HEADER_BYTES + PAYLOAD_BYTES + CHECKSUM_BYTES


class ImageError(ValueError):
    """An image that is not the digits network's, or is damaged: the message says why."""


def header(parameters=network.PARAMETERS, shape_hash=SHAPE_HASH):
    """The 20-byte header of an `f32` image without optimizer state."""
    return struct.pack(
        "<4sHBBIII", MAGIC, VERSION, FORMAT_F32, STATE_NONE, parameters, shape_hash, 4 * parameters
    )


def seal(body):
    """`body` followed by its CRC-32."""
    return bytes(body) + struct.pack("<I", zlib.crc32(body))


def encode(arrays):
    """The image of the network's `arrays` (name to float32 array)."""
    return seal(header() + network.flat(arrays).astype("<f4").tobytes())


def decode(data):
    """The network's arrays from an image, after checking all of it; raises `ImageError`."""
    data = bytes(data)
    if len(data) < HEADER_BYTES + CHECKSUM_BYTES:
        raise ImageError(f"{len(data)} bytes is too short for an image")
    magic, version, number, state, count, shape_hash, payload = struct.unpack_from("<4sHBBIII", data)
    if magic != MAGIC:
        raise ImageError(f"not an image: magic {magic!r}")
    if version != VERSION:
        raise ImageError(f"image format version {version}, expected {VERSION}")
    if number != FORMAT_F32:
        raise ImageError(f"number type {number}, expected {FORMAT_F32} (f32)")
    if state != STATE_NONE:
        raise ImageError(f"optimizer state kind {state}, expected none")
    if count != network.PARAMETERS or shape_hash != SHAPE_HASH:
        raise ImageError(
            f"wrong shape: {count} parameters and shape hash {shape_hash:#010x}; the digits network "
            f"has {network.PARAMETERS} and {SHAPE_HASH:#010x}"
        )
    if payload != PAYLOAD_BYTES or len(data) != SIZE:
        raise ImageError(f"wrong length: {len(data)} bytes with a payload of {payload}; expected {SIZE} and {PAYLOAD_BYTES}")
    (stored,) = struct.unpack_from("<I", data, SIZE - CHECKSUM_BYTES)
    computed = zlib.crc32(data[: SIZE - CHECKSUM_BYTES])
    if stored != computed:
        raise ImageError(f"bad checksum: stored {stored:#010x}, contents {computed:#010x}")
    values = np.frombuffer(data, dtype="<f4", count=network.PARAMETERS, offset=HEADER_BYTES)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise ImageError(f"{bad.size} parameter(s) not finite, the first at {int(bad[0])}: {values[bad[0]]}")
    return network.unflat(values)
