#!/bin/sh
# One federated run of the skipgrad fleet on Flower's deployment engine, on this machine:
#   fleet/run.sh [--clients N] [--rounds R] [--epochs E] [--device-clients K] [--faulty] [--json]
# Needs `pip install -r fleet/requirements.txt` (Flower) and qemu-system-arm; installs nothing.
# See fleet/README.md and `fleet/run.sh --help`.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
exec python3 "$here/skipgrad_fleet/launch.py" "$@"
