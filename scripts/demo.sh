#!/usr/bin/env bash
# The README's first command: set up this machine, start the local stack, and run
# one real operation end to end (allocate a QEMU guest through the API, wait for it
# to report its hostname and address, reclaim it). The stack stays up afterwards.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

bash scripts/setup.sh
bash scripts/stack.sh up
# shellcheck disable=SC1091
source .hostflow/openrc
PYTHONPATH="$REPO" .venv/bin/python -m cli.main demo
echo
echo "The stack is still up: e.g. 'hostflow hosts' (or .venv/bin/hostflow hosts; hostflow help)."
echo "Stop it with: bash scripts/stack.sh down"
