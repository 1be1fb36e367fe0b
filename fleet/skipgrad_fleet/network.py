"""The default digits network (`skipgrad_digits::Net`): 64 inputs, a 32-wide layer, one
32-32 block with a shortcut, 10 logits, ReLU; its tensors as skipgrad and PyTorch name them, in
skipgrad's registration order (the order of a device image's payload).
"""

import json
import struct

import numpy as np

PIXELS, HIDDEN, CLASSES = 64, 32, 10

#: (name, shape) of every tensor, in registration order.
TENSORS = (
    ("0.0.weight", (HIDDEN, PIXELS)),
    ("0.0.bias", (HIDDEN,)),
    ("1.0.0.weight", (HIDDEN, HIDDEN)),
    ("1.0.0.bias", (HIDDEN,)),
    ("2.weight", (CLASSES, HIDDEN)),
    ("2.bias", (CLASSES,)),
)
#: Parameters in all: 3,466.
PARAMETERS = sum(int(np.prod(shape)) for _, shape in TENSORS)


def flat(arrays):
    """Every parameter in registration order, as one float32 vector."""
    return np.concatenate([np.asarray(arrays[name], dtype=np.float32).ravel() for name, _ in TENSORS])


def unflat(vector):
    """The inverse of `flat`."""
    vector = np.asarray(vector, dtype=np.float32)
    if vector.shape != (PARAMETERS,):
        raise ValueError(f"{vector.shape} values; the network has {PARAMETERS}")
    arrays, at = {}, 0
    for name, shape in TENSORS:
        n = int(np.prod(shape))
        arrays[name] = vector[at : at + n].reshape(shape).copy()
        at += n
    return arrays


def logits(arrays, pixels):
    """The network's outputs for grey levels `pixels` (n x 64, 0..=16), computed in float64
    from the float32 weights."""
    w = {name: np.asarray(arrays[name], dtype=np.float64) for name, _ in TENSORS}
    x = np.asarray(pixels, dtype=np.float64) / 16.0
    h = np.maximum(x @ w["0.0.weight"].T + w["0.0.bias"], 0.0)
    h = h + np.maximum(h @ w["1.0.0.weight"].T + w["1.0.0.bias"], 0.0)
    return h @ w["2.weight"].T + w["2.bias"]


def correct(arrays, pixels, labels):
    """How many of the samples the network classifies right (the first largest logit wins, as
    `skipgrad_digits::metrics::predict` picks it)."""
    return int((np.argmax(logits(arrays, pixels), axis=1) == np.asarray(labels)).sum())


def save_safetensors(arrays, path):
    """Writes the tensors as a safetensors file (float32, skipgrad's names), as
    `safetensors.numpy.save_file` would."""
    header, chunks, at = {}, [], 0
    for name, shape in TENSORS:
        data = np.ascontiguousarray(arrays[name], dtype="<f4")
        if data.shape != shape:
            raise ValueError(f"{name}: shape {data.shape}, expected {shape}")
        chunks.append(data.tobytes())
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [at, at + len(chunks[-1])]}
        at += len(chunks[-1])
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def load_safetensors(path):
    """Reads a safetensors file of the network: exactly its tensors, float32, its shapes."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: {len(data)} bytes is not a safetensors file")
    (n,) = struct.unpack_from("<Q", data)
    if 8 + n > len(data):
        raise ValueError(f"{path}: header of {n} bytes past the end")
    header = json.loads(data[8 : 8 + n])
    header.pop("__metadata__", None)
    names = {name for name, _ in TENSORS}
    if set(header) != names:
        raise ValueError(f"{path}: tensors {sorted(header)}, expected {sorted(names)}")
    body = data[8 + n :]
    arrays = {}
    for name, shape in TENSORS:
        entry = header[name]
        begin, end = entry["data_offsets"]
        if entry["dtype"] != "F32" or tuple(entry["shape"]) != shape or end - begin != 4 * int(np.prod(shape)):
            raise ValueError(f"{path}: {name}: {entry}, expected F32 {shape}")
        arrays[name] = np.frombuffer(body[begin:end], dtype="<f4").reshape(shape).astype(np.float32)
    return arrays
