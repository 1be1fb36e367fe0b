"""The Flower client app: one device of the fleet.

Each SuperNode runs it with its own node configuration (`--node-config`, set by
`fleet/run.sh`):

- `partition-id`: the device's number; `partition`: its digits file (its own training
  samples and the shared test set), which no other client reads;
- `mode`: `host` (the harness trains), `device` (the firmware on a Cortex-M4F under QEMU) or
  `faulty` (the harness trains, then the image is damaged on purpose);
- `skipgrad`: the harness binary; `elf`: the device client's firmware; `work`: a directory
  of its own for the round's files.

In each round it receives the global model as a skipgrad device image (one `uint8` array,
`arrays["image"]`), trains `local-epochs` epochs on its partition with the batch order seeded
by the round's number, and replies with the trained model's image and its sample count
(`num-examples`, FedAvg's weight). The image is the whole update: 13,888 bytes.
"""

import pathlib

from flwr.app import Array, ArrayRecord, Context, Message, MetricRecord, RecordDict
from flwr.clientapp import ClientApp

from . import digits, trainers

app = ClientApp()


def image_record(data):
    """An `ArrayRecord` carrying one device image as bytes."""
    return ArrayRecord({"image": Array(dtype="uint8", shape=(len(data),), stype="skgi", data=bytes(data))})


@app.train()
def train(msg: Message, context: Context) -> Message:
    node, run = context.node_config, context.run_config
    partition = pathlib.Path(str(node["partition"]))
    mode = str(node["mode"])
    work = pathlib.Path(str(node["work"]))
    server_round = int(msg.content["config"]["server-round"])
    global_image = msg.content["arrays"]["image"].data
    epochs, lr = int(run["local-epochs"]), float(run["lr"])
    seed = server_round
    samples = len(digits.read(partition)[1])
    metrics = {"num-examples": samples, "partition-id": int(node["partition-id"])}
    if mode == "host":
        data, _ = trainers.host_round(node["skipgrad"], partition, global_image, epochs, lr, seed, work)
    elif mode == "device":
        data, _ = trainers.device_round(node["elf"], partition, global_image, epochs, lr, seed, work)
    elif mode == "faulty":
        data, fault = trainers.faulty_round(
            node["skipgrad"], partition, global_image, epochs, lr, seed, work, server_round
        )
        metrics["fault"] = trainers.FAULTS.index(fault)
    else:
        raise ValueError(f"node-config mode {mode!r}: one of host, device, faulty")
    content = RecordDict({"arrays": image_record(data), "metrics": MetricRecord(metrics)})
    return Message(content=content, reply_to=msg)
