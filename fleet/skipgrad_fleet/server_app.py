"""The Flower server app: FedAvg over skipgrad device images, weighted by samples.

`ImageAvg` is Flower's `FedAvg` with the update checked before it is averaged: each client
replies with its trained model as one device image (`arrays["image"]`), which must pass every
check `skipgrad::params::image::load` makes (`image.decode`: magic, version, number type,
parameter count and shape hash, length, CRC-32, every weight finite) and come with a positive
sample count. An update that fails is refused and logged, and the round goes on with the
others; the new global model is the average of the accepted ones weighted by their samples
(in float64, rounded once to float32), sent out again as an image.

The global model is measured on the digits test set after every round (`network.correct`,
NumPy in float64 from the float32 weights). The run's record goes to `out-dir`: one line of
`rounds.jsonl` per round as it ends, and `result.json` at the end.
"""

import json
import pathlib
import time
from logging import INFO, WARNING

import numpy as np
from flwr.app import Context, MetricRecord
from flwr.common.logger import log
from flwr.common.serde import message_to_proto
from flwr.serverapp import Grid, ServerApp
from flwr.serverapp.strategy import FedAvg

from . import digits, image, network
from .client_app import image_record

app = ServerApp()


def image_of(record):
    """The image bytes an `ArrayRecord` carries; `ImageError` if it carries none."""
    if list(record.keys()) != ["image"]:
        raise image.ImageError(f"the update holds arrays {list(record.keys())}, expected ['image']")
    array = record["image"]
    if array.dtype != "uint8" or array.stype != "skgi":
        raise image.ImageError(f"the update is {array.dtype}/{array.stype}, expected uint8/skgi")
    return bytes(array.data)


class ImageAvg(FedAvg):
    """`FedAvg` over device images; refuses corrupt updates (see the module)."""

    def __init__(self, record, **kwargs):
        super().__init__(**kwargs)
        self.record = record

    def aggregate_train(self, server_round, replies):
        replies = list(replies)
        failed = [m for m in replies if m.has_error()]
        for m in failed:
            log(WARNING, "round %d: node %d failed: %s", server_round, m.metadata.src_node_id, m.error.reason)
        total, weight, sent = None, 0, {}
        for m in replies:
            if m.has_error():
                continue
            node = m.metadata.src_node_id
            try:
                metrics = m.content["metrics"]
                samples = int(metrics["num-examples"])
                part = int(metrics["partition-id"])
                data = image_of(m.content["arrays"])
                values = network.flat(image.decode(data)).astype(np.float64)
                if samples <= 0:
                    raise image.ImageError(f"{samples} samples")
            except (KeyError, TypeError, ValueError) as e:
                reason = str(e)
                log(WARNING, "round %d: refused the update of node %d: %s", server_round, node, reason)
                self.record.refuse(server_round, node, reason)
                continue
            sent[part] = {"image": len(data), "message": message_to_proto(m).ByteSize()}
            total = values * samples if total is None else total + values * samples
            weight += samples
        self.record.sent(server_round, sent, len(failed))
        if total is None:
            return None, None
        average = network.unflat((total / weight).astype(np.float32))
        return image_record(image.encode(average)), MetricRecord({"num-examples": weight})


class Record:
    """What the run measured, written to `out-dir` as it goes."""

    def __init__(self, out_dir):
        self.out = pathlib.Path(out_dir)
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / "rounds.jsonl").write_text("")
        self.rounds, self.refusals, self.pending = [], [], {}
        self.start = time.monotonic()

    def refuse(self, server_round, node, reason):
        self.refusals.append({"round": server_round, "node": node, "reason": reason})

    def sent(self, server_round, sent, failed):
        self.pending = {"sent": sent, "failed": failed}

    def evaluated(self, server_round, accuracy):
        row = {"round": server_round, "accuracy": accuracy, "seconds": round(time.monotonic() - self.start, 3)}
        if server_round > 0:
            sent = self.pending.get("sent", {})
            row["bytes_per_client"] = [sent[k]["image"] for k in sorted(sent)]
            row["message_bytes_per_client"] = [sent[k]["message"] for k in sorted(sent)]
            row["clients"] = sorted(sent)
            row["refused"] = sum(1 for r in self.refusals if r["round"] == server_round)
            row["failed"] = self.pending.get("failed", 0)
        self.rounds.append(row)
        with open(self.out / "rounds.jsonl", "a") as f:
            f.write(json.dumps(row) + "\n")

    def finish(self, final_image):
        (self.out / "global.skgi").write_bytes(final_image)
        result = {"rounds": self.rounds, "refusals": self.refusals, "refused_updates": len(self.refusals)}
        (self.out / "result.json").write_text(json.dumps(result, indent=1))


@app.main()
def main(grid: Grid, context: Context) -> None:
    run = context.run_config
    rounds, clients = int(run["num-server-rounds"]), int(run["nodes"])
    _, _, test_x, test_y = digits.read(str(run["test-data"]))
    record = Record(str(run["out-dir"]))
    initial = pathlib.Path(str(run["initial"])).read_bytes()
    image.decode(initial)

    def evaluate(server_round, arrays):
        accuracy = network.correct(image.decode(image_of(arrays)), test_x, test_y) / len(test_y)
        record.evaluated(server_round, accuracy)
        log(INFO, "round %d: global test accuracy %.4f", server_round, accuracy)
        return MetricRecord({"accuracy": accuracy})

    strategy = ImageAvg(
        record,
        fraction_train=1.0,
        fraction_evaluate=0.0,
        min_train_nodes=clients,
        min_available_nodes=clients,
    )
    result = strategy.start(
        grid=grid,
        initial_arrays=image_record(initial),
        num_rounds=rounds,
        evaluate_fn=evaluate,
    )
    record.finish(image_of(result.arrays))
