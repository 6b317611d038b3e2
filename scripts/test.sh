#!/usr/bin/env bash
# The test command: set up the machine, check the import contracts (lint-imports)
# and ruff, start the test PostgreSQL and the local stack, then run pytest from the
# repository root with the stack's settings.
#
#   scripts/test.sh [pytest arguments...]
#
# Exits with pytest's status; "no tests collected" (5) counts as a failure.
# The stack and PostgreSQL are left running for the next run, unless
# HOSTFLOW_TEST_STACK_DOWN=1 (the default when CI=true): then both are taken
# down at exit, whatever the outcome, keeping the exit status.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

if [[ "${CI:-}" == true ]]; then
  STACK_DOWN="${HOSTFLOW_TEST_STACK_DOWN:-1}"
else
  STACK_DOWN="${HOSTFLOW_TEST_STACK_DOWN:-0}"
fi

teardown() {
  local rc=$?
  echo "test.sh: taking the stack and PostgreSQL down"
  bash "$REPO/scripts/stack.sh" down || echo "test.sh: WARNING: stack.sh down failed" >&2
  bash "$REPO/scripts/postgres.sh" down || echo "test.sh: WARNING: postgres.sh down failed" >&2
  exit "$rc"
}
if [[ "$STACK_DOWN" == 1 ]]; then
  trap teardown EXIT
fi

bash scripts/setup.sh
# The layers and the lint first: a broken contract fails in seconds, before any service starts.
.venv/bin/lint-imports
.venv/bin/ruff check .
bash scripts/postgres.sh up
bash scripts/stack.sh up

# shellcheck source=/dev/null
source .hostflow/openrc
HOSTFLOW_TEST_PG_URL="$(bash scripts/postgres.sh url)"
export HOSTFLOW_TEST_PG_URL

rc=0
.venv/bin/python -m pytest "$@" || rc=$?
if ((rc == 5)); then
  echo "test.sh: pytest collected no tests: failing" >&2
  rc=1
fi
exit "$rc"
