"""The fleet: devices that learn the handwritten digits together, with Flower.

Each client is a device that owns a partition of the digits no other client sees; it trains
the network with skipgrad (the harness's `skipgrad train`, or the firmware under QEMU) and
returns its model as a skipgrad device image. The server averages the images it accepts,
weighted by each client's sample count (FedAvg), and refuses the ones that are corrupt.

- `network`: the digits network's tensors (names, shapes, order), its test accuracy in
  NumPy, and safetensors files of it.
- `image`: skipgrad's device image of the network (`SKGI`), encoded and checked.
- `digits`: skipgrad's digits files (`SKGD`), read and checked (`cargo xtask fleet` writes them).
- `trainers`: one round on a client: the harness, the firmware under QEMU, or a faulty client.
- `client_app`, `server_app`: the Flower apps.
- `launch`: the SuperLink, the SuperNodes and the run, behind `fleet/run.sh`.
"""
