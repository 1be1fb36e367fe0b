"""One round on one client: the global model's image in, the trained model's image out.

Every trainer trains with skipgrad, never with PyTorch: the same schedule (Adam at `lr`,
PyTorch's other defaults and fresh moments, mini-batches of 32 in an order seeded with `seed`,
`epochs` passes over the partition's training samples) through

- `host_round`: the harness, `skipgrad train --task digits` (the one call is
  `harness_command`), given the global model and returning the trained one as safetensors;
- `device_round`: the firmware's `fleet-client` on a Cortex-M4F under QEMU, given the global
  model as a device image through semihosting and printing the trained model's image in hex;
- `faulty_round`: `host_round`, then the image damaged on purpose (`FAULTS`), to show that
  the server refuses it.

The host and the device train the same bits: `fleet/tests/test_bits.py` checks it.
"""

import json
import pathlib
import subprocess

import numpy as np

from . import image, network

#: The device: QEMU's machine and CPU for the Cortex-M4F (`xtask/src/targets.rs`).
QEMU = ("qemu-system-arm", "-cpu", "cortex-m4", "-machine", "mps2-an386")
#: A round that takes longer than this is abandoned (seconds).
TIMEOUT = 300
#: The damage `faulty_round` does, in turn round after round.
FAULTS = ("checksum", "nan", "shape")


class TrainError(RuntimeError):
    """A round that did not produce a model: the message says why."""


def harness_command(skipgrad, partition, load, save, epochs, lr, seed):
    """The harness's command line for one round: the one place the fleet calls it."""
    return [
        str(skipgrad), "train", "--task", "digits", "--data", str(partition),
        "--load", str(load), "--save", str(save),
        "--epochs", str(epochs), "--lr", repr(float(lr)), "--seed", str(seed), "--json",
    ]


def _run(cmd, cwd=None, check=True):
    try:
        done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise TrainError(f"{cmd[0]}: {e}") from e
    if check and done.returncode != 0:
        raise TrainError(f"{' '.join(cmd)} exited with {done.returncode}: {done.stderr.strip()}")
    return done.stdout


def host_round(skipgrad, partition, global_image, epochs, lr, seed, work):
    """Trains on the host; returns (the trained image, the harness's JSON report)."""
    work = pathlib.Path(work)
    work.mkdir(parents=True, exist_ok=True)
    load, save = work / "global.safetensors", work / "trained.safetensors"
    network.save_safetensors(image.decode(global_image), load)
    out = _run(harness_command(skipgrad, partition, load, save, epochs, lr, seed))
    try:
        report = json.loads(out)
    except ValueError as e:
        raise TrainError(f"the harness's --json output: {e}") from e
    return image.encode(network.load_safetensors(save)), report


def device_command(elf, epochs, lr, seed):
    """QEMU's command line for one round of the device client, run in the directory that
    holds `global.skgi` and `part.skgd`."""
    words = ["fleet-client", "global.skgi", "part.skgd", str(epochs), str(seed), repr(float(lr))]
    semihosting = "enable=on,target=native," + ",".join(f"arg={w}" for w in words)
    return [*QEMU, "-nographic", "-monitor", "none", "-serial", "none",
            "-semihosting-config", semihosting, "-kernel", str(elf)]


def parse_device_report(stdout):
    """The image and the report lines of the device client's output; raises `TrainError`
    for a refusal or an incomplete report."""
    lines = stdout.splitlines()
    try:
        begin = lines.index("skipgrad-fleet-client begin")
        end = lines.index("skipgrad-fleet-client end", begin)
    except ValueError:
        raise TrainError(f"no complete report from the device: {stdout[-500:]!r}") from None
    report = lines[begin + 1 : end]
    for line in report:
        if line.startswith("refused "):
            raise TrainError(f"the device refused the round: {line[len('refused '):]}")
    data, at = bytearray(), 0
    for line in report:
        if line.startswith("image "):
            offset, hexdigits = line[len("image ") :].split(" ", 1)
            if int(offset, 16) != at:
                raise TrainError(f"image line at {offset}, expected {at:x}")
            chunk = bytes.fromhex(hexdigits)
            data += chunk
            at += len(chunk)
    if len(data) != image.SIZE or "image_written true" not in report:
        raise TrainError(f"the device returned {len(data)} bytes of image, expected {image.SIZE}")
    return bytes(data), report


def device_round(elf, partition, global_image, epochs, lr, seed, work):
    """Trains on the Cortex-M4F under QEMU; returns (the trained image, the report lines)."""
    work = pathlib.Path(work)
    work.mkdir(parents=True, exist_ok=True)
    (work / "global.skgi").write_bytes(bytes(global_image))
    part = work / "part.skgd"
    part.unlink(missing_ok=True)
    part.symlink_to(pathlib.Path(partition).resolve())
    elf = pathlib.Path(elf).resolve()
    out = _run(device_command(elf, epochs, lr, seed), cwd=work, check=False)
    # A refusal prints its reason in the report and exits with status 1.
    return parse_device_report(out)


def damage(data, fault):
    """`data`, an image, damaged by `fault` (one of `FAULTS`): a flipped payload bit, a NaN
    weight under a valid checksum, or a network of another shape under a valid checksum."""
    data = bytearray(data)
    if fault == "checksum":
        data[image.HEADER_BYTES + 100] ^= 0x01
        return bytes(data)
    if fault == "nan":
        values = network.flat(image.decode(bytes(data)))
        values[7] = np.nan
        body = bytes(data[: image.HEADER_BYTES]) + values.astype("<f4").tobytes()
    elif fault == "shape":
        # One logit fewer: the head's last row and bias dropped, the header saying so.
        values = network.flat(image.decode(bytes(data)))[: network.PARAMETERS - network.HIDDEN - 1]
        head = image.header(len(values), image.SHAPE_HASH ^ 0x5A5A5A5A)
        body = head + values.astype("<f4").tobytes()
    else:
        raise ValueError(f"unknown fault {fault!r}; one of {FAULTS}")
    return image.seal(body)


def faulty_round(skipgrad, partition, global_image, epochs, lr, seed, work, server_round):
    """`host_round`, then the image damaged by `FAULTS[server_round - 1]` (in turn)."""
    data, report = host_round(skipgrad, partition, global_image, epochs, lr, seed, work)
    fault = FAULTS[(server_round - 1) % len(FAULTS)]
    return damage(data, fault), fault
