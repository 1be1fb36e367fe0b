"""`fleet/run.sh`: one federated run on Flower's deployment engine, on this machine.

1. Builds what the clients run (`cargo build --release -p skipgrad-harness`, and `cargo xtask
   fleet`: the device client for the Cortex-M4F and the fleet's files: one partition of the
   digits per client, all of them, the initial model's image).
2. Starts a SuperLink and one SuperNode per client (and one more with `--faulty`), each its
   own process, listening on 127.0.0.1 only, with a Flower home of the run's own
   (`FLWR_HOME`); client 0 trains on the device (`--device-clients`), the others with the
   harness.
3. Runs the app (`flwr run`), printing each round's global test accuracy and the bytes each
   client sent as the server records them.
4. Trains the baselines with the harness: the same network on all the data (the centralised
   run, the digits crate's defaults: 30 epochs) and each client alone on its partition (as
   many epochs as it trains in the whole federated run: rounds x local epochs).
5. Stops every process it started, whatever happened, and prints the table or, with
   `--json`, one object.

Nothing is installed: Flower comes from `pip install -r fleet/requirements.txt`.
"""

import argparse
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
FLEET = HERE.parent
ROOT = FLEET.parent
sys.path.insert(0, str(FLEET))

from skipgrad_fleet import digits, image, network, trainers  # noqa: E402

#: The whole run is abandoned after this long (seconds).
RUN_TIMEOUT = 1200


def fail(message):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(1)


def free_ports(n):
    """`n` TCP ports free on 127.0.0.1 right now."""
    sockets = []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        sockets.append(s)
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def build(clients, data_dir, quiet):
    """Builds the harness and the device client, writes the fleet's files; returns the
    harness's path and `cargo xtask fleet`'s manifest."""
    cargo = os.environ.get("CARGO", "cargo")

    def run(cmd):
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        if done.returncode != 0:
            fail(f"{' '.join(cmd)} failed:\n{done.stderr}")
        return done.stdout

    skipgrad = os.environ.get("SKIPGRAD")
    if not skipgrad:
        run([cargo, "build", "--release", "-q", "-p", "skipgrad-harness"])
        skipgrad = str(ROOT / "target" / "release" / "skipgrad")
    skipgrad = str(pathlib.Path(skipgrad).resolve())
    manifest = run([cargo, "run", "--release", "-q", "-p", "xtask", "--", "fleet", "--clients", str(clients), "--out", str(data_dir)])
    help_text = subprocess.run([skipgrad, "train", "--help"], capture_output=True, text=True).stdout
    if "digits" not in help_text or "--data" not in help_text:
        fail(f"{skipgrad} has no `train --task digits --data`; build a harness that has it (or set SKIPGRAD)")
    return skipgrad, json.loads(manifest)


class Processes:
    """The processes of the run, stopped together."""

    def __init__(self, logs):
        self.logs, self.procs = logs, []

    def start(self, name, cmd, env):
        log = open(self.logs / f"{name}.log", "w")
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        self.procs.append((name, proc, log))
        return proc

    def check(self):
        for name, proc, _ in self.procs:
            if proc.poll() is not None:
                fail(f"{name} exited with {proc.returncode}; see {self.logs / (name + '.log')}")

    def stop(self):
        for _, proc, _ in reversed(self.procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for _, proc, log in self.procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            log.close()


def wait_for_port(port, procs, timeout=60):
    """Waits until something listens on 127.0.0.1:`port` (the SuperLink)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        procs.check()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    fail(f"the SuperLink did not listen on port {port} within {timeout} s")


def node_config(values):
    return " ".join(f"{k}={json.dumps(v)}" for k, v in values.items())


def federate(args, skipgrad, manifest, work, say):
    """The Flower run; returns the server's record."""
    home = work / "flwr-home"
    home.mkdir(parents=True, exist_ok=True)
    # The SuperLink serves its Fleet, Control and Runtime APIs on one HTTP port; each
    # SuperNode serves its Runtime API (to its client apps) on a port of its own.
    superlink_api, *node_apis = free_ports(1 + args.clients + args.faulty)
    (home / "config.toml").write_text(
        '[superlink]\ndefault = "fleet"\n\n[superlink.fleet]\n'
        f'address = "127.0.0.1:{superlink_api}"\ninsecure = true\n'
    )
    env = {**os.environ, "FLWR_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    logs = work / "logs"
    logs.mkdir(exist_ok=True)
    procs = Processes(logs)
    out_dir = work / "server"
    try:
        procs.start("superlink", [
            # Nothing installed at run time: the apps run in this Python, whose Flower and
            # NumPy come from fleet/requirements.txt (SuperNodes never install by default).
            "flower-superlink", "--insecure", "--isolation", "subprocess",
            "--disable-runtime-dependency-installation",
            "--host", "127.0.0.1", "--port", str(superlink_api),
        ], env)
        parts = manifest["partitions"]
        nodes = [(k, "device" if k < args.device_clients else "host", parts[k]["path"]) for k in range(args.clients)]
        if args.faulty:
            nodes.append((args.clients, "faulty", parts[0]["path"]))
        for (k, mode, partition), port in zip(nodes, node_apis):
            config = {"partition-id": k, "partition": partition, "mode": mode, "skipgrad": skipgrad,
                      "elf": manifest["elf"], "work": str(work / f"client-{k}")}
            procs.start(f"supernode-{k}", [
                "flower-supernode", "--insecure", "--superlink", f"127.0.0.1:{superlink_api}",
                "--host", "127.0.0.1", "--port", str(port), "--node-config", node_config(config),
            ], env)
        run_config = {"num-server-rounds": args.rounds, "local-epochs": args.epochs, "lr": args.lr,
                      "nodes": len(nodes), "test-data": manifest["all"], "initial": manifest["initial"],
                      "out-dir": str(out_dir)}
        wait_for_port(superlink_api, procs)
        cmd = ["flwr", "run", str(FLEET), "fleet", "--stream", "--run-config", node_config(run_config)]
        flwr_log = open(logs / "flwr-run.log", "w")
        runner = subprocess.Popen(cmd, env=env, stdout=flwr_log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        procs.procs.append(("flwr-run", runner, flwr_log))
        shown, deadline = 0, time.monotonic() + RUN_TIMEOUT
        rounds_file = out_dir / "rounds.jsonl"
        while not (out_dir / "result.json").exists():
            if time.monotonic() > deadline:
                fail(f"the run did not end in {RUN_TIMEOUT} s; see {logs}")
            if runner.poll() is not None and not (out_dir / "result.json").exists():
                time.sleep(1.0)
                if not (out_dir / "result.json").exists():
                    fail(f"`flwr run` ended without a result; see {logs / 'flwr-run.log'} and {logs / 'superlink.log'}")
            for name, proc, _ in procs.procs[:-1]:
                if proc.poll() is not None:
                    fail(f"{name} exited with {proc.returncode}; see {logs / (name + '.log')}")
            if rounds_file.exists():
                lines = rounds_file.read_text().splitlines()
                for line in lines[shown:]:
                    say(json.loads(line))
                shown = len(lines)
            time.sleep(0.2)
        result = json.loads((out_dir / "result.json").read_text())
        for row in result["rounds"][shown:]:
            say(row)
        return result
    finally:
        procs.stop()


def baselines(args, skipgrad, manifest, work):
    """Accuracy of the network trained on all the data, and of each client's alone."""
    initial = (pathlib.Path(manifest["initial"])).read_bytes()
    _, _, test_x, test_y = digits.read(manifest["all"])

    def accuracy(partition, epochs, lr, name):
        data, _ = trainers.host_round(skipgrad, partition, initial, epochs, lr, 0, work / name)
        return network.correct(image.decode(data), test_x, test_y) / len(test_y)

    central = accuracy(manifest["all"], args.central_epochs, args.central_lr, "centralised")
    alone = [accuracy(p["path"], args.rounds * args.epochs, args.lr, f"alone-{k}")
             for k, p in enumerate(manifest["partitions"][: args.clients])]
    return central, alone


def stop_on_signal(signum, _frame):
    """SIGTERM and SIGHUP end the run as Ctrl-C does: every process it started is stopped."""
    raise SystemExit(128 + signum)


def main():
    signal.signal(signal.SIGTERM, stop_on_signal)
    signal.signal(signal.SIGHUP, stop_on_signal)
    parser = argparse.ArgumentParser(prog="fleet/run.sh", description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8, help="devices (SuperNodes), 1 to 64 (default 8)")
    parser.add_argument("--rounds", type=int, default=8, help="federated rounds (default 8)")
    parser.add_argument("--epochs", type=int, default=5, help="local epochs per round (default 5)")
    parser.add_argument("--lr", type=float, default=0.01, help="Adam's learning rate on the clients (default 0.01)")
    parser.add_argument("--device-clients", type=int, default=1, help="clients that train on the Cortex-M4F under QEMU (default 1: client 0)")
    parser.add_argument("--faulty", action="store_true", help="add a client whose every update is corrupt (a bad checksum, a NaN, a wrong shape, in turn)")
    parser.add_argument("--json", action="store_true", help="print one JSON object and nothing else on standard output")
    parser.add_argument("--work", help="the run's directory (default: a new one under target/fleet/, kept)")
    args = parser.parse_args()
    args.central_epochs, args.central_lr = 30, 0.01
    if not 1 <= args.clients <= 64:
        parser.error("--clients must be 1 to 64")
    if not 1 <= args.rounds <= 1000 or not 1 <= args.epochs <= 1000:
        parser.error("--rounds and --epochs must be 1 to 1000")
    if not 0 <= args.device_clients <= args.clients:
        parser.error("--device-clients must be 0 to --clients")
    if not (0 < args.lr < 1):
        parser.error("--lr must be in (0, 1)")
    for tool in ("flwr", "flower-superlink", "flower-supernode"):
        if shutil.which(tool) is None:
            fail(f"{tool} not found: pip install -r fleet/requirements.txt")
    if args.device_clients and shutil.which(trainers.QEMU[0]) is None:
        fail(f"{trainers.QEMU[0]} not found (Debian package qemu-system-arm), or use --device-clients 0")
    started = time.monotonic()
    base = ROOT / "target" / "fleet"
    base.mkdir(parents=True, exist_ok=True)
    work = pathlib.Path(args.work) if args.work else pathlib.Path(tempfile.mkdtemp(prefix="run-", dir=base))
    work = work.resolve()
    skipgrad, manifest = build(args.clients, work / "data", args.json)
    built = time.monotonic()
    if not args.json:
        print(f"{args.clients} clients ({args.device_clients} on the Cortex-M4F under QEMU), {args.rounds} rounds of "
              f"{args.epochs} local epochs{', one faulty client' if args.faulty else ''}; files in {work}")
        for k, p in enumerate(manifest["partitions"]):
            print(f"  client {k}: {p['samples']:4} samples, per digit {p['per_digit']}")
        print("round  accuracy  bytes sent per client (image; Flower message)  refused  seconds")

    def say(row):
        if args.json:
            return
        if row["round"] == 0:
            print(f"{0:5}  {row['accuracy']:8.4f}  (the initial model)")
            return
        sizes = sorted(set(row["bytes_per_client"]))
        messages = sorted(set(row["message_bytes_per_client"]))
        print(f"{row['round']:5}  {row['accuracy']:8.4f}  {', '.join(map(str, sizes))} x {len(row['bytes_per_client'])}; "
              f"{'-'.join(map(str, [messages[0], messages[-1]]) if len(messages) > 1 else map(str, messages))}"
              f"  {row['refused']:7}  {row['seconds']:7.1f}", flush=True)

    result = federate(args, skipgrad, manifest, work, say)
    federated = time.monotonic()
    central, alone = baselines(args, skipgrad, manifest, work / "baselines")
    done = time.monotonic()
    rounds = [{k: r[k] for k in ("round", "accuracy", "bytes_per_client", "message_bytes_per_client", "refused", "seconds")}
              for r in result["rounds"] if r["round"] > 0]
    summary = {
        "clients": args.clients,
        "rounds": rounds,
        "initial_accuracy": result["rounds"][0]["accuracy"],
        "centralised_accuracy": central,
        "alone_accuracy": alone,
        "refused_updates": result["refused_updates"],
        "refusals": result["refusals"],
        "image_bytes": image.SIZE,
        "local_epochs": args.epochs,
        "lr": args.lr,
        "device_clients": args.device_clients,
        "faulty_client": args.faulty,
        "seconds": {"build": round(built - started, 1), "federated": round(federated - built, 1),
                    "baselines": round(done - federated, 1), "total": round(done - started, 1)},
        "work": str(work),
    }
    if args.json:
        print(json.dumps(summary))
        return
    final = rounds[-1]["accuracy"]
    print(f"federated after {args.rounds} rounds: {final:.4f}")
    print(f"centralised ({args.central_epochs} epochs on all {sum(p['samples'] for p in manifest['partitions'])} samples): {central:.4f}"
          f" ({100 * (central - final):+.1f} points over the fleet)")
    print("each client alone (" + f"{args.rounds * args.epochs} epochs): " + ", ".join(f"{a:.4f}" for a in alone))
    print(f"refused updates: {result['refused_updates']}")
    for r in result["refusals"]:
        print(f"  round {r['round']}, node {r['node']}: {r['reason']}")
    s = summary["seconds"]
    print(f"wall time: {s['federated']} s federated, {s['baselines']} s baselines, {s['build']} s building")


if __name__ == "__main__":
    main()
